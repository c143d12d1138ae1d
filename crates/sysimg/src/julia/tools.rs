//! PackageCompiler's environment: the tools environment in the store that builds load
//! PackageCompiler from, never from the user's environment.
//!
//! Where PackageCompiler comes from, first match wins: `--packagecompiler`,
//! `SYSIMG_PACKAGECOMPILER`, the spec's `packagecompiler` key, else the newest release Pkg can
//! install for the julia through its usual channels (a Pkg server, the registries in the depot).
//! A value is a version (`1.4.1`) or the path of a local checkout (anything with a `/`, or
//! starting with `.` or `~`). Each source gets its own environment,
//! `<store>/tools/julia-X.Y[-<source hash>]`, installed once under a lock (concurrent builds
//! wait for it) and instantiated again by every build so a cleaned depot is refilled.

use std::path::{Path, PathBuf};

use julia_env::resolve::{PackageIndex, RegistryIndex, Request, Resolution};
use julia_env::version::VersionNumber;
use julia_env::version_spec::VersionSpec;
use julia_env::{Error, Location};
use sha2::{Digest, Sha256};

use crate::codegen::string_literal;
use crate::julia::JuliaInfo;
use crate::store::Store;

/// What the user asked PackageCompiler to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageCompilerSource {
    /// The newest release compatible with the julia.
    Newest,
    /// Exactly this registered version.
    Version(String),
    /// A local checkout, `Pkg.develop`ed.
    Path(PathBuf),
}

impl PackageCompilerSource {
    /// Reads a `packagecompiler` setting; relative paths are taken from `base` (a leading
    /// `~/` must have been expanded: [`expand_home`]).
    pub fn parse(value: &str, base: &Path) -> Result<PackageCompilerSource, Error> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(PackageCompilerSource::Newest);
        }
        let looks_like_path =
            value.contains('/') || value.contains('\\') || value.starts_with(['.', '~']);
        if looks_like_path {
            // `~/` is the caller's to expand (it knows HOME: `crate::vars`).
            let path = julia_env::depot::normalize(&base.join(value));
            if !path.join("Project.toml").is_file() {
                return Err(Error::invalid(
                    Location::file(&path),
                    "`packagecompiler` names a directory with no Project.toml; give a PackageCompiler checkout or a version",
                ));
            }
            return Ok(PackageCompilerSource::Path(path));
        }
        if julia_env::version::VersionNumber::parse(value).is_err() {
            return Err(Error::invalid(
                Location::file("packagecompiler"),
                format!("`{value}` is neither a PackageCompiler version (like 1.4.1) nor a path"),
            ));
        }
        Ok(PackageCompilerSource::Version(value.to_string()))
    }

    /// The tools environment's directory name for this source and julia.
    fn dir_name(&self, julia: &JuliaInfo) -> String {
        let base = format!("julia-{}.{}", julia.version.major, julia.version.minor);
        let tag = match self {
            PackageCompilerSource::Newest => return base,
            PackageCompilerSource::Version(v) => format!("version={v}"),
            PackageCompilerSource::Path(p) => format!("path={}", p.display()),
        };
        format!(
            "{base}-{}",
            &hex::encode(Sha256::digest(tag.as_bytes()))[..12]
        )
    }
}

/// `value` with a leading `~/` replaced by the home directory (as a shell would), for a
/// `packagecompiler` setting.
pub fn expand_home(value: &str, home: Option<&Path>) -> String {
    match (value.trim().strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest).display().to_string(),
        _ => value.to_string(),
    }
}

/// PackageCompiler's UUID.
pub const PACKAGECOMPILER_UUID: &str = "9b87118b-4619-50d2-8e1e-99f35a4d4d9d";

/// The newest PackageCompiler that Pkg would add for `julia` from the registries of its
/// depots: PackageCompiler resolved alone for that Julia version (its own `julia` compat and
/// its dependencies'), as `Pkg.add` in a fresh environment resolves it. `None` when no
/// registry is there or none has a version that fits. `tarballs`: whether Pkg reads the
/// registries from tarballs (the caller's `JULIA_PKG_SERVER`, `sysimg::vars::Vars::tarballs`).
pub fn newest_compatible(julia: &JuliaInfo, tarballs: bool) -> Option<VersionNumber> {
    let julia_version = julia.version.clone();
    let depots: Vec<PathBuf> = julia.depot_path.iter().map(PathBuf::from).collect();
    let registries: Vec<_> = julia_env::registry::reachable_registries(&depots, tarballs)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    newest_in(&RegistryIndex::new(registries), &julia_version)
}

/// [`newest_compatible`] in an index.
pub fn newest_in(
    index: &impl PackageIndex,
    julia_version: &VersionNumber,
) -> Option<VersionNumber> {
    let uuid = julia_env::ids::parse_uuid(PACKAGECOMPILER_UUID)?;
    let request = Request {
        julia_version: Some(julia_version.clone()),
        requirements: vec![(uuid, VersionSpec::any())],
        ..Request::default()
    };
    match julia_env::resolve::resolve(index, &request).ok()? {
        Resolution::Solved(solution) => solution.version(&uuid).cloned(),
        Resolution::Unsatisfiable(_) => None,
    }
}

/// A tools environment that holds (or will hold) PackageCompiler.
#[derive(Clone, Debug)]
pub struct ToolsEnv {
    /// Its directory (a Julia project).
    pub dir: PathBuf,
    /// Where PackageCompiler comes from.
    pub source: PackageCompilerSource,
    /// For [`PackageCompilerSource::Newest`]: the newest release that fits the julia; an
    /// environment holding an older one is upgraded to it (and kept as it is when that fails).
    pub upgrade_to: Option<VersionNumber>,
}

impl ToolsEnv {
    /// The tools environment for a source and julia in a store.
    pub fn new(store: &Store, julia: &JuliaInfo, source: PackageCompilerSource) -> ToolsEnv {
        ToolsEnv {
            dir: store.tools_dir(&source.dir_name(julia)),
            source,
            upgrade_to: None,
        }
    }

    /// The environment's name in the store (`tools/<name>/`), which also names the lock
    /// that serialises installs into it.
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    }

    /// The Julia script that installs PackageCompiler into the environment (or instantiates
    /// it again, or upgrades it to [`ToolsEnv::upgrade_to`]) and prints [`VERSION_LINE`](crate::codegen::protocol::VERSION_LINE) and
    /// the version; on failure it prints [`UNAVAILABLE_LINE`](crate::codegen::protocol::UNAVAILABLE_LINE) with Pkg's error and exits with
    /// status 3. A failed upgrade restores the environment's files and prints
    /// [`NOT_UPGRADED_LINE`](crate::codegen::protocol::NOT_UPGRADED_LINE) with the reason.
    pub fn install_script(&self) -> String {
        let newest = match (&self.source, &self.upgrade_to) {
            (PackageCompilerSource::Newest, Some(v)) => string_literal(&v.to_string()),
            _ => "nothing".to_string(),
        };
        let (path, version) = match &self.source {
            PackageCompilerSource::Newest => ("nothing".to_string(), "nothing".to_string()),
            PackageCompilerSource::Version(v) => ("nothing".to_string(), string_literal(v)),
            PackageCompilerSource::Path(p) => {
                (string_literal(&p.to_string_lossy()), "nothing".to_string())
            }
        };
        crate::codegen::tools::install_script(&crate::codegen::tools::ToolsScript {
            dir: &self.dir.to_string_lossy(),
            path: &path,
            version: &version,
            newest: &newest,
            uuid: PACKAGECOMPILER_UUID,
        })
    }
}

/// How to provide PackageCompiler when it cannot be installed.
pub const PROVIDE_HINT: &str = "make it installable through Pkg (set JULIA_PKG_SERVER to a Pkg server that has it, or add a registry that has it to the depot), or name a local checkout or another version with `packagecompiler = ...` in Sysimage.toml, `--packagecompiler`, or SYSIMG_PACKAGECOMPILER";
