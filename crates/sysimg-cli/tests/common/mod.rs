//! Helpers shared by the command-line tests.
#![allow(dead_code)]

pub mod evil;
pub mod lab;
pub mod registry;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Writes the fake julia of the library's tests (`crates/sysimg/tests/fixtures/fake-julia.sh`)
/// into `dir`, executable, and returns its path.
pub fn fake_julia(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("julia");
    std::fs::write(
        &path,
        include_str!("../../../sysimg/tests/fixtures/fake-julia.sh"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Copies the example environment (`examples/hello`) into `dir` and writes the fake julia
/// beside it; returns the julia's path.
pub fn hello_project(dir: &Path) -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello");
    for f in ["Project.toml", "Manifest.toml"] {
        std::fs::copy(examples.join(f), dir.join(f)).unwrap();
    }
    fake_julia(dir)
}

/// The shared real-world data beside the repository (`SYSIMG_SHARED_DIR` overrides), if there.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SYSIMG_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.is_dir().then_some(dir)
}

/// Says a test is skipped and why, past the test harness's output capture, so the line shows
/// in every run (and `.ci/run` can count it).
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}

/// A command's standard output, as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error, as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
