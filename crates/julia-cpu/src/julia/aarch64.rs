//! AArch64's tables: `src/features_aarch64.h` and the `_CPU_AARCH64_` part of
//! `src/processor_arm.cpp` (`deps[]`, the feature sets, `cpus[]`, the aliases, and
//! `enable_depends`'s architecture rules), in Julia's order. Feature sets use Julia's C++
//! names (`arm_cortex_a55`); features and CPUs Julia's strings.

use super::{before, between, since, Alias, ArchRule, Cpu, Dep, Feature, Set, Tables, ALL};

/// AArch64's tables.
pub(super) static TABLES: Tables = Tables {
    features: AARCH64_FEATURES,
    llvm_masked: AARCH64_LLVM_MASKED,
    deps: AARCH64_DEPS,
    sets: AARCH64_SETS,
    cpus: AARCH64_CPUS,
    aliases: AARCH64_ALIASES,
    arch_rules: AARCH64_ARCH_RULES,
    never_required: &[],
    crypto_alias: Some(since(5, 1)),
};

const AARCH64_FEATURES: &[Feature] = &[
    Feature {
        name: "crypto",
        span: before(5, 1),
    },
    Feature {
        name: "crc",
        span: ALL,
    },
    Feature {
        name: "lse",
        span: ALL,
    },
    Feature {
        name: "fullfp16",
        span: ALL,
    },
    Feature {
        name: "rdm",
        span: ALL,
    },
    Feature {
        name: "jscvt",
        span: before(5, 1),
    },
    Feature {
        name: "fcma",
        span: before(5, 1),
    },
    Feature {
        name: "rcpc",
        span: ALL,
    },
    Feature {
        name: "dcpop",
        span: before(5, 1),
    },
    Feature {
        name: "v8_1a",
        span: ALL,
    },
    Feature {
        name: "v8_2a",
        span: ALL,
    },
    Feature {
        name: "v8_3a",
        span: ALL,
    },
    Feature {
        name: "aes",
        span: since(5, 1),
    },
    Feature {
        name: "sha2",
        span: since(5, 1),
    },
    Feature {
        name: "jsconv",
        span: since(5, 1),
    },
    Feature {
        name: "complxnum",
        span: since(5, 1),
    },
    Feature {
        name: "ccpp",
        span: since(5, 1),
    },
    Feature {
        name: "sha3",
        span: since(5, 1),
    },
    Feature {
        name: "sm4",
        span: since(5, 1),
    },
    Feature {
        name: "dotprod",
        span: since(5, 1),
    },
    Feature {
        name: "sve",
        span: since(5, 1),
    },
    Feature {
        name: "fp16fml",
        span: since(5, 1),
    },
    Feature {
        name: "dit",
        span: since(5, 1),
    },
    Feature {
        name: "rcpc-immo",
        span: since(5, 1),
    },
    Feature {
        name: "fmi",
        span: between((5, 1), (7, 0)),
    },
    Feature {
        name: "ssbs",
        span: since(5, 1),
    },
    Feature {
        name: "sb",
        span: since(5, 1),
    },
    Feature {
        name: "pa",
        span: between((5, 1), (7, 0)),
    },
    Feature {
        name: "ccdp",
        span: since(5, 1),
    },
    Feature {
        name: "sve2",
        span: since(5, 1),
    },
    Feature {
        name: "sve2-aes",
        span: since(5, 1),
    },
    Feature {
        name: "sve2-bitperm",
        span: since(5, 1),
    },
    Feature {
        name: "sve2-sha3",
        span: since(5, 1),
    },
    Feature {
        name: "sve2-sm4",
        span: since(5, 1),
    },
    Feature {
        name: "altnzcv",
        span: since(5, 1),
    },
    Feature {
        name: "fptoint",
        span: since(5, 1),
    },
    Feature {
        name: "f32mm",
        span: since(5, 1),
    },
    Feature {
        name: "f64mm",
        span: since(5, 1),
    },
    Feature {
        name: "i8mm",
        span: since(5, 1),
    },
    Feature {
        name: "bf16",
        span: since(5, 1),
    },
    Feature {
        name: "rand",
        span: since(5, 1),
    },
    Feature {
        name: "bti",
        span: since(5, 1),
    },
    Feature {
        name: "v8_4a",
        span: since(5, 1),
    },
    Feature {
        name: "v8_5a",
        span: since(5, 1),
    },
    Feature {
        name: "v8_6a",
        span: since(5, 1),
    },
    Feature {
        name: "mte",
        span: since(6, 0),
    },
    Feature {
        name: "flagm",
        span: since(7, 0),
    },
    Feature {
        name: "pauth",
        span: since(7, 0),
    },
];
const AARCH64_LLVM_MASKED: &[Feature] = &[
    Feature {
        name: "jscvt",
        span: before(5, 1),
    },
    Feature {
        name: "fcma",
        span: before(5, 1),
    },
    Feature {
        name: "dcpop",
        span: before(5, 1),
    },
    Feature {
        name: "sve2-bitperm",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "f32mm",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "f64mm",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "i8mm",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "bf16",
        span: between((5, 1), (6, 0)),
    },
    Feature {
        name: "v8_6a",
        span: between((5, 1), (6, 0)),
    },
];
const AARCH64_DEPS: &[Dep] = &[
    Dep {
        feature: "rcpc-immo",
        needs: "rcpc",
        span: since(5, 1),
    },
    Dep {
        feature: "sha3",
        needs: "sha2",
        span: since(5, 1),
    },
    Dep {
        feature: "ccdp",
        needs: "ccpp",
        span: since(5, 1),
    },
    Dep {
        feature: "sve",
        needs: "fullfp16",
        span: since(5, 1),
    },
    Dep {
        feature: "fp16fml",
        needs: "fullfp16",
        span: since(5, 1),
    },
    Dep {
        feature: "altnzcv",
        needs: "fmi",
        span: between((5, 1), (7, 0)),
    },
    Dep {
        feature: "sve2",
        needs: "sve",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-aes",
        needs: "sve2",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-aes",
        needs: "aes",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-bitperm",
        needs: "sve2",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-sha3",
        needs: "sve2",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-sha3",
        needs: "sha3",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-sm4",
        needs: "sve2",
        span: since(5, 1),
    },
    Dep {
        feature: "sve2-sm4",
        needs: "sm4",
        span: since(5, 1),
    },
    Dep {
        feature: "f32mm",
        needs: "sve",
        span: since(5, 1),
    },
    Dep {
        feature: "f64mm",
        needs: "sve",
        span: since(5, 1),
    },
    Dep {
        feature: "altnzcv",
        needs: "flagm",
        span: since(7, 0),
    },
];
const AARCH64_SETS: &[Set] = &[
    Set {
        name: "generic",
        span: ALL,
        bases: &[],
        features: &[],
    },
    Set {
        name: "armv8a_crc",
        span: ALL,
        bases: &[],
        features: &["crc"],
    },
    Set {
        name: "armv8a_crc_crypto",
        span: before(5, 1),
        bases: &["armv8a_crc"],
        features: &["crypto"],
    },
    Set {
        name: "armv8_1a",
        span: ALL,
        bases: &["armv8a_crc"],
        features: &["v8_1a", "lse", "rdm"],
    },
    Set {
        name: "armv8_2a",
        span: before(5, 1),
        bases: &["armv8_1a"],
        features: &["v8_2a"],
    },
    Set {
        name: "armv8_2a_crypto",
        span: before(5, 1),
        bases: &["armv8_2a"],
        features: &["crypto"],
    },
    Set {
        name: "armv8_3a",
        span: before(5, 1),
        bases: &["armv8_2a"],
        features: &["v8_3a", "rcpc"],
    },
    Set {
        name: "armv8_3a_crypto",
        span: before(5, 1),
        bases: &["armv8_3a"],
        features: &["crypto"],
    },
    Set {
        name: "arm_cortex_a32",
        span: before(5, 1),
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a35",
        span: before(5, 1),
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a53",
        span: ALL,
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a55",
        span: before(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["rcpc"],
    },
    Set {
        name: "arm_cortex_a57",
        span: ALL,
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a72",
        span: ALL,
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a73",
        span: ALL,
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a75",
        span: before(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["rcpc"],
    },
    Set {
        name: "cavium_thunderx",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx88",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx88p1",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx81",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx83",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx2t99",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &["v8_1a"],
    },
    Set {
        name: "cavium_thunderx2t99p1",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &["v8_1a"],
    },
    Set {
        name: "nvidia_denver1",
        span: ALL,
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "nvidia_denver2",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apm_xgene1",
        span: ALL,
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "apm_xgene2",
        span: ALL,
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "apm_xgene3",
        span: ALL,
        bases: &["generic"],
        features: &[],
    },
    Set {
        name: "qualcomm_kyro",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "qualcomm_falkor",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "qualcomm_saphira",
        span: before(5, 1),
        bases: &["armv8_3a_crypto"],
        features: &[],
    },
    Set {
        name: "samsung_exynos_m1",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "samsung_exynos_m2",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "samsung_exynos_m3",
        span: ALL,
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apple_cyclone",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apple_typhoon",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apple_twister",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apple_hurricane",
        span: before(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "armv8a_crc_crypto",
        span: since(5, 1),
        bases: &["armv8a_crc"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "armv8_1a_crypto",
        span: since(5, 1),
        bases: &["armv8_1a"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "armv8_2a",
        span: since(5, 1),
        bases: &["armv8_1a"],
        features: &["v8_2a", "ccpp"],
    },
    Set {
        name: "armv8_2a_crypto",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "armv8_3a",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["v8_3a", "jsconv", "complxnum", "rcpc"],
    },
    Set {
        name: "armv8_3a_crypto",
        span: since(5, 1),
        bases: &["armv8_3a"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "armv8_4a",
        span: between((5, 1), (7, 0)),
        bases: &["armv8_3a"],
        features: &["v8_4a", "dit", "rcpc-immo", "fmi"],
    },
    Set {
        name: "armv8_4a_crypto",
        span: since(5, 1),
        bases: &["armv8_4a"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "armv8_5a",
        span: since(5, 1),
        bases: &["armv8_4a"],
        features: &["v8_5a", "sb", "ccdp", "altnzcv", "fptoint"],
    },
    Set {
        name: "armv8_6a",
        span: since(5, 1),
        bases: &["armv8_5a"],
        features: &["v8_6a", "i8mm", "bf16"],
    },
    Set {
        name: "arm_cortex_a34",
        span: since(5, 1),
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a35",
        span: since(5, 1),
        bases: &["armv8a_crc"],
        features: &[],
    },
    Set {
        name: "arm_cortex_a55",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_cortex_a65",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_cortex_a75",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16"],
    },
    Set {
        name: "arm_cortex_a76",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_cortex_a77",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_cortex_a78",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_cortex_x1",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_neoverse_e1",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_neoverse_n1",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["dotprod", "rcpc", "fullfp16", "ssbs"],
    },
    Set {
        name: "arm_zeus",
        span: between((5, 1), (6, 0)),
        bases: &["armv8_4a"],
        features: &["sve", "i8mm", "bf16", "fullfp16", "ssbs", "rand"],
    },
    Set {
        name: "cavium_thunderx2t99",
        span: since(5, 1),
        bases: &["armv8_1a_crypto"],
        features: &[],
    },
    Set {
        name: "cavium_thunderx2t99p1",
        span: since(5, 1),
        bases: &["cavium_thunderx2t99"],
        features: &[],
    },
    Set {
        name: "cavium_octeontx2",
        span: since(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &[],
    },
    Set {
        name: "fujitsu_a64fx",
        span: since(5, 1),
        bases: &["armv8_2a"],
        features: &["sha2", "fullfp16", "sve", "complxnum"],
    },
    Set {
        name: "hisilicon_tsv110",
        span: since(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["dotprod", "fullfp16"],
    },
    Set {
        name: "hxt_phecda",
        span: since(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "marvell_thunderx3t110",
        span: since(5, 1),
        bases: &["armv8_3a_crypto"],
        features: &[],
    },
    Set {
        name: "nvidia_carmel",
        span: since(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["fullfp16"],
    },
    Set {
        name: "qualcomm_falkor",
        span: since(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &["rdm"],
    },
    Set {
        name: "qualcomm_saphira",
        span: since(5, 1),
        bases: &["armv8_4a_crypto"],
        features: &[],
    },
    Set {
        name: "samsung_exynos_m4",
        span: since(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["dotprod", "fullfp16"],
    },
    Set {
        name: "samsung_exynos_m5",
        span: since(5, 1),
        bases: &["samsung_exynos_m4"],
        features: &[],
    },
    Set {
        name: "apple_a7",
        span: since(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &[],
    },
    Set {
        name: "apple_a10",
        span: since(5, 1),
        bases: &["armv8a_crc_crypto"],
        features: &["rdm"],
    },
    Set {
        name: "apple_a11",
        span: since(5, 1),
        bases: &["armv8_2a_crypto"],
        features: &["fullfp16"],
    },
    Set {
        name: "apple_a12",
        span: since(5, 1),
        bases: &["armv8_3a_crypto"],
        features: &["fullfp16"],
    },
    Set {
        name: "apple_a13",
        span: since(5, 1),
        bases: &["armv8_4a_crypto"],
        features: &["fp16fml", "fullfp16", "sha3"],
    },
    Set {
        name: "apple_s4",
        span: since(5, 1),
        bases: &["apple_a12"],
        features: &[],
    },
    Set {
        name: "apple_s5",
        span: since(5, 1),
        bases: &["apple_a12"],
        features: &[],
    },
    Set {
        name: "arm_neoverse_v1",
        span: since(6, 0),
        bases: &["armv8_4a"],
        features: &["sve", "i8mm", "bf16", "fullfp16", "ssbs", "rand"],
    },
    Set {
        name: "arm_neoverse_n2",
        span: since(6, 0),
        bases: &["armv8_5a"],
        features: &[
            "sve",
            "i8mm",
            "bf16",
            "fullfp16",
            "sve2",
            "sve2-bitperm",
            "rand",
            "mte",
        ],
    },
    Set {
        name: "armv8_4a",
        span: since(7, 0),
        bases: &["armv8_3a"],
        features: &["v8_4a", "dit", "rcpc-immo", "flagm"],
    },
    Set {
        name: "armv8_5a_crypto",
        span: since(8, 0),
        bases: &["armv8_5a"],
        features: &["aes", "sha2"],
    },
    Set {
        name: "apple_a14",
        span: since(8, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3"],
    },
    Set {
        name: "apple_m1",
        span: since(8, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3"],
    },
    Set {
        name: "apple_a15",
        span: since(11, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
    Set {
        name: "apple_a16",
        span: since(11, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
    Set {
        name: "apple_m2",
        span: since(11, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
    Set {
        name: "apple_m3",
        span: since(11, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
    Set {
        name: "apple_a17",
        span: since(12, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
    Set {
        name: "apple_m4",
        span: since(12, 0),
        bases: &["armv8_5a_crypto"],
        features: &["dotprod", "fp16fml", "fullfp16", "sha3", "i8mm", "bf16"],
    },
];
const AARCH64_CPUS: &[Cpu] = &[
    Cpu {
        name: "generic",
        set: "generic",
        span: ALL,
    },
    Cpu {
        name: "armv8.1-a",
        set: "armv8_1a",
        span: ALL,
    },
    Cpu {
        name: "armv8.2-a",
        set: "armv8_2a",
        span: ALL,
    },
    Cpu {
        name: "armv8.3_a",
        set: "armv8_3a",
        span: ALL,
    },
    Cpu {
        name: "cortex-a35",
        set: "arm_cortex_a35",
        span: ALL,
    },
    Cpu {
        name: "cortex-a53",
        set: "arm_cortex_a53",
        span: ALL,
    },
    Cpu {
        name: "cortex-a55",
        set: "arm_cortex_a55",
        span: ALL,
    },
    Cpu {
        name: "cortex-a57",
        set: "arm_cortex_a57",
        span: ALL,
    },
    Cpu {
        name: "cortex-a72",
        set: "arm_cortex_a72",
        span: ALL,
    },
    Cpu {
        name: "cortex-a73",
        set: "arm_cortex_a73",
        span: ALL,
    },
    Cpu {
        name: "cortex-a75",
        set: "arm_cortex_a75",
        span: ALL,
    },
    Cpu {
        name: "thunderx",
        set: "cavium_thunderx",
        span: ALL,
    },
    Cpu {
        name: "thunderxt88",
        set: "cavium_thunderx88",
        span: ALL,
    },
    Cpu {
        name: "thunderxt88p1",
        set: "cavium_thunderx88p1",
        span: ALL,
    },
    Cpu {
        name: "thunderxt81",
        set: "cavium_thunderx81",
        span: ALL,
    },
    Cpu {
        name: "thunderxt83",
        set: "cavium_thunderx83",
        span: ALL,
    },
    Cpu {
        name: "thunderx2t99",
        set: "cavium_thunderx2t99",
        span: ALL,
    },
    Cpu {
        name: "thunderx2t99p1",
        set: "cavium_thunderx2t99p1",
        span: ALL,
    },
    Cpu {
        name: "denver1",
        set: "nvidia_denver1",
        span: ALL,
    },
    Cpu {
        name: "denver2",
        set: "nvidia_denver2",
        span: ALL,
    },
    Cpu {
        name: "xgene1",
        set: "apm_xgene1",
        span: ALL,
    },
    Cpu {
        name: "xgene2",
        set: "apm_xgene2",
        span: ALL,
    },
    Cpu {
        name: "xgene3",
        set: "apm_xgene3",
        span: ALL,
    },
    Cpu {
        name: "kyro",
        set: "qualcomm_kyro",
        span: ALL,
    },
    Cpu {
        name: "falkor",
        set: "qualcomm_falkor",
        span: ALL,
    },
    Cpu {
        name: "saphira",
        set: "qualcomm_saphira",
        span: ALL,
    },
    Cpu {
        name: "exynos-m1",
        set: "samsung_exynos_m1",
        span: ALL,
    },
    Cpu {
        name: "exynos-m2",
        set: "samsung_exynos_m2",
        span: ALL,
    },
    Cpu {
        name: "exynos-m3",
        set: "samsung_exynos_m3",
        span: ALL,
    },
    Cpu {
        name: "cyclone",
        set: "apple_cyclone",
        span: before(5, 1),
    },
    Cpu {
        name: "typhoon",
        set: "apple_typhoon",
        span: before(5, 1),
    },
    Cpu {
        name: "twister",
        set: "apple_twister",
        span: before(5, 1),
    },
    Cpu {
        name: "hurricane",
        set: "apple_hurricane",
        span: before(5, 1),
    },
    Cpu {
        name: "armv8.4-a",
        set: "armv8_4a",
        span: since(5, 1),
    },
    Cpu {
        name: "armv8.5-a",
        set: "armv8_5a",
        span: since(5, 1),
    },
    Cpu {
        name: "armv8.6_a",
        set: "armv8_6a",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a34",
        set: "arm_cortex_a34",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a65",
        set: "arm_cortex_a65",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a65ae",
        set: "arm_cortex_a65",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a76",
        set: "arm_cortex_a76",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a76ae",
        set: "arm_cortex_a76",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a77",
        set: "arm_cortex_a77",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-a78",
        set: "arm_cortex_a78",
        span: since(5, 1),
    },
    Cpu {
        name: "cortex-x1",
        set: "arm_cortex_x1",
        span: since(5, 1),
    },
    Cpu {
        name: "neoverse-e1",
        set: "arm_neoverse_e1",
        span: since(5, 1),
    },
    Cpu {
        name: "neoverse-n1",
        set: "arm_neoverse_n1",
        span: since(5, 1),
    },
    Cpu {
        name: "zeus",
        set: "arm_zeus",
        span: between((5, 1), (6, 0)),
    },
    Cpu {
        name: "octeontx2",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "octeontx2t98",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "octeontx2t96",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "octeontx2f95",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "octeontx2f95n",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "octeontx2f95mm",
        set: "cavium_octeontx2",
        span: since(5, 1),
    },
    Cpu {
        name: "a64fx",
        set: "fujitsu_a64fx",
        span: since(5, 1),
    },
    Cpu {
        name: "tsv110",
        set: "hisilicon_tsv110",
        span: since(5, 1),
    },
    Cpu {
        name: "phecda",
        set: "hxt_phecda",
        span: since(5, 1),
    },
    Cpu {
        name: "carmel",
        set: "nvidia_carmel",
        span: since(5, 1),
    },
    Cpu {
        name: "exynos-m4",
        set: "samsung_exynos_m4",
        span: since(5, 1),
    },
    Cpu {
        name: "exynos-m5",
        set: "samsung_exynos_m5",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a7",
        set: "apple_a7",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a8",
        set: "apple_a7",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a9",
        set: "apple_a7",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a10",
        set: "apple_a10",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a11",
        set: "apple_a11",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a12",
        set: "apple_a12",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-a13",
        set: "apple_a13",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-s4",
        set: "apple_s4",
        span: since(5, 1),
    },
    Cpu {
        name: "apple-s5",
        set: "apple_s5",
        span: since(5, 1),
    },
    Cpu {
        name: "thunderx3t110",
        set: "marvell_thunderx3t110",
        span: since(5, 1),
    },
    Cpu {
        name: "neoverse-v1",
        set: "arm_neoverse_v1",
        span: since(6, 0),
    },
    Cpu {
        name: "neoverse-n2",
        set: "arm_neoverse_n2",
        span: since(6, 0),
    },
    Cpu {
        name: "apple-a14",
        set: "apple_a14",
        span: since(8, 0),
    },
    Cpu {
        name: "apple-m1",
        set: "apple_m1",
        span: since(8, 0),
    },
    Cpu {
        name: "apple-a15",
        set: "apple_a15",
        span: since(11, 0),
    },
    Cpu {
        name: "apple-a16",
        set: "apple_a16",
        span: since(11, 0),
    },
    Cpu {
        name: "apple-m2",
        set: "apple_m2",
        span: since(11, 0),
    },
    Cpu {
        name: "apple-m3",
        set: "apple_m3",
        span: since(11, 0),
    },
    Cpu {
        name: "apple-a17",
        set: "apple_a17",
        span: since(12, 0),
    },
    Cpu {
        name: "apple-m4",
        set: "apple_m4",
        span: since(12, 0),
    },
];
const AARCH64_ALIASES: &[Alias] = &[
    Alias {
        alias: "ares",
        name: "neoverse-n1",
        span: since(5, 1),
    },
    Alias {
        alias: "cyclone",
        name: "apple-a7",
        span: since(5, 1),
    },
    Alias {
        alias: "typhoon",
        name: "apple-a8",
        span: since(5, 1),
    },
    Alias {
        alias: "twister",
        name: "apple-a9",
        span: since(5, 1),
    },
    Alias {
        alias: "hurricane",
        name: "apple-a10",
        span: since(5, 1),
    },
    Alias {
        alias: "zeus",
        name: "neoverse-v1",
        span: since(6, 0),
    },
];
const AARCH64_ARCH_RULES: &[ArchRule] = &[
    ArchRule {
        level: "v8_3a",
        implies: &["v8_2a"],
        span: ALL,
    },
    ArchRule {
        level: "v8_2a",
        implies: &["v8_1a"],
        span: ALL,
    },
    ArchRule {
        level: "v8_1a",
        implies: &["crc"],
        span: ALL,
    },
    ArchRule {
        level: "v8_1a",
        implies: &["lse", "rdm"],
        span: ALL,
    },
    ArchRule {
        level: "v8_6a",
        implies: &["v8_5a"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_5a",
        implies: &["v8_4a"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_4a",
        implies: &["v8_3a"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_2a",
        implies: &["ccpp"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_3a",
        implies: &["jsconv", "complxnum", "rcpc"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_4a",
        implies: &["dit", "rcpc-immo", "fmi"],
        span: between((5, 1), (7, 0)),
    },
    ArchRule {
        level: "v8_5a",
        implies: &["sb", "ccdp", "altnzcv", "fptoint"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_6a",
        implies: &["i8mm", "bf16"],
        span: since(5, 1),
    },
    ArchRule {
        level: "v8_4a",
        implies: &["dit", "rcpc-immo", "flagm"],
        span: since(7, 0),
    },
];
