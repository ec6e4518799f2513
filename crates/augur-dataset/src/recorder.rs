//! Recording one episode crash-safely. Video goes straight into the episode's final MP4
//! (fragmented, one flushed fragment per second); rows go into one complete parquet file per
//! second in the staging folder, next to a journal rewritten each second. `finish` turns the
//! staging into LeRobot files; after a kill, `repair` does the same with what reached the disk.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use augur_capture::{RecordAudio, RecordingWriter};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::layout::{read_json, write_atomic};
use crate::meta::EpisodeMeta;
use crate::rows::{self, Row};
use crate::stats::{self, Moments};
use crate::{DatasetError, Recording};

/// The highest episode number: a billion episodes, far inside the i64 the rows store it as.
const MAX_EPISODE: u64 = 999_999_999;

/// `journal.json` in an episode's staging folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    /// The episode.
    pub episode_index: u64,
    /// Its task text.
    pub task: String,
    /// When recording started (seconds since 1970).
    pub started_unix: f64,
    /// Rows in complete segments.
    pub rows: u64,
    /// Segments written.
    pub segments: u64,
    /// Camera pixel moments up to the last segment.
    pub camera: Moments,
}

impl Journal {
    /// Reads a staging folder's journal.
    pub fn read(staging: &Path) -> Result<Self, DatasetError> {
        read_json(&staging.join("journal.json"))
    }
}

/// An episode being recorded.
pub struct EpisodeRecorder {
    staging: std::path::PathBuf,
    rec: Recording,
    journal: Journal,
    writer: Option<RecordingWriter>,
    pending: Vec<Row>,
    camera: Moments,
    frames: u64,
    video_path: std::path::PathBuf,
    /// Free bytes on the dataset's disk and the episode's bytes per second, checked each second.
    disk: Disk,
}

/// What the recorder last saw of its disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk {
    /// Bytes free (None where the system cannot say).
    pub free: Option<u64>,
    /// Bytes the episode writes per second (video and rows).
    pub rate: f64,
}

impl Disk {
    /// True when less than `seconds` of recording (plus 1 MB for finishing) fits on the disk.
    pub fn low(&self, seconds: f64) -> bool {
        self.free.is_some_and(|f| (f as f64) < 1e6 + self.rate * seconds)
    }
}

impl EpisodeRecorder {
    /// Starts episode `ds.next_episode()` with `task`.
    pub fn start(ds: &Dataset, task: &str) -> Result<Self, DatasetError> {
        let rec = ds.info.recording().ok_or_else(|| DatasetError::Usage("the dataset declares no camera".into()))?;
        if task.trim().is_empty() {
            return Err(DatasetError::Usage("give the episode a task text (--task \"what happens\")".into()));
        }
        // Episodes it cannot list would be written over by this one's metadata: refuse first.
        ds.episodes()?;
        let episode = ds.next_episode();
        // Rows store the index as i64: past that (a hand-edited count in meta/info.json) the
        // episode would be written as -1 and never found again.
        if episode > MAX_EPISODE {
            return Err(DatasetError::invalid(
                &ds.layout.info(),
                format!("the next episode would be number {episode}, more than a dataset holds ({MAX_EPISODE})"),
                crate::error::RESTORE,
            ));
        }
        let staging = ds.layout.staging(episode);
        std::fs::create_dir_all(&staging).map_err(|e| DatasetError::io("create the folder", &staging, e))?;
        let video = ds.layout.video(episode);
        if let Some(dir) = video.parent() {
            std::fs::create_dir_all(dir).map_err(|e| DatasetError::io("create the folder", dir, e))?;
        }
        let audio = rec.audio_rate.map(|sample_rate| RecordAudio { sample_rate });
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        let journal = Journal {
            episode_index: episode,
            task: task.trim().to_string(),
            started_unix: started,
            rows: 0,
            segments: 0,
            camera: Moments::default(),
        };
        write_atomic(&staging.join("journal.json"), &serde_json::to_vec_pretty(&journal).unwrap_or_default())?;
        let writer = RecordingWriter::create(&video, rec.width, rec.height, rec.fps, rec.codec, audio)?;
        let disk = Disk { free: crate::layout::free_bytes(&ds.layout.root), rate: 0.0 };
        Ok(Self {
            staging,
            rec,
            journal,
            writer: Some(writer),
            pending: Vec::new(),
            camera: Moments::default(),
            frames: 0,
            video_path: video,
            disk,
        })
    }

    /// The episode index.
    pub fn episode(&self) -> u64 {
        self.journal.episode_index
    }

    /// Frames recorded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The disk as of the last second: free space and this episode's write rate.
    pub fn disk(&self) -> Disk {
        self.disk
    }

    /// Seconds of sound written so far.
    pub fn audio_seconds(&self) -> f64 {
        let rate = f64::from(self.rec.audio_rate.unwrap_or(1));
        self.writer.as_ref().map_or(0.0, |w| w.audio_samples() as f64 / rate)
    }

    /// Records one frame with the actions held at it. Every `fps` frames the rows so far are
    /// written as a complete parquet segment and the journal is updated.
    pub fn push_frame(&mut self, rgb: &[u8], width: u32, height: u32, action: &[f32]) -> Result<(), DatasetError> {
        // Odd sizes are recorded without their last row or column (yuv420p needs even sizes).
        if (width & !1, height & !1) != (self.rec.width, self.rec.height) {
            return Err(DatasetError::Usage(format!(
                "the source changed size to {width}x{height}; this dataset records {}x{}. Record into a new folder",
                self.rec.width, self.rec.height
            )));
        }
        let writer =
            self.writer.as_mut().ok_or_else(|| DatasetError::Usage("the episode is already finished".into()))?;
        writer.push_rgb(rgb, width)?;
        stats::add_frame(&mut self.camera, rgb, width, height);
        let n = self.rec.action_names.len();
        let mut a = action.to_vec();
        a.resize(n, 0.0);
        self.pending.push(Row {
            timestamp: (self.frames as f64 / f64::from(self.rec.fps)) as f32,
            frame_index: self.frames as i64,
            episode_index: self.journal.episode_index as i64,
            index: 0,
            task_index: 0,
            action: a,
        });
        self.frames += 1;
        if self.pending.len() >= self.rec.fps as usize {
            self.flush_segment()?;
        }
        Ok(())
    }

    /// Records microphone samples (mono, at the dataset's rate).
    pub fn push_audio(&mut self, samples: &[f32]) -> Result<(), DatasetError> {
        match self.writer.as_mut() {
            Some(w) => Ok(w.push_audio(samples)?),
            None => Ok(()),
        }
    }

    fn flush_segment(&mut self) -> Result<(), DatasetError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let path = self.staging.join(format!("rows-{:06}.parquet", self.journal.segments));
        rows::write(&path, &self.pending, self.rec.action_names.len())?;
        self.journal.rows += self.pending.len() as u64;
        self.journal.segments += 1;
        self.journal.camera = self.camera.clone();
        self.pending.clear();
        write_atomic(
            &self.staging.join("journal.json"),
            &serde_json::to_vec_pretty(&self.journal).unwrap_or_default(),
        )?;
        let seconds = self.frames as f64 / f64::from(self.rec.fps);
        let bytes = std::fs::metadata(&self.video_path).map_or(0, |m| m.len()) + 4096 * self.journal.segments;
        self.disk = Disk { free: crate::layout::free_bytes(&self.staging), rate: bytes as f64 / seconds.max(1e-3) };
        Ok(())
    }

    /// Closes the video, writes the last segment and finishes the episode into the dataset.
    /// On a write error the staging is kept, so `augur dataset repair` can finish it.
    pub fn finish(mut self, ds: &mut Dataset) -> Result<Option<EpisodeMeta>, DatasetError> {
        let video = self.writer.take().map(|w| w.finish());
        let flushed = self.flush_segment();
        video.transpose()?;
        flushed?;
        ds.finish_episode(&self.journal, false)
    }

    /// Stops after a failure (a full disk): keeps what is complete and finishes it as a repair
    /// would, without writing more video.
    pub fn abandon(mut self, ds: &mut Dataset) -> Result<Option<EpisodeMeta>, DatasetError> {
        drop(self.writer.take()); // no trailer: the fragments already on disk are what counts
        let _ = self.flush_segment();
        ds.finish_episode(&self.journal, true)
    }

    /// Throws the episode away (the user pressed discard).
    pub fn discard(mut self, ds: &Dataset) -> Result<(), DatasetError> {
        drop(self.writer.take());
        let _ = std::fs::remove_file(ds.layout.video(self.journal.episode_index));
        std::fs::remove_dir_all(&self.staging).map_err(|e| DatasetError::io("remove", &self.staging, e))
    }
}
