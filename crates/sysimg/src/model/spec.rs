//! The image spec: `Sysimage.toml` beside a project (or the old VS Code
//! `.vscode/JuliaSysimage.toml`), describing which image the project wants.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use julia_env::toml_source::{entries, string_array, TomlSource, Value as _};
use julia_env::{Error, Result};

/// The spec file name.
pub const SPEC_FILE: &str = "Sysimage.toml";
/// The file the VS Code Julia extension used (until v1.103), still accepted.
pub const VSCODE_SPEC_FILE: &str = ".vscode/JuliaSysimage.toml";

/// Which packages an image bakes, and how the environment must agree with it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Policy {
    /// The roots and their whole closure; the image is bound to this exact manifest.
    #[default]
    App,
    /// Pinned direct dependencies and what they need, minus everything that reaches an
    /// unpinned direct dependency (julia_pod's convention).
    Pinned,
    /// A drop-in default sysimage: `public` packages pinned in the user's environment, the
    /// rest of their closure internal (optionally side-loaded under derived UUIDs).
    Dev,
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "app" => Ok(Policy::App),
            "pinned" => Ok(Policy::Pinned),
            "dev" => Ok(Policy::Dev),
            other => Err(format!(
                "unknown policy `{other}` (expected \"app\", \"pinned\" or \"dev\")"
            )),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::App => "app",
            Policy::Pinned => "pinned",
            Policy::Dev => "dev",
        })
    }
}

/// How strictly the pinned policy drops packages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PinnedRule {
    /// Nothing an unpinned direct dependency needs is baked, nor anything that reaches it:
    /// updating an unpinned package can never be shadowed by the image.
    #[default]
    Strict,
    /// julia_pod's 2021 rule (`Pkg.rm(unpinned; mode = PKGMODE_MANIFEST)`): a dependency of an
    /// unpinned package stays when a pinned package also needs it.
    ManifestRm,
}

impl fmt::Display for PinnedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinnedRule::Strict => "strict",
            PinnedRule::ManifestRm => "manifest-rm",
        })
    }
}

impl FromStr for PinnedRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "strict" => Ok(PinnedRule::Strict),
            "manifest-rm" => Ok(PinnedRule::ManifestRm),
            other => Err(format!(
                "unknown pinned_rule `{other}` (expected \"strict\" or \"manifest-rm\")"
            )),
        }
    }
}

/// What to do when the image is stale or missing (used by `sysimg run`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OnStale {
    /// Run with the default sysimage and say why.
    #[default]
    Warn,
    /// Refuse to run.
    Fail,
    /// Build the image first.
    Build,
    /// Run with the stale image anyway.
    Ignore,
    /// Start a detached, low-priority build and run now with the best image that is still
    /// correct (else the default one); the next start uses the new image.
    Background,
}

impl FromStr for OnStale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "warn" => Ok(OnStale::Warn),
            "fail" => Ok(OnStale::Fail),
            "build" => Ok(OnStale::Build),
            "ignore" => Ok(OnStale::Ignore),
            "background" => Ok(OnStale::Background),
            other => Err(format!(
                "unknown on_stale `{other}` (expected warn, fail, build, background or ignore)"
            )),
        }
    }
}

/// A parsed image spec. Every key is optional; command-line flags override it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImageSpec {
    /// Where it was read from (`None`: defaults).
    pub file: Option<PathBuf>,
    /// `policy`.
    pub policy: Policy,
    /// `packages`: roots to bake (default: every direct dependency).
    pub packages: Option<Vec<String>>,
    /// `exclude`: never baked, nor what is reachable only through them.
    pub exclude: Vec<String>,
    /// `public` (dev policy): the packages users call.
    pub public: Vec<String>,
    /// `sideload` (dev policy): internal packages get derived UUIDs.
    pub sideload: bool,
    /// `pinned_rule` (pinned policy).
    pub pinned_rule: PinnedRule,
    /// `cpu_target`.
    pub cpu_target: Option<String>,
    /// `precompile_execution_files`, relative to the project directory.
    pub precompile_execution_files: Vec<String>,
    /// `precompile_statements_files`, relative to the project directory.
    pub precompile_statements_files: Vec<String>,
    /// `julia`: the Julia the image is for (a version or a juliaup channel).
    pub julia: Option<String>,
    /// `incremental` (PackageCompiler's default: true).
    pub incremental: bool,
    /// `filter_stdlibs`.
    pub filter_stdlibs: bool,
    /// `sysimage_build_args`: extra arguments to the julia that compiles the image.
    pub sysimage_build_args: Vec<String>,
    /// `on_stale`.
    pub on_stale: OnStale,
    /// `packagecompiler`: the PackageCompiler to build with: a version (`"1.4.1"`) or the path
    /// of a local checkout; default: the newest release Pkg can install for the julia.
    pub packagecompiler: Option<String>,
    /// `learn`: `sysimg run` records what julia compiles, and builds bake it. On by default
    /// (issue 26: the image the default path builds learns the user's sessions); `learn =
    /// false` turns it off.
    pub learn: bool,
    /// Whether `learn` was written in the spec file (else it is the default, and `run` says
    /// once per default-image start that it learns, and how to turn that off).
    pub learn_written: bool,
    /// `learn_max_statements`: the most learned statements a build bakes (most frequent first).
    pub learn_max_statements: usize,
    /// `learn_rebuild_after`: how many new learned statements make the image worth rebuilding
    /// (a background rebuild with `on_stale = "background"`; `build` bakes them when there
    /// are at least this many).
    pub learn_rebuild_after: usize,
    /// `remote`: an OCI registry repository (`registry.example.com/team/sysimages`) that
    /// `build` looks the image up in before building, and `build --push` pushes to.
    pub remote: Option<String>,
}

/// The default of `learn_max_statements`.
pub const LEARN_MAX_STATEMENTS: usize = 20_000;
/// The default of `learn_rebuild_after`.
pub const LEARN_REBUILD_AFTER: usize = 50;

const KEYS: &[&str] = &[
    "policy",
    "packages",
    "exclude",
    "public",
    "sideload",
    "pinned_rule",
    "cpu_target",
    "precompile_execution_files",
    "precompile_statements_files",
    "julia",
    "incremental",
    "filter_stdlibs",
    "sysimage_build_args",
    "on_stale",
    "packagecompiler",
    "learn",
    "learn_max_statements",
    "learn_rebuild_after",
    "remote",
];

/// The known key closest to a mistyped one (the same in another case, or within two edits),
/// if one is close enough to suggest.
fn near_key(key: &str) -> Option<&'static str> {
    let want = key.to_lowercase().replace('-', "_");
    KEYS.iter()
        .map(|k| (strsim::damerau_levenshtein(&want, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

impl ImageSpec {
    /// What the spec sets that its policy does not use, one sentence each: `public` and
    /// `sideload` are the dev policy's, `pinned_rule` the pinned policy's. Said (as plan
    /// warnings) so that a key that does nothing never looks as if it did.
    pub fn ignored_by_policy(&self) -> Vec<String> {
        let mut out = Vec::new();
        let policy = self.policy;
        if policy != Policy::Dev {
            if !self.public.is_empty() {
                out.push(format!(
                    "`public` is for the dev policy; the {policy} policy ignores it"
                ));
            }
            if self.sideload {
                out.push(format!(
                    "`sideload` is for the dev policy; the {policy} policy ignores it"
                ));
            }
        }
        if policy != Policy::Pinned && self.pinned_rule != PinnedRule::default() {
            out.push(format!(
                "`pinned_rule` is for the pinned policy; the {policy} policy ignores it"
            ));
        }
        out
    }

    /// The defaults: app policy, every direct dependency, incremental.
    pub fn new() -> ImageSpec {
        ImageSpec {
            incremental: true,
            learn: true,
            learn_max_statements: LEARN_MAX_STATEMENTS,
            learn_rebuild_after: LEARN_REBUILD_AFTER,
            ..ImageSpec::default()
        }
    }

    /// The spec of a project directory: `Sysimage.toml`, else `.vscode/JuliaSysimage.toml`,
    /// else the defaults.
    ///
    /// A spec file that is there but is not a regular file (a directory, a FIFO, a socket or
    /// device, a dangling symbolic link or a loop of them) is an error naming it, never
    /// ignored, and nothing blocks on it: it is not opened.
    pub fn for_project_dir(dir: &Path) -> Result<ImageSpec> {
        let own = dir.join(SPEC_FILE);
        if present_file(&own)? {
            return ImageSpec::read(&own);
        }
        let vscode = dir.join(VSCODE_SPEC_FILE);
        if present_file(&vscode)? {
            return ImageSpec::read_vscode(&vscode);
        }
        Ok(ImageSpec::new())
    }

    /// Reads a `Sysimage.toml`. Unknown keys and wrong types are errors naming the line.
    pub fn read(path: &Path) -> Result<ImageSpec> {
        let src = TomlSource::read(path, "image spec")?;
        ImageSpec::from_source(&src)
    }

    /// Parses `Sysimage.toml` text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ImageSpec> {
        let src = TomlSource::parse(path, text.to_string(), "image spec")?;
        ImageSpec::from_source(&src)
    }

    fn from_source(src: &TomlSource) -> Result<ImageSpec> {
        let root = src.root();
        let mut spec = ImageSpec::new();
        spec.file = Some(src.path().to_path_buf());
        for (key, item) in entries(root) {
            let at = || src.locate_key(root, key);
            if !KEYS.contains(&key) {
                let hint =
                    near_key(key).map_or_else(String::new, |k| format!("did you mean `{k}`? "));
                return Err(Error::invalid(
                    at(),
                    format!(
                        "unknown key `{key}` in {SPEC_FILE}: {hint}(known keys: {})",
                        KEYS.join(", ")
                    ),
                ));
            }
            let string = || {
                item.as_str()
                    .ok_or_else(|| Error::invalid(at(), format!("`{key}` must be a string")))
            };
            let list = || {
                string_array(item).ok_or_else(|| {
                    Error::invalid(at(), format!("`{key}` must be a list of strings"))
                })
            };
            let flag = || {
                item.as_bool()
                    .ok_or_else(|| Error::invalid(at(), format!("`{key}` must be true or false")))
            };
            let parsed = |e: String| Error::invalid(at(), e);
            let count = || {
                item.as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        Error::invalid(at(), format!("`{key}` must be a whole number, 0 or more"))
                    })
            };
            match key {
                "policy" => spec.policy = string()?.parse().map_err(parsed)?,
                "packages" => spec.packages = Some(list()?),
                "exclude" => spec.exclude = list()?,
                "public" => spec.public = list()?,
                "sideload" => spec.sideload = flag()?,
                "pinned_rule" => spec.pinned_rule = string()?.parse().map_err(parsed)?,
                "cpu_target" => spec.cpu_target = Some(string()?.to_string()),
                "precompile_execution_files" => spec.precompile_execution_files = list()?,
                "precompile_statements_files" => spec.precompile_statements_files = list()?,
                "julia" => spec.julia = Some(string()?.to_string()),
                "incremental" => spec.incremental = flag()?,
                "filter_stdlibs" => spec.filter_stdlibs = flag()?,
                "sysimage_build_args" => spec.sysimage_build_args = list()?,
                "on_stale" => spec.on_stale = string()?.parse().map_err(parsed)?,
                "packagecompiler" => spec.packagecompiler = Some(string()?.to_string()),
                "learn" => {
                    spec.learn = flag()?;
                    spec.learn_written = true;
                }
                "learn_max_statements" => spec.learn_max_statements = count()?,
                "learn_rebuild_after" => spec.learn_rebuild_after = count()?,
                "remote" => spec.remote = Some(string()?.to_string()),
                _ => unreachable!("every key in KEYS is handled"),
            }
        }
        Ok(spec)
    }

    /// Reads the old VS Code format: `[sysimage]` with `exclude`, `statements_files` and
    /// `execution_files` (paths relative to the environment, as VS Code had them).
    pub fn read_vscode(path: &Path) -> Result<ImageSpec> {
        let src = TomlSource::read(path, "VS Code sysimage spec")?;
        let root = src.root();
        let mut spec = ImageSpec::new();
        spec.file = Some(path.to_path_buf());
        for (key, _) in entries(root) {
            if key != "sysimage" {
                return Err(Error::invalid(
                    src.locate_key(root, key),
                    format!("unknown key `{key}` (expected a [sysimage] table)"),
                ));
            }
        }
        let Some(table) = root.get("sysimage").and_then(|i| i.as_table()) else {
            return Ok(spec);
        };
        for (key, item) in entries(table) {
            let at = || src.locate_key(table, key);
            let list = string_array(item).ok_or_else(|| {
                Error::invalid(at(), format!("`{key}` must be a list of strings"))
            })?;
            match key {
                "exclude" => spec.exclude = list,
                "statements_files" => spec.precompile_statements_files = list,
                "execution_files" => spec.precompile_execution_files = list,
                other => {
                    return Err(Error::invalid(
                        at(),
                        format!("unknown key `{other}` in [sysimage] (known: exclude, statements_files, execution_files)"),
                    ))
                }
            }
        }
        Ok(spec)
    }
}

/// Whether a spec file is there (`false`: no entry of that name at all), erring when it is
/// there but cannot be read as a regular file. Never opens it.
fn present_file(path: &Path) -> Result<bool> {
    let entry = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(path, e)),
    };
    let not_regular = |what: String| {
        Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, what),
        ))
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) if m.is_dir() => not_regular("is a directory, not a file".into()),
        Ok(_) => not_regular(
            "is not a regular file (a FIFO, socket or device): sysimg reads only regular files"
                .into(),
        ),
        Err(e) if entry.file_type().is_symlink() => {
            let target = std::fs::read_link(path)
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default();
            if e.kind() == std::io::ErrorKind::NotFound {
                not_regular(format!(
                    "is a symbolic link{target} to nothing: fix or remove it"
                ))
            } else if e.raw_os_error() == Some(libc_eloop()) {
                not_regular(format!(
                    "is a loop of symbolic links{target}: fix or remove it"
                ))
            } else {
                Err(Error::io(path, e))
            }
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `ELOOP` (too many levels of symbolic links).
fn libc_eloop() -> i32 {
    #[cfg(unix)]
    return libc::ELOOP;
    #[cfg(not(unix))]
    return -1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let spec = ImageSpec::parse(
            Path::new("Sysimage.toml"),
            r#"policy = "dev"
packages = ["CSV"]
exclude = ["Revise"]
public = ["DataFrames"]
sideload = true
cpu_target = "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)"
precompile_execution_files = ["precompile.jl"]
precompile_statements_files = []
julia = "1.10"
pinned_rule = "manifest-rm"
on_stale = "build"
remote = "registry.example.com/team/sysimages"
"#,
        )
        .unwrap();
        assert_eq!(spec.policy, Policy::Dev);
        assert_eq!(spec.packages.as_deref(), Some(&["CSV".to_string()][..]));
        assert!(spec.sideload && spec.incremental);
        assert_eq!(spec.pinned_rule, PinnedRule::ManifestRm);
        assert_eq!(spec.on_stale, OnStale::Build);
        assert_eq!(spec.julia.as_deref(), Some("1.10"));
        assert_eq!(
            spec.remote.as_deref(),
            Some("registry.example.com/team/sysimages")
        );
    }

    #[test]
    fn keys_the_policy_ignores_are_said() {
        let parse = |text: &str| ImageSpec::parse(Path::new("Sysimage.toml"), text).unwrap();
        let app = parse("public = [\"JSON\"]\nsideload = true\npinned_rule = \"manifest-rm\"\n");
        assert_eq!(
            app.ignored_by_policy(),
            [
                "`public` is for the dev policy; the app policy ignores it",
                "`sideload` is for the dev policy; the app policy ignores it",
                "`pinned_rule` is for the pinned policy; the app policy ignores it",
            ]
        );
        let dev = parse("policy = \"dev\"\npublic = [\"JSON\"]\nsideload = true\n");
        assert!(dev.ignored_by_policy().is_empty());
        let pinned = parse("policy = \"pinned\"\npinned_rule = \"manifest-rm\"\n");
        assert!(pinned.ignored_by_policy().is_empty());
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let e = ImageSpec::parse(
            Path::new("Sysimage.toml"),
            "policy = \"app\"\nexlude = [\"X\"]\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "Sysimage.toml:2:1: unknown key `exlude` in Sysimage.toml: did you mean `exclude`?"
            ),
            "{e}"
        );
        // A key in another case or with dashes is suggested too; a key near none is not.
        let e =
            ImageSpec::parse(Path::new("Sysimage.toml"), "Cpu-Target = \"generic\"\n").unwrap_err();
        assert!(e.to_string().contains("did you mean `cpu_target`?"), "{e}");
        let e = ImageSpec::parse(Path::new("Sysimage.toml"), "colour = 1\n").unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
        let e = ImageSpec::parse(Path::new("Sysimage.toml"), "policy = \"fast\"\n").unwrap_err();
        assert!(e.to_string().contains("unknown policy `fast`"), "{e}");
        let e = ImageSpec::parse(Path::new("Sysimage.toml"), "exclude = \"X\"\n").unwrap_err();
        assert!(e.to_string().contains("must be a list of strings"), "{e}");
        for bad in ["learn_max_statements = -1", "learn_rebuild_after = \"10\""] {
            let e = ImageSpec::parse(
                Path::new("Sysimage.toml"),
                &format!("learn = true\n{bad}\n"),
            )
            .unwrap_err();
            assert!(
                e.to_string().starts_with("Sysimage.toml:2:1: `learn_")
                    && e.to_string().contains("must be a whole number, 0 or more"),
                "{e}"
            );
        }
        let e = ImageSpec::parse(Path::new("Sysimage.toml"), "on_stale = \"later\"\n").unwrap_err();
        assert!(e.to_string().contains("build, background or ignore"), "{e}");
    }

    #[test]
    fn learning_keys_and_their_defaults() {
        // Learning is on by default (issue 26 item 2), and the spec says it was not written.
        let spec = ImageSpec::parse(Path::new("Sysimage.toml"), "").unwrap();
        assert!(spec.learn && !spec.learn_written);
        assert!(ImageSpec::new().learn);
        let off = ImageSpec::parse(Path::new("Sysimage.toml"), "learn = false\n").unwrap();
        assert!(!off.learn && off.learn_written);
        assert_eq!(spec.learn_max_statements, LEARN_MAX_STATEMENTS);
        assert_eq!(spec.learn_rebuild_after, LEARN_REBUILD_AFTER);
        let spec = ImageSpec::parse(
            Path::new("Sysimage.toml"),
            "learn = true\nlearn_max_statements = 7\nlearn_rebuild_after = 0\non_stale = \"background\"\n",
        )
        .unwrap();
        assert!(spec.learn);
        assert_eq!(
            (spec.learn_max_statements, spec.learn_rebuild_after),
            (7, 0)
        );
        assert_eq!(spec.on_stale, OnStale::Background);
    }

    #[test]
    fn vscode_format_and_precedence() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(".vscode")).unwrap();
        std::fs::write(
            t.path().join(VSCODE_SPEC_FILE),
            "[sysimage]\nexclude = [\"Pkg1\"]\nstatements_files = [\"a.jl\"]\nexecution_files = [\"b.jl\"]\n",
        )
        .unwrap();
        let spec = ImageSpec::for_project_dir(t.path()).unwrap();
        assert_eq!(spec.exclude, ["Pkg1"]);
        assert_eq!(spec.precompile_statements_files, ["a.jl"]);
        assert_eq!(spec.precompile_execution_files, ["b.jl"]);
        std::fs::write(t.path().join(SPEC_FILE), "policy = \"pinned\"\n").unwrap();
        assert_eq!(
            ImageSpec::for_project_dir(t.path()).unwrap().policy,
            Policy::Pinned
        );
        std::fs::remove_file(t.path().join(SPEC_FILE)).unwrap();
        assert_eq!(
            ImageSpec::for_project_dir(tempfile::tempdir().unwrap().path()).unwrap(),
            ImageSpec::new()
        );
    }
}
