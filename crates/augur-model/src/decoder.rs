//! The decoder: latent tokens back to pixels, so people can see what the model predicts.
//! It is trained on stop-gradient target latents and never shapes the encoder.

use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::activation::{gelu, sigmoid, tanh};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};

use crate::ModelConfig;
use crate::warp::warp;

/// What a decoder drew. `D` is 4 for frames, 5 for `[batch, T, …]` sequences.
#[derive(Clone, Debug)]
pub struct Drawing<const D: usize> {
    /// RGB in [0, 1].
    pub pixels: Tensor<D>,
    /// A compositing decoder's mask, one channel: 1 = painted, 0 = the last frame kept or moved.
    pub mask: Option<Tensor<D>>,
    /// A warping decoder's flow, x then y, in pixels: where each pixel read the last frame.
    pub flow: Option<Tensor<D>>,
}

/// Stride-2 4×4 transposed convs mirroring the encoder, then a 3×3 conv to RGB (and, when
/// compositing, a mask that blends it over the last observed frame, and, when warping, a flow
/// that moves that frame first).
#[derive(Module, Debug)]
pub struct Decoder {
    stages: Vec<ConvTranspose2d>,
    /// Stride-2 convs over the last observed frame, full resolution first; empty unless the
    /// decoder sees the frame. Feature `j` joins the stage whose input has its resolution.
    frame_stages: Vec<Conv2d>,
    to_rgb: Conv2d,
    /// The flow's coarse part, from the features of the stage at a quarter of the frame's side
    /// ([`ModelConfig::decoder_coarse_flow`]); `None` without one.
    coarse_flow: Option<Conv2d>,
    grid: usize,
    composite: bool,
    sees_change: bool,
    warps: bool,
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
        // Seeing the change doubles the first stage's input: the new tokens, then their
        // difference from the last observed frame's tokens.
        let mut inputs = if cfg.sees_change() { 2 * cfg.latent_dim } else { cfg.latent_dim };
        let frame = if cfg.sees_frame() { cfg.frame_width() } else { 0 };
        let stages = outputs
            .iter()
            .map(|&width| {
                let conv = ConvTranspose2dConfig::new([inputs + frame, width], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .init(device);
                inputs = width;
                conv
            })
            .collect();
        let channels = match (cfg.composite, cfg.warps()) {
            (true, true) => 6,
            (true, false) => 4,
            (false, _) => 3,
        };
        let to_rgb = Conv2dConfig::new([inputs, channels], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device);
        let frame_stages = if cfg.sees_frame() { frame_stack(cfg, outputs.len(), device) } else { Vec::new() };
        let coarse_flow = cfg.coarse_flow().then(|| coarse_flow_conv(&outputs, device));
        Self {
            stages,
            frame_stages,
            to_rgb,
            coarse_flow,
            grid: cfg.grid,
            composite: cfg.composite,
            sees_change: cfg.sees_change(),
            warps: cfg.warps(),
        }
    }

    /// Whether the decoder moves the last observed frame by a predicted flow before painting.
    pub fn warps(&self) -> bool {
        self.warps
    }

    /// This compositing decoder made to warp, drawing exactly what it drew before: the flow's
    /// output channels start at zero, so it first keeps the last frame where it is.
    pub fn with_warp(mut self) -> Self {
        if self.warps || !self.composite {
            return self;
        }
        self.to_rgb.weight = with_zero_rows(self.to_rgb.weight, 2);
        self.to_rgb.bias = self.to_rgb.bias.map(|b| with_zero_rows(b, 2));
        self.warps = true;
        self
    }

    /// Whether the warp's flow has a coarse part.
    pub fn has_coarse_flow(&self) -> bool {
        self.coarse_flow.is_some()
    }

    /// This warping decoder given a coarse flow, drawing exactly what it drew before: the
    /// coarse flow starts at zero everywhere.
    pub fn with_coarse_flow(mut self, device: &Device) -> Self {
        if self.coarse_flow.is_some() || !self.warps {
            return self;
        }
        let outputs: Vec<usize> = self.stages.iter().map(|s| s.weight.dims()[1]).collect();
        self.coarse_flow = Some(coarse_flow_conv(&outputs, device));
        self
    }

    /// Whether the decoder reads the last observed frame's pixels ([`ModelConfig::sees_frame`]).
    pub fn sees_frame(&self) -> bool {
        !self.frame_stages.is_empty()
    }

    /// This decoder made to see the frame, drawing exactly what it drew before: each stage's
    /// new input channels start at zero, so the fresh frame stack has no effect until
    /// training moves them. Used to fine-tune a model trained without it.
    pub fn with_frame_input(mut self, cfg: &ModelConfig, device: &Device) -> Self {
        if self.sees_frame() {
            return self;
        }
        for stage in &mut self.stages {
            stage.weight = with_zero_rows(stage.weight.clone(), cfg.frame_width());
        }
        self.frame_stages = frame_stack(cfg, self.stages.len(), device);
        self
    }

    /// Whether [`Decoder::forward`] uses the last observed frame's tokens.
    pub fn sees_change(&self) -> bool {
        self.sees_change
    }

    /// This decoder made to see the change, drawing exactly what it drew before: the first
    /// stage's new input channels start at zero. Used to fine-tune a model trained without it.
    pub fn with_change_input(mut self) -> Self {
        if self.sees_change {
            return self;
        }
        let Some(first) = self.stages.first_mut() else { return self };
        let inputs = first.weight.dims()[0];
        first.weight = with_zero_rows(first.weight.clone(), inputs);
        self.sees_change = true;
        self
    }

    /// `[batch × repeat, grid², latent_dim]` video tokens (`repeat` consecutive ones per last
    /// frame) to `[batch × repeat, 3, S, S]` pixels in [0, 1], with the compositing mask
    /// (`[batch × repeat, 1, S, S]`, 1 = painted) and the warp's flow (`[batch × repeat, 2, S,
    /// S]`) when there are. `anchor` (`[batch, 3, S, S]`) is the last observed frame, used when
    /// compositing and when the decoder sees the frame, and `anchor_tokens` its tokens (same
    /// shape as `tokens`), used when the decoder sees change.
    pub fn forward(
        &self,
        tokens: Tensor<3>,
        anchor_tokens: Option<Tensor<3>>,
        anchor: Tensor<4>,
        repeat: usize,
    ) -> Drawing<4> {
        let each = |t: Tensor<4>| {
            let [n, c, h, w] = t.dims();
            t.unsqueeze_dim::<5>(1).expand([n, repeat, c, h, w]).reshape([n * repeat, c, h, w])
        };
        let tokens = match anchor_tokens.filter(|_| self.sees_change) {
            Some(before) => Tensor::cat(vec![tokens.clone(), tokens - before], 2),
            None if self.sees_change => Tensor::cat(vec![tokens.clone(), tokens.zeros_like()], 2),
            None => tokens,
        };
        let [batch, n, dim] = tokens.dims();
        debug_assert_eq!(n, self.grid * self.grid);
        let mut x = tokens.swap_dims(1, 2).reshape([batch, dim, self.grid, self.grid]);
        // The frame's features, once per frame rather than per predicted step; popped coarsest
        // first, to match the stages' inputs.
        let mut seen = Vec::with_capacity(self.frame_stages.len());
        let mut f = anchor.clone();
        for conv in &self.frame_stages {
            f = gelu(conv.forward(f));
            seen.push(each(f.clone()));
        }
        let anchor = each(anchor);
        let coarse_at = coarse_stage(self.stages.len());
        let mut coarse = None;
        for (i, conv) in self.stages.iter().enumerate() {
            if let Some(features) = seen.pop() {
                x = Tensor::cat(vec![x, features], 1);
            }
            x = gelu(conv.forward(x));
            if i == coarse_at {
                coarse = self.coarse_flow.as_ref().map(|c| c.forward(x.clone()));
            }
        }
        let out = self.to_rgb.forward(x);
        if !self.composite {
            return Drawing { pixels: sigmoid(out), mask: None, flow: None };
        }
        let rgb = sigmoid(out.clone().narrow(1, 0, 3));
        // Start near "keep the last frame": an untrained decoder is the copy-last baseline.
        let mask = sigmoid(out.clone().narrow(1, 3, 1).sub_scalar(2.0));
        // Up to a quarter of the frame either way: a fast ball over a rollout of 8 steps.
        let [_, _, size, _] = anchor.dims();
        let flow = self.warps.then(|| {
            let fine = out.narrow(1, 4, 2);
            let raw = match coarse {
                Some(coarse) => {
                    let up = InterpolateOptions::new(InterpolateMode::Bilinear).with_output_size([size, size]);
                    fine + interpolate(coarse, up)
                }
                None => fine,
            };
            tanh(raw).mul_scalar((size / 4) as f32)
        });
        let kept = match &flow {
            Some(flow) => warp(anchor, flow.clone()),
            None => anchor,
        };
        let pixels = rgb * mask.clone() + kept * mask.clone().neg().add_scalar(1.0);
        Drawing { pixels, mask: Some(mask), flow }
    }
}

/// The stage whose output is a quarter of the frame's side (the last is the full frame, each
/// before it half the next), or the first when there are fewer.
fn coarse_stage(stages: usize) -> usize {
    stages.saturating_sub(3)
}

/// The coarse flow's 3×3 conv over stage [`coarse_stage`]'s `outputs` channels to 2, all zero,
/// so a decoder given one first moves nothing more than it did.
fn coarse_flow_conv(outputs: &[usize], device: &Device) -> Conv2d {
    let width = outputs.get(coarse_stage(outputs.len())).copied().unwrap_or(1);
    let mut conv =
        Conv2dConfig::new([width, 2], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device);
    conv.weight = Param::from_tensor(conv.weight.val().zeros_like());
    conv.bias = conv.bias.map(|b| Param::from_tensor(b.val().zeros_like()));
    conv
}

/// `stages` stride-2 4×4 convs from RGB, each halving the frame, `cfg.frame_width()` channels.
fn frame_stack(cfg: &ModelConfig, stages: usize, device: &Device) -> Vec<Conv2d> {
    let width = cfg.frame_width();
    (0..stages)
        .map(|i| {
            Conv2dConfig::new([if i == 0 { 3 } else { width }, width], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        })
        .collect()
}

/// `param` with `rows` zero rows appended along its first dimension (new output channels of a
/// conv, new input channels of a transposed conv, new bias entries): the layer then computes
/// exactly what it did, and training moves the new weights from zero.
fn with_zero_rows<const D: usize>(param: Param<Tensor<D>>, rows: usize) -> Param<Tensor<D>> {
    let value = param.val();
    let mut shape = value.dims();
    shape[0] = rows;
    let zeros = Tensor::zeros(shape, &value.device());
    Param::from_tensor(Tensor::cat(vec![value, zeros], 0).detach())
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Tensor, TensorData};

    use super::*;

    #[test]
    fn a_decoder_that_sees_the_frame_draws_what_it_saw_and_widening_one_changes_nothing() {
        let device = Device::flex();
        // A decoder that paints every pixel: only the frame stack lets the anchor matter.
        let cfg = ModelConfig::tiny().with_composite(false).with_decoder_sees_frame(Some(true));
        let decoder = Decoder::new(&cfg, &device);
        assert!(decoder.sees_frame());
        let tokens = Tensor::<3>::random([1, 16, cfg.latent_dim], Distribution::Uniform(-1.0, 1.0), &device);
        let frame = || Tensor::<4>::random([1, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let draw = |d: &Decoder, anchor: Tensor<4>| -> Vec<f32> {
            d.forward(tokens.clone(), None, anchor, 1).pixels.into_data().try_to_vec::<f32>().unwrap_or_default()
        };
        let (a, b) = (draw(&decoder, frame()), draw(&decoder, frame()));
        assert!(a.iter().zip(&b).any(|(p, q)| (p - q).abs() > 1e-4), "the frame has no effect");

        // Repeated per predicted step: the i-th drawing is the i-th tokens over anchor i / 2.
        let cfg = ModelConfig::tiny().with_decoder_sees_frame(Some(true)).with_decoder_warps(Some(true));
        let decoder = Decoder::new(&cfg, &device);
        let many = Tensor::<3>::random([4, 16, cfg.latent_dim], Distribution::Uniform(-1.0, 1.0), &device);
        let anchors = Tensor::<4>::random([2, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let read = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let all = read(decoder.forward(many.clone(), None, anchors.clone(), 2).pixels);
        for i in 0..4 {
            let one =
                decoder.forward(many.clone().narrow(0, i, 1), None, anchors.clone().narrow(0, i / 2, 1), 1).pixels;
            let one = read(one);
            let part = &all[i * one.len()..(i + 1) * one.len()];
            assert!(part.iter().zip(&one).all(|(p, q)| (p - q).abs() < 1e-5), "drawing {i} differs when repeated");
        }

        let plain = Decoder::new(&ModelConfig::tiny(), &device);
        let anchor = frame();
        let before = draw(&plain, anchor.clone());
        let widened = plain.with_frame_input(&ModelConfig::tiny(), &device);
        assert!(widened.sees_frame());
        let diff = crate::metrics::max_abs_diff(&before, &draw(&widened, anchor));
        assert!(diff < 1e-6, "widening changed the drawing by {diff}");
    }

    #[test]
    fn a_decoder_that_sees_change_draws_differently_for_other_anchor_tokens() {
        let device = Device::flex();
        let cfg = ModelConfig::tiny().with_decoder_sees_change(Some(true));
        let decoder = Decoder::new(&cfg, &device);
        let tokens = || Tensor::<3>::random([1, 16, cfg.latent_dim], Distribution::Uniform(-1.0, 1.0), &device);
        let (new, anchor) = (tokens(), Tensor::<4>::random([1, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device));
        let draw = |before: Option<Tensor<3>>| -> Vec<f32> {
            decoder
                .forward(new.clone(), before, anchor.clone(), 1)
                .pixels
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default()
        };
        let (a, b) = (draw(Some(tokens())), draw(Some(tokens())));
        assert!(a.iter().zip(&b).any(|(p, q)| (p - q).abs() > 1e-4), "the change input has no effect");
        // No anchor tokens means no change.
        let (none, same) = (draw(None), draw(Some(new.clone())));
        assert!(none.iter().zip(&same).all(|(p, q)| (p - q).abs() < 1e-6));
    }

    #[test]
    fn the_coarse_flow_moves_every_pixel_of_the_frame_alike() {
        let device = Device::flex();
        let cfg = ModelConfig::tiny().with_decoder_warps(Some(true)).with_decoder_coarse_flow(Some(true));
        let mut decoder = Decoder::new(&cfg, &device);
        assert!(decoder.has_coarse_flow());
        let tokens = Tensor::<3>::random([1, 16, cfg.latent_dim], Distribution::Uniform(-1.0, 1.0), &device);
        let anchor = Tensor::<4>::random([1, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let flow = |d: &Decoder| -> Vec<f32> {
            let drawn = d.forward(tokens.clone(), None, anchor.clone(), 1);
            drawn.flow.map(|f| f.into_data().try_to_vec::<f32>().unwrap_or_default()).unwrap_or_default()
        };
        let before = flow(&decoder);
        assert_eq!(before.len(), 2 * 32 * 32);
        // A coarse flow of +1 everywhere in x (before the tanh): every pixel reads further right,
        // and y is left alone.
        if let Some(conv) = decoder.coarse_flow.as_mut() {
            let bias = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, 0.0], [2]), &device);
            conv.bias = Some(Param::from_tensor(bias));
        }
        let after = flow(&decoder);
        let (x, y) = (32 * 32, 2 * 32 * 32);
        assert!(after[..x].iter().zip(&before[..x]).all(|(a, b)| a - b > 0.1), "x did not move everywhere");
        assert!(after[x..y].iter().zip(&before[x..y]).all(|(a, b)| (a - b).abs() < 1e-6), "y moved");
    }
}
