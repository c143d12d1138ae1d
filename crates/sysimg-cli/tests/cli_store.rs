//! The store's invariants under concurrency and damage, each tried as an adversary would with
//! the fake julia (fault injection): readers lock then validate, registration and gc's in-use
//! decision are one decision, a damaged image is never started and is rebuilt, gc names trash
//! and interrupted pulls, a record's id is its directory's, `keep-days` counts from landing,
//! and a build that waits for a lock says for whom.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{err, out};
use testkit::TestContext;

/// Races run for at most this long (or their number of trials, whichever comes first).
const RACE_BUDGET: Duration = Duration::from_secs(60);

struct W {
    t: TestContext,
    julia: String,
}

impl W {
    fn new() -> W {
        let t = common::hello();
        let julia = t.julia().display().to_string();
        W { t, julia }
    }

    fn dir(&self) -> &Path {
        self.t.path()
    }

    fn store(&self) -> PathBuf {
        self.t.store()
    }

    fn sysimg(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.t.run(args, extra)
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.t
            .sysimg(args)
            .env("JULIA", &self.julia)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sysimg starts")
    }

    /// Builds the example's image; the `build --json` answer.
    fn build(&self) -> serde_json::Value {
        let o = self.sysimg(&["build", "--julia", &self.julia, "--json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        serde_json::from_str(&out(&o)).unwrap()
    }

    fn image_dir(&self, id: &str) -> PathBuf {
        self.store().join(id)
    }

    /// The image id the store's index registers for the example environment.
    fn registered(&self) -> Option<String> {
        let dir = self.store().join("envs");
        let entries: Vec<PathBuf> = fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        assert!(entries.len() <= 1, "{entries:?}");
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(entries.first()?).unwrap()).unwrap();
        v["image"].as_str().map(str::to_owned)
    }

    fn unregister(&self) {
        let _ = fs::remove_dir_all(self.store().join("envs"));
    }

    /// Lines the fake julia wrote when it was started on a missing or damaged image.
    fn bad_images(&self) -> Vec<String> {
        fs::read_to_string(self.dir().join("julia-log/bad-images"))
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `sysimg run` with the fake julia and `policy` (e.g. `["--on-stale", "fail"]`).
    fn run(&self, policy: &[&str]) -> Output {
        let mut args = vec!["run", "--julia", self.julia.as_str()];
        args.extend_from_slice(policy);
        args.extend_from_slice(&["--", "-e", "1"]);
        self.sysimg(&args, &[])
    }

    fn runs(&self) -> usize {
        fs::read_to_string(self.dir().join("julia-log/runs"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    fn gc_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["gc", "--json"];
        all.extend_from_slice(args);
        let o = self.sysimg(&all, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        serde_json::from_str(&out(&o)).unwrap()
    }
}

/// Copies a directory tree (files and directories only).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Writes DAMAGED over the start of a file, in place (same size, same inode).
fn damage(file: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = fs::OpenOptions::new().write(true).open(file).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(b"DAMAGED").unwrap();
}

/// Defect 1: `run` checked an image and only then locked it, so `rm` racing it could delete
/// the image julia was handed (`could not load library`). A reader locks, then validates:
/// julia is never started on a missing image, whatever the interleaving.
#[test]
fn run_racing_rm_never_starts_julia_on_a_removed_image() {
    let w = W::new();
    let id = w.build()["id"].as_str().unwrap().to_string();
    let saved = w.dir().join("saved-image");
    copy_tree(&w.image_dir(&id), &saved);
    // One run first, so the next ones take the launcher's shortcut (the shortest window).
    let o = w.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let started = Instant::now();
    let (mut trials, mut failed) = (0, Vec::new());
    while trials < 300 && started.elapsed() < RACE_BUDGET {
        if !w.image_dir(&id).exists() {
            copy_tree(&saved, &w.image_dir(&id));
        }
        let rm = w.spawn(&["rm", "--force", &id]);
        let run = w.spawn(&["run", "--julia", &w.julia, "--", "-e", "1"]);
        let run = run.wait_with_output().unwrap();
        let _ = rm.wait_with_output().unwrap();
        // Julia always starts: on the image, or on the default one with a line saying why.
        if run.status.code() != Some(0) {
            failed.push(err(&run));
        }
        trials += 1;
    }
    assert!(trials >= 20, "only {trials} trials ran");
    assert_eq!(
        (w.bad_images().len(), failed.len()),
        (0, 0),
        "of {trials} starts, julia was handed a removed image {} times; {} failed, first: {:?}",
        w.bad_images().len(),
        failed.len(),
        failed.first()
    );
}

/// Defect 2: `gc` decided an image unused from registrations read before a racing `build`
/// registered the environment to it, then removed it. Registration and gc's in-use decision
/// are taken under the image's lock: no environment is ever left registered to an image gc
/// removed.
#[test]
fn gc_racing_build_never_leaves_an_environment_registered_to_a_removed_image() {
    let w = W::new();
    let id = w.build()["id"].as_str().unwrap().to_string();
    let saved = w.dir().join("saved-image");
    copy_tree(&w.image_dir(&id), &saved);
    let started = Instant::now();
    let (mut trials, mut dangling) = (0, 0);
    while trials < 150 && started.elapsed() < RACE_BUDGET {
        // The image is there, and no environment uses it.
        if !w.image_dir(&id).exists() {
            copy_tree(&saved, &w.image_dir(&id));
        }
        w.unregister();
        let gc = w.spawn(&["gc", "--keep-days", "0"]);
        let build = w.spawn(&["build", "--julia", &w.julia]);
        let build = build.wait_with_output().unwrap();
        let _ = gc.wait_with_output().unwrap();
        assert_eq!(build.status.code(), Some(0), "{}", err(&build));
        let registered = w.registered();
        if registered.as_deref() == Some(id.as_str())
            && !w.image_dir(&id).join("image.toml").is_file()
        {
            dangling += 1;
        }
        trials += 1;
    }
    assert!(trials >= 20, "only {trials} trials ran");
    assert_eq!(
        dangling, 0,
        "{dangling} of {trials} trials left the environment registered to a removed image"
    );
}

/// Defect 3: an image file damaged in place (same size, same inode, new mtime) was started
/// by `run --on-stale fail`, and `build` called it up to date. The store stamps the image
/// file's size, mtime and inode when it lands, and hashes it when they move.
#[test]
fn a_damaged_image_is_never_started_and_build_replaces_it() {
    let w = W::new();
    let built = w.build();
    let id = built["id"].as_str().unwrap().to_string();
    let image = PathBuf::from(built["image"].as_str().unwrap());
    // Fresh, then stamped by a first run (the launcher's shortcut).
    let o = w.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    std::thread::sleep(Duration::from_millis(20));
    damage(&image);
    let runs = w.runs();
    let o = w.run(&["--on-stale", "fail"]);
    assert_ne!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains(&id), "{}", err(&o));
    assert_eq!(w.runs(), runs, "julia was started");
    // Without --on-stale fail, julia starts on its default image, saying why.
    let o = w.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("damaged"), "{}", err(&o));
    assert_eq!(w.bad_images(), Vec::<String>::new());
    // build replaces it.
    let again = w.build();
    assert_eq!(again["outcome"], "built", "{again}");
    assert_eq!(again["id"].as_str(), Some(id.as_str()));
    let o = w.sysimg(&["verify", &id], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let o = w.run(&["--on-stale", "fail"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    // An image file replaced by another file (a new inode) is caught the same way.
    let replacement = w.dir().join("replacement");
    fs::write(&replacement, "DAMAGED and replaced").unwrap();
    fs::rename(&replacement, &image).unwrap();
    let o = w.run(&["--on-stale", "fail"]);
    assert_ne!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(w.bad_images(), Vec::<String>::new());
}

/// Defect 4: a `rm` killed while deleting leaves `.trash-<id>-<pid>`, which gc neither listed
/// nor removed; an interrupted pull leaves `.tmp-<id>-pull-*`, which gc called "an abandoned
/// build". gc names each by what it is and removes it.
#[test]
fn gc_names_and_removes_trash_and_interrupted_pulls() {
    let w = W::new();
    let id = w.build()["id"].as_str().unwrap().to_string();
    let store = w.store();
    let trash = store.join(format!(".trash-{id}-999999"));
    copy_tree(&w.image_dir(&id), &trash);
    let pull = store.join(format!(".tmp-{id}-pull-AbC123"));
    fs::create_dir_all(&pull).unwrap();
    fs::write(pull.join("sys.so"), "half a blob").unwrap();
    let build = store.join(format!(".tmp-{id}-XyZ789"));
    fs::create_dir_all(&build).unwrap();

    let dry = w.gc_json(&["--dry-run"]);
    let images = dry["images"].as_array().unwrap();
    let reason = |label: &str| {
        images
            .iter()
            .find(|d| d["id"].as_str() == Some(label))
            .map(|d| d["reason"].as_str().unwrap_or_default().to_string())
    };
    let trash_label = format!(".trash-{id}-999999");
    let pull_label = format!(".tmp-{id}-pull-AbC123");
    let build_label = format!(".tmp-{id}-XyZ789");
    assert!(
        reason(&trash_label).is_some_and(|r| r.contains("interrupted removal")),
        "{dry}"
    );
    assert!(
        reason(&pull_label).is_some_and(|r| r.contains("interrupted pull")),
        "{dry}"
    );
    assert!(
        reason(&build_label).is_some_and(|r| r.contains("abandoned build")),
        "{dry}"
    );
    assert!(trash.exists() && pull.exists() && build.exists());
    w.gc_json(&[]);
    assert!(!trash.exists(), "the trash is removed");
    assert!(!pull.exists(), "the interrupted pull is removed");
    assert!(!build.exists(), "the abandoned build is removed");
    assert!(
        w.image_dir(&id).join("image.toml").is_file(),
        "the image stays"
    );
}

/// A failed build's log stays until its image builds after all (or `--keep-days` pass), then
/// gc removes it, saying so.
#[test]
fn gc_removes_the_log_of_a_failed_build_once_the_image_built() {
    let w = W::new();
    let o = w.sysimg(
        &["build", "--julia", &w.julia],
        &[("FAKE_JULIA_MODE", "fail")],
    );
    assert_ne!(o.status.code(), Some(0));
    let logs: Vec<PathBuf> = fs::read_dir(w.store().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let kept = w.gc_json(&["--keep-days", "7"]);
    assert!(logs[0].is_file(), "a recent failure's log stays: {kept}");
    let id = w.build()["id"].as_str().unwrap().to_string();
    let gc = w.gc_json(&[]);
    let label = format!("logs/{id}-failed.log");
    assert!(
        gc["images"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == label.as_str() && d["remove"] == true),
        "{gc}"
    );
    assert!(!logs[0].exists());
}

/// Defect 5: a record whose `id` is not its directory's name made `build` report a path that
/// does not exist and register the environment to it. Such a directory is a damaged image:
/// not reused, rebuilt in place.
#[test]
fn a_record_whose_id_is_not_its_directory_is_a_damaged_image() {
    let w = W::new();
    let id = w.build()["id"].as_str().unwrap().to_string();
    let other = format!("{}{}", &id[..31], if id.ends_with('0') { '1' } else { '0' });
    let record = w.image_dir(&id).join("image.toml");
    let text = fs::read_to_string(&record).unwrap();
    assert!(text.contains(&id));
    fs::write(&record, text.replace(&id, &other)).unwrap();
    w.unregister();
    let again = w.build();
    assert_eq!(again["id"].as_str(), Some(id.as_str()), "{again}");
    assert_eq!(again["outcome"], "built", "{again}");
    assert!(
        Path::new(again["image"].as_str().unwrap()).is_file(),
        "{again}"
    );
    assert_eq!(w.registered().as_deref(), Some(id.as_str()));
    assert!(!w.image_dir(&other).exists());
}

/// Defect 6: `gc --keep-days` aged an image by when it was built, so an image pulled today
/// that was built long ago was removed at once. Its age counts from when it landed here.
#[test]
fn keep_days_counts_from_when_the_image_landed_in_this_store() {
    let w = W::new();
    let id = w.build()["id"].as_str().unwrap().to_string();
    // As a pull lands it: a record made long ago elsewhere.
    let record = w.image_dir(&id).join("image.toml");
    let text = fs::read_to_string(&record).unwrap();
    let created = text
        .lines()
        .find(|l| l.starts_with("created = "))
        .expect("the record says when it was made")
        .to_string();
    fs::write(
        &record,
        text.replace(&created, "created = \"2001-01-01T00:00:00Z\""),
    )
    .unwrap();
    w.unregister();
    let gc = w.gc_json(&["--keep-days", "7"]);
    let decision = gc["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"].as_str() == Some(id.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(decision["remove"], false, "{gc}");
    assert!(
        decision["reason"]
            .as_str()
            .unwrap_or("")
            .contains("younger"),
        "{gc}"
    );
    assert!(w.image_dir(&id).join("image.toml").is_file());
}

/// Whether a process is running (a zombie counts as ended).
fn running(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')));
    exists && !zombie
}

/// Defect 7: after `kill -9` of a build, the next build of the same id waited in silence for
/// julia's orphaned children to release the lock. It says whom it waits for: the holder the
/// lock file records, and the processes that hold it open.
#[test]
fn a_build_waiting_for_a_lock_says_whom_it_waits_for() {
    let w = W::new();
    let mut first =
        w.t.sysimg(&["build", "--julia", &w.julia])
            .env("FAKE_JULIA_MODE", "hang")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    let pid_file = w.dir().join("julia-log/child.pid");
    let deadline = Instant::now() + Duration::from_secs(20);
    let orphan: i32 = loop {
        if let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the fake julia never started compiling"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    let first_pid = first.id();
    first.kill().unwrap(); // SIGKILL: no clean-up, julia's children keep the lock.
    let _ = first.wait();
    assert!(running(orphan));
    let mut second = w.spawn(&["build", "--julia", &w.julia]);
    // Its stderr, read until it names whom it waits for (or 10 s pass).
    let stderr = second.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut said = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let done = line.contains("waiting");
                said.push(line);
                if done {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    // SAFETY: signals to processes this test started.
    unsafe { libc::kill(orphan, libc::SIGKILL) };
    let _ = second.kill();
    let _ = second.wait();
    let said = said.join("\n");
    let waiting = said
        .lines()
        .find(|l| l.contains("waiting"))
        .unwrap_or_else(|| panic!("the second build said nothing about waiting:\n{said}"));
    assert!(
        waiting.contains(&first_pid.to_string()),
        "names the build that took the lock (pid {first_pid}): {waiting}"
    );
    assert!(
        waiting.contains(&orphan.to_string()),
        "names the process still holding it (pid {orphan}): {waiting}"
    );
}
