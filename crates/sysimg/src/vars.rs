//! Every environment variable sysimg reads, named in one place with what it does. The command
//! line reads them once ([`Vars::from_process`]) and hands them to the library (tests give any
//! [`Vars`] they like). A name not listed in [`ALL`] cannot be read through [`Vars`] at all.
//!
//! The crates below sysimg (`julia-env`, `julia-cpu`, `sysimg-share`) read none: sysimg hands
//! them the values (`SYSIMG_HOST_CPU` through [`Vars::host_cpu`], `JULIA_PKG_SERVER` through
//! [`Vars::tarballs`], ...). A test fails on any `std::env::var*` call in the workspace's
//! sources outside this file.
//!
//! Variables sysimg sets for the julia it runs (`SYSIMG_BUILD_OUTPUT`, `JULIA_LOAD_PATH`, ...)
//! and those the generated Julia reads (`SYSIMG_GUARD`) are not read by sysimg and are not
//! listed.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use julia_env::depot::Depots;

/// An environment variable sysimg reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var {
    /// Its name.
    pub name: &'static str,
    /// What it does, for the README and `--help`.
    pub doc: &'static str,
}

macro_rules! vars {
    ($($(#[doc = $doc:literal])* $id:ident;)*) => {
        $(
            $(#[doc = $doc])*
            pub const $id: Var = Var {
                name: stringify!($id),
                doc: concat!($($doc, "\n"),*),
            };
        )*
        /// Every variable sysimg reads.
        pub const ALL: &[Var] = &[$($id),*];
    };
}

vars! {
    /// The image store's directory (default: `<first depot>/sysimg`).
    SYSIMG_STORE;
    /// The registry repository `push`, `pull`, `ls --remote` and `build` use when none is given
    /// (before the spec's `remote`).
    SYSIMG_REMOTE;
    /// The PackageCompiler builds use: a version or a local checkout's path (after
    /// `--packagecompiler`, before the spec's `packagecompiler`).
    SYSIMG_PACKAGECOMPILER;
    /// `1`/`true` traces every `sysimg run` session, `0`/`false` none (overrides the spec's
    /// `learn`, which is on by default; `--learn` overrides it).
    SYSIMG_LEARN;
    /// Describes the host CPU instead of detecting it (`NAME` or `NAME:+feature,...`): for
    /// tests and for checking an image against another machine.
    SYSIMG_HOST_CPU;
    /// A bearer token for the registry (sent to the registry of the reference only).
    SYSIMG_REGISTRY_TOKEN;
    /// A user name for the registry (with `SYSIMG_REGISTRY_PASSWORD`).
    SYSIMG_REGISTRY_USER;
    /// The password of `SYSIMG_REGISTRY_USER`.
    SYSIMG_REGISTRY_PASSWORD;
    /// Registries (`host[:port]`, comma-separated) that `--insecure` may reach over plain HTTP.
    SYSIMG_INSECURE_REGISTRIES;
    /// A CA certificate file (PEM) to trust for registries (else `SSL_CERT_FILE`).
    SYSIMG_REGISTRY_CA;
    /// Registries (`host[:port]`, comma-separated) that may receive the credentials above
    /// besides the one named on the command line or in `SYSIMG_REMOTE` (never one named only
    /// by a project's `Sysimage.toml`).
    SYSIMG_REGISTRY_HOST;
    /// The deadline of one blob transfer (humantime, e.g. `30m`; default 1 h); other registry
    /// requests get 2 minutes, or this when shorter.
    SYSIMG_REGISTRY_TIMEOUT;
    /// How long a registry transfer may stall with nothing arriving (default `60s`).
    SYSIMG_REGISTRY_STALL_TIMEOUT;
    /// Not `0`: push each blob in one request instead of chunks.
    SYSIMG_PUSH_MONOLITHIC;
    /// A CA certificate file (PEM), when `SYSIMG_REGISTRY_CA` is not set.
    SSL_CERT_FILE;
    /// The julia binary (or installation directory) to use, after `--julia`.
    JULIA;
    /// The project, as julia reads it (`@.`, `@name`, a path), after `-p`.
    JULIA_PROJECT;
    /// Julia's depots (`:`-separated; an empty entry is the default depots).
    JULIA_DEPOT_PATH;
    /// The Pkg server; empty turns registry tarballs off (as Pkg does).
    JULIA_PKG_SERVER;
    /// `true`: Pkg unpacks registries instead of reading the tarballs.
    JULIA_PKG_UNPACK_REGISTRY;
    /// juliaup's depot (its configuration is in `<this>/juliaup`).
    JULIAUP_DEPOT_PATH;
    /// The juliaup channel `julia` stands for (as juliaup's launcher reads it).
    JULIAUP_CHANNEL;
    /// Jupyter's data directory (kernels are installed in its `kernels`).
    JUPYTER_DATA_DIR;
    /// Jupyter's configuration directory (Windows fallback for the data directory).
    JUPYTER_CONFIG_DIR;
    /// The XDG data directory (Jupyter's data directory on Linux: `<this>/jupyter`).
    XDG_DATA_HOME;
    /// Windows' application data directories (Jupyter's data directory).
    APPDATA;
    /// Windows' local application data directory.
    LOCALAPPDATA;
    /// The home directory (`~` in paths, default depot, juliaup, Jupyter).
    HOME;
    /// The home directory on Windows.
    USERPROFILE;
    /// Where `julia` is looked for.
    PATH;
}

/// The values of the variables in [`ALL`], read once.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    values: BTreeMap<&'static str, OsString>,
}

impl Vars {
    /// This process's values of every variable in [`ALL`].
    pub fn from_process() -> Vars {
        let values = ALL
            .iter()
            .filter_map(|v| Some((v.name, std::env::var_os(v.name)?)))
            .collect();
        Vars { values }
    }

    /// These variables set to these values (and nothing else set).
    pub fn of<'a>(pairs: impl IntoIterator<Item = (Var, &'a str)>) -> Vars {
        let values = pairs
            .into_iter()
            .map(|(k, v)| (k.name, OsString::from(v)))
            .collect();
        Vars { values }
    }

    /// `var`'s value, if set (perhaps empty).
    pub fn os(&self, var: Var) -> Option<&OsStr> {
        self.values.get(var.name).map(OsString::as_os_str)
    }

    /// `var`'s value if it is set, not empty and UTF-8.
    pub fn get(&self, var: Var) -> Option<&str> {
        self.os(var)?.to_str().filter(|v| !v.is_empty())
    }

    /// The value of the variable named `name` if it is listed in [`ALL`], set, not empty and
    /// UTF-8; for code that names its variables itself (`sysimg-share`'s access, Jupyter's
    /// directories).
    pub fn by_name(&self, name: &str) -> Option<String> {
        let var = ALL.iter().find(|v| v.name == name)?;
        self.get(*var).map(str::to_string)
    }

    /// `SYSIMG_HOST_CPU`'s description of the host CPU, if set and not empty.
    pub fn described_cpu(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.os(SYSIMG_HOST_CPU)
            .filter(|v| !v.is_empty())
            .map(OsStr::to_string_lossy)
    }

    /// The host CPU as Julia would see it, or as `SYSIMG_HOST_CPU` describes it
    /// ([`crate::cpu::host_cpu`]).
    pub fn host_cpu(&self) -> crate::cpu::CpuFacts {
        crate::cpu::host_cpu(self.described_cpu().as_deref())
    }

    /// The host CPU's raw identification, or `SYSIMG_HOST_CPU`'s description
    /// ([`crate::cpu::host_fingerprint`]).
    pub fn host_fingerprint(&self) -> String {
        crate::cpu::host_fingerprint(self.described_cpu().as_deref())
    }

    /// Whether Pkg reads registries from tarballs here: `JULIA_PKG_SERVER` not empty and
    /// `JULIA_PKG_UNPACK_REGISTRY` not true ([`julia_env::registry::tarballs_enabled`]).
    pub fn tarballs(&self) -> bool {
        julia_env::registry::tarballs_enabled(
            self.os(JULIA_PKG_SERVER).and_then(OsStr::to_str),
            self.os(JULIA_PKG_UNPACK_REGISTRY).and_then(OsStr::to_str),
        )
    }

    /// The home directory.
    pub fn home(&self) -> Option<PathBuf> {
        self.os(HOME).map(PathBuf::from)
    }

    /// Julia's depots as julia computes them from `JULIA_DEPOT_PATH` and the home directory
    /// (`bindir`: the julia's `Sys.BINDIR`, for the bundled depots, when known).
    pub fn depots(&self, bindir: Option<&std::path::Path>) -> Depots {
        Depots::from_env_value(self.os(JULIA_DEPOT_PATH), self.home().as_deref(), bindir)
    }

    /// juliaup's home as juliaup computes it ([`JuliaChoice::juliaup_home_from`]:
    /// `$JULIAUP_DEPOT_PATH` trimmed, `/juliaup`, else `~/.julia/juliaup`); the error juliaup
    /// gives for a relative `JULIAUP_DEPOT_PATH`.
    pub fn juliaup_home(&self) -> std::result::Result<Option<PathBuf>, String> {
        crate::julia::JuliaChoice::juliaup_home_from(
            self.os(JULIAUP_DEPOT_PATH),
            self.home().as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_is_listed_once_with_its_doc() {
        let names: std::collections::BTreeSet<&str> = ALL.iter().map(|v| v.name).collect();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.iter().all(|v| !v.doc.trim().is_empty()));
        assert_eq!(SYSIMG_STORE.name, "SYSIMG_STORE");
    }

    #[test]
    fn the_readme_lists_every_variable() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("### Environment variables").unwrap();
        let section = &readme[start..];
        let section = &section[..section[4..].find("\n### ").map_or(section.len(), |e| e + 4)];
        for v in ALL {
            assert!(section.contains(&format!("| `{}` |", v.name)), "{}", v.name);
        }
    }

    /// Every `std::env::var*` call (`var`, `var_os`, `vars`, `vars_os`, however imported) in
    /// the sources of the workspace's crates (`crates/*/src`, comments aside), as
    /// (file, line). `testkit`, the test harness, reads the test suite's own variables and is
    /// left out; tests and benches are not sources.
    fn reads_of_the_environment() -> Vec<(PathBuf, usize)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        // Spelled in two pieces so that this test does not find itself.
        let pattern = concat!("env::", "var");
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for krate in std::fs::read_dir(&crates).unwrap().flatten() {
            let src = krate.path().join("src");
            if krate.file_name() != "testkit" && src.is_dir() {
                walk(&src, &mut files);
            }
        }
        assert!(files.len() > 50, "the sources were not found: {files:?}");
        let mut found = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains(pattern) {
                    found.push((file.clone(), i + 1));
                }
            }
        }
        found
    }

    #[test]
    fn no_source_reads_the_environment_outside_this_file() {
        let (here, elsewhere): (Vec<_>, Vec<_>) = reads_of_the_environment()
            .into_iter()
            .partition(|(f, _)| f.ends_with("sysimg/src/vars.rs"));
        // The one read, in `Vars::from_process`: the scan sees calls.
        assert_eq!(here.len(), 1, "{here:?}");
        assert!(
            elsewhere.is_empty(),
            "environment variables read outside sysimg::vars (name them in vars.rs and hand \
             the value in): {elsewhere:?}"
        );
    }

    #[test]
    fn only_listed_names_can_be_read() {
        let vars = Vars::of([(SYSIMG_REMOTE, "r.lan/x"), (SYSIMG_LEARN, "")]);
        assert_eq!(vars.by_name("SYSIMG_REMOTE").as_deref(), Some("r.lan/x"));
        assert_eq!(vars.get(SYSIMG_LEARN), None);
        assert_eq!(vars.os(SYSIMG_LEARN), Some(OsStr::new("")));
        assert_eq!(vars.by_name("SYSIMG_NOT_A_VARIABLE"), None);
    }
}
