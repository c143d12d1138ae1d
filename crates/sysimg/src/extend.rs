//! "With these pins, can I still add X?": an environment whose packages are held by an image
//! (or by its pins) resolved with more packages, as Pkg would resolve them, without Julia
//! (`julia_env::resolve`). Answers `sysimg can-add` and `sysimg extendability`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use julia_env::manifest::Tracking;
use julia_env::resolve::{
    self, Conflict, Dependency, Fact, FixedPackage, PackageIndex, RegistryIndex, Request,
    Resolution,
};
use julia_env::version::VersionNumber;
use julia_env::version_spec::VersionSpec;

use crate::model::record::ImageRecord;

/// Which packages stay at their exact versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum FixMode {
    /// The packages baked in the image.
    Baked,
    /// The Manifest's pinned packages.
    Pinned,
    /// Every Manifest package ("pin the whole closure").
    All,
}

impl std::str::FromStr for FixMode {
    type Err = String;
    fn from_str(s: &str) -> Result<FixMode, String> {
        match s {
            "baked" => Ok(FixMode::Baked),
            "pinned" => Ok(FixMode::Pinned),
            "all" => Ok(FixMode::All),
            _ => Err(format!(
                "unknown --fix `{s}` (expected `baked`, `pinned` or `all`)"
            )),
        }
    }
}

/// Why a package is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixedBy {
    /// Baked in the image.
    Image,
    /// Pinned in the Manifest.
    Pinned,
    /// In the Manifest, with `--fix all`.
    Manifest,
    /// Path- or repo-tracked: Pkg never moves it.
    Tracked,
}

/// A package held at one version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HeldPackage {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its version.
    pub version: VersionNumber,
    /// Why it is held.
    pub by: FixedBy,
}

/// A package the user asks to add: a name, and the versions wanted (`Name@0.5`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addition {
    /// The name.
    pub name: String,
    /// The versions (registry range syntax, as Pkg's `add Name@...`).
    pub spec: VersionSpec,
    /// The spec as written (`*` when none was given).
    pub spec_text: String,
}

impl Addition {
    /// Parses `Name` or `Name@VERSION` (`Example@0.5`: any 0.5.x; `Example@0.5.1`: exactly).
    pub fn parse(text: &str) -> Result<Addition, ExtendError> {
        let (name, spec_text) = match text.split_once('@') {
            Some((n, v)) => (n, v),
            None => (text, "*"),
        };
        if name.is_empty() || !is_identifier(name) {
            return Err(ExtendError::BadAddition(format!(
                "`{text}` is not a package name (optionally with @VERSION)"
            )));
        }
        let spec = VersionSpec::parse_range(spec_text).map_err(|e| {
            ExtendError::BadAddition(format!("`{text}`: bad version `{spec_text}`: {e}"))
        })?;
        Ok(Addition {
            name: name.to_string(),
            spec,
            spec_text: spec_text.to_string(),
        })
    }
}

/// A Manifest entry's dependencies, unconstrained (its compat is not in the Manifest).
fn deps_of(e: &julia_env::manifest::ManifestEntry) -> Vec<Dependency> {
    e.deps
        .iter()
        .filter_map(|d| {
            Some(Dependency {
                uuid: d.uuid?,
                name: d.name.clone(),
                spec: VersionSpec::any(),
                weak: false,
            })
        })
        .collect()
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '!')
}

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ExtendError {
    /// A malformed `PKG[@VERSION]`.
    #[error("{0}")]
    BadAddition(String),
    /// No registry knows the name.
    #[error("{name} is not in any registry{}", suggestion(.near))]
    UnknownPackage {
        /// The name asked for.
        name: String,
        /// Registered names close to it.
        near: Vec<String>,
    },
    /// The name is registered more than once.
    #[error("{name} is registered under several UUIDs ({}); the environment has none of them", .uuids.join(", "))]
    Ambiguous {
        /// The name.
        name: String,
        /// Its UUIDs.
        uuids: Vec<String>,
    },
    /// No registered version matches the requested versions.
    #[error("{name} has no version {spec}{}", .newest.as_ref().map(|v| format!(" (its newest is {v})")).unwrap_or_default())]
    NoSuchVersion {
        /// The package.
        name: String,
        /// The versions asked for.
        spec: String,
        /// Its newest usable version.
        newest: Option<String>,
    },
    /// `julia` asked for as a package: General registers Julia itself under the name `julia`
    /// (its versions are what `[compat] julia` is resolved against), but it is never added.
    #[error("julia is Julia itself, not a package that can be added: the answers are for {julia} (ask about another Julia with --julia-version V)")]
    JuliaItself {
        /// The Julia the answers are for (`any` when unknown).
        julia: String,
    },
    /// `--fix baked` with no image.
    #[error("the environment has no image to hold it (`sysimg build` makes one, or pass --image, or --fix pinned)")]
    NoImage,
    /// The environment has no manifest.
    #[error("{0}: no manifest; instantiate the environment first")]
    NoManifest(String),
    /// The environment does not resolve by itself, so nothing can be added to it: why, one
    /// step per line.
    #[error("{}", .0.join("\n  "))]
    Unresolvable(Vec<String>),
    /// The resolver's own error (unknown Julia version, malformed registry data, ...).
    #[error("{0}")]
    Resolve(#[from] julia_env::Error),
}

fn suggestion(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", near.join(", "))
    }
}

/// An environment as the resolver sees it: what is held, what must stay installed, what is
/// preferred.
#[derive(Clone, Debug)]
pub struct Holding {
    /// Which packages are held.
    pub mode: FixMode,
    /// The held packages, by name.
    pub held: Vec<HeldPackage>,
    request: Request,
    /// Manifest versions, for "changed".
    manifest: BTreeMap<Uuid, (String, Option<VersionNumber>)>,
    /// Each Manifest package's dependencies, for packages no registry describes.
    manifest_deps: HashMap<Uuid, Vec<Dependency>>,
}

impl Holding {
    /// The environment with the packages `mode` holds (`None`: the image's packages when there
    /// is an image, else the pinned ones). Path- and repo-tracked packages are always held, as
    /// Pkg holds them; standard libraries are the resolver's (they follow the Julia version).
    pub fn new(
        env: &Environment,
        image: Option<&ImageRecord>,
        mode: Option<FixMode>,
        julia_version: Option<VersionNumber>,
    ) -> Result<Holding, ExtendError> {
        let manifest = env
            .manifest
            .as_ref()
            .ok_or_else(|| ExtendError::NoManifest(env.manifest_file.display().to_string()))?;
        let mode = match (mode, image) {
            (Some(FixMode::Baked), None) => return Err(ExtendError::NoImage),
            (Some(m), _) => m,
            (None, Some(_)) => FixMode::Baked,
            (None, None) => FixMode::Pinned,
        };
        let baked: HashMap<Uuid, VersionNumber> = image
            .map(|r| {
                r.packages
                    .iter()
                    .filter_map(|p| {
                        Some((p.uuid, VersionNumber::parse(p.version.as_deref()?).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut held = Vec::new();
        let mut request = Request {
            julia_version,
            ..Request::default()
        };
        for e in &manifest.entries {
            let tracking = e.tracking();
            if tracking == Tracking::Stdlib {
                continue;
            }
            let version = e.version.clone();
            if let Some(v) = &version {
                request.preferred.insert(e.uuid, v.clone());
            }
            let by = match tracking {
                Tracking::Path | Tracking::Repo => Some(FixedBy::Tracked),
                _ => match mode {
                    FixMode::Baked => baked.contains_key(&e.uuid).then_some(FixedBy::Image),
                    FixMode::Pinned => e.pinned.then_some(FixedBy::Pinned),
                    FixMode::All => Some(FixedBy::Manifest),
                },
            };
            let Some(by) = by else { continue };
            // A baked package is held at the image's version, whatever the Manifest says now.
            let version = match by {
                FixedBy::Image => baked.get(&e.uuid).cloned(),
                _ => version,
            }
            .unwrap_or_else(|| VersionNumber::new(0, 0, 0));
            request.fixed.push(if by == FixedBy::Tracked {
                FixedPackage::with_dependencies(e.uuid, &e.name, version.clone(), deps_of(e))
            } else {
                FixedPackage::registered(e.uuid, version.clone())
            });
            held.push(HeldPackage {
                name: e.name.clone(),
                uuid: e.uuid,
                version,
                by,
            });
        }
        // The project's direct dependencies stay installed, within its compat.
        let stdlib = |u: &Uuid| {
            manifest
                .get(u)
                .is_some_and(|e| e.tracking() == Tracking::Stdlib)
        };
        for (name, uuid) in &env.project.deps {
            if stdlib(uuid) || held.iter().any(|h| h.uuid == *uuid) {
                continue;
            }
            let spec = env
                .project
                .compat
                .get(name)
                .map_or_else(VersionSpec::any, |c| c.spec.clone());
            request.requirements.push((*uuid, spec));
        }
        held.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest_deps = manifest
            .entries
            .iter()
            .map(|e| (e.uuid, deps_of(e)))
            .collect();
        let manifest = manifest
            .entries
            .iter()
            .map(|e| (e.uuid, (e.name.clone(), e.version.clone())))
            .collect();
        Ok(Holding {
            mode,
            held,
            request,
            manifest,
            manifest_deps,
        })
    }

    /// The request for `index`, and notes on what the registries lack. A package of the
    /// environment that no registry describes (from a registry not given, or registered after
    /// the registry's snapshot), or held at a version the registry does not list, is held at
    /// its Manifest version with its Manifest dependencies, as Pkg holds what it cannot
    /// resolve.
    fn request_for(&self, index: &RegistryIndex) -> (Request, Vec<String>) {
        let mut r = self.request.clone();
        let mut notes = Vec::new();
        let unknown = |u: &Uuid| index.name(u).is_none();
        for f in r.fixed.iter_mut() {
            if f.dependencies.is_some() {
                continue;
            }
            let name = self.manifest.get(&f.uuid).map_or("?", |(n, _)| n.as_str());
            let listed = !unknown(&f.uuid)
                && (index
                    .versions(&f.uuid)
                    .is_ok_and(|vs| vs.contains(&f.version))
                    || index.is_yanked(&f.uuid, &f.version));
            if listed {
                continue;
            }
            notes.push(if unknown(&f.uuid) {
                format!("{name} is in no registry given: held with its Manifest dependencies")
            } else {
                format!(
                    "{name} {} is not in the registry (is it older than the Manifest?): held \
                     with its Manifest dependencies",
                    f.version
                )
            });
            *f = FixedPackage::with_dependencies(
                f.uuid,
                name,
                f.version.clone(),
                self.manifest_deps.get(&f.uuid).cloned().unwrap_or_default(),
            );
        }
        let mut held: Vec<FixedPackage> = Vec::new();
        r.requirements.retain(|(u, _)| {
            let Some((name, Some(version))) = self.manifest.get(u).filter(|_| unknown(u)) else {
                return true;
            };
            held.push(FixedPackage::with_dependencies(
                *u,
                name,
                version.clone(),
                self.manifest_deps.get(u).cloned().unwrap_or_default(),
            ));
            false
        });
        r.fixed.extend(held);
        (r, notes)
    }

    /// The Julia version resolved for.
    pub fn julia_version(&self) -> Option<&VersionNumber> {
        self.request.julia_version.as_ref()
    }

    /// Whether the environment already has `uuid`.
    pub fn has(&self, uuid: &Uuid) -> bool {
        self.manifest.contains_key(uuid)
    }

    fn held_by(&self, uuid: &Uuid) -> Option<&HeldPackage> {
        self.held.iter().find(|h| h.uuid == *uuid)
    }
}

/// A registered package found by name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Named {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
}

/// Finds `name` in the registries (preferring the UUID the environment already has), or says
/// which registered names are close.
pub fn find_package(
    index: &RegistryIndex,
    holding: &Holding,
    name: &str,
) -> Result<Named, ExtendError> {
    let uuids = index.uuids_named(name);
    if uuids.contains(&resolve::JULIA_UUID) {
        return Err(ExtendError::JuliaItself {
            julia: holding
                .julia_version()
                .map_or_else(|| "any Julia".to_string(), |v| format!("Julia {v}")),
        });
    }
    let named = |uuid| Named {
        name: name.to_string(),
        uuid,
    };
    match uuids.as_slice() {
        [] => Err(ExtendError::UnknownPackage {
            name: name.to_string(),
            near: near_names(index, name),
        }),
        [u] => Ok(named(*u)),
        many => match many.iter().find(|u| holding.has(u)) {
            Some(u) => Ok(named(*u)),
            None => Err(ExtendError::Ambiguous {
                name: name.to_string(),
                uuids: many.iter().map(ToString::to_string).collect(),
            }),
        },
    }
}

/// Registered names close to `name`, closest first (at most five): the same name in another
/// case, then names within a small edit distance, as Pkg suggests for a mistyped `add`.
fn near_names(index: &RegistryIndex, name: &str) -> Vec<String> {
    let want = name.to_lowercase();
    let limit = (want.chars().count() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, String)> = index
        .registries()
        .iter()
        .flat_map(|r| r.packages.values())
        .filter_map(|p| {
            let d = strsim::damerau_levenshtein(&want, &p.name.to_lowercase());
            (d <= limit).then(|| (d, p.name.clone()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

/// A package at a version, as reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Versioned {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its version.
    pub version: String,
}

/// A package that had to move.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its Manifest version.
    pub from: Option<String>,
    /// The version it moves to.
    pub to: String,
}

/// A held package that stands in the way.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Blocker {
    /// Its name.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// The version it is held at.
    pub version: String,
    /// Why it is held (`null` for Julia and its standard libraries).
    pub by: Option<FixedBy>,
}

/// The answer to "can I add these?".
#[derive(Clone, Debug, serde::Serialize)]
pub struct CanAdd {
    /// Whether all of them can be added with the held packages where they are.
    pub ok: bool,
    /// The Julia version resolved for.
    pub julia_version: Option<String>,
    /// Which packages were held (`baked`, `pinned`, `all`).
    pub fix: FixMode,
    /// The held packages.
    pub fixed: Vec<HeldPackage>,
    /// The packages asked for, at the versions chosen (when `ok`).
    pub added: Vec<Versioned>,
    /// Packages of the environment that would move (when `ok`).
    pub changed: Vec<Moved>,
    /// Packages that would newly be installed to support the added ones (when `ok`).
    pub new_dependencies: Vec<Versioned>,
    /// The held packages in the way (when not `ok`).
    pub blocked_by: Vec<Blocker>,
    /// Why not, one step per line, in terms of the image (when not `ok`).
    pub explanation: Vec<String>,
    /// Per package asked for, the newest version that does fit (`null` when none does).
    pub newest_fit: BTreeMap<String, Option<String>>,
    /// The held packages that would have to be released for the additions to fit (empty when
    /// releasing the blockers is not enough, or nothing blocks).
    pub release_to_fit: Vec<String>,
    /// What the registries lack (held packages they do not list).
    pub notes: Vec<String>,
    /// Added packages that fit only at an older version than their newest: why the newest
    /// does not (when `ok`; Pkg would install the older one without a word).
    pub held_back: Vec<HeldBack>,
}

/// An added package that fits, but not at its newest version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HeldBack {
    /// The package.
    pub name: String,
    /// The version it would get.
    pub version: String,
    /// Its newest usable version.
    pub newest: String,
    /// The held packages that keep the newest out.
    pub blocked_by: Vec<Blocker>,
    /// Why the newest does not fit, one step per line.
    pub explanation: Vec<String>,
}

impl CanAdd {
    /// An answer with nothing found yet.
    fn not_yet(holding: &Holding, notes: Vec<String>) -> CanAdd {
        CanAdd {
            ok: false,
            julia_version: holding.julia_version().map(ToString::to_string),
            fix: holding.mode,
            fixed: holding.held.clone(),
            added: Vec::new(),
            changed: Vec::new(),
            new_dependencies: Vec::new(),
            blocked_by: Vec::new(),
            explanation: Vec::new(),
            newest_fit: BTreeMap::new(),
            release_to_fit: Vec::new(),
            notes,
            held_back: Vec::new(),
        }
    }
}

/// Answers whether `additions` can join the environment `holding` describes.
pub fn can_add(
    index: &RegistryIndex,
    holding: &Holding,
    additions: &[(Named, Addition)],
) -> Result<CanAdd, ExtendError> {
    check_versions(index, additions)?;
    let (base, notes) = holding.request_for(index);
    if let Some((c, explanation)) = unresolvable_request(index, holding, &base)? {
        // Nothing can be added to an environment that does not resolve by itself.
        return Ok(CanAdd {
            blocked_by: blockers(holding, &c),
            explanation,
            ..CanAdd::not_yet(holding, notes)
        });
    }
    answer(index, holding, &base, notes, additions)
}

/// Each addition must have a usable version within its spec.
fn check_versions(
    index: &RegistryIndex,
    additions: &[(Named, Addition)],
) -> Result<(), ExtendError> {
    for (named, add) in additions {
        let versions = index.versions(&named.uuid)?;
        if !versions.iter().any(|v| add.spec.contains(v)) {
            return Err(ExtendError::NoSuchVersion {
                name: named.name.clone(),
                spec: add.spec_text.clone(),
                newest: versions.last().map(ToString::to_string),
            });
        }
    }
    Ok(())
}

/// [`can_add`] against `base`, the environment's own request, which resolves.
fn answer(
    index: &RegistryIndex,
    holding: &Holding,
    base: &Request,
    notes: Vec<String>,
    additions: &[(Named, Addition)],
) -> Result<CanAdd, ExtendError> {
    let mut request = base.clone();
    let asked: Vec<(Uuid, VersionSpec)> = additions
        .iter()
        .map(|(n, a)| (n.uuid, a.spec.clone()))
        .collect();
    request.requirements.splice(0..0, asked.iter().cloned());
    let mut out = CanAdd::not_yet(holding, notes);
    match resolve::resolve(index, &request)? {
        Resolution::Solved(solution) => {
            out.ok = true;
            let asked_uuids: BTreeSet<Uuid> = asked.iter().map(|(u, _)| *u).collect();
            for p in solution.packages.values() {
                let v = Versioned {
                    name: p.name.clone(),
                    uuid: p.uuid,
                    version: p.version.to_string(),
                };
                match holding.manifest.get(&p.uuid) {
                    _ if asked_uuids.contains(&p.uuid) => out.added.push(v),
                    // Standard libraries follow the Julia version, not the resolve.
                    _ if julia_env::stdlib::is_known_stdlib(&p.uuid) => {}
                    Some((_, from)) if from.as_ref() != Some(&p.version) => {
                        out.changed.push(Moved {
                            name: v.name,
                            uuid: v.uuid,
                            from: from.as_ref().map(ToString::to_string),
                            to: v.version,
                        })
                    }
                    Some(_) => {}
                    None => out.new_dependencies.push(v),
                }
            }
            for (n, a) in additions {
                let chosen = solution.version(&n.uuid).cloned();
                out.newest_fit
                    .insert(n.name.clone(), chosen.as_ref().map(ToString::to_string));
                let newest = index
                    .versions(&n.uuid)?
                    .into_iter()
                    .rfind(|v| a.spec.contains(v));
                if let (Some(chosen), Some(newest)) = (chosen, newest) {
                    if chosen < newest {
                        out.held_back
                            .push(held_back(index, holding, &request, n, chosen, newest)?);
                    }
                }
            }
        }
        Resolution::Unsatisfiable(conflict) => {
            out.explanation = explain(holding, &conflict);
            out.blocked_by = blockers(holding, &conflict);
            for (n, a) in additions {
                // The newest version of this one that fits with everything else held (the
                // other additions left out: each is answered on its own).
                let fit = resolve::newest_fit(index, base, &n.uuid, &a.spec)?;
                let fit = match fit {
                    resolve::Fit::Newest { version, .. } => Some(version.to_string()),
                    resolve::Fit::None(_) => match a.spec.is_any() {
                        true => None,
                        false => {
                            match resolve::newest_fit(index, base, &n.uuid, &VersionSpec::any())? {
                                resolve::Fit::Newest { version, .. } => Some(version.to_string()),
                                resolve::Fit::None(_) => None,
                            }
                        }
                    },
                };
                out.newest_fit.insert(n.name.clone(), fit);
            }
            out.release_to_fit = release_to_fit(index, &request, holding, &conflict)?;
        }
    }
    Ok(out)
}

/// When the environment does not resolve by itself against `index` (registries older than
/// its Manifest, compat it cannot meet): the conflict, and why, one step per line.
fn unresolvable_request(
    index: &RegistryIndex,
    holding: &Holding,
    base: &Request,
) -> Result<Option<(Conflict, Vec<String>)>, ExtendError> {
    Ok(match resolve::resolve(index, base)? {
        Resolution::Solved(_) => None,
        Resolution::Unsatisfiable(c) => {
            let mut lines = vec![
                "the environment itself does not resolve against these registries (are they \
                 older than its Manifest? `Pkg.Registry.update()`):"
                    .to_string(),
            ];
            lines.extend(explain(holding, &c));
            Some((c, lines))
        }
    })
}

/// Why `named` cannot have its newest version in `request` (which it can join at `chosen`).
fn held_back(
    index: &RegistryIndex,
    holding: &Holding,
    request: &Request,
    named: &Named,
    chosen: VersionNumber,
    newest: VersionNumber,
) -> Result<HeldBack, ExtendError> {
    let mut r = request.clone();
    r.requirements
        .insert(0, (named.uuid, VersionSpec::exact(&newest)));
    let (blocked_by, explanation) = match resolve::resolve(index, &r)? {
        Resolution::Unsatisfiable(c) => (blockers(holding, &c), explain(holding, &c)),
        // Only when the greedy choice missed it; then nothing holds it back.
        Resolution::Solved(_) => (Vec::new(), Vec::new()),
    };
    Ok(HeldBack {
        name: named.name.clone(),
        version: chosen.to_string(),
        newest: newest.to_string(),
        blocked_by,
        explanation,
    })
}

/// The held packages of a conflict; if releasing them (letting them move, preferring their
/// versions) makes the request resolvable, those are what would have to leave the image.
fn release_to_fit(
    index: &RegistryIndex,
    request: &Request,
    holding: &Holding,
    conflict: &Conflict,
) -> Result<Vec<String>, ExtendError> {
    let release: BTreeSet<Uuid> = conflict
        .blocked_by
        .iter()
        .filter(|p| {
            holding
                .held_by(&p.uuid)
                .is_some_and(|h| h.by != FixedBy::Tracked)
        })
        .map(|p| p.uuid)
        .collect();
    if release.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = request.clone();
    r.fixed.retain(|f| !release.contains(&f.uuid));
    Ok(match resolve::resolve(index, &r)? {
        Resolution::Solved(_) => {
            let mut names: Vec<String> = release
                .iter()
                .filter_map(|u| holding.held_by(u).map(|h| h.name.clone()))
                .collect();
            names.sort();
            names
        }
        Resolution::Unsatisfiable(_) => Vec::new(),
    })
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// The held packages of a conflict, and Julia itself when its version is one of the
/// conflict's facts (a package whose newer versions need another Julia is held back by Julia,
/// not by nothing).
fn blockers(holding: &Holding, conflict: &Conflict) -> Vec<Blocker> {
    let mut out: Vec<Blocker> = conflict
        .blocked_by
        .iter()
        .map(|p| Blocker {
            name: p.name.clone(),
            uuid: p.uuid,
            version: p.version.to_string(),
            by: holding.held_by(&p.uuid).map(|h| h.by),
        })
        .collect();
    let julia = conflict.facts.iter().find_map(|f| match f {
        Fact::Julia { version } => Some(version),
        _ => None,
    });
    if let Some(version) = julia {
        out.push(Blocker {
            name: "julia".into(),
            uuid: resolve::JULIA_UUID,
            version: version.to_string(),
            by: None,
        });
    }
    out
}

/// The conflict's facts in words, the held packages said as the image holds them.
fn explain(holding: &Holding, conflict: &Conflict) -> Vec<String> {
    conflict
        .facts
        .iter()
        .map(|f| match f {
            Fact::Fixed { package, version } => match holding.held_by(&package.uuid) {
                Some(h) => format!("{}", Held(h, version)),
                None => f.to_string(),
            },
            _ => f.to_string(),
        })
        .collect()
}

/// A held package said as the user knows it.
struct Held<'a>(&'a HeldPackage, &'a VersionNumber);

impl fmt::Display for Held<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Held(h, v) = self;
        match h.by {
            FixedBy::Image => write!(f, "the image holds {} {v} (baked)", h.name),
            FixedBy::Pinned => write!(f, "{} is pinned at {v}", h.name),
            FixedBy::Manifest => write!(f, "{} is held at its Manifest version {v}", h.name),
            FixedBy::Tracked => write!(
                f,
                "{} {v} is path- or repo-tracked (Pkg never moves it)",
                h.name
            ),
        }
    }
}

/// One line of an extendability table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Candidate {
    /// The package.
    pub name: String,
    /// Its UUID.
    pub uuid: Uuid,
    /// How many registered packages depend on it (for `--top`).
    pub dependents: Option<usize>,
    /// Whether it can be added (`true` also when the environment already has it).
    pub ok: bool,
    /// Whether the environment already has it.
    pub present: bool,
    /// The version it would get, when `ok`.
    pub version: Option<String>,
    /// The held packages in the way, when not `ok`.
    pub blocked_by: Vec<String>,
    /// The first line of the explanation, when not `ok`.
    pub reason: Option<String>,
    /// When `ok` at an older version: its newest version, which does not fit.
    pub newest: Option<String>,
}

/// The `n` packages of the registries that most registered packages depend on (in their
/// newest version), most first, ties by name.
pub fn most_depended_upon(
    index: &RegistryIndex,
    n: usize,
) -> Result<Vec<(Named, usize)>, ExtendError> {
    let mut count: HashMap<Uuid, usize> = HashMap::new();
    let mut names: HashMap<Uuid, String> = HashMap::new();
    for r in index.registries() {
        for (uuid, p) in &r.packages {
            names.entry(*uuid).or_insert_with(|| p.name.clone());
        }
    }
    let uuids: Vec<Uuid> = names.keys().copied().collect();
    for uuid in uuids {
        let Some(newest) = index.versions(&uuid)?.pop() else {
            continue;
        };
        for d in index.dependencies(&uuid, &newest)? {
            if !d.weak && names.contains_key(&d.uuid) {
                *count.entry(d.uuid).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(Named, usize)> = count
        .into_iter()
        // Julia itself is registered (as `julia`) and every package's `[compat] julia` names
        // it, but it is no package to add.
        .filter(|(u, _)| *u != resolve::JULIA_UUID && !julia_env::stdlib::is_known_stdlib(u))
        .map(|(uuid, c)| {
            (
                Named {
                    name: names[&uuid].clone(),
                    uuid,
                },
                c,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name.cmp(&b.0.name)));
    ranked.truncate(n);
    Ok(ranked)
}

/// Asks [`can_add`] for each candidate on its own. The environment's own request is made and
/// resolved once; when it does not resolve, that is the error.
pub fn extendability(
    index: &RegistryIndex,
    holding: &Holding,
    candidates: &[(Named, Option<usize>)],
) -> Result<Vec<Candidate>, ExtendError> {
    let (base, notes) = holding.request_for(index);
    if let Some((_, lines)) = unresolvable_request(index, holding, &base)? {
        return Err(ExtendError::Unresolvable(lines));
    }
    let names = |bs: &[Blocker]| bs.iter().map(ToString::to_string).collect();
    let mut out = Vec::new();
    for (named, dependents) in candidates {
        let mut c = Candidate {
            name: named.name.clone(),
            uuid: named.uuid,
            dependents: *dependents,
            ok: true,
            present: holding.has(&named.uuid),
            version: None,
            blocked_by: Vec::new(),
            reason: None,
            newest: None,
        };
        if c.present {
            c.version = holding
                .manifest
                .get(&named.uuid)
                .and_then(|(_, v)| v.as_ref().map(ToString::to_string));
        } else {
            let add = [(
                named.clone(),
                Addition {
                    name: named.name.clone(),
                    spec: VersionSpec::any(),
                    spec_text: "*".into(),
                },
            )];
            let answered = check_versions(index, &add)
                .and_then(|()| answer(index, holding, &base, notes.clone(), &add));
            match answered {
                Ok(answer) => {
                    c.ok = answer.ok;
                    c.version = answer.added.first().map(|a| a.version.clone());
                    c.blocked_by = names(&answer.blocked_by);
                    c.reason = answer.explanation.first().cloned();
                    if let Some(h) = answer.held_back.first() {
                        c.newest = Some(h.newest.clone());
                        c.blocked_by = names(&h.blocked_by);
                    }
                }
                // A package with no usable version for this Julia, or broken registry data:
                // it cannot be added, and the error says why.
                Err(e) => {
                    c.ok = false;
                    c.reason = Some(e.to_string());
                }
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// How many packages the ranking cache keeps: any `n` up to this is answered from it.
const RANKING_CACHE_SIZE: usize = 500;

/// A key that changes whenever a registry of `index` may have changed: a compressed registry's
/// recorded tree hash, a directory registry's `Registry.toml` size and modification time.
fn registries_key(index: &RegistryIndex) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for r in index.registries() {
        h.update(r.uuid.to_string());
        h.update(r.source.to_string_lossy().as_bytes());
        match &r.recorded_tree_hash {
            Some(t) => h.update(t.to_string()),
            None => {
                let meta = std::fs::metadata(r.source.join("Registry.toml")).ok();
                let mtime = meta
                    .as_ref()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos());
                h.update(format!("{:?}/{:?}", meta.map(|m| m.len()), mtime));
            }
        }
        h.update([0]);
    }
    hex::encode(&h.finalize()[..12])
}

/// Whether [`most_depended_upon_cached`] would answer from its cache in `cache_dir` (else it
/// ranks the registries now, which takes seconds: a caller may say so first).
pub fn ranking_is_cached(index: &RegistryIndex, cache_dir: &std::path::Path) -> bool {
    cache_dir
        .join(format!("depended-upon-{}.json", registries_key(index)))
        .is_file()
}

/// [`most_depended_upon`], remembered in `cache_dir` for as long as the registries do not
/// change (ranking reads every package of the registry: about 1.5 s for General).
pub fn most_depended_upon_cached(
    index: &RegistryIndex,
    n: usize,
    cache_dir: Option<&std::path::Path>,
) -> Result<Vec<(Named, usize)>, ExtendError> {
    let Some(dir) = cache_dir.filter(|_| n <= RANKING_CACHE_SIZE) else {
        return most_depended_upon(index, n);
    };
    let file = dir.join(format!("depended-upon-{}.json", registries_key(index)));
    let cached: Option<Vec<(Named, usize)>> = std::fs::read(&file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let mut ranked = match cached {
        Some(r) => r,
        None => {
            let r = most_depended_upon(index, RANKING_CACHE_SIZE)?;
            if let Ok(text) = serde_json::to_string(&r) {
                // A cache that cannot be written is only slower next time. It keeps one
                // ranking: those of registries as they were are dropped.
                let _ = std::fs::create_dir_all(dir);
                if julia_env::edit::write_atomic(&file, &text).is_ok() {
                    for old in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                        let name = old.file_name();
                        let name = name.to_string_lossy();
                        if name.starts_with("depended-upon-") && old.path() != file {
                            let _ = std::fs::remove_file(old.path());
                        }
                    }
                }
            }
            r
        }
    };
    ranked.truncate(n);
    Ok(ranked)
}

/// The extendability of an environment in brief, for `sysimg check` and `sysimg plan`: how
/// many of the registry's most depended-upon packages can still be added, and which cannot.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outlook {
    /// What was held.
    pub fix: FixMode,
    /// How many held packages.
    pub fixed: usize,
    /// The Julia version resolved for.
    pub julia_version: Option<String>,
    /// How many packages were tried.
    pub asked: usize,
    /// How many of them can be added.
    pub can_add: usize,
    /// The ones that cannot, with what blocks them.
    pub cannot: Vec<Candidate>,
}

impl Outlook {
    /// Tries the `n` most depended-upon packages of the registries (ranking cached in
    /// `cache_dir`).
    pub fn of(
        index: &RegistryIndex,
        holding: &Holding,
        n: usize,
        cache_dir: Option<&std::path::Path>,
    ) -> Result<Outlook, ExtendError> {
        let candidates: Vec<(Named, Option<usize>)> =
            most_depended_upon_cached(index, n, cache_dir)?
                .into_iter()
                .map(|(named, count)| (named, Some(count)))
                .collect();
        let table = extendability(index, holding, &candidates)?;
        Ok(Outlook {
            fix: holding.mode,
            fixed: holding.held.len(),
            julia_version: holding.julia_version().map(ToString::to_string),
            asked: table.len(),
            can_add: table.iter().filter(|c| c.ok).count(),
            cannot: table.into_iter().filter(|c| !c.ok).collect(),
        })
    }
}

impl fmt::Display for Outlook {
    /// "18 of 20 most depended-upon packages can still be added (not: A, blocked by X; B)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of the registry's {} most depended-upon packages can still be added",
            self.can_add, self.asked
        )?;
        if !self.cannot.is_empty() {
            let not: Vec<String> = self
                .cannot
                .iter()
                .map(|c| match c.blocked_by.as_slice() {
                    [] => c.name.clone(),
                    by => format!("{}, blocked by {}", c.name, by.join(" and ")),
                })
                .collect();
            write!(f, " (not: {})", not.join("; "))?;
        }
        Ok(())
    }
}
