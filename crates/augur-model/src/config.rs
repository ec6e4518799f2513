//! The sizes of a world model. One config fully determines the parameter names and shapes, so
//! a checkpoint's card carries it and loading checks the weights against it.

use burn::config::Config;

use crate::ModelError;

/// Architecture of a world model: a conv video encoder to a grid of latent tokens, an optional
/// audio token per frame, a transformer predictor causal in time, and a conv decoder.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Side of the square RGB input, pixels: 64 (default) or 128.
    #[config(default = 64)]
    pub image_size: usize,
    /// Side of the latent token grid; `image_size / grid` must be a power of two, one
    /// stride-2 conv stage per halving.
    #[config(default = 4)]
    pub grid: usize,
    /// Channels of the first conv stage; each later stage doubles it, up to four times it.
    #[config(default = 32)]
    pub base_width: usize,
    /// Size of one latent token.
    #[config(default = 64)]
    pub latent_dim: usize,
    /// Width of the predictor transformer.
    #[config(default = 128)]
    pub predictor_dim: usize,
    /// Transformer layers in the predictor.
    #[config(default = 2)]
    pub predictor_layers: usize,
    /// Attention heads in the predictor; must divide `predictor_dim`.
    #[config(default = 4)]
    pub predictor_heads: usize,
    /// Frames of context the predictor sees (C).
    #[config(default = 8)]
    pub context: usize,
    /// Default rollout horizon (H).
    #[config(default = 8)]
    pub horizon: usize,
    /// Longest rollout allowed.
    #[config(default = 32)]
    pub max_horizon: usize,
    /// Mel bins of the audio token's input; 0 means no audio encoder.
    #[config(default = 64)]
    pub audio_mels: usize,
    /// The decoder paints over the last observed frame through a predicted mask, so static
    /// background comes for free and capacity goes to what moves (Finn et al. 2016's
    /// compositing). `false`: it paints every pixel.
    #[config(default = true)]
    pub composite: bool,
    /// The decoder also sees how each token differs from the latent of the last observed frame,
    /// so it can tell where the scene changed: it erases what moved away and keeps what did
    /// not. Without it, a compositing decoder only sees the new latents and must guess where
    /// to paint. `None` (cards written before this setting existed) means `false`.
    pub decoder_sees_change: Option<bool>,
    /// A compositing decoder also predicts a flow and moves the last observed frame along it
    /// before painting, so what moved stays sharp instead of being redrawn from the coarse
    /// latent grid (the transformation-based prediction of Finn et al. 2016). `None` means
    /// `false`; ignored without `composite`.
    pub decoder_warps: Option<bool>,
    /// A warping decoder's flow also has a coarse part, read at a quarter of the frame's side
    /// and upsampled, added to the fine one: a ball then moves as one piece, where a flow drawn
    /// pixel by pixel tears it into fragments. `None` means `false`; without a warp it is refused.
    pub decoder_coarse_flow: Option<bool>,
    /// The decoder also reads the last observed frame through a small strided conv stack whose
    /// features join each upsampling stage at their resolution (U-Net skips), so it can paint
    /// what it saw somewhere new: the latent grid says where things go, the frame what they
    /// look like. `None` means `false`.
    pub decoder_sees_frame: Option<bool>,
    /// Each predicted step is blended with the last observed frame by the weight that best
    /// fitted the model's guess as far ahead, drawn that many frames before, to the frame just
    /// seen (least squares, in [0, 1]; see [`fade`](crate::fade)): on footage where the model's
    /// guesses did not help, it shows that nothing changes instead of painting over the frame.
    /// `None` (cards before it) means `false`.
    pub fade_by_last_step: Option<bool>,
    /// The predictor also reads how each token changed since the frame before (its velocity
    /// in latent space), instead of having to find it by attending to the frame before.
    /// `None` means `false`.
    pub predictor_sees_motion: Option<bool>,
    /// Size of the per-step action vector (keys as 0/1, gamepad axes); 0 means no actions.
    #[config(default = 0)]
    pub action_dim: usize,
}

impl ModelConfig {
    /// The smallest useful model (32×32, 28 k weights): tests and benchmarks train and run it
    /// in seconds on the CPU.
    pub fn tiny() -> Self {
        Self::new()
            .with_image_size(32)
            .with_base_width(8)
            .with_latent_dim(16)
            .with_predictor_dim(32)
            .with_predictor_layers(1)
            .with_predictor_heads(2)
            .with_context(3)
            .with_horizon(2)
            .with_max_horizon(4)
            .with_audio_mels(8)
    }

    /// Whether the decoder takes the change from the last observed frame's latent as well.
    pub fn sees_change(&self) -> bool {
        self.decoder_sees_change.unwrap_or(false)
    }

    /// Whether the decoder reads the last observed frame's pixels through its own conv stack.
    pub fn sees_frame(&self) -> bool {
        self.decoder_sees_frame.unwrap_or(false)
    }

    /// Channels of each of the frame stack's features ([`ModelConfig::sees_frame`]).
    pub fn frame_width(&self) -> usize {
        (self.base_width / 2).max(4)
    }

    /// Whether the predictor reads each token's change since the frame before.
    pub fn sees_motion(&self) -> bool {
        self.predictor_sees_motion.unwrap_or(false)
    }

    /// Whether the decoder warps the last observed frame by a predicted flow.
    pub fn warps(&self) -> bool {
        self.composite && self.decoder_warps.unwrap_or(false)
    }

    /// Whether the warp's flow has a coarse part ([`ModelConfig::decoder_coarse_flow`]).
    pub fn coarse_flow(&self) -> bool {
        self.warps() && self.decoder_coarse_flow.unwrap_or(false)
    }

    /// Whether predictions are blended by how well the model's earlier guesses did.
    pub fn fades(&self) -> bool {
        self.fade_by_last_step.unwrap_or(false)
    }

    /// Video tokens per frame.
    pub fn video_tokens(&self) -> usize {
        self.grid * self.grid
    }

    /// All tokens per frame: the video grid plus the audio token when there is one.
    pub fn tokens(&self) -> usize {
        self.video_tokens() + usize::from(self.audio_mels > 0)
    }

    /// Channel widths of the encoder's stride-2 stages, input side first; the last is the
    /// latent size. The decoder mirrors them.
    pub fn stage_widths(&self) -> Vec<usize> {
        let stages = (self.image_size / self.grid.max(1)).max(1).ilog2() as usize;
        let mut widths: Vec<usize> =
            (0..stages.saturating_sub(1)).map(|i| (self.base_width << i).min(self.base_width * 4)).collect();
        widths.push(self.latent_dim);
        widths
    }

    /// About how many weights this architecture has, from above (convolutions of the encoder,
    /// its EMA copy and the decoder, the predictor's layers, embeddings): enough to tell a
    /// card's config from the file it came with, without building the model.
    pub fn rough_parameters(&self) -> u64 {
        let w = |v: usize| v as u64;
        let mut widths = vec![3];
        widths.extend(self.stage_widths());
        let convs: u64 = widths.windows(2).map(|p| 2 * 9 * (w(p[0]) + 1) * w(p[1])).sum();
        let d = w(self.predictor_dim);
        let predictor = w(self.predictor_layers).saturating_mul(16).saturating_mul(d).saturating_mul(d);
        let embeddings = (w(self.tokens()) * w(self.context) + w(self.action_dim) + 4 * w(self.latent_dim)) * d
            + w(self.audio_mels) * w(self.latent_dim) * 4;
        convs.saturating_mul(4).saturating_add(predictor).saturating_add(embeddings)
    }

    /// Checks that the sizes fit together; the message names the setting to change.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |why: String| Err(ModelError::BadConfig(why));
        if !matches!(self.image_size, 32 | 64 | 128 | 256) {
            return bad(format!("image_size {} must be 32, 64, 128 or 256", self.image_size));
        }
        if self.grid == 0
            || !self.image_size.is_multiple_of(self.grid)
            || !(self.image_size / self.grid).is_power_of_two()
        {
            return bad(format!("grid {} must divide image_size {} by a power of two", self.grid, self.image_size));
        }
        if self.image_size / self.grid < 2 {
            return bad(format!("grid {} leaves no conv stage for image_size {}", self.grid, self.image_size));
        }
        if self.base_width == 0 || self.latent_dim == 0 || self.predictor_dim == 0 || self.predictor_layers == 0 {
            return bad("base_width, latent_dim, predictor_dim and predictor_layers must be at least 1".into());
        }
        if self.predictor_heads == 0 || !self.predictor_dim.is_multiple_of(self.predictor_heads) {
            return bad(format!(
                "predictor_heads {} must divide predictor_dim {}",
                self.predictor_heads, self.predictor_dim
            ));
        }
        if self.context == 0 || self.horizon == 0 || self.horizon > self.max_horizon {
            return bad(format!(
                "context {} and horizon {} must be at least 1, horizon at most max_horizon {}",
                self.context, self.horizon, self.max_horizon
            ));
        }
        // Bounds well above any model that trains on one GPU, so a hand-edited card is refused
        // with a reason instead of asking for terabytes as its model is built.
        let limits = [
            ("base_width", self.base_width, 1024),
            ("latent_dim", self.latent_dim, 4096),
            ("predictor_dim", self.predictor_dim, 4096),
            ("predictor_layers", self.predictor_layers, 64),
            ("grid", self.grid, 32),
            ("context", self.context, 256),
            ("max_horizon", self.max_horizon, 256),
            // The spectrogram's 512-sample window has 257 frequency bins to share out.
            ("audio_mels", self.audio_mels, 257),
            ("action_dim", self.action_dim, 4096),
        ];
        if let Some((name, value, most)) = limits.iter().find(|(_, v, most)| v > most) {
            return bad(format!("{name} {value} is more than Augur builds ({most} at most)"));
        }
        if self.context < 2 {
            return bad(format!(
                "context {} must be at least 2: the predictor learns from one frame to the next",
                self.context
            ));
        }
        if self.context * self.video_tokens() > 8192 {
            return bad(format!(
                "context {} × grid {}² tokens is {} positions for the predictor's attention, more than 8192",
                self.context,
                self.grid,
                self.context * self.video_tokens()
            ));
        }
        if self.decoder_coarse_flow.unwrap_or(false) && !self.warps() {
            return bad("decoder_coarse_flow adds to a warp's flow: it needs decoder_warps (and composite)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sizes_fit() {
        let cfg = ModelConfig::new();
        assert!(cfg.validate().is_ok());
        assert_eq!(cfg.stage_widths(), vec![32, 64, 128, 64]);
        assert_eq!(cfg.tokens(), 17);
        let big = ModelConfig::new().with_image_size(128);
        assert_eq!(big.stage_widths().len(), 5);
    }

    #[test]
    fn bad_sizes_are_named() {
        let err = ModelConfig::new().with_grid(3).validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("grid 3"), "{err}");
        assert!(ModelConfig::new().with_predictor_heads(3).validate().is_err());
        assert!(ModelConfig::new().with_horizon(40).validate().is_err());
        let coarse = ModelConfig::new().with_decoder_coarse_flow(Some(true));
        assert!(coarse.validate().err().is_some_and(|e| e.to_string().contains("needs decoder_warps")));
        assert!(coarse.with_decoder_warps(Some(true)).validate().is_ok());
        // What a hand-edited card might say: refused with the setting named, before any memory
        // is asked for.
        let named = |cfg: ModelConfig| cfg.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(named(ModelConfig::new().with_context(1)).contains("context 1 must be at least 2"));
        assert!(named(ModelConfig::new().with_latent_dim(100_000_000)).contains("latent_dim 100000000 is more"));
        assert!(named(ModelConfig::new().with_base_width(1 << 62)).contains("base_width"));
        assert!(
            named(ModelConfig::new().with_grid(8).with_context(256))
                .contains("positions for the predictor's attention")
        );
        assert!(named(ModelConfig::new().with_image_size(256).with_grid(128)).contains("grid 128 is more"));
    }
}
