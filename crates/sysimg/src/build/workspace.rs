//! The build's workspace: the environment to bake, copied and adjusted, side-loaded sources
//! and the generated scripts.

use std::path::{Path, PathBuf};

use julia_env::edit::ManifestEditor;
use julia_env::environment::Environment;
use julia_env::{Error, Location};

use super::{io_err, preference_files, BuildRequest};
use crate::codegen::{build_script, record_module, BuildScript};
use crate::julia::tools::ToolsEnv;
use crate::model::plan::Role;
use crate::model::record::ImageRecord;
use crate::model::spec::Policy;

/// Writes the build workspace into `dir`: the environment to bake (stripped for the pinned
/// policy, path-tracked packages made absolute, preference files beside it),
/// `sysimage_data.jl` and `build.jl`; side-loaded sources go to [`Store::sideload_dir`].
pub fn write_workspace(
    req: &BuildRequest<'_>,
    record: &ImageRecord,
    tools: &ToolsEnv,
    dir: &Path,
) -> Result<PathBuf, Error> {
    let env_dir = dir.join("environment");
    std::fs::create_dir_all(&env_dir).map_err(io_err(&env_dir))?;
    let project = env_dir.join("Project.toml");
    let manifest = env_dir.join("Manifest.toml");
    std::fs::copy(&req.env.project_file, &project).map_err(io_err(&project))?;
    std::fs::copy(&req.env.manifest_file, &manifest).map_err(io_err(&manifest))?;
    // The copy lives elsewhere: relative `[sources]` paths and workspace members are made
    // absolute, and a project that is itself a package brings its `src/`.
    {
        use julia_env::edit::ProjectEditor;
        let mut ed = ProjectEditor::open(&project)?;
        if ed.absolutize_paths(req.env.dir()) {
            ed.write()?;
        }
    }
    let own_src = req.env.dir().join("src");
    if req.env.project.name.is_some() && req.env.project.uuid.is_some() && own_src.is_dir() {
        copy_tree(&own_src, &env_dir.join("src"))?;
    }
    let copy = Environment::load(&project, None)?;
    if req.plan.policy == Policy::Pinned {
        let stripped = crate::align::strip(&copy, req.plan)?;
        stripped.project.apply()?;
        stripped.manifest.apply()?;
    }
    if let Some(m) = &req.env.manifest {
        let mut ed = ManifestEditor::open(&manifest)?;
        let mut changed = false;
        for e in m.entries.iter().filter(|e| e.path.is_some()) {
            if let Some(p) = &e.path {
                let abs = julia_env::depot::normalize(
                    &req.env
                        .manifest_file
                        .parent()
                        .unwrap_or(Path::new("."))
                        .join(p),
                );
                changed |= ed.set_path(&e.uuid, &abs.to_string_lossy());
            }
        }
        if changed {
            ed.write()?;
        }
    }
    for f in preference_files(req.env.dir()) {
        let (from, to) = (req.env.dir().join(&f), env_dir.join(&f));
        std::fs::copy(&from, &to).map_err(io_err(&from))?;
    }
    sideload(req, &env_dir, &req.store.sideload_dir(&record.id))?;
    let data_script = dir.join("sysimage_data.jl");
    std::fs::write(&data_script, record_module(record)).map_err(io_err(&data_script))?;
    let abs = |f: &String| req.env.dir().join(f).to_string_lossy().into_owned();
    let packages: Vec<String> = req
        .plan
        .packages
        .iter()
        .filter(|p| p.role == Role::Public)
        .map(|p| p.name.clone())
        .collect();
    let execution: Vec<String> = req
        .spec
        .precompile_execution_files
        .iter()
        .map(abs)
        .collect();
    let mut statements: Vec<String> = req
        .spec
        .precompile_statements_files
        .iter()
        .map(abs)
        .collect();
    let learned = dir.join(crate::learn::LEARNED_FILE);
    if record.build.learned.is_some() && learned.is_file() {
        statements.push(learned.to_string_lossy().into_owned());
    }
    let script = build_script(&BuildScript {
        image_id: &record.id,
        tools_env: &tools.dir.to_string_lossy(),
        project: &env_dir.to_string_lossy(),
        packages: &packages,
        cpu_target: &record.cpu_target,
        execution_files: &execution,
        statements_files: &statements,
        incremental: req.spec.incremental,
        filter_stdlibs: req.spec.filter_stdlibs,
        sysimage_build_args: &req.spec.sysimage_build_args,
        data_script: &data_script.to_string_lossy(),
    });
    let build_jl = dir.join("build.jl");
    std::fs::write(&build_jl, script).map_err(io_err(&build_jl))?;
    Ok(build_jl)
}

/// Side-loading (dev policy with `sideload`): each internal package gets its derived UUID.
/// Its source, and the source of every baked package that depends on it, is copied from the
/// depot into `root` with the UUIDs rewritten in their Project.toml; the workspace
/// Manifest tracks those copies by path under the new UUIDs.
fn sideload(req: &BuildRequest<'_>, env_dir: &Path, root: &Path) -> Result<(), Error> {
    use julia_env::edit::ProjectEditor;
    use julia_env::graph::PackageGraph;
    let renamed: Vec<(julia_env::ids::Uuid, julia_env::ids::Uuid)> = req
        .plan
        .packages
        .iter()
        .filter_map(|p| p.sideload_uuid.map(|n| (p.uuid, n)))
        .collect();
    let Some(manifest) = req.env.manifest.as_ref().filter(|_| !renamed.is_empty()) else {
        return Ok(());
    };
    let depots =
        julia_env::depot::Depots::new(req.julia.depot_path.iter().map(PathBuf::from).collect());
    let graph = PackageGraph::new(manifest);
    let is_renamed = |u: &julia_env::ids::Uuid| renamed.iter().any(|(o, _)| o == u);
    let workspace_manifest = env_dir.join("Manifest.toml");
    let mut med = ManifestEditor::open(&workspace_manifest)?;
    for p in req.plan.baked().filter(|p| !p.stdlib) {
        if !is_renamed(&p.uuid) && !graph.deps_of(&p.uuid).iter().any(is_renamed) {
            continue;
        }
        let entry = graph.entry(&p.uuid).ok_or_else(|| {
            Error::invalid(
                Location::file(&req.env.manifest_file),
                format!("`{}` vanished from the manifest", p.name),
            )
        })?;
        let src = julia_env::check::source_dir(entry, &req.env.manifest_file, &depots).filter(|d| d.is_dir()).ok_or_else(|| {
            Error::invalid(
                Location::file(&req.env.manifest_file),
                format!("cannot side-load `{}`: its source is in no depot of this julia; instantiate the environment first", p.name),
            )
        })?;
        // A package tree has a Project.toml: check before copying anything.
        let src_project = julia_env::project::project_file_in(&src).ok_or_else(|| {
            Error::invalid(
                Location::file(&src),
                format!("the source of `{}` has no Project.toml", p.name),
            )
        })?;
        let dst = root.join(format!(
            "{}-{}",
            p.name,
            &p.sideload_uuid.unwrap_or(p.uuid).simple().to_string()[..8]
        ));
        copy_tree(&src, &dst)?;
        let project = dst.join(src_project.file_name().unwrap_or_default());
        let mut ped = ProjectEditor::open(&project)?;
        for (old, new) in &renamed {
            ped.change_uuid(old, new);
        }
        ped.write()?;
        med.track_path(&p.uuid, &dst.to_string_lossy());
    }
    let mut wped = ProjectEditor::open(&env_dir.join("Project.toml"))?;
    for (old, new) in &renamed {
        med.change_uuid(old, new);
        wped.change_uuid(old, new);
    }
    med.write()?;
    wped.write()
}

/// Copies a package source tree (files made writable, symlinks kept, `.git` left out).
fn copy_tree(src: &Path, dst: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dst).map_err(io_err(dst))?;
    for entry in std::fs::read_dir(src).map_err(io_err(src))? {
        let entry = entry.map_err(io_err(src))?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if entry.file_name() == ".git" {
            continue;
        }
        let ft = entry.file_type().map_err(io_err(&from))?;
        if ft.is_dir() {
            copy_tree(&from, &to)?;
        } else if ft.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&from).map_err(io_err(&from))?, &to)
                .map_err(io_err(&to))?;
        } else {
            std::fs::copy(&from, &to).map_err(io_err(&to))?;
            let mut perms = std::fs::metadata(&to).map_err(io_err(&to))?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&to, perms).map_err(io_err(&to))?;
        }
    }
    Ok(())
}
