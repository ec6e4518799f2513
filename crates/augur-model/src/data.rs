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
    /// Episodes of a recorded dataset (`dataset:dir`, `dataset:dir?episode=3`), each kept in
    /// memory at model size; a clip never spans two episodes.
    Episodes {
        /// The name it was given.
        name: String,
        /// Each episode's frames at model size.
        episodes: Vec<Vec<Vec<f32>>>,
    },
}

impl ClipSource {
    /// Opens `given` (`scene:…` or `file:…`) for clips of `size × size` pixels.
    pub fn open(given: &str, size: usize) -> Result<Self, ModelError> {
        let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
        if let Some(rest) = given.strip_prefix("dataset:") {
            return Ok(Self::Episodes { name: given.to_string(), episodes: decode_dataset(given, rest, size)? });
        }
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
            Self::Episodes { name, episodes } => {
                format!("{name} ({} episodes, {} frames)", episodes.len(), episodes.iter().map(Vec::len).sum::<usize>())
            }
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
            Self::Episodes { name, episodes } => {
                // Start positions over every episode long enough, so long episodes weigh more.
                let starts: u64 = episodes.iter().map(|e| (e.len() + 1).saturating_sub(len) as u64).sum();
                if starts == 0 {
                    return Err(ModelError::BadData {
                        given: name.clone(),
                        why: format!("no episode has the {len} frames a clip needs"),
                    });
                }
                let mut pick = rng.below(starts);
                for e in episodes {
                    let n = (e.len() + 1).saturating_sub(len) as u64;
                    if pick < n {
                        let start = pick as usize;
                        return Ok(Clip { pixels: e[start..start + len].concat(), len });
                    }
                    pick -= n;
                }
                Err(ModelError::BadData { given: name.clone(), why: "no clip could be drawn".into() })
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

/// Every episode of a dataset (or the one `?episode=N` names), decoded at model size.
fn decode_dataset(given: &str, rest: &str, size: usize) -> Result<Vec<Vec<Vec<f32>>>, ModelError> {
    let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
    let (dir, query) = rest.split_once('?').map_or((rest, None), |(d, q)| (d, Some(q)));
    let only = match query {
        None => None,
        Some(q) => Some(
            q.strip_prefix("episode=")
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| bad(format!("the only option is ?episode=N, got ?{q}")))?,
        ),
    };
    let ds = augur_dataset::Dataset::open(std::path::Path::new(dir)).map_err(|e| bad(e.to_string()))?;
    let episodes = ds.episodes().map_err(|e| bad(e.to_string()))?;
    if let Some(n) = only
        && !episodes.iter().any(|e| e.episode_index == n)
    {
        return Err(bad(format!("it has no episode {n} (it has {})", episodes.len())));
    }
    let mut out = Vec::new();
    for e in episodes.iter().filter(|e| only.is_none_or(|n| n == e.episode_index)) {
        let path = ds.layout.video(e.episode_index).display().to_string();
        let file = FileSpec { path: path.clone(), looping: false, pacing: Pacing::Fast };
        out.push(decode_file(&format!("file:{path}"), &file, size)?);
    }
    if out.is_empty() {
        return Err(bad("it has no finished episodes; record some or run `augur dataset repair`".into()));
    }
    Ok(out)
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
