//! Jupyter kernels that start an environment's image through `sysimg run`, in IJulia's
//! `kernel.json` layout, so that a rebuilt image is picked up without reinstalling the kernel.

use std::path::{Path, PathBuf};

use julia_env::depot::Depots;
use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use julia_env::{Error, Location, Result};

/// IJulia's UUID.
pub const IJULIA_UUID: &str = "7073ff75-c697-5162-941a-fcdaad2a7d2a";

/// The operating systems whose Jupyter data directories differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// Linux and other Unix.
    Unix,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

impl Os {
    /// This machine's.
    pub fn this() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Unix
        }
    }
}

/// Where Jupyter looks for user kernels, as `jupyter_core.paths.jupyter_data_dir()` computes
/// it, plus `kernels/`: a non-empty `JUPYTER_DATA_DIR`; else, with `JUPYTER_PLATFORM_DIRS`
/// set (to anything but `no`, `n`, `false`, `off`, `0`, `0.0`), platformdirs'
/// `user_data_dir("jupyter")` (`~/Library/Application Support/jupyter`,
/// `%LOCALAPPDATA%\jupyter`, `$XDG_DATA_HOME/jupyter`); else `~/Library/Jupyter`,
/// `%APPDATA%\jupyter` (or `<JUPYTER_CONFIG_DIR or ~/.jupyter>\data`), and
/// `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter`.
pub fn kernels_dir(os: Os, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let home = || {
        var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from)
    };
    let xdg = || match var("XDG_DATA_HOME") {
        Some(x) => Some(PathBuf::from(x).join("jupyter")),
        None => Some(home()?.join(".local/share/jupyter")),
    };
    let platform_dirs = env("JUPYTER_PLATFORM_DIRS").is_some_and(|v| {
        !matches!(
            v.to_lowercase().as_str(),
            "no" | "n" | "false" | "off" | "0" | "0.0"
        )
    });
    let data = if let Some(d) = var("JUPYTER_DATA_DIR") {
        PathBuf::from(d)
    } else {
        match (os, platform_dirs) {
            (Os::MacOs, true) => home()?.join("Library/Application Support/jupyter"),
            (Os::MacOs, false) => home()?.join("Library/Jupyter"),
            (Os::Windows, true) => PathBuf::from(var("LOCALAPPDATA")?).join("jupyter"),
            (Os::Windows, false) => match var("APPDATA") {
                Some(a) => PathBuf::from(a).join("jupyter"),
                None => var("JUPYTER_CONFIG_DIR")
                    .map(PathBuf::from)
                    .or_else(|| Some(home()?.join(".jupyter")))?
                    .join("data"),
            },
            (Os::Unix, _) => xdg()?,
        }
    };
    Some(data.join("kernels"))
}

/// How the kernel starts IJulia, which depends on the IJulia the environment holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEntry {
    /// IJulia 1.28 and later (June 2025): `-e "import IJulia; IJulia.run_kernel()"`
    /// (JuliaLang/IJulia.jl v1.28.0 deps/kspec.jl; its `src/kernel.jl` only defines
    /// `run_kernel` since then).
    RunKernel,
    /// Older IJulia: its `src/kernel.jl` script (v1.27.0 deps/kspec.jl).
    Script(PathBuf),
}

/// The first IJulia release whose kernel starts with `IJulia.run_kernel()`.
pub const RUN_KERNEL_SINCE: (u32, u32) = (1, 28);

/// How to start the IJulia the environment's Manifest holds: by its version (for a `dev`ed
/// IJulia, the version its checkout's Project.toml gives).
pub fn ijulia_kernel_entry(env: &Environment, depots: &Depots) -> Result<KernelEntry> {
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
    let dir = julia_env::check::source_dir(entry, &env.manifest_file, depots);
    let version = entry.version.clone().or_else(|| {
        let project = julia_env::project::project_file_in(dir.as_deref()?)?;
        julia_env::project::Project::read(&project).ok()?.version
    });
    if version
        .as_ref()
        .is_some_and(|v| (v.major, v.minor) >= RUN_KERNEL_SINCE)
    {
        return Ok(KernelEntry::RunKernel);
    }
    let dir = dir.ok_or_else(|| missing("IJulia is not installed in any depot"))?;
    let script = dir.join("src").join("kernel.jl");
    if script.is_file() {
        Ok(KernelEntry::Script(script))
    } else {
        Err(missing(&format!("{} is missing", script.display())))
    }
}

/// A kernel spec (`kernel.json`) as IJulia's `installkernel` writes it, with julia replaced by
/// `sysimg run -p <project> --`: `argv` ends `-i --color=yes` and IJulia's entry, then
/// `{connection_file}`; `interrupt_mode` is `message` on Windows (Jupyter's signal mode does
/// not work there) and `signal` elsewhere.
pub fn kernel_json(
    sysimg: &Path,
    project_file: &Path,
    entry: &KernelEntry,
    display_name: &str,
    os: Os,
) -> serde_json::Value {
    let s = |p: &Path| p.display().to_string();
    let mut argv = vec![
        s(sysimg),
        "run".into(),
        "-p".into(),
        s(project_file),
        "--".into(),
        "-i".into(),
        "--color=yes".into(),
    ];
    match entry {
        KernelEntry::RunKernel => {
            argv.push("-e".into());
            argv.push("import IJulia; IJulia.run_kernel()".into());
        }
        KernelEntry::Script(script) => argv.push(s(script)),
    }
    argv.push("{connection_file}".into());
    serde_json::json!({
        "display_name": display_name,
        "argv": argv,
        "language": "julia",
        "env": {},
        "interrupt_mode": if os == Os::Windows { "message" } else { "signal" },
    })
}

/// A kernel directory name from a display name: lowercase ASCII letters, digits, `-`, `_`
/// and `.`, everything else `-` (Jupyter's rule for kernel names).
pub fn kernel_dir_name(name: &str) -> String {
    let cleaned = lowercase_name(name);
    let trimmed = cleaned.trim_matches('-');
    if trimmed.chars().all(|c| c == '.') {
        "julia-sysimg".into()
    } else {
        trimmed.to_string()
    }
}

/// `name` in lowercase ASCII letters, digits, `-`, `_` and `.`, everything else `-` (kernel
/// directory and juliaup channel names).
pub fn lowercase_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect()
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

/// A kernel that starts an environment through `sysimg run` (its `argv` is `<sysimg> run -p
/// <project> -- ...`), as [`list`] finds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InstalledKernel {
    /// The kernel's name (its directory's name).
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its display name.
    pub display_name: String,
    /// The project file it starts.
    pub project: PathBuf,
}

/// The kernels in `kernels_dir` that start through `sysimg run`, sorted by name (other
/// kernels, and directories without a readable `kernel.json`, are left out).
pub fn list(kernels_dir: &Path) -> Vec<InstalledKernel> {
    let Ok(entries) = std::fs::read_dir(kernels_dir) else {
        return Vec::new();
    };
    let mut out: Vec<InstalledKernel> = entries
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let text = std::fs::read_to_string(dir.join("kernel.json")).ok()?;
            let spec: serde_json::Value = serde_json::from_str(&text).ok()?;
            let argv: Vec<&str> = spec["argv"]
                .as_array()?
                .iter()
                .map(|a| a.as_str())
                .collect::<Option<_>>()?;
            let [program, "run", "-p", project, "--", ..] = argv.as_slice() else {
                return None;
            };
            let program = Path::new(program).file_stem()?.to_str()?;
            program.starts_with("sysimg").then(|| InstalledKernel {
                name: e.file_name().to_string_lossy().into_owned(),
                display_name: spec["display_name"].as_str().unwrap_or_default().into(),
                project: PathBuf::from(project),
                dir,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Removes a kernel [`list`] found (its directory, whole).
pub fn uninstall(kernel: &InstalledKernel) -> Result<()> {
    std::fs::remove_dir_all(&kernel.dir).map_err(|e| Error::io(&kernel.dir, e))
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
    fn kernels_dir_follows_jupyter_core() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let at = |os, vars| kernels_dir(os, &env(vars)).unwrap();
        let p = PathBuf::from;
        assert_eq!(
            at(Os::Unix, &[("JUPYTER_DATA_DIR", "/j"), ("HOME", "/h")]),
            p("/j/kernels")
        );
        // An empty JUPYTER_DATA_DIR counts as unset.
        assert_eq!(
            at(Os::Unix, &[("JUPYTER_DATA_DIR", ""), ("HOME", "/h")]),
            p("/h/.local/share/jupyter/kernels")
        );
        assert_eq!(
            at(Os::Unix, &[("HOME", "/h"), ("XDG_DATA_HOME", "/x")]),
            p("/x/jupyter/kernels")
        );
        assert_eq!(
            at(Os::MacOs, &[("HOME", "/h")]),
            p("/h/Library/Jupyter/kernels")
        );
        assert_eq!(
            at(Os::MacOs, &[("HOME", "/h"), ("JUPYTER_PLATFORM_DIRS", "1")]),
            p("/h/Library/Application Support/jupyter/kernels")
        );
        assert_eq!(
            at(
                Os::MacOs,
                &[("HOME", "/h"), ("JUPYTER_PLATFORM_DIRS", "Off")]
            ),
            p("/h/Library/Jupyter/kernels")
        );
        assert_eq!(
            at(
                Os::Windows,
                &[("APPDATA", "C:/A"), ("LOCALAPPDATA", "C:/L")]
            ),
            p("C:/A/jupyter/kernels")
        );
        assert_eq!(
            at(
                Os::Windows,
                &[
                    ("APPDATA", "C:/A"),
                    ("LOCALAPPDATA", "C:/L"),
                    ("JUPYTER_PLATFORM_DIRS", "yes")
                ]
            ),
            p("C:/L/jupyter/kernels")
        );
        assert_eq!(
            at(Os::Windows, &[("USERPROFILE", "C:/U")]),
            p("C:/U/.jupyter/data/kernels")
        );
    }

    #[test]
    fn kernel_specs_follow_the_ijulia_at_hand() {
        let spec = |entry, os| {
            kernel_json(
                Path::new("/bin/sysimg"),
                Path::new("/p/Project.toml"),
                &entry,
                "J",
                os,
            )
        };
        // JuliaLang/IJulia.jl v1.28.0 deps/kspec.jl: `-e "import IJulia; IJulia.run_kernel()"`.
        let v = spec(KernelEntry::RunKernel, Os::Unix);
        assert_eq!(
            v["argv"],
            serde_json::json!([
                "/bin/sysimg",
                "run",
                "-p",
                "/p/Project.toml",
                "--",
                "-i",
                "--color=yes",
                "-e",
                "import IJulia; IJulia.run_kernel()",
                "{connection_file}"
            ])
        );
        assert_eq!(v["interrupt_mode"], "signal");
        // v1.27.0 deps/kspec.jl: the kernel script's path.
        let v = spec(
            KernelEntry::Script(PathBuf::from("/d/IJulia/src/kernel.jl")),
            Os::Windows,
        );
        assert_eq!(v["argv"][7], "/d/IJulia/src/kernel.jl");
        assert_eq!(v["interrupt_mode"], "message");
    }
}
