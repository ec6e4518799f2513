//! Datasets in the LeRobot v3 layout: recording webcam, microphone and actions crash-safely,
//! finishing or repairing episodes, checking a dataset, and reading it back for training and
//! replay.
//!
//! ```text
//! meta/info.json  meta/stats.json  meta/tasks.parquet  meta/episodes/chunk-000/file-000.parquet
//! data/chunk-000/file-NNN.parquet                        one per episode: timestamp, indices, action
//! videos/observation.images.camera/chunk-000/file-NNN.mp4 one per episode: H.264 + AAC
//! .recording/episode-NNNNNN/                             only while recording or after a kill
//! ```

mod align;
mod dataset;
mod error;
mod grid;
mod info;
mod layout;
mod meta;
mod recorder;
mod repair;
mod rows;
mod stats;
mod table;
mod validate;

pub use align::SoundAligner;
pub use dataset::{Dataset, read_segments};
pub use error::DatasetError;
pub use grid::FrameGrid;
pub use info::{CODEBASE_VERSION, Feature, Info, Recording};
pub use layout::{DatasetLock, Layout, VIDEO_KEY, chunk_file, free_bytes};
pub use meta::EpisodeMeta;
pub use recorder::{Disk, EpisodeRecorder, Journal};
pub use repair::{Repaired, repair};
pub use rows::Row;
pub use stats::Moments;
pub use validate::{Report, validate};
