//! Checking an image against an environment and a host: will Julia start with it here, and
//! will it load what the environment asks for?
//!
//! Every finding has a severity and a stable code (the README lists them). The host's facts
//! (its CPU, the julia that would run the image, its depots) come in as a [`Host`], so tests
//! can check any image against any machine.

use std::path::{Path, PathBuf};

use julia_env::check::{check_environment, CheckOptions, Finding, Report, Severity};
use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::ids::TreeHash;
use julia_env::platform::Platform;
use julia_env::{Error, Location, Result};

use crate::cpu::{
    expand_sysimage_keyword, first_release_knowing, sysimage_keyword, CpuFacts, CpuTarget, Isa,
    JuliaCpus, JuliaRelease, TargetFit,
};
use crate::julia::JuliaInfo;
use crate::model::plan::Role;
use crate::model::record::{file_sha256, ImageRecord, PackageIdentity, RecordPackage, RECORD_FILE};
use crate::model::spec::Policy;
use crate::store::Store;

/// An image to check: its file, and its record when it has one.
#[derive(Clone, Debug)]
pub struct Image {
    /// The image file.
    pub file: PathBuf,
    /// Its record (`None`: an image built by hand, without `image.toml`).
    pub record: Option<ImageRecord>,
}

impl Image {
    /// An image from its record file.
    pub fn from_record(record_file: &Path, record: ImageRecord) -> Image {
        let dir = record_file.parent().unwrap_or(Path::new("."));
        Image {
            file: dir.join(&record.image.file),
            record: Some(record),
        }
    }

    /// Finds an image from what a user gives: an id (or unique prefix) in the store, an
    /// `image.toml`, a directory holding one, or an image file (with or without a record
    /// beside it).
    pub fn locate(arg: &str, store: Option<&Store>) -> Result<Image> {
        let path = Path::new(arg);
        let is_image_file = path.is_file() && path.extension().is_none_or(|e| e != "toml");
        if is_image_file {
            let record_file = path.parent().unwrap_or(Path::new(".")).join(RECORD_FILE);
            let record = match record_file.is_file() {
                true => Some(ImageRecord::read(&record_file)?),
                false => None,
            };
            // A record beside a different file describes that one, not this.
            let record = record.filter(|r| path.file_name().is_some_and(|n| *n == *r.image.file));
            return Ok(Image {
                file: path.to_path_buf(),
                record,
            });
        }
        let (record_file, record) = crate::store::find_record(arg, store)?;
        Ok(Image::from_record(&record_file, record))
    }
}

/// The machine an image would run on.
#[derive(Clone, Debug)]
pub struct Host {
    /// The julia that would run the image, if one was found.
    pub julia: Option<JuliaInfo>,
    /// The host CPU, as sysimg detects it (or `SYSIMG_HOST_CPU` says).
    pub cpu: CpuFacts,
    /// The host CPU as the julia that would run the image reports it (LLVM's feature list,
    /// Julia 1.10+), to compare `native` images with; `None` without one, or when
    /// `SYSIMG_HOST_CPU` describes another machine.
    pub julia_cpu: Option<CpuFacts>,
    /// The host CPU's raw identification ([`crate::vars::Vars::host_fingerprint`]) when `cpu`
    /// is this machine's (detected or `SYSIMG_HOST_CPU`'s), for the launcher's stamp; empty
    /// when the caller describes another CPU (nothing is stamped then).
    pub cpu_raw: String,
    /// The host's architecture (from the julia when known, else sysimg's own).
    pub arch: String,
    /// The depots in which package sources and artifacts are looked for.
    pub depots: Depots,
    /// The environment variables this host's facts were read with (what planning an image
    /// for it reads: `SYSIMG_HOST_CPU`).
    pub vars: crate::vars::Vars,
}

/// What to check beyond the cheap facts.
#[derive(Clone, Copy, Debug)]
pub struct Thoroughness {
    /// Hash the image file and compare it with the record.
    pub verify_hash: bool,
    /// Look for package sources and artifacts in the depots.
    pub depots: bool,
    /// Check the environment's own consistency (its Manifest against its Project).
    pub environment: bool,
}

impl Thoroughness {
    /// Everything (`sysimg check`).
    pub const FULL: Thoroughness = Thoroughness {
        verify_hash: true,
        depots: true,
        environment: true,
    };
    /// Only what decides whether Julia starts and loads the right packages (`sysimg run`).
    pub const LAUNCH: Thoroughness = Thoroughness {
        verify_hash: false,
        depots: false,
        environment: false,
    };
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, code: &'static str, message: String) {
        self.0.push(Finding::new(severity, code, message));
    }

    fn add_for(&mut self, severity: Severity, code: &'static str, message: String, package: &str) {
        self.0
            .push(Finding::new(severity, code, message).for_package(package));
    }
}

/// Checks an image against an environment (if given) and a host.
pub fn check_image(
    image: &Image,
    env: Option<&Environment>,
    host: &Host,
    how: Thoroughness,
) -> Report {
    let mut f = Findings(Vec::new());
    check_file(image, how, &mut f);
    match &image.record {
        None => f.add(
            Severity::Info,
            "no-record",
            format!(
                "{} has no image.toml: its Julia version and commit, platform, CPU target and \
                 packages are unknown, so only its presence was checked",
                image.file.display()
            ),
        ),
        Some(record) => {
            check_julia(record, host, &mut f);
            check_platform(record, host, &mut f);
            check_cpu(record, host, &mut f);
            if let Some(env) = env {
                check_packages(record, env, &mut f);
                check_app_manifest(record, env, &mut f);
            }
            if how.depots {
                check_depots(record, host, &mut f);
            }
        }
    }
    if let (Some(env), true) = (env, how.environment) {
        const ENV_CODES: &[&str] = &[
            "missing-manifest",
            "stale-project-hash",
            "dep-missing-from-manifest",
            "version-outside-compat",
        ];
        let report = check_environment(env, &CheckOptions::default());
        f.0.extend(
            report
                .findings
                .into_iter()
                .filter(|x| ENV_CODES.contains(&x.code)),
        );
    }
    let mut findings = f.0;
    findings.sort_by_key(|x| x.severity);
    Report { findings }
}

fn check_file(image: &Image, how: Thoroughness, f: &mut Findings) {
    if !image.file.is_file() {
        f.add(
            Severity::Error,
            "image-missing",
            format!("the image file {} is missing", image.file.display()),
        );
        return;
    }
    let Some(record) = &image.record else { return };
    if !how.verify_hash || record.image.sha256.is_empty() {
        return;
    }
    match file_sha256(&image.file) {
        Ok(sum) if sum == record.image.sha256 => {}
        Ok(sum) => f.add(
            Severity::Error,
            "image-hash-mismatch",
            format!(
                "{} has SHA-256 {sum}, its record says {}: the file was changed or damaged",
                image.file.display(),
                record.image.sha256
            ),
        ),
        Err(e) => f.add(Severity::Error, "image-missing", e.to_string()),
    }
}

fn check_julia(record: &ImageRecord, host: &Host, f: &mut Findings) {
    let Some(julia) = &host.julia else {
        f.add(
            Severity::Info,
            "julia-unknown",
            format!(
                "no julia found: the image's Julia {} was not compared with the one that would \
                 run it",
                record.julia.version
            ),
        );
        return;
    };
    if julia.version.to_string() != record.julia.version {
        f.add(
            Severity::Error,
            "julia-version",
            format!(
                "the image was built by Julia {}, but {} is Julia {}: a sysimage only loads in \
                 the Julia build that made it",
                record.julia.version,
                julia.path.display(),
                julia.version
            ),
        );
    } else if !julia.commit.is_empty()
        && !record.julia.commit.is_empty()
        && julia.commit != record.julia.commit
    {
        f.add(
            Severity::Error,
            "julia-commit",
            format!(
                "the image was built by Julia {} commit {}, but {} is commit {}: a sysimage \
                 only loads in the Julia build that made it",
                record.julia.version,
                short(&record.julia.commit),
                julia.path.display(),
                short(&julia.commit)
            ),
        );
    }
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

fn check_platform(record: &ImageRecord, host: &Host, f: &mut Findings) {
    let Ok(image) = Platform::parse_triplet(&record.platform) else {
        f.add(
            Severity::Warning,
            "platform-unknown",
            format!(
                "the record's platform `{}` is not a triplet",
                record.platform
            ),
        );
        return;
    };
    let host_platform = match &host.julia {
        Some(j) => Platform::parse_triplet(&j.triplet).ok(),
        None => None,
    };
    let mut differ = Vec::new();
    for tag in ["os", "arch", "libc"] {
        let theirs = image.get(tag).unwrap_or("");
        let ours = match (&host_platform, tag) {
            (Some(p), _) => p.get(tag).unwrap_or("").to_string(),
            (None, "os") => rust_os().to_string(),
            (None, "arch") => host.arch.clone(),
            (None, _) => continue,
        };
        if theirs != ours {
            differ.push(format!("{tag} {theirs} (host: {ours})"));
        }
    }
    if !differ.is_empty() {
        f.add(
            Severity::Error,
            "platform",
            format!(
                "the image is for {}, which this host cannot load: {}",
                record.platform,
                differ.join(", ")
            ),
        );
    }
}

fn rust_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "macos",
        other => other,
    }
}

fn check_cpu(record: &ImageRecord, host: &Host, f: &mut Findings) {
    // The image's own Julia decides which CPU names and features count.
    let release = JuliaRelease::parse(&record.julia.version).unwrap_or(JuliaRelease::NEWEST);
    // Julia 1.13's `sysimage` keyword stands for the target stored in the sysimage the build
    // ran with: sysimg expands it when it builds; a record that still holds it is read with
    // the host julia's default sysimage when that julia is the image's own.
    let mut cpu_target = record.cpu_target.clone();
    if sysimage_keyword(&cpu_target, release).is_some() {
        let same_julia = host.julia.as_ref().filter(|j| {
            j.version.to_string() == record.julia.version
                && (j.commit.is_empty()
                    || record.julia.commit.is_empty()
                    || j.commit == record.julia.commit)
                && !j.sysimage_target.is_empty()
        });
        match same_julia {
            Some(j) => {
                cpu_target = expand_sysimage_keyword(&cpu_target, release, &j.sysimage_target)
            }
            None => {
                f.add(
                    Severity::Warning,
                    "cpu-unknown",
                    format!(
                        "`{}` starts with Julia 1.13's `sysimage` keyword, the CPU target of the \
                         sysimage Julia {} built the image with, which sysimg could not read \
                         (no such julia here): its CPU targets were not checked",
                        record.cpu_target, record.julia.version
                    ),
                );
                return;
            }
        }
    }
    let target = match CpuTarget::parse(&cpu_target) {
        Ok(t) => t,
        Err(e) => {
            f.add(Severity::Error, "cpu-target-invalid", e.to_string());
            return;
        }
    };
    let Some(isa) = Isa::from_arch(&host.arch) else {
        f.add(
            Severity::Info,
            "cpu-unchecked",
            format!("sysimg knows no CPU targets for {}", host.arch),
        );
        return;
    };
    let cpus = JuliaCpus::new(isa, release);
    // How the target string is shown: with its expansion when it used the keyword.
    let shown = if cpu_target == record.cpu_target {
        cpu_target.clone()
    } else {
        format!("{}` = `{cpu_target}", record.cpu_target)
    };
    let unknown = |name: &str| unknown_cpu_reason(isa, name, &record.julia.version, release);
    let fits = match &record.build_cpu {
        // `native` is compared like with like (see `native_comparison`); named targets with
        // sysimg's tables and detection.
        Some(build) if target.uses_native() => {
            let (build, native_host) =
                crate::cpu::native_comparison(isa, build, &host.cpu, host.julia_cpu.as_ref());
            let named = cpus.fit(&target, &host.cpu, Some(&build));
            let native = cpus.fit(&target, &native_host, Some(&build));
            target
                .targets
                .iter()
                .zip(named.into_iter().zip(native))
                .map(|(t, (n, v))| if t.name == "native" { v } else { n })
                .collect()
        }
        _ => cpus.fit(&target, &host.cpu, record.build_cpu.as_ref()),
    };
    // An x86-64 level (`x86-64-v4` in official 1.13 binaries' target): Julia does not know
    // the name, LLVM compiles its code for the level. Its fit is the level's features.
    let level_fit = |t: &crate::cpu::Target| -> Option<TargetFit> {
        let level =
            crate::cpu::llvm_level_features(isa, &t.name).filter(|_| !cpus.knows(&t.name))?;
        let mut need: std::collections::BTreeSet<String> =
            level.iter().map(|f| f.to_string()).collect();
        need.extend(cpus.load_features(t, None).unwrap_or_default());
        need.retain(|f| !t.disable.contains(f));
        let lacking: Vec<String> = need
            .into_iter()
            .filter(|f| !host.cpu.features.contains(f))
            .collect();
        Some(match lacking.is_empty() {
            true => TargetFit::Runs,
            false => TargetFit::Lacks(lacking),
        })
    };
    let fits: Vec<(String, TargetFit)> = fits
        .into_iter()
        .zip(&target.targets)
        .map(|((name, fit), t)| (name, level_fit(t).unwrap_or(fit)))
        .collect();
    // Julia checks none of a level target's features, so it may pick one this CPU cannot run.
    let picked = cpus.pick(&target, &host.cpu, record.build_cpu.as_ref());
    if let Some((i, (name, TargetFit::Lacks(lacking)))) = picked.map(|i| (i, &fits[i])) {
        if level_fit(&target.targets[i]).is_some() {
            f.add(
                Severity::Error,
                "cpu-incompatible",
                format!(
                    "on this CPU ({}) Julia {} would load target {i} (`{name}`) of `{shown}`: it \
                     does not know the name, so it checks none of its features, and picks it \
                     over the others; LLVM compiled its code for {name}, which needs {}: Julia \
                     would stop on an illegal instruction",
                    host.cpu.name,
                    record.julia.version,
                    lacking.join(", ")
                ),
            );
            return;
        }
    }
    let runnable: Vec<String> = fits
        .iter()
        .enumerate()
        .filter(|(_, (_, fit))| *fit == TargetFit::Runs)
        .map(|(i, (name, _))| format!("{i} (`{name}`)"))
        .collect();
    if !runnable.is_empty() {
        f.add(
            Severity::Info,
            "cpu-target",
            format!(
                "the host CPU ({}) can run target {} of `{}`; Julia picks the best of them",
                host.cpu.name,
                runnable.join(", "),
                shown
            ),
        );
        // The names Julia does not know load anywhere, unchecked: say so.
        let names: Vec<String> = cpus
            .unknown_names(&target)
            .into_iter()
            .filter(|n| crate::cpu::llvm_level_features(isa, n).is_none())
            .collect();
        if !names.is_empty() {
            f.add(
                Severity::Warning,
                "cpu-unknown",
                format!(
                    "`{}`: {}",
                    shown,
                    names
                        .iter()
                        .map(|n| unknown(n))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
        }
        return;
    }
    let why: Vec<String> = fits
        .iter()
        .map(|(name, fit)| match fit {
            TargetFit::Lacks(l) => format!("`{name}` needs {}", l.join(", ")),
            TargetFit::Unknown if name == "native" => {
                "`native`: the build machine's CPU was not recorded".to_string()
            }
            TargetFit::Unknown => unknown(name),
            TargetFit::Runs => String::new(), // none: a runnable target returned above
        })
        .collect();
    let any_unknown = fits.iter().any(|(_, fit)| *fit == TargetFit::Unknown);
    let native = target.uses_native() && record.build_cpu.is_some();
    let (severity, code) = if any_unknown {
        (Severity::Warning, "cpu-unknown")
    } else if native {
        (Severity::Error, "cpu-native")
    } else {
        (Severity::Error, "cpu-incompatible")
    };
    let built_on = match (&record.build_cpu, native) {
        (Some(b), true) => format!(" (built for `native` on a {})", b.name),
        _ => String::new(),
    };
    f.add(
        severity,
        code,
        format!(
            "the host CPU ({}) may not run any target of `{}`{built_on}: {}{}",
            host.cpu.name,
            shown,
            why.join("; "),
            if any_unknown {
                ""
            } else {
                ". Julia would stop with \"Unable to find compatible target in system image\""
            }
        ),
    );
}

/// Why sysimg cannot check a target named `name`: the Julia of the image does not know it
/// (Julia then records no CPU features for the target, `JL_TARGET_UNKNOWN_NAME`, so nothing
/// checks that the host can run its code), perhaps a later one does.
fn unknown_cpu_reason(isa: Isa, name: &str, version: &str, release: JuliaRelease) -> String {
    let later = first_release_knowing(isa, name)
        .filter(|r| *r > release)
        .map(|r| format!(" (Julia {r} and later do)"))
        .unwrap_or_default();
    format!(
        "`{name}` is not a CPU Julia {version} knows{later}: Julia records no CPU features for \
         that target, so nothing checks that this CPU can run its code"
    )
}

/// Revise's UUID.
pub const REVISE_UUID: &str = "295af30f-e4ad-537b-8983-00126c2a3abe";

/// A baked path-tracked package whose source changed since the build, or that the Manifest
/// no longer tracks by path; with Revise in the Manifest, how to make Revise follow it.
fn check_path_sources(record: &ImageRecord, env: &Environment, f: &mut Findings) {
    let Some(manifest) = &env.manifest else {
        return;
    };
    let has_revise = REVISE_UUID
        .parse()
        .is_ok_and(|u: julia_env::ids::Uuid| manifest.get(&u).is_some());
    for p in record
        .packages
        .iter()
        .filter(|p| p.source_tree_hash.is_some())
    {
        let Some(entry) = manifest.get(&p.uuid) else {
            continue;
        };
        let now = match &entry.path {
            None => Err("the Manifest no longer tracks it by path".to_string()),
            Some(path) => match crate::model::path_sources::path_source_hash(env, path) {
                (_, Ok(h)) if Some(h.to_string()) == p.source_tree_hash => Ok(()),
                (dir, Ok(_)) => Err(format!(
                    "its source at {} changed since the image was built",
                    dir.display()
                )),
                (_, Err(e)) => Err(format!("its source cannot be read: {e}")),
            },
        };
        if let Err(why) = now {
            // A session on the image can still follow the source with Revise 3.15+, which
            // tracks packages baked into the running image (Revise src/recipes.jl).
            let revise = if has_revise && entry.path.is_some() {
                format!(
                    "; Revise is in this environment: `using Revise; Revise.track({})` makes a \
                     session follow the source until then",
                    p.name
                )
            } else {
                String::new()
            };
            f.add_for(
                Severity::Error,
                "path-source-changed",
                format!(
                    "`{}` is baked from its path-tracked source, and {why}; the image holds the \
                     old code (`sysimg build` rebuilds it){revise}",
                    p.name
                ),
                &p.name,
            );
        }
    }
}

fn check_packages(record: &ImageRecord, env: &Environment, f: &mut Findings) {
    check_path_sources(record, env, f);
    let Some(manifest) = &env.manifest else {
        return;
    };
    for p in &record.packages {
        let Some(entry) = manifest.get(&p.uuid) else {
            continue;
        };
        let theirs = entry.version.as_ref().map(|v| v.to_string());
        let tree = entry.tree_hash.as_ref().map(|t| t.to_string());
        let version_differs = theirs.is_some() && theirs != p.version;
        let tree_differs = tree.is_some() && p.tree_hash.is_some() && tree != p.tree_hash;
        let describe = |v: &Option<String>, t: &Option<String>| match (v, t) {
            (Some(v), Some(t)) if tree_differs && !version_differs => {
                format!("{v} (tree {})", &t[..t.len().min(10)])
            }
            (Some(v), _) => v.clone(),
            (None, Some(t)) => format!("tree {}", &t[..t.len().min(10)]),
            (None, None) => "unversioned".into(),
        };
        if version_differs || tree_differs {
            if p.sideload_uuid.is_some() {
                f.add_for(
                    Severity::Info,
                    "sideloaded-differs",
                    format!(
                        "`{}`: the image holds {} side-loaded under its own UUID; the \
                         Manifest's {} loads as usual",
                        p.name,
                        describe(&p.version, &p.tree_hash),
                        describe(&theirs, &tree)
                    ),
                    &p.name,
                );
                continue;
            }
            let code = match p.role {
                Role::Internal => "internal-shadowed",
                _ => "package-shadowed",
            };
            f.add_for(
                Severity::Error,
                code,
                format!(
                    "`{}`: the image holds {}, the Manifest asks for {}; the image's {} wins \
                     (Julia loads baked packages from the image whatever the Manifest says){}",
                    p.name,
                    describe(&p.version, &p.tree_hash),
                    describe(&theirs, &tree),
                    describe(&p.version, &p.tree_hash),
                    // Advice for the policy in force: only a dev image side-loads.
                    match (record.policy, p.role) {
                        (Policy::Dev, Role::Internal) => {
                            "; rebuild with `sideload = true` to let the Manifest's version load"
                        }
                        (Policy::Dev, _) => "",
                        _ => "; `sysimg build` rebuilds the image from this Manifest",
                    }
                ),
                &p.name,
            );
        } else if record.policy == Policy::Dev
            && matches!(p.role, Role::Public | Role::Shared)
            && !entry.pinned
            && p.tree_hash.is_some()
        {
            f.add_for(
                Severity::Warning,
                "public-not-pinned",
                format!(
                    "`{}` ({}) is not pinned at the image's version {}: a Pkg update would move \
                     the Manifest away from the image (`sysimg pin` pins it)",
                    p.name,
                    p.role,
                    p.version.as_deref().unwrap_or("?")
                ),
                &p.name,
            );
        }
    }
    check_two_copies(record, env, manifest, f);
}

/// A side-loaded package that the environment would also load under its real UUID: the
/// project lists it directly, or a package the image does not hold depends on it. Then two
/// copies of it are loaded (the image's, which its packages use, and the depot's, which the
/// user's code gets), and values of one are not values of the other. A warning, not an
/// error: julia runs, and the guard says it again at the load.
fn check_two_copies(
    record: &ImageRecord,
    env: &Environment,
    manifest: &julia_env::manifest::Manifest,
    f: &mut Findings,
) {
    let graph = julia_env::graph::PackageGraph::new(manifest);
    let held: std::collections::BTreeSet<_> = record.packages.iter().map(|p| p.uuid).collect();
    for p in record.packages.iter().filter(|p| p.sideload_uuid.is_some()) {
        let direct = env.project.deps.iter().find(|(_, u)| **u == p.uuid);
        let outside = graph
            .dependents_of(&p.uuid)
            .into_iter()
            .filter(|d| !held.contains(d))
            .filter_map(|d| graph.entry(&d).map(|e| e.name.clone()))
            .min();
        let who = match (direct, outside) {
            (Some(_), _) => format!("{} lists it directly", env.project_file.display()),
            (None, Some(x)) => format!("`{x}`, which the image does not hold, depends on it"),
            (None, None) => continue,
        };
        let theirs = manifest
            .get(&p.uuid)
            .and_then(|e| e.version.as_ref())
            .map_or_else(|| "the Manifest's copy".to_string(), |v| v.to_string());
        f.add_for(
            Severity::Warning,
            "sideloaded-two-copies",
            format!(
                "`{}` is side-loaded in the image ({} under a derived UUID) and {who}: loading \
                 it loads {theirs} under its real UUID beside the image's copy. Two copies are \
                 then loaded, and values of one are not values of the other (what the image's \
                 packages make with `{}` is not what your code's `{}` accepts). `sysimg build` \
                 makes an image that bakes it under its real UUID (shared)",
                p.name,
                p.version.as_deref().unwrap_or("unversioned"),
                p.name,
                p.name
            ),
            &p.name,
        );
    }
}

/// An app image is bound to the packages it was built from: exactly those the environment's
/// app plan bakes (name, UUID, version, tree hash, role), the same inputs its id hashes. A
/// Manifest that only changed otherwise (`sysimg pin` marking packages pinned, a reformat)
/// still fits, and `sysimg build` reuses the image for it.
fn check_app_manifest(record: &ImageRecord, env: &Environment, f: &mut Findings) {
    if record.policy != Policy::App {
        return;
    }
    let spec = crate::model::spec::ImageSpec::for_project_dir(env.dir()).map(|s| {
        crate::model::spec::ImageSpec {
            policy: Policy::App,
            ..s
        }
    });
    let planned = spec
        .ok()
        .and_then(|spec| crate::model::plan::make_plan(env, &spec).ok())
        .map(|plan| RecordPackage::baked_by(&plan));
    fn identities(packages: &[RecordPackage]) -> Vec<PackageIdentity<'_>> {
        let mut ids: Vec<_> = packages.iter().map(RecordPackage::identity).collect();
        ids.sort();
        ids
    }
    if planned.as_deref().map(identities) != Some(identities(&record.packages)) {
        f.add(
            Severity::Error,
            "app-manifest-changed",
            format!(
                "{} no longer holds exactly the packages this app image was built from \
                 (`sysimg build` rebuilds it)",
                env.manifest_file.display()
            ),
        );
    }
}

fn check_depots(record: &ImageRecord, host: &Host, f: &mut Findings) {
    for p in &record.packages {
        let Some(hash) = p.tree_hash.as_deref().and_then(TreeHash::parse) else {
            continue;
        };
        if host.depots.find_package(&p.name, &p.uuid, &hash).is_none() {
            f.add_for(
                Severity::Warning,
                "source-missing",
                format!(
                    "the sources of `{}` {} are in no depot: Revise, `pathof` and extensions \
                     need them (`Pkg.instantiate()` installs them)",
                    p.name,
                    p.version.as_deref().unwrap_or("")
                ),
                &p.name,
            );
        }
    }
    for a in &record.artifacts {
        let Some(hash) = TreeHash::parse(&a.tree_hash) else {
            continue;
        };
        if host.depots.find_artifact(&hash).is_none() {
            let (severity, when) = match a.lazy {
                true => (Severity::Warning, "it is lazy: it downloads at first use"),
                false => (Severity::Error, "the image's code will fail to find it"),
            };
            f.add_for(
                severity,
                "artifact-missing",
                format!(
                    "artifact `{}` ({}) of `{}` is in no depot; {when}",
                    a.name, a.tree_hash, a.package
                ),
                &a.package,
            );
        }
    }
}

/// The host this process runs on: the native CPU (or `SYSIMG_HOST_CPU`'s), the given julia's
/// facts, and its depots (the julia's `DEPOT_PATH`, else `JULIA_DEPOT_PATH` rules).
pub fn this_host(julia: Option<JuliaInfo>, vars: &crate::vars::Vars) -> Host {
    let depots = match &julia {
        Some(j) if !j.depot_path.is_empty() => {
            Depots::new(j.depot_path.iter().map(PathBuf::from).collect())
        }
        _ => vars.depots(None),
    };
    let overridden = vars.described_cpu().is_some();
    Host {
        arch: julia
            .as_ref()
            .map(|j| j.arch.clone())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string()),
        cpu: vars.host_cpu(),
        cpu_raw: vars.host_fingerprint(),
        julia_cpu: julia
            .as_ref()
            .filter(|j| !overridden && !j.cpu_features.is_empty())
            .map(JuliaInfo::cpu),
        julia,
        depots,
        vars: vars.clone(),
    }
}

/// Why `julia`'s Pkg cannot read the environment's manifest (its format is newer than that
/// Pkg reads: format 2.0 before Julia 1.6.2, see [`julia_env::manifest::oldest_julia_reading`]),
/// naming the manifest, the julia's version and what to do; `None` when it can, or when
/// there is no manifest. A build would run julia and fail inside Pkg with a `MethodError`.
pub fn manifest_unreadable(env: &Environment, julia: &JuliaInfo) -> Option<String> {
    let manifest = env.manifest.as_ref()?;
    let format = &manifest.format;
    if julia_env::manifest::julia_reads_format(&julia.version, format) {
        return None;
    }
    let file = env.manifest_file.display().to_string();
    let written = match &manifest.julia_version {
        Some(v) => format!(" (written by Julia {v})"),
        None => String::new(),
    };
    let needs = match julia_env::manifest::oldest_julia_reading(format) {
        Some(oldest) => format!("Pkg reads it from Julia {oldest} on"),
        None => "no Pkg knows that format".to_string(),
    };
    Some(format!(
        "{file}: manifest format {}.{}{written} cannot be read by Julia {}'s Pkg ({needs}); \
         use a julia that reads it (`--julia PATH`, or `julia = \"...\"` in Sysimage.toml), or \
         write a Manifest this julia reads: move {} aside and run `{} --project={} -e 'using Pkg; \
         Pkg.instantiate()'`",
        format.major,
        format.minor,
        julia.version,
        crate::julia::shell_quote(&file),
        crate::julia::shell_quote(&julia.path.display().to_string()),
        crate::julia::shell_quote(&env.dir().display().to_string()),
    ))
}

/// An error for an image that cannot be found for an environment.
pub fn no_image_for(project_file: &Path) -> Error {
    Error::invalid(
        Location::file(project_file),
        "no image is registered for this environment (run `sysimg build`)",
    )
}
