//! A [`Request`] as a pubgrub problem.
//!
//! Nodes: a root (the request), one node per fixed package and per requirement (so that an
//! explanation can say which of them takes part in a conflict), and one node per package
//! (registered package, standard library, Julia itself, or a fixed package with dependencies
//! of its own). A package node's versions are indices: `0` is "not installed", `1..=n` its
//! usable versions in ascending order (see [`IndexSet`]). A strong dependency allows a set of
//! indices `>= 1`, a weak one also allows `0`, so a package needed only weakly is never
//! installed: [`Provider::choose_version`] takes `0` whenever it is allowed, and such packages
//! are decided last, when nothing undecided can require them any more.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
    VersionSet as _,
};

use crate::error::{Error, Location, Result};
use crate::ids::Uuid;
use crate::stdlib::{self, StdlibSet};
use crate::version::VersionNumber;
use crate::version_spec::VersionSpec;

use super::set::IndexSet;
use super::{Dependency, PackageIndex, Request, JULIA_UUID};

/// A node of the pubgrub problem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// The request itself.
    Root,
    /// `Request::fixed[i]`.
    Fixed(u32),
    /// `Request::requirements[i]`.
    Requirement(u32),
    /// A package (Julia included).
    Package(Uuid),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Root => f.write_str("the request"),
            Node::Fixed(i) => write!(f, "fixed package #{i}"),
            Node::Requirement(i) => write!(f, "requirement #{i}"),
            Node::Package(u) => write!(f, "{u}"),
        }
    }
}

/// Why a fixed package's version cannot be used (pubgrub's custom incompatibility).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// The version is registered but yanked.
    Yanked,
    /// The index does not have the version.
    Missing,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unavailable::Yanked => "yanked",
            Unavailable::Missing => "not in the registry",
        })
    }
}

/// What a package node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A package of the index.
    Registered,
    /// A fixed package whose dependencies the request gives.
    Given(usize),
    /// A non-upgradable standard library of the requested Julia (`versioned`: whether it ships
    /// with a version of its own, rather than taking Julia's).
    Stdlib { versioned: bool },
    /// Julia itself.
    Julia,
    /// A package nobody knows: no versions.
    Unknown,
}

/// A package node's versions.
#[derive(Debug)]
pub(crate) struct Universe {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// The usable versions; index `i` (1-based) is `versions[i - 1]`.
    pub(crate) versions: Vec<VersionNumber>,
}

impl Universe {
    pub(crate) fn n(&self) -> u32 {
        self.versions.len() as u32
    }

    /// The index of exactly `v`.
    pub(crate) fn index_of(&self, v: &VersionNumber) -> Option<u32> {
        self.versions
            .iter()
            .position(|x| x == v)
            .map(|i| i as u32 + 1)
    }

    /// The version at index `i` (`None` for 0, "not installed").
    pub(crate) fn version(&self, i: u32) -> Option<&VersionNumber> {
        i.checked_sub(1).and_then(|i| self.versions.get(i as usize))
    }
}

/// The pubgrub [`DependencyProvider`] of one resolve.
pub(crate) struct Provider<'a, I: PackageIndex + ?Sized> {
    pub(crate) index: &'a I,
    pub(crate) request: &'a Request,
    stdlibs: Option<&'static StdlibSet>,
    /// Julia 1.13's Pkg drops a dependency on a versioned, non-upgradable stdlib whose compat
    /// excludes the bundled version ("Ignoring incompatible stdlib compat entry"); earlier
    /// versions apply the compat.
    drop_incompatible_stdlib_compat: bool,
    /// Package UUID → index of its entry in `request.fixed` when the request gives its
    /// dependencies.
    given: HashMap<Uuid, usize>,
    /// Required packages → rank (the first requirement ranks highest).
    required: HashMap<Uuid, u32>,
    universes: RefCell<HashMap<Uuid, Rc<Universe>>>,
    /// Spec → index set, per package.
    sets: RefCell<HashMap<(Uuid, VersionSpec), IndexSet>>,
    /// The spec each dependency was written with, by (dependent, its version index,
    /// dependency), for explanations; pubgrub merges the versions of a dependent whose
    /// dependency allows the same set, even when they spell it differently.
    pub(crate) written: RefCell<HashMap<(Uuid, u32, Uuid), VersionSpec>>,
    /// Names used by dependents, for packages the index does not know.
    names: RefCell<HashMap<Uuid, String>>,
}

impl<'a, I: PackageIndex + ?Sized> Provider<'a, I> {
    pub(crate) fn new(index: &'a I, request: &'a Request) -> Result<Provider<'a, I>> {
        let stdlibs = match &request.julia_version {
            None => None,
            Some(v) => Some(stdlib::stdlibs_for(v).ok_or_else(|| {
                Error::invalid(
                    Location::file("<resolve request>"),
                    format!("no standard-library table for Julia {v} (known: 1.5 and later)"),
                )
            })?),
        };
        let drop_incompatible_stdlib_compat = request
            .julia_version
            .as_ref()
            .is_some_and(|v| v.triple() >= (1, 13, 0));
        let given = request
            .fixed
            .iter()
            .enumerate()
            .filter(|(_, f)| f.dependencies.is_some())
            .map(|(i, f)| (f.uuid, i))
            .collect();
        let mut required = HashMap::new();
        for (rank, (u, _)) in request.requirements.iter().enumerate() {
            required.entry(*u).or_insert(rank as u32);
        }
        Ok(Provider {
            index,
            request,
            stdlibs,
            drop_incompatible_stdlib_compat,
            given,
            required,
            universes: RefCell::new(HashMap::new()),
            sets: RefCell::new(HashMap::new()),
            written: RefCell::new(HashMap::new()),
            names: RefCell::new(HashMap::new()),
        })
    }

    /// Whether `uuid` is a non-upgradable standard library of the requested Julia.
    pub(crate) fn is_stdlib(&self, uuid: &Uuid) -> bool {
        match (self.stdlibs, &self.request.julia_version) {
            (Some(set), Some(julia)) => match set.get(uuid) {
                Some(s) => !stdlib::upgradable_stdlibs(julia).contains(&s.name),
                None => false,
            },
            _ => false,
        }
    }

    /// Whether `uuid` needs no resolving because it is always there: without a Julia version,
    /// a standard library no registry has (Pkg's `UNREGISTERED_STDLIBS` for
    /// `julia_version = nothing`).
    pub(crate) fn always_there(&self, uuid: &Uuid) -> bool {
        self.request.julia_version.is_none()
            && stdlib::is_known_stdlib(uuid)
            && self.index.name(uuid).is_none()
    }

    /// A package's versions, loaded on first use.
    pub(crate) fn universe(&self, uuid: &Uuid) -> Result<Rc<Universe>> {
        if let Some(u) = self.universes.borrow().get(uuid) {
            return Ok(u.clone());
        }
        let u = Rc::new(self.load_universe(uuid)?);
        self.universes.borrow_mut().insert(*uuid, u.clone());
        Ok(u)
    }

    fn load_universe(&self, uuid: &Uuid) -> Result<Universe> {
        if let Some(&i) = self.given.get(uuid) {
            let f = &self.request.fixed[i];
            return Ok(Universe {
                kind: Kind::Given(i),
                name: f.name.clone().unwrap_or_else(|| self.name(uuid)),
                versions: vec![f.version.clone()],
            });
        }
        if *uuid == JULIA_UUID {
            return Ok(Universe {
                kind: Kind::Julia,
                name: "julia".into(),
                versions: self.request.julia_version.iter().cloned().collect(),
            });
        }
        if self.is_stdlib(uuid) {
            if let (Some(set), Some(julia)) = (self.stdlibs, &self.request.julia_version) {
                if let Some(s) = set.get(uuid) {
                    return Ok(Universe {
                        kind: Kind::Stdlib {
                            versioned: s.version.is_some(),
                        },
                        name: s.name.to_string(),
                        versions: vec![s.version.clone().unwrap_or_else(|| julia.clone())],
                    });
                }
            }
        }
        match self.index.name(uuid) {
            Some(name) => Ok(Universe {
                kind: Kind::Registered,
                name,
                versions: self.index.versions(uuid)?,
            }),
            None => Ok(Universe {
                kind: Kind::Unknown,
                name: self.name(uuid),
                versions: Vec::new(),
            }),
        }
    }

    /// The best name known for `uuid`.
    pub(crate) fn name(&self, uuid: &Uuid) -> String {
        if let Some(u) = self.universes.borrow().get(uuid) {
            return u.name.clone();
        }
        if *uuid == JULIA_UUID {
            return "julia".into();
        }
        if let Some(f) = self.request.fixed.iter().find(|f| f.uuid == *uuid) {
            if let Some(n) = &f.name {
                return n.clone();
            }
        }
        if let Some(n) = self.index.name(uuid) {
            return n;
        }
        if let Some(n) = stdlib::stdlib_name(uuid) {
            return n.to_string();
        }
        if let Some(n) = self.names.borrow().get(uuid) {
            return n.clone();
        }
        uuid.to_string()
    }

    /// The indices of `uuid`'s versions in `spec`.
    pub(crate) fn spec_set(&self, uuid: &Uuid, u: &Universe, spec: &VersionSpec) -> IndexSet {
        let key = (*uuid, spec.clone());
        if let Some(s) = self.sets.borrow().get(&key) {
            return s.clone();
        }
        let set = IndexSet::of(
            u.versions
                .iter()
                .enumerate()
                .filter(|(_, v)| spec.contains(v))
                .map(|(i, _)| i as u32 + 1),
        );
        self.sets.borrow_mut().insert(key, set.clone());
        set
    }

    /// The pubgrub constraints of a list of dependencies.
    fn constraints(
        &self,
        owner: &Uuid,
        index: u32,
        deps: &[Dependency],
    ) -> Result<DependencyConstraints<Node, IndexSet>> {
        let mut out: Vec<(Node, IndexSet)> = Vec::with_capacity(deps.len());
        for d in deps {
            if *owner == d.uuid {
                return Err(Error::invalid(
                    Location::file(self.name(&d.uuid)),
                    format!("Package {} has a dependency with itself", d.name),
                ));
            }
            if self.request.julia_version.is_none() && d.uuid == JULIA_UUID {
                // Without a Julia version there is no Julia to check.
                continue;
            }
            if self.always_there(&d.uuid) {
                continue;
            }
            self.names
                .borrow_mut()
                .entry(d.uuid)
                .or_insert_with(|| d.name.clone());
            let u = self.universe(&d.uuid)?;
            if let Kind::Stdlib { versioned: true } = u.kind {
                if self.drop_incompatible_stdlib_compat && !d.spec.contains(&u.versions[0]) {
                    continue;
                }
            }
            let mut set = self.spec_set(&d.uuid, &u, &d.spec);
            if d.weak {
                set = set.union(&IndexSet::of([0]));
            }
            self.written
                .borrow_mut()
                .insert((*owner, index, d.uuid), d.spec.clone());
            let node = Node::Package(d.uuid);
            match out.iter_mut().find(|(n, _)| *n == node) {
                // Pkg intersects two entries for one dependency.
                Some((_, existing)) => *existing = existing.intersection(&set),
                None => out.push((node, set)),
            }
        }
        Ok(out.into_iter().collect())
    }
}

impl<I: PackageIndex + ?Sized> DependencyProvider for Provider<'_, I> {
    type P = Node;
    type V = u32;
    type VS = IndexSet;
    type M = Unavailable;
    type Err = Error;
    /// (class, rank within the class, fewer candidates first). Classes, highest first:
    /// 5 the request's own nodes; 4 packages with one candidate left; 3 required packages,
    /// in request order; 2 any other package needed; 0 packages needed only weakly.
    type Priority = (u8, u32, Reverse<u32>);

    fn prioritize(
        &self,
        package: &Node,
        range: &IndexSet,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let uuid = match package {
            Node::Package(u) => u,
            _ => return (5, 0, Reverse(0)),
        };
        if range.contains(&0) {
            return (0, 0, Reverse(0));
        }
        let Ok(u) = self.universe(uuid) else {
            // The error comes back from `get_dependencies`; decide the package early.
            return (5, 0, Reverse(0));
        };
        let candidates = range.members(u.n()).count() as u32;
        if candidates <= 1 {
            return (4, 0, Reverse(candidates));
        }
        if let Some(rank) = self.required.get(uuid) {
            return (3, u32::MAX - rank, Reverse(candidates));
        }
        (2, stats.conflict_count(), Reverse(candidates))
    }

    fn choose_version(&self, package: &Node, range: &IndexSet) -> Result<Option<u32>> {
        let uuid = match package {
            Node::Package(u) => u,
            _ => return Ok(range.contains(&0).then_some(0)),
        };
        if range.contains(&0) {
            return Ok(Some(0));
        }
        let u = self.universe(uuid)?;
        if let Some(i) = self.request.preferred.get(uuid).and_then(|p| u.index_of(p)) {
            if range.contains(&i) {
                return Ok(Some(i));
            }
        }
        Ok((1..=u.n()).rev().find(|i| range.contains(i)))
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &u32,
    ) -> Result<Dependencies<Node, IndexSet, Unavailable>> {
        let req = self.request;
        let single = |uuid: &Uuid, set: IndexSet| {
            Dependencies::Available([(Node::Package(*uuid), set)].into_iter().collect())
        };
        match package {
            Node::Root => {
                let mut m: Vec<(Node, IndexSet)> = Vec::new();
                if req.julia_version.is_some() {
                    m.push((Node::Package(JULIA_UUID), IndexSet::of([1])));
                }
                for i in 0..req.fixed.len() {
                    m.push((Node::Fixed(i as u32), IndexSet::of([0])));
                }
                for i in 0..req.requirements.len() {
                    m.push((Node::Requirement(i as u32), IndexSet::of([0])));
                }
                Ok(Dependencies::Available(m.into_iter().collect()))
            }
            Node::Fixed(i) => {
                let f = &req.fixed[*i as usize];
                if f.dependencies.is_none() && self.always_there(&f.uuid) {
                    return Ok(Dependencies::Available(Default::default()));
                }
                let u = self.universe(&f.uuid)?;
                match u.index_of(&f.version) {
                    Some(idx) => Ok(single(&f.uuid, IndexSet::of([idx]))),
                    None if self.index.is_yanked(&f.uuid, &f.version) => {
                        Ok(Dependencies::Unavailable(Unavailable::Yanked))
                    }
                    None => Ok(Dependencies::Unavailable(Unavailable::Missing)),
                }
            }
            Node::Requirement(i) => {
                let (uuid, spec) = &req.requirements[*i as usize];
                if self.always_there(uuid) {
                    return Ok(Dependencies::Available(Default::default()));
                }
                let u = self.universe(uuid)?;
                // Pkg lets a standard library's version float ("unbind_stdlibs"): it has
                // exactly one version anyway.
                let set = if matches!(u.kind, Kind::Stdlib { .. }) {
                    IndexSet::of([1])
                } else {
                    self.spec_set(uuid, &u, spec)
                };
                Ok(single(uuid, set))
            }
            Node::Package(uuid) => {
                if *version == 0 {
                    return Ok(Dependencies::Available(Default::default()));
                }
                let u = self.universe(uuid)?;
                let deps = match u.kind {
                    Kind::Registered => {
                        let Some(v) = u.version(*version) else {
                            return Ok(Dependencies::Available(Default::default()));
                        };
                        self.index.dependencies(uuid, v)?
                    }
                    Kind::Given(i) => req.fixed[i].dependencies.clone().unwrap_or_default(),
                    Kind::Stdlib { .. } | Kind::Julia | Kind::Unknown => Vec::new(),
                };
                Ok(Dependencies::Available(
                    self.constraints(uuid, *version, &deps)?,
                ))
            }
        }
    }
}
