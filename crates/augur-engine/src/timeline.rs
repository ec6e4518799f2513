//! The timeline: the last minute (by default) of what the session saw and predicted, so a user
//! can pause, scrub back, step, and re-run a rollout from any moment.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// One processed frame: what the model saw, its latent, what it predicted next, and how
/// surprised it was by this frame.
#[derive(Debug, Clone)]
pub struct Moment {
    /// Position in the session (counts every frame the model processed).
    pub index: u64,
    /// Session-clock timestamp of the source frame.
    pub pts: Duration,
    /// The frame at model size, packed RGB8 (`size × size × 3`).
    pub input: Arc<[u8]>,
    /// The online encoder's tokens for this frame (`tokens × dim`), for what-if rollouts.
    pub tokens: Arc<[f32]>,
    /// The tokens' mean (`dim`), the point on the latent trajectory.
    pub pooled: Vec<f32>,
    /// The predicted frames t+1…t+H, packed RGB8, one after another.
    pub predicted: Arc<[u8]>,
    /// Pooled latents of the predicted steps (`H × dim`), the predicted branch.
    pub predicted_pooled: Vec<Vec<f32>>,
    /// Latent prediction error of this frame against the prediction made one frame earlier
    /// (`WorldModel::surprise`); NaN until there is an earlier prediction.
    pub surprise: f32,
    /// Pixel MSE of this frame against the decoded one-step prediction made one frame earlier.
    pub pixel_error: f32,
    /// Error heatmap of that comparison, packed RGB8 (`size × size × 3`).
    pub heatmap: Arc<[u8]>,
    /// For a model that fades: the share of its predicted change each step ahead kept (what
    /// its guesses that far ahead earned on this frame); `None` for one that draws its guesses.
    pub kept: Option<Arc<[f32]>>,
    /// What the second model (A/B compare) made of the same frame, when one is set.
    pub compare: Option<Arc<Compared>>,
}

/// The second model's view of a moment: the same frame, its own predictions and surprise.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The second model, as it was named.
    pub model: Arc<str>,
    /// Its input size in pixels (it may differ from the first model's).
    pub size: usize,
    /// The frame at its size, packed RGB8.
    pub input: Arc<[u8]>,
    /// Its predicted frames t+1…t+H, packed RGB8 at its size.
    pub predicted: Arc<[u8]>,
    /// Its surprise at this frame (NaN until it has an earlier prediction).
    pub surprise: f32,
    /// Pixel MSE against its own one-step prediction.
    pub pixel_error: f32,
    /// Its error heatmap, packed RGB8 at its size.
    pub heatmap: Arc<[u8]>,
}

/// A ring of moments covering at most `window` of session time.
#[derive(Debug)]
pub struct Timeline {
    window: Duration,
    moments: VecDeque<Moment>,
}

impl Timeline {
    /// An empty timeline keeping `window` of history.
    pub fn new(window: Duration) -> Self {
        Self { window, moments: VecDeque::new() }
    }

    /// Appends a moment and drops those older than the window.
    pub fn push(&mut self, m: Moment) {
        let newest = m.pts;
        self.moments.push_back(m);
        while self.moments.front().is_some_and(|f| newest.saturating_sub(f.pts) > self.window) {
            self.moments.pop_front();
        }
    }

    /// Forgets every moment (another model's latents do not belong with these).
    pub fn clear(&mut self) {
        self.moments.clear();
    }

    /// Moments held.
    pub fn len(&self) -> usize {
        self.moments.len()
    }

    /// Whether nothing is held yet.
    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }

    /// The newest moment.
    pub fn latest(&self) -> Option<&Moment> {
        self.moments.back()
    }

    /// The mean time between the newest (up to) 8 moments; a frame at 30 fps before there are
    /// two.
    pub fn spacing(&self) -> Duration {
        let recent: Vec<Duration> =
            self.moments.iter().skip(self.moments.len().saturating_sub(8)).map(|m| m.pts).collect();
        match (recent.first(), recent.last()) {
            (Some(oldest), Some(newest)) if recent.len() > 1 && newest > oldest => {
                (*newest - *oldest) / (recent.len() as u32 - 1)
            }
            _ => Duration::from_secs(1) / 30,
        }
    }

    /// The moment with session index `index`, if still held.
    pub fn get(&self, index: u64) -> Option<&Moment> {
        let first = self.moments.front()?.index;
        let i = usize::try_from(index.checked_sub(first)?).ok()?;
        self.moments.get(i).filter(|m| m.index == index)
    }

    /// The `n` moments up to and including `index` (fewer at the start of the timeline).
    pub fn before(&self, index: u64, n: usize) -> Vec<&Moment> {
        let mut out: Vec<&Moment> = self.moments.iter().filter(|m| m.index <= index).rev().take(n).collect();
        out.reverse();
        out
    }

    /// Every moment, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Moment> {
        self.moments.iter()
    }

    /// The surprise trace: (index, surprise) per moment.
    pub fn surprise_trace(&self) -> Vec<(u64, f32)> {
        self.moments.iter().map(|m| (m.index, m.surprise)).collect()
    }

    /// (index, surprise, the second model's surprise) per moment; NaN where it was not running.
    pub fn compare_trace(&self) -> Vec<(u64, f32, f32)> {
        self.moments
            .iter()
            .map(|m| (m.index, m.surprise, m.compare.as_ref().map_or(f32::NAN, |c| c.surprise)))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn moment(index: u64, ms: u64) -> Moment {
        Moment {
            index,
            pts: Duration::from_millis(ms),
            input: Arc::from(vec![0u8; 3]),
            tokens: Arc::from(vec![0f32; 2]),
            pooled: vec![0.0; 2],
            predicted: Arc::from(vec![0u8; 3]),
            predicted_pooled: Vec::new(),
            surprise: f32::NAN,
            pixel_error: 0.0,
            heatmap: Arc::from(vec![0u8; 3]),
            kept: None,
            compare: None,
        }
    }

    #[test]
    fn keeps_the_window_and_finds_moments() {
        let mut t = Timeline::new(Duration::from_secs(1));
        for i in 0..30 {
            t.push(moment(i, i * 100));
        }
        // 2.9 s of moments, 1 s kept: 1.9 s … 2.9 s.
        assert_eq!(t.len(), 11);
        assert_eq!(t.iter().next().unwrap().index, 19);
        assert_eq!(t.get(25).unwrap().index, 25);
        assert!(t.get(3).is_none());
        let ctx: Vec<u64> = t.before(22, 8).iter().map(|m| m.index).collect();
        assert_eq!(ctx, vec![19, 20, 21, 22]);
    }
}
