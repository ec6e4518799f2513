//! One error type for datasets; every message says what failed, what to do, and the path.

use std::path::Path;

/// What can go wrong reading, writing or checking a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file could not be read or written.
    #[error("cannot {doing} {path}: {source}. {hint}")]
    Io {
        /// What was being done.
        doing: &'static str,
        /// The file.
        path: String,
        /// The system's reason.
        #[source]
        source: std::io::Error,
        /// What to do.
        hint: &'static str,
    },
    /// A file exists but does not hold what the layout says.
    #[error("{path} is not a valid part of a LeRobot v3 dataset: {why}. {hint}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
        /// What to do.
        hint: &'static str,
    },
    /// A parquet table could not be written or read.
    #[error("parquet failed on {path}: {why}")]
    Parquet {
        /// The file.
        path: String,
        /// The library's reason.
        why: String,
    },
    /// The video side (FFmpeg) failed.
    #[error(transparent)]
    Capture(#[from] augur_capture::CaptureError),
    /// The recording was asked for something it cannot do.
    #[error("{0}")]
    Usage(String),
}

/// What to do about a damaged file that no command can rebuild (a repair only finishes
/// episodes a stopped recorder left).
pub(crate) const RESTORE: &str = "restore it from a copy of the dataset (the other files are untouched); `augur dataset validate` lists every damaged file";

impl DatasetError {
    pub(crate) fn io(doing: &'static str, path: &Path, source: std::io::Error) -> Self {
        let hint = match source.raw_os_error() {
            Some(28) => "the disk is full: free space, then run `augur dataset repair` on the dataset",
            Some(13) => "check the folder's permissions",
            _ if source.kind() == std::io::ErrorKind::NotFound => {
                "check the path; `augur dataset validate` lists what is missing"
            }
            _ => "check the disk and the path",
        };
        Self::Io { doing, path: path.display().to_string(), source, hint }
    }

    pub(crate) fn invalid(path: &Path, why: impl Into<String>, hint: &'static str) -> Self {
        Self::Invalid { path: path.display().to_string(), why: why.into(), hint }
    }

    pub(crate) fn parquet(path: &Path, why: impl std::fmt::Display) -> Self {
        Self::Parquet { path: path.display().to_string(), why: why.to_string() }
    }

    /// True when the cause is a full disk (the recorder stops cleanly on it).
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Io { source, .. } => source.raw_os_error() == Some(28),
            Self::Capture(e) => e.to_string().contains("no space left") || e.to_string().contains("disk is full"),
            Self::Parquet { why, .. } => why.contains("No space left"),
            _ => false,
        }
    }
}
