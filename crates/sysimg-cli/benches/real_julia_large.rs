//! Time to the workload's result on the realistic world (issue 21): the data-analysis stack of
//! `../shared/julia/pkgserver-large` (19 direct dependencies, 49 packages) on Julia 1.5.3 and
//! PackageCompiler 1.4.1 (`SYSIMG_TEST_JULIA`), with the same precompile statements file for
//! every image: the `--trace-compile` of the traceable workload (the world's workload without
//! Unitful, [`Lab::large_traceable_workload`]; Julia 1.5.3 segfaults tracing Unitful) on the
//! default image. The images:
//! - julia's default image;
//! - sysimg's dev image (the default `public`, side-loading the internal packages);
//! - sysimg's app image;
//! - a hand-written `create_sysimage` of the 19 direct dependencies with the same file;
//! - the same call with no statements (what an image misses when they do not reach it).
//!
//! Runs are interleaved (one of each per round) and medians reported, with the ratios, for the
//! workload and for the traceable workload; each build's wall time and peak memory (the
//! largest resident set of the build's processes, from `wait4`). Then, for each image, one
//! more run of the traceable workload with `--trace-compile`: the statements julia still had
//! to compile (what the image did not hold), how many of them the statements file held,
//! counted by the module they are about and (those of the file) by why a statement could not
//! be baked, and the difference between the app image and the
//! hand-written one, statement by statement. Goal: the app image within 1.05x of the
//! hand-written one, its build no dearer. A build that fails is reported (the end of its
//! log; the whole log in `target/real_julia_large/`) and left out.
//! Run with `cargo bench -p sysimg-cli --bench real_julia_large` (four builds of the 49
//! packages: about 45 minutes on the 2-core machine).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::lab::{Lab, Precompile};

const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs a command to its end, its output into `log`; its wall time and peak resident set
/// (MiB) over it and every process it waited for (Linux's `wait4` reports the largest of
/// them), or the end of the log when it failed.
#[allow(clippy::zombie_processes)] // wait4 below reaps it.
fn run_measured(mut c: Command, log: &Path) -> Result<(Duration, f64), String> {
    let file = std::fs::File::create(log).unwrap();
    c.stdout(file.try_clone().unwrap()).stderr(file);
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
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        return Ok((took, usage.ru_maxrss as f64 / 1024.0));
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "{c:?} failed (status {status}), log {}:\n{}",
        log.display(),
        tail.join("\n")
    ))
}

fn time(mut c: Command) -> Duration {
    let start = Instant::now();
    let o = c.output().expect("julia runs");
    let took = start.elapsed();
    assert_workload_ok(&o);
    took
}

/// Asserts that a workload's run succeeded and said `WORKLOAD OK`.
fn assert_workload_ok(o: &std::process::Output) {
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("WORKLOAD OK"),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The module a compiled statement is about: the first root module it names (`X` of `X.f`,
/// `X.T`) other than `Core`, `Base` and `Main`; `Base` when it names no other (Base's own
/// methods on Base's types), `Main` for the workload's own closures.
fn statement_module(statement: &str) -> String {
    let bytes = statement.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'!';
    let mut roots = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if ident(bytes[i]) && !bytes[i].is_ascii_digit() && (i == 0 || bytes[i - 1] != b'.') {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            if bytes.get(i) == Some(&b'.') && !ident(bytes[start.saturating_sub(1)]) {
                roots.push(&statement[start..i]);
            }
        } else {
            i += 1;
        }
    }
    roots
        .iter()
        .find(|r| !["Core", "Base", "Main", "precompile", "Tuple"].contains(*r))
        .or_else(|| roots.iter().find(|r| **r == "Main"))
        .map_or_else(|| "Base".to_string(), |r| r.to_string())
}

/// The `precompile(...)` statements of a `--trace-compile` file.
fn statements(trace: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("precompile("))
        .map(str::to_string)
        .collect()
}

/// Why a statement of the statements file can be compiled again on an image built with it,
/// judged from its text: it is about the script's own code (`Main.`), names a closure
/// (`var"#..."`, numbered per process), has a `Vararg` (PackageCompiler 1.4.1 rewrites
/// `Vararg{T, N} where N` to `Vararg{T, 100}`), or has abstract argument types (`Any`,
/// `Function`, `Type{T} where T`: a `precompile` of those compiles a method instance the
/// concrete call does not use).
fn statement_kind(statement: &str) -> &'static str {
    if statement.contains("Main.") {
        "the script's own"
    } else if statement.contains("var\"#") {
        "closures"
    } else if statement.contains("Vararg") {
        "Vararg"
    } else if [", Any", "Function", " where ", "{Any", "(Any"]
        .iter()
        .any(|a| statement.contains(a))
    {
        "abstract types"
    } else {
        "other"
    }
}

/// Statements counted by `key` (their module, [`statement_module`], or their kind,
/// [`statement_kind`]), largest first: `key count` items, the `top` largest, then `others N`.
fn counted<'a>(
    statements: impl Iterator<Item = &'a String>,
    key: impl Fn(&str) -> String,
    top: usize,
) -> String {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for s in statements {
        *by.entry(key(s)).or_insert(0) += 1;
    }
    let mut by: Vec<(String, usize)> = by.into_iter().collect();
    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest: usize = by.iter().skip(top).map(|(_, n)| n).sum();
    let mut items: Vec<String> = by
        .iter()
        .take(top)
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    if rest > 0 {
        items.push(format!("others {rest}"));
    }
    items.join(", ")
}

/// Statements counted by [`statement_module`], largest first.
fn by_module<'a>(statements: impl Iterator<Item = &'a String>, top: usize) -> String {
    counted(statements, statement_module, top)
}

/// Statements counted by [`statement_kind`], largest first.
fn by_kind<'a>(statements: impl Iterator<Item = &'a String>) -> String {
    counted(statements, |s| statement_kind(s).to_string(), usize::MAX)
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
    // Build logs and traces are kept in `target/real_julia_large/` for reading.
    let kept = testkit::repo_root().join("target/real_julia_large");
    std::fs::create_dir_all(&kept).unwrap();
    // Every package compiled once on the default image first, as a user's depot would be;
    // this first run is not timed. The statements file every image is built with is the
    // `--trace-compile` of the traceable workload on the default image (PackageCompiler traces
    // an execution file the same way): the world's workload without Unitful, because Julia
    // 1.5.3's trace segfaults on any Unitful quantity type (julia#38719: `jl_static_show` of a
    // unit; fixed in 1.5.4 by julia#38399), and so does a build given the workload itself as
    // its precompile execution file.
    let traceable = Lab::large_traceable_workload();
    let default_env = lab.env_copy("bench-default");
    let statements_file = kept.join("statements.jl");
    let _ = std::fs::remove_file(&statements_file);
    let first = |script: &Path, trace: Option<&Path>| {
        let mut c = lab.julia();
        if let Some(t) = trace {
            c.arg(format!("--trace-compile={}", t.display()));
        }
        let o = c
            .arg(format!("--project={}", default_env.display()))
            .arg(script)
            .output()
            .unwrap();
        assert_workload_ok(&o);
    };
    first(&workload, None);
    first(&traceable, Some(&statements_file));
    let file_statements = statements(&statements_file);
    println!(
        "precompile statements traced from the traceable workload on the default image: {}",
        file_statements.len()
    );

    let mut builds: Vec<(&str, Duration, f64)> = Vec::new();
    let mut record = |name: &'static str, measured: Result<(Duration, f64), String>| -> bool {
        match measured {
            Ok((took, peak)) => {
                builds.push((name, took, peak));
                true
            }
            Err(why) => {
                println!("{name}: the build failed, left out of the comparison: {why}");
                false
            }
        }
    };
    let sysimg_image = |dir: &str, spec: &str| -> (Command, PathBuf) {
        let env = lab.env_copy(dir);
        std::fs::copy(&statements_file, env.join("statements.jl")).unwrap();
        let statements = "precompile_statements_files = [\"statements.jl\"]\n";
        std::fs::write(env.join("Sysimage.toml"), format!("{spec}{statements}")).unwrap();
        (lab.sysimg(&env, &["build"]), env)
    };
    let image_of = |env: &Path| -> PathBuf {
        let o = lab.sysimg(env, &["julia-args", "--json"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("julia-args: {e}: {}", String::from_utf8_lossy(&o.stderr)));
        PathBuf::from(v["image"].as_str().expect("an image"))
    };
    let mut images: Vec<(&str, Option<PathBuf>)> = vec![("default image", None)];
    // The dev image first: the first build also installs PackageCompiler into the store's
    // tools environment, which the app image's build (and the hand-written one) then find.
    for (name, dir, spec) in [
        (
            "sysimg dev",
            "sysimg-dev",
            "policy = \"dev\"\nsideload = true\n",
        ),
        ("sysimg app", "sysimg-app", "policy = \"app\"\n"),
    ] {
        let (c, env) = sysimg_image(dir, spec);
        if record(
            name,
            run_measured(c, &kept.join(format!("build-{dir}.log"))),
        ) {
            images.push((name, Some(image_of(&env))));
        }
    }

    // The hand-written call a team would write, with the same inputs.
    let hand = lab.root.join("hand.so");
    let packages: Vec<&str> = toplevel.iter().map(String::as_str).collect();
    let c = lab.hand_written(
        &packages,
        &default_env,
        &Precompile::Statements(statements_file.clone()),
        &hand,
    );
    if record(
        "hand-written",
        run_measured(c, &kept.join("build-hand-written.log")),
    ) {
        images.push(("hand-written", Some(hand.clone())));
    }
    // The same call with no statements: what an image misses when the statements do not
    // reach it (an execution file whose trace failed, a statements file left out).
    let bare = lab.root.join("hand-bare.so");
    let c = lab.hand_written(&packages, &default_env, &Precompile::Nothing, &bare);
    if record(
        "hand, no stmts",
        run_measured(c, &kept.join("build-hand-written-bare.log")),
    ) {
        images.push(("hand, no stmts", Some(bare.clone())));
    }

    println!("builds (wall time, peak resident set of the largest process):");
    for (name, took, peak) in &builds {
        println!(
            "  {name:<14} {:>7.0} s {:>8.0} MiB",
            took.as_secs_f64(),
            peak
        );
    }

    // Time to each workload's result: start julia, run it, exit.
    let run = |image: Option<&Path>, script: &Path| {
        let mut c = lab.julia();
        if let Some(i) = image {
            c.arg("-J").arg(i);
        }
        c.arg(format!("--project={}", default_env.display()))
            .arg(script);
        c
    };
    for (title, script) in [
        ("the workload", &workload),
        ("the traceable workload (no Unitful)", &traceable),
    ] {
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); images.len()];
        for _ in 0..ROUNDS {
            for ((_, image), t) in images.iter().zip(&mut times) {
                t.push(time(run(image.as_deref(), script)));
            }
        }
        let medians: Vec<Duration> = times.into_iter().map(median).collect();
        let median_of = |name: &str| {
            images
                .iter()
                .position(|(n, _)| *n == name)
                .map(|i| medians[i].as_secs_f64())
        };
        let hand_median = median_of("hand-written");
        println!("time to {title}'s result (median of {ROUNDS}, interleaved):");
        for ((name, _), m) in images.iter().zip(&medians) {
            let ratio = hand_median.map_or(String::new(), |h| {
                format!("{:>6.3}x hand-written", m.as_secs_f64() / h)
            });
            println!("  {name:<14} {:>8.2} s   {ratio}", m.as_secs_f64());
        }
        if let (Some(app), Some(hand)) = (median_of("sysimg app"), hand_median) {
            println!("  app / hand-written {:.3} (goal <= 1.05)", app / hand);
        }
    }

    // What each image left julia to compile for the workload.
    println!(
        "statements julia compiled during the traceable workload (--trace-compile), by module; \
         'again': those of the statements file the image was built with"
    );
    let mut traced = Vec::new();
    for (name, image) in images.iter() {
        let trace = kept.join(format!("trace-{}.jl", name.replace(' ', "-")));
        let _ = std::fs::remove_file(&trace);
        let mut t = lab.julia();
        if let Some(i) = image {
            t.arg("-J").arg(i);
        }
        t.arg(format!("--trace-compile={}", trace.display()))
            .arg(format!("--project={}", default_env.display()))
            .arg(&traceable);
        let o = t.output().unwrap();
        if !o.status.success() {
            println!("  {name:<14} the traced run failed ({})", o.status);
            continue;
        }
        let found = statements(&trace);
        println!(
            "  {name:<14} {:>6} ({} again): {}",
            found.len(),
            found.intersection(&file_statements).count(),
            by_module(found.iter(), 10)
        );
        println!(
            "  {:<14}        again, by kind: {}",
            "",
            by_kind(found.intersection(&file_statements))
        );
        traced.push((*name, found));
    }
    let set = |name: &str| traced.iter().find(|(n, _)| *n == name).map(|(_, s)| s);
    if let (Some(app_set), Some(hand_set)) = (set("sysimg app"), set("hand-written")) {
        println!(
            "  compiled on the hand-written image, not on the app image: {}",
            hand_set.difference(app_set).count()
        );
        println!("    {}", by_module(hand_set.difference(app_set), 14));
        println!(
            "  compiled on the app image, not on the hand-written image: {}",
            app_set.difference(hand_set).count()
        );
        println!("    {}", by_module(app_set.difference(hand_set), 14));
        for (what, only) in [
            ("hand-written", hand_set.difference(app_set)),
            ("app", app_set.difference(hand_set)),
        ] {
            for statement in only.take(40) {
                println!("    only {what}: {statement}");
            }
        }
    }
    println!("  traces kept in {}", kept.display());
}
