//! The image plan: for every package of an environment, whether the image bakes it, in which
//! role, and why — under the app, pinned or dev policy.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use julia_env::environment::Environment;
use julia_env::graph::{Direction, PackageGraph, PathSummary, Reached};
use julia_env::ids::Uuid;
use julia_env::manifest::{Manifest, ManifestEntry, Tracking};
use julia_env::version::VersionNumber;
use sha2::{Digest, Sha256};

use crate::model::spec::{ImageSpec, PinnedRule, Policy};

/// A package's part in the image.
///
/// Under the dev policy a baked package is one of three kinds (see [`plan_explaining`] for
/// the exact rule): [`Role::Public`] (users call it), [`Role::Shared`] (code outside the image
/// meets it, so it keeps its real UUID) and [`Role::SideLoaded`] (only baked packages reach
/// it; it gets a derived UUID). [`Role::Internal`] is a baked package that is neither public
/// nor shared and keeps its real UUID: every non-root of the app and pinned policies, and
/// under the dev policy a standard library or any package when `sideload` is off.
///
/// The order matters: every role up to [`Role::SideLoaded`] is baked ([`Role::is_baked`]).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Baked, and what users call: a root (app), a pinned direct dependency (pinned), or a
    /// `public` package (dev).
    Public,
    /// (dev) Baked under its real UUID because code outside the image meets it: a direct
    /// dependency of the project, a dependency of a package the image leaves out, or a weak
    /// dependency (extension trigger) of a baked package.
    Shared,
    /// Baked because a public package needs it, under its real UUID.
    Internal,
    /// (dev with `sideload`) Baked under a derived UUID: reachable only through baked
    /// packages, so no code outside the image can load the image's copy by its real UUID.
    SideLoaded,
    /// Named in `exclude`.
    Excluded,
    /// Not in the image.
    NotBaked,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Public => "public",
            Role::Shared => "shared",
            Role::Internal => "internal",
            Role::SideLoaded => "side-loaded",
            Role::Excluded => "excluded",
            Role::NotBaked => "not baked",
        })
    }
}

impl Role {
    /// Whether a package in this role is in the image.
    pub fn is_baked(self) -> bool {
        self <= Role::SideLoaded
    }
}

/// One manifest package in a plan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlannedPackage {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its version, if it has one.
    pub version: Option<String>,
    /// Its tree hash (registered and repo-tracked packages).
    pub tree_hash: Option<String>,
    /// Whether the image holds it.
    pub baked: bool,
    /// Its role.
    pub role: Role,
    /// Why, in words.
    pub reason: String,
    /// The dependency path that explains the reason (names, from a root or to an offending
    /// package); empty when the reason needs none. A path longer than 16 keeps its first and
    /// last 8 names with `…` between them (`sysimg why` prints it whole). `dependency_path` in JSON: `path` means a
    /// file system path in every command's JSON.
    #[serde(rename = "dependency_path")]
    pub path: Vec<String>,
    /// The UUID it is side-loaded under (dev policy with `sideload`; `null` otherwise).
    pub sideload_uuid: Option<Uuid>,
    /// A standard library.
    pub stdlib: bool,
    /// How the manifest tracks it.
    pub tracking: Tracking,
    /// Whether the manifest pins it.
    pub pinned: bool,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The environment has no manifest.
    #[error("{0}: no manifest; instantiate the environment first")]
    NoManifest(String),
    /// The manifest's format is unknown to Pkg.
    #[error("{0}: unknown manifest format {1}; sysimg does not build from it")]
    UnknownFormat(String, String),
    /// The manifest is inconsistent (Pkg would refuse it).
    #[error("{0}")]
    InvalidManifest(String),
    /// The spec names a package the manifest does not have.
    #[error("`{name}` in `{key}` is not a package of this environment")]
    UnknownPackage {
        /// The name.
        name: String,
        /// The spec key (`packages`, `public`).
        key: &'static str,
    },
}

/// The plan of an image for an environment.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Plan {
    /// The policy.
    pub policy: Policy,
    /// The pinned rule, for the pinned policy (`null` otherwise).
    pub pinned_rule: Option<PinnedRule>,
    /// Every manifest package, by name.
    pub packages: Vec<PlannedPackage>,
    /// Extensions that load with the baked packages: `(package, extension)`.
    pub extensions: Vec<(String, String)>,
    /// Things worth telling the user (e.g. an `exclude` naming no package).
    pub warnings: Vec<String>,
}

impl Plan {
    /// The baked packages.
    pub fn baked(&self) -> impl Iterator<Item = &PlannedPackage> {
        self.packages.iter().filter(|p| p.baked)
    }

    /// The UUIDs of the baked packages.
    pub fn baked_uuids(&self) -> BTreeSet<Uuid> {
        self.baked().map(|p| p.uuid).collect()
    }

    /// The packages named `name`.
    pub fn by_name<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a PlannedPackage> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
    }

    /// Checks the plan's invariants against the manifest: the baked set is closed under
    /// dependencies, and no baked package reaches an excluded one (or, under the pinned
    /// policy, an unpinned direct dependency). Returns what is violated.
    pub fn violations(&self, manifest: &Manifest) -> Vec<String> {
        let g = PackageGraph::new(manifest);
        let baked = self.baked_uuids();
        let mut out = Vec::new();
        for u in &baked {
            for d in g.deps_of(u) {
                if !baked.contains(&d) {
                    out.push(format!(
                        "{} is baked but its dependency {} is not",
                        name_of(&g, u),
                        name_of(&g, &d)
                    ));
                }
            }
        }
        let forbidden: BTreeSet<Uuid> = self
            .packages
            .iter()
            .filter(|p| {
                p.role == Role::Excluded
                    || (self.pinned_rule == Some(PinnedRule::Strict)
                        && (p.reason.starts_with("unpinned")
                            || p.reason.starts_with("needed by unpinned")))
            })
            .map(|p| p.uuid)
            .collect();
        let reaching = g.reverse_closure(forbidden.iter().copied());
        for u in baked.intersection(&reaching) {
            out.push(format!(
                "{} is baked but reaches an excluded or unpinned package",
                name_of(&g, u)
            ));
        }
        // A side-loaded package is one no code outside the image can load by its real UUID.
        for p in self.packages.iter().filter(|p| p.role == Role::SideLoaded) {
            let outside = g
                .dependents_of(&p.uuid)
                .into_iter()
                .find(|d| !baked.contains(d));
            if let Some(x) = outside {
                out.push(format!(
                    "{} is side-loaded but {}, which is not baked, depends on it",
                    p.name,
                    name_of(&g, &x)
                ));
            }
        }
        out
    }
}

fn name_of(g: &PackageGraph<'_>, u: &Uuid) -> String {
    g.entry(u).map_or_else(|| u.to_string(), |e| e.name.clone())
}

fn is_stdlib(e: &ManifestEntry) -> bool {
    e.tracking() == Tracking::Stdlib && julia_env::stdlib::is_known_stdlib(&e.uuid)
}

/// A standard library no package update can move: a stdlib entry that is not upgradable in
/// the manifest's Julia (before 1.9, and in format-1.0 manifests that name no Julia, none is).
fn is_fixed(e: &ManifestEntry, julia: Option<&VersionNumber>) -> bool {
    is_stdlib(e)
        && !julia
            .is_some_and(|v| julia_env::stdlib::upgradable_stdlibs(v).contains(&e.name.as_str()))
}

/// Resolves package names from the spec to UUIDs (a name may have several entries).
fn resolve_names(
    manifest: &Manifest,
    names: &[String],
    key: &'static str,
) -> Result<BTreeSet<Uuid>, PlanError> {
    let mut out = BTreeSet::new();
    for name in names {
        let found: Vec<Uuid> = manifest.by_name(name).map(|e| e.uuid).collect();
        if found.is_empty() {
            return Err(PlanError::UnknownPackage {
                name: name.clone(),
                key,
            });
        }
        out.extend(found);
    }
    Ok(out)
}

/// Makes the plan of `env` under `spec`.
pub fn make_plan(env: &Environment, spec: &ImageSpec) -> Result<Plan, PlanError> {
    plan_explaining(env, spec, None)
}

/// Makes the plan of `env` under `spec`, keeping the whole dependency path of the packages
/// named `explain` (other packages' long paths are summarised; see
/// [`PlannedPackage::path`]).
pub fn plan_explaining(
    env: &Environment,
    spec: &ImageSpec,
    explain: Option<&str>,
) -> Result<Plan, PlanError> {
    let manifest = env
        .manifest
        .as_ref()
        .ok_or_else(|| PlanError::NoManifest(env.manifest_file.display().to_string()))?;
    if !manifest.format_is_known() {
        return Err(PlanError::UnknownFormat(
            env.manifest_file.display().to_string(),
            manifest.format.to_string(),
        ));
    }
    if let Some(p) = env.manifest_problems.first() {
        return Err(PlanError::InvalidManifest(format!(
            "{}: {}",
            p.location, p.message
        )));
    }
    let g = PackageGraph::new(manifest);
    let mut warnings = spec.ignored_by_policy();
    let mut excluded = BTreeSet::new();
    for name in &spec.exclude {
        let found: Vec<Uuid> = manifest.by_name(name).map(|e| e.uuid).collect();
        if found.is_empty() {
            warnings.push(format!(
                "`{name}` in `exclude` is not a package of this environment"
            ));
        }
        excluded.extend(found);
    }
    // A package that needs an excluded one cannot be baked without baking it too.
    let blocked = g.walk_from(
        excluded.iter().copied(),
        Direction::Dependents,
        &BTreeSet::new(),
    );
    let direct: BTreeSet<Uuid> = env
        .project
        .deps
        .values()
        .copied()
        .filter(|u| g.contains(u))
        .collect();
    let roots = match &spec.packages {
        Some(names) => resolve_names(manifest, names, "packages")?,
        None => direct.clone(),
    };
    let mut builder = Builder {
        g: &g,
        decided: BTreeMap::new(),
        whole_paths: explain
            .map(|name| manifest.by_name(name).map(|e| e.uuid).collect())
            .unwrap_or_default(),
    };
    for u in excluded.iter() {
        builder.decide(
            *u,
            Role::Excluded,
            "excluded in the image spec".into(),
            Vec::new(),
        );
    }
    for &u in blocked.in_order() {
        let path = builder.summary(&blocked, &u).reversed();
        let x = path.last().map(|p| name_of(&g, &p)).unwrap_or_default();
        builder.decide(
            u,
            Role::NotBaked,
            format!("depends on excluded `{x}`"),
            names(&g, &path),
        );
    }
    let named_excluded = excluded;
    let excluded = blocked.uuids();
    let pinned_rule = (spec.policy == Policy::Pinned).then_some(spec.pinned_rule);
    match spec.policy {
        Policy::App => builder.bake_from(&roots, &excluded, "root of the image"),
        Policy::Dev => {
            let public = if spec.public.is_empty() {
                roots.clone()
            } else {
                resolve_names(manifest, &spec.public, "public")?
            };
            builder.bake_from(&public, &excluded, "public: users call it");
        }
        Policy::Pinned => builder.pinned(
            manifest.julia_version.as_ref(),
            &direct,
            &roots,
            &excluded,
            spec.pinned_rule,
        ),
    }
    // Whatever is left is not baked: reachable only through an excluded package, or needed
    // by nothing the image holds.
    let through_excluded = g.walk_from(
        roots.iter().copied(),
        Direction::Dependencies,
        &BTreeSet::new(),
    );
    // The kept-out package nearest to each package on its path says the most; in walk
    // order, a package's parent is always settled before it.
    let mut nearest_kept_out: std::collections::HashMap<Uuid, Uuid> = Default::default();
    for &u in through_excluded.in_order() {
        let near = if excluded.contains(&u) {
            Some(u)
        } else {
            through_excluded
                .parent(&u)
                .and_then(|p| nearest_kept_out.get(&p).copied())
        };
        if let Some(x) = near {
            nearest_kept_out.insert(u, x);
        }
    }
    for u in g.uuids().collect::<Vec<_>>() {
        if builder.decided.contains_key(&u) {
            continue;
        }
        let path = builder.summary(&through_excluded, &u);
        let via = nearest_kept_out.get(&u);
        match via {
            Some(x) if named_excluded.contains(x) => builder.decide(
                u,
                Role::NotBaked,
                format!("reachable only through excluded `{}`", name_of(&g, x)),
                names(&g, &path),
            ),
            Some(x) => {
                // `x` is kept out because it depends on an excluded package: name that one.
                let cause = builder
                    .summary(&blocked, x)
                    .first()
                    .map(|c| name_of(&g, &c))
                    .unwrap_or_default();
                builder.decide(
                    u,
                    Role::NotBaked,
                    format!(
                        "reachable only through `{}`, which depends on excluded `{cause}`",
                        name_of(&g, x)
                    ),
                    names(&g, &path),
                )
            }
            None => builder.decide(
                u,
                Role::NotBaked,
                "not needed by any baked package".into(),
                Vec::new(),
            ),
        }
    }
    if spec.policy == Policy::Dev {
        let promoted = builder.share(&direct, spec.sideload);
        if !promoted.is_empty() {
            warnings.push(format!(
                "the public packages leave out {} baked direct {} ({}): {} shared, baked under {} real \
                 {}, never side-loaded (the project's `using` loads a direct dependency by its \
                 real UUID, and a side-loaded copy would be a second module)",
                promoted.len(),
                if promoted.len() == 1 { "dependency" } else { "dependencies" },
                promoted.join(", "),
                if promoted.len() == 1 { "it is" } else { "they are" },
                if promoted.len() == 1 { "its" } else { "their" },
                if promoted.len() == 1 { "UUID" } else { "UUIDs" },
            ));
        }
    }
    let baked: BTreeSet<Uuid> = builder
        .decided
        .iter()
        .filter(|(_, d)| d.0.is_baked())
        .map(|(u, _)| *u)
        .collect();
    let sideload_key =
        (spec.policy == Policy::Dev && spec.sideload).then(|| sideload_key(manifest, &baked));
    let mut packages: Vec<PlannedPackage> = builder
        .decided
        .into_iter()
        .filter_map(|(u, (role, reason, path))| {
            let e = g.entry(&u)?;
            let stdlib = is_stdlib(e);
            let sideload_uuid = match &sideload_key {
                Some(key) if role == Role::SideLoaded && !stdlib => {
                    Some(Uuid::new_v5(&u, key.as_bytes()))
                }
                _ => None,
            };
            Some(PlannedPackage {
                name: e.name.clone(),
                uuid: u,
                version: e.version.as_ref().map(ToString::to_string),
                tree_hash: e.tree_hash.map(|h| h.to_string()),
                baked: role.is_baked(),
                role,
                reason,
                path,
                sideload_uuid,
                stdlib,
                tracking: e.tracking(),
                pinned: e.pinned,
            })
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.uuid.cmp(&b.uuid)));
    for p in packages
        .iter()
        .filter(|p| p.baked && p.tracking == Tracking::Path)
    {
        warnings.push(format!(
            "`{}` is path-tracked (dev'ed): the image bakes its source as it is now, and an edit \
             to it makes the image stale until it is rebuilt",
            p.name
        ));
    }
    let extensions = g
        .active_extensions(&baked)
        .into_iter()
        .map(|(u, ext)| (name_of(&g, &u), ext))
        .collect();
    Ok(Plan {
        policy: spec.policy,
        pinned_rule,
        packages,
        extensions,
        warnings,
    })
}

/// The key side-loaded UUIDs derive from: a hash of the baked packages' identities, so that
/// the same image always gives the same UUIDs and another image gives others.
fn sideload_key(manifest: &Manifest, baked: &BTreeSet<Uuid>) -> String {
    let mut h = Sha256::new();
    h.update(b"sysimg-sideload-v1\n");
    for u in baked {
        let e = manifest.get(u);
        let version = e
            .and_then(|e| e.version.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default();
        let tree = e
            .and_then(|e| e.tree_hash)
            .map(|t| t.to_string())
            .unwrap_or_default();
        h.update(format!("{u} {version} {tree}\n").as_bytes());
    }
    format!("sysimg-sideload:{}", hex::encode(h.finalize()))
}

/// The mark that stands for the packages a [`PathSummary`] leaves out.
const ELIDED: &str = "…";

/// A path summary's names, with [`ELIDED`] standing for the packages left out.
fn names(g: &PackageGraph<'_>, path: &PathSummary) -> Vec<String> {
    let mut out: Vec<String> = path.head.iter().map(|u| name_of(g, u)).collect();
    if path.elided > 0 {
        out.push(ELIDED.to_string());
    }
    out.extend(path.tail.iter().map(|u| name_of(g, u)));
    out
}

type Decision = (Role, String, Vec<String>);

struct Builder<'g, 'm> {
    g: &'g PackageGraph<'m>,
    decided: BTreeMap<Uuid, Decision>,
    /// Packages whose dependency path is kept whole, however long.
    whole_paths: BTreeSet<Uuid>,
}

impl Builder<'_, '_> {
    /// The path a walk took to `u` (empty when it did not reach `u`): whole for the packages
    /// asked about, a summary for the others.
    fn summary(&self, reached: &Reached, u: &Uuid) -> PathSummary {
        let path = if self.whole_paths.contains(u) {
            reached.path_to(u).map(PathSummary::whole)
        } else {
            reached.path_summary(u)
        };
        path.unwrap_or_default()
    }

    fn decide(&mut self, u: Uuid, role: Role, reason: String, path: Vec<String>) {
        self.decided.entry(u).or_insert((role, reason, path));
    }

    /// Bakes `roots` (public) and their closure (internal), never entering `avoid`.
    fn bake_from(&mut self, roots: &BTreeSet<Uuid>, avoid: &BTreeSet<Uuid>, root_reason: &str) {
        let reached = self
            .g
            .walk_from(roots.iter().copied(), Direction::Dependencies, avoid);
        self.record_reached(&reached, roots, root_reason);
    }

    fn record_reached(&mut self, reached: &Reached, roots: &BTreeSet<Uuid>, root_reason: &str) {
        // Nearest first, so that a package gets its shortest path's reason.
        for &u in reached.in_order() {
            if roots.contains(&u) {
                self.decide(u, Role::Public, root_reason.to_string(), Vec::new());
            } else {
                let path = self.summary(reached, &u);
                let by = reached
                    .parent(&u)
                    .map(|p| name_of(self.g, &p))
                    .unwrap_or_default();
                self.decide(
                    u,
                    Role::Internal,
                    format!("needed by `{by}`"),
                    names(self.g, &path),
                );
            }
        }
    }

    /// The dev policy's kinds: splits the internal packages (everything baked that is not
    /// public) into shared and side-loaded ones, and returns the names of the direct
    /// dependencies this promoted to shared (sorted).
    ///
    /// The rule. Julia code reaches a package module in only two ways: by name through a
    /// `using`/`import` that the loader resolves to a UUID from the project's `[deps]` (the
    /// user's code) or from the loading package's own dependencies; or through a binding of a
    /// module it already holds (a re-export, a value's type). The second way always gives the
    /// copy the holder was built against, so it never splits identity. The first way names the
    /// real UUID, so a package is **shared** (baked under its real UUID, the one copy everybody
    /// loads) when code outside the image can name it:
    /// 1. it is a direct dependency of the project (the user's `using` names it; a `public`
    ///    list that leaves it out promotes it, with that reason);
    /// 2. a package the image does not hold depends on it (that package is loaded from the
    ///    depot and names its dependencies by real UUID; this covers the transitive cases,
    ///    since every package the image leaves out counts, however deep);
    /// 3. it is a weak dependency (an extension trigger) of a baked package (the user loads
    ///    the trigger by its real UUID, and the extension joins the two).
    ///
    /// A re-export needs no rule of its own: names a public package re-exports are bindings
    /// to the image's copy (way two), and if the user's project also lists the re-exported
    /// package, rule 1 shares it (the issue-21 case: PrettyTables re-exporting Crayons, a
    /// direct dependency). Everything else baked is reachable only through baked packages,
    /// whose references were fixed when the image was built: **side-loaded** when `sideload`
    /// is on, else internal. A standard library is always internal: Julia loads it under its
    /// real UUID, so it is never side-loaded and never split.
    fn share(&mut self, direct: &BTreeSet<Uuid>, sideload: bool) -> Vec<String> {
        let g = self.g;
        let baked: BTreeSet<Uuid> = self
            .decided
            .iter()
            .filter(|(_, d)| d.0.is_baked())
            .map(|(u, _)| *u)
            .collect();
        let internal: Vec<Uuid> = self
            .decided
            .iter()
            .filter(|(_, d)| d.0 == Role::Internal)
            .map(|(u, _)| *u)
            .collect();
        let triggers: BTreeMap<Uuid, Uuid> = baked
            .iter()
            .filter_map(|b| g.entry(b).map(|e| (b, e)))
            .flat_map(|(b, e)| e.weakdeps.iter().filter_map(move |d| Some((d.uuid?, *b))))
            .collect();
        let mut promoted = Vec::new();
        for u in internal {
            let Some(decision) = self.decided.get_mut(&u) else {
                continue;
            };
            let needed = std::mem::take(&mut decision.1);
            let name = name_of(g, &u);
            let outside = g
                .dependents_of(&u)
                .into_iter()
                .filter(|d| !baked.contains(d))
                .min_by_key(|d| (name_of(g, d), *d));
            let (role, reason) = if g.entry(&u).is_some_and(is_stdlib) {
                // Julia loads a standard library under its real UUID, always the one copy.
                (Role::Internal, needed)
            } else if direct.contains(&u) {
                promoted.push(name);
                (
                    Role::Shared,
                    format!(
                        "a direct dependency that is not public, promoted to shared (the \
                         project's `using` loads it by its real UUID); {needed}"
                    ),
                )
            } else if let Some(x) = outside {
                decision.2 = vec![name_of(g, &x), name];
                (
                    Role::Shared,
                    format!(
                        "`{}`, which the image leaves out, loads it by its real UUID",
                        name_of(g, &x)
                    ),
                )
            } else if let Some(b) = triggers.get(&u) {
                (
                    Role::Shared,
                    format!(
                        "a weak dependency of baked `{}` (its extensions load when \
                         this loads by its real UUID); {needed}",
                        name_of(g, b)
                    ),
                )
            } else if sideload {
                (
                    Role::SideLoaded,
                    format!("{needed}, and only baked packages load it"),
                )
            } else {
                (Role::Internal, needed)
            };
            decision.0 = role;
            decision.1 = reason;
        }
        promoted.sort();
        promoted
    }

    /// The pinned convention.
    fn pinned(
        &mut self,
        julia: Option<&VersionNumber>,
        direct: &BTreeSet<Uuid>,
        roots: &BTreeSet<Uuid>,
        excluded: &BTreeSet<Uuid>,
        rule: PinnedRule,
    ) {
        let g = self.g;
        let why_unpinned = |e: &ManifestEntry| -> Option<&'static str> {
            if is_stdlib(e) {
                None
            } else if e.path.is_some() {
                Some("unpinned: path-tracked")
            } else if e.repo_url.is_some() || e.repo_rev.is_some() {
                Some("unpinned: repo-tracked")
            } else if !e.pinned {
                Some("unpinned direct dependency")
            } else {
                None
            }
        };
        let mut unpinned = BTreeSet::new();
        for u in direct {
            if let Some(e) = g.entry(u) {
                if let Some(why) = why_unpinned(e) {
                    unpinned.insert(*u);
                    self.decide(*u, Role::NotBaked, why.to_string(), Vec::new());
                }
            }
        }
        let none = BTreeSet::new();
        match rule {
            PinnedRule::Strict => {
                // R: everything the unpinned packages need, except standard libraries that
                // cannot change version (nothing can move them, so they shadow nothing);
                // dropped: everything reaching R.
                let fixed: BTreeSet<Uuid> = g
                    .uuids()
                    .filter(|u| g.entry(u).is_some_and(|e| is_fixed(e, julia)))
                    .collect();
                let needed = g.walk_from(unpinned.iter().copied(), Direction::Dependencies, &fixed);
                for &u in needed.in_order() {
                    let path = self.summary(&needed, &u);
                    let owner = path.first().map(|p| name_of(g, &p)).unwrap_or_default();
                    self.decide(
                        u,
                        Role::NotBaked,
                        format!("needed by unpinned `{owner}`"),
                        names(g, &path),
                    );
                }
                let reaching = g.walk_from(needed.uuids(), Direction::Dependents, &none);
                for &u in reaching.in_order() {
                    // The path runs from the R member to u; reversed, it is u's way into R.
                    let path = self.summary(&reaching, &u).reversed();
                    let target = path.last().unwrap_or(u);
                    let owner_path = self.summary(&needed, &target);
                    let owner = owner_path.first().unwrap_or(target);
                    let via: Vec<String> = names(g, &path.inner())
                        .into_iter()
                        .map(|n| if n == ELIDED { n } else { format!("`{n}`") })
                        .collect();
                    let via = if via.is_empty() {
                        String::new()
                    } else {
                        format!(" via {}", via.join(" → "))
                    };
                    let reason = if target == owner {
                        format!("reaches unpinned `{}`{via}", name_of(g, &owner))
                    } else {
                        format!(
                            "depends{via} on `{}`, which unpinned `{}` needs ({})",
                            name_of(g, &target),
                            name_of(g, &owner),
                            names(g, &owner_path).join(" → ")
                        )
                    };
                    self.decide(u, Role::NotBaked, reason, names(g, &path));
                }
                let keep: BTreeSet<Uuid> = roots
                    .iter()
                    .copied()
                    .filter(|u| !reaching.contains(u) && !excluded.contains(u))
                    .collect();
                let mut avoid = excluded.clone();
                avoid.extend(reaching.uuids());
                self.bake_from(&keep, &avoid, "pinned");
            }
            PinnedRule::ManifestRm => {
                let removed = g.walk_from(unpinned.iter().copied(), Direction::Dependents, &none);
                for &u in removed.in_order() {
                    let path = self.summary(&removed, &u).reversed();
                    let owner = path.last().map(|p| name_of(g, &p)).unwrap_or_default();
                    self.decide(
                        u,
                        Role::NotBaked,
                        format!(
                            "depends on unpinned `{owner}` (removed like Pkg.rm in manifest mode)"
                        ),
                        names(g, &path),
                    );
                }
                let keep: BTreeSet<Uuid> = roots
                    .iter()
                    .copied()
                    .filter(|u| !removed.contains(u) && !excluded.contains(u))
                    .collect();
                self.bake_from(&keep, excluded, "pinned");
            }
        }
    }
}
