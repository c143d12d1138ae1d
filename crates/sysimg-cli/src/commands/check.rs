//! `sysimg check`: an image against the environment and this host.

use julia_env::check::{Finding, Report, Severity};
use julia_env::environment::Environment;
use sysimg::check::{check_image, this_host, Image, Thoroughness};
use sysimg::extend::FixMode;
use sysimg::launch::{environment_image, julia_version};
use sysimg::model::spec::ImageSpec;

use crate::cli::{Cli, ImageCheckArgs};
use crate::exit::{ExitCode, Failure};

pub fn run(cli: &Cli, args: &ImageCheckArgs) -> Result<ExitCode, Failure> {
    let project_file = super::project_file(cli)?;
    let project_dir = project_file.parent().unwrap_or(std::path::Path::new("."));
    let spec = ImageSpec::for_project_dir(project_dir)?;
    let store = super::store()?;
    // Without a julia, the image is still checked; the report says what could not be.
    // Without a julia at hand the image is still checked; but a julia the user named on the
    // command line that cannot be used is bad input (exit 2), as it is for `run` and `build`.
    let julia = match super::julia(args.julia.as_deref(), spec.julia.as_deref(), &store) {
        Err(e) if args.julia.is_some() => return Err(e),
        julia => julia,
    };
    let julia_error = julia.as_ref().err().map(|e| e.message.clone());
    let host = this_host(julia.ok());
    // The manifest julia will use (`Manifest-v1.X.toml`), as `run` and `build` read it.
    let env = Environment::load(&project_file, julia_version(&host).as_ref())?;
    let image = match &args.image {
        Some(arg) => Some(Image::locate(arg, Some(&store))?),
        None => environment_image(&env, &spec, &store, host.julia.as_ref()).map(|(_, i)| i),
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
        let outlook = super::extend::outlook(
            &env,
            Some(record),
            FixMode::Baked,
            host.julia.as_ref(),
            args.outlook.extendability,
            Some(&store),
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
        cli, &subject, head, &report,
    ))
}
