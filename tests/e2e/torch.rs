//! Journey 3's way out and back: the bundled model in PyTorch (`python/augur_torch`) computes
//! what Augur computes, and a model fine-tuned there on a recorded dataset loads back into
//! Augur and predicts the same there as in PyTorch.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use augur_tests::{augur, run_with_deadline, text};
use burn::tensor::{Device, Tensor};

/// The bundled default model, the one the app starts with.
fn bundled() -> String {
    format!("{}/../{}", env!("CARGO_MANIFEST_DIR"), augur_model::DEFAULT_MODEL_PATH)
}
/// At the model's own size, so the PNGs `augur predict` writes hold exactly what it read.
const SCENE: &str = "scene:bounce?size=64x64&seed=21";

/// The Python with Debian's PyTorch that `scripts/torch-env.sh` makes (check.sh sources it).
fn torch_python() -> Option<String> {
    let python = std::env::var("AUGUR_TORCH_PYTHON").ok();
    if python.is_none() {
        augur_tests::skipping("AUGUR_TORCH_PYTHON: no PyTorch; source scripts/torch-env.sh");
    }
    python
}

/// `python -m augur_torch.<module> args…`, with the package on the path.
fn augur_torch(python: &str, module: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(python);
    cmd.env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/../python"))
        .arg("-m")
        .arg(format!("augur_torch.{module}"))
        .args(args);
    run_with_deadline(cmd, Duration::from_secs(600))
}

/// `augur predict` of `model` over the scene into `out`, then the PyTorch comparison; returns
/// its figures.
fn predict_and_compare(python: &str, model: &str, out: &Path) -> serde_json::Value {
    let out_s = out.display().to_string();
    let args = ["predict", "--model", model, "--source", SCENE, "--audio", "none", "--steps", "22", "--out", &out_s];
    let predicted = augur(&args);
    assert!(predicted.status.success(), "{}", text(&predicted).1);
    let parity = augur_torch(python, "parity", &["--model", model, "--predictions", &out_s]);
    let (stdout, stderr) = text(&parity);
    eprintln!("parity of {model}: {stdout}");
    assert!(parity.status.success(), "{stdout}{stderr}");
    let figures: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    // Steps 2C - 1 to the last but one have every context frame and the truth on disk.
    assert!(figures["steps_compared"].as_u64().unwrap() >= 10, "{stdout}");
    figures
}

#[test]
fn the_bundled_model_in_pytorch_predicts_what_augur_predicts() {
    let Some(python) = torch_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let figures = predict_and_compare(&python, &bundled(), &dir.path().join("pred"));
    // The predictions moved the ball: the comparison covered real change, not still frames.
    assert!(figures["predicted_change"].as_f64().unwrap() > 0.5, "{figures}");
}

#[test]
fn a_model_fine_tuned_in_pytorch_loads_back_into_augur() {
    let Some(python) = torch_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds").display().to_string();
    let recorded = augur(&[
        "record",
        "--source",
        "scene:bounce?size=64x64&fps=15&seed=4",
        "--out",
        &ds,
        "--task",
        "watch the ball",
        "--episode-seconds",
        "2",
    ]);
    assert!(recorded.status.success(), "{}", text(&recorded).1);

    let tuned = dir.path().join("tuned");
    let tuned_s = tuned.display().to_string();
    let model = bundled();
    // A config as `augur train --config` reads it; a setting it does not know is refused.
    let config = dir.path().join("train.json");
    std::fs::write(&config, r#"{"warmup_steps": 1, "loss": {"rollout_stpes": 1}}"#).unwrap();
    let config_s = config.display().to_string();
    let args = ["--model", &model, "--data", &ds, "--config", &config_s, "--steps", "3", "--batch-size", "2"];
    let refused = augur_torch(&python, "finetune", &[&args[..], &["--out", &tuned_s]].concat());
    assert!(!refused.status.success() && text(&refused).1.contains("no loss setting 'rollout_stpes'"));
    std::fs::write(&config, r#"{"warmup_steps": 1, "loss": {"rollout_steps": 1}}"#).unwrap();
    // A seed Augur's card could not hold is refused before any work, not written into it.
    let refused = augur_torch(&python, "finetune", &[&args[..], &["--seed", "-1", "--out", &tuned_s]].concat());
    assert!(!refused.status.success() && text(&refused).1.contains("seed must be a whole number"));
    let run = augur_torch(&python, "finetune", &[&args[..], &["--out", &tuned_s]].concat());
    let (stdout, stderr) = text(&run);
    assert!(run.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("step 3/3 loss"), "no progress shown: {stderr}");
    // Loaded by Augur's own checks, the two models see a frame differently.
    let sees = |path: &str| {
        let device = Device::flex();
        let (net, _) = augur_model::checkpoint::load(Path::new(path), &device).unwrap();
        let frame = Tensor::<5>::full([1, 1, 3, 64, 64], 0.5, &device);
        net.online.forward(frame, None).into_data().try_to_vec::<f32>().unwrap()
    };
    let gap = augur_model::metrics::max_abs_diff(&sees(&model), &sees(&tuned_s));
    assert!(gap > 1e-4, "the fine-tune changed nothing Augur sees ({gap})");

    // Augur reads the card and the weights, and computes what PyTorch computes with them.
    predict_and_compare(&python, &tuned_s, &dir.path().join("pred"));
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tuned.join("model.json")).unwrap()).unwrap();
    assert_eq!(card["training"]["steps_done"], 3, "{card}");
    assert!(card["training"]["machine"].as_str().unwrap().starts_with("PyTorch"), "{card}");
}

/// One clip, so both draw the same batch every step: `augur train --init` and the PyTorch
/// fine-tune, with every loss term weighed, agree on every term at every step, so the
/// objective, AdamW, the clipping, the schedule and the EMA target all match.
#[test]
fn training_in_pytorch_follows_augur_train_step_for_step() {
    let Some(python) = torch_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    // Context 8, the next frame and a rollout of 2: exactly one clip of 11 frames.
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=15", "-frames:v", "11"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let ds = dir.path().join("ds").display().to_string();
    let source = format!("file:{}", clip.display());
    let recorded =
        augur(&["record", "--source", &source, "--out", &ds, "--task", "one clip", "--episode-seconds", "5"]);
    assert!(recorded.status.success(), "{}", text(&recorded).1);

    let config = dir.path().join("train.json");
    let weights = r#"{"rollout_steps": 2, "pixel": 1.0, "mask": 0.01, "motion": 1.0, "reach": 1.0, "audio": 0.5}"#;
    std::fs::write(&config, format!(r#"{{"warmup_steps": 1, "ema": 0.9, "loss": {weights}}}"#)).unwrap();
    let (config, model) = (config.display().to_string(), bundled());
    let common = ["--config", &config, "--steps", "3", "--batch-size", "1"];
    let (by_augur, by_torch) = (dir.path().join("augur"), dir.path().join("torch"));
    let (augur_out, torch_out) = (by_augur.display().to_string(), by_torch.display().to_string());
    let data = format!("dataset:{ds}");
    let args = [&["train", "--init", &model, "--data", &data, "--device", "cpu", "--out", &augur_out][..], &common];
    let trained = augur(&args.concat());
    assert!(trained.status.success(), "{}", text(&trained).1);
    let args = [&["--model", &model, "--data", &ds, "--out", &torch_out][..], &common];
    let tuned = augur_torch(&python, "finetune", &args.concat());
    assert!(tuned.status.success(), "{}", text(&tuned).1);

    let read = |path: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let state = read(by_augur.join("train-state.json"));
    let ours: Vec<&serde_json::Value> = state["history"].as_array().unwrap().iter().map(|h| &h[1]).collect();
    let theirs = read(by_torch.join("losses.json"));
    let theirs = theirs.as_array().unwrap();
    assert_eq!((ours.len(), theirs.len()), (3, 3), "{state}");
    for (step, (a, b)) in ours.iter().zip(theirs).enumerate() {
        for term in ["total", "prediction", "variance", "covariance", "reconstruction", "pixel", "mask", "reach"] {
            let (a, b) = (a[term].as_f64().unwrap(), b[term].as_f64().unwrap());
            assert!(a > 0.0, "step {}: {term} was not computed", step + 1);
            let gap = (a - b).abs() / a;
            assert!(gap < 1e-4, "step {}: {term} is {a} in augur train, {b} in PyTorch", step + 1);
        }
        let (a, b) = (a["audio"].as_f64().unwrap(), b["audio"].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-4 * a.abs().max(1e-6), "step {}: audio {a} and {b}", step + 1);
    }
}
