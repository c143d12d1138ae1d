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
//! releases is one more entry. 1.13's tables equal 1.12's. This module holds what the tables
//! mean and how a target resolves; `x86` and `aarch64` hold each architecture's tables.

use std::collections::BTreeSet;

use super::Isa;

mod aarch64;
mod x86;

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
        Isa::X86_64 => &x86::TABLES,
        Isa::Aarch64 => &aarch64::TABLES,
    }
}

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
