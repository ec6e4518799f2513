//! Training and evaluation clips: randomised physics scenes and real video files, named with
//! the same source syntax as everywhere else (`scene:bounce`, `file:clip.avi`).

use augur_capture::scene::SceneConfig;
use augur_capture::{FileSpec, Pacing, SessionClock, SourceSpec, VideoSpec, open_video, read_sound};

use crate::ModelError;
use crate::frames::to_model_input;

mod scene;
pub use scene::{scene_clip, scene_clip_staged, scene_sound};

/// Seeds at or above this are never drawn for training; evaluation uses them.
pub const HELD_OUT_SEEDS: u64 = 1 << 40;
/// Longest real clip kept in memory, frames.
const MAX_FILE_FRAMES: usize = 4000;

/// Most bytes of decoded frames (f32 at the model's size) a dataset is held in: 100 two-minute
/// episodes at 64 px would be 18 GB. Later episodes are left out, and its description says so.
const MAX_DATASET_BYTES: usize = 4 << 30;

/// A clip: `len` frames of planar `3 × size × size` f32, one after the other, and its sound
/// when the source has one.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Frame pixels, `len * 3 * size * size` values.
    pub pixels: Vec<f32>,
    /// Number of frames.
    pub len: usize,
    /// What was heard, sample 0 at the start of frame 0's span; `None` for a silent source.
    pub sound: Option<ClipSound>,
}

/// A clip's sound: mono samples, frame `i`'s span from `i / fps` seconds.
#[derive(Clone, Debug)]
pub struct ClipSound {
    /// Mono samples in [-1, 1].
    pub samples: Vec<f32>,
    /// Samples per second.
    pub rate: u32,
    /// The clip's frames per second.
    pub fps: f64,
}

impl ClipSound {
    /// The sound of frames `start..start + len` of a track whose sample 0 is at frame 0's time.
    /// Frame `i` hears the `1 / fps` seconds up to it, as the live view hears a microphone's
    /// last `1 / fps` seconds and a scene the step into a frame, so a clip from frame 0 starts
    /// with a frame of silence; past the track's end is silence too.
    pub fn cut(&self, start: usize, len: usize) -> ClipSound {
        let at = |frame: f64| (frame / self.fps * f64::from(self.rate)).round() as i64;
        let (from, to) = (at(start as f64 - 1.0), at((start + len) as f64 - 1.0));
        let samples = (from..to)
            .map(|n| usize::try_from(n).ok().and_then(|n| self.samples.get(n)).copied().unwrap_or(0.0))
            .collect();
        ClipSound { samples, ..*self }
    }
}

/// Real footage in memory at model size: a video's frames and, when it has a sound track, its
/// sound from the video's start (recordings start both together).
#[derive(Clone, Debug, Default)]
pub struct Reel {
    /// Frames at model size.
    pub frames: Vec<Vec<f32>>,
    /// The whole sound track, `None` for a video without one.
    pub sound: Option<ClipSound>,
}

impl Reel {
    /// Frames without sound.
    pub fn silent(frames: Vec<Vec<f32>>) -> Self {
        Self { frames, sound: None }
    }

    /// Frames `start..start + len` (within the reel) as a clip, with the sound up to each of them.
    pub fn clip(&self, start: usize, len: usize) -> Clip {
        let sound = self.sound.as_ref().map(|s| s.cut(start, len));
        Clip { pixels: self.frames[start..start + len].concat(), len, sound }
    }
}

impl Clip {
    /// Scaled log-mel features of `mels` bins per frame (`len × mels`, frame-major), as the
    /// audio encoder takes them; `None` when the clip is silent or `mels` is 0 (a model without
    /// an audio encoder hears nothing).
    pub fn mels(&self, mels: usize) -> Option<Vec<f32>> {
        Some(self.sound.as_ref().filter(|_| mels > 0)?.mels(self.len, mels))
    }
}

impl ClipSound {
    /// Scaled log-mel features of `mels` bins for each of `frames` frames, frame `i` from the
    /// samples of its span (`i / fps` on), as the audio encoder takes them.
    pub fn mels(&self, frames: usize, mels: usize) -> Vec<f32> {
        crate::audio::frame_features(&self.samples, self.rate, self.fps, frames, mels)
    }
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
    /// A decoded real video (with its sound, if it has any), kept in memory at model size.
    Video {
        /// The name it was given.
        name: String,
        /// Its frames and sound.
        reel: Reel,
    },
    /// Episodes of a recorded dataset (`dataset:dir`, `dataset:dir?episode=3`), each kept in
    /// memory at model size; a clip never spans two episodes.
    Episodes {
        /// The name it was given.
        name: String,
        /// Each episode's frames at model size, and its sound when it was recorded with one.
        episodes: Vec<Reel>,
    },
}

impl ClipSource {
    /// Opens `given` (`scene:…` or `file:…`) for clips of `size × size` pixels.
    pub fn open(given: &str, size: usize) -> Result<Self, ModelError> {
        Self::opened(given, size, false).map(|(source, _)| source)
    }

    /// Opens `given` as [`ClipSource::open`] does, but a file whose sound cannot be decoded is
    /// taken for its pictures alone, with a line saying so, instead of refused: what `eval`
    /// needs to score such a clip (training refuses it, so that what it learned from is said).
    pub fn open_pictures_if_deaf(given: &str, size: usize) -> Result<(Self, Option<String>), ModelError> {
        Self::opened(given, size, true)
    }

    /// [`ClipSource::open`]; with `deaf_ok`, as [`ClipSource::open_pictures_if_deaf`].
    fn opened(given: &str, size: usize, deaf_ok: bool) -> Result<(Self, Option<String>), ModelError> {
        let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
        if let Some(rest) = given.strip_prefix("dataset:") {
            let (episodes, left_out) = decode_dataset(given, rest, size)?;
            let name = match left_out {
                0 => given.to_string(),
                n => format!(
                    "{given} (its first episodes: {n} more left out, past the {} GiB of frames kept in memory)",
                    MAX_DATASET_BYTES >> 30
                ),
            };
            return Ok((Self::Episodes { name, episodes }, None));
        }
        match SourceSpec::video(given).map_err(|e| bad(e.to_string()))? {
            VideoSpec::Scene(cfg) => Ok((Self::scene_at(given, cfg, size)?, None)),
            VideoSpec::File(file) => {
                let (reel, deaf) = decode_reel(given, &file, size, deaf_ok)?;
                Ok((Self::Video { name: given.to_string(), reel }, deaf))
            }
            _ => Err(bad("train and evaluate on scene: or file: sources (record a camera to a file first)".into())),
        }
    }

    /// Opens a `scene:…` source alone. Unlike [`ClipSource::open`] it never reaches ffmpeg, so a
    /// program that opens only scenes (and frames files, [`load_frames`]) does not link it.
    pub fn scene(given: &str, size: usize) -> Result<Self, ModelError> {
        let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
        match SourceSpec::video(given).map_err(|e| bad(e.to_string()))? {
            VideoSpec::Scene(cfg) => Self::scene_at(given, cfg, size),
            _ => Err(bad("expected a scene: source, e.g. scene:bounce".into())),
        }
    }

    /// Scenes drawn for training at the model's size. What every clip draws afresh (seed,
    /// balls, occluder, noise; no violation) and the size cannot be set: given, they would be
    /// ignored without a word, so they are refused, even at their default value (the model's
    /// size is the one size taken).
    fn scene_at(given: &str, cfg: SceneConfig, size: usize) -> Result<Self, ModelError> {
        let named: Vec<&str> = given
            .split_once('?')
            .map(|(_, options)| options.split('&').map(|o| o.split_once('=').map_or(o, |(key, _)| key)).collect())
            .unwrap_or_default();
        let model_size = (cfg.width, cfg.height) == (size as u32, size as u32);
        let set: Vec<&str> = ["seed", "balls", "occluder", "noise", "violation", "size"]
            .into_iter()
            .filter(|key| named.contains(key) && !(*key == "size" && model_size))
            .collect();
        if !set.is_empty() {
            return Err(ModelError::BadData {
                given: given.to_string(),
                why: format!(
                    "training draws seed, balls, occluder and noise afresh for every clip, at the model's size, so \
                     {} would be ignored; drop it (sound, floor, bounce and fps are kept)",
                    set.join(", ")
                ),
            });
        }
        Ok(Self::Scene(SceneConfig { width: size as u32, height: size as u32, realtime: false, ..cfg }))
    }

    /// A short human-readable description.
    pub fn describe(&self) -> String {
        match self {
            Self::Scene(cfg) => {
                let heard = if cfg.sound { ", with sound" } else { "" };
                format!("random {} scenes, {}x{}{heard}", cfg.kind.name(), cfg.width, cfg.height)
            }
            Self::Video { name, reel } => {
                let heard = if reel.sound.is_some() { ", with sound" } else { "" };
                let cut =
                    if reel.frames.len() >= MAX_FILE_FRAMES { ": its first, the most kept in memory" } else { "" };
                format!("{name} ({} frames{cut}{heard})", reel.frames.len())
            }
            Self::Episodes { name, episodes } => {
                let frames = episodes.iter().map(|e| e.frames.len()).sum::<usize>();
                let heard = match episodes.iter().filter(|e| e.sound.is_some()).count() {
                    0 => String::new(),
                    n if n == episodes.len() => ", with sound".into(),
                    n => format!(", {n} with sound"),
                };
                format!("{name} ({} episodes, {frames} frames{heard})", episodes.len())
            }
        }
    }

    /// Whether clips of `len` frames can be drawn from it; the error says why not.
    pub fn check(&self, len: usize) -> Result<(), ModelError> {
        match self {
            Self::Scene(_) => Ok(()),
            Self::Video { name, reel } if reel.frames.len() < len => Err(ModelError::BadData {
                given: name.clone(),
                why: format!("has {} frames, fewer than the {len} a clip needs", reel.frames.len()),
            }),
            Self::Episodes { name, episodes } if episodes.iter().all(|e| e.frames.len() < len) => {
                Err(ModelError::BadData {
                    given: name.clone(),
                    why: format!("no episode has the {len} frames a clip needs"),
                })
            }
            _ => Ok(()),
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
            Self::Video { reel, .. } => {
                self.check(len)?;
                let start = rng.below((reel.frames.len() - len + 1) as u64) as usize;
                Ok(reel.clip(start, len))
            }
            Self::Episodes { name, episodes } => {
                self.check(len)?;
                // Start positions over every episode long enough, so long episodes weigh more.
                let starts: u64 = episodes.iter().map(|e| (e.frames.len() + 1).saturating_sub(len) as u64).sum();
                let mut pick = rng.below(starts);
                for e in episodes {
                    let n = (e.frames.len() + 1).saturating_sub(len) as u64;
                    if pick < n {
                        return Ok(e.clip(pick as usize, len));
                    }
                    pick -= n;
                }
                Err(ModelError::BadData { given: name.clone(), why: "no clip could be drawn".into() })
            }
        }
    }
}

/// Every episode of a dataset (or the one `?episode=N` names), decoded at model size.
fn decode_dataset(given: &str, rest: &str, size: usize) -> Result<(Vec<Reel>, usize), ModelError> {
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
    let ds = augur_dataset::Dataset::open(std::path::Path::new(&augur_capture::unescape_path(dir)))
        .map_err(|e| bad(e.to_string()))?;
    let episodes = ds.episodes().map_err(|e| bad(e.to_string()))?;
    if let Some(n) = only
        && !episodes.iter().any(|e| e.episode_index == n)
    {
        return Err(bad(format!("it has no episode {n} (it has {})", episodes.len())));
    }
    let chosen: Vec<_> = episodes.iter().filter(|e| only.is_none_or(|n| n == e.episode_index)).collect();
    let lengths: Vec<usize> = chosen.iter().map(|e| (e.length as usize).min(MAX_FILE_FRAMES)).collect();
    let kept = episodes_within(&lengths, MAX_DATASET_BYTES / (3 * size * size * 4).max(1));
    let mut out = Vec::new();
    for e in &chosen[..kept] {
        let path = ds.layout.video(e.episode_index).display().to_string();
        let file = FileSpec { path: path.clone(), looping: false, pacing: Pacing::Fast };
        out.push(decode_file(&format!("file:{path}"), &file, size)?);
    }
    if out.is_empty() {
        return Err(bad("it has no finished episodes; record some or run `augur dataset repair`".into()));
    }
    Ok((out, chosen.len() - kept))
}

/// How many of the first episodes (of these frame counts) fit in `budget` frames; at least one.
fn episodes_within(lengths: &[usize], budget: usize) -> usize {
    let mut total = 0;
    let fits = lengths.iter().take_while(|n| {
        total += **n;
        total <= budget
    });
    fits.count().max(lengths.len().min(1))
}

/// Every frame of a video file at model size (up to [`MAX_FILE_FRAMES`]), and its sound over
/// those frames when it has a sound track.
pub fn decode_file(given: &str, file: &FileSpec, size: usize) -> Result<Reel, ModelError> {
    decode_reel(given, file, size, false).map(|(reel, _)| reel)
}

/// [`decode_file`]; with `deaf_ok`, sound that cannot be decoded leaves the pictures alone and
/// says why instead of failing.
fn decode_reel(given: &str, file: &FileSpec, size: usize, deaf_ok: bool) -> Result<(Reel, Option<String>), ModelError> {
    let bad = |why: String| ModelError::BadData { given: given.to_string(), why };
    let spec = VideoSpec::File(FileSpec { looping: false, pacing: Pacing::Fast, ..file.clone() });
    let mut source = open_video(&spec, SessionClock::start()).map_err(|e| bad(e.to_string()))?;
    let fps = source.info().fps;
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
    // Without a frame rate there is no telling which sound goes with which frame.
    if !(fps.is_finite() && fps > 0.0) {
        return Ok((Reel::silent(frames), None));
    }
    let seconds = (frames.len() + 1) as f64 / fps;
    let track = match read_sound(&file.path, seconds) {
        Ok(track) => track,
        Err(e) if deaf_ok => {
            return Ok((
                Reel::silent(frames),
                Some(format!("{given}: its sound cannot be decoded ({}); scored on its pictures alone", e.why())),
            ));
        }
        Err(e) => {
            return Err(bad(format!(
                "its sound cannot be decoded ({}); to train on its pictures alone, drop the sound with `ffmpeg -i IN -an -c:v copy OUT`",
                e.why()
            )));
        }
    };
    let sound = track.map(|t| ClipSound { samples: t.samples, rate: t.rate, fps });
    Ok((Reel { frames, sound }, None))
}

/// `name@weight` → (name, weight) for mixing training data; no `@` followed by a number →
/// weight 1 (so a path may hold an `@`). A negative or non-finite weight is refused.
pub fn parse_weighted(given: &str) -> Result<(String, f32), ModelError> {
    match given.rsplit_once('@').and_then(|(name, w)| w.parse::<f32>().ok().map(|w| (name, w))) {
        Some((_, w)) if !(w.is_finite() && w >= 0.0) => Err(ModelError::BadData {
            given: given.to_string(),
            why: "its data weight must be a non-negative number".into(),
        }),
        Some((name, w)) => Ok((name.to_string(), w)),
        None => Ok((given.to_string(), 1.0)),
    }
}

/// The tensor name in a frames file.
const FRAMES_TENSOR: &str = "frames";

/// Saves a clip's frames (each `3 × size × size` in [0, 1]) as a safetensors file holding one
/// U16 tensor `frames` `[n, 3, size, size]` (value × 65535), so a machine without ffmpeg (a
/// headless GPU box) can train and evaluate on a real clip decoded here. The source path goes
/// in the metadata.
pub fn save_frames(path: &std::path::Path, frames: &[Vec<f32>], size: usize, source: &str) -> Result<(), ModelError> {
    let plane = 3 * size * size;
    if frames.is_empty() || frames.iter().any(|f| f.len() != plane) {
        return Err(ModelError::BadData {
            given: source.to_string(),
            why: format!("frames must be non-empty and each 3 × {size} × {size} values"),
        });
    }
    let bytes: Vec<u8> =
        frames.iter().flatten().flat_map(|v| ((v.clamp(0.0, 1.0) * 65535.0).round() as u16).to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::U16, vec![frames.len(), 3, size, size], &bytes)
        .map_err(|e| ModelError::Device(e.to_string()))?;
    let meta = std::collections::HashMap::from([("source".to_string(), source.to_string())]);
    let out = safetensors::tensor::serialize([(FRAMES_TENSOR, view)], Some(meta))
        .map_err(|e| ModelError::Device(e.to_string()))?;
    std::fs::write(path, out).map_err(ModelError::io("cannot write", path))
}

/// Reads a file [`save_frames`] wrote: `(frames, size, source it was decoded from)`.
pub fn load_frames(path: &std::path::Path) -> Result<(Vec<Vec<f32>>, usize, String), ModelError> {
    let bad = |why: String| ModelError::BadData { given: path.display().to_string(), why };
    let bytes = std::fs::read(path).map_err(ModelError::io("cannot read", path))?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| {
        bad(format!("not a safetensors file ({e}); write one with the export_frames tool built beside augur (`$CARGO_TARGET_DIR/debug/examples/export_frames SIZE OUT file:CLIP`)"))
    })?;
    let source = meta.metadata().as_ref().and_then(|m| m.get("source").cloned()).unwrap_or_default();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let t = tensors.tensor(FRAMES_TENSOR).map_err(|_| bad(format!("it holds no `{FRAMES_TENSOR}` tensor")))?;
    let shape = t.shape();
    let [n, 3, size, side] = shape[..] else {
        return Err(bad(format!("`frames` has shape {shape:?}, not [n, 3, size, size]")));
    };
    if t.dtype() != safetensors::Dtype::U16 || size != side || n == 0 || !matches!(size, 32 | 64 | 128 | 256) {
        return Err(bad(format!("`frames` is {:?} {shape:?}; expected U16 [n, 3, S, S] with S 32–256", t.dtype())));
    }
    let values: Vec<f32> =
        t.data().chunks_exact(2).map(|b| f32::from(u16::from_le_bytes([b[0], b[1]])) / 65535.0).collect();
    Ok((values.chunks(3 * size * size).map(<[f32]>::to_vec).collect(), size, source))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn eval_opens_a_dataset_as_every_episode_not_one_file() {
        // As a source name, a dataset is one episode's video; for eval it is the dataset.
        let why = match ClipSource::open_pictures_if_deaf("dataset:/nonexistent/ds", 64) {
            Ok(_) => panic!("a missing dataset was opened"),
            Err(e) => e.to_string(),
        };
        assert!(why.contains("no meta/info.json"), "opened as a file: {why}");
    }

    #[test]
    fn a_dataset_keeps_the_episodes_that_fit_in_memory() {
        assert_eq!(episodes_within(&[100, 100, 100], 250), 2);
        assert_eq!(episodes_within(&[100, 100, 100], 300), 3);
        // One longer than the whole budget is still taken (it is cut at MAX_FILE_FRAMES).
        assert_eq!(episodes_within(&[500, 100], 250), 1);
        assert_eq!(episodes_within(&[], 250), 0);
        // At 64 px the budget holds some 87 000 frames: 100 two-minute episodes do not fit.
        let budget = MAX_DATASET_BYTES / (3 * 64 * 64 * 4);
        assert_eq!(episodes_within(&[3600; 100], budget), budget / 3600);
    }

    #[test]
    fn training_scenes_refuse_what_every_clip_draws_afresh() {
        let refused = |given: &str| match ClipSource::scene(given, 64) {
            Ok(_) => panic!("{given} was taken"),
            Err(e) => e.to_string(),
        };
        let why = refused("scene:bounce?seed=7&balls=12&noise=0.5");
        assert!(why.contains("seed, balls, noise would be ignored"), "{why}");
        assert!(refused("scene:bounce?size=640x360").contains("size would be ignored"));
        // Named at its default value, a setting is still one the clips do not keep.
        assert!(refused("scene:bounce?seed=0&balls=3&size=320x240").contains("seed, balls, size would be ignored"));
        assert!(refused("scene:bounce?occluder=1&violation=none").contains("occluder, violation would be ignored"));
        for kept in ["scene:bounce", "scene:bounce?sound=1&floor=0.2", "scene:bounce?size=64x64&fps=15"] {
            assert!(ClipSource::scene(kept, 64).is_ok(), "{kept}");
        }
    }

    use super::*;

    /// A long file is cut to what is kept in memory, and the description says so.
    #[test]
    fn a_long_file_says_it_was_cut() {
        let reel = |n: usize| Reel::silent(vec![vec![0.0; 3 * 4 * 4]; n]);
        let long = ClipSource::Video { name: "file:long.mp4".into(), reel: reel(MAX_FILE_FRAMES) };
        assert!(long.describe().contains("4000 frames: its first, the most kept in memory"), "{}", long.describe());
        let short = ClipSource::Video { name: "file:short.mp4".into(), reel: reel(10) };
        assert_eq!(short.describe(), "file:short.mp4 (10 frames)");
    }

    /// A scene with sound gives its clips log-mels that rise where a ball hits something, and
    /// the same pixels as without sound; a muted bounce and a knock are staged where asked.
    #[test]
    fn scene_clips_hear_their_contacts() {
        let cfg = SceneConfig { seed: 11, balls: 1, width: 32, height: 32, realtime: false, ..SceneConfig::default() };
        let heard = SceneConfig { sound: true, ..cfg.clone() };
        let (quiet, loud) = (scene_clip(&cfg, 5, 60).unwrap(), scene_clip(&heard, 5, 60).unwrap());
        assert_eq!(quiet.pixels, loud.pixels);
        assert!(quiet.mels(64).is_none());
        // Heard without drawing: the same samples, at any size (predict's 1080p scene drew
        // 44 GB of frames to throw away); a wide scene's frames are square at its height.
        let only = scene_sound(&heard, 65).unwrap().unwrap();
        assert_eq!(only.samples[..], scene_clip(&heard, 0, 65).unwrap().sound.unwrap().samples[..]);
        let huge = SceneConfig { width: 4096, height: 2048, ..heard.clone() };
        assert!(scene_sound(&huge, 65).unwrap().unwrap().samples.len() >= only.samples.len() / 2);
        assert!(scene_sound(&cfg, 10).unwrap().is_none());
        let wide = SceneConfig { width: 48, ..cfg.clone() };
        assert_eq!(scene_clip(&wide, 0, 2).unwrap().pixels.len(), 2 * 3 * 32 * 32);
        let mels = loud.mels(64).unwrap();
        assert_eq!(mels.len(), 60 * 64);
        let level = |m: &[f32], f: usize| m[f * 64..(f + 1) * 64].iter().sum::<f32>() / 64.0;
        let floor = crate::audio::scale_logmel(crate::audio::LOG_FLOOR);
        // The frames whose step had a contact, from the scene itself.
        let mut scene = augur_capture::scene::Scene::new(&heard).unwrap();
        // Scene frame `f` (after `f` steps) is clip frame `f - 5`.
        let mut sounds = Vec::new();
        let contacts: Vec<usize> = (1..65usize)
            .filter_map(|f| {
                scene.step();
                if f >= 5 && !scene.contacts().is_empty() {
                    sounds.push(scene.contacts().to_vec());
                    return Some(f - 5);
                }
                None
            })
            .collect();
        assert!(!contacts.is_empty(), "the ball hit something in 60 frames");
        for &f in &contacts {
            assert!(level(&mels, f) > floor + 0.3, "frame {f} heard its contact: {}", level(&mels, f));
        }
        let silent: Vec<usize> = (1..60usize).filter(|f| contacts.iter().all(|c| f.abs_diff(*c) > 8)).collect();
        assert!(!silent.is_empty());
        for &f in &silent {
            assert!((level(&mels, f) - floor).abs() < 0.05, "frame {f} is silent: {}", level(&mels, f));
        }
        // The first contact muted, and a knock on a silent frame: the one quiet, the other heard.
        let (first, knock) = (contacts[0], silent[0]);
        let staged = scene_clip_staged(&heard, 5, 60, |scene, i| {
            scene.set_muted(i >= first && i <= first + 1);
            if i == knock {
                scene.knock(&sounds[0]);
            }
        })
        .unwrap()
        .mels(64)
        .unwrap();
        assert!((level(&staged, first) - floor).abs() < 0.05, "the muted bounce is silent");
        assert!(level(&staged, knock) > floor + 0.3, "the knock is heard");
        // (A log-mel window late in the frame before an event hears its first milliseconds.)
        let before = first.min(knock).saturating_sub(1) * 64;
        assert_eq!(staged[..before], mels[..before], "nothing changes before what was staged");
    }

    #[test]
    fn a_cut_of_a_track_hears_up_to_each_frame() {
        // 10 samples per frame; sample n holds n + 1, so silence (0) is told apart.
        let track = ClipSound { samples: (1..=50).map(|n| n as f32).collect(), rate: 300, fps: 30.0 };
        let first = track.cut(0, 2);
        assert_eq!(first.samples.len(), 20);
        assert!(first.samples[..10].iter().all(|v| *v == 0.0), "nothing before frame 0");
        assert_eq!(first.samples[10], 1.0, "frame 1 hears the track's first tenth of a frame step");
        assert_eq!(track.cut(3, 2).samples, (21..=40).map(|n| n as f32).collect::<Vec<_>>());
        let end = track.cut(4, 3).samples;
        assert_eq!((end.len(), end[19], end[20]), (30, 50.0, 0.0), "past the end is silence");
    }

    /// A recording's sound stays with its frames: a tone heard between frames 20 and 21 lights
    /// frame 21's log-mels (what the audio token hears up to that frame), in a clip from the
    /// start and in one from frame 15.
    #[test]
    fn a_video_with_sound_gives_clips_that_hear_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heard.mp4");
        let (fps, rate, frames) = (30u32, 16_000u32, 60usize);
        let audio = Some(augur_capture::RecordAudio { sample_rate: rate });
        let mut writer =
            augur_capture::RecordingWriter::create(&path, 64, 64, fps, augur_capture::VideoCodec::H264, audio).unwrap();
        let step = (rate / fps) as usize;
        for k in 0..frames {
            writer.push_rgb(&vec![(k * 4) as u8; 64 * 64 * 3], 64).unwrap();
            let tone = |n: usize| 0.5 * (std::f32::consts::TAU * 1000.0 * (k * step + n) as f32 / rate as f32).sin();
            let block: Vec<f32> = (0..step).map(|n| if k == 20 { tone(n) } else { 0.0 }).collect();
            writer.push_audio(&block).unwrap();
        }
        writer.finish().unwrap();
        let given = format!("file:{}", path.display());
        let source = ClipSource::open(&given, 32).unwrap();
        assert!(source.describe().ends_with("(60 frames, with sound)"), "{}", source.describe());
        let ClipSource::Video { reel, .. } = source else { panic!("a file opens as a video") };
        let level = |m: &[f32], f: usize| m[f * 64..(f + 1) * 64].iter().sum::<f32>() / 64.0;
        for (start, loud) in [(0, 21), (15, 6)] {
            let mels = reel.clip(start, 40).mels(64).unwrap();
            let levels: Vec<f32> = (0..40).map(|f| level(&mels, f)).collect();
            let peak = (0..40).max_by(|a, b| levels[*a].total_cmp(&levels[*b])).unwrap();
            assert_eq!(peak, loud, "from frame {start} at {:?} fps: {levels:?}", reel.sound.as_ref().map(|s| s.fps));
            let quiet = levels[loud + 4].max(levels[loud - 4]);
            assert!(levels[loud] > quiet + 0.3, "from frame {start}: {levels:?}");
        }
        // A video without sound stays silent.
        let silent = dir.path().join("silent.mp4");
        let mut writer =
            augur_capture::RecordingWriter::create(&silent, 64, 64, fps, augur_capture::VideoCodec::H264, None)
                .unwrap();
        (0..10).for_each(|k| writer.push_rgb(&vec![k as u8; 64 * 64 * 3], 64).unwrap());
        writer.finish().unwrap();
        let source = ClipSource::open(&format!("file:{}", silent.display()), 32).unwrap();
        assert!(matches!(&source, ClipSource::Video { reel, .. } if reel.sound.is_none()), "{}", source.describe());
    }

    /// A video whose sound track no decoder reads (`tests/fixtures/README.md`) is refused with
    /// the command that drops its sound, and that command works.
    #[test]
    fn a_video_with_undecodable_sound_is_refused_with_the_fix() {
        let odd = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/undecodable-sound.avi");
        let why = ClipSource::open(&format!("file:{odd}"), 32).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(why.contains("its sound cannot be decoded (no decoder for its audio codec"), "{why}");
        assert!(why.contains("ffmpeg -i IN -an -c:v copy OUT") && !why.contains("WAV"), "{why}");
        let dir = tempfile::tempdir().unwrap();
        let fixed = dir.path().join("fixed.avi");
        let ok = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-i", odd, "-an", "-c:v", "copy"])
            .arg(&fixed)
            .status()
            .unwrap();
        assert!(ok.success());
        let source = ClipSource::open(&format!("file:{}", fixed.display()), 32).unwrap();
        assert!(
            matches!(&source, ClipSource::Video { reel, .. } if reel.sound.is_none() && reel.frames.len() == 10),
            "{}",
            source.describe()
        );
    }

    #[test]
    fn frames_files_round_trip_and_refuse_what_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.safetensors");
        let frames: Vec<Vec<f32>> =
            (0..3).map(|i| (0..3 * 32 * 32).map(|j| ((i * 7 + j) % 256) as f32 / 255.0).collect()).collect();
        save_frames(&path, &frames, 32, "file:clip.mp4").unwrap();
        let (back, size, source) = load_frames(&path).unwrap();
        assert_eq!((size, source.as_str(), back.len()), (32, "file:clip.mp4", 3));
        let worst = crate::metrics::max_abs_diff(&frames.concat(), &back.concat());
        assert!(worst < 1e-5, "{worst}");

        assert!(save_frames(&path, &[vec![0.0; 5]], 32, "x").is_err());
        std::fs::write(&path, b"not a safetensors file").unwrap();
        let why = load_frames(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(why.contains("not a safetensors file"), "{why}");
        assert!(load_frames(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn data_weights_parse_and_a_negative_one_is_refused() {
        assert_eq!(parse_weighted("scene:bounce@0.8").unwrap(), ("scene:bounce".to_string(), 0.8));
        assert_eq!(parse_weighted("file:a@b.mp4").unwrap(), ("file:a@b.mp4".to_string(), 1.0));
        let why = parse_weighted("scene:bounce@-1").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(why.contains("non-negative"), "{why}");
    }

    #[test]
    fn scene_opens_scenes_only() {
        assert!(matches!(ClipSource::scene("scene:bounce", 32), Ok(ClipSource::Scene(c)) if c.width == 32));
        assert!(ClipSource::scene("file:clip.mp4", 32).is_err());
    }
}
