//! Benchmark of issue 14 (`cargo bench -p sysimg-cli --bench env_process`): reading and
//! checking the largest corpus environment (the Manifest with the most packages) as a
//! process, against toml-cli reading one key of the same Manifest (`toml get`; toml-cli
//! installed from crates.io into the target directory once). The commands are started in
//! turn, 100 times each; medians. Goals: `sysimg env check --no-sources` at or below
//! `toml get`, `sysimg plan --json` under 6 ms. Uses `../shared` (`SYSIMG_SHARED_DIR`
//! overrides); skips, saying so, without it. `ENV_PROCESS_ALSO=PATH[:PATH...]` also starts
//! other `sysimg` binaries (an older build, a `cargo build --release` one) in the same turns,
//! to compare builds on equal terms.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{installed_tool, medians, ms, shared_dir};

const RUNS: usize = 100;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some((packages, env)) = largest_environment() else {
        println!(
            "SKIPPED env benchmark: no corpus at {}",
            shared_dir().display()
        );
        return;
    };
    let name = env.file_name().unwrap().to_string_lossy().into_owned();
    let manifest = env.join("Manifest.toml");
    let also: Vec<PathBuf> = std::env::var_os("ENV_PROCESS_ALSO")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let sysimg_of = |bin: &Path, args: &'static [&'static str]| {
        let mut c = Command::new(bin);
        c.arg("-p").arg(&env).args(args).env_remove("JULIA_PROJECT");
        c
    };
    let this = Path::new(env!("CARGO_BIN_EXE_sysimg"));
    const CHECK: &[&str] = &["env", "check", "--no-sources"];
    const PLAN: &[&str] = &["plan", "--json"];
    let check = || sysimg_of(this, CHECK);
    let plan = || sysimg_of(this, PLAN);
    // Each other binary's `env check` and `plan --json`, in that order.
    let others: Vec<Box<dyn Fn() -> Command + '_>> = also
        .iter()
        .flat_map(|bin| {
            let sysimg_of = &sysimg_of;
            [CHECK, PLAN]
                .map(|args| Box::new(move || sysimg_of(bin, args)) as Box<dyn Fn() -> Command + '_>)
        })
        .collect();
    println!("{name} ({packages} packages), median of {RUNS} starts each, in turn:");
    let toml = installed_tool("toml-cli", "toml");
    let get = || {
        let mut c = Command::new(toml.as_ref().unwrap());
        c.arg("get").arg(&manifest).arg("julia_version");
        c
    };
    let mut commands: Vec<&dyn Fn() -> Command> = Vec::new();
    match &toml {
        Ok(_) => commands.push(&get),
        Err(e) => println!("  toml-cli: not measured ({e})"),
    }
    commands.extend([&check as &dyn Fn() -> Command, &plan]);
    commands.extend(others.iter().map(|o| o.as_ref() as &dyn Fn() -> Command));
    let m = medians(RUNS, &commands, &[0, 1]);
    let (peer, rest) = match toml {
        Ok(_) => (Some(m[0]), &m[1..]),
        Err(_) => (None, &m[..]),
    };
    let times = &rest[..2];
    let also_times = &rest[2..];
    if let Some(p) = peer {
        println!("  toml get (toml-cli)            {:7.2} ms", ms(p));
    }
    let ratio = peer
        .map(|p| {
            format!(
                "{:.2}x toml get; ",
                times[0].as_secs_f64() / p.as_secs_f64()
            )
        })
        .unwrap_or_default();
    println!(
        "  sysimg env check --no-sources  {:7.2} ms  ({ratio}goal <= 1.00x)",
        ms(times[0])
    );
    println!(
        "  sysimg plan --json             {:7.2} ms  (goal < 6 ms)",
        ms(times[1])
    );
    for (path, t) in also.iter().zip(also_times.chunks(2)) {
        println!("  {}:", path.display());
        println!(
            "    env check --no-sources       {:7.2} ms  ({:.3}x this build's)",
            ms(t[0]),
            t[0].as_secs_f64() / times[0].as_secs_f64()
        );
        println!(
            "    plan --json                  {:7.2} ms  ({:.3}x this build's)",
            ms(t[1]),
            t[1].as_secs_f64() / times[1].as_secs_f64()
        );
    }
}

/// The corpus environment whose Manifest lists the most packages, with that count.
fn largest_environment() -> Option<(usize, PathBuf)> {
    std::fs::read_dir(shared_dir().join("corpus/environments"))
        .ok()?
        .flatten()
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path().join("Manifest.toml")).ok()?;
            let count = text.lines().filter(|l| l.starts_with("[[deps.")).count();
            Some((count, e.path()))
        })
        .max()
}
