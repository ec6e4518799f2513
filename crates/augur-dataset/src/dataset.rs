//! A dataset folder: opening or creating it, and finishing an episode into the LeRobot layout
//! (the one step shared by a normal stop and by `augur dataset repair`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::info::{CODEBASE_VERSION, Info, Recording};
use crate::layout::{DONE_PREFIX, Layout, read_json, write_atomic};
use crate::meta::{EpisodeMeta, read_episodes, read_tasks, write_episodes, write_tasks};
use crate::rows::{self, Row};
use crate::stats::{self, Moments};
use crate::{DatasetError, Journal};

/// What Augur keeps beside LeRobot's metadata to append episodes later (`meta/augur.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    /// Pixel moments of the camera over every finished episode.
    pub camera: Moments,
    /// Moments of every row feature over every finished episode, merged as episodes finish so
    /// finishing one never re-reads the others.
    #[serde(default)]
    pub rows: std::collections::BTreeMap<String, Moments>,
    /// Episodes already merged into the moments (finishing one twice after a crash counts once).
    #[serde(default)]
    pub merged: std::collections::BTreeSet<u64>,
}

impl Extra {
    /// Folds an episode's camera and row moments in, once: finishing it again after a crash
    /// counts it once.
    fn add_episode(&mut self, journal: &Journal, rows: &[Row]) {
        if self.merged.insert(journal.episode_index) {
            self.camera.merge(&journal.camera);
            for (k, m) in stats::row_moments(rows) {
                self.rows.entry(k).or_default().merge(&m);
            }
        }
    }
}

/// An open dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Its paths.
    pub layout: Layout,
    /// `meta/info.json` as last written.
    pub info: Info,
}

impl Dataset {
    /// Opens an existing dataset.
    pub fn open(root: &Path) -> Result<Self, DatasetError> {
        let layout = Layout::new(root);
        if !layout.info().exists() {
            return Err(DatasetError::invalid(
                root,
                "it has no meta/info.json",
                "give the folder `augur record --out` created, or record into a new folder",
            ));
        }
        let info: Info = read_json(&layout.info())?;
        if info.codebase_version != CODEBASE_VERSION {
            return Err(DatasetError::invalid(
                &layout.info(),
                format!("it is LeRobot format {}, Augur reads {CODEBASE_VERSION}", info.codebase_version),
                "convert it with LeRobot's v3 converter",
            ));
        }
        Ok(Self { layout, info })
    }

    /// Opens `root` to append episodes of `rec`, creating it when it does not exist yet.
    pub fn open_or_create(root: &Path, rec: &Recording) -> Result<Self, DatasetError> {
        // Refused before the dataset is made, or it would declare a rate nothing can record.
        if let Some(rate) = rec.audio_rate.filter(|r| augur_capture::aac_rate(*r) != *r) {
            return Err(DatasetError::Usage(format!(
                "the microphone delivers {rate} Hz, not a rate an MP4's AAC track holds (7350 to {} Hz, standard \
                 rates only); set it to 48000 Hz in the system's sound settings, or record without a microphone",
                augur_capture::MAX_AAC_RATE
            )));
        }
        let layout = Layout::new(root);
        if layout.info().exists() {
            let ds = Self::open(root)?;
            let held = ds.info.recording();
            if held.as_ref() != Some(rec) {
                let differs =
                    held.map_or_else(|| "it declares no camera".to_string(), |h| rec.differences(&h).join(", "));
                return Err(DatasetError::Usage(format!(
                    "{} holds recordings of another kind ({differs}), and one dataset keeps one kind. Record into \
                     another dataset: in the app, type a new name left of ● Rec; with `augur record`, give another --out",
                    root.display(),
                )));
            }
            return Ok(ds);
        }
        let other_files =
            std::fs::read_dir(root).map(|d| d.flatten().any(|e| e.file_name() != ".augur.lock")).unwrap_or(false);
        if other_files {
            return Err(DatasetError::Usage(format!(
                "{} exists and is not a dataset; record into a new or empty folder",
                root.display()
            )));
        }
        let mut ds = Self { layout, info: Info::new(rec) };
        ds.write_meta(&[], &[], &Extra::default())?;
        Ok(ds)
    }

    /// The finished episodes.
    pub fn episodes(&self) -> Result<Vec<EpisodeMeta>, DatasetError> {
        if !self.layout.episodes().exists() {
            if self.info.total_episodes > 0 {
                // Going on as if there were none would record over the first episodes' files.
                return Err(DatasetError::invalid(
                    &self.layout.episodes(),
                    format!("it is missing, and meta/info.json counts {} episodes", self.info.total_episodes),
                    "restore it from a copy of the dataset (the episodes' data and video files are untouched), or record into a new folder",
                ));
            }
            return Ok(Vec::new());
        }
        read_episodes(&self.layout.episodes())
    }

    /// The task texts, in task-index order.
    pub fn tasks(&self) -> Result<Vec<String>, DatasetError> {
        if !self.layout.tasks().exists() {
            return Ok(Vec::new());
        }
        read_tasks(&self.layout.tasks())
    }

    /// The index the next episode gets: after every finished, listed and staged one, and never
    /// one whose data or video file is on disk (an episode that failed to finish leaves a gap
    /// in the table, and the count alone would point at the episode after it).
    pub fn next_episode(&self) -> u64 {
        let staged = self.layout.staged().last().map_or(0, |(n, _)| n.saturating_add(1));
        let listed = self.episodes().ok().and_then(|e| e.iter().map(|e| e.episode_index.saturating_add(1)).max());
        let mut next = self.info.total_episodes.max(staged).max(listed.unwrap_or(0));
        while next < u64::MAX && (self.layout.video(next).exists() || self.layout.data(next).exists()) {
            next += 1;
        }
        next
    }

    /// Turns a staged episode into LeRobot files: its rows become `data/…parquet`, its video is
    /// cut to the frames that have rows (when `recovered`), and the metadata gains its row.
    /// Returns `None` when not one whole frame survived (the staging is then removed).
    pub fn finish_episode(&mut self, journal: &Journal, recovered: bool) -> Result<Option<EpisodeMeta>, DatasetError> {
        let staging = self.layout.staging(journal.episode_index);
        // Killed after it was finished, while its staging was being removed: what is left there
        // is part of what is already written, and finishing again would cut it short.
        // The metadata after the episode table (statistics, info.json) is written again, in
        // case the kill came before it was.
        let mut episodes = self.episodes()?;
        if let Some(listed) = episodes.iter().find(|e| e.episode_index == journal.episode_index).cloned()
            && let Ok(rows) = rows::read(&self.layout.data(journal.episode_index))
        {
            let before: Vec<EpisodeMeta> =
                episodes.iter().filter(|e| e.episode_index != journal.episode_index).cloned().collect();
            let mut extra = self.extra(&before);
            extra.add_episode(journal, &rows);
            let tasks = self.tasks()?;
            self.write_meta(&episodes, &tasks, &extra)?;
            remove_staging(&staging)?;
            return Ok(Some(listed));
        }
        let mut rows = read_segments(&staging)?;
        let video = self.layout.video(journal.episode_index);
        let frames =
            if video.exists() { augur_capture::count_media(&video).map(|c| c.video_frames).unwrap_or(0) } else { 0 };
        let n = frames.min(rows.len() as u64);
        if n == 0 {
            let _ = std::fs::remove_file(&video);
            remove_staging(&staging)?;
            return Ok(None);
        }
        if recovered || frames != n {
            let tmp = video.with_extension("repair.mp4");
            if let Err(e) = augur_capture::remux_prefix(&video, &tmp, n) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
            sync(&tmp)?;
            std::fs::rename(&tmp, &video).map_err(|e| DatasetError::io("replace", &video, e))?;
        }
        // The metadata about to count these frames must not outlive them in a power cut.
        sync(&video)?;
        rows.truncate(n as usize);

        // A kill during an earlier finish may have listed it already: list it once.
        episodes.retain(|e| e.episode_index != journal.episode_index);
        let mut tasks = self.tasks()?;
        let task_index = match tasks.iter().position(|t| *t == journal.task) {
            Some(i) => i,
            None => {
                tasks.push(journal.task.clone());
                tasks.len() - 1
            }
        };
        let from = episodes.last().map_or(0, |e| e.dataset_from_index + e.length);
        let fps = f64::from(self.info.fps);
        for (i, r) in rows.iter_mut().enumerate() {
            r.frame_index = i as i64;
            r.timestamp = (i as f64 / fps) as f32;
            r.episode_index = journal.episode_index as i64;
            r.index = (from + i as u64) as i64;
            r.task_index = task_index as i64;
        }
        let actions = self.info.recording().map_or(0, |r| r.action_names.len());
        rows::write(&self.layout.data(journal.episode_index), &rows, actions)?;
        let meta = EpisodeMeta {
            episode_index: journal.episode_index,
            tasks: vec![journal.task.clone()],
            length: n,
            dataset_from_index: from,
            from_timestamp: 0.0,
            to_timestamp: n as f64 / fps,
            recovered,
        };
        // The running moments of the episodes before this one.
        let mut extra = self.extra(&episodes);
        episodes.push(meta.clone());
        extra.add_episode(journal, &rows);
        self.write_meta(&episodes, &tasks, &extra)?;
        remove_staging(&staging)?;
        Ok(Some(meta))
    }

    /// Every row of the given episodes, in order.
    pub fn all_rows(&self, episodes: &[EpisodeMeta]) -> Result<Vec<Row>, DatasetError> {
        let mut all = Vec::new();
        for e in episodes {
            all.extend(rows::read(&self.layout.data(e.episode_index))?);
        }
        Ok(all)
    }

    fn extra_path(&self) -> PathBuf {
        self.layout.root.join("meta/augur.json")
    }

    /// `meta/augur.json`'s running moments of `episodes`; where it is missing or damaged, the
    /// rows' moments counted again from their data files (the camera's pixel moments cannot
    /// be, without decoding every video: they start again from the next episode).
    fn extra(&self, episodes: &[EpisodeMeta]) -> Extra {
        if let Ok(extra) = read_json::<Extra>(&self.extra_path()) {
            return extra;
        }
        let mut extra = Extra::default();
        // An episode whose rows cannot be read (damaged, or another tool's) is left out.
        for e in episodes {
            let Ok(rows) = rows::read(&self.layout.data(e.episode_index)) else { continue };
            for (k, m) in stats::row_moments(&rows) {
                extra.rows.entry(k).or_default().merge(&m);
            }
            extra.merged.insert(e.episode_index);
        }
        extra
    }

    /// Writes `meta/stats.json` (and `meta/augur.json`) again from the running moments, or
    /// from every episode's rows where those are lost (see [`Self::extra`]).
    pub fn rebuild_stats(&mut self) -> Result<(), DatasetError> {
        let (episodes, tasks) = (self.episodes()?, self.tasks()?);
        let extra = self.extra(&episodes);
        self.write_meta(&episodes, &tasks, &extra)
    }

    fn write_meta(&mut self, episodes: &[EpisodeMeta], tasks: &[String], extra: &Extra) -> Result<(), DatasetError> {
        let mut info = self.info.clone();
        info.total_episodes = episodes.len() as u64;
        info.total_frames = episodes.iter().map(|e| e.length).sum();
        info.total_tasks = tasks.len() as u64;
        info.splits.insert("train".into(), format!("0:{}", episodes.len()));
        write_tasks(&self.layout.tasks(), tasks)?;
        write_episodes(&self.layout.episodes(), episodes)?;
        stats::write(&self.layout.stats(), &extra.rows, &extra.camera)?;
        let extra_text = serde_json::to_string_pretty(extra).unwrap_or_default();
        write_atomic(&self.extra_path(), extra_text.as_bytes())?;
        // info.json last: a reader that sees the new totals finds every file they count.
        let text = serde_json::to_string_pretty(&info).unwrap_or_default();
        write_atomic(&self.layout.info(), text.as_bytes())?;
        self.info = info;
        Ok(())
    }

    /// Re-reads `meta/info.json` (after another process appended episodes).
    pub fn reload(&mut self) -> Result<(), DatasetError> {
        self.info = read_json(&self.layout.info())?;
        Ok(())
    }
}

/// The rows of every complete segment of a staged episode, in order. Half-written segments
/// (a `.tmp` left by a kill) are ignored.
pub fn read_segments(staging: &Path) -> Result<Vec<Row>, DatasetError> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(staging) {
        Ok(d) => d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "parquet")).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(DatasetError::io("read", staging, e)),
    };
    names.sort();
    let mut rows = Vec::new();
    for n in names {
        rows.extend(rows::read(&n)?);
    }
    Ok(rows)
}

/// Flushes a file's bytes to the disk (opened for writing: Windows flushes only such handles).
pub(crate) fn sync(path: &Path) -> Result<(), DatasetError> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| DatasetError::io("save", path, e))
}

/// Removes a finished episode's staging. It is first renamed out of sight of `staged()` in one
/// step, so a kill midway through deleting it never leaves half of it for a repair to finish.
fn remove_staging(staging: &Path) -> Result<(), DatasetError> {
    let name = staging.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let done = staging.with_file_name(format!("{DONE_PREFIX}{name}"));
    let _ = std::fs::remove_dir_all(&done);
    let staging = match std::fs::rename(staging, &done) {
        Ok(()) => done.as_path(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) => staging,
    };
    match std::fs::remove_dir_all(staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DatasetError::io("remove", staging, e)),
        _ => {
            if let Some(parent) = staging.parent() {
                let _ = std::fs::remove_dir(parent); // only succeeds when no other episode is staged
            }
            Ok(())
        }
    }
}
