//! The sources of path-tracked (`dev`ed) packages: an image that bakes one records its git
//! tree hash, so an edit to the source is a new image (and a stale one).

use std::path::{Path, PathBuf};

use julia_env::environment::Environment;
use julia_env::{Error, Location};

use crate::model::record::ImageRecord;

/// The source directory of a path-tracked Manifest entry (its `path`, relative to the
/// Manifest), and that source's git tree hash.
pub fn path_source_hash(
    env: &Environment,
    path: &str,
) -> (PathBuf, std::io::Result<julia_env::ids::TreeHash>) {
    let base = env.manifest_file.parent().unwrap_or(Path::new("."));
    let dir = julia_env::depot::normalize(&base.join(path));
    let hash = julia_env::tree_hash::tree_hash(&dir);
    (dir, hash)
}

/// Fills in the source tree hash of every baked path-tracked (`dev`ed) package, and the id
/// that now depends on them: an edit to such a source is a new image.
pub fn hash_path_sources(env: &Environment, record: &mut ImageRecord) -> Result<(), Error> {
    let Some(manifest) = &env.manifest else {
        return Ok(());
    };
    let mut changed = false;
    for p in &mut record.packages {
        let Some(path) = manifest.get(&p.uuid).and_then(|e| e.path.as_deref()) else {
            continue;
        };
        let hash = path_source_hash(env, path).1.map_err(|e| {
            Error::invalid(
                Location::file(&env.manifest_file),
                format!("cannot read the source of path-tracked `{}`: {e}", p.name),
            )
        })?;
        p.source_tree_hash = Some(hash.to_string());
        changed = true;
    }
    if changed {
        record.id = record.compute_id();
    }
    Ok(())
}
