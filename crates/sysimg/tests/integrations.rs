//! Contract tests of `julia-args --for`: each tool's configuration is what the tool's own
//! source reads. The lines are quoted from the tools' sources (file and line of the version
//! named); where the tool is installed here (juliacall, from PyPI by `.ci/run` into
//! `target/juliacall`, named by `SYSIMG_TEST_JULIACALL`), the installed source must still hold
//! every quoted line, so a change upstream fails this test instead of silently breaking users.

use std::path::Path;

use sysimg::integrations::{config_for, Start, Tool};

/// PythonCall.jl `pysrc/juliacall/__init__.py` (juliacall 0.9.34 and 0.9.37): how options are
/// read (line 81), the three juliacall reads for an image (lines 175, 182, 184), that the
/// last two go together (line 221 in 0.9.37), and how an `opt_` becomes julia's flag (line
/// 146).
const JULIACALL_LINES: &[&str] = &[
    "k = envkey or 'PYTHON_JULIACALL_'+name.upper()",
    "CONFIG['opt_sysimage'] = sysimg = path_option('sysimage', check_exists=True)[0]",
    "CONFIG['project'] = project = path_option('project', check_exists=True)[0]",
    "CONFIG['exepath'] = exepath = executable_option('exe')[0]",
    "Both PYTHON_JULIACALL_PROJECT and PYTHON_JULIACALL_EXE must be set together",
    "arg = '--' + opt[4:].replace('_', '-')",
];

/// The option names in the quoted `path_option('NAME'` / `executable_option('NAME'` calls,
/// as juliacall turns them into variables (`'PYTHON_JULIACALL_'+name.upper()`).
fn juliacall_variables() -> Vec<String> {
    let mut vars: Vec<String> = JULIACALL_LINES
        .iter()
        .filter_map(|l| {
            let rest = l.split("_option('").nth(1)?;
            let name = rest.split('\'').next()?;
            Some(format!("PYTHON_JULIACALL_{}", name.to_uppercase()))
        })
        .collect();
    vars.sort();
    vars
}

fn start(image: Option<&Path>) -> Start<'_> {
    Start {
        julia: Path::new("/opt/julia/bin/julia"),
        image,
        image_follows_rebuilds: false,
        project_dir: Path::new("/work/proj"),
        julia_version: "1.11.2",
        holds_jetls: false,
    }
}

#[test]
fn juliacall_reads_the_variables_we_print() {
    let config = config_for(Tool::Juliacall, &start(Some(Path::new("/s/sys.so"))));
    let mut printed: Vec<String> = config
        .settings
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    printed.sort();
    assert_eq!(printed, juliacall_variables());
    // `opt_sysimage` becomes `--sysimage=<path>` on julia's command line.
    assert_eq!("opt_sysimage"[4..].replace('_', "-"), "sysimage");
    let Some(python) = std::env::var_os("SYSIMG_TEST_JULIACALL").filter(|p| !p.is_empty()) else {
        testkit::skip(
            "the installed source: set SYSIMG_TEST_JULIACALL to a python with juliacall (.ci/run installs one)",
        );
        return;
    };
    // Where juliacall is installed, without importing it (its import starts Julia).
    let o = std::process::Command::new(python)
        .args([
            "-c",
            "import importlib.util as u; print(u.find_spec('juliacall').origin)",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let source = std::fs::read_to_string(&file).unwrap();
    for line in JULIACALL_LINES {
        assert!(
            source.contains(line),
            "the installed juliacall ({file}) no longer has: {line}"
        );
    }
}

/// julia-vscode 1.232.0: package.json line 1149 declares `"julia.additionalArgs"` (an array,
/// "Additional Julia arguments"); src/interactive/repl.ts lines 264-265 start the REPL with
/// `['-i', '--banner=no', `--project=${pkgenvpath}`].concat(additionalArgs)`;
/// src/debugger/debugFeature.ts (lines 406-414) starts "Run file in new process" and the
/// debugger with `...juliaAdditionalArgs` from the launch configuration, never the setting.
#[test]
fn vscode_gets_both_the_setting_and_the_launch_configuration() {
    let config = config_for(Tool::Vscode, &start(Some(Path::new("/s/sys.so"))));
    let want = serde_json::json!(["--sysimage=/s/sys.so"]);
    assert_eq!(config.settings["settings"]["julia.additionalArgs"], want);
    assert_eq!(config.settings["launch"]["juliaAdditionalArgs"], want);
    // The REPL's `--project` comes from julia.environmentPath, so the args hold none.
    assert_eq!(
        config.settings["settings"]["julia.environmentPath"],
        "/work/proj"
    );
    assert_eq!(config.settings["launch"]["project"], "/work/proj");
}

/// JETLS (aviatesk/JETLS.jl): docs/src/cli-check.md "Julia runtime flags": "you can pass
/// Julia runtime flags before `--`" (`jetls --threads=4,2 -- check ...`); DEVELOPMENT.md
/// gives `jetls-client.executable` as an array; Project.toml `julia = "1.12.2 - 1.13"`.
#[test]
fn jetls_gets_the_flag_before_the_double_dash() {
    let mut s = start(Some(Path::new("/s/sys.so")));
    s.julia_version = "1.12.4";
    s.holds_jetls = true;
    let config = config_for(Tool::Jetls, &s);
    assert_eq!(
        config.settings["jetls-client.executable"],
        serde_json::json!(["jetls", "--sysimage=/s/sys.so", "--", "serve"])
    );
}
