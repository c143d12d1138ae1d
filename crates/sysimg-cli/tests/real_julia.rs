//! sysimg with a real Julia: Julia 1.5.3 and PackageCompiler 1.4.1, real Pkg installing real
//! packages from `../shared/julia/pkgserver`, served on 127.0.0.1 by this test. Nothing reaches
//! beyond it.
//!
//! Runs when `SYSIMG_TEST_JULIA` names a julia (`scripts/install-test-julia` installs one;
//! `.ci/run` does) and the shared directory is there; otherwise every test prints why it skips.
//! Images take about two minutes each to build, so the app image is built once and shared by
//! the tests that only read it; the tests run one at a time, so two builds never compete for
//! the machine's cores.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use common::lab::{Lab, WORKLOAD};
use common::{err, out};

const JSON_UUID: &str = "682c06a0-de6a-54ab-a142-c8b1cf79cde6";
const DATASTRUCTURES_UUID: &str = "864edb3b-99cc-5e75-8d2d-829cb0a9cfe8";

static LAB: OnceLock<Option<Lab>> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());
static APP_IMAGE: OnceLock<AppImage> = OnceLock::new();

/// Takes the lab (setting it up on first use), or says why the test is skipped.
fn lab(test: &str) -> Option<(&'static Lab, MutexGuard<'static, ()>)> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let lab = LAB.get_or_init(|| Lab::from_env(common::SYSIMG));
    match lab {
        Some(lab) => Some((lab, guard)),
        None => {
            common::skip_named(
                test,
                "set SYSIMG_TEST_JULIA to a julia (scripts/install-test-julia installs Julia 1.5.3) and provide ../shared (or SYSIMG_SHARED_DIR) with julia/pkgserver",
            );
            None
        }
    }
}

/// The app image of DataStructures + JSON with a precompile execution file, built once.
struct AppImage {
    env: PathBuf,
    id: String,
    image: PathBuf,
    record: serde_json::Value,
    /// The compile caches the build wrote for JSON.
    new_json_caches: usize,
}

fn app_image(lab: &Lab) -> &'static AppImage {
    APP_IMAGE.get_or_init(|| {
        let env = lab.env_copy("app");
        std::fs::write(env.join("precompile.jl"), WORKLOAD).unwrap();
        std::fs::write(
            env.join("Sysimage.toml"),
            "policy = \"app\"\nprecompile_execution_files = [\"precompile.jl\"]\n",
        )
        .unwrap();
        let caches_before = lab.compiled_caches("JSON").len();
        // The caller's project and load path must not reach the build.
        let o = lab
            .sysimg(&env, &["build", "--json"])
            .env("JULIA_PROJECT", lab.root.join("nowhere"))
            .env("JULIA_LOAD_PATH", lab.root.join("nowhere"))
            .output()
            .unwrap();
        assert!(o.status.success(), "sysimg build failed:\n{}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        AppImage {
            id: v["id"].as_str().unwrap().to_string(),
            image: PathBuf::from(v["image"].as_str().unwrap()),
            record: v["record"].clone(),
            new_json_caches: lab.compiled_caches("JSON").len() - caches_before,
            env,
        }
    })
}

#[test]
fn an_app_image_holds_its_packages_and_its_record() {
    let Some((lab, _serial)) = lab("an_app_image_holds_its_packages_and_its_record") else {
        return;
    };
    let app = app_image(lab);
    assert_eq!(app.record["julia"]["version"], "1.5.3");
    assert_eq!(app.record["build"]["packagecompiler"], "1.4.1");
    assert_eq!(
        app.new_json_caches, 1,
        "JSON was precompiled more than once during the build"
    );
    // `sysimg run` starts julia on the image: JSON is loaded before any `using`.
    let probe = format!(
        r#"print(haskey(Base.loaded_modules, Base.PkgId(Base.UUID("{JSON_UUID}"), "JSON")), " ", Main.SysimageData.IMAGE_ID)"#
    );
    let o = lab
        .sysimg(&app.env, &["run", "--on-stale", "fail", "--", "-e", &probe])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), format!("true {}", app.id));
    assert!(
        !err(&o).contains("sysimg:"),
        "the guard spoke on a matching environment: {}",
        err(&o)
    );
    // The record compiled into the image (the module `Main.SysimageData`) equals image.toml.
    let dump = r#"D = Main.SysimageData
println(D.IMAGE_ID); println(D.JULIA_VERSION); println(D.POLICY); println(D.CPU_TARGET)
println(D.PACKAGECOMPILER_VERSION)
for p in D.PACKAGES
    println(p.name, " ", p.uuid, " ", something(p.version, "-"), " ", something(p.tree_hash, "-"), " ", p.role)
end"#;
    let o = lab.on_image(&app.image, &app.env, dump).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let record = std::fs::read_to_string(app.image.with_file_name("image.toml")).unwrap();
    let record: toml_edit::DocumentMut = record.parse().unwrap();
    let mut expected = vec![
        record["id"].as_str().unwrap().to_string(),
        record["julia"]["version"].as_str().unwrap().to_string(),
        record["policy"].as_str().unwrap().to_string(),
        record["cpu_target"].as_str().unwrap().to_string(),
        record["build"]["packagecompiler"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    for p in record["packages"].as_array_of_tables().unwrap() {
        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string();
        expected.push(format!(
            "{} {} {} {} {}",
            s("name"),
            s("uuid"),
            s("version"),
            s("tree_hash"),
            s("role")
        ));
    }
    assert_eq!(out(&o).lines().collect::<Vec<_>>(), expected);
    assert!(expected.iter().any(|l| l.starts_with("JSON ")));
    // check and verify are clean.
    let o = lab.sysimg(&app.env, &["check", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["errors"], &v["warnings"]),
        (&0.into(), &0.into()),
        "{v}"
    );
    // Its note says what can still be added with the image's versions held, resolved for
    // Julia 1.5.3 against the registry Pkg installed from the local Pkg server.
    let outlook = &v["extendability"];
    assert_eq!(outlook["fix"], "baked", "{v}");
    assert_eq!(outlook["julia_version"], "1.5.3", "{v}");
    assert_eq!(outlook["asked"], 20, "{v}");
    let can_add = outlook["can_add"].as_u64().unwrap();
    assert_eq!(
        can_add as usize + outlook["cannot"].as_array().unwrap().len(),
        20,
        "{v}"
    );
    eprintln!("extendability of the app image on Julia 1.5.3: {outlook}");
    let o = lab.sysimg(&app.env, &["verify", &app.id]).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
}

#[test]
fn the_guard_warns_errors_and_keeps_quiet_as_asked() {
    let Some((lab, _serial)) = lab("the_guard_warns_errors_and_keeps_quiet_as_asked") else {
        return;
    };
    let app = app_image(lab);
    // The guard compiles nothing at start: what julia compiles starting the image with the
    // guard on is what it compiles with it off (its own calls are compiled into the image).
    let compiled = |guard: &str| -> std::collections::BTreeSet<String> {
        let trace = lab.root.join(format!("guard-{guard}-trace.jl"));
        let o = lab
            .julia()
            .arg("-J")
            .arg(&app.image)
            .arg(format!("--trace-compile={}", trace.display()))
            .arg(format!("--project={}", app.env.display()))
            .args(["-e", "print(\"started\")"])
            .env("SYSIMG_GUARD", guard)
            .output()
            .unwrap();
        assert_eq!(out(&o), "started", "{}", err(&o));
        // Julia 1.5 makes the file at the first statement it compiles: none, no file.
        std::fs::read_to_string(&trace)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (on, off) = (compiled("warn"), compiled("off"));
    let guards: Vec<&String> = on.difference(&off).collect();
    assert!(
        guards.is_empty(),
        "the guard compiled at start: {guards:#?}"
    );
    // Real Pkg moves the environment to OrderedCollections 1.4.1; the image holds 1.5.0.
    let env = lab.env_copy("guarded");
    lab.pkg(
        &env,
        r#"Pkg.add(Pkg.PackageSpec(name = "OrderedCollections", version = "1.4.1"))"#,
    );
    let o = lab
        .on_image(&app.image, &env, "print(\"started\")")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(out(&o), "started");
    let warning = err(&o);
    assert!(warning.contains("Warning: sysimg: image"), "{warning}");
    assert!(
        warning.contains("OrderedCollections: the image has 1.5.0, the manifest asks for 1.4.1"),
        "{warning}"
    );
    assert!(!warning.contains("JSON:"), "{warning}");
    // SYSIMG_GUARD=error: an error, and julia still starts so the user can fix things.
    let o = lab
        .on_image(
            &app.image,
            &env,
            "using Pkg; Pkg.status(); print(\"fixable\")",
        )
        .env("SYSIMG_GUARD", "error")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).ends_with("fixable"));
    assert!(
        err(&o).contains("Error: sysimg: image") && err(&o).contains("OrderedCollections"),
        "{}",
        err(&o)
    );
    // SYSIMG_GUARD=off: silent.
    let o = lab
        .on_image(&app.image, &env, "print(\"quiet\")")
        .env("SYSIMG_GUARD", "off")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!err(&o).contains("sysimg"), "{}", err(&o));
    // Issue 23 item 10: `--project` of a directory that does not exist (as a fresh depot's
    // default environment in Docker or CI): the guard says nothing. It warned `could not
    // compare ... SystemError` at every start, located in the deleted build workspace.
    let o = lab
        .on_image(
            &app.image,
            &lab.root.join("new").join("dir"),
            "print(\"fresh\")",
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "fresh");
    assert_eq!(err(&o), "", "the guard spoke");
    // A process that generates output (here the precompilation worker julia starts with the
    // same -J) stays quiet: only the parent warns. The cache it writes goes to a depot of its
    // own: a cache of a baked package compiled on the image would make Julia 1.5's loader
    // recurse without end when another image loads the package from the shared depot.
    let scratch = lab.root.join("scratch-depot");
    let depots = std::env::join_paths([scratch.as_path(), lab.depot.as_path()]).unwrap();
    let o = lab
        .on_image(
            &app.image,
            &env,
            "Base.compilecache(Base.PkgId(Base.UUID(\"69de0a69-1ddd-5017-9359-2bf0b02dc9f0\"), \"Parsers\"))",
        )
        .env("JULIA_DEPOT_PATH", depots)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(err(&o).matches("disagrees with").count(), 1, "{}", err(&o));
    // sysimg check reports the package as shadowed.
    let o = lab
        .sysimg(&env, &["check", "--image", &app.id, "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let shadowed: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == "OrderedCollections")
        .collect();
    assert!(
        shadowed
            .iter()
            .any(|f| f["code"].as_str().unwrap().contains("shadowed")),
        "{v}"
    );
}

#[test]
fn pin_holds_the_image_versions_through_pkg() {
    let Some((lab, _serial)) = lab("pin_holds_the_image_versions_through_pkg") else {
        return;
    };
    let app = app_image(lab);
    let versions = |env: &Path| -> Vec<(String, String)> {
        let m = julia_manifest_versions(&env.join("Manifest.toml"));
        assert!(!m.is_empty());
        m
    };
    // pin, then real Pkg.update(): no baked version moves (the registry has newer
    // OrderedCollections and Parsers; unpinned, Pkg would move to them).
    let env = lab.env_copy("pinned-by-image");
    let before = versions(&env);
    let o = lab
        .sysimg(&env, &["pin", "--image", &app.id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    // pin says which pins Pkg.update() drops: the indirect dependencies' (issue 26 item 14).
    let said = format!("{}{}", out(&o), err(&o));
    assert!(
        said.contains("Compat, OrderedCollections, Parsers are not in the project")
            && said.contains("Pkg.update() keeps the pins of direct dependencies only"),
        "{said}"
    );
    lab.pkg(&env, "Pkg.update()");
    assert_eq!(versions(&env), before);
    // Exactly what survives on Pkg 1.5: the direct dependencies' pins; the indirect ones'
    // `pinned` is gone (their versions held here only because the resolver, bound by the
    // pinned direct dependencies, chose them again).
    let manifest = std::fs::read_to_string(env.join("Manifest.toml")).unwrap();
    let pinned = |name: &str| {
        let entry = manifest.split(&format!("[[{name}]]")).nth(1).unwrap_or("");
        let entry = entry.split("[[").next().unwrap_or("");
        entry.contains("pinned = true")
    };
    assert!(pinned("DataStructures") && pinned("JSON"), "{manifest}");
    assert!(
        !pinned("Compat") && !pinned("OrderedCollections") && !pinned("Parsers"),
        "{manifest}"
    );
    let o = lab
        .sysimg(&env, &["check", "--image", &app.id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    // pin --compat, on an environment that depends directly on every baked package: delete
    // the Manifest, resolve, and the image's versions come back.
    let env = lab.env_copy("pinned-by-compat");
    lab.pkg(
        &env,
        r#"Pkg.add(["OrderedCollections", "Parsers", "Compat"])"#,
    );
    let before = versions(&env);
    let o = lab
        .sysimg(&env, &["pin", "--image", &app.id, "--compat"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    std::fs::remove_file(env.join("Manifest.toml")).unwrap();
    lab.pkg(&env, "Pkg.resolve()");
    assert_eq!(versions(&env), before);
}

/// `(name, version)` of every versioned entry of a format-1.0 manifest.
fn julia_manifest_versions(manifest: &Path) -> Vec<(String, String)> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(manifest).unwrap().parse().unwrap();
    let mut out = Vec::new();
    for (name, entries) in doc.iter() {
        for e in entries.as_array_of_tables().into_iter().flatten() {
            if let Some(v) = e.get("version").and_then(|v| v.as_str()) {
                out.push((name.to_string(), v.to_string()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_pinned_policy_strips_what_pkg_accepts_and_builds() {
    let Some((lab, _serial)) = lab("the_pinned_policy_strips_what_pkg_accepts_and_builds") else {
        return;
    };
    let env = lab.env_copy("pinned");
    lab.pkg(&env, r#"Pkg.pin("DataStructures")"#);
    // PackageCompiler 1.4.1 has no `sysimage_build_args`: the build leaves it out and says so.
    let spec = "sysimage_build_args = [\"--check-bounds=yes\"]\n";
    std::fs::write(env.join("Sysimage.toml"), spec).unwrap();
    let o = lab
        .sysimg(&env, &["plan", "--policy", "pinned", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let baked = |name: &str| {
        plan["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in the plan"))["baked"]
            .as_bool()
            .unwrap()
    };
    // What julia_pod's Pkg.rm(JSON; mode = PKGMODE_MANIFEST) keeps is baked.
    for name in ["DataStructures", "Compat", "OrderedCollections"] {
        assert!(baked(name), "{name} is not baked: {plan}");
    }
    for name in ["JSON", "Parsers"] {
        assert!(!baked(name), "{name} is baked: {plan}");
    }
    // Real Pkg accepts the stripped environment.
    let stripped = lab.root.join("stripped");
    std::fs::create_dir_all(&stripped).unwrap();
    for f in ["Project.toml", "Manifest.toml", "Sysimage.toml"] {
        std::fs::copy(env.join(f), stripped.join(f)).unwrap();
    }
    let o = lab.sysimg(&stripped, &["strip"]).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = lab.pkg(&stripped, "Pkg.instantiate(); Pkg.status()");
    assert!(out(&o).contains("DataStructures"), "{}", out(&o));
    assert!(!out(&o).contains("JSON"), "{}", out(&o));
    // The image builds; building from the stripped copy gives the same image.
    let built = lab.build(&env, &["--policy", "pinned"]);
    assert_eq!(built["outcome"], "built");
    let image = PathBuf::from(built["image"].as_str().unwrap());
    let log = std::fs::read_to_string(image.with_file_name("build.log")).unwrap();
    assert!(
        log.contains("[sysimg] dropped: sysimage_build_args"),
        "{log}"
    );
    let again = lab.build(&stripped, &["--policy", "pinned"]);
    assert_eq!(again["outcome"], "reused");
    assert_eq!(again["id"], built["id"]);
    // On the image, the pinned package comes from the image and the unpinned one from the
    // depot at the Manifest's version.
    let code = format!(
        r#"ds = haskey(Base.loaded_modules, Base.PkgId(Base.UUID("{DATASTRUCTURES_UUID}"), "DataStructures"))
json = haskey(Base.loaded_modules, Base.PkgId(Base.UUID("{JSON_UUID}"), "JSON"))
using JSON
print(ds, " ", json, " ", JSON.json([1]))"#
    );
    let o = lab.on_image(&image, &env, &code).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "true false [1]");
    assert!(!err(&o).contains("sysimg:"), "{}", err(&o));
}

#[test]
fn a_dev_image_side_loads_internal_packages_beside_the_users_own() {
    let Some((lab, _serial)) = lab("a_dev_image_side_loads_internal_packages_beside_the_users_own")
    else {
        return;
    };
    let env = lab.env_copy("dev");
    lab.pkg(&env, r#"Pkg.rm("DataStructures")"#);
    std::fs::write(
        env.join("Sysimage.toml"),
        "policy = \"dev\"\npublic = [\"JSON\"]\nsideload = true\n",
    )
    .unwrap();
    let built = lab.build(&env, &[]);
    let id = built["id"].as_str().unwrap().to_string();
    let parsers = built["record"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Parsers")
        .unwrap()
        .clone();
    assert_eq!(parsers["version"], "2.4.2");
    let derived = parsers["sideload_uuid"].as_str().unwrap().to_string();
    // The side-loaded sources stay in the store, where the image refers to them.
    let sideloaded = lab.store.join("sideload").join(&id);
    assert!(sideloaded.is_dir());
    // The user moves Parsers to 2.4.0 (a direct dependency now); JSON still comes from the
    // image with its own Parsers 2.4.2, and `using Parsers` loads the user's 2.4.0.
    lab.pkg(
        &env,
        r#"Pkg.add(Pkg.PackageSpec(name = "Parsers", version = "2.4.0"))"#,
    );
    let code = r#"using JSON, Parsers
println(JSON.parse("[1.5]")[1])
for (id, m) in Base.loaded_modules
    id.name == "Parsers" || continue
    file = String(first(methods(getfield(m, :parse))).file)
    root = dirname(dirname(file))
    version = Pkg.TOML.parsefile(joinpath(root, "Project.toml"))["version"]
    println(id.uuid, " ", version, " ", root)
end"#;
    let code = format!("using Pkg; {code}");
    let image = PathBuf::from(built["image"].as_str().unwrap());
    let o = lab.on_image(&image, &env, &code).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1.5");
    let mut parsers: Vec<&str> = lines[1..].to_vec();
    parsers.sort();
    assert_eq!(parsers.len(), 2, "{text}");
    let (mine, image_own): (Vec<&str>, Vec<&str>) = parsers
        .iter()
        .partition(|l| l.starts_with("69de0a69-1ddd-5017-9359-2bf0b02dc9f0 "));
    assert!(
        mine[0].contains(" 2.4.0 ") && mine[0].contains(&*lab.depot.to_string_lossy()),
        "{text}"
    );
    assert!(
        image_own[0].starts_with(&format!("{derived} 2.4.2 "))
            && image_own[0].contains(&*sideloaded.to_string_lossy()),
        "{text}"
    );
    // Two copies of Parsers are now loaded (issue 21): the guard says so once, at the user's
    // `using`, naming both versions; nothing else (Parsers is side-loaded, so it does not
    // disagree with the Manifest).
    let e = err(&o);
    assert_eq!(e.matches("sysimg:").count(), 1, "{e}");
    assert_eq!(
        e.matches("sysimg: two copies of Parsers are now loaded")
            .count(),
        1,
        "{e}"
    );
    assert!(
        e.contains(&format!("the image's 2.4.2, side-loaded as {derived}"))
            && e.contains("and 2.4.0 from ")
            && e.contains("a value of one is not a value of the other"),
        "{e}"
    );
    // `check` says the same from the Manifest, as a warning.
    let o = lab
        .sysimg(&env, &["check", "--image", &id, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "sideloaded-two-copies"
                && f["severity"] == "warning"
                && f["package"] == "Parsers"),
        "{v}"
    );
}

#[test]
fn packagecompiler_that_cannot_be_had_is_a_clear_error() {
    let Some((lab, _serial)) = lab("packagecompiler_that_cannot_be_had_is_a_clear_error") else {
        return;
    };
    // A fresh store and depot, and a Pkg server that is not there: nothing can be installed.
    let scratch = lab.root.join("offline");
    std::fs::create_dir_all(&scratch).unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let o = lab
        .sysimg(&lab.base_env, &["build"])
        .env("SYSIMG_STORE", scratch.join("store"))
        .env("JULIA_DEPOT_PATH", scratch.join("depot"))
        .env("JULIA_PKG_SERVER", &dead_url)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let message = err(&o);
    assert!(
        message.contains("PackageCompiler could not be installed")
            && message.contains("SYSIMG_PACKAGECOMPILER")
            && message.contains("JULIA_PKG_SERVER"),
        "{message}"
    );
    assert!(
        !scratch.join("store").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .len()
            == 32),
        "no image may appear"
    );
}

/// The tools environment's upgrade, on the real Pkg: asked to upgrade PackageCompiler 1.4.1 to
/// 1.5.0 (which needs Julia 1.6, so Pkg 1.5.3's resolver refuses it), the script says it could
/// not, leaves the environment's files as they were, and still reports 1.4.1. (The version
/// sysimg asks for is the newest that fits the julia: for 1.5.3 that is 1.4.1 itself, so the
/// app image's build above asked for no upgrade.)
#[test]
fn a_tools_upgrade_that_fails_keeps_the_installed_packagecompiler() {
    use sysimg::codegen::protocol::{NOT_UPGRADED_LINE, VERSION_LINE};
    let Some((lab, _serial)) =
        lab("a_tools_upgrade_that_fails_keeps_the_installed_packagecompiler")
    else {
        return;
    };
    let app = app_image(lab);
    assert_eq!(app.record["build"]["packagecompiler"], "1.4.1");
    let tools = lab.store.join("tools/julia-1.5");
    let before: Vec<Vec<u8>> = ["Project.toml", "Manifest.toml"]
        .iter()
        .map(|f| std::fs::read(tools.join(f)).unwrap())
        .collect();
    let env = sysimg::julia::tools::ToolsEnv {
        dir: tools.clone(),
        source: sysimg::julia::tools::PackageCompilerSource::Newest,
        upgrade_to: Some(julia_env::version::VersionNumber::parse("1.5.0").unwrap()),
    };
    let script = lab.root.join("tools-upgrade.jl");
    std::fs::write(&script, env.install_script()).unwrap();
    let o = lab.julia().arg(&script).output().unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(text.contains(NOT_UPGRADED_LINE), "{text}");
    assert!(text.contains(&format!("{VERSION_LINE}1.4.1")), "{text}");
    let after: Vec<Vec<u8>> = ["Project.toml", "Manifest.toml"]
        .iter()
        .map(|f| std::fs::read(tools.join(f)).unwrap())
        .collect();
    assert!(before == after, "the tools environment changed");
}

/// Learning on the real julia: three `sysimg run --learn` sessions of the DataStructures +
/// JSON workload leave Julia 1.5.3's own `--trace-compile` traces in the store; `learn show`
/// counts them; the learned build bakes them (the image's `learned.jl`, and an id of its own)
/// and the image runs the workload.
#[test]
fn sessions_teach_the_image_what_they_compile() {
    let Some((lab, _serial)) = lab("sessions_teach_the_image_what_they_compile") else {
        return;
    };
    let env = lab.env_copy("learning");
    std::fs::write(
        env.join("Sysimage.toml"),
        "learn = true\nlearn_rebuild_after = 1\n",
    )
    .unwrap();
    let script = env.join("work.jl");
    std::fs::write(&script, WORKLOAD).unwrap();
    for _ in 0..3 {
        let o = lab
            .sysimg(&env, &["run", "--", script.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}{}", out(&o), err(&o));
    }
    let o = lab
        .sysimg(&env, &["learn", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sessions"], 3, "{v}");
    // No image yet: every statement is new, and the filter (which needs the image's packages)
    // keeps only Base, Core and standard-library ones; the build's filter knows the plan.
    assert!(v["new"].as_u64().unwrap() > 0, "{v}");
    let built = lab.build(&env, &[]);
    let id = built["id"].as_str().unwrap();
    assert_eq!(built["record"]["build"]["learned"]["path"], "learned.jl");
    let learned = std::fs::read_to_string(lab.store.join(id).join("learned.jl")).unwrap();
    let statements: Vec<&str> = learned
        .lines()
        .filter(|l| l.starts_with("precompile("))
        .collect();
    assert!(
        statements.iter().any(|s| s.contains("JSON.")),
        "no JSON statement learned:\n{learned}"
    );
    assert!(statements.iter().all(|s| !s.contains("Main.")), "{learned}");
    eprintln!("learned {} statements from 3 sessions", statements.len());
    let o = lab
        .sysimg(&env, &["learn", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["held"].as_u64().unwrap() as usize,
        statements.len(),
        "{v}"
    );
    let o = lab
        .sysimg(&env, &["run", "--", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
}

/// A damaged image on the real julia (issue 22, defect 3): julia crashes on it (exit 134/139),
/// so `run --on-stale fail` refuses it without starting julia, `run` starts julia on its
/// default image saying why, and once the bytes are back the image is the one that landed.
#[test]
fn a_damaged_image_is_never_started_on_the_real_julia() {
    use std::io::{Seek, SeekFrom, Write};
    let Some((lab, _serial)) = lab("a_damaged_image_is_never_started_on_the_real_julia") else {
        return;
    };
    let app = app_image(lab);
    // Whether julia runs on the image (sysimg's record module is in it) or on its default.
    let run = |policy: &[&str]| {
        let mut args = vec!["run"];
        args.extend_from_slice(policy);
        args.extend_from_slice(&["--", "-e", "print(isdefined(Main, :SysimageData))"]);
        lab.sysimg(&app.env, &args).output().unwrap()
    };
    let o = run(&["--on-stale", "fail"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "true");
    // Damage it in place, in its ELF header: same size, same inode.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&app.image)
        .unwrap();
    let mut saved = [0u8; 64];
    std::io::Read::read_exact(&mut f, &mut saved).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&[0xAB; 64]).unwrap();
    drop(f);
    let restore = || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&app.image)
            .unwrap();
        f.write_all(&saved).unwrap();
    };
    let refused = run(&["--on-stale", "fail"]);
    let fell_back = run(&[]);
    restore();
    assert_eq!(refused.status.code(), Some(1), "{}", err(&refused));
    assert!(err(&refused).contains("is damaged"), "{}", err(&refused));
    assert_eq!(out(&refused), "", "julia did not start");
    assert!(fell_back.status.success(), "{}", err(&fell_back));
    assert_eq!(
        out(&fell_back),
        "false",
        "julia started on its default image"
    );
    assert!(
        err(&fell_back).contains("is damaged"),
        "{}",
        err(&fell_back)
    );
    // Whole again: hashed once, stamped again, started.
    let o = run(&["--on-stale", "fail"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "true");
}

/// A kernel's start command, ready to run.
struct Kernel {
    argv: Vec<String>,
    connection_file: String,
    env: Vec<(String, String)>,
}

impl Kernel {
    fn start(&self) -> std::process::Output {
        let argv: Vec<String> = self
            .argv
            .iter()
            .map(|a| a.replace("{connection_file}", &self.connection_file))
            .collect();
        std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("JULIA_PROJECT")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }
}

/// Adds the IJulia stand-in, installs the kernel, reads its spec back (through `jupyter
/// kernelspec list` where jupyter_client is installed) and starts it before any image exists.
fn kernel_before_the_build(lab: &Lab, env: &Path) -> Kernel {
    let fake = lab.root.join("ijulia-stand-in");
    std::fs::create_dir_all(fake.join("src")).unwrap();
    std::fs::write(
        fake.join("Project.toml"),
        "name = \"IJulia\"\nuuid = \"7073ff75-c697-5162-941a-fcdaad2a7d2a\"\nversion = \"1.28.0\"\n",
    )
    .unwrap();
    std::fs::write(
        fake.join("src/IJulia.jl"),
        "module IJulia\nfunction run_kernel()\n    print(\"kernel on \", isdefined(Main, :SysimageData) ? Main.SysimageData.IMAGE_ID : \"default\", \" with \", ARGS[end])\n    exit(0)\nend\nend\n",
    )
    .unwrap();
    lab.pkg(
        env,
        &format!("Pkg.develop(path = {:?})", fake.display().to_string()),
    );
    let data = lab.root.join("jupyter-data");
    let o = lab
        .sysimg(env, &["kernel", "install", "--name", "Channel test"])
        .env("JUPYTER_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let spec_file = data.join("kernels/channel-test/kernel.json");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec_file).unwrap()).unwrap();
    let mut argv: Vec<String> = spec["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    if let Some(jupyter) = std::env::var_os("SYSIMG_TEST_JUPYTER").filter(|j| !j.is_empty()) {
        let o = std::process::Command::new(jupyter)
            .args(["kernelspec", "list", "--json"])
            .env("JUPYTER_DATA_DIR", &data)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", err(&o));
        let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let listed = &listed["kernelspecs"]["channel-test"]["spec"]["argv"];
        assert_eq!(listed, &spec["argv"], "{listed}");
        argv = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
    } else {
        common::skip_named(
            "juliaup_channels_and_kernels_follow_the_rebuilt_image (jupyter kernelspec list)",
            "set SYSIMG_TEST_JUPYTER",
        );
    }
    assert_eq!(argv[1], "run", "{argv:?}");
    let kernel = Kernel {
        argv,
        connection_file: lab.root.join("kernel-1.json").display().to_string(),
        env: vec![
            ("SYSIMG_STORE".into(), lab.store.display().to_string()),
            ("JULIA_DEPOT_PATH".into(), lab.depot.display().to_string()),
            ("JULIA_PKG_SERVER".into(), lab.pkg_server.clone()),
            ("JULIA".into(), lab.julia.display().to_string()),
        ],
    };
    let o = kernel.start();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!("kernel on default with {}", kernel.connection_file)
    );
    assert!(err(&o).contains("sysimg: warning"), "{}", err(&o));
    kernel
}

/// The same kernel, not reinstalled, starts the image just built.
fn kernel_after_the_build(kernel: &Kernel, id: &str) {
    let o = kernel.start();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert_eq!(
        out(&o),
        format!("kernel on {id} with {}", kernel.connection_file)
    );
}

/// Issue 25 items 3 and 1: what users start julia with follows the rebuilt image.
///
/// - A Jupyter kernel (`sysimg kernel install`) starts the environment's image through
///   `sysimg run`: on julia's default image with a warning while there is none, then on each
///   image built, not reinstalled.
/// - What `julia-args --for vscode` printed (the store's `current/` link) starts the rebuilt
///   image: julia resolves the link when it starts.
/// - A juliaup channel (`sysimg juliaup link`; juliaup's own launcher, juliaup installed from
///   crates.io, `SYSIMG_TEST_JULIAUP`): `julia +NAME` runs on the image, and on the new one
///   after the environment changed and was rebuilt; `status` names the channel; after
///   `unlink`, `julia +NAME` is refused by juliaup.
///
/// IJulia is not in the Pkg-server kit, so the kernel is a stand-in package with IJulia's
/// name, UUID and version 1.28 whose `run_kernel()` prints what it runs on: the test runs the
/// kernel's start command as Jupyter does (the argv `jupyter kernelspec list` gives, with the
/// connection file filled in), not the kernel protocol.
#[test]
fn juliaup_channels_and_kernels_follow_the_rebuilt_image() {
    let Some((lab, _serial)) = lab("juliaup_channels_and_kernels_follow_the_rebuilt_image") else {
        return;
    };
    let env = lab.env_copy("juliaup-channel");
    let kernel = kernel_before_the_build(lab, &env);
    let first = lab.build(&env, &[]);
    let id = first["id"].as_str().unwrap().to_string();
    kernel_after_the_build(&kernel, &id);
    let canon = |p: &str| std::fs::canonicalize(p).unwrap();
    // The image a julia started that way runs on (julia resolves `-J` with realpath).
    let image_file = |o: &std::process::Output| {
        assert!(o.status.success(), "{}{}", out(o), err(o));
        std::fs::canonicalize(out(o).trim()).unwrap()
    };
    const IMAGE_FILE: &str = "print(unsafe_string(Base.JLOptions().image_file))";
    // Item 3: VS Code's setting, printed once.
    let o = lab
        .sysimg(&env, &["julia-args", "--for", "vscode", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let setting = v["settings"]["settings"]["julia.additionalArgs"][0]
        .as_str()
        .unwrap()
        .to_string();
    let current = PathBuf::from(setting.strip_prefix("--sysimage=").unwrap());
    let from_setting = || image_file(&lab.on_image(&current, &env, IMAGE_FILE).output().unwrap());
    assert_eq!(from_setting(), canon(first["image"].as_str().unwrap()));
    // Item 1: the channel, through juliaup installed from crates.io (CI may not build it).
    let juliaup = std::env::var_os("SYSIMG_TEST_JULIAUP")
        .filter(|j| !j.is_empty())
        .map(PathBuf::from)
        .filter(|j| j.is_file());
    let depot = lab.root.join("juliaup-depot");
    let juliaup_cmd = |juliaup: &Path| {
        let mut c = std::process::Command::new(juliaup);
        c.env("JULIAUP_DEPOT_PATH", &depot);
        c
    };
    let julia_plus = |juliaup: &Path, code: &str| {
        let launcher = juliaup.with_file_name(format!("julia{}", std::env::consts::EXE_SUFFIX));
        std::process::Command::new(&launcher)
            .args(["+jtest", "--startup-file=no", "-e", code])
            .current_dir(&env)
            .env("JULIAUP_DEPOT_PATH", &depot)
            .env("SYSIMG_STORE", &lab.store)
            .env("JULIA_DEPOT_PATH", &lab.depot)
            .env("JULIA_PKG_SERVER", &lab.pkg_server)
            .env_remove("JULIA_PROJECT")
            .env_remove("JULIA")
            .env_remove("JULIAUP_CHANNEL")
            .output()
            .unwrap()
    };
    if let Some(juliaup) = &juliaup {
        // Offline: the launcher starts a detached `juliaup` to update its version database
        // when `versionsdbupdateinterval` minutes have passed (juliaup 1.23
        // src/bin/julialauncher.rs `run_versiondb_update`; 0 turns it off), and may offer to
        // install a channel it does not know (`auto_install_channels`). Both are juliaup's own
        // settings (src/cli.rs `config versionsdbupdateinterval|autoinstallchannels`); juliaup
        // has no environment variable for either.
        for (key, value) in [
            ("versionsdbupdateinterval", "0"),
            ("autoinstallchannels", "false"),
        ] {
            let o = juliaup_cmd(juliaup)
                .args(["config", key, value])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", err(&o));
        }
        let juliaup_s = juliaup.display().to_string();
        let o = lab
            .sysimg(
                &env,
                &[
                    "juliaup",
                    "link",
                    "jtest",
                    "--juliaup",
                    &juliaup_s,
                    "--json",
                ],
            )
            .env("JULIAUP_DEPOT_PATH", &depot)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}{}", out(&o), err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["args"][0], "run", "{v}");
        // The channel names no image, only `sysimg run` and the environment, so a rebuild
        // cannot leave it behind.
        let args: Vec<String> = serde_json::from_value(v["args"].clone()).unwrap();
        assert!(
            args.iter()
                .all(|a| !a.contains(&id) && !a.starts_with(&lab.store.display().to_string())),
            "{args:?}"
        );
        // `julia +jtest` runs on the image, in the environment.
        let o = julia_plus(
            juliaup,
            &format!("{IMAGE_FILE}; print(\"\\n\", Base.active_project())"),
        );
        assert!(o.status.success(), "{}", err(&o));
        let text = out(&o);
        let (image, project) = text.split_once('\n').unwrap();
        assert_eq!(
            canon(image),
            canon(first["image"].as_str().unwrap()),
            "{text}"
        );
        assert_eq!(project, env.join("Project.toml").display().to_string());
    } else {
        common::skip_named(
            "juliaup_channels_and_kernels_follow_the_rebuilt_image (juliaup part)",
            "set SYSIMG_TEST_JULIAUP to a juliaup (`cargo install --locked juliaup`; .ci/run builds it into target/)",
        );
    }
    // The environment changes (OrderedCollections 1.4.1 where the image holds 1.5.0) and is
    // rebuilt: a new image, which everything above now starts, untouched.
    lab.pkg(
        &env,
        r#"Pkg.add(Pkg.PackageSpec(name = "OrderedCollections", version = "1.4.1"))"#,
    );
    let second = lab.build(&env, &[]);
    let id2 = second["id"].as_str().unwrap().to_string();
    assert_ne!(id, id2);
    let image2 = canon(second["image"].as_str().unwrap());
    kernel_after_the_build(&kernel, &id2);
    assert_eq!(from_setting(), image2);
    let Some(juliaup) = &juliaup else {
        return;
    };
    assert_eq!(image_file(&julia_plus(juliaup, IMAGE_FILE)), image2);
    // status names the channel.
    let o = lab
        .sysimg(&env, &["status", "--json"])
        .env("JULIAUP_DEPOT_PATH", &depot)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = v["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["project"] == env.join("Project.toml").display().to_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["juliaup"], serde_json::json!(["jtest"]), "{v}");
    // unlink removes it, through juliaup: `julia +jtest` is refused, julia never starts.
    let juliaup_s = juliaup.display().to_string();
    let o = lab
        .sysimg(&env, &["juliaup", "unlink", "--juliaup", &juliaup_s])
        .env("JULIAUP_DEPOT_PATH", &depot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let config = std::fs::read_to_string(depot.join("juliaup/juliaup.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert!(
        config["InstalledChannels"].get("jtest").is_none(),
        "{config}"
    );
    let o = julia_plus(juliaup, IMAGE_FILE);
    assert!(!o.status.success(), "{}", out(&o));
    assert!(out(&o).is_empty(), "{}", out(&o));
    assert!(err(&o).contains("jtest"), "{}", err(&o));
}

/// Issue 25 item 4: in a REPL (real Julia 1.5.3 under a pseudo-terminal, typed as a person
/// types), the guard checks again before an input when `]activate` or `]add` changed the
/// environment since the last input: it warns once per change, naming the package the image
/// shadows, and stays quiet while nothing changes.
#[test]
fn the_guard_follows_pkg_in_a_repl_session() {
    let Some((lab, _serial)) = lab("the_guard_follows_pkg_in_a_repl_session") else {
        return;
    };
    let Some(python) = common::python3() else {
        common::skip("no python3 to drive a pty");
        return;
    };
    let app = app_image(lab);
    // A: as the image has it. B: OrderedCollections 1.4.1 where the image holds 1.5.0.
    let a = lab.env_copy("session-a");
    let b = lab.env_copy("session-b");
    lab.pkg(
        &b,
        r#"Pkg.add(Pkg.PackageSpec(name = "OrderedCollections", version = "1.4.1"))"#,
    );
    // `]` enters Pkg mode (wait for its prompt before typing the command); backspace at its
    // empty prompt leaves it. A Pkg command's steps wait for the last thing it prints, then
    // for the prompt after it: a key typed while Pkg runs is lost.
    let pkg = |code: &str, done: &str| {
        vec![
            [String::from("]"), "pkg> ".to_string()],
            [format!("{code}\r"), done.to_string()],
            [String::new(), "pkg> ".to_string()],
        ]
    };
    let step = |n: u32| -> Vec<[String; 2]> {
        vec![
            [format!("println(\"STEP\", {n})\r"), format!("STEP{n}")],
            [String::new(), "julia> ".into()],
        ]
    };
    let back = || [String::from("\x7f"), String::from("julia> ")];
    let mut steps: Vec<[String; 2]> = Vec::new();
    steps.extend(step(1));
    steps.extend(pkg(&format!("activate {}", b.display()), " Activating"));
    steps.push(back());
    steps.extend(step(2));
    steps.extend(step(3));
    steps.extend(pkg(&format!("activate {}", a.display()), " Activating"));
    steps.push(back());
    steps.extend(step(4));
    steps.extend(pkg(
        "add OrderedCollections@1.4.1",
        "OrderedCollections v1.5.0",
    ));
    steps.push(back());
    steps.extend(step(5));
    let o = std::process::Command::new(python)
        .arg(common::repl_driver())
        .arg("900")
        .arg(serde_json::to_string(&steps).unwrap())
        .arg("--")
        .arg(&lab.julia)
        .args([
            "--startup-file=no",
            "--history-file=no",
            "--banner=no",
            "--color=no",
            "-i",
            "-J",
        ])
        .arg(&app.image)
        .arg(format!("--project={}", a.display()))
        .env("TERM", "xterm")
        .env("JULIA_DEPOT_PATH", &lab.depot)
        .env("JULIA_PKG_SERVER", &lab.pkg_server)
        .env_remove("JULIA_PROJECT")
        .env_remove("JULIA_LOAD_PATH")
        .env_remove("SYSIMG_GUARD")
        .output()
        .unwrap();
    let transcript = out(&o);
    assert!(
        o.status.success(),
        "{}: {transcript}\n{}",
        o.status,
        err(&o)
    );
    // Typed as a person types: no step lost, every wait met.
    for n in 1..=5 {
        assert!(transcript.contains(&format!("STEP{n}")), "{transcript}");
    }
    let between = |from: &str, to: &str| -> &str {
        let start = transcript.find(from).unwrap_or(0);
        let end = transcript[start..]
            .find(to)
            .map_or(transcript.len(), |e| start + e);
        &transcript[start..end]
    };
    let warned = |s: &str| s.matches("disagrees with").count();
    let shadowed = "OrderedCollections: the image has 1.5.0, the manifest asks for 1.4.1";
    // At start (A matches the image) and on an input with nothing changed: quiet.
    assert_eq!(warned(between("", "STEP1")), 0, "{transcript}");
    // `]activate B`: the next input warns, naming what the image shadows, once.
    let after_activate = between("STEP1", "STEP2");
    assert_eq!(warned(after_activate), 1, "{transcript}");
    assert!(after_activate.contains(shadowed), "{transcript}");
    assert!(
        after_activate.contains(&b.join("Manifest.toml").display().to_string()),
        "{transcript}"
    );
    // Nothing changed since: quiet.
    assert_eq!(warned(between("STEP2", "STEP3")), 0, "{transcript}");
    // Back to A, which matches: quiet.
    assert_eq!(warned(between("STEP3", "STEP4")), 0, "{transcript}");
    // `]add OrderedCollections@1.4.1` in A: the next input warns.
    let after_add = between("STEP4", "STEP5");
    assert_eq!(warned(after_add), 1, "{transcript}");
    assert!(after_add.contains(shadowed), "{transcript}");
    assert!(
        after_add.contains(&a.join("Manifest.toml").display().to_string()),
        "{transcript}"
    );
}

/// The median wall time, in seconds, of 3 runs of `cmd()` (each must succeed).
fn median_seconds(mut cmd: impl FnMut() -> std::process::Command) -> f64 {
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let o = cmd().output().unwrap();
            assert!(o.status.success(), "{}{}", out(&o), err(&o));
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

/// The commands a piece of output advises (`` `sysimg ...` ``), without the ones that name a
/// placeholder (`ID|PATH`, `DIR`): what a user would copy and run.
fn advised_commands(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for quoted in text.split('`').skip(1).step_by(2) {
        let words: Vec<String> = quoted.split_whitespace().map(String::from).collect();
        let placeholder = words
            .iter()
            .any(|w| w.chars().any(|c| c.is_ascii_uppercase()) || w.contains('|'));
        if words.first().map(String::as_str) == Some("sysimg") && !placeholder {
            found.push(words[1..].to_vec());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Issue 26, "must show": a newcomer's first hour on the real julia, from
/// `examples/quickstart` copied into the lab without its `Sysimage.toml` (the default path;
/// on Julia 1.5.3 with `learn = true`, which that release needs): `plan`, `build`, `run` the
/// script twice (learning), move the Manifest with real
/// Pkg (`Pkg.add` of Parsers at 2.4.0 through the lab's Pkg server), `check`, follow every
/// command the advice prints, and end on a fresh image (`check` clean, `run` on the image).
/// The rebuild bakes what the two sessions compiled. Then the time to the script's result on
/// julia's default image, the first image, the learned one and a hand-tuned one
/// (`precompile_execution_files = ["script.jl"]`), each the median of 3, printed (no timed
/// assertion: the machine is shared).
#[test]
fn the_first_hour_on_the_quickstart() {
    let Some((lab, _serial)) = lab("the_first_hour_on_the_quickstart") else {
        return;
    };
    let quickstart = testkit::repo_root().join("examples/quickstart");
    let project = |name: &str| -> PathBuf {
        let dir = lab.root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["Project.toml", "Manifest.toml", "script.jl"] {
            std::fs::copy(quickstart.join(f), dir.join(f)).unwrap();
        }
        lab.pkg(&dir, "Pkg.instantiate()");
        dir
    };
    let env = project("first-hour");
    // Julia 1.5.3 (the one julia here) is the one release whose trace can crash a session
    // (`sysimg::learn::trace_may_crash`), so learning is not on by default there: the user
    // asks for it, as the shipped quickstart's `Sysimage.toml` does. On every other release
    // this file is not needed.
    std::fs::write(env.join("Sysimage.toml"), "learn = true\n").unwrap();
    let script = env.join("script.jl").display().to_string();
    let sysimg = |args: &[&str]| lab.sysimg(&env, args).output().unwrap();
    // plan: what the image holds, and why.
    let o = sysimg(&["plan"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("DataStructures") && out(&o).contains("JSON"),
        "{}",
        out(&o)
    );
    // build: the first image (no session yet, so nothing learned).
    let o = sysimg(&["build"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!err(&o).contains("learned from"), "{}", err(&o));
    let first_time = median_seconds(|| {
        let mut c = lab.sysimg(&env, &["run", "--", &script]);
        c.env("SYSIMG_LEARN", "0");
        c
    });
    // run twice: on the image, each session traced by default.
    for _ in 0..2 {
        let o = sysimg(&["run", "--", &script]);
        assert!(o.status.success(), "{}", err(&o));
        assert!(out(&o).contains("\"distinct\""), "{}", out(&o));
        assert!(!err(&o).contains("warning"), "{}", err(&o));
    }
    // The Manifest moves: Parsers 2.4.0 (the image holds 2.4.2), added by real Pkg.
    lab.pkg(
        &env,
        r#"Pkg.add(Pkg.PackageSpec(name = "Parsers", version = "2.4.0"))"#,
    );
    let o = sysimg(&["check"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let said = format!("{}{}", out(&o), err(&o));
    let advice = advised_commands(&said);
    assert!(
        advice.iter().any(|a| a == &["build".to_string()]),
        "no `sysimg build` advised: {said}"
    );
    // Every piece of advice works when followed.
    let mut rebuilt = String::new();
    for args in &advice {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        eprintln!("following the advice: sysimg {}", args.join(" "));
        let o = sysimg(&args);
        assert!(
            o.status.success(),
            "`sysimg {}` failed: {}{}",
            args.join(" "),
            out(&o),
            err(&o)
        );
        if args == ["build"] {
            rebuilt = err(&o);
        }
    }
    // The rebuild baked what the two sessions compiled, and said so.
    assert!(
        rebuilt.contains("learned from 2 sessions"),
        "the rebuild did not use the sessions: {rebuilt}"
    );
    // A fresh image: check is clean, run starts the image.
    let o = sysimg(&["check"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let o = sysimg(&["run", "--", &script]);
    assert!(
        o.status.success() && !err(&o).contains("warning"),
        "{}",
        err(&o)
    );
    let o = sysimg(&["julia-args"]);
    assert!(
        out(&o).contains(&lab.store.display().to_string()),
        "{}",
        out(&o)
    );
    // Time to the script's result.
    let default_time = median_seconds(|| {
        let mut c = lab.julia();
        c.arg(format!("--project={}", env.display())).arg(&script);
        c
    });
    let learned_time = median_seconds(|| {
        let mut c = lab.sysimg(&env, &["run", "--", &script]);
        c.env("SYSIMG_LEARN", "0");
        c
    });
    let tuned = project("hand-tuned");
    std::fs::write(
        tuned.join("Sysimage.toml"),
        "learn = false\nprecompile_execution_files = [\"script.jl\"]\n",
    )
    .unwrap();
    lab.build(&tuned, &[]);
    let tuned_script = tuned.join("script.jl").display().to_string();
    let tuned_time = median_seconds(|| lab.sysimg(&tuned, &["run", "--", &tuned_script]));
    eprintln!(
        "time to first result (median of 3): default image {default_time:.2} s, first image \
         {first_time:.2} s, learned (default path) {learned_time:.2} s, hand-tuned \
         {tuned_time:.2} s"
    );
}
