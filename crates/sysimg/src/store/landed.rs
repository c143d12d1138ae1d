//! `landed.json` in an image's directory: when the image landed in this store (a build's or a
//! pull's), and the identity of its image file and record then (size, modification time,
//! inode). While they are unchanged the image is the one that landed; when they move, the
//! image file is hashed against its record before it is trusted again.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The file beside `image.toml` that records the landing.
pub const LANDED_FILE: &str = "landed.json";

/// A file's identity: size, modification time and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
    /// Inode number (0 where there is none).
    pub ino: u64,
}

impl FileId {
    /// The identity of a file as it is now (`None`: missing or not a file).
    pub fn of(path: &Path) -> Option<FileId> {
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let ino = 0;
        Some(FileId {
            len: meta.len(),
            mtime_ns: mtime_ns(&meta)?,
            ino,
        })
    }
}

/// A file's modification time in nanoseconds since the epoch.
pub(super) fn mtime_ns(meta: &std::fs::Metadata) -> Option<u128> {
    Some(
        meta.modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos(),
    )
}

/// The landing of one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landed {
    /// When it landed in this store (RFC 3339): what `gc --keep-days` ages it by.
    pub landed: String,
    /// The image file as it was verified.
    pub image: FileId,
    /// The record as it was verified.
    pub record: FileId,
}

impl Landed {
    /// Reads `landed.json` in `dir`.
    pub fn read(dir: &Path) -> Option<Landed> {
        let text = std::fs::read_to_string(dir.join(LANDED_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes it into `dir` (atomically).
    pub fn write(&self, dir: &Path) -> julia_env::Result<()> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        julia_env::edit::write_atomic(&dir.join(LANDED_FILE), &text)
    }

    /// When it landed.
    pub fn landed_at(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339(&self.landed).ok()
    }
}
