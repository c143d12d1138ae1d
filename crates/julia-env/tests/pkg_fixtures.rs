//! Pkg's own test fixtures (`shared/corpus/pkg-fixtures`): every bad file is rejected with the
//! message Pkg gives, every good and format file is read and round-trips.

mod common;

use std::path::Path;

use julia_env::flavor::PkgFlavor;
use julia_env::project::Project;

/// What each bad project fixture must say (from Pkg's `test/new.jl`).
const BAD_PROJECTS: &[(&str, &str)] = &[
    ("bad_deps_uuid", "Malformed value for `REPL` in `deps` section."),
    ("bad_uuid", "Could not parse project UUID as a UUID"),
    ("bad_uuid2", "Expected project UUID to be a string"),
    ("bad_version", "Could not parse project version as a version"),
    ("bad_version2", "Expected project version to be a string"),
    ("compat_entry_not_a_version", "Could not parse compatibility version spec \"not a version\" for dependency `REPL`"),
    ("compat_not_a_table", "Expected `compat` section to be a key-value list"),
    ("compat_unlisted", "Compat `Unlisted` not listed in `deps`, `weakdeps` or `extras` section"),
    ("deps_is_not_a_table", "Expected `deps` section to be a key-value list"),
    ("parse_error", "Could not parse project:"),
    ("repeated_extras_uuid", "Two different `extra` dependencies can not have the same uuid"),
    ("repeated_uuid", "Two different dependencies can not have the same uuid"),
    ("target_entry_not_a_list", "Expected value for target `test` to be a list of dependency names."),
    ("target_entry_twice", "A dependency was named twice in target `test`"),
    ("targets_not_a_table", "Expected `targets` section to be a key-value list"),
    ("unlisted_targets", "Dependency `Unlisted` in target `test` not listed in `deps`, `weakdeps` or `extras` section"),
];

fn toml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn bad_projects_are_rejected_with_pkgs_message() {
    let Some(shared) = common::shared_dir("bad_projects_are_rejected_with_pkgs_message") else {
        return;
    };
    let dir = shared.join("corpus/pkg-fixtures/project/bad");
    let files = toml_files(&dir);
    assert_eq!(
        files.len(),
        BAD_PROJECTS.len(),
        "a bad fixture without an expected message"
    );
    for file in files {
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let want = BAD_PROJECTS
            .iter()
            .find(|(n, _)| *n == stem)
            .unwrap_or_else(|| panic!("no expectation for {stem}"))
            .1;
        let err = Project::read(&file).expect_err(stem);
        let text = err.to_string();
        assert!(text.contains(want), "{stem}: {text}");
        assert!(
            text.starts_with(&file.display().to_string()),
            "{stem}: error must name the file: {text}"
        );
        if stem != "compat_not_a_table"
            && stem != "deps_is_not_a_table"
            && stem != "targets_not_a_table"
        {
            assert!(
                err.location().and_then(|l| l.line).is_some(),
                "{stem}: error must name a line: {text}"
            );
        }
    }
}

#[test]
fn good_projects_round_trip() {
    let Some(shared) = common::shared_dir("good_projects_round_trip") else {
        return;
    };
    for file in toml_files(&shared.join("corpus/pkg-fixtures/project/good")) {
        let p = Project::read(&file).unwrap_or_else(|e| panic!("{e}"));
        let written = p.to_pkg_toml(PkgFlavor::LATEST);
        let again = Project::parse(&file, &written)
            .unwrap_or_else(|e| panic!("{}: {e}\n{written}", file.display()));
        assert_eq!(again.name, p.name);
        assert_eq!(again.uuid, p.uuid);
        assert_eq!(again.version, p.version);
        assert_eq!(again.all_deps(), p.all_deps());
        assert_eq!(again.compat, p.compat);
        assert_eq!(again.extras, p.extras);
        assert_eq!(again.targets, p.targets);
        assert_eq!(again.raw, p.raw, "{}", file.display());
    }
}

/// What each bad manifest fixture must say (from Pkg's `test/new.jl`).
const BAD_MANIFESTS: &[(&str, &str)] = &[
    ("ambiguous_dep", "dependency on `Pkg` is ambiguous"),
    ("bad_dep_name", "has name `Pkg2`"),
    ("duplicate_deps", "Duplicate entry in"),
    ("inconsistent_dep", "has name `Markdown`"),
    (
        "inconsistent_dep2",
        "but no such entry exists in the manifest",
    ),
    (
        "malformed_field",
        "Expected field `git-tree-sha1` to be a String.",
    ),
    (
        "malformed_tree_sha2",
        "Expected field `git-tree-sha1` to be a String.",
    ),
    (
        "malformed_tree_sha",
        "Could not parse `git-tree-sha1` field as a SHA.",
    ),
    ("malformed_path", "Expected field `path` to be a String."),
    (
        "malformed_pinned",
        "Expected field `pinned` to be a Boolean.",
    ),
    ("string_pinned", "Expected field `pinned` to be a Boolean."),
    (
        "malformed_repo_rev",
        "Expected field `repo-rev` to be a String.",
    ),
    (
        "malformed_repo_url",
        "Expected field `repo-url` to be a String.",
    ),
    ("malformed_uuid", "Could not parse `uuid` field as a UUID."),
    (
        "malformed_version",
        "Could not parse `version` as a `VersionNumber`.",
    ),
    (
        "missing_dep",
        "depends on `DoesNotExist`, but no such entry exists in the manifest.",
    ),
    (
        "missing_entry",
        "depends on `Serialization`, but no such entry exists in the manifest.",
    ),
    ("parse_error", "Could not parse manifest:"),
];

#[test]
fn bad_manifests_are_rejected_with_pkgs_message() {
    use julia_env::manifest::Manifest;
    let Some(shared) = common::shared_dir("bad_manifests_are_rejected_with_pkgs_message") else {
        return;
    };
    let files = toml_files(&shared.join("corpus/pkg-fixtures/manifest/bad"));
    assert_eq!(files.len(), BAD_MANIFESTS.len());
    for file in files {
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let want = BAD_MANIFESTS
            .iter()
            .find(|(n, _)| *n == stem)
            .unwrap_or_else(|| panic!("no expectation for {stem}"))
            .1;
        let err = Manifest::read(&file).expect_err(stem);
        let text = err.to_string();
        assert!(text.contains(want), "{stem}: {text}");
        let loc = err
            .location()
            .unwrap_or_else(|| panic!("{stem}: no location"));
        assert_eq!(loc.path, file);
        assert!(loc.line.is_some(), "{stem}: error must name a line: {text}");
    }
}

#[test]
fn good_and_format_manifests_read_and_round_trip() {
    use julia_env::manifest::Manifest;
    let Some(shared) = common::shared_dir("good_and_format_manifests_read_and_round_trip") else {
        return;
    };
    let base = shared.join("corpus/pkg-fixtures/manifest");
    let mut files = toml_files(&base.join("good"));
    for dir in [
        "formats/v1.0",
        "formats/v2.0",
        "formats/v2.1",
        "formats/v3.0_unknown",
        "old",
        "noproject",
        "unpruned",
        "yanked",
    ] {
        files.push(base.join(dir).join("Manifest.toml"));
    }
    for file in files {
        let m = Manifest::read(&file).unwrap_or_else(|e| panic!("{e}"));
        let written = m.to_pkg_toml();
        let again = Manifest::parse(&file, &written)
            .unwrap_or_else(|e| panic!("{}: {e}\n{written}", file.display()));
        assert_eq!(again.entries.len(), m.entries.len(), "{}", file.display());
        for (a, b) in m.entries.iter().zip(&again.entries) {
            assert_eq!(
                (a.uuid, &a.version, a.tree_hash, a.pinned),
                (b.uuid, &b.version, b.tree_hash, b.pinned)
            );
        }
        assert_eq!(
            again.other,
            m.other,
            "{}: unknown top-level keys must survive",
            file.display()
        );
        assert_eq!(
            again.to_pkg_toml(),
            written,
            "{}: writing is stable",
            file.display()
        );
    }
    let unknown = Manifest::read(&base.join("formats/v3.0_unknown/Manifest.toml")).unwrap();
    assert!(!unknown.format_is_known());
    let v21 = Manifest::read(&base.join("formats/v2.1/Manifest.toml")).unwrap();
    assert_eq!(
        v21.entries
            .iter()
            .find(|e| e.name == "Example")
            .unwrap()
            .registries,
        ["General"]
    );
    assert!(v21.other.get("registries").is_some());
}
