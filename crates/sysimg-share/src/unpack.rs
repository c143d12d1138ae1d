//! Unpacking the side-loaded sources' tar of a pulled image: plain files and directories only.
//!
//! `tar::Archive::unpack` keeps symlinks, hard links, device files and the modes the archive
//! gives (0777, setuid), and a link can point a later entry outside the target. A tar from a
//! registry is input: here every entry must be a regular file or a directory at a relative
//! path of plain components (no `..`, no root, no prefix), each path once; files get mode 0644
//! (0755 when any execute bit was set), directories 0755.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use julia_env::Error;

/// Why a tar could not be unpacked.
#[derive(Debug)]
pub(crate) enum UnpackError {
    /// The archive holds something refused (the text says what, naming the entry).
    Refused(String),
    /// A file could not be read or written.
    File(Error),
}

impl From<Error> for UnpackError {
    fn from(e: Error) -> UnpackError {
        UnpackError::File(e)
    }
}

/// Unpacks the tar `archive` into the existing, empty directory `into`.
pub(crate) fn unpack(archive: &Path, into: &Path) -> Result<(), UnpackError> {
    let file = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut tar = tar::Archive::new(file);
    let broken = |e: std::io::Error| UnpackError::Refused(format!("are not a readable tar ({e})"));
    for entry in tar.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let raw = entry.path().map_err(broken)?.into_owned();
        let shown = crate::clean(&raw.to_string_lossy(), &[]);
        let rel = relative(&raw).ok_or_else(|| {
            UnpackError::Refused(format!("hold a path `{shown}` outside their directory"))
        })?;
        let dest = into.join(&rel);
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().unwrap_or(0o644);
        if kind.is_dir() {
            if rel.as_os_str().is_empty() {
                continue; // `./`
            }
            match std::fs::create_dir(&dest) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dest.is_dir() => {}
                Err(e) => return Err(Error::io(&dest, e).into()),
            }
            set_mode(&dest, 0o755)?;
        } else if kind.is_file() {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            // `create_new`: an entry never replaces (or writes through) what is there.
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dest)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => {
                        UnpackError::Refused(format!("hold `{shown}` twice"))
                    }
                    _ => Error::io(&dest, e).into(),
                })?;
            std::io::copy(&mut (&mut entry).take(u64::MAX), &mut out).map_err(broken)?;
            set_mode(&dest, if mode & 0o111 != 0 { 0o755 } else { 0o644 })?;
        } else {
            let what = if kind.is_symlink() {
                "a symbolic link"
            } else if kind.is_hard_link() {
                "a hard link"
            } else if kind.is_character_special() || kind.is_block_special() {
                "a device file"
            } else if kind.is_fifo() {
                "a FIFO"
            } else {
                "an entry that is neither a file nor a directory"
            };
            return Err(UnpackError::Refused(format!("hold {what}, `{shown}`")));
        }
    }
    Ok(())
}

/// `path` as plain components (`.` dropped), or `None` when it is absolute or has `..`.
fn relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> tempfile::NamedTempFile {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        let bytes = b.into_inner().unwrap();
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        f
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h
    }

    fn refused(f: &tempfile::NamedTempFile) -> String {
        let out = tempfile::tempdir().unwrap();
        match unpack(f.path(), out.path()) {
            Err(UnpackError::Refused(why)) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn plain_files_with_fixed_modes() {
        let f = tar_with(|b| {
            b.append_data(
                &mut header(tar::EntryType::Directory, 0o777, 0),
                "A/",
                &[][..],
            )
            .unwrap();
            b.append_data(
                &mut header(tar::EntryType::Regular, 0o4777, 2),
                "A/run",
                &b"hi"[..],
            )
            .unwrap();
            b.append_data(
                &mut header(tar::EntryType::Regular, 0o666, 1),
                "A/x.jl",
                &b"x"[..],
            )
            .unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        unpack(f.path(), out.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(out.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(
            (mode("A"), mode("A/run"), mode("A/x.jl")),
            (0o755, 0o755, 0o644)
        );
    }

    #[test]
    fn links_devices_and_escapes_are_refused() {
        let f = tar_with(|b| {
            let mut h = header(tar::EntryType::Symlink, 0o777, 0);
            b.append_link(&mut h, "A/link", "/etc").unwrap();
        });
        assert_eq!(refused(&f), "hold a symbolic link, `A/link`");
        let f = tar_with(|b| {
            let mut h = header(tar::EntryType::Link, 0o644, 0);
            b.append_link(&mut h, "A/hard", "/etc/passwd").unwrap();
        });
        assert_eq!(refused(&f), "hold a hard link, `A/hard`");
        let f = tar_with(|b| {
            b.append_data(
                &mut header(tar::EntryType::Char, 0o644, 0),
                "A/dev",
                &[][..],
            )
            .unwrap();
        });
        assert_eq!(refused(&f), "hold a device file, `A/dev`");
        // `tar::Builder` refuses to write these: the name is set in the header's bytes.
        for name in ["../x.jl", "/tmp/x"] {
            let f = tar_with(|b| {
                let mut h = header(tar::EntryType::Regular, 0o644, 1);
                h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
                h.set_cksum();
                b.append(&h, &b"x"[..]).unwrap();
            });
            assert_eq!(
                refused(&f),
                format!("hold a path `{name}` outside their directory")
            );
        }
    }
}
