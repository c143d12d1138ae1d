//! x86-64: CPUID answers to Julia's features (JuliaLang/julia `src/features_x86.h`, every
//! release 1.5–1.13, and `_get_host_cpu` in `src/processor_x86.cpp`).

use std::collections::BTreeSet;

/// A CPUID register.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Reg {
    Eax,
    Ebx,
    Ecx,
    Edx,
}

/// (feature, leaf, subleaf, register, bit), as `features_x86.h` numbers them: one row for
/// every feature any release 1.5–1.13 defines. Julia reads leaf 7 subleaf 1 `EAX` and
/// `EBX` (`features[9]`, `features[10]`), so `avxvnniint8`, `avxneconvert`, `amx-complex`,
/// `avxvnniint16`, `prefetchi` and `usermsr` are read from `EBX` as Julia reads them (the
/// Intel manual puts them in `EDX`): what matters is what Julia will find.
pub(crate) const BITS: &[(&str, u32, u32, Reg, u32)] = &[
    ("sse3", 1, 0, Reg::Ecx, 0),
    ("pclmul", 1, 0, Reg::Ecx, 1),
    ("ssse3", 1, 0, Reg::Ecx, 9),
    ("fma", 1, 0, Reg::Ecx, 12),
    ("cx16", 1, 0, Reg::Ecx, 13),
    ("sse4.1", 1, 0, Reg::Ecx, 19),
    ("sse4.2", 1, 0, Reg::Ecx, 20),
    ("movbe", 1, 0, Reg::Ecx, 22),
    ("popcnt", 1, 0, Reg::Ecx, 23),
    ("aes", 1, 0, Reg::Ecx, 25),
    ("xsave", 1, 0, Reg::Ecx, 26),
    ("avx", 1, 0, Reg::Ecx, 28),
    ("f16c", 1, 0, Reg::Ecx, 29),
    ("rdrnd", 1, 0, Reg::Ecx, 30),
    ("fsgsbase", 7, 0, Reg::Ebx, 0),
    ("bmi", 7, 0, Reg::Ebx, 3),
    ("avx2", 7, 0, Reg::Ebx, 5),
    ("bmi2", 7, 0, Reg::Ebx, 8),
    ("rtm", 7, 0, Reg::Ebx, 11),
    ("mpx", 7, 0, Reg::Ebx, 14),
    ("avx512f", 7, 0, Reg::Ebx, 16),
    ("avx512dq", 7, 0, Reg::Ebx, 17),
    ("rdseed", 7, 0, Reg::Ebx, 18),
    ("adx", 7, 0, Reg::Ebx, 19),
    ("avx512ifma", 7, 0, Reg::Ebx, 21),
    ("clflushopt", 7, 0, Reg::Ebx, 23),
    ("clwb", 7, 0, Reg::Ebx, 24),
    ("avx512pf", 7, 0, Reg::Ebx, 26),
    ("avx512er", 7, 0, Reg::Ebx, 27),
    ("avx512cd", 7, 0, Reg::Ebx, 28),
    ("sha", 7, 0, Reg::Ebx, 29),
    ("avx512bw", 7, 0, Reg::Ebx, 30),
    ("avx512vl", 7, 0, Reg::Ebx, 31),
    ("prefetchwt1", 7, 0, Reg::Ecx, 0),
    ("avx512vbmi", 7, 0, Reg::Ecx, 1),
    ("pku", 7, 0, Reg::Ecx, 4),
    ("waitpkg", 7, 0, Reg::Ecx, 5),
    ("avx512vbmi2", 7, 0, Reg::Ecx, 6),
    ("shstk", 7, 0, Reg::Ecx, 7),
    ("gfni", 7, 0, Reg::Ecx, 8),
    ("vaes", 7, 0, Reg::Ecx, 9),
    ("vpclmulqdq", 7, 0, Reg::Ecx, 10),
    ("avx512vnni", 7, 0, Reg::Ecx, 11),
    ("avx512bitalg", 7, 0, Reg::Ecx, 12),
    ("avx512vpopcntdq", 7, 0, Reg::Ecx, 14),
    ("rdpid", 7, 0, Reg::Ecx, 22),
    ("cldemote", 7, 0, Reg::Ecx, 25),
    ("movdiri", 7, 0, Reg::Ecx, 27),
    ("movdir64b", 7, 0, Reg::Ecx, 28),
    ("enqcmd", 7, 0, Reg::Ecx, 29),
    ("uintr", 7, 0, Reg::Edx, 5),
    ("avx512vp2intersect", 7, 0, Reg::Edx, 8),
    ("serialize", 7, 0, Reg::Edx, 14),
    ("tsxldtrk", 7, 0, Reg::Edx, 16),
    ("pconfig", 7, 0, Reg::Edx, 18),
    ("amx-bf16", 7, 0, Reg::Edx, 22),
    ("avx512fp16", 7, 0, Reg::Edx, 23),
    ("amx-tile", 7, 0, Reg::Edx, 24),
    ("amx-int8", 7, 0, Reg::Edx, 25),
    ("sahf", 0x8000_0001, 0, Reg::Ecx, 0),
    ("lzcnt", 0x8000_0001, 0, Reg::Ecx, 5),
    ("sse4a", 0x8000_0001, 0, Reg::Ecx, 6),
    ("prfchw", 0x8000_0001, 0, Reg::Ecx, 8),
    ("xop", 0x8000_0001, 0, Reg::Ecx, 11),
    ("lwp", 0x8000_0001, 0, Reg::Ecx, 15),
    ("fma4", 0x8000_0001, 0, Reg::Ecx, 16),
    ("tbm", 0x8000_0001, 0, Reg::Ecx, 21),
    ("mwaitx", 0x8000_0001, 0, Reg::Ecx, 29),
    ("xsaveopt", 0xd, 1, Reg::Eax, 0),
    ("xsavec", 0xd, 1, Reg::Eax, 1),
    ("xsaves", 0xd, 1, Reg::Eax, 3),
    ("clzero", 0x8000_0008, 0, Reg::Ebx, 0),
    ("wbnoinvd", 0x8000_0008, 0, Reg::Ebx, 9),
    ("sha512", 7, 1, Reg::Eax, 0),
    ("sm3", 7, 1, Reg::Eax, 1),
    ("sm4", 7, 1, Reg::Eax, 2),
    ("raoint", 7, 1, Reg::Eax, 3),
    ("avxvnni", 7, 1, Reg::Eax, 4),
    ("avx512bf16", 7, 1, Reg::Eax, 5),
    ("cmpccxadd", 7, 1, Reg::Eax, 7),
    ("amx-fp16", 7, 1, Reg::Eax, 21),
    ("hreset", 7, 1, Reg::Eax, 22),
    ("avxifma", 7, 1, Reg::Eax, 23),
    ("avxvnniint8", 7, 1, Reg::Ebx, 4),
    ("avxneconvert", 7, 1, Reg::Ebx, 5),
    ("amx-complex", 7, 1, Reg::Ebx, 8),
    ("avxvnniint16", 7, 1, Reg::Ebx, 10),
    ("prefetchi", 7, 1, Reg::Ebx, 14),
    ("usermsr", 7, 1, Reg::Ebx, 15),
    ("ptwrite", 0x14, 0, Reg::Ebx, 4),
];

/// The features Julia reads from leaf 7 subleaf 1 `EBX` where LLVM's
/// `sys::getHostCPUFeatures()` reads `EDX` (see [`BITS`]): the two can disagree on them,
/// so a build machine's LLVM list and sysimg's detection cannot be compared on them.
pub(crate) const READ_UNLIKE_LLVM: &[&str] = &[
    "avxvnniint8",
    "avxneconvert",
    "amx-complex",
    "avxvnniint16",
    "prefetchi",
    "usermsr",
];

/// The CPUID leaves `(leaf, subleaf)` that [`BITS`] and the CPU name are read from,
/// besides leaves 0 and 0x8000_0000 (which say which of them exist).
pub(crate) const LEAVES: &[(u32, u32)] = &[
    (1, 0),
    (7, 0),
    (7, 1),
    (0xd, 1),
    (0x14, 0),
    (0x8000_0001, 0),
    (0x8000_0008, 0),
];

/// CPUID's answers to every leaf the host's features and name come from, and XCR0, read
/// in one pass: in a virtual machine each CPUID traps to the hypervisor (microseconds
/// apiece), and the launcher reads them at every start of Julia.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Leaves {
    answers: Vec<((u32, u32), [u32; 4])>,
    xcr0: u64,
}

impl Leaves {
    /// Reads every leaf of [`LEAVES`] the CPU has (and XCR0 when CPUID says the OS
    /// enabled `XSAVE`), each once.
    pub(crate) fn read(cpuid: &dyn Fn(u32, u32) -> [u32; 4], xcr0: &dyn Fn() -> u64) -> Leaves {
        let basic = cpuid(0, 0);
        let extended = cpuid(0x8000_0000, 0);
        let mut answers = vec![((0, 0), basic), ((0x8000_0000, 0), extended)];
        for &(leaf, sub) in LEAVES {
            let max = if leaf >= 0x8000_0000 {
                extended[0]
            } else {
                basic[0]
            };
            if basic[0] >= 1 && max >= leaf {
                answers.push(((leaf, sub), cpuid(leaf, sub)));
            }
        }
        let mut leaves = Leaves { answers, xcr0: 0 };
        if leaves.cpuid(1, 0)[2] & (1 << 27) != 0 {
            leaves.xcr0 = xcr0();
        }
        leaves
    }

    /// The answer to one leaf as read (zeros for one not read).
    pub(crate) fn cpuid(&self, leaf: u32, sub: u32) -> [u32; 4] {
        self.answers
            .iter()
            .find(|(k, _)| *k == (leaf, sub))
            .map_or([0; 4], |(_, r)| *r)
    }

    /// The answers as one string: equal strings decode to the same CPU. Leaf 1's `EBX`
    /// (the APIC id, which differs from core to core) is left out.
    pub(crate) fn fingerprint(&self) -> String {
        let mut out = String::with_capacity(self.answers.len() * 40 + 16);
        for ((leaf, sub), r) in &self.answers {
            let r = if (*leaf, *sub) == (1, 0) {
                [r[0], 0, r[2], r[3]]
            } else {
                *r
            };
            out.push_str(&format!(
                "{leaf:x}.{sub:x}:{:08x}{:08x}{:08x}{:08x};",
                r[0], r[1], r[2], r[3]
            ));
        }
        out.push_str(&format!("xcr0:{:x}", self.xcr0));
        out
    }

    /// Julia's features from these answers ([`features`]).
    pub(crate) fn features(&self, lazy_avx512: bool) -> BTreeSet<String> {
        features(&|l, s| self.cpuid(l, s), &|| self.xcr0, lazy_avx512)
    }
}

/// `features_disable_avx`: unusable without the OS saving the AVX state.
const NEED_AVX_STATE: &[&str] = &[
    "avx",
    "fma",
    "f16c",
    "xsave",
    "avx2",
    "xop",
    "fma4",
    "xsaveopt",
    "xsavec",
    "xsaves",
    "vaes",
    "vpclmulqdq",
];

/// `features_disable_avx512` (1.5.1–1.11's list, which still had `avx512pf`/`avx512er`).
const NEED_AVX512_STATE: &[&str] = &[
    "avx512f",
    "avx512dq",
    "avx512ifma",
    "avx512pf",
    "avx512er",
    "avx512cd",
    "avx512bw",
    "avx512vl",
    "avx512vbmi",
    "avx512vpopcntdq",
    "avx512vbmi2",
    "avx512vnni",
    "avx512bitalg",
    "avx512vp2intersect",
    "avx512bf16",
];

/// `features_disable_amx` (`amx-fp16`/`amx-complex` need `amx-tile`, so they go too).
const NEED_AMX_STATE: &[&str] = &[
    "amx-bf16",
    "amx-tile",
    "amx-int8",
    "amx-fp16",
    "amx-complex",
];

/// Julia's host features from CPUID: `cpuid(leaf, subleaf)` answers `[eax, ebx, ecx,
/// edx]`, `xcr0` is `XGETBV(0)` (read only when CPUID says the OS enabled `XSAVE`),
/// `lazy_avx512` is macOS ("Darwin lazily saves the AVX512 context on first use").
pub(crate) fn features(
    cpuid: &dyn Fn(u32, u32) -> [u32; 4],
    xcr0: &dyn Fn() -> u64,
    lazy_avx512: bool,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let max = cpuid(0, 0)[0];
    if max < 1 {
        return out;
    }
    let max_ext = cpuid(0x8000_0000, 0)[0];
    let available = |leaf: u32| {
        if leaf >= 0x8000_0000 {
            max_ext >= leaf
        } else {
            max >= leaf
        }
    };
    for (name, leaf, sub, reg, bit) in BITS {
        if !available(*leaf) {
            continue;
        }
        let r = cpuid(*leaf, *sub);
        let value = match reg {
            Reg::Eax => r[0],
            Reg::Ebx => r[1],
            Reg::Ecx => r[2],
            Reg::Edx => r[3],
        };
        if value & (1 << bit) != 0 {
            out.insert(name.to_string());
        }
    }
    // "Fix up AVX bits to account for OS support and match LLVM model"
    let ecx1 = cpuid(1, 0)[2];
    let osxsave = ecx1 & (1 << 27) != 0;
    let xcr0 = if osxsave { xcr0() } else { 0 };
    let has_xsave = osxsave && xcr0 & 0x6 == 0x6;
    let has_avx = has_xsave && ecx1 & (1 << 28) != 0;
    let has_avx512 = has_avx && (lazy_avx512 || xcr0 & 0xe0 == 0xe0);
    let has_amx = has_xsave && xcr0 & ((1 << 17) | (1 << 18)) == (1 << 17) | (1 << 18);
    for (ok, list) in [
        (has_avx, NEED_AVX_STATE),
        (has_avx512, NEED_AVX512_STATE),
        (has_amx, NEED_AMX_STATE),
    ] {
        if !ok {
            for f in list {
                out.remove(*f);
            }
        }
    }
    out
}

/// The host's CPUID answers, read once per process.
#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)] // CPUID intrinsics are safe functions on newer toolchains only.
fn host_leaves() -> &'static Leaves {
    use std::arch::x86_64::{__cpuid_count, _xgetbv};
    static LEAVES: std::sync::OnceLock<Leaves> = std::sync::OnceLock::new();
    LEAVES.get_or_init(|| {
        // SAFETY: CPUID exists on every x86-64 processor.
        let cpuid = |leaf: u32, sub: u32| {
            let r = unsafe { __cpuid_count(leaf, sub) };
            [r.eax, r.ebx, r.ecx, r.edx]
        };
        #[target_feature(enable = "xsave")]
        unsafe fn xgetbv0() -> u64 {
            unsafe { _xgetbv(0) }
        }
        // SAFETY: `Leaves::read` calls it only when CPUID.1:ECX.OSXSAVE says XGETBV is
        // enabled.
        let xcr0 = || unsafe { xgetbv0() };
        Leaves::read(&cpuid, &xcr0)
    })
}

#[cfg(target_arch = "x86_64")]
pub(crate) fn host() -> crate::CpuFacts {
    let leaves = host_leaves();
    crate::CpuFacts {
        name: x86_name(leaves.cpuid(0, 0)[1], leaves.cpuid(1, 0)[0]).to_string(),
        features: leaves.features(cfg!(target_os = "macos")),
    }
}

/// What identifies the host CPU, cheaply: the raw CPUID answers its facts are decoded from.
#[cfg(target_arch = "x86_64")]
pub(crate) fn fingerprint() -> String {
    host_leaves().fingerprint()
}

/// The CPU name from CPUID's vendor, family and model, as Julia's `get_host_cpu` names the
/// common ones; anything else is `generic` (features still decide what runs).
#[cfg(target_arch = "x86_64")]
fn x86_name(vendor: u32, eax1: u32) -> &'static str {
    let mut family = (eax1 >> 8) & 0xf;
    let mut model = (eax1 >> 4) & 0xf;
    if family == 6 || family == 0xf {
        if family == 0xf {
            family += (eax1 >> 20) & 0xff;
        }
        model += ((eax1 >> 16) & 0xf) << 4;
    }
    match (vendor, family) {
        (0x756e_6547, 6) => match model {
            0x1a | 0x1e | 0x1f | 0x2e => "nehalem",
            0x25 | 0x2c | 0x2f => "westmere",
            0x2a | 0x2d => "sandybridge",
            0x3a | 0x3e => "ivybridge",
            0x3c | 0x3f | 0x45 | 0x46 => "haswell",
            0x3d | 0x47 | 0x4f | 0x56 => "broadwell",
            0x4e | 0x5e | 0x8e | 0x9e | 0xa5 | 0xa6 => "skylake",
            0x55 => "skylake-avx512",
            0x66 => "cannonlake",
            0x7d | 0x7e => "icelake-client",
            0x6a | 0x6c => "icelake-server",
            0x8c | 0x8d => "tigerlake",
            0x97 | 0x9a | 0xb7 | 0xba | 0xbf => "alderlake",
            0x8f | 0xcf => "sapphirerapids",
            _ => "generic",
        },
        (0x6874_7541, 0x15) if model >= 0x50 => "bdver4",
        (0x6874_7541, 0x15) if model >= 0x30 => "bdver3",
        (0x6874_7541, 0x15) if model >= 0x10 => "bdver2",
        (0x6874_7541, 0x15) => "bdver1",
        (0x6874_7541, 0x16) => "btver2",
        (0x6874_7541, 0x17) if model >= 0x30 => "znver2",
        (0x6874_7541, 0x17) => "znver1",
        (0x6874_7541, 0x19) if (0x10..=0x1f).contains(&model) || model >= 0x60 => "znver4",
        (0x6874_7541, 0x19) => "znver3",
        (0x6874_7541, 0x1a) => "znver5",
        _ => "generic",
    }
}
