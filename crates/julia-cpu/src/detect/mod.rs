//! The host CPU as Julia sees it: the same CPUID bits (x86-64) or hardware capabilities and
//! core ids (AArch64 Linux) Julia's `_get_host_cpu` reads, under Julia's feature names.
//!
//! The decoding is kept apart from the reading so it can be tested on any machine: `x86`
//! turns CPUID answers into features, `aarch64` turns `/proc/cpuinfo` into features; each
//! reads its own host.

#[allow(dead_code)] // Each platform reads the host with one part of it; the tests use all.
pub(crate) mod aarch64;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) mod x86;

#[cfg(target_arch = "aarch64")]
pub(crate) use aarch64::host;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{fingerprint, host};

/// What identifies the host CPU: its decoded facts (reading them is cheap here).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn fingerprint() -> String {
    let cpu = host();
    let features: Vec<&str> = cpu.features.iter().map(String::as_str).collect();
    format!("{}:{}", cpu.name, features.join(","))
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn host() -> crate::CpuFacts {
    crate::CpuFacts {
        name: "generic".into(),
        features: std::collections::BTreeSet::new(),
    }
}
