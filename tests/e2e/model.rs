//! `augur eval` and `predict` as processes, with a tiny model trained here: evaluation writes
//! its tables and plots, a fine-tune widens the decoder to see change, prediction writes
//! per-step images and a side-by-side video that ffprobe reads, broken models are refused, and
//! the `headless` binary trains and evaluates from a frames file.

use std::path::Path;
use std::process::Command;

use augur_tests::{augur, binary, text};

use crate::training::{tiny_config, train};

#[test]
fn eval_and_predict_write_tables_images_and_a_video() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path());
    let run = dir.path().join("run");
    let trained = train(&config, &run, "4", &[]);
    assert!(trained.status.success(), "{}", text(&trained).1);
    let model = run.join("model").display().to_string();

    // A real clip with sound at 25 fps: a drifting grey and a tone every 0.6 s.
    let heard = dir.path().join("heard.mp4");
    let audio = Some(augur_capture::RecordAudio { sample_rate: 16_000 });
    let mut writer =
        augur_capture::RecordingWriter::create(&heard, 64, 64, 25, augur_capture::VideoCodec::H264, audio).unwrap();
    for k in 0..48usize {
        writer.push_rgb(&vec![(60 + 2 * k) as u8; 64 * 64 * 3], 64).unwrap();
        let tone = |n: usize| if k % 15 == 0 { (n as f32 * 0.4).sin() * 0.4 } else { 0.0 };
        writer.push_audio(&(0..640).map(tone).collect::<Vec<f32>>()).unwrap();
    }
    writer.finish().unwrap();
    let real = format!("file:{}", heard.display());

    let ev = dir.path().join("eval");
    let out = augur(&[
        "eval",
        "--model",
        &model,
        "--data",
        &real,
        "--windows",
        "4",
        "--clips",
        "4",
        "--pairs",
        "6",
        "--device",
        "cpu",
        "--out",
        &ev.display().to_string(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("| 2 |") && stdout.contains("Violation of expectation"), "{stdout}");
    // A clip with sound is scored twice: its pictures alone, then heard.
    assert!(stdout.contains(&format!("### {real} (4 clips)")), "{stdout}");
    assert!(stdout.contains(&format!("### {real} with its sound (4 clips)")), "{stdout}");
    // One whose sound no decoder reads is scored on its pictures, saying so (it was refused
    // with advice for training, and eval has no way to leave the sound out).
    let odd = format!("file:{}", concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/undecodable-sound.avi"));
    let ev_odd = dir.path().join("eval-odd").display().to_string();
    let base = ["eval", "--model", &model, "--data", &odd, "--windows", "1", "--clips", "1", "--pairs", "0"];
    let out = augur(&[&base[..], &["--device", "cpu", "--out", &ev_odd]].concat());
    let (odd_stdout, odd_stderr) = text(&out);
    assert!(out.status.success(), "{odd_stderr}");
    assert!(odd_stderr.contains("scored on its pictures alone"), "{odd_stderr}");
    assert!(odd_stdout.contains(&format!("### {odd} (")) && !odd_stdout.contains("with its sound"), "{odd_stdout}");
    // Predicting on it hears its own sound (unless told `--audio none`), and the side-by-side
    // video plays at its 25 fps.
    let predict_on = |source: &str, name: &str, extra: &[&str]| {
        let out_dir = dir.path().join(name);
        let base =
            ["predict", "--model", &model, "--source", source, "--steps", "20", "--video-only", "--device", "cpu"];
        let out = augur(&[&base[..], &["--out", &out_dir.display().to_string()], extra].concat());
        assert!(out.status.success(), "{}", text(&out).1);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("predictions.json")).unwrap()).unwrap();
        let surprise: Vec<f64> = v.as_array().unwrap().iter().map(|s| s["surprise"].as_f64().unwrap()).collect();
        (text(&out).1, surprise, augur_capture::count_media(&out_dir.join("side-by-side.mp4")).unwrap())
    };
    // The video carries the sound the model heard: 20 frames' worth, less the encoder's priming.
    let (said, own, media) = predict_on(&real, "pred-heard", &[]);
    assert!(said.contains("hearing the source's own sound (16000 Hz)"), "{said}");
    assert_eq!((media.fps, media.video_frames), (25.0, 20));
    assert!((0.7..=0.85).contains(&media.audio_seconds), "{media:?}");
    // At 12.5 fps the video keeps 12.5 (it was written at 13, and its sound outlasted its
    // pictures by 4 %), and a lavfi graph plays at its own rate, not 30.
    let slow = dir.path().join("slow.mp4");
    let at = augur_capture::FrameRate::nearest(12.5).unwrap();
    let mut writer =
        augur_capture::RecordingWriter::create(&slow, 64, 64, at, augur_capture::VideoCodec::H264, audio).unwrap();
    for k in 0..40usize {
        writer.push_rgb(&vec![(60 + 2 * k) as u8; 64 * 64 * 3], 64).unwrap();
        writer.push_audio(&(0..1280).map(|n| (n as f32 * 0.3).sin() * 0.3).collect::<Vec<f32>>()).unwrap();
    }
    writer.finish().unwrap();
    let (_, _, media) = predict_on(&format!("file:{}", slow.display()), "pred-slow", &[]);
    assert_eq!((media.fps, media.video_frames), (12.5, 20));
    assert!((media.audio_seconds - 20.0 / 12.5).abs() < 0.15, "{media:?}");
    // An earlier run's step folders in the same place go (they would read as this run's).
    std::fs::create_dir_all(dir.path().join("pred-lavfi/step-00099")).unwrap();
    let (_, _, media) = predict_on("lavfi:testsrc=size=64x64:rate=10", "pred-lavfi", &[]);
    assert_eq!((media.fps, media.video_frames), (10.0, 20));
    assert!(!dir.path().join("pred-lavfi/step-00099").exists(), "an old step folder was left");
    // A live source that reports 30 fps and delivers 15 (a camera in low light) plays at 15.
    let (_, _, media) = predict_on("lavfi:testsrc=size=64x64:rate=30,setpts=2*PTS", "pred-slow-camera", &[]);
    assert!((14.0..16.0).contains(&media.fps), "{media:?}");
    // A microphone is heard while the frames are read (services.sh plays a sine into it), and
    // the video carries what it heard beside them.
    if Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success()) {
        let (_, _, media) = predict_on("lavfi:testsrc=size=64x64:rate=10", "pred-mic", &["--audio", "mic:default"]);
        assert!((media.audio_seconds - 2.0).abs() < 0.15, "{media:?}");
    } else {
        augur_tests::skipping("predict with a microphone: no PulseAudio; run `. scripts/services.sh` first");
    }
    let (said, silent, media) = predict_on(&real, "pred-silent", &["--audio", "none"]);
    assert!(!said.contains("hearing"), "{said}");
    assert_eq!(media.audio_seconds, 0.0);
    assert_ne!(own, silent, "the file's sound made no difference");
    // A scene with sound is heard too: its knocks, as training hears them.
    let knocking = "scene:bounce?seed=5&sound=1&size=64x64";
    let (said, own, media) = predict_on(knocking, "pred-scene-heard", &[]);
    assert!(said.contains("hearing the scene's own sound"), "{said}");
    assert!(media.audio_seconds > 0.5, "{media:?}");
    let (said, silent, _) = predict_on(knocking, "pred-scene-silent", &["--audio", "none"]);
    assert!(!said.contains("hearing"), "{said}");
    assert_ne!(own, silent, "the scene's knocks made no difference");
    // In a log (not a terminal) the progress comes as whole lines, the last one complete.
    let progress: Vec<&str> = stderr.lines().filter(|l| l.contains("pairs and quadruplets")).collect();
    assert!(!stderr.contains('\r') && progress.last().is_some_and(|l| l.ends_with("/14")), "{stderr}");
    // Each stage says when it starts, so the minutes before the pairs are not silent.
    for stage in ["held-out scenes (4 clips)", "where the ball is, read from the latents (4 scenes)"] {
        assert!(stderr.contains(stage), "no {stage:?} in {stderr}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ev.join("eval.json")).unwrap()).unwrap();
    assert_eq!(report["scenes"]["rows"].as_array().unwrap().len(), 2);
    let voe = &report["voe"];
    assert_eq!(voe["pairs"].as_u64().unwrap() + voe["skipped_identical"].as_u64().unwrap(), 6);
    assert_eq!(voe["window_frames"].as_u64(), Some(3), "the window is the tiny model's context");
    for key in ["accuracy", "window_accuracy", "window_pixel_accuracy", "window_change_accuracy"] {
        let acc = voe[key].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&acc), "{key} = {acc}");
    }
    assert!(stdout.contains("first frames after they differ"), "{stdout}");
    // The latent probe reads the ball by twelve times as many one-ball scenes as it scores.
    let probe = &report["probe"];
    assert_eq!(probe["reference_clips"].as_u64(), Some(48), "{probe}");
    assert!(probe["reference_frames"].as_u64().is_some_and(|n| n > 0 && n <= 48 * 5), "{probe}");
    assert_eq!(probe["rows"].as_array().unwrap().len(), 2, "{probe}");
    for key in ["predicted_px", "true_latents_px", "copy_last_px"] {
        assert!(probe["rows"][1][key].as_f64().is_some_and(|d| d.is_finite() && d >= 0.0), "{key}: {probe}");
    }
    assert!(stdout.contains("Where the ball is, read from the latents (4 one-ball scenes scored)"), "{stdout}");
    // 6 pairs come with 2 quadruplets of each balanced design (and 2 hearing tests).
    for (design, heading) in [
        ("permanence", "Object permanence, balanced (2 quadruplets"),
        ("continuity", "Continuity, balanced (2 quadruplets"),
        ("solidity", "Solidity, balanced (2 quadruplets"),
        ("hearing", "Hearing a bounce, balanced (2 tests"),
    ] {
        let b = &voe[design];
        assert_eq!(b["quadruplets"].as_u64(), Some(2), "{design}: {b}");
        assert!(stdout.contains(heading), "{stdout}");
        for key in ["accuracy", "pixel_accuracy", "change_accuracy", "clear_wins"] {
            let both: Vec<f64> = b[key].as_array().unwrap().iter().filter_map(|v| v.as_f64()).collect();
            assert!(both.len() == 2 && both.iter().all(|a| (0.0..=1.0).contains(a)), "{design}.{key} = {both:?}");
        }
        assert!(b["margin"][0].as_f64().is_some_and(f64::is_finite), "{design}: {b}");
    }
    // Permanence and continuity show every frame once as possible and once as impossible, so a
    // signal with no memory (the copy-last change) cannot tell them apart: exactly 50 %; the
    // hearing tests' clips are the same pictures. Solidity's motions are balanced too, but the
    // sinking ball crosses the floor band, so the pixel change is not: no fixed figure for it.
    for design in ["permanence", "continuity", "hearing"] {
        assert_eq!(voe[design]["change_accuracy"][0].as_f64(), Some(0.5), "{design}: {}", voe[design]);
    }
    assert!(stdout.contains("Margin of the latent surprise"), "{stdout}");
    for kind in ["vanish", "teleport", "passthrough", "permanence-4", "continuity-4", "solidity-4", "hearing"] {
        assert!(ev.join(format!("voe-{kind}.png")).exists(), "no voe-{kind}.png");
    }
    for key in ["truth_decoded_mse", "copy_latent_error"] {
        assert!(report["scenes"]["rows"][1][key].as_f64().unwrap() > 0.0, "{key}: {}", report["scenes"]);
    }
    // The filmstrip: labels, then the last frame and 2 steps in 96 px tiles; 3 clips of 3 rows.
    let png = std::fs::read(ev.join("rollouts.png")).unwrap();
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (112 + 3 * 96, 18 + 3 * (3 * 96 + 10)), "rollouts.png size");

    // A fine-tune whose decoder also sees the change; `predict` below draws through it.
    let tuned = dir.path().join("tuned");
    let out = train(&config, &tuned, "2", &["--init", &model, "--decoder-sees-change"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tuned.join("model.json")).unwrap()).unwrap();
    assert_eq!(card["config"]["decoder_sees_change"], serde_json::json!(true));
    assert_eq!(card["training"]["fine_tuned_from"].as_str(), Some(model.as_str()));
    let tuned = tuned.join("model").display().to_string();
    // The predictor alone, on a latent bank: the bank's encoding shows its progress first.
    let banked = dir.path().join("banked");
    let out = train(&config, &banked, "2", &["--init", &model, "--predictor-only", "--latent-bank", "20"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("encoding the latent bank: 20/20 clips"), "{stderr}");
    assert!(stdout.contains("trained 2 steps"), "{stdout}");

    let pred = dir.path().join("pred");
    let out = augur(&[
        "predict",
        "--model",
        &tuned,
        "--source",
        "scene:bounce?seed=3",
        "--steps",
        "10",
        "--device",
        "cpu",
        "--out",
        &pred.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let step = pred.join("step-00003");
    for file in ["input.png", "pred-01.png", "pred-02.png", "heatmap.png", "latent.f32"] {
        assert!(step.join(file).exists(), "{file} missing");
    }
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(pred.join("side-by-side.mp4"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "h264,10");

    // Sound feeds the audio token and changes what the model sees.
    let tone = dir.path().join("tone.wav");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=600:duration=1", "-ar", "16000"])
        .arg(&tone)
        .status()
        .unwrap();
    assert!(made.success());
    let heard = dir.path().join("heard");
    let audio = format!("audiofile:{}", tone.display());
    let out = augur(&[
        "predict",
        "--model",
        &model,
        "--source",
        "scene:bounce?seed=3",
        "--audio",
        &audio,
        "--steps",
        "4",
        "--video-only",
        "--device",
        "cpu",
        "--out",
        &heard.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let surprise = |dir: &Path| -> Vec<f64> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("predictions.json")).unwrap()).unwrap();
        v.as_array().unwrap().iter().take(4).map(|s| s["surprise"].as_f64().unwrap()).collect()
    };
    assert_ne!(surprise(&heard), surprise(&pred), "the audio token made no difference");
}

#[test]
fn a_missing_or_broken_model_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = augur(&["eval", "--model", &dir.path().join("none").display().to_string(), "--device", "cpu"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot read the model card") && !stderr.contains("panicked"), "{stderr}");
    let out = augur(&["predict", "--model", "x", "--source", "scene:nope", "--out", "y", "--device", "cpu"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot load the model at x") && !stderr.contains("panicked"), "{stderr}");

    // The bundled model loads; out-of-range settings and the wrong kind of source are refused.
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64");
    let y = dir.path().join("y").display().to_string();
    let out = augur(&["predict", "--model", bundled, "--source", "scene:nope", "--out", &y, "--device", "cpu"]);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("unknown scene \"nope\"") && !stderr.contains("panicked"), "{stderr}");
    let out = augur(&["eval", "--model", bundled, "--horizon", "99", "--device", "cpu"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("--horizon must be 1 to 32"), "{}", text(&out).1);
    let out = augur(&["eval", "--model", bundled, "--clips", "0", "--device", "cpu"]);
    assert!(text(&out).1.contains("--clips and --windows must be at least 1"), "{}", text(&out).1);
    // Counts past what fits in memory (the probe keeps twelve reference clips per clip).
    let out = augur(&["eval", "--model", bundled, "--clips", "100000", "--device", "cpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("0..=512"), "{}", text(&out).1);
    // An output folder that cannot be made is refused before minutes of work, its reason said
    // once (the evaluation ran, then failed with "File exists: File exists").
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, b"").unwrap();
    let a_file = a_file.display().to_string();
    for args in
        [&["eval", "--model", bundled, "--clips", "1", "--pairs", "0"][..], &["bench", "live", "--seconds", "5"]]
    {
        let out = augur(&[args, &["--out", &a_file, "--device", "cpu"]].concat());
        let said = text(&out).1;
        assert!(said.contains("cannot make the output folder") && said.matches("os error").count() == 1, "{said}");
        assert!(!said.contains("evaluating on") && !said.contains("held-out scenes"), "{said}");
    }
    let out_dir = dir.path().join("p").display().to_string();
    let args =
        ["predict", "--model", bundled, "--source", "scene:bounce", "--audio", "scene:bounce", "--out", &out_dir];
    let out = augur(&[&args[..], &["--device", "cpu"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("a sound source (mic:…, audiofile:…) is needed"), "{}", text(&out).1);
    let predict = |extra: &[&str]| {
        let out = augur(&[&args[..5], &["--out", &out_dir, "--device", "cpu"], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        text(&out).1
    };
    assert!(predict(&["--steps", "0"]).contains("pass 1 to 108000"));
    assert!(predict(&["--steps", "18446744073709551615"]).contains("pass 1 to 108000"));
    // A video whose sound no decoder reads: the error says how to go on without it, and that works.
    let odd = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/undecodable-sound.avi");
    let odd_source = format!("file:{odd}");
    let odd_args = ["predict", "--model", bundled, "--source", &odd_source, "--out", &out_dir, "--steps", "1"];
    let out = augur(&[&odd_args[..], &["--device", "cpu"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("cannot be decoded (no decoder for its audio codec")
            && text(&out).1.contains("--audio none"),
        "{}",
        text(&out).1
    );
    let out = augur(&[&odd_args[..], &["--audio", "none", "--video-only", "--device", "cpu"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(predict(&["--panel", "100000"]).contains("each at most 2048 px"));

    // Training settings that cannot work are refused before any training starts.
    let train = |extra: &[&str]| {
        let base = ["train", "--data", "scene:bounce", "--out", &out_dir, "--steps", "1", "--device", "cpu"];
        let out = augur(&[&base[..], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        text(&out).1
    };
    // A source too short for a clip is refused before the first step, however rarely drawn.
    let short = dir.path().join("short.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-frames:v", "4"])
        .arg(&short)
        .status()
        .unwrap();
    assert!(made.success());
    let rare = format!("file:{}@0.001", short.display());
    assert!(train(&["--data", &rare]).contains("has 4 frames, fewer than the"));
    let zero = dir.path().join("zero").display().to_string();
    let out = augur(&["train", "--data", "scene:bounce@0", "--out", &zero, "--steps", "1", "--device", "cpu"]);
    assert!(text(&out).1.contains("every --data has weight 0"), "{}", text(&out).1);
    assert!(train(&["--decoder-only"]).contains("add --init MODEL"));
    assert!(train(&["--mask-loss=-1"]).contains("--mask-loss must be a number ≥ 0"));
    assert!(train(&["--predictor-only"]).contains("add --init MODEL"));
    assert!(train(&["--motion-weight=-1"]).contains("--motion-weight must be a number ≥ 0"));
    assert!(train(&["--reach-loss=-1"]).contains("--reach-loss must be a number ≥ 0"));
    assert!(train(&["--audio-loss=-1"]).contains("--audio-loss must be a number ≥ 0"));
    assert!(train(&["--reach-loss", "1"]).contains("does not warp: add --decoder-warps"));
    assert!(train(&["--decoder-coarse-flow"]).contains("needs decoder_warps"));
    assert!(train(&["--init", bundled, "--decoder-only", "--decoder-coarse-flow"]).contains("add --decoder-warps"));
    let both = ["--init", bundled, "--decoder-only", "--predictor-only"];
    assert!(train(&both).contains("pick one"));
    assert!(train(&["--new-predictor"]).contains("add --init MODEL"));
    assert!(train(&["--init", bundled, "--decoder-only", "--new-predictor"]).contains("pick one"));
    assert!(
        train(&["--resume", "--new-predictor"])
            .contains("--new-predictor, --grow-predictor and --latent-bank, or start a new run")
    );
    assert!(train(&["--stop-after", "5"]).contains("stop_after must be a step after 0 (done) and at most 1"));
    assert!(train(&["--resume", "--latent-bank", "64"]).contains("--latent-bank, or start a new run"));
    assert!(train(&["--init", bundled, "--latent-bank", "64"]).contains("add --predictor-only"));
    assert!(train(&["--init", bundled, "--predictor-only", "--latent-bank", "0"]).contains("holds 1 to"));
    assert!(train(&["--grow-predictor", "4"]).contains("add --init MODEL"));
    assert!(train(&["--init", bundled, "--grow-predictor", "4", "--new-predictor"]).contains("pick one"));
    assert!(train(&["--init", bundled, "--grow-predictor", "2"]).contains("ask for 3 to 32 layers, not 2"));
    assert!(train(&["--resume", "--predictor-sees-motion"]).contains("drop --decoder-sees-change"));
    assert!(train(&["--resume", "--decoder-warps"]).contains("drop --decoder-sees-change, --decoder-warps"));
    // A time budget is a positive number of minutes, and replaces --steps rather than joining it.
    let out = augur(&["train", "--data", "scene:bounce", "--out", &out_dir, "--minutes", "0", "--device", "cpu"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("--minutes must be a positive number"), "{}", text(&out).1);
    let out = augur(&["train", "--data", "scene:bounce", "--out", &out_dir, "--minutes", "1", "--steps", "5"]);
    assert!(text(&out).1.contains("cannot be used with"), "{}", text(&out).1);
}

/// The headless trainer for GPU boxes: it links neither ffmpeg nor ALSA, trains on scenes plus
/// a real clip decoded here by `export_frames`, and evaluates into the card.
#[test]
fn headless_trains_and_evaluates_from_a_frames_file_without_ffmpeg() {
    let headless = binary("examples/headless");
    let export = binary("examples/export_frames");
    let ldd = Command::new("ldd").arg(&headless).output().unwrap();
    let libs = String::from_utf8_lossy(&ldd.stdout);
    assert!(ldd.status.success(), "{libs}");
    for lib in ["libavcodec", "libavformat", "libavutil", "libswscale", "libasound"] {
        assert!(!libs.contains(lib), "headless links {lib}:\n{libs}");
    }

    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "3", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let frames = dir.path().join("clip.frames.safetensors");
    let given = format!("file:{}", clip.display());
    let out = run(&export, &["32", &frames.display().to_string(), &given]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("30 frames"), "{:?}", text(&out));

    let config = tiny_config(dir.path());
    let model = dir.path().join("run");
    let weighted = format!("{}@0.5", frames.display());
    let args = ["train", &model.display().to_string(), "--config", &config, "--data", "scene:bounce@0.5"];
    let out = run(&headless, &[&args[..], &["--data", &weighted, "--minutes", "0.05", "--device", "cpu"]].concat());
    assert!(out.status.success(), "{:?}", text(&out));
    let card = augur_model::checkpoint::load_card(&model.join("model")).unwrap();
    let training = card.training.unwrap();
    // The budget, not the config's 2000 steps, set the count, and the card records it.
    assert!(training.steps_done < 2000 && training.steps_done == training.config.steps, "{training:?}");
    // The real clip is recorded under its own name, not the frames file's.
    assert!(training.data.iter().any(|d| d.starts_with(&given)), "{:?}", training.data);
    // Run again from the card's config, which carries a budget (cut here to half a second, far
    // less than 20 steps take), an explicit --steps wins.
    let again = dir.path().join("again.json");
    let mut json = serde_json::to_value(&training.config).unwrap();
    json["time_budget_s"] = serde_json::json!(0.5);
    std::fs::write(&again, json.to_string()).unwrap();
    let out = train(&again.display().to_string(), &dir.path().join("again"), "20", &[]);
    assert!(out.status.success(), "{:?}", text(&out));
    let card = augur_model::checkpoint::load_card(&dir.path().join("again/model")).unwrap();
    assert_eq!(card.training.unwrap().steps_done, 20, "--steps lost to the config's time budget");

    let base = model.join("model").display().to_string();
    let real = frames.display().to_string();
    let out = run(&headless, &["eval", &base, "--real", &real, "--pairs", "3", "--device", "cpu"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let eval = augur_model::checkpoint::load_card(&model.join("model")).unwrap().eval.unwrap();
    assert_eq!(eval["real"][0]["data"], serde_json::json!(given), "{eval}");
    assert!(eval["scenes"]["rows"][0]["copy_mse"].as_f64().unwrap() > 0.0);
    // And the report `augur eval` writes, beside the model.
    let md = std::fs::read_to_string(model.join("model.eval/eval.md")).unwrap();
    assert!(md.contains(&format!("### {given} (")) && model.join("model.eval/voe-vanish.png").exists(), "{md}");
    assert!(model.join("model.eval/rollouts.png").exists());
    // Frames at another size than the model's are refused, saying which size to write.
    let big = dir.path().join("clip64.frames.safetensors");
    assert!(run(&export, &["64", &big.display().to_string(), &given]).status.success());
    let out = run(&headless, &["eval", &base, "--real", &big.display().to_string(), "--pairs", "3", "--device", "cpu"]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("holds 64px frames; the model takes 32px"), "{:?}", text(&out));

    // A missing frames file is refused, naming it.
    let out = run(&headless, &["train", &model.display().to_string(), "--config", &config, "--data", "/nonexistent"]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("/nonexistent"), "{:?}", text(&out));
}

fn run(program: &Path, args: &[&str]) -> std::process::Output {
    Command::new(program).args(args).output().unwrap()
}
