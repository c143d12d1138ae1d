//! Where the resolver reads packages from: the [`PackageIndex`] trait, its registry-backed
//! implementation [`RegistryIndex`] (one or more [`Registry`], parsed once per package and
//! cached), and [`MemoryIndex`], one built in memory (tests, Pkg's test graphs, or data from
//! elsewhere).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Error, Location, Result};
use crate::ids::Uuid;
use crate::registry::Registry;
use crate::version::VersionNumber;
use crate::version_spec::VersionSpec;

use super::JULIA_UUID;

/// One dependency of one package version, as the resolver sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dependency {
    /// The depended-on package (or [`JULIA_UUID`] for the version's `julia` compat).
    pub uuid: Uuid,
    /// Its name, for explanations (the name the dependent uses for it).
    pub name: String,
    /// The compatible versions (`*` when the registry gives no compat).
    pub spec: VersionSpec,
    /// A weak dependency never causes its package to be installed; its `spec` applies only
    /// when the package is installed for another reason.
    pub weak: bool,
}

/// What the resolver needs to know about packages: their names, their versions and each
/// version's dependencies.
///
/// Implementations answer for registered packages only; Julia itself ([`JULIA_UUID`]) and the
/// standard libraries of the requested Julia version are handled by the resolver.
pub trait PackageIndex {
    /// The package's name, or `None` when the index does not know the package.
    fn name(&self, uuid: &Uuid) -> Option<String>;

    /// Every version the resolver may choose, ascending: yanked versions are left out.
    /// An error for a package the index does not know, or whose data is malformed.
    fn versions(&self, uuid: &Uuid) -> Result<Vec<VersionNumber>>;

    /// The dependencies of one version (one of [`PackageIndex::versions`]), weak ones and the
    /// `julia` compat (as a dependency on [`JULIA_UUID`]) included.
    fn dependencies(&self, uuid: &Uuid, version: &VersionNumber) -> Result<Vec<Dependency>>;

    /// Whether `version` is registered but yanked; used only to explain why a fixed version
    /// cannot be used.
    fn is_yanked(&self, uuid: &Uuid, version: &VersionNumber) -> bool {
        let _ = (uuid, version);
        false
    }
}

/// One package as the resolver reads it, parsed once.
#[derive(Debug)]
struct Record {
    name: String,
    /// Non-yanked versions, ascending.
    versions: Vec<VersionNumber>,
    /// Yanked versions, ascending.
    yanked: Vec<VersionNumber>,
    /// The dependencies of `versions[i]`.
    deps: Vec<Vec<Dependency>>,
}

impl Record {
    fn dependencies(&self, uuid: &Uuid, version: &VersionNumber) -> Result<Vec<Dependency>> {
        match self.versions.binary_search(version) {
            Ok(i) => Ok(self.deps[i].clone()),
            Err(_) => Err(Error::invalid(
                Location::file(format!("{} [{uuid}]", self.name)),
                format!("{} has no usable version {version}", self.name),
            )),
        }
    }
}

/// A [`PackageIndex`] over one or more registries, in the order Pkg reaches them.
///
/// Each package's registry files are parsed once, on first use, and kept: keep one
/// `RegistryIndex` across resolves to reuse that work. The cache is behind a mutex, so the
/// index can be shared between threads.
///
/// With several registries, as in Pkg's `deps_graph`: a version is usable if some registry
/// lists it unyanked, and its dependencies are merged over the registries listing it, the
/// first registry's entry winning for a dependency both name.
#[derive(Debug)]
pub struct RegistryIndex {
    registries: Vec<Registry>,
    cache: Mutex<HashMap<Uuid, Arc<Record>>>,
}

impl RegistryIndex {
    /// An index over `registries` (earlier ones win where they disagree).
    pub fn new(registries: Vec<Registry>) -> RegistryIndex {
        RegistryIndex {
            registries,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The registries, in order.
    pub fn registries(&self) -> &[Registry] {
        &self.registries
    }

    /// The UUIDs registered under `name` in any of the registries, without repeats.
    pub fn uuids_named(&self, name: &str) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = Vec::new();
        for r in &self.registries {
            for u in r.uuids_named(name) {
                if !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        out
    }

    fn record(&self, uuid: &Uuid) -> Result<Arc<Record>> {
        if let Some(r) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(uuid)
        {
            return Ok(r.clone());
        }
        // Parsed outside the lock: two threads may both parse a package, and one copy wins.
        let record = Arc::new(self.load(uuid)?);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(*uuid)
            .or_insert_with(|| record.clone());
        Ok(record)
    }

    fn load(&self, uuid: &Uuid) -> Result<Record> {
        let mut name = None;
        let mut usable: BTreeMap<VersionNumber, Vec<Dependency>> = BTreeMap::new();
        let mut yanked: Vec<VersionNumber> = Vec::new();
        for reg in &self.registries {
            let Some(info) = reg.package_info(uuid)? else {
                continue;
            };
            name.get_or_insert(info.name.clone());
            for v in info.versions {
                if v.yanked {
                    yanked.push(v.version);
                    continue;
                }
                let deps = dependencies_of(reg, uuid, &info.name, &v)?;
                match usable.get_mut(&v.version) {
                    None => {
                        usable.insert(v.version, deps);
                    }
                    Some(existing) => {
                        for d in deps {
                            if !existing.iter().any(|e| e.uuid == d.uuid) {
                                existing.push(d);
                            }
                        }
                    }
                }
            }
        }
        let Some(name) = name else {
            return Err(unknown(uuid));
        };
        yanked.retain(|v| !usable.contains_key(v));
        yanked.sort();
        yanked.dedup();
        let (versions, deps) = usable.into_iter().unzip();
        Ok(Record {
            name,
            versions,
            yanked,
            deps,
        })
    }
}

fn unknown(uuid: &Uuid) -> Error {
    Error::invalid(
        Location::file(uuid.to_string()),
        format!("no registry knows the package with UUID {uuid}"),
    )
}

/// The resolver's view of one registered version: each `Deps.toml` entry with its
/// `Compat.toml` spec, each `WeakDeps.toml` entry (weak) with its `WeakCompat.toml` spec
/// (falling back to `Compat.toml`), and `julia` compat. Compat entries naming no dependency are
/// ignored, as Pkg does.
fn dependencies_of(
    reg: &Registry,
    uuid: &Uuid,
    name: &str,
    v: &crate::registry::VersionInfo,
) -> Result<Vec<Dependency>> {
    let mut out = Vec::with_capacity(v.deps.len() + v.weak_deps.len() + 1);
    for (dep, uuid) in &v.deps {
        if v.weak_deps.contains_key(dep) {
            continue;
        }
        out.push(Dependency {
            uuid: *uuid,
            name: dep.clone(),
            spec: v.compat.get(dep).cloned().unwrap_or_default(),
            weak: false,
        });
    }
    for (dep, uuid) in &v.weak_deps {
        let spec = v.weak_compat.get(dep).or_else(|| v.compat.get(dep));
        out.push(Dependency {
            uuid: *uuid,
            name: dep.clone(),
            spec: spec.cloned().unwrap_or_default(),
            weak: true,
        });
    }
    if let Some(spec) = v.compat.get("julia") {
        out.push(Dependency {
            uuid: JULIA_UUID,
            name: "julia".to_string(),
            spec: spec.clone(),
            weak: false,
        });
    }
    if out.iter().any(|d| d.uuid == *uuid) {
        let file = match reg.packages.get(uuid) {
            Some(p) => reg.source.join(&p.path).join("Deps.toml"),
            None => reg.source.clone(),
        };
        return Err(Error::invalid(
            Location::file(file),
            format!(
                "Package {name} version {} has a dependency with itself",
                v.version
            ),
        ));
    }
    Ok(out)
}

impl PackageIndex for RegistryIndex {
    fn name(&self, uuid: &Uuid) -> Option<String> {
        self.registries
            .iter()
            .find_map(|r| r.packages.get(uuid))
            .map(|p| p.name.clone())
    }

    fn versions(&self, uuid: &Uuid) -> Result<Vec<VersionNumber>> {
        Ok(self.record(uuid)?.versions.clone())
    }

    fn dependencies(&self, uuid: &Uuid, version: &VersionNumber) -> Result<Vec<Dependency>> {
        self.record(uuid)?.dependencies(uuid, version)
    }

    fn is_yanked(&self, uuid: &Uuid, version: &VersionNumber) -> bool {
        self.record(uuid)
            .map(|r| r.yanked.binary_search(version).is_ok())
            .unwrap_or(false)
    }
}

/// A [`PackageIndex`] held in memory, built version by version.
#[derive(Clone, Debug, Default)]
pub struct MemoryIndex {
    packages: BTreeMap<Uuid, MemoryPackage>,
}

#[derive(Clone, Debug, Default)]
struct MemoryPackage {
    name: String,
    /// Every version with its dependencies and whether it is yanked.
    versions: BTreeMap<VersionNumber, (Vec<Dependency>, bool)>,
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> MemoryIndex {
        MemoryIndex::default()
    }

    /// Declares that `name` (`uuid`) has `version` (with no dependencies yet). Declaring a
    /// version again keeps its dependencies.
    pub fn add_version(&mut self, uuid: Uuid, name: &str, version: VersionNumber) -> &mut Self {
        let p = self.packages.entry(uuid).or_default();
        p.name = name.to_string();
        p.versions.entry(version).or_default();
        self
    }

    /// Adds a dependency to `uuid`'s `version`, declaring the version if needed (the package
    /// must have been named by [`MemoryIndex::add_version`] before, or it is named by its UUID).
    pub fn add_dependency(
        &mut self,
        uuid: Uuid,
        version: &VersionNumber,
        dependency: Dependency,
    ) -> &mut Self {
        let p = self.packages.entry(uuid).or_insert_with(|| MemoryPackage {
            name: uuid.to_string(),
            ..MemoryPackage::default()
        });
        p.versions
            .entry(version.clone())
            .or_default()
            .0
            .push(dependency);
        self
    }

    /// Marks a declared version as yanked (never chosen).
    pub fn yank(&mut self, uuid: &Uuid, version: &VersionNumber) -> &mut Self {
        if let Some(v) = self
            .packages
            .get_mut(uuid)
            .and_then(|p| p.versions.get_mut(version))
        {
            v.1 = true;
        }
        self
    }

    /// Every package, by UUID.
    pub fn packages(&self) -> impl Iterator<Item = (&Uuid, &str)> {
        self.packages.iter().map(|(u, p)| (u, p.name.as_str()))
    }

    fn package(&self, uuid: &Uuid) -> Result<&MemoryPackage> {
        self.packages.get(uuid).ok_or_else(|| unknown(uuid))
    }
}

impl PackageIndex for MemoryIndex {
    fn name(&self, uuid: &Uuid) -> Option<String> {
        self.packages.get(uuid).map(|p| p.name.clone())
    }

    fn versions(&self, uuid: &Uuid) -> Result<Vec<VersionNumber>> {
        Ok(self
            .package(uuid)?
            .versions
            .iter()
            .filter(|(_, (_, yanked))| !yanked)
            .map(|(v, _)| v.clone())
            .collect())
    }

    fn dependencies(&self, uuid: &Uuid, version: &VersionNumber) -> Result<Vec<Dependency>> {
        let p = self.package(uuid)?;
        match p.versions.get(version) {
            Some((deps, false)) => Ok(deps.clone()),
            _ => Err(Error::invalid(
                Location::file(format!("{} [{uuid}]", p.name)),
                format!("{} has no usable version {version}", p.name),
            )),
        }
    }

    fn is_yanked(&self, uuid: &Uuid, version: &VersionNumber) -> bool {
        self.packages
            .get(uuid)
            .and_then(|p| p.versions.get(version))
            .is_some_and(|(_, yanked)| *yanked)
    }
}
