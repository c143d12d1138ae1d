//! The git tree hash of a directory, computed as Pkg's `GitTools.tree_hash` (and git) do.
//!
//! Entries are sorted by name with `/` appended to directories; `.git` is skipped at every
//! level; a directory with no file anywhere below it is left out (git stores no empty trees);
//! modes are 100644, 100755 (owner-execute bit), 120000 (symlink: the hash of its target
//! text) and 40000.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::ids::TreeHash;

/// The hash of a blob with the given content: `SHA1("blob <len>\0" ++ content)`.
pub fn blob_hash(content: &[u8]) -> TreeHash {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    TreeHash(h.finalize().into())
}

/// The git tree hash of `dir`. Errors name the path that could not be read; a special file
/// (FIFO, socket, device) anywhere in the tree is an error, never read.
pub fn tree_hash(dir: &Path) -> io::Result<TreeHash> {
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a directory", dir.display()),
            ))
        }
        Err(e) => return Err(with_path(dir, e)),
        Ok(_) => {}
    }
    let mut buf = vec![0u8; 1 << 16];
    match hash_dir(dir, &mut buf)? {
        Some(h) => Ok(h),
        None => Ok(empty_tree()),
    }
}

/// The hash of the empty tree (`4b825dc6...`), what an empty directory hashes to on its own.
pub fn empty_tree() -> TreeHash {
    let digest = Sha1::digest(b"tree 0\0");
    TreeHash(digest.into())
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// `None` when the directory holds no file at any depth.
fn hash_dir(dir: &Path, buf: &mut [u8]) -> io::Result<Option<TreeHash>> {
    struct Entry {
        sort_key: Vec<u8>,
        name: Vec<u8>,
        mode: &'static str,
        hash: TreeHash,
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| with_path(dir, e))? {
        let entry = entry.map_err(|e| with_path(dir, e))?;
        let name = name_bytes(&entry.file_name());
        if name == b".git" {
            continue;
        }
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| with_path(&path, e))?;
        let ft = meta.file_type();
        let (mode, hash, is_dir) = if ft.is_symlink() {
            let target = fs::read_link(&path).map_err(|e| with_path(&path, e))?;
            ("120000", blob_hash(&name_bytes(target.as_os_str())), false)
        } else if ft.is_dir() {
            match hash_dir(&path, buf)? {
                Some(h) => ("40000", h, true),
                None => continue,
            }
        } else if !ft.is_file() {
            // A FIFO, socket or device: reading it could block forever, and git stores none.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: a special file (FIFO, socket or device), which no package tree holds",
                    path.display()
                ),
            ));
        } else {
            let mode = if is_executable(&meta) {
                "100755"
            } else {
                "100644"
            };
            (mode, hash_file(&path, meta.len(), buf)?, false)
        };
        let mut sort_key = name.clone();
        if is_dir {
            sort_key.push(b'/');
        }
        entries.push(Entry {
            sort_key,
            name,
            mode,
            hash,
        });
    }
    if entries.is_empty() {
        return Ok(None);
    }
    entries.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    let mut body = Vec::with_capacity(entries.len() * 40);
    for e in &entries {
        body.extend_from_slice(e.mode.as_bytes());
        body.push(b' ');
        body.extend_from_slice(&e.name);
        body.push(0);
        body.extend_from_slice(e.hash.bytes());
    }
    let mut h = Sha1::new();
    h.update(format!("tree {}\0", body.len()).as_bytes());
    h.update(&body);
    Ok(Some(TreeHash(h.finalize().into())))
}

fn hash_file(path: &Path, len: u64, buf: &mut [u8]) -> io::Result<TreeHash> {
    let mut file = fs::File::open(path).map_err(|e| with_path(path, e))?;
    let mut h = Sha1::new();
    h.update(format!("blob {len}\0").as_bytes());
    let mut total = 0u64;
    loop {
        let n = file.read(buf).map_err(|e| with_path(path, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    if total != len {
        return Err(io::Error::other(format!(
            "{}: file changed while hashing",
            path.display()
        )));
    }
    Ok(TreeHash(h.finalize().into()))
}

/// An in-memory file for [`tree_hash_of_files`].
pub struct MemFile<'a> {
    /// Its path, `/`-separated, relative to the tree's root.
    pub path: &'a str,
    /// Its mode: `100644`, `100755` or `120000` (then `content` is the link target).
    pub mode: &'static str,
    /// Its content.
    pub content: &'a [u8],
}

/// The git tree hash of files held in memory (a registry tarball's contents), with the same
/// rules as [`tree_hash`]: directories that hold no file are left out.
pub fn tree_hash_of_files<'a>(files: impl IntoIterator<Item = MemFile<'a>>) -> TreeHash {
    #[derive(Default)]
    struct Dir<'a> {
        dirs: std::collections::BTreeMap<&'a str, Dir<'a>>,
        files: Vec<(&'a str, &'static str, TreeHash)>,
    }
    fn hash(dir: &Dir<'_>) -> Option<TreeHash> {
        let mut entries: Vec<(Vec<u8>, &str, &'static str, TreeHash)> = Vec::new();
        for (name, sub) in &dir.dirs {
            if let Some(h) = hash(sub) {
                entries.push((format!("{name}/").into_bytes(), name, "40000", h));
            }
        }
        for (name, mode, h) in &dir.files {
            entries.push((name.as_bytes().to_vec(), name, mode, *h));
        }
        if entries.is_empty() {
            return None;
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut body = Vec::new();
        for (_, name, mode, h) in &entries {
            body.extend_from_slice(mode.as_bytes());
            body.push(b' ');
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(h.bytes());
        }
        let mut s = Sha1::new();
        s.update(format!("tree {}\0", body.len()).as_bytes());
        s.update(&body);
        Some(TreeHash(s.finalize().into()))
    }
    let mut root = Dir::default();
    for f in files {
        let mut parts: Vec<&str> = f
            .path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some(name) = parts.pop() else { continue };
        if name == ".git" || parts.contains(&".git") {
            continue;
        }
        let mut dir = &mut root;
        for p in parts {
            dir = dir.dirs.entry(p).or_default();
        }
        dir.files.push((name, f.mode, blob_hash(f.content)));
    }
    hash(&root).unwrap_or_else(empty_tree)
}

#[cfg(unix)]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    name.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_and_empty_tree_hashes_are_gits() {
        assert_eq!(
            blob_hash(b"").to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            blob_hash(b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            empty_tree().to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn git_dirs_and_empty_dirs_are_skipped() {
        let a = tempfile::tempdir().unwrap();
        fs::write(a.path().join("f"), "x").unwrap();
        let before = tree_hash(a.path()).unwrap();
        fs::create_dir_all(a.path().join(".git/objects")).unwrap();
        fs::write(a.path().join(".git/HEAD"), "ref").unwrap();
        fs::create_dir_all(a.path().join("empty/deeper")).unwrap();
        assert_eq!(tree_hash(a.path()).unwrap(), before);
    }
}
