//! sysimg on the realistic world (issue 21): Julia 1.5.3 and PackageCompiler 1.4.1, real Pkg
//! installing the data-analysis stack of `../shared/julia/pkgserver-large` (19 direct
//! dependencies, 49 pure-Julia packages that pass values to each other), served on 127.0.0.1
//! by this test. Its `workload.jl` uses every direct dependency and ends with `WORKLOAD OK`.
//!
//! Runs when `SYSIMG_TEST_JULIA` names a julia and the shared directory is there; otherwise
//! every test prints why it skips. One depot (the registry and the 19 packages added once by
//! real Pkg) and one store serve every test of this binary; each image is built once and
//! shared by the tests that only read it or copy its environment, and the tests run one at a
//! time so two builds never compete for the machine's cores.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use common::lab::Lab;
use common::{err, out};

static LAB: OnceLock<Option<Lab>> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the lab (setting it up on first use), or says why the test is skipped.
fn lab(test: &str) -> Option<(&'static Lab, MutexGuard<'static, ()>)> {
    // Four builds of a 49-package stack, one after another: 15 minutes here (906 s, beside
    // another test run). `SYSIMG_TEST_LARGE=0` leaves them out.
    if std::env::var_os("SYSIMG_TEST_LARGE").is_some_and(|v| v == "0") {
        common::skip_named(test, "SYSIMG_TEST_LARGE=0 leaves the realistic world out");
        return None;
    }
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let lab = LAB.get_or_init(|| {
        let started = Instant::now();
        let lab = Lab::large_from_env(common::SYSIMG);
        if lab.is_some() {
            eprintln!(
                "the realistic world's depot: {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
        lab
    });
    match lab {
        Some(lab) => Some((lab, guard)),
        None => {
            common::skip_named(
                test,
                "set SYSIMG_TEST_JULIA to a julia (scripts/install-test-julia installs Julia 1.5.3) and provide ../shared (or SYSIMG_SHARED_DIR) with julia/pkgserver-large",
            );
            None
        }
    }
}

/// An image built once for the tests of this binary, from its own copy of the world's
/// environment.
struct Built {
    env: PathBuf,
    id: String,
    image: PathBuf,
    record: serde_json::Value,
}

impl Built {
    /// Builds `env` (whose Sysimage.toml is `spec`), timing it for the report.
    fn new(lab: &Lab, name: &str, spec: &str, prepare: impl FnOnce(&Path)) -> Built {
        let env = lab.env_copy(name);
        prepare(&env);
        std::fs::write(env.join("Sysimage.toml"), spec).unwrap();
        let started = Instant::now();
        let v = lab.build(&env, &[]);
        eprintln!(
            "{name}: built {} in {:.0} s",
            v["id"],
            started.elapsed().as_secs_f64()
        );
        Built {
            id: v["id"].as_str().unwrap().to_string(),
            image: PathBuf::from(v["image"].as_str().unwrap()),
            record: v["record"].clone(),
            env,
        }
    }

    /// The record's entry for a package.
    fn package(&self, name: &str) -> &serde_json::Value {
        self.record["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the record of {}", self.id))
    }
}

static APP: OnceLock<Built> = OnceLock::new();
static DEV: OnceLock<Built> = OnceLock::new();
static DEV_NARROW: OnceLock<Built> = OnceLock::new();

/// The app image of the whole world.
fn app(lab: &Lab) -> &'static Built {
    APP.get_or_init(|| Built::new(lab, "app", "policy = \"app\"\n", |_| {}))
}

/// The dev image with the default `public` (the 19 direct dependencies), side-loading the
/// internal packages.
fn dev(lab: &Lab) -> &'static Built {
    DEV.get_or_init(|| Built::new(lab, "dev", "policy = \"dev\"\nsideload = true\n", |_| {}))
}

/// The dev image of the issue's case: a `public` list (DataFrames only) that leaves baked
/// direct dependencies out (Tables, DataAPI, Missings, PooledArrays, DataStructures,
/// Reexport: DataFrames needs them) and leaves the rest of the world (StatsBase, Graphs,
/// Unitful, ...) out of the image.
fn dev_narrow(lab: &Lab) -> &'static Built {
    DEV_NARROW.get_or_init(|| {
        Built::new(
            lab,
            "dev-narrow",
            "policy = \"dev\"\npublic = [\"DataFrames\"]\nsideload = true\n",
            |_| {},
        )
    })
}

/// `sysimg run` of the world's workload in an environment (its own image, or `image`; no
/// rebuild); asserts that it ends with `WORKLOAD OK`.
fn run_workload_on(lab: &Lab, env: &Path, image: Option<&str>) -> Output {
    let workload = Lab::large_workload();
    let started = Instant::now();
    let mut args = vec!["run", "--on-stale", "fail"];
    if let Some(id) = image {
        args.extend(["--image", id]);
    }
    args.extend(["--", workload.to_str().unwrap()]);
    let o = lab.sysimg(env, &args).output().unwrap();
    eprintln!(
        "workload in {}: {:.1} s",
        env.display(),
        started.elapsed().as_secs_f64()
    );
    assert_workload_ok(&o, &env.display().to_string());
    o
}

/// Asserts that a run of the world's workload ended with `WORKLOAD OK`.
fn assert_workload_ok(o: &Output, what: &str) {
    assert!(
        o.status.success() && out(o).trim_end().ends_with("WORKLOAD OK"),
        "the workload failed ({what}):\n{}\n{}",
        out(o),
        err(o)
    );
}

/// julia (not sysimg) running the world's workload on an image with an environment;
/// asserts that it ends with `WORKLOAD OK`.
fn julia_workload(lab: &Lab, image: &Path, env: &Path) -> Output {
    let o = lab
        .julia()
        .arg("-J")
        .arg(image)
        .arg(format!("--project={}", env.display()))
        .arg(Lab::large_workload())
        .output()
        .unwrap();
    assert_workload_ok(&o, &format!("julia on {}", image.display()));
    o
}

fn run_workload(lab: &Lab, env: &Path) -> Output {
    run_workload_on(lab, env, None)
}

/// `sysimg check --json` of an environment against an image.
fn check(lab: &Lab, env: &Path, id: &str) -> (Option<i32>, serde_json::Value) {
    check_answer(
        &lab.sysimg(env, &["check", "--image", id, "--json"])
            .output()
            .unwrap(),
    )
}

/// The exit status and JSON answer of a `sysimg check --json` run.
fn check_answer(o: &Output) -> (Option<i32>, serde_json::Value) {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}\n{}{}", out(o), err(o)));
    (o.status.code(), v)
}

/// Asserts a `check` answer with no error and no warning.
fn assert_clean((code, v): &(Option<i32>, serde_json::Value)) {
    assert_eq!(*code, Some(0), "{v}");
    assert_eq!(
        (&v["errors"], &v["warnings"]),
        (&0.into(), &0.into()),
        "{v}"
    );
}

fn assert_quiet(o: &Output) {
    assert!(!err(o).contains("sysimg:"), "the guard spoke: {}", err(o));
}

#[test]
fn the_app_image_runs_the_workload_and_checks_clean() {
    let Some((lab, _serial)) = lab("the_app_image_runs_the_workload_and_checks_clean") else {
        return;
    };
    let app = app(lab);
    assert_eq!(app.record["julia"]["version"], "1.5.3");
    let baked = app.record["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["stdlib"] != true && p["stdlib"] != "true")
        .count();
    assert!(baked >= 49, "{}", app.record);
    let o = run_workload(lab, &app.env);
    assert_quiet(&o);
    let answer = check(lab, &app.env, &app.id);
    assert_clean(&answer);
    let v = answer.1;
    // The outlook is resolved for Julia 1.5.3 against the registry real Pkg installed.
    let outlook = &v["extendability"];
    assert_eq!(outlook["fix"], "baked", "{v}");
    assert_eq!(outlook["julia_version"], "1.5.3", "{v}");
    eprintln!("extendability of the app image of the world: {outlook}");
    let o = lab.sysimg(&app.env, &["verify", &app.id]).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
}

/// `can-add` and `extendability` with the app image's 49 packages held, on Julia 1.5.3's
/// registry: the image's own InvertedIndices can be added, the older 1.1.0 cannot (the image
/// holds 1.2.0), and the reason names it.
#[test]
fn can_add_and_extendability_hold_the_worlds_image() {
    let Some((lab, _serial)) = lab("can_add_and_extendability_hold_the_worlds_image") else {
        return;
    };
    let app = app(lab);
    let o = lab
        .sysimg(
            &app.env,
            &[
                "can-add",
                "InvertedIndices@1.2.0",
                "--image",
                &app.id,
                "--json",
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let o = lab
        .sysimg(
            &app.env,
            &[
                "can-add",
                "InvertedIndices@1.1.0",
                "--image",
                &app.id,
                "--json",
            ],
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["blocked_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["name"] == "InvertedIndices" && b["by"] == "image"),
        "{v}"
    );
    let o = lab
        .sysimg(
            &app.env,
            &["extendability", "--top", "10", "--image", &app.id, "--json"],
        )
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out(&o), err(&o)));
    assert_eq!(v["asked"], 10, "{v}");
    assert_eq!(v["julia_version"], "1.5.3", "{v}");
    assert_eq!(
        o.status.code(),
        Some(if v["can_add"] == 10 { 0 } else { 1 }),
        "{v}"
    );
}

/// `pin` on the world's app image, then real `Pkg.update()`: the registry names newer
/// versions of most of the 49 packages (which the kit does not serve, so an update that moved
/// one would fail); with the pins nothing moves and `check` stays clean.
#[test]
fn pin_holds_the_worlds_versions_through_pkg_update() {
    let Some((lab, _serial)) = lab("pin_holds_the_worlds_versions_through_pkg_update") else {
        return;
    };
    let app = app(lab);
    let env = lab.root.join("app-pinned");
    std::fs::create_dir_all(&env).unwrap();
    for f in ["Project.toml", "Manifest.toml", "Sysimage.toml"] {
        std::fs::copy(app.env.join(f), env.join(f)).unwrap();
    }
    let before = std::fs::read_to_string(env.join("Manifest.toml")).unwrap();
    let o = lab
        .sysimg(&env, &["pin", "--image", &app.id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let pinned = std::fs::read_to_string(env.join("Manifest.toml")).unwrap();
    assert!(pinned.matches("pinned = true").count() >= 49, "{pinned}");
    lab.pkg(&env, "Pkg.update()");
    let versions = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("version = ") || l.starts_with("git-tree-sha1 = "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        versions(&before),
        versions(&std::fs::read_to_string(env.join("Manifest.toml")).unwrap())
    );
    let (code, v) = check(lab, &env, &app.id);
    // The app image is bound to the Manifest it was built from, byte for byte: pinning
    // changed it, which `check` reports; nothing else.
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.iter().all(|c| *c == "app-manifest-changed"),
        "{code:?} {v}"
    );
}

/// The pinned policy on the world: the user pins the data stack and leaves JSON and IterTools
/// free; `strip` gives an environment real Pkg instantiates; the image builds and runs the
/// workload, JSON and its Parsers coming from the depot.
#[test]
fn the_pinned_policy_builds_the_world_and_runs_the_workload() {
    let Some((lab, _serial)) = lab("the_pinned_policy_builds_the_world_and_runs_the_workload")
    else {
        return;
    };
    let toplevel = std::fs::read_to_string(
        common::shared_dir()
            .unwrap()
            .join("julia/pkgserver-large/toplevel.txt"),
    )
    .unwrap();
    let pins: Vec<String> = toplevel
        .split_whitespace()
        .filter(|n| !["JSON", "IterTools"].contains(n))
        .map(|n| format!("{n:?}"))
        .collect();
    let built = Built::new(lab, "pinned", "policy = \"pinned\"\n", |env| {
        lab.pkg(env, &format!("Pkg.pin([{}])", pins.join(", ")));
    });
    for name in ["DataFrames", "StatsBase", "Graphs", "Unitful"] {
        assert_eq!(built.package(name)["role"], "public", "{name}");
    }
    assert!(
        !built.record["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "JSON" || p["name"] == "Parsers"),
        "{}",
        built.record
    );
    let o = run_workload(lab, &built.env);
    assert_quiet(&o);
    let (code, v) = check(lab, &built.env, &built.id);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["errors"], 0, "{v}");
    // strip: what is left, real Pkg instantiates, and JSON is gone from it.
    let stripped = lab.root.join("pinned-stripped");
    std::fs::create_dir_all(&stripped).unwrap();
    for f in ["Project.toml", "Manifest.toml", "Sysimage.toml"] {
        std::fs::copy(built.env.join(f), stripped.join(f)).unwrap();
    }
    let o = lab.sysimg(&stripped, &["strip"]).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = lab.pkg(&stripped, "Pkg.instantiate(); Pkg.status()");
    assert!(out(&o).contains("DataFrames"), "{}", out(&o));
    assert!(!out(&o).contains("JSON"), "{}", out(&o));
}

/// The dev image with the default `public`: the workload passes, the guard is quiet, and
/// once pinned `check` is clean.
#[test]
fn the_dev_image_runs_the_workload_and_pins_clean() {
    let Some((lab, _serial)) = lab("the_dev_image_runs_the_workload_and_pins_clean") else {
        return;
    };
    let dev = dev(lab);
    let o = run_workload(lab, &dev.env);
    assert_quiet(&o);
    let env = lab.root.join("dev-pinned");
    std::fs::create_dir_all(&env).unwrap();
    for f in ["Project.toml", "Manifest.toml", "Sysimage.toml"] {
        std::fs::copy(dev.env.join(f), env.join(f)).unwrap();
    }
    let o = lab
        .sysimg(&env, &["pin", "--image", &dev.id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert_clean(&check(lab, &env, &dev.id));
    let o = run_workload_on(lab, &env, Some(&dev.id));
    assert_quiet(&o);
}

/// The user adds an internal package of the dev image at another version (InvertedIndices
/// 1.1.0; the image side-loads its 1.2.0 for DataFrames): theirs loads under its real UUID,
/// DataFrames keeps the image's copy, and the workload passes.
#[test]
fn a_user_moves_an_internal_package_of_the_dev_image() {
    let Some((lab, _serial)) = lab("a_user_moves_an_internal_package_of_the_dev_image") else {
        return;
    };
    let dev = dev(lab);
    let inverted = dev.package("InvertedIndices");
    assert_eq!(inverted["version"], "1.2.0");
    let derived = inverted["sideload_uuid"]
        .as_str()
        .unwrap_or_else(|| panic!("InvertedIndices is not side-loaded: {inverted}"))
        .to_string();
    let env = lab.root.join("dev-moved");
    std::fs::create_dir_all(&env).unwrap();
    for f in ["Project.toml", "Manifest.toml", "Sysimage.toml"] {
        std::fs::copy(dev.env.join(f), env.join(f)).unwrap();
    }
    lab.pkg(
        &env,
        r#"Pkg.add(Pkg.PackageSpec(name = "InvertedIndices", version = "1.1.0"); preserve = Pkg.PRESERVE_ALL)"#,
    );
    // The image is kept (InvertedIndices is now a direct dependency, so the default `public`
    // would plan another image): julia on it, with the moved environment.
    julia_workload(lab, &dev.image, &env);
    let code = r#"using DataFrames, InvertedIndices, Pkg
for (id, m) in Base.loaded_modules
    id.name == "InvertedIndices" || continue
    root = dirname(dirname(String(first(methods(getfield(m, :should_skip))).file)))
    println(id.uuid, " ", Pkg.TOML.parsefile(joinpath(root, "Project.toml"))["version"])
end
println(Base.unwrap_unionall(DataFrames.Not).name.module === InvertedIndices)"#;
    let o = lab.on_image(&dev.image, &env, code).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.pop(), Some("false"), "{text}");
    lines.sort();
    let mut expected = vec![
        "41ab1584-1d38-5bbf-9106-f11c6c58b48f 1.1.0".to_string(),
        format!("{derived} 1.2.0"),
    ];
    expected.sort();
    assert_eq!(lines, expected, "{text}");
}

/// The issue's case: a dev image whose `public` list (DataFrames) leaves baked direct
/// dependencies out. The workload, which uses all of them and the rest of the world (left
/// out of the image, loaded from the depot), passes.
#[test]
fn a_narrow_public_list_runs_the_workload() {
    let Some((lab, _serial)) = lab("a_narrow_public_list_runs_the_workload") else {
        return;
    };
    let dev = dev_narrow(lab);
    for name in ["Missings", "Tables", "DataAPI", "PooledArrays"] {
        assert!(
            dev.package(name)["sideload_uuid"].is_null(),
            "{name}, a direct dependency, is side-loaded: {}",
            dev.package(name)
        );
    }
    run_workload(lab, &dev.env);
}

/// A user's `using` of a direct dependency (Missings) that a public package (DataFrames)
/// re-exports, on a dev image: one module, so the names both export are one binding. Before
/// the shared kind (issue 21, item 2) Missings was side-loaded and this failed on the real
/// julia with `WARNING: both Missings and DataFrames export "passmissing"; uses of it in
/// module Main must be qualified` and `UndefVarError: passmissing not defined`.
#[test]
fn a_reexported_direct_dependency_is_one_module_on_a_dev_image() {
    let Some((lab, _serial)) = lab("a_reexported_direct_dependency_is_one_module_on_a_dev_image")
    else {
        return;
    };
    let dev = dev_narrow(lab);
    let code = r#"using DataFrames, Missings
println(passmissing(x -> x + 1)(missing) === missing, " ", DataFrames.Missings === Missings)"#;
    let o = lab.on_image(&dev.image, &dev.env, code).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o).trim(), "true true", "{}", err(&o));
    assert!(!err(&o).contains("both"), "{}", err(&o));
}

/// What the learning sessions run: the data stack without Unitful. Julia 1.5.3's
/// `--trace-compile` (what learning records) crashes on the world's workload, in Unitful's
/// `u"km"` (julia#38719, `jl_static_show` of a unit; fixed in 1.5.4 by julia#38399), so no
/// trace of the workload itself can be made on this julia.
const LEARN_SCRIPT: &str = r#"using DataFrames, CategoricalArrays, StatsBase, PooledArrays, Missings, JSON, DataStructures
df = DataFrame(id = 1:6, region = PooledArray(repeat(["north", "south"], 3)),
               grade = categorical(repeat(["low", "high"], 3)), sales = [1.0, 2.5, 3.0, 4.5, 5.0, 6.5])
agg = combine(DataFrames.groupby(df, :region), :sales => sum => :total)
stats = summarystats(df.sales)
counts = countmap(df.grade)
text = JSON.json(Dict("total" => agg.total, "mean" => stats.mean))
ordered = OrderedDict(string(k) => v for (k, v) in counts)
println(length(JSON.parse(text)) == 2 && length(ordered) == 2 ? "LEARN OK" : "LEARN WRONG")
"#;

/// The statements julia compiled running `script` on an image, from its `--trace-compile`
/// file; asserts that the script printed `LEARN OK`.
fn compiled_by(lab: &Lab, image: &Path, env: &Path, script: &Path, name: &str) -> usize {
    let trace = lab.root.join(format!("trace-{name}.jl"));
    let o = lab
        .julia()
        .arg("-J")
        .arg(image)
        .arg(format!("--trace-compile={}", trace.display()))
        .arg(format!("--project={}", env.display()))
        .arg(script)
        .output()
        .unwrap();
    assert!(out(&o).contains("LEARN OK"), "{}{}", out(&o), err(&o));
    std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("precompile("))
        .count()
}

/// Learning and sharing on the realistic world, from the app image (built without
/// statements): a `sysimg run --learn` session of the data stack leaves julia's trace, the
/// build bakes what it taught (the record's `learned.jl`) and the session compiles fewer
/// statements on the learned image; the learned image, pushed to a registry on 127.0.0.1 and
/// pulled into an empty store, runs the world's workload with `check` clean.
#[test]
fn the_world_learns_and_its_learned_image_travels() {
    let Some((lab, _serial)) = lab("the_world_learns_and_its_learned_image_travels") else {
        return;
    };
    let app = app(lab);
    // The world's environment again (the app image's Manifest, byte for byte), learning; the
    // learned build below is made in this same directory, whose traces it merges.
    let spec = "policy = \"app\"\nlearn = true\nlearn_rebuild_after = 1\n";
    let env = lab.env_copy("app-learning");
    std::fs::write(env.join("Sysimage.toml"), spec).unwrap();
    let script = env.join("learn.jl");
    std::fs::write(&script, LEARN_SCRIPT).unwrap();
    // One session on the app image, traced by sysimg.
    let o = lab
        .sysimg(
            &env,
            &[
                "run",
                "--learn",
                "--image",
                &app.id,
                "--on-stale",
                "fail",
                "--",
                script.to_str().unwrap(),
            ],
        )
        .output()
        .unwrap();
    assert!(out(&o).contains("LEARN OK"), "{}{}", out(&o), err(&o));
    let o = lab
        .sysimg(&env, &["learn", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("learn show: {e}: {}{}", out(&o), err(&o)));
    assert_eq!(v["sessions"], 1, "{v}");
    // The one extra build of this binary: the app image with what the session taught.
    let learned = Built::new(lab, "app-learning", spec, |_| {});
    assert_ne!(learned.id, app.id);
    assert_eq!(
        learned.record["build"]["learned"]["path"], "learned.jl",
        "{}",
        learned.record
    );
    let held = std::fs::read_to_string(lab.store.join(&learned.id).join("learned.jl")).unwrap();
    let held: Vec<&str> = held
        .lines()
        .filter(|l| l.starts_with("precompile("))
        .collect();
    assert!(
        held.iter().any(|s| s.contains("DataFrames.")),
        "no DataFrames statement learned: {held:?}"
    );
    let before = compiled_by(lab, &app.image, &env, &script, "app");
    let after = compiled_by(lab, &learned.image, &env, &script, "learned");
    eprintln!(
        "learned {} statements from one session; the session compiled {before} statements on the app image, {after} on the learned one",
        held.len()
    );
    assert!(after < before, "{after} >= {before}");

    // Push it, pull it into an empty store, run the workload on the pulled image.
    let workload = Lab::large_workload();
    let Some(registry) = common::registry::Registry::start(Default::default()) else {
        return;
    };
    let repo = format!("{}/world/learned", registry.addr);
    let o = lab
        .sysimg(&env, &["push", &learned.id, &repo, "--insecure", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let empty = lab.root.join("pulled-store");
    let in_empty = |args: &[&str]| {
        // Not learning: the spec's `learn = true` would trace the workload, which Julia 1.5.3
        // cannot (julia#38719, a crash at its first `u"km"`).
        let mut c = lab.sysimg(&env, args);
        c.env("SYSIMG_STORE", &empty).env("SYSIMG_LEARN", "0");
        c.output().unwrap()
    };
    let o = in_empty(&[
        "pull",
        &learned.id,
        "--remote",
        &repo,
        "--insecure",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["outcome"], "pulled", "{v}");
    let o = in_empty(&[
        "run",
        "--image",
        &learned.id,
        "--on-stale",
        "fail",
        "--",
        workload.to_str().unwrap(),
    ]);
    assert_workload_ok(&o, "sysimg run");
    assert_quiet(&o);
    assert_clean(&check_answer(&in_empty(&[
        "check",
        "--image",
        &learned.id,
        "--json",
    ])));
}
