//! `sysimg env check`, `env show` and `tree-hash` as a user runs them.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{err as stderr, out as stdout};

fn sysimg(args: &[&str], cwd: &Path) -> Output {
    common::sysimg_cmd()
        .args(args)
        .current_dir(cwd)
        .env("JULIA_DEPOT_PATH", cwd.join("no-depot"))
        .output()
        .expect("sysimg runs")
}

fn shared() -> Option<PathBuf> {
    match common::shared_dir().filter(|d| d.join("corpus").is_dir()) {
        Some(dir) => Some(dir),
        None => {
            common::skip("no shared corpus (set SYSIMG_SHARED_DIR)");
            None
        }
    }
}

const EXAMPLE: &str = "7876af07-990d-54b4-ab0e-23690620f79a";

fn write_env(dir: &Path, project: &str, manifest: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("Project.toml"), project).unwrap();
    fs::write(dir.join("Manifest.toml"), manifest).unwrap();
}

#[test]
fn check_fresh_corpus_environment_exits_0_and_stale_exits_1() {
    let Some(shared) = shared() else { return };
    let envs = shared.join("corpus/environments");
    let fresh = sysimg(
        &[
            "-p",
            envs.join("sciml-Bio").to_str().unwrap(),
            "env",
            "check",
            "--no-sources",
            "--json",
        ],
        &envs,
    );
    assert_eq!(
        fresh.status.code(),
        Some(0),
        "{}{}",
        stdout(&fresh),
        stderr(&fresh)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&fresh)).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], 0);
    let stale = sysimg(
        &[
            "-p",
            envs.join("sciml-Jumps").to_str().unwrap(),
            "env",
            "check",
            "--no-sources",
            "--json",
        ],
        &envs,
    );
    assert_eq!(stale.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&stale)).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"stale-project-hash"), "{codes:?}");
    let first = &v["findings"][0];
    assert_eq!(first["severity"], "error");
    assert!(first["location"]["line"].as_u64().is_some());
}

#[test]
fn missing_sources_are_warnings_not_errors() {
    let t = tempfile::tempdir().unwrap();
    let proj = format!("[deps]\nExample = \"{EXAMPLE}\"\n");
    // project_hash of that project under Pkg 1.12+.
    let manifest = format!(
        "julia_version = \"1.12.1\"\nmanifest_format = \"2.0\"\nproject_hash = \"{}\"\n\n[[deps.Example]]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\nuuid = \"{EXAMPLE}\"\nversion = \"0.5.3\"\n",
        "c2a6cc2a5e2ac1a3ab2a1b9b7c3c9bdb9d6a8d6e"
    );
    write_env(t.path(), &proj, &manifest);
    let o = sysimg(&["env", "check", "--json"], t.path());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"source-missing"), "{codes:?}");
    let missing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "source-missing")
        .unwrap();
    assert_eq!(missing["severity"], "warning");
    assert_eq!(missing["package"], "Example");
}

#[test]
fn bad_input_exits_2_naming_file_line_and_column() {
    let t = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str, &str)] = &[
        ("syntax", "[deps\n", "", "Project.toml:1:"),
        ("bad-uuid", "[deps]\nExample = \"nope\"\n", "", "Project.toml:2:1: Malformed value for `Example`"),
        (
            "manifest-field",
            "",
            "manifest_format = \"2.0\"\n[[deps.A]]\nuuid = \"7876af07-990d-54b4-ab0e-23690620f79a\"\nversion = \"1.2.3.4\"\n",
            "Manifest.toml:4:1: Could not parse `version`",
        ),
        ("manifest-syntax", "", "manifest_format = \"2.0\"\n[[deps.A]\n", "Manifest.toml:2:"),
        ("compat", "[compat]\njulia = \">1.0\"\n", "", "Project.toml:2:9: Could not parse compatibility version spec"),
    ];
    for (name, project, manifest, want) in cases {
        let dir = t.path().join(name);
        write_env(&dir, project, manifest);
        for cmd in [&["env", "check"][..], &["env", "show"][..]] {
            let o = sysimg(cmd, &dir);
            assert_eq!(o.status.code(), Some(2), "{name} {cmd:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(err.contains(want), "{name} {cmd:?}: {err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
        }
        let o = sysimg(&["env", "check", "--json"], &dir);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert!(
            v["error"]["message"].as_str().unwrap().contains(want),
            "{name}: {v}"
        );
    }
    let o = sysimg(&["-p", "does/not/exist", "env", "show"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such project file"),
        "{}",
        stderr(&o)
    );
    let o = sysimg(&["env", "frobnicate"], t.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn show_lists_every_package_with_tracking() {
    let t = tempfile::tempdir().unwrap();
    write_env(
        t.path(),
        &format!("[deps]\nExample = \"{EXAMPLE}\"\nDev = \"00000000-0000-0000-0000-00000000000d\"\n"),
        &format!(
            "manifest_format = \"2.0\"\n\n[[deps.Dates]]\nuuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n\n\
             [[deps.Dev]]\npath = \"dev/Dev\"\nuuid = \"00000000-0000-0000-0000-00000000000d\"\n\n\
             [[deps.Example]]\ndeps = [\"Dates\"]\ngit-tree-sha1 = \"46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc\"\npinned = true\nuuid = \"{EXAMPLE}\"\nversion = \"0.5.3\"\n"
        ),
    );
    let o = sysimg(&["env", "show", "--json"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let pkgs = v["packages"].as_array().unwrap();
    let get = |n: &str| pkgs.iter().find(|p| p["name"] == n).unwrap();
    assert_eq!(get("Dates")["tracking"], "stdlib");
    assert_eq!(get("Dates")["stdlib"], true);
    assert_eq!(get("Dates")["direct"], false);
    assert_eq!(get("Dev")["tracking"], "path");
    assert_eq!(get("Example")["pinned"], true);
    assert_eq!(get("Example")["deps"][0], "Dates");
    let human = stdout(&sysimg(&["env", "show"], t.path()));
    assert!(
        human.contains("2 direct dependencies, 3 packages"),
        "{human}"
    );
}

/// A small deterministic generator, so that the trees are the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const NAMES: &[&str] = &[
    "a",
    "b.txt",
    "B",
    "foo",
    "foo.bar",
    "foo-bar",
    "foo0",
    "é",
    "日本語.jl",
    "with space",
    "quote\"d",
    "back\\slash",
    "dollar$",
    "-dash",
    "new\nline",
    "z",
    "src",
    "Project.toml",
    "ünï",
    "a.b.c",
];

fn build_tree(root: &Path, rng: &mut Lcg, depth: usize) {
    fs::create_dir_all(root).unwrap();
    for _ in 0..rng.next(7) + 1 {
        let name = NAMES[rng.next(NAMES.len() as u64) as usize];
        let path = root.join(name);
        if path.exists() || fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        match rng.next(6) {
            0 | 1 => fs::write(
                &path,
                format!("content {}\n", rng.next(1000)).repeat(rng.next(50) as usize),
            )
            .unwrap(),
            2 => {
                fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
                }
            }
            3 => {
                #[cfg(unix)]
                std::os::unix::fs::symlink(
                    if rng.next(2) == 0 {
                        "b.txt"
                    } else {
                        "../nowhere/é"
                    },
                    &path,
                )
                .unwrap();
            }
            4 if depth < 3 => build_tree(&path, rng, depth + 1),
            _ => fs::create_dir_all(path.join("empty/inner")).unwrap(),
        }
    }
}

fn git_tree(dir: &Path) -> Option<String> {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
    };
    run(&["init", "-q"])?;
    run(&["add", "-A", "-f", "."])?;
    let o = run(&["write-tree"])?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

#[test]
fn tree_hash_agrees_with_git() {
    if Command::new("git").arg("--version").output().is_err() {
        common::skip("git is not installed");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let mut rng = Lcg(42);
    for i in 0..25 {
        let root = t.path().join(format!("tree{i}"));
        build_tree(&root, &mut rng, 0);
        fs::write(root.join("anchor"), "so the tree is never empty\n").unwrap();
        let ours = sysimg(&["tree-hash", root.to_str().unwrap()], t.path());
        assert_eq!(ours.status.code(), Some(0), "{}", stderr(&ours));
        let ours = stdout(&ours).trim().to_string();
        let theirs = git_tree(&root).expect("git write-tree");
        assert_eq!(ours, theirs, "tree {i} differs from git");
        // The .git directory git just made is skipped, so the hash is unchanged.
        let again = stdout(&sysimg(&["tree-hash", root.to_str().unwrap()], t.path()));
        assert_eq!(again.trim(), theirs);
    }
    let o = sysimg(&["tree-hash", "/definitely/not/here", "--json"], t.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn tree_hash_refuses_special_files_instead_of_hanging() {
    let t = tempfile::tempdir().unwrap();
    let pkg = t.path().join("pkg");
    fs::create_dir_all(&pkg).unwrap();
    fs::write(pkg.join("a.jl"), "x = 1\n").unwrap();
    let fifo = pkg.join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let o = sysimg(&["tree-hash", pkg.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("pipe: a special file"),
        "{}",
        stderr(&o)
    );
    // A path that is not there names the real cause.
    let o = sysimg(&["tree-hash", "/nonexistent/dir"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/dir: No such file"),
        "{}",
        stderr(&o)
    );
}

/// An environment in `dir` with one package, named `name` (TOML-escaped as written).
fn one_package_named(dir: &Path, name: &str) {
    fs::write(
        dir.join("Project.toml"),
        format!("[deps]\n\"{name}\" = \"00000000-0000-0000-0000-000000000001\"\n"),
    )
    .unwrap();
    fs::write(
        dir.join("Manifest.toml"),
        format!(
            "julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n[[deps.\"{name}\"]]\ngit-tree-sha1 = \"{}\"\nuuid = \"00000000-0000-0000-0000-000000000001\"\nversion = \"1.0.0\"\n",
            "ab".repeat(20)
        ),
    )
    .unwrap();
}

#[test]
fn hostile_names_reach_the_terminal_escaped() {
    let t = tempfile::tempdir().unwrap();
    one_package_named(t.path(), "Evil\\u001b[2J\\u0007\\u202eLJ.txt");
    for args in [
        &["env", "show"][..],
        &["env", "check", "--no-sources"][..],
        &["plan"][..],
        &["why", "Nope"][..],
    ] {
        let o = sysimg(args, t.path());
        for text in [stdout(&o), stderr(&o)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
                "{args:?} printed a raw control character: {text:?}"
            );
        }
        if args == ["env", "show"] || args == ["plan"] {
            assert!(
                stdout(&o).contains("Evil\\u{001b}[2J\\u{0007}\\u{202e}LJ.txt"),
                "{args:?}: {}",
                stdout(&o)
            );
        }
    }
}

/// Issue 23 item 13: a newline or tab inside a package name does not split a row of `plan`,
/// `why` or `env show`: it is escaped as the other control characters are.
#[test]
fn a_newline_in_a_name_does_not_split_a_row() {
    let t = tempfile::tempdir().unwrap();
    one_package_named(t.path(), "Two\\nRows\\tX");
    for args in [
        &["env", "show"][..],
        &["plan"][..],
        &["why", "Two\nRows\tX"][..],
    ] {
        let o = sysimg(args, t.path());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        let row = text
            .lines()
            .find(|l| l.contains("Two"))
            .unwrap_or_else(|| panic!("{args:?}: {text}"));
        assert!(
            row.contains("Two\\u{000a}Rows\\u{0009}X"),
            "{args:?}: {text}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("Rows")),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn a_manifest_given_as_the_project_is_named_as_such() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("Manifest.toml"), "").unwrap();
    let o = sysimg(&["-p", "Manifest.toml", "env", "check"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a manifest, not a project file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_project_hash_is_described_without_guessing() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("Project.toml"),
        "[deps]\nDates = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\n",
    )
    .unwrap();
    fs::write(
        t.path().join("Manifest.toml"),
        "julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n[[deps.Dates]]\ndeps = [\"Printf\"]\nuuid = \"ade2ca70-3891-5945-98fb-dc099432e06a\"\nversion = \"1.11.0\"\n\n[[deps.Printf]]\ndeps = [\"Unicode\"]\nuuid = \"de0858da-6303-5e67-8744-51eddeeeb8d7\"\nversion = \"1.11.0\"\n\n[[deps.Unicode]]\nuuid = \"4ec0a83e-493e-50e2-b9ac-8f72acf5a8f5\"\nversion = \"1.11.0\"\n",
    )
    .unwrap();
    let o = sysimg(&["env", "check", "--no-sources"], t.path());
    let text = stdout(&o);
    assert!(!text.contains("1.7 or older"), "{text}");
    assert!(
        text.contains("Julia 1.11.2 would have written one"),
        "{text}"
    );
    assert!(text.contains("0 errors, 0 warnings, 1 note\n"), "{text}");
}

#[test]
fn many_missing_sources_are_summarised_in_one_finding() {
    let t = tempfile::tempdir().unwrap();
    let mut proj = String::from("[deps]\n");
    let mut manifest = String::from("julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n");
    for i in 0..40 {
        let uuid = format!("00000000-0000-0000-0000-{:012x}", i + 1);
        proj.push_str(&format!("P{i} = \"{uuid}\"\n"));
        manifest.push_str(&format!(
            "[[deps.P{i}]]\ngit-tree-sha1 = \"{}\"\nuuid = \"{uuid}\"\nversion = \"1.0.{i}\"\n\n",
            "ab".repeat(20)
        ));
    }
    write_env(t.path(), &proj, &manifest);
    let o = sysimg(&["env", "check"], t.path());
    let text = stdout(&o);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[source-missing]"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("40 packages are in no depot") && lines[0].contains("and 35 more"),
        "{text}"
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `sysimg plan --json | head -c 1`: the reader closes the pipe after one line; sysimg
    // stops writing, says nothing and exits 0 (it does not restore SIGPIPE's default action,
    // so that a registry closing its connection cannot kill a push).
    let Some(shared) = shared() else { return };
    let env = shared.join("corpus/environments/sciml-Symbolics");
    let mut child = common::sysimg_cmd()
        .args(["-p", env.to_str().unwrap(), "plan", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"{");
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

/// A Julia 1.5 user's environment (format 1.0, written by Pkg 1.5.3: `examples/quickstart`) is
/// what their Julia writes: `env check` notes the format as information, with no warning to
/// act on (there is nothing a 1.5 user could do about it).
#[test]
fn a_julia_1_5_manifest_draws_no_warning() {
    let t = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let o = sysimg(
        &[
            "-p",
            example.to_str().unwrap(),
            "env",
            "check",
            "--no-sources",
            "--json",
        ],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let format = findings
        .iter()
        .find(|f| f["code"] == "old-manifest-format")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(format["severity"], "info", "{v}");
    assert!(findings.iter().all(|f| f["severity"] == "info"), "{v}");
}
