//! Pkg's compat specifiers (`[compat]` in Project.toml): `semver_spec` of `src/Versions.jl`.
//!
//! Grammar, per comma-separated element: caret (`1.2`, `^1.2`), tilde (`~1.2`), inequality
//! (`>= 1`, `≥1`, `= 1.2`, `< 2`) or hyphen (`1.2 - 3`, spaces required). Compat has no `>`,
//! `<=` or `*`; those belong to the registry's range syntax (see [`crate::version_spec`]).

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use crate::version_spec::{VersionBound, VersionRange, VersionSpec};

/// A compat entry: the spec Pkg derives and the text the user wrote (which is what Pkg writes
/// back, verbatim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compat {
    /// The parsed set of versions.
    pub spec: VersionSpec,
    /// The original string.
    pub text: String,
}

impl Compat {
    /// Parses a compat string as Pkg's `semver_spec` does.
    pub fn parse(text: &str) -> Result<Compat, CompatParseError> {
        Ok(Compat {
            spec: semver_spec(text)?,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The error Pkg raises for a compat string it cannot parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid version specifier: \"{input}\"{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct CompatParseError {
    /// The whole compat string.
    pub input: String,
    /// More detail, when there is any.
    pub detail: Option<String>,
}

// PCRE without UCP: `\s` is ASCII white space only.
const WS: &str = r"[ \t\n\x0B\x0C\r]";

struct Grammar {
    caret_tilde: Regex,
    inequality: Regex,
    hyphen: Regex,
}

fn grammar() -> &'static Grammar {
    static G: OnceLock<Grammar> = OnceLock::new();
    G.get_or_init(|| {
        let ver = r"v?([0-9]+?)(?:\.([0-9]+?))?(?:\.([0-9]+?))?";
        Grammar {
            caret_tilde: Regex::new(&format!(r"^([~^]?)?{ver}$")).expect("valid regex"),
            inequality: Regex::new(&format!(
                r"^((?:≥{WS}*)|(?:>={WS}*)|(?:={WS}*)|(?:<{WS}*))v?{ver}$"
            ))
            .expect("valid regex"),
            hyphen: Regex::new(&format!(r"^{WS}*{ver}{WS}+?-{WS}+?{ver}{WS}*$"))
                .expect("valid regex"),
        }
    })
}

/// Pkg's `semver_spec`: the union of the comma-separated compat elements.
pub fn semver_spec(s: &str) -> Result<VersionSpec, CompatParseError> {
    let fail = |detail: Option<String>| CompatParseError {
        input: s.to_string(),
        detail,
    };
    let mut ranges = Vec::new();
    for element in s.trim().split(',').map(str::trim) {
        let range = if let Some((prefix, nums)) = common_element(element) {
            caret_or_tilde(prefix, &nums).map_err(|e| fail(Some(e)))?
        } else if let Some(c) = grammar().caret_tilde.captures(element) {
            let nums = numbers(&c, 2).map_err(|e| fail(Some(e)))?;
            caret_or_tilde(c.get(1).map_or("", |m| m.as_str()), &nums).map_err(|e| fail(Some(e)))?
        } else if let Some(c) = grammar().inequality.captures(element) {
            let nums = numbers(&c, 2).map_err(|e| fail(Some(e)))?;
            inequality(
                c[1].trim_end_matches(|ch: char| ch.is_ascii_whitespace()),
                &nums,
            )
            .map_err(|e| fail(Some(e)))?
        } else if let Some(c) = grammar().hyphen.captures(element) {
            let lo = numbers(&c, 1).map_err(|e| fail(Some(e)))?;
            let hi = numbers(&c, 4).map_err(|e| fail(Some(e)))?;
            VersionRange::new(VersionBound::new(&lo), VersionBound::new(&hi))
        } else {
            return Err(fail(None));
        };
        ranges.push(range);
    }
    Ok(VersionSpec::from_ranges(ranges))
}

/// The common compat elements, without the regexes: `1.2.3`, `^0.5`, `~1.2` (an optional
/// `^` or `~`, then 1 to 3 numbers), as `caret_tilde` reads them. `None` for anything else (a
/// `v`, an inequality, a range, a number too large, ...): the grammar decides. Compiling it
/// costs more than reading a whole environment's compat by hand.
fn common_element(element: &str) -> Option<(&str, Vec<u32>)> {
    let (prefix, rest) = match element.as_bytes().first() {
        Some(b'^' | b'~') => element.split_at(1),
        _ => ("", element),
    };
    let mut nums = Vec::with_capacity(3);
    for part in rest.split('.') {
        if nums.len() == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums.push(part.parse().ok()?);
    }
    Some((prefix, nums))
}

/// The 1 to 3 numeric captures starting at group `first`.
fn numbers(c: &regex::Captures<'_>, first: usize) -> Result<Vec<u32>, String> {
    (first..first + 3)
        .map_while(|i| c.get(i))
        .map(|m| {
            m.as_str()
                .parse::<u32>()
                .map_err(|_| format!("`{}` is too large", m.as_str()))
        })
        .collect()
}

fn padded(nums: &[u32]) -> [u32; 3] {
    let mut t = [0; 3];
    t[..nums.len()].copy_from_slice(nums);
    t
}

fn caret_or_tilde(prefix: &str, nums: &[u32]) -> Result<VersionRange, String> {
    let [major, minor, patch] = padded(nums);
    if nums.len() == 3 && major == 0 && minor == 0 && patch == 0 {
        return Err("invalid version: \"0.0.0\"".into());
    }
    let lower = VersionBound::new(&[major, minor, patch]);
    let upper = if prefix == "~" {
        if nums.len() >= 2 {
            VersionBound::new(&[major, minor])
        } else {
            VersionBound::new(&[major])
        }
    } else if major != 0 {
        VersionBound::new(&[major])
    } else if minor != 0 {
        VersionBound::new(&[0, minor])
    } else {
        match nums.len() {
            1 => VersionBound::new(&[0]),
            2 => VersionBound::new(&[0, 0]),
            _ => VersionBound::new(&[0, 0, patch]),
        }
    };
    Ok(VersionRange::new(lower, upper))
}

fn inequality(op: &str, nums: &[u32]) -> Result<VersionRange, String> {
    let [major, minor, patch] = padded(nums);
    if nums.len() == 3 && major == 0 && minor == 0 && patch == 0 {
        return Err("invalid version: \"0.0.0\"".into());
    }
    let v = VersionBound::new(&[major, minor, patch]);
    Ok(match op {
        "<" => {
            let upper = if patch != 0 {
                VersionBound::new(&[major, minor, patch - 1])
            } else if minor != 0 {
                VersionBound::new(&[major, minor - 1])
            } else if major != 0 {
                VersionBound::new(&[major - 1])
            } else {
                return Err("a `<` bound below 0 is empty".into());
            };
            VersionRange::new(VersionBound::new(&[0, 0, 0]), upper)
        }
        "=" => VersionRange::new(v, v),
        ">=" | "≥" => VersionRange::new(v, VersionBound::STAR),
        other => return Err(format!("invalid prefix {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::VersionNumber;

    fn spec(s: &str) -> String {
        semver_spec(s).unwrap().to_string()
    }

    #[test]
    fn common_elements_read_as_the_grammar_reads_them() {
        for e in [
            "1",
            "1.2",
            "1.2.3",
            "^0.5",
            "~1.2",
            "~1",
            "^0.0.3",
            "0.0.0",
            "0",
            "^0",
            "01.2",
            "99999999999",
            "v1.2",
            "1.2.3.4",
            "1.",
            "^",
            "~~1",
            ">=1",
        ] {
            let by_grammar = grammar().caret_tilde.captures(e).map(|c| {
                let nums = numbers(&c, 2);
                let prefix = c.get(1).map_or("", |m| m.as_str()).to_string();
                (prefix, nums)
            });
            match common_element(e) {
                Some((prefix, nums)) => {
                    let (p, n) = by_grammar.clone().unwrap();
                    assert_eq!((prefix.to_string(), Ok(nums.clone())), (p, n), "{e}");
                }
                // Not read by hand: the grammar reads it, or it is an error either way.
                None => assert!(
                    by_grammar.is_none_or(|(_, n)| n.is_err()) || e.starts_with('v'),
                    "{e}"
                ),
            }
        }
        assert!(common_element("^1.2").is_some() && common_element(">= 1").is_none());
    }

    #[test]
    fn examples_from_pkg() {
        assert_eq!(spec("1.2.3"), "1.2.3 - 1");
        assert_eq!(spec("^0.2.3"), "0.2.3 - 0.2");
        assert_eq!(spec("0.0.3"), "0.0.3");
        assert_eq!(spec("0"), "0");
        assert_eq!(spec("0.0"), "0.0");
        assert_eq!(spec("1.0"), "1");
        assert_eq!(spec("<1.2"), "0.0.0 - 1.1");
        assert_eq!(spec("=1.2"), "1.2.0");
        assert_eq!(spec(">=1"), "1.0.0 - *");
        assert_eq!(spec("≥ 1"), "1.0.0 - *");
        assert_eq!(spec("~0.0.3"), "0.0.3 - 0.0");
        assert_eq!(spec("0.1.0 - 0.2.2, >=1.2"), "[0.1.0 - 0.2.2, 1.2.0 - *]");
        assert_eq!(spec("0.7, 1"), "[0.7, 1]");
    }

    #[test]
    fn invalid_specifiers() {
        for bad in [
            "0.1.0-0.2.2",
            "^^0.2.3",
            "0.0.0",
            "0.7 1.0",
            "*",
            ">1",
            "<=1",
            "1,",
            "",
            "<0",
            "<0.0",
            "1.2.3.4",
            "99999999999",
        ] {
            assert!(semver_spec(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn membership() {
        let s = semver_spec("0.2.3").unwrap();
        assert!(s.contains(&VersionNumber::parse("0.2.9").unwrap()));
        assert!(!s.contains(&VersionNumber::parse("0.3.0").unwrap()));
        let h = semver_spec("1 - 2").unwrap();
        assert!(h.contains(&VersionNumber::parse("2.9.9").unwrap()));
        assert!(!h.contains(&VersionNumber::parse("3.0.0").unwrap()));
    }
}
