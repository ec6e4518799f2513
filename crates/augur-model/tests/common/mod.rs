//! A tiny model config and training job so tests run in seconds on the CPU.

#![allow(dead_code)]

use augur_model::ModelConfig;

/// The tiny architecture the tests use.
pub fn tiny() -> ModelConfig {
    ModelConfig::tiny()
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
        init: None,
        command: "test".into(),
        device: ComputeDevice::cpu(),
        cancel: Arc::new(AtomicBool::new(false)),
        stop_after: None,
    }
}

/// Trains a tiny model for a few steps and returns its card.
pub fn train_tiny(out: &Path, steps: usize) -> ModelCard {
    augur_model::train(&tiny_job(out, steps), |_| {}).unwrap_or_else(|e| panic!("training failed: {e}"))
}

/// The largest elementwise difference of two readings; infinite for a broken one (see
/// [`augur_model::metrics::max_abs_diff`]).
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    augur_model::metrics::max_abs_diff(a, b)
}

/// Fails with `what` and the difference when two readings differ by `tol` or more anywhere.
pub fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    let diff = max_diff(a, b);
    assert!(diff < tol, "{what} by {diff}");
}

/// Rewrites the card beside the model `base` (`…/model` for `…/model.json`) with `edit`,
/// which must change it.
pub fn edit_card(base: &Path, edit: impl FnOnce(&str) -> String) {
    let path = base.with_extension("json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&path, edited).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// [`edit_card`] on the card's JSON.
pub fn edit_card_json(base: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    edit_card(base, |text| {
        let mut card: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON: {e}"));
        edit(&mut card);
        card.to_string()
    });
}
