//! The session's recording and its microphone: an episode records the microphone of the
//! moment it starts, so the microphone cannot change while one runs.

use std::sync::Arc;
use std::thread::JoinHandle;

use super::{Session, lock};
use crate::EngineError;

impl Session {
    /// Starts recording every source frame into the dataset at `dir` (created when new; episodes
    /// a crash left are finished first) as an episode of `task`.
    pub fn start_recording(&self, dir: &std::path::Path, task: &str) -> Result<crate::RecordingStatus, EngineError> {
        let info = self.source_info().ok_or_else(|| EngineError::Usage("the source has not opened yet".into()))?;
        if lock(&self.shared.recording).is_some() {
            return Err(EngineError::Usage("a recording is already running; stop it first".into()));
        }
        info.recordable().map_err(EngineError::Usage)?;
        // Opened (and earlier crashes repaired) without holding the lock the capture thread
        // takes for every frame, so the preview never waits for the disk.
        // The recording taps the microphone of this moment; the microphone cannot change
        // until it stops (see `set_microphone`).
        let sound = self.shared.sound();
        let (active, _recovered) = crate::recording::ActiveRecording::start(dir, task, &info, sound.as_deref())?;
        let status = active.status();
        let mut slot = lock(&self.shared.recording);
        if slot.is_some() {
            let _ = active.discard();
            return Err(EngineError::Usage("a recording is already running; stop it first".into()));
        }
        let same_mic = match (&sound, &self.shared.sound()) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same_mic {
            let _ = active.discard();
            return Err(EngineError::Usage(
                "the microphone changed while the recording started; start it again".into(),
            ));
        }
        *slot = Some(active);
        *lock(&self.shared.recording_stopped) = None;
        Ok(status)
    }

    /// Stops recording and finishes the episode (`keep` false throws it away).
    pub fn stop_recording(&self, keep: bool) -> Result<Option<augur_dataset::EpisodeMeta>, EngineError> {
        let active = lock(&self.shared.recording)
            .take()
            .ok_or_else(|| EngineError::Usage("nothing is being recorded".into()))?;
        if keep { active.finish() } else { active.discard().map(|()| None) }
    }

    /// Finishes a recording still running, and waits for one that stopped by itself to be
    /// finished, so quitting keeps every frame recorded (what a repair after a crash would
    /// otherwise have to recover, less the last second). Called as the app exits.
    pub fn finish_recording_on_close(&self) {
        let active = lock(&self.shared.recording).take();
        if let Some(active) = active {
            let _ = active.finish();
        }
        let finishing = std::mem::take(&mut *lock(&self.shared.finishing));
        for handle in finishing {
            let _ = handle.join();
        }
    }

    /// Listens to another microphone (`mic:default`, `mic:3`, `audiofile:…`) or to none, without
    /// stopping; answers what is now listened to. The old microphone keeps going until the new
    /// one has opened, so a microphone that will not open changes nothing. Refused while a
    /// recording runs: its episode's sound must come from one device.
    pub fn set_microphone(&self, name: Option<&str>) -> Result<Option<String>, EngineError> {
        if lock(&self.shared.recording).is_some() {
            return Err(EngineError::Usage("a recording is running; stop it before changing the microphone".into()));
        }
        let next = match name {
            None | Some("none") => None,
            Some(n) => Some(Arc::new(crate::sound::Sound::open(n, self.clock, self.shared.heard.clone())?)),
        };
        let described = next.as_ref().map(|s| s.view().description);
        // Checked again under the recording lock, so a recording never starts on the old one
        // while the new one is swapped in.
        let recording = lock(&self.shared.recording);
        if recording.is_some() {
            return Err(EngineError::Usage("a recording is running; stop it before changing the microphone".into()));
        }
        let old = std::mem::replace(&mut *lock(&self.shared.sound), next);
        drop(recording);
        // Stopping a device joins its thread; done outside every lock.
        drop(old);
        Ok(described)
    }

    /// What was heard while `moments` (at `fps`) were the newest, to a frame past the last, by
    /// whichever microphones listened, at the rate of the one `listening` now (or of the last
    /// one); `None` when no microphone is picked and none heard anything then.
    pub(crate) fn soundtrack(
        &self,
        moments: &[crate::Moment],
        fps: u32,
        listening: Option<u32>,
    ) -> Option<crate::Soundtrack> {
        let (first, last) = (moments.first()?, moments.last()?);
        let to = last.pts + std::time::Duration::from_secs_f64(1.0 / f64::from(fps));
        let (chunks, newest) = {
            let heard = lock(&self.shared.heard);
            (heard.between(first.pts, to), heard.rate())
        };
        let track = crate::Soundtrack::from_chunks(&chunks, listening.or(newest)?, first.pts, to);
        (listening.is_some() || !track.heard.is_empty()).then_some(track)
    }

    /// Level and spectrogram of the microphone, when there is one.
    pub fn sound(&self) -> Option<crate::sound::SoundView> {
        self.shared.sound().map(|s| s.view())
    }

    /// The recording's state.
    pub fn recording(&self) -> crate::RecordingStatus {
        let finished: Vec<JoinHandle<String>> = {
            let mut f = lock(&self.shared.finishing);
            let (done, running) = std::mem::take(&mut *f).into_iter().partition(JoinHandle::is_finished);
            *f = running;
            done
        };
        if let Some(msg) = finished.into_iter().filter_map(|h| h.join().ok()).next_back() {
            *lock(&self.shared.recording_stopped) = Some(msg);
        }
        match lock(&self.shared.recording).as_ref() {
            Some(a) => a.status(),
            None => {
                crate::RecordingStatus { stopped: lock(&self.shared.recording_stopped).clone(), ..Default::default() }
            }
        }
    }
}
