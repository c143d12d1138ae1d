//! `push`, `pull`, `ls --remote` and the remote look-up of `build` and `run`, against a real
//! Distribution registry (Debian's `docker-registry`) on 127.0.0.1, with images built by a
//! fake julia.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::registry::{free_port, on_path, Registry, Security};
use common::{err, hello_project, out, HOST_CPU};

/// The plain-HTTP registry every test of this binary shares (each uses its own repository),
/// started once, from a thread that lives as long as the process (the registry dies with
/// it).
fn shared() -> Option<&'static Registry> {
    static SHARED: OnceLock<Option<Registry>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(Registry::start(Security::default()));
                loop {
                    std::thread::park();
                }
            });
            rx.recv().unwrap()
        })
        .as_ref()
}

/// A project with the example environment and a fake julia, and stores beside it.
struct T {
    _t: tempfile::TempDir,
    dir: PathBuf,
    julia: String,
}

impl T {
    fn new() -> T {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().canonicalize().unwrap();
        fs::create_dir_all(dir.join("docker")).unwrap();
        let julia = hello_project(&dir).display().to_string();
        T { _t: t, dir, julia }
    }

    fn store(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn cmd(&self, store: &str, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut cmd = common::sysimg_cmd();
        cmd.args(args)
            .current_dir(&self.dir)
            .env_remove("SSL_CERT_FILE")
            .env("DOCKER_CONFIG", self.dir.join("docker"))
            .env("JULIA_DEPOT_PATH", self.dir.join("depot"))
            .env("SYSIMG_STORE", self.store(store))
            .env("SYSIMG_HOST_CPU", HOST_CPU)
            .env(
                "FAKE_JULIA_LOG",
                self.dir.join(format!("julia-log-{store}")),
            );
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd
    }

    fn sysimg(&self, store: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.cmd(store, args, extra).output().expect("sysimg runs")
    }

    /// Builds the example's image into `store`; returns its id.
    fn build(&self, store: &str, extra: &[(&str, &str)]) -> String {
        let o = self.sysimg(store, &["build", "--julia", &self.julia, "--json"], extra);
        assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
        json(&o)["id"].as_str().unwrap().to_string()
    }

    /// How many images the fake julia built for `store`.
    fn builds(&self, store: &str) -> usize {
        fs::read_to_string(self.dir.join(format!("julia-log-{store}/builds")))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    /// The entries of a store's root (images, temporary directories), sorted.
    fn entries(&self, store: &str) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.store(store))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != "locks" && n != "cache" && n != "envs" && n != "logs")
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", out(o), err(o)))
}

fn same_files(a: &Path, b: &Path) {
    for f in ["sys.so", "image.toml", "build.log"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn push_then_pull_into_an_empty_store() {
    let Some(reg) = shared() else { return };
    let t = T::new();
    let id = t.build("a", &[]);
    let repo = format!("{}/team/roundtrip", reg.addr);
    let o = t.sysimg(
        "a",
        &["push", &id, &repo, "--tag", "v1", "--insecure", "--json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(v["tags"], serde_json::json!([id, "v1"]));
    let blobs = v["blobs"].as_array().unwrap();
    let names: Vec<&str> = blobs.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["sys.so", "image.toml", "build.log", "config.json"]);
    assert!(blobs.iter().all(|b| b["action"] == "upload"), "{blobs:?}");
    assert_eq!(reg.blob_uploads("team/roundtrip"), 4);
    // Piped: no progress on stderr, only the warning that a `native` image's id names the
    // CPU it was built on.
    let warning = format!("warning: image {id} was built for `native` on a haswell: ");
    assert!(
        err(&o).starts_with(&warning) && err(&o).lines().count() == 1,
        "{}",
        err(&o)
    );
    // The advice works: with the portable target it gives, the image is pushed without it.
    let spec = t.dir.join("Sysimage.toml");
    let before = fs::read_to_string(&spec).unwrap_or_default();
    let portable = "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)";
    assert!(err(&o).contains(portable), "{}", err(&o));
    fs::write(&spec, format!("{before}cpu_target = \"{portable}\"\n")).unwrap();
    let portable_id = t.build("a", &[]);
    let o = t.sysimg(
        "a",
        &[
            "push",
            &portable_id,
            &format!("{repo}-portable"),
            "--insecure",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(err(&o).is_empty(), "{}", err(&o));
    fs::write(&spec, before).unwrap();

    // One streamed PUT per blob instead of chunks: the same artifact (the same manifest).
    let mono = format!("{}/team/roundtrip-monolithic", reg.addr);
    let o = t.sysimg(
        "a",
        &["push", &id, &mono, "--insecure", "--json"],
        &[("SYSIMG_PUSH_MONOLITHIC", "1")],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["digest"], v["digest"]);
    assert_eq!(reg.blob_uploads("team/roundtrip-monolithic"), 4);
    let patches = |repo: &str| {
        let prefix = format!("PATCH /v2/{repo}/blobs/uploads/");
        reg.requests()
            .iter()
            .filter(|r| r.starts_with(&prefix))
            .count()
    };
    assert_eq!(patches("team/roundtrip-monolithic"), 0);
    assert!(patches("team/roundtrip") >= 4);

    // A second push of the same id uploads no blob again (the registry saw no new upload).
    let o = t.sysimg("a", &["push", &id, &repo, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!("pushed image {id} to {repo} (tags: {id}): 0 blobs uploaded (0.0 MiB), 4 already there\n")
    );
    assert_eq!(reg.blob_uploads("team/roundtrip"), 4);

    // Pull by the user's tag into an empty store: byte-identical image, record and log.
    let o = t.sysimg(
        "b",
        &["pull", &format!("{repo}:v1"), "--insecure", "--json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(
        (v["id"].as_str(), v["outcome"].as_str()),
        (Some(id.as_str()), Some("pulled"))
    );
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));
    assert_eq!(t.entries("b"), std::slice::from_ref(&id));
    // Pulling again downloads nothing.
    let o = t.sysimg("b", &["pull", &id, "--remote", &repo, "--insecure"], &[]);
    assert_eq!(
        out(&o),
        format!(
            "image {id} is already in the store ({})\n",
            t.store("b").join(&id).display()
        )
    );

    // A damaged copy (its image file gone) is not counted as present: pulling replaces it.
    fs::remove_file(t.store("b").join(&id).join("sys.so")).unwrap();
    let o = t.sysimg(
        "b",
        &["pull", &id, "--remote", &repo, "--insecure", "--json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["outcome"], "pulled");
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));

    // check and run use the pulled image; the second store never built anything.
    let o = t.sysimg("b", &["check", "--julia", &t.julia, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(json(&o)["id"], id.as_str());
    let o = t.sysimg("b", &["verify"], &[]);
    assert_eq!(out(&o), format!("{id}  ok\n"));
    let o = t.sysimg("b", &["run", "--julia", &t.julia, "--", "-e", "1"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let argv = fs::read_dir(t.dir.join("julia-log-b"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".fullenv"))
        .map(|e| fs::read_to_string(e.path().with_extension("argv")).unwrap())
        .expect("julia ran");
    let image = t.store("b").join(&id).join("sys.so");
    assert!(argv.lines().any(|l| l == image.to_str().unwrap()), "{argv}");
    assert_eq!(t.builds("b"), 0);

    // ls --remote lists it with its tag.
    let o = t.sysimg("b", &["ls", "--remote", &repo, "--insecure", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(v["images"][0]["id"], id.as_str());
    assert_eq!(v["images"][0]["tags"], serde_json::json!([id, "v1"]));
    assert_eq!(v["images"][0]["packages"], 4);
    let o = t.sysimg("b", &["ls", "--remote", &repo, "--insecure"], &[]);
    assert!(
        out(&o).starts_with(&id) && out(&o).contains("    tags: v1\n"),
        "{}",
        out(&o)
    );

    // Interop: skopeo reads the manifest, its annotations, and the config.
    if !on_path("skopeo") {
        common::skip("skopeo is not installed: the interop half of push_then_pull");
        return;
    }
    let skopeo = |extra: &[&str]| {
        let mut c = Command::new("skopeo");
        c.args(["inspect", "--tls-verify=false"]).args(extra);
        c.arg(format!("docker://{repo}:v1"));
        c.output().unwrap()
    };
    let o = skopeo(&["--raw"]);
    assert!(o.status.success(), "{}", err(&o));
    let m = json(&o);
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(m["artifactType"], "application/vnd.sysimg.image.v1");
    assert_eq!(m["annotations"]["dev.sysimg.image.id"], id.as_str());
    assert_eq!(m["annotations"]["dev.sysimg.julia.version"], "1.11.2");
    assert_eq!(
        m["annotations"]["dev.sysimg.packages"],
        "Dates@1.11.0,Example@0.5.3,Printf@1.11.0,Unicode@1.11.0"
    );
    assert_eq!(
        m["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "sys.so"
    );
    let o = skopeo(&["--config", "--raw"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(json(&o)["id"], id.as_str());
}

#[test]
fn build_pulls_from_the_remote_first_and_pushes() {
    let Some(reg) = shared() else { return };
    let t = T::new();
    let repo = format!("{}/team/build", reg.addr);
    fs::write(
        t.dir.join("Sysimage.toml"),
        format!("remote = \"{repo}\"\n"),
    )
    .unwrap();
    let insecure = [("SYSIMG_INSECURE_REGISTRIES", reg.addr.as_str())];
    // Nothing in the remote: built here, then pushed.
    let o = t.sysimg(
        "a",
        &["build", "--julia", &t.julia, "--push", "--json"],
        &insecure,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(v["outcome"], "built");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["pushed"]["tags"], serde_json::json!([id]));
    assert_eq!(t.builds("a"), 1);
    // Another machine (an empty store) pulls instead of building.
    let o = t.sysimg("b", &["build", "--julia", &t.julia], &insecure);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!(
            "pulled image {id} from {repo} ({})\n",
            t.store("b").join(&id).display()
        )
    );
    assert_eq!(t.builds("b"), 0);
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));
    // `run --on-stale build` too, with the remote from SYSIMG_REMOTE (over the spec's).
    fs::write(
        t.dir.join("Sysimage.toml"),
        "remote = \"nowhere.invalid/x\"\n",
    )
    .unwrap();
    let o = t.sysimg(
        "c",
        &[
            "run",
            "--julia",
            &t.julia,
            "--on-stale",
            "build",
            "--",
            "-e",
            "1",
        ],
        &[insecure[0], ("SYSIMG_REMOTE", repo.as_str())],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains(&format!("pulled image {id}")),
        "{}",
        err(&o)
    );
    assert_eq!(t.builds("c"), 0);
    assert!(t.store("c").join(&id).join("sys.so").is_file());
    // Without the insecure allowance the remote is HTTPS, which fails: a warning, and the
    // image is built here.
    let o = t.sysimg(
        "d",
        &["build", "--julia", &t.julia],
        &[("SYSIMG_REMOTE", repo.as_str())],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("could not be used") && err(&o).contains("building here"),
        "{}",
        err(&o)
    );
    assert_eq!(t.builds("d"), 1);
    // --push without a remote is bad input.
    fs::remove_file(t.dir.join("Sysimage.toml")).unwrap();
    let o = t.sysimg("a", &["build", "--julia", &t.julia, "--push"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--push needs a remote"), "{}", err(&o));
}

#[test]
fn faults_are_clear_errors_with_their_exit_codes() {
    let Some(reg) = shared() else { return };
    let t = T::new();
    let id = t.build("a", &[]);
    let repo = format!("{}/team/faults", reg.addr);
    let o = t.sysimg("a", &["push", &id, &repo, "--insecure", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let image_digest = json(&o)["blobs"][0]["digest"].as_str().unwrap().to_string();

    // A missing tag: 5.
    let o = t.sysimg(
        "b",
        &["pull", &format!("{repo}:nosuchtag"), "--insecure"],
        &[],
    );
    assert_eq!(o.status.code(), Some(5), "{}{}", out(&o), err(&o));
    assert_eq!(
        err(&o),
        format!("error: {repo}:nosuchtag is not in the registry\n")
    );
    let o = t.sysimg(
        "b",
        &[
            "pull",
            &format!("{}/team/nosuchrepo:x", reg.addr),
            "--insecure",
            "--json",
        ],
        &[],
    );
    assert_eq!(json(&o)["error"]["exit_code"], 5);
    // An unreachable registry: 3.
    let nowhere = format!("127.0.0.1:{}/team/x", free_port());
    let o = t.sysimg(
        "b",
        &["pull", &format!("{nowhere}:{id}"), "--insecure"],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).starts_with("error: cannot reach registry 127.0.0.1:")
            && err(&o).contains("onnect"),
        "{}",
        err(&o)
    );
    // Plain HTTP where it is not allowed, a reference without registry, no tag: 2.
    let o = t.sysimg(
        "a",
        &["push", &id, "registry.example.com/x", "--insecure"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--insecure (plain HTTP) is allowed only"),
        "{}",
        err(&o)
    );
    let o = t.sysimg("a", &["push", &id, "team/sysimages"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no registry host"), "{}", err(&o));
    let o = t.sysimg("b", &["pull", &repo, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("names no image"), "{}", err(&o));
    let o = t.sysimg("b", &["pull", &id], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no remote"), "{}", err(&o));

    // A corrupted blob in the registry (same size, other bytes) is refused, naming the
    // digest, and the store is unchanged.
    let data = reg.blob_file(&image_digest);
    let original = fs::read(&data).unwrap();
    let mut bad = original.clone();
    bad[0] ^= 0xff;
    fs::write(&data, &bad).unwrap();
    let o = t.sysimg("b", &["pull", &id, "--remote", &repo, "--insecure"], &[]);
    fs::write(&data, &original).unwrap();
    assert_eq!(o.status.code(), Some(6), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains(&format!("blob {image_digest} of {repo}:{id} is corrupt"))
            && err(&o).ends_with("nothing was added to the store\n"),
        "{}",
        err(&o)
    );
    assert_eq!(t.entries("b"), Vec::<String>::new());
    // Restored, it pulls.
    let o = t.sysimg("b", &["pull", &id, "--remote", &repo, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));

    // An image whose file no longer matches its record is refused, and the registry never
    // commits the blob.
    fs::write(t.store("a").join(&id).join("sys.so"), "tampered").unwrap();
    let fresh = format!("{}/team/faults-tampered", reg.addr);
    let o = t.sysimg("a", &["push", &id, &fresh, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(6), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("has digest sha256:") && err(&o).contains("refusing to push it"),
        "{}",
        err(&o)
    );
    assert_eq!(reg.blob_uploads("team/faults-tampered"), 0);
    let o = t.sysimg("b", &["pull", &format!("{fresh}:{id}"), "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(5), "{}{}", out(&o), err(&o));
}

#[test]
fn four_concurrent_pulls_download_once() {
    let Some(reg) = shared() else { return };
    let t = T::new();
    let id = t.build("a", &[("FAKE_JULIA_IMAGE_MB", "20")]);
    let repo = format!("{}/team/concurrent", reg.addr);
    let o = t.sysimg("a", &["push", &id, &repo, "--insecure", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let digest = json(&o)["blobs"][0]["digest"].as_str().unwrap().to_string();
    let children: Vec<_> = (0..4)
        .map(|_| {
            t.cmd(
                "b",
                &["pull", &id, "--remote", &repo, "--insecure", "--json"],
                &[],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut outcomes: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
            json(&o)["outcome"].as_str().unwrap().to_string()
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, ["present", "present", "present", "pulled"]);
    assert_eq!(reg.blob_downloads(&digest), 1, "{:?}", reg.requests());
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));
}

/// A pull that waits for the image's lock names whom it waits for, as a waiting build does
/// (it used to say only that another process held it): here the test itself holds the lock
/// file open, so its pid is named; once the lock is let go, the pull lands.
#[test]
fn a_pull_waiting_for_a_lock_says_whom_it_waits_for() {
    use std::io::BufRead;
    use std::os::fd::AsRawFd;
    let Some(reg) = shared() else { return };
    let t = T::new();
    let id = t.build("a", &[]);
    let repo = format!("{}/team/waiting", reg.addr);
    let o = t.sysimg("a", &["push", &id, &repo, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let locks = t.store("b").join("locks");
    fs::create_dir_all(&locks).unwrap();
    let held = fs::File::create(locks.join(format!("{id}.lock"))).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) }, 0);
    let mut pull = t
        .cmd("b", &["pull", &id, "--remote", &repo, "--insecure"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = pull.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("waiting") => break line,
            Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break String::new(),
        }
        if Instant::now() > deadline {
            let _ = pull.kill();
            panic!("the pull said nothing about waiting within 20 s");
        }
    };
    drop(held);
    let status = pull.wait().unwrap();
    assert!(waiting.contains(&id), "names the image: {waiting}");
    assert!(
        waiting.contains(&format!("pid {}", std::process::id())),
        "names the process holding the lock (pid {}): {waiting}",
        std::process::id()
    );
    assert_eq!(
        status.code(),
        Some(0),
        "the pull lands once the lock is free"
    );
    assert!(t.store("b").join(&id).join("image.toml").is_file());
}

#[test]
fn basic_auth_over_tls() {
    let Some(reg) = Registry::start(Security {
        user: Some(("alice".into(), "s3cret".into())),
        tls: true,
    }) else {
        return;
    };
    let t = T::new();
    let id = t.build("a", &[]);
    let repo = format!("{}/team/private", reg.addr);
    let ca = reg.ca.as_ref().unwrap().display().to_string();
    let ok_user = [
        ("SYSIMG_REGISTRY_USER", "alice"),
        ("SYSIMG_REGISTRY_PASSWORD", "s3cret"),
    ];
    // The self-signed certificate is not trusted without the CA: unreachable, saying why.
    let o = t.sysimg("a", &["push", &id, &repo], &ok_user);
    assert_eq!(o.status.code(), Some(3), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).to_lowercase().contains("certificate"),
        "{}",
        err(&o)
    );
    // Trusted (SSL_CERT_FILE), but no credentials, or wrong ones: 4.
    let o = t.sysimg("a", &["push", &id, &repo], &[("SSL_CERT_FILE", &ca)]);
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("refused access"), "{}", err(&o));
    let o = t.sysimg(
        "a",
        &["push", &id, &repo],
        &[
            ("SSL_CERT_FILE", &ca),
            ("SYSIMG_REGISTRY_USER", "alice"),
            ("SYSIMG_REGISTRY_PASSWORD", "wrong"),
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    // Right credentials: push, then pull into an empty store (CA from SYSIMG_REGISTRY_CA).
    let o = t.sysimg(
        "a",
        &["push", &id, &repo, "--json"],
        &[("SSL_CERT_FILE", &ca), ok_user[0], ok_user[1]],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let o = t.sysimg(
        "b",
        &["pull", &format!("{repo}:{id}"), "--json"],
        &[("SYSIMG_REGISTRY_CA", &ca), ok_user[0], ok_user[1]],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));
    // Credentials from Docker's config.json, as `docker login` writes them.
    let auth = {
        use std::io::Write;
        let mut enc = Command::new("base64")
            .args(["-w0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        enc.stdin
            .take()
            .unwrap()
            .write_all(b"alice:s3cret")
            .unwrap();
        String::from_utf8(enc.wait_with_output().unwrap().stdout).unwrap()
    };
    fs::write(
        t.dir.join("docker/config.json"),
        format!(
            "{{\"auths\": {{\"{}\": {{\"auth\": \"{auth}\"}}}}}}",
            reg.addr
        ),
    )
    .unwrap();
    let o = t.sysimg(
        "c",
        &["ls", "--remote", &repo, "--json"],
        &[("SYSIMG_REGISTRY_CA", &ca)],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["images"][0]["id"], id.as_str());
    // --insecure (plain HTTP) against the TLS registry fails to talk to it.
    let o = t.sysimg(
        "c",
        &["pull", &format!("{repo}:{id}"), "--insecure"],
        &ok_user,
    );
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(t.entries("c"), Vec::<String>::new());
}

/// Waits until `cond` holds (at most 60 s).
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The size of the largest file under `dir` (recursively), 0 if none.
fn largest_file(dir: &Path) -> u64 {
    let mut max = 0;
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            max = max.max(largest_file(&p));
        } else if let Ok(m) = p.metadata() {
            max = max.max(m.len());
        }
    }
    max
}

#[test]
fn registry_killed_mid_push_or_mid_pull_leaves_nothing_behind() {
    let Some(mut reg) = Registry::start(Security::default()) else {
        return;
    };
    let t = T::new();
    let id = t.build("a", &[("FAKE_JULIA_IMAGE_MB", "120")]);
    let repo = format!("{}/team/killed", reg.addr);
    let push = |t: &T| {
        t.cmd("a", &["push", &id, &repo, "--insecure", "--json"], &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Killed while the image goes up: the push fails as unreachable; pushed again, the
    // upload starts over and completes.
    let child = push(&t);
    let uploads = reg
        .dir
        .join("storage/docker/registry/v2/repositories/team/killed/_uploads");
    wait_for("an upload in progress", || largest_file(&uploads) > 8 << 20);
    reg.kill();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("the connection broke"), "{}", out(&o));
    reg.restart();
    let o = push(&t).wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["blobs"][0]["action"], "upload");

    // Killed while the image comes down: the pull fails, and the store has no image and no
    // temporary directory.
    let child = t
        .cmd("b", &["pull", &id, "--remote", &repo, "--insecure"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("a download in progress", || {
        t.entries("b").iter().any(|e| e.starts_with(".tmp-"))
            && largest_file(&t.store("b")) > 8 << 20
    });
    reg.kill();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("broke"), "{}", err(&o));
    assert_eq!(t.entries("b"), Vec::<String>::new());
    let o = t.sysimg("b", &["ls"], &[]);
    assert!(out(&o).starts_with("no images"), "{}", out(&o));
    // Once the registry is back, the pull completes.
    reg.restart();
    let o = t.sysimg("b", &["pull", &id, "--remote", &repo, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    same_files(&t.store("a").join(&id), &t.store("b").join(&id));
}

// A misbehaving registry (issue 23, items 2 to 6): each case with the message and exit code
// a user gets.

use common::evil::{Body, Evil, Reply, Req};
use sysimg_share::{
    ANNOTATION_ID, ANNOTATION_TITLE, ARTIFACT_TYPE, CONFIG_MEDIA_TYPE, IMAGE_MEDIA_TYPE,
    RECORD_MEDIA_TYPE, SIDELOAD_MEDIA_TYPE,
};

const TOKEN: &str = "tok-secret-5b1e";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex_of(&sha2::Sha256::digest(bytes)))
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a command, killed after `limit`: `None` when it had to be killed.
fn output_within(mut cmd: Command, limit: Duration) -> Option<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl T {
    /// `pull REF --insecure` into store `b`, which must end within two minutes.
    fn pull_within(&self, reference: &str, extra: &[(&str, &str)]) -> Output {
        output_within(
            self.cmd("b", &["pull", reference, "--insecure"], extra),
            Duration::from_secs(120),
        )
        .expect("the pull ends within two minutes")
    }
}

/// An image the fake julia built, as layers a misbehaving registry serves.
struct Served {
    id: String,
    /// (media type, title, bytes): the image file, then the record.
    layers: Vec<(&'static str, String, Vec<u8>)>,
}

impl Served {
    fn build(t: &T) -> Served {
        let id = t.build("a", &[]);
        let dir = t.store("a").join(&id);
        let record = fs::read(dir.join("image.toml")).unwrap();
        let image = fs::read(dir.join("sys.so")).unwrap();
        Served {
            id,
            layers: vec![
                (IMAGE_MEDIA_TYPE, "sys.so".into(), image),
                (RECORD_MEDIA_TYPE, "image.toml".into(), record),
            ],
        }
    }

    /// The manifest of `layers` (media type, title, digest, size).
    fn manifest_of(&self, layers: &[(&str, &str, String, u64)]) -> Vec<u8> {
        let config = b"{}";
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256(config), "size": 2},
            "layers": layers.iter().map(|(m, title, d, size)| serde_json::json!({
                "mediaType": m, "digest": d, "size": size,
                "annotations": {ANNOTATION_TITLE: title},
            })).collect::<Vec<_>>(),
            "annotations": {ANNOTATION_ID: self.id},
        }))
        .unwrap()
    }

    /// The manifest of [`Served::layers`].
    fn manifest(&self) -> Vec<u8> {
        let layers: Vec<_> = self
            .layers
            .iter()
            .map(|(m, title, b)| (*m, title.as_str(), sha256(b), b.len() as u64))
            .collect();
        self.manifest_of(&layers)
    }

    /// A handler serving the manifest and blobs of `layers` (the blob of digest `fault`
    /// answered by `reply`).
    fn handler(
        &self,
        fault: Option<(String, Box<dyn Fn() -> Reply + Send + Sync>)>,
    ) -> impl Fn(&Req) -> Reply + Send + Sync + 'static {
        let manifest = self.manifest();
        let blobs: Vec<(String, Vec<u8>)> = self
            .layers
            .iter()
            .map(|(_, _, b)| (sha256(b), b.clone()))
            .collect();
        move |r: &Req| {
            if r.path.contains("/manifests/") {
                return Reply::bytes(
                    200,
                    "application/vnd.oci.image.manifest.v1+json",
                    manifest.clone(),
                );
            }
            let digest = r.path.rsplit('/').next().unwrap_or("");
            if let Some((d, reply)) = &fault {
                if d == digest {
                    return reply();
                }
            }
            match blobs.iter().find(|(d, _)| d == digest) {
                Some((_, b)) => Reply::bytes(200, "application/octet-stream", b.clone()),
                None => Reply::not_found(),
            }
        }
    }
}

#[test]
fn a_project_cannot_send_the_token_to_its_remote() {
    let t = T::new();
    // The project's remote refuses everything but the version check, and records what it got.
    let evil = Evil::registry(|_| {
        Reply::json(
            401,
            &serde_json::json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
        )
    });
    fs::write(
        t.dir.join("Sysimage.toml"),
        format!("remote = \"{}/team/x\"\n", evil.addr),
    )
    .unwrap();
    let env = [
        ("SYSIMG_INSECURE_REGISTRIES", evil.addr.as_str()),
        ("SYSIMG_REGISTRY_TOKEN", TOKEN),
    ];
    let authorized = |evil: &Evil| {
        evil.requests()
            .iter()
            .filter(|r| r.header("authorization").is_some())
            .count()
    };
    // A plain build asks the project's remote for the image, without the token.
    let o = t.sysimg("a", &["build", "--julia", &t.julia, "--json"], &env);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let id = json(&o)["id"].as_str().unwrap().to_string();
    assert!(!evil.requests().is_empty());
    assert_eq!(authorized(&evil), 0, "{:?}", evil.requests());
    // A pull from it says why the token was not sent, and how to allow it.
    let o = t.sysimg("b", &["pull", &id], &env);
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: registry {a} refused access: 401 Unauthorized UNAUTHORIZED: authentication \
             required (the credentials in SYSIMG_REGISTRY_TOKEN were not sent to {a}: they go \
             only to a registry you name (on the command line, in SYSIMG_REMOTE or \
             SYSIMG_REGISTRY_HOST), not to one only a project's Sysimage.toml names; set \
             SYSIMG_REGISTRY_HOST={a} to allow it)\n",
            a = evil.addr
        )
    );
    assert_eq!(authorized(&evil), 0);
    // Allowed by the user (SYSIMG_REGISTRY_HOST, or naming it), the token goes there.
    let allowed = [env[0], env[1], ("SYSIMG_REGISTRY_HOST", evil.addr.as_str())];
    let o = t.sysimg("b", &["pull", &id], &allowed);
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("set SYSIMG_REGISTRY_USER"), "{}", err(&o));
    let repo = format!("{}/team/x", evil.addr);
    let o = t.sysimg("b", &["pull", &id, "--remote", &repo], &env);
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    let sent: Vec<String> = evil
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_string))
        .collect();
    assert_eq!(sent, [format!("Bearer {TOKEN}"), format!("Bearer {TOKEN}")]);
}

/// A registry whose version check asks for a bearer token from `realm`, and whose token
/// service (at `/token`, same server) answers one; everything else is not found.
fn bearer_registry(tls: Option<&Path>, realm: impl Fn() -> String + Send + Sync + 'static) -> Evil {
    Evil::start(tls, move |r| {
        if r.path == "/v2/" {
            Reply::json(401, &serde_json::json!({})).header(
                "WWW-Authenticate",
                &format!("Bearer realm=\"{}\",service=\"evil\"", realm()),
            )
        } else if r.path.starts_with("/token") {
            Reply::json(200, &serde_json::json!({"token": "from-the-realm"}))
        } else {
            Reply::not_found()
        }
    })
}

#[test]
fn a_bearer_realm_gets_credentials_only_over_https_and_on_allowed_hosts() {
    if !on_path("openssl") {
        common::skip("openssl is not installed");
        return;
    }
    let t = T::new();
    let certs = t.dir.join("certs");
    fs::create_dir_all(&certs).unwrap();
    common::registry::make_certificates(&certs);
    let ca = certs.join("ca.pem").display().to_string();
    let basic = [
        ("SYSIMG_REGISTRY_USER", "alice"),
        ("SYSIMG_REGISTRY_PASSWORD", "pa55-w0rd-secret"),
        ("SYSIMG_REGISTRY_CA", ca.as_str()),
    ];
    // An HTTPS registry whose token service is plain HTTP: refused, nothing sent there.
    let http_realm = Evil::start(None, |_| {
        Reply::json(200, &serde_json::json!({"token": "t"}))
    });
    let realm_url = format!("http://{}/token", http_realm.addr);
    let shown = realm_url.clone();
    let https = bearer_registry(Some(&certs), move || realm_url.clone());
    let o = t.sysimg("b", &["pull", &format!("{}/team/x:v1", https.addr)], &basic);
    assert_eq!(o.status.code(), Some(4), "{}{}", out(&o), err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: refusing registry {}: it sends token requests to {shown} over http, not \
             HTTPS; no credentials or requests were sent there (plain HTTP is allowed only with \
             --insecure for a loopback host, or for a host named in SYSIMG_INSECURE_REGISTRIES)\n",
            https.addr
        )
    );
    assert!(
        http_realm.requests().is_empty(),
        "{:?}",
        http_realm.requests()
    );
    assert_eq!(https.requests().len(), 1);

    // A token service on another host (`localhost` for a registry named `127.0.0.1`): asked
    // without the credentials, unless the user allows that host.
    let port = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let p = port.clone();
    let other = bearer_registry(Some(&certs), move || {
        format!("https://localhost:{}/token", p.get().unwrap())
    });
    port.set(other.addr.rsplit(':').next().unwrap().to_string())
        .unwrap();
    let reference = format!("{}/team/x:v1", other.addr);
    let o = t.sysimg("b", &["pull", &reference], &basic);
    assert_eq!(o.status.code(), Some(5), "{}{}", out(&o), err(&o));
    let token_auth = |evil: &Evil| -> Vec<Option<String>> {
        evil.requests()
            .iter()
            .filter(|r| r.path.starts_with("/token"))
            .map(|r| r.header("authorization").map(str::to_string))
            .collect()
    };
    assert_eq!(token_auth(&other), [None]);
    // The registry then gets the token the realm gave, not the password.
    let manifest = other
        .requests()
        .into_iter()
        .find(|r| r.path.contains("/manifests/"))
        .unwrap();
    assert_eq!(
        manifest.header("authorization"),
        Some("Bearer from-the-realm")
    );
    let localhost = format!("localhost:{}", port.get().unwrap());
    let allowed = [
        basic[0],
        basic[1],
        basic[2],
        ("SYSIMG_REGISTRY_HOST", localhost.as_str()),
    ];
    let o = t.sysimg("b", &["pull", &reference], &allowed);
    assert_eq!(o.status.code(), Some(5), "{}{}", out(&o), err(&o));
    assert_eq!(
        token_auth(&other)[1].as_deref(),
        Some("Basic YWxpY2U6cGE1NS13MHJkLXNlY3JldA==")
    );
}

#[test]
fn registry_error_bodies_are_bounded_escaped_and_redacted() {
    let t = T::new();
    // An 8 MiB error body that echoes the request's Authorization header, with terminal
    // escapes and newlines (blobs are not there, for a push to try uploading).
    let echo = |r: &Req| {
        if r.method == "HEAD" {
            return Reply::bytes(404, "text/plain", "");
        }
        let mut body = format!(
            "Authorization: {}\n\x1b[2Jyour token: {TOKEN}\n",
            r.header("authorization").unwrap_or("none")
        )
        .into_bytes();
        body.resize(8 << 20, b'x');
        Reply::bytes(500, "text/plain", body)
    };
    let evil = Evil::start(None, echo);
    let check = |o: &Output, start: &str| {
        assert_eq!(o.status.code(), Some(1), "{}", err(o));
        let e = err(o);
        assert!(e.len() < 4400, "{} bytes", e.len());
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(!e.contains(TOKEN) && !e.contains('\x1b'), "{e}");
        assert!(e.starts_with(start) && e.contains("xxx [...]"), "{e}");
    };
    let reference = format!("{}/team/x:v1", evil.addr);
    let token = [("SYSIMG_REGISTRY_TOKEN", TOKEN)];
    let o = t.sysimg("b", &["pull", &reference, "--insecure"], &token);
    check(
        &o,
        &format!(
            "error: registry {}: 500 Internal Server Error Authorization: <redacted>\\n\\u{{1b}}[2Jyour token: <redacted>\\nxxx",
            evil.addr
        ),
    );
    assert_eq!(
        evil.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // The same through a push (oci-client's errors).
    let id = t.build("a", &[]);
    let repo = format!("{}/team/x", evil.addr);
    let o = t.sysimg("a", &["push", &id, &repo, "--insecure"], &token);
    check(
        &o,
        &format!(
            "error: registry {}: 500 Authorization: <redacted>\\n\\u{{1b}}[2Jyour token: <redacted>\\nxxx",
            evil.addr
        ),
    );
}

#[test]
fn a_blob_is_never_read_past_its_declared_size() {
    let t = T::new();
    let served = Served::build(&t);
    let image = served.layers[0].2.clone();
    // The image blob never ends (no length: it ends when the connection does).
    let evil = Evil::registry(served.handler(Some((
        sha256(&image),
        Box::new(|| {
            Reply::bytes(200, "application/octet-stream", "")
                .with_body(Body::Repeat(b'z', 512 << 20))
        }),
    ))));
    let reference = format!("{}/team/x:{}", evil.addr, served.id);
    let o = t.pull_within(&reference, &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert!(
        err(&o).starts_with(&format!(
            "error: blob {} of {reference} is larger than its declared {} bytes: the download \
             was stopped after",
            sha256(&image),
            image.len()
        )) && err(&o).ends_with("; nothing was added to the store\n"),
        "{}",
        err(&o)
    );
    assert!(evil.written() < 64 << 20, "{} bytes sent", evil.written());
    assert_eq!(t.entries("b"), Vec::<String>::new());
}

#[test]
fn a_manifest_is_read_up_to_4_mib() {
    let t = T::new();
    let evil = Evil::registry(|_| {
        Reply::bytes(200, "application/vnd.oci.image.manifest.v1+json", "")
            .with_body(Body::Repeat(b' ', 256 << 20))
    });
    let reference = format!("{}/team/x:v1", evil.addr);
    let o = t.pull_within(&reference, &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: the registry {} sent a manifest for {reference} larger than 4 MiB (the most \
             sysimg reads); nothing was added to the store\n",
            evil.addr
        )
    );
    assert!(evil.written() < 64 << 20, "{} bytes sent", evil.written());
}

#[test]
fn silent_and_slow_registries_time_out() {
    let t = T::new();
    // Silent: no answer at all.
    let silent = Evil::start(None, |_| Reply::bytes(200, "", "").with_body(Body::Silent));
    let reference = format!("{}/team/x:v1", silent.addr);
    let start = Instant::now();
    let o = t.pull_within(&reference, &[("SYSIMG_REGISTRY_STALL_TIMEOUT", "1s")]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: cannot reach registry {}: the request stalled: nothing arrived for 1s \
             (SYSIMG_REGISTRY_STALL_TIMEOUT)\n",
            silent.addr
        )
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    // Slow: a byte every 300 ms (never stalled), past the deadline.
    let slow = Evil::registry(|_| {
        Reply::bytes(200, "application/vnd.oci.image.manifest.v1+json", "")
            .with_body(Body::Drip(vec![b' '; 1000], Duration::from_millis(300)))
    });
    let reference = format!("{}/team/x:v1", slow.addr);
    let o = t.pull_within(
        &reference,
        &[
            ("SYSIMG_REGISTRY_TIMEOUT", "3s"),
            ("SYSIMG_REGISTRY_STALL_TIMEOUT", "2s"),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: cannot reach registry {}: reading the manifest of {reference} did not \
             finish within 3s (SYSIMG_REGISTRY_TIMEOUT)\n",
            slow.addr
        )
    );
    // A duration that is not one.
    let o = t.sysimg(
        "b",
        &["pull", &reference, "--insecure"],
        &[("SYSIMG_REGISTRY_TIMEOUT", "soon")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert_eq!(
        err(&o),
        "error: SYSIMG_REGISTRY_TIMEOUT=`soon` is not a duration (such as `90s`, `10m` or `1h`)\n"
    );
}

#[test]
fn layers_and_tags_are_capped() {
    let t = T::new();
    let served = Served::build(&t);
    // 10,000 copies of one layer: refused before any blob is asked for.
    let (m, title, b) = &served.layers[0];
    let many = vec![(*m, title.as_str(), sha256(b), b.len() as u64); 10_000];
    let manifest = served.manifest_of(&many);
    let evil = Evil::start(None, move |r| {
        if r.path.contains("/manifests/") {
            Reply::bytes(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                manifest.clone(),
            )
        } else {
            Reply::json(200, &serde_json::json!({}))
        }
    });
    let reference = format!("{}/team/x:{}", evil.addr, served.id);
    let o = t.sysimg("b", &["pull", &reference, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: {reference} has 10000 layers; a sysimg image has at most 8; nothing was \
             added to the store\n"
        )
    );
    assert!(!evil.requests().iter().any(|r| r.path.contains("/blobs/")));

    // Two million tags: read 100 a page, up to 1000; each tag's manifest is not an image.
    let not_an_image = serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"{}"), "size": 2},
        "layers": [],
    });
    let tags = Evil::start(None, move |r| {
        if !r.path.contains("/tags/list") {
            return Reply::json(200, &not_an_image);
        }
        let query = r.path.split_once('?').map_or("", |(_, q)| q);
        let param = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .map(str::to_string)
        };
        let start: usize = param("last")
            .and_then(|l| l.strip_prefix("t").and_then(|n| n.parse().ok()))
            .map_or(0, |n: usize| n + 1);
        let n: usize = param("n").and_then(|n| n.parse().ok()).unwrap_or(2_000_000);
        let end = (start + n).min(2_000_000);
        let page: Vec<String> = (start..end).map(|i| format!("t{i}")).collect();
        let mut reply = Reply::json(200, &serde_json::json!({"name": "team/x", "tags": page}));
        if end < 2_000_000 {
            reply = reply.header(
                "Link",
                &format!(
                    "</v2/team/x/tags/list?n={n}&last=t{}>; rel=\"next\"",
                    end - 1
                ),
            );
        }
        reply
    });
    let repo = format!("{}/team/x", tags.addr);
    let o = output_within(
        t.cmd("b", &["ls", "--remote", &repo, "--insecure"], &[]),
        Duration::from_secs(120),
    )
    .expect("the listing ends");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!(
            "no images for this platform in {repo}\n(only the first 1000 tags of {repo} were \
             read)\n"
        )
    );
    let pages = tags
        .requests()
        .iter()
        .filter(|r| r.path.contains("/tags/list"))
        .count();
    assert_eq!(pages, 10);
}

#[test]
fn mismatches_exit_6_and_ipv6_registries_parse() {
    let t = T::new();
    let served = Served::build(&t);
    // A blob shorter than its declared size (a complete answer): corrupt, 6.
    let image = served.layers[0].2.clone();
    let short = image[..image.len() - 1].to_vec();
    let evil = Evil::registry(served.handler(Some((
        sha256(&image),
        Box::new(move || Reply::bytes(200, "application/octet-stream", short.clone())),
    ))));
    let reference = format!("{}/team/x:{}", evil.addr, served.id);
    let o = t.sysimg("b", &["pull", &reference, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert!(
        err(&o).starts_with(&format!(
            "error: blob {} of {reference} is corrupt",
            sha256(&image)
        )) && err(&o).contains(&format!(
            "({} bytes, {} expected)",
            image.len() - 1,
            image.len()
        )),
        "{}",
        err(&o)
    );
    assert_eq!(t.entries("b"), Vec::<String>::new());
    // A manifest pulled by digest that is not that digest: 6.
    let wrong = format!("{}/team/x@{}", evil.addr, sha256(b"another manifest"));
    let o = t.sysimg("b", &["pull", &wrong, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert!(err(&o).contains("has digest sha256:"), "{}", err(&o));

    // An app image with a side-loaded-sources layer (a tar with a symlink): refused.
    let mut tar = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_gnu();
    h.set_entry_type(::tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    tar.append_link(&mut h, "A/src/A.jl", "/etc/passwd")
        .unwrap();
    let mut with_sources = Served {
        id: served.id.clone(),
        layers: served.layers.clone(),
    };
    with_sources.layers.push((
        SIDELOAD_MEDIA_TYPE,
        "sideload.tar".into(),
        tar.into_inner().unwrap(),
    ));
    let evil = Evil::registry(with_sources.handler(None));
    let reference = format!("{}/team/x:{}", evil.addr, served.id);
    let o = t.sysimg("b", &["pull", &reference, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert_eq!(
        err(&o),
        format!(
            "error: {reference} has a layer of side-loaded sources, but its record side-loads \
             no package: refusing it; nothing was added to the store\n"
        )
    );
    assert_eq!(t.entries("b"), Vec::<String>::new());

    // `[::1]:PORT` is a registry reference, loopback for `--insecure`: here nothing listens.
    let reference = format!("[::1]:{}/team/x:v1", free_port());
    let o = t.sysimg("b", &["pull", &reference, "--insecure"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        err(&o).starts_with("error: cannot reach registry [::1]:"),
        "{}",
        err(&o)
    );
}
