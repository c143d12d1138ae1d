//! Pkg-compatible dependency resolution, built on the PubGrub algorithm (the `pubgrub` crate).
//!
//! A [`Request`] says what must hold: Julia's version, packages [fixed](FixedPackage) at one
//! version (baked into a system image, pinned, developed, or the project itself), requirements
//! (a package and the versions it may take: the package to add, Project `[compat]`), and the
//! versions to prefer (what the Manifest has now). [`resolve`] answers with every package to
//! install and its version ([`Solution`]), or with why that is impossible ([`Conflict`]: facts
//! a person can follow, and the fixed packages standing in the way). [`newest_fit`] answers
//! "what is the newest version of X that fits?", and [`never_installable`] lists the versions
//! that can never be part of any solution (Pkg's `sanity_check`).
//!
//! Packages come from a [`PackageIndex`]: [`RegistryIndex`] reads registries as Pkg does,
//! [`MemoryIndex`] holds a graph built in memory.
//!
//! ```
//! use julia_env::resolve::{
//!     resolve, Dependency, FixedPackage, MemoryIndex, Request, Resolution,
//! };
//! use julia_env::version::VersionNumber;
//! use julia_env::version_spec::VersionSpec;
//! # use julia_env::ids::Uuid;
//! # let (makie, observables) = (Uuid::from_u128(1), Uuid::from_u128(2));
//! let v = |s| VersionNumber::parse(s).unwrap();
//! let mut index = MemoryIndex::new();
//! index.add_version(observables, "Observables", v("0.4.0"));
//! index.add_version(observables, "Observables", v("0.5.0"));
//! index.add_version(makie, "Makie", v("0.21.0"));
//! index.add_dependency(makie, &v("0.21.0"), Dependency {
//!     uuid: observables,
//!     name: "Observables".into(),
//!     spec: VersionSpec::parse_range("0.5").unwrap(),
//!     weak: false,
//! });
//! // Can Makie be added to an image with Observables 0.4.0 baked in?
//! let request = Request {
//!     fixed: vec![FixedPackage::registered(observables, v("0.4.0"))],
//!     requirements: vec![(makie, VersionSpec::any())],
//!     ..Request::default()
//! };
//! let Resolution::Unsatisfiable(conflict) = resolve(&index, &request)? else { panic!() };
//! assert_eq!(conflict.blocked_by[0].to_string(), "Observables 0.4.0");
//! assert_eq!(
//!     conflict.to_string(),
//!     "every version of Makie depends on Observables 0.5\n\
//!      Makie is required\n\
//!      Observables is fixed at 0.4.0\n\
//!      blocked by: Observables 0.4.0\n"
//! );
//! # Ok::<(), julia_env::Error>(())
//! ```
//!
//! # Semantics, following Pkg (`src/Operations.jl`, `src/Resolve/`)
//! - Packages are identified by UUID; names are for display. Yanked versions are never chosen.
//! - Julia is a package fixed at [`Request::julia_version`]; each version's `julia` compat is a
//!   dependency on it. Without a Julia version, `julia` compat is ignored.
//! - The non-upgradable standard libraries of that Julia are packages with exactly one version
//!   (their own, or Julia's when they ship without one), never read from a registry. A
//!   dependency's compat on them applies as in Pkg up to 1.12; for Julia 1.13 and later, whose
//!   Pkg ignores an incompatible compat entry on a versioned non-upgradable stdlib, such an
//!   entry is dropped. Requirements on them are ignored ("unbound", as Pkg does). Their own
//!   dependencies are not modelled: they are other stdlibs, always present at their one version,
//!   so they can neither conflict nor change a registered package's version; a [`Solution`]
//!   therefore lists only the stdlibs some chosen package depends on directly. Upgradable
//!   stdlibs (`DelimitedFiles`, `Statistics` where Pkg says so) are ordinary registered packages.
//!   Without a Julia version, registered stdlibs are ordinary packages and dependencies on
//!   unregistered ones are always satisfied.
//! - A weak dependency's compat applies only when the weak dependency is installed, and weak
//!   dependencies are never installed because of it.
//!
//! # Where the answer can differ from Pkg's
//! Satisfiability is decided exactly, like Pkg (which only adds a time limit). When there are
//! several solutions, the chosen versions can differ: Pkg's MaxSum maximises a global objective
//! (the sum of the versions of the required packages, then of all others), while PubGrub
//! decides one package at a time and keeps the first solution it finds. The decisions here
//! follow Pkg's priorities as far as a greedy search can: packages with one candidate first,
//! then the required packages in request order, then the others; each takes its preferred
//! version if that is still possible, else its highest possible version. (So a first
//! requirement without a preferred version gets exactly the newest version that can be part of
//! any solution, which is what [`newest_fit`] relies on.) A greedy choice can miss Pkg's
//! optimum where taking a lower version of one package lets several others be higher; the
//! conformance test lists the known cases. Packages needed only weakly are decided last, as
//! not installed.
//!
//! Preferred versions are kept package by package, unless the decisions taken before rule them
//! out; the number of packages that move is not minimised globally. Pkg's `PRESERVE_TIERED`
//! instead tries all-or-nothing tiers (every Manifest version, then the direct dependencies',
//! then their semver ranges, then nothing); when a tier fails, Pkg re-resolves every freed
//! package to its highest version, where this resolver keeps what it can.

mod explain;
mod index;
mod provider;
mod set;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::{Error, Location, Result};
use crate::ids::Uuid;
use crate::version::VersionNumber;
use crate::version_spec::VersionSpec;

pub use index::{Dependency, MemoryIndex, PackageIndex, RegistryIndex};

use provider::{Kind, Node, Provider};

/// Julia's own UUID, as Pkg uses it for `julia` compat.
pub const JULIA_UUID: Uuid = Uuid::from_u128(0x1222c4b2_2114_5bfd_aeef_88e4692bbb3e);

/// A package fixed at one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedPackage {
    /// The package.
    pub uuid: Uuid,
    /// Its version.
    pub version: VersionNumber,
    /// `None`: the index's dependencies for this version (a registered package baked into an
    /// image or pinned; the version must be in the index and not yanked). `Some`: these
    /// dependencies instead, for a package the index does not describe (developed, tracking a
    /// repository, the project itself), as Pkg's `Fixed` with its Project.toml's `[deps]` and
    /// `[weakdeps]` under its `[compat]`.
    pub dependencies: Option<Vec<Dependency>>,
    /// The name to show when the index does not know the package.
    pub name: Option<String>,
}

impl FixedPackage {
    /// A registered package at `version`, with the index's dependencies.
    pub fn registered(uuid: Uuid, version: VersionNumber) -> FixedPackage {
        FixedPackage {
            uuid,
            version,
            dependencies: None,
            name: None,
        }
    }

    /// A package at `version` with the given dependencies.
    pub fn with_dependencies(
        uuid: Uuid,
        name: &str,
        version: VersionNumber,
        dependencies: Vec<Dependency>,
    ) -> FixedPackage {
        FixedPackage {
            uuid,
            version,
            dependencies: Some(dependencies),
            name: Some(name.to_string()),
        }
    }
}

/// What a resolve must satisfy, and what it should prefer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The Julia version to resolve for (`None`: ignore `julia` compat and treat registered
    /// standard libraries as ordinary packages).
    pub julia_version: Option<VersionNumber>,
    /// Packages that must be at exactly one version.
    pub fixed: Vec<FixedPackage>,
    /// Packages that must be installed, each within a spec. A package may appear more than
    /// once (the specs intersect). Earlier requirements are decided first, each at its
    /// preferred version if that still fits, else at its highest possible version.
    pub requirements: Vec<(Uuid, VersionSpec)>,
    /// Versions to keep when possible (a Manifest's). Other packages get their highest
    /// possible versions.
    pub preferred: BTreeMap<Uuid, VersionNumber>,
}

/// One package at one version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageVersion {
    /// The package's UUID.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: VersionNumber,
}

/// Every package a successful resolve installs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Solution {
    /// Each package with its version: the fixed packages, the required ones and everything
    /// they need (standard libraries included; Julia itself and packages needed only weakly
    /// excluded).
    pub packages: BTreeMap<Uuid, PackageVersion>,
}

impl Solution {
    /// The version chosen for `uuid`, if it is installed.
    pub fn version(&self, uuid: &Uuid) -> Option<&VersionNumber> {
        self.packages.get(uuid).map(|p| &p.version)
    }

    /// UUID → version.
    pub fn versions(&self) -> BTreeMap<Uuid, VersionNumber> {
        self.packages
            .iter()
            .map(|(u, p)| (*u, p.version.clone()))
            .collect()
    }
}

/// The outcome of [`resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A solution.
    Solved(Solution),
    /// There is none, and why.
    Unsatisfiable(Conflict),
}

/// Why a request cannot be satisfied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conflict {
    /// The facts that together rule out every solution, in the order the proof uses them.
    pub facts: Vec<Fact>,
    /// The fixed packages among those facts: changing (or unfixing) one of them is the only
    /// way out if the conflict involves nothing else the user controls.
    pub blocked_by: Vec<PackageVersion>,
}

/// A package, named.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageRef {
    /// Its UUID.
    pub uuid: Uuid,
    /// Its name (the UUID when nothing names it).
    pub name: String,
}

/// A set of known versions of one package, as maximal runs of consecutive versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionRuns {
    /// The runs, `(first, last)`, ascending.
    pub runs: Vec<(VersionNumber, VersionNumber)>,
    /// Whether the runs are every usable version of the package.
    pub every: bool,
    /// Whether "not installed" belongs to the set too (what a weak dependency allows).
    pub uninstalled: bool,
}

impl VersionRuns {
    /// Whether no version is in the set.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// One fact of a [`Conflict`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Julia is at this version.
    Julia {
        /// Julia's version.
        version: VersionNumber,
    },
    /// The request fixes a package at a version.
    Fixed {
        /// The package.
        package: PackageRef,
        /// Its version.
        version: VersionNumber,
    },
    /// A fixed version is not usable: yanked, or not in the index.
    Unavailable {
        /// The package.
        package: PackageRef,
        /// The version.
        version: VersionNumber,
        /// Whether it is yanked (else the index does not have it).
        yanked: bool,
    },
    /// The request requires a package within a spec.
    Required {
        /// The package.
        package: PackageRef,
        /// The spec.
        spec: VersionSpec,
        /// The versions in it.
        matching: VersionRuns,
    },
    /// Some versions of a package depend on another (weakly when `matching.uninstalled`).
    Depends {
        /// The dependent.
        package: PackageRef,
        /// Its versions concerned.
        versions: VersionRuns,
        /// The dependency.
        dependency: PackageRef,
        /// The compat spec as written in the registry, when known.
        spec: Option<VersionSpec>,
        /// The dependency's versions it allows.
        matching: VersionRuns,
    },
    /// Some versions of a package require a Julia version.
    NeedsJulia {
        /// The package.
        package: PackageRef,
        /// Its versions concerned.
        versions: VersionRuns,
        /// Their `julia` compat, when known.
        spec: Option<VersionSpec>,
    },
    /// A package is a standard library of the requested Julia, at one version.
    Stdlib {
        /// The standard library.
        package: PackageRef,
        /// Its only version.
        version: VersionNumber,
    },
    /// No registry (and nothing in the request) knows a package.
    UnknownPackage {
        /// The package (named as its dependents name it).
        package: PackageRef,
    },
    /// A package has no version left within a set.
    NoVersions {
        /// The package.
        package: PackageRef,
        /// The set.
        within: VersionRuns,
    },
}

/// Resolves `request` against `index`.
///
/// Errors (never panics) when a fixed or required package is unknown to the index (and is
/// neither Julia nor a standard library of the requested Julia), when a required package has
/// no usable version, when the request's Julia version has no standard-library table, and when
/// the index's data is malformed; an unknown package met as a dependency only makes the
/// versions needing it unusable.
pub fn resolve<I: PackageIndex + ?Sized>(index: &I, request: &Request) -> Result<Resolution> {
    let provider = Provider::new(index, request)?;
    check_request(&provider)?;
    match pubgrub::resolve(&provider, Node::Root, 0u32) {
        Ok(chosen) => {
            let mut packages = BTreeMap::new();
            for (node, i) in chosen {
                let Node::Package(uuid) = node else { continue };
                let u = provider.universe(&uuid)?;
                if u.kind == Kind::Julia {
                    continue;
                }
                if let Some(v) = u.version(i) {
                    packages.insert(
                        uuid,
                        PackageVersion {
                            uuid,
                            name: u.name.clone(),
                            version: v.clone(),
                        },
                    );
                }
            }
            Ok(Resolution::Solved(Solution { packages }))
        }
        Err(pubgrub::PubGrubError::NoSolution(tree)) => {
            Ok(Resolution::Unsatisfiable(provider.explain(&tree)))
        }
        Err(pubgrub::PubGrubError::ErrorRetrievingDependencies { source, .. })
        | Err(pubgrub::PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(pubgrub::PubGrubError::ErrorInShouldCancel(source)) => Err(source),
    }
}

/// Every fixed and required package must be known, and a required one must have versions.
fn check_request<I: PackageIndex + ?Sized>(p: &Provider<'_, I>) -> Result<()> {
    let fixed = p.request.fixed.iter().map(|f| (&f.uuid, true));
    let required = p.request.requirements.iter().map(|(u, _)| (u, false));
    for (uuid, is_fixed) in fixed.chain(required) {
        if p.always_there(uuid) {
            continue;
        }
        let u = p.universe(uuid)?;
        let problem = match u.kind {
            Kind::Unknown => Some("is not in any registry"),
            Kind::Registered if u.versions.is_empty() && !is_fixed => {
                Some("has no usable (unyanked) version")
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Error::invalid(
                Location::file("<resolve request>"),
                format!("package {} [{uuid}] {problem}", u.name),
            ));
        }
    }
    Ok(())
}

/// The outcome of [`newest_fit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fit {
    /// The newest version that fits, with a solution installing it.
    Newest {
        /// The version.
        version: VersionNumber,
        /// A solution with it.
        solution: Solution,
    },
    /// No version fits, and why.
    None(Conflict),
}

/// The newest version of `uuid` within `spec` that can be installed together with everything
/// `request` asks for, with a solution that installs it.
///
/// Errors as [`resolve`] does, and for an unregistered standard library when the request has
/// no Julia version (it has no version to choose then).
///
/// One resolve: the package is put first among the requirements, without a preferred version.
/// PubGrub decides it before anything that is not forced and takes its highest candidate;
/// a candidate is only ever removed by an incompatibility derived from the request itself, so
/// the version it ends with is the highest that belongs to some solution. (The conformance
/// tests check this against trying each version in turn.)
pub fn newest_fit<I: PackageIndex + ?Sized>(
    index: &I,
    request: &Request,
    uuid: &Uuid,
    spec: &VersionSpec,
) -> Result<Fit> {
    let mut r = request.clone();
    r.requirements.insert(0, (*uuid, spec.clone()));
    r.preferred.remove(uuid);
    Ok(match resolve(index, &r)? {
        Resolution::Solved(solution) => match solution.version(uuid) {
            Some(v) => Fit::Newest {
                version: v.clone(),
                solution,
            },
            // Only for an unregistered stdlib without a Julia version: always there, with no
            // version to choose.
            None => {
                return Err(Error::invalid(
                    Location::file("<resolve request>"),
                    format!(
                        "{} is a standard library: without a Julia version it has no version",
                        crate::stdlib::stdlib_name(uuid).unwrap_or("the package")
                    ),
                ))
            }
        },
        Resolution::Unsatisfiable(c) => Fit::None(c),
    })
}

/// The versions of `roots` and of everything they can strongly depend on that can never be
/// installed, whatever else is chosen (Pkg's `Resolve.sanity_check`), with Julia at
/// `julia_version`. Each version is tried alone, fixed, with nothing else required; versions
/// met in a solution found along the way need no try of their own.
pub fn never_installable<I: PackageIndex + ?Sized>(
    index: &I,
    julia_version: Option<&VersionNumber>,
    roots: &[Uuid],
) -> Result<Vec<PackageVersion>> {
    // Pkg's `disable_unreachable!`: follow the dependencies some version has strongly.
    let mut reach: BTreeSet<Uuid> = BTreeSet::new();
    let mut todo: Vec<Uuid> = roots.to_vec();
    let probe = Request {
        julia_version: julia_version.cloned(),
        ..Request::default()
    };
    let p = Provider::new(index, &probe)?;
    while let Some(u) = todo.pop() {
        if u == JULIA_UUID || !reach.insert(u) {
            continue;
        }
        let universe = p.universe(&u)?;
        if universe.kind != Kind::Registered {
            continue;
        }
        for v in &universe.versions {
            for d in index.dependencies(&u, v)? {
                if !d.weak && !reach.contains(&d.uuid) {
                    todo.push(d.uuid);
                }
            }
        }
    }
    let mut ok: BTreeSet<(Uuid, VersionNumber)> = BTreeSet::new();
    let mut problematic = Vec::new();
    for u in &reach {
        let universe = p.universe(u)?;
        if universe.kind != Kind::Registered {
            continue;
        }
        for v in &universe.versions {
            if ok.contains(&(*u, v.clone())) {
                continue;
            }
            let request = Request {
                julia_version: julia_version.cloned(),
                fixed: vec![FixedPackage::registered(*u, v.clone())],
                ..Request::default()
            };
            match resolve(index, &request)? {
                Resolution::Solved(s) => {
                    ok.extend(s.packages.into_values().map(|p| (p.uuid, p.version)));
                }
                Resolution::Unsatisfiable(_) => problematic.push(PackageVersion {
                    uuid: *u,
                    name: universe.name.clone(),
                    version: v.clone(),
                }),
            }
        }
    }
    problematic.sort();
    Ok(problematic)
}

impl fmt::Display for PackageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for PackageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

impl fmt::Display for VersionRuns {
    /// `0.21.0 - 0.21.3, 0.22.1`, `no version`; `or not installed` when that is allowed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.runs.is_empty() {
            f.write_str(if self.uninstalled {
                "not installed"
            } else {
                "no version"
            })?;
            return Ok(());
        }
        for (i, (a, b)) in self.runs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a} - {b}")?;
            }
        }
        if self.uninstalled {
            f.write_str(" or not installed")?;
        }
        Ok(())
    }
}

/// `Makie 0.21.0 - 0.21.3` or `every version of Makie`.
struct Subject<'a>(&'a PackageRef, &'a VersionRuns);

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1.every {
            write!(f, "every version of {}", self.0)
        } else {
            write!(f, "{} {}", self.0, self.1)
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Julia { version } => write!(f, "julia is {version}"),
            Fact::Fixed { package, version } => write!(f, "{package} is fixed at {version}"),
            Fact::Unavailable {
                package,
                version,
                yanked,
            } => {
                let why = if *yanked {
                    "is yanked"
                } else {
                    "is not in the registry"
                };
                write!(f, "{package} {version} {why}")
            }
            Fact::Required {
                package,
                spec,
                matching,
            } => {
                if spec.is_any() {
                    write!(f, "{package} is required")?;
                } else {
                    write!(f, "{package} {spec} is required")?;
                }
                if matching.is_empty() {
                    write!(f, ", but no available version of {package} matches")?;
                }
                Ok(())
            }
            Fact::Depends {
                package,
                versions,
                dependency,
                spec,
                matching,
            } => {
                let subject = Subject(package, versions);
                let allowed = match spec {
                    Some(s) if !s.is_any() => format!("{dependency} {s}"),
                    Some(_) => dependency.to_string(),
                    None => format!("{dependency} {matching}"),
                };
                if matching.uninstalled {
                    write!(
                        f,
                        "{subject} is compatible only with {allowed}, if installed"
                    )?;
                } else {
                    write!(f, "{subject} depends on {allowed}")?;
                }
                if matching.is_empty() && !matching.uninstalled {
                    write!(f, ", which no available version of {dependency} matches")?;
                }
                Ok(())
            }
            Fact::NeedsJulia {
                package,
                versions,
                spec,
            } => {
                let subject = Subject(package, versions);
                match spec {
                    Some(s) => write!(f, "{subject} requires julia {s}"),
                    None => write!(f, "{subject} requires another julia"),
                }
            }
            Fact::Stdlib { package, version } => {
                write!(f, "{package} is a standard library, at {version}")
            }
            Fact::UnknownPackage { package } => {
                write!(f, "{package} [{}] is not in any registry", package.uuid)
            }
            Fact::NoVersions { package, within } => {
                if within.is_empty() {
                    write!(f, "no version of {package} is left")
                } else {
                    write!(f, "no version of {package} among {within} fits")
                }
            }
        }
    }
}

impl fmt::Display for Conflict {
    /// One fact per line, then the fixed packages in the way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for fact in &self.facts {
            writeln!(f, "{fact}")?;
        }
        if !self.blocked_by.is_empty() {
            let names: Vec<String> = self.blocked_by.iter().map(|p| p.to_string()).collect();
            writeln!(f, "blocked by: {}", names.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
