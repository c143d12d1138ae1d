//! Benchmark of issues 5 and 14 (`cargo bench -p sysimg-cli --bench run_overhead`): the time
//! `sysimg run` adds before julia starts, on the largest corpus environment `build` accepts
//! (sciml-StiffODE, 442 packages; sciml-Symbolics, 468, is stale and `build` refuses it),
//! against starting the same julia directly with the same arguments, and against juliaup's
//! launcher starting it (juliaup installed from crates.io into the target directory, a channel
//! `juliaup link`ed to that julia in a depot of its own; nothing is downloaded by juliaup).
//! The julia is as fast as a program can be (`support/fast_julia.rs`, compiled here), so the
//! differences are the launchers' own. The three are started in turn, 300 times each. Goal
//! (issue 14): `sysimg run` under 1.0 ms median over julia alone, and below juliaup's
//! launcher. Uses `../shared` (`SYSIMG_SHARED_DIR` overrides); skips, saying so, without it.
//! `RUN_OVERHEAD_ALSO=PATH[:PATH...]` also starts other `sysimg` binaries (an older build, a
//! `cargo build --release` one) in the same turns, to compare builds on equal terms: each
//! builds the image into a store of its own first (a store written by one build is read by
//! that build; an older one may not keep the newer one's stamp, and would re-stamp at each
//! start).

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::{installed_tool, medians, ms, shared_dir};

const RUNS: usize = 300;
use testkit::HOST_CPU;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let corpus = shared_dir().join("corpus/environments/sciml-StiffODE");
    if !corpus.join("Project.toml").is_file() {
        println!(
            "SKIPPED run benchmark: no shared data at {}",
            shared_dir().display()
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let dir = root.join("env");
    fs::create_dir_all(&dir).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        fs::copy(corpus.join(f), dir.join(f)).unwrap();
    }
    let script = root.join("fake-julia.sh");
    fs::write(&script, testkit::FAKE_JULIA).unwrap();
    let julia = root.join("julia");
    compile_fast_julia(&julia);
    let jl = julia.display().to_string();
    // The host's own CPU, as a user's `sysimg run` reads it, unless it cannot run the
    // image (built for the fake julia's haswell).
    let mut host_cpu: Option<&str> = None;
    let also: Vec<std::path::PathBuf> = std::env::var_os("RUN_OVERHEAD_ALSO")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let this = Path::new(env!("CARGO_BIN_EXE_sysimg"));
    // Each binary's own store: `store` for this one, `store-N` for the N-th other.
    let store_of = |bin: &Path| match also.iter().position(|a| a == bin) {
        Some(i) if bin != this => root.join(format!("store-{i}")),
        _ => root.join("store"),
    };
    let sysimg_of = |bin: &Path, args: &[&str], host_cpu: Option<&str>| {
        let mut c = Command::new(bin);
        c.arg("-p")
            .arg(&dir)
            .args(args)
            .env("SYSIMG_STORE", store_of(bin))
            .env("JULIA_DEPOT_PATH", root.join("depot"))
            .env("FAKE_JULIA_LOG", root.join("log"))
            .env("FAST_JULIA_SCRIPT", &script)
            .env_remove("JULIA_PROJECT");
        match host_cpu {
            Some(cpu) => c.env("SYSIMG_HOST_CPU", cpu),
            None => c.env_remove("SYSIMG_HOST_CPU"),
        };
        c
    };
    let sysimg = |args: &[&str], host_cpu: Option<&str>| sysimg_of(this, args, host_cpu);
    let o = sysimg(&["build", "--julia", &jl, "--json"], Some(HOST_CPU))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let image = v["image"].as_str().unwrap().to_string();
    let run_args = ["run", "--julia", &jl, "--", "-e", "0"];
    // `run` really starts julia with the image, silently (the first start stamps it fresh).
    let o = sysimg(&run_args, None).output().unwrap();
    if !o.stderr.is_empty() {
        println!("  (this CPU cannot run a haswell image: SYSIMG_HOST_CPU={HOST_CPU})");
        host_cpu = Some(HOST_CPU);
    }
    let o = sysimg(&run_args, host_cpu).output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{o:?}");
    for bin in &also {
        // Its own image (the same bytes and id), then a first start that stamps it fresh.
        let o = sysimg_of(bin, &["build", "--julia", &jl, "--json"], Some(HOST_CPU))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for _ in 0..2 {
            let o = sysimg_of(bin, &run_args, host_cpu).output().unwrap();
            assert!(
                o.status.success() && o.stderr.is_empty(),
                "{}: {o:?}",
                bin.display()
            );
        }
    }
    let run = || sysimg(&run_args, host_cpu);
    let project_arg = format!("--project={}", dir.display());
    let julia_args = ["-J", &image, &project_arg, "-e", "0"];
    let direct = || {
        let mut c = Command::new(&julia);
        c.args(julia_args);
        c
    };
    let juliaup = juliaup_launcher(&root, &julia);
    let via_juliaup = |launcher: &Path| {
        let mut c = Command::new(launcher);
        c.args(julia_args)
            .env("JULIAUP_DEPOT_PATH", root.join("juliaup-depot"));
        c
    };

    println!("sysimg run on sciml-StiffODE (442 packages), median of {RUNS} starts each, in turn:");
    let others: Vec<Box<dyn Fn() -> Command + '_>> = also
        .iter()
        .map(|bin| {
            let sysimg_of = &sysimg_of;
            Box::new(move || sysimg_of(bin, &run_args, host_cpu)) as Box<dyn Fn() -> Command>
        })
        .collect();
    let mut commands: Vec<&dyn Fn() -> Command> = vec![&direct, &run];
    let peer = juliaup
        .as_ref()
        .ok()
        .map(|launcher| move || via_juliaup(launcher));
    if let Some(p) = &peer {
        commands.push(p);
    }
    for other in &others {
        commands.push(other.as_ref());
    }
    let m = medians(RUNS, &commands, &[0]);
    let (base, warm) = (m[0], m[1]);
    let peer = peer.map(|_| m[2]);
    let also_times = &m[m.len() - also.len()..];
    // A changed Manifest (new mtime) forces the full decision: read it and compare.
    let manifest = dir.join("Manifest.toml");
    let touch_then_run = || {
        let f = fs::File::options().append(true).open(&manifest).unwrap();
        f.set_modified(std::time::SystemTime::now()).unwrap();
        run()
    };
    let cold = medians(RUNS / 3, &[&touch_then_run], &[0])[0];
    println!("  julia directly                      {:7.3} ms", ms(base));
    println!(
        "  sysimg run, unchanged environment   {:7.3} ms  (+{:.3} ms; goal < 1.0 ms and below juliaup)",
        ms(warm),
        ms(warm) - ms(base)
    );
    match (&juliaup, peer) {
        (Ok(_), Some(p)) => println!(
            "  juliaup's launcher (linked channel) {:7.3} ms  (+{:.3} ms)",
            ms(p),
            ms(p) - ms(base)
        ),
        (Err(e), _) => println!("  juliaup's launcher: not measured ({e})"),
        _ => {}
    }
    for (path, t) in also.iter().zip(also_times) {
        println!(
            "  sysimg run of {}: {:7.3} ms  (+{:.3} ms; {:.3}x this build's overhead)",
            path.display(),
            ms(*t),
            ms(*t) - ms(base),
            (ms(*t) - ms(base)) / (ms(warm) - ms(base))
        );
    }
    println!(
        "  sysimg run, Manifest just changed   {:7.3} ms  (+{:.3} ms: reads and checks it)",
        ms(cold),
        ms(cold) - ms(base)
    );
}

/// Compiles `support/fast_julia.rs` to `out` (static, like the launcher under test).
fn compile_fast_julia(out: &Path) {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/fast_julia.rs");
    let mut c = Command::new(rustc);
    c.args(["-O", "--edition", "2021", "-o"]).arg(out).arg(&src);
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        c.args([
            "-C",
            "target-feature=+crt-static",
            "-C",
            "relocation-model=static",
        ]);
    }
    let o = c.output().expect("rustc runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// juliaup's launcher (`julia` beside `juliaup`) with a depot of its own in which the
/// default channel is `julia`, linked; no version database updates (no network).
fn juliaup_launcher(root: &Path, julia: &Path) -> Result<std::path::PathBuf, String> {
    let juliaup = installed_tool("juliaup", "juliaup")?;
    let launcher = juliaup.with_file_name(format!("julia{}", std::env::consts::EXE_SUFFIX));
    let depot = root.join("juliaup-depot");
    for args in [
        &["link", "fast"][..],
        &["default", "fast"],
        &["config", "versionsdbupdateinterval", "0"],
    ] {
        let mut c = Command::new(&juliaup);
        c.args(args).env("JULIAUP_DEPOT_PATH", &depot);
        if args[0] == "link" {
            c.arg(julia);
        }
        let o = c.output().map_err(|e| format!("cannot run juliaup: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "`juliaup {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
    }
    Ok(launcher)
}
