//! AArch64 Linux: `/proc/cpuinfo` to Julia's features (JuliaLang/julia
//! `src/features_aarch64.h`, 1.7–1.13 names, and `_get_host_cpu`, `get_cpuinfo`,
//! `get_cpu_name` in `src/processor_arm.cpp` at v1.12.0).

use std::collections::BTreeSet;

use crate::CpuFacts;
use crate::Isa;
use crate::{julia, JuliaRelease};

/// The kernel's hwcap names (`Features:` in `/proc/cpuinfo`) for the bits Julia's
/// features are (`features_aarch64.h` numbers them by `HWCAP_*`/`HWCAP2_*` bit): the
/// kernel name and Julia's.
pub(crate) const HWCAPS: &[(&str, &str)] = &[
    ("pmull", "aes"),
    ("sha2", "sha2"),
    ("crc32", "crc"),
    ("atomics", "lse"),
    ("fphp", "fullfp16"),
    ("asimdrdm", "rdm"),
    ("jscvt", "jsconv"),
    ("fcma", "complxnum"),
    ("lrcpc", "rcpc"),
    ("dcpop", "ccpp"),
    ("sha3", "sha3"),
    ("sm4", "sm4"),
    ("asimddp", "dotprod"),
    ("sve", "sve"),
    ("asimdfhm", "fp16fml"),
    ("dit", "dit"),
    ("ilrcpc", "rcpc-immo"),
    ("flagm", "flagm"),
    ("ssbs", "ssbs"),
    ("sb", "sb"),
    ("paca", "pauth"),
    ("pacg", "pauth"),
    ("dcpodp", "ccdp"),
    ("sve2", "sve2"),
    ("svepmull", "sve2-aes"),
    ("svebitperm", "sve2-bitperm"),
    ("svesha3", "sve2-sha3"),
    ("svesm4", "sve2-sm4"),
    ("flagm2", "altnzcv"),
    ("frint", "fptoint"),
    ("svef32mm", "f32mm"),
    ("svef64mm", "f64mm"),
    ("i8mm", "i8mm"),
    ("bf16", "bf16"),
    ("rng", "rand"),
    ("bti", "bti"),
    ("mte", "mte"),
];

/// `get_cpu_name`: (implementer, part, variant or `None` for any) to the `cpus[]` name,
/// for the AArch64 cores of Julia's table.
const CORES: &[(u8, u16, Option<u8>, &str)] = &[
    (0x41, 0xd02, None, "cortex-a34"),
    (0x41, 0xd03, None, "cortex-a53"),
    (0x41, 0xd04, None, "cortex-a35"),
    (0x41, 0xd05, None, "cortex-a55"),
    (0x41, 0xd06, None, "cortex-a65"),
    (0x41, 0xd07, None, "cortex-a57"),
    (0x41, 0xd08, None, "cortex-a72"),
    (0x41, 0xd09, None, "cortex-a73"),
    (0x41, 0xd0a, None, "cortex-a75"),
    (0x41, 0xd0b, None, "cortex-a76"),
    (0x41, 0xd0c, None, "neoverse-n1"),
    (0x41, 0xd0d, None, "cortex-a77"),
    (0x41, 0xd0e, None, "cortex-a76ae"),
    (0x41, 0xd40, None, "neoverse-v1"),
    (0x41, 0xd41, None, "cortex-a78"),
    (0x41, 0xd43, None, "cortex-a65ae"),
    (0x41, 0xd44, None, "cortex-x1"),
    (0x41, 0xd49, None, "neoverse-n2"),
    (0x41, 0xd4a, None, "neoverse-e1"),
    (0x42, 0x516, None, "thunderx2t99p1"),
    (0x43, 0x0a0, None, "thunderx"),
    (0x43, 0x0a1, Some(0), "thunderxt88p1"),
    (0x43, 0x0a1, None, "thunderxt88"),
    (0x43, 0x0a2, None, "thunderxt81"),
    (0x43, 0x0a3, None, "thunderxt83"),
    (0x43, 0x0af, None, "thunderx2t99"),
    (0x43, 0x0b0, None, "octeontx2"),
    (0x43, 0x0b1, None, "octeontx2t98"),
    (0x43, 0x0b2, None, "octeontx2t96"),
    (0x43, 0x0b3, None, "octeontx2f95"),
    (0x43, 0x0b4, None, "octeontx2f95n"),
    (0x43, 0x0b5, None, "octeontx2f95mm"),
    (0x43, 0x0b8, None, "thunderx3t110"),
    (0x46, 0x001, None, "a64fx"),
    (0x48, 0xd01, None, "tsv110"),
    (0x48, 0xd40, None, "cortex-a76"),
    (0x4e, 0x000, None, "denver1"),
    (0x4e, 0x003, None, "denver2"),
    (0x4e, 0x004, None, "carmel"),
    (0x50, 0x000, None, "xgene1"),
    (0x51, 0x201, None, "kyro"),
    (0x51, 0x205, None, "kyro"),
    (0x51, 0x211, None, "kyro"),
    (0x51, 0x800, None, "cortex-a73"),
    (0x51, 0x801, None, "cortex-a53"),
    (0x51, 0x802, None, "cortex-a75"),
    (0x51, 0x803, None, "cortex-a55"),
    (0x51, 0x804, None, "cortex-a76"),
    (0x51, 0x805, None, "cortex-a55"),
    (0x51, 0xc00, None, "falkor"),
    (0x51, 0xc01, None, "saphira"),
    (0x53, 0x001, Some(4), "exynos-m2"),
    (0x53, 0x001, None, "exynos-m1"),
    (0x53, 0x002, Some(1), "exynos-m3"),
    (0x53, 0x003, Some(1), "exynos-m4"),
    (0x53, 0x004, Some(1), "exynos-m5"),
    (0x61, 0x001, None, "apple-a7"),
    (0x61, 0x002, None, "apple-a8"),
    (0x61, 0x003, None, "apple-a8"),
    (0x61, 0x004, None, "apple-a9"),
    (0x61, 0x005, None, "apple-a9"),
    (0x61, 0x006, None, "apple-a10"),
    (0x61, 0x007, None, "apple-a10"),
    (0x61, 0x008, None, "apple-a11"),
    (0x61, 0x009, None, "apple-a11"),
    (0x61, 0x00b, None, "apple-a12"),
    (0x61, 0x00c, None, "apple-a12"),
    (0x61, 0x010, None, "apple-a12"),
    (0x61, 0x011, None, "apple-a12"),
    (0x61, 0x00f, None, "apple-s4"),
    (0x61, 0x012, None, "apple-a13"),
    (0x61, 0x013, None, "apple-a13"),
    (0x61, 0x020, None, "apple-a14"),
    (0x61, 0x021, None, "apple-a14"),
    (0x61, 0x022, None, "apple-m1"),
    (0x61, 0x023, None, "apple-m1"),
    (0x61, 0x024, None, "apple-m1"),
    (0x61, 0x025, None, "apple-m1"),
    (0x61, 0x028, None, "apple-m1"),
    (0x61, 0x029, None, "apple-m1"),
    (0x61, 0x030, None, "apple-a15"),
    (0x61, 0x031, None, "apple-a15"),
    (0x61, 0x032, None, "apple-m2"),
    (0x61, 0x033, None, "apple-m2"),
    (0x61, 0x034, None, "apple-m2"),
    (0x61, 0x035, None, "apple-m2"),
    (0x61, 0x038, None, "apple-m2"),
    (0x61, 0x039, None, "apple-m2"),
    (0x61, 0x040, None, "apple-a16"),
    (0x61, 0x041, None, "apple-a16"),
    (0x61, 0x042, None, "apple-m3"),
    (0x61, 0x043, None, "apple-m3"),
    (0x61, 0x044, None, "apple-m3"),
    (0x61, 0x045, None, "apple-m3"),
    (0x61, 0x048, None, "apple-m3"),
    (0x61, 0x049, None, "apple-m3"),
    (0x61, 0x050, None, "apple-a17"),
    (0x61, 0x051, None, "apple-a17"),
    (0x61, 0x052, None, "apple-m4"),
    (0x61, 0x053, None, "apple-m4"),
    (0x61, 0x054, None, "apple-m4"),
    (0x61, 0x055, None, "apple-m4"),
    (0x61, 0x058, None, "apple-m4"),
    (0x61, 0x059, None, "apple-m4"),
];

/// macOS: Julia takes the Apple chip from `machdep.cpu.brand_string` and uses its table
/// features as the host's, nothing else (`_get_host_cpu` for `_OS_DARWIN_`, v1.12.0: "M1",
/// "M2", "M3", "M4" in the brand, anything else apple-m1).
pub(crate) fn from_darwin_brand(brand: &str) -> CpuFacts {
    let name = ["M1", "M2", "M3", "M4"]
        .iter()
        .find(|m| brand.contains(*m))
        .map_or("apple-m1", |m| match *m {
            "M2" => "apple-m2",
            "M3" => "apple-m3",
            "M4" => "apple-m4",
            _ => "apple-m1",
        });
    let features = julia::tables(Isa::Aarch64)
        .raw_cpu_features(JuliaRelease::NEWEST.key(), name)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    CpuFacts {
        name: name.to_string(),
        features,
    }
}

/// The `cpus[]` name of a core, if Julia knows it.
pub(crate) fn core_name(implementer: u8, part: u16, variant: u8) -> Option<&'static str> {
    CORES
        .iter()
        .find(|(i, p, v, _)| *i == implementer && *p == part && v.is_none_or(|v| v == variant))
        .map(|(_, _, _, name)| *name)
}

/// Julia's host CPU from `/proc/cpuinfo`: the kernel's hwcaps (the features every core
/// lists), plus, as `_get_host_cpu` does ("we try to get a more complete feature list
/// from the CPU name"), the table features of the cores: their intersection when every
/// distinct core is one Julia knows, nothing when one is not. The architecture levels
/// (`v8_1a`...) come only from there, as in Julia. The name is the first known core's.
pub(crate) fn from_cpuinfo(cpuinfo: &str) -> CpuFacts {
    let mut hwcaps: Option<BTreeSet<&str>> = None;
    let mut cores: Vec<(u8, u16, u8)> = Vec::new();
    for block in cpuinfo.split("\n\n") {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == key).then(|| v.trim())
            })
        };
        if let Some(f) = field("Features") {
            let these: BTreeSet<&str> = f.split_whitespace().collect();
            hwcaps = Some(match hwcaps {
                None => these,
                Some(h) => h.intersection(&these).copied().collect(),
            });
        }
        let num = |key: &str| {
            field(key).and_then(|v| {
                let v = v.trim_start_matches("0x");
                u32::from_str_radix(v, 16).ok()
            })
        };
        if let (Some(i), Some(p)) = (num("CPU implementer"), num("CPU part")) {
            let core = (i as u8, p as u16, num("CPU variant").unwrap_or(0) as u8);
            if !cores.contains(&core) {
                cores.push(core);
            }
        }
    }
    let mut features: BTreeSet<String> = BTreeSet::new();
    for cap in hwcaps.unwrap_or_default() {
        if let Some((_, julia)) = HWCAPS.iter().find(|(k, _)| *k == cap) {
            features.insert(julia.to_string());
        }
    }
    let tables = julia::tables(Isa::Aarch64);
    let v = JuliaRelease::NEWEST.key();
    let mut extra: Option<BTreeSet<&str>> = None;
    let mut name = None;
    for (i, p, var) in cores {
        let core = core_name(i, p, var).and_then(|n| tables.raw_cpu_features(v, n).map(|f| (n, f)));
        match core {
            Some((n, f)) => {
                name.get_or_insert(n);
                extra = Some(match extra {
                    None => f,
                    Some(e) => e.intersection(&f).copied().collect(),
                });
            }
            None => extra = Some(BTreeSet::new()),
        }
    }
    features.extend(extra.unwrap_or_default().into_iter().map(str::to_string));
    CpuFacts {
        name: name.unwrap_or("generic").to_string(),
        features,
    }
}

#[cfg(all(target_arch = "aarch64", target_os = "macos"))]
pub(crate) fn host() -> CpuFacts {
    let mut buf = [0u8; 128];
    let mut len: libc::size_t = buf.len();
    // SAFETY: a NUL-terminated name, a buffer of `len` bytes and its length.
    let rc = unsafe {
        libc::sysctlbyname(
            c"machdep.cpu.brand_string".as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    let brand = if rc == 0 {
        let end = buf[..len.min(buf.len())]
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(len.min(buf.len()));
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    from_darwin_brand(&brand)
}

#[cfg(all(target_arch = "aarch64", not(target_os = "macos")))]
pub(crate) fn host() -> CpuFacts {
    match std::fs::read_to_string("/proc/cpuinfo") {
        Ok(text) if text.contains("Features") => from_cpuinfo(&text),
        _ => from_std(),
    }
}

/// Without `/proc/cpuinfo` (Windows, the BSDs): what the standard library detects, under
/// Julia's names; no architecture levels.
#[cfg(all(target_arch = "aarch64", not(target_os = "macos")))]
fn from_std() -> CpuFacts {
    use std::arch::is_aarch64_feature_detected as has;
    let mut features = BTreeSet::new();
    let mut add = |name: &str, present: bool| {
        if present {
            features.insert(name.to_string());
        }
    };
    add("aes", has!("aes"));
    add("sha2", has!("sha2"));
    add("crc", has!("crc"));
    add("lse", has!("lse"));
    add("fullfp16", has!("fp16"));
    add("rdm", has!("rdm"));
    add("jsconv", has!("jsconv"));
    add("complxnum", has!("fcma"));
    add("rcpc", has!("rcpc"));
    add("ccpp", has!("dpb"));
    add("sha3", has!("sha3"));
    add("sm4", has!("sm4"));
    add("dotprod", has!("dotprod"));
    add("sve", has!("sve"));
    add("fp16fml", has!("fhm"));
    add("dit", has!("dit"));
    add("rcpc-immo", has!("rcpc2"));
    add("flagm", has!("flagm"));
    add("ssbs", has!("ssbs"));
    add("sb", has!("sb"));
    add("pauth", has!("paca"));
    add("ccdp", has!("dpb2"));
    add("sve2", has!("sve2"));
    add("sve2-aes", has!("sve2-aes"));
    add("sve2-bitperm", has!("sve2-bitperm"));
    add("sve2-sha3", has!("sve2-sha3"));
    add("sve2-sm4", has!("sve2-sm4"));
    add("fptoint", has!("frintts"));
    add("f32mm", has!("f32mm"));
    add("f64mm", has!("f64mm"));
    add("i8mm", has!("i8mm"));
    add("bf16", has!("bf16"));
    add("rand", has!("rand"));
    add("bti", has!("bti"));
    add("mte", has!("mte"));
    CpuFacts {
        name: "generic".into(),
        features,
    }
}
