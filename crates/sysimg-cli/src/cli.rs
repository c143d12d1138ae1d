//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Safe, reusable custom Julia sysimages.
///
/// Exit status: 0 when all is well, 1 when a check found problems, 2 for a bad invocation or
/// input that could not be read.
#[derive(Debug, Parser)]
#[command(name = "sysimg", version, about, long_about)]
pub struct Cli {
    /// The project: a directory or project file, `@.` to search upward, `@name` for a named
    /// environment. Default: `JULIA_PROJECT`, else the nearest Project.toml upward.
    #[arg(short = 'p', long = "project", global = true, value_name = "DIR")]
    pub project: Option<String>,

    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and check Julia environments.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Print the git-tree-sha1 of a directory, as Pkg computes it.
    TreeHash {
        /// The directory.
        dir: PathBuf,
    },
}

/// `sysimg env ...`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Report everything wrong with an environment (exit 1 when there is an error).
    Check(CheckArgs),
    /// Show the environment as sysimg understands it.
    Show,
}

/// Options of `sysimg env check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A depot to look for package sources in (repeatable). Default: `JULIA_DEPOT_PATH`,
    /// else `~/.julia`.
    #[arg(long = "depot", value_name = "DIR")]
    pub depots: Vec<PathBuf>,

    /// Recompute the tree hash of every package source and compare it with the Manifest.
    #[arg(long)]
    pub verify_sources: bool,

    /// Do not look for package sources at all.
    #[arg(long, conflicts_with = "verify_sources")]
    pub no_sources: bool,
}
