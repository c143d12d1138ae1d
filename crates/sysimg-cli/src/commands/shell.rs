//! `sysimg shell-init` and `sysimg completions`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{ExitCode, Failure};

pub fn completions(shell: Shell) -> Result<ExitCode, Failure> {
    clap_complete::generate(shell, &mut Cli::command(), "sysimg", &mut std::io::stdout());
    Ok(ExitCode::Ok)
}

/// Completions plus `jl`, which starts julia through `sysimg run` in the current environment.
pub fn init(shell: Shell) -> Result<ExitCode, Failure> {
    completions(shell)?;
    let alias = match shell {
        Shell::Fish => "function jl; sysimg run -- $argv; end",
        Shell::PowerShell => "function jl { sysimg run -- @args }",
        Shell::Elvish => "fn jl {|@a| sysimg run -- $@a }",
        _ => "jl() { sysimg run -- \"$@\"; }",
    };
    crate::ui::output::print_line(&format!(
        "\n# `jl`: julia with the environment's image (sysimg run)\n{alias}"
    ));
    Ok(ExitCode::Ok)
}
