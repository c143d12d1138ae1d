//! One command's inputs, each resolved at most once: the environment variables (read once, at
//! the start), the project file, the store, the spec with every override applied, and the
//! julia. Every command takes its inputs from here, so two commands cannot resolve the same
//! input two ways (as `run --on-stale build` once ignored `SYSIMG_PACKAGECOMPILER`).

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use julia_env::environment::{resolve_project_file, Environment};
use sysimg::julia::{find_julia, probe, JuliaChoice, JuliaInfo};
use sysimg::model::spec::{ImageSpec, PinnedRule, Policy};
use sysimg::store::Store;
use sysimg::vars::{self, Vars};

use crate::cli::Cli;
use crate::exit::Failure;

/// What the command line overrides in the spec and in the choice of julia.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--policy`.
    pub policy: Option<Policy>,
    /// `--pinned-rule`.
    pub pinned_rule: Option<PinnedRule>,
    /// `--packagecompiler` (before `SYSIMG_PACKAGECOMPILER`).
    pub packagecompiler: Option<String>,
    /// `--julia`.
    pub julia: Option<String>,
}

/// A command's resolved inputs (see the module's documentation).
pub struct Context<'a> {
    /// The parsed command line.
    pub cli: &'a Cli,
    /// The environment variables sysimg reads.
    pub vars: Vars,
    overrides: Overrides,
    project_file: OnceCell<PathBuf>,
    store: OnceCell<Store>,
    spec: OnceCell<ImageSpec>,
    julia: OnceCell<JuliaInfo>,
}

/// `cell`'s value, computed by `f` the first time (a failure is not kept: it is returned, and
/// the command ends).
fn once<T, E>(cell: &OnceCell<T>, f: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = f()?;
    Ok(cell.get_or_init(|| v))
}

impl<'a> Context<'a> {
    /// The julia named on the command line (`--julia`), if any.
    pub fn julia_override(&self) -> Option<&str> {
        self.overrides.julia.as_deref()
    }

    /// The context of `cli` with `overrides`, reading this process's environment variables.
    pub fn new(cli: &'a Cli, overrides: Overrides) -> Context<'a> {
        Context {
            cli,
            vars: Vars::from_process(),
            overrides,
            project_file: OnceCell::new(),
            store: OnceCell::new(),
            spec: OnceCell::new(),
            julia: OnceCell::new(),
        }
    }

    /// The same command line and variables for another project (`build --all`).
    pub fn for_project(&self, project_file: PathBuf) -> Context<'a> {
        Context {
            cli: self.cli,
            vars: self.vars.clone(),
            overrides: self.overrides.clone(),
            project_file: OnceCell::from(project_file),
            store: self.store.clone(),
            spec: OnceCell::new(),
            julia: OnceCell::new(),
        }
    }

    /// Whether the output is JSON.
    pub fn json(&self) -> bool {
        self.cli.json
    }

    /// The project file `-p` (or `JULIA_PROJECT`, or the upward search) names, without
    /// reading it; it must exist.
    pub fn project_file(&self) -> Result<&Path, Failure> {
        let file = self.named_project_file()?;
        if !file.is_file() {
            return Err(Failure::bad_input(format!(
                "{}: no such project file",
                file.display()
            )));
        }
        Ok(file)
    }

    /// The project file `-p` (or `JULIA_PROJECT`, or the upward search) names, which may not
    /// exist (`-p` to a new directory).
    pub fn named_project_file(&self) -> Result<&Path, Failure> {
        once(&self.project_file, || {
            let cwd = std::env::current_dir().map_err(|e| {
                Failure::bad_input(format!("cannot read the current directory: {e}"))
            })?;
            let home = self.vars.home();
            Ok::<_, Failure>(resolve_project_file(
                self.cli.project.as_deref(),
                self.vars.os(vars::JULIA_PROJECT),
                &cwd,
                home.as_deref(),
                &self.vars.depots(None).paths,
            )?)
        })
        .map(PathBuf::as_path)
    }

    /// The project's directory.
    pub fn project_dir(&self) -> Result<&Path, Failure> {
        Ok(self.project_file()?.parent().unwrap_or(Path::new(".")))
    }

    /// The environment the project names (the manifest julia's version picks, when the julia
    /// is already known).
    pub fn environment(&self) -> Result<Environment, Failure> {
        let version = self.julia.get().map(|j| j.version.clone());
        Ok(Environment::load(self.project_file()?, version.as_ref())?)
    }

    /// The image store (`SYSIMG_STORE`, else `<first depot>/sysimg`).
    pub fn store(&self) -> Result<&Store, Failure> {
        once(&self.store, || {
            Store::locate(self.vars.os(vars::SYSIMG_STORE), &self.vars.depots(None)).ok_or_else(
                || Failure::bad_input("no image store: set SYSIMG_STORE or JULIA_DEPOT_PATH"),
            )
        })
    }

    /// The project's spec (`Sysimage.toml`, else the defaults) with the overrides applied:
    /// `--policy`, `--pinned-rule`, and PackageCompiler from `--packagecompiler`, else
    /// `SYSIMG_PACKAGECOMPILER`, else the spec's own key.
    pub fn spec(&self) -> Result<&ImageSpec, Failure> {
        once(&self.spec, || {
            let mut spec = ImageSpec::for_project_dir(self.project_dir()?)?;
            if let Some(p) = self.overrides.policy {
                spec.policy = p;
            }
            if let Some(r) = self.overrides.pinned_rule {
                spec.pinned_rule = r;
            }
            let packagecompiler = (self.overrides.packagecompiler.clone()).or_else(|| {
                self.vars
                    .get(vars::SYSIMG_PACKAGECOMPILER)
                    .map(String::from)
            });
            if let Some(pc) = packagecompiler {
                spec.packagecompiler = Some(pc);
            }
            let home = self.vars.home();
            spec.packagecompiler = (spec.packagecompiler.take())
                .map(|pc| sysimg::julia::tools::expand_home(&pc, home.as_deref()));
            Ok::<_, Failure>(spec)
        })
    }

    /// The julia to use (`--julia`, `JULIA`, the spec's `julia`, `julia` on PATH) and its
    /// facts, probed once per binary and cached in the store. A spec that cannot be read does
    /// not stop julia from being found.
    pub fn julia(&self) -> Result<&JuliaInfo, Failure> {
        once(&self.julia, || {
            let spec_julia = self.spec().ok().and_then(|s| s.julia.clone());
            let store = self.store()?;
            let juliaup_home = self.vars.juliaup_home();
            let choice = JuliaChoice {
                flag: self.overrides.julia.as_deref(),
                env: self.vars.os(vars::JULIA),
                spec: spec_julia.as_deref(),
                path: self.vars.os(vars::PATH),
                juliaup_home: juliaup_home.as_ref().ok().cloned().flatten(),
                juliaup_home_error: juliaup_home.err(),
                juliaup_channel: (self.vars.os(vars::JULIAUP_CHANNEL))
                    .and_then(|c| c.to_str())
                    .map(String::from),
                cwd: std::env::current_dir().ok(),
            };
            let julia = find_julia(&choice)?;
            Ok::<_, Failure>(probe(
                &julia,
                Some(&store.bucket(sysimg::store::Bucket::Cache)),
            )?)
        })
    }
}
