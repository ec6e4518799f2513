//! Evaluation: per-horizon pixel MSE / PSNR / SSIM against the copy-last-frame baseline and
//! latent error on held-out scenes and real clips, and violation-of-expectation accuracy on
//! possible/impossible scene pairs.

use augur_capture::scene::{SceneConfig, Violation};
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::data::{HELD_OUT_SEEDS, scene_clip};
use crate::metrics::{mse, psnr, ssim};
use crate::{ModelError, WorldModel};

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

/// Rolls the model out `horizon` steps after `context` frames of each clip and scores the
/// predicted frames. `clips`: each `(context + horizon) × 3 × S × S` values.
pub fn horizon_table(
    model: &WorldModel,
    data: &str,
    clips: &[Vec<f32>],
    context: usize,
    horizon: usize,
    size: usize,
    device: &Device,
) -> Result<HorizonTable, ModelError> {
    let frame = 3 * size * size;
    let mut rows: Vec<StepRow> = (1..=horizon).map(|step| StepRow { step, ..Default::default() }).collect();
    for chunk in clips.chunks(8) {
        let b = chunk.len();
        let len = context + horizon;
        let pixels: Vec<f32> = chunk.iter().flat_map(|c| c.iter().copied()).collect();
        let frames = Tensor::<5>::from_data(TensorData::new(pixels, [b, len, 3, size, size]), device);
        let ctx = model.online.forward(frames.clone().narrow(1, 0, context), None);
        let anchor = frames.clone().narrow(1, context - 1, 1).reshape([b, 3, size, size]);
        let truth = model.target.forward(frames.narrow(1, context, horizon), None);
        let future = model.rollout(ctx, None, horizon);
        let latent = WorldModel::surprise(future.clone(), truth);
        let latent = read(latent.reshape([b * horizon]))?;
        let predicted = read(model.decode(future, anchor).reshape([b * horizon * frame]))?;
        for (i, clip) in chunk.iter().enumerate() {
            let last = &clip[(context - 1) * frame..context * frame];
            for h in 0..horizon {
                let actual = &clip[(context + h) * frame..][..frame];
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
        ] {
            *v /= n;
        }
    }
    Ok(HorizonTable { data: data.to_string(), clips: clips.len(), rows })
}

/// Held-out scene clips (seeds from [`HELD_OUT_SEEDS`] on) of `len` frames.
pub fn held_out_scenes(count: usize, len: usize, size: usize) -> Result<Vec<Vec<f32>>, ModelError> {
    (0..count)
        .map(|i| {
            let cfg = SceneConfig {
                seed: HELD_OUT_SEEDS + i as u64,
                width: size as u32,
                height: size as u32,
                balls: 1 + (i % 3) as u32,
                occluder: i % 2 == 0,
                noise: 0.01,
                realtime: false,
                ..SceneConfig::default()
            };
            scene_clip(&cfg, 10 + (i * 7) % 60, len).map(|c| c.pixels)
        })
        .collect()
}

/// Frames `0..len` of a real clip, starting at evenly spaced points.
pub fn file_windows(frames: &[Vec<f32>], len: usize, count: usize) -> Vec<Vec<f32>> {
    if frames.len() < len || count == 0 {
        return Vec::new();
    }
    let span = frames.len() - len;
    (0..count).map(|i| frames[span * i / count.max(2).saturating_sub(1).max(1)..][..len].concat()).collect()
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

/// The surprise trace of one clip of `len` frames.
pub fn surprise_trace(
    model: &WorldModel,
    clip: &[f32],
    len: usize,
    context: usize,
    size: usize,
    device: &Device,
) -> Result<Trace, ModelError> {
    let frame = 3 * size * size;
    let frames = Tensor::<5>::from_data(TensorData::new(clip.to_vec(), [1, len, 3, size, size]), device);
    let online = model.online.forward(frames.clone(), None);
    let target = model.target.forward(frames.clone(), None);
    let windows = len - context;
    let ctx = Tensor::cat((0..windows).map(|t| online.clone().narrow(1, t, context)).collect(), 0);
    let [_, _, m, d] = ctx.dims();
    let next = model.predictor.forward(ctx, None).narrow(1, context - 1, 1);
    let actual = target.narrow(1, context, windows).reshape([windows, 1, m, d]);
    let latent = read(WorldModel::surprise(next.clone(), actual).reshape([windows]))?;
    // Each window's anchor is the frame just before the predicted one.
    let anchors = frames.narrow(1, context - 1, windows).reshape([windows, 3, size, size]);
    let decoded = read(model.decode(next, anchors).reshape([windows * frame]))?;
    let pixel = (0..windows)
        .map(|t| mse(&decoded[t * frame..][..frame], &clip[(context + t) * frame..][..frame]) as f32)
        .collect();
    let change = (0..windows)
        .map(|t| mse(&clip[(context + t - 1) * frame..][..frame], &clip[(context + t) * frame..][..frame]) as f32)
        .collect();
    Ok(Trace { latent, pixel, change })
}

/// A possible scene clip and its impossible twin (same seed, `violation` at frame `at`), each
/// `len` frames of `size × size`, from the scene's start.
pub fn voe_pair(
    seed: u64,
    balls: u32,
    violation: Violation,
    at: u64,
    len: usize,
    size: usize,
) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    let possible = SceneConfig {
        seed,
        width: size as u32,
        height: size as u32,
        balls,
        violation_frame: at,
        realtime: false,
        ..SceneConfig::default()
    };
    let impossible = SceneConfig { violation: Some(violation), ..possible.clone() };
    Ok((scene_clip(&possible, 0, len)?.pixels, scene_clip(&impossible, 0, len)?.pixels))
}

/// Violation-of-expectation results.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VoeReport {
    /// Pairs scored (pairs whose two clips were identical are skipped and counted apart).
    pub pairs: usize,
    /// Pairs skipped because the violation did not show within the clip.
    pub skipped_identical: usize,
    /// Fraction of pairs where the latent surprise, from the violation frame on, peaks higher
    /// on the impossible clip.
    pub accuracy: f64,
    /// The same with the decoded pixel error as surprise.
    pub pixel_accuracy: f64,
    /// The same with the copy-last-frame pixel change as surprise (a model-free baseline).
    pub change_accuracy: f64,
    /// Per violation kind: (kind, pairs, latent accuracy).
    pub by_kind: Vec<(String, usize, f64)>,
    /// The same three accuracies with the peaks taken only over the `context` frames from the
    /// first frame where the two clips differ: the frames whose prediction can see the
    /// violation. Later on, the possible clip's ball keeps bouncing and colliding while the
    /// impossible one's is gone or elsewhere, which the whole-clip peaks also compare.
    pub window_accuracy: f64,
    /// Decoded pixel error, over the same window.
    pub window_pixel_accuracy: f64,
    /// Copy-last-frame pixel change, over the same window.
    pub window_change_accuracy: f64,
    /// Frames in that window (the model's context).
    pub window_frames: usize,
    /// Per violation kind: (kind, pairs, latent accuracy over the window).
    pub window_by_kind: Vec<(String, usize, f64)>,
}

/// Counts of pairs won by each surprise signal.
#[derive(Default)]
struct Wins {
    latent: usize,
    pixel: usize,
    change: usize,
}

impl Wins {
    /// Scores one pair: the impossible trace `b` against the possible `a`, peaks over `span`.
    fn score(&mut self, a: &Trace, b: &Trace, span: std::ops::Range<usize>) -> bool {
        let peak = |v: &[f32]| {
            let end = span.end.min(v.len());
            v[span.start.min(end)..end].iter().copied().fold(f32::MIN, f32::max)
        };
        let hit = peak(&b.latent) > peak(&a.latent);
        self.latent += usize::from(hit);
        self.pixel += usize::from(peak(&b.pixel) > peak(&a.pixel));
        self.change += usize::from(peak(&b.change) > peak(&a.change));
        hit
    }
}

/// Scores `pairs` possible/impossible scene pairs (kinds in turn), clips of `len` frames with
/// the violation at frame `at`. Calls `progress(done, total)` after each pair.
#[allow(clippy::too_many_arguments)]
pub fn voe(
    model: &WorldModel,
    pairs: usize,
    len: usize,
    at: u64,
    context: usize,
    size: usize,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<VoeReport, ModelError> {
    let mut report = VoeReport { window_frames: context, ..VoeReport::default() };
    let names = || Violation::ALL.iter().map(|v| (v.name().to_string(), 0usize, 0usize)).collect::<Vec<_>>();
    let (mut kinds, mut window_kinds) = (names(), names());
    let (mut whole, mut window) = (Wins::default(), Wins::default());
    let frame = 3 * size * size;
    for i in 0..pairs {
        let kind = i % Violation::ALL.len();
        let seed = HELD_OUT_SEEDS + 1_000_000 + i as u64;
        let (a, b) = voe_pair(seed, 1 + (i / 3 % 2) as u32, Violation::ALL[kind], at, len, size)?;
        progress(i + 1, pairs);
        // The first frame that differs; the trace's index t is frame context + t.
        let Some(first) = (0..len).find(|&f| a[f * frame..][..frame] != b[f * frame..][..frame]) else {
            report.skipped_identical += 1;
            continue;
        };
        let (ta, tb) = (
            surprise_trace(model, &a, len, context, size, device)?,
            surprise_trace(model, &b, len, context, size, device)?,
        );
        // Whole clip: from the violation frame on (earlier frames are identical in both).
        let from = (at as usize).saturating_sub(context);
        let hit = whole.score(&ta, &tb, from..len - context);
        kinds[kind].1 += 1;
        kinds[kind].2 += usize::from(hit);
        let near = first.saturating_sub(context);
        let hit = window.score(&ta, &tb, near..(near + context).min(len - context));
        window_kinds[kind].1 += 1;
        window_kinds[kind].2 += usize::from(hit);
        report.pairs += 1;
    }
    let frac = |k: usize| if report.pairs == 0 { f64::NAN } else { k as f64 / report.pairs as f64 };
    (report.accuracy, report.pixel_accuracy, report.change_accuracy) =
        (frac(whole.latent), frac(whole.pixel), frac(whole.change));
    (report.window_accuracy, report.window_pixel_accuracy, report.window_change_accuracy) =
        (frac(window.latent), frac(window.pixel), frac(window.change));
    let per_kind = |kinds: Vec<(String, usize, usize)>| {
        kinds.into_iter().map(|(name, n, k)| (name, n, if n == 0 { f64::NAN } else { k as f64 / n as f64 })).collect()
    };
    report.by_kind = per_kind(kinds);
    report.window_by_kind = per_kind(window_kinds);
    Ok(report)
}

/// Reads a tensor back as `f32`s.
pub fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, ModelError> {
    t.try_into_data()
        .map_err(|e| ModelError::Device(e.to_string()))?
        .try_into_vec::<f32>()
        .map_err(|e| ModelError::Device(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(latent: &[f32]) -> Trace {
        Trace { latent: latent.to_vec(), pixel: latent.to_vec(), change: vec![0.0; latent.len()] }
    }

    #[test]
    fn a_pair_is_won_by_the_higher_peak_within_the_span_only() {
        // The impossible clip peaks right after the violation; the possible one later, on an
        // event of its own.
        let possible = trace(&[0.1, 0.1, 0.2, 0.1, 0.1, 0.9]);
        let impossible = trace(&[0.1, 0.1, 0.5, 0.1, 0.1, 0.1]);
        let mut whole = Wins::default();
        assert!(!whole.score(&possible, &impossible, 1..6));
        let mut near = Wins::default();
        assert!(near.score(&possible, &impossible, 1..4));
        assert_eq!((near.latent, near.pixel, near.change), (1, 1, 0), "a tie is not a win");
        // A span is cut at the trace's end; past it, it compares nothing and wins nothing.
        assert!(!Wins::default().score(&possible, &impossible, 4..9));
        assert!(!Wins::default().score(&possible, &impossible, 9..12));
    }
}
