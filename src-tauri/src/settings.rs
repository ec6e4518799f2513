//! What the window remembers between runs (`~/Augur/settings.json`): the source preset, the
//! model and the one compared with it, the microphone, the horizon, context and stride, and
//! demo mode. Arguments on the command line win over it. A file that cannot be read is set aside as `settings.json.bad` with a
//! notice, never a refusal to start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The remembered choices; every field is optional so an older or partial file still loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// A source preset id (`scene`, `test-pattern`, …; see `commands::SOURCE_PRESETS`).
    pub source: Option<String>,
    /// The model in use, by its name in the picker.
    pub model: Option<String>,
    /// The model compared with it (A/B), by name.
    pub compare: Option<String>,
    /// The live rollout horizon.
    pub horizon: Option<u32>,
    /// Context frames of live rollouts.
    pub context: Option<u32>,
    /// Source frames between the frames the model takes.
    pub stride: Option<u32>,
    /// The microphone by its device name, `default`, or `none` (device indexes change when
    /// devices come and go; names mostly do not).
    pub mic: Option<String>,
    /// Demo mode (large panels, no debug figures).
    pub demo: bool,
}

/// The settings file in `home`.
pub fn path(home: &Path) -> PathBuf {
    home.join("settings.json")
}

impl Settings {
    /// Reads `home/settings.json`: defaults when there is none; when it is unreadable, the
    /// defaults and a notice saying where the bad file was moved.
    pub fn load(home: &Path) -> (Self, Option<String>) {
        let file = path(home);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Self::default(), None),
            Err(e) => return (Self::default(), Some(format!("cannot read {} ({e}); using defaults", file.display()))),
        };
        match serde_json::from_str(&text) {
            Ok(s) => (s, None),
            Err(e) => {
                let bad = file.with_extension("json.bad");
                let moved = std::fs::rename(&file, &bad).is_ok();
                let kept = if moved { format!("moved to {}", bad.display()) } else { "left as it is".into() };
                (
                    Self::default(),
                    Some(format!("{} is not valid settings ({e}); {kept}, using defaults", file.display())),
                )
            }
        }
    }

    /// Writes the settings atomically (a temporary file renamed over the old one), so a crash
    /// mid-write leaves the previous settings.
    pub fn save(&self, home: &Path) -> Result<(), String> {
        let file = path(home);
        let tmp = file.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(home)
            .and_then(|()| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, &file))
            .map_err(|e| format!("cannot save {}: {e}", file.display()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_a_bad_file() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(home.path()), (Settings::default(), None));
        let s = Settings { source: Some("scene".into()), horizon: Some(16), demo: true, ..Default::default() };
        s.save(home.path()).unwrap();
        assert_eq!(Settings::load(home.path()).0, s);
        // A partial file from an older version loads with the rest defaulted.
        std::fs::write(path(home.path()), r#"{"horizon": 8}"#).unwrap();
        assert_eq!(Settings::load(home.path()).0, Settings { horizon: Some(8), ..Default::default() });
        std::fs::write(path(home.path()), "{not json").unwrap();
        let (loaded, notice) = Settings::load(home.path());
        assert_eq!(loaded, Settings::default());
        assert!(notice.unwrap().contains("settings.json.bad"));
        assert!(home.path().join("settings.json.bad").exists(), "the bad file is kept for the user");
        assert!(!path(home.path()).exists());
    }
}
