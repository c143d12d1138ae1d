//! Time to the workload's result on the realistic world (issue 21): the data-analysis stack of
//! `../shared/julia/pkgserver-large` (19 direct dependencies, 49 packages) on Julia 1.5.3 and
//! PackageCompiler 1.4.1 (`SYSIMG_TEST_JULIA`), its `workload.jl` as the precompile execution
//! file of every image:
//! - julia's default image;
//! - sysimg's dev image (the default `public`, side-loading the internal packages);
//! - sysimg's app image;
//! - a hand-written `create_sysimage` of the 19 direct dependencies with the same file.
//!
//! Runs are interleaved (one of each per round) and medians reported, with the ratios; each
//! build's wall time and peak memory (the largest resident set of the build's processes, from
//! `wait4`). Then, for each image, one more run with `--trace-compile`: the statements julia
//! still had to compile for the workload (what the image did not hold), counted by the module
//! they name first. Goal: the app image within 1.05x of the hand-written one, its build no
//! dearer. Run with `cargo bench -p sysimg-cli --bench real_julia_large` (three builds of the
//! 49 packages: about 15 minutes on 2 idle cores).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::lab::Lab;

const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs a command to its end; its wall time and peak resident set (MiB) over it and every
/// process it waited for (Linux's `wait4` reports the largest of them).
#[allow(clippy::zombie_processes)] // wait4 below reaps it.
fn run_measured(mut c: Command) -> (Duration, f64) {
    let start = Instant::now();
    let child = c.spawn().expect("starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid we hold; `status` and `usage` outlive it.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{c:?} failed"
    );
    (took, usage.ru_maxrss as f64 / 1024.0)
}

fn time(mut c: Command) -> Duration {
    let start = Instant::now();
    let o = c.output().expect("julia runs");
    let took = start.elapsed();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("WORKLOAD OK"),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    took
}

/// The statements of a `--trace-compile` file, counted by the first module a statement names
/// after `precompile(Tuple{`.
fn statements_by_module(trace: &Path) -> (usize, BTreeMap<String, usize>) {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let mut by = BTreeMap::new();
    let mut n = 0;
    for line in text.lines().filter(|l| l.starts_with("precompile(")) {
        n += 1;
        let rest = line.trim_start_matches("precompile(Tuple{");
        let head: String = rest
            .trim_start_matches("typeof(")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        *by.entry(head).or_insert(0) += 1;
    }
    (n, by)
}

fn main() {
    let Some(lab) = Lab::large_from_env(common::SYSIMG) else {
        println!(
            "SKIPPED real_julia_large benchmark: set SYSIMG_TEST_JULIA to a julia and provide ../shared/julia/pkgserver-large"
        );
        return;
    };
    let workload = Lab::large_workload();
    let toplevel: Vec<String> = std::fs::read_to_string(workload.with_file_name("toplevel.txt"))
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // Every package compiled once on the default image first, as a user's depot would be;
    // this first run is not timed.
    let default_env = lab.env_copy("bench-default");
    let o = lab
        .julia()
        .arg(format!("--project={}", default_env.display()))
        .arg(&workload)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut builds: Vec<(&str, Duration, f64)> = Vec::new();
    let mut sysimg_image = |name: &'static str, spec: &str| -> PathBuf {
        let env = lab.env_copy(name);
        std::fs::copy(&workload, env.join("workload.jl")).unwrap();
        std::fs::write(
            env.join("Sysimage.toml"),
            format!("{spec}precompile_execution_files = [\"workload.jl\"]\n"),
        )
        .unwrap();
        let mut c = lab.sysimg(&env, &["build", "--json"]);
        c.stdout(std::process::Stdio::null());
        let (took, peak) = run_measured(c);
        builds.push((name, took, peak));
        let o = lab
            .sysimg(&env, &["julia-args", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("julia-args: {e}: {}", String::from_utf8_lossy(&o.stderr)));
        PathBuf::from(v["image"].as_str().expect("an image"))
    };
    let app = sysimg_image("sysimg app", "policy = \"app\"\n");
    let dev = sysimg_image("sysimg dev", "policy = \"dev\"\nsideload = true\n");

    // The hand-written call a team would write, with the same inputs.
    let tools = std::fs::read_dir(lab.store.join("tools"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let hand = lab.root.join("hand.so");
    let symbols: Vec<String> = toplevel.iter().map(|n| format!(":{n}")).collect();
    let script = format!(
        r#"push!(LOAD_PATH, {tools:?})
using PackageCompiler
create_sysimage([{packages}]; sysimage_path = {hand:?}, project = {env:?},
                precompile_execution_file = {exec:?})"#,
        tools = tools.display().to_string(),
        packages = symbols.join(", "),
        hand = hand.display().to_string(),
        env = default_env.display().to_string(),
        exec = workload.display().to_string(),
    );
    let mut c = lab.julia();
    c.args(["-e", &script])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let (took, peak) = run_measured(c);
    builds.push(("hand-written", took, peak));

    println!("builds (wall time, peak resident set of the largest process):");
    for (name, took, peak) in &builds {
        println!(
            "  {name:<14} {:>7.0} s {:>8.0} MiB",
            took.as_secs_f64(),
            peak
        );
    }

    // Time to the workload's result: start julia, run it, exit.
    let images: [(&str, Option<&Path>); 4] = [
        ("default image", None),
        ("sysimg dev", Some(&dev)),
        ("sysimg app", Some(&app)),
        ("hand-written", Some(&hand)),
    ];
    let run = |image: Option<&Path>| {
        let mut c = lab.julia();
        if let Some(i) = image {
            c.arg("-J").arg(i);
        }
        c.arg(format!("--project={}", default_env.display()))
            .arg(&workload);
        c
    };
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); images.len()];
    for _ in 0..ROUNDS {
        for ((_, image), t) in images.iter().zip(&mut times) {
            t.push(time(run(*image)));
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let hand_median = medians[3].as_secs_f64();
    println!("time to the workload's result (median of {ROUNDS}, interleaved):");
    for ((name, _), m) in images.iter().zip(&medians) {
        println!(
            "  {name:<14} {:>8.2} s   {:>6.3}x hand-written",
            m.as_secs_f64(),
            m.as_secs_f64() / hand_median
        );
    }
    println!(
        "  app / hand-written {:.3} (goal <= 1.05)",
        medians[2].as_secs_f64() / hand_median
    );

    // What each image left julia to compile for the workload.
    println!("statements julia compiled during the workload (--trace-compile), by module:");
    let mut counted = Vec::new();
    for (name, image) in images.iter() {
        let trace = lab
            .root
            .join(format!("trace-{}.jl", name.replace(' ', "-")));
        let mut t = lab.julia();
        if let Some(i) = image {
            t.arg("-J").arg(i);
        }
        t.arg(format!("--trace-compile={}", trace.display()))
            .arg(format!("--project={}", default_env.display()))
            .arg(&workload);
        time(t);
        counted.push((name, statements_by_module(&trace)));
    }
    for (name, (n, by)) in &counted {
        let mut top: Vec<(&String, &usize)> = by.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = top
            .iter()
            .take(8)
            .map(|(m, c)| format!("{m} {c}"))
            .collect();
        println!("  {name:<14} {n:>6}: {}", top.join(", "));
    }
}
