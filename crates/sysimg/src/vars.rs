//! Every environment variable sysimg reads, named in one place with what it does. The command
//! line reads them once ([`Vars::from_process`]) and hands them to the library (tests give any
//! [`Vars`] they like). A name not listed in [`ALL`] cannot be read through [`Vars`] at all.
//!
//! Two reads are not injected yet: the `julia-cpu` crate reads `SYSIMG_HOST_CPU` itself
//! (`host_cpu`, `host_fingerprint`), and the newest-PackageCompiler look-up of a build asks
//! `julia-env` for `JULIA_PKG_SERVER`/`JULIA_PKG_UNPACK_REGISTRY`
//! (`tarballs_enabled_by_env`). Both variables are listed here.
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

    #[test]
    fn only_listed_names_can_be_read() {
        let vars = Vars::of([(SYSIMG_REMOTE, "r.lan/x"), (SYSIMG_LEARN, "")]);
        assert_eq!(vars.by_name("SYSIMG_REMOTE").as_deref(), Some("r.lan/x"));
        assert_eq!(vars.get(SYSIMG_LEARN), None);
        assert_eq!(vars.os(SYSIMG_LEARN), Some(OsStr::new("")));
        assert_eq!(vars.by_name("SYSIMG_NOT_A_VARIABLE"), None);
    }
}
