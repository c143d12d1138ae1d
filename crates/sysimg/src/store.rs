//! Where images live: a content-addressed store, one directory per image id holding the image
//! file and its `image.toml`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fs4::fs_std::FileExt;
use julia_env::depot::Depots;
use julia_env::{Error, Location, Result};
use sha2::{Digest, Sha256};

use crate::model::record::{file_sha256, ImageRecord, RecordSummary, RECORD_FILE};

/// The build log beside an image.
pub const LOG_FILE: &str = "build.log";

/// A held lock on an image id: exclusive while building or removing, shared while running.
/// Released when dropped.
#[derive(Debug)]
pub struct IdLock {
    file: File,
}

impl IdLock {
    /// Lets every process started from now on inherit the lock, while this one keeps it: a
    /// build's julia and whatever it starts hold the lock as long as any of them runs, so
    /// `gc` never removes a build directory that an orphaned julia is still writing.
    #[cfg(unix)]
    pub fn share_with_children(&self) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = self.file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this lock owns; clearing FD_CLOEXEC has no memory
        // effects.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Lets the lock outlive an `exec`: the process that replaces this one (julia, under
    /// `sysimg run`) keeps holding it until it exits.
    #[cfg(unix)]
    pub fn keep_across_exec(self) -> std::io::Result<()> {
        use std::os::fd::IntoRawFd;
        let fd = self.file.into_raw_fd();
        // SAFETY: fcntl on a descriptor we own; clearing FD_CLOEXEC has no memory effects.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// An environment that uses an image, as the store's index records it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvUse {
    /// The project file (for display; lossy when the path is not UTF-8).
    pub project: String,
    /// The project file's bytes in hex, when the path is not UTF-8 (Unix), so that it is
    /// found again exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_bytes: Option<String>,
    /// The image id it uses.
    pub image: String,
    /// When it was recorded (RFC 3339).
    pub updated: String,
    /// What `sysimg run` last found fresh: while these files and the host CPU are unchanged,
    /// the image still fits and the launcher need not read the environment again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<crate::launch::Stamp>,
}

impl EnvUse {
    /// The project file, exactly.
    pub fn project_path(&self) -> PathBuf {
        #[cfg(unix)]
        if let Some(bytes) = self
            .project_bytes
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
        {
            use std::os::unix::ffi::OsStringExt;
            return PathBuf::from(std::ffi::OsString::from_vec(bytes));
        }
        PathBuf::from(&self.project)
    }
}

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

/// The image store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    /// Its root directory.
    pub root: PathBuf,
}

impl Store {
    /// `SYSIMG_STORE` if set, else a `sysimg` folder in the first depot.
    pub fn locate(store_env: Option<&std::ffi::OsStr>, depots: &Depots) -> Option<Store> {
        match store_env.filter(|s| !s.is_empty()) {
            // Absolute, so the `-J` paths handed to julia do not depend on its directory.
            Some(s) => Some(Store {
                root: std::path::absolute(s).unwrap_or_else(|_| PathBuf::from(s)),
            }),
            None => depots.first().map(|d| Store {
                root: d.join("sysimg"),
            }),
        }
    }

    /// The directory of an image id.
    pub fn image_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
        let path = path.to_path_buf();
        move |e| Error::io(&path, e)
    }

    fn lock_file(&self, id: &str) -> Result<File> {
        let dir = self.root.join("locks");
        std::fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        let path = dir.join(format!("{id}.lock"));
        File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(self.io(&path))
    }

    /// Waits for and takes the exclusive lock of an id (builds, removal).
    pub fn lock_exclusive(&self, id: &str) -> Result<IdLock> {
        let f = self.lock_file(id)?;
        FileExt::lock_exclusive(&f).map_err(self.io(&self.root))?;
        Ok(IdLock { file: f })
    }

    /// Takes the exclusive lock of an id if nobody holds it.
    pub fn try_lock_exclusive(&self, id: &str) -> Result<Option<IdLock>> {
        let f = self.lock_file(id)?;
        match FileExt::try_lock_exclusive(&f) {
            Ok(true) => Ok(Some(IdLock { file: f })),
            Ok(false) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(Error::io(&self.root, e)),
        }
    }

    /// Whether nobody holds an id's lock (no build, removal or running session), found
    /// without writing anything when `read_only` (`gc --dry-run`): an id that never had a
    /// lock file is free, and an existing one is tried and released at once.
    fn free_to_remove(&self, id: &str, read_only: bool) -> Result<bool> {
        if !read_only {
            return Ok(self.try_lock_exclusive(id)?.is_some());
        }
        let path = self.root.join("locks").join(format!("{id}.lock"));
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
        let f = self.lock_file(id)?;
        match FileExt::try_lock_shared(&f) {
            Ok(true) => Ok(Some(IdLock { file: f })),
            Ok(false) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(Error::io(&self.root, e)),
        }
    }

    /// Takes a shared lock of an id (a running image), waiting for a build or removal.
    pub fn lock_shared(&self, id: &str) -> Result<IdLock> {
        let f = self.lock_file(id)?;
        FileExt::lock_shared(&f).map_err(self.io(&self.root))?;
        Ok(IdLock { file: f })
    }

    /// The record of an image the store holds whole (record and image file), by exact id.
    /// A constant-time lookup: one path, whatever the number of images.
    pub fn lookup(&self, id: &str) -> Option<ImageRecord> {
        let dir = self.image_dir(id);
        let record = ImageRecord::read(&dir.join(RECORD_FILE)).ok()?;
        dir.join(&record.image.file).is_file().then_some(record)
    }

    /// Every image in the store, sorted by creation time (newest last): each record's
    /// [`RecordSummary`] (its header and package count; the whole record is not read).
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
                let r = if record.is_file() {
                    RecordSummary::read(&record)
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
        let _lock = self.lock_exclusive(id)?;
        let dir = self.image_dir(id);
        if !dir.is_dir() {
            return Err(Error::invalid(
                Location::file(&dir),
                format!("no image `{id}` in the store"),
            ));
        }
        let trash = self.set_aside(id)?;
        let _ = std::fs::remove_dir_all(crate::build::sideload_dir(self, id));
        std::fs::remove_dir_all(&trash).map_err(self.io(&trash))
    }

    /// Moves image `id`'s directory out of its place (to `.trash-<id>-<pid>`, returned), so
    /// that the store never shows half an image while it is removed. The caller holds the
    /// id's exclusive lock.
    fn set_aside(&self, id: &str) -> Result<PathBuf> {
        let dir = self.image_dir(id);
        let trash = self
            .root
            .join(format!(".trash-{id}-{}", std::process::id()));
        std::fs::rename(&dir, &trash).map_err(self.io(&dir))?;
        Ok(trash)
    }

    /// Moves a finished image directory (a build's or a pull's) into place as image `id`;
    /// the caller holds the id's exclusive lock. Whatever held the place (the image a
    /// `--force` build replaces, or a damaged one that [`Store::lookup`] does not count) is
    /// set aside and removed first. When the move fails, `dir` is removed.
    pub fn land(&self, id: &str, dir: tempfile::TempDir) -> Result<PathBuf> {
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
        let key = hex::encode(&Sha256::digest(path_bytes(project))[..16]);
        self.root.join("envs").join(format!("{key}.json"))
    }

    /// The key of an environment in the store (its index entry is `envs/<key>.json`, its
    /// compile traces `learn/<key>/`): a hash of the project file's canonical path.
    pub fn env_key(&self, project: &Path) -> String {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        hex::encode(&Sha256::digest(path_bytes(&project))[..16])
    }

    /// Records that the environment of `project` uses image `id`.
    pub fn register(&self, project: &Path, id: &str) -> Result<()> {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let path = self.index_path(&project);
        std::fs::create_dir_all(path.parent().unwrap_or(&self.root)).map_err(self.io(&path))?;
        let entry = EnvUse {
            project: project.display().to_string(),
            project_bytes: project
                .to_str()
                .is_none()
                .then(|| hex::encode(path_bytes(&project))),
            image: id.to_string(),
            updated: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            verified: None,
        };
        julia_env::edit::write_atomic(
            &path,
            &serde_json::to_string_pretty(&entry).unwrap_or_default(),
        )
    }

    /// Records that `sysimg run` found the registration still fresh (best effort: a launcher
    /// that cannot write the index only loses its shortcut).
    pub fn mark_verified(&self, project: &Path, id: &str, stamp: crate::launch::Stamp) {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let entry = EnvUse {
            project: project.display().to_string(),
            project_bytes: project
                .to_str()
                .is_none()
                .then(|| hex::encode(path_bytes(&project))),
            image: id.to_string(),
            updated: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            verified: Some(stamp),
        };
        if let Ok(text) = serde_json::to_string_pretty(&entry) {
            let _ = julia_env::edit::write_atomic(&self.index_path(&project), &text);
        }
    }

    /// The image the store's index says `project` uses.
    pub fn registered(&self, project: &Path) -> Option<EnvUse> {
        let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
        let text = std::fs::read_to_string(self.index_path(&project)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Every index entry whose project file still exists.
    pub fn live_registrations(&self) -> Result<Vec<EnvUse>> {
        let dir = self.root.join("envs");
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

    /// Garbage collection: removes images that no registered environment uses, that nothing
    /// is running (a running image holds a shared lock), and that are older than `keep`.
    /// Leftover temporary build directories nobody is building are removed too.
    pub fn gc(&self, keep: Duration, dry_run: bool) -> Result<Vec<GcDecision>> {
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
            let age = record
                .as_ref()
                .ok()
                .and_then(|r| humantime::parse_rfc3339(&r.created).ok())
                .and_then(|t| now.duration_since(t).ok())
                .unwrap_or(Duration::MAX);
            // What a removal or a refusal to remove would say: damaged records, or unused.
            // (A damaged record has no age: it is never too young to go.)
            let (removed, kept) = match &record {
                Err(e) => (
                    format!("damaged: {e}"),
                    format!("damaged ({e}), but in use"),
                ),
                Ok(_) => ("unused".into(), "in use (running or being built)".into()),
            };
            let (remove, reason) = if used.contains(&id) {
                (false, "used by a registered environment".to_string())
            } else if age < keep {
                (
                    false,
                    format!("younger than {} days", keep.as_secs() / 86_400),
                )
            } else {
                match self.free_to_remove(&id, dry_run)? {
                    false => (false, kept),
                    true => {
                        if !dry_run {
                            self.remove(&id)?;
                        }
                        (true, removed)
                    }
                }
            };
            out.push(GcDecision { id, remove, reason });
        }
        // Directories that belong to no image, each removed unless its id's lock is held:
        // side-loaded sources whose image is gone (a build killed before it landed), and
        // temporary build directories nobody is building.
        let mut abandoned: Vec<(PathBuf, String, String, &str)> = Vec::new();
        let entries = |dir: &Path| std::fs::read_dir(dir).into_iter().flatten().flatten();
        for e in entries(&self.root.join("sideload")) {
            let id = e.file_name().to_string_lossy().into_owned();
            if is_image_id(&id) && !self.image_dir(&id).exists() {
                let label = format!("sideload/{id}");
                let why = "side-loaded sources of an image that is gone";
                abandoned.push((e.path(), id, label, why));
            }
        }
        for e in entries(&self.root) {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_prefix(".tmp-").and_then(|r| r.split('-').next()) {
                let id = id.to_string();
                abandoned.push((e.path(), id, name, "an abandoned build"));
            }
        }
        for (path, id, label, reason) in abandoned {
            let free = match dry_run {
                true => self.free_to_remove(&id, true)?,
                // Removed under the id's lock: nobody starts building it meanwhile.
                false => match self.try_lock_exclusive(&id)? {
                    Some(_lock) => {
                        let _ = std::fs::remove_dir_all(path);
                        true
                    }
                    None => false,
                },
            };
            if free {
                out.push(GcDecision {
                    id: label,
                    remove: true,
                    reason: reason.into(),
                });
            }
        }
        Ok(out)
    }

    /// The record of an image given by full id or by a unique prefix of at least 6 digits.
    pub fn find(&self, id: &str) -> Result<(PathBuf, ImageRecord)> {
        let exact = self.image_dir(id).join(RECORD_FILE);
        if exact.is_file() {
            return Ok((exact.clone(), ImageRecord::read(&exact)?));
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
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(id))
                    && p.join(RECORD_FILE).is_file()
            })
            .collect();
        match matches.len() {
            0 => Err(not_found()),
            1 => {
                let path = matches.remove(0).join(RECORD_FILE);
                Ok((path.clone(), ImageRecord::read(&path)?))
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
