//! CPU targets: parsing Julia's `cpu_target` strings, the feature sets of the CPU names Julia
//! knows, detecting the host CPU, and deciding whether an image has a variant the host can run.
//!
//! A `cpu_target` is a `;`-separated list of targets, each a CPU name (empty or `generic`: the
//! architecture's baseline; `native`: the build machine) followed by `,`-separated `+feature`,
//! `-feature` (a bare name enables), and the flags `clone_all`, `base(N)`, `opt_size`,
//! `min_size`. Julia loads an image only if one target's features are all present on the host
//! ("Unable to find compatible target in system image" otherwise).
//!
//! The CPU names, feature sets, aliases and feature dependencies are Julia's own, release by
//! release from 1.5 to 1.13 (JuliaLang/julia `src/processor_x86.cpp`, `src/features_x86.h`,
//! `src/processor_arm.cpp`, `src/features_aarch64.h`; see the `julia` module for the
//! commits), with Julia's feature names (`sse4.1`, `aes` and `sha2` on AArch64, `v8_2a` for
//! the architecture levels). [`JuliaCpus`] answers for one release; the free functions for
//! the newest. A name a release does not know is reported as unknown, never guessed: Julia
//! records no CPU features for it (`JL_TARGET_UNKNOWN_NAME`).

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

#[cfg(test)]
mod contract_tests;
mod detect;
mod julia;

/// A Julia version as far as CPU tables go: which release's tables apply. Pre-release and
/// build parts are ignored (`1.13.0-rc1` reads 1.13's tables); versions before 1.5 read
/// 1.5.0's, versions after 1.13 read 1.13's (JuliaLang/julia master replaced its hand-written
/// tables with LLVM's for 1.14, julia#61292, which sysimg does not carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JuliaRelease {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
}

impl JuliaRelease {
    /// The oldest Julia sysimg has tables for.
    pub const OLDEST: JuliaRelease = JuliaRelease::new(1, 5, 0);
    /// The newest Julia sysimg has tables for (1.13's equal 1.12's).
    pub const NEWEST: JuliaRelease = JuliaRelease::new(1, 13, 0);
    /// The first release whose `cpu_target` knows the `sysimage` keyword (julia#58970).
    pub const SYSIMAGE_KEYWORD: JuliaRelease = JuliaRelease::new(1, 13, 0);

    /// A release from its numbers.
    pub const fn new(major: u32, minor: u32, patch: u32) -> JuliaRelease {
        JuliaRelease {
            major,
            minor,
            patch,
        }
    }

    /// The release of a Julia version number.
    pub fn from_version(v: &julia_env::version::VersionNumber) -> JuliaRelease {
        JuliaRelease::new(v.major, v.minor, v.patch)
    }

    /// The release of a version string such as `1.10.4` or `1.13.0-rc1`.
    pub fn parse(s: &str) -> Option<JuliaRelease> {
        julia_env::version::VersionNumber::parse(s)
            .ok()
            .map(|v| JuliaRelease::from_version(&v))
    }

    fn key(self) -> julia::Ver {
        (self.major, self.minor, self.patch)
    }
}

impl fmt::Display for JuliaRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The CPU names and features one Julia release knows on one architecture, and what an image
/// built by that release for a target requires of the host (see the `julia` module for the
/// sources, release by release).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JuliaCpus {
    isa: Isa,
    release: JuliaRelease,
}

impl JuliaCpus {
    /// The tables of `release` for `isa`.
    pub fn new(isa: Isa, release: JuliaRelease) -> JuliaCpus {
        JuliaCpus { isa, release }
    }

    /// The tables of [`JuliaRelease::NEWEST`].
    pub fn newest(isa: Isa) -> JuliaCpus {
        JuliaCpus::new(isa, JuliaRelease::NEWEST)
    }

    /// The architecture.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// The release.
    pub fn release(&self) -> JuliaRelease {
        self.release
    }

    fn tables(&self) -> &'static julia::Tables {
        julia::tables(self.isa)
    }

    /// The `cpus[]` name `name` stands for in this release (after Julia's
    /// `normalize_cpu_name`: `corei7` is `nehalem`, `x86-64` is `generic`, `ares` is
    /// `neoverse-n1`), or `None` when this release does not know it.
    pub fn cpu_name(&self, name: &str) -> Option<&'static str> {
        self.tables().cpu_name(self.release.key(), name)
    }

    /// Whether this release knows the CPU name (aliases included).
    pub fn knows(&self, name: &str) -> bool {
        self.cpu_name(name).is_some()
    }

    /// The CPU names of this release's `cpus[]`, in Julia's order.
    pub fn cpu_names(&self) -> Vec<&'static str> {
        self.tables().cpu_names(self.release.key())
    }

    /// This release's `normalize_cpu_name` aliases: (alias, CPU name).
    pub fn aliases(&self) -> Vec<(&'static str, &'static str)> {
        self.tables().alias_names(self.release.key())
    }

    /// Whether `name` is one of this release's features (`features_*.h`).
    pub fn is_feature(&self, name: &str) -> bool {
        self.tables().is_feature(self.release.key(), name)
    }

    /// This release's features.
    pub fn feature_names(&self) -> BTreeSet<&'static str> {
        self.tables().feature_names(self.release.key())
    }

    /// The features an image this release builds for the bare CPU name requires of the host
    /// (its `cpus[]` feature set, with what those features need, less what Julia never
    /// requires and what the release's LLVM cannot use), or `None` for a name this release
    /// does not know.
    pub fn cpu_features(&self, name: &str) -> Option<BTreeSet<String>> {
        let target = Target {
            name: name.to_string(),
            enable: Vec::new(),
            disable: Vec::new(),
            clone_all: false,
            base: None,
        };
        self.target_features(&target, None)
    }

    /// The features an image target requires of the host, or `None` for a CPU name this
    /// release does not know (Julia records no CPU features for those,
    /// `JL_TARGET_UNKNOWN_NAME`, and sysimg does not guess) and for `native` without the
    /// build machine's features. `native` needs the build machine's features, as its julia
    /// listed them.
    pub fn target_features(
        &self,
        target: &Target,
        build_cpu: Option<&CpuFacts>,
    ) -> Option<BTreeSet<String>> {
        let v = self.release.key();
        let t = self.tables();
        let (base, julia_only) = if target.name == "native" {
            let build = build_cpu?;
            let own: BTreeSet<String> = build
                .features
                .iter()
                .map(|f| canonical_feature(self.isa, f).to_string())
                .collect();
            (own, false)
        } else {
            let raw = t.raw_cpu_features(v, &target.name)?;
            (raw.into_iter().map(str::to_string).collect(), true)
        };
        let resolved = t.resolve(v, Some(&base), &target.enable, &target.disable, julia_only);
        Some(self.canonical(&resolved.features))
    }

    /// Features under the names sysimg's host detection reports ([`canonical_feature`]).
    fn canonical(&self, features: &BTreeSet<String>) -> BTreeSet<String> {
        features
            .iter()
            .map(|f| canonical_feature(self.isa, f).to_string())
            .collect()
    }

    /// The `+feature`/`-feature` items of a target that are not features of this release:
    /// Julia hands them to LLVM (`ext_features`) and never checks them when it loads the
    /// image.
    pub fn unchecked_features(&self, target: &Target) -> Vec<String> {
        let v = self.release.key();
        self.tables()
            .resolve(v, None, &target.enable, &target.disable, true)
            .unchecked
    }

    /// The names of `cpu_target` this release does not know (`native` aside), in order.
    pub fn unknown_names(&self, cpu_target: &CpuTarget) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &cpu_target.targets {
            if t.name != "native" && !self.knows(&t.name) && !out.contains(&t.name) {
                out.push(t.name.clone());
            }
        }
        out
    }

    /// The features Julia checks on load for one target (its `en.features`, the first test of
    /// `match_sysimg_targets`): for a name it knows, [`JuliaCpus::target_features`]; for a
    /// name it does not (`JL_TARGET_UNKNOWN_NAME`, `arg_target_data` adds no CPU features),
    /// only the explicit `+features` with what they need, less the `-features`. `None` for
    /// `native` without the build machine's features.
    pub fn load_features(
        &self,
        target: &Target,
        build_cpu: Option<&CpuFacts>,
    ) -> Option<BTreeSet<String>> {
        if target.name == "native" || self.knows(&target.name) {
            return self.target_features(target, build_cpu);
        }
        let v = self.release.key();
        let resolved = self
            .tables()
            .resolve(v, None, &target.enable, &target.disable, true);
        Some(self.canonical(&resolved.features))
    }

    /// The target Julia loads on `host`, as `match_sysimg_targets` (JuliaLang/julia
    /// src/processor.cpp, every release 1.5-1.13) picks it: among the targets whose
    /// [`load_features`](JuliaCpus::load_features) the host has, one named like the host CPU
    /// wins; then the largest vector register (x86-64 `max_vector_size`: 64 bytes with
    /// `avx512f`, 32 with `avx`, else 16), then the most features, the later target on a tie
    /// (`if (new_feature_size < feature_size) continue;`). `None`: none loads ("Unable to
    /// find compatible target in system image").
    pub fn pick(
        &self,
        cpu_target: &CpuTarget,
        host: &CpuFacts,
        build_cpu: Option<&CpuFacts>,
    ) -> Option<usize> {
        let has: BTreeSet<&str> = host
            .features
            .iter()
            .map(|f| canonical_feature(self.isa, f))
            .collect();
        let vreg = |fs: &BTreeSet<String>| match self.isa {
            Isa::X86_64 if fs.contains("avx512f") => 64,
            Isa::X86_64 if fs.contains("avx") => 32,
            _ => 16,
        };
        let mut best: Option<(usize, bool, usize, usize)> = None; // (index, name, vreg, size)
        for (i, t) in cpu_target.targets.iter().enumerate() {
            let Some(need) = self.load_features(t, build_cpu) else {
                continue;
            };
            if !need.iter().all(|f| has.contains(f.as_str())) {
                continue;
            }
            // The image stores the name as written (`native`: the build machine's).
            let name = match t.name.as_str() {
                "native" => build_cpu.map(|b| b.name.as_str()),
                n => Some(n),
            }
            .is_some_and(|n| n == host.name);
            let (v, size) = (vreg(&need), need.len());
            let better = match best {
                None => true,
                Some((_, bn, _, _)) if name && !bn => true,
                Some((_, bn, _, _)) if bn && !name => false,
                Some((_, _, bv, bs)) => v > bv || (v == bv && size >= bs),
            };
            if better {
                best = Some((i, name, v, size));
            }
        }
        best.map(|(i, ..)| i)
    }

    /// How each target of `cpu_target` fits the host.
    pub fn fit(
        &self,
        cpu_target: &CpuTarget,
        host: &CpuFacts,
        build_cpu: Option<&CpuFacts>,
    ) -> Vec<(String, TargetFit)> {
        let host: BTreeSet<&str> = host
            .features
            .iter()
            .map(|f| canonical_feature(self.isa, f))
            .collect();
        cpu_target
            .targets
            .iter()
            .map(|t| {
                let fit = match self.target_features(t, build_cpu) {
                    None => TargetFit::Unknown,
                    Some(needed) => {
                        let lacking: Vec<String> = needed
                            .into_iter()
                            .filter(|f| !host.contains(f.as_str()))
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
}

/// The features LLVM compiles for an x86-64 architecture level (`x86-64-v2`, `-v3`, `-v4`;
/// LLVM's `X86TargetParser.cpp` `FeaturesX86_64_V2/V3/V4`, under Julia's feature names, with
/// what they imply), or `None` for any other name. Julia's tables (1.5-1.13) know none of
/// them: an image target named so is compiled by LLVM for the level while Julia records no
/// CPU features for it (`JL_TARGET_UNKNOWN_NAME`). Official Julia 1.13 binaries (and current
/// 1.12 ones) are built with such a target (JuliaCI/julia-buildkite
/// `utilities/build_envs.sh`: `...;x86-64-v4,-rdrnd,base(1)`).
pub fn llvm_level_features(isa: Isa, name: &str) -> Option<BTreeSet<&'static str>> {
    const V2: &[&str] = &[
        "cx16", "sahf", "popcnt", "sse3", "ssse3", "sse4.1", "sse4.2",
    ];
    const V3: &[&str] = &[
        "avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave",
    ];
    const V4: &[&str] = &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];
    let levels: &[&[&str]] = match (isa, name) {
        (Isa::X86_64, "x86-64-v2") => &[V2],
        (Isa::X86_64, "x86-64-v3") => &[V2, V3],
        (Isa::X86_64, "x86-64-v4") => &[V2, V3, V4],
        _ => return None,
    };
    Some(levels.iter().flat_map(|l| l.iter().copied()).collect())
}

/// The first Julia release whose tables know the CPU name on `isa` (aliases followed), if
/// any does.
pub fn first_release_knowing(isa: Isa, name: &str) -> Option<JuliaRelease> {
    let t = julia::tables(isa);
    t.boundaries()
        .into_iter()
        .find(|v| t.cpu_name(*v, name).is_some())
        .map(|(major, minor, patch)| {
            JuliaRelease::new(major, minor, patch).max(JuliaRelease::OLDEST)
        })
}

/// Julia 1.13's `sysimage` keyword: when `cpu_target` starts with it for `release` (the whole
/// string is `sysimage`, or its first target is, followed by `;`), the text after it (`""` or
/// `";..."`). Anywhere else `sysimage` is an ordinary CPU name (JuliaLang/julia 1.13
/// `src/processor.cpp` `parse_cmdline`, julia#58970).
pub fn sysimage_keyword(cpu_target: &str, release: JuliaRelease) -> Option<&str> {
    if release < JuliaRelease::SYSIMAGE_KEYWORD {
        return None;
    }
    let rest = cpu_target.strip_prefix("sysimage")?;
    (rest.is_empty() || rest.starts_with(';')).then_some(rest)
}

/// `cpu_target` with Julia 1.13's `sysimage` keyword replaced as Julia replaces it: by the
/// target string stored in the sysimage the julia runs with (`Sys.sysimage_target()`; Julia
/// reads `"native"` when the image stored none, and so does an empty `sysimage_target` here),
/// the rest of the string appended. Unchanged when the keyword does not apply.
pub fn expand_sysimage_keyword(
    cpu_target: &str,
    release: JuliaRelease,
    sysimage_target: &str,
) -> String {
    match sysimage_keyword(cpu_target, release) {
        None => cpu_target.to_string(),
        Some(rest) => {
            let stored = if sysimage_target.is_empty() {
                "native"
            } else {
                sysimage_target
            };
            format!("{stored}{rest}")
        }
    }
}

/// A feature under the name sysimg's host detection reports it: Julia's current name for
/// the names older releases used (AArch64 `fmi` is `flagm` and `pa` is `pauth` before 1.7;
/// on 1.5.0 `crypto` was `HWCAP_AES`, today's `aes`, and `jscvt`/`fcma`/`dcpop` were
/// `jsconv`/`complxnum`/`ccpp`), and Julia's `v8_1a` for LLVM's `v8.1a`.
pub fn canonical_feature(isa: Isa, name: &str) -> &str {
    match (isa, name) {
        (Isa::Aarch64, "fmi") => "flagm",
        (Isa::Aarch64, "pa") => "pauth",
        (Isa::Aarch64, "crypto") => "aes",
        (Isa::Aarch64, "jscvt") => "jsconv",
        (Isa::Aarch64, "fcma") => "complxnum",
        (Isa::Aarch64, "dcpop") => "ccpp",
        (Isa::Aarch64, "v8.1a") => "v8_1a",
        (Isa::Aarch64, "v8.2a") => "v8_2a",
        (Isa::Aarch64, "v8.3a") => "v8_3a",
        (Isa::Aarch64, "v8.4a") => "v8_4a",
        (Isa::Aarch64, "v8.5a") => "v8_5a",
        (Isa::Aarch64, "v8.6a") => "v8_6a",
        _ => name,
    }
}

/// Every feature name of Julia's tables for an architecture, any release 1.5–1.13, under the
/// names sysimg's host detection reports ([`canonical_feature`]).
pub fn known_features(isa: Isa) -> BTreeSet<&'static str> {
    julia::tables(isa)
        .all_feature_names()
        .into_iter()
        .map(|f| canonical_feature(isa, f))
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
/// cut down to the features sysimg detects itself, less those Julia reads from other CPUID
/// bits than LLVM does (on x86-64 leaf 7.1's `EBX` features, `prefetchi` among them: LLVM
/// lists `+prefetchi` where Julia 1.13.1 and sysimg see none, on the same machine):
/// `(build, host)`.
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
            let unlike: &[&str] = match isa {
                Isa::X86_64 => detect::x86::READ_UNLIKE_LLVM,
                Isa::Aarch64 => &[],
            };
            let cut = |cpu: &CpuFacts, keep: &dyn Fn(&str) -> bool| CpuFacts {
                name: cpu.name.clone(),
                features: cpu
                    .features
                    .iter()
                    .map(|f| canonical_feature(isa, f))
                    .filter(|f| keep(f) && !unlike.contains(f))
                    .map(str::to_string)
                    .collect(),
            };
            (cut(build, &|f| known.contains(f)), cut(detected, &|_| true))
        }
    }
}

/// The features an image built for a bare CPU name requires on the newest Julia sysimg knows
/// ([`JuliaCpus::cpu_features`]), or `None` for a name outside its tables.
pub fn cpu_features(isa: Isa, name: &str) -> Option<BTreeSet<String>> {
    JuliaCpus::newest(isa).cpu_features(name)
}

/// Whether one target can run on a host, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetFit {
    /// The host has every feature the target needs.
    Runs,
    /// The host lacks these features.
    Lacks(Vec<String>),
    /// The CPU name is not one the Julia release knows (or `native` without the build
    /// machine's features).
    Unknown,
}

/// The features a target needs on the newest Julia sysimg knows
/// ([`JuliaCpus::target_features`]), or `None` for an unknown name.
pub fn target_features(
    isa: Isa,
    target: &Target,
    build_cpu: Option<&CpuFacts>,
) -> Option<BTreeSet<String>> {
    JuliaCpus::newest(isa).target_features(target, build_cpu)
}

/// How each target of `cpu_target` fits the host, by the newest Julia sysimg knows
/// ([`JuliaCpus::fit`] for a given release).
pub fn fit(
    isa: Isa,
    cpu_target: &CpuTarget,
    host: &CpuFacts,
    build_cpu: Option<&CpuFacts>,
) -> Vec<(String, TargetFit)> {
    JuliaCpus::newest(isa).fit(cpu_target, host, build_cpu)
}

/// The host CPU as Julia would see it: its features under Julia's names, from the CPUID bits
/// Julia reads (x86-64) or the kernel's hardware capabilities and core ids (AArch64 Linux).
/// `described` (`"name:feat,feat,..."`, the value of sysimg's `SYSIMG_HOST_CPU`, which the
/// caller reads) replaces it when not empty: for tests and for checking an image against
/// another machine. This crate reads no environment variable.
pub fn host_cpu(described: Option<&str>) -> CpuFacts {
    if let Some(spec) = described.filter(|v| !v.is_empty()) {
        let (name, features) = spec.split_once(':').unwrap_or((spec, ""));
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

/// What identifies the host CPU for the launcher's stamp, without decoding it: on x86-64 the
/// raw CPUID answers (read once per process, shared with [`host_cpu`]), elsewhere the decoded
/// name and features. Equal fingerprints mean the same [`host_cpu`] for the same
/// `described`; with `described` not empty, it is that description.
pub fn host_fingerprint(described: Option<&str>) -> String {
    match described.filter(|v| !v.is_empty()) {
        Some(spec) => format!("override:{spec}"),
        None => detect::fingerprint(),
    }
}

/// The architecture sysimg itself runs on.
pub fn host_isa() -> Option<Isa> {
    Isa::from_arch(std::env::consts::ARCH)
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
            .contains("v8_2a"));
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
        // Julia 1.13.1 on a Sapphire Rapids (a real runtime, tests/cpu_real_julia.rs): LLVM
        // lists `+prefetchi` (leaf 7.1 EDX bit 14), Julia and sysimg read leaf 7.1 EBX bit 14
        // (src/features_x86.h numbers it in `features[10]`, see `detect::x86::BITS`) and see
        // none: `jl_dump_host_cpu` does not list it. A `native` image built there runs there.
        let build = llvm(&["64bit", "avx2", "fma", "prefetchi"]);
        let detected = llvm(&["avx2", "fma"]);
        let (b, h) = native_comparison(Isa::X86_64, &build, &detected, None);
        assert_eq!(b.features, h.features);
    }
}
