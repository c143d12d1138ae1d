//! Test helpers: a fake `julia` that behaves like Julia at the process level, and a Julia
//! parser (tree-sitter-julia) for generated code.
#![allow(dead_code, unused_imports, unreachable_pub)]

use std::path::PathBuf;

use tree_sitter::{Node, Parser, Tree};

pub use testkit::{fake_julia, shared_dir, skip, HOST_CPU};

/// Parses Julia code.
pub fn parse_julia(code: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_julia::LANGUAGE.into())
        .expect("julia grammar loads");
    parser.parse(code, None).expect("parser returns a tree")
}

fn walk<'a>(node: Node<'a>, out: &mut Vec<Node<'a>>) {
    out.push(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, out);
    }
}

/// Every node of a tree.
pub fn nodes(tree: &Tree) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    walk(tree.root_node(), &mut out);
    out
}

/// Asserts that `code` parses without errors and holds no string interpolation.
pub fn assert_clean_julia(code: &str) {
    let tree = parse_julia(code);
    for n in nodes(&tree) {
        assert!(
            !n.is_error() && !n.is_missing(),
            "generated Julia does not parse at {:?}:\n{code}",
            n.start_position()
        );
        assert!(
            !n.kind().contains("interpolation"),
            "interpolation in generated Julia: {}",
            &code[n.byte_range()]
        );
    }
}

/// The facts of a Linux x86_64 julia at `/opt/julia`, as the probe would report them.
pub fn julia_info(version: &str, commit: &str, triplet: &str) -> sysimg::julia::JuliaInfo {
    sysimg::julia::JuliaInfo {
        args: Vec::new(),
        path: PathBuf::from("/opt/julia/bin/julia"),
        version: julia_env::version::VersionNumber::parse(version).unwrap(),
        commit: commit.into(),
        os: "linux".into(),
        arch: "x86_64".into(),
        libc: "glibc".into(),
        triplet: triplet.into(),
        cpu_name: "haswell".into(),
        cpu_features: vec![],
        depot_path: vec![],
        bindir: "/opt/julia/bin".into(),
        default_image: "/opt/julia/lib/julia/sys.so".into(),
        sysimage_target: String::new(),
    }
}
