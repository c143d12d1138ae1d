//! `sysimg run` and `sysimg julia-args`: start julia with the environment's image, or say why
//! not.

use crate::ui::output::say_err;
use std::ffi::OsString;
use std::path::Path;

use sysimg::build::BuildRequest;
use sysimg::julia::options::Override;
use sysimg::julia::{shell_quote, JuliaInfo};
use sysimg::launch::{
    decide_launch, julia_args as image_args, Launch, LaunchEffects, LaunchError, LaunchRequest,
};
use sysimg::learn::Traces;
use sysimg::model::plan::make_plan;
use sysimg::model::spec::OnStale;
use sysimg::store::IdLock;

use crate::cli::{ForTool, JuliaArgsArgs, LaunchArgs, RunArgs};
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

/// What to start: the julia, and the library's decision.
struct Prepared {
    julia: JuliaInfo,
    launch: Launch,
}

/// The launcher's means: a detached background build, a build with progress now, a line on
/// stderr.
struct Effects<'c, 'a> {
    ctx: &'c Context<'a>,
}

impl LaunchEffects for Effects<'_, '_> {
    fn start_background_build(
        &mut self,
        project_file: &Path,
        julia: &Path,
        log: &Path,
    ) -> std::io::Result<()> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = std::fs::File::create(log)?;
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("-p")
            .arg(project_file)
            .args(["build", "--if-stale", "--background", "--julia"])
            .arg(julia)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        detach(&mut cmd);
        // The process spawned exits at once, leaving the build to its own child.
        cmd.spawn()?.wait().map(|_| ())
    }

    fn build_now(&mut self, project_file: &Path) -> Result<(), String> {
        let ctx = self.ctx.for_project(project_file.to_path_buf());
        let built = (|| {
            let env = ctx.environment()?;
            let spec = ctx.spec()?;
            let plan = make_plan(&env, spec).map_err(Failure::bad_input)?;
            let req = BuildRequest {
                env: &env,
                spec,
                plan: &plan,
                julia: ctx.julia()?,
                store: ctx.store()?,
                force: false,
                vars: &ctx.vars,
            };
            crate::steps::pull_before_build(&ctx.vars, &req, true)?;
            crate::steps::build_showing_progress(&req, true)
        })();
        built.map(|_| ()).map_err(|f| f.message)
    }

    fn note(&mut self, line: &str) {
        say_err!("sysimg: {line}");
    }
}

/// Finds julia (the one thing julia cannot start without) and asks the library what to start
/// it with; says the decision's lines.
fn prepare(ctx: &Context<'_>, args: &LaunchArgs, learn: bool) -> Result<Prepared, Failure> {
    let julia = ctx.julia()?.clone();
    let reason = |f: Failure| f.message;
    let spec = ctx.spec().map_err(reason);
    let req = LaunchRequest {
        project: ctx.project_file().map_err(reason),
        spec: spec.as_ref().map(|s| *s).map_err(Clone::clone),
        store: ctx.store().map_err(reason),
        julia: &julia,
        on_stale: args.on_stale,
        image: args.image.as_deref(),
        learn,
        vars: &ctx.vars,
    };
    let launch = decide_launch(&req, &mut Effects { ctx }).map_err(|e| match e {
        LaunchError::Refused(r) => Failure {
            code: ExitCode::Problems,
            message: r.to_string(),
        },
        LaunchError::BadImage(m) => Failure::bad_input(m),
    })?;
    // Lines under 100 characters: a stale image's reasons can be long.
    for line in &launch.notes {
        say_err!(
            "{}",
            crate::ui::output::wrap(&format!("sysimg: {line}"), 100, 4)
        );
    }
    Ok(Prepared { julia, launch })
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

/// julia's arguments before the user's: `-J <image>` and `--project=<env>`, or when there is
/// no project, the `-p` the user gave, as it was given (julia reads `JULIA_PROJECT` itself).
fn start_args(ctx: &Context<'_>, image: Option<&Path>, launch: &Launch) -> Vec<OsString> {
    match &launch.project_file {
        Some(file) => image_args(image, file),
        None => {
            let mut args: Vec<OsString> = Vec::new();
            if let Some(p) = &ctx.cli.project {
                let mut arg = OsString::from("--project=");
                arg.push(p);
                args.push(arg);
            }
            args
        }
    }
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

pub fn run(ctx: &Context<'_>, args: &RunArgs) -> Result<ExitCode, Failure> {
    refuse_overrides(&args.args)?;
    let Prepared { julia, launch } = prepare(ctx, &args.launch, args.learn)?;
    // A running image holds a shared lock on its id, so `gc` and `rm` leave it alone. The
    // image is validated under the lock: one removed, replaced or damaged since it was judged
    // is never handed to julia.
    let mut lock: Option<IdLock> = None;
    let mut image = launch.image.as_ref().map(|(p, _)| p.to_path_buf());
    if let (Some((_, Some(id))), Ok(store)) = (&launch.image, ctx.store()) {
        match store.try_lock_shared(id) {
            Ok(Some(l)) => match store.validate_for_launch(id) {
                Ok(valid) => {
                    image = Some(valid);
                    lock = Some(l);
                }
                Err(damage) if launch.on_stale == OnStale::Fail => {
                    return Err(Failure {
                        code: ExitCode::Problems,
                        message: format!("image {id} {damage} (--on-stale fail)"),
                    })
                }
                Err(damage) => {
                    say_err!(
                        "sysimg: warning: image {id} {damage}; starting julia with its \
                         default sysimage (`sysimg build` replaces it)"
                    );
                    image = None;
                }
            },
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
    let mut argv: Vec<OsString> = julia.args.iter().map(OsString::from).collect();
    argv.extend(start_args(ctx, image.as_deref(), &launch));
    if let (true, Some(project_file), Ok(store)) = (launch.learn, &launch.project_file, ctx.store())
    {
        // julia writes the trace itself; sysimg only names the file.
        match Traces::of(store, project_file).new_session() {
            Ok(session) => {
                // Said once per environment, at its first traced session on the default
                // image (a line on every start would be noise; an untraced one says nothing).
                if launch.learn_by_default && image.is_none() && session.first {
                    say_err!("sysimg: {}", sysimg::launch::LEARNING_BY_DEFAULT);
                }
                argv.extend(sysimg::learn::trace_args(&session.file, &julia.version))
            }
            // Learning by default never adds noise to a start (a read-only store in CI).
            Err(_) if launch.learn_by_default => {}
            Err(e) => say_err!("sysimg: warning: not learning from this session: {e}"),
        }
    }
    argv.extend(args.args.iter().cloned());
    exec(&julia.path, &argv, lock)
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

pub fn julia_args(ctx: &Context<'_>, args: &JuliaArgsArgs) -> Result<ExitCode, Failure> {
    // `run` starts julia whatever is wrong with the spec; what `julia-args` prints is kept in
    // editors' settings, so a spec that cannot be read is an error naming it.
    if ctx.project_file().is_ok() {
        ctx.spec()?;
    }
    let Prepared { julia, launch } = prepare(ctx, &args.launch, false)?;
    let image = launch.image.as_ref().map(|(p, _)| p.as_path());
    if let Some(tool) = args.for_tool {
        // Settings are kept: the environment's image by the store's stable path, which
        // follows every rebuild, unless an image was named with `--image`.
        let stable = match (&launch.image, &launch.project_file, &args.launch.image) {
            (Some((_, Some(id))), Some(project), None) => ctx
                .store()
                .ok()
                .and_then(|s| s.current_image_of(project, id)),
            _ => None,
        };
        let image = stable.as_deref().or(image);
        return tool_config(ctx, tool, &julia, &launch, image, stable.is_some());
    }
    let argv = start_args(ctx, image, &launch);
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "julia": julia.path.display().to_string(),
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

/// `julia-args --for TOOL`: the tool's settings (JSON, or `export` lines for variables), and
/// the notes on stderr.
fn tool_config(
    ctx: &Context<'_>,
    tool: ForTool,
    julia: &JuliaInfo,
    launch: &Launch,
    image: Option<&Path>,
    image_follows_rebuilds: bool,
) -> Result<ExitCode, Failure> {
    use sysimg::integrations::{config_for, Start, Tool, JETLS_UUID};
    let tool = match tool {
        ForTool::Vscode => Tool::Vscode,
        ForTool::Juliacall => Tool::Juliacall,
        ForTool::Env => Tool::Env,
        ForTool::Jetls => Tool::Jetls,
    };
    let project_file = launch
        .project_file
        .clone()
        .ok_or_else(|| Failure::bad_input("no project: tools' settings name one (-p DIR)"))?;
    let project_dir = project_file.parent().unwrap_or(Path::new("."));
    let holds_jetls = tool == Tool::Jetls
        && julia_env::environment::Environment::load(&project_file, None)
            .ok()
            .and_then(|env| {
                let uuid = JETLS_UUID.parse().ok()?;
                env.manifest.as_ref()?.get(&uuid).map(|_| ())
            })
            .is_some();
    let config = config_for(
        tool,
        &Start {
            julia: &julia.path,
            image,
            image_follows_rebuilds,
            project_dir,
            julia_version: &julia.version.to_string(),
            holds_jetls,
        },
    );
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "settings": config.settings,
            "notes": config.notes,
        }));
    } else {
        for note in &config.notes {
            say_err!("sysimg: note: {note}");
        }
        match (tool, config.settings.as_object()) {
            (Tool::Juliacall | Tool::Env, Some(vars)) => {
                for (k, v) in vars {
                    let value = v.as_str().unwrap_or_default();
                    crate::ui::output::print_line(&format!("export {k}={}", shell_quote(value)));
                }
            }
            _ => crate::ui::output::print_line(
                &serde_json::to_string_pretty(&config.settings).unwrap_or_default(),
            ),
        }
    }
    Ok(ExitCode::Ok)
}
