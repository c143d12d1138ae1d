//! Pkg's version bounds, ranges and specs (`src/Versions.jl`), and the registry's range syntax.
//!
//! A bound compares only its significant components and ignores pre-release and build parts, so
//! `1.0.0-rc1` is in `"1"` and `3.0.2+0` is in `"3.0.2"`. Ranges are therefore *not* intervals of
//! [`VersionNumber`] order; always test membership with [`VersionSpec::contains`].

use std::cmp::Ordering;
use std::fmt;

use crate::version::VersionNumber;

/// A version bound: up to three components, of which the first `n` are significant.
/// `n == 0` is `*` (no bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionBound {
    t: [u32; 3],
    n: u8,
}

impl VersionBound {
    /// The unbounded bound `*`.
    pub const STAR: VersionBound = VersionBound { t: [0; 3], n: 0 };

    /// A bound from 0 to 3 components.
    pub fn new(components: &[u32]) -> VersionBound {
        assert!(
            components.len() <= 3,
            "a version bound has at most 3 components"
        );
        let mut t = [0; 3];
        t[..components.len()].copy_from_slice(components);
        VersionBound {
            t,
            n: components.len() as u8,
        }
    }

    /// The number of significant components (0 to 3).
    pub fn significant(&self) -> usize {
        self.n as usize
    }

    /// The significant components.
    pub fn components(&self) -> &[u32] {
        &self.t[..self.n as usize]
    }

    fn prefix_cmp(&self, v: &VersionNumber) -> Ordering {
        let vt = [v.major, v.minor, v.patch];
        vt[..self.n as usize].cmp(&self.t[..self.n as usize])
    }

    /// Parses a bound in registry syntax: `*`, or an optional `v` and 1 to 3 dot-separated numbers.
    pub fn parse(s: &str) -> Result<VersionBound, String> {
        let s = s.trim();
        if s == "*" {
            return Ok(VersionBound::STAR);
        }
        let body = s.strip_prefix('v').unwrap_or(s);
        let parts: Vec<&str> = body.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(format!("invalid version bound `{s}`"));
        }
        let mut comps = Vec::with_capacity(3);
        for p in parts {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid version bound `{s}`"));
            }
            comps.push(
                p.parse::<u32>()
                    .map_err(|_| format!("version bound component `{p}` is too large"))?,
            );
        }
        Ok(VersionBound::new(&comps))
    }

    /// Pkg's `isless_ll`: comparison of two lower bounds.
    fn lower_lt(&self, other: &VersionBound) -> bool {
        let m = self.n.min(other.n) as usize;
        match self.t[..m].cmp(&other.t[..m]) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.n < other.n,
        }
    }

    /// Pkg's `isless_uu`: comparison of two upper bounds.
    fn upper_lt(&self, other: &VersionBound) -> bool {
        let m = self.n.min(other.n) as usize;
        match self.t[..m].cmp(&other.t[..m]) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.n > other.n,
        }
    }

    fn write_components(&self, f: &mut fmt::Formatter<'_>, count: usize) -> fmt::Result {
        for (i, c) in self.t[..count].iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Whether an upper bound and the next range's lower bound touch or overlap (Pkg's `isjoinable`).
fn is_joinable(up: &VersionBound, lo: &VersionBound) -> bool {
    if up.n == 0 && lo.n == 0 {
        return true;
    }
    if up.n == lo.n {
        let n = up.n as usize;
        for i in 0..n - 1 {
            match up.t[i].cmp(&lo.t[i]) {
                Ordering::Greater => return true,
                Ordering::Less => return false,
                Ordering::Equal => {}
            }
        }
        // `up[n] < lo[n] - 1` in Julia's Int arithmetic.
        return i64::from(up.t[n - 1]) >= i64::from(lo.t[n - 1]) - 1;
    }
    let m = up.n.min(lo.n) as usize;
    for i in 0..m {
        match up.t[i].cmp(&lo.t[i]) {
            Ordering::Greater => return true,
            Ordering::Less => return false,
            Ordering::Equal => {}
        }
    }
    true
}

/// How a range prints: Pkg 1.10 wrote `lo-hi`, Pkg 1.11 and later write `lo - hi`.
/// The difference matters for `project_hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeStyle {
    /// `1.2.0-1`, `1.2.0-*` (Pkg 1.10 and older).
    Compact,
    /// `1.2.0 - 1`, `1.2.0 - *` (Pkg 1.11 and later).
    Spaced,
}

/// A range of versions between a lower and an upper bound (both inclusive, bound-wise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// The lower bound.
    pub lower: VersionBound,
    /// The upper bound.
    pub upper: VersionBound,
}

impl VersionRange {
    /// A range; like Pkg, a lower bound equal in all components to the upper one is replaced
    /// by it (so `1.2-1.2.0` becomes `1.2.0`).
    pub fn new(lower: VersionBound, upper: VersionBound) -> VersionRange {
        let lower = if lower.t == upper.t { upper } else { lower };
        VersionRange { lower, upper }
    }

    /// Parses the registry range syntax: `"0.5-0.7"`, `"1"`, `"0.3.2-0"`, `"*"`, `"0.21.4 - 0"`.
    pub fn parse(s: &str) -> Result<VersionRange, String> {
        let parts: Vec<&str> = s.split('-').collect();
        let bound = |p: &str| {
            VersionBound::parse(p).map_err(|e| format!("invalid version range `{s}`: {e}"))
        };
        match parts.as_slice() {
            [one] => {
                let b = bound(one)?;
                Ok(VersionRange::new(b, b))
            }
            [lo, hi] => Ok(VersionRange::new(bound(lo)?, bound(hi)?)),
            _ => Err(format!("invalid version range `{s}`")),
        }
    }

    /// Whether the range holds no version at all.
    pub fn is_empty(&self) -> bool {
        let m = self.lower.n.min(self.upper.n) as usize;
        for i in 0..m {
            match self.lower.t[i].cmp(&self.upper.t[i]) {
                Ordering::Greater => return true,
                Ordering::Less => return false,
                Ordering::Equal => {}
            }
        }
        false
    }

    /// Pkg's membership: only `major.minor.patch`, and only the bounds' significant components.
    pub fn contains(&self, v: &VersionNumber) -> bool {
        self.lower.prefix_cmp(v) != Ordering::Less && self.upper.prefix_cmp(v) != Ordering::Greater
    }

    /// The intersection (possibly empty).
    pub fn intersect(&self, other: &VersionRange) -> VersionRange {
        let lower = if self.lower.lower_lt(&other.lower) {
            other.lower
        } else {
            self.lower
        };
        let upper = if self.upper.upper_lt(&other.upper) {
            self.upper
        } else {
            other.upper
        };
        VersionRange::new(lower, upper)
    }

    /// Prints the range as Pkg's `print(::VersionRange)` does in the given style.
    pub fn display(&self, style: RangeStyle) -> impl fmt::Display + '_ {
        DisplayRange { range: self, style }
    }
}

struct DisplayRange<'a> {
    range: &'a VersionRange,
    style: RangeStyle,
}

impl fmt::Display for DisplayRange<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lo, hi) = (&self.range.lower, &self.range.upper);
        let dash = match self.style {
            RangeStyle::Compact => "-",
            RangeStyle::Spaced => " - ",
        };
        match (lo.n, hi.n) {
            (0, 0) => f.write_str("*"),
            (0, _) => {
                // Pkg's quirk: no space after the dash here, in every version.
                f.write_str(if self.style == RangeStyle::Spaced {
                    "0 -"
                } else {
                    "0-"
                })?;
                hi.write_components(f, 3)
            }
            (_, 0) => {
                lo.write_components(f, 3)?;
                write!(f, "{dash}*")
            }
            _ => {
                lo.write_components(f, lo.n as usize)?;
                if lo != hi {
                    f.write_str(dash)?;
                    hi.write_components(f, hi.n as usize)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(RangeStyle::Spaced).fmt(f)
    }
}

/// A set of versions: a normalised union of ranges. The default spec is `*` (every version).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionSpec {
    ranges: Vec<VersionRange>,
}

impl Default for VersionSpec {
    fn default() -> Self {
        VersionSpec::any()
    }
}

impl VersionSpec {
    /// `*`: every version.
    pub fn any() -> VersionSpec {
        VersionSpec {
            ranges: vec![VersionRange::new(VersionBound::STAR, VersionBound::STAR)],
        }
    }

    /// The empty spec `∅`.
    pub fn none() -> VersionSpec {
        VersionSpec { ranges: Vec::new() }
    }

    /// Exactly one version (bound-wise: pre-release and build parts are ignored).
    pub fn exact(v: &VersionNumber) -> VersionSpec {
        let b = VersionBound::new(&[v.major, v.minor, v.patch]);
        VersionSpec::from_ranges(vec![VersionRange::new(b, b)])
    }

    /// The union of ranges, normalised as Pkg's `union!` does (sorted, empty ranges dropped,
    /// touching and overlapping ranges merged).
    pub fn from_ranges(mut ranges: Vec<VersionRange>) -> VersionSpec {
        ranges.sort_by(|a, b| {
            if a.lower.lower_lt(&b.lower) || (a.lower == b.lower && a.upper.upper_lt(&b.upper)) {
                Ordering::Less
            } else if b.lower.lower_lt(&a.lower)
                || (a.lower == b.lower && b.upper.upper_lt(&a.upper))
            {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        });
        let mut out: Vec<VersionRange> = Vec::with_capacity(ranges.len());
        let mut current: Option<(VersionBound, VersionBound)> = None;
        for r in ranges.into_iter().filter(|r| !r.is_empty()) {
            match current {
                None => current = Some((r.lower, r.upper)),
                Some((lo, up)) => {
                    if is_joinable(&up, &r.lower) {
                        if up.upper_lt(&r.upper) {
                            current = Some((lo, r.upper));
                        }
                    } else {
                        out.push(VersionRange::new(lo, up));
                        current = Some((r.lower, r.upper));
                    }
                }
            }
        }
        if let Some((lo, up)) = current {
            let r = VersionRange::new(lo, up);
            if !r.is_empty() {
                out.push(r);
            }
        }
        VersionSpec { ranges: out }
    }

    /// Parses one registry range (`Compat.toml` values, `VersionSpec("...")`).
    pub fn parse_range(s: &str) -> Result<VersionSpec, String> {
        Ok(VersionSpec::from_ranges(vec![VersionRange::parse(s)?]))
    }

    /// Parses a list of registry ranges (a `Compat.toml` array value).
    pub fn parse_ranges<'a>(
        items: impl IntoIterator<Item = &'a str>,
    ) -> Result<VersionSpec, String> {
        let ranges = items
            .into_iter()
            .map(VersionRange::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VersionSpec::from_ranges(ranges))
    }

    /// The normalised ranges.
    pub fn ranges(&self) -> &[VersionRange] {
        &self.ranges
    }

    /// Whether no version is in the spec.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the spec is `*`.
    pub fn is_any(&self) -> bool {
        *self == VersionSpec::any()
    }

    /// Pkg's `v in spec`.
    pub fn contains(&self, v: &VersionNumber) -> bool {
        self.ranges.iter().any(|r| r.contains(v))
    }

    /// The intersection of two specs.
    pub fn intersect(&self, other: &VersionSpec) -> VersionSpec {
        let ranges = self
            .ranges
            .iter()
            .flat_map(|a| other.ranges.iter().map(move |b| a.intersect(b)))
            .collect();
        VersionSpec::from_ranges(ranges)
    }

    /// Prints the spec as Pkg does: one range alone, several as `[r1, r2]`, none as `∅`.
    pub fn display(&self, style: RangeStyle) -> impl fmt::Display + '_ {
        DisplaySpec { spec: self, style }
    }
}

struct DisplaySpec<'a> {
    spec: &'a VersionSpec,
    style: RangeStyle,
}

impl fmt::Display for DisplaySpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spec.ranges.as_slice() {
            [] => f.write_str("∅"),
            [one] => one.display(self.style).fmt(f),
            many => {
                f.write_str("[")?;
                for (i, r) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    r.display(self.style).fmt(f)?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.display(RangeStyle::Spaced).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionNumber {
        VersionNumber::parse(s).unwrap()
    }

    #[test]
    fn registry_ranges() {
        let r = VersionSpec::parse_range("0.5-0.7").unwrap();
        assert!(r.contains(&v("0.5.0")) && r.contains(&v("0.7.9")) && !r.contains(&v("0.8.0")));
        let r = VersionSpec::parse_range("0.3.2-0").unwrap();
        assert!(r.contains(&v("0.9.1")) && !r.contains(&v("0.3.1")) && !r.contains(&v("1.0.0")));
        assert!(VersionSpec::parse_range("*").unwrap().is_any());
        let r = VersionSpec::parse_range("0.21.4 - 0").unwrap();
        assert!(r.contains(&v("0.21.4")));
        assert!(VersionSpec::parse_range("1-2-3").is_err());
        assert!(VersionSpec::parse_range("1.2.3.4").is_err());
        assert!(VersionSpec::parse_range("").is_err());
    }

    #[test]
    fn membership_ignores_prerelease_and_build() {
        let one = VersionSpec::parse_range("1").unwrap();
        assert!(one.contains(&v("1.0.0-rc1")));
        assert!(VersionSpec::parse_range("3.0.2")
            .unwrap()
            .contains(&v("3.0.2+0")));
    }

    #[test]
    fn union_and_joinable() {
        let a = VersionSpec::parse_ranges(["1.5-2.8", "2.5-3"]).unwrap();
        let b = VersionSpec::parse_ranges(["2.5-3", "1.5-2.8"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.ranges().len(), 1);
        assert_eq!(a.to_string(), "1.5 - 3");
        assert_eq!(
            VersionSpec::parse_ranges(["1.5-2.2", "2.5-3"])
                .unwrap()
                .ranges()
                .len(),
            2
        );
        assert!(is_joinable(
            &VersionBound::new(&[1, 5]),
            &VersionBound::new(&[1, 6])
        ));
        assert!(!is_joinable(
            &VersionBound::new(&[1, 5]),
            &VersionBound::new(&[1, 6, 0])
        ));
    }

    #[test]
    fn printing_styles() {
        let r = VersionRange::parse("0-0.3.2").unwrap();
        assert_eq!(r.to_string(), "0 - 0.3.2");
        assert_eq!(r.display(RangeStyle::Compact).to_string(), "0-0.3.2");
        let star = VersionRange::new(VersionBound::new(&[1, 2, 0]), VersionBound::STAR);
        assert_eq!(star.to_string(), "1.2.0 - *");
        assert_eq!(star.display(RangeStyle::Compact).to_string(), "1.2.0-*");
        assert_eq!(VersionSpec::none().to_string(), "∅");
        assert_eq!(
            VersionSpec::parse_range("1.2-1.2.0").unwrap().to_string(),
            "1.2.0"
        );
    }
}
