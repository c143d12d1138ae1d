//! Where images live: a content-addressed store, one directory per image id holding the image
//! file and its `image.toml`, and everything else sysimg keeps beside them.
//!
//! This module is the one owner of the store's layout and invariants. Its root is private:
//! every path under it comes from a [`Bucket`] here. The invariants it keeps:
//! - an image directory appears whole (by a rename, [`Store::land`]) and leaves whole (set
//!   aside as `.trash-<id>-<pid>`, then removed), under the id's exclusive lock;
//! - a reader locks, then validates ([`Store::validate`]): a deleted, replaced or damaged
//!   image is never handed on; a record whose `id` is not its directory's name is damaged;
//! - registering an environment to an image and gc's decision that an image is unused are
//!   each taken under the image's lock, so gc never removes an image an environment was just
//!   registered to;
//! - `gc --keep-days` ages an image by when it landed in this store (`landed.json`);
//! - gc names every leftover by what it is (an abandoned build, an interrupted pull, the rest
//!   of an interrupted removal) and removes it under its id's lock;
//! - an exclusive lock's holder is recorded in the lock file, so whoever waits says for whom;
//! - an environment's `current/` link names the image it was last registered to (one rename),
//!   and goes with that image or, by gc, with the environment.

mod current;
mod index;
mod landed;
mod layout;
mod lock;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fs4::fs_std::FileExt;
use julia_env::depot::Depots;
use julia_env::{Error, Location, Result};
use sha2::{Digest, Sha256};

use crate::model::record::{file_sha256, ImageRecord, RecordSummary, RECORD_FILE};

pub use index::{EnvUse, FileStamp, Stamp};
pub use landed::{FileId, Landed, LANDED_FILE};
pub use layout::{Bucket, Scratch};
use lock::LockName;
pub use lock::{IdLock, LockHolder, StoreLock};

/// The build log beside an image.
pub const LOG_FILE: &str = "build.log";

/// A path's bytes (Unix) or its UTF-16-lossy text elsewhere: what keys the index.
fn path_bytes(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned().into_bytes()
    }
}

/// Whether a directory name is an image id (32 lowercase hex digits).
pub fn is_image_id(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What `gc` did or would do with one image.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GcDecision {
    /// The image id.
    pub id: String,
    /// Whether it is (or would be) removed.
    pub remove: bool,
    /// Why.
    pub reason: String,
}

/// What `gc` found (and removed) of environments that are gone ([`Store::gone_environments`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GoneEnvironments {
    /// Their compile traces' directories, `learn/<key>/`.
    pub traces: Vec<PathBuf>,
    /// Their background builds' logs, `logs/background-<key>.log`.
    pub background_logs: Vec<PathBuf>,
}

/// Why an image in the store cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// No directory, or no record in it.
    #[error("is not in the store")]
    Missing,
    /// The record cannot be read.
    #[error("is damaged: its record cannot be read ({0})")]
    Record(String),
    /// The record names another id than its directory.
    #[error("is damaged: its record says it is image {0}")]
    WrongId(String),
    /// The image file is gone.
    #[error("is damaged: its image file {0} is missing")]
    NoImageFile(String),
    /// The image file's SHA-256 is not its record's.
    #[error("is damaged: {file} has SHA-256 {actual}, its record says {recorded}")]
    Hash {
        /// The image file.
        file: String,
        /// Its SHA-256.
        actual: String,
        /// The record's.
        recorded: String,
    },
}

/// The image store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    /// Its root directory: private, every path under it comes from this module.
    root: PathBuf,
}

impl Store {
    /// The store at `root` (made absolute, so the `-J` paths handed to julia do not depend on
    /// its working directory).
    pub fn at(root: impl AsRef<Path>) -> Store {
        let root = root.as_ref();
        Store {
            root: std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()),
        }
    }

    /// `SYSIMG_STORE` if set, else a `sysimg` folder in the first depot.
    pub fn locate(store_env: Option<&std::ffi::OsStr>, depots: &Depots) -> Option<Store> {
        match store_env.filter(|s| !s.is_empty()) {
            Some(s) => Some(Store::at(s)),
            None => depots.first().map(|d| Store {
                root: d.join("sysimg"),
            }),
        }
    }

    /// The root, for display only (every path under it comes from this module).
    pub fn display(&self) -> std::path::Display<'_> {
        self.root.display()
    }

    /// The folder of a bucket (the root itself for the buckets that live at the root).
    pub fn bucket(&self, bucket: Bucket) -> PathBuf {
        match bucket.dir_name() {
            Some(name) => self.root.join(name),
            None => self.root.clone(),
        }
    }

    /// The directory of an image id.
    pub fn image_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Where the side-loaded sources of an image live: in the store, outside the image's own
    /// directory (the image refers to them by absolute path, so they cannot be built in a
    /// temporary directory and moved), removed with the image.
    pub fn sideload_dir(&self, id: &str) -> PathBuf {
        self.bucket(Bucket::Sideload).join(id)
    }

    /// The tools environment named `name` (`tools/<name>/`).
    pub fn tools_dir(&self, name: &str) -> PathBuf {
        self.bucket(Bucket::Tools).join(name)
    }

    /// The compile traces of the environment with key `key` (`learn/<key>/`).
    pub fn learn_dir(&self, key: &str) -> PathBuf {
        self.bucket(Bucket::Learn).join(key)
    }

    /// The log of the environment's background builds (`logs/background-<key>.log`).
    pub fn background_log(&self, key: &str) -> PathBuf {
        self.bucket(Bucket::Logs)
            .join(format!("background-{key}.log"))
    }

    /// Where a failed build's log is kept (`logs/<id>-failed.log`).
    pub fn failed_build_log(&self, id: &str) -> PathBuf {
        self.bucket(Bucket::Logs).join(format!("{id}-failed.log"))
    }

    /// Makes a temporary directory at the root for a build or a pull of an image
    /// (`.tmp-<id>-...`); the caller holds the id's exclusive lock.
    pub fn scratch(&self, kind: &Scratch) -> Result<tempfile::TempDir> {
        std::fs::create_dir_all(&self.root).map_err(self.io(&self.root))?;
        tempfile::Builder::new()
            .prefix(&kind.prefix())
            .tempdir_in(&self.root)
            .map_err(self.io(&self.root))
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
        let path = path.to_path_buf();
        move |e| Error::io(&path, e)
    }

    fn lock_path(&self, name: LockName<'_>) -> PathBuf {
        self.bucket(Bucket::Locks).join(name.file_name())
    }

    /// Opens `name`'s lock file and takes the lock with `take` (`Ok(false)`: not free),
    /// again whenever the file was removed or replaced between the open and the lock. gc
    /// removes the lock files of what is gone, under their lock: whoever opened the file
    /// before that would otherwise hold a lock on a file no one else can see. `Ok(None)`: not
    /// free.
    fn acquire(
        &self,
        name: LockName<'_>,
        take: &mut dyn FnMut(&File) -> std::io::Result<bool>,
    ) -> Result<Option<File>> {
        // Each retry follows one removal by gc; a path that never names the file just locked
        // (inode numbers that are not stable, as on some FUSE mounts) is an error, not a spin.
        for _ in 0..100 {
            let f = self.lock_file(name)?;
            match take(&f) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(Error::io(&self.lock_path(name), e)),
            }
            if self.names_lock_file(&f, name) {
                return Ok(Some(f));
            }
        }
        Err(Error::io(
            &self.lock_path(name),
            std::io::Error::other("the lock file kept changing under the lock (100 tries)"),
        ))
    }

    /// Whether `f` is the file `name`'s lock path names now (not one gc removed).
    fn names_lock_file(&self, f: &File, name: LockName<'_>) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let now = std::fs::metadata(self.lock_path(name));
            match (f.metadata(), now) {
                (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
                _ => false,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (f, name);
            true
        }
    }

    fn lock_file(&self, name: LockName<'_>) -> Result<File> {
        let dir = self.bucket(Bucket::Locks);
        std::fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        let path = self.lock_path(name);
        File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(self.io(&path))
    }

    /// Takes an exclusive lock, recording this process as its holder; when another holds it,
    /// `on_wait` is told who before waiting.
    fn lock_named(&self, name: LockName<'_>, on_wait: &mut dyn FnMut(LockHolder)) -> Result<File> {
        let path = self.lock_path(name);
        let mut told = false;
        let f = self.acquire(name, &mut |f| {
            let free = match FileExt::try_lock_exclusive(f) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(e) => return Err(e),
            };
            if !free {
                if !told {
                    let mut reader = f.try_clone()?;
                    on_wait(lock::holder(&mut reader, &path));
                    told = true;
                }
                FileExt::lock_exclusive(f)?;
            }
            Ok(true)
        })?;
        let mut f = f.ok_or_else(|| Error::io(&path, std::io::ErrorKind::WouldBlock.into()))?;
        lock::record_holder(&mut f);
        Ok(f)
    }

    fn try_lock_named(&self, name: LockName<'_>) -> Result<Option<File>> {
        let f = self.acquire(name, &mut |f| FileExt::try_lock_exclusive(f))?;
        Ok(f.map(|mut f| {
            lock::record_holder(&mut f);
            f
        }))
    }

    /// Waits for and takes the exclusive lock of an image id (builds, pulls, removal).
    pub fn lock_exclusive(&self, id: &str) -> Result<IdLock> {
        self.lock_exclusive_or_wait(id, &mut |_| {})
    }

    /// [`Store::lock_exclusive`], telling `on_wait` who holds the lock before waiting for it.
    pub fn lock_exclusive_or_wait(
        &self,
        id: &str,
        on_wait: &mut dyn FnMut(LockHolder),
    ) -> Result<IdLock> {
        let file = self.lock_named(LockName::Image(id), on_wait)?;
        Ok(IdLock {
            file,
            id: id.into(),
        })
    }

    /// Takes the exclusive lock of an image id if nobody holds it.
    pub fn try_lock_exclusive(&self, id: &str) -> Result<Option<IdLock>> {
        Ok(self
            .try_lock_named(LockName::Image(id))?
            .map(|file| IdLock {
                file,
                id: id.into(),
            }))
    }

    /// Waits for and takes the lock of the tools environment `tools/<name>/`.
    pub fn lock_tools(&self, name: &str, on_wait: &mut dyn FnMut(LockHolder)) -> Result<StoreLock> {
        let file = self.lock_named(LockName::Tools(name), on_wait)?;
        Ok(StoreLock { file })
    }

    /// Takes the lock of the background build of the environment with key `key`, if free.
    pub fn try_lock_background(&self, key: &str) -> Result<Option<StoreLock>> {
        Ok(self
            .try_lock_named(LockName::Background(key))?
            .map(|file| StoreLock { file }))
    }

    /// Whether nobody holds an id's lock (no build, removal or running session), found
    /// without writing anything when `read_only` (`gc --dry-run`): an id that never had a
    /// lock file is free, and an existing one is tried and released at once.
    fn free_to_remove(&self, id: &str) -> Result<bool> {
        self.lock_is_free(LockName::Image(id))
    }

    /// Whether nobody holds `name`'s lock, found without writing anything (a lock file that
    /// does not exist is free).
    fn lock_is_free(&self, name: LockName<'_>) -> Result<bool> {
        let path = self.lock_path(name);
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(Error::io(&path, e)),
        };
        match FileExt::try_lock_exclusive(&f) {
            Ok(free) => Ok(free),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Takes a shared lock of an id if no build or removal holds it.
    pub fn try_lock_shared(&self, id: &str) -> Result<Option<IdLock>> {
        let f = self.acquire(LockName::Image(id), &mut |f| FileExt::try_lock_shared(f))?;
        Ok(f.map(|file| IdLock {
            file,
            id: id.into(),
        }))
    }

    /// Takes a shared lock of an id (a running image), waiting for a build or removal.
    pub fn lock_shared(&self, id: &str) -> Result<IdLock> {
        let name = LockName::Image(id);
        let f = self.acquire(name, &mut |f| FileExt::lock_shared(f).map(|()| true))?;
        let file = f.ok_or_else(|| {
            Error::io(&self.lock_path(name), std::io::ErrorKind::WouldBlock.into())
        })?;
        Ok(IdLock {
            file,
            id: id.into(),
        })
    }

    /// Whether the image `id` is whole and is the one that landed: its record names it, its
    /// image file is there, and either the image file and record are as `landed.json`
    /// stamped them (size, modification time, inode) or the image file's SHA-256 is its
    /// record's (then the stamp is renewed, best effort). Hold the id's lock (shared or
    /// exclusive) for the answer to stay true.
    pub fn validate(&self, id: &str) -> std::result::Result<ImageRecord, Damage> {
        let dir = self.image_dir(id);
        let record_file = dir.join(RECORD_FILE);
        if !record_file.is_file() {
            return Err(Damage::Missing);
        }
        let record = ImageRecord::read(&record_file).map_err(|e| Damage::Record(e.to_string()))?;
        if record.id != id {
            return Err(Damage::WrongId(record.id));
        }
        let image = dir.join(&record.image.file);
        let Some(image_id) = FileId::of(&image) else {
            return Err(Damage::NoImageFile(image.display().to_string()));
        };
        let landed = Landed::read(&dir);
        let record_id = FileId::of(&record_file);
        if let Some(l) = &landed {
            if l.image == image_id && Some(l.record) == record_id {
                return Ok(record);
            }
        }
        let actual = file_sha256(&image).map_err(|e| Damage::Record(e.to_string()))?;
        if actual != record.image.sha256 {
            return Err(Damage::Hash {
                file: image.display().to_string(),
                actual,
                recorded: record.image.sha256,
            });
        }
        if let Some(record_id) = record_id {
            // An image from before landing stamps: it landed when its record was written.
            let landed_at = landed.map(|l| l.landed).unwrap_or_else(|| {
                let t = std::fs::metadata(&record_file)
                    .and_then(|m| m.modified())
                    .unwrap_or_else(|_| SystemTime::now());
                humantime::format_rfc3339_seconds(t).to_string()
            });
            let _ = Landed {
                landed: landed_at,
                image: image_id,
                record: record_id,
            }
            .write(&dir);
        }
        Ok(record)
    }

    /// [`Store::validate`] cheaply, for the launcher: only the stamps of `landed.json` are
    /// compared; when they differ, the full validation runs.
    pub fn validate_for_launch(&self, id: &str) -> std::result::Result<PathBuf, Damage> {
        let dir = self.image_dir(id);
        if let Some(l) = Landed::read(&dir) {
            for name in ["sys.so", "sys.dylib", "sys.dll"] {
                let image = dir.join(name);
                if FileId::of(&image) == Some(l.image)
                    && FileId::of(&dir.join(RECORD_FILE)) == Some(l.record)
                {
                    return Ok(image);
                }
            }
        }
        self.validate(id).map(|r| dir.join(r.image.file))
    }

    /// The record of an image the store holds whole and undamaged ([`Store::validate`]), by
    /// exact id. A constant-time lookup: one path, whatever the number of images.
    pub fn lookup(&self, id: &str) -> Option<ImageRecord> {
        self.validate(id).ok()
    }

    /// Every image in the store, sorted by creation time (newest last): each record's
    /// [`RecordSummary`] (its header and package count; the whole record is not read). A
    /// record that names another id than its directory is an error.
    pub fn list(&self) -> Vec<(PathBuf, Result<RecordSummary>)> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, Result<RecordSummary>)> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| is_image_id(&n.to_string_lossy()))
            })
            .map(|p| {
                let record = p.join(RECORD_FILE);
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let r = if record.is_file() {
                    RecordSummary::read(&record).and_then(|r| match r.id == name {
                        true => Ok(r),
                        false => Err(Error::invalid(
                            Location::file(&record),
                            format!(
                                "says it is image {}, not {name}: the image is damaged",
                                r.id
                            ),
                        )),
                    })
                } else {
                    Err(Error::invalid(
                        Location::file(&record),
                        "missing: the image is incomplete or damaged",
                    ))
                };
                (p, r)
            })
            .collect();
        out.sort_by(|a, b| {
            let key = |x: &(PathBuf, Result<RecordSummary>)| {
                x.1.as_ref().map(|r| r.created.clone()).unwrap_or_default()
            };
            key(a).cmp(&key(b)).then(a.0.cmp(&b.0))
        });
        out
    }

    /// Removes an image (waiting for builds and runs of it to finish): renamed aside first,
    /// so the store never shows half an image.
    pub fn remove(&self, id: &str) -> Result<()> {
        let lock = self.lock_exclusive(id)?;
        self.remove_locked(&lock)
    }

    /// Removes the image whose exclusive lock the caller holds.
    fn remove_locked(&self, lock: &IdLock) -> Result<()> {
        let id = lock.id();
        let dir = self.image_dir(id);
        if !dir.is_dir() {
            return Err(Error::invalid(
                Location::file(&dir),
                format!("no image `{id}` in the store"),
            ));
        }
        let trash = self.set_aside(id)?;
        self.unlink_current_of(id);
        let _ = std::fs::remove_dir_all(self.sideload_dir(id));
        std::fs::remove_dir_all(&trash).map_err(self.io(&trash))
    }

    /// Moves image `id`'s directory out of its place (to `.trash-<id>-<pid>`, returned), so
    /// that the store never shows half an image while it is removed. The caller holds the
    /// id's exclusive lock.
    fn set_aside(&self, id: &str) -> Result<PathBuf> {
        let dir = self.image_dir(id);
        let trash = self.root.join(Scratch::Trash(id.into()).prefix());
        std::fs::rename(&dir, &trash).map_err(self.io(&dir))?;
        Ok(trash)
    }

    /// Moves a finished image directory (a build's or a pull's) into place as image `id`;
    /// the caller holds the id's exclusive lock. The directory's record must name `id` and
    /// its image file must be there; `landed.json` records the landing (now) and the image
    /// file's and record's identities. Whatever held the place (the image a `--force` build
    /// replaces, or a damaged one that [`Store::lookup`] does not count) is set aside and
    /// removed first. When the move fails, `dir` is removed.
    pub fn land(&self, id: &str, dir: tempfile::TempDir) -> Result<PathBuf> {
        let record_file = dir.path().join(RECORD_FILE);
        let record = ImageRecord::read(&record_file)?;
        if record.id != id {
            return Err(Error::invalid(
                Location::file(&record_file),
                format!("says it is image {}, not {id}", record.id),
            ));
        }
        let image = dir.path().join(&record.image.file);
        let (Some(image_id), Some(record_id)) = (FileId::of(&image), FileId::of(&record_file))
        else {
            return Err(Error::invalid(
                Location::file(&image),
                "missing: an image lands with its image file",
            ));
        };
        Landed {
            landed: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            image: image_id,
            record: record_id,
        }
        .write(dir.path())?;
        let final_dir = self.image_dir(id);
        if final_dir.exists() {
            let _ = std::fs::remove_dir_all(self.set_aside(id)?);
        }
        std::fs::rename(dir.path(), &final_dir).map_err(self.io(&final_dir))?;
        let _ = dir.keep();
        Ok(final_dir)
    }

    /// Checks an image file against the SHA-256 its record holds. `Ok(None)` when it matches,
    /// else what is wrong.
    pub fn verify(&self, id: &str) -> Result<Option<String>> {
        let dir = self.image_dir(id);
        let record = ImageRecord::read(&dir.join(RECORD_FILE))?;
        if record.id != id {
            return Ok(Some(format!(
                "the record in {} says it is image {}",
                dir.display(),
                record.id
            )));
        }
        let image = dir.join(&record.image.file);
        if !image.is_file() {
            return Ok(Some(format!(
                "the image file {} is missing",
                image.display()
            )));
        }
        let actual = file_sha256(&image)?;
        Ok((actual != record.image.sha256).then(|| {
            format!(
                "{} has SHA-256 {actual}, the record says {}",
                image.display(),
                record.image.sha256
            )
        }))
    }

    fn index_path(&self, project: &Path) -> PathBuf {
        self.bucket(Bucket::Envs)
            .join(format!("{}.json", Self::key_of(project)))
    }

    /// The key of a canonical project path.
    fn key_of(project: &Path) -> String {
        hex::encode(&Sha256::digest(path_bytes(project))[..16])
    }

    /// The key of an environment in the store (its index entry is `envs/<key>.json`, its
    /// compile traces `learn/<key>/`): a hash of the project file's canonical path.
    pub fn env_key(&self, project: &Path) -> String {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        Self::key_of(&project)
    }

    /// Writes the index entry of `project` under the entry's own lock: a registration
    /// (`verified: None`) always; a verification only while the entry still names `id` (a
    /// registration that landed since the launcher read the entry is never reverted, and an
    /// entry that is gone is not brought back).
    fn write_entry(&self, project: &Path, id: &str, verified: Option<Stamp>) -> Result<()> {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let _entry = self.lock_entry(&project)?;
        self.write_entry_held(&project, id, verified)
    }

    /// The lock of `project`'s index entry (and of its `current/` link): whoever changes
    /// either holds it, so the entry and the link never name different images.
    fn lock_entry(&self, canonical_project: &Path) -> Result<File> {
        std::fs::create_dir_all(self.bucket(Bucket::Envs))
            .map_err(self.io(&self.bucket(Bucket::Envs)))?;
        self.lock_named(
            LockName::Entry(&Self::key_of(canonical_project)),
            &mut |_| {},
        )
    }

    /// [`Store::write_entry`] for a caller holding [`Store::lock_entry`] of the canonical
    /// `project`.
    fn write_entry_held(&self, project: &Path, id: &str, verified: Option<Stamp>) -> Result<()> {
        let path = self.index_path(project);
        if verified.is_some() && self.registered(project).is_none_or(|e| e.image != id) {
            return Ok(());
        }
        let entry = EnvUse {
            project: project.display().to_string(),
            project_bytes: project
                .to_str()
                .is_none()
                .then(|| hex::encode(path_bytes(project))),
            image: id.to_string(),
            updated: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            verified,
        };
        julia_env::edit::write_atomic(
            &path,
            &serde_json::to_string_pretty(&entry).unwrap_or_default(),
        )
    }

    /// Records that the environment of `project` uses image `id`, under the id's shared lock
    /// (waiting for a build or removal of it): gc decides an image is unused under its
    /// exclusive lock, so the two never interleave. Fails when the image is not in the store
    /// (any more).
    pub fn register(&self, project: &Path, id: &str) -> Result<()> {
        let lock = self.lock_shared(id)?;
        self.register_locked(project, &lock)
    }

    /// [`Store::register`] for a caller that holds the image's lock (shared or exclusive).
    pub fn register_locked(&self, project: &Path, lock: &IdLock) -> Result<()> {
        let id = lock.id();
        let record = self.image_dir(id).join(RECORD_FILE);
        if !record.is_file() {
            return Err(Error::invalid(
                Location::file(&record),
                format!("image {id} is not in the store (removed meanwhile?)"),
            ));
        }
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let _entry = self.lock_entry(&project)?;
        self.write_entry_held(&project, id, None)?;
        // The stable path tools are given follows, under the same entry lock (best effort:
        // without it they are given the image's own path, as `julia-args` says).
        let _ = self.link_current(&project, lock);
        Ok(())
    }

    /// Records that `sysimg run` found the registration of `id` still fresh, unless the entry
    /// names another image by now (best effort: a launcher that cannot write the index only
    /// loses its shortcut).
    pub fn mark_verified(&self, project: &Path, id: &str, stamp: Stamp) {
        let _ = self.write_entry(project, id, Some(stamp));
    }

    /// The image the store's index says `project` uses.
    pub fn registered(&self, project: &Path) -> Option<EnvUse> {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let text = std::fs::read_to_string(self.index_path(&project)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Every index entry whose project file still exists.
    pub fn live_registrations(&self) -> Result<Vec<EnvUse>> {
        let dir = self.bucket(Bucket::Envs);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue; // a write in progress (`.sysimg-*`)
            }
            // A damaged entry could be protecting any image: never guess.
            let text = std::fs::read_to_string(&path).map_err(self.io(&path))?;
            let entry: EnvUse = serde_json::from_str(&text).map_err(|e| {
                Error::invalid(
                    Location::file(&path),
                    format!(
                        "a damaged entry of the store's index ({e}): remove it, then run \
                         `sysimg build` (or `sysimg pin`) in the environments that use images"
                    ),
                )
            })?;
            if entry.project_path().is_file() {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Whether a live registration names image `id`.
    fn in_use(&self, id: &str) -> Result<bool> {
        Ok(self.live_registrations()?.iter().any(|u| u.image == id))
    }

    /// How long ago image `id` (in `dir`) landed in this store: `landed.json`'s time, else
    /// (an image from before it) its record file's modification time, else its record's
    /// creation time.
    fn age(&self, dir: &Path, record: &Result<RecordSummary>, now: SystemTime) -> Duration {
        let landed = Landed::read(dir).and_then(|l| l.landed_at());
        let written = || {
            std::fs::metadata(dir.join(RECORD_FILE))
                .and_then(|m| m.modified())
                .ok()
        };
        let created = || {
            record
                .as_ref()
                .ok()
                .and_then(|r| humantime::parse_rfc3339(&r.created).ok())
        };
        landed
            .or_else(written)
            .or_else(created)
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or(Duration::MAX)
    }

    /// Garbage collection: removes images that no registered environment uses, that nothing
    /// is running (a running image holds a shared lock), and that landed in this store longer
    /// than `keep` ago. Whether an image is used is decided again under its exclusive lock,
    /// which registration also takes. Leftovers nobody holds the lock of are removed too, each
    /// named by what it is: abandoned builds, interrupted pulls, the rest of interrupted
    /// removals, side-loaded sources whose image is gone, and failed builds' logs once their
    /// image built after all or `keep` has passed.
    pub fn gc(&self, keep: Duration, dry_run: bool) -> Result<Vec<GcDecision>> {
        // The lock files there were before: taking an id's lock to remove something makes
        // its file, which then goes too, but only these are reported.
        let locks_before = self.lock_file_names();
        let used: std::collections::BTreeSet<String> = self
            .live_registrations()?
            .into_iter()
            .map(|u| u.image)
            .collect();
        let now = SystemTime::now();
        let mut out = Vec::new();
        for (dir, record) in self.list() {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A damaged record has no age of its own: it is never too young to go.
            let age = match &record {
                Ok(_) => self.age(&dir, &record, now),
                Err(_) => Duration::MAX,
            };
            // What a removal or a refusal to remove would say: damaged records, or unused.
            let (removed, kept) = match &record {
                Err(e) => (
                    format!("damaged: {e}"),
                    format!("damaged ({e}), but in use"),
                ),
                Ok(_) => ("unused".into(), "in use (running or being built)".into()),
            };
            let used_by_env = (false, "used by a registered environment".to_string());
            let (remove, reason) = if used.contains(&id) {
                used_by_env
            } else if age < keep {
                (
                    false,
                    format!("younger than {} days", keep.as_secs() / 86_400),
                )
            } else if dry_run {
                match self.free_to_remove(&id)? {
                    false => (false, kept),
                    true => (true, removed),
                }
            } else {
                match self.try_lock_exclusive(&id)? {
                    None => (false, kept),
                    // Decided again under the lock registration takes: an environment
                    // registered to it meanwhile keeps it.
                    Some(_) if self.in_use(&id)? => used_by_env,
                    Some(lock) => {
                        self.remove_locked(&lock)?;
                        (true, removed)
                    }
                }
            };
            out.push(GcDecision { id, remove, reason });
        }
        // Directories that belong to no image, each removed unless its id's lock is held.
        let mut leftovers: Vec<(PathBuf, String, String, &str)> = Vec::new();
        let entries = |dir: &Path| std::fs::read_dir(dir).into_iter().flatten().flatten();
        for e in entries(&self.bucket(Bucket::Sideload)) {
            let id = e.file_name().to_string_lossy().into_owned();
            if is_image_id(&id) && !self.image_dir(&id).exists() {
                let label = format!("sideload/{id}");
                let why = "side-loaded sources of an image that is gone";
                leftovers.push((e.path(), id, label, why));
            }
        }
        for e in entries(&self.root) {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(scratch) = Scratch::parse(&name) {
                let id = scratch.id().to_string();
                leftovers.push((e.path(), id, name, scratch.reason()));
            }
        }
        // Logs: a failed build's, once its image built after all or `keep` has passed.
        for e in entries(&self.bucket(Bucket::Logs)) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(id) = name
                .strip_suffix("-failed.log")
                .filter(|id| is_image_id(id))
            else {
                continue;
            };
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= keep);
            let why = match (self.image_dir(id).exists(), old) {
                (true, _) => "the log of a failed build of an image built since",
                (false, true) => "the log of a failed build older than --keep-days",
                (false, false) => continue,
            };
            leftovers.push((e.path(), id.to_string(), format!("logs/{name}"), why));
        }
        // Links of environments that are gone (or of images that are gone), read after the
        // images' removal so an environment registered meanwhile keeps its link: no lock, a
        // link holds no image.
        let live_keys: std::collections::BTreeSet<String> = self
            .live_registrations()?
            .iter()
            .map(|u| self.env_key(&u.project_path()))
            .collect();
        for (path, label, reason) in self.stale_current_links(&live_keys) {
            if !dry_run {
                let _ = std::fs::remove_file(&path);
            }
            out.push(GcDecision {
                id: label,
                remove: true,
                reason: reason.into(),
            });
        }
        // What a dry run would remove counts as gone for the locks' sake.
        let mut going: std::collections::BTreeSet<String> = out
            .iter()
            .filter(|d| d.remove && is_image_id(&d.id))
            .map(|d| d.id.clone())
            .collect();
        // Leftovers whose id's lock someone holds (a build, pull or removal in progress).
        let mut held = std::collections::BTreeSet::new();
        for (path, id, label, reason) in leftovers {
            let image_stays = self.image_dir(&id).exists();
            let free = match dry_run {
                true => self.free_to_remove(&id)?,
                // Removed under the id's lock: nobody starts building it meanwhile.
                false => match self.try_lock_exclusive(&id)? {
                    Some(_lock) => {
                        let _ = match path.is_dir() {
                            true => std::fs::remove_dir_all(path),
                            false => std::fs::remove_file(path),
                        };
                        true
                    }
                    None => false,
                },
            };
            if !free {
                held.insert(id);
            } else {
                if !image_stays {
                    going.insert(id);
                }
                out.push(GcDecision {
                    id: label,
                    remove: true,
                    reason: reason.into(),
                });
            }
        }
        let going = if dry_run { going } else { Default::default() };
        out.extend(self.stale_locks(&live_keys, &going, &held, &locks_before, dry_run)?);
        Ok(out)
    }

    /// The lock files of what is gone, each removed (unless `dry_run`) while gc holds it, so
    /// that `locks/` does not grow with every image and environment there ever was: an
    /// image's once its directory and side-loaded sources are gone and no leftover of it is
    /// `held` (its lock was not free), or, in a dry run, once it is in `going` (what the run
    /// would remove); a tools environment's once its
    /// directory is; an environment's entry and background-build locks once no live entry has
    /// its key. A lock someone holds stays. Whoever opened a lock file before its removal
    /// finds, once it holds the lock, that the path names another file, and opens it again
    /// ([`Store::acquire`]). Only the files in `reported` (those there before this gc) are
    /// reported, so a dry run and a real run name the same.
    fn stale_locks(
        &self,
        live_keys: &std::collections::BTreeSet<String>,
        going: &std::collections::BTreeSet<String>,
        held: &std::collections::BTreeSet<String>,
        reported: &[String],
        dry_run: bool,
    ) -> Result<Vec<GcDecision>> {
        let mut out = Vec::new();
        // Elsewhere an open file can be deleted too (Rust opens with `FILE_SHARE_DELETE` on
        // Windows) but `names_lock_file` cannot tell the file from its successor: keep them.
        if cfg!(not(unix)) {
            return Ok(out);
        }
        for file_name in self.lock_file_names() {
            let Some(name) = LockName::parse(&file_name) else {
                continue;
            };
            // `live`: whether an environment's key is registered, from the snapshot first,
            // then (under the lock) from its index entry as it is now.
            let gone = |name: LockName<'_>, live: &dyn Fn(&str) -> bool| match name {
                LockName::Image(id) => {
                    going.contains(id)
                        || (!self.image_dir(id).exists()
                            && !self.bucket(Bucket::Sideload).join(id).exists()
                            && !held.contains(id))
                }
                LockName::Tools(tools) => !self.tools_dir(tools).exists(),
                LockName::Background(key) | LockName::Entry(key) => !live(key),
            };
            if !gone(name, &|key| live_keys.contains(key)) {
                continue;
            }
            let removed = match dry_run {
                true => self.lock_is_free(name)?,
                // Decided again under the lock: an environment registered or an image built
                // meanwhile keeps its lock.
                false => match self.try_lock_named(name)? {
                    Some(_held) if gone(name, &|key| self.key_is_live(key)) => {
                        let _ = std::fs::remove_file(self.lock_path(name));
                        true
                    }
                    _ => false,
                },
            };
            if removed && reported.binary_search(&file_name).is_ok() {
                let of = match name {
                    LockName::Image(_) => "an image",
                    LockName::Tools(_) => "a tools environment",
                    LockName::Background(_) => "an environment's background builds",
                    LockName::Entry(_) => "an environment's index entry",
                };
                out.push(GcDecision {
                    id: format!("locks/{file_name}"),
                    remove: true,
                    reason: format!("the lock of {of} that is gone"),
                });
            }
        }
        Ok(out)
    }

    /// The names of the files in `locks/`, sorted.
    fn lock_file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.bucket(Bucket::Locks))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Whether the environment with key `key` is registered now: its index entry is there and
    /// names a project file that exists (what [`Store::live_registrations`] keeps).
    fn key_is_live(&self, key: &str) -> bool {
        let entry = self.bucket(Bucket::Envs).join(format!("{key}.json"));
        std::fs::read_to_string(&entry)
            .ok()
            .and_then(|text| serde_json::from_str::<EnvUse>(&text).ok())
            .is_some_and(|e| e.project_path().is_file())
    }

    /// What environments that are gone left in the store: the compile traces `learn/<key>/`
    /// and the background builds' log `logs/background-<key>.log` of every environment no
    /// index entry names with an existing project file. Removed unless `dry_run` (which
    /// writes nothing), except a log whose background build still runs. A damaged index
    /// could be protecting any environment: then nothing is listed or removed.
    pub fn gone_environments(&self, dry_run: bool) -> GoneEnvironments {
        let mut out = GoneEnvironments::default();
        let Ok(registrations) = self.live_registrations() else {
            return out;
        };
        let live: std::collections::HashSet<String> = registrations
            .iter()
            .map(|e| self.env_key(&e.project_path()))
            .collect();
        let entries = |dir: PathBuf| std::fs::read_dir(dir).into_iter().flatten().flatten();
        for e in entries(self.bucket(Bucket::Learn)) {
            let key = e.file_name().to_string_lossy().into_owned();
            if !live.contains(&key) {
                if !dry_run {
                    let _ = std::fs::remove_dir_all(e.path());
                }
                out.traces.push(e.path());
            }
        }
        for e in entries(self.bucket(Bucket::Logs)) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(key) = name
                .strip_prefix("background-")
                .and_then(|n| n.strip_suffix(".log"))
                .filter(|k| !live.contains(*k))
            else {
                continue;
            };
            if !dry_run {
                // A background build that still runs keeps its log.
                match self.try_lock_background(key) {
                    Ok(Some(_lock)) => {
                        let _ = std::fs::remove_file(e.path());
                        // Its lock goes with it (taking the lock made the file again).
                        #[cfg(unix)]
                        let _ = std::fs::remove_file(self.lock_path(LockName::Background(key)));
                    }
                    _ => continue,
                }
            }
            out.background_logs.push(e.path());
        }
        out.traces.sort();
        out.background_logs.sort();
        out
    }

    /// The record of an image given by full id or by a unique prefix of at least 6 digits.
    pub fn find(&self, id: &str) -> Result<(PathBuf, ImageRecord)> {
        let exact = self.image_dir(id).join(RECORD_FILE);
        if exact.is_file() {
            let record = ImageRecord::read(&exact)?;
            if record.id != id {
                return Err(Error::invalid(
                    Location::file(&exact),
                    format!(
                        "image `{id}` is damaged: its record says it is image {} \
                         (`sysimg gc` removes it)",
                        record.id
                    ),
                ));
            }
            return Ok((exact.clone(), record));
        }
        let not_found = || {
            Error::invalid(
                Location::file(&self.root),
                format!("no image `{id}` in the store"),
            )
        };
        if is_image_id(id) && self.image_dir(id).is_dir() {
            return Err(Error::invalid(
                Location::file(&exact),
                format!("image `{id}` is damaged: its record is missing (`sysimg gc` removes it)"),
            ));
        }
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        if id.len() < 6 {
            return Err(Error::invalid(
                Location::file(&self.root),
                format!("`{id}` is too short to name an image: give at least 6 digits of its id"),
            ));
        }
        let mut matches: Vec<PathBuf> = std::fs::read_dir(&self.root)
            .map_err(|_| not_found())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(id) && is_image_id(&n)
                }) && p.join(RECORD_FILE).is_file()
            })
            .collect();
        match matches.len() {
            0 => Err(not_found()),
            1 => {
                let full = matches
                    .remove(0)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.find(&full)
            }
            n => Err(Error::invalid(
                Location::file(&self.root),
                format!("`{id}` matches {n} images; give more digits"),
            )),
        }
    }
}

/// Finds an image record from what a user gives: a path (an `image.toml`, a directory holding
/// one, or an image file with `image.toml` beside it), else an id in the store.
pub fn find_record(arg: &str, store: Option<&Store>) -> Result<(PathBuf, ImageRecord)> {
    let path = Path::new(arg);
    if path.exists() {
        let record = if path.is_dir() {
            path.join(RECORD_FILE)
        } else if path.extension().is_some_and(|e| e == "toml") {
            path.to_path_buf()
        } else {
            path.parent().unwrap_or(Path::new(".")).join(RECORD_FILE)
        };
        if !record.is_file() {
            return Err(Error::invalid(
                Location::file(path),
                format!(
                    "no {RECORD_FILE} at {}: not an image sysimg built, or its record is gone \
                     (`sysimg check --image` also takes images without one)",
                    record.display()
                ),
            ));
        }
        return Ok((record.clone(), ImageRecord::read(&record)?));
    }
    match store {
        Some(s) => s.find(arg),
        None => Err(Error::invalid(
            Location::file(arg),
            "no such file, and no image store (set SYSIMG_STORE)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gc removes a free lock file under its lock; whoever had opened it before (a build
    /// about to lock the id) must not then hold a lock on a file no one else can see.
    #[test]
    fn a_lock_on_a_removed_lock_file_is_taken_again_on_the_new_one() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::at(t.path().join("store"));
        let id = "0123456789abcdef0123456789abcdef";
        let name = LockName::Image(id);
        // B opens the lock file; gc removes it; C locks the id on a new file.
        let early = store.lock_file(name).unwrap();
        std::fs::remove_file(store.lock_path(name)).unwrap();
        let c = store.lock_exclusive(id).unwrap();
        // B's flock on its file succeeds (the hazard), but that file is not the lock now...
        assert!(FileExt::try_lock_exclusive(&early).unwrap());
        assert!(!store.names_lock_file(&early, name));
        assert!(store.names_lock_file(&c.file, name));
        // ...so B's acquisition goes to the new file, which C holds.
        assert!(store.try_lock_exclusive(id).unwrap().is_none());
        assert!(store.try_lock_shared(id).unwrap().is_none());
        drop(c);
        assert!(store.try_lock_exclusive(id).unwrap().is_some());
    }

    #[test]
    fn lock_names_parse_back() {
        let id = "0123456789abcdef0123456789abcdef";
        for name in [
            LockName::Image(id),
            LockName::Tools("pc-1.4.1"),
            LockName::Background("k3y"),
            LockName::Entry("k3y"),
        ] {
            assert_eq!(LockName::parse(&name.file_name()), Some(name));
        }
        for other in ["env-.lock", "notes.txt", "abc.lock", "tools-"] {
            assert_eq!(LockName::parse(other), None, "{other}");
        }
    }
}
