//! Making an environment agree with an image: `strip` (keep exactly what the pinned policy
//! bakes) and `pin` (pin the environment at an image's versions). Both produce the new file
//! contents; writing them (or showing a diff) is the caller's choice.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use julia_env::edit::{ManifestEditor, ProjectEditor};
use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use julia_env::project::Project;
use julia_env::project_hash::project_hash;
use julia_env::Result;

use crate::model::plan::Plan;
use crate::model::record::ImageRecord;

/// A file's contents before and after an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The file.
    pub path: PathBuf,
    /// Its contents now.
    pub before: String,
    /// Its contents after the edit.
    pub after: String,
}

impl FileChange {
    /// Whether the edit changes the file.
    pub fn changed(&self) -> bool {
        self.before != self.after
    }

    /// Writes the new contents atomically (nothing when unchanged).
    pub fn apply(&self) -> Result<()> {
        if self.changed() {
            julia_env::edit::write_atomic(&self.path, &self.after)?;
        }
        Ok(())
    }
}

/// The edits of `strip` or `pin`, and what they did in words.
#[derive(Clone, Debug)]
pub struct Alignment {
    /// The Project.toml change.
    pub project: FileChange,
    /// The Manifest.toml change.
    pub manifest: FileChange,
    /// What was done, one line per action.
    pub actions: Vec<String>,
}

fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| julia_env::Error::io(path, e))
}

/// `strip`: remove from the Manifest every package the plan does not bake, and from the
/// Project every direct dependency that is not baked (with its compat); then record the new
/// `project_hash`, so that the stripped environment is consistent.
pub fn strip(env: &Environment, plan: &Plan) -> Result<Alignment> {
    let manifest = env.manifest.as_ref().ok_or_else(|| {
        julia_env::Error::invalid(
            julia_env::Location::file(&env.manifest_file),
            "no manifest to strip",
        )
    })?;
    let baked = plan.baked_uuids();
    let mut actions = Vec::new();
    let mut proj = ProjectEditor::open(&env.project_file)?;
    let leaving: BTreeSet<String> = env
        .project
        .all_deps()
        .into_iter()
        .filter(|(_, uuid)| !baked.contains(uuid))
        .map(|(name, _)| name)
        .collect();
    let removed_deps = proj.remove_deps(&leaving);
    for (name, _) in env.project.all_deps() {
        if removed_deps.contains(&name) {
            actions.push(format!(
                "removed direct dependency `{name}` from {}",
                env.project_file.display()
            ));
        }
    }
    let gone: BTreeSet<Uuid> = manifest
        .entries
        .iter()
        .map(|e| e.uuid)
        .filter(|u| !baked.contains(u))
        .collect();
    let mut ed = ManifestEditor::open(&env.manifest_file)?;
    let removed = ed.remove_entries(&gone);
    if removed > 0 {
        actions.push(format!(
            "removed {removed} {} from {}",
            if removed == 1 { "entry" } else { "entries" },
            env.manifest_file.display()
        ));
    }
    // Weak dependencies may now name packages that left: Pkg writes those as a table.
    for e in manifest.entries.iter().filter(|e| baked.contains(&e.uuid)) {
        if e.weakdeps
            .iter()
            .any(|d| d.uuid.is_some_and(|u| gone.contains(&u)))
            && !e.deps_as_table.1
        {
            let pairs: Vec<(String, Uuid)> = e
                .weakdeps
                .iter()
                .filter_map(|d| Some((d.name.clone(), d.uuid?)))
                .collect();
            ed.weakdeps_as_table(&e.uuid, &pairs);
        }
    }
    finish(env, &proj, ed, actions)
}

/// Records the `project_hash` of the edited project in the manifest (when it records one), so
/// that an edit that keeps the manifest valid for the project does not leave it looking stale.
/// A manifest that was stale before keeps its old hash: the edit does not resolve it.
fn refresh_project_hash(
    env: &Environment,
    project_text: &str,
    ed: &mut ManifestEditor,
    actions: &mut Vec<String>,
) -> Result<()> {
    let Some(manifest) = env.manifest.as_ref().filter(|m| m.project_hash.is_some()) else {
        return Ok(());
    };
    let members = env.workspace_members();
    let hash_of = |p: &Project| {
        project_hash(
            p,
            &members,
            manifest.flavor(),
            manifest.julia_version.as_ref(),
        )
    };
    let new_project = Project::parse(&env.project_file, project_text)?;
    let after = hash_of(&new_project);
    if Some(after) == manifest.project_hash {
        // Already right, e.g. re-run after an edit that was stopped between the Manifest
        // (written first) and the Project.
        return Ok(());
    }
    if Some(hash_of(&env.project)) != manifest.project_hash {
        actions.push(
            "left project_hash as it was: the manifest was already stale (run `Pkg.resolve()`)"
                .into(),
        );
        return Ok(());
    }
    ed.set_project_hash(&after);
    actions.push(format!("updated project_hash to {after}"));
    Ok(())
}

/// A package whose version or tree hash in the Manifest differs from the image's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The package.
    pub name: String,
    /// What differs, in words.
    pub message: String,
}

/// Why `pin` refused.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The environment disagrees with the image.
    #[error("the environment disagrees with image {image}:\n{}", conflicts.iter().map(|c| format!("  {}: {}", c.name, c.message)).collect::<Vec<_>>().join("\n"))]
    Conflicts {
        /// The image id.
        image: String,
        /// Each conflict.
        conflicts: Vec<Conflict>,
    },
    /// A file could not be read or edited.
    #[error(transparent)]
    File(#[from] julia_env::Error),
}

/// `pin`: `pinned = true` on every package the image holds under its real UUID (public,
/// shared and internal: the image's copy is what loads, whatever the Manifest says) that the
/// Manifest has (at the image's version), and with `compat`, `"=x.y.z"` compat entries for
/// those that are direct dependencies, so the pins survive a Manifest that is not committed.
/// Pkg reads `[compat]` only for direct dependencies: baked packages the project does not
/// name come back at the image's versions only from a Manifest.
///
/// A project marked `readonly = true` is refused for an image of Julia 1.13+, as Pkg 1.13
/// refuses `Pkg.pin` on it (release-1.13 src/API.jl `pin` calls `check_readonly(ctx)`:
/// "Cannot modify a readonly environment. The project at ... is marked as readonly.");
/// older Pkgs do not know the key.
///
/// A side-loaded package (one with a derived UUID in the record) is never pinned nor checked
/// for conflicts: the image's copy does not shadow the Manifest's, and moving it is what
/// side-loading is for.
pub fn pin(env: &Environment, record: &ImageRecord, compat: bool) -> Result<Alignment, PinError> {
    let pkg_1_13 = julia_env::version::VersionNumber::parse(&record.julia.version)
        .is_ok_and(|v| (v.major, v.minor) >= (1, 13));
    if env.project.readonly && pkg_1_13 {
        return Err(PinError::File(julia_env::Error::invalid(
            julia_env::Location::file(&env.project_file),
            format!(
                "Cannot modify a readonly environment. The project at {} is marked as readonly \
                 (Pkg {} refuses to pin in it; remove `readonly = true` to pin)",
                env.project_file.display(),
                record.julia.version
            ),
        )));
    }
    let manifest = env.manifest.as_ref().ok_or_else(|| {
        julia_env::Error::invalid(
            julia_env::Location::file(&env.manifest_file),
            "no manifest to pin",
        )
    })?;
    let held: Vec<&crate::model::record::RecordPackage> = record
        .packages
        .iter()
        .filter(|p| p.sideload_uuid.is_none())
        .collect();
    let mut conflicts = Vec::new();
    for p in &held {
        let Some(e) = manifest.get(&p.uuid) else {
            continue;
        };
        let version = e.version.as_ref().map(ToString::to_string);
        if version != p.version {
            conflicts.push(Conflict {
                name: p.name.clone(),
                message: format!(
                    "the manifest has version {}, the image {}",
                    version.as_deref().unwrap_or("(none)"),
                    p.version.as_deref().unwrap_or("(none)")
                ),
            });
        }
        let tree = e.tree_hash.map(|t| t.to_string());
        if tree != p.tree_hash {
            conflicts.push(Conflict {
                name: p.name.clone(),
                message: format!(
                    "the manifest has tree hash {}, the image {}",
                    tree.as_deref().unwrap_or("(none)"),
                    p.tree_hash.as_deref().unwrap_or("(none)")
                ),
            });
        }
    }
    if !conflicts.is_empty() {
        return Err(PinError::Conflicts {
            image: record.id.clone(),
            conflicts,
        });
    }
    let mut actions = Vec::new();
    let mut ed = ManifestEditor::open(&env.manifest_file)?;
    let mut pinned = 0;
    let mut pinned_now = BTreeSet::new();
    for p in &held {
        // Standard libraries are never pinned: Pkg refuses to, and Pkg 1.5 crashes
        // (`isless(::VersionSpec, ::VersionSpec)`) printing the diff of a pinned one.
        let pinnable = |e: &julia_env::manifest::ManifestEntry| {
            !e.pinned && e.tracking() != julia_env::manifest::Tracking::Stdlib
        };
        if manifest.get(&p.uuid).is_some_and(pinnable) && ed.set_pinned(&p.uuid, true) {
            pinned += 1;
            pinned_now.insert(p.uuid);
        }
    }
    if pinned > 0 {
        actions.push(format!(
            "pinned {pinned} {} in {}",
            if pinned == 1 { "package" } else { "packages" },
            env.manifest_file.display()
        ));
    }
    // Pkg keeps only direct dependencies' pins through `Pkg.update()`: its `Operations.up`
    // carries `pinned` for the project's deps alone (`load_direct_deps`, Pkg v1.5.3
    // src/Operations.jl:64-83 and 1220, the same through v1.12), and `update_manifest!`
    // (l.116-131) rewrites every other entry from the resolver with `pinned = false`.
    let direct_uuids: BTreeSet<_> = env.project.all_deps().into_values().collect();
    let indirect: Vec<&str> = held
        .iter()
        .filter(|p| pinned_now.contains(&p.uuid) && !direct_uuids.contains(&p.uuid))
        .map(|p| p.name.as_str())
        .collect();
    if !indirect.is_empty() {
        actions.push(format!(
            "{} {} not in the project: Pkg.update() keeps the pins of direct dependencies \
             only and drops {} (the versions then hold only as far as the pinned direct \
             dependencies' compat allows); to hold {} too, add {} to the project and run \
             `sysimg pin --compat`",
            indirect.join(", "),
            if indirect.len() == 1 { "is" } else { "are" },
            if indirect.len() == 1 {
                "its pin"
            } else {
                "theirs"
            },
            if indirect.len() == 1 { "it" } else { "them" },
            if indirect.len() == 1 { "it" } else { "them" },
        ));
    }
    let mut proj = ProjectEditor::open(&env.project_file)?;
    if compat {
        let direct = env.project.all_deps();
        for p in &held {
            let (Some(v), true) = (&p.version, direct.values().any(|u| *u == p.uuid)) else {
                continue;
            };
            let want = format!("={v}");
            if env.project.compat.get(&p.name).map(|c| c.text.as_str()) != Some(want.as_str()) {
                proj.set_compat(&p.name, &want);
                actions.push(format!("set compat {} = \"{want}\"", p.name));
            }
        }
    }
    Ok(finish(env, &proj, ed, actions)?)
}

/// The alignment of both files once the edits are made: `project_hash` refreshed (when it was
/// fresh), before and after of each file.
fn finish(
    env: &Environment,
    proj: &ProjectEditor,
    mut ed: ManifestEditor,
    mut actions: Vec<String>,
) -> Result<Alignment> {
    let project_after = proj.contents();
    refresh_project_hash(env, &project_after, &mut ed, &mut actions)?;
    // The edits come out with LF endings and no byte-order mark; keep each file's own form.
    let change = |path: &Path, after: String| -> Result<FileChange> {
        let before = read(path)?;
        let after = julia_env::edit::in_the_form_of(&after, before.as_bytes());
        Ok(FileChange {
            path: path.to_path_buf(),
            before,
            after,
        })
    };
    Ok(Alignment {
        project: change(&env.project_file, project_after)?,
        manifest: change(&env.manifest_file, ed.contents())?,
        actions,
    })
}
