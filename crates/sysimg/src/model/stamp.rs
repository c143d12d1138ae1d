//! What a launcher's fresh verdict depended on: the sizes and modification times of the files
//! it read and the host CPU it saw. The store keeps the stamp beside the environment's
//! registration; while it holds, the launcher need not check again.

use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

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

    /// The stamp of a file as it is now, a missing one included: its absence is stamped
    /// (size `u64::MAX`, time 0), so that the file appearing changes the stamp.
    pub fn of_or_absent(path: &Path) -> FileStamp {
        FileStamp::of(path).unwrap_or_else(|| FileStamp {
            path: path.display().to_string(),
            len: u64::MAX,
            mtime_ns: 0,
        })
    }

    /// Whether the file still has this size and modification time (or is still absent).
    pub fn unchanged(&self) -> bool {
        FileStamp::of_or_absent(Path::new(&self.path)) == *self
    }
}

/// The [`Stamp::covers`] of a stamp that covers every build input a launcher reads: the
/// spec files (present or absent), the precompile and preference files, besides the project,
/// manifest, julia and record. An older stamp does not hold.
pub const STAMP_COVERS_INPUTS: u32 = 2;

/// What a fresh verdict depended on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// What the files cover: [`STAMP_COVERS_INPUTS`] (0 in stamps from before the spec
    /// files were stamped: such a stamp never holds).
    #[serde(default)]
    pub covers: u32,
    /// The project, manifest, julia binary and image record, the spec files, the precompile
    /// and preference files.
    pub files: Vec<FileStamp>,
    /// The host CPU's name and features.
    pub cpu: String,
    /// The host CPU's raw identification ([`crate::cpu::host_fingerprint`]): while it is the
    /// same, so is `cpu`, and the launcher need not decode the CPU at all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_raw: String,
}
