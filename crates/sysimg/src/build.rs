//! Building an image: a generated workspace, julia running PackageCompiler, and the store.
//!
//! # Process interface
//! A build runs `julia --startup-file=no --history-file=no <workspace>/build.jl` in its own
//! process group, with `SYSIMG_BUILD_OUTPUT` set to the file the image must be written to.
//! Success is exit status 0 and that file present. Everything julia prints goes to
//! `build.log`; lines `[sysimg] phase: NAME` (and PackageCompiler's own "Linking") report the
//! phase. The build happens in a temporary directory inside the store that is renamed into
//! place only when whole, under an exclusive per-id lock: a second build of the same id waits
//! and reuses the first one's image.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use julia_env::artifacts::{artifacts_file_in, ArtifactsFile};
use julia_env::depot::Depots;
use julia_env::edit::ManifestEditor;
use julia_env::environment::Environment;
use julia_env::ids::TreeHash;
use julia_env::platform::Platform;
use julia_env::{Error, Location};
use sha2::{Digest, Sha256};

use crate::codegen::protocol::{
    NOT_UPGRADED_LINE, PHASE_LINE, UNAVAILABLE_LINE, UPGRADED_LINE, VERSION_LINE,
};
use crate::codegen::{build_script, record_module, BuildScript};
use crate::julia::tools::{PackageCompilerSource, ToolsEnv};
use crate::julia::JuliaInfo;
use crate::model::path_sources::hash_path_sources;
use crate::model::plan::{Plan, Role};
use crate::model::record::{
    file_sha256, BuildOptions, ImageRecord, InputFile, RecordArtifact, RecordInputs,
    SourceEnvironment, RECORD_FILE,
};
use crate::model::spec::{ImageSpec, Policy};
use crate::store::{Scratch, Store, LOG_FILE};

/// A phase of a build, as reported to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildEvent {
    /// A new phase began: `tools`, `instantiating`, `precompiling`, `compiling`, then the
    /// phases PackageCompiler itself announces ([`packagecompiler_phase`]), `done`.
    Phase(String),
    /// A line julia printed.
    Line(String),
    /// Something the user should know that does not stop the build.
    Warning(String),
    /// The build waits for a lock another process holds; whom it waits for, in words.
    Waiting(String),
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Something could not be read or written.
    #[error(transparent)]
    File(#[from] Error),
    /// julia failed.
    #[error("the build failed ({status}){}; its log is at {}", said(.why), log.display())]
    Julia {
        /// julia's exit status, in words.
        status: String,
        /// The lines of the log that say why ([`failure_lines`]), escaped.
        why: Vec<String>,
        /// Where the log was kept.
        log: PathBuf,
    },
    /// julia exited 0 without writing the image.
    #[error("julia exited successfully but wrote no image; its log is at {}", log.display())]
    NoImage {
        /// Where the log was kept.
        log: PathBuf,
    },
    /// PackageCompiler could not be installed into its tools environment.
    #[error("PackageCompiler could not be installed: {reason}; {hint}; the log is at {}", log.display(), hint = crate::julia::tools::PROVIDE_HINT)]
    PackageCompilerUnavailable {
        /// Pkg's error, or julia's exit status.
        reason: String,
        /// Where the log was kept.
        log: PathBuf,
    },
    /// The request cannot make a useful image; found before any julia ran.
    #[error("refusing to build: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// The build was interrupted; nothing was added to the store.
    #[error("the build was interrupted; the store is unchanged")]
    Cancelled,
}

/// The lines of a failed build's log that say why, for the error message, escaped and at most
/// [`FAILURE_LINES`] of them: julia's last `ERROR:` and the lines of its message up to the
/// stack trace, and lines julia prints about the CPU it refuses (`... does not support ...`,
/// printed before julia can raise an error). Only the log's last 256 KiB are read.
pub fn failure_lines(log: &Path) -> Vec<String> {
    const TAIL: u64 = 256 * 1024;
    let Ok(mut f) = std::fs::File::open(log) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    use std::io::{Read, Seek, SeekFrom};
    if f.seek(SeekFrom::Start(len.saturating_sub(TAIL))).is_err()
        || f.take(TAIL).read_to_end(&mut bytes).is_err()
    {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("CPU does not support") && !l.trim_start().starts_with("ERROR:"))
        .map(|l| l.trim().to_string())
        .collect();
    if let Some(start) = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("ERROR:"))
    {
        out.extend(
            lines[start..]
                .iter()
                .take_while(|l| {
                    let t = l.trim_start();
                    !t.starts_with("Stacktrace:") && !t.starts_with("[1]")
                })
                // sysimg's own `[sysimg] ...` protocol lines are not julia's words.
                .filter(|l| !l.trim().is_empty() && !l.starts_with("[sysimg]"))
                .map(|l| l.trim_end().to_string()),
        );
    }
    out.dedup();
    out.truncate(FAILURE_LINES);
    out.into_iter()
        .map(|l| {
            let l: String = l.chars().take(300).collect();
            l.escape_debug().to_string()
        })
        .collect()
}

/// The most lines of a failed build's log that its error message repeats.
pub const FAILURE_LINES: usize = 6;

/// `: line` or `:` and one indented line each, for an error message; nothing for no lines.
fn said(lines: &[String]) -> String {
    match lines {
        [] => String::new(),
        [one] => format!(": {one}"),
        many => format!(":\n  {}\n", many.join("\n  ")),
    }
}

/// What a build did.
#[derive(Clone, Debug)]
pub enum BuildOutcome {
    /// A new image was built.
    Built(ImageRecord),
    /// The store already held the image.
    Reused(ImageRecord),
}

impl BuildOutcome {
    /// The image's record.
    pub fn record(&self) -> &ImageRecord {
        match self {
            BuildOutcome::Built(r) | BuildOutcome::Reused(r) => r,
        }
    }
}

/// Everything a build needs.
pub struct BuildRequest<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// Its spec (with command-line overrides).
    pub spec: &'a ImageSpec,
    /// Its plan.
    pub plan: &'a Plan,
    /// The julia to build with.
    pub julia: &'a JuliaInfo,
    /// The store.
    pub store: &'a Store,
    /// Rebuild even when the store holds the image.
    pub force: bool,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

/// The image file name for a platform.
pub fn image_file_name(julia: &JuliaInfo) -> String {
    let ext = match julia.os.as_str() {
        "darwin" | "apple" | "macos" => "dylib",
        "nt" | "windows" => "dll",
        _ => "so",
    };
    format!("sys.{ext}")
}

/// The artifacts the baked packages use on the build's platform, read from their
/// `Artifacts.toml` in the julia's depots once the build has installed them (lazy ones too,
/// marked: the image may ask for them at run time).
fn used_artifacts(req: &BuildRequest<'_>, record: &ImageRecord) -> Vec<RecordArtifact> {
    let depots = Depots::new(req.julia.depot_path.iter().map(PathBuf::from).collect());
    let Ok(platform) = Platform::parse_triplet(&req.julia.triplet) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in &record.packages {
        let Some(hash) = p.tree_hash.as_deref().and_then(TreeHash::parse) else {
            continue;
        };
        let Some(file) = depots
            .find_package(&p.name, &p.uuid, &hash)
            .and_then(|dir| artifacts_file_in(&dir))
            .and_then(|f| ArtifactsFile::read(&f).ok())
        else {
            continue;
        };
        for name in file.artifacts.keys() {
            if let Some(a) = file.select(name, &platform) {
                out.push(RecordArtifact {
                    package: p.name.clone(),
                    name: name.clone(),
                    tree_hash: a.tree_hash.to_string(),
                    lazy: a.lazy,
                });
            }
        }
    }
    out
}

/// The preference files beside a project that Julia (1.6+) reads with it, as file names.
pub fn preference_files(project_dir: &Path) -> Vec<String> {
    PREFERENCE_FILES
        .iter()
        .filter(|f| project_dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect()
}

/// The preference files Julia reads beside a project (`Base.get_preferences`).
pub const PREFERENCE_FILES: [&str; 2] = ["JuliaLocalPreferences.toml", "LocalPreferences.toml"];

/// The learned statements a build of this request bakes, when the environment has compile
/// traces: the traces merged ([`crate::learn::merge`], filtered to the baked packages, Base,
/// Core and the julia's standard libraries, capped by `learn_max_statements`). While they hold
/// fewer than `learn_rebuild_after` statements the registered image lacks, that image's own
/// `learned.jl` is used again, so the id (and the image) stays until learning is worth a
/// rebuild.
pub fn learned_input(req: &BuildRequest<'_>) -> Option<String> {
    let traces = crate::learn::Traces::of(req.store, &req.env.project_file);
    let files = traces.session_files();
    if files.is_empty() {
        return None;
    }
    let modules = crate::learn::modules(
        req.plan.baked().map(|p| p.name.clone()),
        Some(&req.julia.version),
    );
    let fresh = crate::learn::merge(&files, &modules, req.spec.learn_max_statements);
    let previous = req
        .store
        .registered(&req.env.project_file)
        .map(|e| {
            req.store
                .image_dir(&e.image)
                .join(crate::learn::LEARNED_FILE)
        })
        .and_then(|f| std::fs::read_to_string(f).ok())
        .filter(|text| crate::learn::learned_file_is_clean(text));
    if let Some(previous) = previous {
        let held: HashSet<&str> = previous.lines().collect();
        let new = fresh
            .statements
            .iter()
            .filter(|(s, _)| !held.contains(s.as_str()))
            .count();
        if new < req.spec.learn_rebuild_after.max(1) {
            return Some(previous);
        }
    }
    (!fresh.statements.is_empty()).then(|| fresh.text())
}

/// The record a build of this request produces (its id decides where the image lives).
pub fn planned_record(req: &BuildRequest<'_>) -> Result<ImageRecord, Error> {
    planned_record_with(req, learned_input(req).as_deref())
}

/// [`planned_record`] with the learned statements already read.
fn planned_record_with(
    req: &BuildRequest<'_>,
    learned: Option<&str>,
) -> Result<ImageRecord, Error> {
    let learned = learned.map(|text| InputFile {
        path: crate::learn::LEARNED_FILE.into(),
        sha256: hex::encode(Sha256::digest(text.as_bytes())),
    });
    planned_record_learning(req, learned)
}

/// [`planned_record`] with the learned statements given by their hash (`None`: none), so
/// that no compile trace is read: the launcher plans with the learned statements of the image
/// it has, as a build does until sessions teach `learn_rebuild_after` new ones.
pub fn planned_record_learning(
    req: &BuildRequest<'_>,
    learned: Option<InputFile>,
) -> Result<ImageRecord, Error> {
    let dir = req.env.dir();
    // A file that cannot be read is named with the spec key that lists it (file, line,
    // column of `precompile_execution_files = [...]`).
    let hash_files = |key: &str, files: &[String]| -> Result<Vec<InputFile>, Error> {
        files
            .iter()
            .map(|f| {
                let path = dir.join(f);
                let listed = key.starts_with("precompile_");
                let at = listed.then(|| req.spec.location(key)).flatten();
                let sha256 = file_sha256(&path).map_err(|e| match at.clone() {
                    Some(at) => Error::invalid(
                        at,
                        format!("`{key}` lists {f:?}, which cannot be read ({e})"),
                    ),
                    None => e,
                })?;
                Ok(InputFile {
                    path: f.clone(),
                    sha256,
                })
            })
            .collect()
    };
    let manifest_sha256 = file_sha256(&req.env.manifest_file)?;
    let inputs = RecordInputs {
        julia: crate::model::record::JuliaFacts {
            version: req.julia.version.to_string(),
            commit: req.julia.commit.clone(),
        },
        platform: req.julia.triplet.clone(),
        cpu_target: cpu_target(req),
        // The build machine's features as the build's julia reports them (LLVM's list, Julia
        // 1.10+), else as sysimg detects them: what `check` compares like with like.
        build_cpu: Some({
            let mut cpu = req.julia.cpu();
            if cpu.features.is_empty() {
                cpu.features = crate::cpu::host_cpu().features;
            }
            cpu
        }),
        source: SourceEnvironment {
            manifest_sha256,
            project_hash: req
                .env
                .manifest
                .as_ref()
                .and_then(|m| m.project_hash)
                .map(|h| h.to_string()),
        },
        build: BuildOptions {
            incremental: req.spec.incremental,
            filter_stdlibs: req.spec.filter_stdlibs,
            sysimage_build_args: req.spec.sysimage_build_args.clone(),
            precompile_execution_files: hash_files(
                "precompile_execution_files",
                &req.spec.precompile_execution_files,
            )?,
            precompile_statements_files: hash_files(
                "precompile_statements_files",
                &req.spec.precompile_statements_files,
            )?,
            preferences: hash_files("preferences", &preference_files(dir))?,
            learned,
            packagecompiler: None,
            packagecompiler_asked: req.spec.packagecompiler.clone(),
        },
        image_file: image_file_name(req.julia),
    };
    let mut record = ImageRecord::new(req.plan, inputs);
    hash_path_sources(req.env, &mut record)?;
    Ok(record)
}

/// Writes the build workspace into `dir`: the environment to bake (stripped for the pinned
/// policy, path-tracked packages made absolute, preference files beside it),
/// `sysimage_data.jl` and `build.jl`; side-loaded sources go to [`Store::sideload_dir`].
pub fn write_workspace(
    req: &BuildRequest<'_>,
    record: &ImageRecord,
    tools: &ToolsEnv,
    dir: &Path,
) -> Result<PathBuf, Error> {
    let env_dir = dir.join("environment");
    std::fs::create_dir_all(&env_dir).map_err(io_err(&env_dir))?;
    let project = env_dir.join("Project.toml");
    let manifest = env_dir.join("Manifest.toml");
    std::fs::copy(&req.env.project_file, &project).map_err(io_err(&project))?;
    std::fs::copy(&req.env.manifest_file, &manifest).map_err(io_err(&manifest))?;
    // The copy lives elsewhere: relative `[sources]` paths and workspace members are made
    // absolute, and a project that is itself a package brings its `src/`.
    {
        use julia_env::edit::ProjectEditor;
        let mut ed = ProjectEditor::open(&project)?;
        if ed.absolutize_paths(req.env.dir()) {
            ed.write()?;
        }
    }
    let own_src = req.env.dir().join("src");
    if req.env.project.name.is_some() && req.env.project.uuid.is_some() && own_src.is_dir() {
        copy_tree(&own_src, &env_dir.join("src"))?;
    }
    let copy = Environment::load(&project, None)?;
    if req.plan.policy == Policy::Pinned {
        let stripped = crate::align::strip(&copy, req.plan)?;
        stripped.project.apply()?;
        stripped.manifest.apply()?;
    }
    if let Some(m) = &req.env.manifest {
        let mut ed = ManifestEditor::open(&manifest)?;
        let mut changed = false;
        for e in m.entries.iter().filter(|e| e.path.is_some()) {
            if let Some(p) = &e.path {
                let abs = julia_env::depot::normalize(
                    &req.env
                        .manifest_file
                        .parent()
                        .unwrap_or(Path::new("."))
                        .join(p),
                );
                changed |= ed.set_path(&e.uuid, &abs.to_string_lossy());
            }
        }
        if changed {
            ed.write()?;
        }
    }
    for f in preference_files(req.env.dir()) {
        let (from, to) = (req.env.dir().join(&f), env_dir.join(&f));
        std::fs::copy(&from, &to).map_err(io_err(&from))?;
    }
    sideload(req, &env_dir, &req.store.sideload_dir(&record.id))?;
    let data_script = dir.join("sysimage_data.jl");
    std::fs::write(&data_script, record_module(record)).map_err(io_err(&data_script))?;
    let abs = |f: &String| req.env.dir().join(f).to_string_lossy().into_owned();
    let packages: Vec<String> = req
        .plan
        .packages
        .iter()
        .filter(|p| p.role == Role::Public)
        .map(|p| p.name.clone())
        .collect();
    let execution: Vec<String> = req
        .spec
        .precompile_execution_files
        .iter()
        .map(abs)
        .collect();
    let mut statements: Vec<String> = req
        .spec
        .precompile_statements_files
        .iter()
        .map(abs)
        .collect();
    let learned = dir.join(crate::learn::LEARNED_FILE);
    if record.build.learned.is_some() && learned.is_file() {
        statements.push(learned.to_string_lossy().into_owned());
    }
    let script = build_script(&BuildScript {
        image_id: &record.id,
        tools_env: &tools.dir.to_string_lossy(),
        project: &env_dir.to_string_lossy(),
        packages: &packages,
        cpu_target: &record.cpu_target,
        execution_files: &execution,
        statements_files: &statements,
        incremental: req.spec.incremental,
        filter_stdlibs: req.spec.filter_stdlibs,
        sysimage_build_args: &req.spec.sysimage_build_args,
        data_script: &data_script.to_string_lossy(),
    });
    let build_jl = dir.join("build.jl");
    std::fs::write(&build_jl, script).map_err(io_err(&build_jl))?;
    Ok(build_jl)
}

/// Side-loading (dev policy with `sideload`): each internal package gets its derived UUID.
/// Its source, and the source of every baked package that depends on it, is copied from the
/// depot into `root` with the UUIDs rewritten in their Project.toml; the workspace
/// Manifest tracks those copies by path under the new UUIDs.
fn sideload(req: &BuildRequest<'_>, env_dir: &Path, root: &Path) -> Result<(), Error> {
    use julia_env::edit::ProjectEditor;
    use julia_env::graph::PackageGraph;
    let renamed: Vec<(julia_env::ids::Uuid, julia_env::ids::Uuid)> = req
        .plan
        .packages
        .iter()
        .filter_map(|p| p.sideload_uuid.map(|n| (p.uuid, n)))
        .collect();
    let Some(manifest) = req.env.manifest.as_ref().filter(|_| !renamed.is_empty()) else {
        return Ok(());
    };
    let depots =
        julia_env::depot::Depots::new(req.julia.depot_path.iter().map(PathBuf::from).collect());
    let graph = PackageGraph::new(manifest);
    let is_renamed = |u: &julia_env::ids::Uuid| renamed.iter().any(|(o, _)| o == u);
    let workspace_manifest = env_dir.join("Manifest.toml");
    let mut med = ManifestEditor::open(&workspace_manifest)?;
    for p in req.plan.baked().filter(|p| !p.stdlib) {
        if !is_renamed(&p.uuid) && !graph.deps_of(&p.uuid).iter().any(is_renamed) {
            continue;
        }
        let entry = graph.entry(&p.uuid).ok_or_else(|| {
            Error::invalid(
                Location::file(&req.env.manifest_file),
                format!("`{}` vanished from the manifest", p.name),
            )
        })?;
        let src = julia_env::check::source_dir(entry, &req.env.manifest_file, &depots).filter(|d| d.is_dir()).ok_or_else(|| {
            Error::invalid(
                Location::file(&req.env.manifest_file),
                format!("cannot side-load `{}`: its source is in no depot of this julia; instantiate the environment first", p.name),
            )
        })?;
        // A package tree has a Project.toml: check before copying anything.
        let src_project = julia_env::project::project_file_in(&src).ok_or_else(|| {
            Error::invalid(
                Location::file(&src),
                format!("the source of `{}` has no Project.toml", p.name),
            )
        })?;
        let dst = root.join(format!(
            "{}-{}",
            p.name,
            &p.sideload_uuid.unwrap_or(p.uuid).simple().to_string()[..8]
        ));
        copy_tree(&src, &dst)?;
        let project = dst.join(src_project.file_name().unwrap_or_default());
        let mut ped = ProjectEditor::open(&project)?;
        for (old, new) in &renamed {
            ped.change_uuid(old, new);
        }
        ped.write()?;
        med.track_path(&p.uuid, &dst.to_string_lossy());
    }
    let mut wped = ProjectEditor::open(&env_dir.join("Project.toml"))?;
    for (old, new) in &renamed {
        med.change_uuid(old, new);
        wped.change_uuid(old, new);
    }
    med.write()?;
    wped.write()
}

/// Copies a package source tree (files made writable, symlinks kept, `.git` left out).
fn copy_tree(src: &Path, dst: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dst).map_err(io_err(dst))?;
    for entry in std::fs::read_dir(src).map_err(io_err(src))? {
        let entry = entry.map_err(io_err(src))?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if entry.file_name() == ".git" {
            continue;
        }
        let ft = entry.file_type().map_err(io_err(&from))?;
        if ft.is_dir() {
            copy_tree(&from, &to)?;
        } else if ft.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&from).map_err(io_err(&from))?, &to)
                .map_err(io_err(&to))?;
        } else {
            std::fs::copy(&from, &to).map_err(io_err(&to))?;
            let mut perms = std::fs::metadata(&to).map_err(io_err(&to))?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&to, perms).map_err(io_err(&to))?;
        }
    }
    Ok(())
}

/// Why a request cannot make a useful image, found without running julia: options
/// PackageCompiler rejects together, an invalid `cpu_target`, a plan that bakes nothing, an
/// environment `sysimg env check` finds errors in. Empty when the build may go ahead.
pub fn refusals(req: &BuildRequest<'_>) -> Vec<String> {
    let mut out = Vec::new();
    // create_sysimage loads the packages it is given from the project: they must be direct
    // dependencies, standard libraries too (every PackageCompiler's
    // `check_packages_in_project` reads only the project's `[deps]`).
    let direct: std::collections::BTreeSet<_> = req.env.project.deps.values().collect();
    let indirect: Vec<&str> = req
        .plan
        .packages
        .iter()
        .filter(|p| p.role == Role::Public && !direct.contains(&p.uuid))
        .map(|p| p.name.as_str())
        .collect();
    if !indirect.is_empty() {
        out.push(format!(
            "PackageCompiler bakes only direct dependencies, and {} {} not (add {} to the \
             project, or name direct dependencies in `public`/`packages`)",
            indirect.join(", "),
            if indirect.len() == 1 { "is" } else { "are" },
            if indirect.len() == 1 { "it" } else { "them" }
        ));
    }
    // Pkg 1.11.0-1.11.2 knows `path`, `url` and `rev` in `[sources]` (Pkg v1.11.2
    // src/project.jl `valid_keys = ("path", "url", "rev")`, then `pkgerror("Invalid key
    // `$key` in `source` section")`); `subdir` came with Pkg#4039, in Pkg v1.11.3 and 1.12.
    let v = &req.julia.version;
    if (v.major, v.minor) == (1, 11) && v.patch < 3 {
        let mut projects = vec![(req.env.project_file.clone(), req.env.project.clone())];
        if let Some(w) = &req.env.workspace {
            projects.extend(
                w.projects
                    .iter()
                    .filter(|(f, _)| *f != req.env.project_file)
                    .cloned(),
            );
        }
        for (file, project) in projects {
            for (name, source) in &project.sources {
                if source.subdir.is_some() {
                    out.push(format!(
                        "{}: `[sources]` entry `{name}` has `subdir`, which the Pkg of Julia {} \
                         refuses (\"Invalid key `subdir` in `source` section\"; Julia 1.11.3 \
                         and later accept it)",
                        file.display(),
                        req.julia.version
                    ));
                }
            }
        }
    }
    if req.spec.filter_stdlibs && req.spec.incremental {
        out.push(
            "`filter_stdlibs = true` needs `incremental = false` (PackageCompiler rejects the pair)"
                .to_string(),
        );
    }
    let target = req.spec.cpu_target.as_deref().unwrap_or("native");
    if let Err(e) = crate::cpu::CpuTarget::parse(target) {
        out.push(format!("cpu_target `{target}` is invalid: {e}"));
    }
    if req.plan.baked().next().is_none() {
        out.push("the plan bakes no package (`sysimg plan` says why)".to_string());
    }
    let report =
        julia_env::check::check_environment(req.env, &julia_env::check::CheckOptions::default());
    let errors: Vec<&julia_env::check::Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity == julia_env::check::Severity::Error)
        .collect();
    if let Some(first) = errors.first() {
        out.push(format!(
            "the environment has {} error{} (`sysimg env check` lists {}), the first: {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            if errors.len() == 1 { "it" } else { "them" },
            first.message
        ));
    }
    out
}

/// Warnings about a request that do not stop it: a julia of another minor version than the
/// one that resolved the Manifest (Pkg may resolve other versions on instantiate).
pub fn warnings(req: &BuildRequest<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let manifest_julia = req
        .env
        .manifest
        .as_ref()
        .and_then(|m| m.julia_version.as_ref());
    if let (Some(m), j) = (manifest_julia, &req.julia.version) {
        if (m.major, m.minor) != (j.major, j.minor) {
            out.push(format!(
                "the Manifest was resolved by Julia {m}, the build uses Julia {j}: instantiating may change it"
            ));
        }
    }
    let target = cpu_target(req);
    let release = crate::cpu::JuliaRelease::parse(&req.julia.version.to_string())
        .unwrap_or(crate::cpu::JuliaRelease::NEWEST);
    let unexpanded = crate::cpu::sysimage_keyword(&target, release).is_some();
    if let (Ok(t), Some(isa)) = (
        crate::cpu::CpuTarget::parse(&target),
        crate::cpu::Isa::from_arch(&req.julia.arch),
    ) {
        let cpus = crate::cpu::JuliaCpus::new(isa, release);
        for (i, name) in cpus.unknown_names(&t).iter().enumerate() {
            if i == 0 && unexpanded && name == "sysimage" {
                continue; // Julia expands it itself; this julia did not say to what.
            }
            if crate::cpu::llvm_level_features(isa, name).is_some() {
                // An x86-64 level: no typo (official 1.13 binaries use `x86-64-v4`); LLVM
                // compiles for it, and `check` models how Julia loads such a target.
                continue;
            }
            let later = crate::cpu::first_release_knowing(isa, name)
                .filter(|r| *r > release)
                .map(|r| format!(" (Julia {r} and later do)"))
                .unwrap_or_default();
            out.push(format!(
                "cpu_target names `{name}`, a CPU Julia {} does not know{later}: Julia records \
                 no CPU features for that target, so nothing checks that a CPU can run it \
                 (check the spelling)",
                req.julia.version
            ));
        }
        for t in &t.targets {
            let unchecked = cpus.unchecked_features(t);
            if !unchecked.is_empty() {
                out.push(format!(
                    "cpu_target gives `{}` {}, which Julia {} does not know as features: it \
                     passes them to LLVM unchecked",
                    t.name,
                    unchecked.join(", "),
                    req.julia.version
                ));
            }
        }
    }
    out
}

/// The `cpu_target` a request builds: the spec's (`native` by default), with Julia 1.13's
/// `sysimage` keyword replaced by the target of the julia's default sysimage, as that julia
/// would replace it (PackageCompiler builds from the default sysimage). Left as it is when
/// the julia did not say what its sysimage was built for.
pub fn cpu_target(req: &BuildRequest<'_>) -> String {
    let target = req.spec.cpu_target.as_deref().unwrap_or("native");
    let release = crate::cpu::JuliaRelease::parse(&req.julia.version.to_string())
        .unwrap_or(crate::cpu::JuliaRelease::NEWEST);
    if req.julia.sysimage_target.is_empty() {
        return target.to_string();
    }
    crate::cpu::expand_sysimage_keyword(target, release, &req.julia.sysimage_target)
}

/// Builds the image of a request into the store, or reuses the one it holds.
///
/// Two julia runs, both logged to the image's `build.log`: the tools step installs (or
/// instantiates) PackageCompiler under the tools environment's lock and reports its version,
/// which enters the record; then `build.jl` builds the image.
pub fn build(
    req: &BuildRequest<'_>,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<BuildOutcome, BuildError> {
    let refused = refusals(req);
    if !refused.is_empty() {
        return Err(BuildError::Refused(refused));
    }
    for w in warnings(req) {
        on_event(BuildEvent::Warning(w));
    }
    let learned = learned_input(req);
    let mut record = planned_record_with(req, learned.as_deref())?;
    let store = req.store;
    let source = match &req.spec.packagecompiler {
        Some(v) => PackageCompilerSource::parse(v, req.env.dir())?,
        None => PackageCompilerSource::Newest,
    };
    let tools = ToolsEnv::new(store, req.julia, source);
    if !req.force {
        // A present, undamaged image needs no write (a read-only shared store works);
        // registering the environment is best-effort there. Registering waits for a removal
        // of the image (gc): when it was removed meanwhile, it is built.
        if let Some(existing) = store.lookup(&record.id) {
            let registered = store.register(&req.env.project_file, &existing.id);
            if registered.is_ok() || store.lookup(&record.id).is_some() {
                return Ok(BuildOutcome::Reused(existing));
            }
        }
    }
    let scratch = Scratch::Build(record.id.clone());
    let lock = store.lock_exclusive_or_wait(&record.id, &mut |holder| {
        on_event(BuildEvent::Waiting(format!(
            "waiting for the lock of image {}: {holder}",
            record.id
        )))
    })?;
    if !req.force {
        // A damaged image (its file changed since it landed, and its hash is not its
        // record's; or its record names another id) is not reused: it is built again, and
        // landing replaces it.
        if let Some(existing) = store.lookup(&record.id) {
            store.register_locked(&req.env.project_file, &lock)?;
            return Ok(BuildOutcome::Reused(existing));
        }
    }
    let mut tools = tools;
    if tools.source == PackageCompilerSource::Newest {
        tools.upgrade_to = crate::julia::tools::newest_compatible(req.julia);
    }
    let tmp = store.scratch(&scratch)?;
    #[cfg(unix)]
    lock.share_with_children().map_err(io_err(tmp.path()))?;
    let workspace = tmp.path().join("workspace");
    std::fs::create_dir_all(&workspace).map_err(io_err(&workspace))?;
    let log_path = tmp.path().join(LOG_FILE);
    let mut log = std::fs::File::create(&log_path).map_err(io_err(&log_path))?;
    let keep_log = |log_path: &Path| -> PathBuf {
        let kept = store.failed_build_log(&record.id);
        let _ = std::fs::create_dir_all(kept.parent().unwrap_or(tmp.path()));
        let _ = std::fs::copy(log_path, &kept);
        kept
    };

    record.build.packagecompiler = Some(
        match install_packagecompiler(req, &tools, &workspace, &mut log, cancel, on_event)? {
            Ok(version) => version,
            Err(reason) => {
                return Err(BuildError::PackageCompilerUnavailable {
                    reason,
                    log: keep_log(&log_path),
                })
            }
        },
    );

    let sideloaded = store.sideload_dir(&record.id);
    let _ = std::fs::remove_dir_all(&sideloaded);
    // Side-loaded sources live outside the temporary directory: remove them unless the
    // image lands.
    let sideload_guard = RemoveOnDrop(Some(sideloaded.clone()));
    if let Some(text) = &learned {
        // Beside the image too: what it holds, for `learn show` and the next build.
        for dir in [workspace.as_path(), tmp.path()] {
            let file = dir.join(crate::learn::LEARNED_FILE);
            std::fs::write(&file, text).map_err(io_err(&file))?;
        }
    }
    let build_jl = write_workspace(req, &record, &tools, &workspace)?;
    let output = tmp.path().join(&record.image.file);
    let status = run_julia(
        &req.julia.command(),
        &build_jl,
        Some(&output),
        &mut log,
        cancel,
        on_event,
    )?;
    match status {
        JuliaExit::Cancelled => return Err(BuildError::Cancelled),
        JuliaExit::Failed(status) => {
            let log = keep_log(&log_path);
            return Err(BuildError::Julia {
                status,
                why: failure_lines(&log),
                log,
            });
        }
        JuliaExit::Success if !output.is_file() => {
            return Err(BuildError::NoImage {
                log: keep_log(&log_path),
            })
        }
        JuliaExit::Success => {}
    }
    record.image.sha256 = file_sha256(&output)?;
    record.artifacts = used_artifacts(req, &record);
    let record_path = tmp.path().join(RECORD_FILE);
    std::fs::write(&record_path, record.to_toml()).map_err(io_err(&record_path))?;
    let _ = std::fs::remove_dir_all(&workspace);
    // With --force, the old image is set aside and the new one swapped in.
    let landed = store.land(&record.id, tmp)?;
    std::mem::forget(sideload_guard);
    store.register_locked(&req.env.project_file, &lock)?;
    precompile_left_out(
        req,
        &landed.join(&record.image.file),
        &mut log,
        cancel,
        on_event,
    )?;
    Ok(BuildOutcome::Built(record))
}

/// The step after an image lands: on the image, with the environment active, loads every
/// package of the environment the image leaves out (not baked, not a standard library), so
/// that their caches are compiled against the image now and the user's first `using` of one
/// compiles nothing (see [`crate::codegen::left_out_script`]). The caches go to the first
/// depot, as the user's own `using` would put them, beside the ones made for the default
/// image. The image has landed whatever happens here: a package that fails to load, or julia
/// failing, is a warning. Nothing runs when the image leaves nothing out or bakes nothing.
fn precompile_left_out(
    req: &BuildRequest<'_>,
    image: &Path,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<(), BuildError> {
    let left_out: Vec<(String, String)> = req
        .plan
        .packages
        .iter()
        .filter(|p| !p.baked && !p.stdlib)
        .map(|p| (p.name.clone(), p.uuid.to_string()))
        .collect();
    if left_out.is_empty() || req.plan.baked().next().is_none() {
        return Ok(());
    }
    let pairs: Vec<(&str, &str)> = left_out
        .iter()
        .map(|(n, u)| (n.as_str(), u.as_str()))
        .collect();
    // The script is no part of the store: it lives in the system's temporary directory.
    let dir = tempfile::Builder::new()
        .prefix("sysimg-left-out-")
        .tempdir()
        .map_err(io_err(&std::env::temp_dir()))?;
    let script = dir.path().join("left-out.jl");
    let text = crate::codegen::left_out_script(&pairs);
    std::fs::write(&script, text).map_err(io_err(&script))?;
    let mut julia = req.julia.command();
    julia.args.push("-J".into());
    julia.args.push(image.to_string_lossy().into_owned());
    julia
        .args
        .push(format!("--project={}", req.env.dir().display()));
    let mut failed = Vec::new();
    let status = run_julia(&julia, &script, None, log, cancel, &mut |e| {
        if let BuildEvent::Line(line) = &e {
            if let Some(what) = line.strip_prefix(crate::codegen::NOT_PRECOMPILED_LINE) {
                failed.push(what.trim().to_string());
            }
        }
        on_event(e)
    })?;
    for what in failed {
        on_event(BuildEvent::Warning(format!(
            "a package the image leaves out did not load on it, so it compiles at its first \
             `using`: {what}"
        )));
    }
    match status {
        JuliaExit::Success => {}
        JuliaExit::Cancelled => on_event(BuildEvent::Warning(
            "stopped while precompiling the packages the image leaves out; the image is in \
             the store, and they compile at their first `using`"
                .into(),
        )),
        JuliaExit::Failed(status) => on_event(BuildEvent::Warning(format!(
            "precompiling the packages the image leaves out failed ({status}); the image is \
             in the store, and they compile at their first `using` (see build.log)"
        ))),
    }
    Ok(())
}

/// Removes a directory when dropped (a build or pull that did not land leaves no side-loaded
/// sources); `.0 = None` disarms it.
pub struct RemoveOnDrop(pub Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The tools step: installs or instantiates PackageCompiler in its environment, under that
/// environment's lock. `Ok(Ok(version))` when it is there; `Ok(Err(reason))` when it could
/// not be had.
fn install_packagecompiler(
    req: &BuildRequest<'_>,
    tools: &ToolsEnv,
    workspace: &Path,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<Result<String, String>, BuildError> {
    std::fs::create_dir_all(&tools.dir).map_err(io_err(&tools.dir))?;
    let _tools_lock = req.store.lock_tools(&tools.name(), &mut |holder| {
        on_event(BuildEvent::Waiting(format!(
            "waiting for the lock of the PackageCompiler environment {}: {holder}",
            tools.dir.display()
        )))
    })?;
    let script = workspace.join("tools.jl");
    std::fs::write(&script, tools.install_script()).map_err(io_err(&script))?;
    let (mut version, mut unavailable) = (None, None);
    let status = run_julia(&req.julia.command(), &script, None, log, cancel, &mut |e| {
        if let BuildEvent::Line(line) = &e {
            if let Some(v) = line.strip_prefix(VERSION_LINE) {
                version = Some(v.trim().to_string());
            } else if let Some(why) = line.strip_prefix(UNAVAILABLE_LINE) {
                unavailable = Some(why.trim().to_string());
            } else if let Some(change) = line.strip_prefix(UPGRADED_LINE) {
                on_event(BuildEvent::Warning(format!(
                    "PackageCompiler upgraded in the tools environment: {}",
                    change.trim()
                )));
            } else if let Some(why) = line.strip_prefix(NOT_UPGRADED_LINE) {
                on_event(BuildEvent::Warning(format!(
                    "a newer PackageCompiler fits this julia but could not be installed; \
                     building with the one installed ({})",
                    why.trim()
                )));
            }
        }
        on_event(e)
    })?;
    Ok(match (status, version) {
        (JuliaExit::Cancelled, _) => return Err(BuildError::Cancelled),
        (JuliaExit::Success, Some(v)) => Ok(v),
        (JuliaExit::Success, None) => Err("julia reported no PackageCompiler version".into()),
        (JuliaExit::Failed(status), _) => Err(unavailable.unwrap_or(status)),
    })
}

/// The load path builds run with: the active project, then the standard libraries.
const ISOLATED_LOAD_PATH: &str = if cfg!(windows) {
    "@;@stdlib"
} else {
    "@:@stdlib"
};

enum JuliaExit {
    Success,
    Failed(String),
    Cancelled,
}

/// Runs `julia SCRIPT` (with `SYSIMG_BUILD_OUTPUT` set to `output` when given), streaming its
/// output to the log and to `on_event`, and stops it (with everything it started) when
/// `cancel` is set.
///
/// julia runs isolated from the caller's environment choices: no `JULIA_PROJECT`, a load
/// path of the active project and the standard libraries only (`JULIA_LOAD_PATH`, inherited
/// by the processes PackageCompiler starts), and no automatic precompilation on
/// `Pkg.instantiate` (the script precompiles once). The depots are the caller's, so what the
/// build installs is where the image's users find it.
fn run_julia(
    julia: &crate::julia::JuliaCommand,
    script: &Path,
    output: Option<&Path>,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<JuliaExit, Error> {
    let mut cmd = julia.command();
    cmd.args(["--startup-file=no", "--history-file=no"])
        .arg(script)
        .env_remove("SYSIMG_BUILD_OUTPUT")
        .env_remove("JULIA_PROJECT")
        .env("JULIA_LOAD_PATH", ISOLATED_LOAD_PATH)
        .env("JULIA_PKG_PRECOMPILE_AUTO", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(output) = output {
        cmd.env("SYSIMG_BUILD_OUTPUT", output);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid before the fork; in the child only async-signal-safe calls (prctl,
        // getppid). julia dies with sysimg even when sysimg is killed outright (SIGKILL).
        let parent = unsafe { libc::getpid() };
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
                    || libc::getppid() != parent
                {
                    return Err(std::io::Error::other("sysimg ended before julia started"));
                }
                Ok(())
            });
        }
    }
    let mut child = crate::julia::spawn(&mut cmd).map_err(|e| {
        Error::invalid(
            Location::file(&julia.path),
            format!("could not start julia: {e}; {}", crate::julia::INSTALL_HINT),
        )
    })?;
    let (tx, rx) = mpsc::channel::<String>();
    let mut readers = Vec::new();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut last_phase = String::new();
    let mut handle = |line: String, log: &mut std::fs::File| {
        let _ = writeln!(log, "{line}");
        let phase = match line.strip_prefix(PHASE_LINE) {
            Some(p) => Some(p.trim()),
            None => packagecompiler_phase(&line),
        };
        if let Some(phase) = phase.filter(|p| *p != last_phase) {
            last_phase = phase.to_string();
            on_event(BuildEvent::Phase(last_phase.clone()));
        }
        on_event(BuildEvent::Line(line));
    };
    loop {
        if cancel.load(Ordering::SeqCst) {
            stop_group(&mut child);
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
                handle(line, log);
            }
            return Ok(JuliaExit::Cancelled);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => handle(line, log),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for r in readers {
        let _ = r.join();
    }
    // The streams are closed; julia is ending, but a cancel may still arrive.
    let status = loop {
        if cancel.load(Ordering::SeqCst) {
            stop_group(&mut child);
            return Ok(JuliaExit::Cancelled);
        }
        match child.try_wait().map_err(io_err(&julia.path))? {
            Some(s) => break s,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let _ = log.flush();
    Ok(if status.success() {
        JuliaExit::Success
    } else {
        JuliaExit::Failed(status.to_string())
    })
}

/// The phase a line of PackageCompiler's output begins, if it begins one: what its releases
/// print when not on a terminal (2.x's spinners print `- <msg>` once, to stderr; 1.x logs
/// `@info` lines):
///
/// | phase | PackageCompiler prints |
/// |---|---|
/// | `base image` | 1.x "PackageCompiler: creating base system image (incremental=false)..."; 2.0-2.1 "compiling base system image (incremental=false)"; 2.2+ "creating compiler .ji image" / "creating compiler sysimage" and "compiling fresh sysimage (incremental=false)" |
/// | `workload` | 1.x "===== Start precompile execution ====="; 2.x "PackageCompiler: Executing <file> => <trace>" |
/// | `system image` | 1.x "PackageCompiler: creating system image object file"; 2.x "PackageCompiler: compiling incremental system image" / "compiling nonincremental system image" |
pub fn packagecompiler_phase(line: &str) -> Option<&'static str> {
    const PHASES: &[(&str, &str)] = &[
        ("PackageCompiler: creating base system image", "base image"),
        ("PackageCompiler: compiling base system image", "base image"),
        ("PackageCompiler: creating compiler ", "base image"),
        ("PackageCompiler: compiling fresh sysimage", "base image"),
        ("===== Start precompile execution =====", "workload"),
        ("PackageCompiler: Executing ", "workload"),
        (
            "PackageCompiler: creating system image object file",
            "system image",
        ),
        (
            "PackageCompiler: compiling incremental system image",
            "system image",
        ),
        (
            "PackageCompiler: compiling nonincremental system image",
            "system image",
        ),
    ];
    PHASES
        .iter()
        .find(|(text, _)| line.contains(text))
        .map(|(_, phase)| *phase)
}

/// Ends julia and every process it started: SIGTERM to its process group, then SIGKILL.
fn stop_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let pgid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on a process group we created; no memory is involved.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                // SAFETY: as above; children of julia may still be alive.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
