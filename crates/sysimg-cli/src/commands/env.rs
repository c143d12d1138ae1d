//! `sysimg env check` and `sysimg env show`.

use crate::ui::output::say;
use std::collections::BTreeSet;

use julia_env::check::{check_environment, CheckOptions};
use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use julia_env::project_hash::project_hash;
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn check(ctx: &Context<'_>, args: &CheckArgs) -> Result<ExitCode, Failure> {
    let env = ctx.environment()?;
    let depots = if args.no_sources {
        None
    } else if args.depots.is_empty() {
        Some(ctx.vars.depots(None))
    } else {
        Some(Depots::new(args.depots.clone()))
    };
    let report = check_environment(
        &env,
        &CheckOptions {
            depots,
            verify_sources: args.verify_sources,
        },
    );
    let head = serde_json::json!({
        "project": env.project_file.display().to_string(),
        "manifest": env.manifest_file.display().to_string(),
    });
    let code = crate::ui::report::print_report(
        ctx.json(),
        &env.project_file.display().to_string(),
        head,
        &report,
    );
    super::leave_for_exit((env, report));
    Ok(code)
}

/// One package of `env show`.
#[derive(Serialize)]
struct PackageView {
    name: String,
    uuid: Uuid,
    version: Option<String>,
    tree_hash: Option<String>,
    tracking: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repo_rev: Option<String>,
    pinned: bool,
    direct: bool,
    stdlib: bool,
    deps: Vec<String>,
    weakdeps: Vec<String>,
    extensions: Vec<String>,
}

fn packages(env: &Environment) -> Vec<PackageView> {
    let Some(m) = &env.manifest else {
        return Vec::new();
    };
    let direct: BTreeSet<Uuid> = env.project.all_deps().into_values().collect();
    let mut out: Vec<PackageView> = m
        .entries
        .iter()
        .map(|e| PackageView {
            name: e.name.clone(),
            uuid: e.uuid,
            version: e.version.as_ref().map(ToString::to_string),
            tree_hash: e.tree_hash.map(|h| h.to_string()),
            tracking: e.tracking().to_string(),
            path: e.path.clone(),
            repo_url: e.repo_url.clone(),
            repo_rev: e.repo_rev.clone(),
            pinned: e.pinned,
            direct: direct.contains(&e.uuid),
            stdlib: julia_env::stdlib::is_known_stdlib(&e.uuid)
                && e.tree_hash.is_none()
                && e.path.is_none(),
            deps: e.deps.iter().map(|d| d.name.clone()).collect(),
            weakdeps: e.weakdeps.iter().map(|d| d.name.clone()).collect(),
            extensions: e.extensions.keys().cloned().collect(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.uuid.cmp(&b.uuid)));
    out
}

pub fn show(ctx: &Context<'_>) -> Result<ExitCode, Failure> {
    let env = ctx.environment()?;
    let pkgs = packages(&env);
    let p = &env.project;
    let fresh = env.manifest.as_ref().and_then(|m| {
        let recorded = m.project_hash?;
        Some(
            recorded
                == project_hash(
                    p,
                    &env.workspace_members(),
                    m.flavor(),
                    m.julia_version.as_ref(),
                ),
        )
    });
    if ctx.json() {
        let m = env.manifest.as_ref();
        crate::ui::report::print_json(&serde_json::json!({
            "project": {
                "file": env.project_file.display().to_string(),
                "name": p.name,
                "uuid": p.uuid,
                "version": p.version.as_ref().map(ToString::to_string),
                "deps": p.all_deps(),
                "weakdeps": p.weakdeps,
                "compat": p.compat.iter().map(|(k, c)| (k.clone(), c.text.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            },
            "manifest": m.map(|m| serde_json::json!({
                "file": env.manifest_file.display().to_string(),
                "format": format!("{}.{}", m.format.major, m.format.minor),
                "julia_version": m.julia_version.as_ref().map(ToString::to_string),
                "project_hash": m.project_hash.map(|h| h.to_string()),
                "project_hash_fresh": fresh,
            })),
            "packages": pkgs,
        }));
        return Ok(ExitCode::Ok);
    }
    say!("Project  {}", env.project_file.display());
    if let Some((name, uuid)) = p.package_id() {
        say!(
            "Package  {name} {uuid} {}",
            p.version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
    }
    match &env.manifest {
        None => say!("Manifest {} (missing)", env.manifest_file.display()),
        Some(m) => say!(
            "Manifest {} (format {}.{}, julia {}, project_hash {})",
            env.manifest_file.display(),
            m.format.major,
            m.format.minor,
            m.julia_version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "unknown".into()),
            match fresh {
                Some(true) => "fresh",
                Some(false) => "STALE",
                None => "absent",
            }
        ),
    }
    let name_w = pkgs.iter().map(|p| p.name.len()).max().unwrap_or(4).max(4);
    let ver_w = pkgs
        .iter()
        .map(|p| p.version.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(7)
        .max(7);
    say!(
        "{} direct dependencies, {} packages",
        p.all_deps().len(),
        pkgs.len()
    );
    say!(
        "  {:name_w$}  {:ver_w$}  {:8}  {:40}  flags",
        "name",
        "version",
        "tracking",
        "git-tree-sha1"
    );
    for pkg in &pkgs {
        let mut flags = Vec::new();
        if pkg.direct {
            flags.push("direct");
        }
        if pkg.pinned {
            flags.push("pinned");
        }
        let extra = pkg
            .path
            .as_deref()
            .or(pkg.repo_url.as_deref())
            .unwrap_or("");
        say!(
            "  {:name_w$}  {:ver_w$}  {:8}  {:40}  {} {}",
            pkg.name,
            pkg.version.as_deref().unwrap_or("-"),
            pkg.tracking,
            pkg.tree_hash.as_deref().unwrap_or("-"),
            flags.join(","),
            extra
        );
    }
    Ok(ExitCode::Ok)
}
