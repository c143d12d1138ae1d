//! Time to a first result with a real Julia (`SYSIMG_TEST_JULIA`, e.g. from
//! `scripts/install-test-julia`), for the DataStructures + JSON workload:
//! - julia's default image;
//! - the image `sysimg build` makes (app policy, the workload as precompile execution file);
//! - the image a hand-written `create_sysimage` call makes from the same inputs;
//! - an image of the same packages without precompile statements, and one that learned its
//!   statements from three `sysimg run --learn` sessions of the workload.
//!
//! And what `sysimg run` adds over starting `julia -J` on the same image directly.
//!
//! Goals: sysimg's image as fast as the hand-written one (ratio <= 1.05); the learned image
//! within 1.2x of it; `sysimg run` adds < 2 ms. Run with `cargo bench -p sysimg-cli --bench
//! real_julia` (builds four images, about twelve minutes). Runs are interleaved, and medians
//! are reported.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::lab::{Lab, Precompile, WORKLOAD};

const ROUNDS: usize = 7;
const LAUNCH_ROUNDS: usize = 40;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(mut c: Command) -> Duration {
    let start = Instant::now();
    let o = c.output().expect("julia runs");
    let took = start.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    took
}

fn main() {
    let Some(lab) = Lab::from_env(common::SYSIMG) else {
        println!(
            "SKIPPED real_julia benchmark: set SYSIMG_TEST_JULIA to a julia and provide ../shared/julia/pkgserver"
        );
        return;
    };
    let env = lab.env_copy("bench");
    std::fs::write(env.join("precompile.jl"), WORKLOAD).unwrap();
    std::fs::write(
        env.join("Sysimage.toml"),
        "precompile_execution_files = [\"precompile.jl\"]\n",
    )
    .unwrap();

    let started = Instant::now();
    let built = lab.build(&env, &[]);
    println!("sysimg build: {:.0} s", started.elapsed().as_secs_f64());
    let ours = PathBuf::from(built["image"].as_str().unwrap());

    // The hand-written script a team would write, with the same inputs.
    let hand = lab.root.join("hand.so");
    let started = Instant::now();
    let o = lab
        .hand_written(
            &["DataStructures", "JSON"],
            &env,
            &Precompile::Execution(env.join("precompile.jl")),
            &hand,
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    println!(
        "hand-written create_sysimage: {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Issue 12: an image with the packages and no statements, and one that learned them from
    // three `sysimg run --learn` sessions of the workload.
    let bare_env = lab.env_copy("bench-bare");
    let bare = PathBuf::from(lab.build(&bare_env, &[])["image"].as_str().unwrap());
    let learn_env = lab.env_copy("bench-learned");
    std::fs::write(
        learn_env.join("Sysimage.toml"),
        "learn = true\nlearn_rebuild_after = 1\n",
    )
    .unwrap();
    let work = learn_env.join("work.jl");
    std::fs::write(&work, WORKLOAD).unwrap();
    for _ in 0..3 {
        let o = lab
            .sysimg(&learn_env, &["run", "--", work.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let learned_build = lab.build(&learn_env, &[]);
    let learned = PathBuf::from(learned_build["image"].as_str().unwrap());
    let learned_count = std::fs::read_to_string(learned.with_file_name("learned.jl"))
        .map(|t| t.lines().filter(|l| l.starts_with("precompile(")).count())
        .unwrap_or(0);
    println!("learned {learned_count} statements from 3 sessions");

    // Time to a first result: start julia, run the workload, exit.
    let first_result = |image: Option<&Path>| {
        let mut c = lab.julia();
        if let Some(i) = image {
            c.arg("-J").arg(i);
        }
        c.arg(format!("--project={}", env.display()))
            .args(["-e", WORKLOAD]);
        c
    };
    let (mut default, mut sysimg, mut handwritten) = (Vec::new(), Vec::new(), Vec::new());
    let (mut no_statements, mut learned_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        default.push(time(first_result(None)));
        sysimg.push(time(first_result(Some(&ours))));
        handwritten.push(time(first_result(Some(&hand))));
        no_statements.push(time(first_result(Some(&bare))));
        learned_times.push(time(first_result(Some(&learned))));
    }
    let (d, s, h) = (median(default), median(sysimg), median(handwritten));
    let (n, l) = (median(no_statements), median(learned_times));
    println!("learning (median of {ROUNDS}):");
    println!("  image without statements {:>8.3} s", n.as_secs_f64());
    println!("  learned image            {:>8.3} s", l.as_secs_f64());
    println!(
        "  learned / hand-written   {:>8.3}   (goal <= 1.2)",
        l.as_secs_f64() / h.as_secs_f64()
    );
    println!("time to first result (median of {ROUNDS}):");
    println!("  default image           {:>8.3} s", d.as_secs_f64());
    println!("  sysimg build's image    {:>8.3} s", s.as_secs_f64());
    println!("  hand-written image      {:>8.3} s", h.as_secs_f64());
    println!(
        "  sysimg / hand-written   {:>8.3}   (goal <= 1.05)",
        s.as_secs_f64() / h.as_secs_f64()
    );

    // What the run-time guard costs at start: the same start with it switched off.
    let start = |guard: &str| {
        let mut c = lab.julia();
        c.arg("-J")
            .arg(&ours)
            .arg(format!("--project={}", env.display()))
            .args(["-e", "0"])
            .env("SYSIMG_GUARD", guard);
        c
    };
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..LAUNCH_ROUNDS {
        on.push(time(start("warn")));
        off.push(time(start("off")));
    }
    let (on, off) = (median(on), median(off));
    println!("the guard at start (median of {LAUNCH_ROUNDS}):");
    println!(
        "  on {:.2} ms, off {:.2} ms: {:+.2} ms",
        on.as_secs_f64() * 1e3,
        off.as_secs_f64() * 1e3,
        (on.as_secs_f64() - off.as_secs_f64()) * 1e3
    );

    // What `sysimg run` adds: the same image and project, julia exiting at once.
    let direct = || {
        let mut c = lab.julia();
        c.arg("-J")
            .arg(&ours)
            .arg(format!("--project={}", env.display()))
            .args(["-e", "0"]);
        c
    };
    let launched = || {
        let mut c = lab.sysimg(&env, &["run", "--on-stale", "fail", "--"]);
        c.args(["--startup-file=no", "-e", "0"]);
        c
    };
    time(launched()); // the launcher's first run records its freshness stamp
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..LAUNCH_ROUNDS {
        a.push(time(direct()));
        b.push(time(launched()));
    }
    let (a, b) = (median(a), median(b));
    println!("start and exit (median of {LAUNCH_ROUNDS}):");
    println!(
        "  julia -J image          {:>8.2} ms",
        a.as_secs_f64() * 1e3
    );
    println!(
        "  sysimg run              {:>8.2} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  sysimg run adds         {:>+8.2} ms   (goal < 2 ms)",
        (b.as_secs_f64() - a.as_secs_f64()) * 1e3
    );
}
