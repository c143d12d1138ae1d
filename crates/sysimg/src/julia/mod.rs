//! Finding a julia and learning its facts: `--julia PATH`, `--julia +CHANNEL` (juliaup's own
//! configuration), `JULIA`, the spec's `julia` key, else `julia` on `PATH`; then one run of a
//! generated probe that prints the facts as TOML, cached per binary (path, size, mtime).

pub mod options;
pub mod tools;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use julia_env::toml_source::{string_array, TomlSource, Value as _};
use julia_env::version::VersionNumber;

use crate::codegen::probe::PROBE_SOURCE;
use julia_env::{Error, Location, Result};
use sha2::{Digest, Sha256};

/// How to install Julia, said whenever none is found.
pub const INSTALL_HINT: &str =
    "install Julia with juliaup (https://julialang.org/install), or pass --julia PATH or --julia +CHANNEL, or set JULIA";

/// Where the julia to use comes from, in order of precedence.
#[derive(Clone, Debug, Default)]
pub struct JuliaChoice<'a> {
    /// `--julia PATH` or `--julia +CHANNEL`.
    pub flag: Option<&'a str>,
    /// The `JULIA` environment variable.
    pub env: Option<&'a OsStr>,
    /// The spec's `julia` key (a version or juliaup channel).
    pub spec: Option<&'a str>,
    /// `PATH`.
    pub path: Option<&'a OsStr>,
    /// juliaup's home (`$JULIAUP_DEPOT_PATH/juliaup`, else `~/.julia/juliaup`:
    /// [`crate::vars::Vars::juliaup_home`]).
    pub juliaup_home: Option<PathBuf>,
    /// Why juliaup would refuse its home (a relative `JULIAUP_DEPOT_PATH`): juliaup's launcher
    /// stops with this, so sysimg does too when juliaup is in use.
    pub juliaup_home_error: Option<String>,
    /// `JULIAUP_CHANNEL`, which juliaup's launcher obeys before directory overrides.
    pub juliaup_channel: Option<String>,
    /// The directory julia will run in (juliaup's directory overrides match it).
    pub cwd: Option<PathBuf>,
}

/// A julia to run: its binary, and the arguments that go before any of sysimg's (a linked
/// or aliased juliaup channel's `Args`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JuliaCommand {
    /// The binary.
    pub path: PathBuf,
    /// Arguments it always takes first.
    #[serde(default)]
    pub args: Vec<String>,
}

impl JuliaCommand {
    /// A plain binary.
    pub fn binary(path: PathBuf) -> JuliaCommand {
        JuliaCommand {
            path,
            args: Vec::new(),
        }
    }

    /// A `Command` for it, its own arguments given.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.path);
        c.args(&self.args);
        c
    }
}

impl JuliaChoice<'_> {
    /// juliaup's home as juliaup computes it (JuliaLang/juliaup v1.22.3 src/global_paths.rs
    /// `get_juliaup_home_path`): `JULIAUP_DEPOT_PATH` trimmed, `<it>/juliaup`; empty (or not
    /// Unicode) means `~/.julia/juliaup`; a relative path is an error ("The current value of
    /// '...' for the environment variable JULIAUP_DEPOT_PATH is not an absolute path.").
    pub fn juliaup_home_from(
        depot: Option<&OsStr>,
        user_home: Option<&Path>,
    ) -> std::result::Result<Option<PathBuf>, String> {
        let default = || user_home.map(|h| h.join(".julia").join("juliaup"));
        let Some(value) = depot.and_then(OsStr::to_str).map(str::trim) else {
            return Ok(default());
        };
        if value.is_empty() {
            return Ok(default());
        }
        let path = PathBuf::from(value);
        if !path.is_absolute() {
            return Err(format!(
                "The current value of '{value}' for the environment variable \
                 JULIAUP_DEPOT_PATH is not an absolute path."
            ));
        }
        Ok(Some(path.join("juliaup")))
    }
}

/// julia's executable name on this platform.
const JULIA_EXE: &str = if cfg!(windows) { "julia.exe" } else { "julia" };

fn not_found(what: String) -> Error {
    Error::invalid(Location::file("julia"), format!("{what}; {INSTALL_HINT}"))
}

/// Resolves the julia to use. juliaup's launcher is seen through: the channel it would pick
/// (see [`launcher_channel`]) is resolved to its real binary, so that the probe's cache, the
/// build and `run` all use the Julia the image is for, and a `juliaup update` shows as a new
/// binary.
pub fn find_julia(choice: &JuliaChoice<'_>) -> Result<JuliaCommand> {
    if let Some(flag) = choice.flag {
        return match flag.strip_prefix('+') {
            Some(channel) => juliaup_channel(choice, channel),
            None => through_launcher(
                choice,
                existing(PathBuf::from(flag), "--julia", choice.path)?,
            ),
        };
    }
    if let Some(env) = choice.env.filter(|e| !e.is_empty()) {
        return through_launcher(choice, existing(PathBuf::from(env), "JULIA", choice.path)?);
    }
    if let Some(spec) = choice.spec {
        return juliaup_channel(choice, spec.trim_start_matches('+'));
    }
    let found =
        which("julia", choice.path).ok_or_else(|| not_found("no `julia` on PATH".into()))?;
    through_launcher(choice, found)
}

/// Whether a julia binary is juliaup's launcher (`julialauncher`, or any `julia` with
/// `juliaup` beside it).
pub fn is_juliaup_launcher(path: &Path) -> bool {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let exe = |name: &str| format!("{name}{}", std::env::consts::EXE_SUFFIX);
    real.file_name()
        .is_some_and(|n| n == exe("julialauncher").as_str())
        || [path, real.as_path()]
            .iter()
            .any(|p| p.parent().is_some_and(|d| d.join(exe("juliaup")).is_file()))
}

fn through_launcher(choice: &JuliaChoice<'_>, path: PathBuf) -> Result<JuliaCommand> {
    if !is_juliaup_launcher(&path) {
        return Ok(JuliaCommand::binary(path));
    }
    let config = read_juliaup_config(choice)?;
    let channel = launcher_channel(choice, &config).ok_or_else(|| {
        not_found(format!(
            "{} is juliaup's launcher, and juliaup has no default channel",
            path.display()
        ))
    })?;
    resolve_channel(choice, &config, &channel)
}

/// The channel juliaup's launcher picks when no `+channel` is given (JuliaLang/juliaup
/// src/bin/julialauncher.rs, `run_app`): `JULIAUP_CHANNEL` (even empty: juliaup reads it with
/// `std::env::var`, and `""` is a channel name it then does not find), else the longest directory
/// override containing the current directory (`Overrides`), else `Default`. (The launcher's
/// optional Manifest-based choice, `ManifestVersionDetect`, is not followed: name the channel
/// with `--julia +CHANNEL` when it is on.)
pub fn launcher_channel(choice: &JuliaChoice<'_>, config: &serde_json::Value) -> Option<String> {
    if let Some(c) = choice.juliaup_channel.as_ref() {
        return Some(c.clone());
    }
    let cwd = choice
        .cwd
        .as_ref()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()));
    let chosen = cwd.and_then(|cwd| {
        config["Overrides"]
            .as_array()?
            .iter()
            .filter_map(|o| Some((o["Path"].as_str()?, o["Channel"].as_str()?)))
            .filter(|(p, _)| cwd.starts_with(p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, c)| c.to_string())
    });
    chosen.or_else(|| config["Default"].as_str().map(str::to_string))
}

/// `p` if it is a file; a Julia installation directory's `bin/julia`; a bare name looked up
/// in `path` (`PATH`).
fn existing(p: PathBuf, from: &str, path: Option<&OsStr>) -> Result<PathBuf> {
    if p.is_file() {
        Ok(p)
    } else if p.is_dir() {
        // A Julia installation's directory: its `bin/julia`.
        let exe = p.join("bin").join(JULIA_EXE);
        if exe.is_file() {
            Ok(exe)
        } else {
            Err(not_found(format!(
                "{from} names {}, a directory that holds no bin/julia, not a julia binary",
                p.display()
            )))
        }
    } else if p.components().count() == 1 {
        which(&p.to_string_lossy(), path).ok_or_else(|| {
            not_found(format!(
                "{from} names `{}`, which is not on PATH",
                p.display()
            ))
        })
    } else {
        Err(not_found(format!(
            "{from} names {}, which does not exist",
            p.display()
        )))
    }
}

/// The first executable `name` in a `PATH` value.
pub fn which(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

fn read_juliaup_config(choice: &JuliaChoice<'_>) -> Result<serde_json::Value> {
    if let Some(e) = &choice.juliaup_home_error {
        return Err(not_found(format!("juliaup is in use: {e}")));
    }
    let home = choice.juliaup_home.clone().ok_or_else(|| {
        not_found("juliaup is in use, but no home directory is known".to_string())
    })?;
    let config_file = home.join("juliaup.json");
    let text = std::fs::read_to_string(&config_file).map_err(|_| {
        not_found(format!(
            "juliaup is in use, but {} does not exist",
            config_file.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            Location::file(&config_file),
            format!("not valid juliaup configuration: {e}"),
        )
    })
}

/// A juliaup channel's julia, read from juliaup's `juliaup.json`.
pub fn juliaup_channel(choice: &JuliaChoice<'_>, channel: &str) -> Result<JuliaCommand> {
    let config = read_juliaup_config(choice)?;
    resolve_channel(choice, &config, channel)
}

/// The julia binary of an installation directory as juliaup finds it without a `BinaryPath`
/// (JuliaLang/juliaup v1.22.3 src/utils.rs `resolve_julia_binary_path`): on macOS, the first
/// `*.app` in it that holds `Contents/Resources/julia/bin/julia` (a DMG install); else
/// `bin/julia`.
pub fn juliaup_binary_in(dir: &Path, macos: bool) -> PathBuf {
    if macos {
        let app = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|e| {
                let name = e.file_name();
                let julia = e
                    .path()
                    .join("Contents/Resources/julia/bin")
                    .join(JULIA_EXE);
                (name.to_str().is_some_and(|n| n.ends_with(".app")) && julia.exists())
                    .then_some(julia)
            });
        if let Some(julia) = app {
            return julia;
        }
    }
    dir.join("bin").join(JULIA_EXE)
}

/// A channel's binary and arguments as juliaup's launcher resolves them
/// (`get_julia_path_from_channel`, v1.22.3): an alias channel's `Target` (its `Args` first; one
/// level only: a target that is itself an alias is refused, "Unexpected alias channel after
/// resolution"), a linked channel's `Command` and `Args`, an installed version's or a
/// direct-download channel's `BinaryPath` relative to juliaup's home, else the binary of its
/// `Path` ([`juliaup_binary_in`]).
fn resolve_channel(
    choice: &JuliaChoice<'_>,
    config: &serde_json::Value,
    channel: &str,
) -> Result<JuliaCommand> {
    let home = choice.juliaup_home.clone().unwrap_or_default();
    let binary = |entry: &serde_json::Value, dir: &str| -> PathBuf {
        match entry["BinaryPath"].as_str() {
            Some(bp) => julia_env::depot::normalize(&home.join(bp)),
            None => juliaup_binary_in(
                &julia_env::depot::normalize(&home.join(dir)),
                cfg!(target_os = "macos"),
            ),
        }
    };
    let mut name = channel.to_string();
    let mut args: Vec<String> = Vec::new();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for hop in 0..2 {
        let Some(ch) = config["InstalledChannels"].get(&name) else {
            let installed: Vec<&str> = config["InstalledChannels"]
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(not_found(format!(
                "juliaup has no channel `{channel}` (installed: {}); run `juliaup add {channel}`",
                if installed.is_empty() {
                    "none".to_string()
                } else {
                    installed.join(", ")
                }
            )));
        };
        if let Some(target) = ch["Target"].as_str() {
            if hop > 0 {
                return Err(not_found(format!(
                    "juliaup channel `{channel}` is an alias of `{name}`, itself an alias of \
                     `{target}`: juliaup follows one alias (\"Unexpected alias channel after \
                     resolution: {name}\"); point `{channel}` at `{target}`"
                )));
            }
            args.extend(strings(&ch["Args"]));
            name = target.to_string();
            continue;
        }
        if let Some(cmd) = ch["Command"].as_str() {
            let own = strings(&ch["Args"]);
            // A channel of `sysimg juliaup link` runs sysimg, not julia: its julia is the
            // one after `--julia` (a `+CHANNEL` there is resolved in turn).
            if let Some(julia) = crate::juliaup::sysimg_channel_julia(&own) {
                match julia.strip_prefix('+') {
                    Some(target) => name = target.to_string(),
                    None => {
                        let path = existing(
                            PathBuf::from(julia),
                            "a sysimg juliaup channel",
                            choice.path,
                        )?;
                        return Ok(JuliaCommand { path, args });
                    }
                }
                continue;
            }
            args.extend(own);
            let path = existing(PathBuf::from(cmd), "a linked juliaup channel", choice.path)?;
            return Ok(JuliaCommand { path, args });
        }
        let path = match (ch["Path"].as_str(), ch["Version"].as_str()) {
            (Some(p), _) => binary(ch, p),
            (None, Some(v)) => {
                let version = &config["InstalledVersions"][v];
                let dir = version["Path"].as_str().ok_or_else(|| {
                    not_found(format!(
                        "juliaup channel `{name}` names version {v}, which is not installed"
                    ))
                })?;
                binary(version, dir)
            }
            _ => return Err(not_found(format!("juliaup channel `{name}` has no path"))),
        };
        return Ok(JuliaCommand {
            path: existing(path, "juliaup", choice.path)?,
            args,
        });
    }
    // Unreachable: the second hop returns or refuses.
    Err(not_found(format!(
        "juliaup channel `{channel}` could not be resolved"
    )))
}

/// What the probe learns about a julia.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JuliaInfo {
    /// The binary.
    pub path: PathBuf,
    /// Arguments it always takes first (a linked or aliased juliaup channel's).
    #[serde(default)]
    pub args: Vec<String>,
    /// `VERSION`, parsed once (the probe's output and the cache hold its text).
    pub version: VersionNumber,
    /// The git commit it was built from.
    pub commit: String,
    /// `Sys.KERNEL`, lowercased (`linux`, `darwin`, `nt`, ...).
    pub os: String,
    /// `Sys.ARCH`.
    pub arch: String,
    /// `glibc`, `musl` or empty.
    pub libc: String,
    /// The host platform triplet.
    pub triplet: String,
    /// `Sys.CPU_NAME`.
    pub cpu_name: String,
    /// The host CPU's features as LLVM names (`sse2`, `avx2`, ...).
    pub cpu_features: Vec<String>,
    /// `DEPOT_PATH`.
    pub depot_path: Vec<String>,
    /// `Sys.BINDIR`.
    pub bindir: String,
    /// The default sysimage.
    pub default_image: String,
    /// The CPU target string stored in the default sysimage (`Sys.sysimage_target()`, Julia
    /// 1.13+; `"native"` when the image stored none): what Julia 1.13's `sysimage` keyword
    /// in a `cpu_target` stands for. Empty before 1.13.
    #[serde(default)]
    pub sysimage_target: String,
}

/// The oldest Julia sysimg supports (PackageCompiler 1.4.1 runs on 1.5).
pub const MIN_JULIA: (u32, u32) = (1, 5);

impl JuliaInfo {
    /// The host CPU as this julia reports it (no features before Julia 1.10).
    pub fn cpu(&self) -> crate::cpu::CpuFacts {
        crate::cpu::CpuFacts {
            name: self.cpu_name.clone(),
            features: self.cpu_features.iter().cloned().collect(),
        }
    }

    /// The command that runs this julia.
    pub fn command(&self) -> JuliaCommand {
        JuliaCommand {
            path: self.path.clone(),
            args: self.args.clone(),
        }
    }
}

/// How long the probe may take before the julia is given up on.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

fn cache_key(cmd: &JuliaCommand) -> Option<String> {
    let julia = cmd.path.as_path();
    let meta = std::fs::metadata(julia).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let canonical = std::fs::canonicalize(julia).unwrap_or_else(|_| julia.to_path_buf());
    // The probe's own text is part of the key: a newer probe (more facts) probes again.
    let input = format!(
        "{}\n{}\n{mtime}\n{}\n{PROBE_SOURCE}",
        canonical.display(),
        meta.len(),
        cmd.args.join("\u{0}")
    );
    Some(hex::encode(&Sha256::digest(input.as_bytes())[..16]))
}

/// Parses the probe's output.
pub fn parse_probe_output(julia: &Path, text: &str) -> Result<JuliaInfo> {
    let src = TomlSource::parse(
        Path::new("<julia probe output>"),
        text.to_string(),
        "julia probe output",
    )?;
    let root = src.root();
    let s = |k: &str| -> Result<String> {
        root.get(k)
            .and_then(|i| i.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                Error::invalid(
                    Location::file(julia),
                    format!("the julia probe printed no `{k}`; is this really julia?"),
                )
            })
    };
    let list = |k: &str| root.get(k).and_then(string_array).unwrap_or_default();
    let version = s("version")?;
    let version = VersionNumber::parse(&version).map_err(|_| {
        Error::invalid(
            Location::file(julia),
            format!("julia reports `{version}`, which is no Julia version"),
        )
    })?;
    Ok(JuliaInfo {
        path: julia.to_path_buf(),
        args: Vec::new(),
        version,
        commit: s("commit")?,
        os: s("os")?,
        arch: s("arch")?,
        libc: s("libc").unwrap_or_default(),
        triplet: s("triplet")?,
        cpu_name: s("cpu_name")?,
        cpu_features: list("cpu_features"),
        depot_path: list("depot_path"),
        bindir: s("bindir").unwrap_or_default(),
        default_image: s("default_image").unwrap_or_default(),
        sysimage_target: s("sysimage_target").unwrap_or_default(),
    })
}

/// Learns a julia's facts, from the cache in `cache_dir` when the binary is unchanged, else
/// by running the probe (`julia --startup-file=no --history-file=no probe.jl`).
pub fn probe(julia: &JuliaCommand, cache_dir: Option<&Path>) -> Result<JuliaInfo> {
    let key = cache_key(julia);
    let cached = match (cache_dir, &key) {
        (Some(dir), Some(k)) => Some(dir.join(format!("{k}.json"))),
        _ => None,
    };
    if let Some(c) = &cached {
        if let Ok(text) = std::fs::read_to_string(c) {
            if let Ok(info) = serde_json::from_str::<JuliaInfo>(&text) {
                return Ok(info);
            }
        }
    }
    let dir = tempfile::tempdir().map_err(|e| Error::io(Path::new("probe"), e))?;
    let script = dir.path().join("probe.jl");
    std::fs::write(&script, PROBE_SOURCE).map_err(|e| Error::io(&script, e))?;
    let (stdout, stderr) = run_probe(julia, &script, dir.path(), PROBE_TIMEOUT)?;
    let mut info = parse_probe_output(&julia.path, &stdout).map_err(|e| {
        Error::invalid(
            Location::file(&julia.path),
            match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
                Some(line) => format!(
                    "the julia probe printed something sysimg cannot read ({e}); its last error line: {line}"
                ),
                None => format!("the julia probe printed something sysimg cannot read ({e})"),
            },
        )
    })?;
    info.args = julia.args.clone();
    check_supported(&info)?;
    if let Some(c) = &cached {
        if let Some(parent) = c.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = julia_env::edit::write_atomic(
            c,
            &serde_json::to_string_pretty(&info).unwrap_or_default(),
        );
    }
    Ok(info)
}

/// Starts a julia, trying again for a moment when the binary is busy being written
/// (`ETXTBSY`: another process forked while it was open for writing, as when juliaup or a test
/// has just installed it).
pub fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if is_busy(&e) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Whether an error is `ETXTBSY` (a program file still open for writing somewhere).
pub fn is_busy(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ETXTBSY)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Refuses a julia older than [`MIN_JULIA`], naming its version.
pub fn check_supported(info: &JuliaInfo) -> Result<()> {
    let version = &info.version;
    if (version.major, version.minor) < MIN_JULIA {
        return Err(Error::invalid(
            Location::file(&info.path),
            format!(
                "julia {} is too old: sysimg supports Julia {}.{} and newer",
                info.version, MIN_JULIA.0, MIN_JULIA.1
            ),
        ));
    }
    Ok(())
}

/// Runs the probe with its output in files (no pipe can fill up), giving up after `timeout`.
fn run_probe(
    julia: &JuliaCommand,
    script: &Path,
    dir: &Path,
    timeout: std::time::Duration,
) -> Result<(String, String)> {
    let out_path = dir.join("probe.out");
    let err_path = dir.join("probe.err");
    let create = |p: &Path| std::fs::File::create(p).map_err(|e| Error::io(p, e));
    let mut cmd = julia.command();
    cmd.args(["--startup-file=no", "--history-file=no"])
        .arg(script)
        .env_remove("SYSIMG_BUILD_OUTPUT")
        .env_remove("JULIA_PROJECT")
        .stdin(std::process::Stdio::null())
        .stdout(create(&out_path)?)
        .stderr(create(&err_path)?);
    let mut child = spawn(&mut cmd).map_err(|e| {
        Error::invalid(
            Location::file(&julia.path),
            format!("could not run julia: {e}; {INSTALL_HINT}"),
        )
    })?;
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| Error::io(&julia.path, e))? {
            Some(status) => break status,
            None if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::invalid(
                    Location::file(&julia.path),
                    format!(
                        "the julia probe did not finish within {} s; is this really julia?",
                        timeout.as_secs()
                    ),
                ));
            }
            None => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    if !status.success() {
        return Err(Error::invalid(
            Location::file(&julia.path),
            format!(
                "the julia probe failed ({status}): {}",
                stderr.lines().last().unwrap_or("")
            ),
        ));
    }
    Ok((stdout, stderr))
}

#[cfg(test)]
mod juliaup_tests {
    use super::*;

    fn choice_with(home: &Path, channel: Option<&str>) -> JuliaChoice<'static> {
        JuliaChoice {
            juliaup_home: Some(home.to_path_buf()),
            juliaup_channel: channel.map(str::to_string),
            ..JuliaChoice::default()
        }
    }

    /// JuliaLang/juliaup v1.22.3: src/bin/julialauncher.rs `get_julia_path_from_channel`
    /// resolves one alias (`Some(JuliaupConfigChannel::AliasChannel { target, args }) =>
    /// (target.to_string(), ...)`), and `get_julia_path_from_installed_channel` refuses an alias
    /// it is handed (`bail!("Unexpected alias channel after resolution: {channel}")`);
    /// `run_app` reads `std::env::var("JULIAUP_CHANNEL")`, so an empty value is a channel
    /// name; src/global_paths.rs `get_juliaup_home_path` trims `JULIAUP_DEPOT_PATH` and refuses
    /// a relative one; src/utils.rs `resolve_julia_binary_path` finds a macOS `.app` without
    /// `BinaryPath`.
    #[test]
    fn channels_resolve_as_juliaup_resolves_them() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("juliaup");
        let bin = home.join("julia-1.12.1/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join(JULIA_EXE), "").unwrap();
        let config = serde_json::json!({
            "Default": "release",
            "InstalledVersions": {"1.12.1+0.x64.linux.gnu": {"Path": "./julia-1.12.1"}},
            "InstalledChannels": {
                "release": {"Version": "1.12.1+0.x64.linux.gnu"},
                "r": {"Target": "release", "Args": ["-O1"]},
                "rr": {"Target": "r"}
            }
        });
        let c = choice_with(&home, None);
        let one = resolve_channel(&c, &config, "r").unwrap();
        assert_eq!(one.args, ["-O1"]);
        assert_eq!(one.path, bin.join(JULIA_EXE));
        let two = resolve_channel(&c, &config, "rr").unwrap_err().to_string();
        assert!(
            two.contains("Unexpected alias channel after resolution: r"),
            "{two}"
        );
        // An empty JULIAUP_CHANNEL is the channel "", which juliaup does not have.
        let empty = choice_with(&home, Some(""));
        assert_eq!(launcher_channel(&empty, &config).as_deref(), Some(""));
        assert!(resolve_channel(&empty, &config, "").is_err());
        assert_eq!(
            launcher_channel(&choice_with(&home, None), &config).as_deref(),
            Some("release")
        );
        // JULIAUP_DEPOT_PATH: trimmed, absolute, empty means the default.
        let user = Path::new("/home/u");
        let from = |v: &str| JuliaChoice::juliaup_home_from(Some(OsStr::new(v)), Some(user));
        assert_eq!(
            from(" /opt/ju \n"),
            Ok(Some(PathBuf::from("/opt/ju/juliaup")))
        );
        assert_eq!(
            from("  "),
            Ok(Some(PathBuf::from("/home/u/.julia/juliaup")))
        );
        assert!(from("rel/ju")
            .unwrap_err()
            .contains("is not an absolute path"));
        // macOS DMG installs without BinaryPath: the .app's julia.
        let dmg = t.path().join("julia-1.11.3");
        let app_bin = dmg.join("Julia-1.11.app/Contents/Resources/julia/bin");
        std::fs::create_dir_all(&app_bin).unwrap();
        std::fs::write(app_bin.join(JULIA_EXE), "").unwrap();
        assert_eq!(juliaup_binary_in(&dmg, true), app_bin.join(JULIA_EXE));
        assert_eq!(
            juliaup_binary_in(&dmg, false),
            dmg.join("bin").join(JULIA_EXE)
        );
    }
}

/// POSIX shell quoting, for commands printed as advice: bare when only safe characters, else
/// single quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:+@%,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod shell_quote_tests {
    #[test]
    fn shell_quoting() {
        assert_eq!(super::shell_quote("--project=/a/b"), "--project=/a/b");
        assert_eq!(super::shell_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(super::shell_quote(""), "''");
    }
}
