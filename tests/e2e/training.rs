//! `augur train` as a process, with a tiny model: killed with SIGKILL it resumes where its
//! checkpoint left off, a diverging run says what to change, and Ctrl-C checkpoints the step it
//! was on (or says that nothing was saved while a latent bank was being encoded).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use augur_model::{ModelConfig, TrainConfig};
use augur_tests::{augur, binary, text};
use burn::config::Config as _;

/// A training config for the tiny model, written into `dir`.
pub(crate) fn tiny_config(dir: &Path) -> String {
    let model = ModelConfig::tiny();
    let path = dir.join("tiny.json");
    TrainConfig::new(model).with_batch_size(2).with_warmup_steps(1).save(&path).unwrap();
    path.display().to_string()
}

/// `augur train` on the scene for `steps` steps into `out`, checkpointing every 2.
pub(crate) fn train(config: &str, out: &Path, steps: &str, extra: &[&str]) -> std::process::Output {
    let mut args =
        vec!["train", "--config", config, "--data", "scene:bounce", "--steps", steps, "--checkpoint-every", "2"];
    args.extend_from_slice(&["--device", "cpu", "--out"]);
    let out = out.display().to_string();
    args.push(&out);
    args.extend_from_slice(extra);
    augur(&args)
}

/// A 400-step tiny run into `out`, returned once its first checkpoint is written.
fn run_until_first_checkpoint(config: &str, out: &Path) -> std::process::Child {
    let child = Command::new(binary("augur"))
        .args(["train", "--config", config, "--data", "scene:bounce", "--steps", "400", "--checkpoint-every", "2"])
        .args(["--device", "cpu", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let state = out.join("train-state.json");
    let start = Instant::now();
    while !state.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(state.exists(), "no checkpoint within a minute");
    std::thread::sleep(Duration::from_millis(150));
    child
}

fn steps_in(state: &Path) -> Vec<u64> {
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    state["history"].as_array().unwrap().iter().map(|h| h[0].as_u64().unwrap()).collect()
}

#[test]
fn training_killed_mid_run_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path());
    let out = dir.path().join("run");
    let mut child = run_until_first_checkpoint(&config, &out);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let _ = child.wait();
    let state = out.join("train-state.json");

    // A resumed run cannot change its architecture; it says what to do instead.
    // How far the killed run got is up to the machine's speed; the resumed run goes 6 further.
    let killed_at: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let total = (killed_at["step"].as_u64().unwrap() + 6).to_string();
    let refused = train(&config, &out, &total, &["--resume", "--decoder-sees-change"]);
    assert!(!refused.status.success());
    assert!(text(&refused).1.contains("drop --decoder-sees-change"), "{}", text(&refused).1);
    // Nor its settings; and a run started again without --resume would overwrite it.
    let refused = train(&config, &out, &total, &["--resume", "--lr", "0.5"]);
    assert!(text(&refused).1.contains("and --lr differs from them: drop it"), "{}", text(&refused).1);
    let refused = train(&config, &out, &total, &[]);
    assert!(text(&refused).1.contains("already holds a model in training; continue it with --resume"));
    let refused = train(&config, &dir.path().join("typo"), &total, &["--resume"]);
    assert!(text(&refused).1.contains("there is nothing to resume"), "{}", text(&refused).1);

    let done = train(&config, &out, &total, &["--resume"]);
    let (stdout, stderr) = text(&done);
    assert!(done.status.success(), "{stderr}");
    assert!(stdout.contains(&format!("trained {total} steps")), "{stdout}");
    let total: u64 = total.parse().unwrap();
    assert_eq!(steps_in(&state), (1..=total).collect::<Vec<_>>(), "the history continues without gaps or repeats");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    assert_eq!(card["training"]["commands"].as_array().unwrap().len(), 2, "both commands are in the card");
    assert!(out.join("loss.png").exists());
}

/// A rate too high makes the loss a NaN: the run stops and says how to train again.
#[test]
fn a_diverging_run_says_to_lower_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path());
    let out = train(&config, &dir.path().join("run"), "3", &["--lr", "1e8"]);
    let stderr = text(&out).1;
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("training diverged: the loss became") && stderr.contains("pass a smaller --lr"),
        "{stderr}"
    );
}

/// Ctrl-C lets the step under way finish and checkpoints it, wherever the checkpoint interval
/// stands, and says how to go on.
#[test]
fn training_interrupted_by_ctrl_c_checkpoints_the_step_it_was_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path());
    let out = dir.path().join("run");
    let child = run_until_first_checkpoint(&config, &out);
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let ended = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&ended.stderr);
    assert_eq!(ended.status.code(), Some(1), "{stderr}");
    let steps = steps_in(&out.join("train-state.json"));
    let last = *steps.last().unwrap();
    assert!(last < 400 && steps == (1..=last).collect::<Vec<_>>(), "{steps:?}");
    assert!(stderr.contains(&format!("interrupted after step {last}; its checkpoint in")), "{stderr}");
    assert!(stderr.contains("continue with `augur train --resume --out"), "{stderr}");

    let total = (last + 1).to_string();
    let done = train(&config, &out, &total, &["--resume"]);
    assert!(done.status.success(), "{}", text(&done).1);
    assert_eq!(steps_in(&out.join("train-state.json")), (1..=last + 1).collect::<Vec<_>>());
}

/// Ctrl-C while a latent bank is being encoded stops the encoding, and a new run that took no
/// step says it saved nothing.
#[test]
fn ctrl_c_while_encoding_a_bank_stops_it_and_says_nothing_was_saved() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path());
    let base = dir.path().join("base");
    assert!(train(&config, &base, "1", &[]).status.success());
    let out = dir.path().join("banked");
    let mut child = Command::new(binary("augur"))
        .args(["train", "--config", &config, "--data", "scene:bounce", "--steps", "2", "--device", "cpu"])
        .args(["--init", &base.join("model").display().to_string(), "--predictor-only", "--latent-bank", "20000"])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    // The first tenth of the bank is encoded: nine tenths are left when the signal comes.
    let first = lines.by_ref().find(|l| l.starts_with("encoding the latent bank")).expect("bank progress");
    assert_eq!(first, "encoding the latent bank: 2000/20000 clips");
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let rest: Vec<String> = lines.collect();
    assert_eq!(child.wait().unwrap().code(), Some(1), "{rest:?}");
    assert!(!rest.iter().any(|l| l.contains("20000/20000")), "the encoding ran to its end: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("interrupted before the first step; nothing was trained")), "{rest:?}");
    assert!(!out.join(augur_model::train::STATE_FILE).exists());
}
