//! Error values. The library never prints and never exits: every failure is
//! one of these, with enough context (file, line) for the caller to say what
//! went wrong and what to do.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A pattern file (or pattern text) that could not be compiled.
///
/// The message reads `path:line: what is wrong`, the way compilers report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub(crate) origin: String,
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl PatternError {
    pub(crate) fn new(origin: &str, line: usize, message: impl Into<String>) -> PatternError {
        PatternError {
            origin: origin.to_string(),
            line,
            message: message.into(),
        }
    }

    /// Where the bad pattern came from: a file path, or `<builtin>/NAME`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The 1-based line number of the bad entry (0 when the whole file is at fault).
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}:{}: {}", self.origin, self.line, self.message)
        }
    }
}

impl std::error::Error for PatternError {}

/// Why building a [`Cleaner`](crate::Cleaner) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A pattern file could not be read.
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        err: io::Error,
    },
    /// A pattern entry is malformed.
    Pattern(PatternError),
    /// `enable`/`disable` named a category that no pattern file defines.
    UnknownCategory(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Io { path, err } => {
                write!(f, "{}: cannot read pattern file: {}", path.display(), err)
            }
            BuildError::Pattern(e) => e.fmt(f),
            BuildError::UnknownCategory(c) => write!(
                f,
                "unknown category '{c}' (see --list-categories for the known ones)"
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io { err, .. } => Some(err),
            BuildError::Pattern(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PatternError> for BuildError {
    fn from(e: PatternError) -> BuildError {
        BuildError::Pattern(e)
    }
}

/// Why cleaning a stream failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum CleanError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed. A closed pipe shows up here as
    /// [`io::ErrorKind::BrokenPipe`]; the CLI treats that as success.
    Write(io::Error),
    /// The input holds a NUL byte and the binary policy is
    /// [`Binary::Quit`](crate::Binary::Quit). `offset` is the byte offset of
    /// the NUL in the decoded input.
    Binary {
        /// Byte offset of the first NUL byte.
        offset: u64,
    },
}

impl CleanError {
    /// True when the error is a write to a closed pipe (`dejunk big.txt | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CleanError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for CleanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CleanError::Read(e) => write!(f, "read error: {e}"),
            CleanError::Write(e) => write!(f, "write error: {e}"),
            CleanError::Binary { offset } => {
                write!(f, "binary data (NUL byte at offset {offset}); not cleaned")
            }
        }
    }
}

impl std::error::Error for CleanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CleanError::Read(e) | CleanError::Write(e) => Some(e),
            CleanError::Binary { .. } => None,
        }
    }
}
