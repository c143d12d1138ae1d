//! After julia wrote the image: the record completed and landed in the store, the environment
//! registered, and the packages the image leaves out precompiled against it.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use julia_env::artifacts::{artifacts_file_in, ArtifactsFile};
use julia_env::depot::Depots;
use julia_env::ids::TreeHash;
use julia_env::platform::Platform;

use super::process::{run_julia, JuliaExit};
use super::{io_err, BuildError, BuildEvent, BuildRequest};
use crate::model::record::{file_sha256, ImageRecord, RecordArtifact, RECORD_FILE};
use crate::store::IdLock;

/// What a successful julia run left, for [`land`].
pub(super) struct Built<'a> {
    /// The build's temporary directory in the store, holding the image and its log.
    pub(super) dir: tempfile::TempDir,
    /// The workspace inside it, removed before landing.
    pub(super) workspace: &'a Path,
    /// The image file julia wrote.
    pub(super) image: &'a Path,
    /// The side-loaded sources, removed unless the image lands.
    pub(super) sideloaded: RemoveOnDrop,
    /// The image's exclusive lock, held since before the build began.
    pub(super) lock: &'a IdLock,
}

/// Completes the record (the image's hash, the artifacts it uses), writes it beside the
/// image, lands the build's directory (with `--force`, the old image is set aside and the
/// new one swapped in), registers the environment to it under the image's lock, then
/// precompiles the packages the image leaves out ([`precompile_left_out`]).
pub(super) fn land(
    req: &BuildRequest<'_>,
    record: &mut ImageRecord,
    built: Built<'_>,
    log: &mut std::fs::File,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<(), BuildError> {
    let store = req.store;
    record.image.sha256 = file_sha256(built.image)?;
    record.artifacts = used_artifacts(req, record);
    let record_path = built.dir.path().join(RECORD_FILE);
    std::fs::write(&record_path, record.to_toml()).map_err(io_err(&record_path))?;
    let _ = std::fs::remove_dir_all(built.workspace);
    let landed = store.land(&record.id, built.dir)?;
    std::mem::forget(built.sideloaded);
    store.register_locked(&req.env.project_file, built.lock)?;
    precompile_left_out(req, &landed.join(&record.image.file), log, cancel, on_event)
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
