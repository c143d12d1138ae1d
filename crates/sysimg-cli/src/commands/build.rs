//! `sysimg build`.

use crate::ui::output::{say, say_err};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use julia_env::environment::Environment;
use sysimg::build::{build, BuildError, BuildOutcome, BuildRequest};
use sysimg::learn::{BackgroundOutcome, Traces};
use sysimg::model::plan::make_plan;
use sysimg::model::spec::ImageSpec;

use crate::cli::{BuildArgs, Cli};
use crate::exit::{ExitCode, Failure};
use crate::ui::progress::BuildSpinner;

/// Set by Ctrl-C; the build stops julia and leaves the store as it was.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn run(cli: &Cli, args: &BuildArgs) -> Result<ExitCode, Failure> {
    if !args.all {
        return build_one(cli, args, &super::project_file(cli)?, &super::store()?);
    }
    // Every registered environment, one after another; a failure does not stop the others.
    let store = super::store()?;
    let mut code = ExitCode::Ok;
    for entry in store.live_registrations()? {
        let project_file = entry.project_path();
        if let Err(f) = build_one(cli, args, &project_file, &store) {
            say_err!("error: {}: {}", project_file.display(), f.message);
            code = ExitCode::Problems;
        }
    }
    Ok(code)
}

/// Builds one environment's image; as the background build of `run`, under the
/// environment's background lock and leaving its outcome for the next start.
fn build_one(
    cli: &Cli,
    args: &BuildArgs,
    project_file: &std::path::Path,
    store: &sysimg::store::Store,
) -> Result<ExitCode, Failure> {
    let traces = Traces::of(store, project_file);
    let _background = match args.background {
        true => match store.try_lock_exclusive(&traces.background_lock)? {
            Some(lock) => Some(lock),
            None => return Ok(ExitCode::Ok), // another one is at it
        },
        false => None,
    };
    let result = build_inner(cli, args, project_file, store);
    if args.background {
        let outcome = BackgroundOutcome {
            status: match &result {
                Ok((_, true)) => "built",
                Ok((_, false)) => "reused",
                Err(_) => "failed",
            }
            .into(),
            id: result.as_ref().ok().map(|(id, _)| id.clone()),
            log: result
                .as_ref()
                .err()
                .map(|_| traces.background_log.display().to_string()),
            manifest_sha256: super::launch::manifest_sha256(project_file),
            reported: false,
        };
        let _ = outcome.write(&traces.background_file());
    }
    result.map(|_| ExitCode::Ok)
}

/// The build itself: the image id, and whether it was built (not reused).
fn build_inner(
    cli: &Cli,
    args: &BuildArgs,
    project_file: &std::path::Path,
    store: &sysimg::store::Store,
) -> Result<(String, bool), Failure> {
    let project_file = project_file.to_path_buf();
    let project_dir = project_file.parent().unwrap_or(std::path::Path::new("."));
    let julia_key = ImageSpec::for_project_dir(project_dir)?.julia;
    let julia = super::julia(args.julia.as_deref(), julia_key.as_deref(), store)?;
    let version = julia_env::version::VersionNumber::parse(&julia.version).ok();
    let env = Environment::load(&project_file, version.as_ref())?;
    let mut spec = super::plan::spec_for(&env, &args.plan)?;
    if let Some(pc) = &args.packagecompiler {
        spec.packagecompiler = Some(pc.clone());
    }
    let plan = make_plan(&env, &spec).map_err(Failure::bad_input)?;
    let started = Instant::now();
    let req = BuildRequest {
        env: &env,
        spec: &spec,
        plan: &plan,
        julia: &julia,
        store,
        force: args.force,
    };
    let pulled = match args.force {
        true => None,
        false => super::share::pull_before_build(&req, !cli.json)?,
    };
    let outcome = build_showing_progress(&req, !cli.json)?;
    let record = outcome.record();
    let dir = store.image_dir(&record.id);
    let built = matches!(outcome, BuildOutcome::Built(_));
    let pushed = match args.push {
        true => Some(super::share::push_after_build(
            &spec, store, &record.id, !cli.json,
        )?),
        false => None,
    };
    if cli.json {
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

/// Builds (or reuses) an image, with a progress display on a terminal's stderr when `show`.
/// Ctrl-C stops julia, leaves the store as it was, and exits with status 130.
pub fn build_showing_progress(req: &BuildRequest<'_>, show: bool) -> Result<BuildOutcome, Failure> {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let spinner = BuildSpinner::new(show);
    let result = build(req, &INTERRUPTED, &mut |e| spinner.event(e));
    spinner.finish();
    match result {
        Ok(outcome) => Ok(outcome),
        Err(BuildError::File(e)) => Err(e.into()),
        Err(BuildError::Cancelled) => {
            say_err!("interrupted: the build was stopped and the store is unchanged");
            std::process::exit(130);
        }
        Err(e) => Err(Failure {
            code: ExitCode::Problems,
            message: e.to_string(),
        }),
    }
}
