//! Package registries in a depot (`src/Registry/registry_instance.jl`): plain directories
//! with a `Registry.toml`, and Pkg's compressed form, `<Name>.toml` beside `<Name>.tar.gz`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::ids::{parse_uuid, TreeHash, Uuid};
use crate::toml_source::{entries, TomlSource, Value as _};
use crate::tree_hash::{tree_hash_of_files, MemFile};
use crate::version::VersionNumber;
use crate::version_spec::{VersionRange, VersionSpec};

/// Where a registry's files are.
#[derive(Debug)]
enum Files {
    Dir(PathBuf),
    /// Every regular file of the tarball, by `/`-separated path, with its mode.
    Tarball(HashMap<String, (&'static str, Vec<u8>)>),
}

/// A package as a registry lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredPackage {
    /// Its name.
    pub name: String,
    /// Its directory in the registry (`E/Example`).
    pub path: String,
}

/// One registered version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredVersion {
    /// The version's source tree hash.
    pub tree_hash: TreeHash,
    /// Yanked versions are never chosen by the resolver.
    pub yanked: bool,
}

/// Everything a registry records about one package ([`Registry::package_info`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageInfo {
    /// Its UUID.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Every registered version, ascending, yanked ones included.
    pub versions: Vec<VersionInfo>,
}

/// One registered version with its expanded dependency data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version.
    pub version: VersionNumber,
    /// Its source tree hash.
    pub tree_hash: TreeHash,
    /// Yanked versions are never chosen by the resolver.
    pub yanked: bool,
    /// `Deps.toml`: name → UUID.
    pub deps: BTreeMap<String, Uuid>,
    /// `Compat.toml`: name → spec (registry range syntax), `julia` included.
    pub compat: BTreeMap<String, VersionSpec>,
    /// `WeakDeps.toml`: name → UUID.
    pub weak_deps: BTreeMap<String, Uuid>,
    /// `WeakCompat.toml`: name → spec.
    pub weak_compat: BTreeMap<String, VersionSpec>,
}

/// An open registry.
#[derive(Debug)]
pub struct Registry {
    /// `name`.
    pub name: String,
    /// `uuid`.
    pub uuid: Uuid,
    /// `repo`, if given.
    pub repo: Option<String>,
    /// The packages, by UUID.
    pub packages: BTreeMap<Uuid, RegisteredPackage>,
    /// Where it was read from (directory or `<Name>.toml`).
    pub source: PathBuf,
    /// For the compressed form, the tree hash `<Name>.toml` records.
    pub recorded_tree_hash: Option<TreeHash>,
    files: Files,
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    Error::invalid(Location::file(path), message)
}

impl Registry {
    /// Opens a registry directory (one holding `Registry.toml`).
    pub fn open_dir(dir: &Path) -> Result<Registry> {
        let files = Files::Dir(dir.to_path_buf());
        let path = dir.join("Registry.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        Registry::from_parts(dir, &path, text, files, None)
    }

    /// Opens Pkg's compressed form from its `<Name>.toml` descriptor (keys `uuid`,
    /// `git-tree-sha1`, `path` of the tarball relative to the descriptor).
    pub fn open_compressed(descriptor: &Path) -> Result<Registry> {
        let src = TomlSource::read(descriptor, "registry descriptor")?;
        let root = src.root();
        let field = |k: &str| {
            root.get(k).and_then(|i| i.as_str()).ok_or_else(|| {
                src.error(
                    src.locate(None),
                    format!("registry descriptor has no `{k}`"),
                )
            })
        };
        let tarball = descriptor
            .parent()
            .unwrap_or(Path::new("."))
            .join(field("path")?);
        let hash_text = field("git-tree-sha1")?;
        let hash = TreeHash::parse(hash_text).ok_or_else(|| {
            src.error(
                src.locate_key(root, "git-tree-sha1"),
                "`git-tree-sha1` is not a SHA-1",
            )
        })?;
        field("uuid")?;
        let files = read_tarball(&tarball)?;
        let text = match files.get("Registry.toml") {
            Some((_, bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            None => {
                return Err(invalid(
                    &tarball,
                    "the registry tarball has no Registry.toml",
                ))
            }
        };
        let reg_path = tarball.join("Registry.toml");
        Registry::from_parts(
            descriptor,
            &reg_path,
            text,
            Files::Tarball(files),
            Some(hash),
        )
    }

    fn from_parts(
        source: &Path,
        reg_path: &Path,
        text: String,
        files: Files,
        recorded: Option<TreeHash>,
    ) -> Result<Registry> {
        let src = TomlSource::parse(reg_path, text, "registry")?;
        let root = src.root();
        let string = |k: &str| root.get(k).and_then(|i| i.as_str()).map(str::to_string);
        let name = string("name")
            .ok_or_else(|| src.error(src.locate(None), "Registry.toml has no `name`"))?;
        let uuid = string("uuid")
            .as_deref()
            .and_then(parse_uuid)
            .ok_or_else(|| {
                src.error(
                    src.locate_key(root, "uuid"),
                    "Registry.toml has no valid `uuid`",
                )
            })?;
        let mut packages = BTreeMap::new();
        if let Some(t) = root.get("packages").and_then(|i| i.as_table()) {
            for (key, v) in entries(t) {
                let entry = v.as_table();
                let get = |k: &str| {
                    entry
                        .and_then(|e| e.get(k))
                        .and_then(|i| i.as_str())
                        .map(str::to_string)
                };
                let (Some(id), Some(name), Some(path)) =
                    (parse_uuid(key), get("name"), get("path"))
                else {
                    return Err(src.error(
                        src.locate_key(root, "packages"),
                        format!("malformed package entry `{key}` in Registry.toml"),
                    ));
                };
                packages.insert(id, RegisteredPackage { name, path });
            }
        }
        Ok(Registry {
            name,
            uuid,
            repo: string("repo"),
            packages,
            source: source.to_path_buf(),
            recorded_tree_hash: recorded,
            files,
        })
    }

    /// A file of the registry by `/`-separated relative path.
    pub fn read_file(&self, rel: &str) -> Option<String> {
        match &self.files {
            Files::Dir(d) => std::fs::read_to_string(d.join(rel)).ok(),
            Files::Tarball(m) => m
                .get(rel)
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// The UUIDs registered under `name` (several packages may share a name).
    pub fn uuids_named(&self, name: &str) -> Vec<Uuid> {
        self.packages
            .iter()
            .filter(|(_, p)| p.name == name)
            .map(|(u, _)| *u)
            .collect()
    }

    fn package_toml(&self, uuid: &Uuid, file: &str) -> Result<Option<TomlSource>> {
        let Some(pkg) = self.packages.get(uuid) else {
            return Ok(None);
        };
        let rel = format!("{}/{file}", pkg.path);
        match self.read_file(&rel) {
            None => Ok(None),
            Some(text) => Ok(Some(TomlSource::parse(
                &self.source.join(&rel),
                text,
                "registry file",
            )?)),
        }
    }

    /// `Versions.toml` of a package: every registered version with its tree hash.
    pub fn versions(&self, uuid: &Uuid) -> Result<BTreeMap<VersionNumber, RegisteredVersion>> {
        let mut out = BTreeMap::new();
        let Some(src) = self.package_toml(uuid, "Versions.toml")? else {
            return Ok(out);
        };
        for (v, item) in entries(src.root()) {
            let bad = || {
                src.error(
                    src.locate_key(src.root(), v),
                    format!("malformed version entry `{v}`"),
                )
            };
            let version = VersionNumber::parse(v).map_err(|_| bad())?;
            let t = item.as_table().ok_or_else(bad)?;
            let tree_hash = t
                .get("git-tree-sha1")
                .and_then(|i| i.as_str())
                .and_then(TreeHash::parse)
                .ok_or_else(bad)?;
            let yanked = t.get("yanked").and_then(|i| i.as_bool()).unwrap_or(false);
            out.insert(version, RegisteredVersion { tree_hash, yanked });
        }
        Ok(out)
    }

    /// The dependencies (`Deps.toml`, name → UUID) of one version, expanded from the
    /// compressed ranges as Pkg's `uncompress` does.
    pub fn deps(&self, uuid: &Uuid, version: &VersionNumber) -> Result<BTreeMap<String, Uuid>> {
        self.of_version(uuid, version, |v| v.deps)
    }

    /// The compat (`Compat.toml`, registry range syntax) of one version; `julia` included.
    pub fn compat(
        &self,
        uuid: &Uuid,
        version: &VersionNumber,
    ) -> Result<BTreeMap<String, VersionSpec>> {
        self.of_version(uuid, version, |v| v.compat)
    }

    /// The weak dependencies (`WeakDeps.toml`, name → UUID) of one version.
    pub fn weak_deps(
        &self,
        uuid: &Uuid,
        version: &VersionNumber,
    ) -> Result<BTreeMap<String, Uuid>> {
        self.of_version(uuid, version, |v| v.weak_deps)
    }

    /// The compat of one version's weak dependencies (`WeakCompat.toml`).
    pub fn weak_compat(
        &self,
        uuid: &Uuid,
        version: &VersionNumber,
    ) -> Result<BTreeMap<String, VersionSpec>> {
        self.of_version(uuid, version, |v| v.weak_compat)
    }

    /// One part of one version's [`VersionInfo`], empty when the version is not registered.
    fn of_version<T: Default>(
        &self,
        uuid: &Uuid,
        version: &VersionNumber,
        part: impl FnOnce(VersionInfo) -> T,
    ) -> Result<T> {
        Ok(self
            .package_info(uuid)?
            .and_then(|p| p.versions.into_iter().find(|v| &v.version == version))
            .map(part)
            .unwrap_or_default())
    }

    /// Everything the registry records about one package: its versions (`Versions.toml`) and,
    /// for each, the data of `Deps.toml`, `Compat.toml`, `WeakDeps.toml` and `WeakCompat.toml`,
    /// each file read once and expanded for every version in one pass. `None` when the registry
    /// does not list the package.
    ///
    /// The expansion is Pkg's `uncompress`: a block applies to every registered version between
    /// the first and the last version its range contains (for registered versions that is the
    /// same as membership), and two blocks giving the same name to one version are an error.
    pub fn package_info(&self, uuid: &Uuid) -> Result<Option<PackageInfo>> {
        let Some(pkg) = self.packages.get(uuid) else {
            return Ok(None);
        };
        let mut versions: Vec<VersionInfo> = self
            .versions(uuid)?
            .into_iter()
            .map(|(version, r)| VersionInfo {
                version,
                tree_hash: r.tree_hash,
                yanked: r.yanked,
                deps: BTreeMap::new(),
                compat: BTreeMap::new(),
                weak_deps: BTreeMap::new(),
                weak_compat: BTreeMap::new(),
            })
            .collect();
        let numbers: Vec<VersionNumber> = versions.iter().map(|v| v.version.clone()).collect();
        for (file, kind) in [
            ("Deps.toml", FileKind::Deps),
            ("Compat.toml", FileKind::Compat),
            ("WeakDeps.toml", FileKind::WeakDeps),
            ("WeakCompat.toml", FileKind::WeakCompat),
        ] {
            let Some(src) = self.package_toml(uuid, file)? else {
                continue;
            };
            expand_file(&src, &numbers, kind, &mut versions)?;
        }
        Ok(Some(PackageInfo {
            uuid: *uuid,
            name: pkg.name.clone(),
            versions,
        }))
    }

    /// For the compressed form: the git tree hash of the tarball's contents, which Pkg checks
    /// against the descriptor's `git-tree-sha1`. `None` for a directory registry.
    pub fn content_tree_hash(&self) -> Option<TreeHash> {
        match &self.files {
            Files::Dir(_) => None,
            Files::Tarball(m) => Some(tree_hash_of_files(m.iter().map(
                |(path, (mode, content))| MemFile {
                    path,
                    mode,
                    content,
                },
            ))),
        }
    }
}

/// Which per-version table a registry file fills.
#[derive(Clone, Copy)]
enum FileKind {
    Deps,
    Compat,
    WeakDeps,
    WeakCompat,
}

/// Applies every `"<range>" = { name = value }` block of `src` to the versions it covers
/// (Pkg's `uncompress`; see [`Registry::package_info`]). Each value is parsed once per block.
fn expand_file(
    src: &TomlSource,
    numbers: &[VersionNumber],
    kind: FileKind,
    out: &mut [VersionInfo],
) -> Result<()> {
    let root = src.root();
    for (range, block) in entries(root) {
        let r =
            VersionRange::parse(range).map_err(|e| src.error(src.locate_key(root, range), e))?;
        let (Some(first), Some(last)) = (
            numbers.iter().position(|v| r.contains(v)),
            numbers.iter().rposition(|v| r.contains(v)),
        ) else {
            continue;
        };
        let Some(t) = block.as_table() else {
            return Err(src.error(
                src.locate_key(root, range),
                format!("`{range}` is not a table"),
            ));
        };
        for (name, item) in entries(t) {
            let here = src.locate_item(item).or(&src.locate_key(root, range));
            let value = match kind {
                FileKind::Deps | FileKind::WeakDeps => {
                    let u = item.as_str().and_then(parse_uuid).ok_or_else(|| {
                        Error::invalid(here.clone(), format!("`{name}` is not a UUID"))
                    })?;
                    if matches!(kind, FileKind::Deps) {
                        Parsed::Dep(u)
                    } else {
                        Parsed::WeakDep(u)
                    }
                }
                FileKind::Compat | FileKind::WeakCompat => {
                    let spec = if let Some(s) = item.as_str() {
                        VersionSpec::parse_range(s)
                    } else if let Some(a) = item.as_array() {
                        let strings: Option<Vec<&str>> = a.iter().map(|v| v.as_str()).collect();
                        match strings {
                            Some(strings) => VersionSpec::parse_ranges(strings),
                            None => Err(format!("malformed compat for `{name}`")),
                        }
                    } else {
                        Err(format!("malformed compat for `{name}`"))
                    };
                    let spec = spec.map_err(|e| Error::invalid(here.clone(), e))?;
                    if matches!(kind, FileKind::Compat) {
                        Parsed::Compat(spec)
                    } else {
                        Parsed::WeakCompat(spec)
                    }
                }
            };
            for info in &mut out[first..=last] {
                let key = name.to_string();
                let clash = match &value {
                    Parsed::Dep(u) => info.deps.insert(key, *u).is_some(),
                    Parsed::WeakDep(u) => info.weak_deps.insert(key, *u).is_some(),
                    Parsed::Compat(s) => info.compat.insert(key, s.clone()).is_some(),
                    Parsed::WeakCompat(s) => info.weak_compat.insert(key, s.clone()).is_some(),
                };
                if clash {
                    return Err(src.error(
                        src.locate_key(root, range),
                        format!(
                            "Overlapping ranges for {name} for version {} in registry.",
                            info.version
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A parsed value of a registry block, by the file it came from.
enum Parsed {
    Dep(Uuid),
    WeakDep(Uuid),
    Compat(VersionSpec),
    WeakCompat(VersionSpec),
}

fn read_tarball(path: &Path) -> Result<HashMap<String, (&'static str, Vec<u8>)>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive =
        tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let mut out = HashMap::new();
    let entries = archive.entries().map_err(|e| Error::io(path, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::io(path, e))?;
        let kind = entry.header().entry_type();
        let rel = entry
            .path()
            .map_err(|e| Error::io(path, e))?
            .to_string_lossy()
            .replace('\\', "/");
        let rel = rel.strip_prefix("./").unwrap_or(&rel).to_string();
        let (mode, content) = if kind.is_file() {
            let exec = entry
                .header()
                .mode()
                .map(|m| m & 0o100 != 0)
                .unwrap_or(false);
            let mut content = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut content)
                .map_err(|e| Error::io(path, e))?;
            (if exec { "100755" } else { "100644" }, content)
        } else if kind.is_symlink() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            ("120000", target.into_bytes())
        } else {
            continue;
        };
        out.insert(rel, (mode, content));
    }
    Ok(out)
}

/// Every registry Pkg can reach from these depots, in depot order: directories with a
/// `Registry.toml`, and (when `tarballs` is true, Pkg's default with a package server)
/// compressed descriptors, which replace a directory of the same name. Registries that fail to
/// open are returned as errors, not skipped.
pub fn reachable_registries(depots: &[PathBuf], tarballs: bool) -> Vec<Result<Registry>> {
    let mut out = Vec::new();
    for depot in depots {
        let dir = depot.join("registries");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let compressed: Vec<&PathBuf> = paths
            .iter()
            .filter(|p| tarballs && p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect();
        for p in &paths {
            if p.is_dir() && p.join("Registry.toml").is_file() {
                let shadowed = compressed.iter().any(|c| c.file_stem() == p.file_name());
                if !shadowed {
                    out.push(Registry::open_dir(p));
                }
            }
        }
        for c in compressed {
            out.push(Registry::open_compressed(c));
        }
    }
    out
}

/// Whether Pkg reads registries from tarballs: `JULIA_PKG_SERVER` not empty and
/// `JULIA_PKG_UNPACK_REGISTRY` not true.
pub fn tarballs_enabled(pkg_server: Option<&str>, unpack: Option<&str>) -> bool {
    pkg_server != Some("") && !matches!(unpack, Some("true") | Some("1") | Some("yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn directory_registry_with_uncompress() {
        let t = tempfile::tempdir().unwrap();
        let reg = t.path().join("registries/Test");
        fs::create_dir_all(reg.join("E/Example")).unwrap();
        fs::write(
            reg.join("Registry.toml"),
            "name = \"Test\"\nuuid = \"23338594-aafe-5451-b93e-139f81909106\"\n[packages]\n7876af07-990d-54b4-ab0e-23690620f79a = { name = \"Example\", path = \"E/Example\" }\n",
        )
        .unwrap();
        fs::write(
            reg.join("E/Example/Versions.toml"),
            "[\"0.4.0\"]\ngit-tree-sha1 = \"1111111111111111111111111111111111111111\"\n[\"0.5.0\"]\ngit-tree-sha1 = \"2222222222222222222222222222222222222222\"\nyanked = true\n[\"0.5.3\"]\ngit-tree-sha1 = \"3333333333333333333333333333333333333333\"\n",
        )
        .unwrap();
        fs::write(
            reg.join("E/Example/Deps.toml"),
            "[\"0.5-0\"]\nTest = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n",
        )
        .unwrap();
        fs::write(
            reg.join("E/Example/Compat.toml"),
            "[\"0-0.4\"]\njulia = \"0.7-1\"\n[\"0.5-0\"]\njulia = [\"1.0-1.5\", \"1.6-1\"]\n",
        )
        .unwrap();
        let regs = reachable_registries(&[t.path().to_path_buf()], true);
        assert_eq!(regs.len(), 1);
        let r = regs.into_iter().next().unwrap().unwrap();
        let ex = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        assert_eq!(r.uuids_named("Example"), vec![ex]);
        let versions = r.versions(&ex).unwrap();
        assert!(versions[&VersionNumber::new(0, 5, 0)].yanked);
        assert!(r
            .deps(&ex, &VersionNumber::new(0, 4, 0))
            .unwrap()
            .is_empty());
        assert!(r
            .deps(&ex, &VersionNumber::new(0, 5, 3))
            .unwrap()
            .contains_key("Test"));
        let compat = r.compat(&ex, &VersionNumber::new(0, 5, 3)).unwrap();
        assert!(compat["julia"].contains(&VersionNumber::new(1, 10, 0)));
        assert!(!compat["julia"].contains(&VersionNumber::new(0, 7, 0)));
        fs::write(reg.join("E/Example/Deps.toml"), "[\"0.5-0\"]\nTest = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n[\"0.5.3\"]\nTest = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n").unwrap();
        let e = r.deps(&ex, &VersionNumber::new(0, 5, 3)).unwrap_err();
        assert!(e.to_string().contains("Overlapping ranges for Test"), "{e}");
    }

    #[test]
    fn package_info_expands_every_file_once() {
        let t = tempfile::tempdir().unwrap();
        let reg = t.path().join("Test");
        fs::create_dir_all(reg.join("E/Example")).unwrap();
        fs::write(
            reg.join("Registry.toml"),
            "name = \"Test\"\nuuid = \"23338594-aafe-5451-b93e-139f81909106\"\n[packages]\n7876af07-990d-54b4-ab0e-23690620f79a = { name = \"Example\", path = \"E/Example\" }\n",
        )
        .unwrap();
        let h = "git-tree-sha1 = \"1111111111111111111111111111111111111111\"";
        fs::write(
            reg.join("E/Example/Versions.toml"),
            format!("[\"0.1.0\"]\n{h}\n[\"0.2.0\"]\n{h}\nyanked = true\n[\"0.3.0\"]\n{h}\n"),
        )
        .unwrap();
        fs::write(
            reg.join("E/Example/WeakDeps.toml"),
            "[\"0.2-0\"]\nTest = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n",
        )
        .unwrap();
        fs::write(
            reg.join("E/Example/WeakCompat.toml"),
            "[\"0.3-0\"]\nTest = \"1.6.0-1\"\n",
        )
        .unwrap();
        let r = Registry::open_dir(&reg).unwrap();
        let ex = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        let info = r.package_info(&ex).unwrap().unwrap();
        assert_eq!(info.name, "Example");
        assert_eq!(info.versions.len(), 3);
        assert!(info.versions[1].yanked);
        assert!(info.versions[0].weak_deps.is_empty());
        assert!(info.versions[1].weak_deps.contains_key("Test"));
        assert!(info.versions[1].weak_compat.is_empty());
        let v3 = VersionNumber::new(0, 3, 0);
        assert!(r.weak_deps(&ex, &v3).unwrap().contains_key("Test"));
        assert!(r.weak_compat(&ex, &v3).unwrap()["Test"].contains(&VersionNumber::new(1, 10, 0)));
        assert!(r.package_info(&Uuid::nil()).unwrap().is_none());

        fs::write(
            reg.join("E/Example/WeakCompat.toml"),
            "[\"0.3-0\"]\nTest = \"1.6.0-1\"\n[\"0.1\"]\nTest = \"a.b\"\n",
        )
        .unwrap();
        let e = r.package_info(&ex).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("WeakCompat.toml:4:"), "{shown}");
        assert!(shown.contains("a.b"), "{shown}");
    }

    #[test]
    fn tarball_switch() {
        assert!(tarballs_enabled(None, None));
        assert!(!tarballs_enabled(Some(""), None));
        assert!(!tarballs_enabled(None, Some("true")));
    }
}
