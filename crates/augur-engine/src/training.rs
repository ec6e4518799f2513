//! Fine-tuning in the background while the live view keeps running: a thread runs
//! [`augur_model::train`] from a model's weights on a recorded dataset, and the window polls
//! its progress (step, loss history for the plot, throughput, ETA), cancels it, and picks up
//! the resulting model when it is done.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use augur_model::{DeviceChoice, TrainConfig, TrainJob, pick_device};

use crate::EngineError;
use crate::session::lock;

/// What to fine-tune, on what, into where.
#[derive(Debug, Clone)]
pub struct FineTune {
    /// Training data, e.g. `dataset:/home/me/Augur/datasets/webcam`.
    pub data: String,
    /// The model to start from (base path, without extension).
    pub init: PathBuf,
    /// Output folder; the model is written as `<out>/model.safetensors` + `model.json`.
    pub out: PathBuf,
    /// Optimiser steps.
    pub steps: usize,
    /// Peak learning rate ([`FINE_TUNE_RATE`] unless asked otherwise: a run that diverges says
    /// to try a lower one).
    pub learning_rate: f64,
    /// Where to compute.
    pub device: DeviceChoice,
}

/// The learning rate a fine-tune uses unless given another: gentler than training from scratch.
pub const FINE_TUNE_RATE: f64 = 3e-4;

/// Refuses a fine-tune's learning rate outside 1e-7 to 0.1, saying so.
pub fn check_rate(learning_rate: f64) -> Result<(), EngineError> {
    if learning_rate.is_finite() && (1e-7..=0.1).contains(&learning_rate) {
        Ok(())
    } else {
        Err(EngineError::Usage(format!("the learning rate must be 1e-7 to 0.1, got {learning_rate}")))
    }
}

/// What the training panel shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TrainingStatus {
    /// Whether the thread is still training.
    pub running: bool,
    /// The output folder's name (the new model's name in the picker).
    pub name: String,
    /// Steps done.
    pub step: usize,
    /// Steps in total.
    pub steps: usize,
    /// `(step, total loss, prediction loss)` after every step, for the loss plot.
    pub losses: Vec<(usize, f32, f32)>,
    /// Clips per second.
    pub samples_per_s: f64,
    /// Seconds left, estimated.
    pub eta_s: f64,
    /// The device it trains on.
    pub device: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Whether it was cancelled (the last checkpoint is kept and usable).
    pub cancelled: bool,
    /// The trained model's base path once a checkpoint exists.
    pub model: Option<String>,
}

/// A fine-tune running on its own thread. Dropping it cancels the run and waits for its
/// checkpoint.
pub struct Training {
    status: Arc<Mutex<TrainingStatus>>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Training {
    /// Checks the job and starts it.
    pub fn start(job: FineTune) -> Result<Self, EngineError> {
        if !(1..=100_000).contains(&job.steps) {
            return Err(EngineError::Usage(format!("steps must be 1 to 100000, got {}", job.steps)));
        }
        check_rate(job.learning_rate)?;
        if job.out.join("model.safetensors").exists() {
            return Err(EngineError::Usage(format!(
                "{} already holds a model; choose another name",
                job.out.display()
            )));
        }
        let card = augur_model::checkpoint::load_card(&job.init)?;
        let device = pick_device(&job.device)?;
        // Fine-tuning: a short warm-up,
        // checkpoints often enough that a cancel keeps most of the work.
        let config = TrainConfig::new(card.config.clone())
            .with_steps(job.steps)
            .with_learning_rate(job.learning_rate)
            .with_warmup_steps((job.steps / 10).clamp(1, 50))
            .with_checkpoint_every((job.steps / 4).clamp(1, 100));
        let name = job.out.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let status = Arc::new(Mutex::new(TrainingStatus {
            running: true,
            name,
            steps: job.steps,
            device: device.name.clone(),
            ..TrainingStatus::default()
        }));
        let cancel = Arc::new(AtomicBool::new(false));
        let train_job = TrainJob {
            config,
            data: vec![(job.data.clone(), 1.0)],
            out: job.out.clone(),
            resume: false,
            init: Some(job.init.clone()),
            command: format!(
                "augur train --init {} --data {} --steps {} --lr {} --out {}  (from the app)",
                job.init.display(),
                job.data,
                job.steps,
                job.learning_rate,
                job.out.display()
            ),
            device,
            cancel: cancel.clone(),
            stop_after: None,
        };
        let thread = {
            let status = status.clone();
            let base = job.out.join("model");
            std::thread::Builder::new()
                .name("augur-train".into())
                .spawn(move || {
                    let done = status.clone();
                    let cancel = train_job.cancel.clone();
                    settle(&done, &cancel, move || {
                        augur_model::train(&train_job, |p| {
                            if p.bank.is_some() {
                                // Encoding a latent bank, before the first step: no losses yet.
                                return;
                            }
                            let mut s = lock(&status);
                            s.step = p.step;
                            s.losses.push((p.step, p.losses.total, p.losses.prediction));
                            s.samples_per_s = p.samples_per_s;
                            s.eta_s = p.eta_s;
                            if p.checkpoint.is_some() {
                                s.model = Some(base.display().to_string());
                            }
                        })
                        .map_err(|e| e.to_string())
                    });
                })
                .map_err(|e| EngineError::Usage(format!("cannot start the training thread: {e}")))?
        };
        Ok(Self { status, cancel, thread: Some(thread) })
    }

    /// Progress so far.
    pub fn status(&self) -> TrainingStatus {
        lock(&self.status).clone()
    }

    /// Asks the run to stop after the current step (it writes a checkpoint first).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Runs the training and marks the job ended however it ends, a panic in burn included: the
/// panel would otherwise show it running forever and refuse every later fine-tune.
fn settle<T>(status: &Mutex<TrainingStatus>, cancel: &AtomicBool, train: impl FnOnce() -> Result<T, String>) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(train)).unwrap_or_else(|panic| {
        Err(format!("the training stopped on an internal error: {}", crate::model_thread::panic_text(&*panic)))
    });
    let mut s = lock(status);
    s.running = false;
    s.cancelled = cancel.load(Ordering::Relaxed);
    if let Err(e) = result {
        s.error = Some(e);
    }
}

impl Drop for Training {
    fn drop(&mut self) {
        self.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A training that panics (burn does, on some device faults) ends the job with the reason.
    #[test]
    fn a_panicking_training_ends_the_job_with_why() {
        let status = Mutex::new(TrainingStatus { running: true, ..TrainingStatus::default() });
        let cancel = AtomicBool::new(false);
        settle::<()>(&status, &cancel, || panic!("device lost"));
        let s = lock(&status).clone();
        assert!(!s.running);
        assert_eq!(s.error.as_deref(), Some("the training stopped on an internal error: device lost"));
        settle(&status, &cancel, || Ok::<_, String>(()));
        assert!(lock(&status).error.is_some(), "an earlier error stays until the next job");
    }
}
