//! `sysimg check`: an image against the environment and this host.

use julia_env::check::{Finding, Report, Severity};
use sysimg::check::{check_image, this_host, Image, Thoroughness};
use sysimg::extend::FixMode;
use sysimg::launch::environment_image;

use crate::cli::ImageCheckArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn run(ctx: &Context<'_>, args: &ImageCheckArgs) -> Result<ExitCode, Failure> {
    ctx.project_file()?;
    let spec = ctx.spec()?;
    let store = ctx.store()?;
    // Without a julia, the image is still checked; the report says what could not be.
    // A julia the user named on the command line that cannot be used is bad input (exit 2),
    // as it is for `run` and `build`.
    let julia = match ctx.julia() {
        Err(e) if args.julia.is_some() => return Err(e),
        julia => julia,
    };
    let julia_error = julia.as_ref().err().map(|e| e.message.clone());
    let host = this_host(julia.ok().cloned(), &ctx.vars);
    // The manifest julia will use (`Manifest-v1.X.toml`), as `run` and `build` read it.
    let env = ctx.environment()?;
    let image = match &args.image {
        Some(arg) => Some(Image::locate(arg, Some(store))?),
        None => {
            environment_image(&env, spec, store, host.julia.as_ref(), &ctx.vars).map(|(_, i)| i)
        }
    };
    let mut head = serde_json::json!({
        "project": env.project_file.display().to_string(),
        "image": image.as_ref().map(|i| i.file.display().to_string()),
        "id": image.as_ref().and_then(|i| i.record.as_ref()).map(|r| r.id.clone()),
        "julia": host.julia.as_ref().map(|j| j.path.display().to_string()),
        "host_cpu": host.cpu,
        "extendability": null,
    });
    let mut report = match &image {
        Some(image) => check_image(image, Some(&env), &host, Thoroughness::FULL),
        None => Report {
            findings: vec![Finding::new(
                Severity::Error,
                "no-image",
                "the store holds no image for this environment (`sysimg build` makes one)",
            )],
        },
    };
    if let Some(record) = image.as_ref().and_then(|i| i.record.as_ref()) {
        let outlook = crate::steps::outlook(
            &ctx.vars,
            &env,
            Some(record),
            FixMode::Baked,
            host.julia.as_ref(),
            args.outlook.extendability,
            Some(store),
        );
        match outlook {
            Some(Ok(o)) => {
                head["extendability"] = serde_json::to_value(&o).unwrap_or_default();
                report.findings.push(Finding::new(
                    Severity::Info,
                    "extendability",
                    format!(
                        "with the image's versions held, {o} (`sysimg extendability` for more)"
                    ),
                ));
            }
            Some(Err(e)) => report.findings.push(Finding::new(
                Severity::Info,
                "extendability",
                format!("cannot tell what can still be added: {e}"),
            )),
            None => {}
        }
    }
    // Whatever the image, this julia could not read the environment (nor build from it).
    if let Some(message) = host
        .julia
        .as_ref()
        .and_then(|j| sysimg::check::manifest_unreadable(&env, j))
    {
        report.findings.insert(
            0,
            Finding::new(Severity::Error, "manifest-unreadable", message),
        );
    }
    if let Some(message) = julia_error {
        report
            .findings
            .push(Finding::new(Severity::Info, "julia-not-found", message));
    }
    let subject = match &image {
        Some(i) => i.file.display().to_string(),
        None => env.project_file.display().to_string(),
    };
    Ok(crate::ui::report::print_report(
        ctx.json(),
        &subject,
        head,
        &report,
    ))
}
