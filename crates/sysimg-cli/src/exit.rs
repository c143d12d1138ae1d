//! Exit codes, and the failure that carries one.

use std::fmt;

/// What `sysimg` exits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything is fine.
    Ok = 0,
    /// The command ran, and what it checked has problems.
    Problems = 1,
    /// Bad invocation, or input that could not be read or understood.
    BadInput = 2,
    /// A registry could not be reached (connection refused, DNS, TLS), or the connection broke.
    Unreachable = 3,
    /// A registry refused the credentials.
    Unauthorized = 4,
    /// A registry does not hold the tag, digest or repository asked for.
    NotInRegistry = 5,
    /// Content from a registry did not match its digest (or its record): nothing was stored.
    Corrupt = 6,
}

impl From<ExitCode> for i32 {
    fn from(c: ExitCode) -> i32 {
        c as i32
    }
}

/// A command that could not do its work.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: ExitCode,
    /// What went wrong, naming file, line and column where known.
    pub message: String,
}

impl Failure {
    /// Input that could not be read or understood (exit 2).
    pub fn bad_input(message: impl fmt::Display) -> Failure {
        Failure {
            code: ExitCode::BadInput,
            message: message.to_string(),
        }
    }
}

impl From<julia_env::Error> for Failure {
    fn from(e: julia_env::Error) -> Failure {
        Failure::bad_input(e)
    }
}
