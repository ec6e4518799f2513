//! Recording from a live session: the capture thread hands every source frame to an
//! [`EpisodeRecorder`] while a recording runs. A frame the capture thread never saw (the
//! source overwrote it while the encoder was busy) stops the recording with a message rather
//! than leave a silent hole; what was written stays valid. With a microphone, its sound is
//! recorded beside the frames, lined up with the first frame's timestamp.

use std::path::Path;
use std::time::{Duration, Instant};

use augur_capture::{Frame, SourceInfo};
use augur_dataset::{Dataset, EpisodeMeta, EpisodeRecorder, FrameGrid, Recording, SoundAligner, repair};

use crate::EngineError;
use crate::sound::{Sound, SoundTap};

/// What the status line shows about a recording.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RecordingStatus {
    /// Whether an episode is being recorded.
    pub active: bool,
    /// The dataset folder.
    pub dataset: Option<String>,
    /// The episode being recorded (or last finished).
    pub episode: Option<u64>,
    /// Frames in the current episode.
    pub frames: u64,
    /// Seconds in the current episode.
    pub seconds: f64,
    /// Bytes free on the dataset's disk.
    pub free_bytes: Option<u64>,
    /// Bytes written per second (video and rows).
    pub write_rate: f64,
    /// Why the last recording stopped on its own, if it did.
    pub stopped: Option<String>,
}

/// A running episode.
pub struct ActiveRecording {
    _hold: augur_dataset::DatasetLock,
    dataset: Dataset,
    episode: EpisodeRecorder,
    fps: u32,
    last_index: Option<u64>,
    /// The microphone's chunks and the aligner that cuts them to the frames.
    sound: Option<(SoundTap, SoundAligner)>,
    /// Session time of the last frame recorded.
    last_pts: Duration,
    /// Where frames fall on the episode's rate, by their own timestamps.
    grid: FrameGrid,
}

impl ActiveRecording {
    /// Opens (or creates) `dir` for frames like `info`'s, finishing episodes a crash left, and
    /// starts an episode of `task`, with `sound` when there is a microphone.
    pub fn start(
        dir: &Path,
        task: &str,
        info: &SourceInfo,
        sound: Option<&Sound>,
    ) -> Result<(Self, Vec<EpisodeMeta>), EngineError> {
        let fps = info.fps.round() as u32;
        if fps == 0 {
            return Err(EngineError::Usage("the source reports no frame rate; it cannot be recorded".into()));
        }
        let rec = Recording {
            fps,
            width: info.width & !1,
            height: info.height & !1,
            audio_rate: sound.map(Sound::rate),
            action_names: Vec::new(),
            codec: augur_capture::VideoCodec::H264,
        };
        let hold = augur_dataset::DatasetLock::take(dir).map_err(|e| EngineError::Usage(e.to_string()))?;
        let mut dataset = Dataset::open_or_create(dir, &rec).map_err(|e| EngineError::Usage(e.to_string()))?;
        let mut recovered = Vec::new();
        for r in repair(&mut dataset).map_err(|e| EngineError::Usage(e.to_string()))? {
            match r {
                augur_dataset::Repaired::Recovered(m) => recovered.push(m),
                augur_dataset::Repaired::Empty(_) => {}
                // As `augur record` does: what a crash left is not recorded past unseen.
                augur_dataset::Repaired::Failed(n, why) => {
                    return Err(EngineError::Usage(format!(
                        "episode {n}, left by a crash in {}, could not be finished ({why}); free some disk space and press \
                         Rec again, or move {} out of the dataset to record without it",
                        dir.display(),
                        dataset.layout.staging(n).display()
                    )));
                }
            }
        }
        let episode = EpisodeRecorder::start(&dataset, task).map_err(|e| EngineError::Usage(e.to_string()))?;
        let sound = sound.map(|s| (s.tap(), SoundAligner::new(s.rate())));
        let grid = FrameGrid::new(fps);
        let recording =
            Self { _hold: hold, dataset, episode, fps, grid, last_index: None, sound, last_pts: Duration::ZERO };
        Ok((recording, recovered))
    }

    /// Records one source frame. Errors stop the recording (the caller finishes it).
    pub fn push(&mut self, frame: &Frame) -> Result<(), String> {
        match self.last_index {
            Some(last) if frame.index > last + 1 => {
                let missed = frame.index - last - 1;
                let frames = if missed == 1 { "frame was" } else { "frames were" };
                return Err(format!(
                    "{missed} source {frames} missed while recording (the machine is too busy); recording stopped"
                ));
            }
            // The frame count restarted: the source was reopened or switched.
            Some(last) if frame.index <= last => {
                return Err("the source was reopened or switched; recording stopped".into());
            }
            _ => {}
        }
        self.last_index = Some(frame.index);
        if self.episode.disk().low(3.0) {
            return Err("the disk is nearly full; recording stopped".into());
        }
        // On the episode's fixed rate: a gap before this frame repeats the one before it.
        for shown in self.grid.place(frame, self.episode.frames()) {
            self.write(&shown, frame.pts)?;
        }
        Ok(())
    }

    /// Writes one frame, with the sound heard until it ends.
    fn write(&mut self, frame: &Frame, now: Duration) -> Result<(), String> {
        if let Some((tap, aligner)) = self.sound.as_mut() {
            aligner.pull(tap.drain());
            if self.episode.frames() == 0 {
                aligner.begin(now);
            }
            let samples = aligner.take(self.episode.frames() + 1, self.fps);
            self.episode.push_audio(&samples).map_err(|e| e.to_string())?;
        }
        self.last_pts = now;
        self.episode.push_frame(&frame.rgb, frame.width, frame.height, &[]).map_err(|e| e.to_string())
    }

    /// The status line.
    pub fn status(&self) -> RecordingStatus {
        RecordingStatus {
            active: true,
            dataset: Some(self.dataset.layout.root.display().to_string()),
            episode: Some(self.episode.episode()),
            frames: self.episode.frames(),
            seconds: self.episode.frames() as f64 / f64::from(self.fps),
            free_bytes: self.episode.disk().free,
            write_rate: self.episode.disk().rate,
            stopped: None,
        }
    }

    /// Finishes the episode into the dataset. The microphone delivers late, so its sound is
    /// awaited (up to 3 s) to the end of the last frame; what never came is silence.
    pub fn finish(mut self) -> Result<Option<EpisodeMeta>, EngineError> {
        let usage = |e: augur_dataset::DatasetError| EngineError::Usage(e.to_string());
        if let Some((tap, mut aligner)) = self.sound.take()
            && self.episode.frames() > 0
        {
            let end = self.last_pts + Duration::from_secs_f64(1.0 / f64::from(self.fps));
            let waited = Instant::now();
            loop {
                aligner.pull(tap.drain());
                if aligner.covers(end) || waited.elapsed() > Duration::from_secs(3) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut samples = aligner.take(self.episode.frames(), self.fps);
            samples.extend(aligner.pad_to(self.episode.frames(), self.fps));
            self.episode.push_audio(&samples).map_err(usage)?;
        }
        self.episode.finish(&mut self.dataset).map_err(usage)
    }

    /// Throws the episode away.
    pub fn discard(self) -> Result<(), EngineError> {
        self.episode.discard(&self.dataset).map_err(|e| EngineError::Usage(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64×48 live source at 10 fps.
    fn small_source() -> SourceInfo {
        SourceInfo {
            description: "test".into(),
            width: 64,
            height: 48,
            fps: 10.0,
            native_format: "rgb24".into(),
            live: true,
            paced: true,
            notes: Vec::new(),
        }
    }

    /// A source that delivers half the frames it claims (a camera in low light) is recorded at
    /// its claimed rate, the gaps filled, so the episode lasts as long as the recording did.
    #[test]
    fn a_source_slower_than_it_claims_keeps_its_duration() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let info = small_source();
        let (mut rec, _) = ActiveRecording::start(dir.path(), "slow", &info, None)?;
        for i in 0..20u64 {
            let at = Duration::from_millis(200 * i);
            let rgb: std::sync::Arc<[u8]> = vec![(i * 10) as u8; 64 * 48 * 3].into();
            rec.push(&Frame { pts: at, stream_pts: Some(at), index: i, width: 64, height: 48, rgb })?;
        }
        let meta = rec.finish()?.ok_or("an episode")?;
        assert!((38..=40).contains(&meta.length), "3.8 s at 10 fps: {} frames", meta.length);
        Ok(())
    }

    /// A source frame the recorder never got (the machine was too busy to pass it on) stops the
    /// recording with why, rather than being skipped unseen; what was written before is a whole
    /// episode, its frames in a row.
    #[test]
    fn a_missed_source_frame_stops_the_recording_and_keeps_what_came_before() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let (mut rec, _) = ActiveRecording::start(dir.path(), "busy", &small_source(), None)?;
        let frame = |i: u64| {
            let at = Duration::from_millis(100 * i);
            Frame { pts: at, stream_pts: Some(at), index: i, width: 64, height: 48, rgb: vec![90; 64 * 48 * 3].into() }
        };
        for i in 0..5 {
            rec.push(&frame(i))?;
        }
        let Err(why) = rec.push(&frame(7)) else { return Err("frames 5 and 6 were skipped unseen".into()) };
        assert!(why.contains("2 source frames were missed") && why.contains("too busy"), "{why}");
        let Err(why) = rec.push(&frame(3)) else { return Err("a source that started again was recorded on".into()) };
        assert!(why.contains("reopened or switched"), "{why}");
        let meta = rec.finish()?.ok_or("an episode")?;
        assert_eq!(meta.length, 5, "the frames before the gap, and only those");
        Ok(())
    }

    /// An episode a crash left that cannot be finished (its rows are damaged) stops the next
    /// recording with what to do, instead of being recorded past unseen.
    #[test]
    fn an_episode_that_cannot_be_repaired_is_not_recorded_past() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let info = small_source();
        let (first, _) = ActiveRecording::start(dir.path(), "first", &info, None)?;
        let staging = first.dataset.layout.staging(0);
        drop(first); // as a crash would: the episode stays staged
        std::fs::write(staging.join("rows-000000.parquet"), b"not parquet")?;
        let Err(err) = ActiveRecording::start(dir.path(), "second", &info, None) else {
            return Err("a recording started past a damaged episode".into());
        };
        let err = err.to_string();
        assert!(err.contains("episode 0") && err.contains("could not be finished") && err.contains("move"), "{err}");
        Ok(())
    }
}
