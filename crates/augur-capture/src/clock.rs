//! One monotonic clock per session: every frame, audio chunk, action and latent is stamped
//! with the time since the session began, so streams from different threads line up.

use std::time::{Duration, Instant};

/// Monotonic session clock. Cheap to clone; clones share the same origin.
#[derive(Debug, Clone, Copy)]
pub struct SessionClock {
    origin: Instant,
}

impl SessionClock {
    /// Starts a new session clock at zero.
    pub fn start() -> Self {
        Self { origin: Instant::now() }
    }

    /// Time since the session began.
    pub fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// The instant a session timestamp refers to, for sleeping until a frame is due.
    pub fn instant_at(&self, t: Duration) -> Instant {
        self.origin + t
    }
}

impl Default for SessionClock {
    fn default() -> Self {
        Self::start()
    }
}
