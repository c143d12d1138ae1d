//! The resolver's semantics on small hand-built graphs.

use super::*;
use crate::ids::parse_uuid;

fn v(s: &str) -> VersionNumber {
    VersionNumber::parse(s).unwrap()
}

fn spec(s: &str) -> VersionSpec {
    VersionSpec::parse_range(s).unwrap()
}

fn id(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

fn dep(name: &str, range: &str, weak: bool) -> Dependency {
    Dependency {
        uuid: if name == "julia" {
            JULIA_UUID
        } else {
            id(name)
        },
        name: name.to_string(),
        spec: spec(range),
        weak,
    }
}

/// `(dependency, range, weak)`.
type DepRow<'a> = (&'a str, &'a str, bool);

/// An index from `(package, version, dependencies)` rows.
fn index(rows: &[(&str, &str, &[DepRow])]) -> MemoryIndex {
    let mut ix = MemoryIndex::new();
    for (name, version, deps) in rows {
        ix.add_version(id(name), name, v(version));
        for (d, r, weak) in *deps {
            ix.add_dependency(id(name), &v(version), dep(d, r, *weak));
        }
    }
    ix
}

fn require(names: &[(&str, &str)]) -> Request {
    Request {
        requirements: names.iter().map(|(n, r)| (id(n), spec(r))).collect(),
        ..Request::default()
    }
}

fn solved(r: Resolution) -> BTreeMap<String, String> {
    match r {
        Resolution::Solved(s) => s
            .packages
            .into_values()
            .map(|p| (p.name, p.version.to_string()))
            .collect(),
        Resolution::Unsatisfiable(c) => panic!("unsatisfiable:\n{c}"),
    }
}

fn conflict(r: Resolution) -> Conflict {
    match r {
        Resolution::Unsatisfiable(c) => c,
        Resolution::Solved(s) => panic!("solved: {:?}", s.versions()),
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn lines(c: &Conflict) -> Vec<String> {
    c.facts.iter().map(|f| f.to_string()).collect()
}

#[test]
fn weak_compat_applies_only_when_the_weak_dependency_is_installed() {
    let ix = index(&[
        ("A", "1.0.0", &[("B", "1", true)]),
        ("B", "1.0.0", &[]),
        ("B", "2.0.0", &[]),
    ]);
    // Not pulled in by the weak dependency.
    assert_eq!(
        solved(resolve(&ix, &require(&[("A", "*")])).unwrap()),
        map(&[("A", "1.0.0")])
    );
    // Installed for another reason: the compat holds it at 1.
    assert_eq!(
        solved(resolve(&ix, &require(&[("A", "*"), ("B", "*")])).unwrap()),
        map(&[("A", "1.0.0"), ("B", "1.0.0")])
    );
    let c = conflict(resolve(&ix, &require(&[("A", "*"), ("B", "2")])).unwrap());
    let text = lines(&c);
    assert!(
        text.contains(&"every version of A is compatible only with B 1, if installed".to_string()),
        "{text:?}"
    );
    assert!(c.blocked_by.is_empty());
}

#[test]
fn yanked_versions_are_never_chosen() {
    let mut ix = index(&[("B", "1.0.0", &[]), ("B", "1.1.0", &[])]);
    ix.yank(&id("B"), &v("1.1.0"));
    assert_eq!(
        solved(resolve(&ix, &require(&[("B", "*")])).unwrap()),
        map(&[("B", "1.0.0")])
    );
    let request = Request {
        fixed: vec![FixedPackage::registered(id("B"), v("1.1.0"))],
        ..Request::default()
    };
    let c = conflict(resolve(&ix, &request).unwrap());
    assert_eq!(lines(&c), ["B 1.1.0 is yanked"]);
    assert_eq!(c.blocked_by.len(), 1);
    assert_eq!(c.blocked_by[0].name, "B");
}

#[test]
fn julia_compat_is_checked_against_the_requested_julia() {
    let ix = index(&[
        ("X", "1.0.0", &[("julia", "1.6-1", false)]),
        ("X", "2.0.0", &[("julia", "1.11-1", false)]),
        ("Y", "1.0.0", &[("julia", "1.11-1", false)]),
        ("Y", "1.1.0", &[("julia", "1.12-1", false)]),
    ]);
    let mut request = require(&[("X", "*")]);
    request.julia_version = Some(v("1.10.4"));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("X", "1.0.0")])
    );
    request.julia_version = Some(v("1.11.0-rc1"));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("X", "2.0.0")])
    );
    // No Julia version: julia compat is ignored.
    request.julia_version = None;
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("X", "2.0.0")])
    );

    let mut request = require(&[("Y", "*")]);
    request.julia_version = Some(v("1.10.4"));
    let c = conflict(resolve(&ix, &request).unwrap());
    let text = lines(&c);
    assert!(text.contains(&"julia is 1.10.4".to_string()), "{text:?}");
    assert!(text.contains(&"Y is required".to_string()), "{text:?}");
    assert!(
        text.iter()
            .any(|l| l.starts_with("Y 1.0.0 requires julia 1.11")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|l| l.starts_with("Y 1.1.0 requires julia 1.12")),
        "{text:?}"
    );
}

#[test]
fn a_fixed_package_in_the_way_is_named_with_the_chain_that_reaches_it() {
    let ix = index(&[
        ("Makie", "0.21.0", &[("MakieCore", "0.8", false)]),
        ("Makie", "0.21.1", &[("MakieCore", "0.8", false)]),
        ("MakieCore", "0.8.0", &[("Observables", "0.5", false)]),
        ("MakieCore", "0.8.1", &[("Observables", "0.5", false)]),
        ("Observables", "0.4.0", &[]),
        ("Observables", "0.5.0", &[]),
    ]);
    let request = Request {
        fixed: vec![FixedPackage::registered(id("Observables"), v("0.4.0"))],
        requirements: vec![(id("Makie"), VersionSpec::any())],
        ..Request::default()
    };
    let c = conflict(resolve(&ix, &request).unwrap());
    let text = lines(&c);
    for want in [
        "every version of Makie depends on MakieCore 0.8",
        "every version of MakieCore depends on Observables 0.5",
        "Observables is fixed at 0.4.0",
        "Makie is required",
    ] {
        assert!(text.contains(&want.to_string()), "{want:?} not in {text:?}");
    }
    assert_eq!(
        c.blocked_by,
        [PackageVersion {
            uuid: id("Observables"),
            name: "Observables".into(),
            version: v("0.4.0"),
        }]
    );
    assert!(c.to_string().ends_with("blocked by: Observables 0.4.0\n"));

    // Without the fixed version it resolves, to the newest of everything.
    let mut free = request.clone();
    free.fixed.clear();
    assert_eq!(
        solved(resolve(&ix, &free).unwrap()),
        map(&[
            ("Makie", "0.21.1"),
            ("MakieCore", "0.8.1"),
            ("Observables", "0.5.0")
        ])
    );
    match newest_fit(&ix, &request, &id("Makie"), &VersionSpec::any()).unwrap() {
        Fit::None(c) => assert_eq!(c.blocked_by.len(), 1),
        Fit::Newest { version, .. } => panic!("nothing fits, got {version}"),
    }
}

#[test]
fn preferred_versions_are_kept_when_possible() {
    let ix = index(&[
        ("A", "1.0.0", &[("B", "1", false)]),
        ("A", "2.0.0", &[("B", "2", false)]),
        ("B", "1.0.0", &[]),
        ("B", "1.1.0", &[]),
        ("B", "2.0.0", &[]),
    ]);
    let mut request = require(&[("B", "*")]);
    request.preferred.insert(id("B"), v("1.0.0"));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("B", "1.0.0")])
    );
    // Adding A after B keeps B where it is (like Pkg's first tier, PRESERVE_ALL), with the
    // newest A that fits.
    request.requirements.push((id("A"), VersionSpec::any()));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("A", "1.0.0"), ("B", "1.0.0")])
    );
    // newest_fit puts A first: B moves.
    match newest_fit(&ix, &request, &id("A"), &VersionSpec::any()).unwrap() {
        Fit::Newest { version, solution } => {
            assert_eq!(version, v("2.0.0"));
            assert_eq!(solution.version(&id("B")), Some(&v("2.0.0")));
        }
        Fit::None(c) => panic!("{c}"),
    }
    // It ignores the package's own preference.
    match newest_fit(&ix, &request, &id("B"), &VersionSpec::any()).unwrap() {
        Fit::Newest { version, .. } => assert_eq!(version, v("2.0.0")),
        Fit::None(c) => panic!("{c}"),
    }
    // A preferred version that no longer fits gives way to the newest that does.
    let mut request = require(&[("A", "1"), ("B", "*")]);
    request.preferred.insert(id("B"), v("2.0.0"));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("A", "1.0.0"), ("B", "1.1.0")])
    );
}

#[test]
fn standard_libraries_are_packages_of_one_version() {
    let linear_algebra = parse_uuid("37e2e46d-f89d-539d-b4ee-838fcccc9c8e").unwrap();
    let test = parse_uuid("8dfed614-e22c-5e08-85e1-65c5234f0b40").unwrap();
    let mut ix = MemoryIndex::new();
    ix.add_version(id("S"), "S", v("1.0.0"));
    ix.add_dependency(
        id("S"),
        &v("1.0.0"),
        Dependency {
            uuid: linear_algebra,
            name: "LinearAlgebra".into(),
            spec: VersionSpec::any(),
            weak: false,
        },
    );
    ix.add_dependency(
        id("S"),
        &v("1.0.0"),
        Dependency {
            uuid: test,
            name: "Test".into(),
            spec: spec("1.12"),
            weak: false,
        },
    );
    let mut request = require(&[("S", "*")]);
    // Julia 1.12 ships Test 1.11.0, outside S's compat: Pkg 1.12 applies it.
    request.julia_version = Some(v("1.12.0"));
    let c = conflict(resolve(&ix, &request).unwrap());
    let text = lines(&c);
    assert!(
        text.contains(&"Test is a standard library, at 1.11.0".to_string()),
        "{text:?}"
    );
    // Julia 1.13's Pkg drops an incompatible compat entry on a versioned stdlib.
    request.julia_version = Some(v("1.13.0"));
    let s = match resolve(&ix, &request).unwrap() {
        Resolution::Solved(s) => s,
        Resolution::Unsatisfiable(c) => panic!("{c}"),
    };
    assert_eq!(s.version(&linear_algebra), Some(&v("1.13.0")));
    assert_eq!(s.version(&id("S")), Some(&v("1.0.0")));
    assert!(s.version(&test).is_none());
    // Without a Julia version, unregistered stdlibs are simply there.
    request.julia_version = None;
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("S", "1.0.0")])
    );
    request.requirements.push((test, spec("1.12")));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("S", "1.0.0")])
    );
    assert!(newest_fit(&ix, &request, &test, &VersionSpec::any()).is_err());
    // A requirement on a stdlib floats (Pkg's `unbind_stdlibs`).
    let mut request = Request {
        requirements: vec![(linear_algebra, spec("0.1"))],
        ..Request::default()
    };
    request.julia_version = Some(v("1.10.4"));
    let s = match resolve(&ix, &request).unwrap() {
        Resolution::Solved(s) => s,
        Resolution::Unsatisfiable(c) => panic!("{c}"),
    };
    assert_eq!(s.version(&linear_algebra), Some(&v("1.10.4")));
}

#[test]
fn unknown_packages() {
    let ix = index(&[
        ("X", "1.0.0", &[]),
        ("X", "2.0.0", &[("Ghost", "*", false)]),
    ]);
    // A dependency nobody knows only rules out the versions needing it.
    assert_eq!(
        solved(resolve(&ix, &require(&[("X", "*")])).unwrap()),
        map(&[("X", "1.0.0")])
    );
    let c = conflict(resolve(&ix, &require(&[("X", "2")])).unwrap());
    let text = lines(&c);
    assert!(
        text.iter()
            .any(|l| l.starts_with("Ghost [") && l.ends_with("is not in any registry")),
        "{text:?}"
    );
    // A requested package nobody knows is an error.
    let e = resolve(&ix, &require(&[("Ghost", "*")])).unwrap_err();
    assert!(e.to_string().contains("is not in any registry"), "{e}");
    // So is a required package without usable versions.
    let mut ix = ix.clone();
    ix.add_version(id("Gone"), "Gone", v("1.0.0"));
    ix.yank(&id("Gone"), &v("1.0.0"));
    let e = resolve(&ix, &require(&[("Gone", "*")])).unwrap_err();
    assert!(e.to_string().contains("Gone"), "{e}");
    assert!(e.to_string().contains("no usable"), "{e}");
}

#[test]
fn fixed_packages_with_dependencies_of_their_own() {
    let ix = index(&[
        ("A", "1.0.0", &[]),
        ("A", "2.0.0", &[]),
        ("W", "1.0.0", &[]),
        ("W", "2.0.0", &[]),
    ]);
    // The project itself, as Pkg models it: fixed, with its [deps] and [weakdeps] under its
    // [compat].
    let project = FixedPackage::with_dependencies(
        id("Project"),
        "MyProject",
        v("0.0.0"),
        vec![dep("A", "1", false), dep("W", "1", true)],
    );
    let mut request = Request {
        fixed: vec![project],
        ..Request::default()
    };
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("A", "1.0.0"), ("MyProject", "0.0.0")])
    );
    request.requirements.push((id("W"), VersionSpec::any()));
    assert_eq!(
        solved(resolve(&ix, &request).unwrap()),
        map(&[("A", "1.0.0"), ("MyProject", "0.0.0"), ("W", "1.0.0")])
    );
    request.requirements.push((id("A"), spec("2")));
    let c = conflict(resolve(&ix, &request).unwrap());
    assert_eq!(c.blocked_by.len(), 1);
    assert_eq!(c.blocked_by[0].to_string(), "MyProject 0.0.0");

    // A registered package needing another version of a package fixed with its own
    // dependencies (one the registry may not even have): the fixed package is in the way.
    let ix = index(&[("Makie", "0.21.0", &[("Observables", "0.5", false)])]);
    let request = Request {
        fixed: vec![FixedPackage::with_dependencies(
            id("Observables"),
            "Observables",
            v("0.4.0"),
            Vec::new(),
        )],
        requirements: vec![(id("Makie"), VersionSpec::any())],
        ..Request::default()
    };
    let c = conflict(resolve(&ix, &request).unwrap());
    let text = lines(&c);
    assert!(
        text.contains(&"Observables is fixed at 0.4.0".to_string()),
        "{text:?}"
    );
    assert_eq!(c.blocked_by[0].to_string(), "Observables 0.4.0");
}

#[test]
fn versions_that_can_never_be_installed() {
    let ix = index(&[
        ("A", "1.0.0", &[("B", "3", false)]),
        ("A", "2.0.0", &[("B", "1", false)]),
        ("B", "1.0.0", &[]),
    ]);
    let bad = never_installable(&ix, None, &[id("A")]).unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].to_string(), "A 1.0.0");
}

/// A registry directory `name` under `root` with one package, `Example`, whose files are given.
fn registry_dir(
    root: &std::path::Path,
    name: &str,
    files: &[(&str, &str)],
) -> crate::registry::Registry {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("E/Example")).unwrap();
    std::fs::write(
        dir.join("Registry.toml"),
        format!(
            "name = \"{name}\"\nuuid = \"{}\"\n[packages]\n{} = {{ name = \"Example\", path = \"E/Example\" }}\n",
            Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()),
            id("Example")
        ),
    )
    .unwrap();
    for (file, text) in files {
        std::fs::write(dir.join("E/Example").join(file), text).unwrap();
    }
    crate::registry::Registry::open_dir(&dir).unwrap()
}

#[test]
fn registry_index_merges_registries_and_reports_malformed_data() {
    let t = tempfile::tempdir().unwrap();
    let h = "git-tree-sha1 = \"1111111111111111111111111111111111111111\"";
    let a = id("A").to_string();
    let b = id("B").to_string();
    let first = registry_dir(
        t.path(),
        "First",
        &[
            (
                "Versions.toml",
                &format!("[\"0.1.0\"]\n{h}\n[\"0.2.0\"]\n{h}\nyanked = true\n"),
            ),
            ("Deps.toml", &format!("[\"0\"]\nA = \"{a}\"\n")),
            ("Compat.toml", "[\"0\"]\nA = \"1\"\njulia = \"1.6-1\"\n"),
        ],
    );
    let second = registry_dir(
        t.path(),
        "Second",
        &[
            ("Versions.toml", &format!("[\"0.2.0\"]\n{h}\n")),
            ("WeakDeps.toml", &format!("[\"0\"]\nB = \"{b}\"\n")),
            ("WeakCompat.toml", "[\"0\"]\nB = \"2\"\n"),
        ],
    );
    let index = RegistryIndex::new(vec![first, second]);
    let ex = id("Example");
    assert_eq!(index.uuids_named("Example"), [ex]);
    // 0.2.0 is yanked in the first registry only: usable, with the second's dependencies.
    assert_eq!(index.versions(&ex).unwrap(), [v("0.1.0"), v("0.2.0")]);
    assert!(!index.is_yanked(&ex, &v("0.2.0")));
    assert_eq!(
        index.dependencies(&ex, &v("0.2.0")).unwrap(),
        [Dependency {
            uuid: id("B"),
            name: "B".into(),
            spec: spec("2"),
            weak: true,
        }]
    );
    let deps = index.dependencies(&ex, &v("0.1.0")).unwrap();
    assert!(deps.contains(&dep("A", "1", false)), "{deps:?}");
    assert!(deps.contains(&dep("julia", "1.6-1", false)), "{deps:?}");

    let broken = registry_dir(
        t.path(),
        "Broken",
        &[
            ("Versions.toml", &format!("[\"0.1.0\"]\n{h}\n")),
            ("Deps.toml", &format!("[\"0\"]\nA = \"{a}\"\n")),
            ("Compat.toml", "[\"0\"]\nA = \"one\"\n"),
        ],
    );
    let index = RegistryIndex::new(vec![broken]);
    let e = resolve(&index, &require(&[("Example", "*")])).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("E/Example/Compat.toml:2:"), "{shown}");
}
