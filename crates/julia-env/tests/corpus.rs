//! The real environments in `shared/corpus/environments`: each parses, and writing a Manifest
//! read from disk reproduces it byte for byte.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use julia_env::manifest::Manifest;
use julia_env::project::Project;

#[test]
fn every_corpus_manifest_round_trips_byte_for_byte() {
    let Some(shared) = common::shared_dir("every_corpus_manifest_round_trips_byte_for_byte") else {
        return;
    };
    let envs = common::corpus_environments(&shared);
    assert!(
        envs.len() >= 30,
        "expected the 31 corpus environments, found {}",
        envs.len()
    );
    for env in envs {
        Project::read(&env.join("Project.toml")).unwrap_or_else(|e| panic!("{e}"));
        let path = env.join("Manifest.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let m = Manifest::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let written = m.to_pkg_toml();
        if written != text {
            let line = written
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{}: differs at line {}:\n wrote: {:?}\n  file: {:?}",
                path.display(),
                line + 1,
                written.lines().nth(line),
                text.lines().nth(line)
            );
        }
    }
}

#[test]
fn project_hash_matches_what_real_pkg_wrote() {
    use julia_env::project_hash::{hash_input, project_hash};
    let Some(shared) = common::shared_dir("project_hash_matches_what_real_pkg_wrote") else {
        return;
    };
    let mut checked = 0;
    let mut mismatches = Vec::new();
    let mut stale = 0;
    for env in common::corpus_environments(&shared) {
        let project = Project::read(&env.join("Project.toml")).unwrap();
        let manifest = Manifest::read(&env.join("Manifest.toml")).unwrap();
        let Some(want) = manifest.project_hash else {
            continue;
        };
        let julia = manifest.julia_version.as_ref();
        let got = project_hash(&project, &[], manifest.flavor(), julia);
        if got != want {
            // A mismatch is ours unless the files really disagree: a direct dependency whose
            // manifest version its compat excludes means the Project changed after resolving.
            if let Some(why) = disagreement(&project, &manifest) {
                eprintln!(
                    "{}: stale manifest ({why}); hash mismatch expected",
                    env.display()
                );
                stale += 1;
                continue;
            }
            mismatches.push(format!(
                "{}: julia {:?}, hashed {:?}",
                env.display(),
                julia.map(|v| v.to_string()),
                hash_input(&project, &[], manifest.flavor(), julia)
            ));
        }
        checked += 1;
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!("project_hash agrees with real Pkg on {checked} corpus environments; {stale} more are stale");
    assert!(
        checked + stale >= 30,
        "only {} environments had a project_hash",
        checked + stale
    );
}

/// Why a Project and its Manifest disagree, if they visibly do.
fn disagreement(project: &Project, manifest: &Manifest) -> Option<String> {
    for (name, uuid) in &project.deps {
        let Some(entry) = manifest.get(uuid) else {
            return Some(format!("{name} is not in the manifest"));
        };
        if let (Some(v), Some(c)) = (&entry.version, project.compat.get(name)) {
            if !c.spec.contains(v) {
                return Some(format!("{name} {v} is outside its compat \"{}\"", c.text));
            }
        }
    }
    None
}

#[test]
fn general_registry_tarball_matches_its_recorded_tree_hash() {
    use julia_env::registry::{reachable_registries, Registry};
    let Some(shared) =
        common::shared_dir("general_registry_tarball_matches_its_recorded_tree_hash")
    else {
        return;
    };
    let reg = Registry::open_compressed(&shared.join("registries/General.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reg.name, "General");
    assert!(reg.packages.len() > 9000, "{} packages", reg.packages.len());
    assert_eq!(
        reg.content_tree_hash(),
        reg.recorded_tree_hash,
        "tree hash of General.tar.gz"
    );
    let example = reg.uuids_named("Example")[0];
    let versions = reg.versions(&example).unwrap();
    let v053 = julia_env::version::VersionNumber::new(0, 5, 3);
    assert_eq!(
        versions[&v053].tree_hash.to_string(),
        "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc"
    );
    assert!(reg.compat(&example, &v053).unwrap().contains_key("julia"));
    // A depot whose registries/ holds General.toml + General.tar.gz, as Pkg keeps them.
    let depot = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(depot.path().join("registries")).unwrap();
    for f in ["General.toml", "General.tar.gz"] {
        std::fs::copy(
            shared.join("registries").join(f),
            depot.path().join("registries").join(f),
        )
        .unwrap();
    }
    let found = reachable_registries(&[depot.path().to_path_buf()], true);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].as_ref().unwrap().uuid.to_string(),
        "23338594-aafe-5451-b93e-139f81909106"
    );
    assert!(reachable_registries(&[depot.path().to_path_buf()], false).is_empty());
}
