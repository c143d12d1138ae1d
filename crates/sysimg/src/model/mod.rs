//! What an image is, without running anything: the [`spec`] a project asks for, the [`plan`]
//! of what an image of an environment bakes, the [`record`] an image keeps of itself, and the
//! [`diff`] shown for an edit of an environment's files.
pub mod diff;
pub mod plan;
pub mod record;
pub mod spec;
