//! Learning from use and background rebuilds, with the fake julia (which writes
//! `FAKE_JULIA_TRACE` to the `--trace-compile` file, as julia writes its trace): `run --learn`,
//! `learn show`, learned builds, `on_stale = "background"`, `status`, `build --all --if-stale`
//! and `gc` of traces. The real julia's side is in `real_julia.rs`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{err, fake_julia, out, HOST_CPU};

const EXAMPLE: &str = "precompile(Tuple{typeof(Example.hello), String})";
const DATES: &str = "precompile(Tuple{typeof(Dates.now)})";
const MAIN: &str = "precompile(Tuple{typeof(Main.work)})";

struct T {
    _t: tempfile::TempDir,
    dir: PathBuf,
    julia: PathBuf,
}

impl T {
    fn new(spec: &str) -> T {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().canonicalize().unwrap().join("env");
        fs::create_dir_all(&dir).unwrap();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello");
        for f in ["Project.toml", "Manifest.toml"] {
            fs::copy(examples.join(f), dir.join(f)).unwrap();
        }
        fs::write(dir.join("Sysimage.toml"), spec).unwrap();
        let julia = fake_julia(t.path());
        T { dir, julia, _t: t }
    }

    fn sysimg(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = common::sysimg_cmd();
        cmd.arg("-p")
            .arg(&self.dir)
            .args(args)
            .env("JULIA", &self.julia)
            .env("JULIA_DEPOT_PATH", self.dir.join("depot"))
            .env("SYSIMG_STORE", self.store())
            .env("SYSIMG_HOST_CPU", HOST_CPU)
            .env("FAKE_JULIA_LOG", self.dir.join("julia-log"));
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("sysimg runs")
    }

    fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let o = self.sysimg(args, &[]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out(&o), err(&o)))
    }

    fn build(&self) -> serde_json::Value {
        let o = self.sysimg(&["build", "--json"], &[]);
        assert!(o.status.success(), "{}", err(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// The argv of the newest `run` of the fake julia.
    fn last_run_argv(&self) -> Vec<String> {
        let log = self.dir.join("julia-log");
        let mut runs: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(&log)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".fullenv"))
            .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
            .collect();
        runs.sort();
        let argv = runs.last().unwrap().1.with_extension("argv");
        fs::read_to_string(argv)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    fn run(&self, trace: &str, extra: &[(&str, &str)]) -> Output {
        let mut env = vec![("FAKE_JULIA_TRACE", trace)];
        env.extend_from_slice(extra);
        self.sysimg(&["run", "--learn"], &env)
    }
}

#[test]
fn learned_statements_are_traced_counted_filtered_and_baked() {
    let t = T::new("learn_rebuild_after = 1\n");
    let first = t.build();
    assert!(first["record"]["build"]["learned"].is_null());
    // A session with learning: julia is told where to write its trace, in the store.
    let o = t.run(&format!("{EXAMPLE}\n{MAIN}\n{DATES}\n"), &[]);
    assert!(o.status.success(), "{}", err(&o));
    let argv = t.last_run_argv();
    let trace = argv
        .iter()
        .find_map(|a| a.strip_prefix("--trace-compile="))
        .unwrap_or_else(|| panic!("{argv:?}"));
    assert!(
        trace.starts_with(&t.store().join("learn").display().to_string()),
        "{trace}"
    );
    assert!(fs::read_to_string(trace).unwrap().contains(EXAMPLE));
    // With `learn = false`, no trace (and `--learn` still traces).
    fs::write(
        t.dir.join("Sysimage.toml"),
        "learn = false\nlearn_rebuild_after = 1\n",
    )
    .unwrap();
    t.sysimg(&["run"], &[]);
    assert!(!t
        .last_run_argv()
        .iter()
        .any(|a| a.starts_with("--trace-compile")));
    t.run(&format!("{EXAMPLE}\n"), &[]);
    fs::write(t.dir.join("Sysimage.toml"), "learn_rebuild_after = 1\n").unwrap();
    let v = t.json(&["learn", "show", "--json"]);
    assert_eq!(v["sessions"], 2, "{v}");
    assert_eq!(v["statements"], 2, "{v}");
    assert_eq!(v["dropped"], 1, "{v}");
    assert_eq!((&v["held"], &v["new"]), (&0.into(), &2.into()), "{v}");
    // The build bakes them: a new id, the statements beside the image and in build.jl.
    let second = t.build();
    assert_ne!(first["id"], second["id"]);
    assert_eq!(second["record"]["build"]["learned"]["path"], "learned.jl");
    let learned = fs::read_to_string(
        t.store()
            .join(second["id"].as_str().unwrap())
            .join("learned.jl"),
    )
    .unwrap();
    // Most frequent first; Main's statement dropped.
    let lines: Vec<&str> = learned
        .lines()
        .filter(|l| l.starts_with("precompile"))
        .collect();
    assert_eq!(lines, [EXAMPLE, DATES], "{learned}");
    let v = t.json(&["learn", "show", "--json"]);
    assert_eq!((&v["held"], &v["new"]), (&2.into(), &0.into()), "{v}");
    // Below the threshold, learning does not change the image.
    fs::write(t.dir.join("Sysimage.toml"), "learn_rebuild_after = 5\n").unwrap();
    t.run("precompile(Tuple{typeof(Example.hello), Int64})\n", &[]);
    assert_eq!(t.build()["id"], second["id"]);
}

/// Issue 26 item 2: learning is on by default. Without a `Sysimage.toml`, `run` traces each
/// session (a start on julia's default image says so, and how to turn it off), and the first
/// build after them bakes what they compiled, saying how many statements from how many
/// sessions; `learn = false` turns it off; a store where no trace can be written adds no line
/// and julia still starts.
#[test]
fn learning_is_on_by_default_and_the_build_says_what_it_learned() {
    let t = T::new("");
    fs::remove_file(t.dir.join("Sysimage.toml")).unwrap();
    let trace = format!("{EXAMPLE}\n{DATES}\n");
    let o = t.sysimg(&["run"], &[("FAKE_JULIA_TRACE", &trace)]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("learning from this session") && err(&o).contains("learn = false"),
        "{}",
        err(&o)
    );
    assert!(t
        .last_run_argv()
        .iter()
        .any(|a| a.starts_with("--trace-compile=")));
    // Said once per environment: the second session is traced without a word.
    let o = t.sysimg(&["run"], &[("FAKE_JULIA_TRACE", EXAMPLE)]);
    assert!(
        !err(&o).contains("learning from this session"),
        "{}",
        err(&o)
    );
    let o = t.sysimg(&["build"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("using 2 statements learned from 2 sessions"),
        "{}",
        err(&o)
    );
    let v = t.json(&["learn", "show", "--json"]);
    assert_eq!((&v["held"], &v["new"]), (&2.into(), &0.into()), "{v}");
    // On the image, a start says nothing about learning (it still traces).
    let o = t.sysimg(&["run"], &[]);
    assert!(!err(&o).contains("learning"), "{}", err(&o));
    assert!(t
        .last_run_argv()
        .iter()
        .any(|a| a.starts_with("--trace-compile=")));
    // An unwritable store: no trace, no line, julia starts.
    let ro = t.dir.join("ro");
    fs::create_dir_all(&ro).unwrap();
    fs::write(ro.join("learn"), "not a directory").unwrap();
    let o = t.sysimg(&["run"], &[("SYSIMG_STORE", ro.to_str().unwrap())]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!err(&o).contains("not learning"), "{}", err(&o));
    // Nor the learning line: this session is not traced, so it would not be true.
    assert!(
        !err(&o).contains("learning from this session"),
        "{}",
        err(&o)
    );
    // `learn = false`: no trace, no line.
    fs::write(t.dir.join("Sysimage.toml"), "learn = false\n").unwrap();
    let o = t.sysimg(&["run"], &[("SYSIMG_STORE", ro.to_str().unwrap())]);
    assert!(!err(&o).contains("learning"), "{}", err(&o));
    assert!(!t
        .last_run_argv()
        .iter()
        .any(|a| a.starts_with("--trace-compile")));
}

/// Waits for the background build's outcome file.
/// Issue 23 item 1: trace lines that would run code at build time are never learned (nor
/// baked), and `learn show` says how many it ignored.
#[test]
fn trace_lines_that_are_code_are_ignored_and_counted() {
    let t = T::new("learn_rebuild_after = 1\n");
    t.build();
    let marker = t.dir.join("pwned");
    let m = marker.display();
    let hostile = [
        format!("precompile(Base.run(Base.Cmd([\"touch\", \"{m}\"])))"),
        format!("precompile(run(`touch {m}`))"),
        format!("{EXAMPLE}; Base.run(`touch {m}`)"),
        format!("precompile(Tuple{{Base.Val{{Base.run(`touch {m}`)}}}})"),
    ];
    let o = t.run(&format!("{}\n{EXAMPLE}\n", hostile.join("\n")), &[]);
    assert!(o.status.success(), "{}", err(&o));
    let v = t.json(&["learn", "show", "--json"]);
    assert_eq!(
        (&v["statements"], &v["rejected"]),
        (&1.into(), &4.into()),
        "{v}"
    );
    let o = t.sysimg(&["learn", "show"], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).contains(
            "4 trace lines ignored: not a `precompile(Tuple{...})` signature (code is never learned)"
        ),
        "{}",
        out(&o)
    );
    let built = t.build();
    let learned = fs::read_to_string(
        t.store()
            .join(built["id"].as_str().unwrap())
            .join("learned.jl"),
    )
    .unwrap();
    assert!(!learned.contains("run"), "{learned}");
    assert!(learned.contains(EXAMPLE), "{learned}");
}

/// Issue 23 item 8: with learning on, a start reads no trace on its way to julia (it used to
/// merge every trace first: 5.6 s and 243 MB for a 62 MB one); the background build does, and
/// bounded. Measured by the bytes the process read before it became julia (`rchar` of
/// /proc/PID/io, which exec keeps), with a 1 GiB trace (sparse: no disk).
#[cfg(target_os = "linux")]
#[test]
fn a_start_reads_no_trace_on_its_way_to_julia() {
    let t = T::new("learn = true\non_stale = \"background\"\nlearn_rebuild_after = 1\n");
    t.build();
    let o = t.run(&format!("{EXAMPLE}\n"), &[]);
    assert!(o.status.success(), "{}", err(&o));
    let sessions = fs::read_dir(t.store().join("learn"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join("sessions");
    let huge = fs::File::create(sessions.join("99999999999999999999999-1.jl")).unwrap();
    huge.set_len(1 << 30).unwrap();
    drop(huge);
    let io = t.dir.join("io");
    let on_run = format!("cat /proc/$PPID/io > '{}'", io.display());
    let o = t.run("", &[("FAKE_JULIA_ON_RUN", &on_run)]);
    assert!(o.status.success(), "{}", err(&o));
    let text = fs::read_to_string(&io).unwrap();
    let rchar: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    eprintln!("the start read {rchar} bytes");
    assert!(rchar < 4 << 20, "the start read {rchar} bytes");
    // The background build learned the first session's statement (the huge one holds none).
    let outcome = background_outcome(&t);
    assert_eq!(outcome["status"], "built", "{outcome}");
    let v = t.json(&["learn", "show", "--json"]);
    assert_eq!((&v["held"], &v["new"]), (&1.into(), &0.into()), "{v}");
}

fn background_outcome(t: &T) -> serde_json::Value {
    let learn = t.store().join("learn");
    let start = Instant::now();
    loop {
        let found = fs::read_dir(&learn)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("background.json"))
            .find(|p| p.is_file());
        if let Some(p) = found {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&fs::read(&p).unwrap()) {
                return v;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no background build finished"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_stale_image_is_rebuilt_in_the_background_and_used_next_time() {
    let t = T::new("on_stale = \"background\"\n");
    // No image yet: julia starts at once with its default image, and a build starts.
    let o = t.sysimg(&["run"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("rebuilding it in the background"),
        "{}",
        err(&o)
    );
    assert!(
        !t.last_run_argv().iter().any(|a| a == "-J"),
        "{:?}",
        t.last_run_argv()
    );
    let outcome = background_outcome(&t);
    assert_eq!(outcome["status"], "built", "{outcome}");
    // The next start uses the new image.
    let o = t.sysimg(&["run"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        t.last_run_argv().iter().any(|a| a == "-J"),
        "{:?}",
        t.last_run_argv()
    );
    let v = t.json(&["status", "--json"]);
    assert_eq!(v["environments"][0]["fresh"], true, "{v}");
    assert_eq!(v["stale"], 0, "{v}");
}

#[test]
fn a_failed_background_build_is_reported_once_and_not_retried() {
    let t = T::new("on_stale = \"background\"\n");
    let fail = [("FAKE_JULIA_MODE", "fail")];
    let o = t.sysimg(&["run"], &fail);
    assert!(o.status.success(), "{}", err(&o));
    let outcome = background_outcome(&t);
    assert_eq!(outcome["status"], "failed", "{outcome}");
    // The log is the background build's own output, which names julia's log.
    let log = outcome["log"].as_str().unwrap().to_string();
    let text = fs::read_to_string(&log).unwrap();
    let julia_log = text
        .split_whitespace()
        .find(|w| w.contains("-failed.log"))
        .unwrap_or_else(|| panic!("{text}"));
    let julia_log = julia_log.trim_matches(|c: char| c == '(' || c == ')' || c == ',');
    assert!(
        fs::read_to_string(julia_log).unwrap().contains("boom"),
        "{text}"
    );
    // Reported at the next start, with its log; not retried on the same Manifest.
    let o = t.sysimg(&["run"], &fail);
    assert!(err(&o).contains("background build of image"), "{}", err(&o));
    assert!(err(&o).contains(&log), "{}", err(&o));
    assert!(err(&o).contains("not retried"), "{}", err(&o));
    let o = t.sysimg(&["run"], &fail);
    assert!(
        !err(&o).contains("background build of image"),
        "{}",
        err(&o)
    );
    let v = t.json(&["status", "--json"]);
    assert_eq!(v["environments"].as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn status_and_build_all_rebuild_exactly_the_stale_environments() {
    let a = T::new("");
    let b = T::new("");
    a.build();
    // Both environments in one store: b's store is a's.
    let store = a.store();
    let build_b = common::sysimg_cmd()
        .arg("-p")
        .arg(&b.dir)
        .args(["build", "--json"])
        .env("JULIA", &b.julia)
        .env("JULIA_DEPOT_PATH", b.dir.join("depot"))
        .env("SYSIMG_STORE", &store)
        .env("SYSIMG_HOST_CPU", HOST_CPU)
        .env("FAKE_JULIA_LOG", b.dir.join("julia-log"))
        .output()
        .unwrap();
    assert!(build_b.status.success(), "{}", err(&build_b));
    let v = a.json(&["status", "--json"]);
    assert_eq!(v["environments"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["stale"], 0, "{v}");
    // b's Manifest changes: it alone is stale, and build --all --if-stale rebuilds it alone.
    let manifest = b.dir.join("Manifest.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("version = \"0.5.3\""));
    fs::write(
        &manifest,
        text.replace("version = \"0.5.3\"", "version = \"0.5.4\""),
    )
    .unwrap();
    let o = a.sysimg(&["status"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("2 environments registered, 1 stale"),
        "{}",
        out(&o)
    );
    let builds = |t: &T| {
        fs::read_to_string(t.dir.join("julia-log/builds"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    let (a_before, b_before) = (builds(&a), builds(&b));
    let o = a.sysimg(
        &["build", "--all", "--if-stale"],
        &[("FAKE_JULIA_LOG", b.dir.join("julia-log").to_str().unwrap())],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(builds(&a), a_before);
    assert_eq!(builds(&b), b_before + 1);
    assert_eq!(a.json(&["status", "--json"])["stale"], 0);
    // Traces of an environment that is gone are collected.
    b.sysimg(
        &["run", "--learn"],
        &[("SYSIMG_STORE", store.to_str().unwrap())],
    );
    fs::remove_file(b.dir.join("Project.toml")).unwrap();
    let v = a.json(&["gc", "--dry-run", "--json"]);
    assert_eq!(v["traces"].as_array().unwrap().len(), 1, "{v}");
    let v = a.json(&["gc", "--json"]);
    assert_eq!(v["traces"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(fs::read_dir(store.join("learn")).unwrap().count(), 0);
}

/// `build --all` goes on past an environment that cannot be built, names it, and exits 1.
#[test]
fn build_all_names_the_environment_that_fails_and_builds_the_others() {
    let a = T::new("");
    let b = T::new("");
    a.build();
    let store = a.store();
    let o = b.sysimg(&["build"], &[("SYSIMG_STORE", store.to_str().unwrap())]);
    assert!(o.status.success(), "{}", err(&o));
    fs::write(b.dir.join("Manifest.toml"), "[[deps.Example]\n").unwrap();
    let manifest = a.dir.join("Manifest.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("version = \"0.5.3\"", "version = \"0.5.4\""),
    )
    .unwrap();
    let o = a.sysimg(&["build", "--all", "--if-stale"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let bad = b.dir.join("Project.toml").display().to_string();
    assert!(err(&o).contains(&format!("error: {bad}: ")), "{}", err(&o));
    assert!(err(&o).contains("Manifest.toml"), "{}", err(&o));
    // a was stale and is built regardless; b stays stale.
    let v = a.json(&["status", "--json"]);
    let fresh = |dir: &Path| {
        let project = dir.join("Project.toml").display().to_string();
        v["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["project"] == project.as_str())
            .unwrap_or_else(|| panic!("{project} not in {v}"))["fresh"]
            .clone()
    };
    assert_eq!(fresh(&a.dir), true, "{v}");
    assert_eq!(fresh(&b.dir), false, "{v}");
    // `--json`: one document naming every environment, the failed one with its error.
    let o = a.sysimg(&["build", "--all", "--if-stale", "--json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o))
        .unwrap_or_else(|e| panic!("one JSON document: {e}: {}", out(&o)));
    let envs = v["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2, "{v}");
    let of = |dir: &Path| {
        let project = dir.join("Project.toml").display().to_string();
        envs.iter()
            .find(|e| e["project"] == project.as_str())
            .unwrap_or_else(|| panic!("{project} not in {v}"))
    };
    assert_eq!(of(&a.dir)["outcome"], "reused", "{v}");
    assert!(
        of(&b.dir)["error"]
            .as_str()
            .unwrap()
            .contains("Manifest.toml"),
        "{v}"
    );
}

/// How many builds the fake julia ran for `t`.
fn builds_of(t: &T) -> usize {
    fs::read_to_string(t.dir.join("julia-log/builds"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// The `-J` image of the newest run of the fake julia (`None`: its default image).
fn last_image(t: &T) -> Option<String> {
    let argv = t.last_run_argv();
    let at = argv.iter().position(|a| a == "-J")?;
    argv.get(at + 1).cloned()
}

/// Issue 26, item 7: after a `Sysimage.toml` change, `status`, `check`, `run`, `julia-args`
/// and `build --if-stale` give one answer (stale, with the key that changed), and after the
/// build all say fresh.
#[test]
fn a_spec_change_makes_the_image_stale_for_every_command_alike() {
    let t = T::new("");
    let first = t.build()["id"].as_str().unwrap().to_string();
    assert_eq!(t.json(&["status", "--json"])["stale"], 0);
    let o = t.sysimg(&["run"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!err(&o).contains("sysimg:"), "{}", err(&o));
    // The spec gains a precompile file.
    fs::write(t.dir.join("script.jl"), "using Example\n").unwrap();
    fs::write(
        t.dir.join("Sysimage.toml"),
        "precompile_execution_files = [\"script.jl\"]\n",
    )
    .unwrap();
    let o = t.sysimg(&["status"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("stale"), "{}", out(&o));
    assert!(
        out(&o).contains("precompile_execution_files"),
        "{}",
        out(&o)
    );
    let v = t.json(&["status", "--json"]);
    assert_eq!(
        (v["stale"].clone(), v["environments"][0]["fresh"].clone()),
        (1.into(), false.into()),
        "{v}"
    );
    let v = t.json(&["check", "--json"]);
    assert_eq!(v["ok"], false, "{v}");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"inputs-changed"), "{v}");
    // `run` starts the old image, which still fits, and says it is out of date, in lines
    // under 100 characters.
    let o = t.sysimg(&["run"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("image {first} is out of date")),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("`sysimg build`"), "{}", err(&o));
    assert!(
        err(&o).lines().all(|l| l.chars().count() <= 100),
        "{}",
        err(&o)
    );
    assert!(last_image(&t).is_some_and(|i| i.contains(&first)));
    let v = t.json(&["julia-args", "--json"]);
    assert_eq!(v["id"], first.as_str(), "{v}");
    // `--on-stale fail` refuses, as for any stale image.
    let o = t.sysimg(&["run", "--on-stale", "fail"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    // Following the advice: `build --if-stale` builds, and every command says fresh.
    let before = builds_of(&t);
    let o = t.sysimg(&["build", "--if-stale"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(builds_of(&t), before + 1);
    let second = t.json(&["julia-args", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first);
    assert_eq!(t.json(&["status", "--json"])["stale"], 0);
    assert_eq!(t.json(&["check", "--json"])["ok"], true);
    let o = t.sysimg(&["run"], &[]);
    assert!(!err(&o).contains("sysimg:"), "{}", err(&o));
    assert!(last_image(&t).is_some_and(|i| i.contains(&second)));
    // The precompile file's contents count too.
    fs::write(
        t.dir.join("script.jl"),
        "using Example; Example.hello(\"x\")\n",
    )
    .unwrap();
    let v = t.json(&["status", "--json"]);
    assert_eq!(v["stale"], 1, "{v}");
    let o = t.sysimg(&["build", "--all", "--if-stale"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(builds_of(&t), before + 2);
    // `build --all` names each environment, also when its image is fresh.
    let o = t.sysimg(&["build", "--all", "--if-stale"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(builds_of(&t), before + 2);
    let project = t.dir.join("Project.toml").display().to_string();
    assert!(out(&o).contains(&format!("{project}:")), "{}", out(&o));
    assert!(out(&o).contains("is up to date"), "{}", out(&o));
    assert_eq!(t.json(&["status", "--json"])["stale"], 0);
}

/// Issue 26, item 8: a Manifest back in a state built before (a git branch switched back)
/// finds that image by its content id: `run`, `check` and `status` say fresh without a build,
/// and the environment is registered to it again.
#[test]
fn a_manifest_back_in_a_state_built_before_finds_its_image() {
    let t = T::new("");
    let first = t.build()["id"].as_str().unwrap().to_string();
    let manifest = t.dir.join("Manifest.toml");
    let original = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        original.replace("version = \"0.5.3\"", "version = \"0.5.4\""),
    )
    .unwrap();
    let second = t.build()["id"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    fs::write(&manifest, &original).unwrap();
    let before = builds_of(&t);
    let o = t.sysimg(&["run"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!err(&o).contains("sysimg:"), "{}", err(&o));
    assert!(
        last_image(&t).is_some_and(|i| i.contains(&first)),
        "{:?}",
        t.last_run_argv()
    );
    assert_eq!(t.json(&["check", "--json"])["ok"], true);
    let v = t.json(&["status", "--json"]);
    assert_eq!(v["stale"], 0, "{v}");
    assert_eq!(v["environments"][0]["image"], first.as_str(), "{v}");
    assert_eq!(builds_of(&t), before);
    let v = t.json(&["ls", "--json"]);
    let project = t.dir.join("Project.toml").display().to_string();
    let used: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["used_by"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == project.as_str())
        })
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(used, [first.as_str()], "{v}");
}

/// Issue 26, item 9: `rm` of an image a registered environment uses names it and refuses;
/// the command it prints removes it.
#[test]
fn rm_refuses_an_image_in_use_and_says_how_to_force_it() {
    let t = T::new("");
    let id = t.build()["id"].as_str().unwrap().to_string();
    let o = t.sysimg(&["rm", &id], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let project = t.dir.join("Project.toml").display().to_string();
    assert!(err(&o).contains(&project), "{}", err(&o));
    let advice = format!("sysimg rm --force {id}");
    assert!(err(&o).contains(&format!("`{advice}`")), "{}", err(&o));
    assert!(t.store().join(&id).is_dir());
    let words: Vec<&str> = advice.split(' ').skip(1).collect();
    let o = t.sysimg(&words, &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!t.store().join(&id).exists());
}

/// Issue 26, item 10: a build not on a terminal prints one line per phase with the time
/// elapsed, on stderr.
#[test]
fn a_piped_build_prints_its_phases_with_the_time_elapsed() {
    let t = T::new("");
    let o = t.sysimg(&["build"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let stderr = err(&o);
    let phases: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with('[') && l.contains("s] "))
        .collect();
    assert!(phases.len() >= 2, "{stderr}");
    for l in &phases {
        let secs = l[1..l.find("s] ").unwrap()].parse::<f64>();
        assert!(secs.is_ok(), "{l}");
    }
}

/// Julia 1.5.3's `--trace-compile` can crash julia (PackageCompiler.jl#466; the realistic
/// world's workload segfaults traced on 1.5.3): learning that nobody asked for is off there,
/// so a session is never put at risk; `learn = true` (or `SYSIMG_LEARN=1`) still traces.
#[test]
fn learning_by_default_never_traces_a_julia_whose_trace_can_crash() {
    let traced = |t: &T, extra: &[(&str, &str)]| {
        let mut env = vec![("FAKE_JULIA_VERSION", "1.5.3")];
        env.extend_from_slice(extra);
        let o = t.sysimg(&["run"], &env);
        assert!(o.status.success(), "{}", err(&o));
        let argv = t.last_run_argv();
        (
            argv.iter().any(|a| a.starts_with("--trace-compile=")),
            err(&o),
        )
    };
    let t = T::new("");
    fs::remove_file(t.dir.join("Sysimage.toml")).unwrap();
    let (on, said) = traced(&t, &[]);
    assert!(!on, "a 1.5.3 session traced by default");
    assert!(!said.contains("learning from this session"), "{said}");
    assert!(traced(&t, &[("SYSIMG_LEARN", "1")]).0);
    // On 1.5.4 the default traces again (another julia: a probe is remembered per binary).
    let fixed = T::new("");
    fs::remove_file(fixed.dir.join("Sysimage.toml")).unwrap();
    let o = fixed.sysimg(&["run"], &[("FAKE_JULIA_VERSION", "1.5.4")]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(fixed
        .last_run_argv()
        .iter()
        .any(|a| a.starts_with("--trace-compile=")));
    let asked = T::new("learn = true\n");
    assert!(traced(&asked, &[]).0, "learn = true must trace on 1.5.3");
}
