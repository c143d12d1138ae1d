//! What sysimg reads from a registry, read with bounds: the authentication handshake, manifests,
//! blobs, tag lists and error bodies.
//!
//! `oci-client` reads every answer whole (a 4 GiB manifest or an endless error body are
//! buffered), follows any bearer realm with the credentials it holds, and puts error bodies
//! verbatim into its errors. The reads here use its HTTP client (`reqwest`) directly, so that:
//! - a manifest is read up to [`MAX_MANIFEST`], a blob never past its declared size, a tag list
//!   page up to [`MAX_SMALL_BODY`] and at most [`MAX_TAGS`] tags, an error body up to
//!   [`MAX_ERROR_BODY`];
//! - every transfer has an overall deadline and a stall timeout ([`Limits`]);
//! - credentials go only where [`crate::Access`] allows them (see [`Session::open`]);
//! - what a registry says reaches the user only through [`clean`]: bounded, control characters
//!   escaped, credentials redacted.
//!
//! Uploads (`push`) still go through `oci-client`, which is handed the credentials resolved
//! here ([`Session::oci_auth`]): a bearer token, Basic credentials for a registry that asks for
//! Basic, or none, so it never contacts a realm itself.

use std::future::Future;
use std::time::Duration;

use oci_client::secrets::RegistryAuth;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode, Url};

use crate::{Access, ShareError};

/// The largest manifest read (Docker's and containerd's limit).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// How much of an error body is shown.
pub const MAX_ERROR_BODY: usize = 4 << 10;
/// The largest token response or page of a tag list read.
pub(crate) const MAX_SMALL_BODY: u64 = 1 << 20;
/// The most layers a sysimg manifest may have (sysimg writes at most four).
pub const MAX_LAYERS: usize = 8;
/// The most tags listed (`ls --remote` reads each one's manifest).
pub const MAX_TAGS: usize = 1000;
/// Tags asked for per page.
const TAGS_PAGE: usize = 100;

/// The longest a request other than a blob transfer (the version check, a token, a manifest,
/// the tag list, a blob's presence) may take, start to end: it moves kilobytes.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(120);

/// Time limits of registry transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest one blob transfer may take, start to end (`SYSIMG_REGISTRY_TIMEOUT`);
    /// other requests take at most [`REQUEST_DEADLINE`], or this if it is shorter.
    pub deadline: Duration,
    /// The longest a connection may stay silent, or take to connect
    /// (`SYSIMG_REGISTRY_STALL_TIMEOUT`).
    pub stall: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            deadline: Duration::from_secs(3600),
            stall: Duration::from_secs(60),
        }
    }
}

/// What credentials are for: the token scope asked of a realm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Reading.
    Pull,
    /// Reading and writing.
    Push,
}

/// `host[:port]` of a URL (IPv6 hosts in brackets).
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// A registry, with the credentials resolved for one repository and operation.
pub(crate) struct Session {
    http: reqwest::Client,
    /// `http://host:port` or `https://host:port`.
    base: String,
    registry: String,
    /// The `Authorization` header of every request to the registry.
    auth: Option<HeaderValue>,
    /// The same, for `oci-client`.
    pub(crate) oci_auth: RegistryAuth,
    /// Everything that must never be shown: passwords, tokens, encoded headers.
    secrets: Vec<String>,
    /// Why credentials the environment holds were not sent (for the advice of an auth error).
    pub(crate) withheld: Option<String>,
    pub(crate) limits: Limits,
}

/// The credentials [`Access`] allows for a host.
pub(crate) enum Cred {
    Basic(String, String),
    Token(String),
}

impl Session {
    /// Connects to `registry` for `repository` and resolves credentials, under the deadline:
    /// - a token (`SYSIMG_REGISTRY_TOKEN`) is sent to the registry as `Bearer`;
    /// - user and password answer a `Basic` challenge, or are exchanged at a `Bearer` realm
    ///   for a token. A realm must use HTTPS when the registry does (unless plain HTTP is
    ///   allowed for the realm's host), and one on another host gets the credentials only when
    ///   [`Access`] allows that host; otherwise the token is asked for anonymously.
    pub(crate) async fn open(
        http: reqwest::Client,
        plain: bool,
        registry: &str,
        repository: &str,
        op: Operation,
        access: &Access,
    ) -> Result<Session, ShareError> {
        let scheme = if plain { "http" } else { "https" };
        let mut s = Session {
            http,
            base: format!("{scheme}://{registry}"),
            registry: registry.to_string(),
            auth: None,
            oci_auth: RegistryAuth::Anonymous,
            secrets: Vec::new(),
            withheld: access.withheld(registry),
            limits: access.limits,
        };
        let cred = access.credentials_for(registry);
        if let Some(Cred::Token(t)) = &cred {
            s.secrets.push(t.clone());
            s.set_bearer(t)?;
            return Ok(s);
        }
        if let Some(Cred::Basic(u, p)) = &cred {
            s.add_basic_secrets(u, p);
        }
        let ping = s.send(s.http.get(format!("{}/v2/", s.base))).await?;
        let challenge = ping
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        drop(ping);
        let Some(challenge) = challenge else {
            return Ok(s);
        };
        let mut realm = None;
        let mut service = None;
        let mut basic = false;
        for c in http_auth::ChallengeParser::new(&challenge).flatten() {
            if c.scheme.eq_ignore_ascii_case("bearer") && realm.is_none() {
                for (k, v) in &c.params {
                    if k.eq_ignore_ascii_case("realm") {
                        realm = Some(v.to_unescaped());
                    } else if k.eq_ignore_ascii_case("service") {
                        service = Some(v.to_unescaped());
                    }
                }
            } else if c.scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
        match (realm, cred) {
            (Some(realm), cred) => {
                let token = s
                    .exchange(&realm, service, repository, op, cred, access, plain)
                    .await?;
                s.secrets.push(token.clone());
                s.set_bearer(&token)?;
            }
            (None, Some(Cred::Basic(u, p))) if basic => {
                s.oci_auth = RegistryAuth::Basic(u.clone(), p.clone());
                let value = format!("Basic {}", basic_token(&u, &p));
                s.auth = Some(sensitive(&value, &s)?);
            }
            _ => {}
        }
        Ok(s)
    }

    fn add_basic_secrets(&mut self, user: &str, password: &str) {
        self.secrets.push(password.to_string());
        self.secrets.push(basic_token(user, password));
    }

    fn set_bearer(&mut self, token: &str) -> Result<(), ShareError> {
        self.oci_auth = RegistryAuth::Bearer(token.to_string());
        self.auth = Some(sensitive(&format!("Bearer {token}"), self)?);
        Ok(())
    }

    /// Asks a bearer realm for a token.
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &mut self,
        realm: &str,
        service: Option<String>,
        repository: &str,
        op: Operation,
        cred: Option<Cred>,
        access: &Access,
        plain: bool,
    ) -> Result<String, ShareError> {
        let refuse = |why: String| ShareError::Refused {
            registry: self.registry.clone(),
            reason: why,
        };
        let mut url = Url::parse(realm).map_err(|_| {
            refuse(format!(
                "its token service `{}` is not a URL",
                clean(realm, &[])
            ))
        })?;
        let realm_host = authority(&url);
        match url.scheme() {
            "https" => {}
            "http" if plain || access.plain_allowed(&realm_host) => {}
            other => {
                return Err(refuse(format!(
                    "it sends token requests to {} over {other}, not HTTPS; no credentials \
                     or requests were sent there (plain HTTP is allowed only with --insecure \
                     for a loopback host, or for a host named in SYSIMG_INSECURE_REGISTRIES)",
                    clean(realm, &[])
                )))
            }
        }
        let cred = match cred {
            Some(c) if realm_host == self.registry || access.credentials_allowed(&realm_host) => {
                Some(c)
            }
            Some(_) => {
                self.withheld = Some(format!(
                    "the credentials were not sent to its token service on {}, another host: \
                     add it to SYSIMG_REGISTRY_HOST to allow that",
                    clean(&realm_host, &[])
                ));
                None
            }
            None => None,
        };
        let scope = match op {
            Operation::Pull => format!("repository:{repository}:pull"),
            Operation::Push => format!("repository:{repository}:pull,push"),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("scope", &scope);
            if let Some(s) = &service {
                q.append_pair("service", s);
            }
        }
        let mut request = self.http.get(url);
        if let Some(Cred::Basic(u, p)) = &cred {
            request = request.basic_auth(u, Some(p));
        }
        let response = self.send(request).await?;
        let response = self.check(response, &self.registry.clone()).await?;
        let body = self.read_capped(response, MAX_SMALL_BODY, "token").await?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&body).map_err(|e| ShareError::Registry {
            registry: self.registry.clone(),
            reason: format!("its token service answered no token: {e}"),
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ShareError::Registry {
                registry: self.registry.clone(),
                reason: "its token service answered no token".to_string(),
            })
    }

    /// Sends a request (with the registry's credentials when it goes to the registry).
    async fn send(&self, request: RequestBuilder) -> Result<Response, ShareError> {
        request
            .send()
            .await
            .map_err(|e| self.transport(&e, "the request"))
    }

    /// A request to the registry, with its credentials.
    fn get(&self, path: &str) -> RequestBuilder {
        let r = self.http.get(format!("{}{path}", self.base));
        match &self.auth {
            Some(a) => r.header(AUTHORIZATION, a.clone()),
            None => r,
        }
    }

    /// A transport error (no answer, a stall, a broken connection) as a [`ShareError`].
    fn transport(&self, e: &reqwest::Error, what: &str) -> ShareError {
        let reason = if e.is_timeout() {
            format!(
                "{what} stalled: nothing arrived for {} (SYSIMG_REGISTRY_STALL_TIMEOUT)",
                humantime::format_duration(self.limits.stall)
            )
        } else if e.is_connect() {
            crate::error_chain(e)
        } else {
            format!("the connection broke: {}", crate::error_chain(e))
        };
        ShareError::Unreachable {
            registry: self.registry.clone(),
            reason: self.clean(&reason),
        }
    }

    /// A registry's text, made safe to show (see [`clean`]).
    pub(crate) fn clean(&self, text: &str) -> String {
        clean(text, &self.secrets)
    }

    /// The response, if it is a success; else the error it is, its body read up to
    /// [`MAX_ERROR_BODY`] and cleaned.
    async fn check(&self, response: Response, what: &str) -> Result<Response, ShareError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let mut body = Vec::new();
        let mut response = response;
        let mut more = false;
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BODY - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if chunk.len() > room {
                more = true;
                break;
            }
        }
        let mut text = error_message(&body);
        if more {
            text.push_str(" [...]");
        }
        let reason = self.clean(&format!("{status} {text}"));
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ShareError::Auth {
                registry: self.registry.clone(),
                reason,
                withheld: self.withheld.clone(),
            },
            StatusCode::NOT_FOUND => ShareError::NotFound {
                reference: what.to_string(),
            },
            _ => ShareError::Registry {
                registry: self.registry.clone(),
                reason,
            },
        })
    }

    /// A whole body, refused past `cap` bytes.
    async fn read_capped(
        &self,
        mut response: Response,
        cap: u64,
        what: &str,
    ) -> Result<Vec<u8>, ShareError> {
        let too_large = || {
            ShareError::Corrupt(format!(
                "the registry {} sent a {what} larger than {} (the most sysimg reads)",
                self.registry,
                size_text(cap)
            ))
        };
        if response.content_length().is_some_and(|l| l > cap) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(&e, &format!("reading the {what}")))?
        {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The manifest `reference` (a tag or digest) names in `repository`: its bytes and
    /// digest. Refused past [`MAX_MANIFEST`], or when the registry's digest header disagrees.
    pub(crate) async fn manifest(
        &self,
        repository: &str,
        reference: &str,
        what: &str,
    ) -> Result<(Vec<u8>, String), ShareError> {
        let request = self
            .get(&format!("/v2/{repository}/manifests/{reference}"))
            .header(ACCEPT, oci_client::manifest::OCI_IMAGE_MEDIA_TYPE);
        let response = self.send(request).await?;
        let response = self.check(response, what).await?;
        let header = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = self
            .read_capped(response, MAX_MANIFEST, &format!("manifest for {what}"))
            .await?;
        let digest = format!(
            "sha256:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
        );
        if let Some(h) = header.filter(|h| h.starts_with("sha256:") && *h != digest) {
            return Err(ShareError::Corrupt(format!(
                "the manifest of {what} has digest {digest}, the registry says {}",
                self.clean(&h)
            )));
        }
        Ok((bytes, digest))
    }

    /// Streams a blob into `sink`, never past `size` bytes: more is refused as corrupt.
    pub(crate) async fn blob(
        &self,
        repository: &str,
        digest: &str,
        size: u64,
        what: &str,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), ShareError>,
    ) -> Result<u64, ShareError> {
        let response = self
            .send(self.get(&format!("/v2/{repository}/blobs/{digest}")))
            .await?;
        let mut response = self.check(response, what).await?;
        let larger = |got: u64| {
            ShareError::Corrupt(format!(
                "blob {digest} of {what} is larger than its declared {size} bytes: the \
                 download was stopped after {got} bytes"
            ))
        };
        if response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|l| l > size)
        {
            return Err(larger(0));
        }
        let mut got = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            let mut err = self.transport(&e, &format!("the download of {digest}"));
            if let ShareError::Unreachable { reason, .. } = &mut err {
                *reason = format!("{reason} (after {got} of {size} bytes)");
            }
            err
        })? {
            let room = size - got;
            if chunk.len() as u64 > room {
                return Err(larger(got + chunk.len() as u64));
            }
            got += chunk.len() as u64;
            sink(&chunk)?;
        }
        Ok(got)
    }

    /// The repository's tags, page by page, at most [`MAX_TAGS`] (`true` when there were
    /// more). A next page on another host than the registry's is not followed.
    pub(crate) async fn tags(
        &self,
        repository: &str,
        what: &str,
    ) -> Result<(Vec<String>, bool), ShareError> {
        let mut tags = Vec::new();
        let mut path = format!("/v2/{repository}/tags/list?n={TAGS_PAGE}");
        loop {
            let response = self.send(self.get(&path)).await?;
            let response = self.check(response, what).await?;
            let next = response
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body = self
                .read_capped(response, MAX_SMALL_BODY, "tag list")
                .await?;
            #[derive(serde::Deserialize)]
            struct Page {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let page: Page = serde_json::from_slice(&body).map_err(|e| ShareError::Registry {
                registry: self.registry.clone(),
                reason: format!("its tag list is not JSON: {e}"),
            })?;
            let page = page.tags.unwrap_or_default();
            let empty = page.is_empty();
            // A tag goes into a URL's path: anything the tag grammar does not allow (`..`,
            // `/`, `?`) is not a tag.
            for t in page.into_iter().filter(|t| is_tag(t)) {
                if tags.len() == MAX_TAGS {
                    return Ok((tags, true));
                }
                tags.push(t);
            }
            // The next page: only a path on this registry.
            match next.filter(|n| n.starts_with('/') && !n.starts_with("//")) {
                Some(_) if tags.len() == MAX_TAGS => return Ok((tags, true)),
                Some(n) if !empty => path = n,
                _ => return Ok((tags, false)),
            }
        }
    }
}

/// Whether `t` is a tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}` (the distribution spec's).
fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// The target of a `Link: <...>; rel="next"` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next")
            .then(|| target.to_string())
    })
}

/// What a deadline applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// A blob's upload or download: [`Limits::deadline`].
    Transfer,
    /// Any other request: [`REQUEST_DEADLINE`] at most.
    Request,
}

/// Runs `f` under the deadline of `span`.
pub(crate) async fn deadline<T>(
    registry: &str,
    limits: Limits,
    span: Span,
    what: &str,
    f: impl Future<Output = Result<T, ShareError>>,
) -> Result<T, ShareError> {
    let (limit, setting) = match span {
        Span::Request if REQUEST_DEADLINE < limits.deadline => (
            REQUEST_DEADLINE,
            "the limit of a request other than a blob transfer",
        ),
        _ => (limits.deadline, "SYSIMG_REGISTRY_TIMEOUT"),
    };
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => Err(ShareError::Unreachable {
            registry: registry.to_string(),
            reason: format!(
                "{what} did not finish within {} ({setting})",
                humantime::format_duration(limit)
            ),
        }),
    }
}

/// The base64 of `user:password`, as a Basic header holds it.
fn basic_token(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// A header value marked sensitive (kept out of debug output).
fn sensitive(value: &str, s: &Session) -> Result<HeaderValue, ShareError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        ShareError::Invalid(format!(
            "the credentials for {} contain characters an HTTP header cannot hold",
            s.registry
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The messages of an OCI error body (`{"errors": [{"code", "message"}]}`), else the body.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(e) = serde_json::from_slice::<Envelope>(body) {
        if !e.errors.is_empty() {
            return e
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
        }
    }
    String::from_utf8_lossy(body).into_owned()
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Text from a registry made safe to show: at most [`MAX_ERROR_BODY`] bytes (cut on a
/// character boundary, marked `[...]`), every `secret` and anything that looks like a
/// credential (an `Authorization` header's value, `Bearer`/`Basic` and what follows, a JSON
/// `token`) replaced by `<redacted>`, and control characters escaped (`\n`, `\u{1b}`), so
/// it stays on one line and cannot drive a terminal.
pub fn clean(text: &str, secrets: &[String]) -> String {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            (
                r"(?i)((?:proxy-)?authorization\s*[:=]\s*)[^\r\n,;]*",
                "${1}<redacted>",
            ),
            (
                r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+",
                "${1}${2}<redacted>",
            ),
            (
                r#"(?i)("(?:access_|refresh_|id_)?token"\s*:\s*)"[^"]*""#,
                "${1}\"<redacted>\"",
            ),
        ]
        .into_iter()
        .filter_map(|(p, r)| Some((regex::Regex::new(p).ok()?, r)))
        .collect()
    });
    let mut cut = text.len().min(MAX_ERROR_BODY);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = text[..cut].to_string();
    // Longest first, so a secret containing another is replaced whole.
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 3).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        out = out.replace(s.as_str(), "<redacted>");
    }
    for (re, with) in patterns {
        out = re.replace_all(&out, *with).into_owned();
    }
    let mut escaped = String::with_capacity(out.len());
    for c in out.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    if cut < text.len() {
        escaped.push_str(" [...]");
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_bounds_escapes_and_redacts() {
        let secrets = vec!["s3cret-token".to_string()];
        let c = clean(
            "denied\nAuthorization: Bearer abc.def\r\n\x1b[31mred s3cret-token {\"token\":\"xyz\"}",
            &secrets,
        );
        assert_eq!(
            c,
            "denied\\nAuthorization: <redacted>\\r\\n\\u{1b}[31mred <redacted> {\"token\":\"<redacted>\"}"
        );
        assert_eq!(clean("basic dXNlcjpwdw==", &[]), "basic <redacted>");
        let long = "é".repeat(MAX_ERROR_BODY);
        let c = clean(&long, &[]);
        assert!(c.len() <= MAX_ERROR_BODY + 6 && c.ends_with(" [...]"));
    }

    #[test]
    fn next_links() {
        assert_eq!(
            next_link("</v2/x/tags/list?n=100&last=b>; rel=\"next\"").as_deref(),
            Some("/v2/x/tags/list?n=100&last=b")
        );
        assert_eq!(next_link("</a>; rel=\"prev\""), None);
    }
}
