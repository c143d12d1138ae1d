//! `Artifacts.toml` (or `JuliaArtifacts.toml`): artifact entries, platform-specific ones, and
//! which entry a host uses (`Artifacts.select_downloadable_artifacts`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Location, Result};
use crate::ids::TreeHash;
use crate::platform::{select_platform, Platform};
use crate::toml_source::{entries, Item, Table, TomlSource, Value as _};

/// Artifact file names at a package root, in Pkg's order of preference.
pub const ARTIFACTS_NAMES: [&str; 2] = ["JuliaArtifacts.toml", "Artifacts.toml"];

/// Where to download an artifact from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Download {
    /// The tarball URL.
    pub url: String,
    /// The tarball's SHA-256.
    pub sha256: String,
}

/// One artifact entry (one platform's variant, or the only one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The artifact's name.
    pub name: String,
    /// `git-tree-sha1`: the directory under `artifacts/`.
    pub tree_hash: TreeHash,
    /// Downloaded at first use rather than at install.
    pub lazy: bool,
    /// Where to get it (empty: a locally created artifact that cannot be installed).
    pub downloads: Vec<Download>,
    /// The platform, for platform-specific entries.
    pub platform: Option<Platform>,
    /// Where the entry is.
    pub location: Location,
}

/// A parsed artifacts file.
#[derive(Clone, Debug, Default)]
pub struct ArtifactsFile {
    /// Its path.
    pub path: PathBuf,
    /// Entries by artifact name.
    pub artifacts: BTreeMap<String, Vec<Artifact>>,
    /// Entries Julia would skip (missing `os`/`arch`), with why.
    pub skipped: Vec<(Location, String)>,
}

/// The artifacts file of a package directory, if it has one.
pub fn artifacts_file_in(package_dir: &Path) -> Option<PathBuf> {
    ARTIFACTS_NAMES
        .iter()
        .map(|n| package_dir.join(n))
        .find(|p| p.is_file())
}

impl ArtifactsFile {
    /// Reads and validates an artifacts file.
    pub fn read(path: &Path) -> Result<ArtifactsFile> {
        let src = TomlSource::read(path, "artifacts file")?;
        ArtifactsFile::from_source(&src)
    }

    /// Parses artifacts text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ArtifactsFile> {
        let src = TomlSource::parse(path, text.to_string(), "artifacts file")?;
        ArtifactsFile::from_source(&src)
    }

    fn from_source(src: &TomlSource) -> Result<ArtifactsFile> {
        let mut out = ArtifactsFile {
            path: src.path().to_path_buf(),
            ..ArtifactsFile::default()
        };
        for (name, item) in entries(src.root()) {
            let malformed = || {
                src.error(
                    src.locate_key(src.root(), name),
                    format!("Invalid artifacts file: artifact '{name}' malformed, must be array or dict!"),
                )
            };
            let platform_specific = item.as_array().is_some();
            let tables: Vec<&Item<'_>> = match (item.as_table(), item.as_array()) {
                (Some(_), _) => vec![item],
                (_, Some(a)) if a.iter().all(|t| t.as_table().is_some()) => a.iter().collect(),
                _ => return Err(malformed()),
            };
            let mut found = Vec::new();
            for entry in tables {
                let location = src.locate_item(entry);
                let t = entry.as_table().ok_or_else(malformed)?;
                let hash = t
                    .get("git-tree-sha1")
                    .and_then(|i| i.as_str())
                    .and_then(TreeHash::parse)
                    .ok_or_else(|| {
                        src.error(location.clone(), format!("Invalid artifacts file: artifact '{name}' contains no valid `git-tree-sha1`!"))
                    })?;
                let lazy = t.get("lazy").and_then(|i| i.as_bool()).unwrap_or(false);
                let downloads = read_downloads(src, t, name)?;
                let platform = if platform_specific {
                    let (Some(os), Some(arch)) = (
                        t.get("os").and_then(|i| i.as_str()),
                        t.get("arch").and_then(|i| i.as_str()),
                    ) else {
                        out.skipped.push((location, format!("platform-specific artifact entry '{name}' is missing its 'os' or 'arch' key")));
                        continue;
                    };
                    let tags = entries(t)
                        .filter(|(k, _)| !matches!(*k, "os" | "arch" | "git-tree-sha1"))
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.to_string(), s.to_string())));
                    Some(
                        Platform::new(os, arch, tags)
                            .map_err(|e| src.error(location.clone(), e.to_string()))?,
                    )
                } else {
                    None
                };
                found.push(Artifact {
                    name: name.to_string(),
                    tree_hash: hash,
                    lazy,
                    downloads,
                    platform,
                    location,
                });
            }
            out.artifacts.insert(name.to_string(), found);
        }
        Ok(out)
    }

    /// The entry of artifact `name` that `host` uses.
    pub fn select(&self, name: &str, host: &Platform) -> Option<&Artifact> {
        let entries = self.artifacts.get(name)?;
        match entries.as_slice() {
            [one] if one.platform.is_none() => Some(one),
            many => select_platform(
                many.iter()
                    .filter_map(|a| a.platform.as_ref().map(|p| (p, a))),
                host,
            ),
        }
    }

    /// `select_downloadable_artifacts`: every artifact whose selected entry can be downloaded,
    /// leaving out lazy ones unless `include_lazy`.
    pub fn downloadable(&self, host: &Platform, include_lazy: bool) -> Vec<&Artifact> {
        self.artifacts
            .keys()
            .filter_map(|name| self.select(name, host))
            .filter(|a| !a.downloads.is_empty() && (include_lazy || !a.lazy))
            .collect()
    }
}

fn read_downloads(src: &TomlSource, t: &Table<'_>, name: &str) -> Result<Vec<Download>> {
    let Some(item) = t.get("download") else {
        return Ok(Vec::new());
    };
    let bad = || {
        src.error(
            src.locate_key(t, "download"),
            format!("Invalid artifacts file: artifact '{name}' has a malformed `download` list"),
        )
    };
    let mut out = Vec::new();
    for d in item.as_array().ok_or_else(bad)? {
        let d = d.as_table().ok_or_else(bad)?;
        let url = d.get("url").and_then(|i| i.as_str()).ok_or_else(bad)?;
        let sha256 = d.get("sha256").and_then(|i| i.as_str()).ok_or_else(bad)?;
        out.push(Download {
            url: url.to_string(),
            sha256: sha256.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENBLAS: &str = r#"
[[OpenBLAS]]
arch = "x86_64"
git-tree-sha1 = "1111111111111111111111111111111111111111"
libgfortran_version = "4.0.0"
os = "linux"
libc = "glibc"

    [[OpenBLAS.download]]
    sha256 = "aa"
    url = "https://example.invalid/a.tar.gz"

[[OpenBLAS]]
arch = "x86_64"
git-tree-sha1 = "2222222222222222222222222222222222222222"
libgfortran_version = "5.0.0"
os = "linux"
libc = "glibc"

    [[OpenBLAS.download]]
    sha256 = "bb"
    url = "https://example.invalid/b.tar.gz"

[[OpenBLAS]]
arch = "aarch64"
git-tree-sha1 = "3333333333333333333333333333333333333333"
os = "macos"

[[Broken]]
git-tree-sha1 = "4444444444444444444444444444444444444444"

[Data]
git-tree-sha1 = "5555555555555555555555555555555555555555"
lazy = true
download = [{url = "https://example.invalid/d.tar.gz", sha256 = "dd"}]
"#;

    #[test]
    fn selects_the_hosts_entry() {
        let f = ArtifactsFile::parse(Path::new("Artifacts.toml"), OPENBLAS).unwrap();
        let host =
            Platform::parse_triplet("x86_64-linux-gnu-libgfortran5-cxx11-julia_version+1.10.4")
                .unwrap();
        assert_eq!(
            f.select("OpenBLAS", &host).unwrap().tree_hash.to_string(),
            "2".repeat(40)
        );
        assert_eq!(
            f.select("Data", &host).unwrap().tree_hash.to_string(),
            "5".repeat(40)
        );
        assert_eq!(f.skipped.len(), 1);
        assert_eq!(f.downloadable(&host, false).len(), 1);
        assert_eq!(f.downloadable(&host, true).len(), 2);
        let mac = Platform::parse_triplet("aarch64-apple-darwin").unwrap();
        assert_eq!(
            f.select("OpenBLAS", &mac).unwrap().tree_hash.to_string(),
            "3".repeat(40)
        );
        let win = Platform::parse_triplet("x86_64-w64-mingw32").unwrap();
        assert!(f.select("OpenBLAS", &win).is_none());
    }

    #[test]
    fn malformed_files_name_the_place() {
        let e = ArtifactsFile::parse(Path::new("A.toml"), "x = 1\n").unwrap_err();
        assert!(
            e.to_string().contains("malformed, must be array or dict"),
            "{e}"
        );
        let e = ArtifactsFile::parse(Path::new("A.toml"), "[x]\nlazy = true\n").unwrap_err();
        assert!(e.to_string().starts_with("A.toml:1:"), "{e}");
    }
}
