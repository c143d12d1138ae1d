//! Errors that name the file, line and column at fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in which file something is: `path[:line[:column]]` (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(path: impl Into<PathBuf>) -> Location {
        Location {
            path: path.into(),
            line: None,
            column: None,
        }
    }
}

impl Location {
    /// This location if it names a line, else `fallback`.
    pub fn or(self, fallback: &Location) -> Location {
        if self.line.is_some() {
            self
        } else {
            fallback.clone()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// An error reading, parsing or validating one of Julia's files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or breaks one of Pkg's rules.
    #[error("{location}: {message}")]
    Invalid {
        /// Where.
        location: Location,
        /// What is wrong, in Pkg's words where Pkg has words for it.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A validation error at `location`.
    pub fn invalid(location: Location, message: impl Into<String>) -> Error {
        Error::Invalid {
            location,
            message: message.into(),
        }
    }

    /// The location, when the error has one beyond a path.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Invalid { location, .. } => Some(location),
            Error::Io { .. } => None,
        }
    }

    /// The message without the location prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Io { source, .. } => source.to_string(),
            Error::Invalid { message, .. } => message.clone(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
