//! Typed errors of the library. Each carries the context a user needs to act on it:
//! the path (and line, where it helps) that the failure is about. `anyhow` is used only
//! in the binary.

use std::path::{Path, PathBuf};

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O failure on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A bad option or combination of options.
    #[error("{0}")]
    Config(String),
    /// A saved index that cannot be used: damaged, locked, another version or other
    /// parameters.
    #[error("index {}: {msg}", path.display())]
    Index { path: PathBuf, msg: String },
    /// A malformed line in a user-supplied rules file.
    #[error("{}:{line}: {msg}", path.display())]
    Rules {
        path: PathBuf,
        line: usize,
        msg: String,
    },
}

impl Error {
    /// Wrap an I/O error with the path it happened on.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
