//! `current/`: one stable path per environment that always names the image it is registered
//! to (issue 25 item 3). Editors, juliacall and language servers keep a `--sysimage` path in
//! their settings; given this one, they start the rebuilt image without being told again.
//!
//! The link is `current/<env key>-<image file>` (`<key>-sys.so`: julia decides how to load an
//! image by its extension), a symbolic link to `../<id>/<image file>`. It is replaced by one
//! rename on every registration, so a reader sees the old image or the new one, never none.
//! Julia resolves the link when it starts (`realpath` of `-J`, julia src/init.c `abspath`), so
//! a running session keeps the image it started on: image files are never changed in place.
//! Removing an image removes the links to it; gc removes the links of environments that are
//! gone. Only on Unix (elsewhere there is no link, and tools are given the image's own path).

use std::path::{Path, PathBuf};

use julia_env::Result;

use super::{Bucket, IdLock, Store, RECORD_FILE};
use crate::model::record::ImageRecord;

/// The prefix of a link being written (`current/.tmp-...`), never a link's own name.
const TMP_PREFIX: &str = ".tmp-";

impl Store {
    /// The stable path of `project`'s current image when the store has one that exists (the
    /// link and the image it names), else `None`.
    pub fn current_image(&self, project: &Path) -> Option<PathBuf> {
        let key = self.env_key(project);
        let dir = self.bucket(Bucket::Current);
        std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(&key))
                    .is_some_and(|rest| rest.starts_with('-'))
                    // `is_file` follows the link: a dangling one does not count.
                    && p.is_file()
            })
    }

    /// The stable path of `project`'s image `id`, linking it first if the link is missing or
    /// names another image (an environment registered before links existed), under the id's
    /// shared lock. `None` where links cannot be made (not Unix, or the store refuses).
    pub fn current_image_of(&self, project: &Path, id: &str) -> Option<PathBuf> {
        if let Some(link) = self.current_image(project) {
            if link_target_id(&link).as_deref() == Some(id) {
                return Some(link);
            }
        }
        let lock = self.lock_shared(id).ok()?;
        self.link_current(project, &lock).ok()?;
        self.current_image(project)
    }

    /// Points `project`'s link at the image whose lock the caller holds: a new link written
    /// beside it and renamed over it (one step for readers). Links of the environment under
    /// another file name (another platform's extension) are removed.
    pub(super) fn link_current(&self, project: &Path, lock: &IdLock) -> Result<()> {
        let id = lock.id();
        let record = ImageRecord::read(&self.image_dir(id).join(RECORD_FILE))?;
        let key = self.env_key(project);
        let dir = self.bucket(Bucket::Current);
        std::fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        let name = format!("{key}-{}", record.image.file);
        let link = dir.join(&name);
        let target = Path::new("..").join(id).join(&record.image.file);
        make_link(&dir, &target, &link).map_err(self.io(&link))?;
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let other = e.file_name().to_string_lossy().into_owned();
            if other != name && other.starts_with(&format!("{key}-")) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    /// Removes the links to image `id` (it is being removed), best effort.
    pub(super) fn unlink_current_of(&self, id: &str) {
        for e in std::fs::read_dir(self.bucket(Bucket::Current))
            .into_iter()
            .flatten()
            .flatten()
        {
            if link_target_id(&e.path()).as_deref() == Some(id) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The links gc removes, with why: those of environments with no live registration (the
    /// project file is gone or its entry was removed), those whose image is gone, and links
    /// left half-written by a killed registration. `live_keys` are the keys of the live
    /// registrations.
    pub(super) fn stale_current_links(
        &self,
        live_keys: &std::collections::BTreeSet<String>,
    ) -> Vec<(PathBuf, String, &'static str)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.bucket(Bucket::Current))
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let why = if name.starts_with(TMP_PREFIX) {
                "a link left half-written by an interrupted registration"
            } else if !name
                .split_once('-')
                .is_some_and(|(key, _)| live_keys.contains(key))
            {
                "the image link of an environment that is gone"
            } else if !e.path().is_file() {
                "the image link of an image that is gone"
            } else {
                continue;
            };
            out.push((e.path(), format!("current/{name}"), why));
        }
        out
    }
}

/// The image id a link names (`../<id>/<file>`).
fn link_target_id(link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    let id = target.parent()?.file_name()?.to_str()?.to_string();
    super::is_image_id(&id).then_some(id)
}

/// Writes a symbolic link `link` -> `target` by a rename of a new link made in `dir`.
#[cfg(unix)]
fn make_link(dir: &Path, target: &Path, link: &Path) -> std::io::Result<()> {
    let tmp = dir.join(format!(
        "{TMP_PREFIX}{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// No links where symbolic links need privileges: tools get the image's own path.
#[cfg(not(unix))]
fn make_link(_dir: &Path, _target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "stable image links are made on Unix only",
    ))
}
