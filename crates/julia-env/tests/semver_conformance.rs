//! Pkg's "semver notation" test set (`shared/corpus/pkg-conformance/semver_tests.json`).

mod common;

use julia_env::compat::semver_spec;
use julia_env::version::VersionNumber;
use julia_env::version_spec::{VersionRange, VersionSpec};
use serde_json::Value;

fn load() -> Option<Value> {
    let dir = common::shared_dir("semver_conformance")?;
    let text =
        std::fs::read_to_string(dir.join("corpus/pkg-conformance/semver_tests.json")).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn every_semver_assertion_holds() {
    let Some(data) = load() else { return };
    let mut checked = 0;
    for case in data["equal_to_versionspec"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let want = VersionSpec::parse_ranges(strs(&case["versionspec_ranges"])).unwrap();
        assert_eq!(semver_spec(input).unwrap(), want, "semver_spec({input:?})");
        checked += 1;
    }
    for group in data["equivalent"].as_array().unwrap() {
        let specs: Vec<VersionSpec> = strs(group)
            .iter()
            .map(|s| semver_spec(s).unwrap())
            .collect();
        assert!(
            specs.windows(2).all(|w| w[0] == w[1]),
            "{group} should be equivalent"
        );
        checked += 1;
    }
    for case in data["membership"].as_array().unwrap() {
        let v = VersionNumber::parse(case["version"].as_str().unwrap()).unwrap();
        let spec = semver_spec(case["spec"].as_str().unwrap()).unwrap();
        assert_eq!(
            spec.contains(&v),
            case["expected"].as_bool().unwrap(),
            "{case}"
        );
        checked += 1;
    }
    for bad in strs(&data["invalid"]) {
        assert!(semver_spec(bad).is_err(), "{bad:?} must be rejected");
        checked += 1;
    }
    for case in data["print"].as_array().unwrap() {
        if let Some(x) = case.get("x") {
            let spec = VersionSpec::parse_range(x.as_str().unwrap()).unwrap();
            assert_eq!(
                semver_spec(&spec.to_string()).unwrap(),
                spec,
                "round trip of {x}"
            );
        } else {
            let r = VersionRange::parse(case["versionrange"].as_str().unwrap()).unwrap();
            assert_eq!(r.to_string(), case["printed"].as_str().unwrap());
        }
        checked += 1;
    }
    assert!(
        checked >= 115,
        "expected at least 115 assertions, checked {checked}"
    );
}
