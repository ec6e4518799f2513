//! Where a paced scene with sound starts. Its pictures ([`SceneSource`](super::SceneSource))
//! and its sound ([`SceneSound`](super::SceneSound)) are opened apart, at different moments,
//! yet must show and sound one simulation. The first of them opened starts the scene at the
//! frame due then; one opened while the other is still open joins it from the latest state
//! either published (about a second behind), so no opening simulates the whole session since
//! it began (after hours, seconds of physics before the first frame).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::{Scene, SceneConfig};
use crate::{CaptureError, SessionClock};

/// One scene simulated for its pictures and its sound.
#[derive(Debug)]
pub(super) struct Pair {
    /// Session frame (`⌊t · fps⌋` of the session clock) at which the scene's frame 0 was due.
    first: u64,
    fps: f64,
    /// The scene at the newest frame either side published.
    latest: Mutex<Scene>,
}

/// The pairs open now, by config and session (two sessions' clocks are not the same time).
type Pairs = HashMap<(String, Instant), Weak<Pair>>;
static OPEN: OnceLock<Mutex<Pairs>> = OnceLock::new();

impl Pair {
    /// Joins the pair of `cfg` open on `clock`, or starts one at the frame due now; returns it
    /// with the scene at the frame due now (or at the newest published, when that is later).
    pub(super) fn join(cfg: &SceneConfig, clock: SessionClock) -> Result<(Arc<Self>, Scene), CaptureError> {
        let due = (clock.now().as_secs_f64() * cfg.fps).floor() as u64;
        let mut open = OPEN.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, pair| pair.strong_count() > 0);
        let key = (format!("{cfg:?}"), clock.origin());
        if let Some(pair) = open.get(&key).and_then(Weak::upgrade) {
            let mut scene = pair.latest.lock().unwrap_or_else(PoisonError::into_inner).clone();
            while pair.first.saturating_add(scene.frame_index()) < due {
                scene.step();
            }
            return Ok((pair, scene));
        }
        let scene = Scene::new(cfg)?;
        let pair = Arc::new(Self { first: due, fps: cfg.fps, latest: Mutex::new(scene.clone()) });
        open.insert(key, Arc::downgrade(&pair));
        Ok((pair, scene))
    }

    /// Session time at which the scene's frame `index` is due.
    pub(super) fn due(&self, index: u64) -> Duration {
        super::frame_time(self.first.saturating_add(index), self.fps)
    }

    /// Keeps `scene` as the state a later opening starts from: once a second of frames, since a
    /// copy holds the picture's canvas too.
    pub(super) fn publish(&self, scene: &Scene) {
        let every = (self.fps.ceil() as u64).max(1);
        if !scene.frame_index().is_multiple_of(every) {
            return;
        }
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if latest.frame_index() < scene.frame_index() {
            *latest = scene.clone();
        }
    }

    /// The frame of the state a later opening would start from.
    #[cfg(test)]
    pub(super) fn published(&self) -> u64 {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner).frame_index()
    }
}
