//! CPU targets: parsing Julia's `cpu_target` strings, the feature sets of the CPU names Julia
//! knows, detecting the host CPU, and deciding whether an image has a variant the host can run.
//!
//! A `cpu_target` is a `;`-separated list of targets, each a CPU name (empty or `generic`: the
//! architecture's baseline; `native`: the build machine) followed by `,`-separated `+feature`,
//! `-feature` (a bare name enables), and the flags `clone_all`, `base(N)`, `opt_size`,
//! `min_size`. Julia loads an image only if one target's features are all present on the host
//! ("Unable to find compatible target in system image" otherwise).
//!
//! The feature sets below follow Julia's `src/processor_x86.cpp` and `processor_aarch64.cpp`
//! (LLVM feature names, as `cpu_target` strings use them). They are written out here because
//! no crate carries Julia's tables; a name outside them is reported as unknown, never guessed.

use std::collections::BTreeSet;
use std::fmt;

/// One target of a `cpu_target` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The CPU name (`generic` when empty).
    pub name: String,
    /// Features explicitly enabled.
    pub enable: Vec<String>,
    /// Features explicitly disabled.
    pub disable: Vec<String>,
    /// `clone_all`.
    pub clone_all: bool,
    /// `base(N)`.
    pub base: Option<usize>,
}

/// A parsed `cpu_target` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuTarget {
    /// The targets, in order.
    pub targets: Vec<Target>,
}

/// A `cpu_target` string Julia would reject.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid cpu_target `{target}`: {reason}")]
pub struct TargetError {
    /// The string.
    pub target: String,
    /// Why.
    pub reason: String,
}

impl CpuTarget {
    /// Parses a `cpu_target` string as Julia's `parse_cmdline` does.
    pub fn parse(s: &str) -> Result<CpuTarget, TargetError> {
        let err = |reason: String| TargetError {
            target: s.to_string(),
            reason,
        };
        let mut targets = Vec::new();
        for (i, part) in s.split(';').enumerate() {
            // Julia rejects an empty option ("Invalid target option: empty CPU name"); an empty
            // target between `;`s is a typo that would silently mean `generic`.
            if part.trim().is_empty() {
                return Err(err(format!("target {i} is empty")));
            }
            let mut items = part.split(',');
            let name = items.next().unwrap_or("").trim();
            let mut t = Target {
                name: if name.is_empty() { "generic" } else { name }.to_string(),
                enable: Vec::new(),
                disable: Vec::new(),
                clone_all: false,
                base: None,
            };
            for item in items.map(str::trim) {
                if item == "clone_all" {
                    t.clone_all = true;
                } else if item == "opt_size" || item == "min_size" {
                } else if let Some(n) = item.strip_prefix("base(").and_then(|r| r.strip_suffix(')'))
                {
                    let n: usize = n
                        .parse()
                        .map_err(|_| err(format!("`{item}` is not base(N)")))?;
                    if n >= i {
                        return Err(err(format!(
                            "target {i} names base({n}), which is not an earlier target"
                        )));
                    }
                    t.base = Some(n);
                } else if let Some(f) = item.strip_prefix('-') {
                    t.disable.push(f.to_string());
                } else if item.is_empty() {
                    return Err(err(format!("target {i} has an empty item")));
                } else {
                    t.enable.push(item.trim_start_matches('+').to_string());
                }
            }
            targets.push(t);
        }
        Ok(CpuTarget { targets })
    }

    /// Whether any target is `native` (the image then depends on the build machine's CPU).
    pub fn uses_native(&self) -> bool {
        self.targets.iter().any(|t| t.name == "native")
    }
}

/// An instruction-set family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// x86-64.
    X86_64,
    /// AArch64.
    Aarch64,
}

impl Isa {
    /// The family of a Julia `Sys.ARCH` or triplet architecture name.
    pub fn from_arch(arch: &str) -> Option<Isa> {
        match arch {
            "x86_64" | "amd64" => Some(Isa::X86_64),
            "aarch64" | "arm64" => Some(Isa::Aarch64),
            _ => None,
        }
    }
}

/// A CPU: its name and its features (LLVM names).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuFacts {
    /// The CPU name as Julia reports it (`Sys.CPU_NAME`).
    pub name: String,
    /// The features it has.
    pub features: BTreeSet<String>,
}

impl fmt::Display for CpuFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} features)", self.name, self.features.len())
    }
}

// x86-64 feature sets, following Julia's processor_x86.cpp.
const X86_DEPS: &[(&str, &str)] = &[
    ("ssse3", "sse3"),
    ("fma", "avx"),
    ("sse4.1", "ssse3"),
    ("sse4.2", "sse4.1"),
    ("avx", "sse4.2"),
    ("f16c", "avx"),
    ("avx2", "avx"),
    ("avx512f", "avx2"),
    ("avx512dq", "avx512f"),
    ("avx512ifma", "avx512f"),
    ("avx512pf", "avx512f"),
    ("avx512er", "avx512f"),
    ("avx512cd", "avx512f"),
    ("avx512bw", "avx512f"),
    ("avx512vl", "avx512f"),
    ("avx512vbmi", "avx512bw"),
    ("avx512vpopcntdq", "avx512f"),
    ("avx512vnni", "avx512f"),
    ("avx512bf16", "avx512bw"),
    ("avx512bitalg", "avx512bw"),
    ("avx512vbmi2", "avx512bw"),
    ("sse4a", "sse3"),
    ("xop", "fma4"),
    ("fma4", "avx"),
    ("fma4", "sse4a"),
];

/// (name, parent, extra features): a CPU's features are its parent's plus its own.
const X86_CPUS: &[(&str, &str, &[&str])] = &[
    ("generic", "", &["cx16"]),
    ("x86-64", "", &["cx16"]),
    (
        "x86-64-v2",
        "x86-64",
        &["sahf", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3"],
    ),
    (
        "x86-64-v3",
        "x86-64-v2",
        &[
            "avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave",
        ],
    ),
    (
        "x86-64-v4",
        "x86-64-v3",
        &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
    ),
    ("core2", "", &["sse3", "ssse3", "cx16", "sahf"]),
    ("nocona", "", &["sse3", "cx16"]),
    ("penryn", "nocona", &["ssse3", "sse4.1", "sahf"]),
    ("nehalem", "penryn", &["sse4.2", "popcnt"]),
    // Julia's westmere has no `aes`: it first comes with skylake (processor_x86.cpp).
    ("westmere", "nehalem", &["pclmul"]),
    ("sandybridge", "westmere", &["avx", "xsave", "xsaveopt"]),
    ("ivybridge", "sandybridge", &["rdrnd", "f16c", "fsgsbase"]),
    (
        "haswell",
        "ivybridge",
        &["avx2", "bmi", "bmi2", "fma", "lzcnt", "movbe"],
    ),
    ("broadwell", "haswell", &["adx", "rdseed", "prfchw"]),
    (
        "skylake",
        "broadwell",
        &["aes", "xsavec", "xsaves", "clflushopt"],
    ),
    (
        "skylake-avx512",
        "skylake",
        &[
            "avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl", "pku", "clwb",
        ],
    ),
    ("cascadelake", "skylake-avx512", &["avx512vnni"]),
    // Julia's cannonlake builds on skylake, not skylake-avx512: no `clwb`.
    (
        "cannonlake",
        "skylake",
        &[
            "avx512f",
            "avx512cd",
            "avx512dq",
            "avx512bw",
            "avx512vl",
            "pku",
            "avx512vbmi",
            "avx512ifma",
            "sha",
        ],
    ),
    (
        "icelake-client",
        "cannonlake",
        &[
            "avx512bitalg",
            "vaes",
            "avx512vbmi2",
            "vpclmulqdq",
            "gfni",
            "rdpid",
            "avx512vpopcntdq",
            "clwb",
        ],
    ),
    ("icelake-server", "icelake-client", &["pconfig", "wbnoinvd"]),
    (
        "tigerlake",
        "icelake-client",
        &["avx512vp2intersect", "movdiri", "movdir64b", "shstk"],
    ),
    (
        "alderlake",
        "skylake",
        &[
            "clwb",
            "sha",
            "waitpkg",
            "shstk",
            "gfni",
            "vaes",
            "vpclmulqdq",
            "pconfig",
            "rdpid",
            "movdiri",
            "pku",
            "movdir64b",
            "serialize",
            "ptwrite",
            "avxvnni",
        ],
    ),
    (
        "sapphirerapids",
        "icelake-server",
        &[
            "amx-tile",
            "amx-int8",
            "amx-bf16",
            "avx512bf16",
            "avx512fp16",
            "serialize",
            "cldemote",
            "waitpkg",
            "avxvnni",
            "uintr",
            "ptwrite",
            "tsxldtrk",
            "enqcmd",
            "shstk",
            "avx512vp2intersect",
            "movdiri",
            "movdir64b",
        ],
    ),
    ("bonnell", "", &["sse3", "ssse3", "cx16", "movbe", "sahf"]),
    (
        "silvermont",
        "bonnell",
        &["sse4.1", "sse4.2", "popcnt", "pclmul", "prfchw"],
    ),
    (
        "goldmont",
        "silvermont",
        &[
            "sha",
            "rdrnd",
            "rdseed",
            "xsave",
            "xsaveopt",
            "xsavec",
            "xsaves",
            "clflushopt",
            "fsgsbase",
            "aes",
        ],
    ),
    ("k8-sse3", "", &["sse3", "cx16"]),
    ("amdfam10", "k8-sse3", &["sse4a", "lzcnt", "popcnt", "sahf"]),
    ("barcelona", "amdfam10", &[]),
    ("btver1", "amdfam10", &["ssse3", "prfchw"]),
    (
        "btver2",
        "btver1",
        &[
            "sse4.1", "sse4.2", "avx", "aes", "pclmul", "bmi", "f16c", "movbe", "xsave", "xsaveopt",
        ],
    ),
    (
        "bdver1",
        "amdfam10",
        &[
            "xop", "fma4", "avx", "ssse3", "sse4.1", "sse4.2", "aes", "prfchw", "pclmul", "xsave",
        ],
    ),
    ("bdver2", "bdver1", &["f16c", "bmi", "tbm", "fma"]),
    ("bdver3", "bdver2", &["xsaveopt", "fsgsbase"]),
    ("bdver4", "bdver3", &["avx2", "bmi2", "mwaitx", "movbe"]),
    (
        "znver1",
        "haswell",
        &[
            "adx",
            "clflushopt",
            "clzero",
            "mwaitx",
            "prfchw",
            "rdseed",
            "sha",
            "sse4a",
            "xsavec",
            "aes",
        ],
    ),
    // No `xsaves` on Zen 1-3 (julia#50186, for AMD erratum 1386); znver4 has it.
    ("znver2", "znver1", &["clwb", "rdpid", "wbnoinvd"]),
    ("znver3", "znver2", &["shstk", "pku", "vaes", "vpclmulqdq"]),
    (
        "znver4",
        "znver3",
        &[
            "avx512f",
            "avx512cd",
            "avx512dq",
            "avx512bw",
            "avx512vl",
            "avx512ifma",
            "avx512vbmi",
            "avx512vbmi2",
            "avx512vnni",
            "avx512bitalg",
            "avx512vpopcntdq",
            "avx512bf16",
            "gfni",
            "xsaves",
        ],
    ),
];

// AArch64 feature sets, following Julia's processor_aarch64.cpp ("generic" needs nothing).
const AARCH64_CPUS: &[(&str, &str, &[&str])] = &[
    ("generic", "", &[]),
    ("armv8-a", "", &[]),
    ("armv8.1-a", "", &["crc", "v8.1a", "lse", "rdm"]),
    ("armv8.2-a", "armv8.1-a", &["v8.2a"]),
    ("armv8.3-a", "armv8.2-a", &["v8.3a", "rcpc"]),
    ("cortex-a53", "", &["crc"]),
    ("cortex-a57", "", &["crc"]),
    ("cortex-a72", "", &["crc"]),
    ("cortex-a73", "", &["crc"]),
    (
        "cortex-a55",
        "armv8.2-a",
        &["crypto", "rcpc", "dotprod", "fullfp16"],
    ),
    (
        "cortex-a75",
        "armv8.2-a",
        &["crypto", "rcpc", "dotprod", "fullfp16"],
    ),
    (
        "cortex-a76",
        "armv8.2-a",
        &["crypto", "rcpc", "dotprod", "fullfp16", "ssbs"],
    ),
    ("cortex-a77", "cortex-a76", &[]),
    ("cortex-a78", "cortex-a76", &[]),
    (
        "neoverse-n1",
        "armv8.2-a",
        &["crypto", "rcpc", "dotprod", "fullfp16", "ssbs"],
    ),
    (
        "neoverse-v1",
        "neoverse-n1",
        &["v8.3a", "v8.4a", "sve", "bf16", "i8mm"],
    ),
    ("neoverse-512tvb", "neoverse-v1", &[]),
    (
        "neoverse-n2",
        "neoverse-n1",
        &["v8.3a", "v8.4a", "v8.5a", "sve", "sve2", "bf16", "i8mm"],
    ),
    ("thunderx2t99", "armv8.1-a", &["crypto"]),
    ("carmel", "armv8.2-a", &["crypto", "fullfp16"]),
    ("a64fx", "armv8.2-a", &["crypto", "sve", "fullfp16"]),
    (
        "apple-m1",
        "armv8.3-a",
        &[
            "crypto", "dotprod", "fullfp16", "fp16fml", "sha3", "v8.4a", "v8.5a",
        ],
    ),
    ("apple-m2", "apple-m1", &["bf16", "i8mm", "v8.6a"]),
    ("apple-m3", "apple-m2", &[]),
];

fn table(isa: Isa) -> &'static [(&'static str, &'static str, &'static [&'static str])] {
    match isa {
        Isa::X86_64 => X86_CPUS,
        Isa::Aarch64 => AARCH64_CPUS,
    }
}

/// Every feature name sysimg's CPU tables use for an architecture: the names its own host
/// detection reports and compares.
pub fn known_features(isa: Isa) -> BTreeSet<&'static str> {
    table(isa)
        .iter()
        .flat_map(|(_, _, own)| own.iter().copied())
        .collect()
}

/// The host features to compare a `native` image's build machine with, like with like.
///
/// A `native` image records the build machine's features as its julia's probe reported them:
/// on Julia 1.10+ LLVM's whole host feature list (`jl_get_cpu_features`, which
/// JuliaLang/julia src/processor_x86.cpp and processor_arm.cpp return as LLVM's
/// `sys::getHostCPUFeatures()`, `+feat` and `-feat`; the probe keeps the `+` ones), including
/// baseline features sysimg's
/// detection never names (`64bit`, `cmov`, `cx8`, `fxsr`, `mmx`, `sse`, `sse2`, and on newer
/// LLVMs `crc32`, `evex512`; `neon`, `fp-armv8` on AArch64). So the host's features come from
/// the same source: the probe of the julia that would run the image (the same Julia, so the
/// same LLVM and names). Without it (no julia at hand, or one older than 1.10), both sides are
/// cut down to the features sysimg detects itself: `(build, host)`.
pub fn native_comparison(
    isa: Isa,
    build: &CpuFacts,
    detected: &CpuFacts,
    host_julia: Option<&CpuFacts>,
) -> (CpuFacts, CpuFacts) {
    match host_julia.filter(|j| !j.features.is_empty()) {
        Some(julia) => (build.clone(), julia.clone()),
        None => {
            let known = known_features(isa);
            let build = CpuFacts {
                name: build.name.clone(),
                features: build
                    .features
                    .iter()
                    .filter(|f| known.contains(f.as_str()))
                    .cloned()
                    .collect(),
            };
            (build, detected.clone())
        }
    }
}

/// The features a CPU name implies, or `None` for a name outside Julia's tables.
pub fn cpu_features(isa: Isa, name: &str) -> Option<BTreeSet<String>> {
    let name = match (isa, name) {
        (Isa::X86_64, "icelake") => "icelake-client",
        (Isa::X86_64, "skx") => "skylake-avx512",
        (Isa::Aarch64, "apple-a14") => "apple-m1",
        _ => name,
    };
    let (_, parent, own) = table(isa).iter().find(|(n, _, _)| *n == name)?;
    let mut set = if parent.is_empty() {
        match isa {
            // Julia requires cx16 on every 64-bit x86 target unless disabled.
            Isa::X86_64 if name != "generic" && name != "x86-64" => {
                BTreeSet::from(["cx16".to_string()])
            }
            _ => BTreeSet::new(),
        }
    } else {
        cpu_features(isa, parent)?
    };
    set.extend(own.iter().map(|s| s.to_string()));
    Some(set)
}

/// Julia's `enable_depends`/`disable_depends`: an enabled feature brings what it builds on
/// (`avx2` needs `avx`, which needs `sse4.2`, ...); a disabled one takes what builds on it
/// away (`-avx` also drops `avx2`, `fma`, ...).
fn apply_dependencies(isa: Isa, set: &mut BTreeSet<String>, disabled: &[String]) {
    if isa != Isa::X86_64 {
        return;
    }
    let mut off: BTreeSet<&str> = disabled.iter().map(String::as_str).collect();
    loop {
        let before = off.len();
        for (feature, needs) in X86_DEPS {
            if off.contains(needs) {
                off.insert(feature);
            }
        }
        if off.len() == before {
            break;
        }
    }
    loop {
        let before = set.len();
        for (feature, needs) in X86_DEPS {
            if set.contains(*feature) && !off.contains(needs) {
                set.insert(needs.to_string());
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.retain(|f| !off.contains(f.as_str()));
}

/// Whether one target can run on a host, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetFit {
    /// The host has every feature the target needs.
    Runs,
    /// The host lacks these features.
    Lacks(Vec<String>),
    /// The CPU name is not in sysimg's tables.
    Unknown,
}

/// The features a target needs on an architecture, or `None` for an unknown name. `native`
/// needs the build machine's features, when they are known.
pub fn target_features(
    isa: Isa,
    target: &Target,
    build_cpu: Option<&CpuFacts>,
) -> Option<BTreeSet<String>> {
    let mut set = if target.name == "native" {
        build_cpu?.features.clone()
    } else {
        cpu_features(isa, &target.name)?
    };
    set.extend(target.enable.iter().cloned());
    apply_dependencies(isa, &mut set, &target.disable);
    if isa == Isa::X86_64 {
        // Julia masks these out of every target before it builds or loads an image
        // (processor_x86.cpp `arg_target_data`: "Mask our rdrand/rdseed/rtm/xsaveopt
        // features"), so no image needs them: a VM without TSX runs skylake images.
        for f in NEVER_REQUIRED_X86 {
            set.remove(*f);
        }
    }
    Some(set)
}

/// x86 features Julia never requires of a host (1.10–1.13).
const NEVER_REQUIRED_X86: &[&str] = &["rdrnd", "rdseed", "rtm", "xsaveopt"];

/// How each target of `cpu_target` fits the host.
pub fn fit(
    isa: Isa,
    cpu_target: &CpuTarget,
    host: &CpuFacts,
    build_cpu: Option<&CpuFacts>,
) -> Vec<(String, TargetFit)> {
    cpu_target
        .targets
        .iter()
        .map(|t| {
            let fit = match target_features(isa, t, build_cpu) {
                None => TargetFit::Unknown,
                Some(needed) => {
                    let lacking: Vec<String> = needed
                        .iter()
                        .filter(|f| !host.features.contains(*f))
                        .cloned()
                        .collect();
                    if lacking.is_empty() {
                        TargetFit::Runs
                    } else {
                        TargetFit::Lacks(lacking)
                    }
                }
            };
            (t.name.clone(), fit)
        })
        .collect()
}

/// The host CPU, detected natively (CPUID on x86-64; the kernel's hardware capabilities on
/// AArch64). `SYSIMG_HOST_CPU="name:feat,feat,..."` overrides it (for tests and for checking
/// an image against another machine).
pub fn host_cpu() -> CpuFacts {
    if let Some(spec) = std::env::var_os("SYSIMG_HOST_CPU").filter(|v| !v.is_empty()) {
        let spec = spec.to_string_lossy();
        let (name, features) = spec.split_once(':').unwrap_or((&spec, ""));
        return CpuFacts {
            name: name.to_string(),
            features: features
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
        };
    }
    detect::host()
}

/// The architecture sysimg itself runs on.
pub fn host_isa() -> Option<Isa> {
    Isa::from_arch(std::env::consts::ARCH)
}

#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)] // CPUID intrinsics are safe functions on newer toolchains only.
mod detect {
    use super::CpuFacts;
    use std::arch::x86_64::{__cpuid, __cpuid_count};

    pub fn host() -> CpuFacts {
        let mut features = std::collections::BTreeSet::new();
        let mut add = |name: &str, present: bool| {
            if present {
                features.insert(name.to_string());
            }
        };
        // Features whose use needs OS support (AVX state): std checks XCR0 for these.
        add("sse3", is_x86_feature_detected!("sse3"));
        add("ssse3", is_x86_feature_detected!("ssse3"));
        add("sse4.1", is_x86_feature_detected!("sse4.1"));
        add("sse4.2", is_x86_feature_detected!("sse4.2"));
        add("sse4a", is_x86_feature_detected!("sse4a"));
        add("popcnt", is_x86_feature_detected!("popcnt"));
        add("aes", is_x86_feature_detected!("aes"));
        add("pclmul", is_x86_feature_detected!("pclmulqdq"));
        add("cx16", is_x86_feature_detected!("cmpxchg16b"));
        add("movbe", is_x86_feature_detected!("movbe"));
        add("xsave", is_x86_feature_detected!("xsave"));
        add("xsaveopt", is_x86_feature_detected!("xsaveopt"));
        add("xsavec", is_x86_feature_detected!("xsavec"));
        add("xsaves", is_x86_feature_detected!("xsaves"));
        add("avx", is_x86_feature_detected!("avx"));
        add("avx2", is_x86_feature_detected!("avx2"));
        add("fma", is_x86_feature_detected!("fma"));
        add("f16c", is_x86_feature_detected!("f16c"));
        add("bmi", is_x86_feature_detected!("bmi1"));
        add("bmi2", is_x86_feature_detected!("bmi2"));
        add("lzcnt", is_x86_feature_detected!("lzcnt"));
        add("tbm", is_x86_feature_detected!("tbm"));
        add("rdrnd", is_x86_feature_detected!("rdrand"));
        add("rdseed", is_x86_feature_detected!("rdseed"));
        add("adx", is_x86_feature_detected!("adx"));
        add("sha", is_x86_feature_detected!("sha"));
        add("rtm", is_x86_feature_detected!("rtm"));
        add("avx512f", is_x86_feature_detected!("avx512f"));
        add("avx512cd", is_x86_feature_detected!("avx512cd"));
        add("avx512dq", is_x86_feature_detected!("avx512dq"));
        add("avx512bw", is_x86_feature_detected!("avx512bw"));
        add("avx512vl", is_x86_feature_detected!("avx512vl"));
        add("avx512ifma", is_x86_feature_detected!("avx512ifma"));
        add("avx512vbmi", is_x86_feature_detected!("avx512vbmi"));
        add("avx512vbmi2", is_x86_feature_detected!("avx512vbmi2"));
        add("avx512vnni", is_x86_feature_detected!("avx512vnni"));
        add("avx512bitalg", is_x86_feature_detected!("avx512bitalg"));
        add(
            "avx512vpopcntdq",
            is_x86_feature_detected!("avx512vpopcntdq"),
        );
        add("avx512bf16", is_x86_feature_detected!("avx512bf16"));
        add(
            "avx512vp2intersect",
            is_x86_feature_detected!("avx512vp2intersect"),
        );
        add("avx512fp16", is_x86_feature_detected!("avx512fp16"));
        add("gfni", is_x86_feature_detected!("gfni"));
        add("vaes", is_x86_feature_detected!("vaes"));
        add("vpclmulqdq", is_x86_feature_detected!("vpclmulqdq"));
        // The rest are plain CPUID bits std does not name.
        // SAFETY: CPUID exists on every x86-64 processor.
        let (max, ext_max) = unsafe { (__cpuid(0).eax, __cpuid(0x8000_0000).eax) };
        let leaf7 = (max >= 7).then(|| unsafe { __cpuid_count(7, 0) });
        let ext1 = (ext_max >= 0x8000_0001).then(|| unsafe { __cpuid(0x8000_0001) });
        let ext8 = (ext_max >= 0x8000_0008).then(|| unsafe { __cpuid(0x8000_0008) });
        if let Some(l) = leaf7 {
            add("fsgsbase", l.ebx & 1 != 0);
            add("clflushopt", l.ebx & (1 << 23) != 0);
            add("clwb", l.ebx & (1 << 24) != 0);
            add("pku", l.ecx & (1 << 3) != 0);
            add("waitpkg", l.ecx & (1 << 5) != 0);
            add("shstk", l.ecx & (1 << 7) != 0);
            add("rdpid", l.ecx & (1 << 22) != 0);
            add("movdiri", l.ecx & (1 << 27) != 0);
            add("movdir64b", l.ecx & (1 << 28) != 0);
            add("serialize", l.edx & (1 << 14) != 0);
        }
        if let Some(e) = ext1 {
            add("sahf", e.ecx & 1 != 0);
            add("prfchw", e.ecx & (1 << 8) != 0);
            add("xop", e.ecx & (1 << 11) != 0);
            add("lwp", e.ecx & (1 << 15) != 0);
            add("fma4", e.ecx & (1 << 16) != 0);
            add("mwaitx", e.ecx & (1 << 29) != 0);
        }
        if let Some(e) = ext8 {
            add("clzero", e.ebx & 1 != 0);
            add("wbnoinvd", e.ebx & (1 << 9) != 0);
        }
        CpuFacts {
            name: name(),
            features,
        }
    }

    /// The CPU name from CPUID's vendor, family and model, as Julia's `get_host_cpu` names
    /// the common ones; anything else is `generic` (features still decide what runs).
    fn name() -> String {
        // SAFETY: CPUID exists on every x86-64 processor.
        let (l0, l1) = unsafe { (__cpuid(0), __cpuid(1)) };
        let mut family = (l1.eax >> 8) & 0xf;
        let mut model = (l1.eax >> 4) & 0xf;
        if family == 6 || family == 0xf {
            if family == 0xf {
                family += (l1.eax >> 20) & 0xff;
            }
            model += ((l1.eax >> 16) & 0xf) << 4;
        }
        let name = match (l0.ebx, family) {
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
            _ => "generic",
        };
        name.to_string()
    }
}

#[cfg(target_arch = "aarch64")]
mod detect {
    use super::CpuFacts;
    use std::arch::is_aarch64_feature_detected;

    pub fn host() -> CpuFacts {
        let mut features = std::collections::BTreeSet::new();
        let mut add = |name: &str, present: bool| {
            if present {
                features.insert(name.to_string());
            }
        };
        add("crc", is_aarch64_feature_detected!("crc"));
        add(
            "crypto",
            is_aarch64_feature_detected!("aes") && is_aarch64_feature_detected!("sha2"),
        );
        add("lse", is_aarch64_feature_detected!("lse"));
        add("rdm", is_aarch64_feature_detected!("rdm"));
        add("fullfp16", is_aarch64_feature_detected!("fp16"));
        add("rcpc", is_aarch64_feature_detected!("rcpc"));
        add("dotprod", is_aarch64_feature_detected!("dotprod"));
        add("sve", is_aarch64_feature_detected!("sve"));
        add("sve2", is_aarch64_feature_detected!("sve2"));
        add("ssbs", is_aarch64_feature_detected!("ssbs"));
        add("bf16", is_aarch64_feature_detected!("bf16"));
        add("i8mm", is_aarch64_feature_detected!("i8mm"));
        add("sha3", is_aarch64_feature_detected!("sha3"));
        add("fp16fml", is_aarch64_feature_detected!("fhm"));
        // Architecture levels are not CPU bits; infer them from their mandatory features.
        let v81 = features.contains("lse") && features.contains("rdm") && features.contains("crc");
        let v82 = v81 && is_aarch64_feature_detected!("dpb");
        let v83 = v82 && features.contains("rcpc") && is_aarch64_feature_detected!("jsconv");
        let v84 =
            v83 && is_aarch64_feature_detected!("dit") && is_aarch64_feature_detected!("flagm");
        let v85 = v84 && is_aarch64_feature_detected!("sb") && is_aarch64_feature_detected!("dpb2");
        add("v8.1a", v81);
        add("v8.2a", v82);
        add("v8.3a", v83);
        add("v8.4a", v84);
        add("v8.5a", v85);
        CpuFacts {
            name: "generic".into(),
            features,
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod detect {
    pub fn host() -> super::CpuFacts {
        super::CpuFacts {
            name: "generic".into(),
            features: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, isa: Isa) -> CpuFacts {
        CpuFacts {
            name: name.into(),
            features: cpu_features(isa, name).unwrap(),
        }
    }

    #[test]
    fn julia_default_targets_parse() {
        let t = CpuTarget::parse("generic;sandybridge,-xsaveopt,clone_all;haswell,-rdrnd,base(1)")
            .unwrap();
        assert_eq!(t.targets.len(), 3);
        assert_eq!(t.targets[1].disable, ["xsaveopt"]);
        assert!(t.targets[1].clone_all);
        assert_eq!(t.targets[2].base, Some(1));
        assert!(CpuTarget::parse("generic;haswell,base(2)").is_err());
        assert!(CpuTarget::parse("generic;haswell,base(x)").is_err());
        // JuliaLang/julia src/processor.cpp (1.13) `parse_cmdline`: "Invalid target option:
        // empty CPU name" for an empty option; an empty target between `;`s is refused too.
        assert!(CpuTarget::parse("").is_err());
        assert!(CpuTarget::parse("haswell;;").is_err());
        assert_eq!(
            CpuTarget::parse("haswell;,clone_all").unwrap().targets[1].name,
            "generic"
        );
    }

    #[test]
    fn cpu_tables_follow_julia() {
        let h = cpu_features(Isa::X86_64, "haswell").unwrap();
        for f in ["cx16", "sse4.2", "avx", "avx2", "fma", "bmi2", "movbe"] {
            assert!(h.contains(f), "{f}");
        }
        assert!(!h.contains("avx512f"));
        // As Julia 1.10–1.13's src/processor_x86.cpp resolves them (the same in each):
        // `aes` first comes with skylake (not westmere, not silvermont); no `rtm` on skylake;
        // no `xsaves` on Zen 1–3 (julia#50186) but on znver4; no `avx512vnni` on icelake;
        // no `clwb` on cannonlake; `movbe` on bdver4; `fsgsbase` on goldmont; no `lwp`.
        let x86 = |n: &str| cpu_features(Isa::X86_64, n).unwrap();
        assert!(!h.contains("aes") && !x86("westmere").contains("aes"));
        assert!(!x86("silvermont").contains("aes") && x86("goldmont").contains("aes"));
        assert!(x86("skylake").contains("aes") && !x86("skylake").contains("rtm"));
        for zen in ["znver1", "znver2", "znver3"] {
            assert!(
                !x86(zen).contains("xsaves") && x86(zen).contains("aes"),
                "{zen}"
            );
        }
        assert!(x86("znver4").contains("xsaves"));
        for ice in [
            "icelake-client",
            "icelake-server",
            "tigerlake",
            "sapphirerapids",
        ] {
            assert!(
                !x86(ice).contains("avx512vnni") && x86(ice).contains("clwb"),
                "{ice}"
            );
        }
        assert!(x86("cascadelake").contains("avx512vnni"));
        assert!(!x86("cannonlake").contains("clwb"));
        assert!(x86("bdver4").contains("movbe") && !x86("bdver1").contains("lwp"));
        assert!(x86("goldmont").contains("fsgsbase"));
        // Julia masks rdrnd/rdseed/rtm/xsaveopt out of every target (`arg_target_data`):
        // a skylake image runs on a host (a VM) without TSX or RDRAND.
        let skylake = CpuTarget::parse("skylake").unwrap();
        let mut host = x86("skylake");
        for f in ["rtm", "rdrnd", "rdseed", "xsaveopt"] {
            host.remove(f);
        }
        let host = CpuFacts {
            name: "skylake".into(),
            features: host,
        };
        assert_eq!(
            fit(Isa::X86_64, &skylake, &host, None)[0].1,
            TargetFit::Runs
        );
        assert!(cpu_features(Isa::X86_64, "znver4")
            .unwrap()
            .contains("avx512f"));
        assert!(cpu_features(Isa::X86_64, "pentium-mmx").is_none());
        assert!(cpu_features(Isa::Aarch64, "neoverse-n1")
            .unwrap()
            .contains("v8.2a"));
    }

    #[test]
    fn a_target_runs_where_the_host_has_its_features() {
        let img = CpuTarget::parse("haswell;skylake-avx512").unwrap();
        let fits = fit(Isa::X86_64, &img, &facts("sandybridge", Isa::X86_64), None);
        match &fits[0].1 {
            TargetFit::Lacks(l) => assert!(l.contains(&"avx2".to_string()), "{l:?}"),
            other => panic!("{other:?}"),
        }
        let fits = fit(Isa::X86_64, &img, &facts("znver1", Isa::X86_64), None);
        assert_eq!(fits[0].1, TargetFit::Runs);
        assert!(matches!(fits[1].1, TargetFit::Lacks(_)));
        // Disabling a feature drops what depends on it.
        let t = CpuTarget::parse("haswell,-avx").unwrap();
        let need = target_features(Isa::X86_64, &t.targets[0], None).unwrap();
        assert!(!need.contains("avx2") && !need.contains("fma") && need.contains("bmi2"));
        // Enabling a feature needs what it builds on.
        let t = CpuTarget::parse("generic,+avx2").unwrap();
        let need = target_features(Isa::X86_64, &t.targets[0], None).unwrap();
        assert!(need.contains("avx") && need.contains("sse4.2") && need.contains("ssse3"));
        // native needs the build machine's features.
        let native = CpuTarget::parse("native").unwrap();
        let built_on = facts("skylake-avx512", Isa::X86_64);
        let fits = fit(
            Isa::X86_64,
            &native,
            &facts("haswell", Isa::X86_64),
            Some(&built_on),
        );
        assert!(matches!(&fits[0].1, TargetFit::Lacks(l) if l.contains(&"avx512f".to_string())));
        assert_eq!(
            fit(Isa::X86_64, &native, &built_on, None)[0].1,
            TargetFit::Unknown
        );
        assert_eq!(
            fit(
                Isa::X86_64,
                &CpuTarget::parse("mystery").unwrap(),
                &built_on,
                None
            )[0]
            .1,
            TargetFit::Unknown
        );
    }

    #[test]
    fn the_host_is_detected() {
        let host = detect::host();
        if cfg!(target_arch = "x86_64") {
            // Every x86-64 has SSE2-era features; cx16 is on all but the first Athlon 64s.
            assert!(host.features.contains("cx16"), "{host:?}");
            let generic = CpuTarget::parse("generic").unwrap();
            assert_eq!(
                fit(Isa::X86_64, &generic, &host, None)[0].1,
                TargetFit::Runs
            );
        }
        assert!(!host.name.is_empty());
    }

    #[test]
    fn native_is_compared_like_with_like() {
        let llvm = |names: &[&str]| CpuFacts {
            name: "haswell".into(),
            features: names.iter().map(|s| s.to_string()).collect(),
        };
        // Built on Julia 1.12: LLVM's list, baseline and `crc32` included.
        let build = llvm(&["64bit", "cmov", "sse2", "crc32", "avx2", "fma"]);
        let detected = llvm(&["sse2", "avx2", "fma"]);
        // With the host julia's own list: that list, whole.
        let host_julia = llvm(&["64bit", "cmov", "sse2", "crc32", "avx2"]);
        let (b, h) = native_comparison(Isa::X86_64, &build, &detected, Some(&host_julia));
        assert_eq!((&b, &h), (&build, &host_julia));
        // Without one: both sides as sysimg detects them; LLVM-only names drop out.
        let (b, h) = native_comparison(Isa::X86_64, &build, &detected, None);
        assert_eq!(h, detected);
        assert!(b.features.contains("avx2") && b.features.contains("fma"));
        assert!(!b.features.contains("64bit") && !b.features.contains("crc32"));
    }
}
