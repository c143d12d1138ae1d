//! Running julia for a build: a supervised process group whose output streams to the log and
//! to the caller, the tools step that installs PackageCompiler, and the phases it prints.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use julia_env::{Error, Location};

use super::{io_err, BuildError, BuildEvent, BuildRequest};
use crate::codegen::protocol::{
    NOT_UPGRADED_LINE, PHASE_LINE, UNAVAILABLE_LINE, UPGRADED_LINE, VERSION_LINE,
};
use crate::julia::tools::ToolsEnv;

/// The tools step: installs or instantiates PackageCompiler in its environment, under that
/// environment's lock. `Ok(Ok(version))` when it is there; `Ok(Err(reason))` when it could
/// not be had.
pub(super) fn install_packagecompiler(
    req: &BuildRequest<'_>,
    tools: &ToolsEnv,
    workspace: &Path,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<Result<String, String>, BuildError> {
    std::fs::create_dir_all(&tools.dir).map_err(io_err(&tools.dir))?;
    let _tools_lock = req.store.lock_tools(&tools.name(), &mut |holder| {
        on_event(BuildEvent::Waiting(format!(
            "waiting for the lock of the PackageCompiler environment {}: {holder}",
            tools.dir.display()
        )))
    })?;
    let script = workspace.join("tools.jl");
    std::fs::write(&script, tools.install_script()).map_err(io_err(&script))?;
    let (mut version, mut unavailable) = (None, None);
    let status = run_julia(&req.julia.command(), &script, None, log, cancel, &mut |e| {
        if let BuildEvent::Line(line) = &e {
            if let Some(v) = line.strip_prefix(VERSION_LINE) {
                version = Some(v.trim().to_string());
            } else if let Some(why) = line.strip_prefix(UNAVAILABLE_LINE) {
                unavailable = Some(why.trim().to_string());
            } else if let Some(change) = line.strip_prefix(UPGRADED_LINE) {
                on_event(BuildEvent::Warning(format!(
                    "PackageCompiler upgraded in the tools environment: {}",
                    change.trim()
                )));
            } else if let Some(why) = line.strip_prefix(NOT_UPGRADED_LINE) {
                on_event(BuildEvent::Warning(format!(
                    "a newer PackageCompiler fits this julia but could not be installed; \
                     building with the one installed ({})",
                    why.trim()
                )));
            }
        }
        on_event(e)
    })?;
    Ok(match (status, version) {
        (JuliaExit::Cancelled, _) => return Err(BuildError::Cancelled),
        (JuliaExit::Success, Some(v)) => Ok(v),
        (JuliaExit::Success, None) => Err("julia reported no PackageCompiler version".into()),
        (JuliaExit::Failed(status), _) => Err(unavailable.unwrap_or(status)),
    })
}

/// The load path builds run with: the active project, then the standard libraries.
const ISOLATED_LOAD_PATH: &str = if cfg!(windows) {
    "@;@stdlib"
} else {
    "@:@stdlib"
};

pub(super) enum JuliaExit {
    Success,
    Failed(String),
    Cancelled,
}

/// Runs `julia SCRIPT` (with `SYSIMG_BUILD_OUTPUT` set to `output` when given), streaming its
/// output to the log and to `on_event`, and stops it (with everything it started) when
/// `cancel` is set.
///
/// julia runs isolated from the caller's environment choices: no `JULIA_PROJECT`, a load
/// path of the active project and the standard libraries only (`JULIA_LOAD_PATH`, inherited
/// by the processes PackageCompiler starts), and no automatic precompilation on
/// `Pkg.instantiate` (the script precompiles once). The depots are the caller's, so what the
/// build installs is where the image's users find it.
pub(super) fn run_julia(
    julia: &crate::julia::JuliaCommand,
    script: &Path,
    output: Option<&Path>,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<JuliaExit, Error> {
    let mut cmd = julia.command();
    cmd.args(["--startup-file=no", "--history-file=no"])
        .arg(script)
        .env_remove("SYSIMG_BUILD_OUTPUT")
        .env_remove("JULIA_PROJECT")
        .env("JULIA_LOAD_PATH", ISOLATED_LOAD_PATH)
        .env("JULIA_PKG_PRECOMPILE_AUTO", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(output) = output {
        cmd.env("SYSIMG_BUILD_OUTPUT", output);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid before the fork; in the child only async-signal-safe calls (prctl,
        // getppid). julia dies with sysimg even when sysimg is killed outright (SIGKILL).
        let parent = unsafe { libc::getpid() };
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
                    || libc::getppid() != parent
                {
                    return Err(std::io::Error::other("sysimg ended before julia started"));
                }
                Ok(())
            });
        }
    }
    let mut child = crate::julia::spawn(&mut cmd).map_err(|e| {
        Error::invalid(
            Location::file(&julia.path),
            format!("could not start julia: {e}; {}", crate::julia::INSTALL_HINT),
        )
    })?;
    let (tx, rx) = mpsc::channel::<String>();
    let mut readers = Vec::new();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut last_phase = String::new();
    let mut handle = |line: String, log: &mut std::fs::File| {
        let _ = writeln!(log, "{line}");
        let phase = match line.strip_prefix(PHASE_LINE) {
            Some(p) => Some(p.trim()),
            None => packagecompiler_phase(&line),
        };
        if let Some(phase) = phase.filter(|p| *p != last_phase) {
            last_phase = phase.to_string();
            on_event(BuildEvent::Phase(last_phase.clone()));
        }
        on_event(BuildEvent::Line(line));
    };
    loop {
        if cancel.load(Ordering::SeqCst) {
            stop_group(&mut child);
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
                handle(line, log);
            }
            return Ok(JuliaExit::Cancelled);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => handle(line, log),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for r in readers {
        let _ = r.join();
    }
    // The streams are closed; julia is ending, but a cancel may still arrive.
    let status = loop {
        if cancel.load(Ordering::SeqCst) {
            stop_group(&mut child);
            return Ok(JuliaExit::Cancelled);
        }
        match child.try_wait().map_err(io_err(&julia.path))? {
            Some(s) => break s,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let _ = log.flush();
    Ok(if status.success() {
        JuliaExit::Success
    } else {
        JuliaExit::Failed(status.to_string())
    })
}

/// The phase a line of PackageCompiler's output begins, if it begins one: what its releases
/// print when not on a terminal (2.x's spinners print `- <msg>` once, to stderr; 1.x logs
/// `@info` lines):
///
/// | phase | PackageCompiler prints |
/// |---|---|
/// | `base image` | 1.x "PackageCompiler: creating base system image (incremental=false)..."; 2.0-2.1 "compiling base system image (incremental=false)"; 2.2+ "creating compiler .ji image" / "creating compiler sysimage" and "compiling fresh sysimage (incremental=false)" |
/// | `workload` | 1.x "===== Start precompile execution ====="; 2.x "PackageCompiler: Executing <file> => <trace>" |
/// | `system image` | 1.x "PackageCompiler: creating system image object file"; 2.x "PackageCompiler: compiling incremental system image" / "compiling nonincremental system image" |
pub fn packagecompiler_phase(line: &str) -> Option<&'static str> {
    const PHASES: &[(&str, &str)] = &[
        ("PackageCompiler: creating base system image", "base image"),
        ("PackageCompiler: compiling base system image", "base image"),
        ("PackageCompiler: creating compiler ", "base image"),
        ("PackageCompiler: compiling fresh sysimage", "base image"),
        ("===== Start precompile execution =====", "workload"),
        ("PackageCompiler: Executing ", "workload"),
        (
            "PackageCompiler: creating system image object file",
            "system image",
        ),
        (
            "PackageCompiler: compiling incremental system image",
            "system image",
        ),
        (
            "PackageCompiler: compiling nonincremental system image",
            "system image",
        ),
    ];
    PHASES
        .iter()
        .find(|(text, _)| line.contains(text))
        .map(|(_, phase)| *phase)
}

/// Ends julia and every process it started: SIGTERM to its process group, then SIGKILL.
fn stop_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let pgid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on a process group we created; no memory is involved.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                // SAFETY: as above; children of julia may still be alive.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
