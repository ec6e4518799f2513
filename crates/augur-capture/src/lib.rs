//! Sources for Augur: everything that brings frames and sound into a session.
//!
//! Every video source implements [`Source`] and every sound source [`AudioSource`]; both stamp
//! what they deliver with one monotonic [`SessionClock`]. A source is named by a [`SourceSpec`]
//! (`camera:0`, `file:clip.mp4`, `lavfi:testsrc`, `scene:bounce?seed=7`, `mic:default`) and
//! opened with [`open_video`] or [`open_audio`]. [`spawn_video`] runs a source on its own thread
//! so a slow consumer never blocks it: the consumer always gets the newest frame and every frame
//! it skipped is counted.

mod av;
mod clock;
mod error;
mod fallback;
mod frame;
mod level;
mod mailbox;
mod microphone;
mod open;
pub mod scene;
mod spec;
mod thread;

pub use av::{
    AudioFileSource, AvVideoSource, CameraInfo, FrameRate, MediaCount, RecordAudio, RecordingWriter, SoundTrack,
    SoundedVideo, VideoCodec, VideoWriter, count_media, has_sound, list_cameras, read_sound, remux_prefix,
};
pub use av::{MAX_AAC_RATE, aac_rate};
pub use clock::SessionClock;
pub use error::CaptureError;
pub use fallback::{Chosen, FALLBACK_SCENE, heard_sound, open_audio_or_none, open_video_or_scene, own_sound};
pub use frame::{AudioChunk, AudioInfo, Frame, SourceInfo};
pub use level::{AudioLevel, audio_level};
pub use mailbox::{Mailbox, MailboxStats};
pub use microphone::{Microphone, MicrophoneInfo, list_microphones};
pub use open::{AudioSourceBox, VideoSourceBox, open_audio, open_video};
pub use spec::{
    AudioSpec, CameraSpec, DATASET_VIDEO_KEY, FileSpec, Pacing, SceneSpec, SourceSpec, VideoSpec,
    dataset_episode_video, escape_path, unescape_path,
};
pub use thread::{AudioHandle, StreamEnd, VideoHandle, spawn_audio, spawn_video};

/// A video source: something that yields decoded RGB frames, one at a time.
///
/// `next_frame` may block until the next frame is due (a camera, a paced file); run it on its
/// own thread with [`spawn_video`] when the consumer must never wait.
pub trait Source: Send {
    /// What was negotiated when the source opened: size, rate, native pixel format.
    fn info(&self) -> &SourceInfo;
    /// The next frame, `Ok(None)` at a normal end of stream, `Err` when the source failed
    /// (a camera unplugged, a corrupt file); after an error the source must be reopened.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError>;
}

/// A sound source: something that yields mono `f32` chunks at a fixed sample rate.
pub trait AudioSource: Send {
    /// The negotiated sample rate and channel layout.
    fn info(&self) -> &AudioInfo;
    /// The next chunk, `Ok(None)` at a normal end, `Err` when the device or file failed.
    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError>;
}
