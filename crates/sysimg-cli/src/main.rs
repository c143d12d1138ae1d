//! `sysimg`: safe, reusable custom Julia sysimages. This crate is only the command line; the
//! work is done by the library crates.

mod cli;
mod commands;
mod context;
mod exit;
mod steps;
mod ui;

use clap::Parser;

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let quick = cli::Cli::parse_run_quickly(&argv);
    let args = match quick.map_or_else(|| cli::Cli::try_parse_from(argv), Ok) {
        Ok(args) => args,
        Err(e) => usage_error(e),
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

/// A command line clap cannot read: its own message and exit status, or with `--json`
/// anywhere on the line, the JSON error object every command prints (exit status 2).
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let wants_json = std::env::args_os().any(|a| a == "--json");
    let is_usage = !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if wants_json && is_usage {
        let message = e.render().to_string();
        let message = message.trim().trim_start_matches("error: ");
        let failure = exit::Failure::bad_input(message.lines().next().unwrap_or(message));
        ui::report::print_failure(&failure, true);
        std::process::exit(failure.code.into());
    }
    e.exit()
}
