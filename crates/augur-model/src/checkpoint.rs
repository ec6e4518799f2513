//! Checkpoints: `<name>.safetensors` weights plus the `<name>.json` card. Loading checks the
//! card, the file size, the safetensors header, and every tensor's name, dtype and shape
//! against the architecture before burn sees a byte, so a bad file is refused with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::{Device, Tensor};

use crate::card::{FORMAT_VERSION, ModelCard};
use crate::{ModelError, WorldModel};

/// Largest weights file we open; the bundled models are a few MB.
pub const MAX_WEIGHTS_BYTES: u64 = 512 << 20;

/// The weights path for a card path or a bare model path (`models/bounce-64` →
/// `models/bounce-64.safetensors`).
/// A name may hold dots of its own (`tiny-v1.5`): only a `.json` or `.safetensors` ending (in
/// any case) is taken off, and the other is added to the whole name, not put in place of its
/// last part. A trailing slash is no part of the name, and a training run's folder (`augur
/// train --out runs/m`) names the model in it (`runs/m/model`) when no `runs/m.json` exists.
pub fn paths(model: &Path) -> (PathBuf, PathBuf) {
    let model: PathBuf = model.components().collect();
    let with = |base: &Path, suffix: &str| {
        let mut name = base.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    let ending = model.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let base = match ending.as_deref() {
        Some("json" | "safetensors") => model.with_extension(""),
        _ if !with(&model, ".json").exists() && model.join("model.json").is_file() => model.join("model"),
        _ => model,
    };
    (with(&base, ".safetensors"), with(&base, ".json"))
}

/// Writes `model` and `card` (its `weights_bytes` and `parameters` filled in) next to `base`.
/// Both are written to temporary files first and renamed, so a crash leaves the old pair.
pub fn save(model: &WorldModel, card: &mut ModelCard, base: &Path) -> Result<(), ModelError> {
    let (weights, json) = paths(base);
    if let Some(dir) = weights.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(ModelError::io("cannot create", dir))?;
    }
    let bytes = to_bytes(model)?;
    card.weights_bytes = bytes.len() as u64;
    card.parameters = model.num_params();
    card.format_version = FORMAT_VERSION;
    let text = serde_json::to_string_pretty(card).map_err(|e| ModelError::Device(e.to_string()))?;
    write_atomic(&weights, &bytes)?;
    write_atomic(&json, text.as_bytes())
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    // On the disk before it replaces the old file: a power cut then leaves one or the other.
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    write().map_err(ModelError::io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(ModelError::io("cannot rename into place", path))
}

fn to_bytes(model: &WorldModel) -> Result<Vec<u8>, ModelError> {
    let mut store = SafetensorsStore::from_bytes(None);
    model.save_into(&mut store).map_err(|e| ModelError::Device(format!("cannot serialise weights: {e}")))?;
    store.get_bytes().map_err(|e| ModelError::Device(format!("cannot serialise weights: {e}")))
}

/// Reads and checks the card at `model` (or beside it).
pub fn load_card(model: &Path) -> Result<ModelCard, ModelError> {
    let (_, json) = paths(model);
    let bad = |why: String| ModelError::BadCheckpoint { path: json.clone(), why };
    let text = std::fs::read_to_string(&json).map_err(|e| {
        bad(format!("cannot read the model card ({e}); a model is a .safetensors file with its .json card beside it"))
    })?;
    let card: ModelCard =
        serde_json::from_str(&text).map_err(|e| bad(format!("the card is not a valid Augur model card: {e}")))?;
    if card.format_version != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {} is not {FORMAT_VERSION}, the one this Augur reads; re-export it with a matching Augur",
            card.format_version
        )));
    }
    card.config.validate().map_err(|e| bad(e.to_string()))?;
    if let Some(key) = unknown_config_key(&text, &card.config) {
        return Err(bad(format!(
            "its config has a field this Augur does not know, `{key}` (a typo would turn a feature off without a word); \
             correct or remove it"
        )));
    }
    Ok(card)
}

/// A key of the card's `config` that the architecture has no field for.
fn unknown_config_key(text: &str, config: &crate::ModelConfig) -> Option<String> {
    let given: serde_json::Value = serde_json::from_str(text).ok()?;
    let known = serde_json::to_value(config).ok()?;
    let known = known.as_object()?;
    given.get("config")?.as_object()?.keys().find(|k| !known.contains_key(*k)).cloned()
}

/// Loads a checked model onto `device`.
pub fn load(model: &Path, device: &Device) -> Result<(WorldModel, ModelCard), ModelError> {
    let card = load_card(model)?;
    let (weights, _) = paths(model);
    let bad = |why: String| ModelError::BadCheckpoint { path: weights.clone(), why };
    let size = std::fs::metadata(&weights).map_err(|e| bad(format!("cannot read the weights: {e}")))?.len();
    if size > MAX_WEIGHTS_BYTES {
        return Err(bad(format!("{size} bytes is larger than the {MAX_WEIGHTS_BYTES}-byte limit for a model file")));
    }
    if size != card.weights_bytes {
        return Err(bad(format!(
            "the file has {size} bytes but its card says {}: it is truncated, or belongs to another card",
            card.weights_bytes
        )));
    }
    // A card whose config was edited on its own describes a model its file cannot hold; asked
    // for, that model's memory would abort the program before the layouts could be compared.
    let described = card.config.rough_parameters();
    let held = size / 4;
    if described > 64 * held.max(1 << 20) {
        return Err(bad(format!(
            "its card describes a model of about {described} weights, but the file holds {held}: the card's config \
             was changed; restore the card that came with these weights"
        )));
    }
    let bytes = std::fs::read(&weights).map_err(|e| bad(format!("cannot read the weights: {e}")))?;
    let fresh = WorldModel::new(&card.config, device);
    let expected = layout(&to_bytes(&fresh)?).map_err(|e| bad(format!("internal layout error: {e}")))?;
    let found = layout(&bytes).map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
    check_layout(&expected, &found).map_err(bad)?;
    let mut fresh = fresh;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let result = fresh.load_from(&mut store).map_err(|e| bad(e.to_string()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(bad(format!("burn refused tensors: {:?} missing {:?}", result.errors, result.missing)));
    }
    Ok((fresh, card))
}

type Layout = BTreeMap<String, (String, Vec<usize>)>;

fn layout(bytes: &[u8]) -> Result<Layout, String> {
    let tensors = safetensors::SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    Ok(tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, (format!("{:?}", view.dtype()), view.shape().to_vec())))
        .collect())
}

fn check_layout(expected: &Layout, found: &Layout) -> Result<(), String> {
    if let Some(name) = expected.keys().find(|k| !found.contains_key(*k)) {
        return Err(format!("tensor {name} is missing: the weights do not match the card's architecture"));
    }
    if let Some(name) = found.keys().find(|k| !expected.contains_key(*k)) {
        return Err(format!("unexpected tensor {name}: the weights do not match the card's architecture"));
    }
    for (name, (dtype, shape)) in expected {
        let (got_dtype, got_shape) = &found[name];
        if dtype != got_dtype || shape != got_shape {
            return Err(format!(
                "tensor {name} is {got_dtype} {got_shape:?}, the card's architecture needs {dtype} {shape:?}"
            ));
        }
    }
    Ok(())
}

/// Rewrites only the card beside `base` (e.g. after an evaluation), keeping the weights.
pub fn save_card(card: &ModelCard, base: &Path) -> Result<(), ModelError> {
    let (_, json) = paths(base);
    let text = serde_json::to_string_pretty(card).map_err(|e| ModelError::Device(e.to_string()))?;
    write_atomic(&json, text.as_bytes())
}

/// The ids of `model`'s parameters, in the order the module visits them. The optimiser keys
/// its moments by these ids, and a model loaded from weights gets fresh ones, so a training
/// checkpoint keeps them to give the loaded model back its own.
pub(crate) fn param_ids(model: &WorldModel) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// `model` with its parameters given the ids `ids` (from [`param_ids`] of the same
/// architecture), so the optimiser state saved with them applies to it again. `None` when the
/// count differs: the ids belong to another architecture.
pub(crate) fn with_param_ids(model: WorldModel, ids: &[u64]) -> Option<WorldModel> {
    struct Renumber<'a>(std::slice::Iter<'a, u64>);
    impl ModuleMapper for Renumber<'_> {
        fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            // The counts were compared first, so every parameter has an id.
            if let Some(&id) = self.0.next() {
                param.id = ParamId::from(id);
            }
            param
        }
    }
    if param_ids(&model).len() != ids.len() {
        return None;
    }
    Some(model.map(&mut Renumber(ids.iter())))
}
