//! The microphone side of a session: the last few seconds of sound, its level, a scrolling
//! log-mel spectrogram for the scope, and the per-frame log-mel features the model's audio
//! token takes (the same features it was trained with).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use augur_capture::{AudioChunk, AudioInfo, SessionClock, SourceSpec, audio_level, open_audio, spawn_audio};

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
}

#[derive(Default)]
struct State {
    samples: VecDeque<f32>,
    unprocessed: Vec<f32>,
    columns: VecDeque<Vec<u8>>,
    rate: u32,
    description: String,
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
        let source = open_audio(&SourceSpec::audio(name)?, clock)?;
        let listener = lock(&heard).listener();
        let handle = spawn_audio(source);
        let info: AudioInfo = handle.info().clone();
        let state =
            Arc::new(Mutex::new(State { rate: info.sample_rate, description: info.description, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let tap: Arc<Mutex<Option<Vec<AudioChunk>>>> = Arc::new(Mutex::new(None));
        let thread = {
            let (state, stop, tap) = (state.clone(), stop.clone(), tap.clone());
            std::thread::Builder::new()
                .name("augur-sound".into())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        if let Some(first) = handle.wait(Duration::from_millis(50)) {
                            // One lock at a time: an export holding `heard` never stalls the
                            // audio token's features (`state`) or a recording's tap.
                            let chunks: Vec<AudioChunk> = std::iter::once(first).chain(handle.drain()).collect();
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
                        if handle.take_end().is_some() {
                            break;
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
    /// 1/fps seconds, `mels` values.
    pub fn frame_features(&self, fps: f64, mels: usize) -> Vec<f32> {
        let s = lock(&self.state);
        let n = ((f64::from(s.rate) / fps.max(1.0)) as usize).max(1);
        let tail: Vec<f32> = s.samples.iter().rev().take(n).rev().copied().collect();
        augur_model::audio::frame_features(&tail, s.rate, fps, 1, mels)
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
