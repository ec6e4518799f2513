//! Encoders: RGB frames to a grid of latent tokens, and a log-mel window to one audio token.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

use crate::ModelConfig;

/// Stride-2 3×3 convs, one per halving from `image_size` to `grid`; GELU between stages.
#[derive(Module, Debug)]
pub struct VideoEncoder {
    stages: Vec<Conv2d>,
}

impl VideoEncoder {
    /// A freshly initialised encoder for `cfg`.
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        let mut inputs = 3;
        let stages = cfg
            .stage_widths()
            .into_iter()
            .map(|width| {
                let conv = Conv2dConfig::new([inputs, width], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device);
                inputs = width;
                conv
            })
            .collect();
        Self { stages }
    }

    /// `[batch, 3, S, S]` pixels in [0, 1] to `[batch, grid², latent_dim]` tokens, row-major.
    pub fn forward(&self, frames: Tensor<4>) -> Tensor<3> {
        let last = self.stages.len().saturating_sub(1);
        let mut x = frames.sub_scalar(0.5).mul_scalar(2.0);
        for (i, conv) in self.stages.iter().enumerate() {
            x = conv.forward(x);
            if i < last {
                x = gelu(x);
            }
        }
        let [batch, dim, h, w] = x.dims();
        x.reshape([batch, dim, h * w]).swap_dims(1, 2)
    }
}

/// A two-layer MLP from one frame's log-mel bins to one latent token.
#[derive(Module, Debug)]
pub struct AudioEncoder {
    hidden: Linear,
    out: Linear,
}

impl AudioEncoder {
    /// A freshly initialised audio encoder for `cfg` (which must have `audio_mels > 0`).
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(cfg.audio_mels, cfg.latent_dim).init(device),
            out: LinearConfig::new(cfg.latent_dim, cfg.latent_dim).init(device),
        }
    }

    /// Mel bins this encoder takes.
    pub fn mels(&self) -> usize {
        self.hidden.weight.dims()[0]
    }

    /// `[batch, mels]` scaled log-mel (see [`crate::audio::scale_logmel`]) to `[batch, 1, latent_dim]`.
    pub fn forward(&self, mels: Tensor<2>) -> Tensor<3> {
        self.out.forward(gelu(self.hidden.forward(mels))).unsqueeze_dim(1)
    }
}
