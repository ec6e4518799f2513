//! The `augur` command line, run as a process.

use augur_tests::{augur, text};

#[test]
fn probe_lavfi_reports_negotiated_format_rate_and_latency() {
    let out = augur(&["probe", "lavfi:testsrc=size=320x240:rate=30", "--seconds", "2", "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let v = &r["video"];
    assert_eq!(v["negotiated"]["width"], 320);
    assert_eq!(v["negotiated"]["height"], 240);
    let fps = v["delivered_fps"].as_f64().unwrap();
    assert!((20.0..40.0).contains(&fps), "delivered {fps} fps from a 30 fps source");
    let latency = v["latency_ms_p50"].as_f64().unwrap();
    assert!(latency > 0.0 && latency < 1000.0, "capture-to-consumer latency {latency} ms");
}

#[test]
fn probe_scene_with_a_slow_consumer_counts_skipped_frames() {
    let out =
        augur(&["probe", "scene:bounce?size=160x120&fps=60", "--seconds", "1.5", "--consumer-ms", "50", "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(r["video"]["frames_skipped"].as_u64().unwrap() > 10, "{stdout}");
}

#[test]
fn probe_stops_at_the_end_of_a_sound_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("two-seconds.wav");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .arg(&wav)
        .status()
        .unwrap();
    assert!(made.success());
    let out = augur(&["probe", &format!("audiofile:{}", wav.display()), "--seconds", "30", "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // It listened for the file's 2 s, not the 30 asked for, and said the source ended.
    assert!(r["seconds"].as_f64().unwrap() < 10.0, "{stdout}");
    assert_eq!(r["audio"]["ended"], "finished", "{stdout}");
    assert!((r["audio"]["samples"].as_u64().unwrap() as i64 - 88_200).abs() < 4_410, "{stdout}");
}

#[test]
fn benchmarks_refuse_settings_that_measure_nothing() {
    // No training step timed would print a rate of 0.0 clips/s.
    let out = augur(&["bench", "model", "--train-steps", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("--train-steps"), "{}", text(&out).1);
}

#[test]
fn bench_record_counts_frames_at_the_sources_own_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().display().to_string();
    let source = "lavfi:testsrc=size=160x120:rate=10";
    let out = augur(&["bench", "record", "--seconds", "2", "--source", source, "--out", &out_dir]);
    assert!(out.status.success(), "{}", text(&out).1);
    let runs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("record.json")).unwrap()).unwrap();
    // 2 s at 10 fps is 20 frames for both tools (it was counted at 30: 60 expected, 40 "dropped").
    for run in runs.as_array().unwrap() {
        assert_eq!(run["expected_frames"], 20, "{run}");
        assert!(run["dropped_frames"].as_i64().unwrap().abs() <= 1, "{run}");
    }
}

#[test]
fn probe_text_output_is_readable() {
    let out = augur(&["probe", "scene:bounce?size=64x64", "--seconds", "0.5"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("64x64") && stdout.contains("latency") && stdout.contains("fps"), "{stdout}");
    // `--mic none` is no microphone, as for `run` and `record` (it was read as a source name).
    let out = augur(&["probe", "scene:bounce?size=64x64", "--seconds", "0.5", "--mic", "none"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success() && !stdout.contains("audio"), "{stdout}{stderr}");
}

#[test]
fn bad_source_names_show_the_accepted_forms() {
    let out = augur(&["probe", "webcam0"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("Accepted forms") && stderr.contains("camera:0"), "{stderr}");
}

#[test]
fn probing_a_missing_camera_fails_cleanly() {
    let out = augur(&["probe", "camera:/dev/video77", "--seconds", "1"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no such device"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn probing_a_camera_that_goes_away_reports_it() {
    let out = augur(&["probe", "camera:testsrc=size=64x48:rate=30:duration=0.5?driver=lavfi", "--seconds", "3"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("stopped delivering"), "{stderr}");
    assert!(stdout.contains("frames"), "the figures up to the failure are still printed: {stdout}");
}

#[test]
fn devices_lists_all_three_kinds() {
    let out = augur(&["devices", "--json"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(r["cameras"].is_array() && r["gpu_adapters"].is_array());
    assert!(r["microphones"].is_array() || r["microphones"]["error"].is_string());
    let pulse = std::process::Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success());
    if pulse {
        let mics = r["microphones"].as_array().unwrap();
        assert!(mics.iter().any(|m| m["is_default"] == true), "the default microphone is listed: {mics:?}");
    } else {
        augur_tests::skipping("listing the default microphone: no PulseAudio");
    }
    let text_out = augur(&["devices"]);
    let (t, _) = text(&text_out);
    assert!(t.contains("Cameras:") && t.contains("Microphones:") && t.contains("GPU adapters:"), "{t}");
}

#[test]
fn gpu_info_runs_burn_on_the_shared_device() {
    let out = augur(&["gpu-info"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("burn"), "{stdout}");
}

#[test]
fn run_without_a_display_or_camera_falls_back_and_says_so() {
    let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
    // From the repository root, as scripts/start.sh runs it: the bundled model is found.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    cmd.args(["run", "--seconds", "2.5", "--mic", "none"]).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    // A headless server often has no XDG_RUNTIME_DIR either: Mesa's device-select layer then
    // made libwayland print error lines, which augur turns off.
    cmd.env_remove("XDG_RUNTIME_DIR");
    cmd.current_dir(root);
    let out = augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("No display found"), "{stdout}");
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    if augur_capture::list_cameras().is_empty() {
        assert!(stdout.contains("No camera found"), "{stdout}");
    }
    assert!(stdout.contains(" fps"), "headless mode prints live figures: {stdout}");
    assert!(stdout.contains(&format!("predicting with {}", augur_model::DEFAULT_MODEL_PATH)), "{stdout}");
    // On the CPU the live horizon is cut to 4, and the notice says how to ask for the model's.
    if stdout.contains("running the model on the CPU") {
        assert!(stdout.contains("(or start with --horizon 8)"), "{stdout}");
    }
    // A horizon the model cannot reach is refused, saying what it can.
    let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
    cmd.args(["run", "--seconds", "1", "--mic", "none", "--horizon", "99"]);
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").current_dir(root);
    let out = augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(60));
    assert!(!out.status.success() && text(&out).1.contains("the horizon must be 1 to 32"), "{:?}", text(&out));
    assert!(text(&out).1.contains("pass --horizon between 1 and 32"), "{:?}", text(&out));
    // A model named that cannot be loaded is an error with its reason, not a silent fallback.
    let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
    cmd.args(["run", "--seconds", "1", "--mic", "none", "--model", "/nonexistent/model"]);
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").current_dir(root);
    let out = augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(60));
    assert!(!out.status.success() && text(&out).1.contains("/nonexistent/model.json"), "{:?}", text(&out));
}

#[test]
fn bench_window_without_a_display_says_how_to_get_one() {
    let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
    cmd.args(["bench", "window", "--seconds", "5"]).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let out = augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(30));
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("No display found") && stderr.contains("scripts/services.sh"), "{stderr}");
    let out = augur(&["bench", "window", "--seconds", "0.5"]);
    assert!(text(&out).1.contains("--seconds must be between 1 and 7200"), "{}", text(&out).1);
}

#[test]
fn bench_live_on_a_source_that_gives_nothing_says_why_and_writes_no_table() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("results");
    let bench = |source: &str| {
        let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
        cmd.args(["bench", "live", "--seconds", "5", "--horizons", "4", "--device", "cpu", "--source", source]);
        cmd.arg("--out").arg(&out).current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(120))
    };
    // A missing file: the source's own error, with what to check.
    let missing = bench("file:/nonexistent/clip.mp4");
    let stderr = text(&missing).1;
    assert!(!missing.status.success(), "{stderr}");
    assert!(stderr.contains("the model made no prediction in 5 s (the source failed:"), "{stderr}");
    assert!(stderr.contains("check the path") && stderr.contains("no table written"), "{stderr}");
    // A source that ends after three frames: too few for the model's context.
    let short = bench("lavfi:testsrc=duration=0.1:size=64x64:rate=30");
    assert!(!short.status.success());
    assert!(text(&short).1.contains("the source ended before the model had seen enough frames"), "{}", text(&short).1);
    assert!(!out.exists(), "a refused benchmark wrote its folder");
}

#[test]
fn bench_live_measures_a_source_and_writes_its_table() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("results");
    let mut cmd = std::process::Command::new(augur_tests::binary("augur"));
    let source = "scene:bounce?size=96x64";
    cmd.args(["bench", "live", "--seconds", "5", "--horizons", "4", "--device", "cpu", "--source", source]);
    cmd.arg("--out").arg(&out).current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let run = augur_tests::run_with_deadline(cmd, std::time::Duration::from_secs(120));
    let (stdout, stderr) = text(&run);
    assert!(run.status.success(), "{stderr}");
    assert!(stdout.contains("| source | H | preview fps | predictions Hz"), "{stdout}");
    let table = std::fs::read_to_string(out.join("live.md")).unwrap();
    assert!(table.contains(&format!("| `{source}` | 4 |")), "{table}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("live.json")).unwrap()).unwrap();
    let stats = &rows[0]["stats"];
    let hz = stats["prediction_hz"].as_f64().unwrap();
    assert!(hz > 0.0 && hz < 1000.0 && stats["predicted"].as_u64().unwrap() >= 1, "{rows}");
    let fps = stats["preview_fps"].as_f64().unwrap();
    assert!((10.0..=40.0).contains(&fps), "the scene runs at 30 fps, previewed at {fps}: {rows}");
    assert!(rows[0]["rss_mb"].as_f64().unwrap() > 1.0, "{rows}");
}
