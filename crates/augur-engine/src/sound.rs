//! The microphone side of a session: the last few seconds of sound, its level, a scrolling
//! log-mel spectrogram for the scope, and the per-frame log-mel features the model's audio
//! token takes (the same features it was trained with).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use augur_capture::{
    AudioChunk, AudioInfo, AudioSource, CaptureError, SessionClock, SourceSpec, StreamEnd, audio_level, open_audio,
    spawn_audio,
};

use crate::EngineError;
use crate::soundtrack::Heard;

/// Seconds of sound kept.
const KEEP_S: f64 = 3.0;
/// Spectrogram columns kept (10 ms each).
const COLUMNS: usize = 300;
/// Mel bands of the spectrogram (the model's audio token uses the same count).
pub const MELS: usize = 64;

/// What the sound panel shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SoundView {
    /// What is being listened to.
    pub description: String,
    /// RMS level of the last 100 ms, dBFS.
    pub level_dbfs: f32,
    /// Spectrogram columns, oldest first, `MELS` values each, 0–255 (low to high energy).
    pub columns: Vec<Vec<u8>>,
    /// Why nothing is heard now, while the source is being opened again after it failed.
    pub lost: Option<String>,
}

#[derive(Default)]
struct State {
    samples: VecDeque<f32>,
    unprocessed: Vec<f32>,
    columns: VecDeque<Vec<u8>>,
    rate: u32,
    description: String,
    lost: Option<String>,
}

/// Chunks at one rate: a microphone opened again may come back at another rate (the default
/// device changed meanwhile), and everything downstream, a recording included, counts samples
/// at the first one's. Chunk after chunk, so their edges neither click nor add samples.
struct Rerate {
    to: u32,
    /// The end of the chunk before, as context for the resampler's taps.
    before: Vec<f32>,
    /// Where the next output sample falls past the next chunk's start, in output samples.
    lag: f64,
    /// A chunk held until the next one comes, whose start its last taps need (one chunk, about
    /// 20 ms, late: only while a microphone is heard at another rate than the first).
    held: Option<AudioChunk>,
}

impl Rerate {
    fn new(to: u32) -> Self {
        Self { to, before: Vec::new(), lag: 0.0, held: None }
    }

    /// The chunks ready at the first rate once `chunk` has come (none, one or two).
    fn apply(&mut self, chunk: AudioChunk) -> Vec<AudioChunk> {
        let mut ready = Vec::new();
        let same = chunk.sample_rate == self.to || chunk.sample_rate == 0;
        if let Some(held) = self.held.take() {
            let after =
                if held.sample_rate == chunk.sample_rate { &chunk.samples[..chunk.samples.len().min(64)] } else { &[] };
            ready.push(self.convert(held, after));
        }
        if same {
            self.before.clear();
            self.lag = 0.0;
            ready.push(chunk);
        } else {
            self.held = Some(chunk);
        }
        ready
    }

    fn convert(&mut self, chunk: AudioChunk, after: &[f32]) -> AudioChunk {
        let step = f64::from(chunk.sample_rate) / f64::from(self.to);
        let samples =
            crate::soundtrack::resample(&self.before, &chunk.samples, after, chunk.sample_rate, self.to, self.lag)
                .into_owned();
        self.lag = (samples.len() as f64 + self.lag - chunk.samples.len() as f64 / step).max(0.0);
        self.before = chunk.samples[chunk.samples.len().saturating_sub(64)..].to_vec();
        AudioChunk { samples, sample_rate: self.to, ..chunk }
    }
}

/// Opens the source again every 2 s until it opens (`None` once the session stops listening).
fn reopen(
    opener: &impl Fn() -> Result<Box<dyn AudioSource>, CaptureError>,
    stop: &AtomicBool,
) -> Option<Box<dyn AudioSource>> {
    loop {
        if crate::capture::sleep_unless(stop, Duration::from_secs(2)) {
            return None;
        }
        if let Ok(source) = opener() {
            return Some(source);
        }
    }
}

/// A microphone (or audio file) feeding a session.
pub struct Sound {
    state: Arc<Mutex<State>>,
    /// Every chunk as it arrives, while a recording listens (see [`Sound::tap`]).
    tap: Arc<Mutex<Option<Vec<AudioChunk>>>>,
    rate: u32,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sound {
    /// Opens `name` (`mic:default`, `audiofile:…`) and starts listening; every chunk also goes
    /// to the session's `heard`, which outlives this microphone, for exports.
    pub(crate) fn open(name: &str, clock: SessionClock, heard: Arc<Mutex<Heard>>) -> Result<Self, EngineError> {
        let spec = SourceSpec::audio(name)?;
        Self::open_with(move || open_audio(&spec, clock), heard)
    }

    /// [`Self::open`] with the source opened by `opener`, called again every 2 s after the
    /// source fails (a microphone unplugged, its sound server restarted) until it opens: what
    /// is listened to says so meanwhile ([`SoundView::lost`]).
    pub(crate) fn open_with(
        opener: impl Fn() -> Result<Box<dyn AudioSource>, CaptureError> + Send + 'static,
        heard: Arc<Mutex<Heard>>,
    ) -> Result<Self, EngineError> {
        let source = opener()?;
        let listener = lock(&heard).listener();
        let mut handle = spawn_audio(source);
        let info: AudioInfo = handle.info().clone();
        let state =
            Arc::new(Mutex::new(State { rate: info.sample_rate, description: info.description, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let tap: Arc<Mutex<Option<Vec<AudioChunk>>>> = Arc::new(Mutex::new(None));
        let rate = info.sample_rate;
        let thread = {
            let (state, stop, tap) = (state.clone(), stop.clone(), tap.clone());
            std::thread::Builder::new()
                .name("augur-sound".into())
                .spawn(move || {
                    let mut rerate = Rerate::new(rate);
                    while !stop.load(Ordering::SeqCst) {
                        if let Some(first) = handle.wait(Duration::from_millis(50)) {
                            // One lock at a time: an export holding `heard` never stalls the
                            // audio token's features (`state`) or a recording's tap.
                            let chunks: Vec<AudioChunk> =
                                std::iter::once(first).chain(handle.drain()).flat_map(|c| rerate.apply(c)).collect();
                            if chunks.is_empty() {
                                continue;
                            }
                            {
                                let mut s = lock(&state);
                                chunks.iter().for_each(|c| s.add(&c.samples));
                            }
                            if let Some(t) = lock(&tap).as_mut() {
                                t.extend(chunks.iter().cloned());
                            }
                            let mut heard = lock(&heard);
                            chunks.into_iter().for_each(|c| heard.push(listener, c));
                        }
                        match handle.take_end() {
                            None => {}
                            Some(StreamEnd::Failed(e)) => {
                                lock(&state).lost = Some(format!("{e}; trying again every 2 s"));
                                match reopen(&opener, &stop) {
                                    Some(source) => {
                                        handle = spawn_audio(source);
                                        lock(&state).lost = None;
                                    }
                                    None => break,
                                }
                            }
                            Some(_) => break,
                        }
                    }
                })
                .map_err(|e| EngineError::Usage(format!("cannot start the sound thread: {e}")))?
        };
        Ok(Self { state, tap, rate: info.sample_rate, stop, thread: Some(thread) })
    }

    /// Sample rate, Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Starts handing every chunk from now on to the returned tap (one at a time: a new tap
    /// replaces the old one).
    pub fn tap(&self) -> SoundTap {
        *lock(&self.tap) = Some(Vec::new());
        SoundTap { tap: self.tap.clone() }
    }

    /// The audio token's features for one video frame at `fps`: the log-mel of the last
    /// 1/fps seconds (or of the one window ending now, when a frame is shorter), `mels` values,
    /// as training hears each frame of a clip.
    pub fn frame_features(&self, fps: f64, mels: usize) -> Vec<f32> {
        let s = lock(&self.state);
        // Enough for a frame, and for the one window a short frame takes.
        let n = ((f64::from(s.rate) / fps.max(1.0)).ceil() as usize).max(1024);
        let tail: Vec<f32> = s.samples.iter().rev().take(n).rev().copied().collect();
        augur_model::audio::last_frame_features(&tail, s.rate, fps, mels)
    }

    /// Level and spectrogram for the scope.
    pub fn view(&self) -> SoundView {
        let s = lock(&self.state);
        let n = (s.rate / 10) as usize;
        let tail: Vec<f32> = s.samples.iter().rev().take(n).copied().collect();
        SoundView {
            description: s.description.clone(),
            level_dbfs: audio_level(&tail, s.rate).rms_dbfs,
            columns: s.columns.iter().cloned().collect(),
            lost: s.lost.clone(),
        }
    }
}

impl State {
    fn add(&mut self, samples: &[f32]) {
        self.samples.extend(samples);
        let keep = (f64::from(self.rate) * KEEP_S) as usize;
        while self.samples.len() > keep {
            self.samples.pop_front();
        }
        self.unprocessed.extend_from_slice(samples);
        let params = augur_gpu::logmel::Params { n_mels: MELS as u32, ..augur_gpu::logmel::Params::new(self.rate) };
        let (n_fft, hop) = (params.n_fft as usize, params.hop as usize);
        // Whole hops only; keep the window's overlap for the next call.
        if self.unprocessed.len() < n_fft + hop {
            return;
        }
        let Ok(rows) = augur_gpu::logmel::reference(&self.unprocessed, &params) else { return };
        let used = rows.len() / MELS * hop;
        for row in rows.chunks(MELS) {
            let col =
                row.iter().map(|v| (augur_model::audio::scale_logmel(*v).clamp(0.0, 1.0) * 255.0) as u8).collect();
            self.columns.push_back(col);
        }
        while self.columns.len() > COLUMNS {
            self.columns.pop_front();
        }
        self.unprocessed.drain(..used.min(self.unprocessed.len()));
    }
}

/// The chunks a recording takes from the microphone; dropping it stops the tapping.
pub struct SoundTap {
    tap: Arc<Mutex<Option<Vec<AudioChunk>>>>,
}

impl SoundTap {
    /// The chunks delivered since the last call.
    pub fn drain(&self) -> Vec<AudioChunk> {
        lock(&self.tap).as_mut().map(std::mem::take).unwrap_or_default()
    }
}

impl Drop for SoundTap {
    fn drop(&mut self) {
        *lock(&self.tap) = None;
    }
}

impl Drop for Sound {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    /// Chunks of a 440 Hz tone every 10 ms, failing after `fail_after` of them (never if 0).
    struct Flaky {
        info: AudioInfo,
        sent: u32,
        fail_after: u32,
    }

    impl AudioSource for Flaky {
        fn info(&self) -> &AudioInfo {
            &self.info
        }
        fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError> {
            std::thread::sleep(Duration::from_millis(10));
            self.sent += 1;
            if self.fail_after > 0 && self.sent > self.fail_after {
                return Err(CaptureError::Disconnected {
                    what: "flaky microphone".into(),
                    frames: 0,
                    why: "unplugged".into(),
                    hint: "plug it in",
                });
            }
            let n = self.info.sample_rate / 100;
            let samples = (0..n).map(|i| (f64::from(i) * 0.17).sin() as f32 * 0.3).collect();
            let pts = Duration::from_millis(u64::from(self.sent) * 10);
            Ok(Some(AudioChunk { pts, sample_rate: self.info.sample_rate, samples }))
        }
    }

    /// 44.1 kHz chunks of 1024 samples made 48 kHz: as many samples as the time they last (not
    /// one more per chunk), and a tone across their edges as smooth as within them.
    #[test]
    fn chunks_at_another_rate_join_without_extra_samples() {
        let mut rerate = Rerate::new(48_000);
        let tone = |i: usize, rate: f64| (2.0 * std::f64::consts::PI * 440.0 * i as f64 / rate).sin() as f32;
        let mut out = Vec::new();
        for k in 0..100 {
            let samples = (k * 1024..(k + 1) * 1024).map(|i| tone(i, 44_100.0)).collect();
            out.extend(
                rerate
                    .apply(AudioChunk { pts: Duration::ZERO, sample_rate: 44_100, samples })
                    .into_iter()
                    .flat_map(|c| c.samples),
            );
        }
        // 99 chunks out: the last is held for the one after it.
        let want = (99.0 * 1024.0 * 48_000.0 / 44_100.0) as usize;
        assert!(out.len().abs_diff(want) <= 1, "{} samples for {want}", out.len());
        let worst = out[200..out.len() - 200]
            .iter()
            .enumerate()
            .map(|(i, v)| if v.is_finite() { (v - tone(i + 200, 48_000.0)).abs() } else { f32::INFINITY })
            .fold(0.0, f32::max);
        assert!(worst < 0.01, "off the tone by {worst}");
    }

    /// A microphone that fails is opened again every 2 s until it opens; meanwhile the view
    /// says why nothing is heard, and once it is back sound flows again.
    #[test]
    fn a_lost_microphone_is_opened_again() {
        let opened = Arc::new(AtomicU32::new(0));
        let count = opened.clone();
        // Back at 48 kHz: another device became the default meanwhile.
        let opener = move || -> Result<Box<dyn AudioSource>, CaptureError> {
            let info = |rate| AudioInfo {
                description: "flaky".into(),
                sample_rate: rate,
                channels: 1,
                native_format: "f32".into(),
            };
            match count.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(Box::new(Flaky { info: info(16_000), sent: 0, fail_after: 20 })),
                1 => Err(CaptureError::Disconnected {
                    what: "flaky".into(),
                    frames: 0,
                    why: "still unplugged".into(),
                    hint: "",
                }),
                _ => Ok(Box::new(Flaky { info: info(48_000), sent: 0, fail_after: 0 })),
            }
        };
        let heard = Arc::new(Mutex::new(Heard::new(Duration::from_secs(10))));
        let Ok(sound) = Sound::open_with(opener, heard.clone()) else { panic!("the first open works") };
        let wait = |what: &str, done: &dyn Fn(&SoundView) -> bool| {
            let start = std::time::Instant::now();
            while !done(&sound.view()) {
                assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting for {what}");
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait("the loss to be told", &|v| v.lost.as_deref().is_some_and(|l| l.contains("unplugged")));
        wait("the microphone to be back", &|v| v.lost.is_none());
        assert_eq!(opened.load(Ordering::SeqCst), 3, "opened, refused once, opened again");
        let before = lock(&sound.state).samples.len();
        wait("sound again", &|_| lock(&sound.state).samples.len() > before);
        let chunks = lock(&heard).between(Duration::ZERO, Duration::from_secs(10));
        assert!(chunks.iter().all(|c| c.sample_rate == 16_000), "everything at the first rate");
        assert_eq!(chunks.last().map(|c| c.samples.len()), Some(160), "48 kHz chunks of 10 ms resampled");
    }
}
