//! What the process benchmarks share: timing commands alternately, and the peers they are
//! measured against (juliaup, toml-cli), installed from crates.io into the target directory
//! once and reused.

#![allow(dead_code)] // Each benchmark uses part of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The medians of several commands' wall times, started in turn (`runs` rounds) so that the
/// machine's load drifts over all alike. Exit codes in `ok_codes` count as success.
pub fn medians(runs: usize, commands: &[&dyn Fn() -> Command], ok_codes: &[i32]) -> Vec<Duration> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); commands.len()];
    for _ in 0..runs {
        for (make, t) in commands.iter().zip(&mut times) {
            t.push(time_one(make, ok_codes));
        }
    }
    times.into_iter().map(median).collect()
}

/// The median of some times.
pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One start, output discarded (every command alike: the process's cost, not pipe reading).
pub fn time_one(make: &dyn Fn() -> Command, ok_codes: &[i32]) -> Duration {
    let mut c = make();
    // cargo points the dynamic loader at its build directories; a user's shell does not.
    c.env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_FALLBACK_LIBRARY_PATH");
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let status = c.status().unwrap();
    let d = start.elapsed();
    let code = status.code().unwrap_or(-1);
    assert!(ok_codes.contains(&code), "{c:?} exited with {status}");
    d
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The shared data (`SYSIMG_SHARED_DIR`, else `../shared` beside the repository).
pub fn shared_dir() -> PathBuf {
    testkit::shared_dir().unwrap_or_else(|| testkit::repo_root().join("../shared"))
}

/// A binary of a crates.io package, installed with `cargo install --locked` into
/// `<target dir>/bench-tools` the first time and reused after: `Err` says why it could not
/// be (no network, no cargo). Built as a user's `cargo install` builds it, without this
/// workspace's configuration (its static linking flags).
pub fn installed_tool(package: &str, binary: &str) -> Result<PathBuf, String> {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let root = target.join("bench-tools");
    let exe = root
        .join("bin")
        .join(format!("{binary}{}", std::env::consts::EXE_SUFFIX));
    if exe.is_file() {
        return Ok(exe);
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    println!(
        "  installing {package} from crates.io into {} (once)...",
        root.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["install", "--locked", "--quiet", package, "--root"])
        .arg(&root)
        .arg("--target-dir")
        .arg(root.join("build"))
        // Outside the workspace, and without its flags: as a user installs it.
        .current_dir(&root)
        .env("CARGO_ENCODED_RUSTFLAGS", "")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() || !exe.is_file() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`cargo install {package}` failed: {}",
            err.lines().last().unwrap_or("")
        ));
    }
    Ok(exe)
}
