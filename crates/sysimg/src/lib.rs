//! sysimg's library: what an image should hold and what it records about itself ([`model`]),
//! the julia that builds and runs it ([`julia`]), the Julia code sysimg generates
//! ([`codegen`]), building ([`build`]), the content-addressed [`store`], checking an image
//! against an environment and a host ([`check`]), launching julia with it ([`launch`]),
//! learning from use ([`learn`], which bakes only trace lines that are [`signature`]s),
//! editing environments to fit an image ([`align`]), extending a held environment
//! ([`extend`]), Jupyter kernels ([`kernel`]), juliaup channels ([`juliaup`]) and other tools'
//! settings ([`integrations`]). It knows nothing of the terminal, and reads no environment
//! variable: the caller hands them in ([`vars`]).
/// Julia's CPU targets and host detection (the `julia-cpu` crate).
pub use julia_cpu as cpu;
pub mod align;
pub mod build;
pub mod check;
pub mod codegen;
pub mod extend;
pub mod integrations;
pub mod julia;
pub mod juliaup;
pub mod kernel;
pub mod launch;
pub mod learn;
pub mod model;
pub mod signature;
pub mod store;
pub mod vars;
