//! Julia depots: `DEPOT_PATH` from `JULIA_DEPOT_PATH`, and where packages and artifacts live
//! (`packages/<Name>/<slug>`, `artifacts/<tree-hash>`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::ids::{TreeHash, Uuid};

/// The depot stack, first (writable) depot first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Depots {
    /// The depots in order.
    pub paths: Vec<PathBuf>,
}

impl Depots {
    /// Explicit depots.
    pub fn new(paths: Vec<PathBuf>) -> Depots {
        Depots { paths }
    }

    /// Julia's `init_depot_path` for a `JULIA_DEPOT_PATH` value (`None`: unset), a home
    /// directory, and the julia binary's directory (`Sys.BINDIR`) when known.
    ///
    /// Unset gives `~/.julia` then the bundled depots; an empty element expands in place to
    /// those defaults; an entirely empty value gives no depots at all.
    pub fn from_env_value(
        value: Option<&OsStr>,
        home: Option<&Path>,
        bindir: Option<&Path>,
    ) -> Depots {
        let mut paths: Vec<PathBuf> = Vec::new();
        let push = |paths: &mut Vec<PathBuf>, p: PathBuf| {
            if !paths.contains(&p) {
                paths.push(p);
            }
        };
        let defaults = |paths: &mut Vec<PathBuf>| {
            if let Some(home) = home {
                push(paths, home.join(".julia"));
            }
            if let Some(bindir) = bindir {
                push(paths, normalize(&bindir.join("../local/share/julia")));
                push(paths, normalize(&bindir.join("../share/julia")));
            }
        };
        match value {
            None => defaults(&mut paths),
            Some(v) if v.is_empty() => {}
            Some(v) => {
                let sep = if cfg!(windows) { ';' } else { ':' };
                for part in v.to_string_lossy().split(sep) {
                    if part.is_empty() {
                        defaults(&mut paths);
                    } else {
                        push(&mut paths, expand_user(part, home));
                    }
                }
            }
        }
        Depots { paths }
    }

    /// The first depot, where Pkg writes.
    pub fn first(&self) -> Option<&Path> {
        self.paths.first().map(PathBuf::as_path)
    }

    /// Pkg's `find_installed`: the source directory of a registered or repo-tracked package,
    /// trying the 5-character slug in every depot, then the legacy 4-character one. `None`
    /// when it is in no depot.
    pub fn find_package(&self, name: &str, uuid: &Uuid, tree_hash: &TreeHash) -> Option<PathBuf> {
        for p in [5, 4] {
            let slug = version_slug(uuid, tree_hash, p);
            for depot in &self.paths {
                let dir = depot.join("packages").join(name).join(&slug);
                if dir.exists() {
                    return Some(dir);
                }
            }
        }
        None
    }

    /// Where Pkg would install a package: `<first depot>/packages/<name>/<slug>`.
    pub fn package_install_dir(
        &self,
        name: &str,
        uuid: &Uuid,
        tree_hash: &TreeHash,
    ) -> Option<PathBuf> {
        Some(
            self.first()?
                .join("packages")
                .join(name)
                .join(version_slug(uuid, tree_hash, 5)),
        )
    }

    /// The first depot holding `artifacts/<hash>`.
    pub fn find_artifact(&self, hash: &TreeHash) -> Option<PathBuf> {
        self.paths
            .iter()
            .map(|d| d.join("artifacts").join(hash.to_string()))
            .find(|p| p.is_dir())
    }
}

fn expand_user(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

/// Lexical normalisation (`abspath` without touching the file system): removes `.` and
/// resolves `..` against the preceding component.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

const SLUG_CHARS: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn slug(mut crc: u32, p: usize) -> String {
    let mut s = String::with_capacity(p);
    for _ in 0..p {
        s.push(SLUG_CHARS[(crc % 62) as usize] as char);
        crc /= 62;
    }
    s
}

/// Julia's `Base.version_slug(uuid, tree_hash, p)`: CRC-32C over the UUID's little-endian
/// bytes then the tree hash's bytes, in base 62, least significant digit first.
pub fn version_slug(uuid: &Uuid, tree_hash: &TreeHash, p: usize) -> String {
    let mut le = *uuid.as_bytes();
    le.reverse();
    let crc = crc32c::crc32c_append(crc32c::crc32c(&le), tree_hash.bytes());
    slug(crc, p)
}

/// Julia's `Base.package_slug(uuid, p)`: the same over the UUID alone.
pub fn package_slug(uuid: &Uuid, p: usize) -> String {
    let mut le = *uuid.as_bytes();
    le.reverse();
    slug(crc32c::crc32c(&le), p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::parse_uuid;

    #[test]
    fn slugs_match_real_depots() {
        let example = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        let h = TreeHash::parse("46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc").unwrap();
        assert_eq!(version_slug(&example, &h, 5), "aqsx3");
        assert_eq!(version_slug(&example, &h, 4), "aqsx");
        let h = TreeHash::parse("8eb7b4d4ca487caade9ba3e85932e28ce6d6e1f8").unwrap();
        assert_eq!(version_slug(&example, &h, 5), "kH44X");
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn depot_path_rules() {
        let home = Path::new("/home/u");
        let bin = Path::new("/opt/julia/bin");
        let d = |v: Option<&str>| {
            Depots::from_env_value(v.map(OsStr::new), Some(home), Some(bin))
                .paths
                .into_iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            d(None),
            [
                "/home/u/.julia",
                "/opt/julia/local/share/julia",
                "/opt/julia/share/julia"
            ]
        );
        assert_eq!(d(Some("")), Vec::<String>::new());
        assert_eq!(d(Some("/a:~/b")), ["/a", "/home/u/b"]);
        assert_eq!(
            d(Some("/a::/a")),
            [
                "/a",
                "/home/u/.julia",
                "/opt/julia/local/share/julia",
                "/opt/julia/share/julia"
            ]
        );
    }

    #[test]
    fn finds_packages_by_slug_in_depot_order() {
        let d1 = tempfile::tempdir().unwrap();
        let d2 = tempfile::tempdir().unwrap();
        let uuid = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        let h = TreeHash::parse("46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc").unwrap();
        let depots = Depots::new(vec![d1.path().into(), d2.path().into()]);
        assert_eq!(depots.find_package("Example", &uuid, &h), None);
        std::fs::create_dir_all(d2.path().join("packages/Example/aqsx")).unwrap();
        assert_eq!(
            depots.find_package("Example", &uuid, &h),
            Some(d2.path().join("packages/Example/aqsx"))
        );
        std::fs::create_dir_all(d2.path().join("packages/Example/aqsx3")).unwrap();
        assert_eq!(
            depots.find_package("Example", &uuid, &h),
            Some(d2.path().join("packages/Example/aqsx3"))
        );
    }
}
