//! In-place edits of Project.toml and Manifest.toml that keep the user's comments, order and
//! layout (`toml_edit`), put new keys where Pkg would write them, and write atomically.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Key, Table, Value};

use crate::error::{Error, Location, Result};
use crate::ids::{TreeHash, Uuid};

/// Writes `contents` to `path` atomically: a temporary file in the same directory, synced,
/// then renamed over it. A symbolic link is written through (its target is replaced, the link
/// stays), and a file that exists keeps its form: CRLF line endings and a UTF-8 byte-order
/// mark stay as they were.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?
    } else {
        path.to_path_buf()
    };
    let contents = match std::fs::read(&target) {
        Ok(original) => in_the_form_of(contents, &original),
        Err(_) => contents.to_string(),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".sysimg-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, e))?;
    tmp.write_all(contents.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    if let Ok(meta) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(&target).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

const BOM: &str = "\u{feff}";

/// `text` with the line endings and byte-order mark of `original`: each line `text` keeps
/// from `original` (matched by a line diff) keeps its own ending, a new line takes the
/// ending most of `original`'s lines have (LF on a tie), and when `original` does not end
/// with a line ending, neither does the result.
pub fn in_the_form_of(text: &str, original: &[u8]) -> String {
    let bom = original.starts_with(BOM.as_bytes());
    let original = String::from_utf8_lossy(original);
    let original = original.strip_prefix(BOM).unwrap_or(&original);
    let plain = text.strip_prefix(BOM).unwrap_or(text).replace("\r\n", "\n");
    let prefix = if bom { BOM } else { "" };
    if !original.contains('\r') && (original.is_empty() || original.ends_with('\n')) {
        return format!("{prefix}{plain}"); // every line LF, as Pkg writes: nothing to match
    }
    let old = lines_with_endings(original);
    let new = lines_with_endings(&plain);
    let crlf = old.iter().filter(|(_, e)| *e == "\r\n").count();
    let lf = old.iter().filter(|(_, e)| *e == "\n").count();
    let dominant = if crlf > lf { "\r\n" } else { "\n" };
    let old_lines: Vec<&str> = old.iter().map(|(l, _)| *l).collect();
    let new_lines: Vec<&str> = new.iter().map(|(l, _)| *l).collect();
    // Each new line's ending in the original, where the diff keeps the line.
    let mut kept: Vec<Option<&str>> = vec![None; new.len()];
    // A deadline bounds a huge rewrite (the diff is then coarser: more lines count as new).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    for op in ops {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                kept[new_index + k] = Some(old[old_index + k].1).filter(|e| !e.is_empty());
            }
        }
    }
    let mut body = String::with_capacity(plain.len() + plain.len() / 16);
    body.push_str(prefix);
    let last = new.len().saturating_sub(1);
    for (i, ((line, ending), kept)) in new.iter().zip(kept).enumerate() {
        body.push_str(line);
        if ending.is_empty() {
            continue;
        }
        let unterminated = !original.is_empty() && !original.ends_with('\n');
        if i == last && unterminated {
            continue; // the original's last line had no ending: this one neither
        }
        body.push_str(kept.unwrap_or(dominant));
    }
    body
}

/// The lines of `text` with their endings (`"\r\n"`, `"\n"`, or `""` for a last line
/// without one).
fn lines_with_endings(text: &str) -> Vec<(&str, &str)> {
    text.split_inclusive('\n')
        .map(|l| match l.strip_suffix("\r\n") {
            Some(body) => (body, "\r\n"),
            None => match l.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (l, ""),
            },
        })
        .collect()
}

/// An exclusive lock on an environment's directory, held while its Project.toml and
/// Manifest.toml are read and rewritten, so that two concurrent edits (two `sysimg pin`
/// runs) cannot lose one another's changes. The lock is `flock(2)` on the directory itself: no
/// file is added to the user's project. When the environment's files are symbolic links, the
/// directories of their targets are locked too (canonical paths, in sorted order, so two
/// environments sharing files through links exclude each other and never deadlock): edits
/// write the targets. Taking it also removes the temporary files of an earlier edit that was
/// killed between writing and renaming (`.sysimg-*` in each locked directory: nobody else
/// writes those while the lock is held). Released when dropped.
#[derive(Debug)]
pub struct EnvironmentLock {
    _dirs: Vec<std::fs::File>,
}

impl EnvironmentLock {
    /// Waits for and takes the lock of the environment in `dir`.
    pub fn acquire(dir: &Path) -> Result<EnvironmentLock> {
        let mut dirs = BTreeSet::new();
        dirs.insert(std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?);
        // The `.toml` files that are links (Project, Manifest, versioned manifests...).
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let linked = entry.file_type().is_ok_and(|t| t.is_symlink())
                && entry.file_name().to_string_lossy().ends_with(".toml");
            if let Some(parent) = linked
                .then(|| std::fs::canonicalize(entry.path()).ok())
                .flatten()
                .and_then(|target| target.parent().map(Path::to_path_buf))
            {
                dirs.insert(parent);
            }
        }
        let mut handles = Vec::with_capacity(dirs.len());
        for d in &dirs {
            let handle = std::fs::File::open(d).map_err(|e| Error::io(d, e))?;
            fs4::fs_std::FileExt::lock_exclusive(&handle).map_err(|e| Error::io(d, e))?;
            remove_stale_temporaries(d);
            handles.push(handle);
        }
        Ok(EnvironmentLock { _dirs: handles })
    }
}

/// Removes the `.sysimg-*` temporary files an interrupted edit left in `dir`.
fn remove_stale_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(".sysimg-")
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn parse_doc(path: &Path, what: &str) -> Result<DocumentMut> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    // Go through the located parser first so that a syntax error names line and column.
    crate::toml_source::TomlSource::parse(path, text.clone(), what)?;
    text.parse::<DocumentMut>().map_err(|e| {
        Error::invalid(
            Location::file(path),
            format!("Could not parse {what}: {}", e.message()),
        )
    })
}

/// Inserts `key = item` into `table` before the first plain value whose key sorts after it,
/// so that a Pkg-ordered table stays Pkg-ordered; replaces the value if the key exists.
fn insert_sorted(table: &mut Table, key: &str, item: Item, order: impl Fn(&str, &str) -> Ordering) {
    if let Some(existing) = table.get_mut(key) {
        // The value changes; the comment after it (`C = "1"  # why`) stays.
        let decor = existing.as_value().map(|v| v.decor().clone());
        *existing = item;
        if let (Some(decor), Some(v)) = (decor, existing.as_value_mut()) {
            *v.decor_mut() = decor;
        }
        return;
    }
    let keys: Vec<(Key, Item)> = table
        .iter()
        .map(|(k, _)| k.to_string())
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|k| {
            let (key, _) = table.get_key_value(&k)?;
            let key = key.clone();
            let item = table.remove(&k)?;
            Some((key, item))
        })
        .collect();
    let mut inserted = false;
    for (k, v) in keys {
        if !inserted && v.is_value() && order(k.get(), key) == Ordering::Greater {
            table.insert(key, item.clone());
            inserted = true;
        }
        table.insert_formatted(&k, v);
    }
    if !inserted {
        table.insert(key, item);
    }
}

/// Keeps the keys of a table (standard or inline) for which `keep` says so, in one pass.
fn retain_keys(item: Option<&mut Item>, mut keep: impl FnMut(&str) -> bool) {
    match item {
        Some(Item::Table(t)) => t.retain(|k, _| keep(k)),
        Some(Item::Value(Value::InlineTable(t))) => t.retain(|k, _| keep(k)),
        _ => {}
    }
}

fn bytes(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// A Manifest.toml opened for editing.
pub struct ManifestEditor {
    path: PathBuf,
    doc: DocumentMut,
}

impl ManifestEditor {
    /// Opens a manifest for editing.
    pub fn open(path: &Path) -> Result<ManifestEditor> {
        Ok(ManifestEditor {
            path: path.to_path_buf(),
            doc: parse_doc(path, "manifest")?,
        })
    }

    fn deps_root(&mut self) -> &mut Table {
        if self.doc.contains_key("manifest_format") {
            match self.doc.get_mut("deps").and_then(Item::as_table_mut) {
                Some(_) => self.doc["deps"].as_table_mut().expect("checked"),
                None => self.doc.as_table_mut(),
            }
        } else {
            self.doc.as_table_mut()
        }
    }

    fn entry_mut(&mut self, uuid: &Uuid) -> Option<&mut Table> {
        let want = uuid.to_string();
        let root = self.deps_root();
        for (_, item) in root.iter_mut() {
            if let Some(arr) = item.as_array_of_tables_mut() {
                for t in arr.iter_mut() {
                    if t.get("uuid")
                        .and_then(Item::as_str)
                        .is_some_and(|u| u.eq_ignore_ascii_case(&want))
                    {
                        return Some(t);
                    }
                }
            }
        }
        None
    }

    /// Sets or clears `pinned` on the entry with `uuid` (Pkg writes it only when true).
    /// Returns whether the entry exists.
    pub fn set_pinned(&mut self, uuid: &Uuid, pinned: bool) -> bool {
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        if pinned {
            insert_sorted(t, "pinned", toml_edit::value(true), bytes);
        } else {
            t.remove("pinned");
        }
        true
    }

    /// Gives the entry with `uuid` another UUID (side-loading), and points every table-form
    /// `deps`/`weakdeps` reference to it at the new UUID. Returns whether the entry exists.
    pub fn change_uuid(&mut self, uuid: &Uuid, new: &Uuid) -> bool {
        let (old_s, new_s) = (uuid.to_string(), new.to_string());
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        t.insert("uuid", toml_edit::value(new_s.clone()));
        let root = self.deps_root();
        for (_, item) in root.iter_mut() {
            let Some(arr) = item.as_array_of_tables_mut() else {
                continue;
            };
            for entry in arr.iter_mut() {
                for key in ["deps", "weakdeps"] {
                    let Some(deps) = entry.get_mut(key).and_then(Item::as_table_like_mut) else {
                        continue;
                    };
                    for (_, v) in deps.iter_mut() {
                        if v.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&old_s)) {
                            *v = toml_edit::value(new_s.clone());
                        }
                    }
                }
            }
        }
        true
    }

    /// Makes the entry with `uuid` path-tracked at `path` (no tree hash, no repo).
    pub fn track_path(&mut self, uuid: &Uuid, path: &str) -> bool {
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        for key in ["git-tree-sha1", "repo-url", "repo-rev", "repo-subdir"] {
            t.remove(key);
        }
        insert_sorted(t, "path", toml_edit::value(path), bytes);
        true
    }

    /// Sets the `path` of the entry with `uuid` (a `dev`ed package).
    pub fn set_path(&mut self, uuid: &Uuid, path: &str) -> bool {
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        insert_sorted(t, "path", toml_edit::value(path), bytes);
        true
    }

    /// Sets `version` and `git-tree-sha1` of the entry with `uuid`.
    pub fn set_version(
        &mut self,
        uuid: &Uuid,
        version: &str,
        tree_hash: Option<&TreeHash>,
    ) -> bool {
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        insert_sorted(t, "version", toml_edit::value(version), bytes);
        if let Some(h) = tree_hash {
            insert_sorted(t, "git-tree-sha1", toml_edit::value(h.to_string()), bytes);
        }
        true
    }

    /// Removes every entry whose UUID is in `uuids`; returns how many were removed.
    pub fn remove_entries(&mut self, uuids: &BTreeSet<Uuid>) -> usize {
        let wanted: BTreeSet<String> = uuids.iter().map(ToString::to_string).collect();
        let root = self.deps_root();
        let mut removed = 0;
        let mut empty = Vec::new();
        for (name, item) in root.iter_mut() {
            if let Some(arr) = item.as_array_of_tables_mut() {
                let before = arr.len();
                arr.retain(|t| {
                    !t.get("uuid")
                        .and_then(Item::as_str)
                        .is_some_and(|u| wanted.contains(&u.to_ascii_lowercase()))
                });
                removed += before - arr.len();
                if arr.is_empty() {
                    empty.push(name.to_string());
                }
            }
        }
        let empty: BTreeSet<String> = empty.into_iter().collect();
        root.retain(|name, _| !empty.contains(name));
        removed
    }

    /// Rewrites list-form `weakdeps` that name a package the manifest no longer has into the
    /// `name = "uuid"` table form, as Pkg writes them (a list naming an absent package is
    /// invalid). `uuids` maps each weak dependency name of the entry to its UUID.
    pub fn weakdeps_as_table(&mut self, uuid: &Uuid, uuids: &[(String, Uuid)]) -> bool {
        let Some(t) = self.entry_mut(uuid) else {
            return false;
        };
        if !t.get("weakdeps").is_some_and(Item::is_array) {
            return false;
        }
        t.remove("weakdeps");
        let mut table = Table::new();
        table.decor_mut().set_prefix("\n    ");
        let mut sorted: Vec<&(String, Uuid)> = uuids.iter().collect();
        sorted.sort_by(|a, b| bytes(&a.0, &b.0));
        for (name, u) in sorted {
            table.insert(name, toml_edit::value(u.to_string()));
            if let Some(mut key) = table.key_mut(name) {
                key.leaf_decor_mut().set_prefix("    ");
            }
        }
        t.insert("weakdeps", Item::Table(table));
        true
    }

    /// Sets the top-level `project_hash`.
    pub fn set_project_hash(&mut self, hash: &TreeHash) {
        insert_sorted(
            self.doc.as_table_mut(),
            "project_hash",
            toml_edit::value(hash.to_string()),
            bytes,
        );
    }

    /// The edited text.
    pub fn contents(&self) -> String {
        self.doc.to_string()
    }

    /// Writes the edited manifest back atomically.
    pub fn write(&self) -> Result<()> {
        write_atomic(&self.path, &self.contents())
    }
}

/// Pkg's rank of a top-level Project.toml key (the newest Pkg's order).
fn project_table_rank(key: &str) -> usize {
    let ranks = crate::project::project_key_ranks(crate::flavor::PkgFlavor::LATEST);
    ranks.iter().position(|k| *k == key).unwrap_or(ranks.len())
}

/// A Project.toml opened for editing.
pub struct ProjectEditor {
    path: PathBuf,
    doc: DocumentMut,
}

impl ProjectEditor {
    /// Opens a project file for editing.
    pub fn open(path: &Path) -> Result<ProjectEditor> {
        Ok(ProjectEditor {
            path: path.to_path_buf(),
            doc: parse_doc(path, "project")?,
        })
    }

    /// Removes a dependency from `[deps]` (and `[weakdeps]`), its `[compat]` and `[sources]`
    /// entries, and from the lists of `[targets]` and `[extensions]` that name it (an
    /// extension left with no trigger goes), so Pkg still accepts the project. Empty tables
    /// are dropped, as Pkg drops them. Returns whether anything was removed.
    pub fn remove_dep(&mut self, name: &str) -> bool {
        !self.remove_deps(&[name.to_string()].into()).is_empty()
    }

    /// [`ProjectEditor::remove_dep`] for many names in one pass over each section (removing
    /// them one at a time costs the table's length per name). Returns the names whose
    /// removal changed something.
    pub fn remove_deps(&mut self, names: &BTreeSet<String>) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        let drop_section = |doc: &mut DocumentMut, section: &str| {
            if doc
                .get(section)
                .and_then(Item::as_table_like)
                .is_some_and(|t| t.is_empty())
            {
                doc.remove(section);
            }
        };
        for section in ["deps", "weakdeps", "compat", "sources"] {
            retain_keys(self.doc.get_mut(section), |k| {
                let gone = names.contains(k);
                if gone {
                    changed.insert(k.to_string());
                }
                !gone
            });
            drop_section(&mut self.doc, section);
        }
        // An extras entry of a removed name stays (a test-only dependency), and so do
        // targets naming it then.
        let extras: BTreeSet<String> = self
            .doc
            .get("extras")
            .and_then(Item::as_table_like)
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        for section in ["targets", "extensions"] {
            let Some(t) = self.doc.get_mut(section).and_then(Item::as_table_like_mut) else {
                continue;
            };
            let gone = |n: &str| names.contains(n) && (section != "targets" || !extras.contains(n));
            let mut emptied = BTreeSet::new();
            for (key, item) in t.iter_mut() {
                match item.as_value_mut() {
                    Some(Value::Array(list)) => {
                        list.retain(|v| match v.as_str() {
                            Some(n) if gone(n) => {
                                changed.insert(n.to_string());
                                false
                            }
                            _ => true,
                        });
                        if list.is_empty() && section == "extensions" {
                            emptied.insert(key.get().to_string());
                        }
                    }
                    Some(Value::String(s)) if section == "extensions" && gone(s.value()) => {
                        changed.insert(s.value().to_string());
                        emptied.insert(key.get().to_string());
                    }
                    _ => {}
                }
            }
            retain_keys(self.doc.get_mut(section), |k| !emptied.contains(k));
            drop_section(&mut self.doc, section);
        }
        changed
    }

    /// Makes the project's relative paths absolute against `base` (its original directory),
    /// for a copy that lives elsewhere: `[sources]` entries' `path`, and `[workspace]`
    /// `projects`. Returns whether anything changed.
    pub fn absolutize_paths(&mut self, base: &Path) -> bool {
        let abs = |p: &str| -> Option<String> {
            let path = Path::new(p);
            (!path.is_absolute()).then(|| {
                crate::depot::normalize(&base.join(path))
                    .to_string_lossy()
                    .into_owned()
            })
        };
        let mut changed = false;
        if let Some(sources) = self
            .doc
            .get_mut("sources")
            .and_then(Item::as_table_like_mut)
        {
            for (_, entry) in sources.iter_mut() {
                let Some(t) = entry.as_table_like_mut() else {
                    continue;
                };
                let Some(new) = t.get("path").and_then(Item::as_str).and_then(abs) else {
                    continue;
                };
                if let Some(v) = t.get_mut("path") {
                    *v = toml_edit::value(new);
                    changed = true;
                }
            }
        }
        if let Some(projects) = self
            .doc
            .get_mut("workspace")
            .and_then(Item::as_table_like_mut)
            .and_then(|w| w.get_mut("projects"))
            .and_then(Item::as_array_mut)
        {
            for v in projects.iter_mut() {
                if let Some(new) = v.as_str().and_then(abs) {
                    *v = new.into();
                    changed = true;
                }
            }
        }
        changed
    }

    /// Points every `[deps]`/`[weakdeps]`/`[extras]` entry with UUID `old` at `new`, and the
    /// project's own `uuid` too when it is `old`. Returns whether anything changed.
    pub fn change_uuid(&mut self, old: &Uuid, new: &Uuid) -> bool {
        let (old_s, new_s) = (old.to_string(), new.to_string());
        let mut changed = false;
        if self
            .doc
            .get("uuid")
            .and_then(Item::as_str)
            .is_some_and(|u| u.eq_ignore_ascii_case(&old_s))
        {
            self.doc["uuid"] = toml_edit::value(new_s.clone());
            changed = true;
        }
        for section in ["deps", "weakdeps", "extras"] {
            let Some(t) = self.doc.get_mut(section).and_then(Item::as_table_like_mut) else {
                continue;
            };
            for (_, v) in t.iter_mut() {
                if v.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&old_s)) {
                    *v = toml_edit::value(new_s.clone());
                    changed = true;
                }
            }
        }
        changed
    }

    /// Sets `[compat] name = spec`, creating the table where Pkg would put it.
    pub fn set_compat(&mut self, name: &str, spec: &str) {
        if !self.doc.contains_key("compat") {
            let mut t = Table::new();
            // Place it before the first table Pkg writes after [compat].
            let later = self
                .doc
                .iter()
                .filter(|(k, v)| {
                    v.is_table() && project_table_rank(k) > project_table_rank("compat")
                })
                .filter_map(|(_, v)| v.as_table().and_then(Table::position))
                .min();
            if let Some(pos) = later {
                for (_, v) in self.doc.iter_mut() {
                    if let Some(t) = v.as_table_mut() {
                        if let Some(p) = t.position().filter(|p| *p >= pos) {
                            t.set_position(Some(p + 1));
                        }
                    }
                }
                t.set_position(Some(pos));
            }
            self.doc.insert("compat", Item::Table(t));
        }
        if let Some(t) = self.doc["compat"].as_table_mut() {
            insert_sorted(t, name, Item::Value(Value::from(spec)), bytes);
        } else if let Some(t) = self.doc["compat"].as_inline_table_mut() {
            let decor = t.get(name).map(|v| v.decor().clone());
            let mut value = Value::from(spec);
            if let Some(decor) = decor {
                *value.decor_mut() = decor;
            }
            t.insert(name, value);
        }
    }

    /// The edited text.
    pub fn contents(&self) -> String {
        self.doc.to_string()
    }

    /// Writes the edited project back atomically.
    pub fn write(&self) -> Result<()> {
        write_atomic(&self.path, &self.contents())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::parse_uuid;
    use std::fs;

    /// Issue 23 item 11: two environments whose files are links to the same real ones
    /// exclude each other: read-modify-write through either link loses no update.
    #[cfg(unix)]
    #[test]
    fn environments_sharing_files_through_links_exclude_each_other() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        fs::create_dir_all(&real).unwrap();
        fs::write(real.join("Project.toml"), "n = 0\n").unwrap();
        let envs: Vec<PathBuf> = (0..3)
            .map(|i| {
                let env = t.path().join(format!("env{i}"));
                fs::create_dir_all(&env).unwrap();
                std::os::unix::fs::symlink(real.join("Project.toml"), env.join("Project.toml"))
                    .unwrap();
                env
            })
            .collect();
        const ROUNDS: usize = 150;
        std::thread::scope(|s| {
            for env in &envs {
                s.spawn(move || {
                    for _ in 0..ROUNDS {
                        let _lock = EnvironmentLock::acquire(env).unwrap();
                        let file = env.join("Project.toml");
                        let text = fs::read_to_string(&file).unwrap();
                        let n: usize = text.trim().trim_start_matches("n = ").parse().unwrap();
                        std::thread::yield_now();
                        write_atomic(&file, &format!("n = {}\n", n + 1)).unwrap();
                    }
                });
            }
        });
        let text = fs::read_to_string(real.join("Project.toml")).unwrap();
        assert_eq!(text, format!("n = {}\n", ROUNDS * envs.len()));
    }

    #[test]
    fn each_line_keeps_its_ending_and_new_lines_take_the_dominant_one() {
        // One CRLF line among LF lines: only it stays CRLF; the new line is LF.
        let original = b"a = 1\r\nb = 2\nc = 3\n";
        assert_eq!(
            in_the_form_of("a = 1\nb = 2\nnew = 0\nc = 3\n", original),
            "a = 1\r\nb = 2\nnew = 0\nc = 3\n"
        );
        // A CRLF file: new lines are CRLF too; the BOM stays.
        let original = "\u{feff}a = 1\r\nb = 2\r\n".as_bytes();
        assert_eq!(
            in_the_form_of("a = 1\nx = 9\nb = 2\n", original),
            "\u{feff}a = 1\r\nx = 9\r\nb = 2\r\n"
        );
        // No final newline: none gained, whether the last line changed or not.
        assert_eq!(
            in_the_form_of("a = 1\nb = 3\n", b"a = 1\nb = 2"),
            "a = 1\nb = 3"
        );
        assert_eq!(
            in_the_form_of("a = 1\nb = 2\n", b"a = 1\nb = 2"),
            "a = 1\nb = 2"
        );
        // A line added after an unterminated last line ends it with the dominant ending.
        assert_eq!(
            in_the_form_of("a = 1\nb = 2\nc = 3\n", b"a = 1\r\nb = 2"),
            "a = 1\r\nb = 2\r\nc = 3"
        );
        assert_eq!(in_the_form_of("a = 1\n", b""), "a = 1\n");
    }

    const MANIFEST: &str = "# This file is machine-generated - editing it directly is not advised

julia_version = \"1.11.2\"
manifest_format = \"2.0\"
project_hash = \"8a91c3bdaf7537df6f842463e0505fb7c623875c\"

[[deps.Example]]
# a comment the user wrote
git-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"
uuid = \"7876af07-990d-54b4-ab0e-23690620f79a\"
version = \"0.5.3\"

    [deps.Example.extensions]
    X = \"Y\"

[[deps.Gone]]
uuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"
";

    #[test]
    fn pin_inserts_where_pkg_would_and_keeps_comments() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Manifest.toml");
        fs::write(&p, MANIFEST).unwrap();
        let mut ed = ManifestEditor::open(&p).unwrap();
        let ex = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        assert!(ed.set_pinned(&ex, true));
        let out = ed.contents();
        assert!(
            out.contains("# a comment the user wrote\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\npinned = true\nuuid = "),
            "{out}"
        );
        assert!(
            out.contains("    [deps.Example.extensions]\n    X = \"Y\"\n"),
            "{out}"
        );
        let gone = parse_uuid("ade2ca70-3891-5945-98fb-dc099432e06a").unwrap();
        assert!(
            !ed.weakdeps_as_table(&ex, &[]),
            "no list-form weakdeps to convert"
        );
        assert_eq!(ed.remove_entries(&[gone].into_iter().collect()), 1);
        ed.write().unwrap();
        let written = fs::read_to_string(&p).unwrap();
        assert!(!written.contains("Gone"));
        let m = crate::manifest::Manifest::read(&p).unwrap();
        assert!(m.get(&ex).unwrap().pinned);
        // Pinning a Pkg-written manifest gives exactly what Pkg would write, plus the user's
        // comment, which Pkg would drop.
        assert_eq!(
            m.to_pkg_toml(),
            written.replace("# a comment the user wrote\n", "")
        );
        assert!(ed.set_pinned(&ex, false));
        assert!(!ed.contents().contains("pinned"));
    }

    #[test]
    fn weakdeps_become_a_table_like_pkg_writes() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Manifest.toml");
        let text = MANIFEST.replace(
            "version = \"0.5.3\"\n\n    [deps.Example.extensions]",
            "version = \"0.5.3\"\nweakdeps = [\"Gone\"]\n\n    [deps.Example.extensions]",
        );
        fs::write(&p, text).unwrap();
        let mut ed = ManifestEditor::open(&p).unwrap();
        let ex = parse_uuid("7876af07-990d-54b4-ab0e-23690620f79a").unwrap();
        let gone = parse_uuid("ade2ca70-3891-5945-98fb-dc099432e06a").unwrap();
        ed.remove_entries(&[gone].into_iter().collect());
        assert!(ed.weakdeps_as_table(&ex, &[("Gone".to_string(), gone)]));
        ed.write().unwrap();
        let written = fs::read_to_string(&p).unwrap();
        let m = crate::manifest::Manifest::read(&p).unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(m.get(&ex).unwrap().weakdeps[0].uuid, Some(gone));
        assert_eq!(
            m.to_pkg_toml(),
            written.replace("# a comment the user wrote\n", ""),
            "{written}"
        );
    }

    #[test]
    fn project_edits_keep_layout() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Project.toml");
        fs::write(&p, "name = \"A\"  # my package\n\n[deps]\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\nC = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n\n[extras]\nT = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n").unwrap();
        let mut ed = ProjectEditor::open(&p).unwrap();
        ed.set_compat("C", "=1.2.3");
        ed.set_compat("B", "1");
        let out = ed.contents();
        assert!(out.starts_with("name = \"A\"  # my package\n"), "{out}");
        let compat_at = out.find("[compat]").unwrap();
        assert!(compat_at < out.find("[extras]").unwrap(), "{out}");
        assert!(
            out.contains("[compat]\nB = \"1\"\nC = \"=1.2.3\"\n"),
            "{out}"
        );
        assert!(ed.remove_dep("C"));
        ed.write().unwrap();
        let proj = crate::project::Project::read(&p).unwrap();
        assert!(!proj.deps.contains_key("C") && !proj.compat.contains_key("C"));
        assert_eq!(proj.compat["B"].text, "1");
    }

    #[test]
    fn syntax_errors_are_located() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Manifest.toml");
        fs::write(&p, "a = \n").unwrap();
        let e = ManifestEditor::open(&p).err().unwrap();
        assert!(e.to_string().contains("Manifest.toml:1:"), "{e}");
    }
}
