//! Where images live: a content-addressed store, one directory per image id holding the image
//! file and its `image.toml`.

use std::path::{Path, PathBuf};

use julia_env::depot::Depots;
use julia_env::{Error, Location, Result};

use crate::record::{ImageRecord, RECORD_FILE};

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
            Some(s) => Some(Store {
                root: PathBuf::from(s),
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
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
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
