//! `sysimg push`, `sysimg pull`, `sysimg ls --remote`, and the remote look-up of `build`.

use crate::ui::output::{say, say_err};

use sysimg::build::BuildRequest;
use sysimg::model::spec::ImageSpec;
use sysimg::store::{find_record, is_image_id, Store};
use sysimg_share::{self as share, Access, BlobAction, PullOutcome, Remote, ShareError};

use crate::cli::{Cli, PullArgs, PushArgs};
use crate::exit::{ExitCode, Failure};
use crate::ui::progress::{mib, Bars};

/// The failure a sharing error is, with its exit status.
pub fn failure(e: ShareError) -> Failure {
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

/// The access the environment gives to `remote`. The environment's credentials go to its
/// registry only when the user named it ([`Named::ByUser`]) or allowed it in
/// `SYSIMG_REGISTRY_HOST`; never to one only a project's `Sysimage.toml` names.
fn access(insecure: bool, remote: &Remote, named: Named) -> Result<Access, Failure> {
    let a = Access::from_vars(insecure, |k| std::env::var(k).ok()).map_err(failure)?;
    Ok(match named {
        Named::ByUser => a.allow_credentials_for(&remote.registry),
        Named::ByProject => a,
    })
}

/// Who named a remote: what the credentials may follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// The user: on the command line or in `SYSIMG_REMOTE`.
    ByUser,
    /// A project's `Sysimage.toml` (`remote = ...`), which may come from anyone.
    ByProject,
}

/// The remote: `flag`, else `SYSIMG_REMOTE`, else the spec's `remote` (`None`: none set),
/// with who named it.
pub fn configured_remote(flag: Option<&str>, spec: Option<&ImageSpec>) -> Option<(String, Named)> {
    flag.map(str::to_string)
        .or_else(|| {
            std::env::var("SYSIMG_REMOTE")
                .ok()
                .filter(|r| !r.is_empty())
        })
        .map(|r| (r, Named::ByUser))
        .or_else(|| spec.and_then(|s| Some((s.remote.clone()?, Named::ByProject))))
}

/// [`configured_remote`], parsed.
fn parse_configured(
    flag: Option<&str>,
    spec: Option<&ImageSpec>,
) -> Option<Result<(Remote, Named), Failure>> {
    let (text, named) = configured_remote(flag, spec)?;
    Some(Remote::parse(&text).map(|r| (r, named)).map_err(failure))
}

/// The remote for commands without an environment of their own: `flag`, `SYSIMG_REMOTE`, or
/// the spec of the project `-p` (or the current directory) names, if there is one.
fn remote_for(cli: &Cli, flag: Option<&str>) -> Result<(Remote, Named), Failure> {
    let spec = super::project_file(cli)
        .ok()
        .and_then(|f| ImageSpec::for_project_dir(f.parent()?).ok());
    parse_configured(flag, spec.as_ref()).unwrap_or_else(|| {
        Err(Failure::bad_input(
            "no remote: give one (--remote REF), set SYSIMG_REMOTE, or add `remote = \"...\"` \
             to Sysimage.toml",
        ))
    })
}

/// `sysimg push ID|PATH REF [--tag T]... [--insecure]`.
pub fn push(cli: &Cli, args: &PushArgs) -> Result<ExitCode, Failure> {
    let store = super::store().ok();
    let (record_path, record) = find_record(&args.image, store.as_ref())?;
    let dir = record_path.parent().unwrap_or(std::path::Path::new("."));
    let remote = Remote::parse(&args.reference).map_err(failure)?;
    let access = access(args.insecure, &remote, Named::ByUser)?;
    let mut bars = Bars::new(!cli.json);
    let report = share::push(
        store.as_ref(),
        dir,
        &remote,
        &args.tags,
        &access,
        &mut |e| bars.event(e),
    );
    bars.finish();
    let report = report.map_err(failure)?;
    if cli.json {
        crate::ui::report::print_json(&report);
    } else {
        let uploaded = report
            .blobs
            .iter()
            .filter(|b| b.action == BlobAction::Upload)
            .count();
        say!(
            "pushed image {} to {} (tags: {}): {} uploaded ({}), {} already there",
            record.id,
            report.repository,
            report.tags.join(", "),
            crate::ui::report::counted(uploaded, "blob", "blobs"),
            mib(report.uploaded_bytes),
            report.blobs.len() - uploaded
        );
    }
    Ok(ExitCode::Ok)
}

/// `sysimg pull REF|ID [--remote REF] [--insecure]`.
pub fn pull(cli: &Cli, args: &PullArgs) -> Result<ExitCode, Failure> {
    let store = super::store()?;
    let (remote, named) = if is_image_id(&args.reference) {
        let (r, named) = remote_for(cli, args.remote.as_deref())?;
        (r.with_tag(&args.reference), named)
    } else {
        let r = Remote::parse(&args.reference).map_err(failure)?;
        if r.tag.is_none() && r.digest.is_none() {
            return Err(Failure::bad_input(format!(
                "`{}` names no image: add `:TAG` (an image id, or a tag given to `sysimg push`) \
                 or `@sha256:DIGEST`",
                args.reference
            )));
        }
        (r, Named::ByUser)
    };
    let access = access(args.insecure, &remote, named)?;
    let mut bars = Bars::new(!cli.json);
    let outcome = share::pull(&store, &remote, &access, &mut |e| bars.event(e));
    bars.finish();
    let outcome = outcome.map_err(failure)?;
    print_pulled(cli, &store, &remote, &outcome);
    Ok(ExitCode::Ok)
}

fn print_pulled(cli: &Cli, store: &Store, remote: &Remote, outcome: &PullOutcome) {
    let record = outcome.record();
    let dir = store.image_dir(&record.id);
    if cli.json {
        let (status, blobs) = match outcome {
            PullOutcome::Pulled { blobs, .. } => ("pulled", blobs.clone()),
            PullOutcome::Present(_) => ("present", Vec::new()),
        };
        crate::ui::report::print_json(&serde_json::json!({
            "id": record.id,
            "outcome": status,
            "reference": remote.to_string(),
            "dir": dir.display().to_string(),
            "blobs": blobs,
        }));
    } else {
        match outcome {
            PullOutcome::Pulled { blobs, .. } => say!(
                "pulled image {} from {remote} ({}) into {}",
                record.id,
                mib(blobs.iter().map(|b| b.size).sum()),
                dir.display()
            ),
            PullOutcome::Present(_) => say!(
                "image {} is already in the store ({})",
                record.id,
                dir.display()
            ),
        }
    }
}

/// `sysimg ls --remote [REF]`.
pub fn ls_remote(cli: &Cli, flag: Option<&str>, insecure: bool) -> Result<ExitCode, Failure> {
    let (remote, named) = remote_for(cli, flag)?;
    let listing = share::list(&remote, &access(insecure, &remote, named)?).map_err(failure)?;
    let truncated = listing.truncated;
    let (here, elsewhere): (Vec<_>, Vec<_>) = listing
        .images
        .into_iter()
        .partition(|i| share::for_this_platform(&i.platform));
    if cli.json {
        crate::ui::report::print_json(&serde_json::json!({
            "remote": remote.repository_ref(),
            "images": here,
            "other_platforms": elsewhere.len(),
            "truncated": truncated,
        }));
        return Ok(ExitCode::Ok);
    }
    for i in &here {
        say!(
            "{}  {}  julia {}  {}  {} packages  {}  {}",
            i.id,
            i.created,
            i.julia,
            i.policy,
            i.packages,
            i.platform,
            mib(i.size)
        );
        let others: Vec<&String> = i.tags.iter().filter(|t| **t != i.id).collect();
        if !others.is_empty() {
            say!(
                "    tags: {}",
                others
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if here.is_empty() {
        say!("no images for this platform in {}", remote.repository_ref());
    }
    if !elsewhere.is_empty() {
        say!(
            "({} for other platforms not shown)",
            crate::ui::report::counted(elsewhere.len(), "image", "images")
        );
    }
    if truncated {
        say!(
            "(only the first {} tags of {} were read)",
            share::MAX_TAGS,
            remote.repository_ref()
        );
    }
    Ok(ExitCode::Ok)
}

/// Before a build: when a remote is configured and the store lacks the image the request
/// would build, pulls it from the remote if the remote has it. A remote that cannot be used
/// is a warning: the image is built here instead. `Some(remote)` when the image was pulled.
pub fn pull_before_build(req: &BuildRequest<'_>, show: bool) -> Result<Option<String>, Failure> {
    let Some(configured) = parse_configured(None, Some(req.spec)) else {
        return Ok(None);
    };
    let id = sysimg::build::planned_record(req)?.id;
    if req.store.lookup(&id).is_some() {
        return Ok(None);
    }
    let (remote, named) = configured?;
    let access = access(false, &remote, named)?;
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

/// After `build --push`: pushes the image to the configured remote.
pub fn push_after_build(
    spec: &ImageSpec,
    store: &Store,
    id: &str,
    show: bool,
) -> Result<share::PushReport, Failure> {
    let (remote, named) = parse_configured(None, Some(spec)).unwrap_or_else(|| {
        Err(Failure::bad_input(
            "--push needs a remote: set SYSIMG_REMOTE or add `remote = \"...\"` to Sysimage.toml",
        ))
    })?;
    let access = access(false, &remote, named)?;
    let mut bars = Bars::new(show);
    let report = share::push(
        Some(store),
        &store.image_dir(id),
        &remote,
        &[],
        &access,
        &mut |e| bars.event(e),
    );
    bars.finish();
    report.map_err(failure)
}
