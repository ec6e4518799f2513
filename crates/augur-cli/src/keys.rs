//! Key presses recorded as actions: one `action` component per declared key, 1.0 while held.

use anyhow::{Result, bail};

/// Checks `--action-keys`: each a name (letters, digits, `_`, `-`, `.`) and none twice, since
/// each becomes one named component of the dataset's `action`.
pub fn check_names(names: &[String]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
            bail!(
                "--action-keys: {name:?} is not a key name; give names like space,left,right (letters, digits, _ - .)"
            );
        }
        if names[..i].contains(name) {
            bail!("--action-keys: {name:?} is named twice; give each key once");
        }
    }
    Ok(())
}

/// Keys held right now (from stdin lines `+key` / `-key`).
pub struct KeyState {
    names: Vec<String>,
    held: Vec<bool>,
}

impl KeyState {
    /// No key held.
    pub fn new(names: &[String]) -> Self {
        Self { names: names.to_vec(), held: vec![false; names.len()] }
    }

    /// Applies `+key` (pressed) or `-key` (released).
    pub fn apply(&mut self, line: &str) -> Result<()> {
        let (down, name) = match line.split_at_checked(1) {
            Some(("+", k)) => (true, k),
            Some(("-", k)) => (false, k),
            _ => bail!("key lines are +key or -key, got {line:?}"),
        };
        let Some(i) = self.names.iter().position(|n| n == name) else {
            bail!("{name:?} is not one of the --action-keys ({})", self.names.join(", "))
        };
        self.held[i] = down;
        Ok(())
    }

    /// The action vector.
    pub fn values(&self) -> Vec<f32> {
        self.held.iter().map(|&h| if h { 1.0 } else { 0.0 }).collect()
    }
}

/// Scripted presses: `key@from-to` in seconds from the episode's start, comma separated.
pub struct KeyScript {
    names: Vec<String>,
    presses: Vec<(usize, f64, f64)>,
}

impl KeyScript {
    /// Parses a script; every key must be one of `names`.
    pub fn parse(script: &str, names: &[String]) -> Result<Self> {
        let mut presses = Vec::new();
        for part in script.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = part.split_once('@').and_then(|(k, span)| {
                let (a, b) = span.split_once('-')?;
                Some((k, a.parse::<f64>().ok()?, b.parse::<f64>().ok()?))
            });
            let Some((key, from, to)) = parsed else { bail!("key script parts look like space@0.5-1.5, got {part:?}") };
            let Some(i) = names.iter().position(|n| n == key) else {
                bail!("{key:?} in --keys-from is not one of the --action-keys ({})", names.join(", "))
            };
            if !(from.is_finite() && to.is_finite() && from >= 0.0 && to > from) {
                bail!("{part:?}: the press must end after it starts");
            }
            presses.push((i, from, to));
        }
        Ok(Self { names: names.to_vec(), presses })
    }

    /// The action vector `t` seconds into an episode.
    pub fn at(&self, t: f64) -> Vec<f32> {
        let mut v = vec![0.0; self.names.len()];
        for &(i, a, b) in &self.presses {
            if t >= a && t < b {
                v[i] = 1.0;
            }
        }
        v
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_lines_become_actions() {
        let names = vec!["space".to_string(), "a".to_string()];
        let s = KeyScript::parse("space@0.5-1.0, a@0-0.2", &names).unwrap();
        assert_eq!(s.at(0.1), vec![0.0, 1.0]);
        assert_eq!(s.at(0.7), vec![1.0, 0.0]);
        assert!(KeyScript::parse("b@0-1", &names).is_err());
        assert!(KeyScript::parse("space@2-1", &names).is_err());
        assert!(KeyScript::parse("space", &names).is_err());
        let mut k = KeyState::new(&names);
        k.apply("+a").unwrap();
        assert_eq!(k.values(), vec![0.0, 1.0]);
        assert!(k.apply("a").is_err());
        assert!(k.apply("+z").is_err());
    }

    #[test]
    fn action_key_names_are_names_and_each_comes_once() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(check_names(&names(&["space", "left", "key_7", "a.b-c"])).is_ok());
        assert!(check_names(&[]).is_ok(), "no keys: no action feature");
        let why = check_names(&names(&["space", ""])).unwrap_err().to_string();
        assert!(why.contains("\"\" is not a key name"), "{why}");
        assert!(check_names(&names(&["up arrow"])).is_err());
        let why = check_names(&names(&["space", "left", "space"])).unwrap_err().to_string();
        assert!(why.contains("\"space\" is named twice"), "{why}");
    }
}
