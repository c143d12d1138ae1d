//! Building an image: a generated workspace, julia running PackageCompiler, and the store.
//!
//! # Process interface
//! A build runs `julia --startup-file=no --history-file=no <workspace>/build.jl` in its own
//! process group, with `SYSIMG_BUILD_OUTPUT` set to the file the image must be written to.
//! Success is exit status 0 and that file present. Everything julia prints goes to
//! `build.log`; lines `[sysimg] phase: NAME` (and PackageCompiler's own "Linking") report the
//! phase. The build happens in a temporary directory inside the store that is renamed into
//! place only when whole, under an exclusive per-id lock: a second build of the same id waits
//! and reuses the first one's image.
//!
//! # Parts
//! This module runs a build ([`build`]) and names its events and errors; `inputs` finds what
//! the build is made of (its record and id, learned statements, `cpu_target`) and its
//! refusals and warnings before julia runs; `workspace` writes the environment and scripts
//! julia builds from; `process` runs julia as a supervised process group (and the tools step
//! that installs PackageCompiler); `landing` completes the record, lands the image in the store
//! and registers the environment to it.

mod inputs;
mod landing;
mod process;
mod workspace;

pub use inputs::{
    cpu_target, image_file_name, learned_input, planned_record, preference_files, refusals,
    warnings, PREFERENCE_FILES,
};
pub use landing::RemoveOnDrop;
pub use process::packagecompiler_phase;
pub use workspace::write_workspace;

use inputs::planned_record_with;
use process::{install_packagecompiler, run_julia, JuliaExit};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use julia_env::environment::Environment;
use julia_env::Error;

use crate::julia::tools::{PackageCompilerSource, ToolsEnv};
use crate::julia::JuliaInfo;
use crate::model::plan::Plan;
use crate::model::record::ImageRecord;
use crate::model::spec::ImageSpec;
use crate::store::{Scratch, Store, LOG_FILE};

/// A phase of a build, as reported to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildEvent {
    /// A new phase began: `tools`, `instantiating`, `precompiling`, `compiling`, then the
    /// phases PackageCompiler itself announces ([`packagecompiler_phase`]), `done`.
    Phase(String),
    /// A line julia printed.
    Line(String),
    /// Something the user should know that does not stop the build.
    Warning(String),
    /// The build waits for a lock another process holds; whom it waits for, in words.
    Waiting(String),
    /// The image being built bakes statements learned from traced `sysimg run` sessions.
    Learned {
        /// The learned statements it bakes.
        statements: usize,
        /// The sessions traced.
        sessions: usize,
    },
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Something could not be read or written.
    #[error(transparent)]
    File(#[from] Error),
    /// julia failed.
    #[error("the build failed ({status}){}; its log is at {}", said(.why), log.display())]
    Julia {
        /// julia's exit status, in words.
        status: String,
        /// The lines of the log that say why ([`failure_lines`]), escaped.
        why: Vec<String>,
        /// Where the log was kept.
        log: PathBuf,
    },
    /// julia exited 0 without writing the image.
    #[error("julia exited successfully but wrote no image; its log is at {}", log.display())]
    NoImage {
        /// Where the log was kept.
        log: PathBuf,
    },
    /// PackageCompiler could not be installed into its tools environment.
    #[error("PackageCompiler could not be installed: {reason}; {hint}; the log is at {}", log.display(), hint = crate::julia::tools::PROVIDE_HINT)]
    PackageCompilerUnavailable {
        /// Pkg's error, or julia's exit status.
        reason: String,
        /// Where the log was kept.
        log: PathBuf,
    },
    /// The request cannot make a useful image; found before any julia ran.
    #[error("refusing to build: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// The build was interrupted; nothing was added to the store.
    #[error("the build was interrupted; the store is unchanged")]
    Cancelled,
}

/// The lines of a failed build's log that say why, for the error message, escaped and at most
/// [`FAILURE_LINES`] of them: julia's last `ERROR:` and the lines of its message up to the
/// stack trace, and lines julia prints about the CPU it refuses (`... does not support ...`,
/// printed before julia can raise an error). Only the log's last 256 KiB are read.
pub fn failure_lines(log: &Path) -> Vec<String> {
    const TAIL: u64 = 256 * 1024;
    let Ok(mut f) = std::fs::File::open(log) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    use std::io::{Read, Seek, SeekFrom};
    if f.seek(SeekFrom::Start(len.saturating_sub(TAIL))).is_err()
        || f.take(TAIL).read_to_end(&mut bytes).is_err()
    {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("CPU does not support") && !l.trim_start().starts_with("ERROR:"))
        .map(|l| l.trim().to_string())
        .collect();
    if let Some(start) = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("ERROR:"))
    {
        out.extend(
            lines[start..]
                .iter()
                .take_while(|l| {
                    let t = l.trim_start();
                    !t.starts_with("Stacktrace:") && !t.starts_with("[1]")
                })
                // sysimg's own `[sysimg] ...` protocol lines are not julia's words.
                .filter(|l| !l.trim().is_empty() && !l.starts_with("[sysimg]"))
                .map(|l| l.trim_end().to_string()),
        );
    }
    out.dedup();
    out.truncate(FAILURE_LINES);
    out.into_iter()
        .map(|l| {
            let l: String = l.chars().take(300).collect();
            l.escape_debug().to_string()
        })
        .collect()
}

/// The most lines of a failed build's log that its error message repeats.
pub const FAILURE_LINES: usize = 6;

/// `: line` or `:` and one indented line each, for an error message; nothing for no lines.
fn said(lines: &[String]) -> String {
    match lines {
        [] => String::new(),
        [one] => format!(": {one}"),
        many => format!(":\n  {}\n", many.join("\n  ")),
    }
}

/// What a build did.
#[derive(Clone, Debug)]
pub enum BuildOutcome {
    /// A new image was built.
    Built(ImageRecord),
    /// The store already held the image.
    Reused(ImageRecord),
}

impl BuildOutcome {
    /// The image's record.
    pub fn record(&self) -> &ImageRecord {
        match self {
            BuildOutcome::Built(r) | BuildOutcome::Reused(r) => r,
        }
    }
}

/// Everything a build needs.
pub struct BuildRequest<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// Its spec (with command-line overrides).
    pub spec: &'a ImageSpec,
    /// Its plan.
    pub plan: &'a Plan,
    /// The julia to build with.
    pub julia: &'a JuliaInfo,
    /// The store.
    pub store: &'a Store,
    /// Rebuild even when the store holds the image.
    pub force: bool,
    /// The environment variables, read by the caller (`SYSIMG_HOST_CPU`, `JULIA_PKG_SERVER`).
    pub vars: &'a crate::vars::Vars,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

/// Builds the image of a request into the store, or reuses the one it holds.
///
/// Two julia runs, both logged to the image's `build.log`: the tools step installs (or
/// instantiates) PackageCompiler under the tools environment's lock and reports its version,
/// which enters the record; then `build.jl` builds the image.
pub fn build(
    req: &BuildRequest<'_>,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<BuildOutcome, BuildError> {
    let refused = refusals(req);
    if !refused.is_empty() {
        return Err(BuildError::Refused(refused));
    }
    for w in warnings(req) {
        on_event(BuildEvent::Warning(w));
    }
    let learned = learned_input(req);
    let mut record = planned_record_with(req, learned.as_deref())?;
    let store = req.store;
    let source = match &req.spec.packagecompiler {
        Some(v) => PackageCompilerSource::parse(v, req.env.dir())?,
        None => PackageCompilerSource::Newest,
    };
    let tools = ToolsEnv::new(store, req.julia, source);
    if !req.force {
        // A present, undamaged image needs no write (a read-only shared store works);
        // registering the environment is best-effort there. Registering waits for a removal
        // of the image (gc): when it was removed meanwhile, it is built.
        if let Some(existing) = store.lookup(&record.id) {
            let registered = store.register(&req.env.project_file, &existing.id);
            if registered.is_ok() || store.lookup(&record.id).is_some() {
                return Ok(BuildOutcome::Reused(existing));
            }
        }
    }
    if let Some(text) = &learned {
        on_event(BuildEvent::Learned {
            statements: text.lines().filter(|l| l.starts_with("precompile")).count(),
            sessions: crate::learn::Traces::of(store, &req.env.project_file)
                .sessions()
                .len(),
        });
    }
    let scratch = Scratch::Build(record.id.clone());
    let lock = store.lock_exclusive_or_wait(&record.id, &mut |holder| {
        on_event(BuildEvent::Waiting(format!(
            "waiting for the lock of image {}: {holder}",
            record.id
        )))
    })?;
    if !req.force {
        // A damaged image (its file changed since it landed, and its hash is not its
        // record's; or its record names another id) is not reused: it is built again, and
        // landing replaces it.
        if let Some(existing) = store.lookup(&record.id) {
            store.register_locked(&req.env.project_file, &lock)?;
            return Ok(BuildOutcome::Reused(existing));
        }
    }
    let mut tools = tools;
    if tools.source == PackageCompilerSource::Newest {
        tools.upgrade_to = crate::julia::tools::newest_compatible(req.julia, req.vars.tarballs());
    }
    let tmp = store.scratch(&scratch)?;
    #[cfg(unix)]
    lock.share_with_children().map_err(io_err(tmp.path()))?;
    let workspace = tmp.path().join("workspace");
    std::fs::create_dir_all(&workspace).map_err(io_err(&workspace))?;
    let log_path = tmp.path().join(LOG_FILE);
    let mut log = std::fs::File::create(&log_path).map_err(io_err(&log_path))?;
    let keep_log = |log_path: &Path| -> PathBuf {
        let kept = store.failed_build_log(&record.id);
        let _ = std::fs::create_dir_all(kept.parent().unwrap_or(tmp.path()));
        let _ = std::fs::copy(log_path, &kept);
        kept
    };

    record.build.packagecompiler = Some(
        match install_packagecompiler(req, &tools, &workspace, &mut log, cancel, on_event)? {
            Ok(version) => version,
            Err(reason) => {
                return Err(BuildError::PackageCompilerUnavailable {
                    reason,
                    log: keep_log(&log_path),
                })
            }
        },
    );

    let sideloaded = store.sideload_dir(&record.id);
    let _ = std::fs::remove_dir_all(&sideloaded);
    // Side-loaded sources live outside the temporary directory: remove them unless the
    // image lands.
    let sideload_guard = RemoveOnDrop(Some(sideloaded.clone()));
    if let Some(text) = &learned {
        // Beside the image too: what it holds, for `learn show` and the next build.
        for dir in [workspace.as_path(), tmp.path()] {
            let file = dir.join(crate::learn::LEARNED_FILE);
            std::fs::write(&file, text).map_err(io_err(&file))?;
        }
    }
    let build_jl = write_workspace(req, &record, &tools, &workspace)?;
    let output = tmp.path().join(&record.image.file);
    let status = run_julia(
        &req.julia.command(),
        &build_jl,
        Some(&output),
        &mut log,
        cancel,
        on_event,
    )?;
    match status {
        JuliaExit::Cancelled => return Err(BuildError::Cancelled),
        JuliaExit::Failed(status) => {
            let log = keep_log(&log_path);
            return Err(BuildError::Julia {
                status,
                why: failure_lines(&log),
                log,
            });
        }
        JuliaExit::Success if !output.is_file() => {
            return Err(BuildError::NoImage {
                log: keep_log(&log_path),
            })
        }
        JuliaExit::Success => {}
    }
    landing::land(
        req,
        &mut record,
        landing::Built {
            dir: tmp,
            workspace: &workspace,
            image: &output,
            sideloaded: sideload_guard,
            lock: &lock,
        },
        &mut log,
        cancel,
        on_event,
    )?;
    Ok(BuildOutcome::Built(record))
}
