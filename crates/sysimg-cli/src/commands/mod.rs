//! One module per command; each returns the exit code or a [`Failure`].

mod align;
mod build;
mod check;
mod env;
mod extend;
mod kernel;
mod launch;
mod learn;
mod plan;
mod share;
mod shell;
mod store;
mod tree_hash;

use std::path::PathBuf;

use julia_env::depot::Depots;
use julia_env::environment::{resolve_project_file, Environment};

use sysimg::julia::{find_julia, probe, JuliaChoice, JuliaInfo};
use sysimg::store::Store;

use crate::cli::{Cli, Command, EnvCommand, KernelCommand, LearnCommand};
use crate::exit::{ExitCode, Failure};

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Env(EnvCommand::Check(args)) => env::check(cli, args),
        Command::Env(EnvCommand::Show) => env::show(cli),
        Command::Plan {
            plan: args,
            outlook,
        } => plan::plan(cli, args, outlook),
        Command::Why {
            package,
            plan: args,
        } => plan::why(cli, package, args),
        Command::Strip(args) => align::strip(cli, args),
        Command::Pin(args) => align::pin(cli, args),
        Command::Build(args) => build::run(cli, args),
        Command::Ls(args) => match &args.remote {
            Some(remote) => share::ls_remote(cli, remote.as_deref(), args.insecure),
            None => store::ls(cli),
        },
        Command::Push(args) => share::push(cli, args),
        Command::Pull(args) => share::pull(cli, args),
        Command::Inspect { image } => store::inspect(cli, image),
        Command::Rm { image } => store::rm(cli, image),
        Command::Verify { image } => store::verify(cli, image.as_deref()),
        Command::Gc { dry_run, keep_days } => store::gc(cli, *dry_run, *keep_days),
        Command::Check(args) => check::run(cli, args),
        Command::Run(args) => launch::run(cli, args),
        Command::JuliaArgs(args) => launch::julia_args(cli, args),
        Command::Kernel(KernelCommand::Install { name, kernels_dir }) => {
            kernel::install(cli, name.as_deref(), kernels_dir.as_deref())
        }
        Command::ShellInit { shell } => shell::init(*shell),
        Command::Completions { shell } => shell::completions(*shell),
        Command::TreeHash { dir } => tree_hash::run(cli, dir),
        Command::Status => learn::status(cli),
        Command::Learn(LearnCommand::Show) => learn::show(cli),
        Command::CanAdd { packages, hold } => extend::can_add(cli, packages, hold),
        Command::Extendability { top, from, hold } => {
            extend::extendability(cli, *top, from.as_deref(), hold)
        }
    }
}

/// The project file `--project` (or `JULIA_PROJECT`, or the upward search) names, without
/// reading it.
pub fn project_file(cli: &Cli) -> Result<PathBuf, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::bad_input(format!("cannot read the current directory: {e}")))?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let julia_project = std::env::var_os("JULIA_PROJECT");
    let depots = Depots::from_env(None);
    let file = resolve_project_file(
        cli.project.as_deref(),
        julia_project.as_deref(),
        &cwd,
        home.as_deref(),
        &depots.paths,
    )?;
    if !file.is_file() {
        return Err(Failure::bad_input(format!(
            "{}: no such project file",
            file.display()
        )));
    }
    Ok(file)
}

/// The environment `--project` (or `JULIA_PROJECT`, or the upward search) names.
pub fn load_environment(cli: &Cli) -> Result<Environment, Failure> {
    Ok(Environment::load(&project_file(cli)?, None)?)
}

/// The julia to use (`--julia`, `JULIA`, the spec's `julia`, `julia` on PATH) and its facts,
/// probed once per binary and cached in the store.
pub fn julia(flag: Option<&str>, spec: Option<&str>, store: &Store) -> Result<JuliaInfo, Failure> {
    let path = std::env::var_os("PATH");
    let julia_env = std::env::var_os("JULIA");
    let choice = JuliaChoice {
        flag,
        env: julia_env.as_deref(),
        spec,
        path: path.as_deref(),
        juliaup_home: JuliaChoice::juliaup_home_from_env(),
        juliaup_channel: std::env::var("JULIAUP_CHANNEL").ok(),
        cwd: std::env::current_dir().ok(),
    };
    let julia = find_julia(&choice)?;
    Ok(probe(&julia, Some(&store.root.join("cache")))?)
}

/// The image store (`SYSIMG_STORE`, else `<first depot>/sysimg`).
pub fn store() -> Result<sysimg::store::Store, Failure> {
    sysimg::store::Store::locate(
        std::env::var_os("SYSIMG_STORE").as_deref(),
        &Depots::from_env(None),
    )
    .ok_or_else(|| Failure::bad_input("no image store: set SYSIMG_STORE or JULIA_DEPOT_PATH"))
}

/// Lets a large value go without freeing it, piece by piece: the process ends right after
/// the command and the system takes its memory back at once. (Freeing a parsed 468-package
/// environment is about 5% of `env check`.)
pub fn leave_for_exit<T>(value: T) {
    std::mem::forget(value);
}
