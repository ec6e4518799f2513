//! `augur dataset repair`: finishes every episode a killed recorder left staged, keeping each
//! second that reached the disk whole (video fragment and rows alike).

use crate::dataset::Dataset;
use crate::meta::EpisodeMeta;
use crate::{DatasetError, Journal};

/// What a repair did to one staged episode.
#[derive(Debug, Clone)]
pub enum Repaired {
    /// Finished with the frames that survived.
    Recovered(EpisodeMeta),
    /// Not one complete second survived; its files were removed.
    Empty(u64),
    /// It could not be finished (its files are left as they are); the reason says what failed.
    Failed(u64, String),
}

/// Finishes every staged episode, oldest first.
pub fn repair(ds: &mut Dataset) -> Result<Vec<Repaired>, DatasetError> {
    let mut done = Vec::new();
    for leftover in ds.layout.half_deleted() {
        let _ = std::fs::remove_dir_all(leftover);
    }
    for (episode, staging) in ds.layout.staged() {
        let journal = match Journal::read(&staging) {
            // The folder's number is the episode, whatever a copied journal says.
            Ok(j) => Journal { episode_index: episode, ..j },
            // Killed before its first journal write: nothing of it can be recovered.
            Err(_) => Journal {
                episode_index: episode,
                task: "unknown".into(),
                started_unix: 0.0,
                rows: 0,
                segments: 0,
                camera: Default::default(),
            },
        };
        // One episode that cannot be finished does not stop the others.
        match ds.finish_episode(&journal, true) {
            Ok(Some(meta)) => done.push(Repaired::Recovered(meta)),
            Ok(None) => done.push(Repaired::Empty(episode)),
            Err(e) => done.push(Repaired::Failed(episode, e.to_string())),
        }
    }
    Ok(done)
}
