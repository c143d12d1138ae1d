//! `sysimg kernel install`.

use crate::ui::output::say;
use std::path::Path;

use sysimg::kernel::{
    ijulia_kernel_entry, install as install_kernel, kernel_dir_name, kernel_json, kernels_dir, Os,
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
    let kernels = match dir {
        Some(d) => d.to_path_buf(),
        None => kernels_dir(Os::this(), &|k| ctx.vars.by_name(k)).ok_or_else(|| {
            Failure::bad_input("cannot find Jupyter's data directory: set JUPYTER_DATA_DIR")
        })?,
    };
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
