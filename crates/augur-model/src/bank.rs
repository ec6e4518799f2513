//! The latent bank. In predictor-only training the encoders are frozen, so a clip's latents
//! never change: the bank encodes clips once (by the online encoder and by the EMA target) and
//! draws every batch as windows of them at random offsets. A step then pays for the predictor
//! alone instead of also encoding each of its frames twice.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::{Device, Tensor};

use crate::data::{ClipSource, Rng};
use crate::{ModelConfig, ModelError, WorldModel};

/// Mixed into the run's seed for the bank's clips: they depend on the seed alone, so a resumed
/// run rebuilds the very bank it started with.
const BANK_SALT: u64 = 0xBA4C_5EED_0F1A_7E57;

/// The most latent memory (online and target together) a bank may take.
pub const MAX_BANK_BYTES: usize = 4 << 30;

/// Bank clips encoded per pass through the encoders.
const CHUNK: usize = 8;

/// What a bank holds: `clips` clips for training clips of `len` frames of `size`², drawn with
/// the run's `seed`.
pub struct BankSpec {
    /// Clips in the bank.
    pub clips: usize,
    /// Frames of a training clip.
    pub len: usize,
    /// Frame side in pixels.
    pub size: usize,
    /// The run's seed.
    pub seed: u64,
}

/// Clips encoded once, as `[clips, frames, tokens, dim]` latents of both encoders.
pub struct LatentBank {
    online: Tensor<4>,
    target: Tensor<4>,
}

impl LatentBank {
    /// Frames per bank clip for training clips of `len`: twice as many, so each bank clip
    /// offers `len + 1` different windows.
    pub fn clip_frames(len: usize) -> usize {
        2 * len
    }

    /// Bytes of latents a bank of `clips` clips takes for training clips of `len` frames.
    pub fn bytes(clips: usize, len: usize, cfg: &ModelConfig) -> usize {
        clips.saturating_mul(Self::clip_frames(len) * cfg.tokens() * cfg.latent_dim * 4 * 2)
    }

    /// Refuses a bank of no clips, or one whose latents would take more than
    /// [`MAX_BANK_BYTES`], saying how many clips of this model fit.
    pub fn check_size(clips: usize, len: usize, cfg: &ModelConfig) -> Result<(), ModelError> {
        let per_clip = Self::bytes(1, len, cfg).max(1);
        if clips == 0 || Self::bytes(clips, len, cfg) > MAX_BANK_BYTES {
            return Err(ModelError::BadConfig(format!(
                "latent_bank holds 1 to {} clips of this model ({} KiB each), not {clips}",
                MAX_BANK_BYTES / per_clip,
                per_clip / 1024
            )));
        }
        Ok(())
    }

    /// Draws `spec.clips` clips from `sources` by `weights` (the run's mix) and encodes them
    /// with `model`'s frozen encoders; `progress(done, clips)` after each pass. `None` when
    /// `cancel` was set before the last pass: a long encoding stops within a pass.
    pub fn build(
        model: &WorldModel,
        sources: &[ClipSource],
        weights: &[f32],
        spec: &BankSpec,
        device: &Device,
        cancel: &AtomicBool,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Option<Self>, ModelError> {
        let (clips, size) = (spec.clips, spec.size);
        let frames = Self::clip_frames(spec.len);
        let mut rng = Rng(spec.seed ^ BANK_SALT);
        let (mut online, mut target) = (Vec::new(), Vec::new());
        let mut done = 0;
        while done < clips {
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let n = CHUNK.min(clips - done);
            let drawn = crate::train::batch(sources, weights, frames, n, size, model.online.mels(), &mut rng)?;
            let (x, mels) = drawn.tensors(frames, size, device);
            let chunk = Self::of(model, x, mels);
            online.push(chunk.online);
            target.push(chunk.target);
            done += n;
            progress(done, clips);
        }
        Ok(Some(Self { online: Tensor::cat(online, 0), target: Tensor::cat(target, 0) }))
    }

    /// A bank of the clips `frames` (`[clips, frames, 3, S, S]`, heard as `mels` when they have
    /// sound), encoded by `model`.
    pub fn of(model: &WorldModel, frames: Tensor<5>, mels: Option<Tensor<3>>) -> Self {
        Self {
            online: model.online.forward(frames.clone(), mels.clone()).detach(),
            target: model.target.forward(frames, mels).detach(),
        }
    }

    /// `batch` windows of `len` frames, each from a random clip at a random offset: the online
    /// latents and the target latents, `[batch, len, tokens, dim]` each.
    pub fn draw(&self, batch: usize, len: usize, rng: &mut Rng) -> (Tensor<4>, Tensor<4>) {
        let [clips, frames, _, _] = self.online.dims();
        let (mut online, mut target) = (Vec::with_capacity(batch), Vec::with_capacity(batch));
        for _ in 0..batch {
            let clip = rng.below(clips as u64) as usize;
            let from = rng.below((frames - len.min(frames) + 1) as u64) as usize;
            let window = |t: &Tensor<4>| t.clone().narrow(0, clip, 1).narrow(1, from, len);
            online.push(window(&self.online));
            target.push(window(&self.target));
        }
        (Tensor::cat(online, 0), Tensor::cat(target, 0))
    }
}
