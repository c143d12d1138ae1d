//! Everything wrong with an environment, as findings with a severity: what `sysimg env check`
//! reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::depot::Depots;
use crate::environment::Environment;
use crate::error::Location;
use crate::graph::PackageGraph;
use crate::ids::Uuid;
use crate::manifest::{Manifest, ManifestEntry, Tracking};
use crate::project_hash::project_hash;
use crate::stdlib;

/// How serious a finding is. Only errors make a check fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The environment is broken or inconsistent.
    Error,
    /// Worth knowing; the environment still works (e.g. not instantiated yet).
    Warning,
    /// For information.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One thing the check found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `stale-project-hash`.
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
    /// Where, when a file position is known (`null` in JSON otherwise).
    #[serde(serialize_with = "serialize_location")]
    pub location: Option<Location>,
    /// The package concerned, if any (`null` in JSON otherwise).
    pub package: Option<String>,
}

impl Finding {
    /// A finding about no file position and no package in particular.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            code,
            message: message.into(),
            location: None,
            package: None,
        }
    }

    /// The same finding, about `package`.
    pub fn for_package(mut self, package: &str) -> Finding {
        self.package = Some(package.to_string());
        self
    }
}

fn serialize_location<S: serde::Serializer>(
    loc: &Option<Location>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let Some(loc) = loc else {
        return s.serialize_none();
    };
    let mut m = s.serialize_map(Some(3))?;
    m.serialize_entry("file", &loc.path.display().to_string())?;
    m.serialize_entry("line", &loc.line)?;
    m.serialize_entry("column", &loc.column)?;
    m.end()
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}: {} [{}]", self.severity, self.message, self.code)
    }
}

/// What to check beyond the files themselves.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Depots in which to look for package sources (none: skip source checks).
    pub depots: Option<Depots>,
    /// Recompute the tree hash of every source found and compare it with the Manifest.
    pub verify_sources: bool,
}

/// The result of checking an environment.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

struct Collector(Vec<Finding>);

impl Collector {
    fn add(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        location: Option<Location>,
        package: Option<&str>,
    ) {
        self.0.push(Finding {
            severity,
            code,
            message,
            location,
            package: package.map(str::to_string),
        });
    }
}

/// Where a manifest entry's source should be: a path-tracked package's directory, or the depot
/// directory of a registered or repo-tracked one (`None`: a stdlib, or in no depot).
pub fn source_dir(entry: &ManifestEntry, manifest_file: &Path, depots: &Depots) -> Option<PathBuf> {
    if let Some(p) = &entry.path {
        let dir = manifest_file.parent().unwrap_or(Path::new("."));
        return Some(crate::depot::normalize(&dir.join(p)));
    }
    let hash = entry.tree_hash.as_ref()?;
    depots.find_package(&entry.name, &entry.uuid, hash)
}

/// Checks an environment: its files, their agreement, and (with depots) its sources.
pub fn check_environment(env: &Environment, opts: &CheckOptions) -> Report {
    let mut c = Collector(Vec::new());
    let project = &env.project;
    let Some(manifest) = &env.manifest else {
        let (sev, msg) = if project.deps.is_empty() && project.deps_weak.is_empty() {
            (
                Severity::Info,
                "no manifest, and the project has no dependencies".to_string(),
            )
        } else {
            (
                Severity::Error,
                format!(
                    "no manifest at {} for a project with {} dependencies: run `Pkg.instantiate()` or `Pkg.resolve()`",
                    env.manifest_file.display(),
                    project.deps.len() + project.deps_weak.len()
                ),
            )
        };
        c.add(
            sev,
            "missing-manifest",
            msg,
            Some(Location::file(&env.manifest_file)),
            None,
        );
        return finish(c);
    };
    let at_manifest = || Some(Location::file(&env.manifest_file));

    if !manifest.format_is_known() {
        c.add(
            Severity::Warning,
            "unknown-manifest-format",
            format!(
                "Unknown Manifest.toml format version {} detected; Pkg only warns, but sysimg will not build from it",
                manifest.format
            ),
            at_manifest(),
            None,
        );
    }
    if manifest.format.major == 1 {
        // Julia 1.0-1.6 write format 1.0 and Julia 1.7+ reads it (and upgrades it when Pkg next
        // writes the file): it is what a user of those releases has, nothing to fix. It only
        // records less, which is worth knowing.
        c.add(
            Severity::Info,
            "old-manifest-format",
            "manifest format 1.0 (written by Julia 1.6 or older): it records no julia_version and no project_hash, so the Project is compared with the Manifest entry by entry".into(),
            at_manifest(),
            None,
        );
    }

    // Duplicated entries (Pkg silently keeps the last one).
    let mut by_uuid: BTreeMap<Uuid, Vec<&ManifestEntry>> = BTreeMap::new();
    for e in &manifest.entries {
        by_uuid.entry(e.uuid).or_default().push(e);
    }
    for (uuid, entries) in &by_uuid {
        if entries.len() > 1 {
            let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            c.add(
                Severity::Error,
                "duplicate-entry",
                format!(
                    "UUID {uuid} has {} entries ({}); Pkg would silently use only the last",
                    entries.len(),
                    names.join(", ")
                ),
                Some(entries[1].location.clone()),
                Some(names[0]),
            );
        }
    }
    for p in &env.manifest_problems {
        c.add(
            Severity::Error,
            "manifest-graph",
            p.message.clone(),
            Some(p.location.clone()),
            None,
        );
    }

    // The project's dependencies against the manifest.
    let all_deps = project.all_deps();
    for (name, uuid) in &all_deps {
        match manifest.get(uuid) {
            None => c.add(
                Severity::Error,
                "dep-missing-from-manifest",
                format!(
                    "`{name}` ({uuid}) is a dependency of the project but is not in the manifest"
                ),
                at_manifest(),
                Some(name),
            ),
            Some(e) if e.name != *name => c.add(
                Severity::Error,
                "dep-name-mismatch",
                format!(
                    "the project calls {uuid} `{name}` but the manifest calls it `{}`",
                    e.name
                ),
                Some(e.location.clone()),
                Some(name),
            ),
            Some(e) => {
                if let (Some(v), Some(compat)) = (&e.version, project.compat.get(name)) {
                    if !compat.spec.contains(v) {
                        c.add(
                            Severity::Error,
                            "version-outside-compat",
                            format!(
                                "`{name}` is at {v} in the manifest, outside its compat \"{}\"",
                                compat.text
                            ),
                            Some(e.location.clone()),
                            Some(name),
                        );
                    }
                }
            }
        }
    }

    // project_hash.
    let flavor = manifest.flavor();
    match &manifest.project_hash {
        Some(recorded) => {
            let members = env.workspace_members();
            let expected = project_hash(project, &members, flavor, manifest.julia_version.as_ref());
            if *recorded != expected {
                c.add(
                    Severity::Error,
                    "stale-project-hash",
                    format!(
                        "the project's dependencies or compat changed since the manifest was resolved (project_hash {recorded}, the project now hashes to {expected}): run `Pkg.resolve()`"
                    ),
                    at_manifest(),
                    None,
                );
            }
        }
        None if manifest.format.major >= 2 => c.add(
            Severity::Info,
            "no-project-hash",
            // Julia 1.8+ writes one; an older Pkg, or a hand edit, leaves it out: say what is
            // known, not a guess at who wrote it.
            match &manifest.julia_version {
                Some(v) if (v.major, v.minor) >= (1, 8) => format!(
                    "the manifest records no project_hash (Julia {v} would have written one; was it edited by hand?), so staleness cannot be detected"
                ),
                Some(v) => format!(
                    "the manifest records no project_hash (Julia {v} writes none), so staleness cannot be detected"
                ),
                None => "the manifest records no project_hash, so staleness cannot be detected".into(),
            },
            at_manifest(),
            None,
        ),
        None => {}
    }

    // Entries that nothing needs, stdlibs and cycles.
    let graph = PackageGraph::new(manifest);
    let mut roots: BTreeSet<Uuid> = all_deps.values().copied().collect();
    for p in std::iter::once(project).chain(
        env.workspace
            .iter()
            .flat_map(|w| w.projects.iter().map(|(_, p)| p)),
    ) {
        roots.extend(p.all_deps().values().copied());
        roots.extend(p.uuid);
    }
    let reachable = graph.closure(roots.iter().copied());
    let unreachable: Vec<&str> = manifest
        .entries
        .iter()
        .filter(|e| !reachable.contains(&e.uuid))
        .map(|e| e.name.as_str())
        .collect();
    if !unreachable.is_empty() {
        c.add(
            Severity::Info,
            "unpruned-entries",
            format!("{} entries are not needed by the project ({}); Pkg prunes them on the next resolve", unreachable.len(), unreachable.join(", ")),
            at_manifest(),
            None,
        );
    }
    if let Some(cycle) = graph.find_cycle() {
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|u| graph.entry(u))
            .map(|e| e.name.clone())
            .collect();
        c.add(
            Severity::Error,
            "dependency-cycle",
            format!("dependency cycle: {}", names.join(" → ")),
            at_manifest(),
            None,
        );
    }
    for e in &manifest.entries {
        if e.tracking() == Tracking::Stdlib && !stdlib::is_known_stdlib(&e.uuid) {
            c.add(
                Severity::Error,
                "unknown-stdlib",
                format!(
                    "`{}` has neither a git-tree-sha1 nor a path, but {} is not a standard library",
                    e.name, e.uuid
                ),
                Some(e.location.clone()),
                Some(&e.name),
            );
        }
    }

    if let Some(depots) = &opts.depots {
        check_sources(&mut c, env, depots, opts.verify_sources);
    }
    finish(c)
}

fn check_sources(c: &mut Collector, env: &Environment, depots: &Depots, verify: bool) {
    let Some(manifest) = &env.manifest else {
        return;
    };
    let mut missing = Vec::new();
    check_each_source(c, env, manifest, depots, verify, &mut missing);
    report_missing_sources(c, depots, &missing);
}

/// Packages in no depot: one finding each for a few, one summary for many (an environment
/// that was never instantiated would otherwise list hundreds).
fn report_missing_sources(c: &mut Collector, depots: &Depots, missing: &[&ManifestEntry]) {
    const LISTED: usize = 5;
    let depots = depots
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let describe = |e: &ManifestEntry| match &e.version {
        Some(v) => format!("`{}` {v}", e.name),
        None => format!("`{}`", e.name),
    };
    if missing.len() <= LISTED {
        for e in missing {
            c.add(
                Severity::Warning,
                "source-missing",
                format!(
                    "{} is in no depot ({depots}); the environment is not instantiated",
                    describe(e)
                ),
                Some(e.location.clone()),
                Some(&e.name),
            );
        }
        return;
    }
    let named: Vec<String> = missing.iter().take(LISTED).map(|e| describe(e)).collect();
    c.add(
        Severity::Warning,
        "source-missing",
        format!(
            "{} packages are in no depot ({depots}): {} and {} more; the environment is not \
             instantiated (`Pkg.instantiate()`)",
            missing.len(),
            named.join(", "),
            missing.len() - LISTED
        ),
        Some(missing[0].location.clone()),
        None,
    );
}

fn check_each_source<'m>(
    c: &mut Collector,
    env: &Environment,
    manifest: &'m Manifest,
    depots: &Depots,
    verify: bool,
    missing: &mut Vec<&'m ManifestEntry>,
) {
    for e in &manifest.entries {
        if e.tracking() == Tracking::Stdlib {
            continue;
        }
        let Some(dir) = source_dir(e, &env.manifest_file, depots).filter(|d| d.is_dir()) else {
            if e.path.is_some() {
                c.add(
                    Severity::Error,
                    "path-source-missing",
                    format!(
                        "`{}` is tracked at path {:?}, which does not exist",
                        e.name,
                        e.path.as_deref().unwrap_or_default()
                    ),
                    Some(e.location.clone()),
                    Some(&e.name),
                );
            } else {
                missing.push(e);
            }
            continue;
        };
        if !verify {
            continue;
        }
        let Some(want) = e.tree_hash else { continue };
        match crate::tree_hash::tree_hash(&dir) {
            Ok(got) if got == want => {}
            Ok(got) => c.add(
                Severity::Error,
                "source-tree-hash-mismatch",
                format!(
                    "the source of `{}` at {} hashes to {got}, but the manifest says {want}",
                    e.name,
                    dir.display()
                ),
                Some(e.location.clone()),
                Some(&e.name),
            ),
            Err(err) => c.add(
                Severity::Error,
                "source-unreadable",
                format!("the source of `{}` could not be hashed: {err}", e.name),
                Some(e.location.clone()),
                Some(&e.name),
            ),
        }
    }
}

fn finish(mut c: Collector) -> Report {
    c.0.sort_by_key(|f| f.severity);
    Report { findings: c.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const UUID_A: &str = "7876af07-990d-54b4-ab0e-23690620f79a";

    fn env_with(project: &str, manifest: Option<&str>) -> (tempfile::TempDir, Environment) {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("Project.toml"), project).unwrap();
        if let Some(m) = manifest {
            fs::write(t.path().join("Manifest.toml"), m).unwrap();
        }
        let env = Environment::load(&t.path().join("Project.toml"), None).unwrap();
        (t, env)
    }

    fn codes(r: &Report) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn consistent_environment_has_no_errors() {
        let (_t, env) = env_with(
            &format!("[deps]\nExample = \"{UUID_A}\"\n"),
            Some(&format!(
                "julia_version = \"1.12.0\"\nmanifest_format = \"2.0\"\nproject_hash = \"{}\"\n\n[[deps.Example]]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\nuuid = \"{UUID_A}\"\nversion = \"0.5.3\"\n",
                "a3d1f2ad1ab2e1b3fbf0e6e5b8d53f2ee1b7d3d3"
            )),
        );
        let r = check_environment(&env, &CheckOptions::default());
        // Only the hash (deliberately wrong above) is stale.
        assert_eq!(codes(&r), ["stale-project-hash"]);
        let right = project_hash(&env.project, &[], crate::flavor::PkgFlavor::V1_12, None);
        let (_t, env) = env_with(
            &format!("[deps]\nExample = \"{UUID_A}\"\n"),
            Some(&format!(
                "julia_version = \"1.12.0\"\nmanifest_format = \"2.0\"\nproject_hash = \"{right}\"\n\n[[deps.Example]]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\nuuid = \"{UUID_A}\"\nversion = \"0.5.3\"\n"
            )),
        );
        let r = check_environment(&env, &CheckOptions::default());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let depots = tempfile::tempdir().unwrap();
        let opts = CheckOptions {
            depots: Some(Depots::new(vec![depots.path().into()])),
            verify_sources: true,
        };
        let r = check_environment(&env, &opts);
        assert_eq!(codes(&r), ["source-missing"]);
        assert_eq!(r.findings[0].severity, Severity::Warning);
        let src = depots.path().join("packages/Example/aqsx3");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("README.md"), "not the real thing").unwrap();
        let r = check_environment(&env, &opts);
        assert_eq!(codes(&r), ["source-tree-hash-mismatch"]);
        assert!(r.has_errors());
    }

    #[test]
    fn broken_environments_list_every_problem() {
        let (_t, env) = env_with(
            &format!("[deps]\nExample = \"{UUID_A}\"\nGone = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n[compat]\nExample = \"1\"\n"),
            Some(&format!(
                "manifest_format = \"2.0\"\n\n[[deps.Example]]\ndeps = [\"Nope\"]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\nuuid = \"{UUID_A}\"\nversion = \"0.5.3\"\n\n[[deps.Twin]]\nuuid = \"{UUID_A}\"\n\n[[deps.Weird]]\nuuid = \"00000000-0000-0000-0000-000000000001\"\n"
            )),
        );
        let r = check_environment(&env, &CheckOptions::default());
        let c = codes(&r);
        for want in [
            "duplicate-entry",
            "manifest-graph",
            "dep-missing-from-manifest",
            "unknown-stdlib",
            "no-project-hash",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        let graph = r
            .findings
            .iter()
            .find(|f| f.code == "manifest-graph")
            .unwrap();
        assert!(graph.message.contains("depends on `Nope`"));
        assert_eq!(graph.location.as_ref().unwrap().line, Some(3));
    }

    #[test]
    fn missing_manifest_is_an_error_only_with_deps() {
        let (_t, env) = env_with("", None);
        assert!(!check_environment(&env, &CheckOptions::default()).has_errors());
        let (_t, env) = env_with(&format!("[deps]\nExample = \"{UUID_A}\"\n"), None);
        assert_eq!(
            codes(&check_environment(&env, &CheckOptions::default())),
            ["missing-manifest"]
        );
    }
}
