//! Errors of a live session.

/// What can stop a session or a request to it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model could not be loaded or run.
    #[error(transparent)]
    Model(#[from] augur_model::ModelError),
    /// A source name or device failed.
    #[error(transparent)]
    Capture(#[from] augur_capture::CaptureError),
    /// A request the session cannot serve (bad index, horizon, …), with what to do.
    #[error("{0}")]
    Usage(String),
    /// The session's model thread is gone.
    #[error("the session has stopped")]
    Stopped,
}
