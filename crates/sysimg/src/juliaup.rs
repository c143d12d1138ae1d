//! juliaup channels that start an environment's image: `julia +NAME` runs
//! `sysimg run -p <Project.toml> --julia <julia> -- ARGS...`, so the channel follows every
//! rebuild of the image without being touched, and julia always starts (on the default image,
//! with a line saying why, when the environment's image is stale or missing).
//!
//! The form is juliaup's own (JuliaLang/juliaup, `src/config_file.rs`): `juliaup.json` holds
//! `"InstalledChannels"`, and a linked channel is `{"Command": "<path>", "Args": [...]}`
//! (`JuliaupConfigChannel::LinkedChannel`, untagged). juliaup's launcher runs `Command` with
//! `Args` and then the user's arguments (`src/bin/julialauncher.rs`,
//! `get_julia_path_from_installed_channel`). The channel is written by `juliaup link NAME
//! COMMAND -- ARGS...` (`src/command_link.rs`: it takes the config file's lock) and removed by
//! `juliaup remove NAME`; this module only reads `juliaup.json`.

use std::path::{Path, PathBuf};

use julia_env::{Error, Location, Result};

/// The largest `juliaup.json` read (it holds a few channels and versions).
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// juliaup's home: `$JULIAUP_DEPOT_PATH/juliaup` when that is set, non-empty (trimmed) and
/// absolute, else `~/.julia/juliaup` (juliaup `src/global_paths.rs`,
/// `get_juliaup_home_path`). `None` when neither can be had (a relative
/// `JULIAUP_DEPOT_PATH` is an error for juliaup too).
pub fn home(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env("JULIAUP_DEPOT_PATH").map(|v| v.trim().to_string()) {
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v);
            p.is_absolute().then(|| p.join("juliaup"))
        }
        _ => {
            let home = env("HOME")
                .or_else(|| env("USERPROFILE"))
                .filter(|h| !h.is_empty())?;
            Some(PathBuf::from(home).join(".julia").join("juliaup"))
        }
    }
}

/// juliaup's configuration file in its home.
pub fn config_file(home: &Path) -> PathBuf {
    home.join("juliaup.json")
}

/// A linked channel as `juliaup.json` holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LinkedChannel {
    /// The channel name (`julia +NAME`).
    pub name: String,
    /// The program the launcher runs.
    pub command: String,
    /// The arguments before the user's.
    pub args: Vec<String>,
}

/// The linked channels of a `juliaup.json` (other kinds are skipped); none when the file does
/// not exist. A file that is not juliaup's JSON is an error naming it.
pub fn linked_channels(config: &Path) -> Result<Vec<LinkedChannel>> {
    let file = match std::fs::File::open(config) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(config, e)),
    };
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(file, MAX_CONFIG_BYTES + 1),
        &mut text,
    )
    .map_err(|e| Error::io(config, e))?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::invalid(
            Location::file(config),
            format!("larger than {MAX_CONFIG_BYTES} bytes: not juliaup's configuration"),
        ));
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            Location {
                path: config.to_path_buf(),
                line: Some(e.line()),
                column: Some(e.column()),
            },
            format!("not juliaup's JSON: {e}"),
        )
    })?;
    let mut found = Vec::new();
    if let Some(channels) = v.get("InstalledChannels").and_then(|c| c.as_object()) {
        for (name, c) in channels {
            let Some(command) = c.get("Command").and_then(|c| c.as_str()) else {
                continue;
            };
            let args = c
                .get("Args")
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            found.push(LinkedChannel {
                name: name.clone(),
                command: command.to_string(),
                args,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The arguments of a channel that starts `project_file`'s image with `julia`:
/// `run -p <project_file> --julia <julia> --` (the launcher appends the user's).
pub fn channel_args(project_file: &Path, julia: &Path) -> Vec<String> {
    vec![
        "run".into(),
        "-p".into(),
        project_file.display().to_string(),
        "--julia".into(),
        julia.display().to_string(),
        "--".into(),
    ]
}

impl LinkedChannel {
    /// The project file this channel starts through `sysimg run`, if it is one of ours.
    pub fn sysimg_project(&self) -> Option<&str> {
        match self.args.as_slice() {
            [run, p, project, ..] if run == "run" && p == "-p" => Some(project),
            _ => None,
        }
    }
}

/// The julia a channel of ours starts (what follows `--julia` in `run -p P --julia J --`),
/// from a linked channel's `Args`.
pub fn sysimg_channel_julia(args: &[String]) -> Option<&str> {
    match args {
        [run, p, _, flag, julia, ..] if run == "run" && p == "-p" && flag == "--julia" => {
            Some(julia)
        }
        _ => None,
    }
}

/// The channels that start `project_file`'s image.
pub fn channels_for<'a>(
    channels: &'a [LinkedChannel],
    project_file: &Path,
) -> Vec<&'a LinkedChannel> {
    let want = project_file.display().to_string();
    channels
        .iter()
        .filter(|c| c.sysimg_project() == Some(want.as_str()))
        .collect()
}

/// A channel name from an environment's name: juliaup takes any name, but `+NAME` is typed in
/// shells, so lowercase ASCII letters, digits, `-`, `_` and `.` only, everything else `-`.
pub fn channel_name(name: &str) -> String {
    let cleaned = crate::kernel::lowercase_name(name);
    let trimmed = cleaned.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "sysimg".into()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_follows_juliaup() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let p = PathBuf::from;
        assert_eq!(
            home(&env(&[("JULIAUP_DEPOT_PATH", " /d "), ("HOME", "/h")])),
            Some(p("/d/juliaup"))
        );
        assert_eq!(
            home(&env(&[("JULIAUP_DEPOT_PATH", ""), ("HOME", "/h")])),
            Some(p("/h/.julia/juliaup"))
        );
        assert_eq!(
            home(&env(&[("JULIAUP_DEPOT_PATH", "rel"), ("HOME", "/h")])),
            None
        );
        assert_eq!(home(&env(&[])), None);
    }

    #[test]
    fn linked_channels_are_read_in_juliaups_form() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("juliaup.json");
        assert!(linked_channels(&f).unwrap().is_empty());
        // As juliaup 1.x writes it (src/config_file.rs): channels of several kinds.
        std::fs::write(
            &f,
            r#"{"Default":"release","InstalledVersions":{},"InstalledChannels":{
                "release":{"Version":"1.11.2+0.x64.linux.gnu"},
                "app":{"Command":"/bin/sysimg","Args":["run","-p","/p/Project.toml","--julia","/j/julia","--"]},
                "al":{"Target":"release","Args":null},
                "plain":{"Command":"/j/julia","Args":null}},
                "Settings":{}}"#,
        )
        .unwrap();
        let found = linked_channels(&f).unwrap();
        assert_eq!(
            found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["app", "plain"]
        );
        let ours = channels_for(&found, Path::new("/p/Project.toml"));
        assert_eq!(ours.len(), 1);
        assert_eq!(
            ours[0].args,
            channel_args(Path::new("/p/Project.toml"), Path::new("/j/julia"))
        );
        std::fs::write(&f, "{\n  \"InstalledChannels\": [\n").unwrap();
        let e = linked_channels(&f).unwrap_err().to_string();
        assert!(e.contains("juliaup.json:3:"), "{e}");
    }

    #[test]
    fn channel_names_are_typable() {
        assert_eq!(channel_name("MyProj"), "myproj");
        assert_eq!(channel_name("my proj/1"), "my-proj-1");
        assert_eq!(channel_name("+.."), "sysimg");
    }
}
