//! `project_hash`: how Pkg tells that a Manifest no longer matches its Project.
//!
//! Pkg 1.10/1.11 (`project_resolve_hash`) hash the sorted `name=uuid` lines of `[deps]` and the
//! sorted `name=spec` lines of every `[compat]` entry. Pkg 1.12+ (`workspace_resolve_hash`)
//! hash direct deps (with the project itself and every workspace member), then weak deps, then
//! the workspace-intersected compat of each, in three blocks, and leave out `julia`.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

use crate::flavor::PkgFlavor;
use crate::ids::{TreeHash, Uuid};
use crate::project::Project;
use crate::stdlib;
use crate::version::VersionNumber;
use crate::version_spec::{RangeStyle, VersionSpec};

/// The string Pkg hashes, for the project, its workspace members, and the Pkg release of
/// `flavor` (`julia` is the Julia version, needed for 1.13's stdlib compat rule).
pub fn hash_input(
    project: &Project,
    members: &[Project],
    flavor: PkgFlavor,
    julia: Option<&VersionNumber>,
) -> String {
    let style = if flavor == PkgFlavor::V1_10 {
        RangeStyle::Compact
    } else {
        RangeStyle::Spaced
    };
    let mut s = String::new();
    if flavor <= PkgFlavor::V1_11 {
        for (name, uuid) in &project.deps {
            s.push_str(&format!("{name}={uuid}\n"));
        }
        for (name, compat) in &project.compat {
            s.push_str(&format!("{name}={}\n", compat.spec.display(style)));
        }
        return s;
    }
    let mut deps: BTreeMap<&str, Uuid> = BTreeMap::new();
    let mut weak: BTreeMap<&str, Uuid> = BTreeMap::new();
    for p in std::iter::once(project).chain(members) {
        if let Some((name, uuid)) = p.package_id() {
            deps.insert(name, uuid);
        }
        deps.extend(p.deps.iter().map(|(n, u)| (n.as_str(), *u)));
        weak.extend(p.weakdeps.iter().map(|(n, u)| (n.as_str(), *u)));
    }
    let names: std::collections::BTreeSet<&str> = deps.keys().chain(weak.keys()).copied().collect();
    for (name, uuid) in &deps {
        s.push_str(&format!("{name}={uuid}\n"));
    }
    s.push('\n');
    for (name, uuid) in &weak {
        s.push_str(&format!("{name}={uuid}\n"));
    }
    s.push('\n');
    for name in names {
        let mut spec = std::iter::once(project)
            .chain(members)
            .map(|p| {
                p.compat
                    .get(name)
                    .map(|c| c.spec.clone())
                    .unwrap_or_default()
            })
            .reduce(|a, b| a.intersect(&b))
            .unwrap_or_default();
        if flavor >= PkgFlavor::V1_13 {
            if let (Some(uuid), Some(julia)) = (project.deps.get(name), julia) {
                spec = ignore_incompatible_stdlib_compat(uuid, spec, julia);
            }
        }
        s.push_str(&format!("{name}={}\n", spec.display(style)));
    }
    s
}

/// Pkg 1.13's `check_stdlib_compat`: a compat entry that excludes a non-upgradable stdlib's
/// only version is ignored (treated as `*`).
fn ignore_incompatible_stdlib_compat(
    uuid: &Uuid,
    spec: VersionSpec,
    julia: &VersionNumber,
) -> VersionSpec {
    if !stdlib::is_fixed_stdlib(uuid, julia) || spec.is_empty() {
        return spec;
    }
    match stdlib::stdlibs_for(julia)
        .and_then(|s| s.get(uuid))
        .and_then(|s| s.version.as_ref())
    {
        Some(v) if !spec.contains(v) => VersionSpec::any(),
        _ => spec,
    }
}

/// The `project_hash` Pkg would record for this project.
pub fn project_hash(
    project: &Project,
    members: &[Project],
    flavor: PkgFlavor,
    julia: Option<&VersionNumber>,
) -> TreeHash {
    let digest = Sha1::digest(hash_input(project, members, flavor, julia).as_bytes());
    TreeHash(digest.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn project(text: &str) -> Project {
        Project::parse(Path::new("Project.toml"), text).unwrap()
    }

    #[test]
    fn vectors_from_pkg() {
        let p = project("[deps]\nMocking = \"78c3b35d-d492-501b-9361-3d52fe80e533\"\n");
        assert_eq!(
            hash_input(&p, &[], PkgFlavor::V1_12, None),
            "Mocking=78c3b35d-d492-501b-9361-3d52fe80e533\n\n\nMocking=*\n"
        );
        assert_eq!(
            project_hash(&p, &[], PkgFlavor::V1_12, None).to_string(),
            "8a91c3bdaf7537df6f842463e0505fb7c623875c"
        );
        let p = project("name = \"Rot13\"\nuuid = \"43ef800a-eac4-47f4-949b-25107b932e8f\"\n");
        assert_eq!(
            project_hash(&p, &[], PkgFlavor::V1_12, None).to_string(),
            "2610b29b73f9f9432fb181a7f9f7c5c9e3de5557"
        );
        let p = project(
            "[deps]\nExample = \"7876af07-990d-54b4-ab0e-23690620f79a\"\nIndirectArrays = \"9b13fd28-a010-5f03-acff-a1bbcff69959\"\n\
             [weakdeps]\nIndirectArrays = \"9b13fd28-a010-5f03-acff-a1bbcff69959\"\nOffsetArrays = \"6fe1bfb0-de20-5000-8ca7-80f57d26f881\"\n\
             [compat]\nExample = \"0.5\"\nIndirectArrays = \"1.0\"\nOffsetArrays = \"1.12\"\n",
        );
        assert_eq!(
            hash_input(&p, &[], PkgFlavor::V1_10, None),
            "Example=7876af07-990d-54b4-ab0e-23690620f79a\nExample=0.5\nIndirectArrays=1\nOffsetArrays=1.12.0-1\n"
        );
        assert_eq!(
            project_hash(&p, &[], PkgFlavor::V1_10, None).to_string(),
            "8e0de0086d647967f02f7aba44b17d73156d2fee"
        );
    }

    #[test]
    fn empty_project_hashes_two_newlines() {
        let p = project("");
        assert_eq!(hash_input(&p, &[], PkgFlavor::V1_12, None), "\n\n");
    }

    #[test]
    fn stdlib_compat_that_excludes_the_bundled_version_is_ignored_from_1_13() {
        let p = project(
            "[deps]\nDates = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n[compat]\nDates = \"0.5\"\n",
        );
        let julia = VersionNumber::parse("1.13.0").unwrap();
        assert!(hash_input(&p, &[], PkgFlavor::V1_13, Some(&julia)).ends_with("Dates=*\n"));
        let v12 = hash_input(&p, &[], PkgFlavor::V1_12, Some(&julia));
        assert!(v12.ends_with("Dates=0.5\n"), "{v12:?}");
    }
}
