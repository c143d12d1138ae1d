//! The index of environments (`envs/<key>.json`): which image each environment uses, and the
//! stamp of what `sysimg run` last found fresh. Stored here, decided by [`crate::launch`].

use std::path::{Path, PathBuf};

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
            mtime_ns: super::landed::mtime_ns(&meta)?,
        })
    }

    /// Whether the file is as stamped.
    pub fn unchanged(&self) -> bool {
        FileStamp::of(Path::new(&self.path)).as_ref() == Some(self)
    }
}

/// What a fresh verdict of `sysimg run` depended on.
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

/// An environment that uses an image, as the store's index records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub verified: Option<Stamp>,
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
