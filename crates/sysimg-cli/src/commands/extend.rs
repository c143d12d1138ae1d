//! `sysimg can-add` and `sysimg extendability`.

use std::path::Path;

use crate::ui::output::{say, say_err};
use julia_env::registry::Registry;
use julia_env::resolve::RegistryIndex;
use julia_env::version::VersionNumber;
use sysimg::check::Image;
use sysimg::extend::{self, Addition, Candidate, Holding, Named};
use sysimg::launch::environment_image;
use sysimg::vars::Vars;

use crate::steps::{depot_registries, resolve_julia_version};

use crate::cli::HoldArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

/// An environment that does not resolve by itself is a finding (exit 1); the other errors
/// are bad input (exit 2).
fn failure(e: extend::ExtendError) -> Failure {
    match e {
        extend::ExtendError::Unresolvable(_) => Failure {
            code: ExitCode::Problems,
            message: e.to_string(),
        },
        e => Failure::bad_input(e),
    }
}

/// The registries `--registry` names, else those in the depots.
fn registries(vars: &Vars, paths: &[std::path::PathBuf]) -> Result<RegistryIndex, Failure> {
    let mut out = Vec::new();
    if paths.is_empty() {
        let (found, warnings, depots) = depot_registries(vars);
        for w in warnings {
            say_err!("warning: {w}");
        }
        if found.is_empty() {
            return Err(Failure::bad_input(format!(
                "no registry in the depots ({}); pass --registry PATH",
                depots
                    .paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        out = found;
    }
    for p in paths {
        let r = if p.is_dir() {
            Registry::open_dir(p)
        } else if p.is_file() {
            Registry::open_compressed(p)
        } else {
            return Err(Failure::bad_input(format!(
                "{}: no such registry (a directory with Registry.toml, or a compressed \
                 registry's <Name>.toml)",
                p.display()
            )));
        };
        out.push(r?);
    }
    Ok(RegistryIndex::new(out))
}

/// The environment with what `hold` says is held.
fn holding(ctx: &Context<'_>, hold: &HoldArgs) -> Result<Holding, Failure> {
    let env = ctx.environment()?;
    let image = match &hold.image {
        Some(arg) => {
            let image = Image::locate(arg, ctx.store().ok())?;
            Some(image.record.ok_or_else(|| {
                Failure::bad_input(format!(
                    "{arg}: an image without a record (image.toml): sysimg cannot tell what it holds"
                ))
            })?)
        }
        None => {
            let spec = ctx.spec()?;
            ctx.store()
                .ok()
                .and_then(|store| environment_image(&env, spec, store, None, &ctx.vars))
                .and_then(|(_, i)| i.record)
        }
    };
    let mode = hold.fix;
    let julia_version = match &hold.julia_version {
        Some(v) => Some(
            VersionNumber::parse(v)
                .map_err(|e| Failure::bad_input(format!("--julia-version `{v}`: {e}")))?,
        ),
        None => {
            // The julia is only asked when neither the image nor `--julia-version` says.
            let julia = match image {
                Some(_) => None,
                None => ctx.julia().ok(),
            };
            resolve_julia_version(&env, image.as_ref(), julia)
        }
    };
    Holding::new(&env, image.as_ref(), mode, julia_version).map_err(failure)
}

pub fn can_add(
    ctx: &Context<'_>,
    packages: &[String],
    hold: &HoldArgs,
) -> Result<ExitCode, Failure> {
    let holding = holding(ctx, hold)?;
    let index = registries(&ctx.vars, &hold.registries)?;
    let mut additions = Vec::new();
    for p in packages {
        let add = Addition::parse(p).map_err(failure)?;
        let named = extend::find_package(&index, &holding, &add.name).map_err(failure)?;
        additions.push((named, add));
    }
    let answer = extend::can_add(&index, &holding, &additions).map_err(failure)?;
    let code = if answer.ok {
        ExitCode::Ok
    } else {
        ExitCode::Problems
    };
    if ctx.json() {
        crate::ui::report::print_json(&answer);
        return Ok(code);
    }
    let julia = answer.julia_version.as_deref().unwrap_or("any");
    let held = crate::ui::report::counted(answer.fixed.len(), "package", "packages");
    let names: Vec<&str> = additions.iter().map(|(n, _)| n.name.as_str()).collect();
    if answer.ok {
        for a in &answer.added {
            say!("ok: {} {} can be added", a.name, a.version);
            for h in answer.held_back.iter().filter(|h| h.name == a.name) {
                say!("  not its newest: {} {} does not fit:", h.name, h.newest);
                for line in &h.explanation {
                    say!("    {line}");
                }
            }
        }
        say!(
            "  (julia {julia}; {held} held: {})",
            holding_words(&holding)
        );
        for m in &answer.changed {
            say!(
                "  moves {} {} → {}",
                m.name,
                m.from.as_deref().unwrap_or("?"),
                m.to
            );
        }
        if !answer.new_dependencies.is_empty() {
            say!(
                "  installs {} more: {}",
                crate::ui::report::counted(answer.new_dependencies.len(), "package", "packages"),
                answer
                    .new_dependencies
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    } else {
        say!(
            "cannot add {} (julia {julia}; {held} held: {}):",
            names.join(", "),
            holding_words(&holding)
        );
        for line in &answer.explanation {
            say!("  {line}");
        }
        if !answer.blocked_by.is_empty() {
            say!(
                "blocked by: {}",
                answer
                    .blocked_by
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for (name, fit) in &answer.newest_fit {
            match fit {
                Some(v) => say!("the newest {name} that fits: {v}"),
                None => say!("no version of {name} fits"),
            }
        }
        if !answer.release_to_fit.is_empty() {
            say!(
                "it would fit if {} left the held set ({})",
                answer.release_to_fit.join(", "),
                match answer.fix {
                    extend::FixMode::Baked => "rebuild the image without them",
                    extend::FixMode::Pinned => "unpin them",
                    extend::FixMode::All => "let them move",
                }
            );
        }
    }
    Ok(code)
}

fn holding_words(h: &Holding) -> &'static str {
    match h.mode {
        extend::FixMode::Baked => "baked in the image",
        extend::FixMode::Pinned => "pinned",
        extend::FixMode::All => "every Manifest package",
    }
}

/// The names in a `--from` file: one per line, `#` starts a comment.
fn names_from(path: &Path) -> Result<Vec<String>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

pub fn extendability(
    ctx: &Context<'_>,
    top: Option<usize>,
    from: Option<&Path>,
    hold: &HoldArgs,
) -> Result<ExitCode, Failure> {
    let holding = holding(ctx, hold)?;
    let index = registries(&ctx.vars, &hold.registries)?;
    let candidates: Vec<(Named, Option<usize>)> = match from {
        Some(path) => names_from(path)?
            .iter()
            .map(|n| {
                Ok((
                    extend::find_package(&index, &holding, n).map_err(failure)?,
                    None,
                ))
            })
            .collect::<Result<_, Failure>>()?,
        None => extend::most_depended_upon(&index, top.unwrap_or(100))
            .map_err(failure)?
            .into_iter()
            .map(|(n, c)| (n, Some(c)))
            .collect(),
    };
    let table = extend::extendability(&index, &holding, &candidates).map_err(failure)?;
    let fit = table.iter().filter(|c| c.ok).count();
    let score = format!("{fit} of {} can be added", table.len());
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "julia_version": holding.julia_version().map(ToString::to_string),
            "fix": holding.mode,
            "fixed": holding.held.len(),
            "can_add": fit,
            "asked": table.len(),
            "packages": table,
        }));
    } else {
        for c in &table {
            say!("{}", row(c));
        }
        say!(
            "{score} (julia {}; {} held: {})",
            holding
                .julia_version()
                .map_or("any".to_string(), ToString::to_string),
            crate::ui::report::counted(holding.held.len(), "package", "packages"),
            holding_words(&holding)
        );
    }
    Ok(if fit == table.len() {
        ExitCode::Ok
    } else {
        ExitCode::Problems
    })
}

fn row(c: &Candidate) -> String {
    let verdict = match (c.ok, c.present) {
        (true, true) => format!("present ({})", c.version.as_deref().unwrap_or("?")),
        (true, false) => match &c.newest {
            Some(newest) => format!(
                "ok ({}; newest {newest} held back by {})",
                c.version.as_deref().unwrap_or("?"),
                c.blocked_by.join(", ")
            ),
            None => format!("ok ({})", c.version.as_deref().unwrap_or("?")),
        },
        (false, _) if !c.blocked_by.is_empty() => {
            format!("blocked by {}", c.blocked_by.join(", "))
        }
        (false, _) => format!("no: {}", c.reason.as_deref().unwrap_or("unsatisfiable")),
    };
    format!("  {:30} {verdict}", c.name)
}
