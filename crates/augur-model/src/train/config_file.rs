//! A training config file names only what it changes: burn's `Config` derive reads every field
//! or fails ("missing field"), so a file is laid over the defaults first, and a key the
//! defaults do not have (a typo) is refused rather than ignored, as is a value of the wrong
//! kind, by its place in the file (serde's own message names only the kind).

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
    let mut optional = Vec::new();
    lay_over(&mut merged, given, "", &mut optional)?;
    serde_json::from_value(merged.clone()).map_err(|e| {
        // An optional field's default (null) has no kind to check against: find the one
        // whose value serde refuses by leaving each out in turn.
        let culprit = optional.iter().find(|place| {
            let mut without = merged.clone();
            if let Some(slot) = place.split('.').try_fold(&mut without, |v, key| v.get_mut(key)) {
                *slot = Value::Null;
            }
            serde_json::from_value::<TrainConfig>(without).is_ok()
        });
        match culprit {
            Some(place) => format!("`{place}` has the wrong kind of value ({e})"),
            None => format!("a field has the wrong kind of value ({e})"),
        }
    })
}

/// What a default value says a field holds, for the error naming a wrong one.
fn kind_of(default: &Value) -> Option<&'static str> {
    match default {
        Value::Bool(_) => Some("true or false"),
        Value::Number(n) if n.is_u64() => Some("a whole number of 0 or more"),
        Value::Number(_) => Some("a number"),
        Value::String(_) => Some("a string"),
        Value::Array(_) => Some("a list"),
        Value::Null | Value::Object(_) => None,
    }
}

/// Whether `given` is of the kind `default` is.
fn same_kind(default: &Value, given: &Value) -> bool {
    match (default, given) {
        (Value::Number(d), Value::Number(g)) => !d.is_u64() || g.is_u64(),
        _ => std::mem::discriminant(default) == std::mem::discriminant(given),
    }
}

/// Writes `given`'s fields over `base`'s, object by object; `at` names the place for errors,
/// and the places of values written over a null (an optional field's default) go in `optional`.
fn lay_over(base: &mut Value, given: Value, at: &str, optional: &mut Vec<String>) -> Result<(), String> {
    match (base, given) {
        (Value::Object(base), Value::Object(given)) => {
            for (key, value) in given {
                let place = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                let Some(slot) = base.get_mut(&key) else {
                    let known: Vec<&str> = base.keys().map(String::as_str).collect();
                    return Err(format!("unknown field `{place}` (known here: {})", known.join(", ")));
                };
                lay_over(slot, value, &place, optional)?;
            }
            Ok(())
        }
        (Value::Object(_), given) if !given.is_object() => Err(format!(
            "`{}` should be an object of fields, not {given}",
            if at.is_empty() { "the config" } else { at }
        )),
        (slot, given) => {
            if let Some(kind) = kind_of(slot).filter(|_| !same_kind(slot, &given)) {
                return Err(format!("`{at}` should be {kind}, not {given}"));
            }
            if slot.is_null() {
                optional.push(at.to_string());
            }
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
        assert!(kind.contains("`steps` should be a whole number"), "{kind}");
        let fraction = refused(r#"{"model": {"grid": 2.5}}"#);
        assert!(fraction.contains("`model.grid` should be a whole number"), "{fraction}");
        let negative = refused(r#"{"loss": {"rollout_steps": -1}}"#);
        assert!(negative.contains("`loss.rollout_steps`"), "{negative}");
        let switch = refused(r#"{"model": {"composite": "yes"}}"#);
        assert!(switch.contains("`model.composite` should be true or false"), "{switch}");
        let optional = refused(r#"{"latent_bank": 100, "decoder_only": "yes"}"#);
        assert!(optional.contains("`decoder_only` has the wrong kind"), "{optional}");
        assert_eq!(parse_config(r#"{"learning_rate": 1, "decoder_only": true}"#).map(|c| c.learning_rate), Ok(1.0));
        let flat = refused(r#"{"model": 64}"#);
        assert!(flat.contains("`model` should be an object"), "{flat}");
        assert!(refused("[1]").contains("the config"));
        assert!(refused("{").contains("not JSON"));
    }
}
