//! Helpers shared by the integration tests: where `../shared` is, and skipping without it.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// The shared real-world data beside the repository (`SYSIMG_SHARED_DIR` overrides) when it
/// holds the corpus, or `None` after a printed `SKIPPED <test>: ...` line.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    match testkit::shared_dir().filter(|d| d.join("corpus").is_dir()) {
        Some(dir) => Some(dir),
        None => {
            testkit::skip_named(
                test,
                "no shared corpus beside the repository (set SYSIMG_SHARED_DIR to run it)",
            );
            None
        }
    }
}

/// Every corpus environment directory, sorted.
pub fn corpus_environments(shared: &std::path::Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/environments"))
        .expect("corpus/environments is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Project.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// How [`manifest_request`] fixed an environment's packages.
#[derive(Debug, Default, Clone, Copy)]
pub struct FixedCounts {
    /// Registered versions the registry has: fixed with the registry's dependencies.
    pub from_registry: usize,
    /// Registered versions the registry lacks (newer than the snapshot): fixed with the
    /// dependencies the Manifest lists, at any version.
    pub from_manifest: usize,
    /// Packages tracked by path or repository: likewise.
    pub tracked: usize,
    /// Standard library entries, left to the resolver.
    pub stdlibs: usize,
}

/// A resolve request fixing every package of the environment in `dir` at its Manifest version
/// and requiring its direct dependencies, with the Manifest's Julia version; also the expected
/// solution (every non-stdlib Manifest package at its version). `None` when the Manifest has no
/// Julia version with a stdlib table.
pub fn manifest_request(
    index: &julia_env::resolve::RegistryIndex,
    dir: &std::path::Path,
) -> Option<(
    julia_env::resolve::Request,
    std::collections::BTreeMap<julia_env::ids::Uuid, julia_env::version::VersionNumber>,
    FixedCounts,
)> {
    use julia_env::manifest::{Manifest, Tracking};
    use julia_env::project::Project;
    use julia_env::resolve::{Dependency, FixedPackage, PackageIndex, Request};
    use julia_env::stdlib;
    use julia_env::version_spec::VersionSpec;

    let project = Project::read(&dir.join("Project.toml")).unwrap_or_else(|e| panic!("{e}"));
    let manifest = Manifest::read(&dir.join("Manifest.toml")).unwrap_or_else(|e| panic!("{e}"));
    let julia = manifest.julia_version.clone()?;
    stdlib::stdlibs_for(&julia)?;
    let mut counts = FixedCounts::default();
    let mut request = Request {
        julia_version: Some(julia.clone()),
        ..Request::default()
    };
    let mut want = std::collections::BTreeMap::new();
    for e in &manifest.entries {
        if stdlib::is_fixed_stdlib(&e.uuid, &julia) {
            counts.stdlibs += 1;
            continue;
        }
        let version = e
            .version
            .clone()
            .unwrap_or_else(|| panic!("{}: {} has no version", dir.display(), e.name));
        want.insert(e.uuid, version.clone());
        let registered = e.tracking() == Tracking::Registry
            && index.name(&e.uuid).is_some()
            && index.versions(&e.uuid).unwrap().contains(&version);
        if registered {
            counts.from_registry += 1;
            request
                .fixed
                .push(FixedPackage::registered(e.uuid, version));
            continue;
        }
        if e.tracking() == Tracking::Registry {
            counts.from_manifest += 1;
        } else {
            counts.tracked += 1;
        }
        let strong = e.deps.iter().map(|d| (d, false));
        let weak = e.weakdeps.iter().map(|d| (d, true));
        let dependencies = strong
            .chain(weak)
            .filter_map(|(d, weak)| {
                let uuid = d
                    .uuid
                    .or_else(|| manifest.by_name(&d.name).next().map(|x| x.uuid))?;
                Some(Dependency {
                    uuid,
                    name: d.name.clone(),
                    spec: VersionSpec::any(),
                    weak,
                })
            })
            .collect();
        request.fixed.push(FixedPackage::with_dependencies(
            e.uuid,
            &e.name,
            version,
            dependencies,
        ));
    }
    request.requirements = project
        .deps
        .values()
        .map(|u| (*u, VersionSpec::any()))
        .collect();
    Some((request, want, counts))
}
