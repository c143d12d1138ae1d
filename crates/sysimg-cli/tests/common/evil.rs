//! A misbehaving registry for tests: a hand-written HTTP/1.1 server on 127.0.0.1 (optionally
//! over TLS, with the certificates of [`super::registry::make_certificates`]) that answers
//! each request as the test's handler says: lying about sizes, sending endless or silent
//! bodies, echoing headers. It records every request (with its headers) and counts the body
//! bytes it managed to write. Every connection is closed after one answer, and nothing waits
//! longer than [`MAX_WAIT`], so the server never keeps a test alive.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest the server holds a connection (a silent or dripping answer).
pub const MAX_WAIT: Duration = Duration::from_secs(90);

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Req {
    /// `GET`, `HEAD`...
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Req {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the body of an answer is sent.
pub enum Body {
    /// These bytes.
    Bytes(Vec<u8>),
    /// `len` bytes of `byte`, as fast as the client takes them.
    Repeat(u8, u64),
    /// These bytes, one every interval.
    Drip(Vec<u8>, Duration),
    /// Nothing, ever (the connection stays open up to [`MAX_WAIT`]).
    Silent,
}

/// An answer.
pub struct Reply {
    /// The status (ignored for [`Body::Silent`]: not even a status line is sent).
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Send `Content-Length` (of the body, or this value); `None`: the body ends when the
    /// connection closes.
    pub length: Option<u64>,
}

impl Reply {
    /// `status` with a body and its length.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let body = body.into();
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            length: Some(body.len() as u64),
            body: Body::Bytes(body),
        }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply::bytes(status, "application/json", v.to_string())
    }

    /// A 404 with the registry's error envelope.
    pub fn not_found() -> Reply {
        Reply::json(
            404,
            &serde_json::json!({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}),
        )
    }

    /// Another body (the length is dropped: the body ends with the connection).
    pub fn with_body(mut self, body: Body) -> Reply {
        self.body = body;
        self.length = None;
        self
    }

    /// With a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A running misbehaving registry.
pub struct Evil {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    requests: Arc<Mutex<Vec<Req>>>,
    written: Arc<AtomicU64>,
}

type Handler = dyn Fn(&Req) -> Reply + Send + Sync;

impl Evil {
    /// Starts the server; with `tls`, a directory holding `cert.pem` and `key.pem`.
    pub fn start(
        tls: Option<&Path>,
        handler: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Evil {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap().to_string();
        let requests: Arc<Mutex<Vec<Req>>> = Arc::default();
        let written: Arc<AtomicU64> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let tls = tls.map(server_config);
        {
            let requests = requests.clone();
            let written = written.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (requests, written, handler, tls) = (
                        requests.clone(),
                        written.clone(),
                        handler.clone(),
                        tls.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = stream.set_read_timeout(Some(MAX_WAIT));
                        let _ = stream.set_write_timeout(Some(MAX_WAIT));
                        match tls {
                            Some(config) => {
                                let Ok(conn) = rustls::ServerConnection::new(config) else {
                                    return;
                                };
                                let mut s = rustls::StreamOwned::new(conn, stream);
                                serve(&mut s, &requests, &written, &*handler);
                            }
                            None => {
                                let mut s = stream;
                                serve(&mut s, &requests, &written, &*handler);
                            }
                        }
                    });
                }
            });
        }
        Evil {
            addr,
            requests,
            written,
        }
    }

    /// A plain-HTTP registry that answers its version check (`GET /v2/`) with 200, and every
    /// other request as `handler` says.
    pub fn registry(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Evil {
        Evil::start(None, move |r| {
            if r.path == "/v2/" {
                Reply::json(200, &serde_json::json!({}))
            } else {
                handler(r)
            }
        })
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    /// Body bytes written so far (all answers).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

fn server_config(dir: &Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("cert.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

/// Reads one request head (and any body it announces) and answers it.
fn serve(
    s: &mut (impl Read + Write),
    requests: &Mutex<Vec<Req>>,
    written: &AtomicU64,
    handler: &Handler,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 << 10 || !matches!(s.read(&mut byte), Ok(1)) {
            return;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let req = Req {
        method: first.next().unwrap_or("").to_string(),
        path: first.next().unwrap_or("").to_string(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect(),
    };
    let announced: u64 = req
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let _ = std::io::copy(&mut Read::by_ref(s).take(announced), &mut std::io::sink());
    requests.lock().unwrap().push(req.clone());
    let reply = handler(&req);
    if let Body::Silent = reply.body {
        let start = Instant::now();
        while start.elapsed() < MAX_WAIT {
            // Until the client gives up (a read sees the end) or the wait is over.
            match s.read(&mut byte) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        return;
    }
    let mut out = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(l) = reply.length {
        out.push_str(&format!("Content-Length: {l}\r\n"));
    }
    out.push_str("\r\n");
    if s.write_all(out.as_bytes()).is_err() || req.method == "HEAD" {
        let _ = s.flush();
        return;
    }
    let mut send = |b: &[u8]| -> bool {
        let ok = s.write_all(b).and_then(|_| s.flush()).is_ok();
        if ok {
            written.fetch_add(b.len() as u64, Ordering::Relaxed);
        }
        ok
    };
    match reply.body {
        Body::Bytes(b) => {
            send(&b);
        }
        Body::Repeat(byte, len) => {
            let chunk = vec![byte; 64 << 10];
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if !send(&chunk[..n]) {
                    break;
                }
                left -= n as u64;
            }
        }
        Body::Drip(bytes, every) => {
            let start = Instant::now();
            for b in bytes {
                if start.elapsed() > MAX_WAIT || !send(&[b]) {
                    break;
                }
                std::thread::sleep(every);
            }
        }
        Body::Silent => {}
    }
}
