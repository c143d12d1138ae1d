//! `sysimg plan` and `sysimg why`.

use crate::ui::output::{say, say_err};
use julia_env::environment::Environment;
use sysimg::model::plan::{plan_explaining, Plan, Role};

use crate::cli::OutlookArgs;
use crate::context::Context;
use crate::exit::{ExitCode, Failure};
use sysimg::extend::FixMode;
use sysimg::model::spec::Policy;

/// The plan of the environment the project names, with the whole dependency path of the packages
/// named `explain`.
fn plan_for(ctx: &Context<'_>, explain: Option<&str>) -> Result<(Environment, Plan), Failure> {
    let env = ctx.environment()?;
    let plan = plan_explaining(&env, ctx.spec()?, explain).map_err(Failure::bad_input)?;
    Ok((env, plan))
}

pub fn plan(ctx: &Context<'_>, outlook: &OutlookArgs) -> Result<ExitCode, Failure> {
    let (env, plan) = plan_for(ctx, None)?;
    let count = |r: Role| plan.packages.iter().filter(|p| p.role == r).count();
    // The pinned policy holds the pins: say whether the environment can still grow.
    let outlook = match plan.policy {
        Policy::Pinned => crate::steps::outlook(
            &ctx.vars,
            &env,
            None,
            FixMode::Pinned,
            None,
            outlook.extendability,
            ctx.store().ok(),
        ),
        _ => None,
    };
    if ctx.json() {
        let mut v = serde_json::to_value(&plan).map_err(Failure::bad_input)?;
        v["summary"] = serde_json::json!({
            "packages": plan.packages.len(),
            "baked": plan.baked().count(),
            "public": count(Role::Public),
            "shared": count(Role::Shared),
            "internal": count(Role::Internal),
            "side_loaded": count(Role::SideLoaded),
            "excluded": count(Role::Excluded),
            "not_baked": count(Role::NotBaked),
        });
        v["extendability"] = match &outlook {
            Some(Ok(o)) => serde_json::to_value(o).unwrap_or_default(),
            Some(Err(e)) => serde_json::json!({ "error": e }),
            None => serde_json::Value::Null,
        };
        crate::ui::report::print_json(&v);
        super::leave_for_exit((env, plan, v));
        return Ok(ExitCode::Ok);
    }
    for w in &plan.warnings {
        say_err!("warning: {w}");
    }
    let name_w = plan
        .packages
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    say!(
        "policy: {}{}",
        plan.policy,
        plan.pinned_rule
            .map(|r| format!(" ({r} rule)"))
            .unwrap_or_default()
    );
    say!(
        "  {:name_w$}  {:12}  {:11}  reason",
        "name",
        "version",
        "role"
    );
    for p in &plan.packages {
        say!(
            "  {:name_w$}  {:12}  {:11}  {}{}",
            p.name,
            p.version.as_deref().unwrap_or("-"),
            p.role.to_string(),
            p.reason,
            p.sideload_uuid
                .map(|u| format!(" (side-loaded as {u})"))
                .unwrap_or_default()
        );
    }
    for (pkg, ext) in &plan.extensions {
        say!("  extension {ext} of {pkg} loads with the image");
    }
    // The dev policy's kinds are named only when there are some (app and pinned have none).
    let kinds: String = [(Role::Shared, "shared"), (Role::SideLoaded, "side-loaded")]
        .iter()
        .filter(|(r, _)| plan.policy == Policy::Dev || count(*r) > 0)
        .map(|(r, name)| format!(", {} {name}", count(*r)))
        .collect();
    say!(
        "{} of {} packages baked: {} public{kinds}, {} internal; {} excluded, {} not baked",
        plan.baked().count(),
        plan.packages.len(),
        count(Role::Public),
        count(Role::Internal),
        count(Role::Excluded),
        count(Role::NotBaked)
    );
    match &outlook {
        Some(Ok(o)) => say!("with these pins, {o}"),
        Some(Err(e)) => say!("cannot tell what can still be added with these pins: {e}"),
        None => {}
    }
    Ok(ExitCode::Ok)
}

pub fn why(ctx: &Context<'_>, package: &str) -> Result<ExitCode, Failure> {
    let (_env, plan) = plan_for(ctx, Some(package))?;
    let found: Vec<_> = plan.by_name(package).collect();
    if found.is_empty() {
        return Err(Failure::bad_input(format!(
            "`{package}` is not a package of this environment"
        )));
    }
    if ctx.json() {
        // An object (fields can be added); `matches`: every package of that name.
        crate::ui::report::print_json(&serde_json::json!({
            "package": package,
            "matches": found,
        }));
        return Ok(ExitCode::Ok);
    }
    for p in found {
        let verdict = match (p.baked, p.role) {
            (true, role) => format!("is baked ({role})"),
            (false, Role::NotBaked) => "is not baked".to_string(),
            (false, role) => format!("is not baked ({role})"),
        };
        say!("{} {} {verdict}: {}", p.name, p.uuid, p.reason);
        if !p.path.is_empty() {
            say!("  {}", p.path.join(" → "));
        }
    }
    Ok(ExitCode::Ok)
}
