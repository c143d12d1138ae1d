//! Helpers shared by the integration tests: where `../shared` is, and skipping without it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared real-world data beside the repository (`SYSIMG_SHARED_DIR` overrides), or `None`
/// with a printed reason, so that a clone without it skips these tests visibly.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SYSIMG_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("corpus").is_dir() {
        Some(dir)
    } else {
        // Written past the test harness's capture, so a skip is seen in every run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no shared data at {} (set SYSIMG_SHARED_DIR to run it)",
            dir.display()
        );
        None
    }
}

/// Every corpus environment directory, sorted.
pub fn corpus_environments(shared: &std::path::Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/environments"))
        .expect("corpus/environments is readable")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Project.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}
