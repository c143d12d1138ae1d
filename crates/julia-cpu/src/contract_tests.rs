//! Contract tests: sysimg's CPU tables against what each Julia release's own sources say.
//!
//! `julia_targets.txt` lists, for every release 1.5.0–1.13 (the commits are in its header;
//! JuliaLang/julia `src/processor_x86.cpp`, `src/features_x86.h`, `src/processor_arm.cpp`,
//! `src/features_aarch64.h`, `deps/llvm.version`), what an image built for each CPU name
//! requires, Julia's aliases, features and `deps[]`. It was computed from those files
//! directly, not from sysimg's tables, and is the host these tests build: "a machine whose
//! features are exactly what Julia's table lists for that CPU".

use super::*;
use std::collections::BTreeMap;

const FIXTURE: &str = include_str!("julia_targets.txt");

/// A `first..last` range of the fixture's releases, with its payload.
struct Row<'a> {
    kind: &'a str,
    isa: Isa,
    releases: Vec<JuliaRelease>,
    key: &'a str,
    value: &'a str,
}

fn releases() -> Vec<JuliaRelease> {
    FIXTURE
        .lines()
        .filter_map(|l| l.strip_prefix("release "))
        .map(|l| JuliaRelease::parse(l.split_whitespace().next().unwrap()).unwrap())
        .collect()
}

fn rows() -> Vec<Row<'static>> {
    let all = releases();
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("release "))
        .map(|l| {
            let mut words = l.splitn(4, ' ');
            let kind = words.next().unwrap();
            let isa = Isa::from_arch(words.next().unwrap()).unwrap();
            let (first, last) = words.next().unwrap().split_once("..").unwrap();
            let (first, last) = (
                JuliaRelease::parse(first).unwrap(),
                JuliaRelease::parse(last).unwrap(),
            );
            let rest = words.next().unwrap();
            let (key, value) = rest.split_once(':').unwrap_or((rest, ""));
            Row {
                kind,
                isa,
                releases: all
                    .iter()
                    .copied()
                    .filter(|r| first <= *r && *r <= last)
                    .collect(),
                key,
                value: value.trim(),
            }
        })
        .collect()
}

/// (isa, release) -> CPU name -> required features, as Julia's sources say.
fn julia_cpus() -> BTreeMap<(&'static str, JuliaRelease), BTreeMap<&'static str, BTreeSet<String>>>
{
    let mut out: BTreeMap<_, BTreeMap<_, _>> = BTreeMap::new();
    for row in rows().into_iter().filter(|r| r.kind == "cpu") {
        let isa = if row.isa == Isa::X86_64 {
            "x86_64"
        } else {
            "aarch64"
        };
        for r in &row.releases {
            let set = row
                .value
                .split_whitespace()
                .map(|f| canonical_feature(row.isa, f).to_string())
                .collect();
            out.entry((isa, *r)).or_default().insert(row.key, set);
        }
    }
    out
}

fn isa_of(name: &str) -> Isa {
    Isa::from_arch(name).unwrap()
}

fn host(features: &BTreeSet<String>) -> CpuFacts {
    CpuFacts {
        name: "host".into(),
        features: features.clone(),
    }
}

fn target(s: &str) -> CpuTarget {
    CpuTarget::parse(s).unwrap()
}

#[test]
fn the_fixture_covers_every_release_sysimg_supports() {
    let r = releases();
    assert_eq!(r.first(), Some(&JuliaRelease::OLDEST));
    assert_eq!(r.last(), Some(&JuliaRelease::NEWEST));
    assert_eq!(r.len(), 13, "{r:?}");
    // Every table entry points at something that exists in its release.
    for isa in [Isa::X86_64, Isa::Aarch64] {
        for rel in &r {
            let d = julia::tables(isa).dangling(rel.key());
            assert!(d.is_empty(), "{isa:?} {rel}: {d:?}");
        }
    }
}

#[test]
fn cpu_tables_are_julias_release_by_release() {
    // For each release and architecture: the same CPU names as Julia's `cpus[]`, and for
    // each name exactly the features an image Julia builds for it requires.
    let julia = julia_cpus();
    assert_eq!(julia.len(), 26);
    for ((isa, rel), cpus) in &julia {
        let tables = JuliaCpus::new(isa_of(isa), *rel);
        let ours: BTreeSet<&str> = tables.cpu_names().into_iter().collect();
        let theirs: BTreeSet<&str> = cpus.keys().copied().collect();
        assert_eq!(ours, theirs, "{isa} {rel}: CPU names");
        for (name, want) in cpus {
            assert_eq!(
                tables.cpu_features(name).as_ref(),
                Some(want),
                "{isa} {rel} {name}"
            );
        }
    }
}

#[test]
fn aliases_features_and_deps_are_julias_release_by_release() {
    let rows = rows();
    for rel in releases() {
        for isa in [Isa::X86_64, Isa::Aarch64] {
            let tables = JuliaCpus::new(isa, rel);
            let holds = |r: &&Row| r.isa == isa && r.releases.contains(&rel);
            // normalize_cpu_name
            let want: BTreeSet<(&str, &str)> = rows
                .iter()
                .filter(|r| r.kind == "alias")
                .filter(holds)
                .map(|r| (r.key, r.value))
                .collect();
            let ours: BTreeSet<(&str, &str)> = tables.aliases().into_iter().collect();
            assert_eq!(ours, want, "{isa:?} {rel}: aliases");
            for (alias, name) in &want {
                assert_eq!(tables.cpu_name(alias), Some(*name), "{alias}");
                assert_eq!(tables.cpu_features(alias), tables.cpu_features(name));
            }
            // features_*.h
            let want: BTreeSet<&str> = rows
                .iter()
                .filter(|r| r.kind == "feature")
                .filter(holds)
                .map(|r| r.key)
                .collect();
            assert_eq!(tables.feature_names(), want, "{isa:?} {rel}: features");
            // deps[]: `+feature` brings what it needs; `-needs` takes the feature away.
            for dep in rows.iter().filter(|r| r.kind == "dep").filter(holds) {
                let (feature, needs) = (dep.key, dep.value);
                let canon = |f: &str| canonical_feature(isa, f).to_string();
                let need = |s: String| tables.target_features(&target(&s).targets[0], None);
                let got = need(format!("generic,+{feature}")).unwrap();
                // (unless the release never requires `needs`: LLVM too old, or x86's
                // rdrnd/rdseed/rtm/xsaveopt)
                if need(format!("generic,+{needs}"))
                    .unwrap()
                    .contains(&canon(needs))
                {
                    assert!(
                        got.contains(&canon(needs)),
                        "{isa:?} {rel} +{feature}: {got:?}"
                    );
                }
                let t = target(&format!("generic,+{feature},-{needs}"));
                let got = tables.target_features(&t.targets[0], None).unwrap();
                assert!(
                    !got.contains(&canon(feature)),
                    "{isa:?} {rel} -{needs}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn named_targets_run_on_the_cpu_julia_names_them_for() {
    // A host whose features are exactly the CPU's, as Julia's table lists them, runs an image
    // Julia built for that name, in every release that knows the name, and so does a host
    // with more features.
    for ((isa, rel), cpus) in julia_cpus() {
        let tables = JuliaCpus::new(isa_of(isa), rel);
        for (name, features) in &cpus {
            let fits = tables.fit(&target(name), &host(features), None);
            assert_eq!(
                fits,
                [(name.to_string(), TargetFit::Runs)],
                "{isa} {rel} {name}"
            );
            // Among other targets too (Julia picks the best one that runs; `generic` itself
            // needs `cx16`, which `yonah` and `prescott` lack).
            let two = target(&format!("generic;{name},clone_all"));
            let fits = tables.fit(&two, &host(features), None);
            assert_eq!(fits[1].1, TargetFit::Runs, "{isa} {rel} {name}");
            let cx16 = features.contains("cx16") || isa == "aarch64";
            assert_eq!(fits[0].1 == TargetFit::Runs, cx16, "{isa} {rel} {name}");
        }
    }
}

/// CPU families, oldest first, by Julia's own feature-set definitions (each builds on the one
/// before: `westmere = nehalem | ...`, `znver2 = znver1 | ...`, `armv8_2a = armv8_1a | ...`).
const X86_FAMILIES: &[&[&str]] = &[
    &[
        "nocona",
        "penryn",
        "nehalem",
        "westmere",
        "sandybridge",
        "ivybridge",
        "haswell",
        "broadwell",
        "skylake",
        "skylake-avx512",
        "cascadelake",
        "cooperlake",
    ],
    &[
        "skylake",
        "cannonlake",
        "icelake-client",
        "icelake-server",
        "sapphirerapids",
    ],
    &["icelake-client", "tigerlake"],
    &["skylake", "alderlake"],
    &[
        "bonnell",
        "silvermont",
        "goldmont",
        "goldmont-plus",
        "tremont",
    ],
    &["knl", "knm"],
    &["k8", "k8-sse3", "amdfam10", "btver1", "btver2"],
    &["amdfam10", "bdver1", "bdver2", "bdver3", "bdver4"],
    &["haswell", "znver1", "znver2", "znver3", "znver4", "znver5"],
];

const AARCH64_FAMILIES: &[&[&str]] = &[
    &[
        "armv8.1-a",
        "armv8.2-a",
        "armv8.3_a",
        "armv8.4-a",
        "armv8.5-a",
        "armv8.6_a",
    ],
    &["cortex-a53", "cortex-a75", "cortex-a76"],
    &["thunderx", "thunderx2t99", "thunderx3t110"],
    &["kyro", "falkor"],
    &["exynos-m3", "exynos-m4"],
    &[
        "apple-a7",
        "apple-a10",
        "apple-a11",
        "apple-a12",
        "apple-a13",
        "apple-a14",
        "apple-a15",
    ],
    &["apple-m1", "apple-m2"],
];

#[test]
fn an_older_cpu_of_the_family_cannot_run_the_newer_target() {
    // A host with exactly an older CPU's features (Julia's table) cannot run an image built
    // for the next CPU of the family when Julia gives that CPU more features, and sysimg names
    // exactly the ones missing.
    let mut checked = 0;
    for ((isa, rel), cpus) in julia_cpus() {
        let tables = JuliaCpus::new(isa_of(isa), rel);
        let families = if isa == "x86_64" {
            X86_FAMILIES
        } else {
            AARCH64_FAMILIES
        };
        for family in families {
            let present: Vec<&str> = family
                .iter()
                .copied()
                .filter(|n| cpus.contains_key(n))
                .collect();
            for pair in present.windows(2) {
                let (older, newer) = (&cpus[pair[0]], &cpus[pair[1]]);
                let missing: Vec<String> = newer.difference(older).cloned().collect();
                if missing.is_empty() {
                    continue;
                }
                let fits = tables.fit(&target(pair[1]), &host(older), None);
                assert_eq!(
                    fits,
                    [(pair[1].to_string(), TargetFit::Lacks(missing))],
                    "{isa} {rel}: {} on a {}",
                    pair[1],
                    pair[0]
                );
                // The other way round runs where the newer is a superset.
                if older.is_subset(newer) {
                    let fits = tables.fit(&target(pair[0]), &host(newer), None);
                    assert_eq!(fits[0].1, TargetFit::Runs, "{isa} {rel} {pair:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn x86_dependency_rules_follow_julia() {
    // JuliaLang/julia v1.10.0 src/processor_x86.cpp `deps[]`: {vaes, avx}, {vaes, aes},
    // {vpclmulqdq, avx}, {vpclmulqdq, pclmul}, {avxvnni, avx2}, {avx512fp16, avx512bw},
    // {avx512fp16, avx512dq}, {avx512fp16, avx512vl}, {amx_int8, amx_tile},
    // {amx_bf16, amx_tile}, {xsaveopt, xsave}, {xsavec, xsave}, {xsaves, xsave}.
    let v1_10 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 10, 0));
    let need = |c: &JuliaCpus, s: &str| c.target_features(&target(s).targets[0], None).unwrap();
    for (feature, needs) in [
        ("vaes", &["avx", "aes"][..]),
        ("vpclmulqdq", &["avx", "pclmul"]),
        ("avxvnni", &["avx2"]),
        (
            "avx512fp16",
            &["avx512bw", "avx512dq", "avx512vl", "avx512f"],
        ),
        ("amx-int8", &["amx-tile"]),
        ("amx-bf16", &["amx-tile"]),
        ("xsavec", &["xsave"]),
        ("xsaves", &["xsave"]),
    ] {
        let got = need(&v1_10, &format!("generic,+{feature}"));
        for n in needs {
            assert!(got.contains(*n), "+{feature} needs {n}: {got:?}");
        }
    }
    // Taking a feature away takes what builds on it: `-aes` drops `vaes`, `-pclmul`
    // `vpclmulqdq`, `-xsave` `xsavec`/`xsaves`, `-amx-tile` the other AMX features.
    let got = need(&v1_10, "sapphirerapids,-aes,-pclmul,-xsave,-amx-tile");
    for gone in [
        "vaes",
        "vpclmulqdq",
        "xsavec",
        "xsaves",
        "amx-int8",
        "amx-bf16",
        "amx-tile",
    ] {
        assert!(!got.contains(gone), "{gone}: {got:?}");
    }
    assert!(got.contains("avx512fp16") && got.contains("avx2"));
    // `+xsaveopt` is never required (arg_target_data unsets it), but its `xsave` is.
    let got = need(&v1_10, "generic,+xsaveopt");
    assert!(
        got.contains("xsave") && !got.contains("xsaveopt"),
        "{got:?}"
    );
    // 1.12 (v1.12.0 `deps[]`) adds {avxvnniint8, avx2}, {sha512, avx2}, {sm3, avx},
    // {amx_fp16, amx_tile}, ... which 1.11 does not know at all.
    let v1_11 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 11, 0));
    let v1_12 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 12, 0));
    let got = need(&v1_12, "generic,+avxvnniint8,+sm3,+amx-fp16");
    for n in ["avxvnniint8", "avx2", "sm3", "avx", "amx-fp16", "amx-tile"] {
        assert!(got.contains(n), "{n}: {got:?}");
    }
    let t = target("generic,+avxvnniint8");
    assert!(!need(&v1_11, "generic,+avxvnniint8").contains("avx2"));
    assert_eq!(v1_11.unchecked_features(&t.targets[0]), ["+avxvnniint8"]);
    assert!(v1_12.unchecked_features(&t.targets[0]).is_empty());
}

#[test]
fn avx512pf_and_avx512er_are_gone_from_1_12() {
    // v1.12.0 src/features_x86.h: `// JL_FEATURE_DEF(avx512pf, 32 * 2 + 26, 0) // Deprecated
    // in LLVM 19` (also avx512er, prefetchwt1); `knl` loses them (35bf824e85, "Add support for
    // LLVM 19 (#55650)"). v1.11.0 still has them, with {avx512pf, avx512f} in `deps[]`.
    let v1_11 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 11, 4));
    let v1_12 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 12, 0));
    for f in ["avx512pf", "avx512er", "prefetchwt1"] {
        assert!(v1_11.is_feature(f) && !v1_12.is_feature(f), "{f}");
        assert!(v1_11.cpu_features("knl").unwrap().contains(f));
        assert!(!v1_12.cpu_features("knl").unwrap().contains(f));
    }
    let t = target("generic,+avx512pf");
    assert!(v1_11
        .target_features(&t.targets[0], None)
        .unwrap()
        .contains("avx512f"));
    // On 1.12 `+avx512pf` goes to LLVM unchecked: it requires nothing of the host.
    assert_eq!(
        v1_12.target_features(&t.targets[0], None).unwrap(),
        BTreeSet::from(["cx16".to_string()])
    );
    // A 1.11 knl image needs AVX-512 PF/ER; a 1.12 one runs on a host without them.
    let mut host_features = v1_12.cpu_features("knl").unwrap();
    host_features.insert("rdrnd".into());
    let h = host(&host_features);
    assert_eq!(v1_12.fit(&target("knl"), &h, None)[0].1, TargetFit::Runs);
    assert_eq!(
        v1_11.fit(&target("knl"), &h, None)[0].1,
        TargetFit::Lacks(vec![
            "avx512er".into(),
            "avx512pf".into(),
            "prefetchwt1".into()
        ])
    );
}

#[test]
fn names_are_per_release() {
    let knows = |minor: u32, patch: u32, isa: Isa, name: &str| {
        JuliaCpus::new(isa, JuliaRelease::new(1, minor, patch)).knows(name)
    };
    // v1.11.0 processor_x86.cpp adds {"znver4", ...} (ce8269622a, julia#52944); v1.12.0 adds
    // {"znver5", ...}; v1.9.0 {"alderlake", ...}; v1.8.0 {"znver3", ...}; v1.6.0
    // {"sapphirerapids", ...}; v1.5.1 cascadelake, cooperlake, icelake-*, tigerlake, znver2.
    for (name, first) in [
        ("znver4", (11, 0)),
        ("znver5", (12, 0)),
        ("alderlake", (9, 0)),
        ("znver3", (8, 0)),
        ("sapphirerapids", (6, 0)),
        ("znver2", (5, 1)),
        ("tigerlake", (5, 1)),
        ("skylake", (5, 0)),
    ] {
        assert_eq!(
            first_release_knowing(Isa::X86_64, name),
            Some(JuliaRelease::new(1, first.0, first.1)),
            "{name}"
        );
        if first != (5, 0) {
            let before = if first.1 > 0 {
                (first.0, first.1 - 1)
            } else {
                (first.0 - 1, 9)
            };
            assert!(!knows(before.0, before.1, Isa::X86_64, name), "{name}");
        }
        assert!(knows(first.0, first.1, Isa::X86_64, name), "{name}");
        assert!(knows(13, 2, Isa::X86_64, name), "{name}");
    }
    // x86 `normalize_cpu_name` (every release): atom, slm, glm, corei7, corei7-avx,
    // core-avx-i, core-avx2, skx, and on x86_64 x86-64/x86_64 are other names.
    let v1_10 = JuliaCpus::new(Isa::X86_64, JuliaRelease::new(1, 10, 0));
    for (alias, name) in [
        ("atom", "bonnell"),
        ("slm", "silvermont"),
        ("glm", "goldmont"),
        ("corei7", "nehalem"),
        ("corei7-avx", "sandybridge"),
        ("core-avx-i", "ivybridge"),
        ("core-avx2", "haswell"),
        ("skx", "skylake-avx512"),
        ("x86-64", "generic"),
        ("x86_64", "generic"),
    ] {
        assert_eq!(v1_10.cpu_name(alias), Some(name));
    }
    // Names Julia 1.5–1.13 never knew (sysimg used to): Julia records no features for them.
    for name in [
        "x86-64-v2",
        "x86-64-v3",
        "x86-64-v4",
        "icelake",
        "pentium-mmx",
    ] {
        assert_eq!(first_release_knowing(Isa::X86_64, name), None, "{name}");
        assert_eq!(
            v1_10.fit(&target(name), &CpuFacts::default(), None)[0].1,
            TargetFit::Unknown
        );
    }
    // AArch64: the table spells two levels with an underscore (`{"armv8.3_a", ...}`,
    // `{"armv8.6_a", ...}`), has no `armv8-a` and no `neoverse-512tvb`; `ares` is
    // neoverse-n1, `zeus` neoverse-v1 from 1.6 (on 1.5.1–1.5.x `zeus` is the table's own
    // name); `cyclone`...`hurricane` are apple-a7...a10 from 1.5.1 (1.5.0's own names).
    let a = |minor, patch| JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, minor, patch));
    for name in ["armv8.3-a", "armv8.6-a", "armv8-a", "neoverse-512tvb"] {
        assert!(!a(12, 0).knows(name), "{name}");
    }
    assert!(a(12, 0).knows("armv8.3_a") && a(12, 0).knows("armv8.6_a"));
    assert_eq!(a(12, 0).cpu_name("ares"), Some("neoverse-n1"));
    assert_eq!(a(12, 0).cpu_name("zeus"), Some("neoverse-v1"));
    assert_eq!(a(5, 4).cpu_name("zeus"), Some("zeus"));
    assert_eq!(a(12, 0).cpu_name("cyclone"), Some("apple-a7"));
    assert_eq!(a(5, 0).cpu_name("cyclone"), Some("cyclone"));
    for (name, first) in [
        ("apple-m1", (8, 0)),
        ("apple-m2", (11, 0)),
        ("apple-m3", (11, 0)),
        ("apple-m4", (12, 0)),
        ("apple-a17", (12, 0)),
        ("neoverse-v1", (6, 0)),
        ("neoverse-n1", (5, 1)),
    ] {
        assert_eq!(
            first_release_knowing(Isa::Aarch64, name),
            Some(JuliaRelease::new(1, first.0, first.1)),
            "{name}"
        );
    }
}

#[test]
fn aarch64_tables_use_julias_features() {
    // v1.10.0 src/processor_arm.cpp: `armv8a_crc_crypto = armv8a_crc | get_feature_masks(aes,
    // sha2)`; `armv8_2a = armv8_1a | get_feature_masks(v8_2a, ccpp)`; `arm_neoverse_n1 =
    // armv8_2a | get_feature_masks(dotprod, rcpc, fullfp16, ssbs)`; `fujitsu_a64fx = armv8_2a
    // | get_feature_masks(sha2, fullfp16, sve, complxnum)`; deps[] {sha3, sha2}, {sve,
    // fullfp16}, {sve2, sve}; enable_depends: v8_3a brings jsconv, complxnum, rcpc.
    let v1_10 = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 10, 0));
    let thunderx = v1_10.cpu_features("thunderx").unwrap();
    assert!(thunderx.contains("aes") && thunderx.contains("sha2") && !thunderx.contains("crypto"));
    let n1 = v1_10.cpu_features("neoverse-n1").unwrap();
    for f in [
        "v8_1a", "v8_2a", "ccpp", "crc", "lse", "rdm", "dotprod", "ssbs",
    ] {
        assert!(n1.contains(f), "{f}: {n1:?}");
    }
    assert!(!n1.contains("aes"), "Julia's neoverse-n1 has no crypto");
    let a64fx = v1_10.cpu_features("a64fx").unwrap();
    assert!(a64fx.contains("sha2") && !a64fx.contains("aes") && a64fx.contains("sve"));
    let need = |s: &str| v1_10.target_features(&target(s).targets[0], None).unwrap();
    assert!(need("generic,+sha3").contains("sha2"));
    assert!(need("generic,+sve2").contains("fullfp16"));
    let v83 = need("generic,+v8_3a");
    for f in [
        "v8_2a",
        "v8_1a",
        "crc",
        "lse",
        "rdm",
        "ccpp",
        "jsconv",
        "complxnum",
        "rcpc",
    ] {
        assert!(v83.contains(f), "{f}: {v83:?}");
    }
    // `crypto` in a cpu_target is aes + sha2 (get_cmdline_targets, from 1.5.1); on 1.5.0 it
    // is a feature of its own (HWCAP_AES, today's `aes`).
    assert!(need("generic,+crypto").is_superset(&BTreeSet::from(["aes".into(), "sha2".into()])));
    assert!(!need("thunderx,-crypto").contains("aes"));
    let v1_5_0 = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 5, 0));
    assert!(v1_5_0.is_feature("crypto") && !v1_5_0.is_feature("aes"));
    assert_eq!(
        v1_5_0.cpu_features("thunderx").unwrap(),
        BTreeSet::from(["aes".to_string(), "crc".to_string()])
    );
    // 1.5.x's LLVM 9 cannot use v8.6 (`JL_FEATURE_DEF(v8_6a, 32 * 2 + 5, 110000)`): an
    // armv8.6_a image of 1.5.4 requires v8.5 only; 1.6's LLVM 11 keeps i8mm, bf16, v8_6a.
    let v15 = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 5, 4));
    let v16 = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 6, 0));
    assert!(!v15.cpu_features("armv8.6_a").unwrap().contains("v8_6a"));
    assert!(v15.cpu_features("armv8.6_a").unwrap().contains("v8_5a"));
    assert!(v16.cpu_features("armv8.6_a").unwrap().contains("i8mm"));
    // 1.5.1–1.6 call flagm `fmi` and pauth `pa`; the host's `flagm` serves them.
    assert!(v16.is_feature("fmi") && !v16.is_feature("flagm"));
    let n1_host = host(
        &JuliaCpus::new(Isa::Aarch64, JuliaRelease::NEWEST)
            .cpu_features("apple-m1")
            .unwrap(),
    );
    assert_eq!(
        v16.fit(&target("armv8.4-a"), &n1_host, None)[0].1,
        TargetFit::Runs
    );
}

#[test]
fn the_sysimage_keyword_is_julia_1_13s() {
    // JuliaLang/julia src/processor.cpp at abd8457ca8 (1.13), parse_cmdline: `if
    // (strncmp(option, "sysimage", 8) == 0 && (option[8] == '\0' || option[8] == ';'))`,
    // replaced by jl_get_sysimage_cpu_target() ("native" when the image stored none), the rest
    // after "sysimage" appended (julia#58970). 1.12 has no such keyword.
    let v1_13 = JuliaRelease::new(1, 13, 0);
    let v1_12 = JuliaRelease::new(1, 12, 5);
    let stored = "generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)";
    assert_eq!(sysimage_keyword("sysimage", v1_13), Some(""));
    assert_eq!(
        sysimage_keyword("sysimage;znver4,clone_all", v1_13),
        Some(";znver4,clone_all")
    );
    assert_eq!(sysimage_keyword("sysimage", v1_12), None);
    for not in ["generic;sysimage", "sysimage,+avx2", "sysimages", "native"] {
        assert_eq!(sysimage_keyword(not, v1_13), None, "{not}");
    }
    assert_eq!(expand_sysimage_keyword("sysimage", v1_13, stored), stored);
    assert_eq!(
        expand_sysimage_keyword("sysimage;znver4,clone_all", v1_13, stored),
        format!("{stored};znver4,clone_all")
    );
    assert_eq!(expand_sysimage_keyword("sysimage", v1_13, ""), "native");
    assert_eq!(
        expand_sysimage_keyword("sysimage", v1_12, stored),
        "sysimage"
    );
    // Expanded, the targets are checked like any others; unexpanded on 1.12, `sysimage` is
    // an unknown CPU name.
    let t = target(&expand_sysimage_keyword("sysimage;znver4", v1_13, stored));
    let cpus = JuliaCpus::new(Isa::X86_64, v1_13);
    assert!(cpus.unknown_names(&t).is_empty());
    assert_eq!(t.targets.len(), 4);
    assert_eq!(
        JuliaCpus::new(Isa::X86_64, v1_12).unknown_names(&target("sysimage")),
        ["sysimage"]
    );
}

#[test]
fn x86_host_features_are_read_as_julia_reads_cpuid() {
    // src/processor_x86.cpp `_get_host_cpu` (v1.12.0): CPUID bits by features_x86.h, then
    // "Fix up AVX bits to account for OS support": no AVX state in XCR0 drops avx & co.,
    // no ZMM state drops AVX-512, no tile state (XCR0 bits 17, 18) drops AMX.
    let sapphire = |leaf: u32, sub: u32| -> [u32; 4] {
        match (leaf, sub) {
            (0, _) => [0x20, 0, 0, 0],
            (1, _) => [0, 0, (1 << 27) | (1 << 28) | (1 << 25) | (1 << 13) | 1, 0],
            (7, 0) => [
                0,
                (1 << 16) | (1 << 5),
                0,
                (1 << 24) | (1 << 25) | (1 << 18),
            ],
            (7, 1) => [1 << 4, 1 << 14, 0, 0],
            (0x8000_0000, _) => [0x8000_0008, 0, 0, 0],
            (0x8000_0001, _) => [0, 0, 1, 0],
            _ => [0; 4],
        }
    };
    let all_state = || 0x0006_00e7u64;
    let f = detect::x86::features(&sapphire, &all_state, false);
    for want in [
        "sse3", "aes", "cx16", "avx", "avx2", "avx512f", "amx-tile", "amx-int8", "pconfig",
        "avxvnni", "sahf",
    ] {
        assert!(f.contains(want), "{want}: {f:?}");
    }
    // Julia reads leaf 7.1 EBX for prefetchi (bit 14), as written in features_x86.h.
    assert!(f.contains("prefetchi"));
    let no_tiles = || 0xe7u64;
    let f = detect::x86::features(&sapphire, &no_tiles, false);
    assert!(f.contains("avx512f") && !f.contains("amx-tile") && !f.contains("amx-int8"));
    let no_zmm = || 0x7u64;
    let f = detect::x86::features(&sapphire, &no_zmm, false);
    assert!(f.contains("avx2") && !f.contains("avx512f"));
    assert!(detect::x86::features(&sapphire, &no_zmm, true).contains("avx512f"));
    let no_avx = || 0x3u64;
    let f = detect::x86::features(&sapphire, &no_avx, false);
    assert!(!f.contains("avx") && !f.contains("avx2") && f.contains("aes"));
}

#[test]
fn x86_leaves_are_read_once_and_decode_as_cpuid_does() {
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    // Every leaf a feature is read from is among those read in the one pass.
    for (name, leaf, sub, _, _) in detect::x86::BITS {
        assert!(
            detect::x86::LEAVES.contains(&(*leaf, *sub)),
            "{name}: leaf {leaf:#x}.{sub}"
        );
    }
    let answers = |apic: u32, avx2: bool| {
        move |leaf: u32, sub: u32| -> [u32; 4] {
            match (leaf, sub) {
                (0, _) => [0x20, 0x756e_6547, 0, 0],
                (1, _) => [0x306c3, apic << 24, (1 << 27) | (1 << 28) | (1 << 23), 0],
                (7, 0) => [0, if avx2 { 1 << 5 } else { 0 }, 0, 0],
                (0x8000_0000, _) => [0x8000_0008, 0, 0, 0],
                (0x8000_0001, _) => [0, 0, 1 << 5, 0],
                _ => [0; 4],
            }
        }
    };
    let calls = RefCell::new(Vec::new());
    let counted = |leaf: u32, sub: u32| {
        calls.borrow_mut().push((leaf, sub));
        answers(0, true)(leaf, sub)
    };
    let leaves = detect::x86::Leaves::read(&counted, &|| 0xe7);
    let read = calls.borrow().clone();
    let distinct: BTreeSet<_> = read.iter().collect();
    assert_eq!(read.len(), distinct.len(), "a leaf read twice: {read:?}");
    assert!(read.len() <= detect::x86::LEAVES.len() + 2);
    // Decoding the answers read gives what asking CPUID bit by bit gives.
    assert_eq!(
        leaves.features(false),
        detect::x86::features(&answers(0, true), &|| 0xe7, false)
    );
    assert!(leaves.features(false).contains("avx2"));
    // The fingerprint ignores the core (APIC id) but not a feature bit or XCR0.
    let fingerprint = |apic, avx2, xcr0: u64| {
        detect::x86::Leaves::read(&answers(apic, avx2), &move || xcr0).fingerprint()
    };
    assert_eq!(fingerprint(0, true, 0xe7), fingerprint(5, true, 0xe7));
    assert_ne!(fingerprint(0, true, 0xe7), fingerprint(0, false, 0xe7));
    assert_ne!(fingerprint(0, true, 0xe7), fingerprint(0, true, 0x7));
}

/// `/proc/cpuinfo` of an AWS Graviton2 (Neoverse N1), as Linux prints it.
const GRAVITON2: &str = "processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1

processor\t: 1
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1
";

#[test]
fn aarch64_hosts_are_read_as_julia_reads_them() {
    // src/processor_arm.cpp (v1.12.0) `_get_host_cpu`: the hwcap bits (features_aarch64.h
    // numbers features by HWCAP_* bit), plus the table features of the cores `get_cpu_name`
    // knows (0x41/0xd0c is arm_neoverse_n1), intersected over distinct cores; the
    // architecture levels come only from there.
    let n1 = detect::aarch64::from_cpuinfo(GRAVITON2);
    assert_eq!(n1.name, "neoverse-n1");
    for f in [
        "aes", "sha2", "crc", "lse", "rdm", "ccpp", "dotprod", "rcpc", "v8_2a", "v8_1a",
    ] {
        assert!(n1.features.contains(f), "{f}: {n1:?}");
    }
    assert!(!n1.features.contains("crypto") && !n1.features.contains("sha3"));
    for minor in [6, 10, 12, 13] {
        let cpus = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, minor, 0));
        let fits = cpus.fit(
            &target("neoverse-n1;cortex-a76;thunderx2t99;neoverse-v1"),
            &n1,
            None,
        );
        assert_eq!(fits[0].1, TargetFit::Runs, "1.{minor}");
        assert_eq!(fits[1].1, TargetFit::Runs, "1.{minor}");
        assert_eq!(
            fits[2].1,
            TargetFit::Runs,
            "1.{minor}: thunderx2t99 is v8.1 + crypto"
        );
        assert!(matches!(&fits[3].1, TargetFit::Lacks(l) if l.contains(&"sve".to_string())));
    }
    // A core Julia does not know: no architecture levels, so an armv8.2-a image is refused
    // although every v8.2 feature is there (as Julia would refuse it).
    let unknown = GRAVITON2.replace("0xd0c", "0xfff");
    let host = detect::aarch64::from_cpuinfo(&unknown);
    assert_eq!(host.name, "generic");
    assert!(!host.features.contains("v8_1a") && host.features.contains("lse"));
    let v1_12 = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 12, 0));
    assert!(matches!(
        &v1_12.fit(&target("armv8.2-a"), &host, None)[0].1,
        TargetFit::Lacks(l) if l.contains(&"v8_2a".to_string())
    ));
    // big.LITTLE: a Cortex-A55 beside a Cortex-A76 gives their common features.
    let big_little = GRAVITON2
        .replacen("0xd0c", "0xd05", 1)
        .replacen("0xd0c", "0xd0b", 1);
    let host = detect::aarch64::from_cpuinfo(&big_little);
    assert_eq!(host.name, "cortex-a55");
    assert!(host.features.contains("v8_2a") && host.features.contains("ssbs"));
}

#[test]
fn macos_hosts_are_the_apple_chip_julia_names() {
    // src/processor_arm.cpp (v1.12.0) `_get_host_cpu` for `_OS_DARWIN_`: "M1", "M2", "M3",
    // "M4" in machdep.cpu.brand_string pick apple_m1 ... apple_m4, anything else apple_m1;
    // the host's features are that table entry's.
    let m2 = detect::aarch64::from_darwin_brand("Apple M2 Pro");
    assert_eq!(m2.name, "apple-m2");
    assert!(m2.features.contains("i8mm") && m2.features.contains("v8_5a"));
    assert_eq!(
        detect::aarch64::from_darwin_brand("Apple M4 Max").name,
        "apple-m4"
    );
    assert_eq!(detect::aarch64::from_darwin_brand("").name, "apple-m1");
    let m1 = detect::aarch64::from_darwin_brand("Apple M1");
    assert!(!m1.features.contains("i8mm"));
    let cpus = JuliaCpus::new(Isa::Aarch64, JuliaRelease::new(1, 11, 0));
    let fits = cpus.fit(&target("apple-m1;apple-m2"), &m1, None);
    assert_eq!(fits[0].1, TargetFit::Runs);
    assert_eq!(
        fits[1].1,
        TargetFit::Lacks(vec!["bf16".into(), "i8mm".into()])
    );
    assert!(cpus
        .fit(&target("apple-m2"), &m2, None)
        .iter()
        .all(|(_, f)| *f == TargetFit::Runs));
}
