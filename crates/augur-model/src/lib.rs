//! Augur's world model in burn: a JEPA-style video (and audio) encoder, a transformer
//! predictor causal in time with optional actions, a pixel decoder, checkpoints with model
//! cards, training and evaluation.
//!
//! Everything runs on burn's runtime devices: the shared wgpu device from `augur-gpu` when
//! there is a real GPU, burn's CPU backend (flex) otherwise ([`pick_device`]).

pub mod audio;
pub mod bank;
pub mod bench;
mod config;
mod decoder;
mod device;
mod encoder;
mod error;
mod foresee;
mod predictor;
mod warp;
mod world;

/// The bundled default model's name, written once for both constants below (`concat!` takes
/// literals, not constants). Change it here when a better model ships.
macro_rules! default_model {
    () => {
        "bounce-64-reach"
    };
}
/// The bundled default model in `models/`: the window, `augur run` and the live benches start
/// with it.
pub const DEFAULT_MODEL: &str = default_model!();
/// [`DEFAULT_MODEL`] as a path from the repository root, for command-line defaults.
pub const DEFAULT_MODEL_PATH: &str = concat!("models/", default_model!());

/// The folder of bundled models: `models` when the working directory has the default model
/// there (the repository root, where the README's commands run), else the `models` of the
/// repository this binary was built from when it is still there, so `augur` started from any
/// folder finds them; else `models`, which the caller reports as missing.
pub fn bundled_models_dir() -> std::path::PathBuf {
    bundled_models_dir_from(std::path::Path::new("."))
}

/// [`bundled_models_dir`] for a working directory `cwd`.
pub fn bundled_models_dir_from(cwd: &std::path::Path) -> std::path::PathBuf {
    let here = std::path::PathBuf::from("models");
    let has_default = |dir: &std::path::Path| dir.join(concat!(default_model!(), ".json")).is_file();
    if has_default(&cwd.join(&here)) {
        return here;
    }
    let built = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"));
    if has_default(built) {
        return built.canonicalize().unwrap_or_else(|_| built.to_path_buf());
    }
    here
}

/// The bundled default model in [`bundled_models_dir`].
pub fn default_model_path() -> std::path::PathBuf {
    bundled_models_dir().join(DEFAULT_MODEL)
}

pub use config::ModelConfig;
pub use decoder::Drawing;
pub use device::{ComputeDevice, DeviceChoice, pick_device};
pub use error::ModelError;
pub use world::{Encoders, WorldModel};
pub mod canvas;
pub mod card;
pub mod checkpoint;
pub mod data;
mod ema;
pub mod frames;
pub mod losses;
pub mod plot;
pub mod train;

pub use card::ModelCard;
pub use losses::{LossConfig, LossTerms};
pub use train::{Progress, TrainConfig, TrainJob, train, train_on};
pub mod eval;
pub mod fade;
pub mod metrics;
