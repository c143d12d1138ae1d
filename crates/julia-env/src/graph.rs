//! The dependency graph of a manifest: closures, reverse closures, paths between packages,
//! weak dependencies and extensions. Every walk is iterative and cycle-safe.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::ids::Uuid;
use crate::manifest::{Manifest, ManifestEntry};

/// Which way a walk follows the edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From a package to what it depends on.
    Dependencies,
    /// From a package to what depends on it.
    Dependents,
}

/// A breadth-first walk: every package reached, with the package it was first reached from
/// (`None` for the starting packages), so that shortest paths can be read back.
#[derive(Clone, Debug, Default)]
pub struct Reached {
    /// Per package: the package it was reached from, its depth (0 for a start), and its
    /// ancestor at depth `PathSummary::KEEP - 1` (itself when shallower), so that a path's
    /// head is found without walking the whole path.
    step: HashMap<Uuid, Step>,
    /// The packages in the order they were reached: depths never decrease along it.
    order: Vec<Uuid>,
}

#[derive(Clone, Copy, Debug)]
struct Step {
    parent: Option<Uuid>,
    depth: usize,
    head_anchor: Uuid,
}

/// A path between two packages, with its middle left out when it is long: the first and last
/// [`PathSummary::KEEP`] packages, and how many lie between them. Reading a summary costs the
/// same however deep the graph is, where a whole path per package costs its depth.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathSummary {
    /// The path's start (the whole path when nothing is left out).
    pub head: Vec<Uuid>,
    /// How many packages are left out between `head` and `tail`.
    pub elided: usize,
    /// The path's end (empty when nothing is left out).
    pub tail: Vec<Uuid>,
}

impl PathSummary {
    /// How many packages a summary keeps at each end.
    pub const KEEP: usize = 8;

    /// A whole path, nothing left out.
    pub fn whole(path: Vec<Uuid>) -> PathSummary {
        PathSummary {
            head: path,
            elided: 0,
            tail: Vec::new(),
        }
    }

    /// The first package of the path.
    pub fn first(&self) -> Option<Uuid> {
        self.head.first().copied()
    }

    /// The last package of the path.
    pub fn last(&self) -> Option<Uuid> {
        self.tail.last().or(self.head.last()).copied()
    }

    /// The number of packages on the whole path.
    pub fn len(&self) -> usize {
        self.head.len() + self.elided + self.tail.len()
    }

    /// Whether the path is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same path, end to start.
    pub fn reversed(mut self) -> PathSummary {
        if self.tail.is_empty() {
            self.head.reverse();
            return self;
        }
        self.head.reverse();
        self.tail.reverse();
        PathSummary {
            head: self.tail,
            elided: self.elided,
            tail: self.head,
        }
    }

    /// The path without its first and last package (a summary of the packages between).
    pub fn inner(&self) -> PathSummary {
        let mut s = self.clone();
        if s.tail.is_empty() {
            if !s.head.is_empty() {
                s.head.remove(0);
                s.head.pop();
            }
        } else {
            s.head.remove(0);
            s.tail.pop();
        }
        s
    }
}

impl Reached {
    fn start(&mut self, u: Uuid) {
        self.step.insert(
            u,
            Step {
                parent: None,
                depth: 0,
                head_anchor: u,
            },
        );
        self.order.push(u);
    }

    fn reach(&mut self, u: Uuid, from: Uuid) {
        let p = self.step[&from];
        let depth = p.depth + 1;
        let head_anchor = if depth < PathSummary::KEEP {
            u
        } else {
            p.head_anchor
        };
        self.step.insert(
            u,
            Step {
                parent: Some(from),
                depth,
                head_anchor,
            },
        );
        self.order.push(u);
    }

    /// Whether `uuid` was reached.
    pub fn contains(&self, uuid: &Uuid) -> bool {
        self.step.contains_key(uuid)
    }

    /// The package `uuid` was reached from (`None` for a start or an unreached package).
    pub fn parent(&self, uuid: &Uuid) -> Option<Uuid> {
        self.step.get(uuid).and_then(|s| s.parent)
    }

    /// How many steps from a start `uuid` was reached (0 for a start).
    pub fn depth(&self, uuid: &Uuid) -> Option<usize> {
        self.step.get(uuid).map(|s| s.depth)
    }

    /// The path from a starting package to `uuid`, both included. It costs the path's length:
    /// for every package of a deep graph, use [`Reached::path_summary`].
    pub fn path_to(&self, uuid: &Uuid) -> Option<Vec<Uuid>> {
        self.up_from(uuid, usize::MAX)
    }

    /// `uuid` and up to `limit - 1` of its ancestors, start first.
    fn up_from(&self, uuid: &Uuid, limit: usize) -> Option<Vec<Uuid>> {
        if !self.contains(uuid) {
            return None;
        }
        let mut path = vec![*uuid];
        let mut cur = *uuid;
        while path.len() < limit {
            let Some(p) = self.parent(&cur) else { break };
            path.push(p);
            cur = p;
        }
        path.reverse();
        Some(path)
    }

    /// The path from a starting package to `uuid`, with its middle left out when it is longer
    /// than twice [`PathSummary::KEEP`]. Costs at most that, however deep `uuid` is.
    pub fn path_summary(&self, uuid: &Uuid) -> Option<PathSummary> {
        let step = self.step.get(uuid)?;
        let len = step.depth + 1;
        if len <= 2 * PathSummary::KEEP {
            return self.up_from(uuid, len).map(PathSummary::whole);
        }
        Some(PathSummary {
            head: self.up_from(&step.head_anchor, PathSummary::KEEP)?,
            elided: len - 2 * PathSummary::KEEP,
            tail: self.up_from(uuid, PathSummary::KEEP)?,
        })
    }

    /// Every package reached.
    pub fn uuids(&self) -> BTreeSet<Uuid> {
        self.step.keys().copied().collect()
    }

    /// Every package reached, in the order the walk reached them (nearest first).
    pub fn in_order(&self) -> &[Uuid] {
        &self.order
    }
}

/// A manifest's packages as a graph over their UUIDs.
#[derive(Debug)]
pub struct PackageGraph<'m> {
    manifest: &'m Manifest,
    /// Entry index of each node.
    nodes: Vec<usize>,
    index: HashMap<Uuid, usize>,
    strong: Vec<Vec<usize>>,
    weak: Vec<Vec<usize>>,
    reverse: Vec<Vec<usize>>,
}

impl<'m> PackageGraph<'m> {
    /// Builds the graph. A UUID listed twice keeps its last entry (as Pkg does); deps that
    /// name no entry are left out (the manifest's problems report them).
    pub fn new(manifest: &'m Manifest) -> PackageGraph<'m> {
        let mut index = HashMap::new();
        for (i, e) in manifest.entries.iter().enumerate() {
            index.insert(e.uuid, i);
        }
        let mut nodes: Vec<usize> = index.values().copied().collect();
        nodes.sort_unstable();
        let node_of: HashMap<Uuid, usize> = nodes
            .iter()
            .enumerate()
            .map(|(n, &i)| (manifest.entries[i].uuid, n))
            .collect();
        let edges = |e: &ManifestEntry, weak: bool| -> Vec<usize> {
            let deps = if weak { &e.weakdeps } else { &e.deps };
            deps.iter()
                .filter_map(|d| d.uuid)
                .filter_map(|u| node_of.get(&u).copied())
                .collect()
        };
        let strong: Vec<Vec<usize>> = nodes
            .iter()
            .map(|&i| edges(&manifest.entries[i], false))
            .collect();
        let weak: Vec<Vec<usize>> = nodes
            .iter()
            .map(|&i| edges(&manifest.entries[i], true))
            .collect();
        let mut reverse = vec![Vec::new(); nodes.len()];
        for (from, tos) in strong.iter().enumerate() {
            for &to in tos {
                reverse[to].push(from);
            }
        }
        PackageGraph {
            manifest,
            nodes,
            index: node_of,
            strong,
            weak,
            reverse,
        }
    }

    /// The manifest the graph is over.
    pub fn manifest(&self) -> &'m Manifest {
        self.manifest
    }

    /// The entry of `uuid`.
    pub fn entry(&self, uuid: &Uuid) -> Option<&'m ManifestEntry> {
        self.index
            .get(uuid)
            .map(|&n| &self.manifest.entries[self.nodes[n]])
    }

    fn entry_of(&self, node: usize) -> &'m ManifestEntry {
        &self.manifest.entries[self.nodes[node]]
    }

    /// Whether the graph has a package with `uuid`.
    pub fn contains(&self, uuid: &Uuid) -> bool {
        self.index.contains_key(uuid)
    }

    /// Every package UUID.
    pub fn uuids(&self) -> impl Iterator<Item = Uuid> + '_ {
        (0..self.nodes.len()).map(|n| self.entry_of(n).uuid)
    }

    fn walk(
        &self,
        starts: impl IntoIterator<Item = Uuid>,
        next: impl Fn(usize) -> Vec<usize>,
    ) -> BTreeSet<Uuid> {
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<usize> = starts
            .into_iter()
            .filter_map(|u| self.index.get(&u).copied())
            .collect();
        for &n in &queue {
            seen[n] = true;
        }
        while let Some(n) = queue.pop_front() {
            for m in next(n) {
                if !seen[m] {
                    seen[m] = true;
                    queue.push_back(m);
                }
            }
        }
        (0..self.nodes.len())
            .filter(|&n| seen[n])
            .map(|n| self.entry_of(n).uuid)
            .collect()
    }

    /// A breadth-first walk from `starts` along strong edges in `direction`, never entering a
    /// package in `avoid` (a start in `avoid` is not entered either).
    pub fn walk_from(
        &self,
        starts: impl IntoIterator<Item = Uuid>,
        direction: Direction,
        avoid: &BTreeSet<Uuid>,
    ) -> Reached {
        let mut reached = Reached::default();
        let mut queue = VecDeque::new();
        for u in starts {
            if let Some(&n) = self.index.get(&u) {
                if !avoid.contains(&u) && !reached.contains(&u) {
                    reached.start(u);
                    queue.push_back(n);
                }
            }
        }
        while let Some(n) = queue.pop_front() {
            let from = self.entry_of(n).uuid;
            let next = match direction {
                Direction::Dependencies => &self.strong[n],
                Direction::Dependents => &self.reverse[n],
            };
            for &m in next {
                let u = self.entry_of(m).uuid;
                if !avoid.contains(&u) && !reached.contains(&u) {
                    reached.reach(u, from);
                    queue.push_back(m);
                }
            }
        }
        reached
    }

    /// The roots and everything they need through strong dependencies.
    pub fn closure(&self, roots: impl IntoIterator<Item = Uuid>) -> BTreeSet<Uuid> {
        self.walk(roots, |n| self.strong[n].clone())
    }

    /// The closure through strong and weak dependencies (weak targets only when present in
    /// the manifest).
    pub fn closure_with_weak(&self, roots: impl IntoIterator<Item = Uuid>) -> BTreeSet<Uuid> {
        self.walk(roots, |n| {
            self.strong[n]
                .iter()
                .chain(&self.weak[n])
                .copied()
                .collect()
        })
    }

    /// The targets and every package that depends on one of them, directly or not.
    pub fn reverse_closure(&self, targets: impl IntoIterator<Item = Uuid>) -> BTreeSet<Uuid> {
        self.walk(targets, |n| self.reverse[n].clone())
    }

    /// The direct (strong) dependencies of `uuid`.
    pub fn deps_of(&self, uuid: &Uuid) -> Vec<Uuid> {
        self.index
            .get(uuid)
            .map(|&n| {
                self.strong[n]
                    .iter()
                    .map(|&m| self.entry_of(m).uuid)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The packages that depend directly on `uuid`.
    pub fn dependents_of(&self, uuid: &Uuid) -> Vec<Uuid> {
        self.index
            .get(uuid)
            .map(|&n| {
                self.reverse[n]
                    .iter()
                    .map(|&m| self.entry_of(m).uuid)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A shortest path of strong dependencies from any of `from` to `to`, both ends included.
    pub fn path(&self, from: impl IntoIterator<Item = Uuid>, to: &Uuid) -> Option<Vec<Uuid>> {
        let target = *self.index.get(to)?;
        let mut prev: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        let mut queue = VecDeque::new();
        for u in from {
            if let Some(&n) = self.index.get(&u) {
                if !seen[n] {
                    seen[n] = true;
                    queue.push_back(n);
                }
            }
        }
        while let Some(n) = queue.pop_front() {
            if n == target {
                let mut path = vec![n];
                let mut cur = n;
                while let Some(p) = prev[cur] {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return Some(path.into_iter().map(|m| self.entry_of(m).uuid).collect());
            }
            for &m in &self.strong[n] {
                if !seen[m] {
                    seen[m] = true;
                    prev[m] = Some(n);
                    queue.push_back(m);
                }
            }
        }
        None
    }

    /// One dependency cycle, if the graph has any (Julia cannot load such packages).
    pub fn find_cycle(&self) -> Option<Vec<Uuid>> {
        // Iterative three-colour DFS.
        let n = self.nodes.len();
        let mut colour = vec![0u8; n];
        let mut parent = vec![usize::MAX; n];
        for start in 0..n {
            if colour[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            colour[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if *next < self.strong[node].len() {
                    let m = self.strong[node][*next];
                    *next += 1;
                    match colour[m] {
                        0 => {
                            colour[m] = 1;
                            parent[m] = node;
                            stack.push((m, 0));
                        }
                        1 => {
                            let mut cycle = vec![m];
                            let mut cur = node;
                            while cur != m {
                                cycle.push(cur);
                                cur = parent[cur];
                            }
                            cycle.push(m);
                            cycle.reverse();
                            return Some(
                                cycle.into_iter().map(|k| self.entry_of(k).uuid).collect(),
                            );
                        }
                        _ => {}
                    }
                } else {
                    colour[node] = 2;
                    stack.pop();
                }
            }
        }
        None
    }

    /// The extensions Julia would load when exactly `loaded` are loaded: `(package, extension)`
    /// for every extension of a loaded package whose triggers are all loaded.
    pub fn active_extensions(&self, loaded: &BTreeSet<Uuid>) -> Vec<(Uuid, String)> {
        let mut out = Vec::new();
        for uuid in loaded {
            let Some(e) = self.entry(uuid) else { continue };
            for (ext, triggers) in &e.extensions {
                let all = triggers.names().iter().all(|t| {
                    e.weakdeps
                        .iter()
                        .chain(&e.deps)
                        .find(|d| &d.name == t)
                        .and_then(|d| d.uuid)
                        .is_some_and(|u| loaded.contains(&u))
                });
                if all {
                    out.push((*uuid, ext.clone()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn manifest(text: &str) -> Manifest {
        Manifest::parse(Path::new("Manifest.toml"), text).unwrap()
    }

    fn u(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    /// A diamond A -> {B, C} -> D, plus E -> A, and B weakly depending on F with an extension.
    fn diamond() -> Manifest {
        let id = |n: u8| u(n).to_string();
        manifest(&format!(
            "manifest_format = \"2.0\"\n\
             [[deps.A]]\nuuid = \"{}\"\ndeps = [\"B\", \"C\"]\n\
             [[deps.B]]\nuuid = \"{}\"\ndeps = [\"D\"]\nweakdeps = [\"F\"]\n[deps.B.extensions]\nBFExt = \"F\"\n\
             [[deps.C]]\nuuid = \"{}\"\ndeps = [\"D\"]\n\
             [[deps.D]]\nuuid = \"{}\"\n\
             [[deps.E]]\nuuid = \"{}\"\ndeps = [\"A\"]\n\
             [[deps.F]]\nuuid = \"{}\"\n",
            id(1), id(2), id(3), id(4), id(5), id(6)
        ))
    }

    #[test]
    fn closures_and_paths() {
        let m = diamond();
        let g = PackageGraph::new(&m);
        assert_eq!(
            g.closure([u(1)]),
            [u(1), u(2), u(3), u(4)].into_iter().collect()
        );
        assert_eq!(g.closure_with_weak([u(1)]).len(), 5);
        assert_eq!(
            g.reverse_closure([u(4)]),
            [u(1), u(2), u(3), u(4), u(5)].into_iter().collect()
        );
        assert_eq!(g.path([u(5)], &u(4)).unwrap().len(), 4);
        assert_eq!(g.path([u(4)], &u(1)), None);
        assert_eq!(g.find_cycle(), None);
        let loaded: BTreeSet<Uuid> = [u(2), u(4)].into_iter().collect();
        assert!(g.active_extensions(&loaded).is_empty());
        let loaded: BTreeSet<Uuid> = [u(2), u(4), u(6)].into_iter().collect();
        assert_eq!(
            g.active_extensions(&loaded),
            vec![(u(2), "BFExt".to_string())]
        );
    }

    #[test]
    fn long_paths_are_summarised_at_both_ends() {
        // A chain of 30: 0 -> 1 -> ... -> 29.
        let mut text = String::from("manifest_format = \"2.0\"\n");
        for i in 0..30u8 {
            text += &format!("[[deps.P{i}]]\nuuid = \"{}\"\n", u(i + 1));
            if i < 29 {
                text += &format!("deps = [\"P{}\"]\n", i + 1);
            }
        }
        let m = manifest(&text);
        let g = PackageGraph::new(&m);
        let r = g.walk_from([u(1)], Direction::Dependencies, &BTreeSet::new());
        assert_eq!(r.in_order().len(), 30);
        assert_eq!(r.depth(&u(30)), Some(29));
        let whole = r.path_to(&u(30)).unwrap();
        let s = r.path_summary(&u(30)).unwrap();
        assert_eq!(s.len(), 30);
        assert_eq!(s.head, whole[..8]);
        assert_eq!(s.tail, whole[22..]);
        assert_eq!(s.elided, 14);
        assert_eq!((s.first(), s.last()), (Some(u(1)), Some(u(30))));
        let back = s.clone().reversed();
        assert_eq!(back.first(), Some(u(30)));
        assert_eq!(back.last(), Some(u(1)));
        assert_eq!(s.inner().len(), 28);
        // Sixteen or fewer: whole.
        let s = r.path_summary(&u(16)).unwrap();
        assert_eq!((s.head.len(), s.elided), (16, 0));
        assert_eq!(s.inner().head, r.path_to(&u(16)).unwrap()[1..15]);
    }

    #[test]
    fn cycles_are_found_and_walks_terminate() {
        let id = |n: u8| u(n).to_string();
        let m = manifest(&format!(
            "manifest_format = \"2.0\"\n[[deps.A]]\nuuid = \"{}\"\ndeps = [\"B\"]\n[[deps.B]]\nuuid = \"{}\"\ndeps = [\"A\"]\n",
            id(1),
            id(2)
        ));
        let g = PackageGraph::new(&m);
        assert_eq!(g.closure([u(1)]).len(), 2);
        let cycle = g.find_cycle().unwrap();
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 3);
    }
}
