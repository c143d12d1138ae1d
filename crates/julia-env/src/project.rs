//! `Project.toml` (or `JuliaProject.toml`): reading with Pkg's validation and messages
//! (`src/project.jl`), and writing as Pkg writes it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compat::Compat;
use crate::error::Result;
use crate::flavor::PkgFlavor;
use crate::ids::{parse_uuid, Uuid};
use crate::pkg_toml::{self, Table, Value};
use crate::toml_source::{self, one_or_many_strings, string_array, Item, TomlSource, Value as _};
use crate::version::VersionNumber;

/// Project file names, in Julia's order of preference (`Base.project_names`).
pub const PROJECT_NAMES: [&str; 2] = ["JuliaProject.toml", "Project.toml"];

/// Where a dependency comes from (`[sources]`, Julia 1.11+).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// A local path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A git URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A git revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// A subdirectory of the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subdir: Option<String>,
}

/// A parsed project file.
#[derive(Clone, Debug, Default)]
pub struct Project {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// `name`.
    pub name: Option<String>,
    /// `uuid`.
    pub uuid: Option<Uuid>,
    /// `version`.
    pub version: Option<VersionNumber>,
    /// Strong dependencies: `[deps]` minus the names also in `[weakdeps]` with the same UUID.
    pub deps: BTreeMap<String, Uuid>,
    /// `[weakdeps]`.
    pub weakdeps: BTreeMap<String, Uuid>,
    /// Names listed in both `[deps]` and `[weakdeps]` (Pkg's `_deps_weak`); they count as weak.
    pub deps_weak: BTreeMap<String, Uuid>,
    /// `[extensions]`: extension name to its trigger packages.
    pub extensions: BTreeMap<String, Vec<String>>,
    /// `[compat]`.
    pub compat: BTreeMap<String, Compat>,
    /// `[extras]`.
    pub extras: BTreeMap<String, Uuid>,
    /// `[targets]`.
    pub targets: BTreeMap<String, Vec<String>>,
    /// `[sources]`.
    pub sources: BTreeMap<String, Source>,
    /// `workspace.projects`, when the project is a workspace root.
    pub workspace: Option<Vec<String>>,
    /// `manifest`: an explicit manifest path.
    pub manifest: Option<String>,
    /// `entryfile` (or `path`).
    pub entryfile: Option<String>,
    /// `readonly`.
    pub readonly: bool,
    /// Every key as read, so that writing keeps what Pkg does not know.
    pub raw: Table,
}

impl Project {
    /// Reads and validates a project file. A missing file is an error (use
    /// [`Project::read_or_default`] for Pkg's "missing reads as empty").
    pub fn read(path: &Path) -> Result<Project> {
        let source = TomlSource::read(path, "project")?;
        Project::from_source(&source)
    }

    /// Reads a project file, or an empty project when the file does not exist.
    pub fn read_or_default(path: &Path) -> Result<Project> {
        if path.exists() {
            Project::read(path)
        } else {
            Ok(Project {
                path: Some(path.to_path_buf()),
                ..Project::default()
            })
        }
    }

    /// Parses project text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Project> {
        let source = TomlSource::parse(path, text.to_string(), "project")?;
        Project::from_source(&source)
    }

    /// Validates a parsed TOML document as Pkg's `Project(raw)` does.
    pub fn from_source(src: &TomlSource) -> Result<Project> {
        let root = src.root();
        let mut p = Project {
            path: Some(src.path().to_path_buf()),
            raw: root_table(root),
            ..Project::default()
        };
        p.name = optional_string(src, root, "name")?;
        p.manifest = optional_string(src, root, "manifest")?;
        p.entryfile = match optional_string(src, root, "path")? {
            Some(e) => Some(e),
            None => optional_string(src, root, "entryfile")?,
        };
        if let Some(item) = root.get("uuid") {
            let s = item.as_str().ok_or_else(|| {
                src.error(
                    src.locate_item(item),
                    "Expected project UUID to be a string",
                )
            })?;
            p.uuid = Some(parse_uuid(s).ok_or_else(|| {
                src.error(
                    src.locate_item(item),
                    "Could not parse project UUID as a UUID",
                )
            })?);
        }
        if let Some(item) = root.get("version") {
            let s = item.as_str().ok_or_else(|| {
                src.error(
                    src.locate_item(item),
                    "Expected project version to be a string",
                )
            })?;
            p.version = Some(VersionNumber::parse(s).map_err(|_| {
                src.error(
                    src.locate_item(item),
                    "Could not parse project version as a version",
                )
            })?);
        }
        let deps = read_deps(src, root, "deps")?;
        p.weakdeps = read_deps(src, root, "weakdeps")?;
        p.extensions = read_extensions(src, root)?;
        p.sources = read_sources(src, root)?;
        p.extras = read_deps(src, root, "extras")?;
        p.compat = read_compat(src, root)?;
        p.targets = read_targets(src, root)?;
        p.workspace = read_workspace(src, root)?;
        if let Some(item) = root.get("readonly") {
            p.readonly = item.as_bool().ok_or_else(|| {
                src.error(src.locate_item(item), "Expected `readonly` to be a Boolean")
            })?;
        }
        for (name, uuid) in deps {
            if p.weakdeps.get(&name) == Some(&uuid) {
                p.deps_weak.insert(name, uuid);
            } else {
                p.deps.insert(name, uuid);
            }
        }
        p.validate(src)?;
        Ok(p)
    }

    fn validate(&self, src: &TomlSource) -> Result<()> {
        let root = src.root();
        let duplicate = |section: &str, map: &BTreeMap<String, Uuid>, what: &str| -> Result<()> {
            let mut seen = BTreeMap::new();
            for (name, uuid) in map {
                if let Some(first) = seen.insert(*uuid, name) {
                    return Err(src.error(
                        src.locate_key(table_of(root, section), name),
                        format!("Two different {what} can not have the same uuid (`{first}` and `{name}` are both {uuid})"),
                    ));
                }
            }
            Ok(())
        };
        let all_deps: BTreeMap<String, Uuid> = self
            .deps
            .iter()
            .chain(&self.deps_weak)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        duplicate("deps", &all_deps, "dependencies")?;
        duplicate("weakdeps", &self.weakdeps, "weak dependencies")?;
        duplicate("extras", &self.extras, "`extra` dependencies")?;
        for (target, names) in &self.targets {
            let at = || src.locate_key(table_of(root, "targets"), target);
            let mut seen = std::collections::BTreeSet::new();
            for dep in names {
                if !seen.insert(dep) {
                    return Err(src.error(
                        at(),
                        format!("A dependency was named twice in target `{target}`"),
                    ));
                }
                if !self.is_listed(dep, true) {
                    return Err(src.error(
                        at(),
                        format!("Dependency `{dep}` in target `{target}` not listed in `deps`, `weakdeps` or `extras` section"),
                    ));
                }
            }
        }
        for name in self.compat.keys() {
            if name != "julia" && !self.is_listed(name, true) {
                return Err(src.error(
                    src.locate_key(table_of(root, "compat"), name),
                    format!("Compat `{name}` not listed in `deps`, `weakdeps` or `extras` section"),
                ));
            }
        }
        for name in self.sources.keys() {
            if !self.is_listed(name, false) {
                return Err(src.error(
                    src.locate_key(table_of(root, "sources"), name),
                    format!("Sources for `{name}` not listed in `deps` or `extras` section"),
                ));
            }
        }
        Ok(())
    }

    /// Pkg's `listed_deps`: names in `[deps]`, `[extras]` and (optionally) `[weakdeps]`.
    fn is_listed(&self, name: &str, include_weak: bool) -> bool {
        self.deps.contains_key(name)
            || self.deps_weak.contains_key(name)
            || self.extras.contains_key(name)
            || (include_weak && self.weakdeps.contains_key(name))
    }

    /// `[deps]` as written: strong deps plus the names also listed as weak.
    pub fn all_deps(&self) -> BTreeMap<String, Uuid> {
        let mut all = self.deps.clone();
        all.extend(self.deps_weak.iter().map(|(k, v)| (k.clone(), *v)));
        all
    }

    /// The project's own package identity, when it has both a name and a UUID.
    pub fn package_id(&self) -> Option<(&str, Uuid)> {
        Some((self.name.as_deref()?, self.uuid?))
    }

    /// The name a UUID has among this project's deps, weakdeps and extras.
    pub fn dep_name(&self, uuid: &Uuid) -> Option<&str> {
        self.deps
            .iter()
            .chain(&self.deps_weak)
            .chain(&self.weakdeps)
            .chain(&self.extras)
            .find(|(_, u)| *u == uuid)
            .map(|(n, _)| n.as_str())
    }

    /// The project as Pkg would write it (`destructure` + `write_project`).
    pub fn to_pkg_toml(&self, flavor: PkgFlavor) -> String {
        let mut raw = self.raw.clone();
        let strings = |m: &BTreeMap<String, Uuid>| -> Option<Value> {
            (!m.is_empty()).then(|| {
                Value::Table(
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.to_string())))
                        .collect(),
                )
            })
        };
        raw.set_or_remove("name", self.name.clone().map(Value::from));
        raw.set_or_remove("uuid", self.uuid.map(|u| Value::from(u.to_string())));
        raw.set_or_remove(
            "version",
            self.version.as_ref().map(|v| Value::from(v.to_string())),
        );
        if flavor >= PkgFlavor::V1_12 {
            raw.set_or_remove(
                "workspace",
                self.workspace.as_ref().map(|projects| {
                    Value::Table(
                        [(
                            "projects".to_string(),
                            Value::Array(
                                projects.iter().map(|p| Value::from(p.as_str())).collect(),
                            ),
                        )]
                        .into_iter()
                        .collect(),
                    )
                }),
            );
            raw.set_or_remove("entryfile", self.entryfile.clone().map(Value::from));
        }
        raw.set_or_remove("manifest", self.manifest.clone().map(Value::from));
        raw.set_or_remove("deps", strings(&self.all_deps()));
        raw.set_or_remove("weakdeps", strings(&self.weakdeps));
        raw.set_or_remove(
            "sources",
            (!self.sources.is_empty()).then(|| {
                Value::Table(
                    self.sources
                        .iter()
                        .map(|(name, s)| {
                            let mut t: Table = [
                                ("path", &s.path),
                                ("url", &s.url),
                                ("rev", &s.rev),
                                ("subdir", &s.subdir),
                            ]
                            .into_iter()
                            .filter_map(|(k, v)| {
                                v.as_ref().map(|v| (k.to_string(), Value::from(v.as_str())))
                            })
                            .collect();
                            t.inline = flavor >= PkgFlavor::V1_11;
                            (name.clone(), Value::Table(t))
                        })
                        .collect(),
                )
            }),
        );
        raw.set_or_remove("extras", strings(&self.extras));
        raw.set_or_remove(
            "compat",
            (!self.compat.is_empty()).then(|| {
                Value::Table(
                    self.compat
                        .iter()
                        .map(|(k, c)| (k.clone(), Value::from(c.text.as_str())))
                        .collect(),
                )
            }),
        );
        raw.set_or_remove(
            "targets",
            (!self.targets.is_empty()).then(|| {
                Value::Table(
                    self.targets
                        .iter()
                        .map(|(k, names)| {
                            (
                                k.clone(),
                                Value::Array(
                                    names.iter().map(|n| Value::from(n.as_str())).collect(),
                                ),
                            )
                        })
                        .collect(),
                )
            }),
        );
        if flavor >= PkgFlavor::V1_13 {
            raw.set_or_remove("readonly", self.readonly.then_some(Value::Bool(true)));
        }
        let ranks = project_key_ranks(flavor);
        let order = |a: &str, b: &str| -> Ordering {
            let rank = |k: &str| ranks.iter().position(|r| *r == k).unwrap_or(ranks.len());
            rank(a)
                .cmp(&rank(b))
                .then_with(|| pkg_toml::byte_order(a, b))
        };
        pkg_toml::print(
            &raw,
            pkg_toml::PrintOptions {
                order: &order,
                triple_quote_multiline: flavor >= PkgFlavor::V1_11,
            },
        )
    }
}

/// The key ranks of Pkg's `_project_key_order` for a Pkg release.
pub(crate) fn project_key_ranks(flavor: PkgFlavor) -> &'static [&'static str] {
    match flavor {
        PkgFlavor::V1_10 => &[
            "name",
            "uuid",
            "keywords",
            "license",
            "desc",
            "deps",
            "weakdeps",
            "extensions",
            "compat",
        ],
        PkgFlavor::V1_11 => &[
            "name",
            "uuid",
            "keywords",
            "license",
            "desc",
            "deps",
            "weakdeps",
            "sources",
            "extensions",
            "compat",
        ],
        PkgFlavor::V1_12 => &[
            "name",
            "uuid",
            "keywords",
            "license",
            "desc",
            "version",
            "workspace",
            "deps",
            "weakdeps",
            "sources",
            "extensions",
            "compat",
        ],
        PkgFlavor::V1_13 => &[
            "name",
            "uuid",
            "keywords",
            "license",
            "desc",
            "version",
            "readonly",
            "workspace",
            "deps",
            "weakdeps",
            "sources",
            "extensions",
            "compat",
        ],
    }
}

/// The whole document as a plain table.
pub(crate) fn root_table(root: &toml_source::Table<'_>) -> Table {
    toml_source::entries(root)
        .map(|(k, v)| (k.to_string(), pkg_toml::from_item(v)))
        .collect()
}

fn table_of<'a, 'i>(root: &'a toml_source::Table<'i>, key: &str) -> &'a toml_source::Table<'i> {
    root.get(key)
        .and_then(|t| t.get_ref().as_table())
        .unwrap_or(root)
}

fn optional_string(
    src: &TomlSource,
    table: &toml_source::Table<'_>,
    key: &str,
) -> Result<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(item) => item.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
            src.error(
                src.locate_item(item),
                format!("Expected `{key}` to be a string"),
            )
        }),
    }
}

/// Iterates a table-like item (a `[table]` or an inline `{...}` table) with each entry's
/// location.
fn located_entries<'a, 'i>(
    src: &'a TomlSource,
    item: &'a Item<'i>,
) -> Option<impl Iterator<Item = (&'a str, &'a Item<'i>, crate::error::Location)> + 'a> {
    let t = item.get_ref().as_table()?;
    Some(
        t.iter()
            .map(move |(k, v)| (k.get_ref().as_ref(), v, src.locate(Some(k.span())))),
    )
}

/// Reads a `[section]` of `name = value` entries (a table or an inline table), parsing each
/// value with `parse`; a missing section is empty, a non-table one is Pkg's error.
fn read_section<T>(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
    section: &str,
    mut parse: impl FnMut(&str, &Item<'_>, crate::error::Location) -> Result<T>,
) -> Result<BTreeMap<String, T>> {
    let Some(item) = root.get(section) else {
        return Ok(BTreeMap::new());
    };
    let it = located_entries(src, item).ok_or_else(|| {
        src.error(
            src.locate_item(item),
            format!("Expected `{section}` section to be a key-value list"),
        )
    })?;
    let mut out = BTreeMap::new();
    for (name, value, loc) in it {
        out.insert(name.to_string(), parse(name, value, loc)?);
    }
    Ok(out)
}

fn read_deps(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
    section: &str,
) -> Result<BTreeMap<String, Uuid>> {
    read_section(src, root, section, |name, value, loc| {
        value.as_str().and_then(parse_uuid).ok_or_else(|| {
            src.error(
                loc,
                format!("Malformed value for `{name}` in `{section}` section."),
            )
        })
    })
}

fn read_extensions(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
) -> Result<BTreeMap<String, Vec<String>>> {
    read_section(src, root, "extensions", |name, value, loc| {
        one_or_many_strings(value)
            .map(|(names, _)| names)
            .ok_or_else(|| {
                src.error(
                    loc,
                    format!("Expected extension `{name}` to name a package or a list of packages"),
                )
            })
    })
}

fn read_compat(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
) -> Result<BTreeMap<String, Compat>> {
    read_section(src, root, "compat", |name, value, loc| {
        let text = value.as_str().ok_or_else(|| {
            src.error(
                loc.clone(),
                format!("Expected compat entry for `{name}` to be a string"),
            )
        })?;
        Compat::parse(text).map_err(|e| {
            src.error(
                src.locate_item(value).or(&loc),
                format!("Could not parse compatibility version spec {text:?} for dependency `{name}`: {e}"),
            )
        })
    })
}

fn read_targets(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
) -> Result<BTreeMap<String, Vec<String>>> {
    read_section(src, root, "targets", |name, value, loc| {
        string_array(value).ok_or_else(|| {
            src.error(
                loc,
                format!("Expected value for target `{name}` to be a list of dependency names."),
            )
        })
    })
}

fn read_sources(
    src: &TomlSource,
    root: &toml_source::Table<'_>,
) -> Result<BTreeMap<String, Source>> {
    read_section(src, root, "sources", |name, value, loc| {
        let table = value
            .as_table()
            .ok_or_else(|| src.error(loc.clone(), "Expected `source` section to be a table"))?;
        let mut source = Source::default();
        for (key, v) in toml_source::entries(table) {
            let slot = match key {
                "path" => &mut source.path,
                "url" => &mut source.url,
                "rev" => &mut source.rev,
                "subdir" => &mut source.subdir,
                other => {
                    return Err(src.error(loc, format!("Invalid key `{other}` in `source` section")))
                }
            };
            let text = v.as_str().ok_or_else(|| {
                src.error(
                    loc.clone(),
                    format!("Expected `{key}` of source `{name}` to be a string"),
                )
            })?;
            *slot = Some(text.to_string());
        }
        if source.path.is_some() && (source.url.is_some() || source.rev.is_some()) {
            return Err(src.error(
                loc,
                "Both `path` and `url` or `rev` are specified in `source` section",
            ));
        }
        Ok(source)
    })
}

fn read_workspace(src: &TomlSource, root: &toml_source::Table<'_>) -> Result<Option<Vec<String>>> {
    let Some(item) = root.get("workspace") else {
        return Ok(None);
    };
    let it = located_entries(src, item).ok_or_else(|| {
        src.error(
            src.locate_item(item),
            "Expected `workspace` section to be a key-value list",
        )
    })?;
    let mut projects = Vec::new();
    for (key, value, loc) in it {
        if key != "projects" {
            return Err(src.error(loc, format!("Invalid key `{key}` in `workspace`")));
        }
        projects = string_array(value)
            .ok_or_else(|| src.error(loc, "Expected entry in `projects` to be strings"))?;
    }
    Ok(Some(projects))
}

/// Finds the project file in `dir`, preferring `JuliaProject.toml` as Julia does.
pub fn project_file_in(dir: &Path) -> Option<PathBuf> {
    PROJECT_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Project> {
        Project::parse(Path::new("Project.toml"), text)
    }

    #[test]
    fn reads_keys_and_weak_duplicates() {
        let p = parse(
            r#"name = "A"
uuid = "7876af07-990d-54b4-ab0e-23690620f79a"
version = "0.1.0"
[deps]
B = "2a0f44e3-6c83-55bd-87e4-b1978d98bd5f"
C = "ade2ca70-3891-5945-98fb-dc099432e06a"
[weakdeps]
C = "ade2ca70-3891-5945-98fb-dc099432e06a"
[compat]
julia = "1.10"
B = "1"
"#,
        )
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("A"));
        assert_eq!(p.deps.len(), 1);
        assert!(p.deps_weak.contains_key("C"));
        assert_eq!(p.compat["julia"].text, "1.10");
    }

    #[test]
    fn errors_name_line_and_message() {
        let e = parse("name = \"A\"\n[deps]\nREPL = \"3f\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Project.toml:3:1: Malformed value for `REPL` in `deps` section."
        );
        let e = parse("[compat]\nX = \"1\"\n").unwrap_err();
        assert!(e.to_string().contains("Compat `X` not listed"), "{e}");
        assert_eq!(e.location().unwrap().line, Some(2));
        let e = parse("[deps]\nA = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("Two different dependencies"), "{e}");
    }

    #[test]
    fn writes_in_pkg_order() {
        let p = parse(
            "[compat]\nB = \"1\"\n[deps]\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n[extras]\nT = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n\n[targets]\ntest = [\"T\"]\n[sources]\nB = {path = \"dev/B\"}\n\nauthors = [\"me\"]\nname = \"A\"\nversion = \"1.0.0\"\n",
        );
        // `authors` after `[sources]` belongs to the sources table: invalid key there.
        assert!(p.is_err());
        let p = parse(
            "authors = [\"me\"]\nname = \"A\"\nversion = \"1.0.0\"\n[compat]\nB = \"1\"\n[deps]\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n[sources]\nB = {path = \"dev/B\"}\n",
        )
        .unwrap();
        assert_eq!(
            p.to_pkg_toml(PkgFlavor::V1_12),
            "name = \"A\"\nversion = \"1.0.0\"\nauthors = [\"me\"]\n\n[deps]\nB = \"2a0f44e3-6c83-55bd-87e4-b1978d98bd5f\"\n\n[sources]\nB = {path = \"dev/B\"}\n\n[compat]\nB = \"1\"\n"
        );
        assert!(p
            .to_pkg_toml(PkgFlavor::V1_10)
            .starts_with("name = \"A\"\nauthors = [\"me\"]\nversion = \"1.0.0\"\n"));
    }
}
