//! `Manifest.toml`: formats 1.0, 2.0 and 2.1, read with Pkg's field and graph validation
//! (`src/manifest.jl`) and written byte for byte as Pkg writes it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::flavor::PkgFlavor;
use crate::ids::{parse_uuid, TreeHash, Uuid};
use crate::pkg_toml::{self, Table, Value};
use crate::toml_source::{self, entries, one_or_many_strings, Item, TomlSource, Value as _};
use crate::version::VersionNumber;

/// The first line Pkg writes.
pub const HEADER: &str =
    "# This file is machine-generated - editing it directly is not advised\n\n";

/// A dependency named in an entry's `deps` or `weakdeps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    /// The dependency's name.
    pub name: String,
    /// Its UUID: given in the table form, looked up by name in the list form. `None` when the
    /// name matches no entry or several (see [`Manifest::problems`]).
    pub uuid: Option<Uuid>,
}

/// What triggers an extension: one package or several (kept as written).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Triggers {
    /// `Ext = "Pkg"`.
    One(String),
    /// `Ext = ["A", "B"]`.
    Many(Vec<String>),
}

impl Triggers {
    /// The trigger package names.
    pub fn names(&self) -> &[String] {
        match self {
            Triggers::One(s) => std::slice::from_ref(s),
            Triggers::Many(v) => v,
        }
    }
}

/// One `[[deps.Name]]` entry.
#[derive(Clone, Debug)]
pub struct ManifestEntry {
    /// The package name (the table key).
    pub name: String,
    /// `uuid`.
    pub uuid: Uuid,
    /// `version` (absent for unversioned stdlibs and some path packages).
    pub version: Option<VersionNumber>,
    /// `git-tree-sha1` (registered and repo-tracked packages).
    pub tree_hash: Option<TreeHash>,
    /// `path`: a `dev`ed package's directory, relative to the manifest when possible.
    pub path: Option<String>,
    /// `repo-url`.
    pub repo_url: Option<String>,
    /// `repo-rev`.
    pub repo_rev: Option<String>,
    /// `repo-subdir`.
    pub repo_subdir: Option<String>,
    /// `pinned`.
    pub pinned: bool,
    /// Strong dependencies.
    pub deps: Vec<Dep>,
    /// Weak dependencies (copied from the package's Project.toml).
    pub weakdeps: Vec<Dep>,
    /// Whether `deps` and `weakdeps` were written as `name = uuid` tables (else as lists).
    pub deps_as_table: (bool, bool),
    /// `[extensions]`.
    pub extensions: BTreeMap<String, Triggers>,
    /// `entryfile` (Julia 1.12+).
    pub entryfile: Option<String>,
    /// `registries` (format 2.1): where the package came from.
    pub registries: Vec<String>,
    /// The keys the fields above do not cover, as read; the writer starts from them and adds
    /// the fields, as Pkg does, so unknown keys survive.
    pub raw: Table,
    /// Where the entry's header is.
    pub location: Location,
}

impl ManifestEntry {
    /// A new entry with just a name and UUID.
    pub fn new(name: &str, uuid: Uuid) -> ManifestEntry {
        ManifestEntry {
            name: name.to_string(),
            uuid,
            version: None,
            tree_hash: None,
            path: None,
            repo_url: None,
            repo_rev: None,
            repo_subdir: None,
            pinned: false,
            deps: Vec::new(),
            weakdeps: Vec::new(),
            deps_as_table: (false, false),
            extensions: BTreeMap::new(),
            entryfile: None,
            registries: Vec::new(),
            raw: Table::new(),
            location: Location::file(""),
        }
    }

    /// How the package is tracked.
    pub fn tracking(&self) -> Tracking {
        if self.path.is_some() {
            Tracking::Path
        } else if self.repo_url.is_some() || self.repo_rev.is_some() {
            Tracking::Repo
        } else if self.tree_hash.is_some() {
            Tracking::Registry
        } else {
            Tracking::Stdlib
        }
    }

    /// UUIDs of the strong dependencies that resolved.
    pub fn dep_uuids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.deps.iter().filter_map(|d| d.uuid)
    }
}

/// How a manifest entry is tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tracking {
    /// A registered version, identified by its tree hash.
    Registry,
    /// A local path (`Pkg.develop`).
    Path,
    /// A git repository or branch (`add url#rev`).
    Repo,
    /// No tree hash and no path: a standard library shipped with Julia.
    Stdlib,
}

impl fmt::Display for Tracking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tracking::Registry => "registry",
            Tracking::Path => "path",
            Tracking::Repo => "repo",
            Tracking::Stdlib => "stdlib",
        })
    }
}

/// A parsed manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The file it was read from.
    pub path: Option<PathBuf>,
    /// `manifest_format` (1.0.0 for the old top-level layout).
    pub format: VersionNumber,
    /// `julia_version`: the Julia that last resolved it.
    pub julia_version: Option<VersionNumber>,
    /// `project_hash` (a SHA-1).
    pub project_hash: Option<TreeHash>,
    /// The entries, in file order.
    pub entries: Vec<ManifestEntry>,
    /// Top-level keys Pkg does not interpret (kept and written back, including format 2.1's
    /// `[registries]`).
    pub other: Table,
    /// Where each UUID's entry is, built on the first lookup (see [`Manifest::get`]).
    index: std::sync::OnceLock<EntryIndex>,
}

/// The position of each UUID's last entry, for the `entries` it was built from.
#[derive(Clone, Debug)]
struct EntryIndex {
    len: usize,
    position: std::collections::HashMap<Uuid, usize>,
}

/// A graph problem in a manifest: what Pkg's `validate_manifest` refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub location: Location,
    /// Pkg's message.
    pub message: String,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            path: None,
            format: VersionNumber::new(2, 0, 0),
            julia_version: None,
            project_hash: None,
            entries: Vec::new(),
            other: Table::new(),
            index: std::sync::OnceLock::new(),
        }
    }
}

impl Manifest {
    /// Reads a manifest as Pkg does: field errors and graph errors both fail.
    pub fn read(path: &Path) -> Result<Manifest> {
        let source = TomlSource::read(path, "manifest")?;
        Manifest::from_source(&source)
    }

    /// Parses manifest text as if read from `path`, as strictly as [`Manifest::read`].
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let source = TomlSource::parse(path, text.to_string(), "manifest")?;
        Manifest::from_source(&source)
    }

    /// Strict reading of a parsed document: the first graph problem is an error.
    pub fn from_source(src: &TomlSource) -> Result<Manifest> {
        let m = Manifest::from_source_lenient(src)?;
        match m.problems().into_iter().next() {
            Some(p) => Err(Error::invalid(p.location, p.message)),
            None => Ok(m),
        }
    }

    /// Reads the fields (whose errors still fail) but leaves graph problems to
    /// [`Manifest::problems`], so that a checker can report all of them.
    pub fn from_source_lenient(src: &TomlSource) -> Result<Manifest> {
        let root = src.root();
        let v1 = is_v1_format(root);
        let mut m = Manifest {
            path: Some(src.path().to_path_buf()),
            ..Manifest::default()
        };
        let deps_table: Option<&toml_source::Table<'_>> = if v1 {
            if !root.is_empty() {
                m.format = VersionNumber::new(1, 0, 0);
            }
            Some(root)
        } else {
            let fmt_at = src.locate_key(root, "manifest_format");
            let fmt = root
                .get("manifest_format")
                .and_then(|i| i.as_str())
                .ok_or_else(|| {
                    src.error(fmt_at.clone(), "Expected `manifest_format` to be a string")
                })?;
            m.format = VersionNumber::parse(fmt).map_err(|_| {
                src.error(
                    fmt_at,
                    format!("Could not parse `manifest_format` {fmt:?} as a version"),
                )
            })?;
            if let Some(item) = root.get("julia_version") {
                let s = item.as_str().ok_or_else(|| {
                    src.error(
                        src.locate_item(item),
                        "Expected `julia_version` to be a string",
                    )
                })?;
                m.julia_version = Some(VersionNumber::parse(s).map_err(|_| {
                    src.error(
                        src.locate_item(item),
                        format!("Could not parse `julia_version` {s:?} as a version"),
                    )
                })?);
            }
            if let Some(item) = root.get("project_hash") {
                m.project_hash =
                    Some(item.as_str().and_then(TreeHash::parse).ok_or_else(|| {
                        src.error(
                            src.locate_item(item),
                            "Could not parse `project_hash` as a SHA-1",
                        )
                    })?);
            }
            for (k, v) in entries(root) {
                if !matches!(
                    k,
                    "julia_version" | "manifest_format" | "project_hash" | "deps"
                ) {
                    m.other.set(k, pkg_toml::from_item(v));
                }
            }
            match root.get("deps") {
                None => None,
                Some(item) => Some(item.as_table().ok_or_else(|| {
                    src.error(
                        src.locate_item(item),
                        "Expected `deps` to be a table of package entries",
                    )
                })?),
            }
        };
        let with_registries = m.format >= VersionNumber::new(2, 1, 0);
        if let Some(deps) = deps_table {
            for (name, item) in entries(deps) {
                let tables = item
                    .as_array()
                    .filter(|a| a.iter().all(|t| t.as_table().is_some()))
                    .ok_or_else(|| {
                        src.error(src.locate_key(deps, name), format!("Expected `{name}` to be an array of package entries (`[[deps.{name}]]`)"))
                    })?;
                for table in tables {
                    m.entries
                        .push(read_entry(src, name, table, with_registries)?);
                }
            }
        }
        m.resolve_list_deps();
        Ok(m)
    }

    /// Fills in the UUIDs of list-form deps whose name has exactly one entry.
    fn resolve_list_deps(&mut self) {
        let index = self.name_index();
        let unique: HashMap<String, Uuid> = index
            .iter()
            .filter(|(_, ids)| ids.len() == 1)
            .map(|(n, ids)| (n.to_string(), self.entries[ids[0]].uuid))
            .collect();
        for e in &mut self.entries {
            for d in e.deps.iter_mut().chain(e.weakdeps.iter_mut()) {
                if d.uuid.is_none() {
                    d.uuid = unique.get(&d.name).copied();
                }
            }
        }
    }

    fn name_index(&self) -> HashMap<&str, Vec<usize>> {
        let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            index.entry(e.name.as_str()).or_default().push(i);
        }
        index
    }

    /// Whether Pkg knows this format (major version 1 or 2). Pkg only warns about others;
    /// sysimg refuses to build from them.
    pub fn format_is_known(&self) -> bool {
        matches!(self.format.major, 1 | 2)
    }

    /// Every graph problem Pkg's `validate_manifest` would raise (it stops at the first).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let index = self.name_index();
        let by_uuid: HashMap<Uuid, &ManifestEntry> =
            self.entries.iter().map(|e| (e.uuid, e)).collect();
        for e in &self.entries {
            let who = format!("`{}={}`", e.name, e.uuid);
            let mut push = |message: String| {
                out.push(Problem {
                    location: e.location.clone(),
                    message,
                })
            };
            for (deps, weak, as_table) in [
                (&e.deps, false, e.deps_as_table.0),
                (&e.weakdeps, true, e.deps_as_table.1),
            ] {
                if as_table {
                    if weak {
                        continue;
                    }
                    for d in deps {
                        let Some(uuid) = d.uuid else { continue };
                        match by_uuid.get(&uuid) {
                            None => push(format!(
                                "{who} depends on `{}={uuid}`, but no such entry exists in the manifest.",
                                d.name
                            )),
                            Some(target) if target.name != d.name => push(format!(
                                "{who} depends on `{}={uuid}`, but entry with UUID `{uuid}` has name `{}`.",
                                d.name, target.name
                            )),
                            Some(_) => {}
                        }
                    }
                    continue;
                }
                let mut seen = std::collections::HashSet::new();
                if !deps.iter().all(|d| seen.insert(d.name.as_str())) {
                    push(format!(
                        "Duplicate entry in {who}'s `{}` field.",
                        if weak { "weakdeps" } else { "deps" }
                    ));
                }
                for d in deps {
                    match index.get(d.name.as_str()).map_or(0, Vec::len) {
                        1 => {}
                        0 if !weak => push(format!(
                            "{who} depends on `{}`, but no such entry exists in the manifest.",
                            d.name
                        )),
                        _ => push(format!(
                            "Invalid manifest format. {who}'s dependency on `{}` is ambiguous.",
                            d.name
                        )),
                    }
                }
            }
        }
        out
    }

    /// The entry with `uuid` (the last one, if the file lists it twice, as in Pkg), in
    /// constant time: an index is built on the first lookup. `entries` is public, so the index
    /// is trusted only while the entry count is unchanged and the entry it points at still has
    /// that UUID; otherwise this falls back to a scan (code that edits `entries` in place after
    /// a lookup gets correct answers, just not fast ones).
    pub fn get(&self, uuid: &Uuid) -> Option<&ManifestEntry> {
        self.position(uuid).map(|i| &self.entries[i])
    }

    /// A mutable reference to the entry with `uuid`.
    pub fn get_mut(&mut self, uuid: &Uuid) -> Option<&mut ManifestEntry> {
        let i = self.position(uuid)?;
        self.entries.get_mut(i)
    }

    fn position(&self, uuid: &Uuid) -> Option<usize> {
        let index = self.index.get_or_init(|| EntryIndex {
            len: self.entries.len(),
            position: self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.uuid, i))
                .collect(),
        });
        if index.len == self.entries.len() {
            match index.position.get(uuid) {
                Some(&i) if self.entries[i].uuid == *uuid => return Some(i),
                None => return None,
                Some(_) => {}
            }
        }
        self.entries.iter().rposition(|e| e.uuid == *uuid)
    }

    /// The entries named `name`.
    pub fn by_name<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ManifestEntry> + 'a {
        self.entries.iter().filter(move |e| e.name == name)
    }

    /// The Pkg flavor that wrote this manifest, from its `julia_version`.
    pub fn flavor(&self) -> PkgFlavor {
        self.julia_version
            .as_ref()
            .map_or(PkgFlavor::LATEST, PkgFlavor::for_julia)
    }

    /// The manifest as Pkg writes it (`destructure` + `write_manifest`), in the flavor of the
    /// Julia that wrote it.
    pub fn to_pkg_toml(&self) -> String {
        self.to_pkg_toml_as(self.flavor())
    }

    /// The manifest as the Pkg of `flavor` writes it.
    pub fn to_pkg_toml_as(&self, flavor: PkgFlavor) -> String {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for e in &self.entries {
            *counts.entry(e.name.as_str()).or_default() += 1;
        }
        let all_unique =
            |deps: &[Dep]| deps.iter().all(|d| counts.get(d.name.as_str()) == Some(&1));
        let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let v2_1 = self.format >= VersionNumber::new(2, 1, 0);
        for e in &self.entries {
            let mut t = e.raw.clone();
            t.set("uuid", Value::from(e.uuid.to_string()));
            t.set_or_remove(
                "version",
                e.version.as_ref().map(|v| Value::from(v.to_string())),
            );
            t.set_or_remove(
                "git-tree-sha1",
                e.tree_hash.map(|h| Value::from(h.to_string())),
            );
            t.set_or_remove("pinned", e.pinned.then_some(Value::Bool(true)));
            t.set_or_remove("path", e.path.clone().map(Value::from));
            t.set_or_remove("entryfile", e.entryfile.clone().map(Value::from));
            t.set_or_remove("repo-url", e.repo_url.clone().map(Value::from));
            t.set_or_remove("repo-rev", e.repo_rev.clone().map(Value::from));
            t.set_or_remove("repo-subdir", e.repo_subdir.clone().map(Value::from));
            for (key, deps) in [("deps", &e.deps), ("weakdeps", &e.weakdeps)] {
                let value = if deps.is_empty() {
                    None
                } else if all_unique(deps) || deps.iter().any(|d| d.uuid.is_none()) {
                    let mut names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
                    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                    Some(Value::Array(names.into_iter().map(Value::from).collect()))
                } else {
                    Some(Value::Table(
                        deps.iter()
                            .map(|d| {
                                (
                                    d.name.clone(),
                                    Value::from(d.uuid.map(|u| u.to_string()).unwrap_or_default()),
                                )
                            })
                            .collect(),
                    ))
                };
                t.set_or_remove(key, value);
            }
            if !e.extensions.is_empty() {
                t.set(
                    "extensions",
                    Value::Table(
                        e.extensions
                            .iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    Triggers::One(s) => Value::from(s.as_str()),
                                    Triggers::Many(list) => Value::Array(
                                        list.iter().map(|s| Value::from(s.as_str())).collect(),
                                    ),
                                };
                                (k.clone(), v)
                            })
                            .collect(),
                    ),
                );
            }
            if v2_1 {
                t.set_or_remove(
                    "registries",
                    match e.registries.as_slice() {
                        [] => None,
                        [one] => Some(Value::from(one.as_str())),
                        many => Some(Value::Array(
                            many.iter().map(|s| Value::from(s.as_str())).collect(),
                        )),
                    },
                );
            }
            groups
                .entry(e.name.as_str())
                .or_default()
                .push(Value::Table(t));
        }
        let deps: Table = groups
            .into_iter()
            .map(|(name, entries)| (name.to_string(), Value::Array(entries)))
            .collect();
        let top = if self.format.major == 1 {
            deps
        } else {
            let mut top = Table::new();
            if let Some(j) = &self.julia_version {
                top.set("julia_version", Value::from(j.drop_build().to_string()));
            }
            if let Some(h) = &self.project_hash {
                top.set("project_hash", Value::from(h.to_string()));
            }
            top.set(
                "manifest_format",
                Value::from(format!("{}.{}", self.format.major, self.format.minor)),
            );
            top.set("deps", Value::Table(deps));
            for (k, v) in self.other.iter() {
                top.set(k, v.clone());
            }
            top
        };
        let body = pkg_toml::print(
            &top,
            pkg_toml::PrintOptions {
                order: &pkg_toml::byte_order,
                triple_quote_multiline: flavor >= PkgFlavor::V1_11,
            },
        );
        format!("{HEADER}{body}")
    }
}

/// Julia's `Base.is_v1_format_manifest`.
fn is_v1_format(root: &toml_source::Table<'_>) -> bool {
    match root.get("manifest_format") {
        None => true,
        Some(item) => item.as_table().is_some_and(|t| t.contains_key("uuid")),
    }
}

fn read_entry(
    src: &TomlSource,
    name: &str,
    entry: &Item<'_>,
    with_registries: bool,
) -> Result<ManifestEntry> {
    let location = src.locate_item(entry);
    let Some(table) = entry.as_table() else {
        return Err(src.error(location, format!("Expected `{name}` entries to be tables")));
    };
    let at = |key: &str| src.locate_key(table, key).or(&location);
    let string_field = |key: &str| -> Result<Option<&str>> {
        match table.get(key) {
            None => Ok(None),
            Some(item) => item.as_str().map(Some).ok_or_else(|| {
                src.error(at(key), format!("Expected field `{key}` to be a String."))
            }),
        }
    };
    let pinned = match table.get("pinned") {
        None => false,
        Some(item) => item
            .as_bool()
            .ok_or_else(|| src.error(at("pinned"), "Expected field `pinned` to be a Boolean."))?,
    };
    let uuid_text = string_field("uuid")?.ok_or_else(|| {
        src.error(
            location.clone(),
            format!("Entry for `{name}` has no `uuid` field."),
        )
    })?;
    let uuid = parse_uuid(uuid_text)
        .ok_or_else(|| src.error(at("uuid"), "Could not parse `uuid` field as a UUID."))?;
    let version = string_field("version")?
        .map(|s| {
            VersionNumber::parse(s).map_err(|_| {
                src.error(
                    at("version"),
                    "Could not parse `version` as a `VersionNumber`.",
                )
            })
        })
        .transpose()?;
    let path = string_field("path")?.map(str::to_string);
    let repo_url = string_field("repo-url")?.map(str::to_string);
    let repo_rev = string_field("repo-rev")?.map(str::to_string);
    let repo_subdir = string_field("repo-subdir")?.map(str::to_string);
    let tree_hash = string_field("git-tree-sha1")?
        .map(|s| {
            TreeHash::parse(s).ok_or_else(|| {
                src.error(
                    at("git-tree-sha1"),
                    "Could not parse `git-tree-sha1` field as a SHA.",
                )
            })
        })
        .transpose()?;
    let deps = read_deps(src, table, "deps", &at)?;
    let weakdeps = read_deps(src, table, "weakdeps", &at)?;
    let mut extensions = BTreeMap::new();
    if let Some(item) = table.get("extensions") {
        let t = item.as_table().ok_or_else(|| {
            src.error(
                at("extensions"),
                "Expected `extensions` field to be a table.",
            )
        })?;
        for (ext, v) in entries(t) {
            let (mut names, single) = one_or_many_strings(v).ok_or_else(|| {
                src.error(
                    at("extensions"),
                    "Expected `ext` entry to be a `Union{String, Vector{String}}`.",
                )
            })?;
            let triggers = if single {
                Triggers::One(names.remove(0))
            } else {
                Triggers::Many(names)
            };
            extensions.insert(ext.to_string(), triggers);
        }
    }
    let entryfile = string_field("entryfile")?.map(str::to_string);
    let registries = match table.get("registries").filter(|_| with_registries) {
        None => Vec::new(),
        Some(item) => {
            one_or_many_strings(item)
                .ok_or_else(|| {
                    src.error(
                        at("registries"),
                        "Expected `registries` to be a string or a list of strings.",
                    )
                })?
                .0
        }
    };
    let is_table = |k: &str| table.get(k).is_some_and(|i| i.as_table().is_some());
    // Keys the writer regenerates from the fields need no copy; everything else is kept.
    let regenerated = |k: &str| {
        matches!(
            k,
            "uuid"
                | "version"
                | "git-tree-sha1"
                | "pinned"
                | "path"
                | "entryfile"
                | "repo-url"
                | "repo-rev"
                | "repo-subdir"
                | "deps"
                | "weakdeps"
        ) || (k == "extensions" && !extensions.is_empty())
            || (k == "registries" && with_registries)
    };
    let raw = entries(table)
        .filter(|(k, _)| !regenerated(k))
        .map(|(k, v)| (k.to_string(), pkg_toml::from_item(v)))
        .collect();
    Ok(ManifestEntry {
        name: name.to_string(),
        uuid,
        version,
        tree_hash,
        path,
        repo_url,
        repo_rev,
        repo_subdir,
        pinned,
        deps,
        weakdeps,
        deps_as_table: (is_table("deps"), is_table("weakdeps")),
        extensions,
        entryfile,
        registries,
        raw,
        location,
    })
}

fn read_deps(
    src: &TomlSource,
    table: &toml_source::Table<'_>,
    key: &str,
    at: &dyn Fn(&str) -> Location,
) -> Result<Vec<Dep>> {
    let Some(item) = table.get(key) else {
        return Ok(Vec::new());
    };
    if let Some(list) = item.as_array() {
        return list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|name| Dep {
                        name: name.to_string(),
                        uuid: None,
                    })
                    .ok_or_else(|| src.error(at(key), "Expected `dep` entry to be a String."))
            })
            .collect();
    }
    if let Some(t) = item.as_table() {
        return entries(t)
            .map(|(name, v)| {
                let uuid = v
                    .as_str()
                    .and_then(parse_uuid)
                    .ok_or_else(|| src.error(at(key), "Could not parse `uuid` field as a UUID."))?;
                Ok(Dep {
                    name: name.to_string(),
                    uuid: Some(uuid),
                })
            })
            .collect();
    }
    Err(src.error(
        at(key),
        format!("Expected `{key}` field to be either a list or a table."),
    ))
}

/// Manifest file names in a project directory, in Julia's order of preference for `julia`.
///
/// Julia 1.10.8+ and 1.11+ look for `(Julia)Manifest-v{major}.{minor}.toml` first (commit
/// 64e0f11e67, backported to 1.10.8); 1.5 to 1.10.7 read only the plain names (v1.10.7
/// base/loading.jl: `const manifest_names = ("JuliaManifest.toml", "Manifest.toml")`), so a
/// versioned manifest beside `Manifest.toml` is not the one they load.
pub fn manifest_names(julia: Option<&VersionNumber>) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(v) = julia.filter(|v| reads_versioned_manifests(v)) {
        names.push(format!("JuliaManifest-v{}.{}.toml", v.major, v.minor));
        names.push(format!("Manifest-v{}.{}.toml", v.major, v.minor));
    }
    names.push("JuliaManifest.toml".to_string());
    names.push("Manifest.toml".to_string());
    names
}

/// Whether `julia` reads `Manifest-vX.Y.toml` (1.10.8 and later 1.10s, 1.11 and later).
pub fn reads_versioned_manifests(julia: &VersionNumber) -> bool {
    (julia.major, julia.minor, julia.patch) >= (1, 10, 8)
}

/// The oldest Julia whose Pkg reads manifests of format `format` (1.x or 2.x); `None` for a
/// format no Pkg knows. Pkg v1.0-v1.6.1 read only format 1.0: `Manifest(raw::Dict)` takes
/// every top-level key as a package name (Pkg v1.5.3 src/manifest.jl:127-129, `for (name,
/// infos) in raw, info in infos`), so format 2.0's `julia_version = "..."` fails with a
/// `MethodError` ("Could not parse entry for `julia_version`"). Pkg v1.6.2 (Pkg#2561,
/// backported) reads both: src/manifest.jl:131-143 reads `manifest_format`, takes the
/// packages from `raw["deps"]`, and only warns for a major version outside `1:2`.
pub fn oldest_julia_reading(format: &VersionNumber) -> Option<VersionNumber> {
    match format.major {
        1 => Some(VersionNumber::new(1, 0, 0)),
        2 => Some(VersionNumber::new(1, 6, 2)),
        _ => None,
    }
}

/// Whether `julia`'s Pkg reads a manifest of format `format` (see [`oldest_julia_reading`]).
pub fn julia_reads_format(julia: &VersionNumber, format: &VersionNumber) -> bool {
    oldest_julia_reading(format).is_some_and(|oldest| {
        (julia.major, julia.minor, julia.patch) >= (oldest.major, oldest.minor, oldest.patch)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contract with Pkg's `manifest_format` handling per release (src/manifest.jl):
    /// v1.5.3 and v1.6.1 `function Manifest(raw::Dict)::Manifest` iterate `for (name, infos)
    /// in raw, info in infos` (no `manifest_format` at all); v1.6.2 `function Manifest(raw::Dict,
    /// f_or_io)` reads `manifest_format = VersionNumber(raw["manifest_format"])`, warns
    /// "Unknown Manifest.toml format version detected" when `!in(manifest_format.major, 1:2)`
    /// and reads `raw["deps"]`; v1.7.0 to v1.12.0 keep that (src/manifest.jl:136/152/178).
    #[test]
    fn which_julia_reads_which_manifest_format() {
        let v = |s: &str| VersionNumber::parse(s).unwrap();
        for (julia, format, reads) in [
            ("1.5.3", "1.0.0", true),
            ("1.5.3", "2.0.0", false),
            ("1.6.1", "2.0.0", false),
            ("1.6.2", "2.0.0", true),
            ("1.6.2", "2.1.0", true),
            ("1.11.9", "2.0.0", true),
            ("1.11.9", "1.0.0", true),
            ("1.12.0", "3.0.0", false),
        ] {
            assert_eq!(
                julia_reads_format(&v(julia), &v(format)),
                reads,
                "{julia} {format}"
            );
        }
        assert_eq!(oldest_julia_reading(&v("2.0")), Some(v("1.6.2")));
    }

    const SIMPLE: &str = r#"# This file is machine-generated - editing it directly is not advised

julia_version = "1.11.2"
manifest_format = "2.0"
project_hash = "8a91c3bdaf7537df6f842463e0505fb7c623875c"

[[deps.Compat]]
deps = ["TOML", "UUIDs"]
git-tree-sha1 = "3a3dfb30697e96a440e4149c8c51bf32f818c0f3"
uuid = "34da2185-b29b-5c13-b0c7-acf172513d20"
version = "4.17.0"

    [deps.Compat.extensions]
    CompatLinearAlgebraExt = "LinearAlgebra"

    [deps.Compat.weakdeps]
    Dates = "ade2ca70-3891-5945-98fb-dc099432e06a"
    LinearAlgebra = "37e2e46d-f89d-539d-b4ee-838fcccc9c8e"

[[deps.Random]]
deps = ["SHA"]
uuid = "9a3f8284-a2c9-5f02-9a11-845980a1fd5c"
version = "1.11.0"

[[deps.SHA]]
uuid = "ea8e919c-243c-51af-8825-aaa63cd721ce"
version = "0.7.0"

[[deps.TOML]]
deps = ["Dates"]
uuid = "fa267f1f-6049-4f14-aa54-33bafae1ed76"
version = "1.0.3"

[[deps.UUIDs]]
deps = ["Random", "SHA"]
uuid = "cf7118a7-6976-5b1a-9a39-7adc72f591a4"
version = "1.11.0"
"#;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(Path::new("Manifest.toml"), text)
    }

    #[test]
    fn missing_dep_is_reported_with_location() {
        let e = parse(SIMPLE).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Manifest.toml:29:1: `TOML=fa267f1f-6049-4f14-aa54-33bafae1ed76` depends on `Dates`, but no such entry exists in the manifest."
        );
    }

    #[test]
    fn lookups_stay_right_when_entries_change_after_one() {
        let mut m = parse(&SIMPLE.replace("deps = [\"Dates\"]\n", "")).unwrap();
        let sha: Uuid = "ea8e919c-243c-51af-8825-aaa63cd721ce".parse().unwrap();
        assert_eq!(m.get(&sha).unwrap().name, "SHA");
        assert!(m.get(&Uuid::nil()).is_none());
        // A later entry with the same UUID wins, as in Pkg, though the index was built.
        let mut twin = ManifestEntry::new("SHA2", sha);
        twin.version = Some(VersionNumber::new(1, 0, 0));
        m.entries.push(twin);
        assert_eq!(m.get(&sha).unwrap().name, "SHA2");
        m.get_mut(&sha).unwrap().name = "Renamed".into();
        assert_eq!(m.entries.last().unwrap().name, "Renamed");
        m.entries.remove(0);
        assert_eq!(m.get(&sha).unwrap().name, "Renamed");
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let text = SIMPLE.replace("deps = [\"Dates\"]\n", "");
        let m = parse(&text).unwrap();
        assert_eq!(m.entries.len(), 5);
        assert_eq!(m.to_pkg_toml(), text);
    }

    #[test]
    fn unknown_keys_keep_their_values_as_julia_reads_them() {
        // Julia's TOML parser reads integers beyond Int64 as Int128 or BigInt, and Pkg
        // writes their digits back. (Other integers are read as `toml_edit` read them.)
        let text = SIMPLE.replace("deps = [\"Dates\"]\n", "").replace(
            "[[deps.SHA]]\n",
            "[[deps.SHA]]\nbig = 99999999999999999999\nhex = 0xff\nratio = 1.5\n",
        );
        let m = parse(&text).unwrap();
        let sha = m.by_name("SHA").next().unwrap();
        assert_eq!(sha.raw.get("hex"), Some(&Value::Integer(255)));
        let written = m.to_pkg_toml();
        assert!(
            written.contains("big = 99999999999999999999\nhex = 255\nratio = 1.5\n"),
            "{written}"
        );
    }

    #[test]
    fn list_form_becomes_table_form_when_names_repeat() {
        let text = SIMPLE.replace("deps = [\"Dates\"]\n", "");
        let mut m = parse(&text).unwrap();
        let mut twin = ManifestEntry::new("SHA", Uuid::nil());
        twin.version = Some(VersionNumber::new(1, 0, 0));
        m.entries.push(twin);
        let out = m.to_pkg_toml();
        assert!(
            out.contains(
                "    [deps.Random.deps]\n    SHA = \"ea8e919c-243c-51af-8825-aaa63cd721ce\"\n"
            ),
            "{out}"
        );
        assert!(out.contains("deps = [\"TOML\", \"UUIDs\"]"), "{out}");
    }

    #[test]
    fn field_errors_are_pkgs() {
        let e = parse("manifest_format = \"2.0\"\n[[deps.A]]\nuuid = \"ade2ca70\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Manifest.toml:3:1: Could not parse `uuid` field as a UUID."
        );
        let e = parse("manifest_format = \"2.0\"\n[[deps.A]]\nuuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\npinned = \"true\"\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("Expected field `pinned` to be a Boolean."),
            "{e}"
        );
        let e = parse("manifest_format = \"2.0\"\n[deps.A]\nuuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n").unwrap_err();
        assert!(e.to_string().contains("array of package entries"), "{e}");
    }

    #[test]
    fn empty_and_v1_and_unknown_formats() {
        let m = parse("").unwrap();
        assert_eq!(m.format, VersionNumber::new(2, 0, 0));
        assert_eq!(
            m.to_pkg_toml(),
            format!("{HEADER}manifest_format = \"2.0\"\n\n[deps]\n")
        );
        let v1 = "# This file is machine-generated - editing it directly is not advised\n\n[[Random]]\nuuid = \"9a3f8284-a2c9-5f02-9a11-845980a1fd5c\"\n";
        let m = parse(v1).unwrap();
        assert_eq!(m.format.major, 1);
        assert_eq!(m.to_pkg_toml(), v1);
        let m = parse("manifest_format = \"3.0\"\n").unwrap();
        assert!(!m.format_is_known());
    }
}
