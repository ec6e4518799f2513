//! Evaluation: per-horizon pixel MSE / PSNR / SSIM against the copy-last-frame baseline and
//! latent error on held-out scenes and real clips, and violation-of-expectation accuracy on
//! possible/impossible scene pairs.

use augur_capture::scene::SceneConfig;
use burn::tensor::{Device, Tensor};
use serde::Serialize;

use crate::data::{Clip, HELD_OUT_SEEDS, scene_clip};
use crate::fade::{blend_weight, fade_steps, per_step};
use crate::frames::clips_tensor;
use crate::metrics::{mse, psnr, ssim};
use crate::{ModelConfig, ModelError, WorldModel};

mod filmstrip;
mod probe;
mod report;
mod voe;

pub use filmstrip::rollout_filmstrip;
pub use probe::{ProbeReport, ProbeRow, ball_probe};
pub use report::{Footage, Plan, Report, Scores, evaluate, markdown, write_report};

pub use voe::{
    Balanced, Quadruplet, SOLIDITY_FLOORS, VIOLATION_AT, VoeReport, continuity_quadruplet, permanence_quadruplet,
    solidity_quadruplet, voe, voe_clip_len, voe_pair,
};

/// One horizon step of a prediction table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepRow {
    /// Steps ahead, 1..=H.
    pub step: usize,
    /// Model pixel MSE.
    pub mse: f64,
    /// Copy-last-frame pixel MSE.
    pub copy_mse: f64,
    /// Model PSNR (dB, mean over clips).
    pub psnr: f64,
    /// Copy-last-frame PSNR.
    pub copy_psnr: f64,
    /// Model SSIM.
    pub ssim: f64,
    /// Copy-last-frame SSIM.
    pub copy_ssim: f64,
    /// Latent prediction error (MSE against the target encoder).
    pub latent_error: f64,
    /// The same error for "nothing changes" in latent space: the target encoder's latents of
    /// the last observed frame against those of the real frame. Below it, the predictor knows
    /// something about the future; at h1 especially, above it, it does not.
    pub copy_latent_error: f64,
    /// Pixel MSE of the decoder drawing the target encoder's latents of the real frame, from
    /// the same last observed frame, unfaded: what a perfect predictor would show with this
    /// decoder, so `mse` against it splits the error between predictor and decoder.
    pub truth_decoded_mse: f64,
    /// Share of the predicted frame the decoder painted (its mean compositing mask); the rest
    /// is the last observed frame, kept or moved. `None` for a decoder that paints everything.
    pub painted: Option<f64>,
}

/// Model vs copy-last-frame per horizon step on a set of clips.
#[derive(Clone, Debug, Serialize)]
pub struct HorizonTable {
    /// What the clips are.
    pub data: String,
    /// How many clips.
    pub clips: usize,
    /// One row per step ahead.
    pub rows: Vec<StepRow>,
}

/// Rolls the model out `horizon` steps after the context of each clip and scores the
/// predicted frames, as the live view shows them (faded by what earlier rollouts earned, when
/// the config asks for that). `clips`: each `(lead + context + horizon) × 3 × S × S` values,
/// all of one length: the last `context + horizon` frames are scored, and the `lead` frames
/// before them give the rollouts that fading judges (a step k with `lead < k` is judged by a
/// rollout with a shorter context, or takes a shorter step's weight, as at the start of a stream).
/// `heard`: each clip's scaled log-mels (`len × audio_mels`) when the clips have sound; the
/// encoders then hear what was heard, as the live view hears its microphone.
pub fn horizon_table(
    model: &WorldModel,
    cfg: &ModelConfig,
    data: &str,
    clips: &[Vec<f32>],
    heard: Option<&[Vec<f32>]>,
    horizon: usize,
    device: &Device,
) -> Result<HorizonTable, ModelError> {
    let (context, size) = (cfg.context, cfg.image_size);
    let frame = 3 * size * size;
    let len = clips.first().map_or(0, |c| c.len() / frame);
    if len < context + horizon || clips.iter().any(|c| c.len() != len * frame) {
        let needs = context + horizon;
        let why = if clips.is_empty() {
            format!("no clips to score; each needs at least {needs} frames (context and horizon)")
        } else {
            format!("the clips differ in length or hold fewer than {needs} whole frames (context and horizon)")
        };
        return Err(ModelError::BadData { given: data.to_string(), why });
    }
    if heard.is_some_and(|h| h.len() != clips.len() || h.iter().any(|m| m.len() != len * model.online.mels())) {
        let why = format!("each clip's sound must be {len} frames of {} log-mel bins", model.online.mels());
        return Err(ModelError::BadData { given: data.to_string(), why });
    }
    let lead = len - context - horizon;
    let mut rows: Vec<StepRow> = (1..=horizon).map(|step| StepRow { step, ..Default::default() }).collect();
    for (n, chunk) in clips.chunks(8).enumerate() {
        let b = chunk.len();
        let frames = batch(chunk.iter().map(Vec::as_slice), len, size, device);
        let mels = heard.map(|h| crate::audio::features_tensor(h[n * 8..n * 8 + b].concat(), b, len, device));
        let at = |from: usize, count: usize| mels.clone().map(|m| m.narrow(1, from, count));
        let seen = model.online.forward(frames.clone().narrow(1, 0, lead + context), at(0, lead + context));
        let ctx = seen.clone().narrow(1, lead, context);
        let last = lead + context - 1;
        let anchor = frames.clone().narrow(1, last, 1).reshape([b, 3, size, size]);
        // The target's latents of the last context frame and of the frames to predict, in one
        // pass: the truth, "nothing changes", and the anchor tokens both drawings need.
        let known = model.target.forward(frames.clone().narrow(1, last, 1 + horizon), at(last, 1 + horizon));
        let truth = known.clone().narrow(1, 1, horizon);
        let before = known.narrow(1, 0, 1);
        let copy_latent = read(WorldModel::surprise(before.clone().repeat_dim(1, horizon), truth.clone()))?;
        let [_, _, m, d] = before.dims();
        let before = before.reshape([b, m, d]);
        let weights = if cfg.fades() {
            earned(model, &frames, &seen, chunk, [lead, context, horizon], size)?
        } else {
            vec![vec![1.0; horizon]; b]
        };
        let future = model.rollout(ctx, None, horizon);
        let latent = WorldModel::surprise(future.clone(), truth.clone());
        let latent = read(latent.reshape([b * horizon]))?;
        let ceiling = model.decode_after(truth, anchor.clone(), Some(before.clone()));
        let ceiling = read(ceiling.reshape([b * horizon * frame]))?;
        let drawn = model.draw_after(future, anchor, Some(before));
        let mut predicted = read(drawn.pixels.reshape([b * horizon * frame]))?;
        for (i, clip) in chunk.iter().enumerate() {
            let seen_last = &clip[last * frame..(last + 1) * frame];
            fade_steps(&mut predicted[i * horizon * frame..(i + 1) * horizon * frame], seen_last, &weights[i]);
        }
        // Per clip and step: the mean of the mask over the frame, times the weight kept.
        let painted = match drawn.mask {
            Some(m) => Some(read(m.reshape([b * horizon, size * size]).mean_dim(1).reshape([b * horizon]))?),
            None => None,
        };
        let painted = painted
            .map(|p| p.iter().enumerate().map(|(i, v)| v * weights[i / horizon][i % horizon]).collect::<Vec<_>>());
        for (i, clip) in chunk.iter().enumerate() {
            let last = &clip[last * frame..(last + 1) * frame];
            for h in 0..horizon {
                let actual = &clip[(lead + context + h) * frame..][..frame];
                let guess = &predicted[(i * horizon + h) * frame..][..frame];
                let row = &mut rows[h];
                let (m, c) = (mse(guess, actual), mse(last, actual));
                row.mse += m;
                row.copy_mse += c;
                row.psnr += psnr(m);
                row.copy_psnr += psnr(c);
                row.ssim += ssim(guess, actual, size);
                row.copy_ssim += ssim(last, actual, size);
                row.latent_error += f64::from(latent[i * horizon + h]);
                row.copy_latent_error += f64::from(copy_latent[i * horizon + h]);
                row.truth_decoded_mse += mse(&ceiling[(i * horizon + h) * frame..][..frame], actual);
                if let Some(p) = &painted {
                    *row.painted.get_or_insert(0.0) += f64::from(p[i * horizon + h]);
                }
            }
        }
    }
    let n = clips.len().max(1) as f64;
    for row in &mut rows {
        for v in [
            &mut row.mse,
            &mut row.copy_mse,
            &mut row.psnr,
            &mut row.copy_psnr,
            &mut row.ssim,
            &mut row.copy_ssim,
            &mut row.latent_error,
            &mut row.copy_latent_error,
            &mut row.truth_decoded_mse,
        ] {
            *v /= n;
        }
        if let Some(p) = &mut row.painted {
            *p /= n;
        }
    }
    Ok(HorizonTable { data: data.to_string(), clips: clips.len(), rows })
}

/// Fading weights per clip and step (`[lead, context, horizon]`): step k is judged by the
/// rollout drawn k frames before the last context frame, with as much context as the clip
/// holds there, on how much of its k-th frame's change that last frame kept.
fn earned(
    model: &WorldModel,
    frames: &Tensor<5>,
    seen: &Tensor<4>,
    clips: &[Vec<f32>],
    [lead, context, horizon]: [usize; 3],
    size: usize,
) -> Result<Vec<Vec<f32>>, ModelError> {
    let (b, frame, last) = (clips.len(), 3 * size * size, lead + context - 1);
    let mut measured = vec![Vec::with_capacity(horizon); b];
    for k in 1..=horizon.min(last) {
        let base = last - k;
        let start = (base + 1).saturating_sub(context);
        let future = model.rollout(seen.clone().narrow(1, start, base + 1 - start), None, k).narrow(1, k - 1, 1);
        let under = frames.clone().narrow(1, base, 1).reshape([b, 3, size, size]);
        let drawn = read(model.decode(future, under).reshape([b * frame]))?;
        for (i, clip) in clips.iter().enumerate() {
            let at = |t: usize| &clip[t * frame..(t + 1) * frame];
            measured[i].push(Some(blend_weight(&drawn[i * frame..][..frame], at(base), at(last))));
        }
    }
    Ok(measured.iter().map(|m| per_step(m, horizon)).collect())
}

/// Held-out scene clips (seeds from [`HELD_OUT_SEEDS`] on) of `lead.min(10) + len` frames:
/// the last `len` frames are the same whatever the lead, so tables with and without fading
/// (which judges by the lead) score the same frames.
pub fn held_out_scenes(count: usize, lead: usize, len: usize, size: usize) -> Result<Vec<Vec<f32>>, ModelError> {
    let lead = lead.min(10);
    (0..count)
        .map(|i| {
            let cfg = held_out_scene(HELD_OUT_SEEDS + i as u64, size, 1 + (i % 3) as u32, i % 2 == 0);
            scene_clip(&cfg, 10 + (i * 7) % 60 - lead, lead + len).map(|c| c.pixels)
        })
        .collect()
}

/// Clips of `len` frames of `3 × size × size` values each, as one `[clips, len, 3, size, size]`
/// batch on `device`.
fn batch<'a>(clips: impl Iterator<Item = &'a [f32]>, len: usize, size: usize, device: &Device) -> Tensor<5> {
    clips_tensor(clips.flat_map(|c| c.iter().copied()).collect(), len, size, device)
}

/// An evaluation scene: `seed` (from [`HELD_OUT_SEEDS`] on), `size`² pixels, `balls`, with or
/// without the occluder, a little sensor noise, rendered as fast as it can be.
fn held_out_scene(seed: u64, size: usize, balls: u32, occluder: bool) -> SceneConfig {
    SceneConfig {
        seed,
        width: size as u32,
        height: size as u32,
        balls,
        occluder,
        noise: 0.01,
        realtime: false,
        ..SceneConfig::default()
    }
}

/// Where `count` windows of `len` frames start in a real clip of `frames` frames, spread
/// evenly from the first frame to the last window that fits.
pub fn window_starts(frames: usize, len: usize, count: usize) -> Vec<usize> {
    if frames < len || count == 0 {
        return Vec::new();
    }
    let span = frames - len;
    (0..count).map(|i| span * i / count.max(2).saturating_sub(1).max(1)).collect()
}

/// Surprise of every frame after the first `context`: latent error of the one-step prediction
/// and pixel error of its decoding, plus the copy-last-frame pixel change.
pub struct Trace {
    /// Latent surprise, one per frame from `context` on.
    pub latent: Vec<f32>,
    /// Pixel MSE of the decoded one-step prediction.
    pub pixel: Vec<f32>,
    /// Pixel MSE between consecutive frames (what a copy-last predictor would call surprise).
    pub change: Vec<f32>,
}

/// The surprise trace of one clip of `len` frames, heard as `mels` (`len × audio_mels` scaled
/// log-mel) when it has sound.
pub fn surprise_trace(
    model: &WorldModel,
    clip: &[f32],
    mels: Option<&[f32]>,
    len: usize,
    context: usize,
    size: usize,
    device: &Device,
) -> Result<Trace, ModelError> {
    let frame = 3 * size * size;
    let frames = clips_tensor(clip.to_vec(), len, size, device);
    let mels = mels.map(|m| crate::audio::features_tensor(m.to_vec(), 1, len, device));
    let online = model.online.forward(frames.clone(), mels.clone());
    let target = model.target.forward(frames.clone(), mels);
    let windows = len - context;
    let ctx = Tensor::cat((0..windows).map(|t| online.clone().narrow(1, t, context)).collect(), 0);
    let [_, _, m, d] = ctx.dims();
    let next = model.predictor.next(ctx, None);
    let actual = target.clone().narrow(1, context, windows).reshape([windows, 1, m, d]);
    let latent = read(WorldModel::surprise(next.clone(), actual).reshape([windows]))?;
    // Each window's anchor is the frame just before the predicted one.
    let anchors = frames.narrow(1, context - 1, windows).reshape([windows, 3, size, size]);
    let before = target.narrow(1, context - 1, windows).reshape([windows, m, d]);
    let decoded = read(model.decode_after(next, anchors, Some(before)).reshape([windows * frame]))?;
    let pixel = (0..windows)
        .map(|t| mse(&decoded[t * frame..][..frame], &clip[(context + t) * frame..][..frame]) as f32)
        .collect();
    let change = (0..windows)
        .map(|t| mse(&clip[(context + t - 1) * frame..][..frame], &clip[(context + t) * frame..][..frame]) as f32)
        .collect();
    Ok(Trace { latent, pixel, change })
}

/// [`surprise_trace`] of a clip as it sounds (silent when it has no sound or the model no ear).
pub fn clip_surprise(
    model: &WorldModel,
    clip: &Clip,
    context: usize,
    size: usize,
    device: &Device,
) -> Result<Trace, ModelError> {
    let mels = clip.mels(model.online.mels());
    surprise_trace(model, &clip.pixels, mels.as_deref(), clip.len, context, size, device)
}

/// Reads a tensor back as `f32`s.
pub fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, ModelError> {
    t.try_into_data()
        .map_err(|e| ModelError::Device(e.to_string()))?
        .try_into_vec::<f32>()
        .map_err(|e| ModelError::Device(e.to_string()))
}
