//! From pubgrub's proof of unsatisfiability to [`Fact`]s a person can follow.
//!
//! The proof is a tree whose leaves are the incompatibilities the problem started from (a
//! dependency, a fixed version, a requirement, Julia's version, an unusable version) and whose
//! inner nodes are what the solver concluded from them. The leaves are the facts; read
//! depth-first, left to right, they come in the order the conclusion uses them. Leaves about
//! one dependency of one package (same dependency, same spec) are merged into one fact over
//! all the dependent's versions they cover.

use pubgrub::{DerivationTree, External};

use crate::ids::Uuid;
use crate::version::VersionNumber;
use crate::version_spec::VersionSpec;

use super::provider::{Kind, Node, Provider, Unavailable};
use super::set::IndexSet;
use super::{Conflict, Fact, PackageIndex, PackageRef, PackageVersion, VersionRuns};

/// A fact before a dependency's versions are rendered.
enum Item {
    Done(Fact),
    /// These versions of the dependent have this dependency.
    Dependency(DependencyKey, IndexSet),
}

/// One dependency, whichever versions of the dependent have it: `from` allows `allowed` of
/// `to`, written `spec`.
#[derive(PartialEq)]
struct DependencyKey {
    from: Uuid,
    to: Uuid,
    spec: Option<VersionSpec>,
    allowed: IndexSet,
}

impl<I: PackageIndex + ?Sized> Provider<'_, I> {
    /// The conflict `tree` proves.
    pub(crate) fn explain(&self, tree: &DerivationTree<Node, IndexSet, Unavailable>) -> Conflict {
        let mut items: Vec<Item> = Vec::new();
        let mut blocked_by: Vec<PackageVersion> = Vec::new();
        let mut stack = vec![tree];
        while let Some(t) = stack.pop() {
            match t {
                DerivationTree::Derived(d) => {
                    stack.push(&d.cause2);
                    stack.push(&d.cause1);
                }
                DerivationTree::External(e) => {
                    for item in self.facts_of(e, &mut blocked_by) {
                        merge(&mut items, item);
                    }
                }
            }
        }
        let facts = items
            .into_iter()
            .map(|item| match item {
                Item::Done(f) => f,
                Item::Dependency(
                    DependencyKey {
                        from,
                        to,
                        spec,
                        allowed,
                    },
                    versions,
                ) => {
                    let package = self.package_ref(&from);
                    let versions = self.runs(&from, &versions);
                    if to == super::JULIA_UUID {
                        Fact::NeedsJulia {
                            package,
                            versions,
                            spec,
                        }
                    } else {
                        Fact::Depends {
                            package,
                            versions,
                            dependency: self.package_ref(&to),
                            spec,
                            matching: self.runs(&to, &allowed),
                        }
                    }
                }
            })
            .collect();
        Conflict { facts, blocked_by }
    }

    fn package_ref(&self, uuid: &Uuid) -> PackageRef {
        PackageRef {
            uuid: *uuid,
            name: self.name(uuid),
        }
    }

    /// The versions of `uuid` in `set`.
    fn runs(&self, uuid: &Uuid, set: &IndexSet) -> VersionRuns {
        let Ok(u) = self.universe(uuid) else {
            return VersionRuns::default();
        };
        let mut runs: Vec<(VersionNumber, VersionNumber)> = Vec::new();
        let mut last: Option<u32> = None;
        let mut count = 0;
        for i in set.members(u.n()) {
            let Some(v) = u.version(i) else { continue };
            count += 1;
            match (last, runs.last_mut()) {
                (Some(l), Some(run)) if l + 1 == i => run.1 = v.clone(),
                _ => runs.push((v.clone(), v.clone())),
            }
            last = Some(i);
        }
        VersionRuns {
            every: count > 0 && count == u.n() as usize,
            runs,
            uninstalled: pubgrub::VersionSet::contains(set, &0),
        }
    }

    fn facts_of(
        &self,
        e: &External<Node, IndexSet, Unavailable>,
        blocked_by: &mut Vec<PackageVersion>,
    ) -> Vec<Item> {
        let mut out: Vec<Fact> = Vec::new();
        let mut deps: Vec<Item> = Vec::new();
        match e {
            External::NotRoot(..) => {}
            External::NoVersions(node, set) => {
                if let Node::Package(u) = node {
                    out.extend(self.unknown(u));
                    out.push(Fact::NoVersions {
                        package: self.package_ref(u),
                        within: self.runs(u, set),
                    });
                }
            }
            External::Custom(node, _, reason) => {
                if let Node::Fixed(i) = node {
                    let (package, version) = self.in_the_way(*i as usize, blocked_by);
                    out.push(Fact::Unavailable {
                        package,
                        version,
                        yanked: *reason == Unavailable::Yanked,
                    });
                }
            }
            External::FromDependencyOf(from, from_set, to, to_set) => {
                let Node::Package(to_uuid) = to else {
                    return Vec::new();
                };
                match from {
                    Node::Root => {
                        if let Some(version) = &self.request.julia_version {
                            out.push(Fact::Julia {
                                version: version.clone(),
                            });
                        }
                    }
                    Node::Fixed(i) => {
                        let (package, version) = self.in_the_way(*i as usize, blocked_by);
                        out.push(Fact::Fixed { package, version });
                    }
                    Node::Requirement(i) => {
                        let (uuid, spec) = &self.request.requirements[*i as usize];
                        out.extend(self.unknown(uuid));
                        out.push(Fact::Required {
                            package: self.package_ref(uuid),
                            spec: spec.clone(),
                            matching: self.runs(uuid, to_set),
                        });
                    }
                    Node::Package(from_uuid) => {
                        out.extend(self.unknown(to_uuid));
                        if let Ok(u) = self.universe(to_uuid) {
                            match u.kind {
                                Kind::Stdlib { .. } => out.push(Fact::Stdlib {
                                    package: self.package_ref(to_uuid),
                                    version: u.versions[0].clone(),
                                }),
                                Kind::Julia => {
                                    if let Some(version) = u.versions.first() {
                                        out.push(Fact::Julia {
                                            version: version.clone(),
                                        })
                                    }
                                }
                                // Its one version is all the solver knows of it, so the
                                // incompatibility does not name the fixed node: name it here.
                                Kind::Given(i) if !pubgrub::VersionSet::contains(to_set, &1) => {
                                    let (package, version) = self.in_the_way(i, blocked_by);
                                    out.push(Fact::Fixed { package, version });
                                }
                                _ => {}
                            }
                        }
                        for (indices, spec) in self.by_written_spec(from_uuid, from_set, to_uuid) {
                            let key = DependencyKey {
                                from: *from_uuid,
                                to: *to_uuid,
                                spec,
                                allowed: to_set.clone(),
                            };
                            deps.push(Item::Dependency(key, IndexSet::of(indices)));
                        }
                    }
                }
            }
        }
        out.into_iter().map(Item::Done).chain(deps).collect()
    }

    /// The versions of `from` in `set`, grouped by the spec their dependency on `to` was
    /// written with (consecutive versions with the same spec together).
    fn by_written_spec(
        &self,
        from: &Uuid,
        set: &IndexSet,
        to: &Uuid,
    ) -> Vec<(Vec<u32>, Option<VersionSpec>)> {
        let n = self.universe(from).map(|u| u.n()).unwrap_or(0);
        let written = self.written.borrow();
        let mut groups: Vec<(Vec<u32>, Option<VersionSpec>)> = Vec::new();
        for i in set.members(n) {
            let spec = written.get(&(*from, i, *to)).cloned();
            match groups.last_mut() {
                Some((indices, s)) if *s == spec => indices.push(i),
                _ => groups.push((vec![i], spec)),
            }
        }
        groups
    }

    /// The fixed entry `i`, noted among the packages in the way.
    fn in_the_way(
        &self,
        i: usize,
        blocked_by: &mut Vec<PackageVersion>,
    ) -> (PackageRef, VersionNumber) {
        let f = &self.request.fixed[i];
        let package = self.package_ref(&f.uuid);
        let pv = PackageVersion {
            uuid: f.uuid,
            name: package.name.clone(),
            version: f.version.clone(),
        };
        if !blocked_by.contains(&pv) {
            blocked_by.push(pv);
        }
        (package, f.version.clone())
    }

    /// A fact saying `uuid` is unknown, if it is.
    fn unknown(&self, uuid: &Uuid) -> Option<Fact> {
        match self.universe(uuid) {
            Ok(u) if u.kind == Kind::Unknown => Some(Fact::UnknownPackage {
                package: self.package_ref(uuid),
            }),
            _ => None,
        }
    }
}

/// Adds `item` to `items`: a fact once, a dependency merged with one about the same dependency.
fn merge(items: &mut Vec<Item>, item: Item) {
    match item {
        Item::Done(f) => {
            if !items.iter().any(|i| matches!(i, Item::Done(g) if *g == f)) {
                items.push(Item::Done(f));
            }
        }
        Item::Dependency(key, versions) => {
            for i in items.iter_mut() {
                if let Item::Dependency(k, v) = i {
                    if *k == key {
                        *v = pubgrub::VersionSet::union(v, &versions);
                        return;
                    }
                }
            }
            items.push(Item::Dependency(key, versions));
        }
    }
}
