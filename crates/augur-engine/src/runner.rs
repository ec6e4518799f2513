//! The model side of a session: encodes each frame once, rolls the context forward H steps,
//! decodes the predictions, and scores the frame against the prediction made one frame before.

use std::collections::VecDeque;
use std::sync::Arc;

use augur_model::eval::read;
use augur_model::fade::PastRollouts;
use augur_model::frames::to_rgb8;
use augur_model::{ModelCard, WorldModel};
use burn::tensor::{Device, Tensor, TensorData};

use crate::EngineError;
use crate::timeline::Moment;

/// What one step produced, before it becomes a [`Moment`].
pub struct Step {
    /// Online tokens of the frame (`tokens × dim`).
    pub tokens: Vec<f32>,
    /// Predicted frames (`H × 3 × s × s`, model input scale).
    pub predicted: Vec<f32>,
    /// Predicted latents (`H × tokens × dim`).
    pub predicted_tokens: Vec<f32>,
    /// Latent surprise of this frame (NaN with no earlier prediction).
    pub surprise: f32,
    /// Pixel MSE against the earlier one-step prediction (NaN with none).
    pub pixel_error: f32,
    /// The earlier one-step prediction of this frame (for the heatmap), if any.
    pub expected: Option<Vec<f32>>,
    /// For a model that fades: the share of its predicted change each step kept.
    pub kept: Option<Vec<f32>>,
}

/// A loaded model and its rolling context.
pub struct Runner {
    /// The model.
    pub model: WorldModel,
    /// Its card (sizes, training record).
    pub card: ModelCard,
    device: Device,
    context: VecDeque<Tensor<4>>,
    /// The one-step prediction made at the previous frame: latent and pixels (as shown).
    expected: Option<(Tensor<4>, Vec<f32>)>,
    /// For a model that fades: the rollouts of the last frames, to judge each step by.
    past: PastRollouts,
    /// Whether a step may draw its predictions on a second core while predicting
    /// ([`WorldModel::foresee`]); the model thread turns it off while a recording runs, so the
    /// recorder keeps a core of a 2-core machine and no source frame is missed.
    pub overlap: bool,
}

impl Runner {
    /// Wraps a loaded model.
    pub fn new(model: WorldModel, card: ModelCard, device: Device) -> Self {
        Self {
            model,
            card,
            device,
            context: VecDeque::new(),
            expected: None,
            past: PastRollouts::default(),
            overlap: true,
        }
    }

    /// Model input size in pixels.
    pub fn size(&self) -> usize {
        self.card.config.image_size
    }

    /// Forgets the context (after a source change or a gap).
    pub fn reset(&mut self) {
        self.context.clear();
        self.expected = None;
        self.past = PastRollouts::default();
    }

    /// One frame in (`3 × s × s`, model scale), with optional log-mel features for its sound;
    /// the rollout starts from the newest `context` latents (at most the model's context; the
    /// model's full context is kept, so a longer one takes effect at once).
    pub fn step(
        &mut self,
        frame: &[f32],
        mels: Option<Vec<f32>>,
        horizon: usize,
        context: usize,
    ) -> Result<Step, EngineError> {
        let cfg = &self.card.config;
        let s = cfg.image_size;
        let x = Tensor::<5>::from_data(TensorData::new(frame.to_vec(), [1, 1, 3, s, s]), &self.device);
        let sound = mels.map(|m| {
            let n = m.len();
            Tensor::<3>::from_data(TensorData::new(m, [1, 1, n]), &self.device)
        });
        let online = self.model.online.forward(x.clone(), sound.clone());
        let (mut surprise, mut pixel_error, mut expected_pixels) = (f32::NAN, f32::NAN, None);
        // The frame's target tokens serve both the surprise and a decoder that sees change,
        // which would otherwise encode the same frame again.
        let target =
            (self.expected.is_some() || self.model.decoder.sees_change()).then(|| self.model.target.forward(x, sound));
        if let Some(((latent, pixels), target)) = self.expected.take().zip(target.clone()) {
            surprise = read(WorldModel::surprise(latent, target))?.first().copied().unwrap_or(f32::NAN);
            pixel_error = augur_model::metrics::mse(&pixels, frame) as f32;
            expected_pixels = Some(pixels);
        }
        self.context.push_back(online.clone());
        while self.context.len() > cfg.context {
            self.context.pop_front();
        }
        let used = context.clamp(1, cfg.context).min(self.context.len());
        let window = Tensor::cat(self.context.iter().skip(self.context.len() - used).cloned().collect(), 1);
        let horizon = horizon.clamp(1, cfg.max_horizon);
        let anchor = Tensor::<4>::from_data(TensorData::new(frame.to_vec(), [1, 3, s, s]), &self.device);
        let before = target.map(|t| {
            let [_, _, m, d] = t.dims();
            t.reshape([1, m, d])
        });
        let (future, drawn) = self.model.foresee(window, horizon, anchor, before, self.overlap);
        let mut predicted = read(drawn)?;
        let plane = 3 * s * s;
        // A model that fades keeps as much of each step's predicted change as its guesses
        // that far ahead earned on this frame (ModelConfig::fade_by_last_step).
        let kept = cfg.fades().then(|| self.past.fade(frame, &mut predicted));
        let predicted_tokens = read(future.clone())?;
        self.expected = Some((future.narrow(1, 0, 1), predicted[..plane].to_vec()));
        Ok(Step {
            tokens: read(online)?,
            predicted,
            predicted_tokens,
            surprise,
            pixel_error,
            expected: expected_pixels,
            kept,
        })
    }

    /// A rollout from stored tokens (`context × tokens × dim`), with the frame `anchor`
    /// (model scale) to paint over, and optional actions (`horizon × action_dim`).
    pub fn what_if(
        &self,
        tokens: &[f32],
        context: usize,
        anchor: &[f32],
        horizon: usize,
        actions: Option<Vec<f32>>,
    ) -> Result<(Vec<f32>, Vec<f32>), EngineError> {
        let cfg = &self.card.config;
        let (s, m, d) = (cfg.image_size, cfg.tokens(), cfg.latent_dim);
        if context == 0 || tokens.len() != context * m * d {
            return Err(EngineError::Usage(format!("a what-if needs 1..{} context frames", cfg.context)));
        }
        let window = Tensor::<4>::from_data(TensorData::new(tokens.to_vec(), [1, context, m, d]), &self.device);
        let actions = match (actions, cfg.action_dim) {
            (None, _) => None,
            (Some(_), 0) => return Err(EngineError::Usage("this model was trained without actions".into())),
            (Some(a), n) if a.len() == horizon * n => {
                Some(Tensor::<3>::from_data(TensorData::new(a, [1, horizon, n]), &self.device))
            }
            (Some(a), n) => {
                return Err(EngineError::Usage(format!(
                    "actions need {horizon} steps × {n} values, got {} values",
                    a.len()
                )));
            }
        };
        let future = self.model.rollout(window, actions, horizon);
        let anchor = Tensor::<4>::from_data(TensorData::new(anchor.to_vec(), [1, 3, s, s]), &self.device);
        Ok((read(self.model.decode(future.clone(), anchor))?, read(future)?))
    }

    /// Decodes `tokens` (one frame, `tokens × dim`) over `anchor`: what the model imagines
    /// for a latent state, used by steering.
    pub fn imagine(&self, tokens: Vec<f32>, anchor: &[f32]) -> Result<Vec<u8>, EngineError> {
        let cfg = &self.card.config;
        let (s, m, d) = (cfg.image_size, cfg.tokens(), cfg.latent_dim);
        let z = Tensor::<4>::from_data(TensorData::new(tokens, [1, 1, m, d]), &self.device);
        let anchor = Tensor::<4>::from_data(TensorData::new(anchor.to_vec(), [1, 3, s, s]), &self.device);
        Ok(to_rgb8(&read(self.model.decode(z, anchor))?, s))
    }
}

/// Mean over tokens of `frames × tokens × dim` values: one `dim` vector per frame.
pub fn pool(values: &[f32], tokens: usize, dim: usize) -> Vec<Vec<f32>> {
    values
        .chunks(tokens * dim)
        .map(|frame| {
            let mut out = vec![0.0; dim];
            for token in frame.chunks(dim) {
                for (o, v) in out.iter_mut().zip(token) {
                    *o += v / tokens as f32;
                }
            }
            out
        })
        .collect()
}

/// Builds the timeline entry of a step.
pub fn moment(
    index: u64,
    pts: std::time::Duration,
    frame: &[f32],
    step: Step,
    s: usize,
    tokens: usize,
    dim: usize,
) -> Moment {
    let heat = match &step.expected {
        Some(e) => heatmap(e, frame, s),
        None => vec![0; 3 * s * s],
    };
    let predicted: Vec<u8> = step.predicted.chunks(3 * s * s).flat_map(|f| to_rgb8(f, s)).collect();
    Moment {
        index,
        pts,
        input: Arc::from(to_rgb8(frame, s)),
        pooled: pool(&step.tokens, tokens, dim).pop().unwrap_or_default(),
        tokens: Arc::from(step.tokens),
        predicted: Arc::from(predicted),
        predicted_pooled: pool(&step.predicted_tokens, tokens, dim),
        surprise: step.surprise,
        pixel_error: step.pixel_error,
        heatmap: Arc::from(heat),
        kept: step.kept.map(Arc::from),
        compare: None,
    }
}

/// Builds the second model's view of a moment (A/B compare).
pub fn compared(model: Arc<str>, frame: &[f32], step: Step, s: usize) -> crate::timeline::Compared {
    let heat = match &step.expected {
        Some(e) => heatmap(e, frame, s),
        None => vec![0; 3 * s * s],
    };
    crate::timeline::Compared {
        model,
        size: s,
        input: Arc::from(to_rgb8(frame, s)),
        predicted: step.predicted.chunks(3 * s * s).flat_map(|f| to_rgb8(f, s)).collect(),
        surprise: step.surprise,
        pixel_error: step.pixel_error,
        heatmap: Arc::from(heat),
    }
}

/// The heatmap kernel's CPU reference (gain 8, inferno), packed RGB8.
pub fn heatmap(predicted: &[f32], actual: &[f32], s: usize) -> Vec<u8> {
    let params = augur_gpu::heatmap::Params::new(s as u32, s as u32).with_gain(8.0);
    match augur_gpu::heatmap::reference(predicted, actual, &params) {
        Ok(map) => map.rgba.iter().flat_map(|p| p.to_le_bytes().into_iter().take(3)).collect(),
        Err(_) => vec![0; 3 * s * s],
    }
}

#[cfg(test)]
mod tests {
    use augur_model::{ModelCard, ModelConfig, WorldModel};
    use burn::tensor::{Device, Tensor, TensorData};

    use super::Runner;

    #[test]
    fn a_decoder_that_sees_change_draws_the_same_from_the_tokens_the_step_already_has() {
        let cfg = ModelConfig::tiny().with_decoder_sees_change(Some(true)).with_decoder_warps(Some(true));
        let device = Device::flex();
        let card = ModelCard::untrained("tiny", cfg.clone());
        let mut model = WorldModel::new(&cfg, &device);
        // A fresh target equals the online encoder and a fresh predictor repeats its input, so
        // nothing would change; another encoder as the target makes the change input count.
        model.target = WorldModel::new(&cfg, &device).online;
        let mut runner = Runner::new(model, card, device.clone());
        let s = cfg.image_size;
        let frame = |k: usize| -> Vec<f32> { (0..3 * s * s).map(|i| ((i * 7 + k * 13) % 97) as f32 / 97.0).collect() };
        for k in 0..3 {
            let step = runner.step(&frame(k), None, 2, cfg.context);
            let step = step.unwrap_or_else(|e| panic!("step {k}: {e}"));
            // What decode() draws, encoding the anchor itself.
            let window = Tensor::cat(runner.context.iter().cloned().collect(), 1);
            let anchor = Tensor::<4>::from_data(TensorData::new(frame(k), [1, 3, s, s]), &device);
            let drawn = runner.model.decode(runner.model.rollout(window, None, 2), anchor);
            let drawn = drawn.into_data().try_to_vec::<f32>().unwrap_or_default();
            let worst = augur_model::metrics::max_abs_diff(&drawn, &step.predicted);
            assert!(worst < 1e-5, "step {k} drew differently by {worst}");
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_model_that_fades_shows_a_still_scene_still_once_its_guess_earned_nothing() {
        let cfg = ModelConfig::tiny().with_fade_by_last_step(Some(true));
        let device = Device::flex();
        let model = WorldModel::new(&cfg, &device);
        let mut raw = Runner::new(model.clone(), ModelCard::untrained("raw", ModelConfig::tiny()), device.clone());
        let mut faded = Runner::new(model, ModelCard::untrained("fades", cfg.clone()), device);
        let s = cfg.image_size;
        let still: Vec<f32> = (0..3 * s * s).map(|i| ((i * 7) % 97) as f32 / 97.0).collect();
        // Every predicted frame against the still one.
        let off = |p: &[f32]| augur_model::metrics::max_abs_diff(p, &still.repeat(p.len() / still.len()));
        let step = |r: &mut Runner| r.step(&still, None, 2, cfg.context).unwrap().predicted;
        // No earlier guess yet: the first predictions are drawn as they are.
        assert!(off(&step(&mut faded)) > 1e-3, "an untrained decoder paints something");
        step(&mut raw);
        // Its guess for this frame changed it and the frame did not change: none of it is kept.
        assert!(off(&step(&mut raw)) > 1e-3);
        let second = step(&mut faded);
        assert!(off(&second) < 1e-6, "{}", off(&second));
    }
}
