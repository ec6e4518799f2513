//! `augur dataset validate`: checks a dataset against the LeRobot v3 layout and against itself
//! (files present, row and frame counts, indices, timestamps, sound).

use crate::dataset::Dataset;
use crate::layout::VIDEO_KEY;
use crate::rows;

/// What validation found.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Finished episodes checked.
    pub episodes: u64,
    /// Rows checked.
    pub frames: u64,
    /// Every problem, each a sentence that names the file.
    pub problems: Vec<String>,
    /// Facts worth showing (A/V length difference per episode, …).
    pub notes: Vec<String>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every file the metadata names, and the metadata against them.
pub fn validate(ds: &Dataset) -> Report {
    let mut r = Report::default();
    let info = &ds.info;
    let fps = f64::from(info.fps);
    for key in ["timestamp", "frame_index", "episode_index", "index", "task_index", VIDEO_KEY] {
        if !info.features.contains_key(key) {
            r.problems.push(format!("meta/info.json declares no {key:?} feature"));
        }
    }
    if info.fps == 0 {
        r.problems.push("meta/info.json has fps 0".into());
    }
    for (n, staged) in ds.layout.staged() {
        r.problems.push(format!(
            "episode {n} was being recorded when the recorder stopped ({}); run `augur dataset repair`",
            staged.display()
        ));
    }
    let tasks = match ds.tasks() {
        Ok(t) => t,
        Err(e) => {
            r.problems.push(e.to_string());
            Vec::new()
        }
    };
    let episodes = match ds.episodes() {
        Ok(e) => e,
        Err(e) => {
            r.problems.push(e.to_string());
            return r;
        }
    };
    let rec = info.recording();
    let mut next_index = 0u64;
    for (i, e) in episodes.iter().enumerate() {
        let ep = e.episode_index;
        let data = ds.layout.data(ep);
        if ep != i as u64 {
            r.problems.push(format!(
                "meta/episodes lists episode {ep} at position {i}; episodes must be numbered 0, 1, 2, …"
            ));
        }
        if e.dataset_from_index != next_index {
            r.problems.push(format!("episode {ep} starts at index {}, expected {next_index}", e.dataset_from_index));
        }
        next_index = e.dataset_from_index + e.length;
        match rows::read(&data) {
            Err(err) => r.problems.push(err.to_string()),
            Ok(rows) => {
                if rows.len() as u64 != e.length {
                    r.problems.push(format!(
                        "{} has {} rows, meta/episodes says {}",
                        data.display(),
                        rows.len(),
                        e.length
                    ));
                }
                for (j, row) in rows.iter().enumerate() {
                    let expect_ts = j as f64 / fps;
                    let bad = row.frame_index != j as i64
                        || row.episode_index != ep as i64
                        || row.index != (e.dataset_from_index + j as u64) as i64
                        || (f64::from(row.timestamp) - expect_ts).abs() > 1e-3
                        || row.task_index < 0
                        || row.task_index as usize >= tasks.len();
                    if bad {
                        r.problems.push(format!(
                            "{} row {j} is inconsistent (frame_index {}, episode {}, index {}, timestamp {:.4}, task {})",
                            data.display(),
                            row.frame_index,
                            row.episode_index,
                            row.index,
                            row.timestamp,
                            row.task_index
                        ));
                        break;
                    }
                }
                r.frames += rows.len() as u64;
            }
        }
        let video = ds.layout.video(ep);
        match augur_capture::count_media(&video) {
            Err(err) => r.problems.push(format!("episode {ep}: {err}")),
            Ok(m) => {
                if m.video_frames != e.length {
                    r.problems.push(format!(
                        "{} has {} frames, meta/episodes says {}",
                        video.display(),
                        m.video_frames,
                        e.length
                    ));
                }
                if let Some(rec) = &rec {
                    if (m.width, m.height) != (rec.width, rec.height) {
                        r.problems.push(format!(
                            "{} is {}x{}, info.json says {}x{}",
                            video.display(),
                            m.width,
                            m.height,
                            rec.width,
                            rec.height
                        ));
                    }
                    let seconds = e.length as f64 / fps;
                    match (rec.audio_rate, m.audio_seconds > 0.0) {
                        (Some(_), false) => {
                            r.problems.push(format!("{} has no sound, info.json declares it", video.display()))
                        }
                        (None, true) => {
                            r.problems.push(format!("{} has sound info.json does not declare", video.display()))
                        }
                        (Some(_), true) => {
                            let drift = (m.audio_seconds - seconds) * fps;
                            r.notes.push(format!(
                                "episode {ep}: sound {:.3} s, video {seconds:.3} s ({drift:+.2} frames)",
                                m.audio_seconds
                            ));
                            // AAC pads to 1024-sample frames; more than 2 frames apart is a real gap.
                            if drift.abs() > 2.0 {
                                r.problems.push(format!(
                                    "{}: sound and video lengths differ by {drift:+.1} frames",
                                    video.display()
                                ));
                            }
                        }
                        (None, false) => {}
                    }
                }
            }
        }
        r.episodes += 1;
    }
    if info.total_episodes != episodes.len() as u64 {
        r.problems.push(format!(
            "info.json counts {} episodes, meta/episodes lists {}",
            info.total_episodes,
            episodes.len()
        ));
    }
    if info.total_frames != next_index {
        r.problems.push(format!("info.json counts {} frames, the episodes hold {next_index}", info.total_frames));
    }
    if info.total_tasks != tasks.len() as u64 {
        r.problems.push(format!(
            "info.json counts {} tasks, meta/tasks.parquet holds {}",
            info.total_tasks,
            tasks.len()
        ));
    }
    if !ds.layout.stats().exists() {
        r.problems.push("meta/stats.json is missing; `augur dataset stats --rebuild` writes it again".into());
    }
    r
}
