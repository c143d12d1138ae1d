//! Helpers shared by the command-line tests: the workspace's one harness (`testkit`) for the
//! `sysimg` binary, and the OCI registries the sharing tests run (a real one, and a
//! misbehaving one).
#![allow(dead_code, unused_imports)]

pub mod evil;
pub mod registry;

pub use testkit::lab;
pub use testkit::{clean_env, err, fake_julia, out, shared_dir, skip, skip_named, HOST_CPU};

use std::path::Path;
use std::process::Command;

/// The binary under test.
pub const SYSIMG: &str = env!("CARGO_BIN_EXE_sysimg");

/// An empty test context for the `sysimg` binary.
pub fn context() -> testkit::TestContext {
    testkit::TestContext::new(SYSIMG)
}

/// A test context holding the example environment (`examples/hello`) and the fake julia.
pub fn hello() -> testkit::TestContext {
    testkit::TestContext::hello(SYSIMG)
}

/// The `sysimg` binary with a clean environment (see [`testkit::clean_env`]), in `cwd`, with no
/// store, depot or julia chosen: callers set what their test needs.
pub fn sysimg_in(cwd: &Path) -> Command {
    let mut cmd = Command::new(SYSIMG);
    clean_env(&mut cmd);
    cmd.current_dir(cwd);
    cmd
}

/// Copies the example environment (`examples/hello`) into `dir` and writes the fake julia
/// beside it; returns the julia's path.
pub fn hello_project(dir: &Path) -> std::path::PathBuf {
    let examples = testkit::repo_root().join("examples/hello");
    for f in ["Project.toml", "Manifest.toml"] {
        std::fs::copy(examples.join(f), dir.join(f)).unwrap();
    }
    fake_julia(dir)
}

/// The `sysimg` binary with a clean environment (see [`testkit::clean_env`]).
pub fn sysimg_cmd() -> Command {
    let mut cmd = Command::new(SYSIMG);
    clean_env(&mut cmd);
    cmd
}
