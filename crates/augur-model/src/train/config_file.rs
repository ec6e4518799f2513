//! A training config file names only what it changes: burn's `Config` derive reads every field
//! or fails ("missing field"), so a file is laid over the defaults first, and a key the
//! defaults do not have (a typo) is refused rather than ignored.

use std::path::Path;

use serde_json::Value;

use super::TrainConfig;
use crate::{ModelConfig, ModelError};

/// Reads a training config from `path`: a card's whole `training.config`, or any part of it.
pub fn load_config(path: &Path) -> Result<TrainConfig, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    })?;
    parse_config(&text).map_err(ModelError::BadConfig)
}

/// Parses a training config's JSON laid over the defaults (see the module's note).
pub fn parse_config(text: &str) -> Result<TrainConfig, String> {
    let given: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let mut merged = serde_json::to_value(TrainConfig::new(ModelConfig::new())).map_err(|e| e.to_string())?;
    lay_over(&mut merged, given, "")?;
    serde_json::from_value(merged).map_err(|e| format!("a field has the wrong kind of value ({e})"))
}

/// Writes `given`'s fields over `base`'s, object by object; `at` names the place for errors.
fn lay_over(base: &mut Value, given: Value, at: &str) -> Result<(), String> {
    match (base, given) {
        (Value::Object(base), Value::Object(given)) => {
            for (key, value) in given {
                let place = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                let Some(slot) = base.get_mut(&key) else {
                    let known: Vec<&str> = base.keys().map(String::as_str).collect();
                    return Err(format!("unknown field `{place}` (known here: {})", known.join(", ")));
                };
                lay_over(slot, value, &place)?;
            }
            Ok(())
        }
        (Value::Object(_), given) if !given.is_object() => Err(format!(
            "`{}` should be an object of fields, not {given}",
            if at.is_empty() { "the config" } else { at }
        )),
        (slot, given) => {
            *slot = given;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error a config must give.
    fn refused(text: &str) -> String {
        parse_config(text).err().unwrap_or_else(|| panic!("{text} was taken"))
    }

    #[test]
    fn a_partial_config_keeps_the_defaults_it_does_not_name() -> Result<(), String> {
        let cfg = parse_config(r#"{"steps": 7, "model": {"predictor_layers": 3}, "loss": {"rollout_steps": 1}}"#)?;
        let mut want = TrainConfig::new(ModelConfig::new());
        want.steps = 7;
        want.model.predictor_layers = 3;
        want.loss.rollout_steps = 1;
        assert_eq!(cfg, want);
        assert_eq!(parse_config("{}")?, TrainConfig::new(ModelConfig::new()));
        Ok(())
    }

    #[test]
    fn a_whole_card_config_reads_back_as_written() -> Result<(), String> {
        let mut whole = TrainConfig::new(ModelConfig::new());
        whole.decoder_only = Some(true);
        whole.seed = 9;
        let text = serde_json::to_string(&whole).map_err(|e| e.to_string())?;
        assert_eq!(parse_config(&text)?, whole);
        Ok(())
    }

    #[test]
    fn typos_and_wrong_kinds_are_refused_by_name() {
        let typo = refused(r#"{"model": {"predictor_layer": 3}}"#);
        assert!(typo.contains("`model.predictor_layer`") && typo.contains("predictor_layers"), "{typo}");
        let kind = refused(r#"{"steps": "many"}"#);
        assert!(kind.contains("wrong kind"), "{kind}");
        let flat = refused(r#"{"model": 64}"#);
        assert!(flat.contains("`model` should be an object"), "{flat}");
        assert!(refused("[1]").contains("the config"));
        assert!(refused("{").contains("not JSON"));
    }
}
