//! The bounds a training config must keep, checked wherever it comes from.

use super::TrainConfig;
use crate::ModelError;

impl TrainConfig {
    /// Checks the numbers a run sizes its memory and its loop by, wherever they came from (flags,
    /// a `--config` file, or a run's card when it resumes): a batch of 100 000 clips or a
    /// rollout of 2^64 steps was an allocation of tens of GB (an abort) or an overflow.
    pub fn check(&self) -> Result<(), ModelError> {
        let bad = |why: String| Err(ModelError::BadConfig(why));
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return bad(format!("batch_size must be 1 to {MAX_BATCH}, not {}", self.batch_size));
        }
        if self.steps == 0 || self.steps > MAX_STEPS {
            return bad(format!("steps must be 1 to {MAX_STEPS}, not {}", self.steps));
        }
        if self.loss.rollout_steps > MAX_ROLLOUT {
            return bad(format!("loss.rollout_steps must be 0 to {MAX_ROLLOUT}, not {}", self.loss.rollout_steps));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!("learning_rate must be a number above 0, not {}", self.learning_rate));
        }
        if !(0.0..=1.0).contains(&self.ema) {
            return bad(format!("ema must be 0 to 1, not {}", self.ema));
        }
        if let Some(s) = self.time_budget_s.filter(|s| !(s.is_finite() && *s > 0.0 && *s <= MAX_BUDGET_S)) {
            return bad(format!("time_budget_s must be above 0 and at most a year ({MAX_BUDGET_S} s), not {s}"));
        }
        // The latent bank's size is checked against the memory its clips take (`bank.rs`).
        Ok(())
    }
}

/// The largest batch, rollout, run and time budget a config may ask for.
const MAX_BATCH: usize = 1024;
const MAX_ROLLOUT: usize = 64;
pub(super) const MAX_STEPS: usize = 100_000_000;
const MAX_BUDGET_S: f64 = 365.0 * 86_400.0;
