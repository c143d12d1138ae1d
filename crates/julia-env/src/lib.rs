//! Julia's package-manager data model, read and written exactly as Pkg.jl does, without Julia.
pub mod compat;
pub mod version;
pub mod version_spec;
