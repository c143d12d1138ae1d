//! `sysimg push`, `sysimg pull` and `sysimg ls --remote` (the remote look-up of `build` is in
//! `steps`).

use crate::ui::output::say;

use sysimg::store::{find_record, is_image_id, Store};
use sysimg_share::{self as share, BlobAction, PullOutcome, Remote};

use crate::cli::{PullArgs, PushArgs};
use crate::context::Context;
use crate::exit::{ExitCode, Failure};
use crate::steps::{access, parse_configured, share_failure, Named};
use crate::ui::progress::{mib, Bars};

/// The remote for commands without an environment of their own: `flag`, `SYSIMG_REMOTE`, or
/// the spec of the project `-p` (or the current directory) names, if there is one; with who
/// named it.
fn remote_for(ctx: &Context<'_>, flag: Option<&str>) -> Result<(Remote, Named), Failure> {
    let spec = ctx.project_file().ok().and_then(|_| ctx.spec().ok());
    parse_configured(&ctx.vars, flag, spec).unwrap_or_else(|| {
        Err(Failure::bad_input(
            "no remote: give one (--remote REF), set SYSIMG_REMOTE, or add `remote = \"...\"` \
             to Sysimage.toml",
        ))
    })
}

/// `sysimg push ID|PATH REF [--tag T]... [--insecure]`.
pub fn push(ctx: &Context<'_>, args: &PushArgs) -> Result<ExitCode, Failure> {
    let store = ctx.store().ok();
    let (record_path, record) = find_record(&args.image, store)?;
    let dir = record_path.parent().unwrap_or(std::path::Path::new("."));
    let remote = Remote::parse(&args.reference).map_err(share_failure)?;
    let access = access(&ctx.vars, args.insecure, &remote, Named::ByUser)?;
    let mut bars = Bars::new(!ctx.json());
    let report = share::push(store, dir, &remote, &args.tags, &access, &mut |e| {
        bars.event(e)
    });
    bars.finish();
    let report = report.map_err(share_failure)?;
    crate::steps::warn_if_native(&record);
    if ctx.json() {
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
pub fn pull(ctx: &Context<'_>, args: &PullArgs) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (remote, named) = if is_image_id(&args.reference) {
        let (r, named) = remote_for(ctx, args.remote.as_deref())?;
        (r.with_tag(&args.reference), named)
    } else {
        let r = Remote::parse(&args.reference).map_err(share_failure)?;
        if r.tag.is_none() && r.digest.is_none() {
            return Err(Failure::bad_input(format!(
                "`{}` names no image: add `:TAG` (an image id, or a tag given to `sysimg push`) \
                 or `@sha256:DIGEST`",
                args.reference
            )));
        }
        (r, Named::ByUser)
    };
    let access = access(&ctx.vars, args.insecure, &remote, named)?;
    let mut bars = Bars::new(!ctx.json());
    let outcome = share::pull(store, &remote, &access, &mut |e| bars.event(e));
    bars.finish();
    let outcome = outcome.map_err(share_failure)?;
    print_pulled(ctx.json(), store, &remote, &outcome);
    Ok(ExitCode::Ok)
}

fn print_pulled(json: bool, store: &Store, remote: &Remote, outcome: &PullOutcome) {
    let record = outcome.record();
    let dir = store.image_dir(&record.id);
    if json {
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
pub fn ls_remote(
    ctx: &Context<'_>,
    flag: Option<&str>,
    insecure: bool,
) -> Result<ExitCode, Failure> {
    let (remote, named) = remote_for(ctx, flag)?;
    let listing = share::list(&remote, &access(&ctx.vars, insecure, &remote, named)?)
        .map_err(share_failure)?;
    let truncated = listing.truncated;
    let (here, elsewhere): (Vec<_>, Vec<_>) = listing
        .images
        .into_iter()
        .partition(|i| share::for_this_platform(&i.platform));
    if ctx.json() {
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
