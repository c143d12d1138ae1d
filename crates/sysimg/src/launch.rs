//! Launching Julia with an environment's image: which image, whether it still fits, and the
//! command line (`julia -J <image> --project=<env> ARGS...`).
//!
//! The launcher is on every start of Julia, so deciding is cheap: the store's index names the
//! environment's image, and a [`Stamp`] of what was last found fresh (sizes and modification
//! times of the project, manifest, julia and record, and the host CPU) lets an unchanged
//! environment skip reading its Manifest. Anything changed means one full check with
//! [`Thoroughness::LAUNCH`] (no registry reads, no tree hashing, no image hashing).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use julia_env::check::{Finding, Severity};
use julia_env::environment::Environment;
use julia_env::version::VersionNumber;

use crate::check::{check_image, Host, Image, Thoroughness};
use crate::cpu::CpuFacts;
use crate::julia::JuliaInfo;
use crate::learn::{manifest_sha256, BackgroundOutcome, BackgroundStatus, Traces};
use crate::model::record::{ImageRecord, RECORD_FILE};
use crate::model::spec::{ImageSpec, OnStale, SPEC_FILE, VSCODE_SPEC_FILE};
pub use crate::model::stamp::{FileStamp, Stamp, STAMP_COVERS_INPUTS};
use crate::store::{EnvUse, Store};
use crate::vars::Vars;

fn cpu_key(cpu: &CpuFacts) -> String {
    let features: Vec<&str> = cpu.features.iter().map(String::as_str).collect();
    format!("{}:{}", cpu.name, features.join(","))
}

/// Whether the environment's image can be used.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// The image a build would make now is in the store and fits this host.
    Fresh {
        /// The image id.
        id: String,
        /// The image file.
        image: PathBuf,
    },
    /// The image exists but does not fit, or a build now would make another; the reasons
    /// say why.
    Stale {
        /// The image id.
        id: String,
        /// The image file.
        image: PathBuf,
        /// The reasons, as error findings (`inputs-changed`: a build input changed since it
        /// was built).
        reasons: Vec<Finding>,
        /// Whether the image still loads correctly in the environment on this host: only
        /// build inputs that do not make it wrong changed (a `Sysimage.toml` option, a
        /// precompile file), so it is slower than the new one would be, not wrong.
        usable: bool,
    },
    /// No image is registered for the environment, or it is gone from the store.
    Missing {
        /// Why, in words.
        reason: String,
    },
}

/// The image the store holds for an environment, as every command finds it.
#[derive(Clone, Debug)]
pub struct Found {
    /// Its id.
    pub id: String,
    /// The image.
    pub image: Image,
    /// What a build now would do differently, in words (empty: this is the image a build
    /// would make now, or that could not be computed: no julia, a plan that fails).
    pub changes: Vec<String>,
}

/// The image the store holds for an environment, as `check`, `run`, `julia-args` and
/// `status` all find it. With the julia known: the image a build would make now (its id from
/// every input: the baked packages, julia, platform, CPU target, policy, `Sysimage.toml`'s
/// options, the precompile and preference files' contents, path-tracked sources), wherever it
/// is in the store, so a Manifest that returns to a state built before finds that image again;
/// found, it is registered for the environment (the next start takes the fast path). Else the
/// registered image, with what changed since it was built. The learned statements are taken
/// as the registered image holds them (no compile trace is read here; a build bakes new ones
/// once sessions teach `learn_rebuild_after` of them).
pub fn environment_image(
    env: &Environment,
    spec: &ImageSpec,
    store: &Store,
    julia: Option<&JuliaInfo>,
    vars: &Vars,
) -> Option<Found> {
    let registered = store
        .registered(&env.project_file)
        .and_then(|e| store.find(&e.image).ok());
    let planned = julia.and_then(|julia| {
        let learned = registered
            .as_ref()
            .and_then(|(_, r)| r.build.learned.clone());
        planned_now(env, spec, store, julia, vars, learned)
    });
    let Some(planned) = planned else {
        let (file, record) = registered?;
        return Some(Found {
            id: record.id.clone(),
            image: Image::from_record(&file, record),
            changes: Vec::new(),
        });
    };
    for id in candidate_ids(&planned) {
        let record_file = store.image_dir(&id).join(RECORD_FILE);
        if !record_file.is_file() {
            continue;
        }
        let Ok((file, record)) = store.find(&id) else {
            continue;
        };
        if registered.as_ref().is_none_or(|(_, r)| r.id != id) {
            let _ = store.register(&env.project_file, &id);
        }
        return Some(Found {
            id,
            image: Image::from_record(&file, record),
            changes: Vec::new(),
        });
    }
    let (file, record) = registered?;
    // A `native` image built on another machine (pulled, or the store shared): the same
    // inputs but the build machine's CPU, which the id names. It is the image a build here
    // would make but for that CPU; whether it runs on this one is the fit check's to say.
    if let (Some(theirs), Some(_)) = (&record.build_cpu, &planned.build_cpu) {
        let mut elsewhere = planned.clone();
        elsewhere.build_cpu = Some(theirs.clone());
        elsewhere.id = elsewhere.compute_id();
        if candidate_ids(&elsewhere).contains(&record.id) {
            return Some(Found {
                id: record.id.clone(),
                image: Image::from_record(&file, record),
                changes: Vec::new(),
            });
        }
    }
    let mut changes = input_changes(&record, &planned);
    if changes.is_empty() {
        changes.push(format!("a build now would make image {}", planned.id));
    }
    Some(Found {
        id: record.id.clone(),
        image: Image::from_record(&file, record),
        changes,
    })
}

/// The record a build of the environment would make now, with `learned` as its learned
/// statements (`None` when the plan or an input file cannot be read).
fn planned_now(
    env: &Environment,
    spec: &ImageSpec,
    store: &Store,
    julia: &JuliaInfo,
    vars: &Vars,
    learned: Option<crate::model::record::InputFile>,
) -> Option<ImageRecord> {
    let plan = crate::model::plan::make_plan(env, spec).ok()?;
    let req = crate::build::BuildRequest {
        env,
        spec,
        plan: &plan,
        julia,
        store,
        force: false,
        vars,
    };
    crate::build::planned_record_learning(&req, learned).ok()
}

/// The ids the planned image may have: with the learned statements planned, and without any
/// (an image built before the environment had traces).
fn candidate_ids(planned: &ImageRecord) -> Vec<String> {
    let mut ids = vec![planned.id.clone()];
    if planned.build.learned.is_some() {
        let mut bare = planned.clone();
        bare.build.learned = None;
        ids.push(bare.compute_id());
    }
    ids
}

/// What differs between the inputs of image `old` and those a build would use now, one
/// phrase each, naming the `Sysimage.toml` key when it is one.
pub fn input_changes(old: &ImageRecord, new: &ImageRecord) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (&old.build, &new.build);
    if old.julia != new.julia {
        out.push(format!(
            "julia is now {} (commit {}), the image's {} (commit {})",
            new.julia.version, new.julia.commit, old.julia.version, old.julia.commit
        ));
    }
    if old.platform != new.platform {
        out.push(format!("the platform is now {}", new.platform));
    }
    if old.cpu_target != new.cpu_target {
        out.push(format!(
            "cpu_target is now {:?} (the image's: {:?})",
            new.cpu_target, old.cpu_target
        ));
    }
    if old.policy != new.policy {
        out.push(format!(
            "policy is now {} (the image's: {})",
            new.policy, old.policy
        ));
    }
    fn packages(r: &ImageRecord) -> Vec<crate::model::record::PackageIdentity<'_>> {
        let mut v: Vec<_> = r.packages.iter().map(|p| p.identity()).collect();
        v.sort_by_key(|x| x.0);
        v
    }
    if packages(old) != packages(new) {
        out.push("the packages to bake changed (versions, tree hashes or which)".into());
    }
    let files = |name: &str,
                 x: &[crate::model::record::InputFile],
                 y: &[crate::model::record::InputFile]| {
        let hashes = |v: &[crate::model::record::InputFile]| {
            v.iter().map(|f| f.sha256.clone()).collect::<Vec<_>>()
        };
        (hashes(x) != hashes(y)).then(|| {
            let names: Vec<&str> = y.iter().map(|f| f.path.as_str()).collect();
            format!("{name} changed (now: [{}])", names.join(", "))
        })
    };
    out.extend(files(
        "precompile_execution_files",
        &a.precompile_execution_files,
        &b.precompile_execution_files,
    ));
    out.extend(files(
        "precompile_statements_files",
        &a.precompile_statements_files,
        &b.precompile_statements_files,
    ));
    out.extend(files(
        "the preference files",
        &a.preferences,
        &b.preferences,
    ));
    if a.incremental != b.incremental {
        out.push(format!("incremental is now {}", b.incremental));
    }
    if a.filter_stdlibs != b.filter_stdlibs {
        out.push(format!("filter_stdlibs is now {}", b.filter_stdlibs));
    }
    if a.sysimage_build_args != b.sysimage_build_args {
        out.push(format!(
            "sysimage_build_args is now {:?}",
            b.sysimage_build_args
        ));
    }
    if a.packagecompiler_asked != b.packagecompiler_asked {
        out.push(format!(
            "packagecompiler is now {}",
            b.packagecompiler_asked.as_deref().unwrap_or("the newest")
        ));
    }
    if a.learned.as_ref().map(|f| &f.sha256) != b.learned.as_ref().map(|f| &f.sha256) {
        out.push("the learned statements changed".into());
    }
    let sources = |r: &ImageRecord| {
        let mut v: Vec<_> = (r.packages.iter())
            .filter_map(|p| Some((p.uuid, p.source_tree_hash.clone()?)))
            .collect();
        v.sort();
        v
    };
    if sources(old) != sources(new) {
        out.push("a path-tracked package's source changed".into());
    }
    out
}

/// The julia version that picks the environment's manifest (`Manifest-v1.11.toml`, ...).
pub fn julia_version(host: &Host) -> Option<VersionNumber> {
    host.julia.as_ref().map(|j| j.version.clone())
}

/// [`decide`]'s shortcut, taken before anything else is known about the host: the registered
/// image is fresh when the stamp of its last fresh verdict still holds (no file it covers
/// changed — the project, manifest, julia, record, spec files, precompile and preference
/// files —, the CPU's raw fingerprint is `cpu_raw` ([`crate::vars::Vars::host_fingerprint`]),
/// `julia` is the one stamped). `None`: call [`decide`].
pub fn decide_by_stamp(
    project_file: &Path,
    store: &Store,
    julia: &Path,
    cpu_raw: &str,
) -> Option<Verdict> {
    let entry = store.registered(project_file)?;
    fresh_by_stamp(store, entry, Some(julia), |stamp| stamp.cpu_raw == cpu_raw)
}

/// The registered image, fresh if `entry`'s stamp holds: the same CPU (`same_cpu`), the
/// julia that would run among the files stamped, and none of them changed.
fn fresh_by_stamp(
    store: &Store,
    entry: EnvUse,
    julia: Option<&Path>,
    same_cpu: impl Fn(&Stamp) -> bool,
) -> Option<Verdict> {
    let stamp = entry.verified.as_ref()?;
    let stamped = |p: &Path| stamp.files.iter().any(|f| Path::new(&f.path) == p);
    if stamp.covers < STAMP_COVERS_INPUTS
        || !same_cpu(stamp)
        || !julia.is_none_or(stamped)
        || !stamp.files.iter().all(FileStamp::unchanged)
    {
        return None;
    }
    let dir = store.image_dir(&entry.image);
    let image = image_file_of(&dir, &dir.join(RECORD_FILE))?;
    Some(Verdict::Fresh {
        id: entry.image,
        image,
    })
}

/// Decides whether the image the store holds for `project_file` fits it and `host`: the
/// registered image's stamp when it holds, else [`freshness`] with the project's own
/// `Sysimage.toml` (a fresh verdict is stamped, for [`decide_by_stamp`]).
pub fn decide(project_file: &Path, store: &Store, host: &Host) -> Verdict {
    let dir = project_file.parent().unwrap_or(Path::new("."));
    match ImageSpec::for_project_dir(dir) {
        Ok(spec) => decide_with(project_file, &spec, store, host),
        Err(e) => unreadable(project_file, store, e.to_string()),
    }
}

/// [`decide`] with the spec given (with a command's overrides).
pub fn decide_with(project_file: &Path, spec: &ImageSpec, store: &Store, host: &Host) -> Verdict {
    let julia = host.julia.as_ref().map(|j| j.path.as_path());
    if let Some(entry) = store.registered(project_file) {
        // `host.cpu` decides here; the raw fingerprint stands for it only when it is this
        // machine's CPU (not one a caller describes), so only then is it stamped.
        let same_cpu = |s: &Stamp| s.cpu == cpu_key(&host.cpu);
        if let Some(fresh) = fresh_by_stamp(store, entry.clone(), julia, same_cpu) {
            let raw = host.cpu_raw.clone();
            // A stamp from before raw fingerprints: add this one, so that the next start
            // need not decode the CPU.
            if let Some(mut stamp) = entry
                .verified
                .filter(|s| !raw.is_empty() && s.cpu_raw != raw)
            {
                stamp.cpu_raw = raw;
                store.mark_verified(project_file, &entry.image, stamp);
            }
            return fresh;
        }
    }
    let env = match Environment::load(project_file, julia_version(host).as_ref()) {
        Ok(env) => env,
        Err(e) => return unreadable(project_file, store, e.to_string()),
    };
    let verdict = freshness(&env, spec, store, host);
    if let Verdict::Fresh { id, .. } = &verdict {
        stamp_fresh(&env, spec, store, host, id);
    }
    verdict
}

/// The one answer to "is the environment's image fresh?": fresh when the store holds the
/// image a build would make now ([`environment_image`]) and it fits this host (no error
/// at [`Thoroughness::LAUNCH`]); else stale with the reasons (what changed since the image
/// was built, what does not fit), or missing.
pub fn freshness(env: &Environment, spec: &ImageSpec, store: &Store, host: &Host) -> Verdict {
    let Some(found) = environment_image(env, spec, store, host.julia.as_ref(), &host.vars) else {
        return Verdict::Missing {
            reason: "no image is registered for this environment (`sysimg build` makes one)".into(),
        };
    };
    let Found { id, image, changes } = found;
    let changed: Vec<Finding> = changes
        .into_iter()
        .map(|c| Finding::new(Severity::Error, "inputs-changed", c))
        .collect();
    match judge_loaded(image, id, env, host) {
        Verdict::Fresh { id, image } if !changed.is_empty() => Verdict::Stale {
            id,
            image,
            reasons: changed,
            usable: true,
        },
        Verdict::Stale {
            id,
            image,
            mut reasons,
            ..
        } => {
            reasons.extend(changed);
            Verdict::Stale {
                id,
                image,
                reasons,
                usable: false,
            }
        }
        verdict => verdict,
    }
}

/// Stamps a fresh verdict on image `id`: the files it was decided from (the project,
/// manifest, record, julia, spec files, precompile and preference files) and the CPU. An
/// image with path-tracked sources is not stamped: its source can change without any of
/// these files changing, so it is judged at every start.
fn stamp_fresh(env: &Environment, spec: &ImageSpec, store: &Store, host: &Host, id: &str) {
    let record_file = store.image_dir(id).join(RECORD_FILE);
    match ImageRecord::read(&record_file) {
        Ok(r) if !r.has_path_sources() => {}
        _ => return,
    }
    let dir = env.dir();
    let mut files: Vec<FileStamp> = Vec::new();
    for f in [&env.project_file, &env.manifest_file, &record_file] {
        let Some(stamp) = FileStamp::of(f) else {
            return;
        };
        files.push(stamp);
    }
    if let Some(j) = &host.julia {
        let Some(stamp) = FileStamp::of(&j.path) else {
            return;
        };
        files.push(stamp);
    }
    let inputs = [SPEC_FILE, VSCODE_SPEC_FILE]
        .into_iter()
        .chain(crate::build::PREFERENCE_FILES)
        .map(String::from)
        .chain(spec.precompile_execution_files.iter().cloned())
        .chain(spec.precompile_statements_files.iter().cloned());
    files.extend(inputs.map(|f| FileStamp::of_or_absent(&dir.join(f))));
    let stamp = Stamp {
        covers: STAMP_COVERS_INPUTS,
        files,
        cpu: cpu_key(&host.cpu),
        cpu_raw: host.cpu_raw.clone(),
    };
    store.mark_verified(&env.project_file, id, stamp);
}

/// The verdict when the environment or its spec cannot be read: the registered image is
/// stale for that reason, or there is none.
fn unreadable(project_file: &Path, store: &Store, why: String) -> Verdict {
    let Some(entry) = store.registered(project_file) else {
        return Verdict::Missing { reason: why };
    };
    let dir = store.image_dir(&entry.image);
    Verdict::Stale {
        image: image_file_of(&dir, &dir.join(RECORD_FILE)).unwrap_or_default(),
        id: entry.image,
        reasons: vec![Finding::new(Severity::Error, "environment-unreadable", why)],
        usable: false,
    }
}

/// The verdict on one image for the environment of `project_file` on `host`: its error
/// findings at [`Thoroughness::LAUNCH`] (the environment too, when it could be read).
pub fn judge(
    image: Image,
    id: String,
    project_file: &Path,
    host: &Host,
) -> (Verdict, Option<Environment>) {
    let env = match Environment::load(project_file, julia_version(host).as_ref()) {
        Ok(env) => env,
        Err(e) => {
            let reasons = vec![Finding::new(
                Severity::Error,
                "environment-unreadable",
                e.to_string(),
            )];
            let verdict = Verdict::Stale {
                id,
                image: image.file,
                reasons,
                usable: false,
            };
            return (verdict, None);
        }
    };
    let verdict = judge_loaded(image, id, &env, host);
    (verdict, Some(env))
}

/// The verdict on one image for an environment already read.
fn judge_loaded(image: Image, id: String, env: &Environment, host: &Host) -> Verdict {
    let report = check_image(&image, Some(env), host, Thoroughness::LAUNCH);
    let reasons: Vec<Finding> = report
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    match reasons.is_empty() {
        true => Verdict::Fresh {
            id,
            image: image.file,
        },
        false => Verdict::Stale {
            id,
            image: image.file,
            reasons,
            usable: false,
        },
    }
}

/// The image file beside a record, read cheaply: the record names it, but the default
/// names are tried first so the fast path need not parse the record.
fn image_file_of(dir: &Path, record_file: &Path) -> Option<PathBuf> {
    for name in ["sys.so", "sys.dylib", "sys.dll"] {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    let record = ImageRecord::read(record_file).ok()?;
    Some(dir.join(record.image.file)).filter(|p| p.is_file())
}

/// The arguments that start julia with `image` (if any) in the environment of
/// `project_file`, before the user's own.
pub fn julia_args(image: Option<&Path>, project_file: &Path) -> Vec<OsString> {
    let mut args = Vec::new();
    if let Some(image) = image {
        args.push(OsString::from("-J"));
        args.push(image.as_os_str().to_owned());
    }
    let dir = project_file.parent().unwrap_or(Path::new("."));
    let mut project = OsString::from("--project=");
    project.push(dir.as_os_str());
    args.push(project);
    args
}

/// What `sysimg run` (and `julia-args`) was asked, resolved by the caller. Whatever could not
/// be resolved comes as the reason why, so that julia still starts.
pub struct LaunchRequest<'a> {
    /// The project file (it exists), or why there is none (no project upward, `-p` to a new
    /// directory, a named environment that is missing, ...).
    pub project: Result<&'a Path, String>,
    /// The project's spec with the command line's overrides, or why it cannot be read.
    pub spec: Result<&'a ImageSpec, String>,
    /// The image store, or why there is none.
    pub store: Result<&'a Store, String>,
    /// The julia that will run.
    pub julia: &'a JuliaInfo,
    /// `--on-stale` (else the spec's `on_stale`).
    pub on_stale: Option<OnStale>,
    /// `--image`: the image to use instead of the environment's.
    pub image: Option<&'a str>,
    /// `--learn`.
    pub learn: bool,
    /// The environment variables (`SYSIMG_LEARN`, `SYSIMG_HOST_CPU`, depots).
    pub vars: &'a Vars,
}

/// What the launcher does for the decision, by means the library does not own: the
/// command line starts processes and shows progress.
pub trait LaunchEffects {
    /// Starts a detached, low-priority `sysimg build --if-stale --background` of the
    /// environment with `julia`, its output going to `log` (the policy of when has been
    /// applied: one build at a time, a failure not retried on the same Manifest).
    fn start_background_build(
        &mut self,
        project_file: &Path,
        julia: &Path,
        log: &Path,
    ) -> std::io::Result<()>;

    /// Builds the environment's image now (`--on-stale build`), showing progress; the error's
    /// text when it could not.
    fn build_now(&mut self, project_file: &Path) -> Result<(), String>;

    /// Tells the user `line` now, before work that takes long (without the `sysimg: `
    /// prefix).
    fn note(&mut self, line: &str);
}

/// What to start julia with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    /// The image and its id (`None`: julia's default image).
    pub image: Option<(PathBuf, Option<String>)>,
    /// The project file julia is started in (`--project=<its directory>`); `None` when there
    /// is none, and julia is to be started as a plain julia would be (the caller passes the
    /// `--project` the user gave through as it is; `JULIA_PROJECT` julia reads itself).
    pub project_file: Option<PathBuf>,
    /// Whether this session is traced (`--learn`, `SYSIMG_LEARN`, the spec's `learn`).
    pub learn: bool,
    /// Whether it is traced only because learning is on by default (no `learn` key, no
    /// `SYSIMG_LEARN`, no `--learn`): then a trace that cannot be set up is not worth a line.
    pub learn_by_default: bool,
    /// What to tell the user, one line each (without the `sysimg: ` prefix).
    pub notes: Vec<String>,
    /// What to do with a stale image, as decided (`--on-stale`, else the spec's): the caller
    /// applies it to an image found damaged when it validates it under its lock.
    pub on_stale: OnStale,
}

/// Why julia is not started: `--on-stale fail` (or the spec's `on_stale = "fail"`) and the
/// image cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (--on-stale fail)")]
pub struct Refused {
    /// Why the image cannot be used.
    pub reason: String,
}

/// An error of the image named with `--image` (it cannot be found or read): bad input, not a
/// stale image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// `--on-stale fail` and the image cannot be used.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The image `--image` names cannot be used.
    #[error("{0}")]
    BadImage(String),
}

/// Whether this session is traced: `--learn`, `SYSIMG_LEARN=1`, or the spec's `learn`
/// (`SYSIMG_LEARN=0` turns the spec's off).
pub fn learning_on(spec_learn: bool, flag: bool, vars: &Vars) -> bool {
    match vars.get(crate::vars::SYSIMG_LEARN) {
        _ if flag => true,
        Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        _ => spec_learn,
    }
}

/// One line for a verdict that is not fresh.
pub fn why(v: &Verdict) -> String {
    match v {
        Verdict::Fresh { id, .. } => format!("image {id} is fresh"),
        Verdict::Missing { reason } => reason.clone(),
        Verdict::Stale {
            id,
            reasons,
            usable,
            ..
        } => {
            let list: Vec<String> = reasons.iter().map(|r| r.message.clone()).collect();
            let what = match usable {
                true => "is out of date",
                false => "does not fit",
            };
            format!("image {id} {what}: {}", list.join("; "))
        }
    }
}

/// The usable image of a stale verdict: one that still loads correctly, only built from
/// other inputs than a build would use now.
fn usable_image(v: &Verdict) -> Option<(PathBuf, Option<String>)> {
    match v {
        Verdict::Stale {
            id,
            image,
            usable: true,
            ..
        } if image.is_file() => Some((image.clone(), Some(id.clone()))),
        _ => None,
    }
}

/// What the start does with a usable stale image.
const STARTING_IT: &str = "starting it (`sysimg build` makes the current one)";

const DEFAULT_IMAGE: &str = "starting julia with its default sysimage";

/// Decides what to start, the whole policy of `sysimg run`: the environment's image when it
/// fits (the stamp of the last fresh verdict, else one launch-level check), else what
/// `on_stale` says — the default image with a line saying why (`warn`), a background
/// rebuild meanwhile (`background`), the stale image anyway (`ignore`), a build first
/// (`build`), or no start at all (`fail`). Whatever else is wrong (no project, a spec that
/// cannot be read, no store, a build that fails) also starts the default image with one line
/// saying why, unless `on_stale` is `fail`.
pub fn decide_launch(
    req: &LaunchRequest<'_>,
    effects: &mut dyn LaunchEffects,
) -> Result<Launch, LaunchError> {
    let spec = req.spec.as_ref().ok();
    let on_stale = req
        .on_stale
        .or(spec.map(|s| s.on_stale))
        .unwrap_or_default();
    let default_image = |project_file: Option<&Path>, why: String| -> Result<Launch, LaunchError> {
        if on_stale == OnStale::Fail {
            return Err(Refused { reason: why }.into());
        }
        Ok(Launch {
            image: None,
            project_file: project_file.map(Path::to_path_buf),
            learn: false,
            learn_by_default: false,
            notes: vec![format!("warning: {why}; {DEFAULT_IMAGE}")],
            on_stale,
        })
    };
    let project_file = match &req.project {
        Ok(p) => *p,
        Err(why) => return default_image(None, why.clone()),
    };
    let (spec, store) = match (&req.spec, &req.store) {
        (Ok(spec), Ok(store)) => (*spec, *store),
        (Err(why), _) | (_, Err(why)) => return default_image(Some(project_file), why.clone()),
    };
    let mut notes = Vec::new();
    if on_stale == OnStale::Background {
        notes.extend(background_failure_note(store, project_file));
    }
    let julia = req.julia;
    // The host is read only when the stamp of the last fresh verdict does not settle it.
    let host = || crate::check::this_host(Some(julia.clone()), req.vars);
    let verdict = match req.image {
        Some(arg) => verdict_for(arg, project_file, store, &host())?,
        None => match decide_by_stamp(
            project_file,
            store,
            &julia.path,
            &req.vars.host_fingerprint(),
        ) {
            Some(fresh) => fresh,
            None => decide_with(project_file, spec, store, &host()),
        },
    };
    // Learning that nobody asked for never risks the session: on a julia whose trace can
    // crash it ([`crate::learn::trace_may_crash`]), it is off unless asked for.
    let asked =
        spec.learn_written || req.learn || req.vars.get(crate::vars::SYSIMG_LEARN).is_some();
    let learn = learning_on(spec.learn, req.learn, req.vars)
        && (asked || !crate::learn::trace_may_crash(&julia.version));
    let learn_by_default = learn && !asked;
    let mut launch = Launch {
        image: None,
        project_file: Some(project_file.to_path_buf()),
        learn,
        learn_by_default,
        notes,
        on_stale,
    };
    match verdict {
        Verdict::Fresh { id, image } => {
            if on_stale == OnStale::Background && learning_on(spec.learn, false, req.vars) {
                rebuild_if_learned_enough(store, project_file, julia, effects);
            }
            launch.image = Some((image, Some(id)));
        }
        stale => match on_stale {
            OnStale::Background => {
                let started = start_background_build(store, project_file, julia, effects);
                let usable = usable_image(&stale);
                let meanwhile = match usable {
                    Some(_) => "starting it meanwhile",
                    None => DEFAULT_IMAGE,
                };
                launch
                    .notes
                    .push(format!("warning: {}; {started}; {meanwhile}", why(&stale)));
                launch.image = usable;
            }
            OnStale::Ignore => match stale {
                Verdict::Stale { id, image, .. } if image.is_file() => {
                    launch.image = Some((image, Some(id)))
                }
                _ => {}
            },
            OnStale::Warn => {
                let usable = usable_image(&stale);
                let starting = match usable {
                    Some(_) => STARTING_IT,
                    None => DEFAULT_IMAGE,
                };
                launch
                    .notes
                    .push(format!("warning: {}; {starting}", why(&stale)));
                launch.image = usable;
            }
            OnStale::Fail => {
                return Err(Refused {
                    reason: why(&stale),
                }
                .into())
            }
            OnStale::Build => {
                // Said before the build, which takes minutes.
                effects.note(&format!("{}; building it", why(&stale)));
                if let Err(e) = effects.build_now(project_file) {
                    launch
                        .notes
                        .push(format!("warning: the build failed: {e}; {DEFAULT_IMAGE}"));
                    return Ok(launch);
                }
                match decide_with(project_file, spec, store, &host()) {
                    Verdict::Fresh { id, image } => launch.image = Some((image, Some(id))),
                    still => launch.notes.push(format!(
                        "warning: after building: {}; {DEFAULT_IMAGE}",
                        why(&still)
                    )),
                }
            }
        },
    }
    Ok(launch)
}

/// What `run` says when it starts julia's default sysimage while learning by default
/// ([`Launch::learn_by_default`]), once per environment (at its first traced session; a start
/// on the image says nothing): the session is traced, what comes of it, and how to turn it off.
pub const LEARNING_BY_DEFAULT: &str = "learning from this session (its compile trace goes to \
     the store, and the next `sysimg build` bakes what it compiled); `learn = false` in \
     Sysimage.toml or SYSIMG_LEARN=0 turns this off";

/// Tells, once, that the last background build failed, and where its log is.
fn background_failure_note(store: &Store, project_file: &Path) -> Option<String> {
    let file = Traces::of(store, project_file).background_file();
    let mut outcome = BackgroundOutcome::read(&file)?;
    if outcome.status != BackgroundStatus::Failed || outcome.reported {
        return None;
    }
    outcome.reported = true;
    let _ = outcome.write(&file);
    Some(format!(
        "warning: the background build of image {} failed; its log: {}",
        outcome.id.as_deref().unwrap_or("?"),
        outcome.log.as_deref().unwrap_or("?")
    ))
}

/// When sessions have been traced since the last look, starts a background build (detached,
/// `nice`d), which merges the traces (bounded: [`crate::learn::merge`]) and rebuilds the image
/// only when they teach it `learn_rebuild_after` statements it lacks (else it finds the image
/// fresh and stops). The start itself reads no trace: it lists the sessions' names and times.
/// Quiet: most of these find too little to learn; the next start uses a rebuilt image.
fn rebuild_if_learned_enough(
    store: &Store,
    project_file: &Path,
    julia: &JuliaInfo,
    effects: &mut dyn LaunchEffects,
) {
    let traces = Traces::of(store, project_file);
    let stamp = traces.checked_stamp();
    if traces.sessions_since(&stamp).is_empty() {
        return;
    }
    let _ = std::fs::create_dir_all(&traces.dir);
    let _ = std::fs::write(&stamp, b"");
    let _ = start_background_build(store, project_file, julia, effects);
}

/// Starts a background build of the environment unless one is running or the last one
/// failed on this same Manifest. Says what it did.
fn start_background_build(
    store: &Store,
    project_file: &Path,
    julia: &JuliaInfo,
    effects: &mut dyn LaunchEffects,
) -> String {
    let traces = Traces::of(store, project_file);
    match store.try_lock_background(&traces.env_key) {
        Ok(Some(_free)) => {} // released at once: the build takes it
        Ok(None) => return "a background build is already running".into(),
        Err(e) => return format!("no background build ({e})"),
    }
    if let Some(o) = BackgroundOutcome::read(&traces.background_file()) {
        if o.status == BackgroundStatus::Failed
            && o.manifest_sha256 == manifest_sha256(project_file)
        {
            return format!(
                "the last background build failed and the Manifest has not changed since, so it \
                 is not retried (log: {}; `sysimg build` retries)",
                o.log.as_deref().unwrap_or("?")
            );
        }
    }
    let log = &traces.background_log;
    match effects.start_background_build(project_file, &julia.path, log) {
        Ok(()) => format!("rebuilding it in the background (log: {})", log.display()),
        Err(e) => format!("could not start a background build: {e}"),
    }
}

/// The verdict on an image given with `--image`: judged like the registered one, but never
/// registered.
fn verdict_for(
    arg: &str,
    project_file: &Path,
    store: &Store,
    host: &Host,
) -> Result<Verdict, LaunchError> {
    let image =
        Image::locate(arg, Some(store)).map_err(|e| LaunchError::BadImage(e.to_string()))?;
    let id = image
        .record
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    match judge(image, id, project_file, host) {
        // An environment that cannot be read is bad input here, as for every other command.
        (Verdict::Stale { reasons, .. }, None) => Err(LaunchError::BadImage(
            reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        )),
        (verdict, _) => Ok(verdict),
    }
}
