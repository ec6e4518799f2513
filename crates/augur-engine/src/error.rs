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
    /// A model call panicked (a tensor op refused its shapes): a bug, reported instead of
    /// ending the model thread, with the panic's message.
    #[error("the model panicked ({0}); this is a bug in Augur, please report it")]
    Panicked(String),
    /// The session's model thread is gone.
    #[error("the session has stopped")]
    Stopped,
}
