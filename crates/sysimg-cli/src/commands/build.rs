//! `sysimg build`.

use crate::ui::output::{say, say_err};
use std::time::{Duration, Instant};

use sysimg::build::{BuildOutcome, BuildRequest};
use sysimg::launch::{freshness, Verdict};
use sysimg::learn::{BackgroundOutcome, BackgroundStatus, Traces};
use sysimg::model::plan::make_plan;

use crate::cli::BuildArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn run(ctx: &Context<'_>, args: &BuildArgs) -> Result<ExitCode, Failure> {
    if !args.all {
        if let Some(doc) = build_one(ctx, args)? {
            crate::ui::report::print_json(&doc);
        }
        return Ok(ExitCode::Ok);
    }
    // Every registered environment, one after another; a failure does not stop the others.
    // `--json`: one document, `{"environments": [{"project", ...the build's document}]}`,
    // with `"error"` in place of the build's fields for one that failed.
    let mut code = ExitCode::Ok;
    let mut docs = Vec::new();
    for entry in ctx.store()?.live_registrations()? {
        let project_file = entry.project_path();
        if !ctx.json() {
            say!("{}:", project_file.display());
        }
        let project = project_file.display().to_string();
        match build_one(&ctx.for_project(project_file.clone()), args) {
            Ok(doc) => docs.extend(doc.map(|mut d| {
                d["project"] = project.into();
                d
            })),
            Err(f) => {
                code = ExitCode::Problems;
                match ctx.json() {
                    true => docs.push(serde_json::json!({
                        "project": project,
                        "error": f.message,
                    })),
                    false => say_err!("error: {}: {}", project_file.display(), f.message),
                }
            }
        }
    }
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({ "environments": docs }));
    }
    Ok(code)
}

/// Builds one environment's image; as the background build of `run`, under the
/// environment's background lock and leaving its outcome for the next start. The JSON
/// document to print, under `--json`.
fn build_one(ctx: &Context<'_>, args: &BuildArgs) -> Result<Option<serde_json::Value>, Failure> {
    let (project_file, store) = (ctx.project_file()?, ctx.store()?);
    let traces = Traces::of(store, project_file);
    let _background = match args.background {
        true => match store.try_lock_background(&traces.env_key)? {
            Some(lock) => Some(lock),
            None => return Ok(None), // another one is at it
        },
        false => None,
    };
    let result = build_inner(ctx, args);
    if args.background {
        let outcome = BackgroundOutcome {
            status: match &result {
                Ok(done) if done.built => BackgroundStatus::Built,
                Ok(_) => BackgroundStatus::Reused,
                Err(_) => BackgroundStatus::Failed,
            },
            id: result.as_ref().ok().map(|done| done.id.clone()),
            log: result
                .as_ref()
                .err()
                .map(|_| traces.background_log.display().to_string()),
            manifest_sha256: sysimg::learn::manifest_sha256(project_file),
            reported: false,
        };
        let _ = outcome.write(&traces.background_file());
    }
    result.map(|done| done.json)
}

/// What a build did.
struct Done {
    /// The image id.
    id: String,
    /// Whether it was built (not reused or pulled).
    built: bool,
    /// Its JSON document, under `--json`.
    json: Option<serde_json::Value>,
}

/// The build itself.
fn build_inner(ctx: &Context<'_>, args: &BuildArgs) -> Result<Done, Failure> {
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
    // `--if-stale` asks the question `status`, `check` and `run` ask, and gets their answer
    // (the background build of `run` goes on to merge the traces, which only a build reads).
    if args.if_stale && !(args.force || args.background || args.push) {
        let host = sysimg::check::this_host(Some(julia.clone()), &ctx.vars);
        if let Verdict::Fresh { id, .. } = freshness(&env, spec, store, &host) {
            let (_, record) = store.find(&id)?;
            return Ok(report(
                ctx,
                args,
                BuildOutcome::Reused(record),
                None,
                None,
                started,
            ));
        }
    }
    let pulled = match args.force {
        true => None,
        false => crate::steps::pull_before_build(&ctx.vars, &req, !ctx.json())?,
    };
    let outcome = crate::steps::build_showing_progress(&req, !ctx.json())?;
    let pushed = match args.push {
        true => Some(crate::steps::push_after_build(
            &ctx.vars,
            spec,
            store,
            outcome.record(),
            !ctx.json(),
        )?),
        false => None,
    };
    Ok(report(ctx, args, outcome, pulled, pushed, started))
}

/// Says what the build did in one line, or makes its JSON document.
fn report(
    ctx: &Context<'_>,
    args: &BuildArgs,
    outcome: BuildOutcome,
    pulled: Option<String>,
    pushed: Option<sysimg_share::PushReport>,
    started: Instant,
) -> Done {
    let record = outcome.record();
    let dir = ctx
        .store()
        .map(|s| s.image_dir(&record.id))
        .unwrap_or_default();
    let built = matches!(outcome, BuildOutcome::Built(_));
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
        return Done {
            id: record.id.clone(),
            built,
            json: Some(v),
        };
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
    } else if !args.if_stale || args.all {
        say!("image {} is up to date ({})", record.id, dir.display());
    }
    Done {
        id: record.id.clone(),
        built,
        json: None,
    }
}
