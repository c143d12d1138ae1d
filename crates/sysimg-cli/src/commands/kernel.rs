//! `sysimg kernel install`, `list` and `uninstall`.

use crate::ui::output::say;
use std::path::Path;

use sysimg::kernel::{
    ijulia_kernel_entry, install as install_kernel, kernel_dir_name, kernel_json, kernels_dir,
    list as list_kernels, uninstall as uninstall_kernel, Os,
};

use crate::context::Context;
use crate::exit::{ExitCode, Failure};

pub fn install(
    ctx: &Context<'_>,
    name: Option<&str>,
    dir: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let env = ctx.environment()?;
    let entry = ijulia_kernel_entry(&env, &ctx.vars.depots(None))?;
    let sysimg = std::env::current_exe()
        .map_err(|e| Failure::bad_input(format!("cannot find the sysimg executable: {e}")))?;
    let env_name = crate::steps::environment_name(&env);
    let display = name.map_or_else(|| format!("Julia {env_name} (sysimg)"), str::to_string);
    let kernels = kernels_dir_of(ctx, dir)?;
    let spec = kernel_json(&sysimg, &env.project_file, &entry, &display, Os::this());
    let file = install_kernel(&kernels, &kernel_dir_name(&display), &spec)?;
    if ctx.json() {
        crate::ui::report::print_json(
            &serde_json::json!({"kernel": file.display().to_string(), "spec": spec}),
        );
    } else {
        say!("installed kernel \"{display}\" in {}", file.display());
    }
    Ok(ExitCode::Ok)
}

/// `--kernels-dir`, else where Jupyter looks.
fn kernels_dir_of(ctx: &Context<'_>, dir: Option<&Path>) -> Result<std::path::PathBuf, Failure> {
    match dir {
        Some(d) => Ok(d.to_path_buf()),
        None => kernels_dir(Os::this(), &|k| ctx.vars.by_name(k)).ok_or_else(|| {
            Failure::bad_input("cannot find Jupyter's data directory: set JUPYTER_DATA_DIR")
        }),
    }
}

/// `sysimg kernel list`: every kernel that starts an environment through `sysimg run`.
pub fn list(ctx: &Context<'_>, dir: Option<&Path>) -> Result<ExitCode, Failure> {
    let kernels_dir = kernels_dir_of(ctx, dir)?;
    let kernels = list_kernels(&kernels_dir);
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({
            "kernels_dir": kernels_dir.display().to_string(),
            "kernels": kernels,
        }));
        return Ok(ExitCode::Ok);
    }
    for k in &kernels {
        say!(
            "{}  \"{}\"  {}",
            k.name,
            k.display_name,
            k.project.display()
        );
    }
    if kernels.is_empty() {
        say!("no sysimg kernels in {}", kernels_dir.display());
    }
    Ok(ExitCode::Ok)
}

/// `sysimg kernel uninstall [NAME]`: the kernel named, else every kernel of the environment.
pub fn uninstall(
    ctx: &Context<'_>,
    name: Option<&str>,
    dir: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let kernels_dir = kernels_dir_of(ctx, dir)?;
    let all = list_kernels(&kernels_dir);
    let chosen: Vec<_> = match name {
        Some(n) => all.into_iter().filter(|k| k.name == n).collect(),
        None => {
            let project = ctx.project_file()?;
            all.into_iter().filter(|k| k.project == project).collect()
        }
    };
    if chosen.is_empty() {
        return Err(Failure::bad_input(match name {
            Some(n) => format!(
                "no sysimg kernel `{n}` in {} (`sysimg kernel list` lists them)",
                kernels_dir.display()
            ),
            None => format!(
                "no sysimg kernel of this environment in {} (`sysimg kernel list` lists them)",
                kernels_dir.display()
            ),
        }));
    }
    for k in &chosen {
        uninstall_kernel(k)?;
    }
    if ctx.json() {
        crate::ui::report::print_json(&serde_json::json!({ "removed": chosen }));
    } else {
        for k in &chosen {
            say!("removed kernel {} ({})", k.name, k.dir.display());
        }
    }
    Ok(ExitCode::Ok)
}
