//! A tiny model config and training job so tests run in seconds on the CPU.

#![allow(dead_code)]

use augur_model::ModelConfig;

/// The tiny architecture the tests use.
pub fn tiny() -> ModelConfig {
    ModelConfig::new()
        .with_image_size(32)
        .with_grid(4)
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

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use augur_model::{ComputeDevice, ModelCard, TrainConfig, TrainJob};

/// A tiny training job on random scenes, writing to `out`.
pub fn tiny_job(out: &Path, steps: usize) -> TrainJob {
    TrainJob {
        config: TrainConfig::new(tiny())
            .with_steps(steps)
            .with_batch_size(2)
            .with_checkpoint_every(2)
            .with_warmup_steps(1),
        data: vec![("scene:bounce".into(), 1.0)],
        out: out.to_path_buf(),
        resume: false,
        command: "test".into(),
        device: ComputeDevice::cpu(),
        cancel: Arc::new(AtomicBool::new(false)),
    }
}

/// Trains a tiny model for a few steps and returns its card.
pub fn train_tiny(out: &Path, steps: usize) -> ModelCard {
    augur_model::train(&tiny_job(out, steps), |_| {}).unwrap_or_else(|e| panic!("training failed: {e}"))
}
