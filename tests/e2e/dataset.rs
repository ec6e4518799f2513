//! `augur record` and `augur dataset` as processes: three episodes from the scene with a sine
//! on the microphone and keys pressed, one killed with SIGKILL mid-way and repaired, then the
//! dataset read back by pyarrow, pandas and ffprobe (tests/python/check_dataset.py).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use augur_model::{ModelConfig, TrainConfig};
use augur_tests::{augur, binary, text};
use burn::config::Config as _;

const SOURCE: &str = "scene:bounce?size=96x64&fps=15";

/// The microphone: PulseAudio's default source (the sine scripts/services.sh plays) when the
/// daemon runs, else a sine file paced like a microphone.
fn microphone(dir: &Path) -> String {
    let pulse = Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success());
    if pulse {
        return "mic:default".into();
    }
    augur_tests::skipping("the microphone: no PulseAudio here, so it is a sine file paced in real time");
    let wav = dir.join("sine.wav");
    let ok = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=60",
        ])
        .arg(&wav)
        .status()
        .unwrap();
    assert!(ok.success());
    format!("audiofile:{}", wav.display())
}

/// The Python with pyarrow and pandas that `scripts/python-env.sh` makes (check.sh sources it).
fn python() -> String {
    std::env::var("AUGUR_PYTHON").unwrap_or_else(|_| {
        augur_tests::skipping("AUGUR_PYTHON: reading with the system python3, which may lack pandas");
        "python3".into()
    })
}

#[test]
fn record_kill_repair_and_read_back_with_other_tools() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let ds_s = ds.display().to_string();
    let mic = microphone(dir.path());
    let common = ["--source", SOURCE, "--mic", &mic, "--out", &ds_s, "--action-keys", "space,left"];

    let mut args = vec!["record"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--task", "watch the ball", "--episodes", "2", "--episode-seconds", "2"]);
    args.extend_from_slice(&["--keys-from", "space@0.2-0.8,left@1.0-1.6"]);
    let out = augur(&args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("episode 1 (2/2): 30 frames"), "{stdout}");

    // The third episode is killed after at least two seconds reached the disk.
    let mut child = Command::new(binary("augur"))
        .arg("record")
        .args(common)
        .args(["--task", "killed mid-way", "--episode-seconds", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let staging = ds.join(".recording/episode-000002");
    let start = Instant::now();
    let segments = || {
        std::fs::read_dir(&staging)
            .map_or(0, |d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "parquet")).count())
    };
    while segments() < 2 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    let _ = child.wait();
    assert!(segments() >= 2, "the killed recorder wrote no complete second");

    let out = augur(&["dataset", "validate", &ds_s]);
    assert!(!out.status.success());
    assert!(text(&out).0.contains("augur dataset repair"), "{}", text(&out).0);

    let out = augur(&["dataset", "repair", &ds_s]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("episode 2: recovered"), "{stdout}");

    let out = augur(&["dataset", "validate", &ds_s]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("valid LeRobot v3.0 dataset, 3 episodes"), "{stdout}");
    let out = augur(&["dataset", "info", &ds_s]);
    assert!(text(&out).0.contains("recovered after a crash"), "{}", text(&out).0);
    // Stats that went missing are written again from the rows, and printed.
    std::fs::remove_file(ds.join("meta/stats.json")).unwrap();
    let out = augur(&["dataset", "stats", &ds_s]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success() && stderr.contains("wrote") && ds.join("meta/stats.json").is_file(), "{stderr}");
    let stats: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stats["episode_index"]["max"][0], 2.0, "{stdout}");
    assert_eq!(stats["frame_index"]["min"][0], 0.0, "{stdout}");
    assert!(stats["frame_index"]["count"][0].as_u64().unwrap() >= 60, "{stdout}");

    let check = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/python/check_dataset.py"))
        .arg(&ds)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&check);
    assert!(check.status.success(), "pyarrow/ffprobe check failed: {stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let episodes = summary["episodes"].as_array().unwrap();
    assert_eq!(episodes.len(), 3, "{summary}");
    assert_eq!(episodes[0]["rows"], 30);
    assert_eq!(episodes[0]["audio"], "aac");
    // space for 0.6 s and left for 0.6 s at 15 fps: 18 frames with a key held.
    assert_eq!(episodes[1]["actions_pressed"], 18, "{summary}");
    assert_eq!(episodes[2]["recovered"], true);
    let recovered = episodes[2]["rows"].as_u64().unwrap();
    assert!(recovered >= 30 && recovered.is_multiple_of(15), "whole seconds are recovered: {recovered}");
    assert_eq!(summary["tasks"], serde_json::json!(["watch the ball", "killed mid-way"]));

    // Replay a recorded episode as a source: the model predicts on it like on a camera.
    let pred = dir.path().join("pred").display().to_string();
    let source = format!("dataset:{ds_s}?episode=2");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64");
    let out = augur(&[
        "predict",
        "--model",
        model,
        "--source",
        &source,
        "--out",
        &pred,
        "--steps",
        "6",
        "--video-only",
        "--device",
        "cpu",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("6 steps written"), "{stdout}");
    // The bundled model fades: each step records the share of its guess each step ahead kept,
    // all of it on the first step (nothing to judge by yet).
    let records: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{pred}/predictions.json")).unwrap()).unwrap();
    let kept: Vec<Vec<f64>> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kept"].as_array().unwrap().iter().map(|k| k.as_f64().unwrap()).collect())
        .collect();
    assert!(kept[0].iter().all(|k| *k == 1.0), "{kept:?}");
    assert!(kept.iter().all(|step| step.len() == 8 && step.iter().all(|k| (0.0..=1.0).contains(k))), "{kept:?}");

    // Fine-tune the bundled model on the recording: clips come from inside episodes, never
    // across two.
    let config = dir.path().join("tiny.json");
    TrainConfig::new(ModelConfig::tiny()).with_batch_size(2).with_warmup_steps(1).save(&config).unwrap();
    let data = format!("dataset:{ds_s}");
    let run = dir.path().join("run").display().to_string();
    let args = ["train", "--config", config.to_str().unwrap(), "--data", &data, "--steps", "2", "--device", "cpu"];
    let out = augur(&[&args[..], &["--out", &run, "--init", model]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("trained 2 steps"), "{stdout}");
    // Episodes recorded with a microphone are heard in training.
    assert!(
        stderr.contains(&format!("augur: data: {data} (3 episodes,")) && stderr.contains("with sound)"),
        "{stderr}"
    );
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/model.json")).unwrap()).unwrap();
    let training = &card["training"];
    assert!(training["data"][0].as_str().unwrap().starts_with("dataset:"), "the card records the dataset: {card}");
    assert!(training["fine_tuned_from"].as_str().unwrap().ends_with("bounce-64"), "{card}");
    let bundled: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{model}.json")).unwrap()).unwrap();
    // Compared as configs: a setting added since the bundled card was written reads as its default.
    let config_of = |v: &serde_json::Value| serde_json::from_value::<ModelConfig>(v["config"].clone()).unwrap();
    assert_eq!(config_of(&card), config_of(&bundled), "a fine-tune keeps the architecture it starts from");
    let out = augur(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--data",
        &format!("{data}?episode=9"),
        "--steps",
        "1",
        "--out",
        &format!("{run}-again"),
    ]);
    assert!(text(&out).1.contains("no episode 9"), "{}", text(&out).1);
}

#[test]
fn recording_refuses_bad_arguments_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds").display().to_string();
    let base = ["record", "--out", &ds, "--task", "t"];
    let cases: [(&[&str], &str); 9] = [
        (&["--source", SOURCE, "--episode-seconds", "0"], "--episode-seconds must be"),
        (&["--source", SOURCE, "--action-keys", "a", "--keys-from", "b@0-1"], "not one of the --action-keys"),
        (&["--source", "scene:nope"], "unknown scene"),
        (&["--source", SOURCE, "--mic", "audiofile:/no/such.wav"], "does not exist"),
        (&["--source", SOURCE, "--codec", "vp9"], "--codec \"vp9\": record with --codec h264 or --codec av1"),
        (&["--source", SOURCE, "--action-keys", "space,,left"], "\"\" is not a key name"),
        (&["--source", SOURCE, "--action-keys", "a,b,a"], "\"a\" is named twice"),
        // No gamepad on a CI machine: said before anything is recorded.
        (&["--source", SOURCE, "--gamepad"], "--gamepad: "),
        // Frames faster than any encoder: refused, not recorded with frames lost from the start.
        (&["--source", "scene:bounce?size=64x64&pace=fast"], "record it at its own rate, without pace=fast"),
    ];
    for (extra, expect) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = augur(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expect) && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let out = augur(&["dataset", "validate", dir.path().to_str().unwrap()]);
    assert!(text(&out).1.contains("no meta/info.json"), "{}", text(&out).1);
}

/// Unmounts the small disk when the test ends, however it ends.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_recording_cleanly_and_keeps_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("small-disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=12m", "tmpfs"]).arg(&disk).output();
    if !mounted.is_ok_and(|o| o.status.success()) {
        eprintln!("NOTICE: cannot mount a 12 MB tmpfs here (needs root, as in CI); the full-disk test did not run");
        return;
    }
    let _guard = Mounted(disk.clone());
    let ds = disk.join("ds").display().to_string();
    // Noise defeats compression: about 2 MB/s, so the 12 MB disk fills within seconds.
    let source = "lavfi:testsrc2=size=640x480:rate=30,noise=alls=60:allf=t";
    let out = augur(&[
        "record",
        "--source",
        source,
        "--out",
        &ds,
        "--task",
        "fill",
        "--episodes",
        "3",
        "--episode-seconds",
        "30",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nearly full") && stderr.contains("keeps"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let out = augur(&["dataset", "validate", &ds]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "what was written stays valid: {stdout}{stderr}");
    assert!(stdout.contains("1 episodes"), "{stdout}");
}
