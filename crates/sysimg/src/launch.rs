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
use std::time::UNIX_EPOCH;

use julia_env::check::{Finding, Severity};
use julia_env::environment::Environment;
use julia_env::version::VersionNumber;
use serde::{Deserialize, Serialize};

use crate::check::{check_image, Host, Image, Thoroughness};
use crate::cpu::CpuFacts;
use crate::model::record::{ImageRecord, RECORD_FILE};
use crate::store::{EnvUse, Store};

/// The size and modification time of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// The path.
    pub path: String,
    /// Its size in bytes.
    pub len: u64,
    /// Its modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
}

impl FileStamp {
    /// The stamp of a file as it is now (`None`: missing or unreadable).
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            path: path.display().to_string(),
            len: meta.len(),
            mtime_ns: meta
                .modified()
                .ok()?
                .duration_since(UNIX_EPOCH)
                .ok()?
                .as_nanos(),
        })
    }

    fn unchanged(&self) -> bool {
        FileStamp::of(Path::new(&self.path)).as_ref() == Some(self)
    }
}

/// What a fresh verdict depended on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The project, manifest, julia binary and image record.
    pub files: Vec<FileStamp>,
    /// The host CPU's name and features.
    pub cpu: String,
    /// The host CPU's raw identification ([`crate::cpu::host_fingerprint`]): while it is the
    /// same, so is `cpu`, and the launcher need not decode the CPU at all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_raw: String,
}

fn cpu_key(cpu: &CpuFacts) -> String {
    let features: Vec<&str> = cpu.features.iter().map(String::as_str).collect();
    format!("{}:{}", cpu.name, features.join(","))
}

/// Whether the environment's image can be used.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// The image fits this environment and host.
    Fresh {
        /// The image id.
        id: String,
        /// The image file.
        image: PathBuf,
    },
    /// The image exists but does not fit (or is being rebuilt); the errors say why.
    Stale {
        /// The image id.
        id: String,
        /// The image file.
        image: PathBuf,
        /// The error findings.
        reasons: Vec<Finding>,
    },
    /// No image is registered for the environment, or it is gone from the store.
    Missing {
        /// Why, in words.
        reason: String,
    },
}

/// The image the store holds for an environment, as `check` and `run` both find it: the one
/// registered for it, else the one its current plan would build (when the julia is known;
/// found that way, it is registered, so the next start takes the fast path).
pub fn environment_image(
    env: &Environment,
    spec: &crate::model::spec::ImageSpec,
    store: &Store,
    julia: Option<&crate::julia::JuliaInfo>,
) -> Option<(String, Image)> {
    if let Some(entry) = store.registered(&env.project_file) {
        if let Ok((file, record)) = store.find(&entry.image) {
            return Some((entry.image, Image::from_record(&file, record)));
        }
    }
    let plan = crate::model::plan::make_plan(env, spec).ok()?;
    let req = crate::build::BuildRequest {
        env,
        spec,
        plan: &plan,
        julia: julia?,
        store,
        force: false,
    };
    let id = crate::build::planned_record(&req).ok()?.id;
    let (file, record) = store.find(&id).ok()?;
    let _ = store.register(&env.project_file, &id);
    Some((id, Image::from_record(&file, record)))
}

/// The julia version that picks the environment's manifest (`Manifest-v1.11.toml`, ...).
pub fn julia_version(host: &Host) -> Option<VersionNumber> {
    host.julia
        .as_ref()
        .and_then(|j| VersionNumber::parse(&j.version).ok())
}

/// [`decide`]'s shortcut, taken before anything else is known about the host: the registered
/// image is fresh when the stamp of its last fresh verdict still holds (no file it covers
/// changed, the CPU's raw fingerprint is the same, `julia` is the one stamped). `None`: call
/// [`decide`].
pub fn decide_by_stamp(project_file: &Path, store: &Store, julia: &Path) -> Option<Verdict> {
    let entry = store.registered(project_file)?;
    let raw = crate::cpu::host_fingerprint();
    fresh_by_stamp(store, entry, Some(julia), |stamp| stamp.cpu_raw == raw)
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
    if !same_cpu(stamp)
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

/// Decides whether the image the store holds for `project_file` fits it and `host`.
pub fn decide(project_file: &Path, store: &Store, host: &Host) -> Verdict {
    let Some(entry) = store.registered(project_file) else {
        return decide_unregistered(project_file, store, host);
    };
    let julia = host.julia.as_ref().map(|j| j.path.as_path());
    // `host.cpu` decides here; the raw fingerprint stands for it only when it is this
    // machine's CPU (not one a caller describes), so only then is it stamped.
    let raw = match host.cpu == crate::cpu::host_cpu() {
        true => crate::cpu::host_fingerprint(),
        false => String::new(),
    };
    let same_cpu = |s: &Stamp| s.cpu == cpu_key(&host.cpu);
    if let Some(fresh) = fresh_by_stamp(store, entry.clone(), julia, same_cpu) {
        // A stamp from before raw fingerprints: add this one, so that the next start need
        // not decode the CPU.
        if let Some(mut stamp) = entry
            .verified
            .filter(|s| !raw.is_empty() && s.cpu_raw != raw)
        {
            stamp.cpu_raw = raw;
            store.mark_verified(project_file, &entry.image, stamp);
        }
        return fresh;
    }
    let dir = store.image_dir(&entry.image);
    let record_file = dir.join(RECORD_FILE);
    let record = match ImageRecord::read(&record_file) {
        Ok(r) => r,
        Err(_) => {
            return Verdict::Missing {
                reason: format!(
                    "image {} registered for this environment is gone from the store",
                    entry.image
                ),
            }
        }
    };
    // A path-tracked source can change without any file the stamp covers changing: such an
    // image is judged at every start.
    let volatile = record.has_path_sources();
    let image = Image::from_record(&record_file, record);
    let (verdict, env) = judge(image, entry.image.clone(), project_file, host);
    let (Verdict::Fresh { .. }, Some(env), false) = (&verdict, env, volatile) else {
        return verdict;
    };
    let mut files = vec![&env.project_file, &env.manifest_file, &record_file];
    if let Some(j) = &host.julia {
        files.push(&j.path);
    }
    let stamps: Option<Vec<FileStamp>> = files.into_iter().map(|f| FileStamp::of(f)).collect();
    if let Some(files) = stamps {
        let stamp = Stamp {
            files,
            cpu: cpu_key(&host.cpu),
            cpu_raw: raw,
        };
        store.mark_verified(project_file, &entry.image, stamp);
    }
    verdict
}

/// No image is registered: the one the environment's plan would build, if the store has it
/// (then registered, and judged like any other), else missing.
fn decide_unregistered(project_file: &Path, store: &Store, host: &Host) -> Verdict {
    let missing = || Verdict::Missing {
        reason: "no image is registered for this environment (`sysimg build` makes one)".into(),
    };
    let Ok(env) = Environment::load(project_file, julia_version(host).as_ref()) else {
        return missing();
    };
    let Ok(spec) = crate::model::spec::ImageSpec::for_project_dir(env.dir()) else {
        return missing();
    };
    match environment_image(&env, &spec, store, host.julia.as_ref()) {
        Some((id, image)) => judge_loaded(image, id, &env, host),
        None => missing(),
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
