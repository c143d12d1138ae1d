//! Learned statements are signatures and nothing else (issue 23, item 1): a trace line that
//! would run code is dropped and counted, what passes is (by tree-sitter-julia) one call of
//! `precompile` whose one argument is a `Tuple{...}` type, and on a real julia the learned
//! file runs nothing a hostile trace wrote.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use common::parse_julia;
use sysimg::learn::merge;
use sysimg::signature::parse;
use tree_sitter::Node;

/// A real Julia 1.5.3 `--trace-compile` of a standard-library workload.
const REAL_TRACE: &str = include_str!("fixtures/trace-julia-1.5.3.jl");

/// Trace lines that would run code (`MARKER` is replaced with a file to create).
const HOSTILE: &[&str] = &[
    "precompile(Base.run(Base.Cmd([\"touch\", \"MARKER\"])))",
    "precompile(run(`touch MARKER`))",
    "precompile(Tuple{typeof(Base.sum), Array{Int64, 1}}); Base.run(`touch MARKER`)",
    "precompile(Tuple{Base.Val{Base.run(`touch MARKER`)}})",
    "precompile(Tuple{Base.Val{Symbol(\"$(Base.run(`touch MARKER`))\")}})",
    "precompile(Tuple{Base.Val{cmd\"touch MARKER\"}})",
    "precompile(Tuple{Base.Val{:($(Base.run(`touch MARKER`)))}})",
    "precompile(Tuple{typeof(Base.run(`touch MARKER`))})",
    "Base.run(`touch MARKER`)",
    "precompile(Tuple{Int64}) # ok\rBase.run(`touch MARKER`)",
];

const GOOD: &[&str] = &[
    "precompile(Tuple{typeof(Base.sum), Array{Int64, 1}})",
    "precompile(Tuple{typeof(Base.show), Base.PipeEndpoint, Base.Multimedia.MIME{Symbol(\"text/plain\")}, Array{Float64, 2}})",
];

fn write_trace(dir: &std::path::Path, marker: &std::path::Path) -> PathBuf {
    let mut text = String::new();
    for l in HOSTILE.iter().chain(GOOD) {
        text.push_str(&l.replace("MARKER", &marker.display().to_string()));
        text.push('\n');
    }
    let trace = dir.join("session.jl");
    std::fs::write(&trace, text).unwrap();
    trace
}

#[test]
fn every_line_of_a_real_julia_15_trace_is_a_signature() {
    let lines: Vec<&str> = REAL_TRACE.lines().collect();
    assert_eq!(lines.len(), 82);
    for l in lines {
        let s = parse(l).unwrap_or_else(|| panic!("not parsed: {l}"));
        assert_eq!(s.statement, l);
        assert_signature_by_tree_sitter(l);
    }
}

#[test]
fn a_hostile_trace_is_dropped_and_counted() {
    let t = tempfile::tempdir().unwrap();
    let trace = write_trace(t.path(), &t.path().join("pwned"));
    let learned = merge(&[trace], &HashSet::new(), 100);
    let kept: Vec<&str> = learned.statements.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(kept, [GOOD[1], GOOD[0]], "{learned:?}");
    assert_eq!(learned.rejected, HOSTILE.len(), "{learned:?}");
    assert!(!learned.text().contains("run"), "{}", learned.text());
}

/// A node of the tree-sitter parse that may appear in a learned statement's argument.
fn assert_inert(node: Node<'_>, code: &str) {
    let text = &code[node.byte_range()];
    match node.kind() {
        "parametrized_type_expression"
        | "curly_expression"
        | "identifier"
        | "field_expression"
        | "tuple_expression"
        | "integer_literal"
        | "float_literal"
        | "character_literal"
        | "escape_sequence"
        | "where_expression"
        | "operator"
        | "content"
        | "quote_expression"
        | "boolean_literal"
        | "parenthesized_expression" => {}
        "binary_expression" | "unary_expression" => {
            let op = node.child_by_field_name("operator").or_else(|| {
                let mut c = node.walk();
                let found = node.children(&mut c).find(|n| n.kind() == "operator");
                found
            });
            let op = op.map(|o| &code[o.byte_range()]).unwrap_or("");
            assert!(["<:", ">:", "-"].contains(&op), "operator {op} in {text}");
        }
        "prefixed_string_literal" => assert!(text.starts_with("var\""), "{text}"),
        "call_expression" => {
            // Only typeof(name) and Symbol("literal").
            assert!(
                text.starts_with("typeof(") || text.starts_with("Symbol(\""),
                "a call: {text}"
            );
            let mut c = node.walk();
            for n in node.children(&mut c) {
                if n.kind() == "argument_list" {
                    assert_eq!(n.named_child_count(), 1, "{text}");
                    let arg = n.named_child(0).unwrap();
                    assert!(
                        ["identifier", "field_expression", "string_literal"].contains(&arg.kind()),
                        "{text}"
                    );
                }
            }
        }
        "argument_list" => assert_eq!(
            node.parent().map(|p| p.kind()),
            Some("call_expression"),
            "{text}"
        ),
        "string_literal" => {
            let call = node
                .parent()
                .and_then(|p| p.parent())
                .map(|c| &code[c.byte_range()]);
            assert!(call.is_some_and(|c| c.starts_with("Symbol(\"")), "{text}");
        }
        other => panic!("{other} in a learned statement: {text}"),
    }
    assert!(!node.is_error() && !node.is_missing(), "{code}");
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        assert_inert(child, code);
    }
}

/// The passed text is one call of `precompile` whose one argument is a `Tuple{...}` type
/// (with `where`s), made only of the nodes [`assert_inert`] allows.
fn assert_signature_by_tree_sitter(code: &str) {
    let tree = parse_julia(code);
    let root = tree.root_node();
    let mut c = root.walk();
    let statements: Vec<Node<'_>> = root
        .named_children(&mut c)
        .filter(|n| !n.kind().ends_with("comment"))
        .collect();
    assert_eq!(statements.len(), 1, "{code}");
    let call = statements[0];
    assert_eq!(call.kind(), "call_expression", "{code}");
    assert_eq!(&code[call.child(0).unwrap().byte_range()], "precompile");
    let args = call.child(1).unwrap();
    assert_eq!(args.kind(), "argument_list");
    assert_eq!(args.named_child_count(), 1, "{code}");
    let mut arg = args.named_child(0).unwrap();
    while arg.kind() == "where_expression" {
        arg = arg.named_child(0).unwrap();
    }
    assert_eq!(arg.kind(), "parametrized_type_expression", "{code}");
    assert_eq!(&code[arg.child(0).unwrap().byte_range()], "Tuple", "{code}");
    assert_inert(args.named_child(0).unwrap(), code);
}

/// Whatever the parser accepts, out of real lines, hostile ones and (deterministic) splices
/// of both, tree-sitter-julia sees as a signature.
#[test]
fn what_passes_is_one_precompile_call_of_a_type() {
    let mut pool: Vec<String> = REAL_TRACE.lines().map(str::to_string).collect();
    pool.extend(HOSTILE.iter().map(|s| s.to_string()));
    pool.extend(GOOD.iter().map(|s| s.to_string()));
    pool.extend(
        [
            "precompile(Tuple{typeof(Base.fill), Char, Base.Val{'x'}, Base.Val{'\\n'}, Base.Val{-1}, Base.Val{1.5f0}, Base.Val{0x01}})",
            "precompile(Tuple{typeof(Base.f), Type{T} where {T<:Real, N}, Type{<:Integer}, Type{S} where Int64<:S<:Real})",
            "precompile(Tuple{typeof(Base.f), Val{()}, Val{(1,)}, Val{:(+)}, Union{}})",
            "#=   39.1 ms =# precompile(Tuple{typeof(Base.rand), Int64, Int64}) # recompile",
        ]
        .map(str::to_string),
    );
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut candidates = pool.clone();
    for _ in 0..20_000 {
        let (a, b) = (&pool[next(pool.len())], &pool[next(pool.len())]);
        let cut = |s: &str, k: usize| {
            let mut k = k.min(s.len());
            while !s.is_char_boundary(k) {
                k -= 1;
            }
            k
        };
        let i = cut(a, next(a.len() + 1));
        let j = cut(b, next(b.len() + 1));
        candidates.push(format!("{}{}", &a[..i], &b[j..]));
    }
    let mut passed = 0;
    for c in &candidates {
        if let Some(s) = parse(c) {
            passed += 1;
            assert_signature_by_tree_sitter(&s.statement);
            assert!(
                !s.statement.contains("run(") && !s.statement.contains('`'),
                "{c}"
            );
        }
    }
    assert!(passed > 100, "{passed}");
}

/// On a real julia (`SYSIMG_TEST_JULIA`): the learned file merged from a hostile trace,
/// evaluated line by line as PackageCompiler evaluates precompile statements (each in a
/// try), creates no file; the signatures in it do run.
#[test]
fn a_hostile_trace_runs_nothing_on_a_real_julia() {
    let Some(julia) = testkit::test_julia_or_skip() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let marker = t.path().join("pwned");
    let trace = write_trace(t.path(), &marker);
    let learned = merge(&[trace], &HashSet::new(), 100);
    let file = t.path().join("learned.jl");
    std::fs::write(&file, learned.text()).unwrap();
    let script = "n = 0; for l in eachline(ARGS[1]); try; include_string(Main, l) === true && (global n += 1); catch; end; end; println(n)";
    let out = std::process::Command::new(julia)
        .args(["--startup-file=no", "-e", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker.exists(), "a learned statement ran code");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        GOOD.len().to_string()
    );
}
