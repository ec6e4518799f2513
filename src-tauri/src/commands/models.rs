//! The model picker and fine-tuning from the window. Models are named, never given as paths:
//! the bundled ones beside the model the app started with, and fine-tunes in `~/Augur/models`.

use std::path::PathBuf;

use serde::Serialize;
use tauri::State;

use super::{CommandError, answered, bad, check_name, datasets::dataset_dir};
use crate::state::{Live, Session};

/// Every model the window may switch to: `(name, base path)`, bundled ones first.
fn catalog(session: &Session) -> Vec<(String, PathBuf)> {
    crate::state::catalog(&session.models_dir, &session.home)
}

#[derive(Serialize)]
pub struct ModelRow {
    name: String,
    current: bool,
    parameters: usize,
    /// Training steps in its card.
    steps: usize,
    /// What it was trained on (`--data` sources).
    data: Vec<String>,
    /// The model it was fine-tuned from, if any.
    fine_tuned_from: Option<String>,
    /// Seconds of training.
    wall_time_s: f64,
}

/// The models the picker offers, each with what its card says.
#[tauri::command(async)]
pub fn list_models(session: State<'_, Session>) -> Result<Vec<ModelRow>, CommandError> {
    answered(|| Ok(model_rows(&session)))
}

/// A row for each model in the catalog whose card reads.
fn model_rows(session: &Session) -> Vec<ModelRow> {
    let Live::Model(s) = &session.live else { return Vec::new() };
    let current = PathBuf::from(s.model_name());
    catalog(session)
        .into_iter()
        .filter_map(|(name, base)| {
            let card = augur_model::checkpoint::load_card(&base).ok()?;
            let t = card.training.as_ref();
            Some(ModelRow {
                current: base == current,
                parameters: card.parameters,
                steps: t.map_or(0, |t| t.steps_done),
                data: t.map(|t| t.data.clone()).unwrap_or_default(),
                fine_tuned_from: t.and_then(|t| t.fine_tuned_from.clone()),
                wall_time_s: t.map_or(0.0, |t| t.wall_time_s),
                name,
            })
        })
        .collect()
}

/// Switches to a model from [`list_models`] (by name, never by path); answers its name.
#[tauri::command(async)]
pub fn set_model(session: State<'_, Session>, name: String) -> Result<String, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        let Some((_, path)) = catalog(&session).into_iter().find(|(n, _)| *n == name) else {
            return Err(bad(format!("{name:?} is not one of the models in the picker")));
        };
        s.set_model(path).map_err(|e| CommandError::new("model", e))?;
        session.remember(|set| set.model = Some(name.clone()));
        Ok(name)
    })
}

/// Runs a second model from [`list_models`] beside the one in use on the same frames (A/B
/// compare), or stops it with `null`; answers its name or `null`.
#[tauri::command(async)]
pub fn set_compare(session: State<'_, Session>, name: Option<String>) -> Result<Option<String>, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        let path = match &name {
            None => None,
            Some(name) => match catalog(&session).into_iter().find(|(n, _)| n == name) {
                Some((_, path)) => Some(path),
                None => return Err(bad(format!("{name:?} is not one of the models in the picker"))),
            },
        };
        s.set_compare(path).map_err(|e| CommandError::new("model", e))?;
        session.remember(|set| set.compare.clone_from(&name));
        Ok(name)
    })
}

/// Fine-tunes the model in use on the dataset `dataset` for `steps` steps, into a new model
/// `name` (`~/Augur/models/<name>`), in the background; the live view keeps running.
#[tauri::command(async)]
pub fn start_training(
    session: State<'_, Session>,
    dataset: String,
    name: String,
    steps: u32,
    lr: Option<f64>,
) -> Result<augur_engine::TrainingStatus, CommandError> {
    answered(|| {
        let Live::Model(s) = &session.live else { return Err(bad("no model is loaded")) };
        check_name(&name, "a model name")?;
        if !(1..=5000).contains(&steps) {
            return Err(bad(format!("steps must be 1 to 5000, got {steps}")));
        }
        let learning_rate = lr.unwrap_or(augur_engine::FINE_TUNE_RATE);
        augur_engine::check_rate(learning_rate).map_err(|e| bad(e.to_string()))?;
        if catalog(&session).iter().any(|(n, _)| *n == name) {
            return Err(bad(format!("a model named {name} exists; choose another name")));
        }
        let dir = dataset_dir(&session, &dataset)?;
        let episodes = augur_dataset::Dataset::open(&dir).and_then(|d| d.episodes()).map_err(|e| bad(e.to_string()))?;
        if episodes.is_empty() {
            return Err(bad(format!("dataset {dataset} has no finished episodes to train on")));
        }
        let mut slot = session.training.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.as_ref().is_some_and(|t| t.status().running) {
            return Err(bad("a fine-tune is already running; cancel it first"));
        }
        let job = augur_engine::FineTune {
            data: format!("dataset:{}", augur_capture::escape_path(&dir.display().to_string())),
            init: PathBuf::from(s.model_name()),
            out: session.home.join("models").join(&name),
            steps: steps as usize,
            learning_rate,
            device: augur_model::DeviceChoice::Auto,
        };
        let training = augur_engine::Training::start(job).map_err(|e| CommandError::new("train", e))?;
        let status = training.status();
        *slot = Some(training);
        Ok(status)
    })
}

/// The fine-tune's progress (step, loss history, ETA, the model once written); `null` if none
/// has been started.
#[tauri::command]
pub fn training_status(session: State<'_, Session>) -> Option<augur_engine::TrainingStatus> {
    let slot = session.training.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    slot.as_ref().map(augur_engine::Training::status)
}

/// Stops the fine-tune after its current step; the checkpoint written then is kept.
#[tauri::command]
pub fn cancel_training(session: State<'_, Session>) -> Result<(), CommandError> {
    let slot = session.training.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match slot.as_ref() {
        Some(t) if t.status().running => {
            t.cancel();
            Ok(())
        }
        _ => Err(bad("no fine-tune is running")),
    }
}

/// What the About box shows.
#[derive(Serialize)]
pub struct About {
    name: &'static str,
    version: &'static str,
    license: &'static str,
    /// The model in use, from its card: name, parameters, training steps, data, machine.
    model: Option<String>,
    /// Where datasets, fine-tunes, exports and settings live.
    home: String,
    /// What the session had to say at start (CPU fallback, scene instead of camera).
    notices: Vec<String>,
}

/// Augur's name, version and licence, the model in use and where things are kept.
#[tauri::command]
pub fn about(session: State<'_, Session>) -> About {
    let model = match &session.live {
        Live::Model(s) => augur_model::checkpoint::load_card(std::path::Path::new(&s.model_name())).ok().map(|c| {
            let t = c.training.as_ref();
            format!(
                "{}: {:.2} M parameters, {}×{} input, context {}, horizon {}; trained {} steps on {} ({})",
                c.name,
                c.parameters as f64 / 1e6,
                c.config.image_size,
                c.config.image_size,
                c.config.context,
                c.config.horizon,
                t.map_or(0, |t| t.steps_done),
                t.map(|t| t.data.join(", ")).unwrap_or_else(|| "unknown data".into()),
                t.map_or("unknown machine", |t| t.machine.as_str()),
            )
        }),
        Live::Source(_) => None,
    };
    About {
        name: "Augur",
        version: env!("CARGO_PKG_VERSION"),
        license: env!("CARGO_PKG_LICENSE"),
        model,
        home: session.home.display().to_string(),
        notices: session.notices.clone(),
    }
}
