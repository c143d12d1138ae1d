//! A real Julia for tests and benchmarks: the julia in `SYSIMG_TEST_JULIA`, a depot and a store
//! of its own, and `../shared/julia/pkgserver` served on 127.0.0.1 as Julia's Pkg server
//! protocol, so real Pkg installs real packages with no other network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{clean_env, err, out};

/// Everything the tests share: the julia, a Pkg server, a depot that already holds the
/// registry and the packages, and one store.
pub struct Lab {
    /// The sysimg binary under test.
    pub bin: PathBuf,
    pub julia: PathBuf,
    pub root: PathBuf,
    pub depot: PathBuf,
    pub store: PathBuf,
    pub pkg_server: String,
    /// An environment with DataStructures and JSON, added by real Pkg.
    pub base_env: PathBuf,
}

/// Serves a directory over HTTP on 127.0.0.1 (an ephemeral port) for the life of the tests.
pub fn serve(dir: &Path) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", server.server_addr());
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let rel = request.url().trim_start_matches('/').to_string();
            let safe = !rel.split('/').any(|c| c == ".." || c.is_empty());
            let file = dir.join(&rel);
            let response = match std::fs::File::open(&file) {
                Ok(f) if safe && file.is_file() => tiny_http::Response::from_file(f).boxed(),
                _ => tiny_http::Response::empty(404).boxed(),
            };
            let _ = request.respond(response);
        }
    });
    url
}

impl Lab {
    /// The lab of `SYSIMG_TEST_JULIA` and `../shared/julia/pkgserver` running `bin` (pass
    /// `env!("CARGO_BIN_EXE_sysimg")`), with DataStructures and JSON added by real Pkg to its
    /// base environment; `None` when either is missing.
    pub fn from_env(bin: impl Into<PathBuf>) -> Option<Lab> {
        let julia = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty())?;
        let pkgserver = crate::shared_dir()?.join("julia/pkgserver");
        if !pkgserver.join("registries").is_file() {
            return None;
        }
        let lab = Lab::new(bin, PathBuf::from(julia), &pkgserver);
        lab.pkg(&lab.base_env, r#"Pkg.add(["DataStructures", "JSON"])"#);
        Some(lab)
    }

    /// The realistic world: the lab of `SYSIMG_TEST_JULIA` (running `bin`) and
    /// `../shared/julia/pkgserver-large`, with the 19 top-level packages of its `toplevel.txt`
    /// (49 packages in the closure) added by real Pkg to its base environment; `None` when
    /// either is missing. The workload is [`Lab::large_workload`].
    pub fn large_from_env(bin: impl Into<PathBuf>) -> Option<Lab> {
        let julia = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty())?;
        let kit = crate::shared_dir()?.join("julia/pkgserver-large");
        let toplevel = std::fs::read_to_string(kit.join("toplevel.txt")).ok()?;
        if !kit.join("registries").is_file() || !kit.join("workload.jl").is_file() {
            return None;
        }
        let names: Vec<String> = toplevel
            .split_whitespace()
            .map(|n| format!("{n:?}"))
            .collect();
        let lab = Lab::new(bin, PathBuf::from(julia), &kit);
        lab.pkg(&lab.base_env, &format!("Pkg.add([{}])", names.join(", ")));
        Some(lab)
    }

    /// The realistic world's workload (`pkgserver-large/workload.jl`): `using` of every
    /// top-level package, values passed between them, `WORKLOAD OK` at the end.
    pub fn large_workload() -> PathBuf {
        crate::shared_dir()
            .expect("the shared directory")
            .join("julia/pkgserver-large/workload.jl")
    }

    /// The realistic world's workload without Unitful (`fixtures/large/traceable.jl`): the
    /// same parts over the 18 other top-level packages, which Julia 1.5.3 can run under
    /// `--trace-compile` (it segfaults tracing any Unitful quantity type, julia#38719).
    pub fn large_traceable_workload() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/large/traceable.jl")
    }

    /// A lab in a scratch directory under `target/tmp` (removed when the test binary exits).
    pub fn new(bin: impl Into<PathBuf>, julia: PathBuf, pkgserver: &Path) -> Lab {
        let root = crate::scratch_dir("sysimg-real-julia-");
        let lab = Lab {
            bin: bin.into(),
            julia,
            depot: root.join("depot"),
            store: root.join("store"),
            base_env: root.join("base"),
            pkg_server: serve(pkgserver),
            root,
        };
        std::fs::create_dir_all(&lab.base_env).unwrap();
        lab
    }

    /// The test julia with the lab's depot and Pkg server, nothing of the caller's.
    pub fn julia(&self) -> Command {
        let mut c = Command::new(&self.julia);
        clean_env(&mut c);
        c.arg("--startup-file=no")
            .env("JULIA_DEPOT_PATH", &self.depot)
            .env("JULIA_PKG_SERVER", &self.pkg_server);
        c
    }

    /// Runs real Pkg code in an environment; panics with julia's output if it fails.
    pub fn pkg(&self, env: &Path, code: &str) -> Output {
        let o = self
            .julia()
            .arg(format!("--project={}", env.display()))
            .args(["-e", &format!("using Pkg; {code}")])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "Pkg failed in {}: {code}\n{}{}",
            env.display(),
            out(&o),
            err(&o)
        );
        o
    }

    /// julia started on an image with an environment.
    pub fn on_image(&self, image: &Path, env: &Path, code: &str) -> Command {
        let mut c = self.julia();
        c.arg("-J")
            .arg(image)
            .arg(format!("--project={}", env.display()))
            .args(["-e", code]);
        c
    }

    /// sysimg on an environment, with the lab's store, depot, Pkg server and julia.
    pub fn sysimg(&self, env: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        clean_env(&mut c);
        c.arg("-p")
            .arg(env)
            .args(args)
            .env("SYSIMG_STORE", &self.store)
            .env("JULIA_DEPOT_PATH", &self.depot)
            .env("JULIA_PKG_SERVER", &self.pkg_server)
            .env("JULIA", &self.julia);
        c
    }

    /// A copy of the base environment under a new name.
    pub fn env_copy(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["Project.toml", "Manifest.toml"] {
            std::fs::copy(self.base_env.join(f), dir.join(f)).unwrap();
        }
        dir
    }

    /// Builds an environment's image; returns the `build --json` answer.
    pub fn build(&self, env: &Path, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["build", "--json"];
        args.extend_from_slice(extra);
        let o = self.sysimg(env, &args).output().unwrap();
        assert!(
            o.status.success(),
            "sysimg build failed:\n{}\n{}",
            err(&o),
            out(&o)
        );
        serde_json::from_slice(&out(&o).into_bytes()).unwrap()
    }

    /// The tools environment (PackageCompiler) a build installed in the lab's store.
    pub fn tools_env(&self) -> PathBuf {
        std::fs::read_dir(self.store.join("tools"))
            .expect("a build installed the tools")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.is_dir())
            .expect("a tools environment")
    }

    /// The hand-written `create_sysimage` call a team would write for the same inputs
    /// (PackageCompiler from the lab's tools environment, defaults for everything else): julia
    /// running it, not started. Needs a build first (for [`Lab::tools_env`]).
    pub fn hand_written(
        &self,
        packages: &[&str],
        project: &Path,
        precompile: &Precompile,
        output: &Path,
    ) -> Command {
        let symbols: Vec<String> = packages.iter().map(|n| format!(":{n}")).collect();
        let keyword = |keyword: &str, file: &Path| {
            format!(
                ",\n                {keyword} = {:?}",
                file.display().to_string()
            )
        };
        let precompile = match precompile {
            Precompile::Execution(f) => keyword("precompile_execution_file", f),
            Precompile::Statements(f) => keyword("precompile_statements_file", f),
            Precompile::Nothing => String::new(),
        };
        let script = format!(
            r#"push!(LOAD_PATH, {tools:?})
using PackageCompiler
create_sysimage([{packages}]; sysimage_path = {output:?}, project = {project:?}{precompile})"#,
            tools = self.tools_env().display().to_string(),
            packages = symbols.join(", "),
            output = output.display().to_string(),
            project = project.display().to_string(),
        );
        let mut c = self.julia();
        c.args(["-e", &script]);
        c
    }

    pub fn compiled_caches(&self, package: &str) -> Vec<PathBuf> {
        let dir = self.depot.join("compiled/v1.5").join(package);
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.retain(|p| p.extension().is_some_and(|x| x == "ji"));
        found
    }
}

/// What a build is given to learn what to compile.
pub enum Precompile {
    /// A `precompile_execution_file`: a script PackageCompiler runs and traces.
    Execution(PathBuf),
    /// A `precompile_statements_file`: `precompile(...)` lines, traced before.
    Statements(PathBuf),
    /// Neither: the packages only.
    Nothing,
}

/// The DataStructures + JSON workload: the precompile execution file, and the first result
/// the benchmark times.
pub const WORKLOAD: &str = r#"using DataStructures, JSON
d = OrderedDict("a" => 1, "b" => [1, 2, 3], "c" => Dict("x" => 1.5))
s = JSON.json(d)
JSON.parse(s)
"#;
