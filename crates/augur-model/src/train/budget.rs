//! A training time budget (`--minutes`) turned into a step count.

use crate::ModelError;

/// A time budget turned into a step count once the steady pace is known, and checked once
/// more halfway through what is left (the first pace can be off while other work on the
/// machine settles).
pub(super) struct Budget {
    seconds: f64,
    /// Elapsed time when the timed steps began (the first steps compile kernels).
    timing_from: Option<f64>,
    /// Steps done at which the count is next set.
    next_check: usize,
    checks_left: u8,
}

impl Budget {
    /// Steps untimed while kernels compile and memory pools grow, then steps timed.
    const SETTLE: usize = 5;
    const TIMED: usize = 20;

    pub(super) fn new(seconds: f64) -> Result<Self, ModelError> {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(ModelError::BadConfig(format!(
                "time_budget_s must be a positive number of seconds, not {seconds}"
            )));
        }
        Ok(Self { seconds, timing_from: None, next_check: Self::SETTLE + Self::TIMED, checks_left: 2 })
    }

    /// After `done` steps in `elapsed` seconds: `Some(steps still to run)` (at least 1) when
    /// the count is (re)set, `None` otherwise.
    pub(super) fn resolve(&mut self, done: usize, elapsed: f64) -> Option<usize> {
        if done == Self::SETTLE {
            self.timing_from = Some(elapsed);
        }
        let from = self.timing_from?;
        if self.checks_left == 0 || (done < self.next_check && elapsed < self.seconds) {
            return None;
        }
        let per_step = (elapsed - from) / (done - Self::SETTLE).max(1) as f64;
        let left = ((self.seconds - elapsed).max(0.0) / per_step.max(1e-9)) as usize;
        self.checks_left -= 1;
        self.next_check = done + left / 2;
        Some(left.max(1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Budget;

    #[test]
    fn a_budget_becomes_the_steps_that_fit_once_the_pace_is_timed() {
        let mut b = Budget::new(10.0).unwrap();
        // Kernel compilation makes the first steps slow; they are not timed.
        assert_eq!(b.resolve(1, 3.0), None);
        assert_eq!(b.resolve(5, 4.0), None);
        assert_eq!(b.resolve(24, 6.4), None);
        // 20 steps in 2.5 s: 0.125 s each; 3.5 s left: 28 more.
        assert_eq!(b.resolve(25, 6.5), Some(28));
        // Checked again halfway through those 28, over every step timed so far.
        assert_eq!(b.resolve(30, 7.0), None);
        assert_eq!(b.resolve(39, 8.25), Some(14));
        assert_eq!(b.resolve(50, 9.9), None);
        // Out of time before the pace is known: one more step ends the run.
        let mut late = Budget::new(1.0).unwrap();
        assert_eq!(late.resolve(5, 2.0), Some(1));
        assert!(Budget::new(-1.0).is_err() && Budget::new(f64::NAN).is_err());
    }
}
