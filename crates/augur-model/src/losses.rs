//! The training objective: latent prediction against the EMA target (teacher-forced and over a
//! short autoregressive rollout), variance/covariance regularisation against collapse, a decoder
//! reconstruction on stop-gradient target latents, and an optional pixel loss on predictions.

use burn::config::Config;
use burn::tensor::activation::relu;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Tensor, TensorData};

use crate::WorldModel;
use crate::warp::warp;

/// Loss weights and the rollout length used in training.
#[derive(Config, Debug, PartialEq)]
pub struct LossConfig {
    /// Extra autoregressive steps beyond teacher forcing, so rollouts learn to feed themselves.
    #[config(default = 2)]
    pub rollout_steps: usize,
    /// Weight of the latent prediction error (the JEPA objective).
    #[config(default = 1.0)]
    pub prediction: f32,
    /// Weight of the variance hinge (each latent dimension's std should stay ≥ 1).
    #[config(default = 1.0)]
    pub variance: f32,
    /// Weight of the off-diagonal covariance penalty.
    #[config(default = 0.04)]
    pub covariance: f32,
    /// Weight of the decoder's reconstruction of stop-gradient target latents.
    #[config(default = 1.0)]
    pub reconstruction: f32,
    /// Weight of the pixel error of decoded predictions (the option for tiny models); 0 = off.
    #[config(default = 0.0)]
    pub pixel: f32,
    /// Weight of the compositing mask's mean over every decoded frame: painting must pay for
    /// itself, so where the decoder has nothing sharper to offer it keeps (or moves) the last
    /// frame. `None` (cards before this setting) means 0.
    pub mask: Option<f32>,
    /// Extra weight of the latent error on tokens that change: each token's error counts
    /// `1 + motion × its change / the batch's mean change` (change: squared distance of its
    /// target from the frame before's), the weights scaled to average 1. Most tokens of a
    /// scene are still, so with plain MSE "nothing moves" is nearly optimal; this makes the
    /// moving ones count. `None` (cards before this setting) means 0, plain MSE.
    pub motion: Option<f32>,
    /// Weight of the warp's reach: the last frame and the truth, blurred alike at widening
    /// scales, and the blurred frame moved by the decoder's flow against the blurred truth.
    /// Bilinear warping only feels a few pixels around where it samples, so a flow that reads
    /// background where a ball went never learns to fetch the ball; blurred, the ball spreads
    /// far enough to pull it. `None` (cards before this setting) means 0.
    pub reach: Option<f32>,
    /// Weight of the audio token's own latent error, on top of its share of `prediction`. The
    /// audio token is one of 17 and loud in about one frame of twenty of a scene with sound,
    /// so in the plain mean what is heard barely counts. `None` (cards before this setting)
    /// means 0.
    pub audio: Option<f32>,
}

/// The loss terms of one batch, as plain numbers.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LossTerms {
    /// Weighted sum that was minimised.
    pub total: f32,
    /// Latent prediction MSE (teacher-forced and rolled out), weighted by motion when
    /// [`LossConfig::motion`] is set.
    pub prediction: f32,
    /// Variance hinge.
    pub variance: f32,
    /// Covariance penalty.
    pub covariance: f32,
    /// Decoder reconstruction MSE.
    pub reconstruction: f32,
    /// Pixel MSE of decoded predictions.
    pub pixel: f32,
    /// Mean compositing mask over the decoded frames (0 = all kept, 1 = all painted).
    #[serde(default)]
    pub mask: f32,
    /// The warp's reach error ([`LossConfig::reach`]), summed over its scales.
    #[serde(default)]
    pub reach: f32,
    /// The audio token's latent error (teacher-forced and rolled out), 0 without one.
    #[serde(default)]
    pub audio: f32,
    /// Mean over latent dimensions of their std across the batch.
    pub latent_std_mean: f32,
    /// Smallest latent dimension std: near 0 means collapse.
    pub latent_std_min: f32,
}

/// Frames per training clip: context, the frame after it, and the rollout frames.
pub fn clip_len(context: usize, cfg: &LossConfig) -> usize {
    context.saturating_add(1).saturating_add(cfg.rollout_steps)
}

/// The loss of one batch `frames` (`[batch, clip_len, 3, S, S]`, with `mels`
/// `[batch, clip_len, audio_mels]` when it has sound) and its terms, read back.
pub fn batch_loss(
    model: &WorldModel,
    frames: Tensor<5>,
    mels: Option<Tensor<3>>,
    ctx: usize,
    cfg: &LossConfig,
) -> (Tensor<1>, LossTerms) {
    let z = model.online.forward(frames.clone(), mels.clone());
    let target = model.target.forward(frames.clone(), mels).detach();
    latent_loss(model, z, target, Some(frames), ctx, cfg)
}

/// The loss of a batch already encoded: `z` by the online encoder and `target` by the EMA
/// target (`[batch, clip_len, tokens, dim]` each). Without `frames` nothing is drawn, so the
/// reconstruction and pixel terms are left out (a predictor-only run weighs them 0).
pub fn latent_loss(
    model: &WorldModel,
    z: Tensor<4>,
    target: Tensor<4>,
    frames: Option<Tensor<5>>,
    ctx: usize,
    cfg: &LossConfig,
) -> (Tensor<1>, LossTerms) {
    let motion = cfg.motion.unwrap_or(0.0);
    // The latent error of `guess` against the targets of frames `from + 1..`.
    let error = |guess: Tensor<4>, from: usize| {
        let steps = guess.dims()[1];
        weighted_error(guess, target.clone().narrow(1, from + 1, steps), target.clone().narrow(1, from, steps), motion)
    };

    // The audio token (the last) alone, against the targets of frames `from + 1..`.
    let heard = model.online.mels() > 0;
    let audio_error = |guess: Tensor<4>, from: usize| {
        let [_, steps, m, _] = guess.dims();
        let truth = target.clone().narrow(1, from + 1, steps).narrow(2, m - 1, 1);
        (guess.narrow(2, m - 1, 1) - truth).powi_scalar(2).mean()
    };

    // Teacher forcing: every context step predicts its next frame.
    let forced = model.predictor.forward(z.clone().narrow(1, 0, ctx), None);
    let mut prediction = error(forced.clone(), 0);
    let mut audio = heard.then(|| audio_error(forced.clone(), 0));
    // Rollout: the predictor continues from its own last guess.
    let mut guess = forced.narrow(1, ctx - 1, 1);
    let mut rolled = vec![guess.clone()];
    let mut window = Tensor::cat(vec![z.clone().narrow(1, 1, ctx - 1), guess.clone()], 1);
    for k in 1..=cfg.rollout_steps {
        guess = model.predictor.next(window.clone(), None);
        prediction = prediction + error(guess.clone(), ctx + k - 1);
        audio = audio.map(|a| a + audio_error(guess.clone(), ctx + k - 1));
        rolled.push(guess.clone());
        window = Tensor::cat(vec![window.narrow(1, 1, ctx - 1), guess.clone()], 1);
    }
    let prediction = prediction.div_scalar((1 + cfg.rollout_steps) as f32);
    let audio = audio.map(|a| a.div_scalar((1 + cfg.rollout_steps) as f32));

    let (variance, covariance, stds) = regularise(z);
    let Drawn { reconstruction, pixel, mask, reach } = match frames {
        Some(frames) => drawing_losses(model, frames, target, Tensor::cat(rolled, 1), ctx, cfg),
        None => Drawn::default(),
    };

    let mut total = prediction.clone().mul_scalar(cfg.prediction)
        + variance.clone().mul_scalar(cfg.variance)
        + covariance.clone().mul_scalar(cfg.covariance);
    if let Some(r) = &reconstruction {
        total = total + r.clone().mul_scalar(cfg.reconstruction);
    }
    if let Some(p) = &pixel {
        total = total + p.clone().mul_scalar(cfg.pixel);
    }
    let mask_weight = cfg.mask.unwrap_or(0.0);
    if let Some(m) = mask.as_ref().filter(|_| mask_weight > 0.0) {
        total = total + m.clone().mul_scalar(mask_weight);
    }
    if let Some(r) = &reach {
        total = total + r.clone().mul_scalar(cfg.reach.unwrap_or(0.0));
    }
    let audio_weight = cfg.audio.unwrap_or(0.0);
    if let Some(a) = audio.as_ref().filter(|_| audio_weight > 0.0) {
        total = total + a.clone().mul_scalar(audio_weight);
    }
    let scalar =
        |t: Tensor<1>| t.into_data().try_to_vec::<f32>().ok().and_then(|v| v.first().copied()).unwrap_or(f32::NAN);
    let stds = stds.into_data().try_to_vec::<f32>().unwrap_or_default();
    let terms = LossTerms {
        total: scalar(total.clone().detach()),
        prediction: scalar(prediction.detach()),
        variance: scalar(variance.detach()),
        covariance: scalar(covariance.detach()),
        reconstruction: reconstruction.map_or(0.0, |r| scalar(r.detach())),
        pixel: pixel.map_or(0.0, |p| scalar(p.detach())),
        mask: mask.map_or(0.0, |m| scalar(m.detach())),
        reach: reach.map_or(0.0, |r| scalar(r.detach())),
        audio: audio.map_or(0.0, |a| scalar(a.detach())),
        latent_std_mean: stds.iter().sum::<f32>() / stds.len().max(1) as f32,
        latent_std_min: stds.iter().copied().fold(f32::INFINITY, f32::min),
    };
    (total, terms)
}

/// The decoder's terms, each only when weighed (see [`drawing_losses`]).
#[derive(Default)]
struct Drawn {
    reconstruction: Option<Tensor<1>>,
    pixel: Option<Tensor<1>>,
    mask: Option<Tensor<1>>,
    reach: Option<Tensor<1>>,
}

/// The decoder's terms: its reconstruction of the target latents of the frames after the
/// context, the pixel error of the rollout `rolled` drawn, and the warp's reach over both
/// drawings, each only when weighed, and the mean compositing mask over what was drawn.
fn drawing_losses(
    model: &WorldModel,
    frames: Tensor<5>,
    target: Tensor<4>,
    rolled: Tensor<4>,
    ctx: usize,
    cfg: &LossConfig,
) -> Drawn {
    let later = frames.clone().narrow(1, ctx, 1 + cfg.rollout_steps);
    let [b, _, c, h, w] = frames.dims();
    let anchor = frames.narrow(1, ctx - 1, 1).reshape([b, c, h, w]);
    // The anchor's target tokens are already encoded: no second pass for a decoder that sees change.
    let [_, _, m, d] = target.dims();
    let before = target.clone().narrow(1, ctx - 1, 1).reshape([b, m, d]);
    let reaches = cfg.reach.is_some_and(|r| r > 0.0);
    let mut drawn = Drawn::default();
    let (mut masks, mut flows) = (Vec::new(), Vec::new());
    // Nothing to draw when neither drawing is weighed (a predictor-only run): the decoder's
    // passes are most of a step's work.
    if cfg.reconstruction > 0.0 {
        let drawing =
            model.draw_after(target.narrow(1, ctx, 1 + cfg.rollout_steps), anchor.clone(), Some(before.clone()));
        drawn.reconstruction = Some((drawing.pixels - later.clone()).powi_scalar(2).mean());
        masks.extend(drawing.mask);
        flows.extend(drawing.flow.filter(|_| reaches));
    }
    if cfg.pixel > 0.0 {
        let drawing = model.draw_after(rolled, anchor.clone(), Some(before));
        drawn.pixel = Some((drawing.pixels - later.clone()).powi_scalar(2).mean());
        masks.extend(drawing.mask);
        flows.extend(drawing.flow.filter(|_| reaches));
    }
    drawn.mask = (!masks.is_empty()).then(|| Tensor::cat(masks, 1).mean());
    if !flows.is_empty() {
        drawn.reach = Some(reach_error(anchor, &flows, later));
    }
    drawn
}

/// Box blurs at 64², as the side of a box applied twice (reaching about the side either way):
/// the sharp frame, then from a ball's width (6 to 11 pixels at 64²) to 16 pixels, a quarter of
/// a 64² frame and the farthest its flow reaches. Larger frames scale them ([`reach_blurs`]).
const REACH_BLURS: [usize; 4] = [1, 5, 9, 17];

/// [`REACH_BLURS`] for frames of side `size`: the same share of the frame, so at 128² the last
/// still reaches a quarter of it (sides stay odd, so the blur stays centred).
fn reach_blurs(size: usize) -> [usize; 4] {
    let scale = (size / 64).max(1);
    REACH_BLURS.map(|side| (side - 1) * scale + 1)
}

/// The warp's reach error: `anchor` (`[b, 3, S, S]`) and `truth` (`[b, T, 3, S, S]`) blurred
/// at each of [`reach_blurs`], the blurred anchor warped by each of `flows` (`[b, T, 2, S, S]`
/// each: the decoder's drawings of the same frames) against the blurred truth, each scale's MSE
/// over all the flows weighted by its box side (a blurred ball has less contrast, so its error
/// is smaller), summed. Each frame is blurred once, however many steps and drawings use it.
pub fn reach_error(anchor: Tensor<4>, flows: &[Tensor<5>], truth: Tensor<5>) -> Tensor<1> {
    let [b, t, c, h, w] = truth.dims();
    let truth = truth.reshape([b * t, c, h, w]);
    let mut total: Option<Tensor<1>> = None;
    for side in reach_blurs(h) {
        let seen = blur(anchor.clone(), side).unsqueeze_dim::<5>(1).expand([b, t, c, h, w]).reshape([b * t, c, h, w]);
        let wanted = blur(truth.clone(), side);
        for flow in flows {
            let moved = warp(seen.clone(), flow.clone().reshape([b * t, 2, h, w]));
            // The mean over every drawing's frames, as if they were one batch.
            let error = (moved - wanted.clone()).powi_scalar(2).mean().mul_scalar(side as f32 / flows.len() as f32);
            total = Some(match total {
                Some(sum) => sum + error,
                None => error,
            });
        }
    }
    total.unwrap_or_else(|| Tensor::zeros([1], &truth.device()))
}

/// `image` box-blurred twice with an odd `side`, the border averaged over what is inside.
fn blur(image: Tensor<4>, side: usize) -> Tensor<4> {
    if side <= 1 {
        return image;
    }
    let once = |x: Tensor<4>| {
        let options = AvgPoolOptions::new([side, side])
            .with_stride([1, 1])
            .with_padding([side / 2, side / 2])
            .with_count_include_pad(false);
        avg_pool2d(x, options)
    };
    once(once(image))
}

/// Mean squared error of `guess` against `truth` (`[batch, T, tokens, dim]`), each token's
/// error weighted by `1 + motion × its change from `before` / the mean change`, and the weights
/// normalised to average 1 (see [`LossConfig::motion`]). `motion = 0`, or nothing changing, is
/// plain MSE.
pub fn weighted_error(guess: Tensor<4>, truth: Tensor<4>, before: Tensor<4>, motion: f32) -> Tensor<1> {
    let err = (guess - truth.clone()).powi_scalar(2);
    if motion <= 0.0 {
        return err.mean();
    }
    let change = (truth - before).powi_scalar(2).mean_dim(3).detach();
    let scale = change.clone().mean().add_scalar(1e-12).reshape([1, 1, 1, 1]);
    let weight = (change / scale).mul_scalar(motion).add_scalar(1.0);
    (err * weight.clone()).mean() / weight.mean()
}

/// VICReg's variance hinge and covariance penalty over every token of the batch, plus the
/// per-dimension std (detached) for reporting.
fn regularise(z: Tensor<4>) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
    let [b, t, m, d] = z.dims();
    let n = b * t * m;
    let flat = z.reshape([n, d]);
    let mean = flat.clone().mean_dim(0);
    let centred = flat - mean;
    let var = centred.clone().powi_scalar(2).sum_dim(0).div_scalar((n.max(2) - 1) as f32);
    let std = var.add_scalar(1e-4).sqrt();
    let variance = relu(std.clone().neg().add_scalar(1.0)).mean();
    let cov = centred.clone().transpose().matmul(centred).div_scalar((n.max(2) - 1) as f32);
    let eye: Vec<f32> = (0..d * d).map(|i| if i / d == i % d { 0.0 } else { 1.0 }).collect();
    let off = Tensor::<2>::from_data(TensorData::new(eye, [d, d]), &cov.device());
    let covariance = (cov * off).powi_scalar(2).sum().div_scalar(d as f32);
    (variance, covariance, std.detach().reshape([d]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor, TensorData};

    use super::{REACH_BLURS, reach_blurs, reach_error, weighted_error};
    use crate::warp::warp;

    fn value(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    #[test]
    fn motion_weighting_counts_the_tokens_that_change() {
        let device = Device::flex();
        // One frame of 4 tokens of 2 dims; only token 0 moves, by 1 in each dim.
        let before = Tensor::<4>::zeros([1, 1, 4, 2], &device);
        let truth =
            Tensor::<4>::from_data(TensorData::new(vec![1.0f32, 1.0, 0., 0., 0., 0., 0., 0.], [1, 1, 4, 2]), &device);
        // "Nothing moves" misses token 0 only: plain MSE 2/8.
        let copy = || weighted_error(before.clone(), truth.clone(), before.clone(), 0.0);
        assert!((value(copy()) - 0.25).abs() < 1e-6);
        // Token 0's change is 4× the mean: weight 1 + 4, others 1, mean weight 2 → (2 × 5 / 8) / 2.
        let weighted = value(weighted_error(before.clone(), truth.clone(), before.clone(), 1.0));
        assert!((weighted - 0.625).abs() < 1e-5, "{weighted}");
        // A perfect guess costs nothing, weighted or not.
        assert_eq!(value(weighted_error(truth.clone(), truth.clone(), before.clone(), 3.0)), 0.0);
        // When nothing changes every weight is 1: plain MSE.
        let guess = Tensor::<4>::random([2, 3, 4, 2], Distribution::Uniform(-1.0, 1.0), &device);
        let still = Tensor::<4>::zeros([2, 3, 4, 2], &device);
        let plain = value(weighted_error(guess.clone(), still.clone(), still.clone(), 0.0));
        let weighted = value(weighted_error(guess, still.clone(), still, 2.0));
        assert!((plain - weighted).abs() < 1e-6, "{plain} vs {weighted}");
    }

    #[test]
    fn the_reach_blurs_cover_the_same_share_of_larger_frames() {
        assert_eq!(reach_blurs(64), REACH_BLURS);
        assert_eq!(reach_blurs(32), REACH_BLURS);
        assert_eq!(reach_blurs(128), [1, 9, 17, 33]);
    }

    #[test]
    fn the_reach_term_pulls_the_flow_toward_a_ball_that_moved_beyond_the_sharp_warps_reach() {
        let device = Device::flex().autodiff();
        // A 3×3 white square at x 7..10 in the last frame, at x 15..18 in the truth: it moved 8
        // pixels right, further than bilinear sampling feels.
        let (h, w) = (32, 32);
        let square = |left: usize| {
            let data: Vec<f32> = (0..h * w)
                .map(|i| f32::from(u8::from((left..left + 3).contains(&(i % w)) && (15..18).contains(&(i / w)))))
                .collect();
            Tensor::<4>::from_data(TensorData::new(data, [1, 1, h, w]), &device)
        };
        let (anchor, truth) = (square(7), square(15));
        let gradient_at_the_new_square = |error: &dyn Fn(Tensor<4>) -> Tensor<1>| {
            let flow = Tensor::<4>::zeros([1, 2, h, w], &device).require_grad();
            let grads = error(flow.clone()).backward();
            let dx = flow.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
            dx[16 * w + 16]
        };
        let sharp =
            gradient_at_the_new_square(&|flow| (warp(anchor.clone(), flow) - truth.clone()).powi_scalar(2).mean());
        assert!(sharp.abs() < 1e-9, "the sharp warp already feels the square: {sharp}");
        let reach = gradient_at_the_new_square(&|flow| {
            reach_error(anchor.clone(), &[flow.unsqueeze_dim::<5>(1)], truth.clone().unsqueeze_dim::<5>(1))
        });
        // Reading further left (a negative flow) fetches the square: the gradient is positive.
        assert!(reach > 1e-6, "the reach term does not pull the flow toward the square: {reach}");
    }
}
