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

    /// The instant the session began, which tells one session's clock from another's.
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// A clock that began `ago`, for tests of sessions already long; `None` where the
    /// platform's monotonic clock cannot go back that far.
    #[cfg(test)]
    pub(crate) fn started_ago(ago: Duration) -> Option<Self> {
        Instant::now().checked_sub(ago).map(|origin| Self { origin })
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
