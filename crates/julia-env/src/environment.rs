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
    /// (`Manifest-v1.11.toml`); without it the newest versioned manifest present is used
    /// before the plain names.
    pub fn load(project_file: &Path, julia: Option<&VersionNumber>) -> Result<Environment> {
        let project = Project::read_or_default(project_file)?;
        let workspace = find_workspace(project_file, &project)?;
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
            Some(VersionNumber::new(
                major.parse().ok()?,
                minor.parse().ok()?,
                0,
            ))
        })
        .max()
}

/// Finds the workspace a project belongs to: its own `[workspace]`, or the topmost parent
/// project whose `workspace.projects` lists this project's directory.
pub fn find_workspace(project_file: &Path, project: &Project) -> Result<Option<Workspace>> {
    let mut root = project_file.to_path_buf();
    let mut child_dir = project_file.parent().map(Path::to_path_buf);
    while let Some(dir) = child_dir {
        let Some(parent) = dir.parent() else { break };
        let Some(parent_file) = project_file_in(parent) else {
            break;
        };
        let parent_project = Project::read(&parent_file)?;
        let listed = parent_project.workspace.as_ref().is_some_and(|projects| {
            projects
                .iter()
                .any(|p| crate::depot::normalize(&parent.join(p)) == crate::depot::normalize(&dir))
        });
        if !listed {
            break;
        }
        root = parent_file;
        child_dir = Some(parent.to_path_buf());
    }
    if root == project_file && project.workspace.is_none() {
        return Ok(None);
    }
    let mut projects = Vec::new();
    collect_workspace(&root, &mut projects)?;
    Ok(Some(Workspace { root, projects }))
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
}
