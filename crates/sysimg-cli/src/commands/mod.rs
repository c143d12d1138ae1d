//! One module per command; each returns the exit code or a [`Failure`].

mod align;
mod build;
mod check;
mod env;
mod extend;
mod juliaup;
mod kernel;
mod launch;
mod learn;
mod plan;
mod share;
mod shell;
mod store;
mod tree_hash;

use crate::cli::{Cli, Command, EnvCommand, JuliaupCommand, KernelCommand, LearnCommand};
use crate::context::{Context, Overrides};
use crate::exit::{ExitCode, Failure};

/// What a command overrides in the spec and in the choice of julia.
fn overrides(command: &Command) -> Overrides {
    let mut o = Overrides::default();
    match command {
        Command::Plan { plan, .. } | Command::Why { plan, .. } => {
            o.policy = plan.policy;
            o.pinned_rule = plan.pinned_rule;
        }
        Command::Strip(args) => o.pinned_rule = args.pinned_rule,
        Command::Build(args) => {
            o.policy = args.plan.policy;
            o.pinned_rule = args.plan.pinned_rule;
            o.packagecompiler = args.packagecompiler.clone();
            o.julia = args.julia.clone();
        }
        Command::Check(args) => o.julia = args.julia.clone(),
        Command::Run(args) => o.julia = args.launch.julia.clone(),
        Command::JuliaArgs(args) => o.julia = args.launch.julia.clone(),
        Command::Juliaup(JuliaupCommand::Link { julia, .. }) => o.julia = julia.clone(),
        _ => {}
    }
    o
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let ctx = &Context::new(cli, overrides(&cli.command));
    match &cli.command {
        Command::Env(EnvCommand::Check(args)) => env::check(ctx, args),
        Command::Env(EnvCommand::Show) => env::show(ctx),
        Command::Plan { outlook, .. } => plan::plan(ctx, outlook),
        Command::Why { package, .. } => plan::why(ctx, package),
        Command::Strip(args) => align::strip(ctx, args),
        Command::Pin(args) => align::pin(ctx, args),
        Command::Build(args) => build::run(ctx, args),
        Command::Ls(args) => match &args.remote {
            Some(remote) => share::ls_remote(ctx, remote.as_deref(), args.insecure),
            None => store::ls(ctx),
        },
        Command::Push(args) => share::push(ctx, args),
        Command::Pull(args) => share::pull(ctx, args),
        Command::Inspect { image, features } => store::inspect(ctx, image, *features),
        Command::Rm { image, force } => store::rm(ctx, image, *force),
        Command::Verify { image } => store::verify(ctx, image.as_deref()),
        Command::Gc { dry_run, keep_days } => store::gc(ctx, *dry_run, *keep_days),
        Command::Check(args) => check::run(ctx, args),
        Command::Run(_) if ctx.json() => Err(crate::exit::Failure::bad_input(
            "`run --json`: run becomes julia, whose output is julia's own; \
             `sysimg julia-args --json` prints what run would start, as JSON",
        )),
        Command::Run(args) => launch::run(ctx, args),
        Command::JuliaArgs(args) => launch::julia_args(ctx, args),
        Command::Kernel(KernelCommand::Install { name, kernels_dir }) => {
            kernel::install(ctx, name.as_deref(), kernels_dir.as_deref())
        }
        Command::Kernel(KernelCommand::List { kernels_dir }) => {
            kernel::list(ctx, kernels_dir.as_deref())
        }
        Command::Kernel(KernelCommand::Uninstall { name, kernels_dir }) => {
            kernel::uninstall(ctx, name.as_deref(), kernels_dir.as_deref())
        }
        Command::Juliaup(JuliaupCommand::Link {
            name, juliaup: exe, ..
        }) => juliaup::link(ctx, name.as_deref(), exe.as_deref()),
        Command::Juliaup(JuliaupCommand::Unlink { name, juliaup: exe }) => {
            juliaup::unlink(ctx, name.as_deref(), exe.as_deref())
        }
        Command::ShellInit { shell } => shell::init(*shell),
        Command::Completions { shell } => shell::completions(*shell),
        Command::TreeHash { dir } => tree_hash::run(ctx, dir),
        Command::Status => learn::status(ctx),
        Command::Learn(LearnCommand::Show) => learn::show(ctx),
        Command::CanAdd { packages, hold } => extend::can_add(ctx, packages, hold),
        Command::Extendability { top, from, hold } => {
            extend::extendability(ctx, *top, from.as_deref(), hold)
        }
    }
}

/// Lets a large value go without freeing it, piece by piece: the process ends right after
/// the command and the system takes its memory back at once. (Freeing a parsed 468-package
/// environment is about 5% of `env check`.)
pub fn leave_for_exit<T>(value: T) {
    std::mem::forget(value);
}
