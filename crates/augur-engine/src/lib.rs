//! Augur's live session, headless: a source (preview at its own rate), the world model
//! (predictions at the rate it sustains), a timeline to pause, scrub and re-run what-if
//! rollouts from, the latent trajectory in principal components, and latent steering.
//!
//! ```text
//! source ─ capture thread ─┬─ preview (newest frame, source rate)
//!                          └─ one-slot mailbox ─ model thread: encode → rollout H → decode → surprise
//!                                                  └─► Timeline (60 s) ─► trajectory (PCA), what-if, steer
//! ```
//! Nothing here knows about windows; the app and `augur run` drive a [`Session`].

mod browse;
mod capture;
mod error;
mod export;
mod model_thread;
mod recording;
mod runner;
mod session;
mod snapshot;
mod sound;
mod soundtrack;
mod stats;
mod timeline;
mod training;
mod trajectory;

pub use browse::{EpisodeSurprise, MAX_SURPRISE_FRAMES, episode_surprise, thumbnail};
pub use error::EngineError;
pub use export::{Exported, export};
pub use model_thread::panic_text;
pub use recording::RecordingStatus;
pub use runner::{Runner, heatmap, pool};
pub use session::{Session, SessionConfig, SourceStatus, WhatIf, WhatIfResult};
pub use snapshot::Snapshot;
pub use sound::SoundView;
pub use soundtrack::Soundtrack;
pub use stats::Stats;
pub use timeline::{Moment, Timeline};
pub use training::{FINE_TUNE_RATE, FineTune, Training, TrainingStatus, check_rate};
pub use trajectory::{Points, Trajectory, project};
