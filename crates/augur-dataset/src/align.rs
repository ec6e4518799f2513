//! Sound beside video: the microphone's samples cut to match the frames recorded, so that an
//! episode's sound and pictures start together and stay together however the microphone's
//! callbacks jitter. Used by `augur record` and by recording from the live view.

use std::time::Duration;

use augur_capture::AudioChunk;

/// How far (seconds) the microphone's sample count may run ahead of the session clock before
/// samples are dropped: under a frame at 30 fps.
pub const MAX_LEAD: f64 = 0.02;

/// Lines the microphone up with the video. Each episode's sound starts at its first frame's
/// timestamp; after frame k, (k+1)/fps seconds are handed over as far as the microphone has
/// delivered them. Sound from before that point is dropped; a stretch the microphone never
/// covered (it started after the first frame) becomes silence, counted as padding.
#[derive(Debug, Clone)]
pub struct SoundAligner {
    rate: u32,
    buffer: std::collections::VecDeque<f32>,
    /// Session time of the buffer's first sample.
    start: Option<Duration>,
    /// First frame of the current episode.
    origin: Duration,
    /// Samples handed to the current episode.
    given: u64,
    /// Silence inserted in the current episode.
    padded: u64,
    /// Samples dropped from the current episode because the microphone's clock ran fast.
    dropped: u64,
    /// `(chunk time, sample-count time − chunk time)` over the last second of chunks.
    recent: std::collections::VecDeque<(f64, f64)>,
}

impl SoundAligner {
    /// An aligner for sound at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        Self {
            rate: rate.max(1),
            buffer: std::collections::VecDeque::new(),
            start: None,
            origin: Duration::ZERO,
            given: 0,
            padded: 0,
            dropped: 0,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// Whether any sound has arrived yet.
    pub fn started(&self) -> bool {
        self.start.is_some()
    }

    /// Silence inserted into the current episode so far (sound that never arrived), samples.
    pub fn padded(&self) -> u64 {
        self.padded
    }

    /// Takes what the microphone delivered. Time follows the sample count from the first
    /// chunk on (chunk timestamps jitter with callback timing); a chunk more than 50 ms later
    /// than the count says means sound was lost, and the hole becomes silence.
    pub fn pull(&mut self, chunks: impl IntoIterator<Item = AudioChunk>) {
        let rate = f64::from(self.rate);
        for chunk in chunks {
            match self.start {
                None => self.start = Some(chunk.pts),
                Some(start) => {
                    let expected = start.as_secs_f64() + self.buffer.len() as f64 / rate;
                    let pts = chunk.pts.as_secs_f64();
                    let hole = pts - expected;
                    if hole > 0.05 {
                        let n = (hole * rate) as usize;
                        self.buffer.extend(std::iter::repeat_n(0.0, n));
                        self.padded += n as u64;
                        self.recent.clear();
                    } else {
                        self.recent.push_back((pts, -hole));
                        while self.recent.front().is_some_and(|(t, _)| pts - t > 1.0) {
                            self.recent.pop_front();
                        }
                    }
                }
            }
            self.buffer.extend(chunk.samples);
            self.correct_lead();
        }
    }

    /// A microphone whose clock runs fast delivers more samples than the session's clock has
    /// time for, and sound counted by samples creeps ahead of the video (1.6 frames in 10
    /// minutes was measured on PulseAudio). Past [`MAX_LEAD`] the newest samples are dropped
    /// until the count is back within 5 ms of the clock: a few milliseconds now and then,
    /// which keeps sound and video within a frame however long the episode.
    fn correct_lead(&mut self) {
        let lead = self.lead();
        if lead <= MAX_LEAD {
            return;
        }
        let k = (((lead - 0.005) * f64::from(self.rate)) as usize).min(self.buffer.len());
        self.buffer.truncate(self.buffer.len() - k);
        self.dropped += k as u64;
        let shift = k as f64 / f64::from(self.rate);
        for r in &mut self.recent {
            r.1 -= shift;
        }
    }

    /// Samples dropped from the current episode to keep a fast microphone in step.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How far the sample count runs ahead of the session clock, in seconds: the largest
    /// lead over the last second of chunks (a chunk is stamped when its callback runs, never
    /// before its sound, so the largest lead is the least delayed stamp). It grows over time
    /// when the microphone's clock runs fast against the session's, which sample counting
    /// alone would not show.
    pub fn lead(&self) -> f64 {
        self.recent.iter().map(|(_, l)| *l).fold(f64::NEG_INFINITY, f64::max).max(0.0)
    }

    /// Whether the sound received so far reaches `end` on the session clock.
    pub fn covers(&self, end: Duration) -> bool {
        let rate = f64::from(self.rate);
        self.start.is_some_and(|s| s + Duration::from_secs_f64(self.buffer.len() as f64 / rate) >= end)
    }

    /// Starts a new episode at `first_frame`.
    pub fn begin(&mut self, first_frame: Duration) {
        self.origin = first_frame;
        self.given = 0;
        self.padded = 0;
        self.dropped = 0;
    }

    /// The sound for the episode up to the end of `frames` frames (as much as has arrived).
    pub fn take(&mut self, frames: u64, fps: u32) -> Vec<f32> {
        let rate = f64::from(self.rate);
        let want = (frames as f64 / f64::from(fps) * rate).round() as u64;
        let mut out = Vec::new();
        let Some(start) = self.start else { return out };
        let next = self.origin.as_secs_f64() + self.given as f64 / rate;
        let lead = start.as_secs_f64() - next;
        if lead < 0.0 {
            let skip = ((-lead * rate) as usize).min(self.buffer.len());
            self.buffer.drain(..skip);
            self.start = Some(start + Duration::from_secs_f64(skip as f64 / rate));
        } else if lead * rate >= 1.0 {
            let gap = ((lead * rate) as u64).min(want.saturating_sub(self.given));
            out.resize(gap as usize, 0.0);
            self.given += gap;
            self.padded += gap;
        }
        let n = want.saturating_sub(self.given).min(self.buffer.len() as u64) as usize;
        out.extend(self.buffer.drain(..n));
        self.given += n as u64;
        if let Some(s) = self.start.as_mut() {
            *s += Duration::from_secs_f64(n as f64 / rate);
        }
        out
    }

    /// Silence to make the episode's sound exactly `frames` frames long (what never arrived).
    pub fn pad_to(&mut self, frames: u64, fps: u32) -> Vec<f32> {
        let want = (frames as f64 / f64::from(fps) * f64::from(self.rate)).round() as u64;
        let missing = want.saturating_sub(self.given);
        self.given += missing;
        self.padded += missing;
        vec![0.0; missing as usize]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `count` chunks of `n` samples at 48 kHz, the k-th stamped at `k × every` seconds plus
    /// `late(k)` (callback delay).
    fn chunks(count: usize, n: usize, every: f64, late: impl Fn(usize) -> f64) -> Vec<AudioChunk> {
        (0..count)
            .map(|k| AudioChunk {
                pts: Duration::from_secs_f64(1.0 + k as f64 * every + late(k)),
                sample_rate: 48_000,
                samples: vec![0.1; n],
            })
            .collect()
    }

    #[test]
    fn sound_is_cut_to_the_frames_and_holes_become_silence() {
        let mut a = SoundAligner::new(48_000);
        // The microphone started 100 ms after the first frame: that stretch is silence.
        a.pull(chunks(100, 480, 0.01, |_| 0.1));
        a.begin(Duration::from_secs(1));
        let first = a.take(3, 30); // 0.1 s of frames
        assert_eq!(first.len(), 4800);
        assert!(first.iter().all(|&v| v == 0.0), "before the microphone started: silence");
        assert_eq!(a.padded(), 4800);
        let more = a.take(30, 30);
        assert_eq!(more.len(), 48_000 - 4800);
        assert!(more.iter().all(|&v| v == 0.1));
        assert!(a.covers(Duration::from_secs_f64(2.0)));
    }

    #[test]
    fn a_fast_microphone_clock_shows_as_lead_despite_jitter() {
        // 10 s of 10 ms chunks on time, stamped up to 4 ms late: no lead.
        let mut a = SoundAligner::new(48_000);
        a.pull(chunks(1000, 480, 0.01, |k| (k * 7 % 5) as f64 * 0.001));
        assert!(a.lead() < 0.001, "{}", a.lead());
        // A clock 0.2 % fast: 481 samples every 10 ms of session time, 20.8 ms ahead after 10 s
        // uncorrected. The aligner drops what ran ahead and stays within MAX_LEAD.
        let mut a = SoundAligner::new(48_000);
        a.begin(Duration::from_secs(1));
        let mut worst: f64 = 0.0;
        for part in chunks(1000, 481, 0.01, |k| (k * 7 % 5) as f64 * 0.001).chunks(10) {
            a.pull(part.to_vec());
            worst = worst.max(a.lead());
        }
        assert!(worst <= MAX_LEAD + 0.001, "{worst}");
        let dropped_s = a.dropped() as f64 / 48_000.0;
        assert!((dropped_s + a.lead() - 0.0208).abs() < 0.002, "dropped {dropped_s} s, lead {}", a.lead());
    }
}
