//! The sound heard over a stretch of a session, laid out on the session clock, so an export's
//! videos play what was heard while each moment was the newest, across microphone switches.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;
use std::time::Duration;

use augur_capture::AudioChunk;

/// Chunks closer than this count as one stretch: timestamps jitter by a few samples.
const JOIN_S: f64 = 0.02;

/// Mono samples at `rate`, sample 0 heard at session time `start`; silence where nothing was.
#[derive(Debug, Clone, PartialEq)]
pub struct Soundtrack {
    /// Samples per second.
    pub rate: u32,
    /// Session time of the first sample.
    pub start: Duration,
    /// The sound.
    pub samples: Vec<f32>,
    /// The samples something was heard at, in order and apart, so an export can say where it
    /// is silent and why.
    pub heard: Vec<Range<usize>>,
}

/// Where session time `t` falls among samples at `rate` counted from `start` (negative before).
fn sample_at(t: Duration, start: Duration, rate: u32) -> i64 {
    let seconds = t.as_secs_f64() - start.as_secs_f64();
    (seconds * f64::from(rate)).round() as i64
}

/// Zero crossings of the interpolating sinc on each side: enough to hold aliases 60 dB or
/// more down while staying short (53 taps from 48 to 16 kHz).
const SINC_ZEROS: f64 = 8.0;

/// `samples` at `from` Hz as `to` Hz (a microphone switched to another rate), band-limited:
/// a Hann-windowed sinc interpolates, cut below the lower rate's Nyquist frequency so a higher
/// rate's treble does not fold back into the audible band as whistles. `before` and `after`
/// are the sound heard just before and after (the same microphone's neighbouring chunks, or
/// nothing), so chunk edges do not click; the result covers `samples` alone. Output sample `i`
/// is taken `lag` output samples after input sample 0 would fall at `i`: the track's grid
/// rarely lines up with a chunk's first sample, and a rounded start is a click at each edge.
pub(crate) fn resample<'a>(
    before: &[f32],
    samples: &'a [f32],
    after: &[f32],
    from: u32,
    to: u32,
    lag: f64,
) -> Cow<'a, [f32]> {
    if from == to || from == 0 || to == 0 || samples.is_empty() {
        return Cow::Borrowed(samples);
    }
    let step = f64::from(from) / f64::from(to);
    // Cut-off in cycles per input sample: the input's Nyquist when going up, 90 % of the
    // output's when going down (the rest is the filter's transition band).
    let cut = if to > from { 0.5 } else { 0.45 / step };
    let half = SINC_ZEROS / (2.0 * cut);
    let heard = |j: i64| -> Option<f32> {
        let n = samples.len() as i64;
        if j < 0 {
            let k = before.len() as i64 + j;
            (k >= 0).then(|| before[k as usize])
        } else if j < n {
            Some(samples[j as usize])
        } else {
            after.get((j - n) as usize).copied()
        }
    };
    // Every output sample whose moment falls within `samples`, so chunks that follow each
    // other leave no gap on the track.
    let n = (samples.len() as f64 / step - lag).ceil().max(0.0) as usize;
    (0..n)
        .map(|i| {
            let x = (i as f64 + lag) * step;
            let (mut sum, mut weights) = (0.0, 0.0);
            for j in (x - half).ceil() as i64..=(x + half).floor() as i64 {
                let Some(v) = heard(j) else { continue };
                let d = x - j as f64;
                let t = std::f64::consts::PI * 2.0 * cut * d;
                let sinc = if t.abs() < 1e-9 { 1.0 } else { t.sin() / t };
                let w = sinc * 0.5 * (1.0 + (std::f64::consts::PI * d / half).cos());
                sum += w * f64::from(v);
                weights += w;
            }
            // Weighed by what was there: where the sound begins or ends, the taps that are
            // missing do not pull it towards silence.
            if weights.abs() > 1e-6 { (sum / weights) as f32 } else { 0.0 }
        })
        .collect::<Vec<f32>>()
        .into()
}

/// Whether chunk `b` goes on where chunk `a` ends: the same rate, within timestamp jitter.
fn continues(a: &AudioChunk, b: &AudioChunk) -> bool {
    let rate = f64::from(a.sample_rate.max(1));
    let ends = a.pts.as_secs_f64() + a.samples.len() as f64 / rate;
    a.sample_rate == b.sample_rate && (b.pts.as_secs_f64() - ends).abs() < JOIN_S
}

impl Soundtrack {
    /// The chunks' sound from `from` to `to` at `rate`, each chunk placed by its timestamp (a
    /// later chunk wins where two overlap); chunks at another rate are resampled to it.
    pub fn from_chunks<'a>(
        chunks: impl IntoIterator<Item = &'a AudioChunk>,
        rate: u32,
        from: Duration,
        to: Duration,
    ) -> Self {
        let len = usize::try_from(sample_at(to, from, rate).max(0)).unwrap_or(0);
        let mut samples = vec![0.0; len];
        let mut heard: Vec<Range<usize>> = Vec::new();
        let chunks: Vec<&AudioChunk> = chunks.into_iter().collect();
        for (i, chunk) in chunks.iter().enumerate() {
            // A neighbour's sound is context for resampling only where it goes on seamlessly.
            let before = i.checked_sub(1).map(|p| chunks[p]).filter(|p| continues(p, chunk));
            let after = chunks.get(i + 1).filter(|n| continues(chunk, n));
            let before = before.map_or(&[][..], |p| &p.samples[..]);
            let after = after.map_or(&[][..], |n| &n.samples[..]);
            let exact = (chunk.pts.as_secs_f64() - from.as_secs_f64()) * f64::from(rate);
            let at = exact.round() as i64;
            let sound = resample(before, &chunk.samples, after, chunk.sample_rate, rate, at as f64 - exact);
            let ends = at + sound.len() as i64;
            let clamp = |i: i64| usize::try_from(i.clamp(0, len as i64)).unwrap_or(0);
            let (a, b) = (clamp(at), clamp(ends));
            if a < b {
                heard.push(a..b);
                let skip = usize::try_from(-at).unwrap_or(0);
                samples[a..b].copy_from_slice(&sound[skip..skip + (b - a)]);
            }
        }
        Self { rate, start: from, samples, heard: join(heard, (f64::from(rate) * JOIN_S) as usize) }
    }

    /// The stretches of at least `min` where nothing was heard, as times from its start.
    pub fn silences(&self, min: Duration) -> Vec<Range<Duration>> {
        let at = |i: usize| Duration::from_secs_f64(i as f64 / f64::from(self.rate.max(1)));
        let mut edges = vec![0];
        for r in &self.heard {
            edges.extend([r.start, r.end]);
        }
        edges.push(self.samples.len());
        edges.chunks(2).map(|e| at(e[0])..at(e[1])).filter(|r| r.end.saturating_sub(r.start) >= min).collect()
    }

    /// The stretches where a video, whose frame `k` (at `fps`) shows the moment taken at
    /// `pts[k]`, is silent for want of sound, in the video's own seconds (silences under a
    /// quarter second, or a frame, are not told). While a microphone still `listening`, a
    /// silence at the very end is sound not delivered yet, not told either.
    fn silent_spans(&self, pts: &[Duration], fps: u32, listening: bool) -> Vec<String> {
        let whole = Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate.max(1)));
        // The first frame showing a moment at or after `t` into the track.
        let frame = |t: Duration| pts.partition_point(|p| *p < self.start + t);
        let seconds = |k: usize| k as f64 / f64::from(fps.max(1));
        self.silences(Duration::from_millis(250))
            .into_iter()
            .filter(|r| !(listening && r.end >= whole))
            .map(|r| (frame(r.start), if r.end >= whole { pts.len() } else { frame(r.end) }))
            .filter(|(a, b)| b > a)
            .map(|(a, b)| format!("from {:.1} to {:.1} s", seconds(a), seconds(b)))
            .collect()
    }

    /// What an export's notes say when its videos of the moments taken at `pts` are silent
    /// somewhere for want of sound; `None` when they are heard throughout. `dashboard.mp4`'s
    /// frame `k` shows moment `k`, `side-by-side.mp4`'s moment `k + 1` (beside the frame expected
    /// before it), so a silence comes a frame earlier in the latter. Without the `dashboard`
    /// (no GPU device drew it), only the side-by-side is told of.
    pub fn silences_note(&self, pts: &[Duration], fps: u32, listening: bool, dashboard: bool) -> Option<String> {
        let side = self.silent_spans(pts.get(1..).unwrap_or_default(), fps, listening);
        let dashboard = if dashboard { self.silent_spans(pts, fps, listening) } else { Vec::new() };
        if side.is_empty() && dashboard.is_empty() {
            return None;
        }
        let told = if side == dashboard {
            format!("the videos are silent {}", side.join(" and "))
        } else {
            let told: Vec<String> = [("side-by-side.mp4", side), ("dashboard.mp4", dashboard)]
                .into_iter()
                .filter(|(_, spans)| !spans.is_empty())
                .enumerate()
                .map(|(i, (video, spans))| {
                    format!("{video}{} {}", if i == 0 { " is silent" } else { "" }, spans.join(" and "))
                })
                .collect();
            told.join("; ")
        };
        Some(format!(
            "{told}: nothing was heard then (no microphone was picked, one was being switched, or it is older than the timeline keeps)"
        ))
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

/// Sorted, with stretches less than `gap` apart made one.
fn join(mut stretches: Vec<Range<usize>>, gap: usize) -> Vec<Range<usize>> {
    stretches.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in stretches {
        match out.last_mut() {
            Some(last) if r.start <= last.end + gap => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The chunks of the session's last `keep` of sound (by their timestamps), from whichever
/// microphone heard them, for [`Soundtrack`]s: it outlives each microphone.
#[derive(Debug, Default)]
pub(crate) struct Heard {
    /// Each chunk with the microphone that heard it, numbered in the order they were picked.
    chunks: VecDeque<(u64, AudioChunk)>,
    keep: Duration,
    listeners: u64,
}

impl Heard {
    pub(crate) fn new(keep: Duration) -> Self {
        Self { chunks: VecDeque::new(), keep, listeners: 0 }
    }

    /// A number for a microphone just picked, higher than any before it.
    pub(crate) fn listener(&mut self) -> u64 {
        self.listeners += 1;
        self.listeners
    }

    pub(crate) fn push(&mut self, listener: u64, chunk: AudioChunk) {
        let newest = chunk.pts;
        self.chunks.push_back((listener, chunk));
        while self.chunks.front().is_some_and(|(_, c)| newest.saturating_sub(c.pts) > self.keep) {
            self.chunks.pop_front();
        }
    }

    /// The rate of the latest microphone's sound, `None` when nothing is kept.
    pub(crate) fn rate(&self) -> Option<u32> {
        self.chunks.iter().max_by_key(|(l, _)| *l).map(|(_, c)| c.sample_rate)
    }

    /// The chunks heard between `from` and `to`, the latest microphone's last, so that where
    /// two overlap (the old one still hearing while the new one starts) the new one wins.
    /// Copied, so the track is laid out after the lock on this is let go: the microphones wait
    /// for it.
    pub(crate) fn between(&self, from: Duration, to: Duration) -> Vec<AudioChunk> {
        let mut chosen: Vec<&(u64, AudioChunk)> = self
            .chunks
            .iter()
            .filter(|(_, c)| {
                let end = c.pts + Duration::from_secs_f64(c.samples.len() as f64 / f64::from(c.sample_rate.max(1)));
                end > from && c.pts < to
            })
            .collect();
        chosen.sort_by_key(|(l, _)| *l);
        chosen.into_iter().map(|(_, c)| c.clone()).collect()
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
        let ms = Duration::from_millis;
        // 1 kHz: a sample per millisecond. Chunks at 100 ms and 150 ms, the track from 105 ms.
        let chunks = [chunk(100, vec![1.0; 10]), chunk(150, vec![2.0; 10]), chunk(500, vec![9.0; 5])];
        let t = Soundtrack::from_chunks(&chunks, 1000, ms(105), ms(175));
        assert_eq!(t.samples.len(), 70);
        assert_eq!(&t.samples[..5], &[1.0; 5], "the first chunk's last 5 ms");
        assert_eq!(&t.samples[5..45], &[0.0; 40], "nothing heard from 110 to 150 ms");
        assert_eq!(&t.samples[45..55], &[2.0; 10]);
        assert_eq!(&t.samples[55..], &[0.0; 15]);
        assert_eq!(t.heard, [0..5, 45..55]);
        assert_eq!(t.silences(ms(10)), vec![ms(5)..ms(45), ms(55)..ms(70)]);
        assert_eq!(t.silences(ms(20)), vec![ms(5)..ms(45)], "shorter silences are not told");
        let late = Soundtrack::from_chunks(&chunks[1..], 1000, ms(105), ms(175));
        assert_eq!(late.silences(ms(20)), vec![ms(0)..ms(45)]);
        let none = Soundtrack::from_chunks(&chunks[2..], 1000, ms(105), ms(175));
        assert_eq!((none.heard.len(), none.silences(ms(20))), (0, vec![ms(0)..ms(70)]));
    }

    #[test]
    fn another_microphones_rate_is_resampled_and_jitter_is_not_silence() {
        let ms = Duration::from_millis;
        // A 2 kHz ramp then, 1 ms after it ends, a 500 Hz chunk, on a 1 kHz track.
        let chunks = [
            AudioChunk { pts: ms(0), sample_rate: 2000, samples: (0..40).map(|i| i as f32).collect() },
            AudioChunk { pts: ms(21), sample_rate: 500, samples: vec![7.0; 5] },
        ];
        let t = Soundtrack::from_chunks(&chunks, 1000, ms(0), ms(40));
        // Every other sample of the ramp: exactly where the filter's taps all fall on it (a
        // straight line passes a symmetric filter unchanged), near enough at its ends.
        for (k, v) in t.samples[..20].iter().enumerate() {
            let near = if (9..=11).contains(&k) { 0.01 } else { 0.3 };
            assert!((v - 2.0 * k as f32).abs() < near, "sample {k} of {:?}", &t.samples[..20]);
        }
        assert_eq!(t.samples[20], 0.0, "the 1 ms between the chunks");
        assert!(t.samples[21..31].iter().all(|v| (v - 7.0).abs() < 1e-4), "5 samples at 500 Hz last 10 ms");
        assert_eq!((t.heard.len(), t.heard.first()), (1, Some(&(0..31))), "a 1 ms gap is jitter, not a silence");
        assert_eq!(t.silences(ms(5)), vec![ms(31)..ms(40)]);
    }

    fn tone(hz: f64, rate: u32, from: usize, n: usize) -> Vec<f32> {
        (from..from + n).map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin() as f32).collect()
    }

    /// The largest difference between `got` and `want`, leaving out `edge` samples at each end.
    fn worst(got: &[f32], want: &[f32], edge: usize) -> f32 {
        got.iter()
            .zip(want)
            .skip(edge)
            .take(got.len().min(want.len()) - 2 * edge)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    /// 48 kHz chunks of 1024 samples on a 16 kHz track: a 1 kHz tone comes through whole,
    /// across chunk edges; a 12 kHz one, which 16 kHz cannot carry, is filtered out rather than
    /// folded back to 4 kHz (linear interpolation played it there at full level).
    #[test]
    fn a_higher_rate_is_resampled_without_aliases_or_clicks() {
        let chunked = |hz: f64| -> Vec<AudioChunk> {
            (0..15)
                .map(|k| AudioChunk {
                    pts: Duration::from_secs_f64(k as f64 * 1024.0 / 48_000.0),
                    sample_rate: 48_000,
                    samples: tone(hz, 48_000, k * 1024, 1024),
                })
                .collect()
        };
        let track = |hz: f64| Soundtrack::from_chunks(&chunked(hz), 16_000, Duration::ZERO, Duration::from_millis(320));
        let low = track(1000.0);
        assert_eq!(low.heard, vec![0..5120]);
        assert!(worst(&low.samples, &tone(1000.0, 16_000, 0, 5120), 40) < 0.01, "a 1 kHz tone, clicks at chunk edges?");
        let high = track(12_000.0);
        let loudest = high.samples[40..5080].iter().map(|v| v.abs()).fold(0.0, f32::max);
        assert!(loudest < 0.01, "12 kHz should be gone, not folded to 4 kHz: peak {loudest}");
        // Going up, the tone keeps its shape.
        let slow = tone(1000.0, 16_000, 0, 1600);
        let up = resample(&[], &slow, &[], 16_000, 48_000, 0.0);
        assert_eq!(up.len(), 4800);
        assert!(worst(&up, &tone(1000.0, 48_000, 0, 4800), 120) < 0.01);
    }

    /// The note tells a silence in the video's seconds, however unevenly its moments came, and
    /// a silence at the end only once nothing listens any more.
    #[test]
    fn the_note_tells_silences_where_the_video_has_them() {
        let ms = Duration::from_millis;
        let track =
            |heard: Vec<Range<usize>>| Soundtrack { rate: 1000, start: ms(1000), samples: vec![0.0; 2000], heard };
        // Ten frames a second, but no moment between 1.5 and 1.9 s, nor between 2.0 and 2.5 s.
        let pts: Vec<Duration> =
            [1000, 1100, 1200, 1300, 1400, 1500, 1900, 2000, 2500, 2600, 2700, 2800, 2900].map(ms).to_vec();
        // The side-by-side shows moment k + 1 as its frame k, so a silence comes a frame earlier.
        let note = track(vec![0..500, 1500..1800]).silences_note(&pts, 10, true, true).unwrap_or_default();
        assert!(
            note.starts_with("side-by-side.mp4 is silent from 0.4 to 0.7 s; dashboard.mp4 from 0.5 to 0.8 s:"),
            "{note}"
        );
        assert!(!note.contains(" and "), "the last 0.2 s are too short to tell: {note}");
        let ended = track(std::iter::once(0..500).collect());
        assert_eq!(ended.silences_note(&pts, 10, true, true), None, "still listening: its sound is on the way");
        let note = ended.silences_note(&pts, 10, false, true).unwrap_or_default();
        assert!(
            note.contains("side-by-side.mp4 is silent from 0.4 to 1.2 s; dashboard.mp4 from 0.5 to 1.3 s:"),
            "{note}"
        );
        assert_eq!(track(std::iter::once(0..2000).collect()).silences_note(&pts, 10, false, true), None);
        // Silent from the start: both from their first frame.
        let note = track(std::iter::once(500..2000).collect()).silences_note(&pts, 10, false, true).unwrap_or_default();
        assert!(
            note.starts_with("side-by-side.mp4 is silent from 0.0 to 0.4 s; dashboard.mp4 from 0.0 to 0.5 s:"),
            "{note}"
        );
        // No dashboard written: the side-by-side alone.
        let note = track(vec![0..500, 1500..1800]).silences_note(&pts, 10, true, false).unwrap_or_default();
        assert!(note.starts_with("side-by-side.mp4 is silent from 0.4 to 0.7 s:"), "{note}");
        assert!(!note.contains("dashboard"), "{note}");
        // At 30 fps a frame is lost in a tenth of a second: one span for both.
        let even: Vec<Duration> = (0..60u64).map(|k| ms(1000 + k * 1000 / 30)).collect();
        let note = track(vec![0..500, 1500..2000]).silences_note(&even, 30, false, true).unwrap_or_default();
        assert!(note.starts_with("the videos are silent from 0.5 to 1.5 s:"), "{note}");
    }

    #[test]
    fn each_frame_plays_its_share_from_its_own_moment() {
        let t = Soundtrack {
            rate: 1000,
            start: Duration::from_millis(1000),
            samples: (0..100).map(|i| i as f32).collect(),
            heard: std::iter::once(0..100).collect(),
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

    /// While a switch is under way both microphones hear; the new one's sound is the one kept,
    /// and its rate the one an export takes.
    #[test]
    fn the_newer_microphone_wins_where_two_overlap() {
        let ms = Duration::from_millis;
        let mut heard = Heard::new(ms(1000));
        let (old, new) = (heard.listener(), heard.listener());
        heard.push(old, chunk(0, vec![1.0; 20]));
        heard.push(new, AudioChunk { sample_rate: 2000, ..chunk(10, vec![2.0; 40]) });
        heard.push(old, chunk(20, vec![1.0; 20]));
        assert_eq!(heard.rate(), Some(2000));
        let t = Soundtrack::from_chunks(&heard.between(ms(0), ms(40)), 1000, ms(0), ms(40));
        assert_eq!(&t.samples[..10], &[1.0; 10], "only the old one heard the first 10 ms");
        assert_eq!(&t.samples[10..30], &[2.0; 20], "the new one from its first chunk on");
        assert_eq!(&t.samples[30..], &[1.0; 10], "the old one's last 10 ms, heard by it alone");
    }

    #[test]
    fn only_the_last_stretch_is_kept() {
        let mut heard = Heard::new(Duration::from_millis(100));
        for ms in (0..=300).step_by(10) {
            heard.push(1, chunk(ms, vec![ms as f32; 10]));
        }
        assert_eq!(heard.chunks.front().map(|(_, c)| c.pts), Some(Duration::from_millis(200)));
        let (from, to) = (Duration::from_millis(195), Duration::from_millis(215));
        let t = Soundtrack::from_chunks(&heard.between(from, to), 1000, from, to);
        assert_eq!(&t.samples[..5], &[0.0; 5], "forgotten");
        assert_eq!(&t.samples[5..15], &[200.0; 10]);
        assert_eq!(&t.samples[15..], &[210.0; 5]);
    }
}
