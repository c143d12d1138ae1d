//! The index of environments (`envs/<key>.json`): which image each environment uses, and the
//! stamp of what `sysimg run` last found fresh. Stored here, decided by [`crate::launch`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::model::stamp::{FileStamp, Stamp};

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
