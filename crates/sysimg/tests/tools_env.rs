//! Which PackageCompiler the tools environment should hold for a julia: the newest release
//! that Pkg would add for that Julia version, from the General snapshot in `../shared`
//! (`registries/General.toml`, April 2024). The answers are read off the snapshot's
//! `P/PackageCompiler/Compat.toml`: `["1-1.4"] julia = "1.3.1-1"`, `["1.5-2"] julia =
//! "1.6.0-1"`, and 2.1.17 is the newest version in `Versions.toml`. For Julia 1.5.3 the answer
//! is also what the real Julia 1.5.3's Pkg picked when `../shared/julia/pkgserver` was made
//! (its README: "exactly the versions Julia 1.5.3's resolver picks for `add DataStructures JSON
//! PackageCompiler`", PackageCompiler 1.4.1).

mod common;

use julia_env::registry::Registry;
use julia_env::resolve::RegistryIndex;
use julia_env::version::VersionNumber;
use sysimg::julia::tools::{newest_in, PackageCompilerSource, ToolsEnv};

#[test]
fn the_newest_packagecompiler_that_fits_each_julia() {
    let Some(shared) = testkit::shared_or_skip() else {
        return;
    };
    let descriptor = shared.join("registries/General.toml");
    let index = RegistryIndex::new(vec![Registry::open_compressed(&descriptor).unwrap()]);
    let v = |s: &str| VersionNumber::parse(s).unwrap();
    for (julia, expected) in [
        ("1.5.3", Some("1.4.1")),
        ("1.6.7", Some("2.1.17")),
        ("1.10.4", Some("2.1.17")),
    ] {
        assert_eq!(
            newest_in(&index, &v(julia))
                .map(|v| v.to_string())
                .as_deref(),
            expected,
            "julia {julia}"
        );
    }
}

/// The tools script upgrades an older PackageCompiler to the newest that fits, restores the
/// environment when that fails, and only does so for the "newest" source.
#[test]
fn the_tools_script_upgrades_only_the_newest_source() {
    let store = sysimg::store::Store::at(std::path::PathBuf::from("/tmp/store \"$x\\"));
    let julia = common::julia_info("1.10.4", "48d4fd4843", "x86_64-linux-gnu");
    let mut tools = ToolsEnv::new(&store, &julia, PackageCompilerSource::Newest);
    tools.upgrade_to = Some(VersionNumber::parse("2.1.17").unwrap());
    let script = tools.install_script();
    common::assert_clean_julia(&script);
    assert!(
        script.contains("const SYSIMG_PC_NEWEST = \"2.1.17\""),
        "{script}"
    );
    assert!(script.contains("installed < VersionNumber(SYSIMG_PC_NEWEST)"));
    assert!(
        script.contains("write(f, bytes)"),
        "a failed upgrade restores the files"
    );
    let mut pinned = ToolsEnv::new(
        &store,
        &julia,
        PackageCompilerSource::Version("2.0.1".into()),
    );
    pinned.upgrade_to = Some(VersionNumber::parse("2.1.17").unwrap());
    assert!(pinned
        .install_script()
        .contains("const SYSIMG_PC_NEWEST = nothing"));
}
