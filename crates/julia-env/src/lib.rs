//! Julia's package-manager data model, read and written exactly as Pkg.jl does, without Julia.
//!
//! The crate follows Pkg's own vocabulary: [`project::Project`] and [`manifest::Manifest`] are
//! the two environment files, [`version`], [`version_spec`] and [`compat`] the version
//! algebra, [`project_hash`] the staleness hash, [`graph`] the dependency graph, [`depot`],
//! [`registry`] and [`artifacts`] what lives in a depot, [`resolve`] Pkg's choice of versions,
//! and [`tree_hash`] the content hash that ties a Manifest to the sources on disk.
pub mod artifacts;
pub mod check;
pub mod compat;
pub mod depot;
pub mod edit;
pub mod environment;
pub mod error;
pub mod flavor;
pub mod graph;
pub mod ids;
pub mod manifest;
pub mod pkg_toml;
pub mod platform;
pub mod project;
pub mod project_hash;
pub mod registry;
pub mod resolve;
pub mod stdlib;
pub mod toml_source;
pub mod tree_hash;
pub mod version;
pub mod version_spec;

pub use error::{Error, Location, Result};
