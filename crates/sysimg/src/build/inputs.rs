//! What a build is made of, found before julia runs: the record it produces (its id), the
//! learned statements it bakes, its `cpu_target`, and the refusals and warnings about it.

use std::collections::HashSet;
use std::path::Path;

use julia_env::Error;
use sha2::{Digest, Sha256};

use super::BuildRequest;
use crate::julia::JuliaInfo;
use crate::model::path_sources::hash_path_sources;
use crate::model::plan::Role;
use crate::model::record::{
    file_sha256, BuildOptions, ImageRecord, InputFile, RecordInputs, SourceEnvironment,
};

/// The image file name for a platform.
pub fn image_file_name(julia: &JuliaInfo) -> String {
    let ext = match julia.os.as_str() {
        "darwin" | "apple" | "macos" => "dylib",
        "nt" | "windows" => "dll",
        _ => "so",
    };
    format!("sys.{ext}")
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
pub(super) fn planned_record_with(
    req: &BuildRequest<'_>,
    learned: Option<&str>,
) -> Result<ImageRecord, Error> {
    let dir = req.env.dir();
    let hash_files = |files: &[String]| -> Result<Vec<InputFile>, Error> {
        files
            .iter()
            .map(|f| {
                Ok(InputFile {
                    path: f.clone(),
                    sha256: file_sha256(&dir.join(f))?,
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
                cpu.features = req.vars.host_cpu().features;
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
            precompile_execution_files: hash_files(&req.spec.precompile_execution_files)?,
            precompile_statements_files: hash_files(&req.spec.precompile_statements_files)?,
            preferences: hash_files(&preference_files(dir))?,
            learned: learned.map(|text| InputFile {
                path: crate::learn::LEARNED_FILE.into(),
                sha256: hex::encode(Sha256::digest(text.as_bytes())),
            }),
            packagecompiler: None,
        },
        image_file: image_file_name(req.julia),
    };
    let mut record = ImageRecord::new(req.plan, inputs);
    hash_path_sources(req.env, &mut record)?;
    Ok(record)
}

/// Why a request cannot make a useful image, found without running julia: options
/// PackageCompiler rejects together, an invalid `cpu_target`, a plan that bakes nothing, an
/// environment `sysimg env check` finds errors in. Empty when the build may go ahead.
pub fn refusals(req: &BuildRequest<'_>) -> Vec<String> {
    let mut out = Vec::new();
    // Before anything else: julia would fail inside Pkg, reading the manifest.
    out.extend(crate::check::manifest_unreadable(req.env, req.julia));
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
