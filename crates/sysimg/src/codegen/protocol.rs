//! The `[sysimg] ...` lines the generated scripts print for sysimg to read: a line starts
//! with one of these, and the rest is its value.

/// A phase of a build or of the tools script: `[sysimg] phase: NAME`.
pub const PHASE_LINE: &str = "[sysimg] phase: ";
/// The line `build.jl` prints for every keyword the PackageCompiler at hand does not take.
pub const DROPPED_LINE: &str = "[sysimg] dropped: ";
/// The line the tools script prints with PackageCompiler's version.
pub const VERSION_LINE: &str = "[sysimg] packagecompiler: ";
/// The line the tools script prints when PackageCompiler cannot be had.
pub const UNAVAILABLE_LINE: &str = "[sysimg] packagecompiler unavailable: ";
/// The line the tools script prints when it upgraded PackageCompiler (`old -> new`).
pub const UPGRADED_LINE: &str = "[sysimg] packagecompiler upgraded: ";
/// The line the tools script prints when an upgrade failed and the installed one stays.
pub const NOT_UPGRADED_LINE: &str = "[sysimg] packagecompiler not upgraded: ";
