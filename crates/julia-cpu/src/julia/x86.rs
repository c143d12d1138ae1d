//! x86-64's tables: `src/features_x86.h` and `src/processor_x86.cpp` (`deps[]`, the feature
//! sets, `cpus[]`, the aliases of `normalize_cpu_name`), in Julia's order. Feature sets use
//! Julia's C++ names (`skx`, `icelake_server`); features and CPUs Julia's strings.

use super::{before, between, since, Alias, Cpu, Dep, Feature, Set, Tables, ALL};

/// x86-64's tables.
pub(super) static TABLES: Tables = Tables {
    features: X86_FEATURES,
    llvm_masked: X86_LLVM_MASKED,
    deps: X86_DEPS,
    sets: X86_SETS,
    cpus: X86_CPUS,
    aliases: X86_ALIASES,
    arch_rules: &[],
    never_required: &["rdrnd", "rdseed", "rtm", "xsaveopt"],
    crypto_alias: None,
};

const X86_FEATURES: &[Feature] = &[
    Feature {
        name: "sse3",
        span: ALL,
    },
    Feature {
        name: "pclmul",
        span: ALL,
    },
    Feature {
        name: "ssse3",
        span: ALL,
    },
    Feature {
        name: "fma",
        span: ALL,
    },
    Feature {
        name: "cx16",
        span: ALL,
    },
    Feature {
        name: "sse4.1",
        span: ALL,
    },
    Feature {
        name: "sse4.2",
        span: ALL,
    },
    Feature {
        name: "movbe",
        span: ALL,
    },
    Feature {
        name: "popcnt",
        span: ALL,
    },
    Feature {
        name: "aes",
        span: ALL,
    },
    Feature {
        name: "xsave",
        span: ALL,
    },
    Feature {
        name: "avx",
        span: ALL,
    },
    Feature {
        name: "f16c",
        span: ALL,
    },
    Feature {
        name: "rdrnd",
        span: ALL,
    },
    Feature {
        name: "fsgsbase",
        span: ALL,
    },
    Feature {
        name: "bmi",
        span: ALL,
    },
    Feature {
        name: "avx2",
        span: ALL,
    },
    Feature {
        name: "bmi2",
        span: ALL,
    },
    Feature {
        name: "rtm",
        span: ALL,
    },
    Feature {
        name: "mpx",
        span: before(5, 1),
    },
    Feature {
        name: "avx512f",
        span: ALL,
    },
    Feature {
        name: "avx512dq",
        span: ALL,
    },
    Feature {
        name: "rdseed",
        span: ALL,
    },
    Feature {
        name: "adx",
        span: ALL,
    },
    Feature {
        name: "avx512ifma",
        span: ALL,
    },
    Feature {
        name: "clflushopt",
        span: ALL,
    },
    Feature {
        name: "clwb",
        span: ALL,
    },
    Feature {
        name: "avx512pf",
        span: before(12, 0),
    },
    Feature {
        name: "avx512er",
        span: before(12, 0),
    },
    Feature {
        name: "avx512cd",
        span: ALL,
    },
    Feature {
        name: "sha",
        span: ALL,
    },
    Feature {
        name: "avx512bw",
        span: ALL,
    },
    Feature {
        name: "avx512vl",
        span: ALL,
    },
    Feature {
        name: "prefetchwt1",
        span: before(12, 0),
    },
    Feature {
        name: "avx512vbmi",
        span: ALL,
    },
    Feature {
        name: "pku",
        span: ALL,
    },
    Feature {
        name: "avx512vpopcntdq",
        span: ALL,
    },
    Feature {
        name: "sahf",
        span: ALL,
    },
    Feature {
        name: "lzcnt",
        span: ALL,
    },
    Feature {
        name: "sse4a",
        span: ALL,
    },
    Feature {
        name: "prfchw",
        span: ALL,
    },
    Feature {
        name: "xop",
        span: ALL,
    },
    Feature {
        name: "lwp",
        span: before(9, 0),
    },
    Feature {
        name: "fma4",
        span: ALL,
    },
    Feature {
        name: "tbm",
        span: ALL,
    },
    Feature {
        name: "mwaitx",
        span: ALL,
    },
    Feature {
        name: "xsaveopt",
        span: ALL,
    },
    Feature {
        name: "xsavec",
        span: ALL,
    },
    Feature {
        name: "xsaves",
        span: ALL,
    },
    Feature {
        name: "clzero",
        span: ALL,
    },
    Feature {
        name: "waitpkg",
        span: since(5, 1),
    },
    Feature {
        name: "avx512vbmi2",
        span: since(5, 1),
    },
    Feature {
        name: "shstk",
        span: since(5, 1),
    },
    Feature {
        name: "gfni",
        span: since(5, 1),
    },
    Feature {
        name: "vaes",
        span: since(5, 1),
    },
    Feature {
        name: "vpclmulqdq",
        span: since(5, 1),
    },
    Feature {
        name: "avx512vnni",
        span: since(5, 1),
    },
    Feature {
        name: "avx512bitalg",
        span: since(5, 1),
    },
    Feature {
        name: "rdpid",
        span: since(5, 1),
    },
    Feature {
        name: "cldemote",
        span: since(5, 1),
    },
    Feature {
        name: "movdiri",
        span: since(5, 1),
    },
    Feature {
        name: "movdir64b",
        span: since(5, 1),
    },
    Feature {
        name: "enqcmd",
        span: since(5, 1),
    },
    Feature {
        name: "avx512vp2intersect",
        span: since(5, 1),
    },
    Feature {
        name: "serialize",
        span: since(5, 1),
    },
    Feature {
        name: "tsxldtrk",
        span: since(5, 1),
    },
    Feature {
        name: "pconfig",
        span: since(5, 1),
    },
    Feature {
        name: "amx-bf16",
        span: since(5, 1),
    },
    Feature {
        name: "amx-tile",
        span: since(5, 1),
    },
    Feature {
        name: "amx-int8",
        span: since(5, 1),
    },
    Feature {
        name: "wbnoinvd",
        span: since(5, 1),
    },
    Feature {
        name: "avx512bf16",
        span: since(5, 1),
    },
    Feature {
        name: "ptwrite",
        span: since(5, 1),
    },
    Feature {
        name: "avxvnni",
        span: since(9, 0),
    },
    Feature {
        name: "uintr",
        span: since(10, 0),
    },
    Feature {
        name: "avx512fp16",
        span: since(10, 0),
    },
    Feature {
        name: "sha512",
        span: since(12, 0),
    },
    Feature {
        name: "sm3",
        span: since(12, 0),
    },
    Feature {
        name: "sm4",
        span: since(12, 0),
    },
    Feature {
        name: "raoint",
        span: since(12, 0),
    },
    Feature {
        name: "cmpccxadd",
        span: since(12, 0),
    },
    Feature {
        name: "amx-fp16",
        span: since(12, 0),
    },
    Feature {
        name: "hreset",
        span: since(12, 0),
    },
    Feature {
        name: "avxifma",
        span: since(12, 0),
    },
    Feature {
        name: "avxvnniint8",
        span: since(12, 0),
    },
    Feature {
        name: "avxneconvert",
        span: since(12, 0),
    },
    Feature {
        name: "amx-complex",
        span: since(12, 0),
    },
    Feature {
        name: "avxvnniint16",
        span: since(12, 0),
    },
    Feature {
        name: "prefetchi",
        span: since(12, 0),
    },
    Feature {
        name: "usermsr",
        span: since(12, 0),
    },
];
const X86_LLVM_MASKED: &[Feature] = &[
    Feature {
        name: "serialize",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "tsxldtrk",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "amx-bf16",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "amx-tile",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "amx-int8",
        span: between((5, 1), (6, 0)),
    },
];
const X86_DEPS: &[Dep] = &[
    Dep {
        feature: "ssse3",
        needs: "sse3",
        span: ALL,
    },
    Dep {
        feature: "fma",
        needs: "avx",
        span: ALL,
    },
    Dep {
        feature: "sse4.1",
        needs: "ssse3",
        span: ALL,
    },
    Dep {
        feature: "sse4.2",
        needs: "sse4.1",
        span: ALL,
    },
    Dep {
        feature: "avx",
        needs: "sse4.2",
        span: ALL,
    },
    Dep {
        feature: "f16c",
        needs: "avx",
        span: ALL,
    },
    Dep {
        feature: "avx2",
        needs: "avx",
        span: ALL,
    },
    Dep {
        feature: "avx512f",
        needs: "avx2",
        span: ALL,
    },
    Dep {
        feature: "avx512dq",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "avx512ifma",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "avx512pf",
        needs: "avx512f",
        span: before(12, 0),
    },
    Dep {
        feature: "avx512er",
        needs: "avx512f",
        span: before(12, 0),
    },
    Dep {
        feature: "avx512cd",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "avx512bw",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "avx512vl",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "avx512vbmi",
        needs: "avx512bw",
        span: ALL,
    },
    Dep {
        feature: "avx512vpopcntdq",
        needs: "avx512f",
        span: ALL,
    },
    Dep {
        feature: "sse4a",
        needs: "sse3",
        span: ALL,
    },
    Dep {
        feature: "xop",
        needs: "fma4",
        span: ALL,
    },
    Dep {
        feature: "fma4",
        needs: "avx",
        span: ALL,
    },
    Dep {
        feature: "fma4",
        needs: "sse4a",
        span: ALL,
    },
    Dep {
        feature: "vaes",
        needs: "avx",
        span: since(5, 1),
    },
    Dep {
        feature: "vaes",
        needs: "aes",
        span: since(5, 1),
    },
    Dep {
        feature: "vpclmulqdq",
        needs: "avx",
        span: since(5, 1),
    },
    Dep {
        feature: "vpclmulqdq",
        needs: "pclmul",
        span: since(5, 1),
    },
    Dep {
        feature: "avx512bf16",
        needs: "avx512bw",
        span: since(5, 1),
    },
    Dep {
        feature: "avx512bitalg",
        needs: "avx512bw",
        span: since(5, 1),
    },
    Dep {
        feature: "avx512vbmi2",
        needs: "avx512bw",
        span: since(5, 1),
    },
    Dep {
        feature: "avx512vnni",
        needs: "avx512f",
        span: since(5, 1),
    },
    Dep {
        feature: "avx512vp2intersect",
        needs: "avx512f",
        span: since(5, 1),
    },
    Dep {
        feature: "amx-int8",
        needs: "amx-tile",
        span: since(5, 1),
    },
    Dep {
        feature: "amx-bf16",
        needs: "amx-tile",
        span: since(5, 1),
    },
    Dep {
        feature: "xsaveopt",
        needs: "xsave",
        span: since(5, 1),
    },
    Dep {
        feature: "xsavec",
        needs: "xsave",
        span: since(5, 1),
    },
    Dep {
        feature: "xsaves",
        needs: "xsave",
        span: since(5, 1),
    },
    Dep {
        feature: "avxvnni",
        needs: "avx2",
        span: since(9, 0),
    },
    Dep {
        feature: "avx512fp16",
        needs: "avx512bw",
        span: since(10, 0),
    },
    Dep {
        feature: "avx512fp16",
        needs: "avx512dq",
        span: since(10, 0),
    },
    Dep {
        feature: "avx512fp16",
        needs: "avx512vl",
        span: since(10, 0),
    },
    Dep {
        feature: "avxvnniint8",
        needs: "avx2",
        span: since(12, 0),
    },
    Dep {
        feature: "avxvnniint16",
        needs: "avx2",
        span: since(12, 0),
    },
    Dep {
        feature: "avxifma",
        needs: "avx2",
        span: since(12, 0),
    },
    Dep {
        feature: "avxneconvert",
        needs: "avx2",
        span: since(12, 0),
    },
    Dep {
        feature: "amx-fp16",
        needs: "amx-tile",
        span: since(12, 0),
    },
    Dep {
        feature: "amx-complex",
        needs: "amx-tile",
        span: since(12, 0),
    },
    Dep {
        feature: "sha512",
        needs: "avx2",
        span: since(12, 0),
    },
    Dep {
        feature: "sm3",
        needs: "avx",
        span: since(12, 0),
    },
    Dep {
        feature: "sm4",
        needs: "avx2",
        span: since(12, 0),
    },
];
const X86_SETS: &[Set] = &[
    Set {
        name: "generic",
        span: ALL,
        bases: &[],
        features: &["cx16"],
    },
    Set {
        name: "bonnell",
        span: ALL,
        bases: &[],
        features: &["sse3", "ssse3", "cx16", "movbe", "sahf"],
    },
    Set {
        name: "silvermont",
        span: before(5, 1),
        bases: &["bonnell"],
        features: &["sse4.1", "sse4.2", "popcnt", "pclmul", "aes", "prfchw"],
    },
    Set {
        name: "goldmont",
        span: before(5, 1),
        bases: &["silvermont"],
        features: &[
            "mpx",
            "sha",
            "rdrnd",
            "rdseed",
            "xsave",
            "xsaveopt",
            "xsavec",
            "xsaves",
            "clflushopt",
        ],
    },
    Set {
        name: "yonah",
        span: ALL,
        bases: &[],
        features: &["sse3"],
    },
    Set {
        name: "prescott",
        span: ALL,
        bases: &["yonah"],
        features: &[],
    },
    Set {
        name: "core2",
        span: ALL,
        bases: &[],
        features: &["sse3", "ssse3", "cx16", "sahf"],
    },
    Set {
        name: "nocona",
        span: ALL,
        bases: &[],
        features: &["sse3", "cx16"],
    },
    Set {
        name: "penryn",
        span: ALL,
        bases: &["nocona"],
        features: &["ssse3", "sse4.1", "sahf"],
    },
    Set {
        name: "nehalem",
        span: ALL,
        bases: &["penryn"],
        features: &["sse4.2", "popcnt"],
    },
    Set {
        name: "westmere",
        span: before(5, 1),
        bases: &["nehalem"],
        features: &["aes", "pclmul"],
    },
    Set {
        name: "sandybridge",
        span: ALL,
        bases: &["westmere"],
        features: &["avx", "xsave", "xsaveopt"],
    },
    Set {
        name: "ivybridge",
        span: ALL,
        bases: &["sandybridge"],
        features: &["rdrnd", "f16c", "fsgsbase"],
    },
    Set {
        name: "haswell",
        span: ALL,
        bases: &["ivybridge"],
        features: &["avx2", "bmi", "bmi2", "fma", "lzcnt", "movbe"],
    },
    Set {
        name: "broadwell",
        span: ALL,
        bases: &["haswell"],
        features: &["adx", "rdseed", "prfchw"],
    },
    Set {
        name: "skylake",
        span: before(5, 1),
        bases: &["broadwell"],
        features: &["mpx", "rtm", "xsavec", "xsaves", "clflushopt"],
    },
    Set {
        name: "knl",
        span: before(5, 1),
        bases: &["broadwell"],
        features: &["avx512f", "avx512er", "avx512cd", "avx512pf", "prefetchwt1"],
    },
    Set {
        name: "skx",
        span: ALL,
        bases: &["skylake"],
        features: &[
            "avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl", "pku", "clwb",
        ],
    },
    Set {
        name: "cannonlake",
        span: before(5, 1),
        bases: &["skx"],
        features: &["avx512vbmi", "avx512ifma", "sha"],
    },
    Set {
        name: "k8_sse3",
        span: ALL,
        bases: &[],
        features: &["sse3", "cx16"],
    },
    Set {
        name: "amdfam10",
        span: ALL,
        bases: &["k8_sse3"],
        features: &["sse4a", "lzcnt", "popcnt", "sahf"],
    },
    Set {
        name: "btver1",
        span: ALL,
        bases: &["amdfam10"],
        features: &["ssse3", "prfchw"],
    },
    Set {
        name: "btver2",
        span: ALL,
        bases: &["btver1"],
        features: &[
            "sse4.1", "sse4.2", "avx", "aes", "pclmul", "bmi", "f16c", "movbe", "xsave", "xsaveopt",
        ],
    },
    Set {
        name: "bdver1",
        span: before(9, 0),
        bases: &["amdfam10"],
        features: &[
            "xop", "fma4", "avx", "ssse3", "sse4.1", "sse4.2", "aes", "prfchw", "pclmul", "xsave",
            "lwp",
        ],
    },
    Set {
        name: "bdver2",
        span: ALL,
        bases: &["bdver1"],
        features: &["f16c", "bmi", "tbm", "fma"],
    },
    Set {
        name: "bdver3",
        span: ALL,
        bases: &["bdver2"],
        features: &["xsaveopt", "fsgsbase"],
    },
    Set {
        name: "bdver4",
        span: before(5, 1),
        bases: &["bdver3"],
        features: &["avx2", "bmi2", "mwaitx"],
    },
    Set {
        name: "znver1",
        span: before(5, 1),
        bases: &["haswell"],
        features: &[
            "adx",
            "clflushopt",
            "clzero",
            "mwaitx",
            "prfchw",
            "rdseed",
            "sha",
            "sse4a",
            "xsavec",
            "xsaves",
        ],
    },
    Set {
        name: "silvermont",
        span: since(5, 1),
        bases: &["bonnell"],
        features: &["sse4.1", "sse4.2", "popcnt", "pclmul", "prfchw", "rdrnd"],
    },
    Set {
        name: "goldmont",
        span: since(5, 1),
        bases: &["silvermont"],
        features: &[
            "aes",
            "sha",
            "rdseed",
            "xsave",
            "xsaveopt",
            "xsavec",
            "xsaves",
            "clflushopt",
            "fsgsbase",
        ],
    },
    Set {
        name: "goldmont_plus",
        span: since(5, 1),
        bases: &["goldmont"],
        features: &["ptwrite", "rdpid"],
    },
    Set {
        name: "tremont",
        span: since(5, 1),
        bases: &["goldmont_plus"],
        features: &["clwb", "gfni"],
    },
    Set {
        name: "knl",
        span: between((5, 1), (12, 0)),
        bases: &[],
        features: &[
            "sse3",
            "ssse3",
            "sse4.1",
            "sse4.2",
            "cx16",
            "sahf",
            "popcnt",
            "aes",
            "pclmul",
            "avx",
            "xsave",
            "xsaveopt",
            "rdrnd",
            "f16c",
            "fsgsbase",
            "avx2",
            "bmi",
            "bmi2",
            "fma",
            "lzcnt",
            "movbe",
            "adx",
            "rdseed",
            "prfchw",
            "avx512f",
            "avx512er",
            "avx512cd",
            "avx512pf",
            "prefetchwt1",
        ],
    },
    Set {
        name: "knm",
        span: since(5, 1),
        bases: &["knl"],
        features: &["avx512vpopcntdq"],
    },
    Set {
        name: "westmere",
        span: since(5, 1),
        bases: &["nehalem"],
        features: &["pclmul"],
    },
    Set {
        name: "skylake",
        span: since(5, 1),
        bases: &["broadwell"],
        features: &["aes", "xsavec", "xsaves", "clflushopt"],
    },
    Set {
        name: "cascadelake",
        span: since(5, 1),
        bases: &["skx"],
        features: &["avx512vnni"],
    },
    Set {
        name: "cooperlake",
        span: since(5, 1),
        bases: &["cascadelake"],
        features: &["avx512bf16"],
    },
    Set {
        name: "cannonlake",
        span: since(5, 1),
        bases: &["skylake"],
        features: &[
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
    },
    Set {
        name: "icelake",
        span: since(5, 1),
        bases: &["cannonlake"],
        features: &[
            "avx512bitalg",
            "vaes",
            "avx512vbmi2",
            "vpclmulqdq",
            "avx512vpopcntdq",
            "gfni",
            "clwb",
            "rdpid",
        ],
    },
    Set {
        name: "icelake_server",
        span: since(5, 1),
        bases: &["icelake"],
        features: &["pconfig", "wbnoinvd"],
    },
    Set {
        name: "tigerlake",
        span: since(5, 1),
        bases: &["icelake"],
        features: &["avx512vp2intersect", "movdiri", "movdir64b", "shstk"],
    },
    Set {
        name: "bdver4",
        span: since(5, 1),
        bases: &["bdver3"],
        features: &["avx2", "bmi2", "mwaitx", "movbe", "rdrnd"],
    },
    Set {
        name: "znver1",
        span: between((5, 1), (9, 2)),
        bases: &["haswell"],
        features: &[
            "adx",
            "aes",
            "clflushopt",
            "clzero",
            "mwaitx",
            "prfchw",
            "rdseed",
            "sha",
            "sse4a",
            "xsavec",
            "xsaves",
        ],
    },
    Set {
        name: "znver2",
        span: since(5, 1),
        bases: &["znver1"],
        features: &["clwb", "rdpid", "wbnoinvd"],
    },
    Set {
        name: "sapphirerapids",
        span: between((6, 0), (10, 0)),
        bases: &["icelake_server"],
        features: &[
            "amx-tile",
            "amx-int8",
            "amx-bf16",
            "avx512bf16",
            "serialize",
            "cldemote",
            "waitpkg",
            "ptwrite",
            "tsxldtrk",
            "enqcmd",
            "shstk",
            "avx512vp2intersect",
            "movdiri",
            "movdir64b",
        ],
    },
    Set {
        name: "znver3",
        span: since(8, 0),
        bases: &["znver2"],
        features: &["shstk", "pku", "vaes", "vpclmulqdq"],
    },
    Set {
        name: "alderlake",
        span: since(9, 0),
        bases: &["skylake"],
        features: &[
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
    },
    Set {
        name: "bdver1",
        span: since(9, 0),
        bases: &["amdfam10"],
        features: &[
            "xop", "fma4", "avx", "ssse3", "sse4.1", "sse4.2", "aes", "prfchw", "pclmul", "xsave",
        ],
    },
    Set {
        name: "znver1",
        span: since(9, 2),
        bases: &["haswell"],
        features: &[
            "adx",
            "aes",
            "clflushopt",
            "clzero",
            "mwaitx",
            "prfchw",
            "rdseed",
            "sha",
            "sse4a",
            "xsavec",
        ],
    },
    Set {
        name: "sapphirerapids",
        span: since(10, 0),
        bases: &["icelake_server"],
        features: &[
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
    },
    Set {
        name: "znver4",
        span: since(11, 0),
        bases: &["znver3"],
        features: &[
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
            "shstk",
            "xsaves",
        ],
    },
    Set {
        name: "knl",
        span: since(12, 0),
        bases: &[],
        features: &[
            "sse3", "ssse3", "sse4.1", "sse4.2", "cx16", "sahf", "popcnt", "aes", "pclmul", "avx",
            "xsave", "xsaveopt", "rdrnd", "f16c", "fsgsbase", "avx2", "bmi", "bmi2", "fma",
            "lzcnt", "movbe", "adx", "rdseed", "prfchw", "avx512f", "avx512cd",
        ],
    },
    Set {
        name: "znver5",
        span: since(12, 0),
        bases: &["znver4"],
        features: &[
            "avxvnni",
            "movdiri",
            "movdir64b",
            "avx512vp2intersect",
            "prefetchi",
        ],
    },
];
const X86_CPUS: &[Cpu] = &[
    Cpu {
        name: "generic",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "bonnell",
        set: "bonnell",
        span: ALL,
    },
    Cpu {
        name: "silvermont",
        set: "silvermont",
        span: ALL,
    },
    Cpu {
        name: "goldmont",
        set: "goldmont",
        span: ALL,
    },
    Cpu {
        name: "core2",
        set: "core2",
        span: ALL,
    },
    Cpu {
        name: "yonah",
        set: "yonah",
        span: ALL,
    },
    Cpu {
        name: "prescott",
        set: "prescott",
        span: ALL,
    },
    Cpu {
        name: "nocona",
        set: "nocona",
        span: ALL,
    },
    Cpu {
        name: "penryn",
        set: "penryn",
        span: ALL,
    },
    Cpu {
        name: "nehalem",
        set: "nehalem",
        span: ALL,
    },
    Cpu {
        name: "westmere",
        set: "westmere",
        span: ALL,
    },
    Cpu {
        name: "sandybridge",
        set: "sandybridge",
        span: ALL,
    },
    Cpu {
        name: "ivybridge",
        set: "ivybridge",
        span: ALL,
    },
    Cpu {
        name: "haswell",
        set: "haswell",
        span: ALL,
    },
    Cpu {
        name: "broadwell",
        set: "broadwell",
        span: ALL,
    },
    Cpu {
        name: "skylake",
        set: "skylake",
        span: ALL,
    },
    Cpu {
        name: "knl",
        set: "knl",
        span: ALL,
    },
    Cpu {
        name: "skylake-avx512",
        set: "skx",
        span: ALL,
    },
    Cpu {
        name: "cannonlake",
        set: "cannonlake",
        span: ALL,
    },
    Cpu {
        name: "athlon64",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "athlon-fx",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "k8",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "opteron",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "athlon64-sse3",
        set: "k8_sse3",
        span: ALL,
    },
    Cpu {
        name: "k8-sse3",
        set: "k8_sse3",
        span: ALL,
    },
    Cpu {
        name: "opteron-sse3",
        set: "k8_sse3",
        span: ALL,
    },
    Cpu {
        name: "amdfam10",
        set: "amdfam10",
        span: ALL,
    },
    Cpu {
        name: "barcelona",
        set: "amdfam10",
        span: ALL,
    },
    Cpu {
        name: "btver1",
        set: "btver1",
        span: ALL,
    },
    Cpu {
        name: "btver2",
        set: "btver2",
        span: ALL,
    },
    Cpu {
        name: "bdver1",
        set: "bdver1",
        span: ALL,
    },
    Cpu {
        name: "bdver2",
        set: "bdver2",
        span: ALL,
    },
    Cpu {
        name: "bdver3",
        set: "bdver3",
        span: ALL,
    },
    Cpu {
        name: "bdver4",
        set: "bdver4",
        span: ALL,
    },
    Cpu {
        name: "znver1",
        set: "znver1",
        span: ALL,
    },
    Cpu {
        name: "goldmont-plus",
        set: "goldmont_plus",
        span: since(5, 1),
    },
    Cpu {
        name: "tremont",
        set: "tremont",
        span: since(5, 1),
    },
    Cpu {
        name: "knm",
        set: "knm",
        span: since(5, 1),
    },
    Cpu {
        name: "cascadelake",
        set: "cascadelake",
        span: since(5, 1),
    },
    Cpu {
        name: "cooperlake",
        set: "cooperlake",
        span: since(5, 1),
    },
    Cpu {
        name: "icelake-client",
        set: "icelake",
        span: since(5, 1),
    },
    Cpu {
        name: "icelake-server",
        set: "icelake_server",
        span: since(5, 1),
    },
    Cpu {
        name: "tigerlake",
        set: "tigerlake",
        span: since(5, 1),
    },
    Cpu {
        name: "znver2",
        set: "znver2",
        span: since(5, 1),
    },
    Cpu {
        name: "sapphirerapids",
        set: "sapphirerapids",
        span: since(6, 0),
    },
    Cpu {
        name: "znver3",
        set: "znver3",
        span: since(8, 0),
    },
    Cpu {
        name: "alderlake",
        set: "alderlake",
        span: since(9, 0),
    },
    Cpu {
        name: "znver4",
        set: "znver4",
        span: since(11, 0),
    },
    Cpu {
        name: "znver5",
        set: "znver5",
        span: since(12, 0),
    },
];
const X86_ALIASES: &[Alias] = &[
    Alias {
        alias: "atom",
        name: "bonnell",
        span: ALL,
    },
    Alias {
        alias: "slm",
        name: "silvermont",
        span: ALL,
    },
    Alias {
        alias: "glm",
        name: "goldmont",
        span: ALL,
    },
    Alias {
        alias: "corei7",
        name: "nehalem",
        span: ALL,
    },
    Alias {
        alias: "corei7-avx",
        name: "sandybridge",
        span: ALL,
    },
    Alias {
        alias: "core-avx-i",
        name: "ivybridge",
        span: ALL,
    },
    Alias {
        alias: "core-avx2",
        name: "haswell",
        span: ALL,
    },
    Alias {
        alias: "skx",
        name: "skylake-avx512",
        span: ALL,
    },
    Alias {
        alias: "x86-64",
        name: "generic",
        span: ALL,
    },
    Alias {
        alias: "x86_64",
        name: "generic",
        span: ALL,
    },
];
