//! Mutated and hostile inputs never make the readers panic (the same entry points as the
//! `cargo fuzz` targets in `fuzz/`, run here on stable with deterministic mutations).

mod common;

use std::path::Path;

use julia_env::artifacts::ArtifactsFile;
use julia_env::compat::semver_spec;
use julia_env::graph::PackageGraph;
use julia_env::manifest::Manifest;
use julia_env::project::Project;
use julia_env::toml_source::TomlSource;
use julia_env::version::VersionNumber;
use julia_env::version_spec::VersionSpec;

const SEEDS: &[&str] = &[
    "name = \"A\"\nuuid = \"7876af07-990d-54b4-ab0e-23690620f79a\"\nversion = \"1.2.3\"\n[deps]\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n[compat]\nB = \"1.2, 2\"\njulia = \"1.10\"\n[extras]\nT = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n[targets]\ntest = [\"T\"]\n[sources]\nB = {path = \"x\"}\n[workspace]\nprojects = [\"a\"]\n",
    "julia_version = \"1.11.0\"\nmanifest_format = \"2.0\"\nproject_hash = \"8a91c3bdaf7537df6f842463e0505fb7c623875c\"\n\n[[deps.A]]\ndeps = [\"B\"]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\nuuid = \"7876af07-990d-54b4-ab0e-23690620f79a\"\nversion = \"0.5.3\"\n\n    [deps.A.extensions]\n    E = [\"B\"]\n    [deps.A.weakdeps]\n    C = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n\n[[deps.B]]\nuuid = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\npinned = true\npath = \"../b\"\n",
    "[[A]]\nuuid = \"7876af07-990d-54b4-ab0e-23690620f79a\"\ndeps = [\"A\"]\n",
    "[[X]]\narch = \"x86_64\"\nos = \"linux\"\ngit-tree-sha1 = \"1111111111111111111111111111111111111111\"\nlibgfortran_version = \"5\"\n[[X.download]]\nurl = \"u\"\nsha256 = \"s\"\n[Y]\ngit-tree-sha1 = \"2222222222222222222222222222222222222222\"\nlazy = true\n",
];

const INSERTS: &[&str] = &[
    "\"", "\\", "$", "[", "]", "[[", "=", "\n", "\0", "é", "{", "}", ",", "-", "+", "0.0.0", "*",
    "'''", "\"\"\"", "#",
];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &str, rng: &mut Lcg) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    for _ in 0..rng.next(4) + 1 {
        let at = rng.next(s.len() + 1);
        match rng.next(4) {
            0 if !s.is_empty() => {
                let end = (at + rng.next(8)).min(s.len());
                s.drain(at.min(s.len())..end);
            }
            1 => s.truncate(at),
            2 if !s.is_empty() => {
                let i = rng.next(s.len());
                s[i] = char::from_u32(32 + rng.next(95) as u32).unwrap_or('x');
            }
            _ => {
                let ins: Vec<char> = INSERTS[rng.next(INSERTS.len())].chars().collect();
                let at = at.min(s.len());
                s.splice(at..at, ins);
            }
        }
    }
    s.into_iter().collect()
}

/// Feeds `text` to every reader; whether it read as a Project.
fn exercise(text: &str) -> bool {
    let path = Path::new("Hostile.toml");
    let project = Project::parse(path, text);
    if let Ok(p) = &project {
        let written = p.to_pkg_toml(julia_env::flavor::PkgFlavor::LATEST);
        Project::parse(path, &written)
            .unwrap_or_else(|e| panic!("written project must read back: {e}\n{written}"));
        let _ = julia_env::project_hash::project_hash(
            p,
            &[],
            julia_env::flavor::PkgFlavor::V1_12,
            None,
        );
    }
    if let Ok(src) = TomlSource::parse(path, text.to_string(), "manifest") {
        if let Ok(m) = Manifest::from_source_lenient(&src) {
            let _ = m.problems();
            let g = PackageGraph::new(&m);
            let all: Vec<_> = g.uuids().collect();
            let _ = g.closure(all.iter().copied());
            let _ = g.find_cycle();
            let _ = m.to_pkg_toml();
        }
    }
    let _ = ArtifactsFile::parse(path, text);
    for line in text.lines().take(5) {
        let _ = VersionNumber::parse(line);
        let _ = semver_spec(line);
        let _ = VersionSpec::parse_range(line);
        let _ = julia_env::platform::Platform::parse_triplet(line);
    }
    project.is_ok()
}

#[test]
fn mutated_inputs_never_panic() {
    let mut seeds: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    if let Some(shared) = common::shared_dir("mutated_inputs_never_panic (fixture seeds)") {
        for dir in [
            "corpus/pkg-fixtures/manifest/bad",
            "corpus/pkg-fixtures/project/bad",
            "corpus/pkg-fixtures/project/good",
        ] {
            for e in std::fs::read_dir(shared.join(dir)).unwrap() {
                seeds.push(std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
            }
        }
    }
    let mut rng = Lcg(1);
    // The mutations must reach both sides of the readers: inputs that still read (so the
    // writers and hashes run on hostile values) and inputs each mutation broke (so the error
    // paths run), and must differ from their seeds.
    let (mut read, mut rejected, mut unchanged) = (0, 0, 0);
    for seed in &seeds {
        exercise(seed);
        for _ in 0..150 {
            let mutated = mutate(seed, &mut rng);
            if mutated == *seed {
                unchanged += 1;
            }
            if exercise(&mutated) {
                read += 1;
            } else {
                rejected += 1;
            }
        }
    }
    let total = read + rejected;
    assert!(
        read > total / 20,
        "only {read} of {total} mutated inputs read as a Project"
    );
    assert!(
        rejected > total / 20,
        "only {rejected} of {total} mutated inputs were rejected"
    );
    assert!(
        unchanged < total / 10,
        "{unchanged} of {total} mutations changed nothing"
    );
}

#[test]
fn inputs_found_by_fuzzing_are_errors_not_panics() {
    // `==\n.=` made toml_edit 0.23's parser panic ("all items have spans"); found by the
    // `project` fuzz target, fixed by moving to toml_edit 0.25.
    for text in ["==\n.=", "==\n.a=1", ".=", "[[a]]\n[a]", "a.b=1\n[a]\nb=2"] {
        assert!(
            Project::parse(Path::new("P.toml"), text).is_err(),
            "{text:?}"
        );
        exercise(text);
    }
}

#[test]
fn hostile_names_survive_writing() {
    // Names Pkg would never produce, but a hand-edited file can hold.
    let text = "[deps]\n\"a\\\"b\" = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n\"$(x)\\n\" = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n";
    let p = Project::parse(Path::new("P.toml"), text).unwrap();
    let again = Project::parse(
        Path::new("P.toml"),
        &p.to_pkg_toml(julia_env::flavor::PkgFlavor::LATEST),
    )
    .unwrap();
    assert_eq!(again.all_deps(), p.all_deps());
    assert!(again.deps.contains_key("a\"b"));
    assert!(again.deps.contains_key("$(x)\n"));
}
