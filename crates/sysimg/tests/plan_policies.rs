//! The three policies on hand-made graphs with known answers.

use std::collections::BTreeMap;
use std::fmt::Write;

use julia_env::environment::Environment;
use julia_env::ids::Uuid;
use sysimg::model::plan::{make_plan, Plan, Role};
use sysimg::model::spec::{ImageSpec, PinnedRule, Policy};

const DATES: &str = "ade2ca70-3891-5945-98fb-dc099432e06a";

/// One package of a test manifest: `name`, its deps, and `flags` among `pinned`, `path`,
/// `repo`, `stdlib` (real stdlib UUID, no tree hash), `weak:X` and `ext:E=X`.
struct Pkg<'a>(&'a str, &'a [&'a str], &'a [&'a str]);

fn uuid(name: &str, flags: &[&str]) -> Uuid {
    if flags.contains(&"stdlib") {
        match name {
            "Dates" => return DATES.parse().unwrap(),
            "Unicode" => return "4ec0a83e-493e-50e2-b9ac-8f72acf5a8f5".parse().unwrap(),
            "Statistics" => return "10745b16-79ce-11e8-11f9-7d13ad32a3b2".parse().unwrap(),
            _ => {}
        }
    }
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

fn environment(pkgs: &[Pkg<'_>], direct: &[&str]) -> (tempfile::TempDir, Environment) {
    let ids: BTreeMap<&str, Uuid> = pkgs.iter().map(|p| (p.0, uuid(p.0, p.2))).collect();
    let mut project = String::from("[deps]\n");
    for d in direct {
        writeln!(project, "{d} = \"{}\"", ids[d]).unwrap();
    }
    let mut m = String::from("julia_version = \"1.11.3\"\nmanifest_format = \"2.0\"\n\n");
    for Pkg(name, deps, flags) in pkgs {
        writeln!(m, "[[deps.{name}]]").unwrap();
        if !deps.is_empty() {
            writeln!(
                m,
                "deps = [{}]",
                deps.iter()
                    .map(|d| format!("\"{d}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .unwrap();
        }
        if !flags.contains(&"stdlib") && !flags.contains(&"path") {
            writeln!(m, "git-tree-sha1 = \"{}\"", "ab".repeat(20)).unwrap();
        }
        if flags.contains(&"path") {
            writeln!(m, "path = \"dev/{name}\"").unwrap();
        }
        if flags.contains(&"pinned") {
            writeln!(m, "pinned = true").unwrap();
        }
        if flags.contains(&"repo") {
            writeln!(
                m,
                "repo-rev = \"main\"\nrepo-url = \"https://example.invalid/{name}.jl\""
            )
            .unwrap();
        }
        writeln!(m, "uuid = \"{}\"\nversion = \"1.0.0\"", ids[name]).unwrap();
        let weak: Vec<&str> = flags
            .iter()
            .filter_map(|f| f.strip_prefix("weak:"))
            .collect();
        if !weak.is_empty() {
            writeln!(
                m,
                "weakdeps = [{}]",
                weak.iter()
                    .map(|d| format!("\"{d}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .unwrap();
        }
        let exts: Vec<&str> = flags
            .iter()
            .filter_map(|f| f.strip_prefix("ext:"))
            .collect();
        if !exts.is_empty() {
            writeln!(m, "\n    [deps.{name}.extensions]").unwrap();
        }
        for ext in exts {
            let (e, trigger) = ext.split_once('=').unwrap();
            writeln!(m, "    {e} = \"{trigger}\"").unwrap();
        }
        m.push('\n');
    }
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("Project.toml"), project).unwrap();
    std::fs::write(t.path().join("Manifest.toml"), m).unwrap();
    let env = Environment::load(&t.path().join("Project.toml"), None).unwrap();
    assert!(
        env.manifest_problems.is_empty(),
        "{:?}",
        env.manifest_problems
    );
    (t, env)
}

fn spec(policy: Policy) -> ImageSpec {
    ImageSpec {
        policy,
        ..ImageSpec::new()
    }
}

fn role(plan: &Plan, name: &str) -> Role {
    plan.by_name(name)
        .next()
        .unwrap_or_else(|| panic!("{name} not in plan"))
        .role
}

fn reason(plan: &Plan, name: &str) -> String {
    plan.by_name(name).next().unwrap().reason.clone()
}

fn baked(plan: &Plan) -> Vec<&str> {
    plan.baked().map(|p| p.name.as_str()).collect()
}

fn pinned_world() -> (tempfile::TempDir, Environment) {
    environment(
        &[
            Pkg("A", &["X"], &["pinned"]),
            Pkg("X", &["Y"], &[]),
            Pkg("Y", &["Dates"], &[]),
            Pkg("Dates", &[], &["stdlib"]),
            Pkg("B", &["Z"], &["pinned"]),
            Pkg("Z", &["W"], &[]),
            Pkg("W", &[], &[]),
            Pkg("C", &["W"], &[]),
            Pkg("P", &[], &["pinned", "path"]),
            Pkg("Q", &[], &["pinned", "repo"]),
        ],
        &["A", "B", "C", "Dates", "P", "Q"],
    )
}

#[test]
fn pinned_strict_drops_whatever_reaches_an_unpinned_package() {
    let (_t, env) = pinned_world();
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    assert_eq!(baked(&plan), ["A", "Dates", "X", "Y"]);
    assert_eq!(role(&plan, "A"), Role::Public);
    assert_eq!(role(&plan, "X"), Role::Internal);
    assert_eq!(reason(&plan, "X"), "needed by `A`");
    assert_eq!(reason(&plan, "C"), "unpinned direct dependency");
    assert_eq!(reason(&plan, "P"), "unpinned: path-tracked");
    assert_eq!(reason(&plan, "Q"), "unpinned: repo-tracked");
    assert_eq!(reason(&plan, "W"), "needed by unpinned `C`");
    // C needs W; B reaches W, not C: the path shown is B's true dependency path.
    assert_eq!(
        reason(&plan, "B"),
        "depends via `Z` on `W`, which unpinned `C` needs (C → W)"
    );
    assert_eq!(plan.by_name("B").next().unwrap().path, ["B", "Z", "W"]);
    assert_eq!(
        reason(&plan, "Z"),
        "depends on `W`, which unpinned `C` needs (C → W)"
    );
    assert!(plan.violations(env.manifest.as_ref().unwrap()).is_empty());
}

#[test]
fn pinned_manifest_rm_rule_keeps_shared_dependencies() {
    let (_t, env) = pinned_world();
    let plan = make_plan(
        &env,
        &ImageSpec {
            pinned_rule: PinnedRule::ManifestRm,
            ..spec(Policy::Pinned)
        },
    )
    .unwrap();
    assert_eq!(baked(&plan), ["A", "B", "Dates", "W", "X", "Y", "Z"]);
    assert_eq!(role(&plan, "C"), Role::NotBaked);
    assert!(plan
        .violations(env.manifest.as_ref().unwrap())
        .iter()
        .all(|v| !v.contains("dependency")));
}

#[test]
fn a_chain_of_pinned_over_unpinned_drops_the_whole_chain() {
    let (_t, env) = environment(
        &[
            Pkg("Top", &["Mid"], &["pinned"]),
            Pkg("Mid", &["Low"], &["pinned"]),
            Pkg("Low", &[], &[]),
        ],
        &["Top", "Mid", "Low"],
    );
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    assert!(baked(&plan).is_empty());
    assert_eq!(reason(&plan, "Top"), "reaches unpinned `Low` via `Mid`");
    assert_eq!(reason(&plan, "Mid"), "reaches unpinned `Low`");
}

#[test]
fn stdlibs_count_as_pinned_by_uuid_not_name() {
    let (_t, env) = environment(
        &[
            Pkg("A", &["Dates"], &["pinned"]),
            Pkg("Dates", &[], &["stdlib"]),
        ],
        &["A", "Dates"],
    );
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    assert_eq!(baked(&plan), ["A", "Dates"]);
    // A package that is only *named* like a stdlib is an ordinary unpinned package.
    let (_t, env) = environment(
        &[Pkg("A", &["Dates"], &["pinned"]), Pkg("Dates", &[], &[])],
        &["A", "Dates"],
    );
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    assert!(baked(&plan).is_empty());
    assert_eq!(reason(&plan, "Dates"), "unpinned direct dependency");
}

#[test]
fn diamonds_weak_deps_and_extensions() {
    let (_t, env) = environment(
        &[
            Pkg(
                "A",
                &["B", "C"],
                &["pinned", "weak:U", "weak:D", "ext:AUExt=U", "ext:ADExt=D"],
            ),
            Pkg("B", &["D"], &[]),
            Pkg("C", &["D"], &[]),
            Pkg("D", &[], &[]),
            Pkg("U", &[], &[]),
        ],
        &["A", "U"],
    );
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    // A weak dependency on the unpinned U does not make A reach it.
    assert_eq!(baked(&plan), ["A", "B", "C", "D"]);
    assert_eq!(plan.extensions, [("A".to_string(), "ADExt".to_string())]);
    let app = make_plan(&env, &spec(Policy::App)).unwrap();
    assert_eq!(baked(&app), ["A", "B", "C", "D", "U"]);
    assert_eq!(app.extensions.len(), 2);
}

#[test]
fn app_exclude_removes_what_is_reachable_only_through_it() {
    let (_t, env) = environment(
        &[
            Pkg("A", &["S"], &[]),
            Pkg("Revise", &["J", "S"], &[]),
            Pkg("UsesRevise", &["Revise"], &[]),
            Pkg("B", &["UsesRevise"], &[]),
            Pkg("J", &[], &[]),
            Pkg("S", &[], &[]),
            Pkg("Stray", &[], &[]),
        ],
        &["A", "Revise", "B"],
    );
    let plan = make_plan(
        &env,
        &ImageSpec {
            exclude: vec!["Revise".into(), "Ghost".into()],
            ..spec(Policy::App)
        },
    )
    .unwrap();
    assert_eq!(baked(&plan), ["A", "S"]);
    assert_eq!(role(&plan, "Revise"), Role::Excluded);
    assert_eq!(
        reason(&plan, "J"),
        "reachable only through excluded `Revise`"
    );
    assert_eq!(reason(&plan, "Stray"), "not needed by any baked package");
    assert_eq!(reason(&plan, "B"), "depends on excluded `Revise`");
    assert_eq!(
        plan.by_name("B").next().unwrap().path,
        ["B", "UsesRevise", "Revise"]
    );
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.violations(env.manifest.as_ref().unwrap()).is_empty());
    let err = make_plan(
        &env,
        &ImageSpec {
            packages: Some(vec!["Nope".into()]),
            ..spec(Policy::App)
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`Nope` in `packages` is not a package of this environment"
    );
}

#[test]
fn dev_sideloads_internal_packages_deterministically() {
    let world = [
        Pkg("DataFrames", &["Tables", "Dates"], &[]),
        Pkg("Tables", &[], &[]),
        Pkg("Dates", &[], &["stdlib"]),
        Pkg("Other", &[], &[]),
    ];
    let (_t, env) = environment(&world, &["DataFrames", "Other"]);
    let dev = ImageSpec {
        public: vec!["DataFrames".into()],
        sideload: true,
        ..spec(Policy::Dev)
    };
    let plan = make_plan(&env, &dev).unwrap();
    assert_eq!(baked(&plan), ["DataFrames", "Dates", "Tables"]);
    assert_eq!(role(&plan, "DataFrames"), Role::Public);
    let tables = plan.by_name("Tables").next().unwrap();
    assert_eq!(tables.role, Role::SideLoaded);
    assert_eq!(role(&plan, "Dates"), Role::Internal);
    let derived = tables
        .sideload_uuid
        .expect("side-loaded packages get a derived UUID");
    assert_ne!(derived, tables.uuid);
    assert!(
        plan.by_name("Dates")
            .next()
            .unwrap()
            .sideload_uuid
            .is_none(),
        "stdlibs cannot be side-loaded"
    );
    assert!(plan
        .by_name("DataFrames")
        .next()
        .unwrap()
        .sideload_uuid
        .is_none());
    let again = make_plan(&env, &dev).unwrap();
    assert_eq!(
        again.by_name("Tables").next().unwrap().sideload_uuid,
        Some(derived)
    );
    let plain = make_plan(
        &env,
        &ImageSpec {
            sideload: false,
            ..dev
        },
    )
    .unwrap();
    assert!(plain.packages.iter().all(|p| p.sideload_uuid.is_none()));
    assert_eq!(role(&plain, "Tables"), Role::Internal);
}

/// Issue 21's rule on a hand-made graph: what code outside the image names by its real UUID
/// is shared, the rest side-loaded.
///
/// App (public) needs Crayons (a direct dependency too), Deep (needed by Crayons), Tables
/// (also needed by Loose, which the image leaves out), Inner (only App needs it) and Dates
/// (a stdlib); Ext (baked through App) has a weak dependency on Trig, which App also needs.
#[test]
fn dev_shares_what_code_outside_the_image_loads_and_side_loads_the_rest() {
    let world = [
        Pkg("App", &["Crayons", "Tables", "Inner", "Dates", "Ext"], &[]),
        Pkg("Crayons", &["Deep"], &[]),
        Pkg("Deep", &[], &[]),
        Pkg("Tables", &[], &[]),
        Pkg("Inner", &[], &[]),
        Pkg("Dates", &[], &["stdlib"]),
        Pkg("Ext", &["Trig2"], &["weak:Trig", "ext:TrigExt=Trig"]),
        Pkg("Trig", &[], &[]),
        Pkg("Trig2", &["Trig"], &[]),
        Pkg("Loose", &["Tables"], &[]),
    ];
    let (_t, env) = environment(&world, &["App", "Crayons", "Loose"]);
    let dev = ImageSpec {
        public: vec!["App".into()],
        sideload: true,
        ..spec(Policy::Dev)
    };
    let plan = make_plan(&env, &dev).unwrap();
    let kinds: Vec<(&str, Role, bool)> = plan
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.role, p.sideload_uuid.is_some()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("App", Role::Public, false),
            ("Crayons", Role::Shared, false),
            ("Dates", Role::Internal, false),
            ("Deep", Role::SideLoaded, true),
            ("Ext", Role::SideLoaded, true),
            ("Inner", Role::SideLoaded, true),
            ("Loose", Role::NotBaked, false),
            ("Tables", Role::Shared, false),
            ("Trig", Role::Shared, false),
            ("Trig2", Role::SideLoaded, true),
        ]
    );
    assert_eq!(
        reason(&plan, "Crayons"),
        "a direct dependency that is not public, promoted to shared (the project's `using` \
         loads it by its real UUID); needed by `App`"
    );
    assert_eq!(
        reason(&plan, "Tables"),
        "`Loose`, which the image leaves out, loads it by its real UUID"
    );
    assert_eq!(
        plan.by_name("Tables").next().unwrap().path,
        ["Loose", "Tables"]
    );
    assert!(reason(&plan, "Trig").starts_with("a weak dependency of baked `Ext`"));
    assert_eq!(
        reason(&plan, "Inner"),
        "needed by `App`, and only baked packages load it"
    );
    assert_eq!(
        plan.warnings,
        [
            "the public packages leave out 1 baked direct dependency (Crayons): it is shared, \
          baked under its real UUID, never side-loaded (the project's `using` loads a direct \
          dependency by its real UUID, and a side-loaded copy would be a second module)"
        ]
    );
    assert!(plan.violations(env.manifest.as_ref().unwrap()).is_empty());
    // Without `sideload` the same packages are shared; the rest is internal.
    let plain = make_plan(
        &env,
        &ImageSpec {
            sideload: false,
            ..dev
        },
    )
    .unwrap();
    assert_eq!(role(&plain, "Crayons"), Role::Shared);
    assert_eq!(role(&plain, "Inner"), Role::Internal);
    // The app and pinned policies have no shared or side-loaded packages.
    let app = make_plan(&env, &spec(Policy::App)).unwrap();
    assert!(app
        .packages
        .iter()
        .all(|p| !matches!(p.role, Role::Shared | Role::SideLoaded)));
}

#[test]
fn pinned_strict_lets_fixed_stdlibs_be_shared_with_unpinned_packages() {
    // As Pkg 1.5 writes DataStructures (pinned) and JSON (unpinned): both reach `Unicode`,
    // which no update can move, so it keeps nothing out of the image. `Statistics` is an
    // upgradable stdlib in Julia 1.11 (this manifest's Julia): an update of the unpinned
    // package can move it, so what reaches it stays out.
    let (_t, env) = environment(
        &[
            Pkg("DataStructures", &["Compat"], &["pinned"]),
            Pkg("Compat", &["Unicode"], &[]),
            Pkg("JSON", &["Unicode", "Statistics"], &[]),
            Pkg("Unicode", &[], &["stdlib"]),
            Pkg("Statistics", &[], &["stdlib"]),
            Pkg("Stats", &["Statistics"], &["pinned"]),
        ],
        &["DataStructures", "JSON", "Stats"],
    );
    let plan = make_plan(&env, &spec(Policy::Pinned)).unwrap();
    assert_eq!(baked(&plan), ["Compat", "DataStructures", "Unicode"]);
    assert_eq!(
        reason(&plan, "Stats"),
        "depends on `Statistics`, which unpinned `JSON` needs (JSON → Statistics)"
    );
}

#[test]
fn what_an_exclusion_keeps_out_names_the_excluded_package() {
    // exclude = ["Printf"]: Dates needs Printf, so it stays out, and so does what only Dates
    // brings in; the reason names Printf, the package the user excluded.
    let (_t, env) = environment(
        &[
            Pkg("App", &["Dates"], &[]),
            Pkg("Dates", &["Printf", "Tz"], &[]),
            Pkg("Printf", &[], &[]),
            Pkg("Tz", &[], &[]),
        ],
        &["App"],
    );
    let spec = ImageSpec {
        exclude: vec!["Printf".into()],
        ..spec(Policy::App)
    };
    let plan = make_plan(&env, &spec).unwrap();
    assert_eq!(reason(&plan, "Printf"), "excluded in the image spec");
    assert_eq!(reason(&plan, "Dates"), "depends on excluded `Printf`");
    assert_eq!(
        reason(&plan, "Tz"),
        "reachable only through `Dates`, which depends on excluded `Printf`"
    );
}
