//! `build`, `ls`, `inspect`, `verify`, `rm` and `gc` with a fake julia.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{err, out};

/// `sysimg` in `cwd` with a clean environment and `cwd`'s store, depot and fake julia log.
fn sysimg(args: &[&str], cwd: &Path, extra: &[(&str, &str)]) -> Output {
    let mut cmd = common::sysimg_cmd();
    cmd.args(args)
        .current_dir(cwd)
        .env("JULIA_DEPOT_PATH", cwd.join("depot"))
        .env("SYSIMG_STORE", cwd.join("store"))
        .env("FAKE_JULIA_LOG", cwd.join("julia-log"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("sysimg runs")
}

/// The example environment and the fake julia in a fresh context.
fn setup() -> (testkit::TestContext, String) {
    let t = common::hello();
    let julia = t.julia().display().to_string();
    (t, julia)
}

#[test]
fn build_then_manage_the_store() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["outcome"], "built");
    let id = v["id"].as_str().unwrap().to_string();
    assert!(Path::new(v["image"].as_str().unwrap()).is_file());
    // Piped: no progress display on stderr.
    assert!(err(&o).is_empty(), "{}", err(&o));
    // Again: reused; with --if-stale, silently.
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(
        out(&o),
        format!(
            "image {id} is up to date ({})\n",
            dir.join("store").join(&id).display()
        )
    );
    let o = sysimg(&["build", "--julia", &julia, "--if-stale"], dir, &[]);
    assert_eq!((o.status.code(), out(&o)), (Some(0), String::new()));
    // JULIA picks the julia too.
    let o = sysimg(&["build", "--if-stale"], dir, &[("JULIA", &julia)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(&["ls", "--json"], dir, &[]);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["images"][0]["id"], id.as_str());
    assert_eq!(v["images"][0]["packages"], 4);
    assert!(v["images"][0]["size"].as_u64().unwrap() > 0);
    let users = v["images"][0]["used_by"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert!(
        users[0].as_str().unwrap().ends_with("Project.toml"),
        "{users:?}"
    );
    let o = sysimg(&["inspect", &id[..8]], dir, &[]);
    assert!(out(&o).contains(&format!("id = \"{id}\"")), "{}", out(&o));
    let o = sysimg(&["verify"], dir, &[]);
    assert_eq!((o.status.code(), out(&o)), (Some(0), format!("{id}  ok\n")));
    fs::write(dir.join("store").join(&id).join("sys.so"), "tampered").unwrap();
    let o = sysimg(&["verify", &id, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(1));
    // The environment is registered, so gc keeps the image.
    let o = sysimg(&["gc"], dir, &[]);
    assert!(
        out(&o).starts_with(&format!("kept {id}: used by a registered environment")),
        "{}",
        out(&o)
    );
    let o = sysimg(&["rm", &id], dir, &[]);
    assert_eq!(out(&o), format!("removed image {id}\n"));
    let o = sysimg(&["ls"], dir, &[]);
    assert!(out(&o).starts_with("no images"), "{}", out(&o));
}

#[test]
fn build_failures_and_missing_julia() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(
        &["build", "--julia", &julia],
        dir,
        &[("FAKE_JULIA_MODE", "fail")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("the build failed (exit status: 1): ERROR: LoadError: boom;")
            && err(&o).contains("-failed.log"),
        "{}",
        err(&o)
    );
    let o = sysimg(&["build", "--julia", "/no/such/julia"], dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("does not exist") && err(&o).contains("juliaup"),
        "{}",
        err(&o)
    );
    let o = sysimg(&["build"], dir, &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no `julia` on PATH"), "{}", err(&o));
    // A juliaup channel, read from juliaup's own configuration.
    let home = dir.join("juliaup-depot/juliaup");
    fs::create_dir_all(home.join("julia-1.11.2/bin")).unwrap();
    fs::copy(&julia, home.join("julia-1.11.2/bin/julia")).unwrap();
    fs::write(
        home.join("juliaup.json"),
        r#"{"Default": "release", "InstalledVersions": {"1.11.2+0.x64.linux.gnu": {"Path": "./julia-1.11.2"}},
            "InstalledChannels": {"release": {"Version": "1.11.2+0.x64.linux.gnu"}, "lts": {"Target": "release"}}}"#,
    )
    .unwrap();
    let depot = dir.join("juliaup-depot").display().to_string();
    let o = sysimg(
        &["build", "--julia", "+lts", "--json"],
        dir,
        &[("JULIAUP_DEPOT_PATH", &depot)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(
        &["build", "--julia", "+nightly"],
        dir,
        &[("JULIAUP_DEPOT_PATH", &depot)],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("juliaup has no channel `nightly` (installed: "),
        "{}",
        err(&o)
    );
}

/// Whether a process is running (a zombie waiting for its reaper counts as ended).
fn running(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')));
    exists && !zombie
}

/// Starts `sysimg build` with a fake julia that hangs while compiling (its child, `sleep`,
/// records its pid), and waits until that child runs.
fn hanging_build(dir: &Path, julia: &str) -> (std::process::Child, i32) {
    let mut child = common::sysimg_cmd()
        .args(["build", "--julia", julia])
        .current_dir(dir)
        .env("JULIA_DEPOT_PATH", dir.join("depot"))
        .env("SYSIMG_STORE", dir.join("store"))
        .env("FAKE_JULIA_LOG", dir.join("julia-log"))
        .env("FAKE_JULIA_MODE", "hang")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = dir.join("julia-log/child.pid");
    for _ in 0..400 {
        if let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return (child, pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the fake julia never started compiling");
}

fn tmp_dirs(store: &Path) -> usize {
    fs::read_dir(store)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn sigterm_stops_a_build_like_ctrl_c() {
    let (t, julia) = setup();
    let (mut child, grandchild) = hanging_build(t.path(), &julia);
    // SAFETY: a signal to the child process we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!running(grandchild), "julia's child survived SIGTERM");
    assert_eq!(tmp_dirs(&t.path().join("store")), 0);
}

#[test]
fn a_killed_build_leaves_no_orphan_julia_and_gc_waits_for_its_children() {
    let (t, julia) = setup();
    let (mut child, grandchild) = hanging_build(t.path(), &julia);
    let julia_pid: i32 = fs::read_dir(t.path().join("julia-log"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("call-")?
                .strip_suffix(".buildenv")?
                .to_string();
            let env = fs::read_to_string(e.path()).ok()?;
            env.contains("SYSIMG_BUILD_OUTPUT=")
                .then(|| pid.parse().ok())?
        })
        .next()
        .expect("the build's julia recorded its environment");
    child.kill().unwrap(); // SIGKILL: sysimg cannot clean up
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!running(julia_pid), "julia outlived a killed sysimg");
    // What julia started still holds the build's lock: gc leaves its directory alone.
    assert!(running(grandchild));
    let store = t.path().join("store");
    assert_eq!(tmp_dirs(&store), 1);
    let o = sysimg(&["gc"], t.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        tmp_dirs(&store),
        1,
        "gc removed a build directory still in use"
    );
    // SAFETY: ends the test's own orphan.
    unsafe { libc::kill(grandchild, libc::SIGKILL) };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = sysimg(&["gc"], t.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(tmp_dirs(&store), 0, "gc left an abandoned build");
}

#[test]
fn a_present_image_needs_no_write_to_the_store() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // No lock can be taken any more (as in a shared store mounted read-only; the tests run
    // as root, whom permissions do not stop, so the lock directory is made a file instead).
    let locks = dir.join("store/locks");
    fs::remove_dir_all(&locks).unwrap();
    fs::write(&locks, "not a directory").unwrap();
    let o = sysimg(&["build", "--julia", &julia, "--if-stale"], dir, &[]);
    assert_eq!(
        (o.status.code(), out(&o)),
        (Some(0), String::new()),
        "{}",
        err(&o)
    );
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("is up to date"), "{}", out(&o));
    // A rebuild does need the lock, and says why it cannot have it.
    let o = sysimg(&["build", "--julia", &julia, "--force"], dir, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}

#[test]
fn damaged_records_are_reported_and_collected() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let store = dir.join("store");
    // Three damaged images: an empty record, a corrupt one, and one with none at all.
    for (id, record) in [
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Some("")),
        ("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Some("schema = [[[")),
        ("cccccccccccccccccccccccccccccccc", None),
    ] {
        fs::create_dir_all(store.join(id)).unwrap();
        fs::write(store.join(id).join("sys.so"), "bytes").unwrap();
        if let Some(text) = record {
            fs::write(store.join(id).join("image.toml"), text).unwrap();
        }
    }
    let o = sysimg(&["verify"], dir, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    for id in ["aaaa", "bbbb", "cccc"] {
        assert!(
            out(&o)
                .lines()
                .any(|l| l.starts_with(id) && l.contains("FAILED")),
            "{}",
            out(&o)
        );
    }
    let o = sysimg(&["ls"], dir, &[]);
    assert_eq!(out(&o).matches("unreadable").count(), 3, "{}", out(&o));
    let o = sysimg(&["gc", "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let removed: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["remove"] == true)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(removed.len(), 3, "{v}");
    assert!(!store.join("cccccccccccccccccccccccccccccccc").exists());
    // The good image is used by this environment and stays.
    let o = sysimg(&["verify"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn a_damaged_index_stops_gc_instead_of_deleting() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia, "--json", "--force"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let envs = dir.join("store/envs");
    let entry = fs::read_dir(&envs).unwrap().next().unwrap().unwrap().path();
    let text = fs::read_to_string(&entry).unwrap();
    fs::write(&entry, &text[..text.len() / 2]).unwrap();
    let o = sysimg(&["gc"], dir, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        err(&o).contains("damaged entry of the store's index"),
        "{}",
        err(&o)
    );
    let o = sysimg(&["ls", "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("damaged"));
    // The image is still there.
    assert_eq!(
        fs::read_dir(dir.join("store"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().len() == 32)
            .count(),
        1
    );
}

#[test]
fn environments_at_non_utf8_paths_keep_their_images() {
    use std::os::unix::ffi::OsStrExt;
    let (t, julia) = setup();
    let dir = t.path();
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"env-\xff\xfe"));
    fs::create_dir_all(&odd).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        fs::copy(dir.join(f), odd.join(f)).unwrap();
    }
    let o = common::sysimg_cmd()
        .arg("-p")
        .arg(&odd)
        .args(["build", "--julia", &julia])
        .current_dir(dir)
        .env("JULIA_DEPOT_PATH", dir.join("depot"))
        .env("SYSIMG_STORE", dir.join("store"))
        .env("FAKE_JULIA_LOG", dir.join("julia-log"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(&["gc", "--keep-days", "0", "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["remove"] == false),
        "gc removed the image of an environment at a non-UTF-8 path: {v}"
    );
}

#[test]
fn messages_name_the_real_cause() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // Too short a prefix says how long one must be.
    let o = sysimg(&["inspect", "ab12"], dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("at least 6 digits"), "{}", err(&o));
    // A file that is no image.
    let o = sysimg(&["inspect", "/etc/hostname"], dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("no image.toml at /etc/image.toml"),
        "{}",
        err(&o)
    );
    // An image directory without its record is damaged, not absent.
    let damaged = "dddddddddddddddddddddddddddddddd";
    fs::create_dir_all(dir.join("store").join(damaged)).unwrap();
    let o = sysimg(&["inspect", damaged], dir, &[]);
    assert!(err(&o).contains("is damaged"), "{}", err(&o));
    // A directory given as julia.
    let o = sysimg(&["build", "--julia", "/tmp"], dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("holds no bin/julia"), "{}", err(&o));
    // Argument errors honour --json.
    for args in [
        &["--json", "plan", "--policy"][..],
        &["frobnicate", "--json"][..],
    ] {
        let o = sysimg(args, dir, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", out(&o)));
        assert_eq!(v["error"]["exit_code"], 2);
    }
    // Plain words: the rule's name, and singular counts.
    let o = sysimg(&["plan", "--policy", "pinned"], dir, &[]);
    assert!(
        out(&o).starts_with("policy: pinned (strict rule)\n"),
        "{}",
        out(&o)
    );
    let o = sysimg(&["env", "check", "--no-sources"], dir, &[]);
    assert!(
        !out(&o).contains("1 notes") && !out(&o).contains("1 warnings"),
        "{}",
        out(&o)
    );
}

/// Every path under `dir` with its kind, size and modification time.
fn tree_snapshot(dir: &Path) -> Vec<(String, bool, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                todo.push(e.path());
            }
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            out.push((rel, meta.is_dir(), meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn gc_dry_run_writes_nothing() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v["id"].as_str().unwrap();
    let store = dir.join("store");
    // What gc would remove: an image nobody uses (never locked), a damaged one, an abandoned
    // build, side-loaded sources of a gone image, and the traces of a gone environment.
    let unused = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    fs::create_dir_all(store.join(unused)).unwrap();
    let record = fs::read_to_string(store.join(id).join("image.toml")).unwrap();
    fs::write(
        store.join(unused).join("image.toml"),
        record.replace(id, unused),
    )
    .unwrap();
    fs::write(store.join(unused).join("sys.so"), "bytes").unwrap();
    fs::create_dir_all(store.join("ffffffffffffffffffffffffffffffff")).unwrap();
    fs::create_dir_all(store.join(".tmp-abababababababababababababababab-1")).unwrap();
    fs::create_dir_all(store.join("sideload/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd/X")).unwrap();
    fs::create_dir_all(store.join("learn/0123456789abcdef0123456789abcdef")).unwrap();
    let before = tree_snapshot(&store);
    let o = sysimg(&["gc", "--dry-run"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o).matches("would remove").count(), 5, "{}", out(&o));
    assert!(
        out(&o).contains(&format!("kept {id}: used by a registered environment")),
        "{}",
        out(&o)
    );
    let o = sysimg(&["gc", "--dry-run", "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        tree_snapshot(&store),
        before,
        "gc --dry-run changed the store"
    );
    // The real thing removes what the dry run named.
    let o = sysimg(&["gc"], dir, &[]);
    assert_eq!(out(&o).matches("removed").count(), 5, "{}", out(&o));
    assert!(!store.join(unused).exists() && store.join(id).exists());
}

/// `gc` removes what environments that are gone left: their compile traces and their
/// background builds' logs (the logs were never removed); an environment is gone when no
/// index entry names it, or its entry's project file no longer exists. The live
/// environment's keep theirs; `gc --dry-run` lists the same and writes nothing.
#[test]
fn gc_removes_the_traces_and_background_logs_of_environments_that_are_gone() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let store = dir.join("store");
    let entry = fs::read_dir(store.join("envs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let live = entry.file_stem().unwrap().to_string_lossy().into_owned();
    // An entry whose project file is gone, and a key no entry names.
    let moved = "1111111111111111aaaaaaaaaaaaaaaa";
    let text = fs::read_to_string(&entry).unwrap();
    let project = dir.join("Project.toml").canonicalize().unwrap();
    let gone_project = dir.join("moved-away/Project.toml");
    fs::write(
        store.join(format!("envs/{moved}.json")),
        text.replace(
            &project.display().to_string(),
            &gone_project.display().to_string(),
        ),
    )
    .unwrap();
    let unnamed = "2222222222222222bbbbbbbbbbbbbbbb";
    fs::create_dir_all(store.join("logs")).unwrap();
    for key in [live.as_str(), moved, unnamed] {
        fs::create_dir_all(store.join(format!("learn/{key}/sessions"))).unwrap();
        fs::write(store.join(format!("learn/{key}/sessions/1.jl")), "").unwrap();
        fs::write(store.join(format!("logs/background-{key}.log")), "log").unwrap();
    }
    let before = tree_snapshot(&store);
    let o = sysimg(&["gc", "--dry-run"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let said = out(&o);
    assert_eq!(
        said.matches("would remove the background build log of an environment that is gone")
            .count(),
        2,
        "{said}"
    );
    assert_eq!(
        said.matches("would remove the compile traces of an environment that is gone")
            .count(),
        2,
        "{said}"
    );
    assert!(!said.contains(&live), "{said}");
    let o = sysimg(&["gc", "--dry-run", "--json"], dir, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["background_logs"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(
        tree_snapshot(&store),
        before,
        "gc --dry-run changed the store"
    );
    let o = sysimg(&["gc"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    for key in [moved, unnamed] {
        assert!(!store.join(format!("logs/background-{key}.log")).exists());
        assert!(!store.join(format!("learn/{key}")).exists());
    }
    assert!(store.join(format!("logs/background-{live}.log")).is_file());
    assert!(store.join(format!("learn/{live}/sessions/1.jl")).is_file());
}

/// After an image lands, the packages it leaves out are loaded on it, with the environment
/// active, so their caches are compiled against the image at build time (issue 21, item 4);
/// nothing runs when the image leaves nothing out; a package that does not load is a warning
/// and the image stays.
#[test]
fn the_packages_an_image_leaves_out_are_precompiled_against_it() {
    let (t, julia) = setup();
    let dir = t.path();
    let log = dir.join("julia-log");
    // The app image bakes everything: no step.
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!log.join("left-outs").exists());
    // Example left out: one step, on the new image, in the environment, naming Example.
    fs::write(dir.join("Sysimage.toml"), "exclude = [\"Example\"]\n").unwrap();
    let o = sysimg(&["build", "--julia", &julia, "--json"], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).is_empty(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let image = v["image"].as_str().unwrap();
    assert_eq!(
        fs::read_to_string(log.join("left-outs")).unwrap(),
        "left-out\n"
    );
    let call = fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "argv")
                && fs::read_to_string(p).unwrap().contains("left-out.jl")
        })
        .expect("the left-out step's arguments");
    let argv = fs::read_to_string(call).unwrap();
    let project = format!("--project={}", dir.display());
    assert!(
        argv.contains(&format!("-J\n{image}\n{project}\n")),
        "{argv}"
    );
    let script = fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".jl"))
        .unwrap();
    let script = fs::read_to_string(script).unwrap();
    assert!(
        script.contains(r#"("Example", "7876af07-990d-54b4-ab0e-23690620f79a")"#),
        "{script}"
    );
    assert!(!script.contains("\"Dates\""), "{script}");
    // A package that does not load: the image is built and in the store, with a warning.
    let o = sysimg(
        &["build", "--julia", &julia, "--force"],
        dir,
        &[("FAKE_JULIA_LEFT_OUT", "fail")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains(
            "warning: a package the image leaves out did not load on it, so it compiles at its first `using`: Broken: LoadError: boom"
        ) && err(&o).contains("precompiling the packages the image leaves out failed"),
        "{}",
        err(&o)
    );
    assert!(Path::new(image).is_file());
}

/// A julia named with `check --julia` that cannot be used is bad input (exit 2), as it is for
/// `run` and `build`; a julia that is simply not at hand still lets `check` check the image.
#[test]
fn check_refuses_a_named_julia_it_cannot_use() {
    let (t, julia) = setup();
    let dir = t.path();
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(&["check", "--julia", "/no/such/julia"], dir, &[]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("/no/such/julia, which does not exist") && !err(&o).contains("directory"),
        "{}",
        err(&o)
    );
    let not_julia = dir.join("not-julia");
    fs::write(&not_julia, "#!/bin/sh\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&not_julia, fs::Permissions::from_mode(0o755)).unwrap();
    let o = sysimg(&["check", "--julia", not_julia.to_str().unwrap()], dir, &[]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("printed something sysimg cannot read")
            && !err(&o).contains("its last error line"),
        "{}",
        err(&o)
    );
    // No julia at hand at all: the image is still checked, and the report says so.
    let o = sysimg(&["check", "--json"], dir, &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("julia-not-found"), "{}", out(&o));
}

/// Issue 26 item 1: a julia whose Pkg cannot read the environment's Manifest (format 2.0,
/// written by Julia 1.11.9, before Julia 1.6.2) is refused before julia builds anything:
/// `build` names the Manifest, the julia's version and what to do; `check` reports it as an
/// error. The same Manifest with a julia that reads it builds.
#[test]
fn a_manifest_the_julia_cannot_read_is_refused_before_julia_runs() {
    let (t, julia) = setup();
    let dir = t.path();
    // A julia of its own (sysimg remembers each julia's facts by its file).
    fs::create_dir_all(dir.join("old")).unwrap();
    let old_julia = testkit::fake_julia(&dir.join("old")).display().to_string();
    let old = [("FAKE_JULIA_VERSION", "1.5.3")];
    let o = sysimg(&["build", "--julia", &old_julia], dir, &old);
    assert_ne!(o.status.code(), Some(0), "{}", err(&o));
    let manifest = dir.join("Manifest.toml").display().to_string();
    for part in [
        manifest.as_str(),
        "manifest format 2.0 (written by Julia 1.11.9)",
        "cannot be read by Julia 1.5.3's Pkg (Pkg reads it from Julia 1.6.2 on)",
        "Pkg.instantiate()",
        "--julia PATH",
    ] {
        assert!(err(&o).contains(part), "{part}: {}", err(&o));
    }
    // julia was asked only for its facts: no PackageCompiler step, no build script.
    let calls: Vec<String> = fs::read_dir(dir.join("julia-log"))
        .map(|d| {
            d.filter_map(|e| fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("build.jl") || c.contains("tools")),
        "{calls:?}"
    );
    let o = sysimg(&["check", "--julia", &old_julia, "--json"], dir, &old);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("\"manifest-unreadable\""), "{}", out(&o));
    // A julia that reads format 2.0 builds it, and its check has no such error.
    let o = sysimg(&["build", "--julia", &julia], dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(&["check", "--julia", &julia, "--json"], dir, &[]);
    assert!(!out(&o).contains("manifest-unreadable"), "{}", out(&o));
}
