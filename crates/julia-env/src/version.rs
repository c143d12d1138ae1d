//! Julia's `VersionNumber`: parsing, printing and ordering exactly as `base/version.jl` does.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;

/// One dot-separated identifier of a pre-release or build part.
///
/// Julia stores an all-digit identifier as an integer and anything else as a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ident {
    /// An identifier made only of digits.
    Num(u64),
    /// Any other identifier (may be empty: `1.0-` has the single pre-release identifier `""`).
    Str(String),
}

impl Ident {
    fn parse(s: &str) -> Result<Ident, String> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u64>()
                .map(Ident::Num)
                .map_err(|_| format!("version identifier `{s}` is too large"))
        } else {
            Ok(Ident::Str(s.to_string()))
        }
    }

    /// `ident_cmp` of `base/version.jl`: the empty string < integers < other strings.
    fn cmp_julia(&self, other: &Ident) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Str(b)) => {
                if b.is_empty() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Ident::Str(a), Ident::Num(_)) => {
                if a.is_empty() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Ident::Str(a), Ident::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Num(n) => write!(f, "{n}"),
            Ident::Str(s) => f.write_str(s),
        }
    }
}

fn idents_cmp(a: &[Ident], b: &[Ident]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let c = x.cmp_julia(y);
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

/// A Julia `VersionNumber` such as `1.10.4`, `1.13.0-DEV.123` or `2.1.0+0`.
///
/// Equality is field-wise, which agrees with Julia's `==` (its `ident_cmp` is zero only for
/// identical identifiers), so it is consistent with the ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionNumber {
    /// Major component.
    pub major: u32,
    /// Minor component (0 when omitted).
    pub minor: u32,
    /// Patch component (0 when omitted).
    pub patch: u32,
    /// Pre-release identifiers (`-rc1`, `-DEV.123`).
    pub prerelease: Vec<Ident>,
    /// Build identifiers (`+0`, `+1`).
    pub build: Vec<Ident>,
}

/// The error of parsing a [`VersionNumber`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid version number `{input}`{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct VersionParseError {
    /// The text that failed to parse.
    pub input: String,
    /// Why, when more can be said than "does not match Julia's version syntax".
    pub detail: Option<String>,
}

fn version_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Julia's VERSION_REGEX (base/version.jl) with its `i` flag spelled out as character
    // classes, and `\d` as `[0-9]` (PCRE without UCP matches ASCII digits only).
    RE.get_or_init(|| {
        let id = "[0-9a-zA-Z-]";
        Regex::new(&format!(
            r"^[vV]?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:(-)|([a-zA-Z]{id}*(?:\.{id}+)*|-(?:{id}+\.)*{id}+)?(?:(\+)|(?:\+((?:{id}+\.)*{id}+))?))$"
        ))
        .expect("version regex is valid")
    })
}

impl VersionNumber {
    /// A plain `major.minor.patch` version.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        VersionNumber {
            major,
            minor,
            patch,
            prerelease: Vec::new(),
            build: Vec::new(),
        }
    }

    /// Parses Julia's version syntax (`v"..."`): optional `v`, 1 to 3 numbers, optional
    /// pre-release and build parts. `"1"` is `1.0.0`; `"0.5.3.3.5"` is an error.
    pub fn parse(s: &str) -> Result<Self, VersionParseError> {
        if s == "∞" {
            return Ok(VersionNumber {
                major: u32::MAX,
                minor: u32::MAX,
                patch: u32::MAX,
                prerelease: Vec::new(),
                build: vec![Ident::Str(String::new())],
            });
        }
        match VersionNumber::parse_common(s) {
            Some(v) => Ok(v),
            None => VersionNumber::parse_by_grammar(s),
        }
    }

    /// [`VersionNumber::parse`] by Julia's `VERSION_REGEX`.
    fn parse_by_grammar(s: &str) -> Result<Self, VersionParseError> {
        let err = |detail: Option<String>| VersionParseError {
            input: s.to_string(),
            detail,
        };
        let caps = version_regex().captures(s).ok_or_else(|| err(None))?;
        let number = |i: usize| -> Result<u32, VersionParseError> {
            match caps.get(i) {
                None => Ok(0),
                Some(m) => m
                    .as_str()
                    .parse::<u32>()
                    .map_err(|_| err(Some(format!("`{}` is too large", m.as_str())))),
            }
        };
        let split = |text: &str| -> Result<Vec<Ident>, VersionParseError> {
            text.split('.')
                .map(|p| Ident::parse(p).map_err(|e| err(Some(e))))
                .collect()
        };
        let major = number(1)?;
        let minor = number(2)?;
        let patch = number(3)?;
        let prerelease = match (caps.get(4), caps.get(5)) {
            (_, Some(p)) => split(p.as_str().strip_prefix('-').unwrap_or(p.as_str()))?,
            (Some(_), None) => vec![Ident::Str(String::new())],
            (None, None) => Vec::new(),
        };
        let build = match (caps.get(6), caps.get(7)) {
            (_, Some(b)) => split(b.as_str())?,
            (Some(_), None) => vec![Ident::Str(String::new())],
            (None, None) => Vec::new(),
        };
        Ok(VersionNumber {
            major,
            minor,
            patch,
            prerelease,
            build,
        })
    }

    /// The common forms, without the regex: 1 to 3 numbers and an optional build part
    /// (`1.2.3`, `1.10`, `0.3.6+1`), as the regex reads them. `None` for anything else
    /// (a `v`, a pre-release part, a number too large, ...): the regex decides, and says why.
    /// Julia's grammar is a regex; compiling it costs more than reading a whole Manifest's
    /// versions by hand, and every Manifest version has one of these forms.
    fn parse_common(s: &str) -> Option<VersionNumber> {
        let (numbers, build) = match s.split_once('+') {
            Some((n, b)) => (n, Some(b)),
            None => (s, None),
        };
        let mut parts = [0u32; 3];
        for (i, part) in numbers.split('.').enumerate() {
            if i == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = part.parse().ok()?;
        }
        let build = match build {
            None => Vec::new(),
            Some(b) => b
                .split('.')
                .map(|id| {
                    let ok = !id.is_empty()
                        && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
                    ok.then(|| Ident::parse(id).ok()).flatten()
                })
                .collect::<Option<Vec<Ident>>>()?,
        };
        Some(VersionNumber {
            build,
            ..VersionNumber::new(parts[0], parts[1], parts[2])
        })
    }

    /// `(major, minor, patch)`.
    pub fn triple(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    /// Whether the version has neither pre-release nor build parts.
    pub fn is_plain(&self) -> bool {
        self.prerelease.is_empty() && self.build.is_empty()
    }

    /// `major.minor.0`: the "minor series" Julia uses for `julia_version` checks.
    pub fn this_minor(&self) -> VersionNumber {
        VersionNumber::new(self.major, self.minor, 0)
    }

    /// Pkg's `dropbuild` as used for `julia_version`: `major.minor.patch` plus only the first
    /// pre-release identifier (`1.13.0-DEV.123` becomes `1.13.0-DEV`).
    pub fn drop_build(&self) -> VersionNumber {
        VersionNumber {
            prerelease: self.prerelease.iter().take(1).cloned().collect(),
            build: Vec::new(),
            ..VersionNumber::new(self.major, self.minor, self.patch)
        }
    }

    fn is_super_build(&self) -> bool {
        matches!(self.build.as_slice(), [Ident::Str(s)] if s.is_empty())
    }
}

impl FromStr for VersionNumber {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersionNumber::parse(s)
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        let mut part = |sep: char, ids: &[Ident]| -> fmt::Result {
            if ids.is_empty() {
                return Ok(());
            }
            write!(f, "{sep}")?;
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    f.write_str(".")?;
                }
                write!(f, "{id}")?;
            }
            Ok(())
        };
        part('-', &self.prerelease)?;
        part('+', &self.build)
    }
}

impl Ord for VersionNumber {
    /// Julia's `isless`: pre-releases sort before the release, builds after it, and the
    /// "super build" `+` after every other build.
    fn cmp(&self, other: &Self) -> Ordering {
        self.triple()
            .cmp(&other.triple())
            .then_with(
                || match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
                    (false, true) => Ordering::Less,
                    (true, false) => Ordering::Greater,
                    _ => idents_cmp(&self.prerelease, &other.prerelease),
                },
            )
            .then_with(|| match (self.is_super_build(), other.is_super_build()) {
                (false, true) => Ordering::Less,
                (true, false) => Ordering::Greater,
                _ => idents_cmp(&self.build, &other.build),
            })
    }
}

impl PartialOrd for VersionNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for VersionNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read from its text (`"1.11.2"`), as [`VersionNumber::parse`] reads it.
impl<'de> serde::Deserialize<'de> for VersionNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        VersionNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionNumber {
        VersionNumber::parse(s).unwrap()
    }

    #[test]
    fn the_common_forms_read_as_the_grammar_reads_them() {
        for s in [
            "1",
            "1.2",
            "1.2.3",
            "0.3.6+1",
            "17.4.0+2",
            "1.2.3+a-b.7",
            "01.002.3",
            "1.2.3+",
            "1.2.3.4",
            "1..2",
            "1.2.",
            ".1",
            "v1.2",
            "1.2-rc1",
            "1.2.3-DEV.1+7",
            "1.2.3+0.x",
            "99999999999",
            "1.2.3+99999999999999999999",
            "1.2.3+a_b",
            "",
            "+1",
            "1+",
        ] {
            if let Some(v) = VersionNumber::parse_common(s) {
                assert_eq!(Ok(v), VersionNumber::parse_by_grammar(s), "{s}");
            }
            let by_grammar = VersionNumber::parse_by_grammar(s);
            assert_eq!(VersionNumber::parse(s), by_grammar, "{s}");
        }
        assert!(VersionNumber::parse_common("0.3.6+1").is_some());
        assert!(VersionNumber::parse_common("1.2-rc1").is_none());
    }

    #[test]
    fn parses_julia_forms() {
        assert_eq!(v("1").to_string(), "1.0.0");
        assert_eq!(v("0.2").to_string(), "0.2.0");
        assert_eq!(v("v1.2.3").to_string(), "1.2.3");
        assert_eq!(v("1.2.3rc1").to_string(), "1.2.3-rc1");
        assert_eq!(v("1.13.0-DEV.123").to_string(), "1.13.0-DEV.123");
        assert_eq!(v("1.0-").to_string(), "1.0.0-");
        assert_eq!(v("1.0+").to_string(), "1.0.0+");
        assert_eq!(v("1.2.13+1").build, vec![Ident::Num(1)]);
        assert_eq!(v("1.2.3-alpha.1+b.2").to_string(), "1.2.3-alpha.1+b.2");
    }

    #[test]
    fn rejects_what_julia_rejects() {
        for bad in [
            "",
            "0.5.3.3.5",
            "1.2.3.",
            "a",
            "1..2",
            "1.2-",
            "1.2.3+a+b",
            "1.2.3-a..b",
            " 1.0",
            "99999999999.0",
            "1.0-+",
        ] {
            if bad == "1.2-" {
                // A lone trailing `-` is allowed: the empty pre-release.
                assert!(VersionNumber::parse(bad).is_ok());
                continue;
            }
            assert!(
                VersionNumber::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn orders_like_julia() {
        let ordered = [
            "0.0.0-",
            "0.0.0",
            "1.0.0-",
            "1.0.0-1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0",
            "1.0.0+0",
            "1.0.0+1",
            "1.0.0+a",
            "1.0.0+",
            "1.0.1",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_ne!(v("1.0.0+1"), v("1.0.0"));
    }

    #[test]
    fn drop_build_keeps_first_prerelease() {
        assert_eq!(v("1.13.0-DEV.123+4").drop_build().to_string(), "1.13.0-DEV");
        assert_eq!(v("1.10.4").drop_build().to_string(), "1.10.4");
    }
}
