//! Everything that goes through FFmpeg: cameras (libavdevice), video files, lavfi graphs, and
//! audio files. Cameras and lavfi share one code path, so tests with `lavfi` exercise the same
//! demux → decode → convert chain a webcam uses.

mod audio;
mod camera;
mod encode;
mod record;
mod rotate;
mod scaler;
mod sounded;
mod video;

use std::path::Path;
use std::sync::Once;

use ffmpeg_next as ff;

pub use audio::{AudioFileSource, MAX_AAC_RATE, SoundTrack, aac_rate, has_sound, read_sound};
pub use camera::{CameraInfo, list_cameras};
pub use encode::{FrameRate, VideoCodec, VideoWriter};
pub use record::{MediaCount, RecordAudio, RecordingWriter, count_media, remux_prefix};
pub use sounded::SoundedVideo;
pub use video::AvVideoSource;

use crate::CaptureError;

/// Initialises FFmpeg once per process and keeps its console chatter to real errors.
pub(crate) fn init() -> Result<(), CaptureError> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = ff::init().map_err(|e| CaptureError::ffmpeg("initialising", e));
        ff::util::log::set_level(ff::util::log::Level::Fatal);
    });
    result
}

/// Finds a libavdevice input (`v4l2`, `avfoundation`, `dshow`, `lavfi`) by any of its names.
pub(crate) fn input_device(name: &str) -> Option<ff::Format> {
    ff::device::input::video().find(|f| match f {
        ff::Format::Input(i) => i.name().split(',').any(|n| n == name),
        ff::Format::Output(_) => false,
    })
}

/// Checks a media file path before FFmpeg sees it, so the common mistakes get plain messages.
pub(crate) fn check_file(kind: &'static str, path: &str) -> Result<(), CaptureError> {
    let p = Path::new(path);
    let fail = |why: &str, hint| CaptureError::BadFile { kind, why: why.into(), hint, path: path.into() };
    match std::fs::metadata(p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail("it does not exist", "check the path")),
        Err(e) => Err(fail(&format!("it cannot be read ({e})"), "check its permissions")),
        Ok(m) if m.is_dir() => Err(fail("it is a folder", "give a media file inside it")),
        Ok(m) if m.len() == 0 => Err(fail("it is empty", "record or copy the file again")),
        Ok(_) => Ok(()),
    }
}

/// Turns FFmpeg's open error on a file into a message a user can act on.
pub(crate) fn open_file_error(kind: &'static str, path: &str, e: ff::Error) -> CaptureError {
    let (why, hint) = match e {
        ff::Error::InvalidData => (
            "FFmpeg does not recognise it as audio or video (not a media file, or its header is damaged)".to_string(),
            "check that it is a media file; a recording cut off early may be repairable with `ffmpeg -i`",
        ),
        ff::Error::Eof => ("it ends before its header is complete (truncated)".to_string(), "copy or record it again"),
        other => (format!("FFmpeg could not open it ({other})"), "check that ffprobe can read it"),
    };
    CaptureError::BadFile { kind, why, hint, path: path.into() }
}
