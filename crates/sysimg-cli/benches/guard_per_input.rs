//! The guard's cost per REPL input when nothing changed (issue 25): the input transform the
//! guard adds to the REPL (`SysimageData.session_transform`) against a transform that does
//! nothing and against one bare `stat` of the Manifest, each called as the REPL calls its
//! transforms (`Base.invokelatest(xf, ast)`, stdlib/REPL/src/REPL.jl line 132 on 1.5.3), on a
//! real Julia (`SYSIMG_TEST_JULIA`). One julia process runs the generated `SysimageData` module
//! (the code compiled into every image) with an environment of 100 Manifest entries;
//! interleaved rounds, medians, microseconds per input. Run with
//! `cargo bench -p sysimg-cli --bench guard_per_input`.

use std::process::Command;

use julia_env::ids::Uuid;
use sysimg::codegen::record_module;
use sysimg::model::plan::Role;
use sysimg::model::record::{
    BuildOptions, ImageFile, ImageRecord, JuliaFacts, RecordPackage, SourceEnvironment,
};
use sysimg::model::spec::Policy;

const ENTRIES: usize = 100;

const SCRIPT: &str = r#"
include(ARGS[1])
const D = SysimageData
D.environment_changed()
noop(ex) = ex
const MANIFEST = D.SEEN[].manifest
stat_only(ex) = (stat(MANIFEST); ex)
function per_input(f, ex, n)
    t = time_ns()
    for _ in 1:n
        Base.invokelatest(f, ex)
    end
    return (time_ns() - t) / n / 1000
end
ex = :(1 + 1)
for f in (D.session_transform, noop, stat_only)
    per_input(f, ex, 200)
end
g, z, s = Float64[], Float64[], Float64[]
for round in 1:parse(Int, ARGS[2])
    push!(g, per_input(D.session_transform, ex, 2000))
    push!(z, per_input(noop, ex, 2000))
    push!(s, per_input(stat_only, ex, 2000))
end
med(v) = sort(v)[div(length(v) + 1, 2)]
println(med(g), " ", med(z), " ", med(s))
# Nothing changed, so nothing was reported; a change is seen on the next input.
touch(MANIFEST)
println(D.environment_changed())
"#;

fn record() -> ImageRecord {
    ImageRecord {
        schema: 1,
        id: "0123456789abcdef0123456789abcdef".into(),
        created: "2026-12-02T00:00:00Z".into(),
        sysimg_version: "0.1.0".into(),
        julia: JuliaFacts {
            version: "1.5.3".into(),
            commit: "788b2c77c1".into(),
        },
        platform: "x86_64-linux-gnu".into(),
        cpu_target: "native".into(),
        build_cpu: None,
        policy: Policy::App,
        source: SourceEnvironment {
            manifest_sha256: "ab".repeat(32),
            project_hash: None,
        },
        build: BuildOptions::default(),
        image: ImageFile {
            file: "sys.so".into(),
            sha256: String::new(),
        },
        packages: (0..ENTRIES)
            .map(|i| RecordPackage {
                name: format!("Pkg{i}"),
                uuid: Uuid::from_u128(i as u128 + 1),
                version: Some(format!("1.{i}.0")),
                tree_hash: Some(format!("{:040x}", i)),
                role: Role::Public,
                sideload_uuid: None,
                source_tree_hash: None,
            })
            .collect(),
        artifacts: Vec::new(),
    }
}

fn main() {
    let Some(julia) = std::env::var_os("SYSIMG_TEST_JULIA").filter(|j| !j.is_empty()) else {
        println!("SKIPPED guard_per_input benchmark: set SYSIMG_TEST_JULIA to a julia");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let record = record();
    std::fs::write(t.path().join("sysimage_data.jl"), record_module(&record)).unwrap();
    std::fs::write(t.path().join("run.jl"), SCRIPT).unwrap();
    let env = t.path().join("env");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("Project.toml"), "[deps]\n").unwrap();
    // The Manifest as the image has it (the guard stays quiet).
    let mut manifest =
        String::from("# This file is machine-generated - editing it directly is not advised\n");
    for p in &record.packages {
        manifest.push_str(&format!(
            "\n[[{}]]\ngit-tree-sha1 = \"{}\"\nuuid = \"{}\"\nversion = \"{}\"\n",
            p.name,
            p.tree_hash.as_deref().unwrap_or_default(),
            p.uuid,
            p.version.as_deref().unwrap_or_default()
        ));
    }
    std::fs::write(env.join("Manifest.toml"), manifest).unwrap();
    let o = Command::new(&julia)
        .arg("--startup-file=no")
        .arg(format!("--project={}", env.display()))
        .arg(t.path().join("run.jl"))
        .arg(t.path().join("sysimage_data.jl"))
        .arg("15")
        .output()
        .expect("julia runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut lines = stdout.lines();
    let v: Vec<f64> = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(v.len(), 3, "{stdout}");
    assert_eq!(
        lines.next(),
        Some("true"),
        "a touched Manifest was not seen: {stdout}"
    );
    println!("guard per REPL input, nothing changed ({ENTRIES} Manifest entries, median of 15 interleaved rounds of 2000 inputs):");
    println!("  guard transform       {:8.2} µs", v[0]);
    println!("  no-op transform       {:8.2} µs", v[1]);
    println!("  one stat of Manifest  {:8.2} µs (as a transform)", v[2]);
    println!(
        "  guard - no-op         {:8.2} µs  (guard / stat: {:.2})",
        v[0] - v[1],
        (v[0] - v[1]) / (v[2] - v[1]).max(0.001)
    );
}
