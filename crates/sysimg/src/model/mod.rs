//! What an image is, without running anything: the [`spec`] a project asks for, the [`plan`]
//! of what an image of an environment bakes, the [`record`] an image keeps of itself (with the
//! tree hashes of its [`path_sources`]), the [`diff`] shown for an edit of an environment's
//! files, and the [`stamp`] of what a fresh verdict depended on.
pub mod diff;
pub mod path_sources;
pub mod plan;
pub mod record;
pub mod spec;
pub mod stamp;
