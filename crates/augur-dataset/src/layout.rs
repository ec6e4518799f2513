//! Where everything lives in a LeRobot v3 dataset, and small atomic file helpers.
//!
//! We write one data file and one video file per episode (file index = episode index within its
//! chunk of 1000). LeRobot v3 allows any number of episodes per file, and finding an episode's
//! rows and frames goes through `meta/episodes`, so readers do not care; keeping each episode in
//! its own files means finishing an episode never rewrites another episode's bytes.

use std::path::{Path, PathBuf};

use crate::DatasetError;

/// The only video stream we record.
pub const VIDEO_KEY: &str = augur_capture::DATASET_VIDEO_KEY;
/// Files per chunk folder, as LeRobot writes.
pub const CHUNKS_SIZE: u64 = 1000;
/// `meta/info.json`'s path templates.
pub const DATA_PATH: &str = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";
/// See [`DATA_PATH`].
pub const VIDEO_PATH: &str = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";
/// Where episodes being recorded are staged (removed once the episode is finished).
pub const STAGING: &str = ".recording";
/// What a finished episode's staging folder is renamed to while it is deleted.
pub const DONE_PREFIX: &str = "done-";

/// The paths of one dataset folder.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The dataset folder.
    pub root: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }
    /// `meta/info.json`.
    pub fn info(&self) -> PathBuf {
        self.root.join("meta/info.json")
    }
    /// `meta/stats.json`.
    pub fn stats(&self) -> PathBuf {
        self.root.join("meta/stats.json")
    }
    /// `meta/tasks.parquet`.
    pub fn tasks(&self) -> PathBuf {
        self.root.join("meta/tasks.parquet")
    }
    /// `meta/episodes/chunk-000/file-000.parquet` (one file holds every episode's row).
    pub fn episodes(&self) -> PathBuf {
        self.root.join("meta/episodes/chunk-000/file-000.parquet")
    }
    /// The data file of an episode.
    pub fn data(&self, episode: u64) -> PathBuf {
        let (c, f) = chunk_file(episode);
        self.root.join(format!("data/chunk-{c:03}/file-{f:03}.parquet"))
    }
    /// The video file of an episode (the path `dataset:` sources play).
    pub fn video(&self, episode: u64) -> PathBuf {
        augur_capture::dataset_episode_video(&self.root, episode)
    }
    /// The staging folder of an episode being recorded.
    pub fn staging(&self, episode: u64) -> PathBuf {
        self.root.join(STAGING).join(format!("episode-{episode:06}"))
    }
    /// Every staging folder left behind (recording in progress or killed), oldest first.
    pub fn staged(&self) -> Vec<(u64, PathBuf)> {
        let Ok(dir) = std::fs::read_dir(self.root.join(STAGING)) else { return Vec::new() };
        let mut found: Vec<(u64, PathBuf)> = dir
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let n = name.strip_prefix("episode-")?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect();
        found.sort();
        found
    }
    /// Staging folders of finished episodes that a kill left half deleted.
    pub fn half_deleted(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.root.join(STAGING)) else { return Vec::new() };
        dir.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(DONE_PREFIX)).map(|e| e.path()).collect()
    }
}

/// The chunk and file index of an episode's data and video files.
pub fn chunk_file(episode: u64) -> (u64, u64) {
    (episode / CHUNKS_SIZE, episode % CHUNKS_SIZE)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves the old
/// file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DatasetError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DatasetError::io("create the folder", dir, e))?;
    }
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DatasetError::io("write", path, e)
    })
}

/// Reads and parses a JSON file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|e| DatasetError::io("read", path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| DatasetError::invalid(path, format!("it is not the JSON we expect ({e})"), crate::error::RESTORE))
}

/// Bytes free for this user on the disk holding `path` (`None` where it cannot be asked).
pub fn free_bytes(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::fs::statvfs(path).ok().map(|s| s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// An exclusive hold on a dataset folder (`.augur.lock`), so two processes never record into
/// or repair the same dataset at once. Released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DatasetLock {
    _file: std::fs::File,
}

impl DatasetLock {
    /// Takes the hold, or says who has it.
    pub fn take(root: &Path) -> Result<Self, DatasetError> {
        std::fs::create_dir_all(root).map_err(|e| DatasetError::io("create the folder", root, e))?;
        let path = root.join(".augur.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DatasetError::io("open", &path, e))?;
        #[cfg(unix)]
        if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            return Err(DatasetError::Usage(format!(
                "another augur process is recording into or repairing {}; wait for it, or use another folder",
                root.display()
            )));
        }
        Ok(Self { _file: file })
    }
}
