//! Builds against a fake julia: the command line and environment julia receives, the generated
//! workspace, success, failure, interruption, concurrent builds, hostile names, and gc.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use julia_env::environment::Environment;
use sysimg::build::{build, BuildError, BuildEvent, BuildOutcome, BuildRequest};
use sysimg::julia::{probe, JuliaCommand, JuliaInfo};
use sysimg::model::plan::make_plan;
use sysimg::model::spec::{ImageSpec, Policy};
use sysimg::store::Store;

/// Tests that set `FAKE_JULIA_*` variables run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

struct World {
    _t: tempfile::TempDir,
    root: PathBuf,
    log: PathBuf,
    julia: JuliaInfo,
    store: Store,
    vars: sysimg::vars::Vars,
}

fn world(package_names: &[&str], store_dir_name: &str) -> World {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let log = root.join("julia-log");
    std::env::set_var("FAKE_JULIA_LOG", &log);
    std::env::remove_var("FAKE_JULIA_MODE");
    let julia_path = common::fake_julia(&root);
    let env_dir = root.join("env");
    fs::create_dir_all(&env_dir).unwrap();
    let mut project = String::from("[deps]\n");
    let mut manifest = String::from("julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n");
    for (i, name) in package_names.iter().enumerate() {
        let key = format!(
            "\"{}\"",
            name.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        );
        let uuid = format!("00000000-0000-0000-0000-{:012x}", i + 1);
        project.push_str(&format!("{key} = \"{uuid}\"\n"));
        manifest.push_str(&format!(
            "[[deps.{key}]]\ngit-tree-sha1 = \"{}\"\nuuid = \"{uuid}\"\nversion = \"1.0.{i}\"\n\n",
            "ab".repeat(20)
        ));
    }
    fs::write(env_dir.join("Project.toml"), project).unwrap();
    fs::write(env_dir.join("Manifest.toml"), manifest).unwrap();
    fs::write(env_dir.join("precompile.jl"), "using Example\n").unwrap();
    let store = Store::at(root.join(store_dir_name));
    let julia = probe(
        &JuliaCommand::binary(julia_path),
        Some(&store.bucket(sysimg::store::Bucket::Cache)),
    )
    .unwrap();
    World {
        _t: t,
        root,
        log,
        julia,
        store,
        vars: sysimg::vars::Vars::default(),
    }
}

/// A request to build `env` with the world's julia and store.
fn request<'a>(
    w: &'a World,
    env: &'a Environment,
    spec: &'a ImageSpec,
    plan: &'a sysimg::model::plan::Plan,
) -> BuildRequest<'a> {
    BuildRequest {
        env,
        spec,
        plan,
        julia: &w.julia,
        store: &w.store,
        force: false,
        vars: &w.vars,
    }
}

fn spec() -> ImageSpec {
    ImageSpec {
        policy: Policy::App,
        precompile_execution_files: vec!["precompile.jl".into()],
        ..ImageSpec::new()
    }
}

fn run(
    w: &World,
    cancel: &AtomicBool,
    events: &mut Vec<BuildEvent>,
) -> Result<BuildOutcome, BuildError> {
    let env = Environment::load(&w.root.join("env/Project.toml"), None).unwrap();
    let spec = spec();
    let plan = make_plan(&env, &spec).unwrap();
    let req = request(w, &env, &spec, &plan);
    build(&req, cancel, &mut |e| events.push(e))
}

/// The copy of the build workspace the fake julia kept (the real one is deleted).
fn workspace_copy(w: &World) -> PathBuf {
    fs::read_dir(&w.log)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("workspace-"))
        .unwrap()
        .path()
}

fn count_lines(p: &Path) -> usize {
    fs::read_to_string(p)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn calls(log: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(log)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    out.sort();
    out
}

fn leftovers(store: &Store) -> Vec<String> {
    fs::read_dir(store.bucket(sysimg::store::Bucket::Images))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-") || n.starts_with(".trash-"))
        .collect()
}

#[test]
fn a_build_runs_julia_as_documented_and_fills_the_store() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example", "CSV"], "store");
    // The probe ran once and was cached: probing again runs no julia.
    probe(
        &w.julia.command(),
        Some(&w.store.bucket(sysimg::store::Bucket::Cache)),
    )
    .unwrap();
    assert_eq!(count_lines(&w.log.join("probes")), 1);
    assert_eq!(w.julia.version.to_string(), "1.11.2");
    assert_eq!(w.julia.cpu_features.len(), 9);
    assert!(w.julia.cpu_features.contains(&"avx2".to_string()));
    let mut events = Vec::new();
    // The caller's project and load path must not reach the build.
    std::env::set_var("JULIA_PROJECT", w.root.join("elsewhere"));
    std::env::set_var("JULIA_LOAD_PATH", w.root.join("elsewhere"));
    let outcome = run(&w, &AtomicBool::new(false), &mut events);
    std::env::remove_var("JULIA_PROJECT");
    std::env::remove_var("JULIA_LOAD_PATH");
    let BuildOutcome::Built(record) = outcome.unwrap() else {
        panic!("expected a new build")
    };
    let phases: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            BuildEvent::Phase(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        phases,
        [
            "tools",
            "instantiating",
            "precompiling",
            "compiling",
            "system image",
            "done"
        ]
    );
    // The command line and environment julia received.
    let argv = calls(&w.log, "argv");
    let build_argv: Vec<&String> = argv.iter().filter(|a| a.ends_with("build.jl\n")).collect();
    assert_eq!(build_argv.len(), 1);
    let lines: Vec<&str> = build_argv[0].lines().collect();
    assert_eq!(&lines[..2], ["--startup-file=no", "--history-file=no"]);
    assert!(lines[2].ends_with("/workspace/build.jl"), "{lines:?}");
    let envs = calls(&w.log, "env");
    let with_output: Vec<&String> = envs
        .iter()
        .filter(|e| e.contains("SYSIMG_BUILD_OUTPUT="))
        .collect();
    assert_eq!(
        with_output.len(),
        1,
        "only the build sees SYSIMG_BUILD_OUTPUT: {envs:?}"
    );
    // The store holds the whole image.
    let dir = w.store.image_dir(&record.id);
    assert!(
        dir.join("sys.so").is_file()
            && dir.join("image.toml").is_file()
            && dir.join("build.log").is_file()
    );
    assert_eq!(w.store.verify(&record.id).unwrap(), None);
    let log = fs::read_to_string(dir.join("build.log")).unwrap();
    let compiling = "PackageCompiler: compiling incremental system image";
    assert!(log.contains(compiling));
    // The tools step ran first, into the same log, and its PackageCompiler is recorded.
    assert!(log.find("[sysimg] packagecompiler: 2.2.1") < log.find(compiling));
    assert_eq!(record.build.packagecompiler.as_deref(), Some("2.2.1"));
    assert!(fs::read_to_string(dir.join("image.toml"))
        .unwrap()
        .contains("packagecompiler = \"2.2.1\""));
    // Both julia runs are isolated from the caller's project and load path.
    let build_envs = calls(&w.log, "buildenv");
    assert_eq!(build_envs.len(), 2, "the tools step and the build");
    for env in build_envs {
        assert!(!env.contains("JULIA_PROJECT="), "{env}");
        assert!(env.contains("\nJULIA_LOAD_PATH=@:@stdlib\n"), "{env}");
        assert!(env.contains("\nJULIA_PKG_PRECOMPILE_AUTO=0\n"), "{env}");
    }
    assert!(leftovers(&w.store).is_empty());
    assert_eq!(
        w.store
            .registered(&w.root.join("env/Project.toml"))
            .unwrap()
            .image,
        record.id
    );
    // The workspace julia saw: generated Julia parses, the environment was copied.
    let ws = workspace_copy(&w);
    let build_jl = fs::read_to_string(ws.join("build.jl")).unwrap();
    common::assert_clean_julia(&build_jl);
    assert!(
        build_jl.contains("[\"CSV\", \"Example\"]") || build_jl.contains("[\"Example\", \"CSV\"]"),
        "{build_jl}"
    );
    assert!(build_jl.contains("precompile.jl"));
    common::assert_clean_julia(&fs::read_to_string(ws.join("sysimage_data.jl")).unwrap());
    assert!(ws.join("environment/Manifest.toml").is_file());
    // A second build of the same inputs reuses the image without running julia.
    let again = run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap();
    assert!(matches!(again, BuildOutcome::Reused(ref r) if r.id == record.id));
    assert_eq!(count_lines(&w.log.join("builds")), 1);
    // A tampered image fails verification.
    fs::write(dir.join("sys.so"), "tampered").unwrap();
    assert!(w
        .store
        .verify(&record.id)
        .unwrap()
        .unwrap()
        .contains("the record says"));
}

#[test]
fn a_failing_julia_leaves_no_image_and_keeps_the_log() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    for mode in ["fail", "noimage"] {
        std::env::set_var("FAKE_JULIA_MODE", mode);
        let err = run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap_err();
        let log = match &err {
            BuildError::Julia { log, .. } | BuildError::NoImage { log } => log.clone(),
            other => panic!("{mode}: unexpected {other}"),
        };
        assert!(
            err.to_string().contains(&log.display().to_string()),
            "the error says where the log is: {err}"
        );
        if mode == "fail" {
            assert!(fs::read_to_string(&log).unwrap().contains("boom"));
        }
        assert!(w.store.list().is_empty(), "{mode}: no image");
        assert!(
            leftovers(&w.store).is_empty(),
            "{mode}: no temporary directory left"
        );
    }
}

#[test]
fn an_interrupted_build_stops_julia_and_its_children() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    std::env::set_var("FAKE_JULIA_MODE", "hang");
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            // Interrupt once julia is compiling (its child exists by then).
            for _ in 0..200 {
                if w.log.join("child.pid").is_file() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            cancel.store(true, Ordering::SeqCst);
        });
        run(&w, &cancel, &mut events).unwrap_err()
    });
    assert!(matches!(err, BuildError::Cancelled), "{err}");
    assert!(w.store.list().is_empty());
    assert!(leftovers(&w.store).is_empty());
    let pid: i32 = fs::read_to_string(w.log.join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: signal 0 only checks whether the process exists. A killed child whose parent
    // died stays a zombie until init reaps it; that counts as stopped.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')));
    let alive = exists && !zombie;
    assert!(
        !alive,
        "julia's child process {pid} survived the interruption"
    );
}

#[test]
fn concurrent_builds_of_one_image_build_once() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    std::env::set_var("FAKE_JULIA_MODE", "slow");
    let outcomes: Vec<BuildOutcome> = std::thread::scope(|s| {
        let a = s.spawn(|| run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap());
        let b = s.spawn(|| run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap());
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    assert_eq!(count_lines(&w.log.join("builds")), 1, "julia built once");
    assert_eq!(outcomes[0].record().id, outcomes[1].record().id);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, BuildOutcome::Built(_)))
            .count(),
        1
    );
}

#[test]
fn hostile_names_and_paths_do_not_change_the_generated_code() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let names = [
        "Quote\"d",
        "Dollar$(run(`id`))",
        "Back\\slash",
        "New\nline",
        "Plain",
    ];
    let w = world(&names, "st\"o$(re)\\x");
    let outcome = run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap();
    let ws = workspace_copy(&w);
    let build_jl = fs::read_to_string(ws.join("build.jl")).unwrap();
    common::assert_clean_julia(&build_jl);
    let data = fs::read_to_string(ws.join("sysimage_data.jl")).unwrap();
    common::assert_clean_julia(&data);
    assert!(data.contains("Dollar\\$(run(`id`))"), "{data}");
    assert!(build_jl.contains("st\\\"o\\$(re)\\\\x"), "{build_jl}");
    assert_eq!(outcome.record().packages.len(), names.len());
}

/// A world of `Example` with its image built: the world and the image id.
fn built_example() -> (World, String) {
    let w = world(&["Example"], "store");
    let id = run(&w, &AtomicBool::new(false), &mut Vec::new())
        .unwrap()
        .record()
        .id
        .clone();
    (w, id)
}

/// The files in a store's `locks/`, sorted.
fn lock_files(store: &Store) -> Vec<String> {
    let locks = store.bucket(sysimg::store::Bucket::Locks);
    let mut names: Vec<String> = fs::read_dir(locks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn gc_never_removes_an_image_in_use() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (w, id) = built_example();
    let lock_files = || lock_files(&w.store);
    let entry_locks = || {
        lock_files()
            .iter()
            .filter(|n| n.starts_with("env-"))
            .count()
    };
    // Registered by its environment: kept, with its locks.
    let d = w.store.gc(Duration::ZERO, false).unwrap();
    assert!(d.iter().all(|x| !x.remove), "{d:?}");
    assert_eq!(entry_locks(), 1, "{:?}", lock_files());
    // Unregistered (project gone) but running: kept; the environment's entry lock goes.
    fs::remove_file(w.root.join("env/Project.toml")).unwrap();
    let running = w.store.lock_shared(&id).unwrap();
    let d = w.store.gc(Duration::ZERO, false).unwrap();
    assert_eq!(d[0].reason, "in use (running or being built)");
    assert!(
        d.iter()
            .any(|x| x.reason == "the lock of an environment's index entry that is gone"),
        "{d:?}"
    );
    assert_eq!(entry_locks(), 0, "{:?}", lock_files());
    assert!(w.store.lookup(&id).is_some());
    drop(running);
    // Too young to collect with --keep-days.
    let d = w.store.gc(Duration::from_secs(86_400), false).unwrap();
    assert!(!d[0].remove);
    // Unused: a dry run says so and keeps it (and its lock); a real run removes both.
    assert!(
        lock_files().contains(&format!("{id}.lock")),
        "{:?}",
        lock_files()
    );
    let d = w.store.gc(Duration::ZERO, true).unwrap();
    assert!(d[0].remove);
    let image_lock = format!("locks/{id}.lock");
    assert!(d.iter().any(|x| x.id == image_lock && x.remove), "{d:?}");
    assert!(w.store.lookup(&id).is_some());
    assert!(lock_files().contains(&format!("{id}.lock")));
    let d = w.store.gc(Duration::ZERO, false).unwrap();
    assert!(w.store.lookup(&id).is_none());
    assert!(!w.store.image_dir(&id).exists());
    assert!(
        d.iter()
            .any(|x| x.id == image_lock && x.reason == "the lock of an image that is gone"),
        "{d:?}"
    );
    let left: Vec<String> = lock_files()
        .into_iter()
        .filter(|n| !n.starts_with("tools-"))
        .collect();
    assert!(left.is_empty(), "gc left {left:?}");
    // A removed lock file is made again by the next lock.
    drop(w.store.lock_exclusive(&id).unwrap());
    assert!(lock_files().contains(&format!("{id}.lock")));
}

#[test]
fn dev_images_side_load_internal_packages_under_derived_uuids() {
    use julia_env::depot::version_slug;
    use julia_env::ids::{TreeHash, Uuid};
    use julia_env::manifest::Manifest;
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Unused"], "store");
    let depot = w.root.join("depot");
    std::env::set_var("FAKE_JULIA_DEPOT", &depot);
    let julia = probe(&w.julia.command(), None).unwrap();
    assert_eq!(julia.depot_path, [depot.display().to_string()]);
    let df: Uuid = "a93c6f00-e57d-5684-b7b6-d8193f3e46c0".parse().unwrap();
    let tables: Uuid = "bd369af6-aec1-5ad0-b16a-f7cc5008161c".parse().unwrap();
    let tree = TreeHash::parse(&"ab".repeat(20)).unwrap();
    for (name, uuid, deps) in [
        ("DataFrames", df, format!("[deps]\nTables = \"{tables}\"\n")),
        ("Tables", tables, String::new()),
    ] {
        let src = depot
            .join("packages")
            .join(name)
            .join(version_slug(&uuid, &tree, 5));
        fs::create_dir_all(src.join("src")).unwrap();
        fs::write(
            src.join("Project.toml"),
            format!("name = \"{name}\"\nuuid = \"{uuid}\"\nversion = \"1.0.0\"\n\n{deps}"),
        )
        .unwrap();
        fs::write(
            src.join(format!("src/{name}.jl")),
            format!("module {name} end\n"),
        )
        .unwrap();
    }
    let env_dir = w.root.join("dev-env");
    fs::create_dir_all(&env_dir).unwrap();
    fs::write(
        env_dir.join("Project.toml"),
        format!("[deps]\nDataFrames = \"{df}\"\n"),
    )
    .unwrap();
    fs::write(
        env_dir.join("Manifest.toml"),
        format!(
            "julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n[[deps.DataFrames]]\ndeps = [\"Tables\"]\ngit-tree-sha1 = \"{tree}\"\nuuid = \"{df}\"\nversion = \"1.0.0\"\n\n[[deps.Tables]]\ngit-tree-sha1 = \"{tree}\"\nuuid = \"{tables}\"\nversion = \"1.0.0\"\n"
        ),
    )
    .unwrap();
    let env = Environment::load(&env_dir.join("Project.toml"), None).unwrap();
    let spec = ImageSpec {
        policy: Policy::Dev,
        public: vec!["DataFrames".into()],
        sideload: true,
        ..ImageSpec::new()
    };
    let plan = make_plan(&env, &spec).unwrap();
    let derived = plan
        .by_name("Tables")
        .next()
        .unwrap()
        .sideload_uuid
        .unwrap();
    let req = BuildRequest {
        env: &env,
        spec: &spec,
        plan: &plan,
        julia: &julia,
        store: &w.store,
        force: false,
        vars: &w.vars,
    };
    let outcome = build(&req, &AtomicBool::new(false), &mut |_| {});
    std::env::remove_var("FAKE_JULIA_DEPOT");
    let record = outcome.unwrap().record().clone();
    assert_eq!(
        record.package(&tables).unwrap().sideload_uuid,
        Some(derived)
    );
    // The workspace julia saw: Tables under its derived UUID, tracked at a rewritten copy.
    let ws = workspace_copy(&w);
    let m = Manifest::read(&ws.join("environment/Manifest.toml")).unwrap_or_else(|e| panic!("{e}"));
    let t = m.by_name("Tables").next().unwrap();
    assert_eq!(t.uuid, derived);
    assert!(t.tree_hash.is_none());
    // The copies live in the store beside the image, where the image finds them after the
    // build (`pathof`, `@__DIR__`), not in the deleted workspace.
    let sideloaded = w.store.sideload_dir(&record.id);
    let in_ws = |p: &str| {
        let p = Path::new(p);
        assert!(
            p.starts_with(&sideloaded),
            "{} is not in {}",
            p.display(),
            sideloaded.display()
        );
        p.to_path_buf()
    };
    let copied_project =
        fs::read_to_string(in_ws(t.path.as_deref().unwrap()).join("Project.toml")).unwrap();
    assert!(
        copied_project.contains(&format!("uuid = \"{derived}\"")),
        "{copied_project}"
    );
    let d = m.by_name("DataFrames").next().unwrap();
    assert_eq!(d.uuid, df, "public packages keep their UUID");
    let df_copy =
        fs::read_to_string(in_ws(d.path.as_deref().unwrap()).join("Project.toml")).unwrap();
    assert!(
        df_copy.contains(&format!("Tables = \"{derived}\"")),
        "{df_copy}"
    );
    assert_eq!(d.deps[0].uuid, Some(derived));
    assert!(m.problems().is_empty());
    // Without the sources in a depot, side-loading is a clear error.
    let bare = JuliaInfo {
        depot_path: vec![w.root.join("empty-depot").display().to_string()],
        ..julia.clone()
    };
    let req = BuildRequest {
        julia: &bare,
        force: true,
        ..req
    };
    let err = build(&req, &AtomicBool::new(false), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("cannot side-load `"), "{err}");
    // A build that did not land leaves no side-loaded sources behind.
    assert!(!sideloaded.exists());
}

#[test]
fn preference_files_go_into_the_build_and_the_image_id() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    let env = Environment::load(&w.root.join("env/Project.toml"), None).unwrap();
    let spec = spec();
    let plan = make_plan(&env, &spec).unwrap();
    let req = request(&w, &env, &spec, &plan);
    let without = sysimg::build::planned_record(&req).unwrap().id;
    let prefs = w.root.join("env/LocalPreferences.toml");
    fs::write(&prefs, "[Example]\nmode = \"fast\"\n").unwrap();
    let with = sysimg::build::planned_record(&req).unwrap();
    assert_ne!(with.id, without, "a preference file is a build input");
    assert_eq!(with.build.preferences[0].path, "LocalPreferences.toml");
    fs::write(&prefs, "[Example]\nmode = \"slow\"\n").unwrap();
    let changed = sysimg::build::planned_record(&req).unwrap().id;
    assert_ne!(changed, with.id, "so is its content");
    // The build's environment holds the file beside its Project.toml.
    let record = build(&req, &AtomicBool::new(false), &mut |_| {})
        .unwrap()
        .record()
        .clone();
    assert_eq!(record.id, changed);
    let ws = workspace_copy(&w);
    assert_eq!(
        fs::read_to_string(ws.join("environment/LocalPreferences.toml")).unwrap(),
        "[Example]\nmode = \"slow\"\n"
    );
}

#[test]
fn a_julia_older_than_1_5_is_refused_by_name() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t = tempfile::tempdir().unwrap();
    std::env::set_var("FAKE_JULIA_LOG", t.path().join("log"));
    std::env::set_var("FAKE_JULIA_VERSION", "1.4.2");
    let julia = common::fake_julia(t.path());
    let result = probe(&JuliaCommand::binary(julia), None);
    std::env::remove_var("FAKE_JULIA_VERSION");
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("julia 1.4.2 is too old") && err.contains("1.5 and newer"),
        "{err}"
    );
    // A "julia" that reports no version is no julia.
    let other = t.path().join("other");
    fs::create_dir_all(&other).unwrap();
    std::env::set_var("FAKE_JULIA_VERSION", "banana");
    let result = probe(&JuliaCommand::binary(common::fake_julia(&other)), None);
    std::env::remove_var("FAKE_JULIA_VERSION");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("`banana`, which is no Julia version"), "{err}");
}

#[test]
fn packagecompiler_that_cannot_be_installed_stops_the_build_with_the_way_out() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    std::env::set_var("FAKE_JULIA_PC", "unavailable");
    let result = run(&w, &AtomicBool::new(false), &mut Vec::new());
    std::env::remove_var("FAKE_JULIA_PC");
    let err = result.unwrap_err();
    assert!(matches!(err, BuildError::PackageCompilerUnavailable { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("could not download PackageCompiler")
            && msg.contains("SYSIMG_PACKAGECOMPILER")
            && msg.contains("JULIA_PKG_SERVER"),
        "{msg}"
    );
    // julia never got to build.jl, and the store holds no image.
    assert_eq!(count_lines(&w.log.join("builds")), 0);
    assert!(leftovers(&w.store).is_empty());
}

#[test]
fn a_packagecompiler_setting_is_a_version_or_a_checkout() {
    use sysimg::julia::tools::PackageCompilerSource;
    let t = tempfile::tempdir().unwrap();
    assert_eq!(
        PackageCompilerSource::parse("1.4.1", t.path()).unwrap(),
        PackageCompilerSource::Version("1.4.1".into())
    );
    let checkout = t.path().join("PackageCompiler.jl");
    fs::create_dir_all(&checkout).unwrap();
    fs::write(
        checkout.join("Project.toml"),
        "name = \"PackageCompiler\"\n",
    )
    .unwrap();
    assert_eq!(
        PackageCompilerSource::parse("./PackageCompiler.jl", t.path()).unwrap(),
        PackageCompilerSource::Path(checkout)
    );
    let err = PackageCompilerSource::parse("./nothing-here", t.path()).unwrap_err();
    assert!(err.to_string().contains("no Project.toml"), "{err}");
    let err = PackageCompilerSource::parse("latest", t.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains("neither a PackageCompiler version"),
        "{err}"
    );
}

#[test]
fn builds_that_can_only_make_a_useless_image_are_refused_before_julia_runs() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    let env = Environment::load(&w.root.join("env/Project.toml"), None).unwrap();
    let attempt = |spec: ImageSpec| -> String {
        let plan = make_plan(&env, &spec).unwrap();
        let req = request(&w, &env, &spec, &plan);
        match build(&req, &AtomicBool::new(false), &mut |_| {}) {
            Err(e @ BuildError::Refused(_)) => e.to_string(),
            other => panic!("not refused: {:?}", other.map(|o| o.record().id.clone())),
        }
    };
    let err = attempt(ImageSpec {
        filter_stdlibs: true,
        ..spec()
    });
    assert!(
        err.contains("`filter_stdlibs = true` needs `incremental = false`"),
        "{err}"
    );
    for target in ["haswell,base(5)", "haswell;;", ""] {
        let err = attempt(ImageSpec {
            cpu_target: Some(target.into()),
            ..spec()
        });
        assert!(
            err.contains(&format!("cpu_target `{target}` is invalid")),
            "{err}"
        );
    }
    // A CPU name the julia (the fake: 1.11.2) does not know is a warning: Julia records no
    // features for it. `znver5` comes with 1.12 (v1.12.0 src/processor_x86.cpp
    // {"znver5", ...}); `+avx512fp16` is a 1.11 feature, `+sha512` a 1.12 one
    // (features_x86.h), which 1.11 hands to LLVM unchecked.
    let spec_unknown = ImageSpec {
        cpu_target: Some("notacpu;znver5;haswell,+avx512fp16,+sha512".into()),
        ..spec()
    };
    let plan = make_plan(&env, &spec_unknown).unwrap();
    let req = request(&w, &env, &spec_unknown, &plan);
    assert!(sysimg::build::refusals(&req).is_empty());
    assert_eq!(
        sysimg::build::warnings(&req),
        [
            "cpu_target names `notacpu`, a CPU Julia 1.11.2 does not know: Julia records no CPU \
             features for that target, so nothing checks that a CPU can run it (check the \
             spelling)",
            "cpu_target names `znver5`, a CPU Julia 1.11.2 does not know (Julia 1.12.0 and later \
             do): Julia records no CPU features for that target, so nothing checks that a CPU \
             can run it (check the spelling)",
            "cpu_target gives `haswell` +sha512, which Julia 1.11.2 does not know as features: \
             it passes them to LLVM unchecked"
        ]
    );
    let newer = JuliaInfo {
        version: julia_env::version::VersionNumber::parse("1.12.0").unwrap(),
        ..w.julia.clone()
    };
    let req = BuildRequest {
        julia: &newer,
        ..request(&w, &env, &spec_unknown, &plan)
    };
    let w12 = sysimg::build::warnings(&req);
    let cpu: Vec<&String> = w12.iter().filter(|w| w.starts_with("cpu_target")).collect();
    assert_eq!(cpu.len(), 1, "only notacpu: {w12:?}");
    assert!(cpu[0].contains("`notacpu`, a CPU Julia 1.12.0 does not know"));
    // Julia 1.13's `sysimage` keyword is the default sysimage's target (JuliaLang/julia
    // src/processor.cpp at the 1.13 branch point abd8457ca8, parse_cmdline, julia#58970; the
    // probe reads it with `Sys.sysimage_target()`): the build and its record get the
    // expansion; before 1.13 it is an unknown CPU name.
    let stored = "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)";
    let v1_13 = JuliaInfo {
        version: julia_env::version::VersionNumber::parse("1.13.0").unwrap(),
        sysimage_target: stored.into(),
        ..w.julia.clone()
    };
    let spec_keyword = ImageSpec {
        cpu_target: Some("sysimage;znver4,clone_all".into()),
        ..spec()
    };
    let plan = make_plan(&env, &spec_keyword).unwrap();
    let req = BuildRequest {
        julia: &v1_13,
        ..request(&w, &env, &spec_keyword, &plan)
    };
    assert!(sysimg::build::warnings(&req)
        .iter()
        .all(|w| !w.contains("sysimage")));
    let record = sysimg::build::planned_record(&req).unwrap();
    assert_eq!(record.cpu_target, format!("{stored};znver4,clone_all"));
    // Official 1.13 binaries store `...;x86-64-v4,-rdrnd,base(1)` (JuliaCI/julia-buildkite
    // utilities/build_envs.sh): an x86-64 level LLVM knows, which Julia wrote itself, is no
    // typo to warn about.
    let official = JuliaInfo {
        sysimage_target: format!("{stored};x86-64-v4,-rdrnd,base(1)"),
        ..v1_13.clone()
    };
    let req = BuildRequest {
        julia: &official,
        ..request(&w, &env, &spec_keyword, &plan)
    };
    let warned = sysimg::build::warnings(&req);
    assert!(
        warned.iter().all(|w| !w.contains("x86-64-v4")),
        "{warned:?}"
    );
    let req = request(&w, &env, &spec_keyword, &plan);
    assert!(sysimg::build::warnings(&req)[0]
        .starts_with("cpu_target names `sysimage`, a CPU Julia 1.11.2 does not know"));
    assert_eq!(
        sysimg::build::planned_record(&req).unwrap().cpu_target,
        "sysimage;znver4,clone_all"
    );
    let err = attempt(ImageSpec {
        exclude: vec!["Example".into()],
        ..spec()
    });
    assert!(err.contains("the plan bakes no package"), "{err}");
    // A stale environment: the project names a dependency the manifest lacks.
    let project = w.root.join("env/Project.toml");
    let text = fs::read_to_string(&project).unwrap();
    fs::write(
        &project,
        format!("{text}Missing = \"00000000-0000-0000-0000-0000000000ff\"\n"),
    )
    .unwrap();
    let stale = Environment::load(&project, None).unwrap();
    let spec = spec();
    let plan = make_plan(&stale, &spec).unwrap();
    let req = request(&w, &stale, &spec, &plan);
    let err = build(&req, &AtomicBool::new(false), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the environment has") && err.contains("`sysimg env check`"),
        "{err}"
    );
    // julia never ran a tools step or a build.
    assert_eq!(count_lines(&w.log.join("tools")), 0);
    assert_eq!(count_lines(&w.log.join("builds")), 0);
}

#[test]
fn the_copied_environment_keeps_its_paths_and_its_own_sources() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    let dir = w.root.join("env");
    // The project is itself a package, with a relative [sources] path and workspace member.
    let project = fs::read_to_string(dir.join("Project.toml")).unwrap();
    fs::write(
        dir.join("Project.toml"),
        format!(
            "name = \"MyApp\"\nuuid = \"99999999-0000-0000-0000-000000000001\"\n{project}\n\
             [sources]\nExample = {{path = \"../vendor/Example\"}}\n\n\
             [workspace]\nprojects = [\"test\"]\n"
        ),
    )
    .unwrap();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/MyApp.jl"), "module MyApp end\n").unwrap();
    fs::create_dir_all(dir.join("test")).unwrap();
    fs::write(dir.join("test/Project.toml"), "[deps]\n").unwrap();
    run(&w, &AtomicBool::new(false), &mut Vec::new()).unwrap();
    let ws = workspace_copy(&w);
    let copied = fs::read_to_string(ws.join("environment/Project.toml")).unwrap();
    let vendor = julia_env::depot::normalize(&w.root.join("vendor/Example"));
    assert!(
        copied.contains(&format!("path = \"{}\"", vendor.display())),
        "{copied}"
    );
    assert!(
        copied.contains(&format!("\"{}\"", dir.join("test").display())),
        "{copied}"
    );
    assert_eq!(
        fs::read_to_string(ws.join("environment/src/MyApp.jl")).unwrap(),
        "module MyApp end\n"
    );
}

#[test]
fn public_packages_must_be_direct_dependencies() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example", "Tables"], "store");
    // Tables becomes an indirect dependency (of Example), named public by the dev spec.
    let dir = w.root.join("env");
    let project = fs::read_to_string(dir.join("Project.toml")).unwrap();
    let project: String = project
        .lines()
        .filter(|l| !l.starts_with("\"Tables\""))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.join("Project.toml"), project).unwrap();
    let manifest = fs::read_to_string(dir.join("Manifest.toml")).unwrap();
    fs::write(
        dir.join("Manifest.toml"),
        manifest.replacen(
            "[[deps.\"Example\"]]\n",
            "[[deps.\"Example\"]]\ndeps = [\"Tables\"]\n",
            1,
        ),
    )
    .unwrap();
    let env = Environment::load(&dir.join("Project.toml"), None).unwrap();
    let spec = ImageSpec {
        policy: Policy::Dev,
        public: vec!["Tables".into()],
        ..ImageSpec::new()
    };
    let plan = make_plan(&env, &spec).unwrap();
    let req = request(&w, &env, &spec, &plan);
    let err = build(&req, &AtomicBool::new(false), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PackageCompiler bakes only direct dependencies, and Tables is not"),
        "{err}"
    );
}

/// The phases PackageCompiler prints (none prints "Linking"): v2.4.0 src/PackageCompiler.jl
/// line 555 `Spinner(msg = "PackageCompiler: compiling $(non)incremental system image")`,
/// line 320 `"PackageCompiler: creating compiler sysimage (incremental=false)"`, line 338
/// `"PackageCompiler: compiling fresh sysimage (incremental=false)"`, line 392 `@info
/// "PackageCompiler: Executing $(abspath(precompile_file)) => $(tracefile)"`, printed as
/// `- <msg>` off a terminal (ext/TerminalSpinners.jl `start!`: `println(s.stream, "- ",
/// tostring(s.msg))`); v1.4.1 line 213 `"PackageCompiler: creating base system image
/// (incremental=false)..."`, line 251 `"===== Start precompile execution ====="`, line 371
/// `"PackageCompiler: creating system image object file, this might take a while..."`.
#[test]
fn build_phases_are_the_ones_packagecompiler_prints() {
    use sysimg::build::packagecompiler_phase as phase;
    for (line, want) in [
        ("- PackageCompiler: compiling incremental system image", Some("system image")),
        ("- PackageCompiler: compiling nonincremental system image", Some("system image")),
        ("- PackageCompiler: creating compiler sysimage (incremental=false)", Some("base image")),
        ("- PackageCompiler: creating compiler .ji image (incremental=false)", Some("base image")),
        ("- PackageCompiler: compiling fresh sysimage (incremental=false)", Some("base image")),
        ("- PackageCompiler: compiling base system image (incremental=false)", Some("base image")),
        ("[ Info: PackageCompiler: Executing /w/precompile.jl => /tmp/jl_x", Some("workload")),
        ("[ Info: PackageCompiler: creating base system image (incremental=false)...", Some("base image")),
        ("[ Info: ===== Start precompile execution =====", Some("workload")),
        ("[ Info: PackageCompiler: creating system image object file, this might take a while...", Some("system image")),
        ("Linking sysimage", None),
        ("    Linking into lib", None),
    ] {
        assert_eq!(phase(line), want, "{line}");
    }
}

/// PackageCompiler v2.4.0 src/PackageCompiler.jl line 178-185 `check_packages_in_project`:
/// `packages_in_project = collect(keys(ctx.env.project.deps))` ... `error("package(s) ... not
/// in project")`, for standard libraries too (v1.4.1 line 402-409 the same): a standard library
/// named in `public` that the project does not list is refused before julia runs.
#[test]
fn a_standard_library_must_be_a_direct_dependency_too() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    let dir = w.root.join("env");
    let manifest = fs::read_to_string(dir.join("Manifest.toml")).unwrap();
    let manifest = manifest.replacen(
        "[[deps.\"Example\"]]\n",
        "[[deps.\"Example\"]]\ndeps = [\"Dates\"]\n",
        1,
    ) + "[[deps.Dates]]\ndeps = [\"Printf\"]\nuuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\nversion = \"1.11.0\"\n\n\
         [[deps.Printf]]\nuuid = \"de0858da-6303-5e67-8744-51eddeeeb8d7\"\nversion = \"1.11.0\"\n";
    fs::write(dir.join("Manifest.toml"), manifest).unwrap();
    let env = Environment::load(&dir.join("Project.toml"), None).unwrap();
    let spec = ImageSpec {
        policy: Policy::Dev,
        public: vec!["Example".into(), "Dates".into()],
        ..ImageSpec::new()
    };
    let plan = make_plan(&env, &spec).unwrap();
    assert!(plan.packages.iter().any(|p| p.name == "Dates" && p.stdlib));
    let req = request(&w, &env, &spec, &plan);
    let refusals = sysimg::build::refusals(&req);
    assert!(
        refusals
            .iter()
            .any(|r| r.contains("PackageCompiler bakes only direct dependencies, and Dates is not")),
        "{refusals:?}"
    );
}

/// Pkg v1.11.2 src/project.jl line 95-102 (`read_project_sources`): `valid_keys = ("path",
/// "url", "rev")` ... `pkgerror("Invalid key `$key` in `source` section")`; `subdir` came with
/// "Allow use of a url and subdir in [sources] (#4039)", first in Pkg v1.11.3 (and in 1.12).
/// So a build with Julia 1.11.0-1.11.2 of a project with a `subdir` source is refused before
/// julia runs.
#[test]
fn sources_subdir_is_refused_where_pkg_refuses_it() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(&["Example"], "store");
    let dir = w.root.join("env");
    let project = fs::read_to_string(dir.join("Project.toml")).unwrap();
    fs::write(
        dir.join("Project.toml"),
        format!("{project}\n[sources]\nExample = {{url = \"https://example.com/Mono.git\", subdir = \"lib/Example\"}}\n"),
    )
    .unwrap();
    let env = Environment::load(&dir.join("Project.toml"), None).unwrap();
    let spec = ImageSpec::new();
    let plan = make_plan(&env, &spec).unwrap();
    let subdir_refusals = |version: &str| {
        let julia = JuliaInfo {
            version: julia_env::version::VersionNumber::parse(version).unwrap(),
            ..w.julia.clone()
        };
        let req = BuildRequest {
            julia: &julia,
            ..request(&w, &env, &spec, &plan)
        };
        sysimg::build::refusals(&req)
            .into_iter()
            .filter(|r| r.contains("subdir"))
            .collect::<Vec<_>>()
    };
    for refused in ["1.11.0", "1.11.2"] {
        let r = subdir_refusals(refused);
        assert_eq!(r.len(), 1, "{refused}: {r:?}");
        assert!(
            r[0].contains("`[sources]` entry `Example` has `subdir`"),
            "{r:?}"
        );
    }
    for accepted in ["1.11.3", "1.12.0", "1.13.1"] {
        assert!(subdir_refusals(accepted).is_empty(), "{accepted}");
    }
}

/// A failed build's error repeats the lines of its log that say why: julia's last `ERROR:`
/// with its message up to the stack trace, and julia's CPU refusal, printed before any error.
#[test]
fn a_failed_build_says_why_from_its_log() {
    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("build.log");
    std::fs::write(
        &log,
        "[sysimg] phase instantiating\n\
         ERROR: an earlier error that was caught\n\
         [ Info: PackageCompiler: creating system image object file\n\
         ERROR: LoadError: ArgumentError: Package JSON not found in current path:\n\
         - Run `import Pkg; Pkg.add(\"JSON\")` to install the JSON package.\n\
         \n\
         Stacktrace:\n [1] require(::Module, ::Symbol) at ./loading.jl:893\n",
    )
    .unwrap();
    assert_eq!(
        sysimg::build::failure_lines(&log),
        [
            "ERROR: LoadError: ArgumentError: Package JSON not found in current path:",
            "- Run `import Pkg; Pkg.add(\\\"JSON\\\")` to install the JSON package.",
        ]
    );
    std::fs::write(
        &log,
        "Your CPU does not support the CX16 instruction, which is required by this version of Julia!\n\
         \x1b[31mfailed\x1b[0m\n",
    )
    .unwrap();
    assert_eq!(
        sysimg::build::failure_lines(&log),
        ["Your CPU does not support the CX16 instruction, which is required by this version of Julia!"]
    );
    // Never more than a few lines, however long the message.
    let more: String = (0..100).map(|i| format!("line {i}\n")).collect();
    let long = format!("ERROR: x\n{more}");
    std::fs::write(&log, long).unwrap();
    assert_eq!(
        sysimg::build::failure_lines(&log).len(),
        sysimg::build::FAILURE_LINES
    );
    assert!(sysimg::build::failure_lines(&t.path().join("missing.log")).is_empty());
}

/// What gc says of locks matches what it does: a dry run never lists the lock of an image
/// that stays (a failed build's log of an image built since is a leftover, the image is
/// not), and a gone environment's background log goes with its lock, whichever of `gc` and
/// `gone_environments` runs first (the CLI runs `gc` first).
#[test]
fn gc_lists_and_removes_locks_as_it_does_the_rest() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (w, id) = built_example();
    let logs = w.store.bucket(sysimg::store::Bucket::Logs);
    fs::create_dir_all(&logs).unwrap();
    fs::write(logs.join(format!("{id}-failed.log")), "an old failure\n").unwrap();
    let gone_key = "00112233445566778899aabbccddeeff";
    fs::write(logs.join(format!("background-{gone_key}.log")), "built\n").unwrap();
    let locks = w.store.bucket(sysimg::store::Bucket::Locks);
    fs::write(locks.join(format!("background-{gone_key}.lock")), "").unwrap();
    let image_lock = format!("locks/{id}.lock");
    for dry_run in [true, false] {
        let d = w.store.gc(Duration::ZERO, dry_run).unwrap();
        assert!(
            d.iter()
                .any(|x| x.id == format!("logs/{id}-failed.log") && x.remove),
            "{d:?}"
        );
        assert!(!d.iter().any(|x| x.id == image_lock), "{d:?}");
        let gone = w.store.gone_environments(dry_run);
        assert_eq!(gone.background_logs.len(), 1, "{gone:?}");
    }
    assert!(locks.join(format!("{id}.lock")).exists());
    let left = lock_files(&w.store);
    assert!(
        !left.iter().any(|n| n.starts_with("background-")),
        "{left:?}"
    );
}
