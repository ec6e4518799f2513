//! The predictor: a transformer over time × tokens, causal in time, that maps the latents of
//! frames `1..=T` (plus optional actions) to its guess of the latents of frames `2..=T+1`.

mod layer;

use burn::module::{Module, Param};
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::ModelConfig;

/// Predicts the next frame's tokens at every time step in one pass (teacher forcing when
/// training); a rollout calls it again on its own output.
#[derive(Module, Debug)]
pub struct Predictor {
    input: Linear,
    /// Reads each token's change since the frame before, when the config asks for it.
    motion: Option<Linear>,
    time: Param<Tensor<2>>,
    token: Param<Tensor<2>>,
    action: Option<Linear>,
    transformer: TransformerEncoder,
    output: Linear,
}

impl Predictor {
    /// A freshly initialised predictor. Its output layer starts at zero, so an untrained
    /// predictor says "nothing changes" (the copy-last-frame baseline in latent space).
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        let p = cfg.predictor_dim;
        let small = Initializer::Normal { mean: 0.0, std: 0.02 };
        Self {
            input: LinearConfig::new(cfg.latent_dim, p).init(device),
            motion: cfg.sees_motion().then(|| motion_input(cfg.latent_dim, p, device)),
            time: small.init([cfg.context, p], device),
            token: small.init([cfg.tokens(), p], device),
            action: (cfg.action_dim > 0).then(|| LinearConfig::new(cfg.action_dim, p).init(device)),
            transformer: TransformerEncoderConfig::new(p, 2 * p, cfg.predictor_heads, cfg.predictor_layers)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
            output: LinearConfig::new(p, cfg.latent_dim).with_initializer(Initializer::Zeros).init(device),
        }
    }

    /// This predictor, also reading each token's change since the frame before; the new input
    /// starts at zero, so it predicts exactly what it did until trained.
    pub fn with_motion_input(mut self, cfg: &ModelConfig, device: &Device) -> Self {
        if self.motion.is_none() {
            self.motion = Some(motion_input(cfg.latent_dim, cfg.predictor_dim, device));
        }
        self
    }

    /// This predictor, deepened to `layers` transformer layers: its own come first, then new
    /// ones whose attention and feed-forward outputs start at zero. A pre-norm layer adds those
    /// outputs to its input, so each new layer passes it through untouched and the predictor
    /// predicts exactly what it did until trained: more capacity without losing what was learnt.
    pub fn deepened(mut self, cfg: &ModelConfig, layers: usize, device: &Device) -> Self {
        let have = self.transformer.layers.len();
        if layers <= have {
            return self;
        }
        let p = cfg.predictor_dim;
        let fresh = TransformerEncoderConfig::new(p, 2 * p, cfg.predictor_heads, layers - have)
            .with_dropout(0.0)
            .with_norm_first(true)
            .init(device);
        for mut layer in fresh.layers {
            layer.mha.output = LinearConfig::new(p, p).with_initializer(Initializer::Zeros).init(device);
            layer.pwff.linear_outer = LinearConfig::new(2 * p, p).with_initializer(Initializer::Zeros).init(device);
            self.transformer.layers.push(layer);
        }
        self.transformer.n_layers = layers;
        self
    }

    /// How many transformer layers this predictor has.
    pub fn layers(&self) -> usize {
        self.transformer.layers.len()
    }

    /// Whether this predictor reads each token's change since the frame before.
    pub fn sees_motion(&self) -> bool {
        self.motion.is_some()
    }

    /// Longest context this predictor has position embeddings for.
    pub fn context(&self) -> usize {
        self.time.dims()[0]
    }

    /// `latents`: `[batch, T, tokens, dim]` with `T <= context`; `actions`: `[batch, T, action_dim]`
    /// taken at each step. Returns `[batch, T, tokens, dim]`: at step `t`, the prediction for `t + 1`.
    pub fn forward(&self, latents: Tensor<4>, actions: Option<Tensor<3>>) -> Tensor<4> {
        let [batch, steps, tokens, dim] = latents.dims();
        let mut x = self.embed(latents.clone(), actions);
        let mask = causal_in_time(steps, tokens, &x.device());
        for layer in &self.transformer.layers {
            x = layer::through(layer, x, steps * tokens, Some(mask.clone()));
        }
        latents + self.output.forward(x).reshape([batch, steps, tokens, dim])
    }

    /// Only the prediction for the frame after the last (`[batch, 1, tokens, dim]`), equal to the
    /// last step of [`forward`](Self::forward) but cheaper, as a rollout needs: the last layer
    /// and the output read the last frame's tokens alone, which already see every frame.
    pub fn next(&self, latents: Tensor<4>, actions: Option<Tensor<3>>) -> Tensor<4> {
        let [batch, steps, tokens, dim] = latents.dims();
        let (rows, layers) = (steps * tokens, &self.transformer.layers);
        let (last, earlier) = match layers.split_last() {
            Some((last, earlier)) => (Some(last), earlier),
            None => (None, &layers[..]),
        };
        let mut x = self.embed(latents.clone(), actions);
        if !earlier.is_empty() {
            let mask = causal_in_time(steps, tokens, &x.device());
            for layer in earlier {
                x = layer::through(layer, x, rows, Some(mask.clone()));
            }
        }
        let h = match last {
            Some(last) => layer::through(last, x, tokens, None),
            None => x.narrow(1, rows - tokens, tokens),
        };
        latents.narrow(1, steps - 1, 1) + self.output.forward(h).reshape([batch, 1, tokens, dim])
    }

    /// [`forward`](Self::forward) through burn's own `TransformerEncoder` (its attention
    /// layer's matmul, mask, softmax and matmul): the reference the fused layers are tested
    /// and timed against (`augur bench model`).
    pub fn forward_with_burn_layers(&self, latents: Tensor<4>, actions: Option<Tensor<3>>) -> Tensor<4> {
        let [batch, steps, tokens, dim] = latents.dims();
        let x = self.embed(latents.clone(), actions);
        let len = steps * tokens;
        let mask = causal_in_time(steps, tokens, &x.device()).expand([batch, len, len]);
        let h = self.transformer.forward(TransformerEncoderInput::new(x).mask_attn(mask));
        latents + self.output.forward(h).reshape([batch, steps, tokens, dim])
    }

    /// The transformer's input: each token's latent (and its change, when read) projected to the
    /// predictor's width, plus its place in time and on the grid, plus the action taken.
    fn embed(&self, latents: Tensor<4>, actions: Option<Tensor<3>>) -> Tensor<3> {
        let [batch, steps, tokens, dim] = latents.dims();
        let p = self.time.dims()[1];
        let mut x = self.input.forward(latents.clone().reshape([batch, steps * tokens, dim]));
        if let Some(motion) = &self.motion {
            // The first frame has no frame before it in the window: its change reads as zero.
            let before = match steps {
                1 => latents.clone(),
                _ => Tensor::cat(vec![latents.clone().narrow(1, 0, 1), latents.clone().narrow(1, 0, steps - 1)], 1),
            };
            x = x + motion.forward((latents - before).reshape([batch, steps * tokens, dim]));
        }
        let time = self.time.val().narrow(0, 0, steps).reshape([1, steps, 1, p]);
        let token = self.token.val().reshape([1, 1, tokens, p]);
        let mut pos = (time + token).expand([batch, steps, tokens, p]);
        if let (Some(embed), Some(actions)) = (&self.action, actions) {
            pos = pos + embed.forward(actions).unsqueeze_dim::<4>(2);
        }
        x + pos.reshape([batch, steps * tokens, p])
    }
}

/// The change reader, at zero.
fn motion_input(dim: usize, width: usize, device: &Device) -> Linear {
    LinearConfig::new(dim, width).with_initializer(Initializer::Zeros).init(device)
}

/// `true` where attention is blocked: a token may see every token of its own and earlier frames.
/// Built once (`[1, len, len]`) and broadcast over the batch and heads on the device (a batch
/// of 64 clips of 16 frames of an 8×8 grid would otherwise send 69 M flags from the host).
fn causal_in_time(steps: usize, tokens: usize, device: &Device) -> Tensor<3, Bool> {
    let len = steps * tokens;
    let one: Vec<bool> = (0..len * len).map(|i| (i % len) / tokens > (i / len) / tokens).collect();
    Tensor::<3, Bool>::from_data(TensorData::new(one, [1, len, len]), device)
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;

    /// A predictor whose every part counts: random output, motion input and actions.
    fn busy(cfg: &ModelConfig, device: &Device) -> Predictor {
        let mut predictor = Predictor::new(cfg, device);
        predictor.output = LinearConfig::new(cfg.predictor_dim, cfg.latent_dim).init(device);
        predictor.motion = Some(LinearConfig::new(cfg.latent_dim, cfg.predictor_dim).init(device));
        predictor
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    fn largest_gap(a: &[f32], b: &[f32]) -> f32 {
        crate::metrics::max_abs_diff(a, b)
    }

    /// The fused-attention layers compute what burn's own `TransformerEncoder` does.
    #[test]
    fn forward_matches_burns_transformer() {
        let device = Device::flex();
        let cfg = ModelConfig::tiny().with_predictor_layers(2).with_action_dim(2).with_context(4);
        let predictor = busy(&cfg, &device);
        let shape = [2, 3, cfg.tokens(), cfg.latent_dim];
        let z = Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device);
        let a = Tensor::<3>::random([2, 3, 2], Distribution::Uniform(0.0, 1.0), &device);
        let ours = values(predictor.forward(z.clone(), Some(a.clone())));
        let gap = largest_gap(&ours, &values(predictor.forward_with_burn_layers(z, Some(a))));
        assert!(gap < 1e-5, "the predictor's layers differ from burn's by {gap}");
    }

    #[test]
    fn next_is_the_last_step_of_forward() {
        let device = Device::flex();
        for layers in [0, 1, 3] {
            let cfg = ModelConfig::tiny().with_predictor_layers(layers).with_action_dim(2).with_context(4);
            let predictor = busy(&cfg, &device);
            for steps in [1, 2, 4] {
                let shape = [2, steps, cfg.tokens(), cfg.latent_dim];
                let z = Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device);
                let a = Tensor::<3>::random([2, steps, 2], Distribution::Uniform(0.0, 1.0), &device);
                let full = predictor.forward(z.clone(), Some(a.clone())).narrow(1, steps - 1, 1);
                let last = predictor.next(z.clone(), Some(a));
                let (full, last) = (values(full), values(last));
                assert_eq!(full.len(), 2 * cfg.tokens() * cfg.latent_dim);
                let off = largest_gap(&full, &last);
                let moved = largest_gap(&full, &values(z.narrow(1, steps - 1, 1)));
                assert!(moved > 1e-2, "the predictor changed nothing ({moved}), so the test proves nothing");
                assert!(off < 1e-5, "{layers} layers, {steps} steps: next differs from forward by {off}");
            }
        }
    }
}
