//! Julia's standard libraries per release (1.6 to 1.13), recognised by UUID, never by name.
//!
//! The table in `data/stdlibs.toml` is derived from HistoricalStdlibVersions.jl; each release
//! key is the first release with that exact set, and later patch releases share it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::ids::Uuid;
use crate::version::VersionNumber;

/// A release's `(major, minor, patch)`.
type Release = (u32, u32, u32);

// `STDLIBS` and `RELEASES`, generated from `data/stdlibs.toml` by the build script.
include!(concat!(env!("OUT_DIR"), "/stdlibs.rs"));

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

    /// The set of `RELEASES[i]`, built from the generated table.
    fn of_release(i: usize) -> StdlibSet {
        let ((major, minor, patch), stdlibs) = RELEASES[i];
        let by_uuid = stdlibs
            .iter()
            .map(|&(index, version)| {
                let (name, uuid) = STDLIBS[index];
                let version = (!version.is_empty())
                    .then(|| VersionNumber::parse(version).expect("the build script checked it"));
                (
                    uuid,
                    Stdlib {
                        name,
                        uuid,
                        version,
                    },
                )
            })
            .collect();
        StdlibSet {
            first_release: VersionNumber::new(major, minor, patch),
            by_uuid,
        }
    }
}

/// The stdlib set of `julia` (the newest set whose first release is not newer, comparing
/// `major.minor.patch` only, so `1.13.0-DEV` uses 1.13.0's set). `None` before Julia 1.5.
/// Each release's set is built once, when first asked for.
pub fn stdlibs_for(julia: &VersionNumber) -> Option<&'static StdlibSet> {
    static SETS: [OnceLock<StdlibSet>; RELEASES.len()] =
        [const { OnceLock::new() }; RELEASES.len()];
    let i = RELEASES
        .iter()
        .rposition(|(first, _)| *first <= julia.triple())?;
    Some(SETS[i].get_or_init(|| StdlibSet::of_release(i)))
}

/// Whether `uuid` is a standard library of any known Julia release.
pub fn is_known_stdlib(uuid: &Uuid) -> bool {
    STDLIBS.iter().any(|(_, u)| u == uuid)
}

/// The name of a known standard library.
pub fn stdlib_name(uuid: &Uuid) -> Option<&'static str> {
    STDLIBS.iter().find(|(_, u)| u == uuid).map(|(n, _)| *n)
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
    use crate::ids::parse_uuid;

    #[test]
    fn the_generated_table_is_the_data_file() {
        // Read `data/stdlibs.toml` as the build script does, and compare with every set.
        let text = include_str!("../data/stdlibs.toml");
        let doc: toml_edit::DocumentMut = text.parse().unwrap();
        let uuids = doc["uuids"].as_table().unwrap();
        assert_eq!(uuids.len(), STDLIBS.len());
        for (name, u) in uuids.iter() {
            let uuid = parse_uuid(u.as_str().unwrap()).unwrap();
            assert_eq!(stdlib_name(&uuid), Some(name));
        }
        let releases = doc["releases"].as_table().unwrap();
        assert_eq!(releases.len(), RELEASES.len());
        for (release, set) in releases.iter() {
            let set = set.as_inline_table().unwrap();
            let got = stdlibs_for(&v(release)).unwrap();
            assert_eq!(got.first_release, v(release));
            assert_eq!(got.iter().count(), set.len(), "{release}");
            for (name, version) in set.iter() {
                let uuid = parse_uuid(uuids[name].as_str().unwrap()).unwrap();
                let s = got.get(&uuid).unwrap();
                assert_eq!(s.name, name);
                let version = version.as_str().unwrap();
                assert_eq!(
                    s.version,
                    (!version.is_empty()).then(|| v(version)),
                    "{name}"
                );
            }
        }
    }

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
