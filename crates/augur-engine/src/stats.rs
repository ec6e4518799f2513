//! Rates, latency and drops of a session, measured as it runs.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What the status bar and `augur bench live` show.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Source frames per second reaching the preview (last 2 s).
    pub preview_fps: f64,
    /// Predictions per second (last 2 s).
    pub prediction_hz: f64,
    /// Capture to prediction ready, median over the last 200 predictions (ms).
    pub latency_p50_ms: f64,
    /// The same, 99th percentile (ms).
    pub latency_p99_ms: f64,
    /// Mean model step (encode, rollout, decode, surprise) over the last 200 (ms).
    pub step_ms: f64,
    /// Frames the source delivered.
    pub frames: u64,
    /// Frames the model processed.
    pub predicted: u64,
    /// Frames the model skipped because it was busy (it always takes the newest); not those
    /// left by the stride or while paused.
    pub model_skipped: u64,
    /// Frames the sources produced that the capture thread never saw (should stay 0), over
    /// every source of the session.
    pub source_dropped: u64,
}

/// Running measurements.
#[derive(Debug, Default)]
pub struct Rates {
    captured: VecDeque<Instant>,
    predicted_at: VecDeque<Instant>,
    latencies: VecDeque<Duration>,
    steps: VecDeque<Duration>,
    frames: u64,
    /// Frames that came while the model was not paused.
    frames_live: u64,
    predicted: u64,
    /// Frames the model left on purpose (closer than the stride to the last it took).
    waived: u64,
    /// The current source's own count of frames it dropped, and the earlier sources' total.
    source_dropped: u64,
    dropped_before: u64,
}

const WINDOW: Duration = Duration::from_secs(2);

impl Rates {
    /// A source frame reached the capture thread; `source_skipped` is its source's count so
    /// far (from 0 again after a reopen or a switch).
    pub fn captured(&mut self, _age: Duration, source_skipped: u64, paused: bool) {
        self.frames += 1;
        self.frames_live += u64::from(!paused);
        self.source_dropped = source_skipped;
        push_recent(&mut self.captured, Instant::now());
    }

    /// A source was opened (again): its drops count from 0, on top of the earlier ones.
    pub fn new_source(&mut self) {
        self.dropped_before += std::mem::take(&mut self.source_dropped);
    }

    /// The model left a frame on purpose (the stride).
    pub fn waived(&mut self) {
        self.waived += 1;
    }

    /// The model finished a frame.
    pub fn predicted(&mut self, step: Duration, latency: Duration) {
        self.predicted += 1;
        push_recent(&mut self.predicted_at, Instant::now());
        push_capped(&mut self.latencies, latency);
        push_capped(&mut self.steps, step);
    }

    /// The figures now.
    pub fn stats(&self) -> Stats {
        let rate = |q: &VecDeque<Instant>| {
            let now = Instant::now();
            q.iter().filter(|t| now.duration_since(**t) <= WINDOW).count() as f64 / WINDOW.as_secs_f64()
        };
        let mut lat: Vec<f64> = self.latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| if lat.is_empty() { f64::NAN } else { lat[((lat.len() - 1) as f64 * p).round() as usize] };
        let step_ms = if self.steps.is_empty() {
            f64::NAN
        } else {
            self.steps.iter().map(|d| d.as_secs_f64() * 1e3).sum::<f64>() / self.steps.len() as f64
        };
        Stats {
            preview_fps: rate(&self.captured),
            prediction_hz: rate(&self.predicted_at),
            latency_p50_ms: pct(0.5),
            latency_p99_ms: pct(0.99),
            step_ms,
            frames: self.frames,
            predicted: self.predicted,
            model_skipped: self.frames_live.saturating_sub(self.predicted + self.waived),
            source_dropped: self.dropped_before + self.source_dropped,
        }
    }
}

fn push_recent(q: &mut VecDeque<Instant>, t: Instant) {
    q.push_back(t);
    while q.front().is_some_and(|f| t.duration_since(*f) > WINDOW) {
        q.pop_front();
    }
}

fn push_capped(q: &mut VecDeque<Duration>, d: Duration) {
    q.push_back(d);
    if q.len() > 200 {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_count_only_frames_the_model_had_no_time_for_and_drops_add_up() {
        let mut r = Rates::default();
        for i in 0..10 {
            r.captured(Duration::ZERO, 0, false);
            // Every other frame is left by a stride of 2; of the rest, one in five is missed.
            match i % 2 {
                0 => r.waived(),
                _ if i == 5 => {}
                _ => r.predicted(Duration::ZERO, Duration::ZERO),
            }
        }
        // Paused: frames come, the model rests.
        for _ in 0..20 {
            r.captured(Duration::ZERO, 0, true);
        }
        let s = r.stats();
        assert_eq!((s.frames, s.predicted, s.model_skipped), (30, 4, 1));
        // A source that dropped 3, reopened, then dropped 4 (more than before, at once): 7.
        r.captured(Duration::ZERO, 3, false);
        r.new_source();
        r.captured(Duration::ZERO, 4, false);
        assert_eq!(r.stats().source_dropped, 7);
    }
}
