//! Clips drawn from the physics scene, with its sound: what training, evaluation and
//! `predict` take from a scene.

use augur_capture::scene::{SOUND_RATE, Scene, SceneConfig};

use super::{Clip, ClipSound};
use crate::ModelError;
use crate::frames::to_model_input;

/// `len` frames of the scene `cfg` after skipping `skip` frames, with its sound when the
/// scene has sound.
pub fn scene_clip(cfg: &SceneConfig, skip: usize, len: usize) -> Result<Clip, ModelError> {
    scene_clip_staged(cfg, skip, len, |_, _| {})
}

/// [`scene_clip`], calling `stage(scene, i)` before the step into clip frame `i` (for `i` in
/// `1..len`): a violation-of-expectation test mutes a bounce or knocks there.
pub fn scene_clip_staged(
    cfg: &SceneConfig,
    skip: usize,
    len: usize,
    mut stage: impl FnMut(&mut Scene, usize),
) -> Result<Clip, ModelError> {
    let mut scene = open_scene(cfg)?;
    for _ in 0..skip {
        scene.step();
    }
    let (w, h) = (cfg.width as usize, cfg.height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let side = w.min(h);
    let mut pixels = Vec::with_capacity(len * 3 * side * side);
    let mut samples = Vec::new();
    for i in 0..len {
        scene.render_into(&mut rgb);
        pixels.extend(to_model_input(&rgb, w, h, side));
        if cfg.sound {
            hear_step(&scene, cfg.fps, &mut samples);
        }
        if i + 1 < len {
            stage(&mut scene, i + 1);
        }
        scene.step();
    }
    let sound = cfg.sound.then_some(ClipSound { samples, rate: SOUND_RATE, fps: cfg.fps });
    Ok(Clip { pixels, len, sound })
}

/// The sound of a scene's first `len` frames as [`scene_clip`] hears them, without drawing
/// them: `predict` hears a scene it draws itself, at any size; `None` for a silent scene.
pub fn scene_sound(cfg: &SceneConfig, len: usize) -> Result<Option<ClipSound>, ModelError> {
    if !cfg.sound {
        return Ok(None);
    }
    let mut scene = open_scene(cfg)?;
    let mut samples = Vec::new();
    for _ in 0..len {
        hear_step(&scene, cfg.fps, &mut samples);
        scene.step();
    }
    Ok(Some(ClipSound { samples, rate: SOUND_RATE, fps: cfg.fps }))
}

/// The scene `cfg` at its first frame.
fn open_scene(cfg: &SceneConfig) -> Result<Scene, ModelError> {
    Scene::new(cfg).map_err(|e| ModelError::BadData { given: format!("scene seed {}", cfg.seed), why: e.to_string() })
}

/// Adds the sound of the scene's newest step to `samples`. Frame 0 of a scene has no sound
/// before it: silence of a step's length keeps every later frame's sound at its own time.
fn hear_step(scene: &Scene, fps: f64, samples: &mut Vec<f32>) {
    match scene.sound() {
        [] => samples.resize(samples.len() + samples_per_frame(fps), 0.0),
        heard => samples.extend_from_slice(heard),
    }
}

/// Samples in one frame step of a scene's sound (rounded up, as the scene renders them).
fn samples_per_frame(fps: f64) -> usize {
    (f64::from(SOUND_RATE) / fps).ceil() as usize
}
