//! `sysimg run` and `sysimg julia-args`: start julia with the environment's image, or say why
//! not.

use crate::ui::output::say_err;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sysimg::check::{this_host, Host, Image};
use sysimg::julia::options::Override;
use sysimg::julia::JuliaInfo;
use sysimg::launch::{decide, decide_by_stamp, judge, julia_args as image_args, Verdict};
use sysimg::learn::{BackgroundOutcome, Traces};
use sysimg::model::spec::{ImageSpec, OnStale};
use sysimg::store::{IdLock, Store};

use crate::cli::{Cli, LaunchArgs, RunArgs};
use crate::exit::{ExitCode, Failure};

/// What to start julia with, once `--on-stale` has been applied.
struct Launch {
    julia: JuliaInfo,
    project_file: PathBuf,
    /// The spec's `learn`.
    learn: bool,
    /// The image and its id (`None`: julia's default sysimage).
    image: Option<(PathBuf, Option<String>)>,
    store: Store,
}

fn prepare(cli: &Cli, args: &LaunchArgs) -> Result<Launch, Failure> {
    let project_file = super::project_file(cli)?;
    let dir = project_file.parent().unwrap_or(Path::new("."));
    let spec = ImageSpec::for_project_dir(dir)?;
    let on_stale = match &args.on_stale {
        Some(s) => s.parse().map_err(Failure::bad_input)?,
        None => spec.on_stale,
    };
    let store = super::store()?;
    let julia = super::julia(args.julia.as_deref(), spec.julia.as_deref(), &store)?;
    if on_stale == OnStale::Background {
        report_background_failure(&store, &project_file);
    }
    // The host is read only when the stamp of the last fresh verdict does not settle it.
    let host = || this_host(Some(julia.clone()));
    let verdict = match &args.image {
        Some(arg) => verdict_for(arg, &project_file, &store, &host())?,
        None => match decide_by_stamp(&project_file, &store, &julia.path) {
            Some(fresh) => fresh,
            None => decide(&project_file, &store, &host()),
        },
    };
    let image = match verdict {
        Verdict::Fresh { id, image } => {
            if on_stale == OnStale::Background && learning_on(spec.learn, false) {
                rebuild_if_learned_enough(&store, &project_file, &julia);
            }
            Some((image, Some(id)))
        }
        stale => match on_stale {
            OnStale::Background => {
                let started = start_background_build(&store, &project_file, &julia);
                say_err!(
                    "sysimg: warning: {}; {}; starting julia with its default sysimage",
                    why(&stale),
                    started
                );
                None
            }
            OnStale::Ignore => match stale {
                Verdict::Stale { id, image, .. } if image.is_file() => Some((image, Some(id))),
                _ => None,
            },
            OnStale::Warn => {
                say_err!(
                    "sysimg: warning: {}; starting julia with its default sysimage",
                    why(&stale)
                );
                None
            }
            OnStale::Fail => {
                return Err(Failure {
                    code: ExitCode::Problems,
                    message: format!("{} (--on-stale fail)", why(&stale)),
                })
            }
            OnStale::Build => {
                say_err!("sysimg: {}; building it", why(&stale));
                build_for(&project_file, &spec, &julia, &store)?;
                match decide(&project_file, &store, &host()) {
                    Verdict::Fresh { id, image } => Some((image, Some(id))),
                    still => {
                        return Err(Failure {
                            code: ExitCode::Problems,
                            message: format!("after building: {}", why(&still)),
                        })
                    }
                }
            }
        },
    };
    Ok(Launch {
        julia,
        project_file,
        learn: spec.learn,
        image,
        store,
    })
}

/// Whether this session is traced: `--learn`, `SYSIMG_LEARN=1`, or the spec's `learn`
/// (`SYSIMG_LEARN=0` turns the spec's off).
fn learning_on(spec_learn: bool, flag: bool) -> bool {
    match std::env::var("SYSIMG_LEARN").ok().as_deref() {
        _ if flag => true,
        Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        _ => spec_learn,
    }
}

/// When sessions have been traced since the last look, starts a background build (detached,
/// `nice`d), which merges the traces (bounded: [`sysimg::learn::merge`]) and rebuilds the image
/// only when they teach it `learn_rebuild_after` statements it lacks (else it finds the image
/// fresh and stops). The start itself reads no trace: it lists the sessions' names and times.
fn rebuild_if_learned_enough(store: &Store, project_file: &Path, julia: &JuliaInfo) {
    let traces = Traces::of(store, project_file);
    let stamp = traces.checked_stamp();
    if traces.sessions_since(&stamp).is_empty() {
        return;
    }
    let _ = std::fs::create_dir_all(&traces.dir);
    let _ = std::fs::write(&stamp, b"");
    // Quiet: most of these find too little to learn; the next start uses a rebuilt image.
    let _ = start_background_build(store, project_file, julia);
}

/// Tells, once, that the last background build failed, and where its log is.
fn report_background_failure(store: &Store, project_file: &Path) {
    let file = Traces::of(store, project_file).background_file();
    if let Some(mut outcome) = BackgroundOutcome::read(&file) {
        if outcome.status == "failed" && !outcome.reported {
            say_err!(
                "sysimg: warning: the background build of image {} failed; its log: {}",
                outcome.id.as_deref().unwrap_or("?"),
                outcome.log.as_deref().unwrap_or("?")
            );
            outcome.reported = true;
            let _ = outcome.write(&file);
        }
    }
}

/// Starts `sysimg build --if-stale --background` for the environment, detached (its own
/// session, `nice`d, its output in `<store>/logs/background-<key>.log`), unless one is
/// running or the last one failed on this same Manifest. Says what it did.
fn start_background_build(store: &Store, project_file: &Path, julia: &JuliaInfo) -> String {
    let traces = Traces::of(store, project_file);
    match store.try_lock_exclusive(&traces.background_lock) {
        Ok(Some(_free)) => {} // released at once: the build takes it
        Ok(None) => return "a background build is already running".into(),
        Err(e) => return format!("no background build ({e})"),
    }
    if let Some(o) = BackgroundOutcome::read(&traces.background_file()) {
        if o.status == "failed" && o.manifest_sha256 == manifest_sha256(project_file) {
            return format!(
                "the last background build failed and the Manifest has not changed since, so it \
                 is not retried (log: {}; `sysimg build` retries)",
                o.log.as_deref().unwrap_or("?")
            );
        }
    }
    let log = &traces.background_log;
    let spawned = std::fs::create_dir_all(log.parent().unwrap_or(&store.root))
        .and_then(|()| std::fs::File::create(log))
        .and_then(|out| {
            let exe = std::env::current_exe()?;
            let mut cmd = std::process::Command::new(exe);
            cmd.arg("-p")
                .arg(project_file)
                .args(["build", "--if-stale", "--background", "--julia"])
                .arg(&julia.path)
                .stdin(std::process::Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out);
            detach(&mut cmd);
            // The process spawned exits at once, leaving the build to its own child.
            cmd.spawn()?.wait()
        });
    match spawned {
        Ok(_) => format!("rebuilding it in the background (log: {})", log.display()),
        Err(e) => format!("could not start a background build: {e}"),
    }
}

/// The SHA-256 of the environment's Manifest (a failed background build is retried only
/// when it changes).
pub fn manifest_sha256(project_file: &Path) -> Option<String> {
    let env = julia_env::environment::Environment::load(project_file, None).ok()?;
    sysimg::model::record::file_sha256(&env.manifest_file).ok()
}

/// Makes `cmd` a daemon: forked twice (so julia, which this process becomes, never has it
/// as a child to reap), in a session of its own (no terminal signals reach it), at low
/// priority.
fn detach(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls (fork, _exit, setsid, nice) run between
        // fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                match libc::fork() {
                    -1 => return Err(std::io::Error::last_os_error()),
                    0 => {}
                    _ => libc::_exit(0),
                }
                libc::setsid();
                libc::nice(10);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = cmd;
}

/// The verdict on an image given with `--image`: judged like the registered one, but never
/// registered.
fn verdict_for(
    arg: &str,
    project_file: &Path,
    store: &Store,
    host: &Host,
) -> Result<Verdict, Failure> {
    let image = Image::locate(arg, Some(store))?;
    let id = image
        .record
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    match judge(image, id, project_file, host) {
        // An environment that cannot be read is bad input here, as for every other command.
        (Verdict::Stale { reasons, .. }, None) => Err(Failure::bad_input(
            reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        )),
        (verdict, _) => Ok(verdict),
    }
}

fn why(v: &Verdict) -> String {
    match v {
        Verdict::Fresh { id, .. } => format!("image {id} is fresh"),
        Verdict::Missing { reason } => reason.clone(),
        Verdict::Stale { id, reasons, .. } => {
            let list: Vec<String> = reasons.iter().map(|r| r.message.clone()).collect();
            format!("image {id} does not fit: {}", list.join("; "))
        }
    }
}

fn build_for(
    project_file: &Path,
    spec: &ImageSpec,
    julia: &JuliaInfo,
    store: &Store,
) -> Result<(), Failure> {
    let version = julia_env::version::VersionNumber::parse(&julia.version).ok();
    let env = julia_env::environment::Environment::load(project_file, version.as_ref())?;
    let plan = sysimg::model::plan::make_plan(&env, spec).map_err(Failure::bad_input)?;
    let req = sysimg::build::BuildRequest {
        env: &env,
        spec,
        plan: &plan,
        julia,
        store,
        force: false,
    };
    super::share::pull_before_build(&req, true)?;
    super::build::build_showing_progress(&req, true)?;
    Ok(())
}

/// Refuses julia options that would override what `run` chose: julia takes the last
/// `--project` and `-J`, so the environment's image would run with another environment.
/// Abbreviations (`--proj=`) and combined short options (`-qJ/img`) count, as julia reads
/// them ([`sysimg::julia::options`]).
fn refuse_overrides(args: &[OsString]) -> Result<(), Failure> {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match sysimg::julia::options::find_override(&args) {
        None => Ok(()),
        Some(Override::Project(a)) => Err(Failure::bad_input(format!(
            "`{a}` in julia's arguments is julia's `--project`: it would replace the environment sysimg chose (and run its image with another environment); choose it with `sysimg -p DIR run`"
        ))),
        Some(Override::Sysimage(a)) => Err(Failure::bad_input(format!(
            "`{a}` in julia's arguments is julia's `-J`/`--sysimage`: it would replace the image sysimg chose; name an image with `sysimg run --image ID|PATH`"
        ))),
    }
}

pub fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode, Failure> {
    refuse_overrides(&args.args)?;
    let launch = prepare(cli, &args.launch)?;
    // A running image holds a shared lock on its id, so `gc` and `rm` leave it alone.
    let mut lock: Option<IdLock> = None;
    let mut image = launch.image.as_ref().map(|(p, _)| p.as_path());
    if let Some((_, Some(id))) = &launch.image {
        match launch.store.try_lock_shared(id) {
            Ok(Some(l)) => lock = Some(l),
            Ok(None) => {
                say_err!(
                    "sysimg: warning: image {id} is being rebuilt or removed; starting julia \
                     with its default sysimage"
                );
                image = None;
            }
            Err(_) => {} // An unwritable store does not stop julia.
        }
    }
    // A linked or aliased juliaup channel's own arguments come first, as juliaup puts them.
    let mut argv: Vec<OsString> = launch.julia.args.iter().map(OsString::from).collect();
    argv.extend(image_args(image, &launch.project_file));
    if learning_on(launch.learn, args.learn) {
        // julia writes the trace itself; sysimg only names the file.
        match Traces::of(&launch.store, &launch.project_file).new_session() {
            Ok(trace) => {
                let mut arg = OsString::from("--trace-compile=");
                arg.push(trace);
                argv.push(arg);
            }
            Err(e) => say_err!("sysimg: warning: not learning from this session: {e}"),
        }
    }
    argv.extend(args.args.iter().cloned());
    exec(&launch.julia.path, &argv, lock)
}

/// Replaces this process with julia (Unix), so that signals, the exit status and the terminal
/// are julia's own; elsewhere, runs it and exits with its status.
fn exec(julia: &Path, argv: &[OsString], lock: Option<IdLock>) -> Result<ExitCode, Failure> {
    let mut cmd = std::process::Command::new(julia);
    cmd.args(argv);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(lock) = lock {
            let _ = lock.keep_across_exec();
        }
        // exec returns only on failure; a julia binary still open for writing somewhere
        // (just installed) is worth a few more tries.
        let mut err = cmd.exec();
        for _ in 0..50 {
            if !sysimg::julia::is_busy(&err) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            err = cmd.exec();
        }
        Err(Failure::bad_input(format!(
            "cannot start {}: {err}",
            julia.display()
        )))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|e| Failure::bad_input(format!("cannot start {}: {e}", julia.display())))?;
        drop(lock);
        std::process::exit(status.code().unwrap_or(1));
    }
}

pub fn julia_args(cli: &Cli, args: &LaunchArgs) -> Result<ExitCode, Failure> {
    let launch = prepare(cli, args)?;
    let image = launch.image.as_ref().map(|(p, _)| p.as_path());
    let argv = image_args(image, &launch.project_file);
    if cli.json {
        crate::ui::report::print_json(&serde_json::json!({
            "julia": launch.julia.path.display().to_string(),
            "args": argv.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
            "image": image.map(|p| p.display().to_string()),
            "id": launch.image.as_ref().and_then(|(_, id)| id.clone()),
        }));
    } else {
        let quoted: Vec<String> = argv
            .iter()
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect();
        crate::ui::output::print_line(&quoted.join(" "));
    }
    Ok(ExitCode::Ok)
}

/// POSIX shell quoting: bare when only safe characters, else single quotes.
fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:+@%,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_quoting() {
        assert_eq!(super::shell_quote("--project=/a/b"), "--project=/a/b");
        assert_eq!(super::shell_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(super::shell_quote(""), "''");
    }
}
