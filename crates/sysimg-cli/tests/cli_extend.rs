//! `can-add` and `extendability` as a user runs them: against a small registry written here
//! (every answer known by hand), and against the General snapshot in `../shared`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{err, out};

const OBS: &str = "00000000-0000-4000-8000-000000000001";
const MAK: &str = "00000000-0000-4000-8000-000000000002";
const PLT: &str = "00000000-0000-4000-8000-000000000003";
const NEW: &str = "00000000-0000-4000-8000-000000000004";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A registry: `Obs` 0.4.0 and 0.5.0; `Mak` 0.19.0 (needs Obs 0.4) and 0.21.0 (needs Obs 0.5);
/// `Plt` 1.0.0 (Obs 0.4 or 0.5, and `New`); `New` 1.0.0 (julia ≥ 1.10 only) and 2.0.0 (yanked).
fn registry(dir: &Path) -> PathBuf {
    let reg = dir.join("Tiny");
    write(
        &reg.join("Registry.toml"),
        &format!(
            "name = \"Tiny\"\nuuid = \"00000000-0000-4000-8000-0000000000ff\"\n\n[packages]\n\
             {OBS} = {{ name = \"Obs\", path = \"O/Obs\" }}\n\
             {MAK} = {{ name = \"Mak\", path = \"M/Mak\" }}\n\
             {PLT} = {{ name = \"Plt\", path = \"P/Plt\" }}\n\
             {NEW} = {{ name = \"New\", path = \"N/New\" }}\n"
        ),
    );
    let package = |path: &str, name: &str, uuid: &str, versions: &[(&str, bool)]| {
        write(
            &reg.join(path).join("Package.toml"),
            &format!(
                "name = \"{name}\"\nuuid = \"{uuid}\"\nrepo = \"https://example.com/{name}.jl\"\n"
            ),
        );
        let mut v = String::new();
        for (i, (version, yanked)) in versions.iter().enumerate() {
            v += &format!(
                "[\"{version}\"]\ngit-tree-sha1 = \"{}\"\n",
                format!("{i:x}").repeat(40)
            );
            if *yanked {
                v += "yanked = true\n";
            }
        }
        write(&reg.join(path).join("Versions.toml"), &v);
    };
    package("O/Obs", "Obs", OBS, &[("0.4.0", false), ("0.5.0", false)]);
    package("M/Mak", "Mak", MAK, &[("0.19.0", false), ("0.21.0", false)]);
    write(
        &reg.join("M/Mak/Deps.toml"),
        &format!("[\"0.19-0.21\"]\nObs = \"{OBS}\"\n"),
    );
    write(
        &reg.join("M/Mak/Compat.toml"),
        "[\"0.19\"]\nObs = \"0.4\"\n\n[\"0.21\"]\nObs = \"0.5\"\n",
    );
    package("P/Plt", "Plt", PLT, &[("1.0.0", false)]);
    write(
        &reg.join("P/Plt/Deps.toml"),
        &format!("[1]\nObs = \"{OBS}\"\nNew = \"{NEW}\"\n"),
    );
    write(&reg.join("P/Plt/Compat.toml"), "[1]\nObs = \"0.4-0.5\"\n");
    package("N/New", "New", NEW, &[("1.0.0", false), ("2.0.0", true)]);
    write(
        &reg.join("N/New/Compat.toml"),
        "[1]\njulia = \"1.10.0-1\"\n",
    );
    reg
}

/// An environment with `Obs` 0.4.0, pinned or not.
fn environment(dir: &Path, pinned: bool) {
    write(
        &dir.join("Project.toml"),
        &format!("[deps]\nObs = \"{OBS}\"\n"),
    );
    write(
        &dir.join("Manifest.toml"),
        &format!(
            "julia_version = \"1.10.4\"\nmanifest_format = \"2.0\"\n\n[[deps.Obs]]\n\
             git-tree-sha1 = \"{}\"\n{}uuid = \"{OBS}\"\nversion = \"0.4.0\"\n",
            "0".repeat(40),
            if pinned { "pinned = true\n" } else { "" }
        ),
    );
}

fn sysimg(dir: &Path, reg: &Path, args: &[&str]) -> Output {
    common::sysimg_cmd()
        .arg("-p")
        .arg(dir)
        .args(args)
        .arg("--registry")
        .arg(reg)
        .env("SYSIMG_STORE", dir.join("store"))
        .env("JULIA_DEPOT_PATH", dir.join("depot"))
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&out(o)).unwrap_or_else(|e| panic!("{e}: {}{}", out(o), err(o)))
}

#[test]
fn a_pinned_package_in_the_way_is_explained_with_what_would_fit() {
    let t = tempfile::tempdir().unwrap();
    let reg = registry(t.path());
    let env = t.path().join("env");
    environment(&env, true);
    // Pkg would add Mak at 0.19.0, the newest that fits; sysimg says why not 0.21.0.
    let o = sysimg(&env, &reg, &["can-add", "Mak"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(text.contains("ok: Mak 0.19.0 can be added"), "{text}");
    assert!(
        text.contains("not its newest: Mak 0.21.0 does not fit:"),
        "{text}"
    );
    assert!(text.contains("Obs is pinned at 0.4.0"), "{text}");
    let v = json(&sysimg(&env, &reg, &["can-add", "Mak", "--json"]));
    assert_eq!(v["held_back"][0]["newest"], "0.21.0");
    assert_eq!(v["held_back"][0]["blocked_by"][0]["name"], "Obs");
    // Asking for the newest: no, with what would fit.
    let o = sysimg(&env, &reg, &["can-add", "Mak@0.21"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(text.contains("cannot add Mak"), "{text}");
    assert!(text.contains("Obs is pinned at 0.4.0"), "{text}");
    assert!(text.contains("the newest Mak that fits: 0.19.0"), "{text}");
    assert!(
        text.contains("it would fit if Obs left the held set (unpin them)"),
        "{text}"
    );
    let v = json(&sysimg(&env, &reg, &["can-add", "Mak@0.21", "--json"]));
    assert_eq!(v["ok"], false);
    assert_eq!(v["fix"], "pinned");
    assert_eq!(v["julia_version"], "1.10.4");
    assert_eq!(v["blocked_by"][0]["name"], "Obs");
    assert_eq!(v["blocked_by"][0]["by"], "pinned");
    assert_eq!(v["newest_fit"]["Mak"], "0.19.0");
    assert_eq!(v["release_to_fit"][0], "Obs");
    let explanation = v["explanation"].to_string();
    assert!(explanation.contains("Mak"), "{explanation}");
    // The version that fits can be added.
    let v = json(&sysimg(&env, &reg, &["can-add", "Mak@0.19", "--json"]));
    assert_eq!(v["ok"], true);
    assert_eq!(v["added"][0]["version"], "0.19.0");
    assert!(v["changed"].as_array().unwrap().is_empty());
}

#[test]
fn unpinned_packages_move_and_new_dependencies_are_listed() {
    let t = tempfile::tempdir().unwrap();
    let reg = registry(t.path());
    let env = t.path().join("env");
    environment(&env, false);
    let o = sysimg(&env, &reg, &["can-add", "Mak"]);
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("ok: Mak 0.21.0 can be added"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("moves Obs 0.4.0 → 0.5.0"), "{}", out(&o));
    // Plt needs New, whose 1.0.0 needs julia ≥ 1.10 and whose 2.0.0 is yanked.
    let v = json(&sysimg(&env, &reg, &["can-add", "Plt", "--json"]));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["new_dependencies"][0]["name"], "New");
    assert_eq!(v["new_dependencies"][0]["version"], "1.0.0");
    // ... and on julia 1.9 nothing fits.
    let o = sysimg(&env, &reg, &["can-add", "Plt", "--julia-version", "1.9.4"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("julia"), "{}", out(&o));
    // --fix all holds Obs too: Mak only at 0.19.0.
    let v = json(&sysimg(
        &env,
        &reg,
        &["can-add", "Mak", "--fix", "all", "--json"],
    ));
    assert_eq!(v["fix"], "all");
    assert_eq!(v["added"][0]["version"], "0.19.0");
    assert_eq!(v["held_back"][0]["blocked_by"][0]["by"], "manifest");
}

#[test]
fn bad_questions_are_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let reg = registry(t.path());
    let env = t.path().join("env");
    environment(&env, true);
    let o = sysimg(&env, &reg, &["can-add", "Makk"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("Makk is not in any registry; did you mean Mak?"),
        "{}",
        err(&o)
    );
    let o = sysimg(&env, &reg, &["can-add", "Mak@7"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("Mak has no version 7 (its newest is 0.21.0)"),
        "{}",
        err(&o)
    );
    let o = sysimg(&env, &reg, &["can-add", "Mak", "--fix", "baked"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no image"), "{}", err(&o));
    let o = sysimg(&env, &reg, &["can-add", "Mak;rm"]);
    assert_eq!(o.status.code(), Some(2));
    let o = sysimg(&env, &t.path().join("nowhere"), &["can-add", "Mak"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no such registry"), "{}", err(&o));
    let o = sysimg(
        &env,
        &reg,
        &["can-add", "Mak", "--julia-version", "one.ten"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--julia-version `one.ten`"), "{}", err(&o));
    let missing = t.path().join("no-list.txt");
    let o = sysimg(
        &env,
        &reg,
        &["extendability", "--from", missing.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no-list.txt"), "{}", err(&o));
    let o = sysimg(&env, &reg, &["can-add", "Mak", "--json", "--fix", "some"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(json(&o)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--fix"));
}

#[test]
fn extendability_scores_a_list_and_the_registrys_most_used() {
    let t = tempfile::tempdir().unwrap();
    let reg = registry(t.path());
    let env = t.path().join("env");
    environment(&env, true);
    let list = t.path().join("list.txt");
    fs::write(&list, "# frameworks\nMak\nPlt\nObs\n").unwrap();
    let o = sysimg(
        &env,
        &reg,
        &["extendability", "--from", list.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(
        text.contains("ok (0.19.0; newest 0.21.0 held back by Obs 0.4.0)"),
        "{text}"
    );
    assert!(text.contains("present (0.4.0)"), "{text}");
    assert!(text.contains("3 of 3 can be added"), "{text}");
    // On julia 1.9, Plt cannot be added at all (its dependency New needs julia 1.10).
    let o = sysimg(
        &env,
        &reg,
        &[
            "extendability",
            "--from",
            list.to_str().unwrap(),
            "--julia-version",
            "1.9.4",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("2 of 3 can be added"), "{}", out(&o));
    // The most depended-upon: Obs (by Mak and Plt), then New (by Plt).
    let v = json(&sysimg(
        &env,
        &reg,
        &["extendability", "--top", "2", "--json"],
    ));
    assert_eq!(v["packages"][0]["name"], "Obs");
    assert_eq!(v["packages"][0]["dependents"], 2);
    assert_eq!(v["packages"][0]["present"], true);
    assert_eq!(v["packages"][1]["name"], "New");
    assert_eq!(v["can_add"], 2);
}

/// On the General snapshot (April 2024) and a real corpus environment: the environment's own
/// direct dependencies can be added with every Manifest package held, at the Manifest's
/// versions; frameworks get an answer in well under a second.
#[test]
fn general_registry_answers_for_a_corpus_environment() {
    let Some(shared) = common::shared_dir() else {
        common::skip("no ../shared (SYSIMG_SHARED_DIR)");
        return;
    };
    let reg = shared.join("registries/General.toml");
    let env = shared.join("corpus/environments/sciml-StiffODE");
    let t = tempfile::tempdir().unwrap();
    let copy = t.path().join("env");
    for f in ["Project.toml", "Manifest.toml"] {
        write(&copy.join(f), &fs::read_to_string(env.join(f)).unwrap());
    }
    let direct: Vec<String> =
        toml_edit::DocumentMut::from_str(&fs::read_to_string(copy.join("Project.toml")).unwrap())
            .unwrap()["deps"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
    let first = &direct[0];
    let v = json(&sysimg(
        &copy,
        &reg,
        &["can-add", first, "--fix", "all", "--json"],
    ));
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["changed"].as_array().unwrap().is_empty(), "{v}");
    let o = sysimg(
        &copy,
        &reg,
        &["can-add", "Plots", "DataFrames", "--fix", "all"],
    );
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", err(&o));
    assert!(
        out(&o).contains("Plots") && out(&o).contains("DataFrames"),
        "{}",
        out(&o)
    );
}

use std::str::FromStr;

/// An environment whose own compat the registry cannot meet (a registry older than its
/// Manifest) is said to be so, not blamed on the package asked about.
#[test]
fn an_environment_that_does_not_resolve_by_itself_is_said_so() {
    let t = tempfile::tempdir().unwrap();
    let reg = registry(t.path());
    let env = t.path().join("env");
    environment(&env, false);
    let project = fs::read_to_string(env.join("Project.toml")).unwrap();
    fs::write(
        env.join("Project.toml"),
        project + "\n[compat]\nObs = \"0.9\"\n",
    )
    .unwrap();
    let o = sysimg(&env, &reg, &["can-add", "Mak"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("the environment itself does not resolve"),
        "{}",
        out(&o)
    );
    let o = sysimg(&env, &reg, &["extendability", "--top", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("the environment itself does not resolve"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("Obs"), "{}", err(&o));
}

/// `sysimg` with the small registry installed in the environment's depot, as Pkg installs a
/// registry (`<depot>/registries/Tiny`), and the fake julia of the library's tests.
fn sysimg_in_depot(dir: &Path, args: &[&str], julia_version: &str) -> Output {
    if !dir.join("depot/registries/Tiny").is_dir() {
        registry(&dir.join("depot/registries"));
    }
    let julia = common::fake_julia(dir);
    common::sysimg_cmd()
        .arg("-p")
        .arg(dir)
        .args(args)
        .env("SYSIMG_STORE", dir.join("store"))
        .env("JULIA_DEPOT_PATH", dir.join("depot"))
        .env("JULIA", &julia)
        .env("FAKE_JULIA_LOG", dir.join("fake-julia.log"))
        .env("FAKE_JULIA_VERSION", julia_version)
        .output()
        .unwrap()
}

/// `plan` for the pinned policy says, in a line, whether the pins still let the environment
/// grow: here New needs julia 1.10 and the Manifest is julia 1.9's.
#[test]
fn plan_for_the_pinned_policy_says_what_can_still_be_added() {
    let t = tempfile::tempdir().unwrap();
    let env = t.path().join("env");
    environment(&env, true);
    let manifest = fs::read_to_string(env.join("Manifest.toml")).unwrap();
    fs::write(
        env.join("Manifest.toml"),
        manifest.replace("1.10.4", "1.9.4"),
    )
    .unwrap();
    let o = sysimg_in_depot(&env, &["plan", "--policy", "pinned"], "1.9.4");
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains(
            "with these pins, 1 of the registry's 2 most depended-upon packages can still be \
             added (not: New, blocked by julia 1.9.4)"
        ),
        "{}",
        out(&o)
    );
    // Cold, the ranking says what it is doing, in one line (issue 26, item 10); warm, nothing.
    let ranking = "sysimg: ranking the registry's packages for the extendability note";
    assert_eq!(err(&o).matches(ranking).count(), 1, "{}", err(&o));
    let o = sysimg_in_depot(&env, &["plan", "--policy", "pinned"], "1.9.4");
    assert!(!err(&o).contains(ranking), "{}", err(&o));
    let v = json(&sysimg_in_depot(
        &env,
        &["plan", "--policy", "pinned", "--json"],
        "1.9.4",
    ));
    assert_eq!(v["extendability"]["fix"], "pinned", "{v}");
    assert_eq!(v["extendability"]["asked"], 2, "{v}");
    assert_eq!(v["extendability"]["cannot"][0]["name"], "New", "{v}");
    // The ranking is remembered in the store's cache, keyed by the registry's state.
    let rankings = || -> Vec<std::ffi::OsString> {
        fs::read_dir(env.join("store/cache"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with("depended-upon-"))
            .collect()
    };
    let cached = rankings();
    assert_eq!(cached.len(), 1);
    // A registry that changes is ranked again, and the old ranking goes.
    fs::write(
        env.join("depot/registries/Tiny/Registry.toml"),
        fs::read_to_string(env.join("depot/registries/Tiny/Registry.toml")).unwrap() + "\n",
    )
    .unwrap();
    let o = sysimg_in_depot(&env, &["plan", "--policy", "pinned"], "1.9.4");
    assert!(
        out(&o).contains("(not: New, blocked by julia 1.9.4)"),
        "{}",
        out(&o)
    );
    let now = rankings();
    assert_eq!(now.len(), 1);
    assert_ne!(now[0], cached[0]);
    // Other policies hold no pins: no line; `--extendability 0` turns it off.
    let v = json(&sysimg_in_depot(&env, &["plan", "--json"], "1.9.4"));
    assert!(v["extendability"].is_null(), "{v}");
    let o = sysimg_in_depot(
        &env,
        &["plan", "--policy", "pinned", "--extendability", "0"],
        "1.9.4",
    );
    assert!(!out(&o).contains("can still be added"), "{}", out(&o));
}

/// `check` notes what can still be added with the image's versions held, for the Julia the
/// image was built with (here 1.9.4, on which New cannot be installed; on 1.11 it can).
#[test]
fn check_notes_what_can_still_be_added_with_the_image() {
    for (julia, can_add, note) in [
        (
            "1.9.4",
            1,
            "1 of the registry's 2 most depended-upon packages can still be added (not: New, blocked by julia 1.9.4)",
        ),
        (
            "1.11.2",
            2,
            "2 of the registry's 2 most depended-upon packages can still be added",
        ),
    ] {
        let t = tempfile::tempdir().unwrap();
        let env = t.path().join("env");
        environment(&env, false);
        let o = sysimg_in_depot(&env, &["build"], julia);
        assert!(o.status.success(), "{}{}", out(&o), err(&o));
        let o = sysimg_in_depot(&env, &["check"], julia);
        assert!(
            out(&o).contains(&format!("info: with the image's versions held, {note}")),
            "{}{}",
            out(&o),
            err(&o)
        );
        let v = json(&sysimg_in_depot(&env, &["check", "--json"], julia));
        assert_eq!(v["extendability"]["fix"], "baked", "{v}");
        assert_eq!(v["extendability"]["julia_version"], julia, "{v}");
        assert_eq!(v["extendability"]["can_add"], can_add, "{v}");
        assert_eq!(v["extendability"]["fixed"], 1, "{v}");
    }
}

/// Without an image or `--julia-version`, the julia sysimg would run decides the Julia version,
/// before the Manifest's `julia_version` (1.10.4 here, on which New could be added).
#[test]
fn can_add_resolves_for_the_julia_that_would_run() {
    let t = tempfile::tempdir().unwrap();
    let env = t.path().join("env");
    environment(&env, true);
    let o = sysimg_in_depot(&env, &["can-add", "New", "--json"], "1.9.4");
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["julia_version"], "1.9.4");
    let o = sysimg_in_depot(&env, &["can-add", "New", "--json"], "1.11.2");
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(json(&o)["julia_version"], "1.11.2");
}

/// Julia itself is registered in General (as `julia`, with the Julia pseudo-package's UUID):
/// it is no package to add, nor one of the most depended-upon packages, and a package whose
/// newer versions need another Julia is held back by Julia, named as such.
#[test]
fn julia_itself_is_no_package_to_add() {
    let Some(shared) = testkit::shared_or_skip() else {
        return;
    };
    let reg = shared.join("registries/General.toml");
    let t = tempfile::tempdir().unwrap();
    let env = t.path().join("env");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    for f in ["Project.toml", "Manifest.toml"] {
        write(&env.join(f), &fs::read_to_string(example.join(f)).unwrap());
    }
    let o = sysimg(
        &env,
        &reg,
        &["can-add", "julia", "--julia-version", "1.5.3"],
    );
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("julia is Julia itself, not a package") && err(&o).contains("Julia 1.5.3"),
        "{}",
        err(&o)
    );
    let v = json(&sysimg(
        &env,
        &reg,
        &[
            "extendability",
            "--top",
            "10",
            "--julia-version",
            "1.5.3",
            "--json",
        ],
    ));
    let names: Vec<&str> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10, "{v}");
    assert!(!names.contains(&"julia"), "{names:?}");
    let frames = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "DataFrames")
        .expect("DataFrames is among the ten most depended upon");
    assert_eq!(frames["version"], "1.3.6", "{frames}");
    assert_eq!(frames["newest"], "1.6.1", "{frames}");
    assert_eq!(
        frames["blocked_by"],
        serde_json::json!(["julia 1.5.3"]),
        "{frames}"
    );
}
