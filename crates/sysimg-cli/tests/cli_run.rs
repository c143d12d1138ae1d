//! `run`, `julia-args`, `check`, `kernel install` and the shell integrations, with a fake
//! julia that records the argv and environment it receives.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{err, out, HOST_CPU};

struct T {
    ctx: testkit::TestContext,
    dir: PathBuf,
    julia: String,
}

impl T {
    fn new() -> T {
        let ctx = common::hello();
        T {
            julia: ctx.julia().display().to_string(),
            dir: ctx.dir.clone(),
            ctx,
        }
    }

    fn cmd(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut cmd = self.ctx.sysimg(args);
        // Learning (on by default) is cli_learn.rs's: here julia's arguments and the lines
        // said are compared exactly, so sessions are not traced unless a test asks.
        cmd.env("SYSIMG_LEARN", "0");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd
    }

    fn sysimg(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.cmd(args, extra).output().expect("sysimg runs")
    }

    /// Builds the example's image; returns its id.
    fn build(&self) -> String {
        let o = self.sysimg(&["build", "--julia", &self.julia, "--json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    fn image(&self, id: &str) -> String {
        self.dir
            .join("store")
            .join(id)
            .join("sys.so")
            .display()
            .to_string()
    }

    /// The store's stable path of the environment's current image (`current/`), as
    /// `julia-args --for env` names it.
    fn current_image(&self) -> String {
        let o = self.sysimg(
            &[
                "julia-args",
                "--julia",
                &self.julia,
                "--for",
                "env",
                "--json",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let path = v["settings"]["SYSIMG_IMAGE"].as_str().unwrap().to_string();
        assert!(
            path.starts_with(&self.dir.join("store/current/").display().to_string()),
            "{path}"
        );
        path
    }

    fn project_arg(&self) -> String {
        format!("--project={}", self.dir.display())
    }

    /// The argv julia received in its call with process id `pid`.
    fn argv_of(&self, pid: u32) -> Vec<String> {
        let f = self.dir.join(format!("julia-log/call-{pid}.argv"));
        let text = fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        text.lines().map(str::to_string).collect()
    }

    fn runs(&self) -> usize {
        fs::read_to_string(self.dir.join("julia-log/runs"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    /// Makes the image stale: the Manifest asks for another Example.
    fn move_example(&self) {
        let m = self.dir.join("Manifest.toml");
        let text = fs::read_to_string(&m).unwrap();
        fs::write(
            &m,
            text.replace("version = \"0.5.3\"", "version = \"0.5.4\"")
                .replace(
                    "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc",
                    "0000000000000000000000000000000000000001",
                ),
        )
        .unwrap();
    }
}

/// Runs `sysimg run` and returns its output and julia's argv (julia replaced sysimg, so it
/// has sysimg's process id).
fn run(t: &T, args: &[&str], extra: &[(&str, &str)]) -> (Output, Vec<String>) {
    let (o, argv, _) = run_command(t, t.cmd(args, extra));
    (o, argv)
}

/// [`run`] of a command made by the caller: its output, julia's argv, and julia's process id
/// (its files in the fake julia's log are named by it).
fn run_command(t: &T, mut cmd: Command) -> (Output, Vec<String>, u32) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let o = child.wait_with_output().unwrap();
    let argv = if t.dir.join(format!("julia-log/call-{pid}.argv")).exists() {
        t.argv_of(pid)
    } else {
        Vec::new()
    };
    (o, argv, pid)
}

#[test]
fn run_execs_julia_with_the_image_and_passes_everything_through() {
    use std::os::unix::process::ExitStatusExt;
    let t = T::new();
    let id = t.build();
    let (o, argv) = run(
        &t,
        &[
            "run",
            "--julia",
            &t.julia,
            "--",
            "-e",
            "println(\"$x\")",
            "a b",
        ],
        &[("MY_SETTING", "kept")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // exec: julia runs as the sysimg process itself, with exactly these arguments.
    assert_eq!(
        argv,
        [
            "-J",
            &t.image(&id),
            &t.project_arg(),
            "-e",
            "println(\"$x\")",
            "a b"
        ]
    );
    assert_eq!(out(&o), "fake julia running\n");
    assert_eq!(err(&o), "", "a fresh image is silent");
    // The environment is passed unchanged; nothing of the build leaks into it.
    let env = fs::read_dir(t.dir.join("julia-log"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".fullenv"))
        .map(|e| fs::read_to_string(e.path()).unwrap())
        .unwrap();
    assert!(env.lines().any(|l| l == "MY_SETTING=kept"), "{env}");
    assert!(
        !env.contains("SYSIMG_BUILD_OUTPUT") && !env.contains("JULIA_PROJECT="),
        "{env}"
    );
    // Exit status and signals are julia's.
    let (o, _) = run(
        &t,
        &["run", "--julia", &t.julia],
        &[("FAKE_JULIA_EXIT", "7")],
    );
    assert_eq!(o.status.code(), Some(7));
    let (o, _) = run(
        &t,
        &["run", "--julia", &t.julia],
        &[("FAKE_JULIA_SIGNAL", "TERM")],
    );
    assert_eq!(o.status.signal(), Some(15), "{:?}", o.status);
    // The second run used the stamp of the first (the index remembers the fresh verdict).
    let index = fs::read_dir(t.dir.join("store/envs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(fs::read_to_string(index).unwrap().contains("\"verified\""));
}

#[test]
fn a_running_image_holds_its_lock_across_exec() {
    let t = T::new();
    let id = t.build();
    if Command::new("flock").arg("--version").output().is_err() {
        common::skip("the lock probe: no flock(1) on this machine");
        return;
    }
    let lock = t.dir.join("store/locks").join(format!("{id}.lock"));
    let probe = format!(
        "flock -n -x {} true && echo unlocked || echo locked",
        lock.display()
    );
    // The fake julia runs the probe while it is "running" (see FAKE_JULIA_ON_RUN).
    let (o, _) = run(
        &t,
        &["run", "--julia", &t.julia],
        &[("FAKE_JULIA_ON_RUN", &probe)],
    );
    assert_eq!(out(&o), "fake julia running\nlocked\n", "{}", err(&o));
    // And once julia is gone, the lock is free.
    let o = Command::new("sh").arg("-c").arg(&probe).output().unwrap();
    assert_eq!(out(&o), "unlocked\n");
}

#[test]
fn stale_and_missing_images_follow_on_stale() {
    let t = T::new();
    // Missing: warn (the default) runs the default sysimage and says why.
    let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--", "x.jl"], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(argv, [t.project_arg().as_str(), "x.jl"]);
    assert_eq!(
        err(&o),
        "sysimg: warning: no image is registered for this environment (`sysimg build` makes \
         one);\n    starting julia with its default sysimage\n"
    );
    let id = t.build();
    t.move_example();
    // Stale, warn.
    let (o, argv) = run(&t, &["run", "--julia", &t.julia], &[]);
    assert_eq!(argv, [t.project_arg()]);
    let e = err(&o);
    assert!(
        unwrapped(&e).starts_with(&format!(
            "sysimg: warning: image {id} does not fit: `Example`: the image holds 0.5.3, the \
             Manifest asks for 0.5.4; the image's 0.5.3 wins"
        )),
        "{e}"
    );
    // Wrapped in lines under 100 characters (issue 26, item 12).
    assert!(e.lines().all(|l| l.chars().count() <= 100), "{e}");
    // Stale, fail: julia never starts.
    let before = t.runs();
    let (o, _) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("(--on-stale fail)"), "{}", err(&o));
    assert_eq!(t.runs(), before);
    // The spec's default is used without the flag.
    fs::write(t.dir.join("Sysimage.toml"), "on_stale = \"fail\"\n").unwrap();
    let (o, _) = run(&t, &["run", "--julia", &t.julia], &[]);
    assert_eq!(o.status.code(), Some(1));
    // Stale, ignore: the old image, silently.
    let (o, argv) = run(
        &t,
        &["run", "--julia", &t.julia, "--on-stale", "ignore"],
        &[],
    );
    assert_eq!(
        (err(&o).as_str(), argv),
        ("", vec!["-J".to_string(), t.image(&id), t.project_arg()])
    );
    // Stale, build: a new image for the new Manifest, then julia with it.
    let (o, argv) = run(
        &t,
        &["run", "--julia", &t.julia, "--on-stale", "build"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv.len(), 3);
    assert_ne!(argv[1], t.image(&id));
    assert!(Path::new(&argv[1]).is_file());
    // Now fresh: no rebuild, no message.
    let (o, argv2) = run(&t, &["run", "--julia", &t.julia], &[]);
    assert_eq!((err(&o), argv2), (String::new(), argv));
    // A bad --on-stale is a usage error.
    let o = t.sysimg(&["run", "--julia", &t.julia, "--on-stale", "maybe"], &[]);
    assert_eq!(o.status.code(), Some(2));
}

/// Issue 25 item 3: what `julia-args --for` printed still starts the environment's image after
/// a rebuild, without being printed again (the store's `current/` link, which julia resolves
/// when it starts); `rm` of the image takes the link with it.
#[test]
fn tool_settings_follow_the_rebuilt_image() {
    let t = T::new();
    let first = t.build();
    let vscode = || {
        let o = t.sysimg(
            &[
                "julia-args",
                "--julia",
                &t.julia,
                "--for",
                "vscode",
                "--json",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let printed = vscode();
    let arg = printed["settings"]["settings"]["julia.additionalArgs"][0]
        .as_str()
        .unwrap()
        .to_string();
    let path = arg.strip_prefix("--sysimage=").unwrap().to_string();
    let canon = |p: &str| fs::canonicalize(p).unwrap();
    assert_eq!(canon(&path), canon(&t.image(&first)));
    // The environment changes and is rebuilt: the same setting names the new image.
    t.move_example();
    let second = t.build();
    assert_ne!(first, second);
    assert_eq!(canon(&path), canon(&t.image(&second)));
    assert_eq!(vscode()["settings"], printed["settings"]);
    // What a julia given the setting opens is the new image's file.
    assert_eq!(
        fs::read(&path).unwrap(),
        fs::read(t.image(&second)).unwrap()
    );
    // `rm` of the image (in use: forced) removes the link with it.
    let o = t.sysimg(&["rm", "--force", &second], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(fs::symlink_metadata(&path).is_err());
}

#[test]
fn julia_args_and_check() {
    let t = T::new();
    let id = t.build();
    let o = t.sysimg(&["julia-args", "--julia", &t.julia], &[]);
    assert_eq!(
        out(&o),
        format!("-J {} {}\n", t.image(&id), t.project_arg())
    );
    let o = t.sysimg(&["julia-args", "--julia", &t.julia, "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["args"][0], "-J");
    // --for: what each tool reads, for the current image, by the store's stable path.
    let current = t.current_image();
    let canon = |p: &str| fs::canonicalize(p).unwrap();
    assert_eq!(canon(&current), canon(&t.image(&id)));
    let sysimage = format!("--sysimage={current}");
    let o = t.sysimg(&["julia-args", "--julia", &t.julia, "--for", "vscode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["settings"]["julia.additionalArgs"][0],
        sysimage.as_str(),
        "{v}"
    );
    assert_eq!(
        v["launch"]["juliaAdditionalArgs"][0],
        sysimage.as_str(),
        "{v}"
    );
    assert!(
        err(&o).contains("starts each rebuilt image without running this again"),
        "{}",
        err(&o)
    );
    let o = t.sysimg(
        &["julia-args", "--julia", &t.julia, "--for", "juliacall"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains(&format!("export PYTHON_JULIACALL_SYSIMAGE={current}\n")),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("export PYTHON_JULIACALL_EXE="),
        "{}",
        out(&o)
    );
    let o = t.sysimg(
        &["julia-args", "--julia", &t.julia, "--for", "env", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["settings"]["SYSIMG_IMAGE"], current.as_str(), "{v}");
    let o = t.sysimg(&["julia-args", "--julia", &t.julia, "--for", "jetls"], &[]);
    assert!(err(&o).contains("does not hold JETLS"), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["jetls-client.executable"][1], sysimage.as_str(), "{v}");
    // check: fresh image, exit 0.
    let o = t.sysimg(&["check", "--julia", &t.julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["id"].as_str()),
        (Some(true), Some(id.as_str()))
    );
    // A host CPU without the build machine's AVX2 cannot run a `native` image.
    let o = t.sysimg(
        &["check", "--julia", &t.julia],
        &[(
            "SYSIMG_HOST_CPU",
            "nehalem:sse2,sse3,ssse3,sse4.1,sse4.2,popcnt,cx16",
        )],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("[cpu-native]"), "{}", out(&o));
    // Stale: exit 1, the package named.
    t.move_example();
    let o = t.sysimg(&["check", "--julia", &t.julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(
        (
            f["severity"].as_str(),
            f["code"].as_str(),
            f["package"].as_str()
        ),
        (Some("error"), Some("package-shadowed"), Some("Example"))
    );
    // An image built by hand, without a record.
    let hand = t.dir.join("custom.so");
    fs::write(&hand, "elf").unwrap();
    let o = t.sysimg(
        &[
            "check",
            "--julia",
            &t.julia,
            "--image",
            &hand.display().to_string(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(out(&o).contains("[no-record]"), "{}", out(&o));
    // A julia named on the command line that does not exist is bad input, as for `run`.
    let o = t.sysimg(
        &["check", "--julia", "/nonexistent/julia", "--image", &id],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    // No julia at all: still checked, and the report says so.
    let o = t.sysimg(&["check", "--image", &id], &[("PATH", "/nonexistent")]);
    assert!(out(&o).contains("[julia-not-found]"), "{}", out(&o));
}

#[test]
fn kernel_install_writes_an_ijulia_kernel_that_goes_through_sysimg_run() {
    let t = T::new();
    let ijulia = "7073ff75-c697-5162-941a-fcdaad2a7d2a";
    let tree = "1".repeat(40);
    let m = t.dir.join("Manifest.toml");
    let text = fs::read_to_string(&m).unwrap();
    fs::write(
        &m,
        format!("{text}\n[[deps.IJulia]]\ngit-tree-sha1 = \"{tree}\"\nuuid = \"{ijulia}\"\nversion = \"1.26.0\"\n"),
    )
    .unwrap();
    let kernels = t.dir.join("kernels");
    let args = [
        "kernel",
        "install",
        "--kernels-dir",
        kernels.to_str().unwrap(),
        "--name",
        "Hello \"fast\"",
    ];
    let o = t.sysimg(&args, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("IJulia is not installed in any depot"),
        "{}",
        err(&o)
    );
    // Install IJulia's sources where Pkg would.
    let slug = julia_slug(ijulia, &tree);
    let src = t.dir.join("depot/packages/IJulia").join(slug).join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("kernel.jl"), "# kernel\n").unwrap();
    let o = t.sysimg(&args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(kernels.join("hello--fast/kernel.json")).unwrap())
            .unwrap();
    assert_eq!(spec["display_name"], "Hello \"fast\"");
    assert_eq!(spec["language"], "julia");
    let argv: Vec<&str> = spec["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let project = t.dir.join("Project.toml").display().to_string();
    let kernel_jl = src.join("kernel.jl").display().to_string();
    assert_eq!(
        argv,
        [
            env!("CARGO_BIN_EXE_sysimg"),
            "run",
            "-p",
            &project,
            "--",
            "-i",
            "--color=yes",
            &kernel_jl,
            "{connection_file}"
        ]
    );
}

fn julia_slug(uuid: &str, tree: &str) -> String {
    let uuid: julia_env::ids::Uuid = uuid.parse().unwrap();
    let hash = julia_env::ids::TreeHash::parse(tree).unwrap();
    julia_env::depot::version_slug(&uuid, &hash, 5)
}

#[test]
fn shell_integrations() {
    let t = T::new();
    let o = t.sysimg(&["completions", "bash"], &[]);
    assert!(out(&o).contains("_sysimg()"), "{}", out(&o));
    assert!(out(&o).contains("julia-args"));
    let o = t.sysimg(&["shell-init", "zsh"], &[]);
    assert!(
        out(&o).contains("#compdef sysimg") && out(&o).contains("jl() { sysimg run -- \"$@\"; }")
    );
    let o = t.sysimg(&["shell-init", "fish"], &[]);
    assert!(out(&o).contains("function jl; sysimg run -- $argv; end"));
}

#[test]
fn bad_input_to_the_launch_commands() {
    let t = T::new();
    // No julia: exit 2, with how to install one.
    let o = t.sysimg(&["run", "--julia", "/nonexistent/julia"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("/nonexistent/julia"), "{}", err(&o));
    // An image that is neither in the store nor a file.
    let o = t.sysimg(
        &["check", "--julia", &t.julia, "--image", "nosuchimage"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).ends_with("/store: no image `nosuchimage` in the store\n"),
        "{}",
        err(&o)
    );
    let o = t.sysimg(&["run", "--julia", &t.julia, "--image", "nosuchimage"], &[]);
    assert_eq!(o.status.code(), Some(2));
    // A kernel for an environment without IJulia.
    let o = t.sysimg(&["kernel", "install", "--kernels-dir", "k"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("the environment has no IJulia: add it with"),
        "{}",
        err(&o)
    );
    assert!(!t.dir.join("k").exists());
    // An unreadable Manifest with --image: bad input, naming the file.
    let id = t.build();
    fs::write(t.dir.join("Manifest.toml"), "[[deps.X]\n").unwrap();
    let o = t.sysimg(&["run", "--julia", &t.julia, "--image", &id], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("Manifest.toml:1:"), "{}", err(&o));
}

#[test]
fn build_check_and_run_read_the_manifest_julia_will_use() {
    // The fake julia is 1.11.2: it reads Manifest.toml (Example 0.5.4), not the
    // Manifest-v1.12.toml beside it (0.5.3), which is the newest one present.
    let t = T::new();
    fs::copy(
        t.dir.join("Manifest.toml"),
        t.dir.join("Manifest-v1.12.toml"),
    )
    .unwrap();
    t.move_example();
    let o = t.sysimg(&["build", "--julia", &t.julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let example = v["record"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Example")
        .unwrap()
        .clone();
    assert_eq!(example["version"], "0.5.4");
    let o = t.sysimg(&["check", "--julia", &t.julia], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J");
}

#[test]
fn check_and_run_find_the_same_image_for_an_unbuilt_copy() {
    // A second checkout of the same environment: never built there, but its plan is an
    // image the store holds.
    let t = T::new();
    t.build();
    let copy = t.dir.join("copy");
    fs::create_dir_all(&copy).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        fs::copy(t.dir.join(f), copy.join(f)).unwrap();
    }
    let p = copy.display().to_string();
    let o = t.sysimg(&["-p", &p, "check", "--julia", &t.julia], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let (o, argv) = run(
        &t,
        &["-p", &p, "run", "--julia", &t.julia, "--on-stale", "fail"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J", "{}", err(&o));
}

#[test]
fn concurrent_pins_lose_no_update_and_pin_registers_the_environment() {
    let t = T::new();
    let id = t.build();
    let originals: Vec<(PathBuf, Vec<u8>)> = ["Project.toml", "Manifest.toml"]
        .iter()
        .map(|f| (t.dir.join(f), fs::read(t.dir.join(f)).unwrap()))
        .collect();
    let index = t.dir.join("store/envs");
    for round in 0..40 {
        for (path, bytes) in &originals {
            fs::write(path, bytes).unwrap();
        }
        let _ = fs::remove_dir_all(&index);
        let pins: Vec<std::process::Child> = (0..2)
            .map(|_| {
                t.cmd(&["pin", "--image", &id, "--compat"], &[])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut p in pins {
            assert!(p.wait().unwrap().success(), "round {round}");
        }
        let o = t.sysimg(&["env", "check", "--no-sources"], &[]);
        assert_eq!(o.status.code(), Some(0), "round {round}: {}", out(&o));
        let project = fs::read_to_string(t.dir.join("Project.toml")).unwrap();
        assert!(project.contains("Example = \"=0.5.3\""), "{project}");
        // pin registered the environment with its image.
        let registered = fs::read_dir(&index).unwrap().count();
        assert_eq!(registered, 1, "round {round}");
    }
}

#[test]
fn run_refuses_julia_options_that_would_replace_its_choice() {
    let t = T::new();
    t.build();
    for extra in [
        &["--project=/elsewhere"][..],
        &["--project"][..],
        &["-J", "/other.so"][..],
        &["--sysimage=/other.so"][..],
        &["-t", "2", "--project=/x", "script.jl"][..],
    ] {
        let mut args = vec!["run", "--julia", &t.julia, "--"];
        args.extend_from_slice(extra);
        let (o, argv) = run(&t, &args, &[]);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", err(&o));
        assert!(argv.is_empty(), "julia ran with {argv:?}");
    }
    // The program's own arguments are the program's.
    let (o, argv) = run(
        &t,
        &["run", "--julia", &t.julia, "--", "script.jl", "--project=x"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv.last().unwrap(), "--project=x");
}

/// Issue 23 item 9: julia accepts unambiguous prefixes of its long options (`getopt_long`,
/// src/jloptions.c) and combined short options (`"+vhqH:e:E:L:J:C:it:p:O:g:m:"`), so
/// `--proj=`, `-qJ/path`, `-J/path` are `--project` and `-J` too: refused, naming what was
/// written; a value of another option (`-e '-J'`) is not.
#[test]
fn run_refuses_abbreviated_and_combined_overrides() {
    let t = T::new();
    t.build();
    for (extra, named) in [
        (
            &["--proj=/elsewhere"][..],
            "`--proj=/elsewhere` in julia's arguments is julia's `--project`",
        ),
        (
            &["--proje"][..],
            "`--proje` in julia's arguments is julia's `--project`",
        ),
        (
            &["-qJ/other.so"][..],
            "`-qJ/other.so` in julia's arguments is julia's `-J`/`--sysimage`",
        ),
        (
            &["-q", "-J/other.so"][..],
            "`-J/other.so` in julia's arguments is julia's `-J`",
        ),
        (
            &["-iqJ", "/other.so"][..],
            "`-iqJ` in julia's arguments is julia's `-J`",
        ),
        (
            &["--sysim=/other.so"][..],
            "`--sysim=/other.so` in julia's arguments is julia's `-J`",
        ),
        (&["--thr", "2", "--proj=/x"][..], "`--proj=/x`"),
        (&["-O3", "-J/x"][..], "`-J/x`"),
    ] {
        let mut args = vec!["run", "--julia", &t.julia, "--"];
        args.extend_from_slice(extra);
        let (o, argv) = run(&t, &args, &[]);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", err(&o));
        assert!(err(&o).contains(named), "{extra:?}: {}", err(&o));
        assert!(argv.is_empty(), "julia ran with {argv:?}");
    }
    for extra in [
        &["-e", "-J/x"][..],
        &["-qe", "--proj"][..],
        &["--ev", "-J"][..],
    ] {
        let mut args = vec!["run", "--julia", &t.julia, "--"];
        args.extend_from_slice(extra);
        let (o, argv) = run(&t, &args, &[]);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", err(&o));
        assert_eq!(argv[argv.len() - 2..], *extra, "{argv:?}");
    }
}

#[test]
fn a_relative_store_gives_absolute_image_paths() {
    let t = T::new();
    let o = t.sysimg(
        &["build", "--julia", &t.julia, "--json"],
        &[("SYSIMG_STORE", "rel-store")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let (o, argv) = run(
        &t,
        &["run", "--julia", &t.julia, "--on-stale", "fail"],
        &[("SYSIMG_STORE", "rel-store")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J");
    assert!(Path::new(&argv[1]).is_absolute(), "{argv:?}");
    assert!(argv[1].starts_with(&t.dir.join("rel-store").display().to_string()));
}

#[test]
fn julia_args_survive_paths_with_spaces_in_the_documented_form() {
    let t = T::new();
    let spaced = t.dir.join("my env");
    fs::create_dir_all(&spaced).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        fs::copy(t.dir.join(f), spaced.join(f)).unwrap();
    }
    let p = spaced.display().to_string();
    let store = t.dir.join("a store").display().to_string();
    let o = t.sysimg(
        &["-p", &p, "build", "--julia", &t.julia],
        &[("SYSIMG_STORE", &store)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // The README's form: eval "args=($(sysimg julia-args))"; julia "${args[@]}" script.jl
    let script = format!(
        "eval \"args=($('{}' -p '{p}' julia-args --julia '{}'))\"; printf '%s\\n' \"${{args[@]}}\"",
        env!("CARGO_BIN_EXE_sysimg"),
        t.julia
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .env("SYSIMG_STORE", &store)
        .env("SYSIMG_HOST_CPU", HOST_CPU)
        .env("JULIA_DEPOT_PATH", t.dir.join("depot"))
        .env("FAKE_JULIA_LOG", t.dir.join("julia-log"))
        .output()
        .unwrap();
    let lines: Vec<String> = out(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?} {}", err(&o));
    assert_eq!(lines[0], "-J");
    assert!(
        lines[1].starts_with(&store) && lines[1].ends_with("sys.so"),
        "{lines:?}"
    );
    assert_eq!(lines[2], format!("--project={p}"));
}

#[test]
fn edits_to_a_baked_deved_package_make_the_image_stale() {
    let t = T::new();
    let uuid = "11111111-2222-3333-4444-555555555555";
    let src = t.dir.join("dev/Dev/src");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        t.dir.join("dev/Dev/Project.toml"),
        format!("name = \"Dev\"\nuuid = \"{uuid}\"\nversion = \"0.1.0\"\n"),
    )
    .unwrap();
    fs::write(src.join("Dev.jl"), "module Dev\nf() = 1\nend\n").unwrap();
    let project = fs::read_to_string(t.dir.join("Project.toml")).unwrap();
    fs::write(
        t.dir.join("Project.toml"),
        project.replace("[deps]\n", &format!("[deps]\nDev = \"{uuid}\"\n")),
    )
    .unwrap();
    let manifest = fs::read_to_string(t.dir.join("Manifest.toml")).unwrap();
    let manifest: String = manifest
        .lines()
        .filter(|l| !l.starts_with("project_hash"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(
        t.dir.join("Manifest.toml"),
        format!("{manifest}\n[[deps.Dev]]\npath = \"dev/Dev\"\nuuid = \"{uuid}\"\nversion = \"0.1.0\"\n"),
    )
    .unwrap();
    // plan says the source is baked as it is.
    let o = t.sysimg(&["plan"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("`Dev` is path-tracked"), "{}", err(&o));
    let first = t.build();
    let record = fs::read_to_string(t.dir.join("store").join(&first).join("image.toml")).unwrap();
    assert!(record.contains("source_tree_hash"), "{record}");
    let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J");
    // An edit: check, run and build all notice.
    fs::write(src.join("Dev.jl"), "module Dev\nf() = 2\nend\n").unwrap();
    let o = t.sysimg(&["check", "--julia", &t.julia], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("[path-source-changed]"), "{}", out(&o));
    assert!(!out(&o).contains("Revise.track"), "{}", out(&o));
    // With Revise in the environment, check says how a session follows the source.
    let with_revise = t.dir.join("Manifest.toml");
    let before = fs::read_to_string(&with_revise).unwrap();
    fs::write(
        &with_revise,
        format!(
            "{before}\n[[deps.Revise]]\ngit-tree-sha1 = \"{}\"\nuuid = \"295af30f-e4ad-537b-8983-00126c2a3abe\"\nversion = \"3.16.2\"\n",
            "cd".repeat(20)
        ),
    )
    .unwrap();
    let o = t.sysimg(&["check", "--julia", &t.julia], &[]);
    assert!(
        out(&o).contains("`using Revise; Revise.track(Dev)`"),
        "{}",
        out(&o)
    );
    fs::write(&with_revise, before).unwrap();
    let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(argv.is_empty());
    let second = t.build();
    assert_ne!(second, first, "the edited source is a new image");
    let (o, _) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn kernels_for_ijulia_1_28_and_later_start_run_kernel_and_jupyter_accepts_them() {
    // JuliaLang/IJulia.jl v1.28.0 deps/kspec.jl: argv ends
    // `-i --color=yes -e "import IJulia; IJulia.run_kernel()" {connection_file}`, and
    // `interrupt_mode` is "signal" off Windows. No IJulia source is needed for that form.
    let t = T::new();
    let m = t.dir.join("Manifest.toml");
    let text = fs::read_to_string(&m).unwrap();
    fs::write(
        &m,
        format!(
            "{text}\n[[deps.IJulia]]\ngit-tree-sha1 = \"{}\"\nuuid = \"7073ff75-c697-5162-941a-fcdaad2a7d2a\"\nversion = \"1.34.4\"\n",
            "ab".repeat(20)
        ),
    )
    .unwrap();
    let data = t.dir.join("jupyter data");
    let data_s = data.display().to_string();
    let o = t.sysimg(
        &["kernel", "install", "--name", "Hello"],
        &[("JUPYTER_DATA_DIR", &data_s)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let spec: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(data.join("kernels/hello/kernel.json")).unwrap())
            .unwrap();
    let project = t.dir.join("Project.toml").display().to_string();
    let want = serde_json::json!([
        env!("CARGO_BIN_EXE_sysimg"),
        "run",
        "-p",
        project,
        "--",
        "-i",
        "--color=yes",
        "-e",
        "import IJulia; IJulia.run_kernel()",
        "{connection_file}"
    ]);
    assert_eq!(spec["argv"], want);
    assert_eq!(spec["interrupt_mode"], "signal");
    // Jupyter's own client lists it with that argv.
    let Some(jupyter) = std::env::var_os("SYSIMG_TEST_JUPYTER").filter(|j| !j.is_empty()) else {
        common::skip(
            "the jupyter kernelspec check: set SYSIMG_TEST_JUPYTER to a `jupyter` with jupyter_client (.ci/run installs one)",
        );
        return;
    };
    let o = Command::new(jupyter)
        .args(["kernelspec", "list", "--json"])
        .env("JUPYTER_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        listed["kernelspecs"]["hello"]["spec"]["argv"], want,
        "{listed}"
    );
    assert_eq!(
        listed["kernelspecs"]["hello"]["spec"]["interrupt_mode"],
        "signal"
    );
}

/// What `jl_get_cpu_features()` gives on a Haswell host, as the probe keeps it (the `+`
/// features). Julia's src/processor_x86.cpp returns LLVM's `sys::getHostCPUFeatures()` there;
/// LLVM's lib/TargetParser/Host.cpp (llvm/lib/Support/Host.cpp before LLVM 16) always sets the
/// baseline `64bit`, `cmov`, `cx8`, `fxsr`, `mmx`, `sse`, `sse2`, and newer LLVMs add `crc32`
/// (LLVM 17, with SSE4.2) and `evex512` (LLVM 18, with AVX-512F). Julia 1.10 ships LLVM 15,
/// 1.11 LLVM 16, 1.12 LLVM 18.
fn haswell_features(julia: &str) -> Vec<&'static str> {
    let mut f = vec![
        "64bit", "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2",
        "popcnt", "cx16", "sahf", "movbe", "aes", "pclmul", "xsave", "xsaveopt", "avx", "avx2",
        "fma", "f16c", "bmi", "bmi2", "lzcnt", "rdrnd", "fsgsbase", "invpcid",
    ];
    if julia == "1.12.1" {
        f.push("crc32");
    }
    f
}

fn toml_list(features: &[&str]) -> String {
    features
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The variables for a fake julia of `version` reporting `features` as the host's CPU, with
/// no `SYSIMG_HOST_CPU` describing another machine (the host is as its julia reports it).
fn host_julia_vars(version: &str, features: &[&str]) -> Vec<(&'static str, String)> {
    vec![
        ("FAKE_JULIA_VERSION", version.to_string()),
        ("FAKE_JULIA_CPU_FEATURES", toml_list(features)),
        ("SYSIMG_HOST_CPU", String::new()),
    ]
}

#[test]
fn native_images_fit_the_machine_that_built_them_on_modern_julia() {
    for julia_version in ["1.10.5", "1.11.2", "1.12.1"] {
        let t = T::new();
        // Two julia binaries of the same release: the build machine's, and one on a host that
        // lacks AVX2 (probes are cached per binary).
        let same = haswell_features(julia_version);
        let fewer: Vec<&str> = same.iter().copied().filter(|f| *f != "avx2").collect();
        let lacking = t.dir.join("julia-no-avx2");
        fs::copy(&t.julia, &lacking).unwrap();
        // The host as its julia reports it: no SYSIMG_HOST_CPU describing another machine.
        let vars = |features: &[&str]| host_julia_vars(julia_version, features);
        let build_vars = vars(&same);
        let refs: Vec<(&str, &str)> = build_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let o = t.sysimg(&["build", "--julia", &t.julia, "--json"], &refs);
        assert_eq!(o.status.code(), Some(0), "{julia_version}: {}", err(&o));
        // The same machine and julia: clean.
        let o = t.sysimg(&["check", "--julia", &t.julia, "--json"], &refs);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["errors"], 0, "{julia_version}: {v}");
        let (o, argv) = run(
            &t,
            &["run", "--julia", &t.julia, "--on-stale", "fail"],
            &refs,
        );
        assert_eq!(o.status.code(), Some(0), "{julia_version}: {}", err(&o));
        assert_eq!(argv[0], "-J");
        // A host lacking one of the image's features: refused, naming it.
        let host_vars = vars(&fewer);
        let refs: Vec<(&str, &str)> = host_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let lacking_s = lacking.display().to_string();
        let o = t.sysimg(&["check", "--julia", &lacking_s], &refs);
        assert_eq!(o.status.code(), Some(1), "{julia_version}: {}", out(&o));
        assert!(
            out(&o).contains("[cpu-native]") && out(&o).contains("needs avx2"),
            "{julia_version}: {}",
            out(&o)
        );
    }
}

/// A `native` image built on another machine whose features this host has (pulled, or a
/// shared store): the image a build here would make but for the build machine's CPU, which
/// its id names. It fits, so it is fresh and started without a warning; it was reported as
/// out of date ("a build now would make image ...") at every start.
#[test]
fn a_native_image_from_another_machine_is_fresh_where_it_fits() {
    let t = T::new();
    let theirs = haswell_features("1.10.5");
    let mut ours = theirs.clone();
    ours.push("avx512f");
    let here = t.dir.join("julia-with-avx512");
    fs::copy(&t.julia, &here).unwrap();
    let vars = |features: &[&str]| host_julia_vars("1.10.5", features);
    let build_vars = vars(&theirs);
    let refs: Vec<(&str, &str)> = build_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = t.sysimg(&["build", "--julia", &t.julia, "--json"], &refs);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let id = serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["id"].clone();
    let host_vars = vars(&ours);
    let refs: Vec<(&str, &str)> = host_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let here_s = here.display().to_string();
    let o = t.sysimg(&["check", "--julia", &here_s, "--json"], &refs);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"], 0, "{v}");
    let (o, argv) = run(
        &t,
        &["run", "--julia", &here_s, "--on-stale", "fail"],
        &refs,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J");
    assert!(!err(&o).contains("out of date"), "{}", err(&o));
    // `build --if-stale` here has nothing to do.
    let o = t.sysimg(
        &["build", "--if-stale", "--julia", &here_s, "--json"],
        &refs,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((&v["outcome"], &v["id"]), (&"reused".into(), &id), "{v}");
}

#[test]
fn juliaups_launcher_is_seen_through_to_the_channels_julia() {
    // A juliaup install (JuliaLang/juliaup src/config_file.rs, src/bin/julialauncher.rs): the
    // `julia` on PATH is the launcher, `juliaup` beside it; `juliaup.json` in
    // $JULIAUP_DEPOT_PATH/juliaup names the channels. Running the launcher here would fail.
    let t = T::new();
    let bin = t.dir.join("juliaup-bin");
    fs::create_dir_all(&bin).unwrap();
    let script = "#!/bin/sh\necho 'the launcher ran' >&2\nexit 99\n";
    for name in ["julia", "juliaup"] {
        fs::write(bin.join(name), script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let home = t.dir.join("ju-depot/juliaup");
    let install = |rel: &str| {
        let p = home.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::copy(&t.julia, &p).unwrap();
        p
    };
    install("julia-1.11.2/bin/julia");
    let app = install("julia-1.11.3/Julia-1.11.app/Contents/Resources/julia/bin/julia");
    let linked = install("elsewhere/bin/julia");
    let cwd = t.dir.canonicalize().unwrap();
    fs::write(
        home.join("juliaup.json"),
        serde_json::json!({
            "Default": "release",
            "InstalledVersions": {
                "1.11.2+0.x64.linux.gnu": {"Path": "./julia-1.11.2"},
                "1.11.3+0.x64.apple.darwin14": {
                    "Path": "./julia-1.11.3",
                    "BinaryPath": "./julia-1.11.3/Julia-1.11.app/Contents/Resources/julia/bin/julia"
                }
            },
            "InstalledChannels": {
                "release": {"Version": "1.11.2+0.x64.linux.gnu"},
                "app": {"Version": "1.11.3+0.x64.apple.darwin14"},
                "mine": {"Command": linked.display().to_string(), "Args": ["--threads=2"]},
                "dev": {"Target": "mine", "Args": ["-O1"]}
            },
            "Overrides": [{"Path": cwd.join("not-here").display().to_string(), "Channel": "app"}]
        })
        .to_string(),
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let depot = t.dir.join("ju-depot").display().to_string();
    let base = [
        ("PATH", path.as_str()),
        ("JULIAUP_DEPOT_PATH", depot.as_str()),
    ];
    // The default channel's julia builds and runs, never the launcher.
    let o = t.sysimg(&["build", "--json"], &base);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let (o, argv) = run(&t, &["run", "--on-stale", "fail"], &base);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv[0], "-J", "{argv:?}");
    // JULIAUP_CHANNEL: an alias of a linked channel, both channels' Args first, as juliaup
    // passes them (alias Args, then the linked channel's).
    let mut env = base.to_vec();
    env.push(("JULIAUP_CHANNEL", "dev"));
    let (o, argv) = run(&t, &["run", "--on-stale", "ignore"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(&argv[..2], ["-O1", "--threads=2"], "{argv:?}");
    // A channel of `sysimg juliaup link` runs sysimg: its julia is the one after `--julia`
    // (a `+CHANNEL` there resolved in turn), never sysimg itself.
    let json = fs::read_to_string(home.join("juliaup.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&json).unwrap();
    let project = t.dir.join("Project.toml").display().to_string();
    config["InstalledChannels"]["proj"] = serde_json::json!({
        "Command": "/somewhere/sysimg",
        "Args": ["run", "-p", &project, "--julia", linked.display().to_string(), "--"]
    });
    config["InstalledChannels"]["proj2"] = serde_json::json!({
        "Command": "/somewhere/sysimg",
        "Args": ["run", "-p", &project, "--julia", "+app", "--"]
    });
    fs::write(home.join("juliaup.json"), config.to_string()).unwrap();
    for (channel, julia) in [("proj", &linked), ("proj2", &app)] {
        let mut env = base.to_vec();
        env.push(("JULIAUP_CHANNEL", channel));
        let o = t.sysimg(&["julia-args", "--json", "--on-stale", "ignore"], &env);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["julia"], julia.display().to_string(), "{v}");
    }
    // A directory override covering the current directory wins over the default.
    let json = fs::read_to_string(home.join("juliaup.json")).unwrap();
    fs::write(
        home.join("juliaup.json"),
        json.replace(
            &cwd.join("not-here").display().to_string(),
            &cwd.display().to_string(),
        ),
    )
    .unwrap();
    let o = t.sysimg(&["julia-args", "--json", "--on-stale", "ignore"], &base);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["julia"], app.display().to_string(), "{v}");
    // Without a default channel or an override, the launcher cannot pick: say so.
    let json = fs::read_to_string(home.join("juliaup.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&json).unwrap();
    config.as_object_mut().unwrap().remove("Default");
    config["Overrides"] = serde_json::json!([]);
    fs::write(home.join("juliaup.json"), config.to_string()).unwrap();
    let o = t.sysimg(&["build"], &base);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("is juliaup's launcher, and juliaup has no default channel"),
        "{}",
        err(&o)
    );
}

/// The lines sysimg itself wrote on stderr (julia's own output aside).
fn sysimg_lines(o: &Output) -> Vec<String> {
    unwrapped(&err(o))
        .lines()
        .filter(|l| l.starts_with("sysimg:"))
        .map(str::to_string)
        .collect()
}

/// sysimg's notes as one line each: the lines a long note is wrapped into (indented by four
/// spaces) joined again.
fn unwrapped(text: &str) -> String {
    text.replace("\n    ", " ")
}

/// `sysimg run` where there is no project to use: julia starts as a plain julia would (the
/// `-p` value given passes through as julia's `--project`; `JULIA_PROJECT` is julia's to
/// read), with one line saying why; `--on-stale fail` refuses instead.
#[test]
fn run_without_a_usable_project_starts_plain_julia_with_one_line() {
    let t = T::new();
    let empty = t.dir.join("empty");
    fs::create_dir(&empty).unwrap();
    let in_empty = |args: &[&str], extra: &[(&str, &str)]| {
        let mut cmd = t.cmd(args, extra);
        // The upward search stops at HOME, so nothing above the test's directory is found.
        cmd.current_dir(&empty).env("HOME", &empty);
        let (o, argv, pid) = run_command(&t, cmd);
        let env = fs::read_to_string(t.dir.join(format!("julia-log/call-{pid}.fullenv")))
            .unwrap_or_default();
        (o, argv, env)
    };
    let julia = t.julia.as_str();
    // No Project.toml upward.
    let (o, argv, _) = in_empty(&["run", "--julia", julia, "--", "x.jl"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv, ["x.jl"]);
    let lines = sysimg_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("no Project.toml")
            && lines[0].ends_with("starting julia with its default sysimage"),
        "{lines:?}"
    );
    // `-p` to a directory that does not exist yet: julia gets it, as `julia --project=new`.
    let (o, argv, _) = in_empty(&["-p", "new", "run", "--julia", julia, "--", "x.jl"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv, ["--project=new", "x.jl"]);
    assert_eq!(sysimg_lines(&o).len(), 1, "{}", err(&o));
    // JULIA_PROJECT empty (the upward search, finding nothing here), a named environment
    // that does not exist, a directory that does not: julia reads JULIA_PROJECT itself.
    for value in ["", "@nosuchenv", "/nonexistent/project"] {
        let (o, argv, env) = in_empty(
            &["run", "--julia", julia, "--", "x.jl"],
            &[("JULIA_PROJECT", value)],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "JULIA_PROJECT={value}: {}",
            err(&o)
        );
        assert_eq!(argv, ["x.jl"], "JULIA_PROJECT={value}");
        assert!(
            env.lines().any(|l| l == format!("JULIA_PROJECT={value}")),
            "JULIA_PROJECT={value}: {env}"
        );
        assert_eq!(
            sysimg_lines(&o).len(),
            1,
            "JULIA_PROJECT={value}: {}",
            err(&o)
        );
    }
    // Asked to fail: julia does not start.
    let before = t.runs();
    let (o, _, _) = in_empty(&["run", "--julia", julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("(--on-stale fail)"), "{}", err(&o));
    assert_eq!(t.runs(), before);
    // julia-args says the same: the arguments of a plain julia.
    let (o, _, _) = in_empty(&["julia-args", "--julia", julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["args"], serde_json::json!([]));
}

/// A `Sysimage.toml` that cannot be read: julia starts in the project on its default image,
/// with one line naming the file, unless `--on-stale fail`.
#[test]
fn run_with_a_spec_that_cannot_be_read_starts_julia_with_one_line() {
    let t = T::new();
    t.build();
    let spec = t.dir.join("Sysimage.toml");
    fs::write(&spec, "policy = \"app\"\non_stale = [\n").unwrap();
    let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--", "x.jl"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv, [t.project_arg().as_str(), "x.jl"]);
    let lines = sysimg_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Sysimage.toml:"), "{lines:?}");
    let (o, _) = run(&t, &["run", "--julia", &t.julia, "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    // Not a regular file (a directory, a dangling link, a link loop, a FIFO): julia starts,
    // with at most one line (never blocking on the FIFO).
    type Make<'a> = &'a dyn Fn(&Path);
    let specials: [(&str, Make); 4] = [
        ("directory", &|p| fs::create_dir(p).unwrap()),
        ("dangling link", &|p| {
            std::os::unix::fs::symlink("nowhere.toml", p).unwrap()
        }),
        ("link loop", &|p| {
            std::os::unix::fs::symlink("Sysimage.toml", p).unwrap()
        }),
        ("fifo", &|p| {
            let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        }),
    ];
    for (what, make) in specials {
        let _ = fs::remove_file(&spec);
        let _ = fs::remove_dir(&spec);
        make(&spec);
        let (o, argv) = run(&t, &["run", "--julia", &t.julia, "--", "x.jl"], &[]);
        assert_eq!(o.status.code(), Some(0), "{what}: {}", err(&o));
        assert_eq!(argv.last().map(String::as_str), Some("x.jl"), "{what}");
        assert!(sysimg_lines(&o).len() <= 1, "{what}: {}", err(&o));
    }
}

/// `--on-stale build` whose build fails: julia starts on its default image, with one line.
#[test]
fn run_on_stale_build_that_fails_starts_julia_with_one_line() {
    let t = T::new();
    let (o, argv) = run(
        &t,
        &[
            "run",
            "--julia",
            &t.julia,
            "--on-stale",
            "build",
            "--",
            "x.jl",
        ],
        &[("FAKE_JULIA_MODE", "fail")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(argv, [t.project_arg().as_str(), "x.jl"]);
    let lines = sysimg_lines(&o);
    // The line announcing the build, then the one saying it failed.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("; building it"), "{lines:?}");
    assert!(
        lines[1].contains("the build failed")
            && lines[1].ends_with("starting julia with its default sysimage"),
        "{lines:?}"
    );
}

/// `run --on-stale build` builds with the PackageCompiler `SYSIMG_PACKAGECOMPILER` names, as
/// `build` does (each source has its own tools environment in the store).
#[test]
fn run_on_stale_build_uses_sysimg_packagecompiler() {
    let t = T::new();
    let (o, _) = run(
        &t,
        &["run", "--julia", &t.julia, "--on-stale", "build"],
        &[("SYSIMG_PACKAGECOMPILER", "1.4.1")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let tools: Vec<String> = fs::read_dir(t.dir.join("store/tools"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // `julia-1.11` alone is the newest release's environment: the variable was ignored.
    assert_eq!(tools.len(), 1, "{tools:?}");
    assert!(tools[0].starts_with("julia-1.11-"), "{tools:?}");
}

/// Issue 26, item 12: what a newcomer types wrong gets a way forward; help lists what there
/// is.
#[test]
fn the_command_line_says_how_to_do_what_was_meant() {
    let t = T::new();
    // `run script.jl`: julia's arguments go after `--`, and the hint says so.
    let o = t.sysimg(&["run", "--julia", &t.julia, "script.jl"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("hint: julia's arguments go after `--`: `sysimg run -- script.jl`"),
        "{}",
        err(&o)
    );
    let o = t.sysimg(&["run", "script.jl", "--json"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sysimg run -- script.jl"),
        "{v}"
    );
    // `run --json` is refused, saying what gives JSON; julia never starts.
    let before = t.runs();
    let o = t.sysimg(&["run", "--julia", &t.julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("julia-args --json"), "{}", out(&o));
    assert_eq!(t.runs(), before);
    // `--on-stale` completes its values, and `run --help` lists them all.
    let o = t.sysimg(&["completions", "bash"], &[]);
    assert!(
        out(&o).contains("compgen -W \"warn fail build ignore background\""),
        "{}",
        out(&o)
    );
    let o = t.sysimg(&["run", "--help"], &[]);
    for value in ["warn", "fail", "build", "ignore", "background"] {
        assert!(
            out(&o).contains(&format!("- {value}:")),
            "{value}: {}",
            out(&o)
        );
    }
    // The top-level help lists every exit code, 130 included.
    let o = t.sysimg(&["--help"], &[]);
    let help = out(&o);
    let listed: Vec<i32> = help
        .lines()
        .skip_while(|l| !l.starts_with("Exit status:"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(listed, [0, 1, 2, 3, 4, 5, 6, 130], "{help}");
    // The README's table lists the same codes.
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let table: Vec<i32> = readme
        .lines()
        .skip_while(|l| *l != "### Exit status")
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            l.trim_start_matches('|')
                .split('|')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(table, listed);
}

/// Issue 26, item 12: `why --json` is an object; `kernel list` and `kernel uninstall`.
#[test]
fn why_is_an_object_and_kernels_are_listed_and_removed() {
    let t = T::new();
    let o = t.sysimg(&["why", "Example", "--json"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["package"], "Example", "{v}");
    assert_eq!(v["matches"][0]["name"], "Example", "{v}");
    // A sysimg kernel and a foreign one side by side.
    let kernels = t.dir.join("kernels");
    let project = t.dir.join("Project.toml").display().to_string();
    let ours = serde_json::json!({
        "display_name": "Hello",
        "argv": [env!("CARGO_BIN_EXE_sysimg"), "run", "-p", project, "--", "-i", "{connection_file}"],
        "language": "julia",
    });
    let theirs = serde_json::json!({
        "display_name": "Python 3",
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "language": "python",
    });
    for (name, spec) in [("hello", &ours), ("python3", &theirs)] {
        fs::create_dir_all(kernels.join(name)).unwrap();
        fs::write(kernels.join(name).join("kernel.json"), spec.to_string()).unwrap();
    }
    let k = kernels.to_str().unwrap();
    let o = t.sysimg(&["kernel", "list", "--kernels-dir", k, "--json"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["kernels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert_eq!(names, ["hello"], "{v}");
    assert_eq!(v["kernels"][0]["project"], project.as_str());
    let o = t.sysimg(&["kernel", "uninstall", "nosuch", "--kernels-dir", k], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("sysimg kernel list"), "{}", err(&o));
    // Without a name: the environment's kernels, and only them.
    let o = t.sysimg(&["kernel", "uninstall", "--kernels-dir", k], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!kernels.join("hello").exists());
    assert!(kernels.join("python3/kernel.json").is_file());
    let o = t.sysimg(&["kernel", "list", "--kernels-dir", k], &[]);
    assert!(out(&o).contains("no sysimg kernels"), "{}", out(&o));
}

/// Issue 26, items 12 and 13: a missing precompile file names its `Sysimage.toml` key (file,
/// line, column); `inspect` counts the build machine's CPU features unless asked for them.
#[test]
fn missing_precompile_files_are_named_by_their_key_and_inspect_counts_features() {
    let t = T::new();
    fs::write(
        t.dir.join("Sysimage.toml"),
        "# tuned\nprecompile_execution_files = [\"gone.jl\"]\n",
    )
    .unwrap();
    let o = t.sysimg(&["build", "--julia", &t.julia], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let spec = t.dir.join("Sysimage.toml").display().to_string();
    assert!(
        err(&o).contains(&format!("{spec}:2:1"))
            && err(&o).contains("`precompile_execution_files` lists \"gone.jl\""),
        "{}",
        err(&o)
    );
    fs::write(t.dir.join("Sysimage.toml"), "").unwrap();
    let id = t.build();
    let o = t.sysimg(&["inspect", &id], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let record: serde_json::Value =
        serde_json::from_slice(&t.sysimg(&["inspect", &id, "--json"], &[]).stdout).unwrap();
    let n = record["build_cpu"]["features"]
        .as_array()
        .map_or(0, Vec::len);
    if n > 0 {
        assert!(
            out(&o).contains(&format!(
                "features = \"{n} features (`sysimg inspect {id} --features` lists them)\""
            )),
            "{}",
            out(&o)
        );
        let all = t.sysimg(&["inspect", &id, "--features"], &[]);
        let first = record["build_cpu"]["features"][0].as_str().unwrap();
        assert!(out(&all).contains(&format!("\"{first}\"")), "{}", out(&all));
    } else {
        assert!(!out(&o).contains("features ("), "{}", out(&o));
    }
}
