//! `sysimg`: safe, reusable custom Julia sysimages. This crate is only the command line; the
//! work is done by the library crates.

mod cli;
mod commands;
mod exit;
mod output;

use clap::Parser;

fn main() {
    restore_sigpipe();
    let args = cli::Cli::parse();
    let code = match commands::run(&args) {
        Ok(code) => code,
        Err(err) => {
            err.print(args.json);
            err.code
        }
    };
    std::process::exit(code.into());
}

/// Rust ignores SIGPIPE, which turns `sysimg env show | head` into a write error; restore the
/// default so that a closed pipe ends the process quietly, as for any Unix tool.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at start-up, before any thread
    // exists, has no memory-safety preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
