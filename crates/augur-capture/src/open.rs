//! Opening any source from its name.

use crate::scene::SceneSource;
use crate::{
    AudioFileSource, AudioSource, AudioSpec, AvVideoSource, CaptureError, Microphone, SessionClock, Source, VideoSpec,
};

/// A video source of any kind.
pub type VideoSourceBox = Box<dyn Source>;
/// A sound source of any kind.
pub type AudioSourceBox = Box<dyn AudioSource>;

/// Opens the video source a spec names.
pub fn open_video(spec: &VideoSpec, clock: SessionClock) -> Result<VideoSourceBox, CaptureError> {
    Ok(match spec {
        VideoSpec::Scene(cfg) => Box::new(SceneSource::open(cfg.clone(), clock)?),
        other => Box::new(AvVideoSource::open(other, clock)?),
    })
}

/// Opens the sound source a spec names.
pub fn open_audio(spec: &AudioSpec, clock: SessionClock) -> Result<AudioSourceBox, CaptureError> {
    Ok(match spec {
        AudioSpec::Mic { device } => Box::new(Microphone::open(device, clock)?),
        AudioSpec::File(file) => Box::new(AudioFileSource::open(file, clock)?),
        AudioSpec::Scene(cfg) => Box::new(crate::scene::SceneSound::open(cfg.clone(), clock)?),
    })
}
