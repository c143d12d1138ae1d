//! The structure checks find what they must (each fixture is a small crate written to a
//! temporary directory), and the workspace itself passes them.

use std::path::Path;

use house_check::{check_crate_root, check_workspace, Problem};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn problems(files: &[(&str, &str)], independent: &[&str]) -> Vec<Problem> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    check_crate_root(&dir.path().join("src/lib.rs"), independent).unwrap()
}

#[test]
fn a_cycle_through_three_modules_is_found_with_where_each_use_is() {
    let found = problems(
        &[
            (
                "src/lib.rs",
                "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n",
            ),
            ("src/a.rs", "use crate::b::B;\npub struct A(B);\n"),
            ("src/b/mod.rs", "pub mod inner;\npub struct B;\n"),
            ("src/b/inner.rs", "pub fn f() { super::super::c::g() }\n"),
            (
                "src/c.rs",
                "pub fn g() {\n    let _ = crate::a::A(crate::b::B);\n}\n",
            ),
            ("src/d.rs", "use crate::a::A;\n"),
        ],
        &[],
    );
    let [Problem::ModuleCycle {
        scope,
        members,
        edges,
        ..
    }] = found.as_slice()
    else {
        panic!("one cycle expected: {found:?}");
    };
    assert_eq!(scope, "crate");
    assert_eq!(members, &["a", "b", "c"]);
    let described: Vec<String> = edges
        .iter()
        .map(|(a, b, at)| {
            let file = at.file.file_name().unwrap().to_string_lossy();
            format!("{a}->{b} {file}:{}", at.line)
        })
        .collect();
    assert_eq!(described, ["a->b a.rs:1", "b->c inner.rs:1", "c->a c.rs:2"]);
}

#[test]
fn a_cycle_of_nested_modules_is_found_under_their_parent() {
    let found = problems(
        &[
            (
                "src/lib.rs",
                "mod outer {\n    pub mod x;\n    pub mod y;\n}\n",
            ),
            ("src/outer/x.rs", "pub use super::y::Y;\npub struct X;\n"),
            (
                "src/outer/y.rs",
                "pub struct Y;\nfn f() -> self::super::x::X { todo!() }\n",
            ),
        ],
        &[],
    );
    assert!(
        matches!(found.as_slice(), [Problem::ModuleCycle { scope, .. }] if scope == "crate::outer"),
        "{found:?}"
    );
}

#[test]
fn paths_in_macros_count() {
    let found = problems(
        &[
            ("src/lib.rs", "pub mod a;\npub mod b;\n"),
            ("src/a.rs", "pub fn f() { crate::b::g() }\n"),
            (
                "src/b.rs",
                "pub fn g() { println!(\"{}\", $crate::a::f()) }\n",
            ),
        ],
        &[],
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn parents_children_and_a_function_named_like_a_module_are_not_cycles() {
    let found = problems(
        &[
            (
                "src/lib.rs",
                "pub mod commands;\npub fn helper() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
            ),
            (
                "src/commands/mod.rs",
                "mod build;\nmod store;\npub fn run() { build::run() }\npub fn store() {}\n",
            ),
            // `super::store()` is the function in commands/mod.rs, not the module beside.
            ("src/commands/build.rs", "pub fn run() { super::store(); crate::helper() }\n"),
            ("src/commands/store.rs", "pub fn ls() { super::build::run() }\n"),
        ],
        &[],
    );
    assert_eq!(found, Vec::new());
}

#[test]
fn independent_modules_may_not_use_each_other_at_all() {
    let files = [
        ("src/lib.rs", "pub mod commands;\n"),
        ("src/commands/mod.rs", "mod build;\nmod launch;\n"),
        ("src/commands/build.rs", "pub fn run() {}\n"),
        (
            "src/commands/launch.rs",
            "use super::build;\npub fn run() { build::run() }\n",
        ),
    ];
    assert_eq!(problems(&files, &[]), Vec::new());
    let found = problems(&files, &["crate::commands"]);
    assert!(
        matches!(found.as_slice(), [Problem::Dependent { from, to, .. }]
            if from == "crate::commands::launch" && to == "crate::commands::build"),
        "{found:?}"
    );
}

#[test]
fn a_crate_cycle_through_a_dev_dependency_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let package = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n{deps}\n")
    };
    write(
        dir.path(),
        &[
            ("Cargo.toml", "[workspace]\nmembers = [\"one\", \"two\"]\n"),
            (
                "one/Cargo.toml",
                &package("one", "[dependencies]\ntwo = { path = \"../two\" }"),
            ),
            (
                "two/Cargo.toml",
                &package(
                    "two",
                    "[dev-dependencies]\nuno = { path = \"../one\", package = \"one\" }",
                ),
            ),
            ("one/src/lib.rs", ""),
            ("two/src/lib.rs", ""),
        ],
    );
    let found = check_workspace(dir.path()).unwrap();
    assert_eq!(
        found,
        [Problem::CrateCycle {
            crates: vec!["one".into(), "two".into()]
        }]
    );
}

#[test]
fn the_workspace_has_no_module_or_crate_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = check_workspace(&root).unwrap();
    let text: String = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{text}");
}
