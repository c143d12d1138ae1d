//! Steps several commands take: building with a progress display, pulling an image before a
//! build and pushing it after, the extendability note. (No command uses another command's
//! module: what they share is here.)

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::registry::{reachable_registries, Registry};
use julia_env::resolve::RegistryIndex;
use julia_env::version::VersionNumber;
use sysimg::build::{build, BuildError, BuildOutcome, BuildRequest};
use sysimg::extend::{FixMode, Holding, Outlook};
use sysimg::julia::JuliaInfo;
use sysimg::model::record::ImageRecord;
use sysimg::model::spec::ImageSpec;
use sysimg::store::Store;
use sysimg::vars::{self, Vars};
use sysimg_share::{self as share, Access, Remote, ShareError};

use crate::exit::{ExitCode, Failure};
use crate::ui::output::say_err;
use crate::ui::progress::{Bars, BuildSpinner};

/// Set by Ctrl-C; the build stops julia and leaves the store as it was.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

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
            std::process::exit(ExitCode::Interrupted.into());
        }
        Err(e) => Err(Failure {
            code: ExitCode::Problems,
            message: e.to_string(),
        }),
    }
}

/// The failure a sharing error is, with its exit status.
pub fn share_failure(e: ShareError) -> Failure {
    let code = match &e {
        ShareError::Invalid(_) | ShareError::File(_) => ExitCode::BadInput,
        ShareError::Unreachable { .. } => ExitCode::Unreachable,
        ShareError::Auth { .. } | ShareError::Refused { .. } => ExitCode::Unauthorized,
        ShareError::NotFound { .. } => ExitCode::NotInRegistry,
        ShareError::Corrupt(_) => ExitCode::Corrupt,
        ShareError::Registry { .. } => ExitCode::Problems,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// Who named a remote: what the credentials may follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// The user: on the command line or in `SYSIMG_REMOTE`.
    ByUser,
    /// A project's `Sysimage.toml` (`remote = ...`), which may come from anyone.
    ByProject,
}

/// The access the registry variables give to `remote` (with `--insecure`). The credentials
/// go to its registry only when the user named it ([`Named::ByUser`]) or allowed it in
/// `SYSIMG_REGISTRY_HOST`; never to one only a project's `Sysimage.toml` names.
pub fn access(
    vars: &Vars,
    insecure: bool,
    remote: &Remote,
    named: Named,
) -> Result<Access, Failure> {
    let a = Access::from_vars(insecure, |k| vars.by_name(k)).map_err(share_failure)?;
    Ok(match named {
        Named::ByUser => a.allow_credentials_for(&remote.registry),
        Named::ByProject => a,
    })
}

/// The remote: `flag`, else `SYSIMG_REMOTE`, else the spec's `remote` (`None`: none set),
/// with who named it.
pub fn configured_remote(
    vars: &Vars,
    flag: Option<&str>,
    spec: Option<&ImageSpec>,
) -> Option<(String, Named)> {
    flag.map(str::to_string)
        .or_else(|| vars.get(vars::SYSIMG_REMOTE).map(String::from))
        .map(|r| (r, Named::ByUser))
        .or_else(|| spec.and_then(|s| Some((s.remote.clone()?, Named::ByProject))))
}

/// [`configured_remote`], parsed.
pub fn parse_configured(
    vars: &Vars,
    flag: Option<&str>,
    spec: Option<&ImageSpec>,
) -> Option<Result<(Remote, Named), Failure>> {
    let (text, named) = configured_remote(vars, flag, spec)?;
    Some(
        Remote::parse(&text)
            .map(|r| (r, named))
            .map_err(share_failure),
    )
}

/// Before a build: when a remote is configured and the store lacks the image the request
/// would build, pulls it from the remote if the remote has it. A remote that cannot be used
/// is a warning: the image is built here instead. `Some(remote)` when the image was pulled.
pub fn pull_before_build(
    vars: &Vars,
    req: &BuildRequest<'_>,
    show: bool,
) -> Result<Option<String>, Failure> {
    let Some(configured) = parse_configured(vars, None, Some(req.spec)) else {
        return Ok(None);
    };
    let id = sysimg::build::planned_record(req)?.id;
    if req.store.lookup(&id).is_some() {
        return Ok(None);
    }
    let (remote, named) = configured?;
    let access = access(vars, false, &remote, named)?;
    let mut bars = Bars::new(show);
    let outcome = share::pull_if_present(req.store, &remote, &id, &access, &mut |e| bars.event(e));
    bars.finish();
    match outcome {
        Ok(Some(_)) => {
            if show {
                say_err!("sysimg: pulled image {id} from {remote}");
            }
            Ok(Some(remote.to_string()))
        }
        Ok(None) => Ok(None),
        Err(e) => {
            say_err!("warning: the remote {remote} could not be used ({e}); building here");
            Ok(None)
        }
    }
}

/// Warns, on pushing a `native` image, that its id names the build machine's CPU: a build on
/// a machine with another CPU plans another id, so its pull-before-build does not find it.
pub fn warn_if_native(record: &sysimg::model::record::ImageRecord) {
    if let Some(cpu) = &record.build_cpu {
        // Julia's own x86-64 binaries' target (its Makefile's `JULIA_CPU_TARGET` for x86-64).
        let example = match record.platform.starts_with("x86_64") {
            true => ", e.g. \"generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)\"",
            false => "",
        };
        say_err!(
            "warning: image {} was built for `native` on a {}: its id names that CPU, so \
             `sysimg build` on a machine with another CPU will not find it; for images to \
             share, set a portable `cpu_target` in Sysimage.toml{example}",
            record.id,
            cpu.name
        );
    }
}

/// After `build --push`: pushes the image to the configured remote.
pub fn push_after_build(
    vars: &Vars,
    spec: &ImageSpec,
    store: &Store,
    record: &sysimg::model::record::ImageRecord,
    show: bool,
) -> Result<share::PushReport, Failure> {
    let (remote, named) = parse_configured(vars, None, Some(spec)).unwrap_or_else(|| {
        Err(Failure::bad_input(
            "--push needs a remote: set SYSIMG_REMOTE or add `remote = \"...\"` to Sysimage.toml",
        ))
    })?;
    let access = access(vars, false, &remote, named)?;
    warn_if_native(record);
    let mut bars = Bars::new(show);
    let report = share::push(
        Some(store),
        &store.image_dir(&record.id),
        &remote,
        &[],
        &access,
        &mut |e| bars.event(e),
    );
    bars.finish();
    report.map_err(share_failure)
}

/// The registries in the depots, with a warning for each one that could not be read.
pub fn depot_registries(vars: &Vars) -> (Vec<Registry>, Vec<String>, Depots) {
    let depots = vars.depots(None);
    let tarballs = vars.tarballs();
    let (mut found, mut warnings) = (Vec::new(), Vec::new());
    for r in reachable_registries(&depots.paths, tarballs) {
        match r {
            Ok(r) => found.push(r),
            Err(e) => warnings.push(format!("skipping a registry: {e}")),
        }
    }
    (found, warnings, depots)
}

/// The extendability note of `check` and `plan`: how many of the `n` most depended-upon
/// packages of the depots' registries can still be added with `mode`'s packages held. `None`
/// when `n` is 0 or the depots hold no registry; the error's text when it cannot be told.
pub fn outlook(
    vars: &Vars,
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
    let (found, _, _) = depot_registries(vars);
    if found.is_empty() {
        return None;
    }
    let index = RegistryIndex::new(found);
    let cache = store.map(|s| s.bucket(sysimg::store::Bucket::Cache));
    if !cache
        .as_deref()
        .is_some_and(|c| sysimg::extend::ranking_is_cached(&index, c))
    {
        // Ranking reads every package of the registries: seconds, once per registry update.
        say_err!(
            "sysimg: ranking the registry's packages for the extendability note (once per \
             registry update; `--extendability 0` leaves the note out)"
        );
    }
    let julia_version = resolve_julia_version(env, image, julia);
    let outlook = Holding::new(env, image, Some(mode), julia_version)
        .and_then(|holding| Outlook::of(&index, &holding, n, cache.as_deref()))
        .map_err(|e| e.to_string());
    Some(outlook)
}

/// The Julia version to resolve for, without `--julia-version`: the image's (it runs on
/// nothing else), else the julia sysimg would run, else the Manifest's `julia_version`.
pub fn resolve_julia_version(
    env: &Environment,
    image: Option<&ImageRecord>,
    julia: Option<&JuliaInfo>,
) -> Option<VersionNumber> {
    image
        .and_then(|r| VersionNumber::parse(&r.julia.version).ok())
        .or_else(|| julia.map(|j| j.version.clone()))
        .or_else(|| env.manifest.as_ref().and_then(|m| m.julia_version.clone()))
}

/// The environment's name: its project's `name`, else its directory's, else "project".
pub fn environment_name(env: &Environment) -> String {
    env.project
        .name
        .clone()
        .or_else(|| {
            env.dir()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "project".into())
}

/// juliaup's `juliaup.json`, where juliaup reads it (`JULIAUP_DEPOT_PATH`, else the home).
pub fn juliaup_config(vars: &Vars) -> Result<PathBuf, Failure> {
    match vars.juliaup_home() {
        Ok(Some(home)) => Ok(sysimg::juliaup::config_file(&home)),
        Ok(None) => Err(Failure::bad_input(
            "cannot find juliaup's home: set HOME, or JULIAUP_DEPOT_PATH to an absolute path",
        )),
        Err(e) => Err(Failure::bad_input(e)),
    }
}

/// The juliaup channels that start `project_file`'s image, for `status` (none when juliaup's
/// configuration cannot be read).
pub fn juliaup_channels_of(vars: &Vars, project_file: &Path) -> Vec<String> {
    let Ok(config) = juliaup_config(vars) else {
        return Vec::new();
    };
    let channels = sysimg::juliaup::linked_channels(&config).unwrap_or_default();
    sysimg::juliaup::channels_for(&channels, project_file)
        .into_iter()
        .map(|c| c.name.clone())
        .collect()
}
