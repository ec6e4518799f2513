//! The decoder: latent tokens back to pixels, so people can see what the model predicts.
//! It is trained on stop-gradient target latents and never shapes the encoder.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::activation::{gelu, sigmoid};
use burn::tensor::{Device, Tensor};

use crate::ModelConfig;

/// Stride-2 4×4 transposed convs mirroring the encoder, then a 3×3 conv to RGB (and, when
/// compositing, a mask that blends it over the last observed frame).
#[derive(Module, Debug)]
pub struct Decoder {
    stages: Vec<ConvTranspose2d>,
    to_rgb: Conv2d,
    grid: usize,
    composite: bool,
}

impl Decoder {
    /// A freshly initialised decoder for `cfg`.
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        let mut widths = cfg.stage_widths();
        widths.reverse();
        // Output widths: each stage takes the next-shallower encoder width; the last, at full
        // resolution, keeps half the first width (cheap, and enough for RGB).
        let mut outputs: Vec<usize> = widths.iter().skip(1).copied().collect();
        outputs.push((cfg.base_width / 2).max(8));
        let mut inputs = cfg.latent_dim;
        let stages = outputs
            .iter()
            .map(|&width| {
                let conv = ConvTranspose2dConfig::new([inputs, width], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .init(device);
                inputs = width;
                conv
            })
            .collect();
        let channels = if cfg.composite { 4 } else { 3 };
        let to_rgb = Conv2dConfig::new([inputs, channels], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device);
        Self { stages, to_rgb, grid: cfg.grid, composite: cfg.composite }
    }

    /// `[batch, grid², latent_dim]` video tokens to `[batch, 3, S, S]` pixels in [0, 1];
    /// `anchor` (`[batch, 3, S, S]`) is the last observed frame, used when compositing.
    pub fn forward(&self, tokens: Tensor<3>, anchor: Tensor<4>) -> Tensor<4> {
        let [batch, n, dim] = tokens.dims();
        debug_assert_eq!(n, self.grid * self.grid);
        let mut x = tokens.swap_dims(1, 2).reshape([batch, dim, self.grid, self.grid]);
        for conv in &self.stages {
            x = gelu(conv.forward(x));
        }
        let out = self.to_rgb.forward(x);
        if !self.composite {
            return sigmoid(out);
        }
        let rgb = sigmoid(out.clone().narrow(1, 0, 3));
        // Start near "keep the last frame": an untrained decoder is the copy-last baseline.
        let mask = sigmoid(out.narrow(1, 3, 1).sub_scalar(2.0));
        rgb * mask.clone() + anchor * mask.neg().add_scalar(1.0)
    }
}
