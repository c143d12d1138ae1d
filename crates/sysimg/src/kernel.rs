//! Jupyter kernels that start an environment's image through `sysimg run`, in IJulia's
//! `kernel.json` layout, so that a rebuilt image is picked up without reinstalling the kernel.

use std::path::{Path, PathBuf};

use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use julia_env::{Error, Location, Result};

/// IJulia's UUID.
pub const IJULIA_UUID: &str = "7073ff75-c697-5162-941a-fcdaad2a7d2a";

/// Where Jupyter looks for user kernels: `JUPYTER_DATA_DIR`, else the platform's data
/// directory (`~/Library/Jupyter` on macOS, `%APPDATA%\jupyter` on Windows,
/// `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter` elsewhere), plus `kernels/`.
pub fn kernels_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let data = if let Some(d) = env("JUPYTER_DATA_DIR") {
        PathBuf::from(d)
    } else if cfg!(target_os = "macos") {
        PathBuf::from(env("HOME")?).join("Library/Jupyter")
    } else if cfg!(windows) {
        PathBuf::from(env("APPDATA")?).join("jupyter")
    } else if let Some(x) = env("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        PathBuf::from(x).join("jupyter")
    } else {
        PathBuf::from(env("HOME")?).join(".local/share/jupyter")
    };
    Some(data.join("kernels"))
}

/// IJulia's kernel script in the environment: `src/kernel.jl` of the IJulia its Manifest
/// holds, found in the depots (or at its `path` when developed).
pub fn ijulia_kernel_script(env: &Environment, depots: &Depots) -> Result<PathBuf> {
    let uuid: Uuid = IJULIA_UUID
        .parse()
        .map_err(|_| Error::invalid(Location::file(&env.manifest_file), "bad IJulia UUID"))?;
    let missing = |why: &str| {
        Error::invalid(
            Location::file(&env.manifest_file),
            format!(
                "{why}: add it with `julia --project={} -e 'using Pkg; Pkg.add(\"IJulia\")'`",
                env.dir().display()
            ),
        )
    };
    let entry = env
        .manifest
        .as_ref()
        .and_then(|m| m.get(&uuid))
        .ok_or_else(|| missing("the environment has no IJulia"))?;
    let dir = julia_env::check::source_dir(entry, &env.manifest_file, depots)
        .ok_or_else(|| missing("IJulia is not installed in any depot"))?;
    let script = dir.join("src").join("kernel.jl");
    if script.is_file() {
        Ok(script)
    } else {
        Err(missing(&format!("{} is missing", script.display())))
    }
}

/// A kernel spec (`kernel.json`) whose `argv` is `sysimg run -p <project> -- -i --color=yes
/// <kernel.jl> {connection_file}`, as IJulia's `installkernel` would write it for julia.
pub fn kernel_json(
    sysimg: &Path,
    project_file: &Path,
    kernel_script: &Path,
    display_name: &str,
) -> serde_json::Value {
    let s = |p: &Path| p.display().to_string();
    serde_json::json!({
        "display_name": display_name,
        "argv": [
            s(sysimg), "run", "-p", s(project_file), "--",
            "-i", "--color=yes", s(kernel_script), "{connection_file}",
        ],
        "language": "julia",
        "env": {},
        "interrupt_mode": "signal",
    })
}

/// A kernel directory name from a display name: lowercase ASCII letters, digits, `-`, `_`
/// and `.`, everything else `-` (Jupyter's rule for kernel names).
pub fn kernel_dir_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.chars().all(|c| c == '.') {
        "julia-sysimg".into()
    } else {
        trimmed.to_string()
    }
}

/// Writes `<kernels_dir>/<dir_name>/kernel.json` (atomically); returns its path.
pub fn install(kernels_dir: &Path, dir_name: &str, spec: &serde_json::Value) -> Result<PathBuf> {
    let dir = kernels_dir.join(dir_name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let file = dir.join("kernel.json");
    let text = serde_json::to_string_pretty(spec).unwrap_or_default() + "\n";
    julia_env::edit::write_atomic(&file, &text)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_names_are_safe_directory_names() {
        assert_eq!(
            kernel_dir_name("Julia (sysimg) MyProj 1.11"),
            "julia--sysimg--myproj-1.11"
        );
        assert_eq!(kernel_dir_name("../../etc"), "..-..-etc");
        assert_eq!(kernel_dir_name("///"), "julia-sysimg");
        assert_eq!(kernel_dir_name(".."), "julia-sysimg");
    }

    #[test]
    fn kernels_dir_follows_jupyter() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            kernels_dir(&env(&[("JUPYTER_DATA_DIR", "/j"), ("HOME", "/h")])),
            Some(PathBuf::from("/j/kernels"))
        );
        if cfg!(target_os = "linux") {
            assert_eq!(
                kernels_dir(&env(&[("HOME", "/h")])),
                Some(PathBuf::from("/h/.local/share/jupyter/kernels"))
            );
            assert_eq!(
                kernels_dir(&env(&[("HOME", "/h"), ("XDG_DATA_HOME", "/x")])),
                Some(PathBuf::from("/x/jupyter/kernels"))
            );
        }
    }
}
