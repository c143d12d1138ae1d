//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sysimg::extend::FixMode;
use sysimg::model::spec::{OnStale, PinnedRule, Policy};

/// Safe, reusable custom Julia sysimages.
#[derive(Debug, Parser)]
#[command(name = "sysimg", version, about, long_about)]
pub struct Cli {
    /// The project: a directory or project file, `@.` to search upward, `@name` for a named
    /// environment. Default: `JULIA_PROJECT`, else the nearest Project.toml upward.
    #[arg(short = 'p', long = "project", global = true, value_name = "DIR")]
    pub project: Option<std::ffi::OsString>,

    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line of `sysimg run` in its plain forms, read without building clap's
    /// parser for every command (`run` is on every start of Julia, and that is a good part of
    /// its time): `[-p DIR] [--json] run [--julia J] [--image I] [--on-stale A] [--learn]
    /// [-- ARGS...]`, options as separate words, each at most once. `None` for anything else
    /// (`--opt=value`, help, a repeated option, an unknown word, a value that is empty, not
    /// UTF-8 or starts with `-`): clap reads it, and says what is wrong. The tests check that
    /// both read every plain form alike.
    pub fn parse_run_quickly(argv: &[std::ffi::OsString]) -> Option<Cli> {
        let mut words = argv.iter().skip(1);
        let mut cli = Cli {
            project: None,
            json: false,
            command: Command::Ls(LsArgs::default()),
        };
        let mut run: Option<RunArgs> = None;
        fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
            slot.is_none().then(|| *slot = Some(value))
        }
        while let Some(word) = words.next() {
            let mut value = || {
                let v = words.next()?.to_str()?;
                (!v.is_empty() && !v.starts_with('-')).then(|| v.to_string())
            };
            match (word.to_str()?, run.as_mut()) {
                ("-p" | "--project", _) => once(&mut cli.project, value()?.into())?,
                ("--json", _) if !cli.json => cli.json = true,
                ("run", None) => {
                    run = Some(RunArgs {
                        launch: LaunchArgs {
                            image: None,
                            on_stale: None,
                            julia: None,
                        },
                        learn: false,
                        args: Vec::new(),
                    })
                }
                ("--julia", Some(r)) => once(&mut r.launch.julia, value()?)?,
                ("--image", Some(r)) => once(&mut r.launch.image, value()?)?,
                ("--on-stale", Some(r)) => {
                    let action = OnStale::from_str(&value()?, false).ok()?;
                    once(&mut r.launch.on_stale, action)?
                }
                ("--learn", Some(r)) if !r.learn => r.learn = true,
                ("--", Some(r)) => {
                    r.args = words.by_ref().cloned().collect();
                }
                _ => return None,
            }
        }
        cli.command = Command::Run(run?);
        Some(cli)
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and check Julia environments.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Show every package of the environment with its role in the image, and why.
    Plan {
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        outlook: OutlookArgs,
    },
    /// Show the dependency path that brings a package into the image, or keeps it out.
    Why {
        /// The package name.
        package: String,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Rewrite Manifest and Project to exactly what the pinned policy bakes.
    Strip(StripArgs),
    /// Pin the environment at an image's versions.
    Pin(PinArgs),
    /// Build the environment's image with PackageCompiler, or reuse the one the store holds.
    Build(BuildArgs),
    /// List the images in the store (with `--remote`, those a registry holds for this
    /// platform).
    Ls(LsArgs),
    /// Show an image's record.
    Inspect {
        /// The image id (or a unique prefix), or a path.
        image: String,
        /// List the build machine's CPU features (by default only their count is shown).
        #[arg(long)]
        features: bool,
    },
    /// Remove an image from the store (refused while a registered environment uses it,
    /// unless --force).
    Rm {
        /// The image id (or a unique prefix).
        image: String,
        /// Remove it even though registered environments use it.
        #[arg(long)]
        force: bool,
    },
    /// Check image files against their records' SHA-256 (all images without an id).
    Verify {
        /// The image id (or a unique prefix).
        image: Option<String>,
    },
    /// Remove images no registered environment uses and nothing is running.
    Gc {
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Keep images younger than this many days.
        #[arg(long, default_value_t = 0)]
        keep_days: u64,
    },
    /// Upload an image to an OCI registry, tagged with its id (and any `--tag`).
    Push(PushArgs),
    /// Download an image from an OCI registry into the store, verified.
    Pull(PullArgs),
    /// Check an image against the environment and this host (exit 1 when there is an error).
    Check(ImageCheckArgs),
    /// Start julia with the environment's image: `julia -J <image> --project=<env> ARGS...`.
    Run(RunArgs),
    /// Print the `-J <image> --project=<env>` arguments, for tools that start julia themselves.
    JuliaArgs(JuliaArgsArgs),
    /// Jupyter kernels that start the environment's image.
    #[command(subcommand)]
    Kernel(KernelCommand),
    /// juliaup channels that start the environment's image: `julia +NAME`.
    #[command(subcommand)]
    Juliaup(JuliaupCommand),
    /// Print shell set-up (completions and the `jl` alias): `eval "$(sysimg shell-init bash)"`.
    ShellInit {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the completion script of a shell.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Can these packages still be added with the image's (or the pins') versions held? Exit 1
    /// when not, with why and what would fit.
    CanAdd {
        /// The packages: `Name` or `Name@VERSION` (`Makie@0.21`).
        #[arg(required = true, value_name = "PKG[@VERSION]")]
        packages: Vec<String>,
        #[command(flatten)]
        hold: HoldArgs,
    },
    /// How extendable the environment is: which of many packages can still be added.
    Extendability {
        /// Ask about the N packages the registry's packages most depend on.
        #[arg(long, value_name = "N", conflicts_with = "from")]
        top: Option<usize>,
        /// Ask about the packages named in FILE (one per line; `#` comments).
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        #[command(flatten)]
        hold: HoldArgs,
    },
    /// Every registered environment: its image, fresh or stale and why, what it learned, and
    /// any background build running or failed.
    Status,
    /// What sysimg learned from the environment's sessions.
    #[command(subcommand)]
    Learn(LearnCommand),
    /// Print the git-tree-sha1 of a directory, as Pkg computes it.
    TreeHash {
        /// The directory.
        dir: PathBuf,
    },
}

/// `sysimg learn ...`.
#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// Sessions and statements learned, how many the current image holds, how many are new.
    Show,
}

/// `sysimg env ...`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Report everything wrong with an environment (exit 1 when there is an error).
    Check(CheckArgs),
    /// Show the environment as sysimg understands it.
    Show,
}

/// Options of `sysimg env check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A depot to look for package sources in (repeatable). Default: `JULIA_DEPOT_PATH`,
    /// else `~/.julia`.
    #[arg(long = "depot", value_name = "DIR")]
    pub depots: Vec<PathBuf>,

    /// Recompute the tree hash of every package source and compare it with the Manifest.
    #[arg(long)]
    pub verify_sources: bool,

    /// Do not look for package sources at all.
    #[arg(long, conflicts_with = "verify_sources")]
    pub no_sources: bool,
}

/// Policy options shared by `plan` and `why` (they override `Sysimage.toml`).
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// The policy (default: the spec's `policy`, else app).
    #[arg(long, value_enum)]
    pub policy: Option<Policy>,
    /// The pinned policy's rule (default: the spec's `pinned_rule`, else strict).
    #[arg(long, value_enum)]
    pub pinned_rule: Option<PinnedRule>,
}

/// What `can-add` and `extendability` hold fixed, and where packages come from.
#[derive(Debug, Args)]
pub struct HoldArgs {
    /// The image whose packages are held: an id, an image.toml or its directory. Default: the
    /// environment's image.
    #[arg(long, value_name = "ID|PATH")]
    pub image: Option<String>,
    /// What is held at its exact version: `baked` (the image's packages; the default when
    /// there is an image), `pinned` (the Manifest's pins; the default without one) or `all`
    /// (every Manifest package).
    #[arg(long, value_enum)]
    pub fix: Option<FixMode>,
    /// The Julia version to resolve for. Default: the image's, else the Manifest's
    /// `julia_version`.
    #[arg(long, value_name = "VERSION")]
    pub julia_version: Option<String>,
    /// A registry (a directory with Registry.toml, or Pkg's compressed `<Name>.toml`);
    /// repeatable. Default: every registry in the depots.
    #[arg(long = "registry", value_name = "PATH")]
    pub registries: Vec<PathBuf>,
}

/// Options of `sysimg strip`.
#[derive(Debug, Args)]
pub struct StripArgs {
    /// Print a unified diff of what would change, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The pinned policy's rule (default: the spec's `pinned_rule`, else strict).
    #[arg(long, value_enum)]
    pub pinned_rule: Option<PinnedRule>,
    /// Strip even when that removes every dependency (nothing is pinned).
    #[arg(long)]
    pub force: bool,
}

/// Options of `sysimg pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// The image: an id in the store, an image.toml, its directory, or the image file.
    /// Default: the environment's image (the one `build` registered for it).
    #[arg(long, value_name = "ID|PATH")]
    pub image: Option<String>,
    /// Also add `"=x.y.z"` compat entries to Project.toml for the image's public packages.
    #[arg(long)]
    pub compat: bool,
    /// Print a unified diff of what would change, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `sysimg build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The julia: a path, `+CHANNEL` for a juliaup channel. Default: `JULIA`, the spec's
    /// `julia`, else `julia` on PATH.
    #[arg(long, value_name = "PATH|+CHANNEL")]
    pub julia: Option<String>,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Rebuild even when the store holds the image.
    #[arg(long, conflicts_with = "if_stale")]
    pub force: bool,
    /// Do nothing (and say nothing) when the store already holds the image.
    #[arg(long)]
    pub if_stale: bool,
    /// Build the image of every registered environment (see `sysimg status`), not only the
    /// current one; with `--if-stale`, exactly the stale ones.
    #[arg(long)]
    pub all: bool,
    /// Run as the background build `run --on-stale background` starts: one per environment
    /// at a time, its outcome left for the next start.
    #[arg(long, hide = true)]
    pub background: bool,
    /// The PackageCompiler to build with: a version (`1.4.1`) or a local checkout's path.
    /// Default: `SYSIMG_PACKAGECOMPILER`, the spec's `packagecompiler`, else the newest release
    /// Pkg can install for the julia.
    #[arg(long, value_name = "VERSION|PATH")]
    pub packagecompiler: Option<String>,
    /// Push the image to the remote (`SYSIMG_REMOTE`, else the spec's `remote`) once built.
    #[arg(long)]
    pub push: bool,
}

/// Options of `sysimg ls`.
#[derive(Debug, Default, Args)]
pub struct LsArgs {
    /// List the images a registry repository holds for this platform instead: REF, else
    /// `SYSIMG_REMOTE`, else the spec's `remote`.
    #[arg(long, value_name = "REF")]
    pub remote: Option<Option<String>>,
    /// Reach the registry over plain HTTP (localhost, 127.0.0.1, or a registry named in
    /// `SYSIMG_INSECURE_REGISTRIES` only).
    #[arg(long, requires = "remote")]
    pub insecure: bool,
}

/// Options of `sysimg push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The image: an id in the store (or a unique prefix), an image.toml or its directory.
    #[arg(value_name = "ID|PATH")]
    pub image: String,
    /// The repository: REGISTRY/REPOSITORY[:TAG] (`registry.example.com/team/sysimages`).
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Another tag to set besides the image id (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Reach the registry over plain HTTP (localhost, 127.0.0.1, or a registry named in
    /// `SYSIMG_INSECURE_REGISTRIES` only).
    #[arg(long)]
    pub insecure: bool,
}

/// Options of `sysimg pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// REGISTRY/REPOSITORY:TAG (or @DIGEST), or an image id to look up in the remote.
    #[arg(value_name = "REF|ID")]
    pub reference: String,
    /// The repository to look an id up in. Default: `SYSIMG_REMOTE`, else the spec's `remote`.
    #[arg(long, value_name = "REF")]
    pub remote: Option<String>,
    /// Reach the registry over plain HTTP (localhost, 127.0.0.1, or a registry named in
    /// `SYSIMG_INSECURE_REGISTRIES` only).
    #[arg(long)]
    pub insecure: bool,
}

/// Options of `sysimg check`.
#[derive(Debug, Args)]
pub struct ImageCheckArgs {
    /// The image: an id in the store, an image.toml, its directory, or an image file (even one
    /// built by hand). Default: the environment's image.
    #[arg(long, value_name = "ID|PATH")]
    pub image: Option<String>,
    /// The julia that would run the image: a path, `+CHANNEL` for a juliaup channel.
    #[arg(long, value_name = "PATH|+CHANNEL")]
    pub julia: Option<String>,
    #[command(flatten)]
    pub outlook: OutlookArgs,
}

/// The extendability note of `check` and `plan`.
#[derive(Debug, Args)]
pub struct OutlookArgs {
    /// How many of the depots' registries' most depended-upon packages the extendability note
    /// tries to add (0: no note).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub extendability: usize,
}

/// What `run` and `julia-args` share.
#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// The image to use instead of the environment's: an id, an image.toml or an image file.
    #[arg(long, value_name = "ID|PATH")]
    pub image: Option<String>,
    /// What to do when the image is stale or missing. Default: the spec's `on_stale`, else
    /// warn.
    #[arg(long, value_enum, value_name = "ACTION")]
    pub on_stale: Option<OnStale>,
    /// The julia: a path, `+CHANNEL` for a juliaup channel. Default: `JULIA`, the spec's
    /// `julia`, else `julia` on PATH.
    #[arg(long, value_name = "PATH|+CHANNEL")]
    pub julia: Option<String>,
}

/// Options of `sysimg julia-args`.
#[derive(Debug, Args)]
pub struct JuliaArgsArgs {
    #[command(flatten)]
    pub launch: LaunchArgs,
    /// Print what a tool needs instead of julia's arguments: VS Code's settings and a
    /// launch.json configuration, juliacall's or plain environment variables, or JETLS's
    /// executable.
    #[arg(long = "for", value_enum, value_name = "TOOL")]
    pub for_tool: Option<ForTool>,
}

/// The tools `julia-args --for` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ForTool {
    /// VS Code's Julia extension: `julia.additionalArgs` and `juliaAdditionalArgs`.
    Vscode,
    /// Python's juliacall: `PYTHON_JULIACALL_*` variables.
    Juliacall,
    /// Plain environment variables: `JULIA`, `JULIA_PROJECT`, `SYSIMG_IMAGE`.
    Env,
    /// The JETLS language server: `jetls-client.executable`.
    Jetls,
}

/// Options of `sysimg run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub launch: LaunchArgs,
    /// Learn from this session: julia writes what it compiles to a trace in the store
    /// (also `learn = true` in Sysimage.toml, or SYSIMG_LEARN=1), and later builds bake it.
    #[arg(long)]
    pub learn: bool,
    /// Arguments for julia (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<std::ffi::OsString>,
}

/// `sysimg juliaup ...`.
#[derive(Debug, Subcommand)]
pub enum JuliaupCommand {
    /// Make `julia +NAME` start the environment's current image (through `sysimg run`, so it
    /// follows every rebuild), with `juliaup link`.
    Link {
        /// The channel name. Default: the environment's name, lowercased.
        name: Option<String>,
        /// The julia the channel starts. Default: `JULIA`, the spec's `julia`, else `julia` on
        /// PATH (a juliaup channel is resolved to its binary).
        #[arg(long, value_name = "PATH|+CHANNEL")]
        julia: Option<String>,
        /// The juliaup executable. Default: `juliaup` on PATH.
        #[arg(long, value_name = "PATH")]
        juliaup: Option<PathBuf>,
    },
    /// Remove the environment's channels (or the one named), with `juliaup remove`.
    Unlink {
        /// The channel name. Default: every channel that starts this environment's image.
        name: Option<String>,
        /// The juliaup executable. Default: `juliaup` on PATH.
        #[arg(long, value_name = "PATH")]
        juliaup: Option<PathBuf>,
    },
}

/// `sysimg kernel ...`.
#[derive(Debug, Subcommand)]
pub enum KernelCommand {
    /// Install a Jupyter kernel that starts the environment through `sysimg run`.
    Install {
        /// The kernel's display name. Default: "Julia <env name> (sysimg)".
        #[arg(long)]
        name: Option<String>,
        /// Where Jupyter's kernels live. Default: JUPYTER_DATA_DIR/kernels, else the
        /// platform's Jupyter data directory.
        #[arg(long, value_name = "DIR")]
        kernels_dir: Option<PathBuf>,
    },
    /// List the Jupyter kernels that start an environment through `sysimg run`.
    List {
        /// Where Jupyter's kernels live (as for `install`).
        #[arg(long, value_name = "DIR")]
        kernels_dir: Option<PathBuf>,
    },
    /// Remove a sysimg kernel by name, or every kernel of the environment.
    Uninstall {
        /// The kernel's name (its directory, as `kernel list` shows it). Default: every
        /// kernel of this environment.
        name: Option<String>,
        /// Where Jupyter's kernels live (as for `install`).
        #[arg(long, value_name = "DIR")]
        kernels_dir: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::Parser;

    #[test]
    fn run_is_read_quickly_as_clap_reads_it() {
        let lines: &[&[&str]] = &[
            &["run"],
            &["run", "--", "-e", "0"],
            &[
                "-p",
                "env",
                "run",
                "--julia",
                "/j",
                "--",
                "script.jl",
                "--",
                "-x",
            ],
            &[
                "run",
                "-p",
                "env",
                "--image",
                "abc123",
                "--on-stale",
                "fail",
                "--learn",
            ],
            &["--json", "run", "--julia", "+release", "--", "--project=x"],
            &["--project", "a b", "run", "--"],
        ];
        for line in lines {
            let argv: Vec<std::ffi::OsString> = std::iter::once("sysimg")
                .chain(line.iter().copied())
                .map(Into::into)
                .collect();
            let quick = Cli::parse_run_quickly(&argv).unwrap_or_else(|| panic!("{line:?}"));
            let clap = Cli::try_parse_from(&argv).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{clap:?}"), "{line:?}");
        }
        // Anything else is clap's.
        let not_plain: &[&[&str]] = &[
            &["run", "--julia=/j"],
            &["run", "--julia"],
            &["run", "--julia", "-x"],
            &["run", "--learn", "--learn"],
            &["-p", "a", "run", "-p", "b"],
            &["run", "script.jl"],
            &["run", "--help"],
            &["plan"],
            &["run", "run"],
            &["run", "--on-stale", "sideways"],
            &[],
        ];
        for line in not_plain {
            let argv: Vec<std::ffi::OsString> = std::iter::once("sysimg")
                .chain(line.iter().copied())
                .map(Into::into)
                .collect();
            assert!(Cli::parse_run_quickly(&argv).is_none(), "{line:?}");
        }
    }

    /// Every enum option lists its values in help and completions, `--on-stale` with
    /// `background` among them.
    #[test]
    fn enum_options_list_their_values() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let values = |command: &str, option: &str| -> Vec<String> {
            let sub = cli.find_subcommand(command).unwrap();
            let arg = sub
                .get_arguments()
                .find(|a| a.get_long() == Some(option))
                .unwrap_or_else(|| panic!("{command} --{option}"));
            arg.get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect()
        };
        assert_eq!(
            values("run", "on-stale"),
            ["warn", "fail", "build", "ignore", "background"]
        );
        assert_eq!(values("julia-args", "on-stale").len(), 5);
        assert_eq!(values("plan", "policy"), ["app", "pinned", "dev"]);
        assert_eq!(values("build", "pinned-rule"), ["strict", "manifest-rm"]);
        assert_eq!(values("strip", "pinned-rule"), ["strict", "manifest-rm"]);
        assert_eq!(values("can-add", "fix"), ["baked", "pinned", "all"]);
        let mut help = Vec::new();
        cli.clone()
            .find_subcommand_mut("run")
            .unwrap()
            .write_long_help(&mut help)
            .unwrap();
        assert!(String::from_utf8_lossy(&help).contains("background"));
    }
}
