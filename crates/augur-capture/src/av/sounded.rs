//! A video that carries its sound when it has one: `augur predict`'s side-by-side and the app's
//! exports. Silent, it is a plain H.264 MP4 ([`VideoWriter`]); with sound, H.264 + AAC through
//! the recorder's writer, whose sound keeps each sample at its own time against the frames.

use std::path::Path;

use super::encode::{VideoCodec, VideoWriter};
use super::record::{RecordAudio, RecordingWriter};
use crate::CaptureError;

/// A video written frame by frame, each frame followed by the sound that plays while it shows.
pub enum SoundedVideo {
    /// No sound track.
    Silent(VideoWriter),
    /// A sound track at the rate given at creation.
    Heard(RecordingWriter),
}

impl SoundedVideo {
    /// Creates `path` for `width × height` frames at `fps`, with a mono AAC track at
    /// `sound_rate` Hz when given.
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: impl Into<super::encode::FrameRate>,
        sound_rate: Option<u32>,
    ) -> Result<Self, CaptureError> {
        let fps = fps.into();
        Ok(match sound_rate {
            None => Self::Silent(VideoWriter::create(path, width, height, fps)?),
            Some(rate) => {
                let audio = Some(RecordAudio { sample_rate: rate });
                Self::Heard(RecordingWriter::create(path, width, height, fps, VideoCodec::H264, audio)?)
            }
        })
    }

    /// Appends one packed RGB8 frame (`width` pixels a row) and the sound played while it shows
    /// (ignored by a silent video).
    pub fn push(&mut self, rgb: &[u8], width: u32, sound: &[f32]) -> Result<(), CaptureError> {
        match self {
            Self::Silent(v) => v.push_rgb(rgb, width),
            Self::Heard(v) => {
                v.push_rgb(rgb, width)?;
                v.push_audio(sound)
            }
        }
    }

    /// Writes the trailer; answers the frames written.
    pub fn finish(self) -> Result<u64, CaptureError> {
        match self {
            Self::Silent(v) => v.finish(),
            Self::Heard(v) => v.finish(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_video_with_sound_holds_as_much_sound_as_it_has_frames_and_a_silent_one_none() {
        let dir = tempfile::tempdir().unwrap();
        let frame = vec![90u8; 32 * 32 * 3];
        // 20 frames at 10 fps, 1600 samples of a 16 kHz tone each: 2 s of both.
        let tone: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.2).sin() * 0.3).collect();
        for (name, rate) in [("heard.mp4", Some(16_000)), ("silent.mp4", None)] {
            let path = dir.path().join(name);
            let mut v = SoundedVideo::create(&path, 32, 32, 10, rate).unwrap();
            for _ in 0..20 {
                v.push(&frame, 32, &tone).unwrap();
            }
            assert_eq!(v.finish().unwrap(), 20);
            let media = super::super::count_media(&path).unwrap();
            assert_eq!(media.video_frames, 20);
            let expected = if rate.is_some() { 2.0 } else { 0.0 };
            // The priming left out and the last packet padded: within two 1024-sample packets.
            assert!((media.audio_seconds - expected).abs() < 0.13, "{name}: {} s of sound", media.audio_seconds);
        }
    }
}
