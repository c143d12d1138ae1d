//! Julia's `Platform` (`base/binaryplatforms.jl`): triplets such as
//! `x86_64-linux-gnu-libgfortran5-cxx11-julia_version+1.10.4`, the tags of an Artifacts.toml
//! entry, matching, and the choice among several matching artifact entries.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use crate::version::VersionNumber;

/// A platform: `os`, `arch` and any other tags, all lowercased and normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Platform {
    tags: BTreeMap<String, String>,
}

/// Why a platform description was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlatformError(pub String);

const FORBIDDEN: &[char] = &[
    '+', '-', '/', '<', '>', ':', '"', '\'', '\\', '|', '?', '*', ' ',
];

fn normalize_arch(arch: &str) -> String {
    match arch {
        "amd64" => "x86_64",
        "i386" | "i486" | "i586" => "i686",
        "armv6" => "armv6l",
        "arm" | "armv7" | "armv8" | "armv8l" => "armv7l",
        "arm64" => "aarch64",
        "ppc64le" => "powerpc64le",
        other => other,
    }
    .to_string()
}

impl Platform {
    /// A platform from `os`, `arch` and tags, with Julia's normalisation and defaults
    /// (`libc = glibc` on Linux, `call_abi = eabihf` on 32-bit ARM Linux, version-like tags
    /// printed as full versions).
    pub fn new(
        os: &str,
        arch: &str,
        tags: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Platform, PlatformError> {
        let mut map = BTreeMap::new();
        map.insert("os".to_string(), os.to_lowercase());
        map.insert("arch".to_string(), normalize_arch(&arch.to_lowercase()));
        for (k, v) in tags {
            let (k, mut v) = (k.to_lowercase(), v.to_lowercase());
            for s in [&k, &v] {
                if s.contains(FORBIDDEN) {
                    return Err(PlatformError(format!(
                        "invalid character in platform tag `{k}` = `{v}`"
                    )));
                }
            }
            if matches!(
                k.as_str(),
                "libgfortran_version" | "libstdcxx_version" | "os_version"
            ) {
                if let Ok(parsed) = VersionNumber::parse(&v) {
                    v = parsed.to_string();
                }
            }
            map.insert(k, v);
        }
        if map["os"] == "linux" {
            map.entry("libc".into()).or_insert_with(|| "glibc".into());
            if matches!(map["arch"].as_str(), "armv7l" | "armv6l") {
                map.entry("call_abi".into())
                    .or_insert_with(|| "eabihf".into());
            }
        }
        Ok(Platform { tags: map })
    }

    /// Parses a triplet (`Base.parse(Platform, triplet)`).
    pub fn parse_triplet(triplet: &str) -> Result<Platform, PlatformError> {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(concat!(
                r"^(?P<arch>x86_64|amd64|i686|i386|i486|i586|aarch64|arm64|armv7l|armv7|arm|armv8l|armv6l|armv6|powerpc64le|ppc64le|riscv64)",
                r"(?P<os>-apple-darwin(?P<darwin>[0-9.]*)|-(?:.*-)?freebsd(?P<freebsd>[0-9.]*)|-w64-mingw32|-(?:.*-)?linux|-(?:.*-)?openbsd(?P<openbsd>[0-9.]*))",
                r"(?P<libc>-gnu|-musl)?",
                r"(?P<abi>eabihf|eabi)?",
                r"(?P<gfortran>-libgfortran[0-9]+|-gcc4|-gcc7|-gcc8)?",
                // Pkg 1.5's own triplets put libstdcxx before the string ABI (Julia 1.5.3
                // prints `x86_64-linux-gnu-libgfortran5-libstdcxx26-cxx11`); 1.6+ after it.
                r"(?P<stdcxx15>-libstdcxx[0-9]+)?",
                r"(?P<cxx>-cxx03|-cxx11)?",
                r"(?P<stdcxx>-libstdcxx[0-9]+)?",
                r"(?P<tags>(?:-[^-+]+\+[^-]+)*)$"
            ))
            .expect("valid triplet regex")
        });
        let c = re
            .captures(triplet)
            .ok_or_else(|| PlatformError(format!("`{triplet}` is not a platform triplet")))?;
        let os_part = &c["os"];
        let os = if os_part.starts_with("-apple-darwin") {
            "macos"
        } else if os_part.contains("freebsd") {
            "freebsd"
        } else if os_part == "-w64-mingw32" {
            "windows"
        } else if os_part.contains("openbsd") {
            "openbsd"
        } else {
            "linux"
        };
        let mut tags: Vec<(String, String)> = Vec::new();
        if let Some(v) = c.name("darwin").or(c.name("freebsd")).or(c.name("openbsd")) {
            if !v.as_str().is_empty() {
                tags.push(("os_version".into(), v.as_str().to_string()));
            }
        }
        if let Some(l) = c.name("libc") {
            tags.push((
                "libc".into(),
                if l.as_str() == "-gnu" {
                    "glibc"
                } else {
                    "musl"
                }
                .into(),
            ));
        }
        if let Some(a) = c.name("abi") {
            tags.push(("call_abi".into(), a.as_str().into()));
        }
        if let Some(g) = c.name("gfortran") {
            let v = match g.as_str() {
                "-gcc4" => "3".to_string(),
                "-gcc7" => "4".to_string(),
                "-gcc8" => "5".to_string(),
                other => other.trim_start_matches("-libgfortran").to_string(),
            };
            tags.push(("libgfortran_version".into(), v));
        }
        if let Some(x) = c.name("cxx") {
            tags.push((
                "cxxstring_abi".into(),
                x.as_str().trim_start_matches('-').into(),
            ));
        }
        if let Some(s) = c.name("stdcxx").or(c.name("stdcxx15")) {
            let patch = s.as_str().trim_start_matches("-libstdcxx");
            tags.push(("libstdcxx_version".into(), format!("3.4.{patch}")));
        }
        for pair in c["tags"].split('-').filter(|s| !s.is_empty()) {
            if let Some((k, v)) = pair.split_once('+') {
                tags.push((k.to_string(), v.to_string()));
            }
        }
        Platform::new(os, &c["arch"], tags)
    }

    /// A tag's value (`os`, `arch`, `libc`, ...).
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.tags.get(tag).map(String::as_str)
    }

    /// Every tag.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The triplet, as Julia's `triplet(p)` prints it (extra tags in name order).
    pub fn triplet(&self) -> String {
        let arch = &self.tags["arch"];
        let os = match self.tags["os"].as_str() {
            "macos" => format!("-apple-darwin{}", self.os_version_major()),
            "freebsd" => format!("-unknown-freebsd{}", self.os_version_major_minor()),
            "windows" => "-w64-mingw32".into(),
            "openbsd" => format!("-unknown-openbsd{}", self.os_version_major_minor()),
            other => format!("-{other}"),
        };
        let mut s = format!("{arch}{os}");
        match self.get("libc") {
            Some("glibc") => s.push_str("-gnu"),
            Some("musl") => s.push_str("-musl"),
            _ => {}
        }
        if let Some(abi) = self.get("call_abi") {
            s.push_str(abi);
        }
        if let Some(v) = self.get("libgfortran_version") {
            s.push_str(&format!("-libgfortran{}", v.split('.').next().unwrap_or(v)));
        }
        if let Some(v) = self.get("cxxstring_abi") {
            s.push_str(&format!("-{v}"));
        }
        if let Some(v) = self.get("libstdcxx_version") {
            s.push_str(&format!("-libstdcxx{}", v.rsplit('.').next().unwrap_or(v)));
        }
        for (k, v) in &self.tags {
            if !matches!(
                k.as_str(),
                "arch"
                    | "os"
                    | "libc"
                    | "call_abi"
                    | "libgfortran_version"
                    | "cxxstring_abi"
                    | "libstdcxx_version"
                    | "os_version"
            ) {
                s.push_str(&format!("-{k}+{v}"));
            }
        }
        s
    }

    fn os_version_major(&self) -> String {
        self.get("os_version")
            .and_then(|v| v.split('.').next())
            .unwrap_or("")
            .to_string()
    }

    fn os_version_major_minor(&self) -> String {
        self.get("os_version")
            .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
            .unwrap_or_default()
    }

    /// `platforms_match(artifact, host)`: every tag present on both sides agrees.
    /// `julia_version` compares major.minor; `os_version` and `libstdcxx_version` are caps
    /// (the artifact's must not exceed the host's).
    pub fn matches_host(&self, host: &Platform) -> bool {
        self.tags.iter().all(|(k, v)| match host.tags.get(k) {
            None => true,
            Some(h) => match k.as_str() {
                "julia_version" => minor_of(v) == minor_of(h),
                "os_version" | "libstdcxx_version" => {
                    match (VersionNumber::parse(v), VersionNumber::parse(h)) {
                        (Ok(a), Ok(b)) => a <= b,
                        _ => v == h,
                    }
                }
                _ => v == h,
            },
        })
    }
}

fn minor_of(v: &str) -> Option<(u32, u32)> {
    VersionNumber::parse(v).ok().map(|v| (v.major, v.minor))
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.triplet())
    }
}

/// `select_platform` (Julia 1.10-1.12): among candidates that match the host, the one with
/// the fewest tag keys differing from the host's, then the largest triplet.
pub fn select_platform<'a, T>(
    candidates: impl IntoIterator<Item = (&'a Platform, T)>,
    host: &Platform,
) -> Option<T> {
    let mut matching: Vec<(usize, String, T)> = candidates
        .into_iter()
        .filter(|(p, _)| p.matches_host(host))
        .map(|(p, t)| {
            let loss = p
                .tags
                .keys()
                .filter(|k| !host.tags.contains_key(*k))
                .count()
                + host
                    .tags
                    .keys()
                    .filter(|k| !p.tags.contains_key(*k))
                    .count();
            (loss, p.triplet(), t)
        })
        .collect();
    matching.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    matching.into_iter().next().map(|(_, _, t)| t)
}

impl PartialOrd for Platform {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.triplet().cmp(&other.triplet()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_round_trip() {
        for t in [
            "x86_64-linux-gnu",
            "aarch64-apple-darwin",
            "x86_64-w64-mingw32",
            "x86_64-linux-musl",
            "armv7l-linux-gnueabihf",
            "x86_64-linux-gnu-libgfortran5-cxx11",
            "i686-linux-gnu-libgfortran4-cxx03",
            "x86_64-linux-gnu-cxx11-julia_version+1.10.4",
        ] {
            assert_eq!(Platform::parse_triplet(t).unwrap().triplet(), t);
        }
        let p = Platform::parse_triplet(
            "x86_64-linux-gnu-libgfortran5-cxx11-libstdcxx30-julia_version+1.10.4",
        )
        .unwrap();
        assert_eq!(p.get("libstdcxx_version"), Some("3.4.30"));
        assert_eq!(p.get("libgfortran_version"), Some("5.0.0"));
        // What Julia 1.5.3 (Debian bullseye) prints for
        // `Pkg.BinaryPlatforms.triplet(Pkg.BinaryPlatforms.platform_key_abi())`.
        let p = Platform::parse_triplet("x86_64-linux-gnu-libgfortran5-libstdcxx26-cxx11").unwrap();
        assert_eq!(p.get("libstdcxx_version"), Some("3.4.26"));
        assert_eq!(p.get("cxxstring_abi"), Some("cxx11"));
        assert_eq!(p.get("libc"), Some("glibc"));
        assert_eq!(
            Platform::parse_triplet("amd64-linux-gnu")
                .unwrap()
                .get("arch"),
            Some("x86_64")
        );
        assert!(Platform::parse_triplet("sparc-sun-solaris").is_err());
    }

    #[test]
    fn selection_prefers_fewest_differences_then_largest_triplet() {
        let host = Platform::parse_triplet(
            "x86_64-linux-gnu-libgfortran5-cxx11-libstdcxx30-julia_version+1.10.4",
        )
        .unwrap();
        let g4 = Platform::new(
            "linux",
            "x86_64",
            [("libgfortran_version".to_string(), "4".to_string())],
        )
        .unwrap();
        let g5 = Platform::new(
            "linux",
            "x86_64",
            [("libgfortran_version".to_string(), "5".to_string())],
        )
        .unwrap();
        let mac = Platform::new("macos", "x86_64", []).unwrap();
        let plain = Platform::new("linux", "x86_64", []).unwrap();
        assert!(!g4.matches_host(&host));
        assert!(g5.matches_host(&host));
        assert_eq!(
            select_platform(
                [(&g4, "g4"), (&g5, "g5"), (&mac, "mac"), (&plain, "plain")],
                &host
            ),
            Some("g5")
        );
        let musl = Platform::parse_triplet("x86_64-linux-musl").unwrap();
        assert_eq!(select_platform([(&g4, 1), (&plain, 2)], &musl), None);
        let newer_cxx = Platform::new(
            "linux",
            "x86_64",
            [("libstdcxx_version".to_string(), "3.4.31".to_string())],
        )
        .unwrap();
        assert!(!newer_cxx.matches_host(&host));
        let jv = Platform::new(
            "linux",
            "x86_64",
            [("julia_version".to_string(), "1.10.0".to_string())],
        )
        .unwrap();
        assert!(jv.matches_host(&host));
    }
}
