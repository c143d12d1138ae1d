//! `plan`, `why`, `strip` and `pin` as a user runs them.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{err, out};

use julia_env::environment::Environment;
use julia_env::flavor::PkgFlavor;
use julia_env::project::Project;
use julia_env::project_hash::project_hash;

fn sysimg(args: &[&str], cwd: &Path) -> Output {
    common::sysimg_cmd()
        .args(args)
        .current_dir(cwd)
        .env("JULIA_DEPOT_PATH", cwd.join("no-depot"))
        .env("SYSIMG_STORE", cwd.join("store"))
        .output()
        .expect("sysimg runs")
}

fn id(n: u8) -> String {
    format!("00000000-0000-0000-0000-0000000000{n:02x}")
}

/// A (pinned) → X; B (pinned) → W; C (unpinned) → W; plus a comment the user wrote.
fn world(dir: &Path) {
    let project = format!(
        "# my environment\n[deps]\nA = \"{}\"\nB = \"{}\"\nC = \"{}\"\n\n[compat]\nC = \"1\"\n",
        id(1),
        id(2),
        id(3)
    );
    fs::write(dir.join("Project.toml"), &project).unwrap();
    let p = Project::parse(&dir.join("Project.toml"), &project).unwrap();
    let hash = project_hash(&p, &[], PkgFlavor::V1_11, None);
    let entry = |name: &str, n: u8, deps: &str, pinned: bool| {
        format!(
            "[[deps.{name}]]\n{deps}git-tree-sha1 = \"{}\"\n{}uuid = \"{}\"\nversion = \"1.{n}.0\"\n\n",
            format!("{n:02x}").repeat(20),
            if pinned { "pinned = true\n" } else { "" },
            id(n)
        )
    };
    let manifest = format!(
        "# This file is machine-generated - editing it directly is not advised\n\njulia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\nproject_hash = \"{hash}\"\n\n{}{}{}{}{}",
        entry("A", 1, "deps = [\"X\"]\n", true),
        entry("B", 2, "deps = [\"W\"]\n", true),
        entry("C", 3, "deps = [\"W\"]\n", false),
        entry("W", 4, "", false),
        entry("X", 5, "", false)
    );
    fs::write(
        dir.join("Manifest.toml"),
        manifest.trim_end().to_string() + "\n",
    )
    .unwrap();
}

#[test]
fn plan_and_why_report_roles_and_reasons() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let o = sysimg(&["plan", "--policy", "pinned", "--json"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let pkgs = v["packages"].as_array().unwrap();
    for p in pkgs {
        for key in ["name", "uuid", "version", "baked", "role", "reason"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    let get = |n: &str| pkgs.iter().find(|p| p["name"] == n).unwrap();
    assert_eq!(get("A")["role"], "public");
    assert_eq!(get("X")["role"], "internal");
    // C needs W and B needs W: B does not reach C, it shares W with it.
    assert_eq!(
        get("B")["reason"],
        "depends on `W`, which unpinned `C` needs (C → W)"
    );
    assert_eq!(v["summary"]["baked"], 2);
    let o = sysimg(&["why", "B", "--policy", "pinned"], t.path());
    assert_eq!(
        out(&o),
        format!(
            "B {} is not baked: depends on `W`, which unpinned `C` needs (C → W)\n  B → W\n",
            id(2)
        )
    );
    let o = sysimg(&["why", "Zzz"], t.path());
    assert_eq!(o.status.code(), Some(2));
    let o = sysimg(&["plan", "--policy", "fast"], t.path());
    assert_eq!(o.status.code(), Some(2));
    // clap names the values (`--policy` is a `ValueEnum`, listed in help and completions).
    assert!(
        err(&o).contains("invalid value 'fast' for '--policy <POLICY>'")
            && err(&o).contains("[possible values: app, pinned, dev]"),
        "{}",
        err(&o)
    );
    fs::write(
        t.path().join("Sysimage.toml"),
        "policy = \"pinned\"\nbogus = 1\n",
    )
    .unwrap();
    let o = sysimg(&["plan"], t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("Sysimage.toml:2:1: unknown key `bogus`"),
        "{}",
        err(&o)
    );
}

/// Issue 23 item 14: a `Sysimage.toml` that is a directory, a FIFO, a dangling symbolic
/// link or a loop of them is an error naming it (exit 2), as an unreadable one is; nothing
/// blocks on the FIFO.
#[cfg(unix)]
#[test]
fn a_spec_that_is_not_a_regular_file_is_an_error_naming_it() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let spec = t.path().join("Sysimage.toml");
    let fifo = || {
        let c = std::ffi::CString::new(spec.display().to_string()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    };
    let cases: [(&str, &dyn Fn(), &str); 5] = [
        (
            "directory",
            &|| fs::create_dir(&spec).unwrap(),
            "is a directory, not a file",
        ),
        (
            "fifo",
            &fifo,
            "is not a regular file (a FIFO, socket or device)",
        ),
        (
            "dangling",
            &|| std::os::unix::fs::symlink(t.path().join("gone.toml"), &spec).unwrap(),
            "is a symbolic link (to ",
        ),
        (
            "loop",
            &|| {
                std::os::unix::fs::symlink(t.path().join("b.toml"), &spec).unwrap();
                std::os::unix::fs::symlink(&spec, t.path().join("b.toml")).unwrap();
            },
            "is a loop of symbolic links",
        ),
        (
            "link to a directory",
            &|| {
                fs::create_dir_all(t.path().join("d")).unwrap();
                std::os::unix::fs::symlink(t.path().join("d"), &spec).unwrap();
            },
            "is a directory, not a file",
        ),
    ];
    for (what, make, message) in cases {
        let _ = fs::remove_dir(&spec);
        let _ = fs::remove_file(&spec);
        let _ = fs::remove_file(t.path().join("b.toml"));
        make();
        // (`run` starts julia on its default image instead: the `house` branch.)
        for args in [
            &["plan"][..],
            &["check"][..],
            &["build"][..],
            &["julia-args"][..],
        ] {
            let mut cmd = common::sysimg_cmd();
            cmd.args(args)
                .current_dir(t.path())
                .env("JULIA", "/nonexistent/julia")
                .env("JULIA_DEPOT_PATH", t.path().join("no-depot"))
                .env("SYSIMG_STORE", t.path().join("store"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let start = std::time::Instant::now();
            while child.try_wait().unwrap().is_none() {
                if start.elapsed() > std::time::Duration::from_secs(20) {
                    let _ = child.kill();
                    panic!("{what}: {args:?} blocked");
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let o = child.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{what}: {args:?}: {}", err(&o));
            let expected = format!("{}: {message}", spec.display());
            assert!(err(&o).contains(&expected), "{what}: {args:?}: {}", err(&o));
        }
    }
}

#[test]
fn strip_leaves_a_consistent_environment_and_dry_run_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let before = (
        fs::read_to_string(t.path().join("Project.toml")).unwrap(),
        fs::read_to_string(t.path().join("Manifest.toml")).unwrap(),
    );
    let o = sysimg(&["strip", "--dry-run"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let diff = out(&o);
    assert!(
        diff.contains("-C = \"") && diff.contains("-[[deps.W]]") && diff.contains("+project_hash"),
        "{diff}"
    );
    let after = (
        fs::read_to_string(t.path().join("Project.toml")).unwrap(),
        fs::read_to_string(t.path().join("Manifest.toml")).unwrap(),
    );
    assert_eq!(before, after, "--dry-run must write nothing");

    let o = sysimg(&["strip"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let project = fs::read_to_string(t.path().join("Project.toml")).unwrap();
    assert!(
        project.starts_with("# my environment\n"),
        "comments are kept: {project}"
    );
    assert!(
        !project.contains("C = ") && !project.contains("B = ") && !project.contains("[compat]"),
        "{project}"
    );
    let env = Environment::load(&t.path().join("Project.toml"), None).unwrap();
    let names: Vec<&str> = env
        .manifest
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["A", "X"]);
    let o = sysimg(&["env", "check", "--no-sources", "--json"], t.path());
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(o.status.code(), Some(0));
    // Stripping a stripped environment changes nothing.
    let o = sysimg(&["strip"], t.path());
    assert_eq!(out(&o), "nothing to change\n");
}

fn write_record(dir: &Path, policy: &str) -> std::path::PathBuf {
    use sysimg::model::plan::make_plan;
    use sysimg::model::record::{
        BuildOptions, ImageRecord, JuliaFacts, RecordInputs, SourceEnvironment,
    };
    use sysimg::model::spec::ImageSpec;
    let env = Environment::load(&dir.join("Project.toml"), None).unwrap();
    let spec = ImageSpec {
        policy: policy.parse().unwrap(),
        ..ImageSpec::new()
    };
    let plan = make_plan(&env, &spec).unwrap();
    let record = ImageRecord::new(
        &plan,
        RecordInputs {
            julia: JuliaFacts {
                version: "1.11.2".into(),
                commit: "abc".into(),
            },
            platform: "x86_64-linux-gnu".into(),
            cpu_target: "native".into(),
            build_cpu: None,
            source: SourceEnvironment::default(),
            build: BuildOptions::default(),
            image_file: "sys.so".into(),
        },
    );
    let image_dir = dir.join("store").join(&record.id);
    fs::create_dir_all(&image_dir).unwrap();
    fs::write(image_dir.join("image.toml"), record.to_toml()).unwrap();
    image_dir
}

#[test]
fn pin_pins_at_the_images_versions_and_is_idempotent() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let image = write_record(t.path(), "app");
    let id = image.file_name().unwrap().to_str().unwrap().to_string();
    // With no image registered for the environment, `pin` says how to get one.
    let o = sysimg(&["pin", "--compat"], t.path());
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("(`sysimg build` makes one), or pass --image ID|PATH"),
        "{}",
        err(&o)
    );
    let o = sysimg(&["pin", "--image", &id[..8], "--compat"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // Issue 26 item 14: the pins Pkg.update() drops (indirect dependencies) are named.
    assert!(
        out(&o).contains(
            "W, X are not in the project: Pkg.update() keeps the pins of direct dependencies only"
        ) && out(&o).contains("`sysimg pin --compat`"),
        "{}",
        out(&o)
    );
    let env = Environment::load(&t.path().join("Project.toml"), None).unwrap();
    assert!(env
        .manifest
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .all(|e| e.pinned));
    assert_eq!(env.project.compat["A"].text, "=1.1.0");
    assert_eq!(env.project.compat["C"].text, "=1.3.0");
    let o = sysimg(&["env", "check", "--no-sources"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let plan_before = out(&sysimg(&["plan", "--policy", "pinned", "--json"], t.path()));
    let o = sysimg(
        &["pin", "--image", image.to_str().unwrap(), "--compat"],
        t.path(),
    );
    assert_eq!(out(&o), "nothing to change\n");
    assert_eq!(
        out(&sysimg(&["plan", "--policy", "pinned", "--json"], t.path())),
        plan_before
    );
}

/// Issue 23 item 12: one CRLF line among LF lines stays the only one (new lines take the
/// file's dominant LF), a file without a final newline does not gain one, and `pin --compat`
/// keeps the comment after the compat entry it replaces.
#[test]
fn pin_keeps_each_lines_ending_the_final_newline_and_compat_comments() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let p = t.path().join("Project.toml");
    let project = fs::read_to_string(&p).unwrap();
    let project = project
        .replacen("# my environment\n", "# my environment\r\n", 1)
        .replace("C = \"1\"\n", "C = \"1\"  # keep C below 2");
    fs::write(&p, &project).unwrap();
    let m = t.path().join("Manifest.toml");
    let manifest = fs::read_to_string(&m).unwrap();
    let manifest = manifest
        .replacen(
            "julia_version = \"1.11.2\"\n",
            "julia_version = \"1.11.2\"\r\n",
            1,
        )
        .trim_end()
        .to_string();
    fs::write(&m, &manifest).unwrap();
    let image = write_record(t.path(), "app");
    let o = sysimg(
        &["pin", "--image", image.to_str().unwrap(), "--compat"],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let after = fs::read_to_string(&p).unwrap();
    assert!(
        after.starts_with("# my environment\r\n[deps]\n"),
        "{after:?}"
    );
    assert_eq!(after.matches("\r\n").count(), 1, "{after:?}");
    assert!(after.contains("A = \"=1.1.0\"\n"), "{after:?}");
    assert!(
        after.ends_with("C = \"=1.3.0\"  # keep C below 2"),
        "{after:?}"
    );
    let after = fs::read_to_string(&m).unwrap();
    assert!(after.contains("pinned = true\n"), "{after:?}");
    assert!(
        after.contains("julia_version = \"1.11.2\"\r\n"),
        "{after:?}"
    );
    assert_eq!(after.matches("\r\n").count(), 1, "{after:?}");
    assert!(!after.ends_with('\n'), "{after:?}");
    let o = sysimg(&["env", "check", "--no-sources"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn pin_refuses_naming_each_conflict() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let image = write_record(t.path(), "app");
    let record = image.join("image.toml");
    let text = fs::read_to_string(&record)
        .unwrap()
        .replace("version = \"1.5.0\"", "version = \"9.9.9\"");
    fs::write(&record, text).unwrap();
    let manifest_before = fs::read_to_string(t.path().join("Manifest.toml")).unwrap();
    let o = sysimg(&["pin", "--image", record.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("X: the manifest has version 1.5.0, the image 9.9.9"),
        "{}",
        err(&o)
    );
    assert_eq!(
        fs::read_to_string(t.path().join("Manifest.toml")).unwrap(),
        manifest_before
    );
    let o = sysimg(&["pin", "--image", "nonexistent"], t.path());
    assert_eq!(o.status.code(), Some(2));
}

/// Pkg release-1.13 src/API.jl line 489-492: `function pin(ctx::Context, ...)` ...
/// `check_readonly(ctx)`, and line 152-153 `check_readonly`: `ctx.env.project.readonly &&
/// pkgerror("Cannot modify a readonly environment. The project at $(ctx.env.project_file) is
/// marked as readonly.")`. Older Pkgs do not know `readonly`.
#[test]
fn pin_refuses_a_readonly_project_for_julia_1_13() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let project = t.path().join("Project.toml");
    let text = fs::read_to_string(&project).unwrap();
    fs::write(&project, format!("readonly = true\n{text}")).unwrap();
    let image = write_record(t.path(), "app");
    let record = image.join("image.toml");
    let for_1_11 = fs::read_to_string(&record).unwrap();
    fs::write(&record, for_1_11.replace("\"1.11.2\"", "\"1.13.0\"")).unwrap();
    let manifest_before = fs::read_to_string(t.path().join("Manifest.toml")).unwrap();
    let o = sysimg(&["pin", "--image", record.to_str().unwrap()], t.path());
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err(&o).contains("Cannot modify a readonly environment. The project at"),
        "{}",
        err(&o)
    );
    assert_eq!(
        fs::read_to_string(t.path().join("Manifest.toml")).unwrap(),
        manifest_before
    );
    // Julia 1.11's Pkg pins in it.
    fs::write(&record, for_1_11).unwrap();
    let o = sysimg(&["pin", "--image", record.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn strip_stopped_between_its_two_writes_is_repaired_by_running_it_again() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    // What a strip killed after writing the Manifest and before the Project leaves behind,
    // with its temporary file.
    let env =
        julia_env::environment::Environment::load(&t.path().join("Project.toml"), None).unwrap();
    let spec = sysimg::model::spec::ImageSpec {
        policy: sysimg::model::spec::Policy::Pinned,
        ..sysimg::model::spec::ImageSpec::new()
    };
    let plan = sysimg::model::plan::make_plan(&env, &spec).unwrap();
    let a = sysimg::align::strip(&env, &plan).unwrap();
    assert!(a.project.changed() && a.manifest.changed());
    a.manifest.apply().unwrap();
    fs::write(t.path().join(".sysimg-AbC123"), "half").unwrap();
    let o = sysimg(&["env", "check", "--no-sources"], t.path());
    assert_eq!(o.status.code(), Some(1), "stale in between: {}", out(&o));
    let o = sysimg(&["strip"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = sysimg(&["env", "check", "--no-sources"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!t.path().join(".sysimg-AbC123").exists());
}

#[test]
fn strip_will_not_empty_an_environment_without_force() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    // Nothing pinned: unpin A and B.
    let m = t.path().join("Manifest.toml");
    let text = fs::read_to_string(&m).unwrap();
    fs::write(&m, text.replace("pinned = true\n", "")).unwrap();
    let before = fs::read_to_string(t.path().join("Project.toml")).unwrap();
    let o = sysimg(&["strip"], t.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("nothing in") && err(&o).contains("--force"),
        "{}",
        err(&o)
    );
    assert_eq!(
        fs::read_to_string(t.path().join("Project.toml")).unwrap(),
        before
    );
    let o = sysimg(&["strip", "--force"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn strip_writes_through_symlinks_and_keeps_line_endings_and_bom() {
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real");
    fs::create_dir_all(&real).unwrap();
    world(&real);
    // The environment's files are links to the real ones; the Manifest has CRLF and a BOM.
    let env = t.path().join("env");
    fs::create_dir_all(&env).unwrap();
    let m = real.join("Manifest.toml");
    let text = fs::read_to_string(&m).unwrap();
    fs::write(&m, format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        std::os::unix::fs::symlink(real.join(f), env.join(f)).unwrap();
    }
    let o = sysimg(&["strip"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    for f in ["Project.toml", "Manifest.toml"] {
        let meta = fs::symlink_metadata(env.join(f)).unwrap();
        assert!(meta.file_type().is_symlink(), "{f} is no longer a link");
    }
    let after = fs::read(&m).unwrap();
    assert!(
        after.starts_with("\u{feff}".as_bytes()),
        "the BOM was dropped"
    );
    let after = String::from_utf8(after).unwrap();
    assert!(after.contains("\r\n") && !after.replace("\r\n", "").contains('\n'));
    assert!(!after.contains("[[deps.C]]"), "not stripped: {after}");
    let o = sysimg(&["env", "check", "--no-sources"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn strip_rewrites_targets_and_sources_that_name_removed_dependencies() {
    let t = tempfile::tempdir().unwrap();
    world(t.path());
    let p = t.path().join("Project.toml");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(
        &p,
        format!(
            "{text}\n[extras]\nTest = \"8dfed614-e22c-5e08-85e1-65c5234f0b40\"\n\n\
             [sources]\nC = {{url = \"https://example.invalid/C.jl\"}}\n\n\
             [targets]\ntest = [\"Test\", \"C\"]\n"
        ),
    )
    .unwrap();
    let o = sysimg(&["strip"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let after = fs::read_to_string(&p).unwrap();
    assert!(after.contains("test = [\"Test\"]"), "{after}");
    assert!(!after.contains("[sources]"), "{after}");
    // Pkg's rules (as sysimg reads them) accept the result.
    let o = sysimg(&["env", "show"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

/// A pinned chain `C0 → C1 → ... → C39`: `plan` summarises the long dependency paths (its
/// output grows with the packages, not with their square), `why` prints the whole path.
#[test]
fn deep_paths_are_summarised_in_plan_and_whole_in_why() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let project = format!("[deps]\nC0 = \"{}\"\n", id(100));
    fs::write(dir.join("Project.toml"), &project).unwrap();
    let p = Project::parse(&dir.join("Project.toml"), &project).unwrap();
    let hash = project_hash(&p, &[], PkgFlavor::V1_11, None);
    let mut manifest = format!(
        "julia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\nproject_hash = \"{hash}\"\n"
    );
    for i in 0..40u8 {
        let deps = if i < 39 {
            format!("deps = [\"C{}\"]\n", i + 1)
        } else {
            String::new()
        };
        manifest += &format!(
            "\n[[deps.C{i}]]\n{deps}git-tree-sha1 = \"{}\"\n{}uuid = \"{}\"\nversion = \"1.0.0\"\n",
            "ab".repeat(20),
            if i == 0 { "pinned = true\n" } else { "" },
            id(100 + i)
        );
    }
    fs::write(dir.join("Manifest.toml"), manifest).unwrap();
    let o = sysimg(&["plan", "--policy", "pinned", "--json"], dir);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let path_of = |v: &serde_json::Value, name: &str| -> Vec<String> {
        let p = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        serde_json::from_value(p["dependency_path"].clone()).unwrap()
    };
    // 16 packages or fewer: whole.
    let short = path_of(&v, "C15");
    assert_eq!(short.len(), 16);
    assert_eq!(short[0], "C0");
    // Longer: the first and last 8, `…` between.
    let long = path_of(&v, "C39");
    let want: Vec<String> = (0..8)
        .map(|i| format!("C{i}"))
        .chain(["…".to_string()])
        .chain((32..40).map(|i| format!("C{i}")))
        .collect();
    assert_eq!(long, want);
    let o = sysimg(&["why", "C39", "--policy", "pinned", "--json"], dir);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let whole: Vec<String> = serde_json::from_value(v[0]["dependency_path"].clone()).unwrap();
    assert_eq!(whole, (0..40).map(|i| format!("C{i}")).collect::<Vec<_>>());
    let o = sysimg(&["why", "C39", "--policy", "pinned"], dir);
    assert!(out(&o).contains("C0 → C1 → C2"), "{}", out(&o));
    assert!(out(&o).contains("C37 → C38 → C39"), "{}", out(&o));
}
