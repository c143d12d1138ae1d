//! `sysimg ls`, `inspect`, `rm`, `verify` and `gc`.

use crate::ui::output::{say, say_err};
use std::time::Duration;

use sysimg::store::find_record;

use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn ls(ctx: &Context<'_>) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let images = store.list();
    let users = store.live_registrations()?;
    let used_by = |id: &str| -> Vec<String> {
        users
            .iter()
            .filter(|u| u.image == id)
            .map(|u| u.project.clone())
            .collect()
    };
    let size = |dir: &std::path::Path, r: &sysimg::model::record::RecordSummary| {
        std::fs::metadata(dir.join(&r.image.file))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    if ctx.json() {
        let list: Vec<serde_json::Value> = images
            .iter()
            .map(|(dir, r)| match r {
                Ok(r) => serde_json::json!({
                    "id": r.id, "created": r.created, "julia": r.julia.version, "platform": r.platform,
                    "policy": r.policy, "packages": r.packages, "dir": dir.display().to_string(),
                    "size": size(dir, r), "used_by": used_by(&r.id),
                }),
                Err(e) => serde_json::json!({"dir": dir.display().to_string(), "error": e.to_string()}),
            })
            .collect();
        crate::ui::report::print_json(
            &serde_json::json!({"store": store.display().to_string(), "images": list}),
        );
        return Ok(ExitCode::Ok);
    }
    for (dir, r) in &images {
        match r {
            Ok(r) => {
                say!(
                    "{}  {}  julia {}  {}  {} packages  {}  {:.1} MiB",
                    r.id,
                    r.created,
                    r.julia.version,
                    r.policy,
                    r.packages,
                    r.platform,
                    size(dir, r) as f64 / (1024.0 * 1024.0)
                );
                for project in used_by(&r.id) {
                    say!("    used by {project}");
                }
            }
            Err(e) => say!("{}  unreadable: {e}", dir.display()),
        }
    }
    if images.is_empty() {
        say!("no images in {}", store.display());
    }
    Ok(ExitCode::Ok)
}

pub fn inspect(ctx: &Context<'_>, image: &str) -> Result<ExitCode, Failure> {
    let store = ctx.store().ok();
    let (path, record) = find_record(image, store)?;
    if ctx.json() {
        crate::ui::report::print_json(&record);
    } else {
        say!("# {}", path.display());
        crate::ui::output::print_text(&record.to_toml());
    }
    Ok(ExitCode::Ok)
}

pub fn rm(ctx: &Context<'_>, image: &str) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let (_, record) = store.find(image)?;
    if store.try_lock_exclusive(&record.id)?.is_none() {
        say_err!(
            "sysimg: image {} is in use (a julia session or a build); waiting for it to end",
            record.id
        );
    }
    store.remove(&record.id)?;
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({"removed": record.id}));
    } else {
        say!("removed image {}", record.id);
    }
    Ok(ExitCode::Ok)
}

pub fn verify(ctx: &Context<'_>, image: Option<&str>) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    // Every image directory; one whose record cannot be read fails verification.
    let entries: Vec<(String, Option<String>)> = match image {
        Some(i) => vec![(store.find(i)?.1.id, None)],
        None => store
            .list()
            .into_iter()
            .map(|(dir, r)| {
                let id = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (id, r.err().map(|e| format!("unreadable record: {e}")))
            })
            .collect(),
    };
    let mut results = Vec::new();
    for (id, damaged) in &entries {
        let problem = match damaged {
            Some(d) => Some(d.clone()),
            None => store.verify(id)?,
        };
        results.push(serde_json::json!({"id": id, "ok": problem.is_none(), "problem": problem}));
        if !ctx.json() {
            match &problem {
                None => say!("{id}  ok"),
                Some(p) => say!("{id}  FAILED: {p}"),
            }
        }
    }
    let bad = results.iter().any(|r| r["ok"] == false);
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({"images": results}));
    }
    Ok(if bad {
        ExitCode::Problems
    } else {
        ExitCode::Ok
    })
}

pub fn gc(ctx: &Context<'_>, dry_run: bool, keep_days: u64) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let decisions = store.gc(
        Duration::from_secs(keep_days.saturating_mul(86_400)),
        dry_run,
    )?;
    let gone = store.gone_environments(dry_run);
    let paths = |v: &[std::path::PathBuf]| -> Vec<String> {
        v.iter().map(|p| p.display().to_string()).collect()
    };
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "dry_run": dry_run,
            "images": decisions,
            "traces": paths(&gone.traces),
            "background_logs": paths(&gone.background_logs),
        }));
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        for t in &gone.traces {
            say!(
                "{verb} the compile traces of an environment that is gone: {}",
                t.display()
            );
        }
        for l in &gone.background_logs {
            say!(
                "{verb} the background build log of an environment that is gone: {}",
                l.display()
            );
        }
        for d in &decisions {
            let verb = match (d.remove, dry_run) {
                (true, true) => "would remove",
                (true, false) => "removed",
                (false, _) => "kept",
            };
            say!("{verb} {}: {}", d.id, d.reason);
        }
    }
    Ok(ExitCode::Ok)
}
