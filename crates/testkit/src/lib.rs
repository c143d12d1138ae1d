//! The one test harness of the workspace, a dev-dependency of every crate's tests and benches.
//!
//! - [`TestContext`]: a temporary directory (removed on drop) and commands run in it with every
//!   variable of the caller that sysimg, Julia, juliaup or juliacall read cleared
//!   ([`clean_env`]), so a developer's `SYSIMG_REMOTE` or `JULIA_PROJECT` never leaks into a test.
//! - [`fake_julia`]: the one fake julia (`fixtures/fake-julia.sh`), for fault injection.
//! - [`HOST_CPU`]: the one host CPU fixture.
//! - [`shared_dir`]: the one way to find `../shared`.
//! - [`skip`]: the one way to skip, printing `SKIPPED <test>: <why>` past the harness's capture
//!   so `.ci/run` counts it.
//! - [`scratch_dir`]: directories that live as long as the test binary (shared servers, the
//!   real-Julia [`lab`]), kept under `target/tmp` and removed when the binary exits.
//! - [`lab`]: a real Julia with its own depot, store and Pkg server.
#![allow(clippy::missing_panics_doc)]

pub mod lab;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The host CPU the tests claim (`SYSIMG_HOST_CPU`): it has what the fake julia's probe reports
/// for the build machine, so `native` images fit on any machine the tests run on.
pub const HOST_CPU: &str = "haswell:sse2,sse3,ssse3,sse4.1,sse4.2,popcnt,cx16,avx,avx2";

/// The fake julia's script: records each call's arguments and `SYSIMG_*` variables under
/// `$FAKE_JULIA_LOG`, answers the probe with fixed facts, and for a build copies the
/// workspace, prints phases and writes `$SYSIMG_BUILD_OUTPUT`, unless `FAKE_JULIA_MODE` says
/// `fail`, `noimage`, `hang` (with a child process) or `slow`. Started by `sysimg run`, it
/// records its environment and exits with `FAKE_JULIA_EXIT`.
pub const FAKE_JULIA: &str = include_str!("../fixtures/fake-julia.sh");

/// Prefixes of the variables a test command never inherits from the caller.
const CLEARED_PREFIXES: &[&str] = &[
    "SYSIMG_",
    "JULIA_",
    "JULIAUP_",
    "PYTHON_JULIACALL_",
    "FAKE_JULIA_",
];
/// Whole names a test command never inherits (the julia sysimg starts, by default).
const CLEARED_NAMES: &[&str] = &["JULIA", "JULIAUP_CHANNEL"];

/// Whether a variable is one a test command must not inherit.
pub fn is_cleared(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    CLEARED_NAMES.contains(&name.as_ref()) || CLEARED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Removes from `cmd` every variable of this process that sysimg, Julia, juliaup or juliacall
/// read (`SYSIMG_*`, `JULIA`, `JULIA_*`, `JULIAUP_*`, `PYTHON_JULIACALL_*`, and the fake
/// julia's `FAKE_JULIA_*`). Variables set on `cmd` afterwards are kept.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if is_cleared(&name) {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// Writes the fake julia into `dir` as `julia`, executable, and returns its path.
pub fn fake_julia(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("julia");
    std::fs::write(&path, FAKE_JULIA).expect("the fake julia is written");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .expect("the fake julia is made executable");
    path
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared real-world data beside the repository (`SYSIMG_SHARED_DIR` overrides), if there.
/// Say why a test does not run without it with [`skip`].
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SYSIMG_SHARED_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    dir.is_dir().then_some(dir)
}

/// [`shared_dir`], or `None` after a [`skip`] saying the data is missing.
pub fn shared_or_skip() -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.is_none() {
        skip("no shared data beside the repository (set SYSIMG_SHARED_DIR to run it)");
    }
    dir
}

/// The real julia of `SYSIMG_TEST_JULIA`, or `None` after a [`skip`] saying it is not set.
pub fn test_julia_or_skip() -> Option<PathBuf> {
    let julia = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty());
    if julia.is_none() {
        skip("set SYSIMG_TEST_JULIA to a julia (scripts/install-test-julia installs Julia 1.5.3)");
    }
    julia.map(PathBuf::from)
}

/// The running test's name: libtest names each test's thread after it.
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            std::env::args()
                .next()
                .map(|a| {
                    Path::new(&a)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or(a)
                })
                .unwrap_or_default()
        })
}

/// Says the running test is skipped and why: `SKIPPED <test>: <why>`, written past the test
/// harness's output capture so the line shows in every run and `.ci/run` counts it.
pub fn skip(why: &str) {
    skip_named(&test_name(), why);
}

/// [`skip`] for a part of a test, or a benchmark, named explicitly.
pub fn skip_named(what: &str, why: &str) {
    // One write, starting on a line of its own: the harness's `test name ... ` may be
    // waiting on stdout for its `ok`, and `.ci/run` counts lines that start with SKIPPED.
    let line = format!("\nSKIPPED {what}: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Directories [`scratch_dir`] made, removed when the test binary exits.
static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

extern "C" fn remove_scratch() {
    if let Ok(dirs) = SCRATCH.lock() {
        for d in dirs.iter() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Where scratch directories go: `target/tmp` (Cargo's `CARGO_TARGET_TMPDIR`) of the target
/// directory the test binary runs from, so even a killed test binary leaves nothing in `/tmp`.
fn scratch_parent() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        // target/<profile>/deps/<binary> (tests) or target/<profile>/<binary>.
        exe.ancestors()
            .find(|a| a.join("CACHEDIR.TAG").is_file())
            .map(|t| t.join("tmp"))
    });
    from_exe.unwrap_or_else(|| repo_root().join("target/tmp"))
}

/// A fresh directory named `<prefix><random>` that lives until the test binary exits (for what
/// outlives one test: a shared registry, the real-Julia lab), then is removed.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    let parent = scratch_parent();
    std::fs::create_dir_all(&parent).expect("target/tmp is writable");
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&parent)
        .expect("a scratch directory")
        .keep();
    let mut dirs = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
    if dirs.is_empty() {
        // SAFETY: registers a plain `extern "C"` function that only touches a static.
        unsafe {
            libc::atexit(remove_scratch);
        }
    }
    dirs.push(dir.clone());
    dir
}

/// A test's world: a temporary directory (canonical path, removed on drop) and commands run in
/// it with a clean environment, its own store (`store/`), depot (`depot/`) and fake julia log
/// (`julia-log/`), and the [`HOST_CPU`] fixture.
pub struct TestContext {
    _tmp: tempfile::TempDir,
    /// The directory (canonical).
    pub dir: PathBuf,
    bin: PathBuf,
}

impl TestContext {
    /// An empty context that runs `bin` (pass `env!("CARGO_BIN_EXE_sysimg")`).
    pub fn new(bin: impl Into<PathBuf>) -> TestContext {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path().canonicalize().expect("the temporary directory");
        TestContext {
            _tmp: tmp,
            dir,
            bin: bin.into(),
        }
    }

    /// A context holding the example environment (`examples/hello`) and the fake julia.
    pub fn hello(bin: impl Into<PathBuf>) -> TestContext {
        let t = TestContext::new(bin);
        t.copy_hello(&t.dir);
        fake_julia(&t.dir);
        t
    }

    /// Copies `examples/hello`'s Project.toml and Manifest.toml into `dir`.
    pub fn copy_hello(&self, dir: &Path) {
        let examples = repo_root().join("examples/hello");
        std::fs::create_dir_all(dir).expect("the environment's directory");
        for f in ["Project.toml", "Manifest.toml"] {
            std::fs::copy(examples.join(f), dir.join(f)).expect("examples/hello is copied");
        }
    }

    /// The directory (canonical).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The fake julia's path in this context (written by [`TestContext::hello`]).
    pub fn julia(&self) -> PathBuf {
        self.dir.join("julia")
    }

    /// The store the commands use.
    pub fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    /// `program` in the context's directory, with a clean environment and the context's store,
    /// depot, fake julia log and host CPU.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        clean_env(&mut cmd);
        cmd.current_dir(&self.dir)
            .env("JULIA_DEPOT_PATH", self.dir.join("depot"))
            .env("SYSIMG_STORE", self.store())
            .env("SYSIMG_HOST_CPU", HOST_CPU)
            .env("FAKE_JULIA_LOG", self.dir.join("julia-log"));
        cmd
    }

    /// The binary under test with `args`, as [`TestContext::command`].
    pub fn sysimg(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(&self.bin);
        cmd.args(args);
        cmd
    }

    /// Runs the binary with `args` and extra variables; its output.
    pub fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = self.sysimg(args);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary under test runs")
    }
}

/// A command's standard output, as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error, as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A developer's own settings never reach a command the tests run (`SYSIMG_REMOTE` reached
    /// every test before this harness); the context's own do.
    #[test]
    fn the_callers_variables_never_reach_a_test_command() {
        // The only test of this binary: no other thread reads the environment meanwhile.
        for (k, v) in [
            ("SYSIMG_REMOTE", "registry.invalid/x"),
            ("JULIA_PROJECT", "/elsewhere"),
            ("JULIA", "/opt/other/julia"),
            ("JULIAUP_DEPOT_PATH", "/elsewhere"),
            ("PYTHON_JULIACALL_SYSIMAGE", "/elsewhere/sys.so"),
            ("KEEP_ME", "1"),
        ] {
            std::env::set_var(k, v);
        }
        let ctx = TestContext::new("env");
        let o = ctx.command("env").output().expect("env runs");
        let vars: Vec<String> = out(&o).lines().map(str::to_owned).collect();
        let names: Vec<&str> = vars.iter().filter_map(|l| l.split('=').next()).collect();
        for gone in [
            "SYSIMG_REMOTE",
            "JULIA_PROJECT",
            "JULIA",
            "JULIAUP_DEPOT_PATH",
            "PYTHON_JULIACALL_SYSIMAGE",
        ] {
            assert!(
                !names.contains(&gone),
                "{gone} reached the command: {vars:?}"
            );
        }
        for kept in [
            "KEEP_ME",
            "SYSIMG_STORE",
            "SYSIMG_HOST_CPU",
            "JULIA_DEPOT_PATH",
        ] {
            assert!(names.contains(&kept), "{kept} is missing: {vars:?}");
        }
        let dir = ctx.dir.clone();
        drop(ctx);
        assert!(!dir.exists(), "the context's directory is removed on drop");
    }
}
