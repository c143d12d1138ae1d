//! `sysimg learn show` and `sysimg status`: what sessions taught, and the state of every
//! registered environment's image.

use std::path::{Path, PathBuf};

use crate::ui::output::say;
use sysimg::check::this_host;
use sysimg::launch::{decide, decide_with, Verdict};
use sysimg::learn::{summary_for, BackgroundOutcome, BackgroundStatus, Summary, Traces};
use sysimg::store::Store;

use crate::context::Context;
use crate::exit::{ExitCode, Failure};

/// The learning summary of an environment against the image registered for it.
fn learned(store: &Store, project_file: &Path) -> (Summary, Option<String>) {
    let image = store.registered(project_file).map(|e| e.image);
    (summary_for(store, project_file, image.as_deref()), image)
}

pub fn show(ctx: &Context<'_>) -> Result<ExitCode, Failure> {
    let project_file = ctx.project_file()?.to_path_buf();
    let store = ctx.store()?;
    let (s, image) = learned(store, &project_file);
    let traces = Traces::of(store, &project_file);
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "project": project_file.display().to_string(),
            "traces": traces.dir.display().to_string(),
            "image": image,
            "sessions": s.sessions,
            "statements": s.statements,
            "dropped": s.dropped,
            "rejected": s.rejected,
            "held": s.held,
            "new": s.new,
        }));
        return Ok(ExitCode::Ok);
    }
    say!(
        "{} learned from {}: {} ({} dropped: Main, closures or modules the image lacks)",
        project_file.display(),
        crate::ui::report::counted(s.sessions, "session", "sessions"),
        crate::ui::report::counted(s.statements, "statement", "statements"),
        s.dropped
    );
    if s.rejected > 0 {
        say!(
            "{} ignored: not a `precompile(Tuple{{...}})` signature (code is never learned)",
            crate::ui::report::counted(s.rejected, "trace line", "trace lines")
        );
    }
    match image {
        Some(id) => say!("image {id} holds {} of them; {} are new", s.held, s.new),
        None => say!(
            "no image is registered for this environment; all {} are new",
            s.new
        ),
    }
    Ok(ExitCode::Ok)
}

/// The background build of an environment: running, failed (with its log), or nothing.
fn background(store: &Store, project_file: &Path) -> (Option<&'static str>, Option<String>) {
    let traces = Traces::of(store, project_file);
    if let Ok(None) = store.try_lock_background(&traces.env_key) {
        return (Some("running"), None);
    }
    let outcome = BackgroundOutcome::read(&traces.background_file());
    match outcome {
        Some(o) if o.status == BackgroundStatus::Failed => (Some("failed"), o.log),
        _ => (None, None),
    }
}

pub fn status(ctx: &Context<'_>) -> Result<ExitCode, Failure> {
    let store = ctx.store()?;
    let mut rows = Vec::new();
    for entry in store.live_registrations()? {
        let project_file: PathBuf = entry.project_path();
        let project = ctx.for_project(project_file.clone());
        let host = this_host(project.julia().ok().cloned(), &ctx.vars);
        // The spec as every command reads it (with `SYSIMG_PACKAGECOMPILER`), so the answer
        // is `run`'s and `build --if-stale`'s.
        let verdict = match project.spec() {
            Ok(spec) => decide_with(&project_file, spec, store, &host),
            Err(_) => decide(&project_file, store, &host),
        };
        let (fresh, why) = match verdict {
            Verdict::Fresh { .. } => (true, Vec::new()),
            Verdict::Stale { reasons, .. } => {
                (false, reasons.into_iter().map(|r| r.message).collect())
            }
            Verdict::Missing { reason } => (false, vec![reason]),
        };
        let (learned, _) = learned(store, &project_file);
        let (build, log) = background(store, &project_file);
        rows.push(serde_json::json!({
            "project": project_file.display().to_string(),
            "image": entry.image,
            "fresh": fresh,
            "why": why,
            "learned": learned,
            "background": build,
            "background_log": log,
            "juliaup": crate::steps::juliaup_channels_of(&ctx.vars, &project_file),
        }));
    }
    let stale = rows.iter().filter(|r| r["fresh"] == false).count();
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({ "environments": rows, "stale": stale }));
    } else {
        for r in &rows {
            say!(
                "{}  {}  {}",
                r["project"].as_str().unwrap_or_default(),
                r["image"].as_str().unwrap_or_default(),
                if r["fresh"] == true { "fresh" } else { "stale" }
            );
            for w in r["why"].as_array().into_iter().flatten() {
                say!("    {}", w.as_str().unwrap_or_default());
            }
            let channels: Vec<String> = r["juliaup"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(|c| format!("julia +{c}")))
                .collect();
            if !channels.is_empty() {
                say!("    juliaup: {}", channels.join(", "));
            }
            let l = &r["learned"];
            if l["sessions"].as_u64().unwrap_or(0) > 0 {
                say!(
                    "    learned: {} sessions, {} statements, {} new",
                    l["sessions"],
                    l["statements"],
                    l["new"]
                );
            }
            match (r["background"].as_str(), r["background_log"].as_str()) {
                (Some("running"), _) => say!("    a background build is running"),
                (Some("failed"), log) => say!(
                    "    the last background build failed (log: {})",
                    log.unwrap_or("?")
                ),
                _ => {}
            }
        }
        say!(
            "{} registered, {} stale",
            crate::ui::report::counted(rows.len(), "environment", "environments"),
            stale
        );
    }
    Ok(if stale == 0 {
        ExitCode::Ok
    } else {
        ExitCode::Problems
    })
}
