//! The resolver against Pkg's own resolver tests (`test/resolve.jl`, translated to JSON in
//! `shared/corpus/pkg-conformance/`).
//!
//! Pkg's harness (`test/resolve_utils.jl`): each package's UUID is `uuid5(cfb74b52-…, name)`;
//! a `deps` row declares a version and, optionally, one dependency with a spec in registry range
//! syntax (`VersionSpec(ranges...)`), weak or not; `resolve_tst` passes iff Pkg's result
//! *equals* `want` (every installed package, nothing else) and `@test_throws ResolverError`
//! means unsatisfiable; `sanity_tst` passes iff the versions that can never be installed
//! (restricted to what the `sources` reach, all packages when empty) are exactly
//! `expected_problematic`. Julia is fixed at `VERSION` with no dependents, which is the same as
//! no Julia here.
// It reports what it measured or found: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use julia_env::ids::Uuid;
use julia_env::resolve::{
    never_installable, newest_fit, resolve, Dependency, Fit, MemoryIndex, PackageIndex, Request,
    Resolution,
};
use julia_env::version::VersionNumber;
use julia_env::version_spec::VersionSpec;
use serde_json::Value;

fn pkg_uuid(name: &str) -> Uuid {
    let ns = Uuid::parse_str("cfb74b52-ec16-5bb7-a574-95d9e393895e").unwrap();
    Uuid::new_v5(&ns, name.as_bytes())
}

fn version(v: &Value) -> VersionNumber {
    VersionNumber::parse(v.as_str().unwrap()).unwrap()
}

/// `VersionSpec(ranges...)`; an element may itself be a list (`VersionSpec(["0.1", "1"])`).
fn spec(ranges: &Value) -> VersionSpec {
    let mut flat = Vec::new();
    for r in ranges.as_array().unwrap() {
        match r {
            Value::Array(inner) => flat.extend(inner.iter().map(|s| s.as_str().unwrap())),
            other => flat.push(other.as_str().unwrap()),
        }
    }
    VersionSpec::parse_ranges(flat).unwrap()
}

/// Pkg's `graph_from_data`.
fn index_of(deps: &Value) -> (MemoryIndex, BTreeMap<Uuid, String>) {
    let mut index = MemoryIndex::new();
    let mut names = BTreeMap::new();
    for row in deps.as_array().unwrap() {
        let name = row["pkg"].as_str().unwrap();
        let uuid = pkg_uuid(name);
        names.insert(uuid, name.to_string());
        let v = version(&row["version"]);
        index.add_version(uuid, name, v.clone());
        if let Some(dep) = row.get("dep").and_then(Value::as_str) {
            index.add_dependency(
                uuid,
                &v,
                Dependency {
                    uuid: pkg_uuid(dep),
                    name: dep.to_string(),
                    spec: spec(&row["ranges"]),
                    weak: row["weak"].as_bool().unwrap_or(false),
                },
            );
        }
    }
    (index, names)
}

fn request_of(reqs: &Value) -> Request {
    Request {
        requirements: reqs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (pkg_uuid(r["pkg"].as_str().unwrap()), spec(&r["ranges"])))
            .collect(),
        ..Request::default()
    }
}

fn want_of(want: &Value) -> BTreeMap<Uuid, VersionNumber> {
    want.as_object()
        .map(|m| m.iter().map(|(k, v)| (pkg_uuid(k), version(v))).collect())
        .unwrap_or_default()
}

fn problematic_of(list: &Value) -> BTreeSet<(String, VersionNumber)> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|p| (p[0].as_str().unwrap().to_string(), version(&p[1])))
                .collect()
        })
        .unwrap_or_default()
}

/// One case's outcome.
#[derive(Default)]
struct Tally {
    sat_total: usize,
    sat_agree: usize,
    versions_total: usize,
    versions_agree: usize,
    sanity_total: usize,
    sanity_agree: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn resolve_case(
        &mut self,
        label: &str,
        index: &MemoryIndex,
        names: &BTreeMap<Uuid, String>,
        request: &Request,
        expect_ok: bool,
        want: Option<BTreeMap<Uuid, VersionNumber>>,
    ) {
        let got = resolve(index, request).unwrap_or_else(|e| panic!("{label}: {e}"));
        self.sat_total += 1;
        let show = |m: &BTreeMap<Uuid, VersionNumber>| {
            m.iter()
                .map(|(u, v)| format!("{}={v}", names[u]))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match (&got, expect_ok) {
            (Resolution::Solved(s), true) => {
                self.sat_agree += 1;
                if let Some(want) = want {
                    self.versions_total += 1;
                    let got = s.versions();
                    if got == want {
                        self.versions_agree += 1;
                    } else {
                        self.disagreements.push(format!(
                            "{label}: versions: got {} want {}",
                            show(&got),
                            show(&want)
                        ));
                    }
                }
            }
            (Resolution::Unsatisfiable(c), false) => {
                self.sat_agree += 1;
                assert!(
                    !c.facts.is_empty(),
                    "{label}: an unsat answer explains itself"
                );
            }
            (Resolution::Solved(s), false) => self.disagreements.push(format!(
                "{label}: solved ({}) but Pkg finds no solution",
                show(&s.versions())
            )),
            (Resolution::Unsatisfiable(c), true) => self
                .disagreements
                .push(format!("{label}: unsatisfiable but Pkg solves it:\n{c}")),
        }
    }

    fn sanity_case(
        &mut self,
        label: &str,
        index: &MemoryIndex,
        roots: &[Uuid],
        expected: BTreeSet<(String, VersionNumber)>,
    ) {
        self.sanity_total += 1;
        let got: BTreeSet<(String, VersionNumber)> = never_installable(index, None, roots)
            .unwrap_or_else(|e| panic!("{label}: {e}"))
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        if got == expected {
            self.sanity_agree += 1;
        } else {
            let extra: Vec<_> = got.difference(&expected).collect();
            let missing: Vec<_> = expected.difference(&got).collect();
            self.disagreements.push(format!(
                "{label}: sanity: also reported {extra:?}, not reported {missing:?}"
            ));
        }
    }
}

/// Cases where Pkg's MaxSum optimum differs from PubGrub's greedy answer (label → reason).
/// Both answers are valid solutions; only the choice among them differs.
const KNOWN_VERSION_DIFFERENCES: &[(&str, &str)] = &[(
    "realistic 2",
    "StochasticDiffEq 6.37.0 needs RandomNumbers 1.4, 6.36.0 allows any 1.x: PubGrub takes the \
     newest StochasticDiffEq (6.37.0, so RandomNumbers 1.4.0); Pkg's MaxSum sums the versions of \
     all packages component by component, finds the minors tied (37 + 4 = 36 + 5) and the \
     patches higher with 6.36.0 + 1.5.3 (0 + 3 > 0 + 0), and takes that pair",
)];

fn run_schemes(shared: &Path, tally: &mut Tally) {
    let text = std::fs::read_to_string(shared.join("corpus/pkg-conformance/resolve_schemes.json"))
        .unwrap();
    let schemes: Value = serde_json::from_str(&text).unwrap();
    for scheme in schemes.as_array().unwrap() {
        let id = scheme["scheme"]["id"].as_u64().unwrap();
        let (index, names) = index_of(&scheme["deps"]);
        for (t, test) in scheme["tests"].as_array().unwrap().iter().enumerate() {
            let label = format!("scheme {id} test {}", t + 1);
            match test["kind"].as_str().unwrap() {
                "resolve" => tally.resolve_case(
                    &label,
                    &index,
                    &names,
                    &request_of(&test["reqs"]),
                    test["expect"] == "ok",
                    (!test["want"].is_null()).then(|| want_of(&test["want"])),
                ),
                "sanity" => {
                    let sources: Vec<Uuid> = test["sources"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| pkg_uuid(s.as_str().unwrap()))
                        .collect();
                    let roots = if sources.is_empty() {
                        names.keys().copied().collect()
                    } else {
                        sources
                    };
                    tally.sanity_case(
                        &label,
                        &index,
                        &roots,
                        problematic_of(&test["expected_problematic"]),
                    );
                }
                other => panic!("{label}: unknown kind {other}"),
            }
        }
    }
}

fn run_realistic(shared: &Path, tally: &mut Tally, n: usize) {
    let path = shared.join(format!("corpus/pkg-conformance/resolve_realistic{n}.json"));
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (index, names) = index_of(&case["deps"]);
    let label = format!("realistic {n}");
    let expect_ok = case["expect"] == "ok";
    tally.resolve_case(
        &label,
        &index,
        &names,
        &request_of(&case["reqs"]),
        expect_ok,
        expect_ok.then(|| want_of(&case["want"])),
    );
    let roots: Vec<Uuid> = names.keys().copied().collect();
    tally.sanity_case(
        &label,
        &index,
        &roots,
        problematic_of(&case["expected_problematic"]),
    );
}

#[test]
fn agrees_with_pkgs_resolver_tests() {
    let Some(shared) = common::shared_dir("agrees_with_pkgs_resolver_tests") else {
        return;
    };
    let mut tally = Tally::default();
    run_schemes(&shared, &mut tally);
    for n in 1..=4 {
        run_realistic(&shared, &mut tally, n);
    }
    eprintln!(
        "resolve conformance: {}/{} agree on sat, {}/{} on versions, {}/{} sanity checks agree",
        tally.sat_agree,
        tally.sat_total,
        tally.versions_agree,
        tally.versions_total,
        tally.sanity_agree,
        tally.sanity_total
    );
    let unexpected: Vec<&String> = tally
        .disagreements
        .iter()
        .filter(|d| {
            !KNOWN_VERSION_DIFFERENCES
                .iter()
                .any(|(label, _)| d.starts_with(&format!("{label}: versions:")))
        })
        .collect();
    for d in &tally.disagreements {
        eprintln!("  {d}");
    }
    assert!(unexpected.is_empty(), "{} disagreements", unexpected.len());
    for (label, _) in KNOWN_VERSION_DIFFERENCES {
        assert!(
            tally
                .disagreements
                .iter()
                .any(|d| d.starts_with(&format!("{label}: versions:"))),
            "{label} now agrees with Pkg: take it off KNOWN_VERSION_DIFFERENCES"
        );
    }
    assert_eq!(tally.sat_agree, tally.sat_total);
    assert_eq!(
        tally.versions_agree + KNOWN_VERSION_DIFFERENCES.len(),
        tally.versions_total
    );
    assert_eq!(tally.sanity_agree, tally.sanity_total);
    // Pkg's suite: 15 schemes with 72 tests, plus 4 realistic cases with a resolve and a
    // sanity check each.
    assert_eq!(tally.sat_total + tally.sanity_total, 72 + 8);
}

/// `newest_fit` finds, in one resolve, the version that trying each version newest first finds.
#[test]
fn newest_fit_agrees_with_trying_each_version() {
    let Some(shared) = common::shared_dir("newest_fit_agrees_with_trying_each_version") else {
        return;
    };
    let text = std::fs::read_to_string(shared.join("corpus/pkg-conformance/resolve_schemes.json"))
        .unwrap();
    let schemes: Value = serde_json::from_str(&text).unwrap();
    let mut cases: Vec<(String, MemoryIndex, BTreeMap<Uuid, String>, Request)> = Vec::new();
    for scheme in schemes.as_array().unwrap() {
        let id = scheme["scheme"]["id"].as_u64().unwrap();
        let (index, names) = index_of(&scheme["deps"]);
        cases.push((
            format!("scheme {id}, no requirement"),
            index.clone(),
            names.clone(),
            Request::default(),
        ));
        for (t, test) in scheme["tests"].as_array().unwrap().iter().enumerate() {
            if test["kind"] == "resolve" {
                let label = format!("scheme {id} test {}", t + 1);
                cases.push((
                    label,
                    index.clone(),
                    names.clone(),
                    request_of(&test["reqs"]),
                ));
            }
        }
    }
    let path = shared.join("corpus/pkg-conformance/resolve_realistic2.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (index, names) = index_of(&case["deps"]);
    cases.push((
        "realistic 2".into(),
        index,
        names,
        request_of(&case["reqs"]),
    ));

    let mut checked = 0;
    for (label, index, names, request) in &cases {
        for (uuid, name) in names {
            let got = match newest_fit(index, request, uuid, &VersionSpec::any()).unwrap() {
                Fit::Newest { version, solution } => {
                    assert_eq!(solution.version(uuid), Some(&version));
                    Some(version)
                }
                Fit::None(conflict) => {
                    assert!(!conflict.facts.is_empty(), "{label}: {name}: explained");
                    None
                }
            };
            let mut want = None;
            for v in index.versions(uuid).unwrap().into_iter().rev() {
                let mut r = request.clone();
                r.fixed.push(julia_env::resolve::FixedPackage::registered(
                    *uuid,
                    v.clone(),
                ));
                if let Resolution::Solved(_) = resolve(index, &r).unwrap() {
                    want = Some(v);
                    break;
                }
            }
            assert_eq!(got, want, "{label}: newest {name}");
            checked += 1;
        }
    }
    eprintln!("newest_fit: {checked} (case, package) pairs agree with trying each version");
}

/// Every corpus environment, against the General snapshot: with every Manifest package fixed at
/// its version and every direct dependency required, the resolve succeeds and installs exactly
/// the Manifest's packages at the Manifest's versions.
///
/// The snapshot (April 2024) is older than most of these Manifests, so many of their versions
/// are not in it. Such a package is fixed with the dependencies its Manifest entry lists (at
/// any version), like a package tracked by path or repository; the packages whose versions
/// the snapshot has are fixed with the registry's own dependencies and compat, which the
/// resolve then checks against every other package's version.
#[test]
fn corpus_manifests_resolve_to_themselves_against_general() {
    use julia_env::registry::Registry;
    use julia_env::resolve::RegistryIndex;
    use julia_env::stdlib;

    let Some(shared) = common::shared_dir("corpus_manifests_resolve_to_themselves_against_general")
    else {
        return;
    };
    let general = Registry::open_compressed(&shared.join("registries/General.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let index = RegistryIndex::new(vec![general]);
    let (mut envs, mut resolved, mut skipped) = (0, 0, 0);
    let mut total = common::FixedCounts::default();
    for env in common::corpus_environments(&shared) {
        let label = env.file_name().unwrap().to_string_lossy().into_owned();
        let Some((request, want, counts)) = common::manifest_request(&index, &env) else {
            eprintln!("{label}: no Julia version with a stdlib table, skipped");
            skipped += 1;
            continue;
        };
        envs += 1;
        total.from_registry += counts.from_registry;
        total.from_manifest += counts.from_manifest;
        total.tracked += counts.tracked;
        total.stdlibs += counts.stdlibs;
        let julia = request.julia_version.clone().unwrap();
        match resolve(&index, &request).unwrap_or_else(|e| panic!("{label}: {e}")) {
            Resolution::Solved(s) => {
                let got: BTreeMap<Uuid, VersionNumber> = s
                    .versions()
                    .into_iter()
                    .filter(|(u, _)| !stdlib::is_fixed_stdlib(u, &julia))
                    .collect();
                assert_eq!(got, want, "{label}: the solution is the Manifest");
                resolved += 1;
            }
            Resolution::Unsatisfiable(c) => panic!("{label}: unsatisfiable:\n{c}"),
        }
    }
    eprintln!(
        "General snapshot: {resolved}/{envs} corpus environments resolve to their Manifests \
         ({skipped} skipped); fixed with registry data: {} packages, with Manifest data \
         (version newer than the snapshot): {}, tracked by path or repository: {}; stdlib \
         entries left to the resolver: {}",
        total.from_registry, total.from_manifest, total.tracked, total.stdlibs
    );
    assert_eq!(resolved, envs);
    assert!(
        envs >= 30 && total.from_registry > 1000,
        "{envs} environments, {total:?}"
    );
}
