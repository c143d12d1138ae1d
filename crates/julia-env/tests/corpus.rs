//! The real environments in `shared/corpus/environments`: each parses, and writing a Manifest
//! read from disk reproduces it byte for byte.

mod common;

use julia_env::manifest::Manifest;
use julia_env::project::Project;

#[test]
fn every_corpus_manifest_round_trips_byte_for_byte() {
    let Some(shared) = common::shared_dir("every_corpus_manifest_round_trips_byte_for_byte") else { return };
    let envs = common::corpus_environments(&shared);
    assert!(envs.len() >= 30, "expected the 31 corpus environments, found {}", envs.len());
    for env in envs {
        Project::read(&env.join("Project.toml")).unwrap_or_else(|e| panic!("{e}"));
        let path = env.join("Manifest.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let m = Manifest::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let written = m.to_pkg_toml();
        if written != text {
            let line = written.lines().zip(text.lines()).position(|(a, b)| a != b).unwrap_or(0);
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
    let Some(shared) = common::shared_dir("project_hash_matches_what_real_pkg_wrote") else { return };
    let mut checked = 0;
    let mut mismatches = Vec::new();
    let mut stale = 0;
    for env in common::corpus_environments(&shared) {
        let project = Project::read(&env.join("Project.toml")).unwrap();
        let manifest = Manifest::read(&env.join("Manifest.toml")).unwrap();
        let Some(want) = manifest.project_hash else { continue };
        let julia = manifest.julia_version.as_ref();
        let got = project_hash(&project, &[], manifest.flavor(), julia);
        if got != want {
            // A mismatch is ours unless the files really disagree: a direct dependency whose
            // manifest version its compat excludes means the Project changed after resolving.
            if let Some(why) = disagreement(&project, &manifest) {
                eprintln!("{}: stale manifest ({why}); hash mismatch expected", env.display());
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
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    eprintln!("project_hash agrees with real Pkg on {checked} corpus environments; {stale} more are stale");
    assert!(checked + stale >= 30, "only {} environments had a project_hash", checked + stale);
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
