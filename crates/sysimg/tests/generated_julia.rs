//! Generated Julia parses (checked with the tree-sitter-julia grammar), and hostile package
//! names cannot change its meaning.

mod common;

use common::{nodes, parse_julia};
use julia_env::ids::Uuid;
use sysimg::codegen::{left_out_script, record_module, string_literal};
use sysimg::model::plan::Role;
use sysimg::model::record::{
    BuildOptions, ImageFile, ImageRecord, JuliaFacts, RecordArtifact, RecordPackage,
    SourceEnvironment,
};
use sysimg::model::spec::Policy;
use tree_sitter::{Node, Tree};

const HOSTILE: &[&str] = &[
    "Quote\"d",
    "$(run(`touch /tmp/pwned`))",
    "Back\\slash\\",
    "New\nline\"; run(`x`); \"",
    "Tab\tand\rreturn\u{1}",
    "Dollar$x",
    "\\\"$(x)",
    "日本語",
];

fn record(names: &[&str]) -> ImageRecord {
    ImageRecord {
        schema: 1,
        id: "0123456789abcdef0123456789abcdef".into(),
        created: "2026-11-25T00:00:00Z".into(),
        sysimg_version: "0.1.0".into(),
        julia: JuliaFacts {
            version: "1.11.2".into(),
            commit: "5e9a32e7af2".into(),
        },
        platform: "x86_64-linux-gnu".into(),
        cpu_target: "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)".into(),
        build_cpu: None,
        policy: Policy::Dev,
        source: SourceEnvironment {
            manifest_sha256: "ab".repeat(32),
            project_hash: None,
        },
        build: BuildOptions::default(),
        image: ImageFile {
            file: "sys.so".into(),
            sha256: String::new(),
        },
        packages: names
            .iter()
            .enumerate()
            .map(|(i, n)| RecordPackage {
                name: n.to_string(),
                uuid: Uuid::from_u128(i as u128 + 1),
                version: Some(format!("1.{i}.0")),
                tree_hash: (i % 2 == 0).then(|| "cd".repeat(20)),
                role: if i == 0 { Role::Public } else { Role::Internal },
                sideload_uuid: (i % 3 == 0).then(|| Uuid::from_u128(1000 + i as u128)),
                source_tree_hash: None,
            })
            .collect(),
        artifacts: vec![RecordArtifact {
            package: names[0].to_string(),
            name: "a\"$b".into(),
            tree_hash: "ef".repeat(20),
            lazy: false,
        }],
    }
}

fn assert_clean(code: &str) -> Tree {
    let tree = parse_julia(code);
    let bad: Vec<String> = nodes(&tree)
        .iter()
        .filter(|n| n.is_error() || n.is_missing())
        .map(|n| format!("{} at {:?}", n.kind(), n.start_position()))
        .collect();
    assert!(
        bad.is_empty(),
        "generated Julia does not parse: {bad:?}\n{code}"
    );
    tree
}

#[test]
fn record_module_parses() {
    let code = record_module(&record(&["CSV", "DataFrames", "Tables"]));
    let tree = assert_clean(&code);
    let kinds: Vec<&str> = nodes(&tree).iter().map(|n| n.kind()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "module_definition").count(),
        1
    );
}

#[test]
fn hostile_names_stay_inert_strings() {
    let plain = record_module(&record(&["A", "B", "C", "D", "E", "F", "G", "H"]));
    let hostile = record_module(&record(HOSTILE));
    // The syntax tree above string contents (which differ by escapes).
    fn outline(node: Node<'_>, out: &mut Vec<String>) {
        out.push(node.kind().to_string());
        if node.kind() == "string_literal" {
            return;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            outline(child, out);
        }
    }
    let shape = |code: &str| -> Vec<String> {
        let tree = assert_clean(code);
        let mut out = Vec::new();
        outline(tree.root_node(), &mut out);
        out
    };
    // The same syntax tree, node for node: names only ever fill string literals.
    assert_eq!(shape(&plain), shape(&hostile));
    let tree = parse_julia(&hostile);
    for n in nodes(&tree) {
        assert!(
            !n.kind().contains("interpolation"),
            "an interpolation got through: {}",
            &hostile[n.byte_range()]
        );
    }
}

/// The step after a build that loads the packages an image leaves out: it parses, and hostile
/// names only fill string literals (the same syntax tree as plain names, no interpolation).
#[test]
fn the_left_out_script_parses_and_keeps_names_inert() {
    let uuid = "7876af07-990d-54b4-ab0e-23690620f79a";
    let plain: Vec<(&str, &str)> = (0..HOSTILE.len()).map(|_| ("Plain", uuid)).collect();
    let hostile: Vec<(&str, &str)> = HOSTILE.iter().map(|n| (*n, *n)).collect();
    let kinds = |code: &str| -> Vec<String> {
        let tree = assert_clean(code);
        let mut out = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            out.push(n.kind().to_string());
            assert!(!n.kind().contains("interpolation"), "{code}");
            if n.kind() != "string_literal" {
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
        out
    };
    assert_eq!(
        kinds(&left_out_script(&plain)),
        kinds(&left_out_script(&hostile))
    );
    assert!(left_out_script(&[]).contains("Tuple{String,String}[\n]"));
}

#[test]
fn string_literals_round_trip_through_the_grammar() {
    for s in HOSTILE {
        let code = format!("x = {}\n", string_literal(s));
        let tree = assert_clean(&code);
        let strings = nodes(&tree)
            .iter()
            .filter(|n| n.kind() == "string_literal")
            .count();
        assert_eq!(strings, 1, "{code}");
    }
}

/// Where a real julia is at hand (`SYSIMG_TEST_JULIA`), the generated module also runs: it
/// holds the hostile names exactly, runs none of them, and its Manifest reader agrees with
/// Pkg's TOML parser on every real manifest in `../shared/corpus` (formats 1.0 and 2.x).
#[test]
fn the_record_module_runs_on_a_real_julia() {
    let Some(julia) = testkit::test_julia_or_skip() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let module = t.path().join("sysimage_data.jl");
    std::fs::write(&module, record_module(&record(HOSTILE))).unwrap();
    let manifests: Vec<std::path::PathBuf> = testkit::shared_dir()
        .unwrap_or_default()
        .join("corpus/environments")
        .read_dir()
        .map(|d| {
            d.filter_map(|e| e.ok())
                .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten())
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("Manifest"))
                })
                .collect()
        })
        .unwrap_or_default();
    let list = t.path().join("manifests.txt");
    let text: Vec<String> = manifests.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, text.join("\n")).unwrap();
    let script = t.path().join("run.jl");
    std::fs::write(
        &script,
        r#"include(ARGS[1])
for p in SysimageData.PACKAGES
    println(bytes2hex(codeunits(p.name)))
end
import Pkg
checked = 0
for file in filter(!isempty, readlines(ARGS[2]))
    raw = Pkg.TOML.parsefile(file)
    deps = haskey(raw, "manifest_format") ? get(raw, "deps", Dict()) : raw
    want = Dict{String,Dict{String,String}}()
    for (_, infos) in deps, info in infos
        want[lowercase(info["uuid"])] = Dict(k => info[k] for k in ("uuid", "version", "git-tree-sha1", "path") if haskey(info, k))
    end
    got = SysimageData.read_manifest(file)
    got == want || error("read_manifest disagrees with Pkg.TOML on $file")
    global checked += 1
end
println("checked ", checked)
"#,
    )
    .unwrap();
    let o = std::process::Command::new(&julia)
        .args(["--startup-file=no"])
        .arg(&script)
        .arg(&module)
        .arg(&list)
        .env("SYSIMG_GUARD", "off")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    // Each name is the same bytes in Julia as in the record.
    for (line, name) in lines.iter().zip(HOSTILE) {
        assert_eq!(*line, hex::encode(name.as_bytes()), "{name:?}: {stdout}");
    }
    assert_eq!(
        lines.last().copied(),
        Some(format!("checked {}", manifests.len()).as_str())
    );
    assert!(!std::path::Path::new("/tmp/pwned").exists());
}

fn sample_build_script() -> String {
    sysimg::codegen::build_script(&sysimg::codegen::BuildScript {
        image_id: "0123",
        tools_env: "/tools",
        project: "/env",
        packages: &["Example".to_string()],
        cpu_target: "native",
        execution_files: &[],
        statements_files: &[],
        incremental: true,
        filter_stdlibs: false,
        sysimage_build_args: &[],
        data_script: "/data.jl",
    })
}

/// PackageCompiler v2.4.0 src/PackageCompiler.jl `get_julia_cmd` (line 273-274): `if
/// isdefined(Base, :Linking) # pkgimage support feature flag` ... `--startup-file=no
/// --pkgimages=no`; `ensurecompiled` (line 372-375) runs `$(get_julia_cmd()) ... 'using Pkg;
/// Pkg.precompile()'` with `JULIA_LOAD_PATH = "$project$(splitter)@stdlib"`. A cache's flags
/// are part of its identity, so build.jl's own precompilation runs with that command, never
/// with the default flags, when PackageCompiler's has `--pkgimages=no`.
#[test]
fn build_jl_precompiles_once_with_packagecompilers_flags() {
    use std::io::Write;
    let script = sample_build_script();
    assert_clean(&script);
    // No unconditional default-flag precompilation.
    assert!(!script.lines().any(|l| l == "Pkg.precompile()"), "{script}");
    assert!(script.contains("\"--pkgimages=no\" in cmd.exec"));
    assert!(script.contains("\"JULIA_LOAD_PATH\" => string(SYSIMG_PROJECT, splitter, \"@stdlib\")"));
    // The choice runs on a real julia (1.5 here): with a PackageCompiler whose command has
    // `--pkgimages=no` it is that command, without one it is `nothing` (Pkg.precompile()).
    let Some(julia) = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty()) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED build_jl_precompiles_once_with_packagecompilers_flags (real julia part): set SYSIMG_TEST_JULIA"
        );
        return;
    };
    let start = script
        .find("function sysimg_packagecompiler_cmd()")
        .unwrap();
    let len = script[start..].find("\nend\n").unwrap() + 5;
    let function = &script[start..start + len];
    let program = format!(
        "module PackageCompiler\nget_julia_cmd() = `julia --color=no --startup-file=no --pkgimages=no`\nend\n\
         {function}\nprintln(sysimg_packagecompiler_cmd() === nothing)\n\
         Core.eval(PackageCompiler, :(get_julia_cmd() = `julia --startup-file=no`))\n\
         println(sysimg_packagecompiler_cmd() === nothing)\n"
    );
    let out = std::process::Command::new(julia)
        .args(["--startup-file=no", "--history-file=no", "-e", &program])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "false\ntrue\n");
}

/// The guard's two-copies warning, on a real julia (`SYSIMG_TEST_JULIA`): the record says
/// the image side-loads `Twin` 0.2.0; the environment's `Twin` 0.3.0 (a path package) loads
/// under its real UUID. The guard says once, at that load, that two copies are loaded, with
/// both versions; loading it again, or another package, says nothing more; a package the
/// image does not side-load never triggers it; and `SYSIMG_GUARD=off` silences it.
#[test]
fn the_guard_says_once_when_a_side_loaded_package_loads_under_its_real_uuid() {
    use std::io::Write;
    let Some(julia) = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty()) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_guard_says_once_when_a_side_loaded_package_loads_under_its_real_uuid: \
             set SYSIMG_TEST_JULIA"
        );
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let twin = Uuid::from_u128(0x7a1e_0000_0000_0000_0000_0000_0000_0001);
    let other = Uuid::from_u128(0x7a1e_0000_0000_0000_0000_0000_0000_0002);
    let env = t.path().join("env");
    for (name, uuid, version) in [("Twin", twin, "0.3.0"), ("Other", other, "1.0.0")] {
        let src = env.join(name).join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            env.join(name).join("Project.toml"),
            format!("name = \"{name}\"\nuuid = \"{uuid}\"\nversion = \"{version}\"\n"),
        )
        .unwrap();
        std::fs::write(
            src.join(format!("{name}.jl")),
            format!("module {name}\nstruct T end\nend\n"),
        )
        .unwrap();
    }
    std::fs::write(
        env.join("Project.toml"),
        format!("[deps]\nOther = \"{other}\"\nTwin = \"{twin}\"\n"),
    )
    .unwrap();
    std::fs::write(
        env.join("Manifest.toml"),
        format!(
            "[[Other]]\npath = \"Other\"\nuuid = \"{other}\"\nversion = \"1.0.0\"\n\n\
             [[Twin]]\npath = \"Twin\"\nuuid = \"{twin}\"\nversion = \"0.3.0\"\n"
        ),
    )
    .unwrap();
    let mut rec = record(&["Top", "Twin"]);
    rec.packages[0].sideload_uuid = None;
    rec.packages[1] = RecordPackage {
        name: "Twin".into(),
        uuid: twin,
        version: Some("0.2.0".into()),
        tree_hash: None,
        role: Role::SideLoaded,
        sideload_uuid: Some(Uuid::from_u128(0xd1)),
        source_tree_hash: None,
    };
    let module = t.path().join("sysimage_data.jl");
    std::fs::write(&module, record_module(&rec)).unwrap();
    let script = t.path().join("run.jl");
    std::fs::write(
        &script,
        "include(ARGS[1])\nprintln(stderr, \"BEFORE\")\nusing Other\nprintln(stderr, \"OTHER LOADED\")\n\
         using Twin\nprintln(stderr, \"TWIN LOADED\")\nusing Twin\nimport Twin\n\
         println(\"DONE \", Twin.T === Twin.T)\n",
    )
    .unwrap();
    let run = |guard: &str| {
        let o = std::process::Command::new(&julia)
            .args(["--startup-file=no", "--color=no"])
            .arg(format!("--project={}", env.display()))
            .arg(&script)
            .arg(&module)
            .env("JULIA_DEPOT_PATH", t.path().join("depot"))
            .env("SYSIMG_GUARD", guard)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{stdout}{stderr}");
        assert!(stdout.contains("DONE true"), "{stdout}{stderr}");
        stderr
    };
    let stderr = run("warn");
    let said = stderr.matches("two copies of Twin are now loaded").count();
    assert_eq!(said, 1, "{stderr}");
    // Said at the load of Twin, not before, not at Other's.
    let at = stderr.find("two copies of Twin").unwrap();
    assert!(
        stderr.find("OTHER LOADED").unwrap() < at && at < stderr.find("TWIN LOADED").unwrap(),
        "{stderr}"
    );
    for part in [
        "the image's 0.2.0, side-loaded as 00000000-0000-0000-0000-0000000000d1",
        "and 0.3.0 from ",
        &format!("under its real UUID {twin}"),
        "a value of one is not a value of the other",
        "`sysimg build`",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in {stderr}");
    }
    assert!(!stderr.contains("Other are now loaded"), "{stderr}");
    let off = run("off");
    assert!(!off.contains("two copies"), "{off}");
}

/// Issue 23 item 10, on a real julia (`SYSIMG_TEST_JULIA`): with `--project` of a directory
/// that does not exist (as with a fresh depot's default environment), the guard prints
/// nothing; it used to warn `could not compare ... SystemError` at every start, from a
/// location in the deleted build workspace. With a project whose Manifest disagrees, it still
/// warns, without that location.
#[test]
fn the_guard_is_silent_for_a_project_that_does_not_exist() {
    let Some(julia) = testkit::test_julia_or_skip() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let module = t.path().join("sysimage_data.jl");
    // (The first package is side-loaded, which the guard skips; the second is not.)
    let r = record(&["Side", "Example"]);
    std::fs::write(&module, record_module(&r)).unwrap();
    // Loading the module runs its `__init__`, the guard, as a start of the image does.
    let run = |project: &std::path::Path| {
        std::process::Command::new(&julia)
            .arg("--startup-file=no")
            .arg(format!("--project={}", project.display()))
            .arg("-e")
            .arg(format!("include({:?})", module.display().to_string()))
            .output()
            .unwrap()
    };
    let o = run(&t.path().join("new").join("dir"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "the guard printed");
    // A Manifest that disagrees with the image: the guard still speaks.
    let env = t.path().join("env");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("Project.toml"), "").unwrap();
    let p = &r.packages[1];
    std::fs::write(
        env.join("Manifest.toml"),
        format!(
            "[[{}]]\nuuid = \"{}\"\nversion = \"9.9.9\"\n",
            p.name, p.uuid
        ),
    )
    .unwrap();
    let o = run(&env);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("disagrees with"), "{stderr}");
    assert!(stderr.contains("Example: the image has 1.1.0"), "{stderr}");
    assert!(!stderr.contains("sysimage_data.jl"), "{stderr}");
}
