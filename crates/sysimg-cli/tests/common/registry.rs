//! A real OCI registry for tests and benchmarks: Debian's `docker-registry` (the Distribution
//! registry) on 127.0.0.1, with a throw-away configuration and storage directory, optionally
//! with htpasswd (bcrypt) basic auth and TLS with a self-signed certificate made here.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry binary, if installed.
pub fn binary() -> Option<PathBuf> {
    ["/usr/bin/docker-registry", "/usr/bin/registry"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How a registry is protected.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// htpasswd basic auth with this user and password.
    pub user: Option<(String, String)>,
    /// TLS with a certificate signed by a CA made for the test.
    pub tls: bool,
}

/// A running registry.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Its directory: configuration, storage, log, certificates.
    pub dir: PathBuf,
    /// The CA certificate to trust (TLS only).
    pub ca: Option<PathBuf>,
    child: Option<Child>,
}

impl Registry {
    /// Starts a registry; `None` (the reason said as SKIPPED) when a tool is missing.
    pub fn start(security: Security) -> Option<Registry> {
        let Some(_) = binary() else {
            super::skip("docker-registry is not installed (apt-get install docker-registry)");
            return None;
        };
        if security.user.is_some() && !on_path("htpasswd") {
            super::skip("htpasswd is not installed (apt-get install apache2-utils)");
            return None;
        }
        if security.tls && !on_path("openssl") {
            super::skip("openssl is not installed");
            return None;
        }
        // Under target/tmp, removed when the test binary exits (the shared registry lives in a
        // static, never dropped).
        let dir = testkit::scratch_dir("sysimg-registry-");
        let mut extra = String::new();
        if let Some((user, password)) = &security.user {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(dir.join("htpasswd"), &out.stdout).unwrap();
            extra.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: sysimg-test\n    path: {}\n",
                dir.join("htpasswd").display()
            ));
        }
        let mut ca = None;
        let mut tls = String::new();
        if security.tls {
            make_certificates(&dir);
            ca = Some(dir.join("ca.pem"));
            tls = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.join("cert.pem").display(),
                dir.join("key.pem").display()
            );
        }
        let addr = format!("127.0.0.1:{}", free_port());
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{tls}{extra}",
            dir.join("storage").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let mut r = Registry {
            addr,
            dir,
            ca,
            child: None,
        };
        r.restart();
        Some(r)
    }

    /// (Re)starts the registry on the same port and storage, and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut cmd = Command::new(binary().unwrap());
        cmd.arg("serve")
            .arg(self.dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // The registry dies with the test process, even when a test panics.
        #[cfg(target_os = "linux")]
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        self.child = Some(cmd.spawn().expect("docker-registry starts"));
        let start = Instant::now();
        while std::net::TcpStream::connect(&self.addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the registry did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the registry (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Where the registry's log goes.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("registry.log")
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The requests the registry completed, as `METHOD URI` lines (its access log).
    pub fn requests(&self) -> Vec<String> {
        let field = |line: &str, key: &str| -> Option<String> {
            let at = line.find(key)? + key.len();
            let rest = &line[at..];
            let value = rest.trim_start_matches('"');
            let end = if rest.starts_with('"') {
                value.find('"')?
            } else {
                value.find(' ').unwrap_or(value.len())
            };
            Some(value[..end].to_string())
        };
        self.log()
            .lines()
            .filter(|l| l.contains("msg=\"response completed"))
            .filter_map(|l| {
                Some(format!(
                    "{} {} {}",
                    field(l, "http.request.method=")?,
                    field(l, "http.request.uri=")?,
                    field(l, "http.response.status=")?
                ))
            })
            .collect()
    }

    /// How many blob uploads to `repository` the registry completed (`PUT
    /// /v2/<repository>/blobs/uploads/...` answered 201).
    pub fn blob_uploads(&self, repository: &str) -> usize {
        let prefix = format!("PUT /v2/{repository}/blobs/uploads/");
        self.requests()
            .iter()
            .filter(|r| r.starts_with(&prefix) && r.ends_with(" 201"))
            .count()
    }

    /// How many times a blob was downloaded (`GET .../blobs/<digest>`).
    pub fn blob_downloads(&self, digest: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with("GET ") && r.contains(&format!("/blobs/{digest} ")))
            .count()
    }

    /// The file the registry keeps a blob's bytes in.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it, in `dir`
/// (`ca.pem`, `cert.pem`, `key.pem`).
pub fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=sysimg test CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "cert.csr",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
}
