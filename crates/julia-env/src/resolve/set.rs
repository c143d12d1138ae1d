//! The version sets the solver works with: sets of version *indices* of one package.
//!
//! Pkg's version ranges are not intervals of [`VersionNumber`](crate::version::VersionNumber)
//! order (a bound ignores pre-release and build parts), so the resolver never hands ranges to
//! pubgrub. Instead each package's usable versions are numbered `1..=n` in ascending order,
//! `0` stands for "not installed", and a spec becomes the set of indices whose versions it
//! contains (evaluated with [`VersionSpec::contains`](crate::version_spec::VersionSpec::contains)).

use std::fmt;
use std::ops::Bound;

use pubgrub::{Ranges, VersionSet};

/// A set of version indices, always stored as half-open integer intervals `[a, b)`.
///
/// pubgrub's [`Ranges`] treats its values as points on a continuous line, so over integers the
/// same set can have several representations (`[1, 2]` and `[1, 3)`, or an empty `(1, 2)`),
/// and pubgrub requires `==` to mean "same set". Normalising every result to
/// `[Included(a), Excluded(b))` segments makes the representation canonical for integers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IndexSet(Ranges<u32>);

impl IndexSet {
    /// The set of `indices` (any order; repeats allowed).
    pub(crate) fn of(indices: impl IntoIterator<Item = u32>) -> IndexSet {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut sorted: Vec<u32> = indices.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        for i in sorted {
            match runs.last_mut() {
                Some((_, end)) if *end == i => *end = i + 1,
                _ => runs.push((i, i + 1)),
            }
        }
        IndexSet(
            runs.into_iter()
                .map(|(a, b)| (Bound::Included(a), Bound::Excluded(b)))
                .collect(),
        )
    }

    /// The indices `1..=n` it holds.
    pub(crate) fn members(&self, n: u32) -> impl Iterator<Item = u32> + '_ {
        (1..=n).filter(move |i| self.0.contains(i))
    }

    fn normalised(r: Ranges<u32>) -> IndexSet {
        IndexSet(
            r.iter()
                .filter_map(|(start, end)| {
                    let a = match start {
                        Bound::Unbounded => 0,
                        Bound::Included(a) => *a,
                        Bound::Excluded(a) => a.checked_add(1)?,
                    };
                    let b = match end {
                        Bound::Unbounded => Bound::Unbounded,
                        Bound::Included(b) => match b.checked_add(1) {
                            Some(b) => Bound::Excluded(b),
                            None => Bound::Unbounded,
                        },
                        Bound::Excluded(b) => Bound::Excluded(*b),
                    };
                    let empty = matches!(b, Bound::Excluded(b) if b <= a);
                    (!empty).then_some((Bound::Included(a), b))
                })
                .collect(),
        )
    }
}

impl fmt::Display for IndexSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl VersionSet for IndexSet {
    type V = u32;

    fn empty() -> Self {
        IndexSet(Ranges::empty())
    }

    fn singleton(v: u32) -> Self {
        IndexSet::of([v])
    }

    fn complement(&self) -> Self {
        IndexSet::normalised(self.0.complement())
    }

    fn intersection(&self, other: &Self) -> Self {
        IndexSet::normalised(self.0.intersection(&other.0))
    }

    fn contains(&self, v: &u32) -> bool {
        self.0.contains(v)
    }

    fn full() -> Self {
        IndexSet::normalised(Ranges::full())
    }

    fn union(&self, other: &Self) -> Self {
        IndexSet::normalised(self.0.union(&other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_sets_are_canonical() {
        let a = IndexSet::of([1, 2, 3]);
        let b = IndexSet::of([1]).union(&IndexSet::of([2, 3]));
        assert_eq!(a, b);
        assert_eq!(IndexSet::singleton(2), IndexSet::of([2]));
        let c = IndexSet::of([2]).complement();
        assert!(c.contains(&0) && c.contains(&1) && !c.contains(&2) && c.contains(&3));
        assert_eq!(c.complement(), IndexSet::of([2]));
        assert_eq!(
            IndexSet::of([0]).complement().complement(),
            IndexSet::of([0])
        );
        assert_eq!(IndexSet::full().complement(), IndexSet::empty());
        assert_eq!(
            IndexSet::of([1, 2]).intersection(&IndexSet::of([3])),
            IndexSet::empty()
        );
        assert_eq!(
            IndexSet::of([1, 3, 4]).members(5).collect::<Vec<_>>(),
            [1, 3, 4]
        );
    }
}
