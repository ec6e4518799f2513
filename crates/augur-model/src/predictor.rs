//! The predictor: a transformer over time × tokens, causal in time, that maps the latents of
//! frames `1..=T` (plus optional actions) to its guess of the latents of frames `2..=T+1`.

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
        let device = latents.device();
        let p = self.time.dims()[1];
        let mut x = self.input.forward(latents.clone().reshape([batch, steps * tokens, dim]));
        if let Some(motion) = &self.motion {
            // The first frame has no frame before it in the window: its change reads as zero.
            let before = match steps {
                1 => latents.clone(),
                _ => Tensor::cat(vec![latents.clone().narrow(1, 0, 1), latents.clone().narrow(1, 0, steps - 1)], 1),
            };
            x = x + motion.forward((latents.clone() - before).reshape([batch, steps * tokens, dim]));
        }
        let time = self.time.val().narrow(0, 0, steps).reshape([1, steps, 1, p]);
        let token = self.token.val().reshape([1, 1, tokens, p]);
        let mut pos = (time + token).expand([batch, steps, tokens, p]);
        if let (Some(embed), Some(actions)) = (&self.action, actions) {
            pos = pos + embed.forward(actions).unsqueeze_dim::<4>(2);
        }
        let x = x + pos.reshape([batch, steps * tokens, p]);
        let mask = causal_in_time(batch, steps, tokens, &device);
        let h = self.transformer.forward(TransformerEncoderInput::new(x).mask_attn(mask));
        latents + self.output.forward(h).reshape([batch, steps, tokens, dim])
    }
}

/// The change reader, at zero.
fn motion_input(dim: usize, width: usize, device: &Device) -> Linear {
    LinearConfig::new(dim, width).with_initializer(Initializer::Zeros).init(device)
}

/// `true` where attention is blocked: a token may see every token of its own and earlier frames.
/// Built once and broadcast over the batch on the device (a batch of 64 clips of 16 frames of
/// an 8×8 grid would otherwise send 69 M flags from the host at every call).
fn causal_in_time(batch: usize, steps: usize, tokens: usize, device: &Device) -> Tensor<3, Bool> {
    let len = steps * tokens;
    let one: Vec<bool> = (0..len * len).map(|i| (i % len) / tokens > (i / len) / tokens).collect();
    Tensor::<3, Bool>::from_data(TensorData::new(one, [1, len, len]), device).expand([batch, len, len])
}
