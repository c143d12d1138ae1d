//! `sysimg can-add` and `sysimg extendability`.

use std::path::Path;

use crate::ui::output::{say, say_err};
use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::registry::{reachable_registries, tarballs_enabled_by_env, Registry};
use julia_env::resolve::RegistryIndex;
use julia_env::version::VersionNumber;
use sysimg::check::Image;
use sysimg::extend::{self, Addition, Candidate, FixMode, Holding, Named, Outlook};
use sysimg::julia::JuliaInfo;
use sysimg::launch::environment_image;
use sysimg::model::record::ImageRecord;
use sysimg::model::spec::ImageSpec;
use sysimg::store::Store;

use crate::cli::{Cli, HoldArgs};
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

/// The registries in the depots, with a warning for each one that could not be read.
fn depot_registries() -> (Vec<Registry>, Vec<String>, Depots) {
    let depots = Depots::from_env(None);
    let (mut found, mut warnings) = (Vec::new(), Vec::new());
    for r in reachable_registries(&depots.paths, tarballs_enabled_by_env()) {
        match r {
            Ok(r) => found.push(r),
            Err(e) => warnings.push(format!("skipping a registry: {e}")),
        }
    }
    (found, warnings, depots)
}

/// The registries `--registry` names, else those in the depots.
fn registries(paths: &[std::path::PathBuf]) -> Result<RegistryIndex, Failure> {
    let mut out = Vec::new();
    if paths.is_empty() {
        let (found, warnings, depots) = depot_registries();
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

/// The extendability note of `check` and `plan`: how many of the `n` most depended-upon
/// packages of the depots' registries can still be added with `mode`'s packages held. `None`
/// when `n` is 0 or the depots hold no registry; the error's text when it cannot be told.
pub fn outlook(
    env: &Environment,
    image: Option<&ImageRecord>,
    mode: FixMode,
    julia: Option<&JuliaInfo>,
    n: usize,
    store: Option<&Store>,
) -> Option<Result<Outlook, String>> {
    if n == 0 {
        return None;
    }
    let (found, _, _) = depot_registries();
    if found.is_empty() {
        return None;
    }
    let index = RegistryIndex::new(found);
    let julia_version = resolve_julia_version(env, image, julia);
    let outlook = Holding::new(env, image, Some(mode), julia_version)
        .and_then(|holding| {
            Outlook::of(
                &index,
                &holding,
                n,
                store.map(|s| s.root.join("cache")).as_deref(),
            )
        })
        .map_err(|e| e.to_string());
    Some(outlook)
}

/// The Julia version to resolve for, without `--julia-version`: the image's (it runs on
/// nothing else), else the julia sysimg would run, else the Manifest's `julia_version`.
fn resolve_julia_version(
    env: &Environment,
    image: Option<&ImageRecord>,
    julia: Option<&JuliaInfo>,
) -> Option<VersionNumber> {
    image
        .and_then(|r| VersionNumber::parse(&r.julia.version).ok())
        .or_else(|| julia.and_then(|j| VersionNumber::parse(&j.version).ok()))
        .or_else(|| env.manifest.as_ref().and_then(|m| m.julia_version.clone()))
}

/// The environment with what `hold` says is held.
fn holding(cli: &Cli, hold: &HoldArgs) -> Result<Holding, Failure> {
    let env = super::load_environment(cli)?;
    let image = match &hold.image {
        Some(arg) => {
            let store = super::store().ok();
            let image = Image::locate(arg, store.as_ref())?;
            Some(image.record.ok_or_else(|| {
                Failure::bad_input(format!(
                    "{arg}: an image without a record (image.toml): sysimg cannot tell what it holds"
                ))
            })?)
        }
        None => {
            let spec = ImageSpec::for_project_dir(env.dir())?;
            super::store()
                .ok()
                .and_then(|store| environment_image(&env, &spec, &store, None))
                .and_then(|(_, i)| i.record)
        }
    };
    let mode = hold
        .fix
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(Failure::bad_input)?;
    let julia_version = match &hold.julia_version {
        Some(v) => Some(
            VersionNumber::parse(v)
                .map_err(|e| Failure::bad_input(format!("--julia-version `{v}`: {e}")))?,
        ),
        None => {
            // The julia is only asked when neither the image nor `--julia-version` says.
            let julia = match image {
                Some(_) => None,
                None => super::store().ok().and_then(|store| {
                    let spec = ImageSpec::for_project_dir(env.dir()).ok()?;
                    super::julia(None, spec.julia.as_deref(), &store).ok()
                }),
            };
            resolve_julia_version(&env, image.as_ref(), julia.as_ref())
        }
    };
    Holding::new(&env, image.as_ref(), mode, julia_version).map_err(failure)
}

pub fn can_add(cli: &Cli, packages: &[String], hold: &HoldArgs) -> Result<ExitCode, Failure> {
    let holding = holding(cli, hold)?;
    let index = registries(&hold.registries)?;
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
    if cli.json {
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
    cli: &Cli,
    top: Option<usize>,
    from: Option<&Path>,
    hold: &HoldArgs,
) -> Result<ExitCode, Failure> {
    let holding = holding(cli, hold)?;
    let index = registries(&hold.registries)?;
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
    if cli.json {
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
