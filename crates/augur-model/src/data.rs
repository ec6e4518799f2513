//! Training and evaluation clips: randomised physics scenes and real video files, named with
//! the same source syntax as everywhere else (`scene:bounce`, `file:clip.avi`).

use augur_capture::scene::{Scene, SceneConfig};
use augur_capture::{FileSpec, Pacing, SessionClock, SourceSpec, VideoSpec, open_video};

use crate::ModelError;
use crate::frames::to_model_input;

/// Seeds at or above this are never drawn for training; evaluation uses them.
pub const HELD_OUT_SEEDS: u64 = 1 << 40;
/// Longest real clip kept in memory, frames.
const MAX_FILE_FRAMES: usize = 4000;

/// A clip: `len` frames of planar `3 × size × size` f32, one after the other.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Frame pixels, `len * 3 * size * size` values.
    pub pixels: Vec<f32>,
    /// Number of frames.
    pub len: usize,
}

/// A small deterministic generator (SplitMix64), so training runs are reproducible from a seed.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// One source of clips.
#[derive(Debug)]
pub enum ClipSource {
    /// Physics scenes; each clip a fresh random scene drawn around this template.
    Scene(SceneConfig),
    /// A decoded real video, kept in memory at model size.
    Video {
        /// The name it was given.
        name: String,
        /// Frames at model size.
        frames: Vec<Vec<f32>>,
    },
}

impl ClipSource {
    /// Opens `given` (`scene:…` or `file:…`) for clips of `size × size` pixels.
    pub fn open(given: &str, size: usize) -> Result<Self, ModelError> {
        let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
        match SourceSpec::video(given).map_err(|e| bad(e.to_string()))? {
            VideoSpec::Scene(cfg) => {
                Ok(Self::Scene(SceneConfig { width: size as u32, height: size as u32, realtime: false, ..cfg }))
            }
            VideoSpec::File(file) => {
                Ok(Self::Video { name: given.to_string(), frames: decode_file(given, &file, size)? })
            }
            _ => Err(bad("train and evaluate on scene: or file: sources (record a camera to a file first)".into())),
        }
    }

    /// A short human-readable description.
    pub fn describe(&self) -> String {
        match self {
            Self::Scene(cfg) => format!("random {} scenes, {}x{}", cfg.kind.name(), cfg.width, cfg.height),
            Self::Video { name, frames } => format!("{name} ({} frames)", frames.len()),
        }
    }

    /// A random clip of `len` frames. Scenes draw seed, ball count (1–3), occluder and noise;
    /// videos draw a start frame.
    pub fn sample(&self, len: usize, rng: &mut Rng) -> Result<Clip, ModelError> {
        match self {
            Self::Scene(template) => {
                let cfg = SceneConfig {
                    seed: rng.below(HELD_OUT_SEEDS),
                    balls: 1 + rng.below(3) as u32,
                    occluder: rng.below(2) == 0,
                    noise: 0.03 * rng.unit(),
                    violation: None,
                    ..template.clone()
                };
                scene_clip(&cfg, rng.below(90) as usize, len)
            }
            Self::Video { name, frames } => {
                if frames.len() < len {
                    return Err(ModelError::BadData {
                        given: name.clone(),
                        why: format!("has {} frames, fewer than the {len} a clip needs", frames.len()),
                    });
                }
                let start = rng.below((frames.len() - len + 1) as u64) as usize;
                Ok(Clip { pixels: frames[start..start + len].concat(), len })
            }
        }
    }
}

/// `len` frames of the scene `cfg` after skipping `skip` frames.
pub fn scene_clip(cfg: &SceneConfig, skip: usize, len: usize) -> Result<Clip, ModelError> {
    let given = || format!("scene seed {}", cfg.seed);
    let mut scene = Scene::new(cfg).map_err(|e| ModelError::BadData { given: given(), why: e.to_string() })?;
    for _ in 0..skip {
        scene.step();
    }
    let (w, h) = (cfg.width as usize, cfg.height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let mut pixels = Vec::with_capacity(len * 3 * w * w);
    for _ in 0..len {
        scene.render_into(&mut rgb);
        pixels.extend(to_model_input(&rgb, w, h, w.min(h)));
        scene.step();
    }
    Ok(Clip { pixels, len })
}

/// Every frame of a video file at model size (up to [`MAX_FILE_FRAMES`]).
pub fn decode_file(given: &str, file: &FileSpec, size: usize) -> Result<Vec<Vec<f32>>, ModelError> {
    let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
    let spec = VideoSpec::File(FileSpec { looping: false, pacing: Pacing::Fast, ..file.clone() });
    let mut source = open_video(&spec, SessionClock::start()).map_err(|e| bad(e.to_string()))?;
    let mut frames = Vec::new();
    while frames.len() < MAX_FILE_FRAMES {
        match source.next_frame().map_err(|e| bad(e.to_string()))? {
            Some(f) => frames.push(to_model_input(&f.rgb, f.width as usize, f.height as usize, size)),
            None => break,
        }
    }
    if frames.is_empty() {
        return Err(bad("no frames could be decoded".into()));
    }
    Ok(frames)
}
