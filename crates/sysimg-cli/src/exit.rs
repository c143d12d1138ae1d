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
    /// A build interrupted (Ctrl-C, SIGTERM, SIGHUP): julia was stopped, the store unchanged.
    Interrupted = 130,
}

impl ExitCode {
    /// Every exit code, in order.
    pub const ALL: [ExitCode; 8] = [
        ExitCode::Ok,
        ExitCode::Problems,
        ExitCode::BadInput,
        ExitCode::Unreachable,
        ExitCode::Unauthorized,
        ExitCode::NotInRegistry,
        ExitCode::Corrupt,
        ExitCode::Interrupted,
    ];

    /// What the code means, in a few words (the help's list).
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "all is well (warnings and notes do not count)",
            ExitCode::Problems => {
                "the command ran and found errors (a stale environment or image, a failed build)"
            }
            ExitCode::BadInput => "bad invocation, or input that could not be read or understood",
            ExitCode::Unreachable => "a registry could not be reached, or the connection broke",
            ExitCode::Unauthorized => "a registry refused the credentials (or wants some)",
            ExitCode::NotInRegistry => "a registry has no such tag, digest or repository",
            ExitCode::Corrupt => "content from a registry did not match its digest or record",
            ExitCode::Interrupted => "a build was interrupted (the store is unchanged)",
        }
    }

    /// The help's list of exit codes, one line each (`sysimg run` ends with julia's own).
    pub fn help() -> String {
        let mut out = String::from("Exit status:\n");
        for c in ExitCode::ALL {
            out.push_str(&format!("  {:>3}  {}\n", c as i32, c.meaning()));
        }
        out.push_str("  `sysimg run` ends with julia's own exit status.");
        out
    }
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
