//! A microphone heard while the frames are read, so that `predict --audio mic:…` on a camera
//! hears the moments its pictures show (read afterwards, the sound was of the seconds after).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use augur_capture::{AudioSource, AudioSpec, SessionClock, SourceSpec, open_audio};
use augur_model::data::ClipSound;

/// A microphone being recorded on its own thread.
pub(super) struct Listening {
    clock: SessionClock,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Heard>>,
}

/// What the thread heard: its first chunk's time and every sample since, at `rate`.
struct Heard {
    start: Option<Duration>,
    samples: Vec<f32>,
    rate: u32,
}

impl Listening {
    /// Starts recording `given` on `clock` when it names a microphone; `None` for anything else
    /// (files and scenes are read whole afterwards, as fast as they decode).
    pub(super) fn start(given: Option<&str>, clock: SessionClock) -> Result<Option<Self>> {
        let Some(given) = given.filter(|g| *g != "none") else { return Ok(None) };
        let spec = SourceSpec::audio(given)?;
        if !matches!(spec, AudioSpec::Mic { .. }) {
            return Ok(None);
        }
        let mut source = open_audio(&spec, clock)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("augur-predict-mic".into())
            .spawn(move || record(source.as_mut(), &stopping))
            .context("cannot start the microphone thread")?;
        Ok(Some(Self { clock, stop, thread }))
    }

    /// The sound of `frames` frames at `fps`, the first shown at `first` on the session clock,
    /// cut as the audio encoder hears it (see [`super::sound::heard`]). Waits until the
    /// microphone has heard to the end of the last frame.
    pub(super) fn finish(self, first: Duration, frames: usize, fps: f64) -> Result<ClipSound> {
        // Frame 0 hears the frame before it, so the sound starts one frame early.
        let from = first.saturating_sub(Duration::from_secs_f64(1.0 / fps));
        let until = first + Duration::from_secs_f64(frames as f64 / fps);
        // Frames read faster than they play (a file) end before the microphone has heard as
        // long: it goes on until the last frame's time, and a little for its last chunk.
        std::thread::sleep(until.saturating_sub(self.clock.now()) + Duration::from_millis(100));
        self.stop.store(true, Ordering::SeqCst);
        let heard = self.thread.join().map_err(|_| anyhow!("the microphone thread stopped on an internal error"))??;
        let rate = heard.rate;
        let samples = heard.from(from, (frames + 1) as f64 / fps);
        Ok(ClipSound { samples, rate, fps }.cut(0, frames))
    }
}

impl Heard {
    /// `seconds` of what was heard from `from` on the session clock; before the first sample
    /// heard (a microphone opening late) is silence.
    fn from(self, from: Duration, seconds: f64) -> Vec<f32> {
        let rate = f64::from(self.rate);
        let skip = (from.as_secs_f64() - self.start.unwrap_or(from).as_secs_f64()) * rate;
        let mut samples = if skip >= 0.0 {
            self.samples.get(skip.round() as usize..).unwrap_or_default().to_vec()
        } else {
            [vec![0.0; (-skip).round() as usize], self.samples].concat()
        };
        samples.truncate((seconds * rate).ceil() as usize);
        samples
    }
}

/// Reads chunks until `stop` is set.
fn record(source: &mut dyn AudioSource, stop: &AtomicBool) -> Result<Heard> {
    let mut heard = Heard { start: None, samples: Vec::new(), rate: source.info().sample_rate };
    while !stop.load(Ordering::SeqCst) {
        match source.next_chunk()? {
            Some(chunk) => {
                heard.start.get_or_insert(chunk.pts);
                heard.samples.extend_from_slice(&chunk.samples);
            }
            None => break,
        }
    }
    Ok(heard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_heard_is_cut_at_the_first_frames_time() {
        let ramp = |n: usize| (0..n).map(|i| i as f32).collect::<Vec<f32>>();
        let heard =
            |start_ms: u64| Heard { start: Some(Duration::from_millis(start_ms)), samples: ramp(1000), rate: 100 };
        // Listening began 2 s before the frames: the first 200 samples were before them.
        assert_eq!(heard(1000).from(Duration::from_secs(3), 1.0), ramp(300)[200..]);
        // It began 0.5 s after: 50 samples of silence, then all it heard.
        let late = heard(3500).from(Duration::from_secs(3), 1.0);
        assert_eq!((late.len(), &late[..50], &late[50..]), (100, &[0.0; 50][..], &ramp(50)[..]));
        // Asked for more than was heard: what there is.
        assert_eq!(heard(0).from(Duration::from_secs(9), 5.0).len(), 100);
    }
}
