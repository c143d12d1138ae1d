//! sysimg's library: what an image should hold (the [`spec`] and the [`plan`]), and what an
//! image records about itself (the [`record`]). It knows nothing of the terminal.
/// Julia's CPU targets and host detection (the `julia-cpu` crate).
pub use julia_cpu as cpu;
pub mod align;
pub mod build;
pub mod check;
pub mod diff;
pub mod extend;
pub mod julia;
pub mod julia_code;
pub mod julia_options;
pub mod kernel;
pub mod launch;
pub mod learn;
pub mod plan;
pub mod record;
pub mod signature;
pub mod spec;
pub mod store;
pub mod tools;
