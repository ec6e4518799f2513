//! Checkpoints: a round trip keeps the predictions, and every kind of bad file is refused with
//! a message that says what is wrong (never a panic).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use augur_model::{ModelCard, WorldModel, checkpoint, eval::read};
use burn::tensor::{Device, Distribution, Tensor};

fn saved(dir: &Path) -> (PathBuf, WorldModel) {
    let cfg = common::tiny();
    let model = WorldModel::new(&cfg, &Device::flex());
    let mut card = ModelCard::untrained("t", cfg);
    let base = dir.join("t");
    checkpoint::save(&model, &mut card, &base).unwrap();
    (base, model)
}

fn refusal(base: &Path) -> String {
    match checkpoint::load(base, &Device::flex()) {
        Ok(_) => panic!("a bad checkpoint was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_keeps_every_weight() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = saved(dir.path());
    for path in [base.clone(), base.with_extension("json"), base.with_extension("safetensors")] {
        let (loaded, card) = checkpoint::load(&path, &Device::flex()).unwrap();
        assert_eq!(card.parameters, burn::module::Module::num_params(&model));
        let x = Tensor::<5>::random([1, 3, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &Device::flex());
        let anchor = x.clone().narrow(1, 2, 1).reshape([1, 3, 32, 32]);
        let a = read(model.decode(model.online.forward(x.clone(), None), anchor.clone())).unwrap();
        let b = read(loaded.decode(loaded.online.forward(x, None), anchor)).unwrap();
        assert_eq!(a, b);
    }
}

/// The rough count a card's config is checked with stays near the real one, and a card whose
/// config was blown up on its own is refused before its model is built.
#[test]
fn a_card_describing_another_model_is_refused_before_building_it() {
    for cfg in [common::tiny(), augur_model::ModelConfig::new()] {
        let real = burn::module::Module::num_params(&WorldModel::new(&cfg, &Device::flex())) as u64;
        let rough = cfg.rough_parameters();
        assert!(rough >= real / 2 && rough <= real * 16, "rough {rough} against {real}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    common::edit_card_json(&base, |card| {
        card["config"]["predictor_layers"] = 64.into();
        card["config"]["predictor_dim"] = 4096.into();
    });
    assert!(refusal(&base).contains("its card describes a model of about"), "{}", refusal(&base));
}

/// A name with a dot of its own (`tiny-v1.5`) is one model, never its sibling `tiny-v1`.
#[test]
fn names_with_dots_are_whole_names() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = saved(dir.path());
    let cfg = common::tiny();
    let dotted = dir.path().join("t.5");
    let mut card = ModelCard::untrained("dotted", cfg.clone());
    checkpoint::save(&WorldModel::new(&cfg, &Device::flex()), &mut card, &dotted).unwrap();
    assert!(dir.path().join("t.5.safetensors").exists() && dir.path().join("t.5.json").exists());
    for given in ["t.5", "t.5.json", "t.5.safetensors"] {
        let card = checkpoint::load_card(&dir.path().join(given)).unwrap();
        assert_eq!(card.name, "dotted", "{given}");
    }
    assert_ne!(checkpoint::load_card(&t).unwrap().name, "dotted");
}

#[test]
fn a_run_folder_a_trailing_slash_or_an_upper_case_ending_name_the_model() {
    let dir = tempfile::tempdir().unwrap();
    // `augur train --out run` writes run/model.{json,safetensors}.
    let run = dir.path().join("run");
    let cfg = common::tiny();
    let mut card = ModelCard::untrained("in a run", cfg.clone());
    checkpoint::save(&WorldModel::new(&cfg, &Device::flex()), &mut card, &run.join("model")).unwrap();
    let slash = format!("{}/", run.display());
    for given in [run.clone(), PathBuf::from(&slash), run.join("model.JSON")] {
        assert_eq!(checkpoint::load_card(&given).unwrap().name, "in a run", "{}", given.display());
    }
    assert_eq!(checkpoint::paths(&run).0, run.join("model.safetensors"));
    // A card beside a run folder of the same name is the one named.
    let (t, _) = saved(dir.path());
    let mut inside = ModelCard::untrained("inside", cfg.clone());
    checkpoint::save(&WorldModel::new(&cfg, &Device::flex()), &mut inside, &t.join("model")).unwrap();
    assert_eq!(checkpoint::load_card(&t).unwrap().name, "t");
}

#[test]
fn a_missing_or_broken_card_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(refusal(&dir.path().join("nothing")).contains("cannot read the model card"));
    let (base, _) = saved(dir.path());
    std::fs::write(base.with_extension("json"), "{ not json").unwrap();
    assert!(refusal(&base).contains("not a valid Augur model card"));
}

#[test]
fn another_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    common::edit_card(&base, |text| text.replace("\"format_version\": 1", "\"format_version\": 7"));
    assert!(refusal(&base).contains("format version 7"));
}

#[test]
fn truncated_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    let weights = base.with_extension("safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert!(refusal(&base).contains("truncated"));
}

#[test]
fn corrupt_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    let weights = base.with_extension("safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    // Scramble the JSON header that follows the 8-byte length.
    for b in &mut bytes[8..40] {
        *b = b'#';
    }
    std::fs::write(&weights, &bytes).unwrap();
    let why = refusal(&base);
    assert!(why.contains("not a valid safetensors file"), "{why}");
}

#[test]
fn oversized_weights_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    let file = std::fs::OpenOptions::new().write(true).open(base.with_extension("safetensors")).unwrap();
    file.set_len(checkpoint::MAX_WEIGHTS_BYTES + 1).unwrap(); // sparse: no disk used
    assert!(refusal(&base).contains("limit"));
}

#[test]
fn weights_of_another_architecture_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    common::edit_card(&base, |text| text.replace("\"latent_dim\": 16", "\"latent_dim\": 24"));
    let why = refusal(&base);
    assert!(why.contains("the card's architecture needs"), "{why}");
}

#[test]
fn weights_of_the_wrong_dtype_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    let weights = base.with_extension("safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    // Same names and shapes, every tensor stored as f64.
    let wide: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let data = view
                .data()
                .chunks_exact(4)
                .flat_map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])).to_le_bytes())
                .collect();
            (name, view.shape().to_vec(), data)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = wide
        .iter()
        .map(|(n, s, d)| {
            (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F64, s.clone(), d).unwrap())
        })
        .collect();
    let out = safetensors::serialize(views, None).unwrap();
    std::fs::write(&weights, &out).unwrap();
    common::edit_card_json(&base, |card| card["weights_bytes"] = out.len().into());
    let why = refusal(&base);
    assert!(why.contains("F64"), "{why}");
}

/// `augur run` and the window find the bundled models from any working directory.
#[test]
fn the_bundled_models_are_found_from_the_repository_root_and_from_any_other_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // From the root: the relative folder, as the README's commands and messages show it.
    assert_eq!(augur_model::bundled_models_dir_from(&root), Path::new("models"));
    // From elsewhere: this checkout's models, by an absolute path.
    let elsewhere = tempfile::tempdir().unwrap();
    let found = augur_model::bundled_models_dir_from(elsewhere.path());
    assert!(found.is_absolute() && found.join(format!("{}.json", augur_model::DEFAULT_MODEL)).is_file(), "{found:?}");
    assert_eq!(found, root.join("models").canonicalize().unwrap());
}

/// The default the app and `augur run` open is one of the bundled models, and every bundled
/// model loads, with its evaluation in its card.
#[test]
fn the_default_model_is_bundled_and_every_bundled_model_loads() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    assert_eq!(Path::new(augur_model::DEFAULT_MODEL_PATH), Path::new("models").join(augur_model::DEFAULT_MODEL));
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&models).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "safetensors") {
            let (_, card) = checkpoint::load(&path, &Device::flex()).unwrap();
            assert!(card.eval.is_some(), "{} has no evaluation in its card", path.display());
            names.push(card.name);
        }
    }
    assert!(
        names.iter().any(|n| n == augur_model::DEFAULT_MODEL),
        "{} not among {names:?}",
        augur_model::DEFAULT_MODEL
    );
}

#[test]
fn a_config_field_this_augur_does_not_know_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = saved(dir.path());
    // A typo of a real field: read as written, the feature it names would be off.
    common::edit_card(&base, |text| text.replacen("\"image_size\"", "\"fade_by_last_stp\": true, \"image_size\"", 1));
    let why = refusal(&base);
    assert!(why.contains("`fade_by_last_stp`"), "{why}");
}
