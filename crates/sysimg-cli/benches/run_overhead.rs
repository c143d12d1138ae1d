//! Benchmark of issue 5 (`cargo bench -p sysimg-cli`): the time `sysimg run` adds before julia
//! starts, on the largest corpus environment `build` accepts (sciml-StiffODE, 442 packages;
//! sciml-Symbolics, 468, is stale and `build` refuses it), against starting
//! the same fake julia directly with the same arguments. Goal: under 2 ms median. Uses
//! `../shared` (`SYSIMG_SHARED_DIR` overrides); skips, saying so, without it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;
const HOST_CPU: &str = "haswell:sse2,sse3,ssse3,sse4.1,sse4.2,popcnt,cx16,avx,avx2";

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let shared = std::env::var_os("SYSIMG_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let corpus = shared.join("corpus/environments/sciml-StiffODE");
    if !corpus.join("Project.toml").is_file() {
        println!(
            "SKIPPED run benchmark: no shared data at {}",
            shared.display()
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("env");
    fs::create_dir_all(&dir).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        fs::copy(corpus.join(f), dir.join(f)).unwrap();
    }
    let julia = t.path().join("julia");
    fs::write(
        &julia,
        include_str!("../../sysimg/tests/fixtures/fake-julia.sh"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&julia, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let root = t.path().to_path_buf();
    let env_dir = dir.clone();
    let sysimg = move |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sysimg"));
        c.arg("-p")
            .arg(&env_dir)
            .args(args)
            .env("SYSIMG_STORE", root.join("store"))
            .env("JULIA_DEPOT_PATH", root.join("depot"))
            .env("FAKE_JULIA_LOG", root.join("log"))
            .env("SYSIMG_HOST_CPU", HOST_CPU)
            .env_remove("JULIA_PROJECT");
        c
    };
    let jl = julia.display().to_string();
    let o = sysimg(&["build", "--julia", &jl, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let image = v["image"].as_str().unwrap().to_string();
    let run = || sysimg(&["run", "--julia", &jl, "--", "-e", "0"]);
    let log = t.path().join("log");
    let project_arg = format!("--project={}", dir.display());
    let direct = || {
        let mut c = Command::new(&julia);
        c.args(["-J", &image, &project_arg, "-e", "0"])
            .env("FAKE_JULIA_LOG", &log);
        c
    };
    // `run` really starts julia with the image, silently.
    let o = run().output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "fake julia running\n");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let (base, warm) = medians(&direct, &run);
    // A changed Manifest (new mtime) forces the full decision: read it and compare.
    let manifest = dir.join("Manifest.toml");
    let touch = || {
        let f = fs::File::options().append(true).open(&manifest).unwrap();
        f.set_modified(std::time::SystemTime::now()).unwrap();
    };
    let cold = median(&run, &touch);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("sysimg run on sciml-StiffODE (442 packages), median of {RUNS} starts:");
    println!("  fake julia directly                 {:7.2} ms", ms(base));
    println!(
        "  sysimg run, unchanged environment   {:7.2} ms  (+{:.2} ms; goal < 2 ms)",
        ms(warm),
        ms(warm) - ms(base)
    );
    println!(
        "  sysimg run, Manifest just changed   {:7.2} ms  (+{:.2} ms: reads and checks it)",
        ms(cold),
        ms(cold) - ms(base)
    );
    match which("julialauncher").or_else(|| which("juliaup")) {
        Some(p) => println!("  juliaup is at {} but not measured here", p.display()),
        None => println!("  juliaup: not installed on this machine, not measured"),
    }
}

/// The median wall time of starting `make()` and waiting for it, `before` running untimed
/// ahead of each start.
fn median(make: &dyn Fn() -> Command, before: &dyn Fn()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            before();
            time_one(make)
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// The medians of two commands' wall times, started alternately so that the machine's load
/// drifts over both alike.
fn medians(a: &dyn Fn() -> Command, b: &dyn Fn() -> Command) -> (Duration, Duration) {
    let mut ta = Vec::with_capacity(RUNS);
    let mut tb = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        ta.push(time_one(a));
        tb.push(time_one(b));
    }
    ta.sort();
    tb.sort();
    (ta[RUNS / 2], tb[RUNS / 2])
}

/// One start, output discarded (both sides alike: the launcher's cost, not pipe reading).
fn time_one(make: &dyn Fn() -> Command) -> Duration {
    let mut c = make();
    // cargo points the dynamic loader at its build directories; a user's shell does not.
    c.env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_FALLBACK_LIBRARY_PATH");
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let status = c.status().unwrap();
    let d = start.elapsed();
    assert!(status.success());
    d
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| Path::new(p).is_file())
}
