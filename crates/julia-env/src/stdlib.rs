//! Julia's standard libraries per release (1.6 to 1.13), recognised by UUID, never by name.
//!
//! The table in `data/stdlibs.toml` is derived from HistoricalStdlibVersions.jl; each release
//! key is the first release with that exact set, and later patch releases share it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::ids::{parse_uuid, Uuid};
use crate::version::VersionNumber;

const DATA: &str = include_str!("../data/stdlibs.toml");

/// One standard library as shipped with a Julia release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stdlib {
    /// Its name.
    pub name: &'static str,
    /// Its UUID.
    pub uuid: Uuid,
    /// Its version, or `None` when it ships without one (most stdlibs before Julia 1.11).
    pub version: Option<VersionNumber>,
}

/// The standard libraries of one Julia release series.
#[derive(Debug)]
pub struct StdlibSet {
    /// The first release with this set.
    pub first_release: VersionNumber,
    by_uuid: BTreeMap<Uuid, Stdlib>,
}

impl StdlibSet {
    /// The stdlib with `uuid`, if this release ships it.
    pub fn get(&self, uuid: &Uuid) -> Option<&Stdlib> {
        self.by_uuid.get(uuid)
    }

    /// Every stdlib of the release.
    pub fn iter(&self) -> impl Iterator<Item = &Stdlib> {
        self.by_uuid.values()
    }
}

struct Table {
    uuids: BTreeMap<&'static str, Uuid>,
    releases: Vec<StdlibSet>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let doc: toml_edit::Document<&'static str> =
            toml_edit::Document::parse(DATA).expect("stdlib table is valid TOML");
        let root = doc.as_table();
        let mut uuids = BTreeMap::new();
        for (name, v) in root["uuids"].as_table().expect("[uuids]").iter() {
            let name: &'static str = leak(name);
            uuids.insert(
                name,
                parse_uuid(v.as_str().expect("uuid string")).expect("valid uuid"),
            );
        }
        let mut releases = Vec::new();
        for (release, v) in root["releases"].as_table().expect("[releases]").iter() {
            let mut by_uuid = BTreeMap::new();
            for (name, ver) in v.as_inline_table().expect("inline table").iter() {
                let name: &'static str = leak(name);
                let uuid = uuids[name];
                let ver = ver.as_str().expect("version string");
                let version =
                    (!ver.is_empty()).then(|| VersionNumber::parse(ver).expect("valid version"));
                by_uuid.insert(
                    uuid,
                    Stdlib {
                        name,
                        uuid,
                        version,
                    },
                );
            }
            releases.push(StdlibSet {
                first_release: VersionNumber::parse(release).expect("valid release"),
                by_uuid,
            });
        }
        releases.sort_by(|a, b| a.first_release.cmp(&b.first_release));
        Table { uuids, releases }
    })
}

/// Names in the embedded table live for the program's life; interning them once is cheaper
/// than carrying owned strings through every lookup.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The stdlib set of `julia` (the newest set whose first release is not newer, comparing
/// `major.minor.patch` only, so `1.13.0-DEV` uses 1.13.0's set). `None` before Julia 1.5.
pub fn stdlibs_for(julia: &VersionNumber) -> Option<&'static StdlibSet> {
    table()
        .releases
        .iter()
        .rev()
        .find(|s| s.first_release.triple() <= julia.triple())
}

/// Whether `uuid` is a standard library of any known Julia release.
pub fn is_known_stdlib(uuid: &Uuid) -> bool {
    table().uuids.values().any(|u| u == uuid)
}

/// The name of a known standard library.
pub fn stdlib_name(uuid: &Uuid) -> Option<&'static str> {
    table()
        .uuids
        .iter()
        .find(|(_, u)| *u == uuid)
        .map(|(n, _)| *n)
}

/// Stdlibs that Pkg resolves from the registry like ordinary packages in `julia`
/// (`UPGRADABLE_STDLIBS`, formerly `FORMER_STDLIBS`).
pub fn upgradable_stdlibs(julia: &VersionNumber) -> &'static [&'static str] {
    match (julia.major, julia.minor) {
        (1, 0..=8) | (0, _) => &[],
        (1, 9..=10) => &["DelimitedFiles"],
        _ => &["DelimitedFiles", "Statistics"],
    }
}

/// Whether `uuid` is a non-upgradable stdlib of `julia`: one fixed version, never downloaded,
/// no tree hash.
pub fn is_fixed_stdlib(uuid: &Uuid, julia: &VersionNumber) -> bool {
    match stdlibs_for(julia).and_then(|s| s.get(uuid)) {
        Some(s) => !upgradable_stdlibs(julia).contains(&s.name),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionNumber {
        VersionNumber::parse(s).unwrap()
    }

    #[test]
    fn versions_per_release() {
        let dates = parse_uuid("ade2ca70-3891-5945-98fb-dc099432e06a").unwrap();
        assert_eq!(
            stdlibs_for(&v("1.10.4"))
                .unwrap()
                .get(&dates)
                .unwrap()
                .version,
            None
        );
        assert_eq!(
            stdlibs_for(&v("1.11.9"))
                .unwrap()
                .get(&dates)
                .unwrap()
                .version,
            Some(v("1.11.0"))
        );
        let stats = parse_uuid("10745b16-79ce-11e8-11f9-7d13ad32a3b2").unwrap();
        assert!(is_fixed_stdlib(&stats, &v("1.10.0")));
        assert!(!is_fixed_stdlib(&stats, &v("1.11.0")));
        let jsh = parse_uuid("ac6e5ff7-fb65-4e79-a425-ec3bc9c03011").unwrap();
        assert!(stdlibs_for(&v("1.11.5")).unwrap().get(&jsh).is_none());
        assert!(stdlibs_for(&v("1.12.0-rc1")).unwrap().get(&jsh).is_some());
        assert!(stdlibs_for(&v("1.4.2")).is_none());
        assert!(stdlibs_for(&v("1.5.3")).unwrap().get(&dates).is_some());
        assert!(stdlibs_for(&v("1.5.3")).unwrap().get(&jsh).is_none());
        assert!(stdlibs_for(&v("1.6.0")).is_some());
        assert_eq!(stdlib_name(&dates), Some("Dates"));
        assert!(is_known_stdlib(&dates));
        assert!(!is_known_stdlib(&Uuid::nil()));
    }

    #[test]
    fn counts_match_the_spec() {
        assert_eq!(stdlibs_for(&v("1.10.0")).unwrap().iter().count(), 58);
        assert_eq!(stdlibs_for(&v("1.11.0")).unwrap().iter().count(), 58);
        assert_eq!(stdlibs_for(&v("1.12.0")).unwrap().iter().count(), 59);
    }
}
