//! The one error type of the capture crate. Every message says what failed, why, and what to
//! do about it, with the device or path last.

use thiserror::Error;

/// Why a source could not be named, opened or read.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// A source name did not parse; the message shows the accepted forms.
    #[error("cannot read source name {given:?}: {why}. {forms}")]
    BadSpec {
        /// What the user wrote.
        given: String,
        /// What is wrong with it.
        why: String,
        /// The accepted forms, as examples.
        forms: &'static str,
    },
    /// A camera or microphone that does not exist or cannot be opened.
    #[error("cannot open {what}: {why}. {hint}")]
    DeviceUnavailable {
        /// Which device, e.g. `camera /dev/video9`.
        what: String,
        /// What the OS or driver said.
        why: String,
        /// What to do, e.g. "run `augur devices` to list cameras".
        hint: String,
    },
    /// The device exists but cannot deliver the requested mode.
    #[error("{what} cannot deliver {asked}: {why}. Modes it offers: {offered}")]
    UnsupportedMode {
        /// Which device.
        what: String,
        /// The requested mode.
        asked: String,
        /// Why it was refused.
        why: String,
        /// The modes on offer, for the user to pick from.
        offered: String,
    },
    /// A file that is missing, unreadable, not media, or has no stream of the needed kind.
    #[error("cannot open {kind} file: {why}. {hint}: {path}")]
    BadFile {
        /// `video` or `audio`.
        kind: &'static str,
        /// What is wrong.
        why: String,
        /// What to do.
        hint: &'static str,
        /// The path, last so it is easy to copy.
        path: String,
    },
    /// A source that was delivering stopped with an error (unplugged, corrupt data).
    #[error("{what} stopped delivering after {frames} frames: {why}. {hint}")]
    Disconnected {
        /// Which source.
        what: String,
        /// Frames delivered before it failed.
        frames: u64,
        /// What the decoder or device said.
        why: String,
        /// What to do, e.g. "check the cable and reopen the source".
        hint: &'static str,
    },
    /// An internal failure of FFmpeg that is not the user's input (a scaler that cannot be
    /// created, for example).
    #[error("FFmpeg failed while {doing}: {source}")]
    Ffmpeg {
        /// What we were doing.
        doing: &'static str,
        /// FFmpeg's error.
        #[source]
        source: ffmpeg_next::Error,
    },
    /// A video file could not be written (no space, no encoder, bad size).
    #[error("cannot write video: {why}: {path}")]
    Write {
        /// What went wrong and what to do.
        why: String,
        /// The output path.
        path: String,
    },
    /// The thread running a source is gone (it panicked or was stopped).
    #[error("the capture thread for {what} has stopped")]
    ThreadGone {
        /// Which source.
        what: String,
    },
}

impl CaptureError {
    /// What is wrong with a file, without the advice on what to do (for callers whose own
    /// advice fits better, e.g. dropping a video's sound); the whole message for the rest.
    pub fn why(&self) -> String {
        match self {
            Self::BadFile { why, .. } => why.clone(),
            other => other.to_string(),
        }
    }

    pub(crate) fn ffmpeg(doing: &'static str, source: ffmpeg_next::Error) -> Self {
        Self::Ffmpeg { doing, source }
    }
}
