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

    /// Whether the file still has this size and modification time.
    pub fn unchanged(&self) -> bool {
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
