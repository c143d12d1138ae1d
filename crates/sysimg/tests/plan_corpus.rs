//! Every corpus environment plans under every policy, and every plan keeps its invariants.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use julia_env::environment::Environment;
use sysimg::model::plan::{make_plan, Role};
use sysimg::model::spec::{ImageSpec, PinnedRule, Policy};

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = testkit::shared_or_skip()?.join("corpus/environments");
    let mut envs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    envs.sort();
    Some(envs)
}

#[test]
fn every_policy_plans_every_corpus_environment_consistently() {
    let Some(envs) = corpus() else { return };
    let specs = [
        ImageSpec {
            policy: Policy::App,
            ..ImageSpec::new()
        },
        ImageSpec {
            policy: Policy::App,
            exclude: vec!["Plots".into(), "BenchmarkTools".into()],
            ..ImageSpec::new()
        },
        ImageSpec {
            policy: Policy::Pinned,
            ..ImageSpec::new()
        },
        ImageSpec {
            policy: Policy::Pinned,
            pinned_rule: PinnedRule::ManifestRm,
            ..ImageSpec::new()
        },
        ImageSpec {
            policy: Policy::Dev,
            sideload: true,
            ..ImageSpec::new()
        },
    ];
    let mut plans = 0;
    for dir in envs {
        let mut env = Environment::load(&dir.join("Project.toml"), None).unwrap();
        // The corpus pins nothing; pin every other direct dependency so that the pinned
        // policy has real work to do.
        let direct: Vec<_> = env.project.deps.values().copied().collect();
        let manifest = env.manifest.as_mut().unwrap();
        for (i, u) in direct.iter().enumerate() {
            if let (0, Some(e)) = (i % 2, manifest.get_mut(u)) {
                e.pinned = true;
            }
        }
        let manifest = env.manifest.as_ref().unwrap();
        // A dev image whose `public` list names one direct dependency: the others it bakes
        // are promoted to shared.
        let narrow = manifest.get(&direct[0]).map(|e| ImageSpec {
            policy: Policy::Dev,
            sideload: true,
            public: vec![e.name.clone()],
            ..ImageSpec::new()
        });
        for spec in specs.iter().chain(&narrow) {
            let plan = make_plan(&env, spec).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            assert_eq!(
                plan.packages.len(),
                manifest.entries.len(),
                "{}: every package is planned",
                dir.display()
            );
            let v = plan.violations(manifest);
            assert!(v.is_empty(), "{} {:?}: {v:?}", dir.display(), spec.policy);
            assert!(plan.packages.iter().all(|p| !p.reason.is_empty()));
            assert!(plan.packages.iter().all(|p| p.baked == p.role.is_baked()));
            // Issue 21: only what no code outside the image names is side-loaded, and only
            // side-loaded packages get derived UUIDs.
            for p in &plan.packages {
                assert_eq!(p.sideload_uuid.is_some(), p.role == Role::SideLoaded);
                if p.role == Role::SideLoaded {
                    assert!(!direct.contains(&p.uuid), "{}: {}", dir.display(), p.name);
                }
            }
            if spec.policy == Policy::App && spec.exclude.is_empty() {
                // The app image bakes every direct dependency.
                for u in &direct {
                    assert!(plan.baked_uuids().contains(u), "{}", dir.display());
                }
            }
            plans += 1;
        }
    }
    eprintln!("{plans} plans checked");
}

#[test]
fn strip_of_real_environments_leaves_them_consistent() {
    use julia_env::check::{check_environment, CheckOptions};
    use julia_env::edit::ManifestEditor;
    let Some(envs) = corpus() else { return };
    for name in [
        "sciml-Bio",
        "sciml-AdaptiveSDE",
        "sciml-LinearSolve",
        "sciml-Symbolics",
    ] {
        let src = envs.iter().find(|p| p.ends_with(name)).unwrap();
        let t = tempfile::tempdir().unwrap();
        for f in ["Project.toml", "Manifest.toml"] {
            std::fs::copy(src.join(f), t.path().join(f)).unwrap();
        }
        let project_file = t.path().join("Project.toml");
        let env = Environment::load(&project_file, None).unwrap();
        let was_fresh = !check_environment(&env, &CheckOptions::default()).has_errors();
        let mut ed = ManifestEditor::open(&env.manifest_file).unwrap();
        for (i, u) in env.project.deps.values().enumerate() {
            if i % 2 == 0 {
                ed.set_pinned(u, true);
            }
        }
        ed.write().unwrap();
        let env = Environment::load(&project_file, None).unwrap();
        let spec = ImageSpec {
            policy: Policy::Pinned,
            ..ImageSpec::new()
        };
        let plan = make_plan(&env, &spec).unwrap();
        let baked = plan.baked_uuids();
        let a = sysimg::align::strip(&env, &plan).unwrap();
        a.project.apply().unwrap();
        a.manifest.apply().unwrap();
        let stripped = Environment::load(&project_file, None).unwrap();
        let report = check_environment(&stripped, &CheckOptions::default());
        if was_fresh {
            assert!(!report.has_errors(), "{name}: {:?}", report.findings);
        }
        let kept: std::collections::BTreeSet<_> = stripped
            .manifest
            .as_ref()
            .unwrap()
            .entries
            .iter()
            .map(|e| e.uuid)
            .collect();
        assert_eq!(
            kept, baked,
            "{name}: the stripped manifest holds exactly the baked set"
        );
        let again = make_plan(&stripped, &spec).unwrap();
        assert_eq!(
            again.baked_uuids(),
            baked,
            "{name}: planning the stripped environment bakes the same"
        );
    }
}
