//! An environment: which project file is active (as `julia --project` decides), which
//! manifest belongs to it (explicit `manifest` key, workspace root, versioned names), and the
//! workspace it is part of.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::{manifest_names, Manifest, Problem};
use crate::project::{project_file_in, Project, PROJECT_NAMES};
use crate::toml_source::TomlSource;
use crate::version::VersionNumber;

/// Resolves a `--project` value the way `julia --project=...` does: `@.` (or an empty value)
/// searches upward from `cwd` for a project file, stopping at `home`; `@name` is a named
/// environment in the first depot that has it; anything else is a directory or a file.
/// With no value, `JULIA_PROJECT` is used when given, else the upward search.
pub fn resolve_project_file(
    flag: Option<&OsStr>,
    julia_project_env: Option<&OsStr>,
    cwd: &Path,
    home: Option<&Path>,
    depots: &[PathBuf],
) -> Result<PathBuf> {
    let spec = flag.or(julia_project_env).unwrap_or(OsStr::new("@."));
    // `@.` and `@name` are text; anything else is a path, whatever bytes it holds.
    let text = spec.to_str();
    if spec.is_empty() || text == Some("@.") {
        return find_project_upward(cwd, home).ok_or_else(|| {
            Error::invalid(
                crate::error::Location::file(cwd),
                format!(
                    "no Project.toml or JuliaProject.toml in {} or any parent directory (use --project DIR)",
                    cwd.display()
                ),
            )
        });
    }
    if let Some(name) = text.and_then(|t| t.strip_prefix('@')) {
        let dirs: Vec<PathBuf> = depots
            .iter()
            .map(|d| d.join("environments").join(name))
            .collect();
        let dir = dirs
            .iter()
            .find(|d| project_file_in(d).is_some())
            .or(dirs.first())
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    crate::error::Location::file(name),
                    "a named environment needs a depot",
                )
            })?;
        return Ok(project_file_in(&dir).unwrap_or_else(|| dir.join("Project.toml")));
    }
    let path = expand(Path::new(spec), cwd, home);
    if path.is_dir() {
        return Ok(project_file_in(&path).unwrap_or_else(|| path.join("Project.toml")));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if name.is_some_and(|n| n.starts_with("Manifest") || n.starts_with("JuliaManifest")) {
        return Err(Error::invalid(
            crate::error::Location::file(&path),
            "a manifest, not a project file: give the project's directory or its Project.toml",
        ));
    }
    Ok(path)
}

fn expand(spec: &Path, cwd: &Path, home: Option<&Path>) -> PathBuf {
    let p = match (spec.strip_prefix("~"), home) {
        (Ok(rest), Some(h)) => h.join(rest),
        _ => spec.to_path_buf(),
    };
    if p.is_absolute() {
        p
    } else {
        crate::depot::normalize(&cwd.join(p))
    }
}

/// Julia's `current_project(dir)`: the nearest project file upward, not above `home`.
pub fn find_project_upward(start: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let mut dir = start.to_path_buf();
    loop {
        if let Some(f) = project_file_in(&dir) {
            return Some(f);
        }
        if Some(dir.as_path()) == home {
            return None;
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// The projects of a workspace (Julia 1.12+), root first.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    /// The root project file (the manifest lives beside it).
    pub root: PathBuf,
    /// Every project of the workspace, the root first, with its file.
    pub projects: Vec<(PathBuf, Project)>,
}

/// An environment: the active project, its manifest (if any) and its workspace.
#[derive(Clone, Debug)]
pub struct Environment {
    /// The active project file.
    pub project_file: PathBuf,
    /// The active project.
    pub project: Project,
    /// The manifest file the project uses (it may not exist).
    pub manifest_file: PathBuf,
    /// The manifest, when the file exists.
    pub manifest: Option<Manifest>,
    /// Graph problems in the manifest (Pkg refuses such a manifest).
    pub manifest_problems: Vec<Problem>,
    /// The workspace, when the project belongs to one.
    pub workspace: Option<Workspace>,
}

impl Environment {
    /// Loads the environment of a project file. `julia` picks versioned manifest names
    /// (`Manifest-v1.11.toml`, on the releases that read them) and the workspace rule
    /// ([`WorkspaceRule::of`]); without it the newest versioned manifest present is used
    /// before the plain names, and the newest rule. The workspace search goes up to the
    /// root ([`find_workspace`] can stop at home as Julia does).
    pub fn load(project_file: &Path, julia: Option<&VersionNumber>) -> Result<Environment> {
        let project = Project::read_or_default(project_file)?;
        let workspace = find_workspace(project_file, &project, WorkspaceRule::of(julia), None)?;
        let manifest_file = manifest_file_for(project_file, &project, workspace.as_ref(), julia);
        let (manifest, manifest_problems) = if manifest_file.is_file() {
            let src = TomlSource::read(&manifest_file, "manifest")?;
            let m = Manifest::from_source_lenient(&src)?;
            let problems = m.problems();
            (Some(m), problems)
        } else {
            (None, Vec::new())
        };
        Ok(Environment {
            project_file: project_file.to_path_buf(),
            project,
            manifest_file,
            manifest,
            manifest_problems,
            workspace,
        })
    }

    /// The directory of the project file.
    pub fn dir(&self) -> &Path {
        self.project_file.parent().unwrap_or(Path::new("."))
    }

    /// The workspace's other projects (every workspace project but the active one).
    pub fn workspace_members(&self) -> Vec<Project> {
        match &self.workspace {
            None => Vec::new(),
            Some(w) => w
                .projects
                .iter()
                .filter(|(f, _)| *f != self.project_file)
                .map(|(_, p)| p.clone())
                .collect(),
        }
    }
}

/// Which manifest file a project uses.
pub fn manifest_file_for(
    project_file: &Path,
    project: &Project,
    workspace: Option<&Workspace>,
    julia: Option<&VersionNumber>,
) -> PathBuf {
    let dir = project_file.parent().unwrap_or(Path::new("."));
    if let Some(explicit) = &project.manifest {
        return dir.join(explicit);
    }
    if let Some(w) = workspace {
        if w.root != project_file {
            let root_project = w.projects.first().map(|(_, p)| p);
            return manifest_file_for(&w.root, root_project.unwrap_or(project), None, julia);
        }
    }
    let julia = julia.cloned().or_else(|| newest_versioned_manifest(dir));
    for name in manifest_names(julia.as_ref()) {
        let p = dir.join(&name);
        if p.is_file() {
            return p;
        }
    }
    let julia_named = project_file
        .file_name()
        .is_some_and(|n| n == PROJECT_NAMES[0]);
    dir.join(if julia_named {
        "JuliaManifest.toml"
    } else {
        "Manifest.toml"
    })
}

/// The highest `X.Y` among `(Julia)Manifest-vX.Y.toml` files in `dir`.
fn newest_versioned_manifest(dir: &Path) -> Option<VersionNumber> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let rest = name
                .strip_prefix("JuliaManifest-v")
                .or_else(|| name.strip_prefix("Manifest-v"))?;
            let v = rest.strip_suffix(".toml")?;
            let (major, minor) = v.split_once('.')?;
            // The newest patch release of X.Y (1.10.8+ reads `Manifest-v1.10.toml`).
            Some(VersionNumber::new(
                major.parse().ok()?,
                minor.parse().ok()?,
                u32::MAX,
            ))
        })
        .max()
}

/// How a Julia release finds the workspace a project belongs to (JuliaLang/julia
/// base/loading.jl `base_project`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkspaceRule {
    /// Julia 1.11 and older: no workspaces (a `[workspace]` section means nothing).
    None,
    /// Julia 1.12.0 and 1.12.1: the directory just above the project holds the base project,
    /// and its `workspace.projects` names the project's directory by its last component
    /// (v1.12.1: `basename(dirname(project_file)) in projects`).
    DirectParent,
    /// Julia 1.12.2+ and 1.13 (julia#59849): every ancestor directory, nearest first, up to
    /// the root (or, for a project under home, not out of home), until one's project lists a
    /// path that is the project's directory (`samefile(joinpath(workspace_root, project),
    /// project_dir)`), so `lib/Sub` is a member. That base project's own base is looked for
    /// the same way, up to the topmost.
    Ancestors,
}

impl WorkspaceRule {
    /// The rule of `julia`; without one, the newest release's.
    pub fn of(julia: Option<&VersionNumber>) -> WorkspaceRule {
        match julia.map(|v| (v.major, v.minor, v.patch)) {
            None => WorkspaceRule::Ancestors,
            Some(v) if v < (1, 12, 0) => WorkspaceRule::None,
            Some(v) if v < (1, 12, 2) => WorkspaceRule::DirectParent,
            Some(_) => WorkspaceRule::Ancestors,
        }
    }
}

/// Finds the workspace a project belongs to as Julia's `base_project` does under `rule`: its
/// own `[workspace]`, or the topmost base project found from it. `home` bounds the upward
/// search of [`WorkspaceRule::Ancestors`] for a project under it (`None`: up to the root).
pub fn find_workspace(
    project_file: &Path,
    project: &Project,
    rule: WorkspaceRule,
    home: Option<&Path>,
) -> Result<Option<Workspace>> {
    if rule == WorkspaceRule::None {
        return Ok(None);
    }
    let mut root = project_file.to_path_buf();
    while let Some(base) = base_project(&root, rule, home)? {
        if base == root || base == project_file {
            break; // a cycle of symlinks or `..` entries: stop where Julia would recurse
        }
        root = base;
    }
    if root == project_file && project.workspace.is_none() {
        return Ok(None);
    }
    let mut projects = Vec::new();
    collect_workspace(&root, &mut projects)?;
    Ok(Some(Workspace { root, projects }))
}

/// Julia's `base_project(project_file)` under `rule`: the project file whose
/// `workspace.projects` lists this project's directory.
fn base_project(
    project_file: &Path,
    rule: WorkspaceRule,
    home: Option<&Path>,
) -> Result<Option<PathBuf>> {
    let project_dir = crate::depot::normalize(project_file.parent().unwrap_or(Path::new(".")));
    let started_in_home = home.is_some_and(|h| project_dir.starts_with(h));
    let mut current = project_dir.clone();
    while let Some(parent) = current.parent().map(Path::to_path_buf) {
        if started_in_home && home.is_some_and(|h| !parent.starts_with(h)) {
            return Ok(None);
        }
        if let Some(parent_file) = project_file_in(&parent) {
            let projects = Project::read(&parent_file)?.workspace.unwrap_or_default();
            let listed = match rule {
                WorkspaceRule::DirectParent => project_dir
                    .file_name()
                    .is_some_and(|n| projects.iter().any(|p| OsStr::new(p) == n)),
                _ => projects.iter().any(|p| {
                    let path = crate::depot::normalize(&parent.join(p));
                    path.is_dir() && same_dir(&path, &project_dir)
                }),
            };
            if listed {
                return Ok(Some(parent_file));
            }
        }
        if rule == WorkspaceRule::DirectParent {
            return Ok(None);
        }
        current = parent;
    }
    Ok(None)
}

/// Julia's `samefile` for two directories: the same path, or the same file once resolved.
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

fn collect_workspace(file: &Path, out: &mut Vec<(PathBuf, Project)>) -> Result<()> {
    if out.iter().any(|(f, _)| f == file) {
        return Ok(());
    }
    let project = Project::read(file)?;
    let members = project.workspace.clone().unwrap_or_default();
    out.push((file.to_path_buf(), project));
    let dir = file.parent().unwrap_or(Path::new("."));
    for member in members {
        if let Some(f) = project_file_in(&crate::depot::normalize(&dir.join(member))) {
            collect_workspace(&f, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn project_resolution_like_julia() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::create_dir_all(root.join("a/b/c")).unwrap();
        fs::write(root.join("a/Project.toml"), "").unwrap();
        let found = resolve_project_file(None, None, &root.join("a/b/c"), None, &[]).unwrap();
        assert_eq!(found, root.join("a/Project.toml"));
        fs::write(root.join("a/JuliaProject.toml"), "").unwrap();
        let found =
            resolve_project_file(Some(OsStr::new("@.")), None, &root.join("a/b"), None, &[])
                .unwrap();
        assert_eq!(found, root.join("a/JuliaProject.toml"));
        let found =
            resolve_project_file(None, Some(OsStr::new("b")), &root.join("a"), None, &[]).unwrap();
        assert_eq!(found, root.join("a/b/Project.toml"));
        assert!(resolve_project_file(
            None,
            None,
            &root.join("a/b/c"),
            Some(&root.join("a/b")),
            &[]
        )
        .is_err());
        let named = resolve_project_file(
            Some(OsStr::new("@work")),
            None,
            root,
            None,
            &[root.join("depot")],
        )
        .unwrap();
        assert_eq!(named, root.join("depot/environments/work/Project.toml"));
    }

    #[test]
    fn manifest_names_and_workspaces() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::write(
            root.join("Project.toml"),
            "[workspace]\nprojects = [\"test\"]\n",
        )
        .unwrap();
        fs::create_dir_all(root.join("test")).unwrap();
        fs::write(root.join("test/Project.toml"), "[deps]\n").unwrap();
        let env = Environment::load(&root.join("test/Project.toml"), None).unwrap();
        assert_eq!(env.manifest_file, root.join("Manifest.toml"));
        assert_eq!(env.workspace.as_ref().unwrap().projects.len(), 2);
        assert_eq!(env.workspace_members().len(), 1);
        fs::write(root.join("Manifest-v1.11.toml"), "").unwrap();
        let env = Environment::load(&root.join("Project.toml"), None).unwrap();
        assert_eq!(env.manifest_file, root.join("Manifest-v1.11.toml"));
        let v10 = VersionNumber::new(1, 10, 4);
        let env = Environment::load(&root.join("Project.toml"), Some(&v10)).unwrap();
        assert_eq!(env.manifest_file, root.join("Manifest.toml"));
        assert!(env.manifest.is_none());
    }

    fn v(s: &str) -> VersionNumber {
        VersionNumber::parse(s).unwrap()
    }

    /// v1.10.7 base/loading.jl: `const manifest_names = ("JuliaManifest.toml",
    /// "Manifest.toml")`; v1.10.8 and v1.11.0 base/loading.jl: `const manifest_names =
    /// ("JuliaManifest-v$(VERSION.major).$(VERSION.minor).toml", "Manifest-v$(VERSION.major).
    /// $(VERSION.minor).toml", "JuliaManifest.toml", "Manifest.toml")` (commit 64e0f11e67).
    #[test]
    fn versioned_manifests_only_on_releases_that_read_them() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::write(root.join("Project.toml"), "[deps]\n").unwrap();
        fs::write(root.join("Manifest.toml"), "").unwrap();
        fs::write(root.join("Manifest-v1.10.toml"), "").unwrap();
        fs::write(root.join("Manifest-v1.11.toml"), "").unwrap();
        let manifest = |julia: &str| {
            Environment::load(&root.join("Project.toml"), Some(&v(julia)))
                .unwrap()
                .manifest_file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        for old in ["1.5.3", "1.9.4", "1.10.0", "1.10.7"] {
            assert_eq!(manifest(old), "Manifest.toml", "Julia {old}");
        }
        assert_eq!(manifest("1.10.8"), "Manifest-v1.10.toml");
        assert_eq!(manifest("1.10.10"), "Manifest-v1.10.toml");
        assert_eq!(manifest("1.11.0"), "Manifest-v1.11.toml");
        assert_eq!(manifest("1.12.1"), "Manifest.toml");
        // Without a julia: the newest versioned manifest present.
        let env = Environment::load(&root.join("Project.toml"), None).unwrap();
        assert_eq!(env.manifest_file, root.join("Manifest-v1.11.toml"));
    }

    /// JuliaLang/julia base/loading.jl `base_project`: none before 1.12 (no workspaces);
    /// v1.12.0/v1.12.1 `base_dir = abspath(joinpath(dirname(project_file), ".."))` and
    /// `basename(dirname(project_file)) in projects`; v1.12.2+ and release-1.13 (julia#59849)
    /// `while true; parent_dir = dirname(current_dir)` ... `samefile(project_path,
    /// project_dir)`, stopping at the root, or on leaving home for a project under it.
    #[test]
    fn workspace_membership_per_release() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::write(
            root.join("Project.toml"),
            "[workspace]\nprojects = [\"test\", \"lib/Sub\"]\n",
        )
        .unwrap();
        fs::create_dir_all(root.join("test")).unwrap();
        fs::create_dir_all(root.join("lib/Sub")).unwrap();
        fs::write(root.join("test/Project.toml"), "[deps]\n").unwrap();
        fs::write(root.join("lib/Sub/Project.toml"), "name = \"Sub\"\n").unwrap();
        let ws_root = |member: &str, julia: Option<&str>| {
            let julia = julia.map(v);
            Environment::load(&root.join(member).join("Project.toml"), julia.as_ref())
                .unwrap()
                .workspace
                .map(|w| w.root)
        };
        let top = Some(root.join("Project.toml"));
        // lib/Sub: a member from 1.12.2 on (an ancestor two levels up lists it).
        assert_eq!(ws_root("lib/Sub", Some("1.13.1")), top);
        assert_eq!(ws_root("lib/Sub", Some("1.12.2")), top);
        assert_eq!(ws_root("lib/Sub", None), top);
        assert_eq!(ws_root("lib/Sub", Some("1.12.1")), None);
        assert_eq!(ws_root("lib/Sub", Some("1.12.0")), None);
        // test: a member on every release with workspaces, none before.
        assert_eq!(ws_root("test", Some("1.12.0")), top);
        assert_eq!(ws_root("test", Some("1.13.0")), top);
        assert_eq!(ws_root("test", Some("1.11.5")), None);
        assert_eq!(ws_root("test", Some("1.10.8")), None);
        // A project file in between that does not list it does not stop the search.
        fs::write(root.join("lib/Project.toml"), "[deps]\n").unwrap();
        assert_eq!(ws_root("lib/Sub", Some("1.13.1")), top);
        // Under home, the search does not leave home.
        let sub = root.join("lib/Sub/Project.toml");
        let project = Project::read(&sub).unwrap();
        let home = root.join("lib");
        let found = find_workspace(&sub, &project, WorkspaceRule::Ancestors, Some(&home)).unwrap();
        assert!(found.is_none());
        let found = find_workspace(&sub, &project, WorkspaceRule::Ancestors, Some(root)).unwrap();
        assert_eq!(found.map(|w| w.root), top);
    }
}
