//! Julia's own CPU tables, release by release, and how Julia turns a target into the features
//! an image built for it requires.
//!
//! Everything here is read from JuliaLang/julia's sources at the release commits (the commit
//! that sets `VERSION` to the release; JuliaLang/julia itself is too big to fetch here, so the
//! commits were read from forks holding them): `src/features_x86.h`, `src/processor_x86.cpp`
//! (`deps[]`, the `constexpr auto <set> = ...` feature sets, `cpus[]`, `normalize_cpu_name`,
//! `arg_target_data`), `src/features_aarch64.h` and the `_CPU_AARCH64_` part of
//! `src/processor_arm.cpp` (the same, plus `enable_depends`'s architecture rules and the
//! `crypto` alias of `get_cmdline_targets`), `deps/llvm.version` (`deps/Versions.make` on
//! 1.5) for the LLVM a release ships:
//!
//! | tables of | commit | LLVM |
//! |---|---|---|
//! | v1.5.0 | `96786e22cc` | 9.0.1 |
//! | v1.5.1 (same through release-1.5's 1.5.5-pre) | `697e782ab8` | 9.0.1 |
//! | v1.6.0 | `f9720dc2eb` | 11.0.1 |
//! | v1.7.0 | `3bf9d17731` | 12.0.1 |
//! | v1.8.0 | `5544a0fab7` | 13.0.1 |
//! | v1.9.0 | `8e63055292` | 14.0.5 |
//! | v1.9.2 (`08bda040b7`, julia#50186, dropped `xsaves` from Zen 1–3) | `e4ee485e90` | 14.0.5 |
//! | v1.10.0 | `3120989f39` | 15.0.7 |
//! | v1.11.0 | `501a4f25c2` | 16.0.6 |
//! | v1.12.0 (the same at v1.12.5, `5fe89b8ddc`) | `b907bd0600` | 18.1.7 |
//! | 1.13 (the master commit before `VERSION` became 1.14.0-DEV) | `abd8457ca8` | 20.1.8 |
//!
//! The tables are written out as Julia writes them: feature sets built from other sets plus
//! features, each entry with the Julia versions it holds for, so a table change between
//! releases is one more entry. 1.13's tables equal 1.12's.

use std::collections::BTreeSet;

use super::Isa;

/// A Julia version as the tables key it: (major, minor, patch).
pub(crate) type Ver = (u32, u32, u32);

/// The Julia versions an entry holds for: `from` (inclusive) to `until` (exclusive).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    from: Ver,
    until: Ver,
}

const END: Ver = (u32::MAX, 0, 0);
/// Every version.
const ALL: Span = Span {
    from: (0, 0, 0),
    until: END,
};
/// From 1.`minor`.`patch` on.
const fn since(minor: u32, patch: u32) -> Span {
    Span {
        from: (1, minor, patch),
        until: END,
    }
}
/// Before 1.`minor`.`patch`.
const fn before(minor: u32, patch: u32) -> Span {
    Span {
        from: (0, 0, 0),
        until: (1, minor, patch),
    }
}
/// From 1.`a` up to (not including) 1.`b`.
const fn between(a: (u32, u32), b: (u32, u32)) -> Span {
    Span {
        from: (1, a.0, a.1),
        until: (1, b.0, b.1),
    }
}

impl Span {
    fn holds(&self, v: Ver) -> bool {
        self.from <= v && v < self.until
    }
}

/// A feature name of `features_*.h` (the string Julia prints and accepts).
#[derive(Debug)]
pub(crate) struct Feature {
    pub name: &'static str,
    pub span: Span,
}

/// `deps[]`: `feature` needs `needs`.
#[derive(Debug)]
pub(crate) struct Dep {
    pub feature: &'static str,
    pub needs: &'static str,
    pub span: Span,
}

/// `constexpr auto <name> = <bases> | get_feature_masks(<features>);`
#[derive(Debug)]
pub(crate) struct Set {
    pub name: &'static str,
    pub span: Span,
    pub bases: &'static [&'static str],
    pub features: &'static [&'static str],
}

/// A `cpus[]` entry: a CPU name and its feature set.
#[derive(Debug)]
pub(crate) struct Cpu {
    pub name: &'static str,
    pub set: &'static str,
    pub span: Span,
}

/// `normalize_cpu_name`: a name Julia replaces with another before looking it up.
#[derive(Debug)]
pub(crate) struct Alias {
    pub alias: &'static str,
    pub name: &'static str,
    pub span: Span,
}

/// AArch64 `enable_depends`: an architecture level brings these features.
#[derive(Debug)]
pub(crate) struct ArchRule {
    pub level: &'static str,
    pub implies: &'static [&'static str],
    pub span: Span,
}

/// One architecture's tables, every release at once.
#[derive(Debug)]
pub(crate) struct Tables {
    features: &'static [Feature],
    /// Features a release's LLVM is too old for (`llvmver > JL_LLVM_VERSION`): unset when an
    /// image is written (`jl_get_llvm_clone_targets`), so no image of that release needs them.
    llvm_masked: &'static [Feature],
    deps: &'static [Dep],
    sets: &'static [Set],
    cpus: &'static [Cpu],
    aliases: &'static [Alias],
    arch_rules: &'static [ArchRule],
    /// Unset from every target after `enable_depends` (x86 `arg_target_data`: "Mask our
    /// rdrand/rdseed/rtm/xsaveopt features that LLVM doesn't use and rr disables"; the same
    /// line in every release 1.5–1.13).
    never_required: &'static [&'static str],
    /// `get_cmdline_targets` on AArch64: "treat `crypto` as an alias of aes + sha2 just like
    /// LLVM" (from 1.5.1; on 1.5.0 `crypto` is a feature of its own).
    crypto_alias: Option<Span>,
}

/// The tables of an architecture.
pub(crate) fn tables(isa: Isa) -> &'static Tables {
    match isa {
        Isa::X86_64 => &X86,
        Isa::Aarch64 => &AARCH64,
    }
}

static X86: Tables = Tables {
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

static AARCH64: Tables = Tables {
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

/// What a target resolves to in one release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The features an image built for the target requires of the host.
    pub features: BTreeSet<String>,
    /// `+feature`/`-feature` items that are not Julia features of the release: Julia passes
    /// them to LLVM (`ext_features`) and never checks them on load.
    pub unchecked: Vec<String>,
}

impl Tables {
    /// Whether `name` is a feature of `features_*.h` in `v`.
    pub(crate) fn is_feature(&self, v: Ver, name: &str) -> bool {
        self.features
            .iter()
            .any(|f| f.name == name && f.span.holds(v))
    }

    /// Every feature name of `v`.
    pub(crate) fn feature_names(&self, v: Ver) -> BTreeSet<&'static str> {
        self.features
            .iter()
            .filter(|f| f.span.holds(v))
            .map(|f| f.name)
            .collect()
    }

    /// Every feature name of any release.
    pub(crate) fn all_feature_names(&self) -> BTreeSet<&'static str> {
        self.features.iter().map(|f| f.name).collect()
    }

    /// The `cpus[]` name `name` stands for in `v` (after `normalize_cpu_name`), if Julia knows
    /// it.
    pub(crate) fn cpu_name(&self, v: Ver, name: &str) -> Option<&'static str> {
        let name = self
            .aliases
            .iter()
            .find(|a| a.alias == name && a.span.holds(v))
            .map_or(name, |a| a.name);
        self.cpu(v, name).map(|c| c.name)
    }

    fn cpu(&self, v: Ver, name: &str) -> Option<&'static Cpu> {
        self.cpus.iter().find(|c| c.name == name && c.span.holds(v))
    }

    /// The `cpus[]` names of `v`, in Julia's order.
    pub(crate) fn cpu_names(&self, v: Ver) -> Vec<&'static str> {
        self.cpus
            .iter()
            .filter(|c| c.span.holds(v))
            .map(|c| c.name)
            .collect()
    }

    /// The `normalize_cpu_name` aliases of `v`: (alias, name).
    pub(crate) fn alias_names(&self, v: Ver) -> Vec<(&'static str, &'static str)> {
        self.aliases
            .iter()
            .filter(|a| a.span.holds(v))
            .map(|a| (a.alias, a.name))
            .collect()
    }

    /// The versions at which some entry starts or stops holding: the first version of each
    /// stretch of identical tables.
    pub(crate) fn boundaries(&self) -> BTreeSet<Ver> {
        let spans = self
            .features
            .iter()
            .map(|f| f.span)
            .chain(self.llvm_masked.iter().map(|f| f.span))
            .chain(self.deps.iter().map(|d| d.span))
            .chain(self.sets.iter().map(|s| s.span))
            .chain(self.cpus.iter().map(|c| c.span))
            .chain(self.aliases.iter().map(|a| a.span))
            .chain(self.arch_rules.iter().map(|r| r.span));
        spans
            .flat_map(|s| [s.from, s.until])
            .filter(|v| *v != END)
            .collect()
    }

    /// A feature set (`constexpr auto`) of `v`, its bases included.
    fn set_features(&self, v: Ver, set: &str, out: &mut BTreeSet<&'static str>) {
        let Some(s) = self.sets.iter().find(|s| s.name == set && s.span.holds(v)) else {
            // Unreachable with consistent tables (a test checks every reference).
            return;
        };
        for base in s.bases {
            self.set_features(v, base, out);
        }
        out.extend(s.features.iter().copied());
    }

    /// The raw `Feature::<set>` of a CPU name of `v` (nothing added or removed yet).
    pub(crate) fn raw_cpu_features(&self, v: Ver, name: &str) -> Option<BTreeSet<&'static str>> {
        let cpu = self.cpu(v, self.cpu_name(v, name)?)?;
        let mut out = BTreeSet::new();
        self.set_features(v, cpu.set, &mut out);
        Some(out)
    }

    /// `enable_depends`: AArch64's architecture rules, then `deps[]` until nothing changes.
    fn enable_depends(&self, v: Ver, set: &mut BTreeSet<String>) {
        loop {
            let before = set.len();
            for r in self.arch_rules.iter().filter(|r| r.span.holds(v)) {
                if set.contains(r.level) {
                    set.extend(r.implies.iter().map(|f| f.to_string()));
                }
            }
            for d in self.deps.iter().filter(|d| d.span.holds(v)) {
                if set.contains(d.feature) {
                    set.insert(d.needs.to_string());
                }
            }
            if set.len() == before {
                break;
            }
        }
    }

    /// `disable_depends`: "Recursively disable all features that the current feature set
    /// does not provide" (`deps[]` only; dropping `rcpc` does not drop `v8_3a`).
    fn disable_depends(&self, v: Ver, set: &mut BTreeSet<String>) {
        loop {
            let before = set.len();
            for d in self.deps.iter().filter(|d| d.span.holds(v)) {
                if !set.contains(d.needs) {
                    set.remove(d.feature);
                }
            }
            if set.len() == before {
                break;
            }
        }
    }

    /// An explicit feature item as `get_cmdline_targets`' `feature_cb` takes it: the Julia
    /// features it sets, or `None` for a name Julia does not know (`ext_features`).
    fn explicit(&self, v: Ver, name: &str) -> Option<Vec<&'static str>> {
        if name == "crypto" && self.crypto_alias.is_some_and(|s| s.holds(v)) {
            return Some(vec!["aes", "sha2"]);
        }
        self.features
            .iter()
            .find(|f| f.name == name && f.span.holds(v))
            .map(|f| vec![f.name])
    }

    /// `arg_target_data` followed by what `jl_get_llvm_clone_targets` does before writing a
    /// target into the image: the features an image target built from `base` (the CPU's
    /// features; `None` for a name Julia does not know) plus `enable`, minus `disable`,
    /// requires on load. With `julia_only`, names that are not Julia features of `v` are
    /// dropped from the result (Julia compares nothing else on load); without it they are
    /// kept (a `native` build machine's list, compared like with like elsewhere).
    pub(crate) fn resolve(
        &self,
        v: Ver,
        base: Option<&BTreeSet<String>>,
        enable: &[String],
        disable: &[String],
        julia_only: bool,
    ) -> Resolved {
        let mut unchecked = Vec::new();
        let mut en: BTreeSet<String> = base.cloned().unwrap_or_default();
        let mut dis: BTreeSet<String> = BTreeSet::new();
        for (items, sign, into) in [(enable, '+', &mut en), (disable, '-', &mut dis)] {
            for item in items {
                match self.explicit(v, item) {
                    Some(fs) => into.extend(fs.into_iter().map(str::to_string)),
                    None => unchecked.push(format!("{sign}{item}")),
                }
            }
        }
        self.enable_depends(v, &mut en);
        for f in self.never_required {
            en.remove(*f);
        }
        en.retain(|f| !dis.contains(f));
        self.disable_depends(v, &mut en);
        if julia_only {
            en.retain(|f| self.is_feature(v, f));
        }
        let masked: Vec<&str> = self
            .llvm_masked
            .iter()
            .filter(|f| f.span.holds(v))
            .map(|f| f.name)
            .collect();
        if masked.iter().any(|m| en.contains(*m)) {
            en.retain(|f| !masked.contains(&f.as_str()));
            self.disable_depends(v, &mut en);
        }
        Resolved {
            features: en,
            unchecked,
        }
    }

    /// Every reference of `v`'s tables that points nowhere (for the tests).
    #[cfg(test)]
    pub(crate) fn dangling(&self, v: Ver) -> Vec<String> {
        let mut out = Vec::new();
        let set_known = |n: &str| self.sets.iter().any(|s| s.name == n && s.span.holds(v));
        for s in self.sets.iter().filter(|s| s.span.holds(v)) {
            out.extend(
                s.bases
                    .iter()
                    .filter(|b| !set_known(b))
                    .map(|b| b.to_string()),
            );
            out.extend(
                s.features
                    .iter()
                    .filter(|f| !self.is_feature(v, f))
                    .map(|f| f.to_string()),
            );
        }
        for c in self.cpus.iter().filter(|c| c.span.holds(v)) {
            if !set_known(c.set) {
                out.push(c.set.to_string());
            }
        }
        for d in self.deps.iter().filter(|d| d.span.holds(v)) {
            for f in [d.feature, d.needs] {
                if !self.is_feature(v, f) {
                    out.push(f.to_string());
                }
            }
        }
        for a in self.aliases.iter().filter(|a| a.span.holds(v)) {
            if self.cpu(v, a.name).is_none() {
                out.push(a.name.to_string());
            }
        }
        out
    }
}

// The tables themselves, in Julia's order. Feature sets use Julia's C++ names (`skx`,
// `icelake_server`, `arm_cortex_a55`); features and CPUs Julia's strings.

// ---- x86 ----

pub(super) const X86_FEATURES: &[Feature] = &[
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
pub(super) const X86_LLVM_MASKED: &[Feature] = &[
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
pub(super) const X86_DEPS: &[Dep] = &[
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
pub(super) const X86_SETS: &[Set] = &[
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
pub(super) const X86_CPUS: &[Cpu] = &[
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
pub(super) const X86_ALIASES: &[Alias] = &[
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

// ---- aarch64 ----

pub(super) const AARCH64_FEATURES: &[Feature] = &[
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
pub(super) const AARCH64_LLVM_MASKED: &[Feature] = &[
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
pub(super) const AARCH64_DEPS: &[Dep] = &[
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
pub(super) const AARCH64_SETS: &[Set] = &[
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
pub(super) const AARCH64_CPUS: &[Cpu] = &[
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
pub(super) const AARCH64_ALIASES: &[Alias] = &[
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
pub(super) const AARCH64_ARCH_RULES: &[ArchRule] = &[
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
