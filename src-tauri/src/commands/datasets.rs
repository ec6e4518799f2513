//! Recording into datasets and the dataset browser. The webview names datasets, never paths:
//! they live in `~/Augur/datasets/<name>` (or under `--home`).

use serde::Serialize;
use tauri::State;
use tauri::ipc::Response;

use super::{CommandError, answered, bad, check_name, rgba_image};
use crate::state::{Live, Session};

/// Where the window records: `~/Augur/datasets/<name>`.
pub(super) fn dataset_dir(session: &Session, name: &str) -> Result<std::path::PathBuf, CommandError> {
    check_name(name, "a dataset name")?;
    Ok(session.home.join("datasets").join(name))
}

/// Starts recording the source as an episode of `task` into the dataset `name`.
#[tauri::command(async)]
pub fn start_recording(
    session: State<'_, Session>,
    name: String,
    task: String,
) -> Result<augur_engine::RecordingStatus, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        if task.trim().is_empty() || task.len() > 500 {
            return Err(bad("the task text must be 1 to 500 characters"));
        }
        let dir = dataset_dir(&session, &name)?;
        s.start_recording(&dir, &task).map_err(|e| CommandError::new("record", e))
    })
}

#[derive(Serialize)]
pub struct Stopped {
    episode: Option<u64>,
    frames: u64,
}

/// Stops recording; `keep` false discards the episode.
#[tauri::command(async)]
pub fn stop_recording(session: State<'_, Session>, keep: bool) -> Result<Stopped, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        let meta = s.stop_recording(keep).map_err(|e| CommandError::new("record", e))?;
        Ok(Stopped { episode: meta.as_ref().map(|m| m.episode_index), frames: meta.map_or(0, |m| m.length) })
    })
}

/// The recording's state: episode, duration, free disk, or why it stopped.
#[tauri::command]
pub fn recording_status(session: State<'_, Session>) -> Option<augur_engine::RecordingStatus> {
    match &session.live {
        Live::Model(s) => Some(s.recording()),
        Live::Source(_) => None,
    }
}

#[derive(Serialize)]
pub struct EpisodeRow {
    episode: u64,
    frames: u64,
    seconds: f64,
    task: String,
    recovered: bool,
}

#[derive(Serialize)]
pub struct DatasetRow {
    name: String,
    episodes: Vec<EpisodeRow>,
    /// Episodes a stopped recorder left unfinished that opening it finished.
    repaired: usize,
    /// What is wrong with it, in words: episodes a crash left that could not be finished, or
    /// why it cannot be read at all (then `episodes` is empty).
    problems: Vec<String>,
}

/// The datasets under ~/Augur/datasets with their episodes. Episodes a crash left unfinished
/// are repaired as the browser opens them, keeping every complete second; a folder that cannot
/// be read is listed with why, not left out.
#[tauri::command(async)]
pub fn list_datasets(session: State<'_, Session>) -> Result<Vec<DatasetRow>, CommandError> {
    answered(|| {
        // The dataset being recorded into has a live staging folder: it is not a crash to repair.
        let recording = match &session.live {
            Live::Model(s) => {
                let r = s.recording();
                r.dataset.filter(|_| r.active)
            }
            Live::Source(_) => None,
        };
        let root = session.home.join("datasets");
        let Ok(entries) = std::fs::read_dir(&root) else { return Ok(Vec::new()) };
        let mut rows: Vec<DatasetRow> = entries
            .flatten()
            .filter(|e| e.path().is_dir() && !never_recorded(&e.path()))
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let busy = recording.as_deref() == Some(&*e.path().display().to_string());
                Some(dataset_row(name, &e.path(), busy))
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    })
}

/// A folder a first recording was refused in (it holds nothing but the lock taken for it): not
/// a dataset, and nothing wrong with it either.
fn never_recorded(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.all(|e| e.is_ok_and(|e| e.file_name() == ".augur.lock")))
}

/// One dataset's row, finishing what a crash left unless it is being recorded into.
fn dataset_row(name: String, dir: &std::path::Path, busy: bool) -> DatasetRow {
    let broken =
        |why: String| DatasetRow { name: name.clone(), episodes: Vec::new(), repaired: 0, problems: vec![why] };
    let mut ds = match augur_dataset::Dataset::open(dir) {
        Ok(ds) => ds,
        Err(e) => return broken(e.to_string()),
    };
    let (mut repaired, mut problems) = (0, Vec::new());
    if !ds.layout.staged().is_empty() && !busy {
        // Another process may be recording into it: repair only with the dataset's lock.
        match augur_dataset::DatasetLock::take(&ds.layout.root) {
            Ok(_hold) => match augur_dataset::repair(&mut ds) {
                Ok(done) => {
                    for r in done {
                        match r {
                            augur_dataset::Repaired::Recovered(_) => repaired += 1,
                            augur_dataset::Repaired::Empty(_) => {}
                            augur_dataset::Repaired::Failed(n, why) => {
                                problems.push(format!("episode {n}, left by a crash, could not be finished: {why}"))
                            }
                        }
                    }
                }
                Err(e) => problems.push(format!("episodes left by a crash could not be finished: {e}")),
            },
            Err(_) => problems.push("another augur process is recording into it".into()),
        }
    }
    let episodes = match ds.episodes() {
        Ok(list) => list
            .into_iter()
            .map(|m| EpisodeRow {
                episode: m.episode_index,
                frames: m.length,
                seconds: m.to_timestamp - m.from_timestamp,
                task: m.tasks.join("; "),
                recovered: m.recovered,
            })
            .collect(),
        Err(e) => {
            problems.push(e.to_string());
            Vec::new()
        }
    };
    DatasetRow { name, episodes, repaired, problems }
}

/// Plays a recorded episode as the live source (looping), so predictions run on it.
#[tauri::command(async)]
pub fn play_episode(session: State<'_, Session>, name: String, episode: u64) -> Result<(), CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        episode_video(&session, &name, episode)?;
        let dir = dataset_dir(&session, &name)?;
        session
            .switch_source(
                s,
                &format!("dataset:{}?episode={episode}&loop=1", augur_capture::escape_path(&dir.display().to_string())),
            )
            .map_err(bad)
    })
}

/// The episode's video, after checking the dataset and episode exist.
fn episode_video(session: &Session, name: &str, episode: u64) -> Result<std::path::PathBuf, CommandError> {
    let dir = dataset_dir(session, name)?;
    let ds = augur_dataset::Dataset::open(&dir).map_err(|e| bad(e.to_string()))?;
    let known = ds.episodes().map_err(|e| bad(e.to_string()))?.iter().any(|m| m.episode_index == episode);
    if !known {
        return Err(bad(format!("dataset {name} has no episode {episode}")));
    }
    Ok(ds.layout.video(episode))
}

/// An episode's first frame, 160 pixels across, in the same binary form as `latest_frame`.
#[tauri::command(async)]
pub fn episode_thumbnail(session: State<'_, Session>, name: String, episode: u64) -> Result<Response, CommandError> {
    answered(|| {
        let video = episode_video(&session, &name, episode)?;
        let (w, h, rgb) = augur_engine::thumbnail(&video, 160).map_err(|e| CommandError::new("dataset", e))?;
        Ok(Response::new(rgba_image(w, h, episode, &rgb)))
    })
}

/// The model in use's surprise over a whole episode, frame by frame (computed on demand, a
/// few seconds on a CPU).
#[tauri::command(async)]
pub fn episode_surprise(
    session: State<'_, Session>,
    name: String,
    episode: u64,
) -> Result<augur_engine::EpisodeSurprise, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        let video = episode_video(&session, &name, episode)?;
        let model = std::path::PathBuf::from(s.model_name());
        augur_engine::episode_surprise(&video, &model, &augur_model::DeviceChoice::Auto)
            .map_err(|e| CommandError::new("model", e))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use augur_dataset::{Dataset, EpisodeRecorder, Recording};

    /// A dataset with one finished episode and one a crash left after 25 frames (2 s whole).
    fn crashed(dir: &std::path::Path) -> Dataset {
        let rec = Recording {
            fps: 10,
            width: 32,
            height: 32,
            audio_rate: None,
            action_names: Vec::new(),
            codec: augur_capture::VideoCodec::H264,
        };
        let mut ds = Dataset::open_or_create(dir, &rec).unwrap();
        for (task, frames, finish) in [("done", 10, true), ("crashed", 25, false)] {
            let mut ep = EpisodeRecorder::start(&ds, task).unwrap();
            for i in 0..frames {
                ep.push_frame(&vec![(i * 9) as u8; 32 * 32 * 3], 32, 32, &[]).unwrap();
            }
            if finish {
                ep.finish(&mut ds).unwrap();
            } else {
                std::mem::forget(ep);
            }
        }
        ds
    }

    /// The browser says what opening a dataset repaired, what it could not, and why a folder
    /// cannot be read, instead of leaving it out.
    #[test]
    fn the_browser_tells_repairs_and_problems() {
        let home = tempfile::tempdir().unwrap();
        crashed(&home.path().join("a"));
        let row = super::dataset_row("a".into(), &home.path().join("a"), false);
        assert_eq!((row.episodes.len(), row.repaired, row.problems.len()), (2, 1, 0), "{:?}", row.problems);
        assert_eq!(row.episodes[1].frames, 20);

        let ds = crashed(&home.path().join("b"));
        std::fs::write(ds.layout.staging(1).join("rows-000000.parquet"), b"damaged").unwrap();
        let row = super::dataset_row("b".into(), &home.path().join("b"), false);
        assert_eq!((row.episodes.len(), row.repaired), (1, 0));
        assert!(row.problems[0].contains("episode 1, left by a crash, could not be finished"), "{:?}", row.problems);
        let busy = super::dataset_row("b".into(), &home.path().join("b"), true);
        assert!(busy.problems.is_empty(), "a dataset being recorded into is not a crash");

        let refused = home.path().join("refused");
        drop(augur_dataset::DatasetLock::take(&refused).unwrap());
        assert!(super::never_recorded(&refused), "a first recording refused leaves only its lock");
        std::fs::create_dir(home.path().join("c")).unwrap();
        std::fs::write(home.path().join("c/notes.txt"), "mine").unwrap();
        assert!(!super::never_recorded(&home.path().join("c")));
        let row = super::dataset_row("c".into(), &home.path().join("c"), false);
        assert!(row.episodes.is_empty() && row.problems[0].contains("info.json"), "{:?}", row.problems);
    }
}
