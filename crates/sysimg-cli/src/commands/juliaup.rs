//! `sysimg juliaup link|unlink`: juliaup channels that start the environment's image.

use std::path::{Path, PathBuf};
use std::process::Command;

use sysimg::juliaup::{channel_args, channel_name, channels_for, linked_channels};

use sysimg::vars::{self, Vars};

use crate::context::Context;
use crate::exit::{ExitCode, Failure};
use crate::steps::{environment_name, juliaup_config};
use crate::ui::output::say;

fn juliaup_exe(vars: &Vars, flag: Option<&Path>) -> Result<PathBuf, Failure> {
    match flag {
        Some(p) => Ok(p.to_path_buf()),
        None => sysimg::julia::which("juliaup", vars.os(vars::PATH)).ok_or_else(
            || {
                Failure::bad_input(
                    "juliaup is not on PATH: install it (https://julialang.org/install) or pass --juliaup PATH",
                )
            },
        ),
    }
}

/// Runs juliaup; its own message on failure.
fn run_juliaup(exe: &Path, args: &[String]) -> Result<(), Failure> {
    let o = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| Failure::bad_input(format!("cannot run {}: {e}", exe.display())))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(Failure::bad_input(format!(
            "`juliaup {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )))
    }
}

/// `sysimg juliaup link [NAME] [--julia ...] [--juliaup PATH]` (`--julia` reaches the
/// context's choice of julia).
pub fn link(
    ctx: &Context<'_>,
    name: Option<&str>,
    juliaup: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let env = ctx.environment()?;
    let spec = ctx.spec()?;
    // The julia the channel starts: a `+CHANNEL` stays one (sysimg run resolves it at each
    // start, so `juliaup update` is followed), anything else is the resolved binary.
    let named = ctx.julia_override().or(spec.julia.as_deref());
    let julia = match named {
        Some(c) if c.starts_with('+') => PathBuf::from(c),
        _ => ctx.julia()?.path.clone(),
    };
    let name = match name {
        Some(n) => n.trim_start_matches('+').to_string(),
        None => channel_name(&environment_name(&env)),
    };
    let exe = juliaup_exe(&ctx.vars, juliaup)?;
    let sysimg = std::env::current_exe()
        .map_err(|e| Failure::bad_input(format!("cannot find the sysimg executable: {e}")))?;
    let config = juliaup_config(&ctx.vars)?;
    let channels = linked_channels(&config)?;
    let ours = channels_for(&channels, &env.project_file);
    if let Some(existing) = channels.iter().find(|c| c.name == name) {
        if !ours.iter().any(|c| c.name == name) {
            return Err(Failure::bad_input(format!(
                "juliaup already has a channel `{name}` ({}), not one of this environment's: pick another name",
                existing.command
            )));
        }
        // Ours: linked again, with the julia and sysimg of now.
        run_juliaup(&exe, &["remove".into(), name.clone()])?;
    }
    let args = channel_args(&env.project_file, &julia);
    let mut call = vec![
        "link".to_string(),
        name.clone(),
        sysimg.display().to_string(),
        "--".into(),
    ];
    call.extend(args.iter().cloned());
    run_juliaup(&exe, &call)?;
    // What juliaup wrote must be what the launcher will run.
    let written = linked_channels(&config)?;
    if !written.iter().any(|c| c.name == name && c.args == args) {
        return Err(Failure::bad_input(format!(
            "`juliaup link` succeeded but {} has no channel `{name}` with the arguments given: is JULIAUP_DEPOT_PATH the same for juliaup and sysimg?",
            config.display()
        )));
    }
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "channel": name,
            "command": sysimg.display().to_string(),
            "args": args,
            "config": config.display().to_string(),
        }));
    } else {
        say!(
            "linked juliaup channel `{name}`: `julia +{name}` starts {}'s image (through `sysimg run`, so it follows every rebuild)",
            env.project_file.display()
        );
    }
    Ok(ExitCode::Ok)
}

/// `sysimg juliaup unlink [NAME] [--juliaup PATH]`.
pub fn unlink(
    ctx: &Context<'_>,
    name: Option<&str>,
    juliaup: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let project_file = ctx.project_file()?.to_path_buf();
    let config = juliaup_config(&ctx.vars)?;
    let channels = linked_channels(&config)?;
    let ours = channels_for(&channels, &project_file);
    let remove: Vec<String> = match name.map(|n| n.trim_start_matches('+')) {
        Some(n) => {
            if !ours.iter().any(|c| c.name == n) {
                return Err(Failure::bad_input(format!(
                    "juliaup has no channel `{n}` that starts {}'s image",
                    project_file.display()
                )));
            }
            vec![n.to_string()]
        }
        None => ours.iter().map(|c| c.name.clone()).collect(),
    };
    if !remove.is_empty() {
        let exe = juliaup_exe(&ctx.vars, juliaup)?;
        for n in &remove {
            run_juliaup(&exe, &["remove".into(), n.clone()])?;
        }
    }
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({ "removed": remove }));
    } else if remove.is_empty() {
        say!(
            "no juliaup channel starts {}'s image",
            project_file.display()
        );
    } else {
        say!("removed juliaup channel(s): {}", remove.join(", "));
    }
    Ok(ExitCode::Ok)
}
