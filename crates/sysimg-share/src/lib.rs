//! Sharing images through an OCI registry: `push`, `pull` and listing a remote.
//!
//! # The artifact
//! An image is stored as an OCI image manifest (`application/vnd.oci.image.manifest.v1+json`)
//! with `artifactType` [`ARTIFACT_TYPE`] and a small JSON config of media type
//! [`CONFIG_MEDIA_TYPE`] (the id, Julia, platform, CPU target, policy and packages). Each file
//! of the image is one layer, named by its `org.opencontainers.image.title` annotation: the
//! image file (`sys.so`), `image.toml`, `build.log`, and the side-loaded sources of a dev image
//! as a tar with fixed times and owners (so the same sources give the same digest). The
//! manifest's annotations ([`ANNOTATION_ID`] and its siblings) carry the image id, the Julia
//! version and commit, the platform, the CPU target, the policy and the package list. It is
//! tagged with the image id, plus any tag the user gives.
//!
//! # Safety of the store
//! A pull downloads into `<store>/.tmp-<id>-*`, verifies every blob against its digest and
//! size, the record against the id, and the image file against the record's SHA-256, then
//! renames the directory into place, all under the id's exclusive lock, as a build does: an
//! interrupted pull leaves no image, and concurrent pulls of one id download it once.
//!
//! The registry client is the `oci-client` crate (async); each call here runs it on a small
//! single-threaded tokio runtime, so callers see a plain blocking API. Progress is reported
//! through a callback ([`ShareEvent`]); nothing here prints.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use julia_env::Error;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{OciDescriptor, OciImageManifest, OCI_IMAGE_MEDIA_TYPE};
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};

use sysimg::build::RemoveOnDrop;
use sysimg::model::record::{file_sha256, ImageRecord, RECORD_FILE};
use sysimg::model::spec::Policy;

mod unpack;
mod wire;
use sysimg::store::{is_image_id, Bucket, LockHolder, Scratch, Store, LOG_FILE};
pub use wire::{
    clean, Limits, Operation, MAX_ERROR_BODY, MAX_LAYERS, MAX_MANIFEST, MAX_TAGS, REQUEST_DEADLINE,
};
use wire::{Cred, Session, Span};

/// The manifest's `artifactType`: a sysimg image.
pub const ARTIFACT_TYPE: &str = "application/vnd.sysimg.image.v1";
/// The media type of the config blob (a JSON summary of the record).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.sysimg.image.config.v1+json";
/// The media type of the image file's layer.
pub const IMAGE_MEDIA_TYPE: &str = "application/vnd.sysimg.image.file.v1";
/// The media type of the record's layer (`image.toml`).
pub const RECORD_MEDIA_TYPE: &str = "application/vnd.sysimg.image.record.v1+toml";
/// The media type of the build log's layer.
pub const LOG_MEDIA_TYPE: &str = "application/vnd.sysimg.image.log.v1";
/// The media type of the side-loaded sources' layer (a tar of `<store>/sideload/<id>/`).
pub const SIDELOAD_MEDIA_TYPE: &str = "application/vnd.sysimg.image.sideload.v1.tar";
/// The layer annotation naming the file.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// The manifest annotation holding the image id.
pub const ANNOTATION_ID: &str = "dev.sysimg.image.id";
/// The manifest annotation holding the Julia version.
pub const ANNOTATION_JULIA: &str = "dev.sysimg.julia.version";
/// The manifest annotation holding the Julia commit.
pub const ANNOTATION_JULIA_COMMIT: &str = "dev.sysimg.julia.commit";
/// The manifest annotation holding the platform triplet.
pub const ANNOTATION_PLATFORM: &str = "dev.sysimg.platform";
/// The manifest annotation holding the CPU target.
pub const ANNOTATION_CPU_TARGET: &str = "dev.sysimg.cpu-target";
/// The manifest annotation holding the policy.
pub const ANNOTATION_POLICY: &str = "dev.sysimg.policy";
/// The manifest annotation holding the baked packages (`Name@version`, comma-separated).
pub const ANNOTATION_PACKAGES: &str = "dev.sysimg.packages";
/// The file name of the side-loaded sources' tar inside the artifact.
pub const SIDELOAD_TAR: &str = "sideload.tar";

/// How much of a file is read (and sent, as one PATCH of a chunked upload) at a time.
const CHUNK: usize = 4 << 20;

/// Why sharing failed. Each kind has its own exit status in the CLI.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// A reference or option that cannot be used (a malformed reference, `--insecure` for a
    /// registry not allowed to be insecure).
    #[error("{0}")]
    Invalid(String),
    /// A local file could not be read or written.
    #[error(transparent)]
    File(#[from] Error),
    /// The registry could not be reached (connection refused, DNS, TLS), or the connection
    /// broke.
    #[error("cannot reach registry {registry}: {reason}")]
    Unreachable {
        /// The registry.
        registry: String,
        /// What failed.
        reason: String,
    },
    /// The registry refused the credentials (or gave none it accepts).
    #[error("registry {registry} refused access: {reason} ({})", auth_advice(.withheld))]
    Auth {
        /// The registry.
        registry: String,
        /// The registry's answer.
        reason: String,
        /// Why credentials the environment holds were not sent there, if they were not.
        withheld: Option<String>,
    },
    /// The registry asked for something sysimg does not do, to protect the credentials (a
    /// token service over plain HTTP): nothing was sent.
    #[error("refusing registry {registry}: {reason}")]
    Refused {
        /// The registry.
        registry: String,
        /// What it asked for.
        reason: String,
    },
    /// The reference (tag, digest or repository) is not in the registry.
    #[error("{reference} is not in the registry")]
    NotFound {
        /// The reference asked for.
        reference: String,
    },
    /// Content did not match its digest (or the record its id, or the image file its
    /// record): nothing was added to the store.
    #[error("{0}; nothing was added to the store")]
    Corrupt(String),
    /// Anything else the registry answered.
    #[error("registry {registry}: {reason}")]
    Registry {
        /// The registry.
        registry: String,
        /// Its answer.
        reason: String,
    },
}

/// The advice of an [`ShareError::Auth`]: why the credentials were not sent, or how to give
/// some.
fn auth_advice(withheld: &Option<String>) -> String {
    withheld.clone().unwrap_or_else(|| {
        "set SYSIMG_REGISTRY_USER and SYSIMG_REGISTRY_PASSWORD, SYSIMG_REGISTRY_TOKEN, or log \
         in with `docker login`"
            .to_string()
    })
}

/// What is happening to a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobAction {
    /// Being uploaded.
    Upload,
    /// Already in the registry: not uploaded again.
    Present,
    /// Being downloaded.
    Download,
}

/// Progress, reported to the caller's callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareEvent {
    /// A blob's transfer starts (or is skipped).
    Blob {
        /// The file it holds.
        name: String,
        /// Its digest.
        digest: String,
        /// Its size in bytes.
        size: u64,
        /// What is done with it.
        action: BlobAction,
    },
    /// Bytes of the current blob transferred so far.
    Progress {
        /// Transferred.
        done: u64,
        /// The blob's size.
        size: u64,
    },
    /// Another process holds the image's lock (pulling or building it); waiting for it.
    Waiting {
        /// The image id.
        id: String,
        /// Who holds the lock, as far as can be found (as a waiting build names it).
        holder: LockHolder,
    },
}

/// A registry repository, with the tag or digest a reference names (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// The registry host (and port).
    pub registry: String,
    /// The repository within it.
    pub repository: String,
    /// The tag given, if any.
    pub tag: Option<String>,
    /// The digest given, if any.
    pub digest: Option<String>,
}

impl Remote {
    /// Parses `registry/repository[:tag][@digest]`. The registry must be named (a host with a
    /// dot or a port, or `localhost`): sysimg has no default registry.
    pub fn parse(text: &str) -> Result<Remote, ShareError> {
        let bad = |why: &str| {
            ShareError::Invalid(format!(
                "`{text}` is not a registry reference ({why}); expected \
                 REGISTRY/REPOSITORY[:TAG], e.g. registry.example.com/team/sysimages"
            ))
        };
        let first = text.split('/').next().unwrap_or("");
        let names_registry = text.contains('/')
            && (first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.starts_with('['));
        if !names_registry {
            return Err(bad("no registry host"));
        }
        // An IPv6 registry (`[::1]:5000`), which the reference grammar `oci-client` parses
        // does not allow: the rest is parsed with a stand-in host.
        let (ipv6, parsed) = match first.strip_prefix('[') {
            Some(rest) => {
                let (addr, port) = rest.split_once(']').ok_or_else(|| bad("no `]`"))?;
                let port_ok = port.is_empty()
                    || port
                        .strip_prefix(':')
                        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                if addr.parse::<std::net::Ipv6Addr>().is_err() || !port_ok {
                    return Err(bad("not an IPv6 address in brackets"));
                }
                let rest = &text[first.len()..];
                (Some(first), format!("localhost{port}{rest}"))
            }
            None => (None, text.to_string()),
        };
        let r = Reference::try_from(parsed.as_str()).map_err(|e| bad(&e.to_string()))?;
        let last = text.rsplit('/').next().unwrap_or("");
        let tag = last
            .split('@')
            .next()
            .filter(|l| l.contains(':'))
            .and(r.tag().map(str::to_string));
        Ok(Remote {
            registry: ipv6.map_or_else(|| r.registry().to_string(), str::to_string),
            repository: r.repository().to_string(),
            tag,
            digest: r.digest().map(str::to_string),
        })
    }

    /// The repository, without tag or digest.
    pub fn repository_ref(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// This repository with another tag.
    pub fn with_tag(&self, tag: &str) -> Remote {
        Remote {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    fn reference(&self, tag: Option<&str>) -> Reference {
        match (tag.or(self.tag.as_deref()), &self.digest) {
            (None, Some(d)) => {
                Reference::with_digest(self.registry.clone(), self.repository.clone(), d.clone())
            }
            (t, _) => Reference::with_tag(
                self.registry.clone(),
                self.repository.clone(),
                t.unwrap_or("latest").to_string(),
            ),
        }
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repository_ref())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Credentials for a registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// None given: anonymous, unless `~/.docker/config.json` (or its credential helper) has
    /// some for the registry.
    DockerConfig,
    /// A user name and password (HTTP basic, or exchanged for a bearer token).
    Basic(String, String),
    /// A bearer token.
    Token(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::DockerConfig => f.write_str("DockerConfig"),
            Credentials::Basic(u, _) => write!(f, "Basic({u}, <redacted>)"),
            Credentials::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// How to reach registries: credentials (and where they may go), TLS trust, which registries
/// may be reached over plain HTTP, and time limits.
#[derive(Clone, Debug)]
pub struct Access {
    /// `--insecure`: plain HTTP, allowed only for [`Access::may_be_insecure`] registries.
    pub insecure: bool,
    /// Registries that may be (and are) reached over plain HTTP (`SYSIMG_INSECURE_REGISTRIES`).
    pub insecure_registries: Vec<String>,
    /// The credentials the environment gives.
    pub credentials: Credentials,
    /// The registries (`host[:port]`, exactly) [`Access::credentials`] may be sent to:
    /// `SYSIMG_REGISTRY_HOST` (comma-separated), plus those the user named
    /// ([`Access::allow_credentials_for`]). Never one only a project's `Sysimage.toml` names.
    /// Docker's config is per registry already: its credentials go to the registry they are
    /// stored for.
    pub credential_hosts: Vec<String>,
    /// A PEM file of extra CA certificates to trust (`SYSIMG_REGISTRY_CA`, else
    /// `SSL_CERT_FILE`).
    pub ca_file: Option<PathBuf>,
    /// Upload each blob as one streamed PUT instead of a chunked upload of 4 MiB PATCHes
    /// (`SYSIMG_PUSH_MONOLITHIC=1`): for registries that refuse small chunks, and faster on a
    /// fast link (one request instead of one per chunk).
    pub monolithic: bool,
    /// Time limits (`SYSIMG_REGISTRY_TIMEOUT`, `SYSIMG_REGISTRY_STALL_TIMEOUT`).
    pub limits: Limits,
}

/// The host of `host[:port]` (a numeric port is taken off).
fn host_of(registry: &str) -> &str {
    registry
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(registry, |(h, _)| h)
}

/// A comma-separated list, trimmed, without empty items.
fn list_of(v: Option<String>) -> Vec<String> {
    v.map(|v| {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

impl Access {
    /// The access the environment describes (`var` reads a variable): `SYSIMG_REGISTRY_TOKEN`,
    /// else `SYSIMG_REGISTRY_USER` with `SYSIMG_REGISTRY_PASSWORD`, else Docker's config;
    /// `SYSIMG_REGISTRY_HOST` (where the first two may go, comma-separated);
    /// `SYSIMG_INSECURE_REGISTRIES` (comma-separated); `SYSIMG_REGISTRY_CA`, else
    /// `SSL_CERT_FILE`; `SYSIMG_REGISTRY_TIMEOUT` and `SYSIMG_REGISTRY_STALL_TIMEOUT`
    /// (durations such as `90s` or `1h`). A duration that is not one is an error.
    pub fn from_vars(
        insecure: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Access, ShareError> {
        let var = |k: &str| var(k).filter(|v| !v.is_empty());
        let credentials = match (
            var("SYSIMG_REGISTRY_TOKEN"),
            var("SYSIMG_REGISTRY_USER"),
            var("SYSIMG_REGISTRY_PASSWORD"),
        ) {
            (Some(t), _, _) => Credentials::Token(t),
            (None, Some(u), p) => Credentials::Basic(u, p.unwrap_or_default()),
            _ => Credentials::DockerConfig,
        };
        let duration = |k: &str, default: Duration| match var(k) {
            None => Ok(default),
            Some(v) => humantime::parse_duration(&v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    ShareError::Invalid(format!(
                        "{k}=`{}` is not a duration (such as `90s`, `10m` or `1h`)",
                        clean(&v, &[])
                    ))
                }),
        };
        let defaults = Limits::default();
        Ok(Access {
            insecure,
            insecure_registries: list_of(var("SYSIMG_INSECURE_REGISTRIES")),
            credentials,
            credential_hosts: list_of(var("SYSIMG_REGISTRY_HOST")),
            ca_file: var("SYSIMG_REGISTRY_CA")
                .or_else(|| var("SSL_CERT_FILE"))
                .map(PathBuf::from),
            monolithic: var("SYSIMG_PUSH_MONOLITHIC").is_some_and(|v| v != "0"),
            limits: Limits {
                deadline: duration("SYSIMG_REGISTRY_TIMEOUT", defaults.deadline)?,
                stall: duration("SYSIMG_REGISTRY_STALL_TIMEOUT", defaults.stall)?,
            },
        })
    }

    /// Allows the environment's credentials to go to `registry`: one the user named (on the
    /// command line, or in `SYSIMG_REMOTE`), never one a project's `Sysimage.toml` names.
    pub fn allow_credentials_for(mut self, registry: &str) -> Access {
        if !self.credentials_allowed(registry) {
            self.credential_hosts.push(registry.to_string());
        }
        self
    }

    /// Whether the environment's credentials may be sent to `registry` (`host[:port]`).
    pub fn credentials_allowed(&self, registry: &str) -> bool {
        self.credential_hosts.iter().any(|h| h == registry)
    }

    /// Whether a registry may be reached over plain HTTP: a loopback host, or one named in
    /// [`Access::insecure_registries`].
    pub fn may_be_insecure(&self, registry: &str) -> bool {
        matches!(host_of(registry), "localhost" | "127.0.0.1" | "[::1]")
            || self.named_insecure(registry)
    }

    /// Whether `registry` (`host[:port]`) is named in [`Access::insecure_registries`], with
    /// its port or by its host alone.
    fn named_insecure(&self, registry: &str) -> bool {
        let host = host_of(registry);
        self.insecure_registries
            .iter()
            .any(|r| r == registry || r == host)
    }

    /// Whether plain HTTP may be used with `host` (a registry, or its token service):
    /// `--insecure` for a host it is allowed for, or a host named insecure.
    fn plain_allowed(&self, host: &str) -> bool {
        (self.insecure && self.may_be_insecure(host)) || self.named_insecure(host)
    }

    /// Whether plain HTTP is used for a registry: `--insecure` (where allowed), or a registry
    /// named in `SYSIMG_INSECURE_REGISTRIES`.
    fn plain_http(&self, registry: &str) -> Result<bool, ShareError> {
        let named = self.named_insecure(registry);
        if self.insecure && !self.may_be_insecure(registry) {
            return Err(ShareError::Invalid(format!(
                "--insecure (plain HTTP) is allowed only for localhost, 127.0.0.1, [::1] and \
                 the registries named in SYSIMG_INSECURE_REGISTRIES, not for {registry}"
            )));
        }
        Ok(self.insecure || named)
    }

    /// The credentials for `registry`: the environment's where allowed, else Docker's config
    /// for that registry.
    fn credentials_for(&self, registry: &str) -> Option<Cred> {
        match &self.credentials {
            Credentials::Token(t) if self.credentials_allowed(registry) => {
                Some(Cred::Token(t.clone()))
            }
            Credentials::Basic(u, p) if self.credentials_allowed(registry) => {
                Some(Cred::Basic(u.clone(), p.clone()))
            }
            Credentials::Token(_) | Credentials::Basic(..) => None,
            Credentials::DockerConfig => match docker_credential::get_credential(registry) {
                Ok(docker_credential::DockerCredential::UsernamePassword(u, p)) => {
                    Some(Cred::Basic(u, p))
                }
                Ok(docker_credential::DockerCredential::IdentityToken(t)) => Some(Cred::Token(t)),
                Err(_) => None,
            },
        }
    }

    /// Why the environment's credentials are not sent to `registry`, if they are not.
    fn withheld(&self, registry: &str) -> Option<String> {
        let name = match self.credentials {
            Credentials::DockerConfig => return None,
            _ if self.credentials_allowed(registry) => return None,
            Credentials::Token(_) => "SYSIMG_REGISTRY_TOKEN",
            Credentials::Basic(..) => "SYSIMG_REGISTRY_USER/SYSIMG_REGISTRY_PASSWORD",
        };
        Some(format!(
            "the credentials in {name} were not sent to {registry}: they go only to a registry you name \
             (on the command line, in SYSIMG_REMOTE or SYSIMG_REGISTRY_HOST), not to one only \
             a project's Sysimage.toml names; set SYSIMG_REGISTRY_HOST={registry} to allow it"
        ))
    }
}

/// A connection to one registry: the reads of [`Session`], `oci-client` for uploads, and the
/// runtime both run on.
struct Connection {
    client: Client,
    session: Session,
    registry: String,
    runtime: tokio::runtime::Runtime,
}

impl Connection {
    fn open(remote: &Remote, access: &Access, op: Operation) -> Result<Connection, ShareError> {
        let plain = access.plain_http(&remote.registry)?;
        let mut extra = Vec::new();
        if let Some(ca) = &access.ca_file {
            extra.push(std::fs::read(ca).map_err(|e| Error::io(ca, e))?);
        }
        let config = ClientConfig {
            protocol: if plain {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            connect_timeout: Some(access.limits.stall),
            use_monolithic_push: access.monolithic,
            read_timeout: Some(access.limits.stall),
            extra_root_certificates: extra
                .iter()
                .map(|data| Certificate {
                    encoding: CertificateEncoding::Pem,
                    data: data.clone(),
                })
                .collect(),
            ..ClientConfig::default()
        };
        let unusable = |e: String| ShareError::Registry {
            registry: remote.registry.clone(),
            reason: e,
        };
        let client = Client::try_from(config).map_err(|e| unusable(error_chain(&e)))?;
        let mut http = reqwest::Client::builder()
            .connect_timeout(access.limits.stall)
            .read_timeout(access.limits.stall)
            .user_agent(concat!("sysimg/", env!("CARGO_PKG_VERSION")));
        for pem in &extra {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| unusable(error_chain(&e)))?;
            http = http.tls_certs_merge(certs);
        }
        let http = http.build().map_err(|e| unusable(error_chain(&e)))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io(Path::new("tokio runtime"), e))?;
        let session = runtime.block_on(wire::deadline(
            &remote.registry,
            access.limits,
            Span::Request,
            "connecting",
            Session::open(
                http,
                plain,
                &remote.registry,
                &remote.repository,
                op,
                access,
            ),
        ))?;
        // Every upload request (blob HEADs too) then carries the credentials resolved.
        runtime.block_on(client.store_auth_if_needed(&remote.registry, &session.oci_auth));
        Ok(Connection {
            client,
            session,
            registry: remote.registry.clone(),
            runtime,
        })
    }

    /// Runs a request of the registry under the deadline of `span`.
    fn run<T>(
        &self,
        span: Span,
        what: &str,
        f: impl std::future::Future<Output = Result<T, ShareError>>,
    ) -> Result<T, ShareError> {
        let limits = self.session.limits;
        self.runtime
            .block_on(wire::deadline(&self.registry, limits, span, what, f))
    }

    /// The registry's error as a [`ShareError`], `what` naming the reference concerned, its
    /// text cleaned ([`clean`]).
    fn error(&self, e: OciDistributionError, what: &str) -> ShareError {
        let mut e = classify(&self.registry, e, what);
        match &mut e {
            ShareError::Auth {
                reason, withheld, ..
            } => {
                *reason = self.session.clean(reason);
                withheld.clone_from(&self.session.withheld);
            }
            ShareError::Unreachable { reason, .. }
            | ShareError::Registry { reason, .. }
            | ShareError::Refused { reason, .. } => *reason = self.session.clean(reason),
            ShareError::Corrupt(reason) => *reason = self.session.clean(reason),
            _ => {}
        }
        e
    }

    /// The manifest `reference` names: its bytes and digest (at most [`MAX_MANIFEST`]).
    fn manifest(&self, remote: &Remote) -> Result<(Vec<u8>, String), ShareError> {
        let what = remote.to_string();
        let reference = remote.reference(None);
        let r = reference
            .digest()
            .or(reference.tag())
            .unwrap_or("latest")
            .to_string();
        self.run(
            Span::Request,
            &format!("reading the manifest of {what}"),
            self.session.manifest(&remote.repository, &r, &what),
        )
    }
}

fn classify(registry: &str, e: OciDistributionError, what: &str) -> ShareError {
    let registry = registry.to_string();
    let not_found = || ShareError::NotFound {
        reference: what.to_string(),
    };
    match e {
        OciDistributionError::RequestError(r) => match r.status().map(|s| s.as_u16()) {
            Some(401 | 403) => ShareError::Auth {
                registry,
                reason: error_chain(&r),
                withheld: None,
            },
            Some(404) => not_found(),
            Some(_) => ShareError::Registry {
                registry,
                reason: error_chain(&r),
            },
            // No answer at all: no connection, or it broke.
            None if r.is_connect() || r.is_timeout() => ShareError::Unreachable {
                registry,
                reason: error_chain(&r),
            },
            None => ShareError::Unreachable {
                registry,
                reason: format!("the connection broke: {}", error_chain(&r)),
            },
        },
        OciDistributionError::IoError(io) => ShareError::Unreachable {
            registry,
            reason: format!("the connection broke: {io}"),
        },
        OciDistributionError::AuthenticationFailure(reason) => ShareError::Auth {
            registry,
            reason,
            withheld: None,
        },
        OciDistributionError::UnauthorizedError { url } => ShareError::Auth {
            registry,
            reason: format!("not authorized for {url}"),
            withheld: None,
        },
        OciDistributionError::ImageManifestNotFoundError(_) => not_found(),
        OciDistributionError::RegistryError { envelope, url } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            let reason = envelope
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                ShareError::Auth {
                    registry,
                    reason,
                    withheld: None,
                }
            } else if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::BlobUnknown
                )
            }) {
                not_found()
            } else {
                ShareError::Registry {
                    registry,
                    reason: format!("{reason} ({url})"),
                }
            }
        }
        OciDistributionError::ServerError { code, url, message } => match code {
            401 | 403 => ShareError::Auth {
                registry,
                reason: format!("{code} {message}"),
                withheld: None,
            },
            404 => not_found(),
            _ => ShareError::Registry {
                registry,
                reason: format!("{code} {message} ({url})"),
            },
        },
        OciDistributionError::DigestError(d) => ShareError::Corrupt(d.to_string()),
        other => ShareError::Registry {
            registry,
            reason: error_chain(&other),
        },
    }
}

/// An error's message followed by its sources' (reqwest's own message alone, "error sending
/// request", hides the cause: connection refused, an unknown certificate issuer).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// One file of an image, as a layer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BlobReport {
    /// The file it holds.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its digest.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Uploaded, or already present.
    pub action: BlobAction,
}

/// What a push did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PushReport {
    /// The image id.
    pub id: String,
    /// The repository pushed to.
    pub repository: String,
    /// The manifest's digest.
    pub digest: String,
    /// The tags set (the id first).
    pub tags: Vec<String>,
    /// Every blob (layers, then the config), uploaded or found present.
    pub blobs: Vec<BlobReport>,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
}

/// A file to push: its name in the artifact, its media type, where it is, and its digest.
struct LayerFile {
    name: String,
    media_type: &'static str,
    path: PathBuf,
    digest: String,
    size: u64,
    /// The digest is the one the record states, not yet checked: the upload hashes the file
    /// as it reads it and abandons the upload (before the registry commits it) on a mismatch.
    unchecked: bool,
}

impl LayerFile {
    fn new(name: &str, media_type: &'static str, path: PathBuf) -> Result<LayerFile, Error> {
        let digest = file_sha256(&path)?;
        LayerFile::with_digest(name, media_type, path, &digest, false)
    }

    /// A file whose SHA-256 is known already (the image file: its record holds it). Hashing
    /// hundreds of megabytes before the upload would double the time the push reads the file.
    fn with_digest(
        name: &str,
        media_type: &'static str,
        path: PathBuf,
        sha256: &str,
        unchecked: bool,
    ) -> Result<LayerFile, Error> {
        let size = std::fs::metadata(&path)
            .map_err(|e| Error::io(&path, e))?
            .len();
        Ok(LayerFile {
            name: name.to_string(),
            media_type,
            path,
            digest: format!("sha256:{sha256}"),
            size,
            unchecked,
        })
    }

    fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
            "annotations": {ANNOTATION_TITLE: self.name},
        })
    }
}

/// The manifest annotations of an image.
fn annotations(record: &ImageRecord) -> BTreeMap<String, String> {
    let packages: Vec<String> = record
        .packages
        .iter()
        .map(|p| match &p.version {
            Some(v) => format!("{}@{v}", p.name),
            None => p.name.clone(),
        })
        .collect();
    BTreeMap::from([
        (ANNOTATION_ID.to_string(), record.id.clone()),
        (ANNOTATION_JULIA.to_string(), record.julia.version.clone()),
        (
            ANNOTATION_JULIA_COMMIT.to_string(),
            record.julia.commit.clone(),
        ),
        (ANNOTATION_PLATFORM.to_string(), record.platform.clone()),
        (ANNOTATION_CPU_TARGET.to_string(), record.cpu_target.clone()),
        (ANNOTATION_POLICY.to_string(), record.policy.to_string()),
        (ANNOTATION_PACKAGES.to_string(), packages.join(",")),
        (
            "org.opencontainers.image.created".to_string(),
            record.created.clone(),
        ),
    ])
}

/// Writes a directory as a tar with fixed times and owners and sorted entries, so the same
/// sources always give the same bytes (and the same blob digest).
fn write_deterministic_tar(dir: &Path, out: &Path) -> Result<(), Error> {
    let file = std::fs::File::create(out).map_err(|e| Error::io(out, e))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let mut entries: Vec<_> = std::fs::read_dir(&abs)
            .map_err(|e| Error::io(&abs, e))?
            .filter_map(|e| e.ok())
            .map(|e| rel.join(e.file_name()))
            .collect();
        // Reverse order on the stack, so directories are walked in sorted order.
        entries.sort();
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = dir.join(&entry);
            tar.append_path_with_name(&path, &entry)
                .map_err(|e| Error::io(&path, e))?;
            if path.is_dir() && !path.is_symlink() {
                subdirs.push(entry);
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    tar.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(|e| Error::io(out, e))
}

/// Pushes an image (its directory, holding `image.toml`) to a repository, tagged with its id
/// and `tags` (and the tag `remote` names, if any). Blobs the registry already holds are not
/// uploaded again; large files go up in 4 MiB chunks. A push that failed midway is simply
/// run again: finished blobs are found present, an unfinished one starts over.
pub fn push(
    store: Option<&Store>,
    image_dir: &Path,
    remote: &Remote,
    tags: &[String],
    access: &Access,
    on_event: &mut dyn FnMut(ShareEvent),
) -> Result<PushReport, ShareError> {
    let record_path = image_dir.join(RECORD_FILE);
    let record = ImageRecord::read(&record_path)?;
    let mut all_tags = vec![record.id.clone()];
    for t in tags.iter().chain(remote.tag.as_ref()) {
        if !all_tags.contains(t) {
            all_tags.push(t.clone());
        }
    }
    for t in &all_tags {
        if Reference::try_from(format!("{}:{t}", remote.repository_ref()).as_str()).is_err() {
            return Err(ShareError::Invalid(format!("`{t}` is not a valid tag")));
        }
    }
    // Never push an image that does not match its record: checked while it is uploaded.
    let mut layers = vec![LayerFile::with_digest(
        &record.image.file,
        IMAGE_MEDIA_TYPE,
        image_dir.join(&record.image.file),
        &record.image.sha256,
        true,
    )?];
    layers.push(LayerFile::new(RECORD_FILE, RECORD_MEDIA_TYPE, record_path)?);
    let log = image_dir.join(LOG_FILE);
    if log.is_file() {
        layers.push(LayerFile::new(LOG_FILE, LOG_MEDIA_TYPE, log)?);
    }
    let scratch = tempfile::tempdir().map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    if let Some(store) = store {
        let sideloaded = store.sideload_dir(&record.id);
        if sideloaded.is_dir() {
            let tar = scratch.path().join(SIDELOAD_TAR);
            write_deterministic_tar(&sideloaded, &tar)?;
            layers.push(LayerFile::new(SIDELOAD_TAR, SIDELOAD_MEDIA_TYPE, tar)?);
        }
    }
    let config = serde_json::to_vec_pretty(&serde_json::json!({
        "id": record.id,
        "julia": record.julia,
        "platform": record.platform,
        "cpu_target": record.cpu_target,
        "policy": record.policy,
        "created": record.created,
        "packages": record.packages.iter().map(|p| serde_json::json!({
            "name": p.name, "uuid": p.uuid.to_string(), "version": p.version,
        })).collect::<Vec<_>>(),
    }))
    .unwrap_or_default();
    let config_path = scratch.path().join("config.json");
    std::fs::write(&config_path, &config).map_err(|e| Error::io(&config_path, e))?;
    let config_layer = LayerFile::new("config.json", CONFIG_MEDIA_TYPE, config_path)?;

    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MEDIA_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": config_layer.digest,
            "size": config_layer.size,
        },
        "layers": layers.iter().map(LayerFile::descriptor).collect::<Vec<_>>(),
        "annotations": annotations(&record),
    });
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();

    let conn = Connection::open(remote, access, Operation::Push)?;
    let target = remote.reference(Some(&record.id));
    let mut blobs = Vec::new();
    let mut uploaded_bytes = 0;
    for layer in layers.iter().chain(std::iter::once(&config_layer)) {
        let present = conn.run(Span::Request, "asking for a blob", async {
            conn.client
                .blob_exists(&target, &layer.digest)
                .await
                .map_err(|e| conn.error(e, &remote.repository_ref()))
        })?;
        let action = if present {
            BlobAction::Present
        } else {
            BlobAction::Upload
        };
        on_event(ShareEvent::Blob {
            name: layer.name.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            action,
        });
        if !present {
            upload(&conn, &target, layer, on_event)?;
            uploaded_bytes += layer.size;
        }
        blobs.push(BlobReport {
            name: layer.name.clone(),
            media_type: layer.media_type.to_string(),
            digest: layer.digest.clone(),
            size: layer.size,
            action,
        });
    }
    let content_type = http::HeaderValue::from_static(OCI_IMAGE_MEDIA_TYPE);
    for t in &all_tags {
        conn.run(Span::Request, "uploading the manifest", async {
            conn.client
                .push_manifest_raw(
                    &remote.reference(Some(t)),
                    manifest.clone(),
                    content_type.clone(),
                )
                .await
                .map_err(|e| conn.error(e, &remote.with_tag(t).to_string()))
        })?;
    }
    Ok(PushReport {
        id: record.id.clone(),
        repository: remote.repository_ref(),
        digest: format!("sha256:{}", hex::encode(Sha256::digest(&manifest))),
        tags: all_tags,
        blobs,
        uploaded_bytes,
    })
}

/// Uploads one file as a chunked blob upload (or one streamed PUT, with
/// [`Access::monolithic`]), reporting progress every 100 ms. A file whose
/// digest is [`LayerFile::unchecked`] is hashed as it is read; when it does not match, the
/// stream fails before its end, so the registry never commits the blob.
fn upload(
    conn: &Connection,
    target: &Reference,
    layer: &LayerFile,
    on_event: &mut dyn FnMut(ShareEvent),
) -> Result<(), ShareError> {
    let sent = Arc::new(AtomicU64::new(0));
    let mismatch: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let file = std::fs::File::open(&layer.path).map_err(|e| Error::io(&layer.path, e))?;
    // A thread reads (and hashes) the file while the runtime sends what it read before: the
    // two overlap instead of taking turns.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let reader = {
        let sent = sent.clone();
        let mismatch = mismatch.clone();
        let expected = layer.unchecked.then(|| layer.digest.clone());
        std::thread::spawn(move || read_chunks(file, expected, &sent, &mismatch, &tx))
    };
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let size = layer.size;
    let result = conn.runtime.block_on(async {
        tokio::time::timeout(conn.session.limits.deadline, async {
            let push = conn
                .client
                .push_blob_stream(target, stream, &layer.digest, Some(size));
            tokio::pin!(push);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    r = &mut push => {
                        on_event(ShareEvent::Progress { done: size, size });
                        return r.map(|_| ());
                    }
                    _ = tick.tick() => on_event(ShareEvent::Progress {
                        done: sent.load(Ordering::Relaxed).min(size),
                        size,
                    }),
                }
            }
        })
        .await
    });
    let _ = reader.join();
    let mismatch = mismatch.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (result, mismatch) {
        (_, Some(why)) => Err(ShareError::Corrupt(format!(
            "{} {why}: refusing to push it",
            layer.path.display()
        ))),
        (Ok(Ok(())), None) => Ok(()),
        (Ok(Err(e)), None) => Err(conn.error(e, &target.whole())),
        (Err(_), None) => Err(ShareError::Unreachable {
            registry: conn.registry.clone(),
            reason: format!(
                "the upload of {} did not finish within {} (SYSIMG_REGISTRY_TIMEOUT)",
                layer.name,
                humantime::format_duration(conn.session.limits.deadline)
            ),
        }),
    }
}

/// One chunk of a file being uploaded, as the client's stream takes it.
type Chunk = Result<bytes::Bytes, OciDistributionError>;

/// Reads a file in [`CHUNK`]s into `tx`, counting them in `sent`. With `expected`, hashes them
/// too and, when the file does not have that digest, says why in `mismatch` and ends with an
/// error instead of the end of the file.
fn read_chunks(
    mut file: std::fs::File,
    expected: Option<String>,
    sent: &AtomicU64,
    mismatch: &std::sync::Mutex<Option<String>>,
    tx: &tokio::sync::mpsc::Sender<Chunk>,
) {
    let mut hasher = Sha256::new();
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(OciDistributionError::IoError(e)));
                    return;
                }
            }
        }
        if filled == 0 {
            break;
        }
        buf.truncate(filled);
        if expected.is_some() {
            hasher.update(&buf);
        }
        sent.fetch_add(filled as u64, Ordering::Relaxed);
        if tx.blocking_send(Ok(bytes::Bytes::from(buf))).is_err() {
            return; // the upload stopped
        }
    }
    let Some(expected) = expected else { return };
    let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
    if actual != expected {
        let why = format!("has digest {actual}, its record says {expected}");
        *mismatch.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
        let _ = tx.blocking_send(Err(OciDistributionError::GenericError(Some(why))));
    }
}

/// What a pull did.
#[derive(Clone, Debug)]
pub enum PullOutcome {
    /// The image was downloaded into the store.
    Pulled {
        /// Its record.
        record: ImageRecord,
        /// The blobs downloaded.
        blobs: Vec<BlobReport>,
    },
    /// The store already held it: nothing was downloaded.
    Present(ImageRecord),
}

impl PullOutcome {
    /// The image's record.
    pub fn record(&self) -> &ImageRecord {
        match self {
            PullOutcome::Pulled { record, .. } | PullOutcome::Present(record) => record,
        }
    }
}

/// The manifest of a sysimg artifact, checked to be one.
fn read_manifest(bytes: &[u8], what: &str) -> Result<OciImageManifest, ShareError> {
    let manifest: OciImageManifest = serde_json::from_slice(bytes)
        .map_err(|e| ShareError::Invalid(format!("{what} is not an OCI image manifest: {e}")))?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(ShareError::Invalid(format!(
            "{what} is not a sysimg image (its config is `{}`, not `{CONFIG_MEDIA_TYPE}`)",
            manifest.config.media_type
        )));
    }
    Ok(manifest)
}

/// An annotation's value (empty when absent).
fn annotation(annotations: &Option<BTreeMap<String, String>>, key: &str) -> String {
    annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .cloned()
        .unwrap_or_default()
}

/// The image id a manifest's annotations give, checked to be one.
fn manifest_id(manifest: &OciImageManifest, what: &str) -> Result<String, ShareError> {
    let id = annotation(&manifest.annotations, ANNOTATION_ID);
    if !is_image_id(&id) {
        return Err(ShareError::Invalid(format!(
            "{what} has no valid `{ANNOTATION_ID}` annotation"
        )));
    }
    Ok(id)
}

/// Downloads the image `remote` names (a tag, such as an image id, or a digest) into the
/// store, unless the store already holds it. The manifest is read up to [`MAX_MANIFEST`] and
/// must have at most [`MAX_LAYERS`] layers, each kind once; a side-loaded-sources layer is
/// accepted only for an image whose record side-loads packages. Every blob is read up to its
/// declared size and checked against its digest, the record against the id, the image file
/// against the record's SHA-256, the sources' tar unpacked only as plain files and
/// directories ([`unpack`]), before the image appears in the store (atomically, under the
/// id's lock).
pub fn pull(
    store: &Store,
    remote: &Remote,
    access: &Access,
    on_event: &mut dyn FnMut(ShareEvent),
) -> Result<PullOutcome, ShareError> {
    let what = remote.to_string();
    let conn = Connection::open(remote, access, Operation::Pull)?;
    let (bytes, actual) = conn.manifest(remote)?;
    if let Some(d) = &remote.digest {
        if &actual != d {
            return Err(ShareError::Corrupt(format!(
                "the manifest of {what} has digest {actual}, not {d}"
            )));
        }
    }
    let manifest = read_manifest(&bytes, &what)?;
    let id = manifest_id(&manifest, &what)?;
    check_layers(&manifest, &what)?;
    if let Some(r) = store.lookup(&id) {
        return Ok(PullOutcome::Present(r));
    }
    let _lock = store.lock_exclusive_or_wait(&id, &mut |holder| {
        on_event(ShareEvent::Waiting {
            id: id.clone(),
            holder,
        })
    })?;
    if let Some(r) = store.lookup(&id) {
        return Ok(PullOutcome::Present(r));
    }
    let tmp = store.scratch(&Scratch::Pull(id.clone()))?;
    // The record first: it names the image file and holds its SHA-256, and says whether
    // side-loaded sources belong to the image.
    let mut order: Vec<&OciDescriptor> = manifest.layers.iter().collect();
    order.sort_by_key(|l| l.media_type != RECORD_MEDIA_TYPE);
    let mut record: Option<ImageRecord> = None;
    let mut blobs = Vec::new();
    let mut sideload_tar = None;
    for layer in order {
        let title = annotation(&layer.annotations, ANNOTATION_TITLE);
        let name = match layer.media_type.as_str() {
            RECORD_MEDIA_TYPE => RECORD_FILE.to_string(),
            LOG_MEDIA_TYPE => LOG_FILE.to_string(),
            SIDELOAD_MEDIA_TYPE => match &record {
                Some(r)
                    if r.policy == Policy::Dev
                        && r.packages.iter().any(|p| p.sideload_uuid.is_some()) =>
                {
                    SIDELOAD_TAR.to_string()
                }
                _ => {
                    return Err(ShareError::Corrupt(format!(
                        "{what} has a layer of side-loaded sources, but its record side-loads \
                         no package: refusing it"
                    )))
                }
            },
            IMAGE_MEDIA_TYPE => match &record {
                Some(r) if r.image.file == title && is_plain_file_name(&title) => title.clone(),
                _ => {
                    return Err(ShareError::Corrupt(format!(
                        "{what}: the image layer `{}` is not the file its record names",
                        clean(&title, &[])
                    )))
                }
            },
            other => {
                return Err(ShareError::Invalid(format!(
                    "{what} has a layer of an unknown media type `{}` (made by a newer sysimg?)",
                    clean(other, &[])
                )))
            }
        };
        let size = u64::try_from(layer.size)
            .map_err(|_| ShareError::Corrupt(format!("{what}: a layer has a negative size")))?;
        on_event(ShareEvent::Blob {
            name: name.clone(),
            digest: layer.digest.clone(),
            size,
            action: BlobAction::Download,
        });
        let dest = tmp.path().join(&name);
        let sha = download(&conn, remote, layer, size, &dest, &what, on_event)?;
        blobs.push(BlobReport {
            name: name.clone(),
            media_type: layer.media_type.clone(),
            digest: layer.digest.clone(),
            size,
            action: BlobAction::Download,
        });
        match layer.media_type.as_str() {
            RECORD_MEDIA_TYPE => {
                let r = ImageRecord::read(&dest)?;
                if r.id != id || r.compute_id() != id {
                    return Err(ShareError::Corrupt(format!(
                        "{what}: the record is not that of image {id}"
                    )));
                }
                record = Some(r);
            }
            IMAGE_MEDIA_TYPE => {
                let expected = record.as_ref().map(|r| r.image.sha256.as_str());
                if expected != Some(sha.as_str()) {
                    return Err(ShareError::Corrupt(format!(
                        "{what}: the image file has SHA-256 {sha}, its record says {}",
                        expected.unwrap_or("nothing")
                    )));
                }
            }
            SIDELOAD_MEDIA_TYPE => sideload_tar = Some(dest),
            _ => {}
        }
    }
    let Some(record) = record else {
        return Err(ShareError::Corrupt(format!("{what} holds no image record")));
    };
    if !tmp.path().join(&record.image.file).is_file() {
        return Err(ShareError::Corrupt(format!("{what} holds no image file")));
    }
    // Side-loaded sources go beside the store's images, where the build put them.
    let mut sideload_guard = None;
    if let Some(tar) = sideload_tar {
        let target = store.sideload_dir(&id);
        let parent = store.bucket(Bucket::Sideload);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let unpacked = tempfile::Builder::new()
            .prefix(&format!(".tmp-{id}-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        unpack::unpack(&tar, unpacked.path()).map_err(|e| match e {
            unpack::UnpackError::Refused(why) => ShareError::Corrupt(format!(
                "{what}: the side-loaded sources {why}: refusing them"
            )),
            unpack::UnpackError::File(e) => ShareError::File(e),
        })?;
        std::fs::remove_file(&tar).map_err(|e| Error::io(&tar, e))?;
        let _ = std::fs::remove_dir_all(&target);
        std::fs::rename(unpacked.path(), &target).map_err(|e| Error::io(&target, e))?;
        let _ = unpacked.keep();
        sideload_guard = Some(RemoveOnDrop(Some(target)));
    }
    // A damaged directory in the image's place (one `lookup` does not count) is replaced.
    store.land(&id, tmp)?;
    if let Some(mut g) = sideload_guard {
        g.0 = None;
    }
    Ok(PullOutcome::Pulled { record, blobs })
}

/// Whether `name` is one plain file name (no directory, not `.` or `..`).
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Refuses a manifest with more than [`MAX_LAYERS`] layers, or one kind of layer twice.
fn check_layers(manifest: &OciImageManifest, what: &str) -> Result<(), ShareError> {
    if manifest.layers.len() > MAX_LAYERS {
        return Err(ShareError::Corrupt(format!(
            "{what} has {} layers; a sysimg image has at most {MAX_LAYERS}",
            manifest.layers.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for l in &manifest.layers {
        let hex = l.digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ShareError::Corrupt(format!(
                "{what} has a layer whose digest `{}` is not a SHA-256",
                clean(&l.digest, &[])
            )));
        }
        if !seen.insert(l.media_type.as_str()) {
            return Err(ShareError::Corrupt(format!(
                "{what} has more than one layer of type `{}`",
                clean(&l.media_type, &[])
            )));
        }
    }
    Ok(())
}

/// Downloads a blob into `dest`, never past its declared `size`, checking its size and
/// digest; returns its SHA-256 (hex).
fn download(
    conn: &Connection,
    remote: &Remote,
    layer: &OciDescriptor,
    size: u64,
    dest: &Path,
    what: &str,
    on_event: &mut dyn FnMut(ShareEvent),
) -> Result<String, ShareError> {
    let mut out = std::fs::File::create(dest).map_err(|e| Error::io(dest, e))?;
    let mut hasher = Sha256::new();
    let mut done = 0u64;
    let mut sink = |bytes: &[u8]| -> Result<(), ShareError> {
        hasher.update(bytes);
        out.write_all(bytes).map_err(|e| Error::io(dest, e))?;
        done += bytes.len() as u64;
        on_event(ShareEvent::Progress { done, size });
        Ok(())
    };
    let got = conn.run(
        Span::Transfer,
        &format!("the download of {}", layer.digest),
        conn.session
            .blob(&remote.repository, &layer.digest, size, what, &mut sink),
    )?;
    out.sync_all().map_err(|e| Error::io(dest, e))?;
    let sha = hex::encode(hasher.finalize());
    if format!("sha256:{sha}") != layer.digest || got != size {
        return Err(ShareError::Corrupt(format!(
            "blob {} of {what} is corrupt: its content has digest sha256:{sha} ({got} bytes, \
             {size} expected)",
            layer.digest
        )));
    }
    Ok(sha)
}

/// Pulls image `id` from a repository if the repository has it: `Ok(None)` when it does not.
pub fn pull_if_present(
    store: &Store,
    repository: &Remote,
    id: &str,
    access: &Access,
    on_event: &mut dyn FnMut(ShareEvent),
) -> Result<Option<PullOutcome>, ShareError> {
    match pull(store, &repository.with_tag(id), access, on_event) {
        Ok(o) => Ok(Some(o)),
        Err(ShareError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An image a repository holds, as its manifest describes it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RemoteImage {
    /// The image id.
    pub id: String,
    /// The manifest's digest.
    pub digest: String,
    /// Every tag that names it (the id first).
    pub tags: Vec<String>,
    /// The Julia version.
    pub julia: String,
    /// The platform triplet.
    pub platform: String,
    /// The CPU target.
    pub cpu_target: String,
    /// The policy.
    pub policy: String,
    /// How many packages it bakes.
    pub packages: usize,
    /// When it was built.
    pub created: String,
    /// The size of its layers, in bytes.
    pub size: u64,
}

/// The images of a repository.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Listing {
    /// The images (each tag that is an image id), oldest first.
    pub images: Vec<RemoteImage>,
    /// The repository has more than [`MAX_TAGS`] tags: only the first were read.
    pub truncated: bool,
}

/// The images a repository holds (each tag that is an image id), with the other tags that
/// name the same manifest. At most [`MAX_TAGS`] tags are read (page by page), each
/// manifest up to [`MAX_MANIFEST`].
pub fn list(remote: &Remote, access: &Access) -> Result<Listing, ShareError> {
    let conn = Connection::open(remote, access, Operation::Pull)?;
    let what = remote.repository_ref();
    let (tags, truncated) = conn.run(
        Span::Request,
        "listing the tags",
        conn.session.tags(&remote.repository, &what),
    )?;
    let mut images: Vec<RemoteImage> = Vec::new();
    let mut others: Vec<(String, String)> = Vec::new();
    for tag in &tags {
        let (bytes, digest) = conn.manifest(&remote.with_tag(tag))?;
        let Ok(manifest) = read_manifest(&bytes, tag) else {
            continue; // not a sysimg image: not listed
        };
        if !is_image_id(tag) {
            others.push((tag.clone(), digest));
            continue;
        }
        let a = &manifest.annotations;
        let get = |k: &str| annotation(a, k);
        images.push(RemoteImage {
            id: tag.clone(),
            digest,
            tags: vec![tag.clone()],
            julia: get(ANNOTATION_JULIA),
            platform: get(ANNOTATION_PLATFORM),
            cpu_target: get(ANNOTATION_CPU_TARGET),
            policy: get(ANNOTATION_POLICY),
            packages: get(ANNOTATION_PACKAGES)
                .split(',')
                .filter(|s| !s.is_empty())
                .count(),
            created: get("org.opencontainers.image.created"),
            size: manifest
                .layers
                .iter()
                .map(|l| u64::try_from(l.size).unwrap_or(0))
                .sum(),
        });
    }
    for (tag, digest) in others {
        if let Some(i) = images.iter_mut().find(|i| i.digest == digest) {
            i.tags.push(tag);
        }
    }
    images.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
    Ok(Listing { images, truncated })
}

/// Whether an image's platform triplet is for this machine's architecture and OS.
pub fn for_this_platform(platform: &str) -> bool {
    let os = match std::env::consts::OS {
        "macos" => "apple-darwin",
        "windows" => "w64-mingw32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86" => "i686",
        other => other,
    };
    platform.starts_with(&format!("{arch}-")) && platform.contains(os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = Remote::parse("registry.example.com/team/sysimages").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("registry.example.com", "team/sysimages", None)
        );
        let r = Remote::parse("127.0.0.1:5000/x:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "x", Some("v1"))
        );
        assert_eq!(r.to_string(), "127.0.0.1:5000/x:v1");
        assert!(Remote::parse("sysimages").is_err());
        assert!(Remote::parse("team/sysimages").is_err());
        assert!(Remote::parse("localhost/Bad Name").is_err());
    }

    #[test]
    fn insecure_only_where_allowed() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let a = Access::from_vars(true, env(&[])).unwrap();
        assert!(a.plain_http("127.0.0.1:5000").unwrap());
        assert!(a.plain_http("localhost").unwrap());
        assert!(a.plain_http("registry.example.com").is_err());
        let a = Access::from_vars(
            false,
            env(&[("SYSIMG_INSECURE_REGISTRIES", "reg.lan:5000, other.lan")]),
        )
        .unwrap();
        assert!(a.plain_http("reg.lan:5000").unwrap());
        assert!(a.plain_http("other.lan:443").unwrap());
        assert!(!a.plain_http("registry.example.com").unwrap());
        assert!(!a.plain_http("127.0.0.1:5000").unwrap());
        let a = Access::from_vars(
            false,
            env(&[
                ("SYSIMG_REGISTRY_USER", "u"),
                ("SYSIMG_REGISTRY_PASSWORD", "p"),
            ]),
        )
        .unwrap();
        assert_eq!(a.credentials, Credentials::Basic("u".into(), "p".into()));
        assert_eq!(format!("{:?}", a.credentials), "Basic(u, <redacted>)");
    }

    #[test]
    fn platforms() {
        if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            assert!(for_this_platform("x86_64-linux-gnu"));
            assert!(!for_this_platform("aarch64-linux-gnu"));
            assert!(!for_this_platform("x86_64-apple-darwin"));
        }
    }

    #[test]
    fn sideload_tar_is_deterministic() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        std::fs::create_dir_all(src.join("B/src")).unwrap();
        std::fs::create_dir_all(src.join("A")).unwrap();
        std::fs::write(src.join("B/src/B.jl"), "module B end").unwrap();
        std::fs::write(src.join("A/Project.toml"), "name = \"A\"").unwrap();
        write_deterministic_tar(&src, &t.path().join("1.tar")).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(src.join("A/Project.toml"), "name = \"A\"").unwrap();
        write_deterministic_tar(&src, &t.path().join("2.tar")).unwrap();
        let a = std::fs::read(t.path().join("1.tar")).unwrap();
        assert_eq!(a, std::fs::read(t.path().join("2.tar")).unwrap());
        // What a push writes, a pull unpacks (plain files and directories only).
        let out = t.path().join("out");
        std::fs::create_dir(&out).unwrap();
        unpack::unpack(&t.path().join("1.tar"), &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("B/src/B.jl")).unwrap(),
            "module B end"
        );
    }
}
