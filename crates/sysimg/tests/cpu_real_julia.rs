//! sysimg's host CPU detection against a real Julia's: the julia in `SYSIMG_TEST_JULIA`
//! (`scripts/install-test-julia` installs Julia 1.5.3) prints the features it detected with
//! `jl_dump_host_cpu` (JuliaLang/julia `src/processor.cpp`, every release 1.5–1.13), under
//! its own names. Without that julia the test says why it skips.

use std::collections::BTreeSet;
use std::process::Command;

use sysimg::cpu::{canonical_feature, host_cpu, host_isa, JuliaCpus, JuliaRelease};

#[test]
fn the_host_features_are_the_ones_julia_detects() {
    let Some(julia) = testkit::test_julia_or_skip() else {
        return;
    };
    if std::env::var_os("SYSIMG_HOST_CPU").is_some() {
        testkit::skip("SYSIMG_HOST_CPU describes another machine");
        return;
    }
    let depot = tempfile::tempdir().unwrap();
    let out = Command::new(julia)
        .args([
            "--startup-file=no",
            "--history-file=no",
            "-e",
            "ccall(:jl_dump_host_cpu, Cvoid, ()); println(\"VERSION: \", VERSION)",
        ])
        .env("JULIA_DEPOT_PATH", depot.path())
        .env_remove("JULIA_CPU_TARGET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // jl_dump_host_cpu prints with jl_safe_printf, to stderr.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no `{key}` in {text}"))
            .trim()
            .to_string()
    };
    let isa = host_isa().unwrap();
    let release = JuliaRelease::parse(&field("VERSION:")).unwrap();
    let theirs: BTreeSet<String> = field("Features:")
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| canonical_feature(isa, f).to_string())
        .collect();
    // sysimg detects the features of every release; this release names only some of them.
    let names: BTreeSet<&str> = JuliaCpus::new(isa, release)
        .feature_names()
        .into_iter()
        .map(|f| canonical_feature(isa, f))
        .collect();
    let ours: BTreeSet<String> = host_cpu()
        .features
        .into_iter()
        .filter(|f| names.contains(f.as_str()))
        .collect();
    assert_eq!(ours, theirs, "Julia {release} on this machine");
    assert!(!theirs.is_empty());
}
