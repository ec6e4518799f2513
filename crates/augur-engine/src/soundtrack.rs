//! The sound heard over a stretch of a session, laid out on the session clock, so an export's
//! videos play what was heard while each moment was the newest.

use std::collections::VecDeque;
use std::time::Duration;

use augur_capture::AudioChunk;

/// Mono samples at `rate`, sample 0 heard at session time `start`; silence where nothing was.
#[derive(Debug, Clone, PartialEq)]
pub struct Soundtrack {
    /// Samples per second.
    pub rate: u32,
    /// Session time of the first sample.
    pub start: Duration,
    /// The sound.
    pub samples: Vec<f32>,
    /// Session time of the first sample anything was heard at (`None`: nothing was), so an
    /// export can say why its start is silent.
    pub heard_from: Option<Duration>,
}

/// Where session time `t` falls among samples at `rate` counted from `start` (negative before).
fn sample_at(t: Duration, start: Duration, rate: u32) -> i64 {
    let seconds = t.as_secs_f64() - start.as_secs_f64();
    (seconds * f64::from(rate)).round() as i64
}

impl Soundtrack {
    /// The chunks' sound from `from` to `to`, each chunk placed by its timestamp (a later chunk
    /// wins where two overlap); chunks at another rate are left out.
    pub fn from_chunks<'a>(
        chunks: impl IntoIterator<Item = &'a AudioChunk>,
        rate: u32,
        from: Duration,
        to: Duration,
    ) -> Self {
        let len = usize::try_from(sample_at(to, from, rate).max(0)).unwrap_or(0);
        let mut samples = vec![0.0; len];
        let mut heard_from: Option<Duration> = None;
        for chunk in chunks.into_iter().filter(|c| c.sample_rate == rate) {
            let at = sample_at(chunk.pts, from, rate);
            let ends = at + chunk.samples.len() as i64;
            if ends > 0 && at < len as i64 {
                let first = chunk.pts.max(from);
                heard_from = Some(heard_from.map_or(first, |h| h.min(first)));
            }
            for (i, &v) in chunk.samples.iter().enumerate() {
                if let Some(slot) = usize::try_from(at + i as i64).ok().and_then(|j| samples.get_mut(j)) {
                    *slot = v;
                }
            }
        }
        Self { rate, start: from, samples, heard_from }
    }

    /// How long it is silent at its start for want of anything heard (all of it when nothing
    /// was): the microphone was picked later, or what it heard then is forgotten.
    pub fn unheard_start(&self) -> Duration {
        let whole = Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate.max(1)));
        self.heard_from.map_or(whole, |h| h.saturating_sub(self.start).min(whole))
    }

    /// The sound of frame `k` of a video at `fps` showing a moment taken at `pts`: as many
    /// samples as frame `k` lasts (counted from the video's start, so sound and pictures keep
    /// pace however the moments were spaced), heard from `pts` on.
    pub fn for_frame(&self, k: usize, fps: u32, pts: Duration) -> Vec<f32> {
        let per_frame = f64::from(self.rate) / f64::from(fps.max(1));
        let edge = |k: usize| (k as f64 * per_frame).round() as usize;
        let n = edge(k + 1) - edge(k);
        let at = sample_at(pts, self.start, self.rate);
        (0..n)
            .map(|i| usize::try_from(at + i as i64).ok().and_then(|j| self.samples.get(j)).copied().unwrap_or(0.0))
            .collect()
    }
}

/// Keeps the chunks of the last `keep` of sound (by their timestamps), for [`Soundtrack`]s.
#[derive(Debug, Default)]
pub(crate) struct Heard {
    chunks: VecDeque<AudioChunk>,
    keep: Duration,
}

impl Heard {
    pub(crate) fn new(keep: Duration) -> Self {
        Self { chunks: VecDeque::new(), keep }
    }

    pub(crate) fn push(&mut self, chunk: AudioChunk) {
        let newest = chunk.pts;
        self.chunks.push_back(chunk);
        while self.chunks.front().is_some_and(|c| newest.saturating_sub(c.pts) > self.keep) {
            self.chunks.pop_front();
        }
    }

    pub(crate) fn track(&self, rate: u32, from: Duration, to: Duration) -> Soundtrack {
        let overlapping = self.chunks.iter().filter(|c| {
            let end = c.pts + Duration::from_secs_f64(c.samples.len() as f64 / f64::from(c.sample_rate.max(1)));
            end > from && c.pts < to
        });
        Soundtrack::from_chunks(overlapping, rate, from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(ms: u64, samples: Vec<f32>) -> AudioChunk {
        AudioChunk { pts: Duration::from_millis(ms), sample_rate: 1000, samples }
    }

    #[test]
    fn chunks_land_at_their_times_with_silence_between() {
        // 1 kHz: a sample per millisecond. Chunks at 100 ms and 130 ms, the track from 105 ms.
        let chunks = [chunk(100, vec![1.0; 10]), chunk(130, vec![2.0; 10]), chunk(500, vec![9.0; 5])];
        let t = Soundtrack::from_chunks(&chunks, 1000, Duration::from_millis(105), Duration::from_millis(145));
        assert_eq!(t.samples.len(), 40);
        assert_eq!(&t.samples[..5], &[1.0; 5], "the first chunk's last 5 ms");
        assert_eq!(&t.samples[5..25], &[0.0; 20], "nothing heard from 110 to 130 ms");
        assert_eq!(&t.samples[25..35], &[2.0; 10]);
        assert_eq!(&t.samples[35..], &[0.0; 5]);
        assert_eq!(t.unheard_start(), Duration::ZERO, "heard from its first sample");
        let late = Soundtrack::from_chunks(&chunks[1..], 1000, Duration::from_millis(105), Duration::from_millis(145));
        assert_eq!(late.unheard_start(), Duration::from_millis(25));
        let none = Soundtrack::from_chunks(&chunks[2..], 1000, Duration::from_millis(105), Duration::from_millis(145));
        assert_eq!((none.heard_from, none.unheard_start()), (None, Duration::from_millis(40)));
        let other = [AudioChunk { sample_rate: 48_000, ..chunk(105, vec![5.0; 10]) }];
        let t = Soundtrack::from_chunks(&other, 1000, Duration::from_millis(105), Duration::from_millis(110));
        assert_eq!(t.samples, vec![0.0; 5], "another rate's chunk is left out");
    }

    #[test]
    fn each_frame_plays_its_share_from_its_own_moment() {
        let t = Soundtrack {
            rate: 1000,
            start: Duration::from_millis(1000),
            samples: (0..100).map(|i| i as f32).collect(),
            heard_from: Some(Duration::from_millis(1000)),
        };
        // 30 fps at 1 kHz: frames of 33, 34, 33 samples, together 100 for 3 frames.
        let lens: Vec<usize> = (0..3).map(|k| t.for_frame(k, 30, Duration::from_millis(1000)).len()).collect();
        assert_eq!(lens, vec![33, 34, 33]);
        // A moment 40 ms in: its sound starts at sample 40, whatever frame shows it.
        assert_eq!(t.for_frame(1, 30, Duration::from_millis(1040))[..3], [40.0, 41.0, 42.0]);
        // Past the end (and before the start) is silence.
        assert!(t.for_frame(2, 30, Duration::from_millis(1090))[10..].iter().all(|&v| v == 0.0));
        assert_eq!(t.for_frame(0, 30, Duration::from_millis(990))[..11], [0.0; 11][..]);
        assert_eq!(t.for_frame(0, 30, Duration::from_millis(990))[11], 1.0);
    }

    #[test]
    fn only_the_last_stretch_is_kept() {
        let mut heard = Heard::new(Duration::from_millis(100));
        for ms in (0..=300).step_by(10) {
            heard.push(chunk(ms, vec![ms as f32; 10]));
        }
        assert_eq!(heard.chunks.front().map(|c| c.pts), Some(Duration::from_millis(200)));
        let t = heard.track(1000, Duration::from_millis(195), Duration::from_millis(215));
        assert_eq!(&t.samples[..5], &[0.0; 5], "forgotten");
        assert_eq!(&t.samples[5..15], &[200.0; 10]);
        assert_eq!(&t.samples[15..], &[210.0; 5]);
    }
}
