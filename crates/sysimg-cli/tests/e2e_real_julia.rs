//! End to end with a real Julia and PackageCompiler: runs only when `SYSIMG_TEST_JULIA` names a
//! julia binary with network access (PackageCompiler and the example's packages are installed
//! on first use); otherwise it says it is skipped.

use std::path::Path;
use std::process::Command;

#[test]
fn builds_and_runs_a_real_image() {
    let Some(julia) = std::env::var_os("SYSIMG_TEST_JULIA") else {
        eprintln!("SKIPPED builds_and_runs_a_real_image: set SYSIMG_TEST_JULIA to a julia binary (with network access) to run it");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello");
    for f in ["Project.toml", "Manifest.toml"] {
        std::fs::copy(examples.join(f), t.path().join(f)).unwrap();
    }
    let o = Command::new(env!("CARGO_BIN_EXE_sysimg"))
        .args([
            "-p",
            t.path().to_str().unwrap(),
            "build",
            "--json",
            "--julia",
        ])
        .arg(&julia)
        .env("SYSIMG_STORE", t.path().join("store"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let image = v["image"].as_str().unwrap();
    let id = v["id"].as_str().unwrap();
    let run = Command::new(&julia)
        .args(["--startup-file=no", "-J", image, "--project"])
        .arg(t.path())
        .args([
            "-e",
            "using Example; print(Main.SysimageData.IMAGE_ID, \" \", Example.hello(\"x\"))",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!("{id} Hello, x")
    );
    // The same through the launcher, after a check that finds no error.
    let sysimg = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sysimg"));
        c.args(["-p", t.path().to_str().unwrap()])
            .args(args)
            .arg("--julia")
            .arg(&julia)
            .env("SYSIMG_STORE", t.path().join("store"));
        c
    };
    let check = sysimg(&["check"]).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let run = sysimg(&["run", "--on-stale", "fail"])
        .args(["--", "--startup-file=no", "-e"])
        .arg("using Example; print(Main.SysimageData.IMAGE_ID, \" \", Example.hello(\"x\"))")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!("{id} Hello, x"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
