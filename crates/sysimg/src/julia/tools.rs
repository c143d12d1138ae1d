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
    /// Reads a `packagecompiler` setting; relative paths are taken from `base`.
    pub fn parse(value: &str, base: &Path) -> Result<PackageCompilerSource, Error> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(PackageCompilerSource::Newest);
        }
        let looks_like_path =
            value.contains('/') || value.contains('\\') || value.starts_with(['.', '~']);
        if looks_like_path {
            let expanded = match value.strip_prefix("~/") {
                Some(rest) => std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(rest))
                    .unwrap_or_else(|| PathBuf::from(value)),
                None => PathBuf::from(value),
            };
            let path = julia_env::depot::normalize(&base.join(expanded));
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
        let minor: Vec<&str> = julia.version.split(['.', '-', '+']).take(2).collect();
        let base = format!("julia-{}", minor.join("."));
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

/// PackageCompiler's UUID.
pub const PACKAGECOMPILER_UUID: &str = "9b87118b-4619-50d2-8e1e-99f35a4d4d9d";

/// The newest PackageCompiler that Pkg would add for `julia` from the registries of its
/// depots: PackageCompiler resolved alone for that Julia version (its own `julia` compat and
/// its dependencies'), as `Pkg.add` in a fresh environment resolves it. `None` when no
/// registry is there or none has a version that fits.
pub fn newest_compatible(julia: &JuliaInfo) -> Option<VersionNumber> {
    let julia_version = VersionNumber::parse(&julia.version).ok()?;
    let tarballs = julia_env::registry::tarballs_enabled_by_env();
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

/// The line the tools script prints with PackageCompiler's version.
pub const VERSION_LINE: &str = "[sysimg] packagecompiler: ";
/// The line the tools script prints when PackageCompiler cannot be had.
pub const UNAVAILABLE_LINE: &str = "[sysimg] packagecompiler unavailable: ";
/// The line the tools script prints when it upgraded PackageCompiler (`old -> new`).
pub const UPGRADED_LINE: &str = "[sysimg] packagecompiler upgraded: ";
/// The line the tools script prints when an upgrade failed and the installed one stays.
pub const NOT_UPGRADED_LINE: &str = "[sysimg] packagecompiler not upgraded: ";

impl ToolsEnv {
    /// The tools environment for a source and julia in a store.
    pub fn new(store: &Store, julia: &JuliaInfo, source: PackageCompilerSource) -> ToolsEnv {
        ToolsEnv {
            dir: store.root.join("tools").join(source.dir_name(julia)),
            source,
            upgrade_to: None,
        }
    }

    /// The store lock that serialises installs into this environment.
    pub fn lock_name(&self) -> String {
        let name = self.dir.file_name().unwrap_or_default().to_string_lossy();
        format!("tools-{name}")
    }

    /// The Julia script that installs PackageCompiler into the environment (or instantiates
    /// it again, or upgrades it to [`ToolsEnv::upgrade_to`]) and prints [`VERSION_LINE`] and
    /// the version; on failure it prints [`UNAVAILABLE_LINE`] with Pkg's error and exits with
    /// status 3. A failed upgrade restores the environment's files and prints
    /// [`NOT_UPGRADED_LINE`] with the reason.
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
        format!(
            r#"# Generated by sysimg: installs PackageCompiler into its tools environment.
import Pkg
const SYSIMG_TOOLS = {dir}
const SYSIMG_PC_PATH = {path}
const SYSIMG_PC_VERSION = {version}
const SYSIMG_PC_NEWEST = {newest}
const SYSIMG_PC_UUID = Base.UUID({uuid})
println(stdout, "[sysimg] phase: tools"); flush(stdout)
try
    Pkg.activate(SYSIMG_TOOLS)
    installed = get(Pkg.project().dependencies, "PackageCompiler", nothing) === nothing ? nothing :
        Pkg.dependencies()[SYSIMG_PC_UUID].version
    if installed !== nothing && SYSIMG_PC_NEWEST !== nothing && installed < VersionNumber(SYSIMG_PC_NEWEST)
        files = filter(isfile, [joinpath(SYSIMG_TOOLS, f) for f in ("Project.toml", "Manifest.toml")])
        saved = Dict(f => read(f) for f in files)
        try
            Pkg.add(Pkg.PackageSpec(name = "PackageCompiler", uuid = SYSIMG_PC_UUID, version = SYSIMG_PC_NEWEST))
            println(stdout, {upgraded_line}, installed, " -> ", SYSIMG_PC_NEWEST)
        catch err
            for (f, bytes) in saved
                write(f, bytes)
            end
            println(stdout, {not_upgraded_line}, replace(sprint(showerror, err), '\n' => ' '))
            Pkg.activate(SYSIMG_TOOLS)
            Pkg.instantiate()
        end
    elseif installed !== nothing
        Pkg.instantiate()
    elseif SYSIMG_PC_PATH !== nothing
        Pkg.develop(Pkg.PackageSpec(path = SYSIMG_PC_PATH))
    elseif SYSIMG_PC_VERSION !== nothing
        Pkg.add(Pkg.PackageSpec(name = "PackageCompiler", uuid = SYSIMG_PC_UUID, version = SYSIMG_PC_VERSION))
    else
        Pkg.add(Pkg.PackageSpec(name = "PackageCompiler", uuid = SYSIMG_PC_UUID))
    end
    println(stdout, {version_line}, Pkg.dependencies()[SYSIMG_PC_UUID].version)
catch err
    msg = replace(sprint(showerror, err), '\n' => ' ')
    println(stdout, {unavailable_line}, msg)
    exit(3)
end
"#,
            dir = string_literal(&self.dir.to_string_lossy()),
            version_line = string_literal(VERSION_LINE),
            unavailable_line = string_literal(UNAVAILABLE_LINE),
            uuid = string_literal(PACKAGECOMPILER_UUID),
            upgraded_line = string_literal(UPGRADED_LINE),
            not_upgraded_line = string_literal(NOT_UPGRADED_LINE),
        )
    }
}

/// How to provide PackageCompiler when it cannot be installed.
pub const PROVIDE_HINT: &str = "make it installable through Pkg (set JULIA_PKG_SERVER to a Pkg server that has it, or add a registry that has it to the depot), or name a local checkout or another version with `packagecompiler = ...` in Sysimage.toml, `--packagecompiler`, or SYSIMG_PACKAGECOMPILER";
