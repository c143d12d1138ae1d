//! Benchmark of issue 14 (`cargo bench -p sysimg-cli --bench env_process`): reading and
//! checking the largest corpus environment (the Manifest with the most packages) as a
//! process, against toml-cli reading one key of the same Manifest (`toml get`; toml-cli
//! installed from crates.io into the target directory once). The commands are started in
//! turn, 100 times each; medians. Goals: `sysimg env check --no-sources` at or below
//! `toml get`, `sysimg plan --json` under 6 ms. Uses `../shared` (`SYSIMG_SHARED_DIR`
//! overrides); skips, saying so, without it.

mod support;

use std::path::PathBuf;
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
    let sysimg = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sysimg"));
        c.arg("-p").arg(&env).args(args).env_remove("JULIA_PROJECT");
        c
    };
    let check = || sysimg(&["env", "check", "--no-sources"]);
    let plan = || sysimg(&["plan", "--json"]);
    println!("{name} ({packages} packages), median of {RUNS} starts each, in turn:");
    let (times, peer) = match installed_tool("toml-cli", "toml") {
        Ok(toml) => {
            let get = || {
                let mut c = Command::new(&toml);
                c.arg("get").arg(&manifest).arg("julia_version");
                c
            };
            let m = medians(RUNS, &[&get, &check, &plan], &[0, 1]);
            (m[1..].to_vec(), Some(m[0]))
        }
        Err(e) => {
            println!("  toml-cli: not measured ({e})");
            (medians(RUNS, &[&check, &plan], &[0, 1]), None)
        }
    };
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
