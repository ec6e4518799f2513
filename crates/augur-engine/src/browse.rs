//! What the dataset browser shows of an episode: a thumbnail, and the model's surprise over
//! the whole episode (the same latent surprise as the live view, frame by frame).

use std::path::Path;

use augur_capture::{FileSpec, Pacing, SessionClock, VideoSpec, open_video};
use augur_model::frames::to_model_input;
use augur_model::{DeviceChoice, pick_device};

use crate::EngineError;

/// Frames whose surprise is computed at most (a minute at 30 fps): the curve stays quick.
pub const MAX_SURPRISE_FRAMES: usize = 1800;
/// Windows evaluated per batch, which bounds memory whatever the episode's length.
const WINDOWS_PER_BATCH: usize = 96;

fn open(video: &Path) -> Result<augur_capture::VideoSourceBox, EngineError> {
    let spec = VideoSpec::File(FileSpec { path: video.display().to_string(), looping: false, pacing: Pacing::Fast });
    Ok(open_video(&spec, SessionClock::start())?)
}

/// The video's first frame scaled to `width` pixels across (aspect kept): `(w, h, rgb)`.
pub fn thumbnail(video: &Path, width: u32) -> Result<(u32, u32, Vec<u8>), EngineError> {
    let mut source = open(video)?;
    let frame = source.next_frame()?.ok_or_else(|| EngineError::Usage(format!("{} has no frames", video.display())))?;
    let w = width.clamp(8, 640).min(frame.width);
    let h = ((u64::from(frame.height) * u64::from(w) / u64::from(frame.width.max(1))) as u32).max(1);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let sy = (u64::from(y) * u64::from(frame.height) / u64::from(h)) as usize;
        for x in 0..w {
            let sx = (u64::from(x) * u64::from(frame.width) / u64::from(w)) as usize;
            let i = (sy * frame.width as usize + sx) * 3;
            rgb.extend_from_slice(frame.rgb.get(i..i + 3).unwrap_or(&[0, 0, 0]));
        }
    }
    Ok((w, h, rgb))
}

/// An episode's surprise curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EpisodeSurprise {
    /// The frame the first value belongs to (the model needs `context` frames first).
    pub first_frame: usize,
    /// Latent surprise per frame from `first_frame` on.
    pub values: Vec<f32>,
    /// Whether the episode was longer than [`MAX_SURPRISE_FRAMES`] and the curve stops there.
    pub truncated: bool,
    /// The model that judged it.
    pub model: String,
}

/// The surprise of every frame of `video` under the model at `model`, computed in batches.
pub fn episode_surprise(video: &Path, model: &Path, device: &DeviceChoice) -> Result<EpisodeSurprise, EngineError> {
    let device = pick_device(device)?;
    let (world, card) = augur_model::checkpoint::load(model, &device.device)?;
    let (size, context) = (card.config.image_size, card.config.context);
    let mut source = open(video)?;
    // A model that hears hears the episode's own sound, as it does when the episode plays live
    // (one whose sound cannot be read is scored on its pictures, as it is live).
    let (mels, fps) = (card.config.audio_mels, source.info().fps);
    let sound = (mels > 0 && fps.is_finite() && fps > 0.0)
        .then(|| augur_capture::read_sound(&video.display().to_string(), (MAX_SURPRISE_FRAMES + 1) as f64 / fps))
        .and_then(|read| read.ok().flatten())
        .map(|t| augur_model::data::ClipSound { samples: t.samples, rate: t.rate, fps });
    let mut frames: Vec<Vec<f32>> = Vec::new();
    let mut values = Vec::new();
    let mut seen = 0;
    let mut truncated = false;
    loop {
        let frame = source.next_frame()?;
        if let Some(f) = &frame {
            if seen == MAX_SURPRISE_FRAMES {
                truncated = true;
            } else {
                frames.push(to_model_input(&f.rgb, f.width as usize, f.height as usize, size));
                seen += 1;
            }
        }
        let end = frame.is_none() || truncated;
        if frames.len() == context + WINDOWS_PER_BATCH || (end && frames.len() > context) {
            let clip: Vec<f32> = frames.concat();
            let heard = sound.as_ref().map(|s| s.cut(seen - frames.len(), frames.len()).mels(frames.len(), mels));
            let trace = augur_model::eval::surprise_trace(
                &world,
                &clip,
                heard.as_deref(),
                frames.len(),
                context,
                size,
                &device.device,
            )?;
            values.extend(trace.latent);
            // The last `context` frames are the next batch's context.
            frames.drain(..frames.len() - context);
        }
        if end {
            break;
        }
    }
    Ok(EpisodeSurprise { first_frame: context, values, truncated, model: card.name })
}
