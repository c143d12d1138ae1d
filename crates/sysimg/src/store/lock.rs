//! The store's locks: `flock`s on files under `locks/`, named by typed [`LockName`]s. An
//! exclusive holder writes its pid and command line into the file, so whoever waits can say
//! for whom; the processes that hold the file open (julia's children inherit a build's lock)
//! are found under `/proc` on Linux.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Which lock: the only names a lock file under `locks/` can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockName<'a> {
    /// An image id's: shared while running, exclusive while building, pulling, removing.
    Image(&'a str),
    /// The tools environment in `tools/<name>/`.
    Tools(&'a str),
    /// The background build of the environment with this key.
    Background(&'a str),
    /// The index entry of the environment with this key: held while the entry is read and
    /// written again, so that concurrent updates never lose each other's writes.
    Entry(&'a str),
}

impl<'a> LockName<'a> {
    /// The lock a file in `locks/` is, from its name; `None` for a name no lock has.
    pub(crate) fn parse(file_name: &'a str) -> Option<LockName<'a>> {
        let stem = file_name.strip_suffix(".lock")?;
        let named = |prefix: &str| stem.strip_prefix(prefix).filter(|rest| !rest.is_empty());
        if let Some(name) = named("tools-") {
            Some(LockName::Tools(name))
        } else if let Some(key) = named("background-") {
            Some(LockName::Background(key))
        } else if let Some(key) = named("env-") {
            Some(LockName::Entry(key))
        } else {
            super::is_image_id(stem).then_some(LockName::Image(stem))
        }
    }

    /// The lock file's name in `locks/`.
    pub(crate) fn file_name(self) -> String {
        match self {
            LockName::Image(id) => format!("{id}.lock"),
            LockName::Tools(name) => format!("tools-{name}.lock"),
            LockName::Background(key) => format!("background-{key}.lock"),
            LockName::Entry(key) => format!("env-{key}.lock"),
        }
    }
}

/// A held lock on an image id: exclusive while building or removing, shared while running.
/// Released when dropped. Only [`super::Store`]'s image-lock methods make one, so holding one
/// proves which id is locked.
#[derive(Debug)]
pub struct IdLock {
    pub(super) file: File,
    pub(super) id: String,
}

/// A held lock that is not an image id's (a tools environment's, a background build's).
#[derive(Debug)]
pub struct StoreLock {
    #[allow(dead_code)] // held for its flock, released when dropped
    pub(super) file: File,
}

/// Clears `FD_CLOEXEC` on a descriptor.
#[cfg(unix)]
fn inheritable(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor the caller owns; clearing FD_CLOEXEC has no memory effects.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl IdLock {
    /// The image id locked.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lets every process started from now on inherit the lock, while this one keeps it: a
    /// build's julia and whatever it starts hold the lock as long as any of them runs, so
    /// `gc` never removes a build directory that an orphaned julia is still writing.
    #[cfg(unix)]
    pub fn share_with_children(&self) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        inheritable(self.file.as_raw_fd())
    }

    /// Lets the lock outlive an `exec`: the process that replaces this one (julia, under
    /// `sysimg run`) keeps holding it until it exits.
    #[cfg(unix)]
    pub fn keep_across_exec(self) -> std::io::Result<()> {
        use std::os::fd::IntoRawFd;
        inheritable(self.file.into_raw_fd())
    }
}

/// Who holds a lock, as far as can be found: what the exclusive holder recorded, and the
/// processes that have the lock file open now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockHolder {
    /// The lock file.
    pub file: PathBuf,
    /// The pid and command line the last exclusive holder recorded, and whether it still runs.
    pub recorded: Option<(u32, String, bool)>,
    /// Processes other than this one that have the lock file open (Linux), with their
    /// command lines.
    pub open_by: Vec<(u32, String)>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some((pid, cmd, alive)) = &self.recorded {
            let state = if *alive { "" } else { ", no longer running" };
            parts.push(format!("taken by pid {pid} (`{cmd}`{state})"));
        }
        if !self.open_by.is_empty() {
            let list: Vec<String> = self
                .open_by
                .iter()
                .map(|(pid, cmd)| format!("pid {pid} (`{cmd}`)"))
                .collect();
            parts.push(format!("held open by {}", list.join(", ")));
        }
        if parts.is_empty() {
            parts.push("held by a process that could not be identified".into());
        }
        write!(f, "{}; lock file {}", parts.join("; "), self.file.display())
    }
}

/// This process's command line, space-separated (for the lock file).
fn own_command() -> String {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Records this process as the exclusive holder (best effort: a read-only store's lock file
/// may not be writable).
pub(super) fn record_holder(file: &mut File) {
    let text = format!("{}\n{}\n", std::process::id(), own_command());
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(text.as_bytes()));
}

/// A process's command line from `/proc` (Linux), arguments joined by spaces.
fn command_of(pid: u32) -> Option<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = bytes
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    (!args.is_empty()).then(|| args.join(" "))
}

fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(") ").next().is_some_and(|r| r.starts_with('Z')));
    exists && !zombie
}

/// The processes other than this one with `path` open (Linux: `/proc/<pid>/fd/*`).
fn processes_with_open(path: &Path) -> Vec<(u32, String)> {
    let Ok(target) = std::fs::canonicalize(path) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        {
            found.push((pid, command_of(pid).unwrap_or_default()));
        }
    }
    found.sort();
    found
}

/// Who holds the lock in `file` (at `path`).
pub(super) fn holder(file: &mut File, path: &Path) -> LockHolder {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let mut lines = text.lines();
    let recorded = lines
        .next()
        .and_then(|l| l.trim().parse::<u32>().ok())
        .map(|pid| {
            let cmd = lines.next().unwrap_or_default().to_string();
            (pid, cmd, alive(pid))
        });
    LockHolder {
        file: path.to_path_buf(),
        recorded,
        open_by: processes_with_open(path),
    }
}
