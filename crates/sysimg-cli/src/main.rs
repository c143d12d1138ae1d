//! `sysimg`: safe, reusable custom Julia sysimages. This crate is only the command line; the
//! work is done by the library crates.

mod cli;
mod commands;
mod context;
mod exit;
mod steps;
mod ui;

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let quick = cli::Cli::parse_run_quickly(&argv);
    let args = match quick.map_or_else(|| parse(&argv), Ok) {
        Ok(args) => args,
        Err(e) => usage_error(e, &argv),
    };
    let code = match commands::run(&args) {
        Ok(code) => code,
        Err(err) => {
            ui::report::print_failure(&err, args.json);
            err.code
        }
    };
    std::process::exit(code.into());
}

/// The command line read by clap, with the exit codes (from [`exit::ExitCode::help`]) at
/// the end of the top-level help.
fn parse(argv: &[std::ffi::OsString]) -> Result<cli::Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = cli::Cli::command().after_help(exit::ExitCode::help());
    let matches = command.try_get_matches_from_mut(argv)?;
    cli::Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

/// The hint for `sysimg run script.jl`: julia's arguments go after `--`.
fn run_hint(e: &clap::Error, argv: &[std::ffi::OsString]) -> Option<String> {
    use clap::error::{ContextKind, ErrorKind};
    let before_dashes = argv.iter().take_while(|a| *a != "--");
    let is_run = before_dashes.clone().any(|a| a == "run");
    if !is_run || e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let arg = e.get(ContextKind::InvalidArg)?.to_string();
    Some(format!(
        "julia's arguments go after `--`: `sysimg run -- {}`",
        sysimg::julia::shell_quote(&arg)
    ))
}

/// A command line clap cannot read: its own message and exit status, or with `--json`
/// anywhere on the line, the JSON error object every command prints (exit status 2).
fn usage_error(e: clap::Error, argv: &[std::ffi::OsString]) -> ! {
    use clap::error::ErrorKind;
    let wants_json = argv.iter().any(|a| a == "--json");
    let is_usage = !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    let hint = run_hint(&e, argv);
    if wants_json && is_usage {
        let message = e.render().to_string();
        let message = message.trim().trim_start_matches("error: ");
        let mut message = message.lines().next().unwrap_or(message).to_string();
        if let Some(h) = &hint {
            message = format!("{message}; {h}");
        }
        let failure = exit::Failure::bad_input(message);
        ui::report::print_failure(&failure, true);
        std::process::exit(failure.code.into());
    }
    if let Some(h) = hint {
        ui::output::say_err!("{}\nhint: {h}", e.render().to_string().trim_end());
        std::process::exit(exit::ExitCode::BadInput.into());
    }
    e.exit()
}
