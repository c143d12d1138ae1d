//! A julia that starts as fast as a program can: started with `--project=...` (as `sysimg
//! run`, juliaup's launcher or a user start julia) it exits at once; anything else (the
//! probe, a build) is handed to the fake julia script the tests use (`FAST_JULIA_SCRIPT`).
//! Compiled by `run_overhead` with rustc, statically, so that the julia's own start is the
//! same short floor under every launcher measured.

use std::os::unix::process::CommandExt;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.iter().any(|a| a.to_string_lossy().starts_with("--project=")) {
        return;
    }
    let script = std::env::var_os("FAST_JULIA_SCRIPT").expect("FAST_JULIA_SCRIPT");
    let err = std::process::Command::new("/bin/sh").arg(script).args(args).exec();
    eprintln!("fast julia: cannot run the fake julia: {err}");
    std::process::exit(3);
}
