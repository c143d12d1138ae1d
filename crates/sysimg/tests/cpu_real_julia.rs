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
    let release = JuliaRelease::parse(&field("VERSION:")).unwrap();
    let (ours, theirs) = compared_features(release, &field("Features:"));
    assert_eq!(ours, theirs, "Julia {release} on this machine");
    assert!(!theirs.is_empty());
}

/// sysimg's host features and `jl_dump_host_cpu`'s `Features:` list, both under sysimg's
/// names: sysimg detects the features of every release, `release` names only some of them.
fn compared_features(release: JuliaRelease, dumped: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let isa = host_isa().unwrap();
    let theirs: BTreeSet<String> = dumped
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| canonical_feature(isa, f).to_string())
        .collect();
    let names: BTreeSet<&str> = JuliaCpus::new(isa, release)
        .feature_names()
        .into_iter()
        .map(|f| canonical_feature(isa, f))
        .collect();
    let ours: BTreeSet<String> = host_cpu(None)
        .features
        .into_iter()
        .filter(|f| names.contains(f.as_str()))
        .collect();
    (ours, theirs)
}

/// Loads Julia 1.13.1's runtime (the juliac-compiled `libetcouple.so` of the PyPI wheel
/// `ace-jax-coupling` 0.2.0, which `scripts/install-julia-runtime-1.13` installs) with ctypes
/// and prints what the probe reads on 1.13 (`Sys.CPU_NAME` is `jl_get_cpu_name`, the features
/// `jl_get_cpu_features`: Julia `String`s, a length word then the bytes), then Julia's own
/// host CPU (`jl_dump_host_cpu`, JuliaLang/julia src/processor_x86.cpp `jl_dump_host_cpu`:
/// `CPU: <name>` and `Features: <list>`).
const RUNTIME_PROBE: &str = r#"
import ctypes, os, sys
h = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_GLOBAL)
h.etc_abi_version.restype = ctypes.c_int32
print("abi:", h.etc_abi_version())
g = ctypes.CDLL(None)
def jlstr(p):
    n = ctypes.c_int64.from_address(p).value
    return ctypes.string_at(p + 8, n).decode()
g.jl_get_cpu_name.restype = ctypes.c_void_p
g.jl_get_cpu_features.restype = ctypes.c_void_p
print("cpu_name:", jlstr(g.jl_get_cpu_name()))
print("cpu_features:", jlstr(g.jl_get_cpu_features()))
g.jl_ver_string.restype = ctypes.c_char_p
print("VERSION:", g.jl_ver_string().decode())
sys.stdout.flush()
g.jl_dump_host_cpu(None)
"#;

/// Julia 1.13.1's own answers (a real runtime, `SYSIMG_TEST_JULIA_RUNTIME_1_13`: the path of
/// `libetcouple.so`) against sysimg's: the host CPU's name and features, and the verdict for a
/// `native` image Julia 1.13.1 built on this host (it runs here).
#[test]
fn julia_1_13_runtime_agrees_on_the_host_cpu_and_a_native_image() {
    let Some(lib) = std::env::var_os("SYSIMG_TEST_JULIA_RUNTIME_1_13").filter(|j| !j.is_empty())
    else {
        testkit::skip(
            "set SYSIMG_TEST_JULIA_RUNTIME_1_13 to the libetcouple.so that scripts/install-julia-runtime-1.13 prints",
        );
        return;
    };
    if std::env::var_os("SYSIMG_HOST_CPU").is_some() {
        testkit::skip("SYSIMG_HOST_CPU describes another machine");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", RUNTIME_PROBE])
        .arg(&lib)
        // The bundle finds its own artifacts through the default depot path.
        .env_remove("JULIA_DEPOT_PATH")
        .env_remove("JULIA_CPU_TARGET")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    // A field's value runs to the end of its line.
    let field = |key: &str| {
        let at = text
            .find(key)
            .unwrap_or_else(|| panic!("no `{key}` in {text}"));
        text[at + key.len()..]
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    assert_eq!(field("abi:"), "1");
    let release = JuliaRelease::parse(&field("VERSION:")).unwrap();
    assert_eq!(release, JuliaRelease::new(1, 13, 1), "{text}");

    // The host CPU: Julia's name from its table and its features, under its names.
    let ours = host_cpu(None);
    assert_eq!(
        ours.name,
        field("CPU:"),
        "Julia {release}'s name for this CPU"
    );
    let (detected, theirs) = compared_features(release, &field("Features:"));
    assert_eq!(detected, theirs, "Julia {release} on this machine");
    assert!(!theirs.is_empty());

    // A `native` image Julia 1.13.1 built here records what its probe read, and `check` with
    // that julia at hand (or without one) says this host runs it, as Julia would load it.
    let probe = sysimg::julia::JuliaInfo {
        args: Vec::new(),
        path: "/opt/julia-1.13.1/bin/julia".into(),
        version: julia_env::version::VersionNumber::parse(&field("VERSION:"))
            .expect("the runtime names its version"),
        commit: String::new(),
        os: "linux".into(),
        arch: "x86_64".into(),
        libc: "glibc".into(),
        triplet: "x86_64-linux-gnu".into(),
        cpu_name: field("cpu_name:"),
        cpu_features: field("cpu_features:")
            .split(',')
            .filter_map(|f| f.strip_prefix('+'))
            .map(str::to_string)
            .collect(),
        depot_path: vec![],
        bindir: "/opt/julia-1.13.1/bin".into(),
        default_image: "/opt/julia-1.13.1/lib/julia/sys.so".into(),
        sysimage_target: String::new(),
    };
    assert!(probe.cpu_features.len() >= theirs.len(), "{text}");
    let record = native_record(&probe);
    for julia_at_hand in [true, false] {
        let host = sysimg::check::Host {
            julia: julia_at_hand.then(|| probe.clone()),
            cpu: host_cpu(None),
            julia_cpu: julia_at_hand.then(|| probe.cpu()),
            cpu_raw: String::new(),
            arch: "x86_64".into(),
            depots: julia_env::depot::Depots::new(vec![]),
            vars: sysimg::vars::Vars::default(),
        };
        let image =
            sysimg::check::Image::from_record(std::path::Path::new("image.toml"), record.clone());
        let report =
            sysimg::check::check_image(&image, None, &host, sysimg::check::Thoroughness::LAUNCH);
        let codes: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.code)
            .filter(|c| c.starts_with("cpu"))
            .collect();
        assert_eq!(
            codes,
            ["cpu-target"],
            "julia at hand: {julia_at_hand}: {report:?}"
        );
    }
}

fn native_record(probe: &sysimg::julia::JuliaInfo) -> sysimg::model::record::ImageRecord {
    use sysimg::model::record::{
        BuildOptions, ImageFile, ImageRecord, JuliaFacts, SourceEnvironment,
    };
    ImageRecord {
        schema: 1,
        id: "0123456789abcdef0123456789abcdef".into(),
        created: "2026-12-02T00:00:00Z".into(),
        sysimg_version: "0.1.0".into(),
        julia: JuliaFacts {
            version: probe.version.to_string(),
            commit: String::new(),
        },
        platform: probe.triplet.clone(),
        cpu_target: "native".into(),
        build_cpu: Some(probe.cpu()),
        policy: sysimg::model::spec::Policy::Dev,
        source: SourceEnvironment {
            manifest_sha256: "ab".repeat(32),
            project_hash: None,
        },
        build: BuildOptions::default(),
        image: ImageFile {
            file: "sys.so".into(),
            sha256: String::new(),
        },
        packages: vec![],
        artifacts: vec![],
    }
}
