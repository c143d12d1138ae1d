//! `sysimg strip` and `sysimg pin`.

use crate::ui::output::{say, say_err};
use julia_env::edit::EnvironmentLock;
use sysimg::align::{pin as pin_env, strip as strip_env, Alignment, PinError};
use sysimg::model::plan::make_plan;
use sysimg::model::spec::Policy;
use sysimg::store::find_record;

use crate::cli::{PinArgs, StripArgs};
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

/// Prints a unified diff of each changed file, or writes them.
fn finish(ctx: &Context<'_>, a: &Alignment, dry_run: bool) -> Result<ExitCode, Failure> {
    let files = [&a.project, &a.manifest];
    if dry_run {
        if ctx.json() {
            crate::ui::report::print_json(&serde_json::json!({
                "dry_run": true,
                "actions": a.actions,
                "changed": files.iter().filter(|f| f.changed()).map(|f| f.path.display().to_string()).collect::<Vec<_>>(),
            }));
            return Ok(ExitCode::Ok);
        }
        for f in files.iter().filter(|f| f.changed()) {
            let name = f.path.display().to_string();
            crate::ui::output::print_text(&crate::ui::output::terminal_safe(
                &sysimg::model::diff::unified_diff(&name, &f.before, &f.after),
            ));
        }
        return Ok(ExitCode::Ok);
    }
    // The Manifest first: its project_hash is computed for the new Project, so an edit stopped
    // between the two writes is repaired by running it again.
    a.manifest.apply()?;
    a.project.apply()?;
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({"dry_run": false, "actions": a.actions}));
    } else if a.actions.is_empty() {
        say!("nothing to change");
    } else {
        for line in &a.actions {
            say!("{line}");
        }
    }
    Ok(ExitCode::Ok)
}

/// The environment's lock, held from reading its files to writing them.
fn lock_environment(ctx: &Context<'_>) -> Result<EnvironmentLock, Failure> {
    Ok(EnvironmentLock::acquire(ctx.project_dir()?)?)
}

pub fn strip(ctx: &Context<'_>, args: &StripArgs) -> Result<ExitCode, Failure> {
    let _lock = lock_environment(ctx)?;
    let env = ctx.environment()?;
    let mut spec = ctx.spec()?.clone();
    spec.policy = Policy::Pinned;
    let plan = make_plan(&env, &spec).map_err(Failure::bad_input)?;
    if plan.baked().next().is_none() && !env.project.deps.is_empty() && !args.force {
        return Err(Failure {
            code: ExitCode::Problems,
            message: format!(
                "nothing in {} is pinned, so strip would remove every dependency; pin what the \
                 image should hold (`Pkg.pin`), or pass --force",
                env.project_file.display()
            ),
        });
    }
    let a = strip_env(&env, &plan)?;
    finish(ctx, &a, args.dry_run)
}

pub fn pin(ctx: &Context<'_>, args: &PinArgs) -> Result<ExitCode, Failure> {
    let _lock = lock_environment(ctx)?;
    let env = ctx.environment()?;
    let store = ctx.store().ok();
    // Like every other command, pin defaults to the environment's image.
    let image =
        match (&args.image, store) {
            (Some(image), _) => image.clone(),
            (None, Some(store)) => match store.registered(&env.project_file) {
                Some(entry) => entry.image,
                None => {
                    return Err(Failure::bad_input(format!(
                "the store has no image for {} (`sysimg build` makes one), or pass --image ID|PATH",
                env.project_file.display()
            )))
                }
            },
            (None, None) => return Err(Failure::bad_input(
                "no image store (set SYSIMG_STORE or JULIA_DEPOT_PATH), or pass --image ID|PATH",
            )),
        };
    let (_, record) = find_record(&image, store)?;
    match pin_env(&env, &record, args.compat) {
        Ok(a) => {
            let code = finish(ctx, &a, args.dry_run)?;
            // The environment now uses the image: `gc` must keep it.
            if let (false, Some(store)) = (args.dry_run, store) {
                if store.lookup(&record.id).is_some() {
                    store.register(&env.project_file, &record.id)?;
                }
            }
            Ok(code)
        }
        Err(PinError::File(e)) => Err(e.into()),
        Err(ref e @ PinError::Conflicts { ref conflicts, .. }) => {
            if ctx.json() {
                crate::ui::report::print_json(&serde_json::json!({
                    "error": {"message": e.to_string(), "exit_code": 1},
                    "conflicts": conflicts.iter().map(|c| serde_json::json!({"package": c.name, "message": c.message})).collect::<Vec<_>>(),
                }));
            } else {
                say_err!("error: {e}");
            }
            Ok(ExitCode::Problems)
        }
    }
}
