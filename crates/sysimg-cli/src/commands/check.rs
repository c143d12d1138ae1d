//! `sysimg check`: an image against the environment and this host.

use julia_env::check::{Finding, Report, Severity};
use sysimg::build::{planned_record, BuildRequest};
use sysimg::check::{check_image, this_host, Image, Thoroughness};
use sysimg::plan::make_plan;
use sysimg::spec::ImageSpec;
use sysimg::store::Store;

use crate::cli::{Cli, ImageCheckArgs};
use crate::exit::{ExitCode, Failure};

pub fn run(cli: &Cli, args: &ImageCheckArgs) -> Result<ExitCode, Failure> {
    let env = super::load_environment(cli)?;
    let spec = ImageSpec::for_project_dir(env.dir())?;
    let store = super::store()?;
    // Without a julia, the image is still checked; the report says what could not be.
    let julia = super::julia(args.julia.as_deref(), spec.julia.as_deref(), &store);
    let julia_error = julia.as_ref().err().map(|e| e.message.clone());
    let host = this_host(julia.ok());
    let image = match &args.image {
        Some(arg) => Some(Image::locate(arg, Some(&store))?),
        None => environment_image(&env, &spec, &store, &host),
    };
    let head = serde_json::json!({
        "project": env.project_file.display().to_string(),
        "image": image.as_ref().map(|i| i.file.display().to_string()),
        "id": image.as_ref().and_then(|i| i.record.as_ref()).map(|r| r.id.clone()),
        "julia": host.julia.as_ref().map(|j| j.path.display().to_string()),
        "host_cpu": host.cpu,
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
    if let Some(message) = julia_error {
        report
            .findings
            .push(Finding::new(Severity::Info, "julia-not-found", message));
    }
    let subject = match &image {
        Some(i) => i.file.display().to_string(),
        None => env.project_file.display().to_string(),
    };
    Ok(super::print_report(cli, &subject, head, &report))
}

/// The image the store holds for an environment: the one registered for it, else the one
/// its current plan would build (when the julia is known).
fn environment_image(
    env: &julia_env::environment::Environment,
    spec: &ImageSpec,
    store: &Store,
    host: &sysimg::check::Host,
) -> Option<Image> {
    if let Some(entry) = store.registered(&env.project_file) {
        if let Ok((file, record)) = store.find(&entry.image) {
            return Some(Image::from_record(&file, record));
        }
    }
    let julia = host.julia.as_ref()?;
    let plan = make_plan(env, spec).ok()?;
    let req = BuildRequest {
        env,
        spec,
        plan: &plan,
        julia,
        store,
        force: false,
    };
    let id = planned_record(&req).ok()?.id;
    let (file, record) = store.find(&id).ok()?;
    Some(Image::from_record(&file, record))
}
