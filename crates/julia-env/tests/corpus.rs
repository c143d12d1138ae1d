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
