//! What tools that start julia themselves need to start it on an environment's image
//! (`sysimg julia-args --for TOOL`), each in the form the tool reads, from its own source:
//!
//! - VS Code (julia-vscode 1.232, package.json `julia.additionalArgs`: "Additional Julia
//!   arguments", an array; src/interactive/repl.ts starts the REPL with `-i --banner=no
//!   --project=<julia.environmentPath>` and then them). "Run file in new process" and the
//!   debugger do not read that setting (issue #2910): src/debugger/debugFeature.ts starts
//!   julia with the launch configuration's `juliaAdditionalArgs` (and `project` defaulting
//!   to the active environment), so a `launch.json` configuration carries the same argument.
//! - juliacall (PythonCall.jl pysrc/juliacall/__init__.py, 0.9.34): options are
//!   `PYTHON_JULIACALL_<NAME>` variables; `sysimage` becomes julia's `--sysimage=`
//!   (`args_from_config`), and `PYTHON_JULIACALL_EXE` with `PYTHON_JULIACALL_PROJECT` ("must
//!   be set together") start that julia in that project without juliapkg.
//! - JETLS (aviatesk/JETLS.jl): the `jetls` executable is a Pkg app, which takes julia's
//!   runtime flags before `--` (docs/src/cli-check.md, "Julia runtime flags"), and runs on
//!   Julia 1.12.2 to 1.13 (Project.toml `[compat] julia`). JETLS has no setting of its own for
//!   an image (issue #366, open): its own code and dependencies load in its process, so an
//!   image for it must hold JETLS's environment, not only the project's.
//! - Plain environment variables: `JULIA_PROJECT` (julia reads it), `JULIA` (the binary), and
//!   `SYSIMG_IMAGE` (empty without an image) for scripts that pass `-J "$SYSIMG_IMAGE"`.

use std::path::Path;

/// The tools `julia-args --for` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// VS Code's Julia extension.
    Vscode,
    /// Python's juliacall.
    Juliacall,
    /// Plain environment variables.
    Env,
    /// The JETLS language server.
    Jetls,
}

/// JETLS's UUID (its Project.toml).
pub const JETLS_UUID: &str = "a3b70258-0602-4ee2-b5a6-54c2470400db";

/// The first Julia JETLS runs on.
pub const JETLS_MIN_JULIA: (u64, u64, u64) = (1, 12, 2);

/// What a tool is told.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolConfig {
    /// The settings, as the tool's own JSON (VS Code, JETLS) or variable names to values.
    pub settings: serde_json::Value,
    /// What the user must know (an image JETLS cannot use, a path that changes on rebuild).
    pub notes: Vec<String>,
}

/// Where julia starts: the binary, the image (none: julia's own) and the environment.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    /// The julia binary.
    pub julia: &'a Path,
    /// The image file, when the environment has a fresh one.
    pub image: Option<&'a Path>,
    /// Whether `image` is the store's stable path of the environment's image
    /// ([`crate::store::Store::current_image`]), which names each rebuilt image, rather than
    /// one image's own path.
    pub image_follows_rebuilds: bool,
    /// The environment's directory.
    pub project_dir: &'a Path,
    /// The julia's version (`1.5.3`).
    pub julia_version: &'a str,
    /// Whether the environment holds JETLS.
    pub holds_jetls: bool,
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The configuration `tool` needs to start julia as `start` says.
pub fn config_for(tool: Tool, start: &Start<'_>) -> ToolConfig {
    let sysimage: Vec<String> = start
        .image
        .map(|i| format!("--sysimage={}", s(i)))
        .into_iter()
        .collect();
    let mut notes = Vec::new();
    if start.image.is_none() {
        notes.push(
            "the environment has no fresh image: julia's default image is used (`sysimg build` makes one)"
                .to_string(),
        );
    } else if start.image_follows_rebuilds {
        notes.push(
            "the image path is the store's link to the environment's current image: it starts each rebuilt image without running this again (after the environment changes, run `sysimg build`; until then julia starts the last image built and its guard says what it shadows)"
                .to_string(),
        );
    } else {
        notes.push(
            "the image's path changes when it is rebuilt: run this again after `sysimg build`"
                .to_string(),
        );
    }
    let settings = match tool {
        Tool::Vscode => serde_json::json!({
            "settings": {
                "julia.executablePath": s(start.julia),
                "julia.environmentPath": s(start.project_dir),
                "julia.additionalArgs": sysimage,
            },
            "launch": {
                "type": "julia",
                "request": "launch",
                "name": "Julia: run file on the image (sysimg)",
                "program": "${file}",
                "project": s(start.project_dir),
                "juliaAdditionalArgs": sysimage,
            },
        }),
        Tool::Juliacall => {
            let mut vars = serde_json::json!({
                "PYTHON_JULIACALL_EXE": s(start.julia),
                "PYTHON_JULIACALL_PROJECT": s(start.project_dir),
            });
            // Only with an image: juliacall rejects a sysimage path that does not exist
            // (`path_option(..., check_exists=True)`), the empty one included.
            if let Some(image) = start.image {
                vars["PYTHON_JULIACALL_SYSIMAGE"] = s(image).into();
            }
            vars
        }
        Tool::Env => serde_json::json!({
            "JULIA": s(start.julia),
            "JULIA_PROJECT": s(start.project_dir),
            "SYSIMG_IMAGE": start.image.map(s).unwrap_or_default(),
        }),
        Tool::Jetls => {
            let version: Vec<u64> = start
                .julia_version
                .split(['.', '-', '+'])
                .take(3)
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            let v = (
                version.first().copied().unwrap_or(0),
                version.get(1).copied().unwrap_or(0),
                version.get(2).copied().unwrap_or(0),
            );
            if v < JETLS_MIN_JULIA {
                notes.push(format!(
                    "JETLS runs on Julia 1.12.2 and later; this image is for Julia {}",
                    start.julia_version
                ));
            }
            if start.image.is_some() && !start.holds_jetls {
                notes.push(
                    "this environment does not hold JETLS: JETLS loads its own code and dependencies in its process, and every package this image holds at another version than JETLS's environment shadows JETLS's own; build the image of an environment that holds JETLS"
                        .to_string(),
                );
            }
            let mut executable = vec!["jetls".to_string()];
            executable.extend(sysimage);
            executable.extend(["--".to_string(), "serve".to_string()]);
            serde_json::json!({ "jetls-client.executable": executable })
        }
    };
    ToolConfig { settings, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start<'a>(image: Option<&'a Path>, version: &'a str) -> Start<'a> {
        Start {
            julia: Path::new("/j/bin/julia"),
            image,
            image_follows_rebuilds: false,
            project_dir: Path::new("/p"),
            julia_version: version,
            holds_jetls: false,
        }
    }

    #[test]
    fn vscode_gets_the_setting_and_a_launch_configuration() {
        let image = Path::new("/s/ab/sys.so");
        let c = config_for(Tool::Vscode, &start(Some(image), "1.11.2"));
        assert_eq!(
            c.settings["settings"]["julia.additionalArgs"],
            serde_json::json!(["--sysimage=/s/ab/sys.so"])
        );
        assert_eq!(c.settings["settings"]["julia.environmentPath"], "/p");
        assert_eq!(
            c.settings["launch"]["juliaAdditionalArgs"],
            serde_json::json!(["--sysimage=/s/ab/sys.so"])
        );
        assert_eq!(c.settings["launch"]["type"], "julia");
        let c = config_for(Tool::Vscode, &start(None, "1.11.2"));
        assert_eq!(
            c.settings["settings"]["julia.additionalArgs"],
            serde_json::json!([])
        );
        assert!(c.notes[0].contains("no fresh image"));
    }

    #[test]
    fn juliacall_gets_its_three_variables() {
        let c = config_for(
            Tool::Juliacall,
            &start(Some(Path::new("/s/sys.so")), "1.11.2"),
        );
        assert_eq!(
            c.settings,
            serde_json::json!({
                "PYTHON_JULIACALL_EXE": "/j/bin/julia",
                "PYTHON_JULIACALL_PROJECT": "/p",
                "PYTHON_JULIACALL_SYSIMAGE": "/s/sys.so",
            })
        );
        // Without an image no SYSIMAGE at all: juliacall rejects an empty path.
        let c = config_for(Tool::Juliacall, &start(None, "1.11.2"));
        assert!(c.settings.get("PYTHON_JULIACALL_SYSIMAGE").is_none());
    }

    #[test]
    fn jetls_says_what_it_cannot_use() {
        let c = config_for(Tool::Jetls, &start(Some(Path::new("/s/sys.so")), "1.5.3"));
        assert_eq!(
            c.settings["jetls-client.executable"],
            serde_json::json!(["jetls", "--sysimage=/s/sys.so", "--", "serve"])
        );
        assert!(c.notes.iter().any(|n| n.contains("1.12.2")));
        assert!(c.notes.iter().any(|n| n.contains("does not hold JETLS")));
        let mut ok = start(Some(Path::new("/s/sys.so")), "1.12.2");
        ok.holds_jetls = true;
        let c = config_for(Tool::Jetls, &ok);
        assert_eq!(c.notes.len(), 1, "{:?}", c.notes); // only the rebuild note
        assert!(c.notes[0].contains("run this again"), "{:?}", c.notes);
        ok.image_follows_rebuilds = true;
        let c = config_for(Tool::Jetls, &ok);
        assert!(
            c.notes[0].contains("without running this again"),
            "{:?}",
            c.notes
        );
    }
}
