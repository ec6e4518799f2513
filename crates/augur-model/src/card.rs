//! The model card: a JSON file beside the weights that says what the model is (its config),
//! how it was made (data, seed, steps, time, machine, the exact command) and how good it is.

use serde::{Deserialize, Serialize};

use crate::{ModelConfig, TrainConfig};

/// Version of the checkpoint layout; loading refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// Everything recorded about a model, stored as `<name>.json` beside `<name>.safetensors`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelCard {
    /// [`FORMAT_VERSION`] at the time of writing.
    pub format_version: u32,
    /// Short name, e.g. `bounce-64`.
    pub name: String,
    /// The architecture; it fixes every tensor name and shape in the weights file.
    pub config: ModelConfig,
    /// Number of weights, for display.
    pub parameters: usize,
    /// Size of the weights file in bytes; loading checks it.
    pub weights_bytes: u64,
    /// How it was trained; `None` for an untrained model.
    pub training: Option<TrainingRecord>,
    /// The latest evaluation (`augur eval` writes it), as that command printed it.
    pub eval: Option<serde_json::Value>,
}

impl ModelCard {
    /// The card of a model not yet trained or saved: sizes and records are filled in later
    /// (`checkpoint::save` sets the counts, training its record, `eval` its evaluation).
    pub fn untrained(name: impl Into<String>, config: ModelConfig) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            name: name.into(),
            config,
            parameters: 0,
            weights_bytes: 0,
            training: None,
            eval: None,
        }
    }
}

/// How a model was trained, enough to do it again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The full training config, model and losses included.
    pub config: TrainConfig,
    /// The `--data` sources with their mixing weights.
    pub data: Vec<String>,
    /// Steps done so far.
    pub steps_done: usize,
    /// Wall time over all sessions, seconds.
    pub wall_time_s: f64,
    /// Where it ran: device and CPU.
    pub machine: String,
    /// The command that produced it (resumes append theirs).
    pub commands: Vec<String>,
    /// Loss terms at the last step.
    pub final_losses: crate::LossTerms,
    /// The model whose weights this one started from (a fine-tune), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_tuned_from: Option<String>,
}
