//! The whole world model: online and EMA target encoders, predictor, decoder; rollout and
//! surprise live here so training, evaluation and the live engine share one definition.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::decoder::{Decoder, Drawing};
use crate::encoder::{AudioEncoder, VideoEncoder};
use crate::predictor::Predictor;
use crate::{ModelConfig, audio};

/// The video encoder and, when the config has one, the audio encoder.
#[derive(Module, Debug)]
pub struct Encoders {
    video: VideoEncoder,
    audio: Option<AudioEncoder>,
}

impl Encoders {
    pub(crate) fn new(cfg: &ModelConfig, device: &Device) -> Self {
        Self {
            video: VideoEncoder::new(cfg, device),
            audio: (cfg.audio_mels > 0).then(|| AudioEncoder::new(cfg, device)),
        }
    }

    /// Log-mel bins the audio encoder takes per frame; 0 without one.
    pub fn mels(&self) -> usize {
        self.audio.as_ref().map_or(0, AudioEncoder::mels)
    }

    /// `frames`: `[batch, T, 3, S, S]` in [0, 1]; `mels`: `[batch, T, audio_mels]` scaled
    /// log-mel, silence when `None`. Returns `[batch, T, tokens, dim]`.
    pub fn forward(&self, frames: Tensor<5>, mels: Option<Tensor<3>>) -> Tensor<4> {
        let [batch, steps, c, h, w] = frames.dims();
        let video = self.video.forward(frames.reshape([batch * steps, c, h, w]));
        let [_, n, dim] = video.dims();
        let video = video.reshape([batch, steps, n, dim]);
        let Some(encoder) = &self.audio else { return video };
        let mels = mels.unwrap_or_else(|| audio::silence(batch, steps, encoder.mels(), &video.device()));
        let bins = mels.dims()[2];
        let sound = encoder.forward(mels.reshape([batch * steps, bins])).reshape([batch, steps, 1, dim]);
        Tensor::cat(vec![video, sound], 2)
    }
}

/// A JEPA-style world model. `target` is the EMA copy of `online` that training predicts
/// against; at inference the context is encoded by `online` and surprise is measured
/// against `target`, exactly as in training.
#[derive(Module, Debug)]
pub struct WorldModel {
    /// Encodes the context.
    pub online: Encoders,
    /// Slow-moving copy of `online`; its latents are the prediction targets.
    pub target: Encoders,
    /// Predicts the next latents.
    pub predictor: Predictor,
    /// Shows latents as pixels.
    pub decoder: Decoder,
    video_tokens: usize,
}

impl WorldModel {
    /// A freshly initialised model; the target starts equal to the online encoder.
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        let online = Encoders::new(cfg, device);
        // A separate module (its own parameter ids, so optimisers never confuse the two), then
        // set equal to the online encoder.
        let target = crate::ema::update(Encoders::new(cfg, device), &online, 0.0);
        Self {
            target,
            online,
            predictor: Predictor::new(cfg, device),
            decoder: Decoder::new(cfg, device),
            video_tokens: cfg.video_tokens(),
        }
    }

    /// Rolls the predictor forward `horizon` steps from `context` (`[batch, T, tokens, dim]`,
    /// only the last `context` frames are used). `actions`, when given, is `[batch, T + horizon,
    /// action_dim]`. Returns `[batch, horizon, tokens, dim]`.
    pub fn rollout(&self, context: Tensor<4>, actions: Option<Tensor<3>>, horizon: usize) -> Tensor<4> {
        self.rollout_each(context, actions, horizon, &mut |_| {})
    }

    /// [`rollout`](Self::rollout), handing each step's prediction (`[batch, 1, tokens, dim]`)
    /// to `each` as soon as it is made.
    pub(crate) fn rollout_each(
        &self,
        context: Tensor<4>,
        actions: Option<Tensor<3>>,
        horizon: usize,
        each: &mut dyn FnMut(&Tensor<4>),
    ) -> Tensor<4> {
        let keep = self.predictor.context();
        let [_, steps, _, _] = context.dims();
        let mut offset = steps.saturating_sub(keep);
        let mut window = context.narrow(1, offset, steps - offset);
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            let t = window.dims()[1];
            let acts = actions.as_ref().map(|a| a.clone().narrow(1, offset, t));
            let next = self.predictor.next(window.clone(), acts);
            each(&next);
            out.push(next.clone());
            window = Tensor::cat(vec![window, next], 1);
            if t + 1 > keep {
                window = window.narrow(1, 1, keep);
                offset += 1;
            }
        }
        Tensor::cat(out, 1)
    }

    /// Pixels for latents `[batch, T, tokens, dim]`: `[batch, T, 3, S, S]` in [0, 1].
    /// `anchor` (`[batch, 3, S, S]`) is the last frame actually observed before them; a
    /// compositing decoder paints over it.
    pub fn decode(&self, latents: Tensor<4>, anchor: Tensor<4>) -> Tensor<5> {
        self.draw(latents, anchor).pixels
    }

    /// [`decode`](Self::decode), with the compositing decoder's mask (`[batch, T, 1, S, S]`,
    /// 1 = painted, 0 = the last frame kept or moved; `None` for a decoder that paints every
    /// pixel) and the warping decoder's flow (`[batch, T, 2, S, S]`).
    pub fn draw(&self, latents: Tensor<4>, anchor: Tensor<4>) -> Drawing<5> {
        // The anchor's own tokens, from the target encoder the predictions are trained to match.
        let before = self.decoder.sees_change().then(|| self.target.video.forward(anchor.clone()));
        self.draw_after(latents, anchor, before)
    }

    /// [`decode`](Self::decode) when the anchor's target tokens are already at hand
    /// (`[batch, tokens, dim]`; an audio token after the video ones is ignored), as in training
    /// and evaluation, which encode every frame with the target anyway. A decoder that does not
    /// see change ignores them.
    pub fn decode_after(&self, latents: Tensor<4>, anchor: Tensor<4>, anchor_tokens: Option<Tensor<3>>) -> Tensor<5> {
        self.draw_after(latents, anchor, anchor_tokens).pixels
    }

    /// [`decode_after`](Self::decode_after), with the mask and flow as in [`draw`](Self::draw).
    pub fn draw_after(&self, latents: Tensor<4>, anchor: Tensor<4>, anchor_tokens: Option<Tensor<3>>) -> Drawing<5> {
        let [batch, steps, _, dim] = latents.dims();
        let n = self.video_tokens;
        let video = latents.narrow(2, 0, n).reshape([batch * steps, n, dim]);
        let before = anchor_tokens.filter(|_| self.decoder.sees_change()).map(|z| {
            let z = z.narrow(1, 0, n).detach();
            z.unsqueeze_dim::<4>(1).expand([batch, steps, n, dim]).reshape([batch * steps, n, dim])
        });
        let drawn = self.decoder.forward(video, before, anchor, steps);
        let [_, c, h, w] = drawn.pixels.dims();
        Drawing {
            pixels: drawn.pixels.reshape([batch, steps, c, h, w]),
            mask: drawn.mask.map(|m| m.reshape([batch, steps, 1, h, w])),
            flow: drawn.flow.map(|f| f.reshape([batch, steps, 2, h, w])),
        }
    }

    /// Surprise of each predicted frame: mean squared latent error against the target
    /// encoder's latents, per batch item and step (`[batch, T]`). This is Augur's one
    /// definition of surprise.
    pub fn surprise(predicted: Tensor<4>, actual: Tensor<4>) -> Tensor<2> {
        let [batch, steps, tokens, dim] = predicted.dims();
        (predicted - actual).powi_scalar(2).reshape([batch, steps, tokens * dim]).mean_dim(2).reshape([batch, steps])
    }
}
