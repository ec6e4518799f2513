//! What can go wrong with a model: its config, its files, its data, its device.

use std::path::PathBuf;

/// Errors from building, loading, training or running a world model. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The architecture sizes do not fit together.
    #[error("bad model config: {0}")]
    BadConfig(String),
    /// A checkpoint or card could not be used; `why` says what is wrong with it.
    #[error("cannot load the model at {path}: {why}")]
    BadCheckpoint {
        /// The file that was refused.
        path: PathBuf,
        /// What is wrong and what to do.
        why: String,
    },
    /// Training or evaluation data could not be read.
    #[error("bad data {given}: {why}")]
    BadData {
        /// The data name as given.
        given: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "cannot write".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The loss stopped being a number: the learning rate is too high for this model and data.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// The compute device failed (a lost GPU, a failed readback).
    #[error("the model's device failed: {0}")]
    Device(String),
}

impl ModelError {
    /// Shorthand for an [`ModelError::Io`] error.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { action, path, source }
    }
}
