//! Benchmark of issues 14 and 15 (`cargo bench -p sysimg-cli --bench scaling`): how `env
//! check`, `plan`, `strip --dry-run`, `build`'s planning and `run`'s slow path grow with the
//! size of the environment. Synthetic environments of 1k, 10k and 30k packages are generated
//! here in three shapes (a deep chain, a flat list, a wide layered graph), plus a 100k flat
//! one for `env check` and `strip --dry-run`. Each command runs as a process, as a user runs
//! it; the report gives wall time and peak memory per package, and the growth from the
//! smallest to the largest size (goal: within 1.3x of linear per package).
//!
//! `SCALING_SIZES=1000,10000` picks other sizes; `SCALING_WRITE=DIR` only writes the
//! environments into DIR, to profile a command by hand. Needs no shared data: everything is
//! generated, and julia is the fake one the tests use.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use julia_env::flavor::PkgFlavor;
use julia_env::project::Project;
use julia_env::project_hash::project_hash;
use julia_env::version::VersionNumber;

const JULIA_VERSION: &str = "1.11.2";
use testkit::HOST_CPU;

/// The shape of a synthetic dependency graph.
#[derive(Clone, Copy)]
enum Shape {
    /// Two chains: a pinned one (`A1 → A2 → ...`) and an unpinned one (`B1 → B2 → ...`).
    Chain,
    /// Every package a direct dependency with no dependencies; every other one pinned.
    Flat,
    /// Layers of 100 packages; each depends on three of the next layer. Two direct
    /// dependencies reach everything: one pinned, one not.
    Wide,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Flat => "flat",
            Shape::Wide => "wide",
        }
    }
}

struct Package {
    name: String,
    uuid: String,
    deps: Vec<usize>,
    pinned: bool,
}

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

fn packages(shape: Shape, n: usize) -> (Vec<Package>, Vec<usize>) {
    let pkg = |i: usize, deps: Vec<usize>, pinned: bool| Package {
        name: format!("P{i:06}"),
        uuid: uuid(i + 1),
        deps,
        pinned,
    };
    match shape {
        Shape::Chain => {
            let half = n / 2;
            let pkgs = (0..n)
                .map(|i| {
                    let next = i + 1;
                    let deps = if next != half && next < n {
                        vec![next]
                    } else {
                        vec![]
                    };
                    pkg(i, deps, i == 0)
                })
                .collect();
            (pkgs, vec![0, half])
        }
        Shape::Flat => (
            (0..n).map(|i| pkg(i, vec![], i % 2 == 0)).collect(),
            (0..n).collect(),
        ),
        Shape::Wide => {
            const LAYER: usize = 100;
            let pkgs = (0..n)
                .map(|i| {
                    let next_layer = (i / LAYER + 1) * LAYER;
                    let deps = (0..3)
                        .map(|k| next_layer + (i * 7 + k * 31) % LAYER)
                        .filter(|&d| d < n)
                        .collect();
                    pkg(i, deps, i == 0)
                })
                .collect();
            (pkgs, vec![0, 1])
        }
    }
}

/// Writes a Project.toml and a Manifest.toml as Pkg 1.11 would, with the right project hash.
fn write_environment(dir: &Path, shape: Shape, n: usize) {
    fs::create_dir_all(dir).unwrap();
    let (pkgs, direct) = packages(shape, n);
    let mut project = String::from("[deps]\n");
    let mut sorted_direct: Vec<&Package> = direct.iter().map(|&i| &pkgs[i]).collect();
    sorted_direct.sort_by(|a, b| a.name.cmp(&b.name));
    for p in &sorted_direct {
        writeln!(project, "{} = \"{}\"", p.name, p.uuid).unwrap();
    }
    let project_file = dir.join("Project.toml");
    fs::write(&project_file, &project).unwrap();
    let parsed = Project::parse(&project_file, &project).unwrap();
    let julia = VersionNumber::parse(JULIA_VERSION).unwrap();
    let hash = project_hash(&parsed, &[], PkgFlavor::for_julia(&julia), Some(&julia));
    let mut m = format!(
        "# This file is machine-generated - editing it directly is not advised\n\n\
         julia_version = \"{JULIA_VERSION}\"\nmanifest_format = \"2.0\"\nproject_hash = \"{hash}\"\n"
    );
    for p in &pkgs {
        writeln!(m, "\n[[deps.{}]]", p.name).unwrap();
        if !p.deps.is_empty() {
            let names: Vec<String> = p
                .deps
                .iter()
                .map(|&d| format!("\"{}\"", pkgs[d].name))
                .collect();
            writeln!(m, "deps = [{}]", names.join(", ")).unwrap();
        }
        writeln!(
            m,
            "git-tree-sha1 = \"{:040x}\"",
            0xabcdef_u64 + p.name.len() as u64
        )
        .unwrap();
        if p.pinned {
            m.push_str("pinned = true\n");
        }
        writeln!(m, "uuid = \"{}\"\nversion = \"1.0.0\"", p.uuid).unwrap();
    }
    fs::write(dir.join("Manifest.toml"), m).unwrap();
}

/// Wall time and peak resident memory of one process.
struct Measured {
    wall: Duration,
    peak_kib: u64,
}

/// The best of three runs (the machine is shared; the least disturbed run is the truest),
/// with the largest peak memory seen.
fn measure(make: impl Fn() -> Command, ok_codes: &[i32]) -> Measured {
    let runs: Vec<Measured> = (0..3).map(|_| measure_once(make(), ok_codes)).collect();
    Measured {
        wall: runs.iter().map(|m| m.wall).min().unwrap(),
        peak_kib: runs.iter().map(|m| m.peak_kib).max().unwrap(),
    }
}

/// Runs one process. Its peak memory is sampled from `/proc/PID/status` (`VmHWM`, the
/// high-water mark of its own address space) while it runs: `getrusage`'s `ru_maxrss` would
/// carry this benchmark's own peak across the child's exec.
fn measure_once(mut c: Command, ok_codes: &[i32]) -> Measured {
    c.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let start = Instant::now();
    let mut child = c.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Ok(text) = fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let wall = start.elapsed();
    let code = status.code().unwrap_or(-1);
    assert!(ok_codes.contains(&code), "{c:?} exited {code}");
    Measured { wall, peak_kib }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SCALING_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 30_000]);
    if let Some(out) = std::env::var_os("SCALING_WRITE") {
        // Only write the environments (to profile one command by hand).
        for shape in [Shape::Chain, Shape::Flat, Shape::Wide] {
            for &n in &sizes {
                write_environment(
                    &PathBuf::from(&out).join(format!("{}-{n}", shape.name())),
                    shape,
                    n,
                );
            }
        }
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let julia = t.path().join("julia");
    fs::write(&julia, testkit::FAKE_JULIA).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&julia, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let jl = julia.display().to_string();
    let root = t.path().to_path_buf();
    let sysimg = |env: &Path, args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sysimg"));
        c.arg("-p")
            .arg(env)
            .args(args)
            .env("SYSIMG_STORE", root.join("store"))
            .env("JULIA_DEPOT_PATH", root.join("depot"))
            .env("FAKE_JULIA_LOG", root.join("log"))
            .env("SYSIMG_HOST_CPU", HOST_CPU)
            .env_remove("JULIA_PROJECT")
            .env_remove("LD_LIBRARY_PATH");
        c
    };
    type Step<'a> = (&'a str, Vec<&'a str>, &'a [i32]);
    let steps: Vec<Step> = vec![
        ("env check", vec!["env", "check", "--no-sources"], &[0, 1]),
        (
            "plan --json",
            vec!["plan", "--policy", "pinned", "--json"],
            &[0],
        ),
        (
            "strip --dry-run",
            vec!["strip", "--dry-run", "--force"],
            &[0],
        ),
        (
            "build (fake julia)",
            vec!["build", "--policy", "app", "--julia", &jl],
            &[0],
        ),
        (
            "run, slow path",
            vec!["run", "--julia", &jl, "--", "-e", "0"],
            &[0],
        ),
    ];
    println!("sysimg on synthetic environments (one process per command):");
    println!(
        "  {:8} {:20} {:>8} {:>10} {:>9} {:>10}",
        "shape", "command", "packages", "wall ms", "us/pkg", "peak MiB"
    );
    for shape in [Shape::Chain, Shape::Flat, Shape::Wide] {
        let mut per_size: Vec<Vec<(usize, Measured)>> = steps.iter().map(|_| Vec::new()).collect();
        let mut sizes = sizes.clone();
        if matches!(shape, Shape::Flat) && std::env::var("SCALING_SIZES").is_err() {
            sizes.push(100_000);
        }
        for &n in &sizes {
            let dir = root.join(format!("{}-{n}", shape.name()));
            write_environment(&dir, shape, n);
            for (k, (label, args, ok)) in steps.iter().enumerate() {
                let big_only_reads =
                    n > 30_000 && !matches!(*label, "env check" | "strip --dry-run");
                if big_only_reads {
                    continue;
                }
                let m = measure(
                    || {
                        if label.starts_with("run") {
                            // A new Manifest mtime makes run read and check it.
                            let f = fs::File::options()
                                .append(true)
                                .open(dir.join("Manifest.toml"))
                                .unwrap();
                            f.set_modified(std::time::SystemTime::now()).unwrap();
                        }
                        sysimg(&dir, args)
                    },
                    ok,
                );
                println!(
                    "  {:8} {:20} {:>8} {:>10.1} {:>9.2} {:>10.1}",
                    shape.name(),
                    label,
                    n,
                    m.wall.as_secs_f64() * 1e3,
                    m.wall.as_secs_f64() * 1e6 / n as f64,
                    m.peak_kib as f64 / 1024.0
                );
                per_size[k].push((n, m));
            }
        }
        for (k, (label, _, _)) in steps.iter().enumerate() {
            let v = &per_size[k];
            // Per-package growth over the whole range, and between each pair of sizes.
            let per = |m: &Measured, n: usize| m.wall.as_secs_f64() / n as f64;
            let steps: Vec<String> = v
                .windows(2)
                .map(|w| format!("{:.2}x", per(&w[1].1, w[1].0) / per(&w[0].1, w[0].0)))
                .collect();
            if let (Some((n0, a)), Some((n1, b))) = (v.first(), v.last()) {
                if n1 > n0 {
                    println!(
                        "  {:8} {:20} growth per package {}→{}: {:.2}x (steps {}; goal ≤ 1.3x)",
                        shape.name(),
                        label,
                        n0,
                        n1,
                        per(b, *n1) / per(a, *n0),
                        steps.join(", ")
                    );
                }
            }
        }
    }
}
