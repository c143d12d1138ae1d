//! `sysimg build`.

use crate::ui::output::{say, say_err};
use std::time::{Duration, Instant};

use sysimg::build::{BuildOutcome, BuildRequest};
use sysimg::learn::{BackgroundOutcome, BackgroundStatus, Traces};
use sysimg::model::plan::make_plan;

use crate::cli::BuildArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn run(ctx: &Context<'_>, args: &BuildArgs) -> Result<ExitCode, Failure> {
    if !args.all {
        return build_one(ctx, args);
    }
    // Every registered environment, one after another; a failure does not stop the others.
    let mut code = ExitCode::Ok;
    for entry in ctx.store()?.live_registrations()? {
        let project_file = entry.project_path();
        if let Err(f) = build_one(&ctx.for_project(project_file.clone()), args) {
            say_err!("error: {}: {}", project_file.display(), f.message);
            code = ExitCode::Problems;
        }
    }
    Ok(code)
}

/// Builds one environment's image; as the background build of `run`, under the
/// environment's background lock and leaving its outcome for the next start.
fn build_one(ctx: &Context<'_>, args: &BuildArgs) -> Result<ExitCode, Failure> {
    let (project_file, store) = (ctx.project_file()?, ctx.store()?);
    let traces = Traces::of(store, project_file);
    let _background = match args.background {
        true => match store.try_lock_background(&traces.env_key)? {
            Some(lock) => Some(lock),
            None => return Ok(ExitCode::Ok), // another one is at it
        },
        false => None,
    };
    let result = build_inner(ctx, args);
    if args.background {
        let outcome = BackgroundOutcome {
            status: match &result {
                Ok((_, true)) => BackgroundStatus::Built,
                Ok((_, false)) => BackgroundStatus::Reused,
                Err(_) => BackgroundStatus::Failed,
            },
            id: result.as_ref().ok().map(|(id, _)| id.clone()),
            log: result
                .as_ref()
                .err()
                .map(|_| traces.background_log.display().to_string()),
            manifest_sha256: sysimg::learn::manifest_sha256(project_file),
            reported: false,
        };
        let _ = outcome.write(&traces.background_file());
    }
    result.map(|_| ExitCode::Ok)
}

/// The build itself: the image id, and whether it was built (not reused).
fn build_inner(ctx: &Context<'_>, args: &BuildArgs) -> Result<(String, bool), Failure> {
    let store = ctx.store()?;
    let spec = ctx.spec()?;
    let julia = ctx.julia()?;
    // The manifest this julia reads (`Manifest-v1.X.toml`).
    let env = ctx.environment()?;
    let plan = make_plan(&env, spec).map_err(Failure::bad_input)?;
    let started = Instant::now();
    let req = BuildRequest {
        env: &env,
        spec,
        plan: &plan,
        julia,
        store,
        force: args.force,
        vars: &ctx.vars,
    };
    let pulled = match args.force {
        true => None,
        false => crate::steps::pull_before_build(&ctx.vars, &req, !ctx.json())?,
    };
    let outcome = crate::steps::build_showing_progress(&req, !ctx.json())?;
    let record = outcome.record();
    let dir = store.image_dir(&record.id);
    let built = matches!(outcome, BuildOutcome::Built(_));
    let pushed = match args.push {
        true => Some(crate::steps::push_after_build(
            &ctx.vars,
            spec,
            store,
            &record.id,
            !ctx.json(),
        )?),
        false => None,
    };
    if ctx.json() {
        let mut v = serde_json::json!({
            "id": record.id,
            "outcome": match (built, &pulled) {
                (true, _) => "built",
                (false, Some(_)) => "pulled",
                (false, None) => "reused",
            },
            "image": dir.join(&record.image.file).display().to_string(),
            "record": record,
        });
        if let Some(p) = &pushed {
            v["pushed"] = serde_json::to_value(p).unwrap_or_default();
        }
        crate::ui::report::print_json(&v);
        return Ok((record.id.clone(), built));
    }
    if let Some(p) = &pushed {
        say!("pushed image {} to {}", record.id, p.repository);
    }
    if let (false, Some(remote)) = (built, &pulled) {
        say!(
            "pulled image {} from {remote} ({})",
            record.id,
            dir.display()
        );
    } else if built {
        say!(
            "built image {} in {} ({})",
            record.id,
            humantime::format_duration(Duration::from_secs(started.elapsed().as_secs())),
            dir.display()
        );
    } else if !args.if_stale {
        say!("image {} is up to date ({})", record.id, dir.display());
    }
    Ok((record.id.clone(), built))
}
