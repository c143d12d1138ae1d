//! One module per command; each returns the exit code or a [`Failure`].

mod align;
mod build;
mod env;
mod plan;
mod store;
mod tree_hash;

use std::path::PathBuf;

use julia_env::depot::Depots;
use julia_env::environment::{resolve_project_file, Environment};

use crate::cli::{Cli, Command, EnvCommand};
use crate::exit::{ExitCode, Failure};

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Env(EnvCommand::Check(args)) => env::check(cli, args),
        Command::Env(EnvCommand::Show) => env::show(cli),
        Command::Plan(args) => plan::plan(cli, args),
        Command::Why {
            package,
            plan: args,
        } => plan::why(cli, package, args),
        Command::Strip(args) => align::strip(cli, args),
        Command::Pin(args) => align::pin(cli, args),
        Command::Build(args) => build::run(cli, args),
        Command::Ls => store::ls(cli),
        Command::Inspect { image } => store::inspect(cli, image),
        Command::Rm { image } => store::rm(cli, image),
        Command::Verify { image } => store::verify(cli, image.as_deref()),
        Command::Gc { dry_run, keep_days } => store::gc(cli, *dry_run, *keep_days),
        Command::TreeHash { dir } => tree_hash::run(cli, dir),
    }
}

/// The environment `--project` (or `JULIA_PROJECT`, or the upward search) names.
pub fn load_environment(cli: &Cli) -> Result<Environment, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::bad_input(format!("cannot read the current directory: {e}")))?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let julia_project = std::env::var("JULIA_PROJECT").ok();
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
    Ok(Environment::load(&file, None)?)
}

/// The image store (`SYSIMG_STORE`, else `<first depot>/sysimg`).
pub fn store() -> Result<sysimg::store::Store, Failure> {
    sysimg::store::Store::locate(
        std::env::var_os("SYSIMG_STORE").as_deref(),
        &Depots::from_env(None),
    )
    .ok_or_else(|| Failure::bad_input("no image store: set SYSIMG_STORE or JULIA_DEPOT_PATH"))
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}
