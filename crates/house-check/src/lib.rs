//! The house's structure checks, run by `cargo run -p house-check` (and by `.ci/run`):
//!
//! - **No module cycle.** In every crate root of every workspace member (its library, its
//!   binaries, each test, bench and example), no module imports a module that imports it back,
//!   directly or through others.
//! - **No crate cycle.** No workspace member depends on one that depends back on it, counting
//!   dev- and build-dependencies (Cargo itself refuses only cycles of normal dependencies).
//! - **Independent modules.** The children of the modules listed in [`INDEPENDENT`] do not
//!   use each other at all (the CLI's command files: what two commands share lives elsewhere).
//!
//! # What counts as a module using another
//! The source is parsed with `syn`; module files are found as rustc finds them
//! (`name.rs`, `name/mod.rs`, `#[path]`). A module *uses* another when a path written in it
//! (a `use` declaration, a type, an expression, or a `crate::`/`super::`/`$crate::` path in a
//! macro's tokens) starts with `crate`, `super`, `self` or the name of one of its child modules
//! and names an item of the other module or of a module inside it. Uses are compared between
//! siblings: a use from anywhere inside `a` of anything inside `b`, where `a` and `b` are
//! children of the same module, is an edge `a -> b` in that parent's graph, and every such
//! graph must be acyclic. A module using its own ancestors (`super::helper`, `use super::*` in
//! tests) or descendants is not an edge: a parent declares its children.
//!
//! Not seen: a sibling reached only through a glob import (`use super::*;` and then
//! `sibling::f()`) or through an alias of a module made elsewhere, and paths built by macros
//! from pieces. The house writes neither.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// Modules whose children must not use each other: (package name, module path).
pub const INDEPENDENT: &[(&str, &str)] = &[("sysimg-cli", "crate::commands")];

/// One place where a module uses another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Use {
    /// The file the path is written in.
    pub file: PathBuf,
    /// Its line (1-based).
    pub line: usize,
    /// The path as written, `::`-joined.
    pub written: String,
}

/// A problem with the structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Modules (children of `scope` in the crate root `root`) that use each other in a circle.
    ModuleCycle {
        /// The crate root file (`src/lib.rs`, `tests/x.rs`, ...).
        root: PathBuf,
        /// The parent module whose children form the cycle (`crate`, `crate::commands`).
        scope: String,
        /// Every module of the strongly connected component the cycle is in.
        members: Vec<String>,
        /// Each edge of one cycle through them, with one place that makes it.
        edges: Vec<(String, String, Use)>,
    },
    /// Two children of an independent module where one uses the other.
    Dependent {
        /// The crate root file.
        root: PathBuf,
        /// The using module.
        from: String,
        /// The module used.
        to: String,
        /// One place where it does.
        at: Use,
    },
    /// Workspace crates that depend on each other in a circle (any kind of dependency).
    CrateCycle {
        /// The crates, in order around the cycle.
        crates: Vec<String>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ModuleCycle {
                root,
                scope,
                members,
                edges,
            } => {
                writeln!(
                    f,
                    "module cycle in {} among {scope}::{{{}}}:",
                    root.display(),
                    members.join(", ")
                )?;
                for (a, b, at) in edges {
                    writeln!(
                        f,
                        "  {a} -> {b}: {}:{}: {}",
                        at.file.display(),
                        at.line,
                        at.written
                    )?;
                }
                Ok(())
            }
            Problem::Dependent { root, from, to, at } => writeln!(
                f,
                "{from} uses {to} (in {}; they must not use each other): {}:{}: {}",
                root.display(),
                at.file.display(),
                at.line,
                at.written
            ),
            Problem::CrateCycle { crates } => {
                writeln!(f, "crate cycle: {} -> {}", crates.join(" -> "), crates[0])
            }
        }
    }
}

/// An error reading the sources (not a problem with the structure).
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error(format!("{}: {e}", path.display())))
}

fn parse_toml(path: &Path) -> Result<toml::Table, Error> {
    read(path)?
        .parse::<toml::Table>()
        .map_err(|e| Error(format!("{}: {e}", path.display())))
}

/// Every problem of the workspace whose root `Cargo.toml` is in `root`.
pub fn check_workspace(root: &Path) -> Result<Vec<Problem>, Error> {
    let members = workspace_members(root)?;
    let mut problems = crate_cycles(&members);
    for m in &members {
        for file in crate_roots(&m.dir, &m.manifest) {
            let independent: Vec<&str> = INDEPENDENT
                .iter()
                .filter(|(pkg, _)| *pkg == m.name)
                .map(|(_, module)| *module)
                .collect();
            problems.extend(check_crate_root(&file, &independent)?);
        }
    }
    Ok(problems)
}

/// A workspace member.
struct Member {
    name: String,
    dir: PathBuf,
    manifest: toml::Table,
}

fn workspace_members(root: &Path) -> Result<Vec<Member>, Error> {
    let manifest = parse_toml(&root.join("Cargo.toml"))?;
    let members = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .ok_or_else(|| Error("Cargo.toml: no [workspace] members".into()))?;
    let mut out = Vec::new();
    for m in members {
        let Some(rel) = m.as_str() else { continue };
        let dir = root.join(rel);
        let manifest = parse_toml(&dir.join("Cargo.toml"))?;
        let name = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .ok_or_else(|| Error(format!("{rel}/Cargo.toml: no package name")))?
            .to_string();
        out.push(Member {
            name,
            dir,
            manifest,
        });
    }
    Ok(out)
}

/// The names of the packages a manifest depends on, of every kind and on every target.
fn dependency_names(manifest: &toml::Table) -> BTreeSet<String> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables: Vec<&toml::Table> = KINDS
        .iter()
        .filter_map(|k| manifest.get(*k)?.as_table())
        .collect();
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            tables.extend(KINDS.iter().filter_map(|k| t.get(*k)?.as_table()));
        }
    }
    let mut names = BTreeSet::new();
    for table in tables {
        for (key, value) in table {
            let renamed = value.get("package").and_then(|p| p.as_str());
            names.insert(renamed.unwrap_or(key).to_string());
        }
    }
    names
}

fn crate_cycles(members: &[Member]) -> Vec<Problem> {
    let names: BTreeSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in members {
        let deps = dependency_names(&m.manifest)
            .into_iter()
            .filter(|d| names.contains(d.as_str()))
            .collect();
        graph.insert(m.name.clone(), deps);
    }
    cycles(&graph)
        .into_iter()
        .map(|(_, crates)| Problem::CrateCycle { crates })
        .collect()
}

/// The crate root files of a package: its library, binaries, tests, benches and examples.
fn crate_roots(dir: &Path, manifest: &toml::Table) -> Vec<PathBuf> {
    let mut roots = BTreeSet::new();
    let lib = manifest
        .get("lib")
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .unwrap_or("src/lib.rs");
    roots.insert(dir.join(lib));
    roots.insert(dir.join("src/main.rs"));
    for kind in ["bin", "test", "bench", "example"] {
        let targets = manifest.get(kind).and_then(|t| t.as_array());
        for t in targets.into_iter().flatten() {
            if let Some(p) = t.get("path").and_then(|p| p.as_str()) {
                roots.insert(dir.join(p));
            }
        }
    }
    for sub in ["src/bin", "tests", "benches", "examples"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rs") {
                roots.insert(p);
            } else if p.join("main.rs").is_file() {
                roots.insert(p.join("main.rs"));
            }
        }
    }
    roots.into_iter().filter(|p| p.is_file()).collect()
}

/// A module path, `["crate", "model", "spec"]`.
type ModPath = Vec<String>;

/// The modules of one crate root and the paths written in each.
#[derive(Default)]
struct Crate {
    modules: BTreeSet<ModPath>,
    /// (the module a path is written in, the path's segments, whether its last segment may
    /// name a module, where).
    paths: Vec<(ModPath, Vec<String>, bool, Use)>,
}

/// The problems of one crate root file: module cycles, and uses between the children of the
/// `independent` modules.
pub fn check_crate_root(root: &Path, independent: &[&str]) -> Result<Vec<Problem>, Error> {
    let scopes = sibling_uses(root)?;
    let mut problems = Vec::new();
    for (scope, edges) in &scopes {
        let scope_name = scope.join("::");
        let graph: BTreeMap<String, BTreeSet<String>> = edges
            .iter()
            .map(|(a, tos)| (a.clone(), tos.keys().cloned().collect()))
            .collect();
        for (members, cycle) in cycles(&graph) {
            let edges = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(a, b)| {
                    let at = edges[a][b].clone();
                    (a.clone(), b.clone(), at)
                })
                .collect();
            problems.push(Problem::ModuleCycle {
                root: root.to_path_buf(),
                scope: scope_name.clone(),
                members,
                edges,
            });
        }
        if independent.contains(&scope_name.as_str()) {
            for (from, tos) in edges {
                for (to, at) in tos {
                    problems.push(Problem::Dependent {
                        root: root.to_path_buf(),
                        from: format!("{scope_name}::{from}"),
                        to: format!("{scope_name}::{to}"),
                        at: at.clone(),
                    });
                }
            }
        }
    }
    Ok(problems)
}

/// The uses between sibling modules of one crate root: for each parent module (`crate`,
/// `crate::commands`), which child uses which, with the first place it does.
pub type SiblingUses = BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, Use>>>;

/// [`SiblingUses`] of the crate root file `root`.
pub fn sibling_uses(root: &Path) -> Result<SiblingUses, Error> {
    let mut krate = Crate::default();
    let dir = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    load_module(&mut krate, vec!["crate".into()], root, dir)?;
    let mut scopes = SiblingUses::new();
    for (from, written, last_may_be_module, at) in &krate.paths {
        let Some(target) = resolve(&krate, from, written, *last_may_be_module) else {
            continue;
        };
        let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
        // An ancestor or a descendant (or the module itself): not an edge.
        if common == from.len() || common == target.len() {
            continue;
        }
        let scope = from[..common].to_vec();
        scopes
            .entry(scope)
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .entry(target[common].clone())
            .or_insert_with(|| at.clone());
    }
    Ok(scopes)
}

/// The module a path written in `from` names an item of (the longest known module prefix),
/// or `None` when it names nothing of this crate. Unless `last_may_be_module` (a `use`), the
/// last segment names a value or a type, never a module (`super::store()` calls a function
/// even where a module `store` is beside it).
fn resolve(
    krate: &Crate,
    from: &ModPath,
    written: &[String],
    last_may_be_module: bool,
) -> Option<ModPath> {
    let modules = match last_may_be_module {
        true => written,
        false => &written[..written.len().saturating_sub(1)],
    };
    let mut segments = modules.iter().peekable();
    let mut path: ModPath = match segments.peek()?.as_str() {
        "crate" | "$crate" => {
            segments.next();
            vec!["crate".into()]
        }
        "self" | "super" => from.clone(),
        first => {
            let mut child = from.clone();
            child.push(first.to_string());
            if !krate.modules.contains(&child) {
                return None;
            }
            from.clone()
        }
    };
    while let Some(s) = segments.next_if(|s| *s == "self" || *s == "super") {
        if s == "super" {
            path.pop()?;
        }
    }
    for s in segments {
        path.push(s.clone());
        if !krate.modules.contains(&path) {
            path.pop();
            break;
        }
    }
    Some(path)
}

fn load_module(krate: &mut Crate, path: ModPath, file: &Path, dir: PathBuf) -> Result<(), Error> {
    let text = read(file)?;
    let ast = syn::parse_file(&text).map_err(|e| {
        let at = e.span().start();
        Error(format!(
            "{}:{}:{}: {e}",
            file.display(),
            at.line,
            at.column + 1
        ))
    })?;
    krate.modules.insert(path.clone());
    let mut v = Collector {
        krate,
        stack: vec![(path, dir)],
        file: file.to_path_buf(),
        error: None,
    };
    for item in &ast.items {
        v.visit_item(item);
    }
    match v.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Walks one file: records the paths written in each module, and loads module files.
struct Collector<'a> {
    krate: &'a mut Crate,
    /// The module being walked and the directory its child module files are in.
    stack: Vec<(ModPath, PathBuf)>,
    file: PathBuf,
    error: Option<Error>,
}

impl Collector<'_> {
    fn record(&mut self, segments: Vec<String>, last_may_be_module: bool, line: usize) {
        let module = self
            .stack
            .last()
            .map(|(m, _)| m.clone())
            .unwrap_or_default();
        let written = segments.join("::");
        self.krate.paths.push((
            module,
            segments,
            last_may_be_module,
            Use {
                file: self.file.clone(),
                line,
                written,
            },
        ));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.use_leaf(prefix, &n.ident),
            syn::UseTree::Rename(r) => self.use_leaf(prefix, &r.ident),
            syn::UseTree::Glob(g) => {
                if !prefix.is_empty() {
                    self.record(prefix.clone(), true, g.star_token.spans[0].start().line);
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    fn use_leaf(&mut self, prefix: &[String], ident: &syn::Ident) {
        let mut segments = prefix.to_vec();
        // `use super::x::{self}` names the module x.
        if ident != "self" {
            segments.push(ident.to_string());
        }
        if !segments.is_empty() {
            self.record(segments, true, ident.span().start().line);
        }
    }

    /// `crate::a::b`, `super::a`, `$crate::a` sequences in a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            if let TokenTree::Group(g) = &trees[i] {
                self.tokens(g.stream());
                i += 1;
                continue;
            }
            let dollar = matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == '$');
            let start = if dollar { i + 1 } else { i };
            let head = match trees.get(start) {
                Some(TokenTree::Ident(id)) if id == "crate" || id == "super" => id.clone(),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let mut segments = vec![head.to_string()];
            let mut j = start + 1;
            // `::` is two `:` puncts, then an identifier.
            while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(next)) =
                (trees.get(j), trees.get(j + 1), trees.get(j + 2))
            {
                if a.as_char() != ':' || b.as_char() != ':' {
                    break;
                }
                match next {
                    TokenTree::Ident(id) => segments.push(id.to_string()),
                    _ => break,
                }
                j += 3;
            }
            self.record(segments, false, head.span().start().line);
            i = j;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let Some((parent, dir)) = self.stack.last().cloned() else {
            return;
        };
        let mut path = parent;
        path.push(m.ident.to_string());
        let path_attr = m.attrs.iter().find_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        });
        match &m.content {
            Some((_, items)) => {
                self.krate.modules.insert(path.clone());
                let child_dir = dir.join(m.ident.to_string());
                self.stack.push((path, child_dir));
                for item in items {
                    self.visit_item(item);
                }
                self.stack.pop();
            }
            None => {
                let name = m.ident.to_string();
                let (file, child_dir) = match path_attr {
                    Some(p) => {
                        let here = self.file.parent().unwrap_or(Path::new("."));
                        // A file named by `#[path]` owns its directory, as a `mod.rs` does.
                        let f = here.join(p);
                        let d = f.parent().unwrap_or(here).to_path_buf();
                        (f, d)
                    }
                    None => {
                        let flat = dir.join(format!("{name}.rs"));
                        match flat.is_file() {
                            true => (flat, dir.join(&name)),
                            false => (dir.join(&name).join("mod.rs"), dir.join(&name)),
                        }
                    }
                };
                if let Err(e) = load_module(self.krate, path, &file, child_dir) {
                    self.error.get_or_insert(e);
                }
            }
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = p.segments.first() {
            self.record(segments, false, first.ident.span().start().line);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }
}

/// The cycles of a directed graph: each strongly connected component of more than one node
/// (or a node with an edge to itself), with one cycle through it, in a stable order.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for component in strongly_connected(graph) {
        let first = &component[0];
        let self_loop = graph.get(first).is_some_and(|s| s.contains(first));
        if component.len() > 1 || self_loop {
            let cycle = cycle_through(graph, &component);
            out.push((component, cycle));
        }
    }
    out
}

/// Tarjan's algorithm (recursive: the graphs are a crate's modules or its crates).
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// A shortest cycle through the component's first node, inside the component.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, component: &[String]) -> Vec<String> {
    let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from start back to start.
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !inside.contains(w) {
                continue;
            }
            if w == start {
                let mut path = vec![v.to_string()];
                let mut at = v;
                while at != start {
                    at = came_from[at];
                    path.push(at.to_string());
                }
                path.reverse();
                return path;
            }
            if !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    component.to_vec()
}
