//! The app's command line:
//! `augur-app [--source NAME] [--mic NAME|none] [--model PATH] [--models DIR] [--device auto|cpu|gpu] [--horizon N] [--home DIR] [--seconds N] [--bench N] [--demo]`.
//! Kept tiny and dependency-free; `augur run` is the documented way to start the app.

/// What the app was asked to open.
#[derive(Debug, Default, PartialEq)]
pub struct AppArgs {
    /// Video source name; `None` means the default camera or the built-in scene.
    pub source: Option<String>,
    /// Microphone name, `none`, or `None` for the default microphone.
    pub mic: Option<String>,
    /// Close the window after this many seconds (demos on a timer, tests).
    pub seconds: Option<f64>,
    /// The world model; `None` means the one the window used last, else the bundled default
    /// (`augur_model::DEFAULT_MODEL`).
    pub model: Option<String>,
    /// Where the bundled models are (default `models`): the model picker's first entries.
    pub models: Option<std::path::PathBuf>,
    /// Where the model runs: auto, cpu or gpu.
    pub device: Option<String>,
    /// Frames the live view predicts ahead; `None`: the one the window used last, else the
    /// model's (4 on the CPU).
    pub horizon: Option<usize>,
    /// Where datasets, fine-tuned models and exports live; `None` means `~/Augur`.
    pub home: Option<std::path::PathBuf>,
    /// Benchmark the window for this many seconds, print the figures and exit.
    pub bench: Option<f64>,
    /// Open in demo mode (full screen, large panels) without remembering it for the next run.
    pub demo: bool,
}

impl AppArgs {
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Self, String> {
        let usage = "usage: augur-app [--source NAME] [--mic NAME|none] [--model PATH] [--models DIR] [--device auto|cpu|gpu] [--horizon N] [--home DIR] [--seconds N] [--bench N] [--demo]";
        let mut args = Self::default();
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value; {usage}"));
            match flag.as_str() {
                "--source" => args.source = Some(value()?),
                "--mic" => args.mic = Some(value()?),
                "--model" => args.model = Some(value()?),
                "--models" => args.models = Some(value()?.into()),
                "--home" => args.home = Some(value()?.into()),
                "--device" => {
                    let v = value()?;
                    if !["auto", "cpu", "gpu"].contains(&v.as_str()) {
                        return Err(format!("--device {v} should be auto, cpu or gpu; {usage}"));
                    }
                    args.device = Some(v);
                }
                "--horizon" => {
                    let v = value()?;
                    match v.parse::<usize>() {
                        Ok(h) if h >= 1 => args.horizon = Some(h),
                        _ => return Err(format!("--horizon {v} should be a number of frames, 1 or more; {usage}")),
                    }
                }
                "--seconds" | "--bench" => {
                    let v = value()?;
                    let s: f64 = v.parse().map_err(|_| format!("{flag} {v} is not a number; {usage}"))?;
                    if !(s > 0.0 && s <= MAX_SECONDS) {
                        return Err(format!("{flag} must be positive, at most {MAX_SECONDS} (a week); {usage}"));
                    }
                    if flag == "--bench" { args.bench = Some(s) } else { args.seconds = Some(s) }
                }
                "--demo" => args.demo = true,
                "-h" | "--help" => return Err(usage.to_string()),
                other => return Err(format!("unknown argument {other:?}; {usage}")),
            }
        }
        Ok(args)
    }
}

/// The longest `--seconds` or `--bench`: a week.
const MAX_SECONDS: f64 = 604_800.0;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<AppArgs, String> {
        AppArgs::parse(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_and_rejects() {
        let a = parse(&["--source", "scene:bounce", "--mic", "none", "--seconds", "3"]).unwrap();
        assert_eq!(a.source.as_deref(), Some("scene:bounce"));
        assert_eq!(a.seconds, Some(3.0));
        assert!(parse(&["--source"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--seconds", "-1"]).unwrap_err().contains("positive"));
        // Past what a timer holds (Duration::from_secs_f64 panicked on 1e20; the page's
        // setTimeout fires at once past 24.8 days).
        for big in ["1e20", "inf", "604801"] {
            assert!(parse(&["--seconds", big]).unwrap_err().contains("at most 604800"), "{big}");
            assert!(parse(&["--bench", big]).is_err(), "{big}");
        }
        assert_eq!(parse(&["--seconds", "604800"]).unwrap().seconds, Some(604_800.0));
        assert!(parse(&["--bogus"]).unwrap_err().contains("unknown argument"));
        assert_eq!(parse(&["--horizon", "8"]).unwrap().horizon, Some(8));
        assert!(parse(&["--horizon", "0"]).unwrap_err().contains("1 or more"));
        assert!(parse(&["--demo", "--horizon", "4"]).unwrap().demo && !parse(&[]).unwrap().demo);
    }
}
