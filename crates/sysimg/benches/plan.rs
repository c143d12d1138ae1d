//! Benchmark of issue 3 (`cargo bench -p sysimg`): `plan --json`'s work (load the
//! environment, plan, encode JSON) on the largest corpus environment, per policy. Goal: under
//! 10 ms. Uses `../shared` (`SYSIMG_SHARED_DIR` overrides); skips, saying so, without it.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use julia_env::environment::Environment;
use sysimg::model::plan::make_plan;
use sysimg::model::spec::{ImageSpec, PinnedRule, Policy};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let shared = testkit::shared_dir().unwrap_or_else(|| testkit::repo_root().join("../shared"));
    let project = shared.join("corpus/environments/sciml-Symbolics/Project.toml");
    if !project.is_file() {
        println!(
            "SKIPPED plan benchmark: no shared data at {}",
            shared.display()
        );
        return;
    }
    let specs = [
        (
            "app",
            ImageSpec {
                policy: Policy::App,
                ..ImageSpec::new()
            },
        ),
        (
            "pinned",
            ImageSpec {
                policy: Policy::Pinned,
                ..ImageSpec::new()
            },
        ),
        (
            "pinned manifest-rm",
            ImageSpec {
                policy: Policy::Pinned,
                pinned_rule: PinnedRule::ManifestRm,
                ..ImageSpec::new()
            },
        ),
        (
            "dev sideload",
            ImageSpec {
                policy: Policy::Dev,
                sideload: true,
                ..ImageSpec::new()
            },
        ),
    ];
    println!("plan --json on sciml-Symbolics (468 packages), median of 50 runs:");
    for (label, spec) in &specs {
        let mut total = Vec::new();
        let mut plan_only = Vec::new();
        for _ in 0..51 {
            let t = Instant::now();
            let env = Environment::load(&project, None).unwrap();
            let t_plan = Instant::now();
            let plan = make_plan(&env, spec).unwrap();
            let json = serde_json::to_string(&plan).unwrap();
            plan_only.push(t_plan.elapsed());
            std::hint::black_box(json);
            total.push(t.elapsed());
        }
        let median = |mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        println!(
            "  {label:20} total {:6.2} ms (plan + JSON alone {:5.2} ms; goal < 10 ms)",
            median(total).as_secs_f64() * 1e3,
            median(plan_only).as_secs_f64() * 1e3
        );
    }
}
