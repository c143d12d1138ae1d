//! The standard-library table against a real Julia's own standard libraries
//! (`SYSIMG_TEST_JULIA`; 1.5.3 in CI): every stdlib that julia ships is in the table for its
//! version, with the same UUID, and the table lists nothing that julia lacks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use julia_env::stdlib::stdlibs_for;
use julia_env::version::VersionNumber;

#[test]
fn the_table_matches_the_real_julias_stdlib_directory() {
    let Some(julia) = testkit::test_julia_or_skip() else {
        return;
    };
    let o = Command::new(&julia)
        .args([
            "--startup-file=no",
            "-e",
            "print(VERSION, \"\\n\", Sys.STDLIB)",
        ])
        .output()
        .expect("julia runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let (version, dir) = text.split_once('\n').unwrap();
    let version = VersionNumber::parse(version).unwrap();
    let mut shipped = BTreeMap::new();
    for entry in std::fs::read_dir(PathBuf::from(dir)).unwrap() {
        let project = entry.unwrap().path().join("Project.toml");
        let Ok(text) = std::fs::read_to_string(&project) else {
            continue;
        };
        let doc: toml_edit::DocumentMut = text.parse().unwrap();
        let name = doc["name"].as_str().unwrap().to_string();
        let uuid = doc["uuid"].as_str().unwrap().to_string();
        let version = doc
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        shipped.insert(name, (uuid, version));
    }
    assert!(shipped.len() > 20, "{shipped:?}");
    let table = stdlibs_for(&version).unwrap_or_else(|| panic!("no table for Julia {version}"));
    let listed: BTreeMap<String, (String, Option<String>)> = table
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                (
                    s.uuid.to_string(),
                    s.version.as_ref().map(ToString::to_string),
                ),
            )
        })
        .collect();
    for (name, (uuid, version)) in &shipped {
        let (t_uuid, t_version) = listed
            .get(name)
            .unwrap_or_else(|| panic!("{name} ships with julia but is not in the table"));
        assert_eq!(uuid, t_uuid, "{name}");
        // The table leaves a version out where it varies by patch release (Pkg on 1.5).
        if t_version.is_some() {
            assert_eq!(version, t_version, "{name}");
        }
    }
    for name in listed.keys() {
        assert!(
            shipped.contains_key(name),
            "{name} is in the table, not in julia"
        );
    }
}
