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
}

/// Finishes every staged episode, oldest first.
pub fn repair(ds: &mut Dataset) -> Result<Vec<Repaired>, DatasetError> {
    let mut done = Vec::new();
    for (episode, staging) in ds.layout.staged() {
        let journal = match Journal::read(&staging) {
            Ok(j) => j,
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
        match ds.finish_episode(&journal, true)? {
            Some(meta) => done.push(Repaired::Recovered(meta)),
            None => done.push(Repaired::Empty(episode)),
        }
    }
    Ok(done)
}
