//! What `augur predict` hears and plays: the sound fed to the model's audio token, and the
//! side-by-side video, which carries that sound in step with its frames.

use std::path::Path;

use anyhow::{Result, bail};
use augur_capture::{AudioSpec, FileSpec, Pacing, SessionClock, SoundedVideo, SourceSpec, VideoSpec, open_audio};
use augur_model::data::ClipSound;

/// The sound of `frames` frames at `fps`, cut as the audio encoder hears it (frame `i` the
/// `1 / fps` s up to it, so sample 0 is one frame before frame 0): `audio` when given (`none`
/// for silence), else the source's own (a file's or episode's track, a scene's knocks). `None`
/// for silence, and always for a model without an audio encoder (`mels` 0).
pub(super) fn heard(
    audio: Option<&str>,
    source: &str,
    frames: usize,
    fps: f64,
    mels: usize,
) -> Result<Option<ClipSound>> {
    match (audio, mels) {
        (Some("none"), _) | (None, 0) => Ok(None),
        (Some(_), 0) => bail!("this model has no audio encoder; drop --audio"),
        (Some(given), _) => Ok(Some(read_named(given, frames, fps)?.cut(0, frames))),
        (None, _) => own(source, frames, fps),
    }
}

/// `frames / fps` seconds of sound from `given`, read as fast as it comes (a sound file at
/// once, not at its playing pace), sample 0 with frame 0.
fn read_named(given: &str, frames: usize, fps: f64) -> Result<ClipSound> {
    let spec = match SourceSpec::audio(given)? {
        AudioSpec::File(file) => AudioSpec::File(FileSpec { pacing: Pacing::Fast, ..file }),
        other => other,
    };
    let mut source = open_audio(&spec, SessionClock::start())?;
    let rate = source.info().sample_rate;
    // At most an hour: a looping sound under a slideshow-rate video (0.001 fps) would be read
    // for tens of GB; frames past it hear silence.
    let needed = ((frames as f64 / fps * f64::from(rate)).ceil() as usize + 1024).min(rate as usize * 3600);
    // Grown as it comes: a slow frame rate makes `needed` far more than the file may hold.
    let mut samples = Vec::with_capacity(needed.min(rate as usize * 60));
    while samples.len() < needed {
        match source.next_chunk()? {
            Some(chunk) => samples.extend_from_slice(&chunk.samples),
            None => break,
        }
    }
    Ok(ClipSound { samples, rate, fps })
}

/// A source's own sound: a file's (or recorded episode's) track, or the knocks of a scene with
/// `sound=1` as training hears them; `None` for any other source or a file without a track.
fn own(source: &str, frames: usize, fps: f64) -> Result<Option<ClipSound>> {
    let file = match SourceSpec::video(source) {
        Ok(VideoSpec::File(file)) => file,
        Ok(VideoSpec::Scene(cfg)) if cfg.sound => {
            eprintln!("augur: hearing the scene's own sound");
            return Ok(augur_model::data::scene_sound(&cfg, frames)?);
        }
        _ => return Ok(None),
    };
    let read = augur_capture::read_sound(&file.path, (frames + 1) as f64 / fps).map_err(|e| {
        anyhow::anyhow!(
            "the sound track of {} cannot be decoded ({}); pass --audio none to predict on its pictures alone",
            file.path,
            e.why()
        )
    })?;
    let Some(track) = read else { return Ok(None) };
    eprintln!("augur: hearing the source's own sound ({} Hz)", track.rate);
    Ok(Some(ClipSound { samples: track.samples, rate: track.rate, fps }.cut(0, frames)))
}

/// The side-by-side video, with the sound the model heard (AAC) when it heard any: each
/// written frame followed by the sound played while it shows.
pub(super) struct SideBySide {
    video: SoundedVideo,
    sound: Option<ClipSound>,
}

impl SideBySide {
    pub(super) fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: augur_capture::FrameRate,
        sound: Option<&ClipSound>,
    ) -> Result<Self> {
        let video = SoundedVideo::create(path, width, height, fps, sound.map(|s| s.rate))?;
        Ok(Self { video, sound: sound.cloned() })
    }

    /// Appends source frame `t`'s picture and the sound from it to the next frame.
    pub(super) fn push(&mut self, rgb: &[u8], width: u32, t: usize) -> Result<()> {
        // Frame t shows until frame t + 1: what plays meanwhile is what frame t + 1 hears.
        // `sound` starts one frame early (frame i's span is its frame i + 1), so that is its
        // frame t + 2, silence past its end.
        let heard = self.sound.as_ref().map(|s| s.cut(t + 2, 1).samples).unwrap_or_default();
        Ok(self.video.push(rgb, width, &heard)?)
    }

    /// Writes the trailer; the frames written.
    pub(super) fn finish(self) -> Result<u64> {
        Ok(self.video.finish()?)
    }
}
