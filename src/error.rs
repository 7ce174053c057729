//! The library's error type.

use crate::problem::Problem;
use std::path::PathBuf;

/// Everything that stops a run. Exit code 2 for bad input or usage, 1 otherwise.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input could not be read at all (missing file, permission).
    #[error("{path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A problem in the input, fatal because of `--strict` or because nothing is left.
    #[error("{0}")]
    BadInput(Problem),
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// Writing the report failed.
    #[error("writing {path}: {reason}")]
    Output {
        /// The file or directory being written.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// A request to a live system failed (after its retries); the URL has no
    /// credentials in it.
    #[error("{url}: {reason}")]
    Fetch {
        /// The URL asked, without user name or password.
        url: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// What went wrong, with the server's own message where it gave one.
        reason: String,
    },
    /// A failure inside the table engine.
    #[error("table engine: {0}")]
    Polars(#[from] polars::error::PolarsError),
}

impl Error {
    /// The process exit code this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput(_) | Error::Usage(_) => 2,
            Error::Io { .. } => 2,
            // A refusal (wrong URL, credentials, query) is the user's to fix.
            Error::Fetch {
                status: Some(400..=499),
                ..
            } => 2,
            Error::Output { .. } | Error::Polars(_) | Error::Fetch { .. } => 1,
        }
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;
