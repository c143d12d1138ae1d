//! Issue 21's three kinds of baked package (public, shared, side-loaded) on manifests written
//! by real Pkg: Julia 1.5.3's `Pkg.add` of `../shared/julia/pkgserver-large`'s 19 top-level
//! packages (`fixtures/large`), and the same plus PrettyTables and Crayons
//! (`fixtures/large-prettytables`: PrettyTables 1.3.1 does `@reexport using Crayons`). See
//! `fixtures/large/README.md` for how they were made.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use julia_env::environment::Environment;
use sysimg::align::pin;
use sysimg::model::plan::{make_plan, Plan, Role};
use sysimg::model::record::{
    BuildOptions, ImageRecord, JuliaFacts, RecordInputs, SourceEnvironment,
};
use sysimg::model::spec::{ImageSpec, Policy};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(dir: &Path) -> Environment {
    let env = Environment::load(&dir.join("Project.toml"), None).unwrap();
    assert!(
        env.manifest_problems.is_empty(),
        "{:?}",
        env.manifest_problems
    );
    env
}

fn dev(public: &[&str]) -> ImageSpec {
    ImageSpec {
        policy: Policy::Dev,
        sideload: true,
        public: public.iter().map(|s| s.to_string()).collect(),
        ..ImageSpec::new()
    }
}

fn names(plan: &Plan, role: Role) -> Vec<&str> {
    plan.packages
        .iter()
        .filter(|p| p.role == role)
        .map(|p| p.name.as_str())
        .collect()
}

/// What the rule promises, whatever the environment: no direct dependency and no dependency
/// of a package the image leaves out is side-loaded, and only side-loaded packages get
/// derived UUIDs.
fn assert_never_split(env: &Environment, plan: &Plan) {
    let manifest = env.manifest.as_ref().unwrap();
    let direct: BTreeSet<_> = env.project.deps.values().copied().collect();
    let baked = plan.baked_uuids();
    let outside_deps: BTreeSet<_> = manifest
        .entries
        .iter()
        .filter(|e| !baked.contains(&e.uuid))
        .flat_map(|e| e.deps.iter().filter_map(|d| d.uuid))
        .collect();
    for p in &plan.packages {
        assert_eq!(
            p.sideload_uuid.is_some(),
            p.role == Role::SideLoaded,
            "{}",
            p.name
        );
        if p.role == Role::SideLoaded {
            assert!(
                !direct.contains(&p.uuid),
                "direct dependency {} side-loaded",
                p.name
            );
            assert!(
                !outside_deps.contains(&p.uuid),
                "{} side-loaded, but a package the image leaves out needs it",
                p.name
            );
        }
    }
    assert!(
        plan.violations(manifest).is_empty(),
        "{:?}",
        plan.violations(manifest)
    );
}

/// The shape: a `public` list that leaves out Crayons, which the public PrettyTables
/// re-exports and the project lists too. Crayons (and every other baked direct dependency) is
/// shared, never side-loaded; so is Compat, which ArrayInterface (left out) needs.
#[test]
fn a_re_exported_direct_dependency_is_shared_not_side_loaded() {
    let env = load(&fixture("large-prettytables"));
    let plan = make_plan(
        &env,
        &dev(&["DataFrames", "PrettyTables", "StatsBase", "Graphs"]),
    )
    .unwrap();
    assert_never_split(&env, &plan);
    let crayons = plan.by_name("Crayons").next().unwrap();
    assert_eq!(crayons.role, Role::Shared);
    assert_eq!(crayons.sideload_uuid, None);
    assert!(
        crayons.reason.contains("promoted to shared"),
        "{}",
        crayons.reason
    );
    assert_eq!(
        names(&plan, Role::Shared),
        [
            "Compat",
            "Crayons",
            "DataAPI",
            "DataStructures",
            "InverseFunctions",
            "Missings",
            "PooledArrays",
            "Reexport",
            "SimpleTraits",
            "Tables"
        ]
    );
    let compat = plan.by_name("Compat").next().unwrap();
    assert_eq!(
        compat.reason,
        "`ArrayInterface`, which the image leaves out, loads it by its real UUID"
    );
    // Only baked packages reach these (DataFrames re-exports InvertedIndices, which the
    // project does not list: `Not` is the image's, the one copy).
    assert_eq!(
        names(&plan, Role::SideLoaded),
        [
            "ArnoldiMethod",
            "ChainRulesCore",
            "ChangesOfVariables",
            "DataValueInterfaces",
            "DocStringExtensions",
            "Formatting",
            "Inflate",
            "InvertedIndices",
            "IrrationalConstants",
            "IteratorInterfaceExtensions",
            "LogExpFunctions",
            "MacroTools",
            "OrderedCollections",
            "SortingAlgorithms",
            "StaticArrays",
            "StatsAPI",
            "TableTraits"
        ]
    );
    assert!(plan.warnings.iter().any(|w| w.contains(
        "leave out 8 baked direct dependencies (Crayons, DataAPI, DataStructures, Missings, \
         PooledArrays, Reexport, SimpleTraits, Tables)"
    )));
}

/// A narrower image: only PrettyTables is public, so DataFrames and most of the closure are
/// left out, and what they need from the image is shared.
#[test]
fn what_a_left_out_package_needs_is_shared() {
    let env = load(&fixture("large-prettytables"));
    let plan = make_plan(&env, &dev(&["PrettyTables"])).unwrap();
    assert_never_split(&env, &plan);
    assert_eq!(names(&plan, Role::Public), ["PrettyTables"]);
    // Only PrettyTables needs Formatting, only Tables DataValueInterfaces.
    assert_eq!(
        names(&plan, Role::SideLoaded),
        ["DataValueInterfaces", "Formatting"]
    );
    // The "one step removed" case: DataStructures (left out) extends the depot's
    // OrderedCollections; the image's Tables needs it too, so there is one copy, shared.
    let oc = plan.by_name("OrderedCollections").next().unwrap();
    assert_eq!(oc.role, Role::Shared);
    assert_eq!(
        oc.reason,
        "`DataStructures`, which the image leaves out, loads it by its real UUID"
    );
    assert_eq!(oc.path, ["DataStructures", "OrderedCollections"]);
    assert_eq!(
        names(&plan, Role::Shared),
        [
            "Crayons",
            "DataAPI",
            "IteratorInterfaceExtensions",
            "OrderedCollections",
            "Reexport",
            "TableTraits",
            "Tables"
        ]
    );
}

/// The default public set (every direct dependency): nothing is promoted, and everything else
/// baked is side-loaded, for nothing is left out.
#[test]
fn with_the_default_public_set_only_indirect_packages_are_side_loaded() {
    let env = load(&fixture("large"));
    let plan = make_plan(&env, &dev(&[])).unwrap();
    assert_never_split(&env, &plan);
    assert_eq!(names(&plan, Role::Public).len(), 19);
    assert!(names(&plan, Role::Shared).is_empty());
    assert_eq!(names(&plan, Role::SideLoaded).len(), 49 - 19);
}

fn record_of(plan: &Plan) -> ImageRecord {
    ImageRecord::new(
        plan,
        RecordInputs {
            julia: JuliaFacts {
                version: "1.5.3".into(),
                commit: "788b2c77c1".into(),
            },
            platform: "x86_64-linux-gnu".into(),
            cpu_target: "generic".into(),
            build_cpu: None,
            source: SourceEnvironment::default(),
            build: BuildOptions::default(),
            image_file: "sys.so".into(),
        },
    )
}

/// `pin` pins what the image holds under real UUIDs (public and shared), never a side-loaded
/// package (before issue 21 it pinned all 31 baked non-stdlib packages of this image, the 17
/// side-loaded ones among them; now 14).
#[test]
fn pin_never_pins_a_side_loaded_package() {
    let src = fixture("large-prettytables");
    let t = tempfile::tempdir().unwrap();
    for f in ["Project.toml", "Manifest.toml"] {
        std::fs::copy(src.join(f), t.path().join(f)).unwrap();
    }
    let env = load(t.path());
    let plan = make_plan(
        &env,
        &dev(&["DataFrames", "PrettyTables", "StatsBase", "Graphs"]),
    )
    .unwrap();
    let record = record_of(&plan);
    let alignment = pin(&env, &record, true).unwrap();
    alignment.manifest.apply().unwrap();
    alignment.project.apply().unwrap();
    let after = load(t.path());
    let manifest = after.manifest.as_ref().unwrap();
    let pinned: Vec<&str> = manifest
        .entries
        .iter()
        .filter(|e| e.pinned)
        .map(|e| e.name.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut want: Vec<&str> = plan
        .packages
        .iter()
        .filter(|p| matches!(p.role, Role::Public | Role::Shared) && !p.stdlib)
        .map(|p| p.name.as_str())
        .collect();
    want.sort();
    assert_eq!(pinned, want);
    assert_eq!(pinned.len(), 14);
    for p in plan.packages.iter().filter(|p| p.role == Role::SideLoaded) {
        assert!(
            !after.project.compat.contains_key(&p.name),
            "{} got a compat pin",
            p.name
        );
    }
    assert_eq!(
        after.project.compat.get("Crayons").map(|c| c.text.as_str()),
        Some("=4.0.4")
    );
}
