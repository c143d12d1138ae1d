//! Benchmarks of issue 2 (run with `cargo bench -p julia-env`):
//! - reading and checking every corpus environment (time per environment and per MB), with
//!   the goal of a ~470-package Manifest read and checked in under 5 ms;
//! - tree hashing of a package-source-like tree against `git hash-object` on the same files,
//!   with the goal of staying within 2x of git.
//!
//! Uses `../shared` beside the repository (`SYSIMG_SHARED_DIR` overrides) and skips what needs
//! it, saying so.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use julia_env::check::{check_environment, CheckOptions};
use julia_env::environment::Environment;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let _ = f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn shared_dir() -> Option<PathBuf> {
    testkit::shared_dir().filter(|dir| dir.join("corpus").is_dir())
}

fn bench_environments(shared: &Path) {
    let mut envs: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/environments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    envs.sort();
    println!("read + check (no depot access), median of 30 runs:");
    println!(
        "  {:40} {:>8} {:>9} {:>10} {:>9}",
        "environment", "packages", "bytes", "time", "MB/s"
    );
    let (mut total_time, mut total_bytes) = (Duration::ZERO, 0u64);
    let mut largest = (0usize, Duration::ZERO, String::new());
    for env in &envs {
        let project = env.join("Project.toml");
        let bytes = std::fs::metadata(env.join("Manifest.toml")).unwrap().len()
            + std::fs::metadata(&project).unwrap().len();
        let mut packages = 0;
        let d = time(30, || {
            let e = Environment::load(&project, None).unwrap();
            packages = e.manifest.as_ref().map_or(0, |m| m.entries.len());
            check_environment(&e, &CheckOptions::default())
        });
        let name = env.file_name().unwrap().to_string_lossy().into_owned();
        println!(
            "  {:40} {:>8} {:>9} {:>8.3}ms {:>9.1}",
            name,
            packages,
            bytes,
            d.as_secs_f64() * 1e3,
            bytes as f64 / 1e6 / d.as_secs_f64()
        );
        total_time += d;
        total_bytes += bytes;
        if packages > largest.0 {
            largest = (packages, d, name);
        }
    }
    println!(
        "  all {} environments: {:.2} ms per environment, {:.1} MB/s; largest ({}, {} packages): {:.3} ms (goal < 5 ms)",
        envs.len(),
        total_time.as_secs_f64() * 1e3 / envs.len() as f64,
        total_bytes as f64 / 1e6 / total_time.as_secs_f64(),
        largest.2,
        largest.0,
        largest.1.as_secs_f64() * 1e3
    );
}

/// Writes a tree shaped like a depot's package sources: many small text files and a few
/// larger ones.
fn make_tree(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut state = 7u64;
    for pkg in 0..40 {
        for sub in ["src", "test", "docs/src", "ext"] {
            let dir = root.join(format!("Pkg{pkg}")).join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..12 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                let size = 200 + (state >> 40) as usize % 40_000;
                let content: Vec<u8> = (0..size)
                    .map(|i| b"abcdefghij klmnop\n"[(i + f) % 18])
                    .collect();
                let path = dir.join(format!("file{f}.jl"));
                std::fs::write(&path, content).unwrap();
                files.push(path);
            }
        }
        let big = root.join(format!("Pkg{pkg}/data.bin"));
        std::fs::write(&big, vec![pkg as u8; 2_000_000]).unwrap();
        files.push(big);
    }
    files
}

fn bench_tree_hash() {
    let dir = tempfile::tempdir().unwrap();
    let files = make_tree(dir.path());
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let ours = time(9, || julia_env::tree_hash::tree_hash(dir.path()).unwrap());
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let git_available = Command::new("git").arg("--version").output().is_ok();
    println!(
        "tree hash of {} files, {:.1} MB (median of 9, warm cache):",
        files.len(),
        bytes as f64 / 1e6
    );
    println!(
        "  sysimg tree_hash:            {:8.1} ms  {:7.1} MB/s",
        ours.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / ours.as_secs_f64()
    );
    if !git_available {
        println!("  git hash-object: SKIPPED (git is not installed)");
        return;
    }
    let git = time(9, || {
        let mut child = Command::new("git")
            .args(["hash-object", "--no-filters", "--stdin-paths"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(list.as_bytes())
            .unwrap();
        child.wait().unwrap()
    });
    println!(
        "  git hash-object --stdin-paths: {:6.1} ms  {:7.1} MB/s",
        git.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / git.as_secs_f64()
    );
    println!(
        "  ratio sysimg/git: {:.2} (goal <= 2)",
        ours.as_secs_f64() / git.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` passes `--bench`-less args; run only under `cargo bench`.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    match shared_dir() {
        Some(shared) => bench_environments(&shared),
        None => println!("SKIPPED environments benchmark: no shared data (set SYSIMG_SHARED_DIR)"),
    }
    bench_tree_hash();
}
