//! Which Pkg release's behaviour to reproduce: output details differ between Julia versions.

use crate::version::VersionNumber;

/// The Pkg release whose file-writing and hashing rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PkgFlavor {
    /// Julia 1.10 and older (project_hash over all compat, ranges printed `lo-hi`).
    V1_10,
    /// Julia 1.11 (ranges printed `lo - hi`, `"""` for multi-line strings, `[sources]`).
    V1_11,
    /// Julia 1.12 (workspace-aware project_hash, `version`/`workspace` ranked in Project.toml).
    V1_12,
    /// Julia 1.13 and later (manifest format 2.1, `readonly`).
    V1_13,
}

impl PkgFlavor {
    /// The newest flavor this crate knows, used when no Julia version is known.
    pub const LATEST: PkgFlavor = PkgFlavor::V1_13;

    /// The flavor of the Pkg shipped with `julia`.
    pub fn for_julia(julia: &VersionNumber) -> PkgFlavor {
        match (julia.major, julia.minor) {
            (0, _) | (1, 0..=10) => PkgFlavor::V1_10,
            (1, 11) => PkgFlavor::V1_11,
            (1, 12) => PkgFlavor::V1_12,
            _ => PkgFlavor::V1_13,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_by_version() {
        let f = |s: &str| PkgFlavor::for_julia(&VersionNumber::parse(s).unwrap());
        assert_eq!(f("1.6.7"), PkgFlavor::V1_10);
        assert_eq!(f("1.10.11"), PkgFlavor::V1_10);
        assert_eq!(f("1.11.9"), PkgFlavor::V1_11);
        assert_eq!(f("1.12.0-rc1"), PkgFlavor::V1_12);
        assert_eq!(f("1.14.0-DEV"), PkgFlavor::V1_13);
    }
}
