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
    // Piped: no progress on stderr.
    assert!(err(&o).is_empty(), "{}", err(&o));

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
