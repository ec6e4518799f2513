//! Live sessions with the bundled model on the CPU: predictions arrive from a scene, pause and
//! what-if rollouts work, the trajectory has one point per moment, steering changes the
//! picture, and a source that fails is reopened with the timeline kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use augur_engine::{Session, SessionConfig, SourceStatus, WhatIf};
use augur_model::DeviceChoice;

fn config(source: &str) -> SessionConfig {
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/bounce-64");
    SessionConfig { device: DeviceChoice::Cpu, horizon: Some(8), ..SessionConfig::new(Some(source), model) }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_scene_session_predicts_pauses_and_rolls_out_what_ifs() {
    let s = Session::start(config("scene:bounce?size=96x96&fps=15&seed=3")).unwrap();
    // Named once the model is loaded, which start waits for (bench live reports it).
    assert!(s.device_name().starts_with("cpu"), "{:?}", s.device_name());
    wait_for("12 moments", Duration::from_secs(90), || s.timeline_len() >= 12);
    let m = s.latest().unwrap();
    let px = 64 * 64 * 3;
    assert_eq!(m.input.len(), px);
    assert_eq!(m.predicted.len(), 8 * px, "H = 8 predicted frames");
    assert_eq!(m.predicted_pooled.len(), 8);
    assert!(m.surprise.is_finite() && m.surprise >= 0.0);
    let trace = s.surprise_trace();
    assert!(trace[0].1.is_nan(), "the first moment has no earlier prediction");
    // Rates count the last 2 s: measured before 2 s of frames have come (a fast model makes
    // 12 moments in about one) they read low. 40 frames at 15 fps fill the window.
    wait_for("40 frames", Duration::from_secs(60), || s.stats().frames >= 40);
    let stats = s.stats();
    assert!(stats.preview_fps > 8.0, "{stats:?}");
    assert!(stats.prediction_hz > 0.0 && stats.latency_p50_ms.is_finite(), "{stats:?}");
    assert_eq!(stats.source_dropped, 0, "{stats:?}");

    // Pause: the timeline stops at once (a step in flight is not added after), the preview
    // goes on.
    s.pause();
    let (held, preview) = (s.span(), s.preview().unwrap().index);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(s.span(), held, "a moment was added after the pause");
    assert!(s.preview().unwrap().index > preview, "the preview never waits for the model");

    // Export the paused timeline: a video of every step, a snapshot and the metrics.
    let out = tempfile::tempdir().unwrap();
    let (first, last) = s.span().unwrap();
    let mut reported = Vec::new();
    let started = std::time::Instant::now();
    let exported = s.export(first, last, out.path(), &mut |done, total| reported.push((done, total))).unwrap();
    eprintln!("exported {} moments in {:.2} s", exported.moments, started.elapsed().as_secs_f64());
    let frames = augur_capture::count_media(&exported.files[0]).unwrap().video_frames;
    assert_eq!(frames as usize, exported.moments - 1, "one video frame per step after the first");
    let csv = std::fs::read_to_string(&exported.files[2]).unwrap();
    assert_eq!(csv.lines().count(), exported.moments + 1);
    assert!(exported.files[1].exists());
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
    assert_eq!(png_size(&exported.files[3]), (760, 330), "the scope's dashboard of the newest moment");
    // The scope's dashboard of every moment: one frame each, progress after each.
    let dashboard = &exported.files[4];
    assert_eq!(augur_capture::count_media(dashboard).unwrap().video_frames as usize, exported.moments);
    assert_eq!(image_width(dashboard), 760);
    assert_eq!(reported.len(), exported.moments);
    assert_eq!(reported.last(), Some(&(exported.moments, exported.moments)));
    assert!(s.export(last + 1, last + 5, out.path(), &mut |_, _| {}).is_err(), "an empty range is refused");

    // Context and stride of live rollouts: checked, and the context is capped by the model's.
    assert_eq!(s.context(), (8, 8));
    assert!(s.set_context(0).is_err() && s.set_context(9).is_err());
    s.set_context(2).unwrap();
    assert_eq!(s.context(), (2, 8));
    s.set_context(8).unwrap();
    assert!(s.set_stride(0).is_err() && s.set_stride(9).is_err());
    // The horizon is bounded by the model's longest rollout (32 for the bundled one).
    assert!(s.set_horizon(0).is_err() && s.set_horizon(33).is_err());
    s.set_horizon(32).unwrap();
    assert_eq!(s.horizon(), 32);
    s.set_horizon(8).unwrap();
    s.set_stride(2).unwrap();
    assert_eq!(s.stride(), 2);
    s.set_stride(1).unwrap();

    // The frames that actually came after a moment, to set beside its predictions.
    let (first, _) = s.span().unwrap();
    let came = s.arrived_after(first, 8).unwrap();
    assert_eq!(came.len(), 8, "the source ran on after the first moment");
    assert!(came.iter().all(|f| f.len() == px));
    assert!(came.windows(2).any(|w| w[0] != w[1]), "the balls move from frame to frame");
    // Each prediction step is one moment on, however many source frames lie between two.
    for (k, frame) in came.iter().enumerate() {
        assert_eq!(frame, &s.moment(first + 1 + k as u64).unwrap().input, "t+{}", k + 1);
    }
    // Paused at the newest moment: the source frames that came since, one per moment's spacing.
    let since = s.arrived_after(last, 8).unwrap();
    assert!(!since.is_empty() && since.iter().all(|f| f.len() == px), "{} frames after the newest", since.len());
    assert!(s.arrived_after(u64::MAX, 8).is_err());

    // What-if from a past moment, with another horizon and context.
    let (first, last) = s.span().unwrap();
    let at = first + 9;
    let long = s.what_if(WhatIf { at, horizon: 4, context: 8, actions: None }).unwrap();
    assert_eq!(long.frames.len(), 4 * px);
    let short = s.what_if(WhatIf { at, horizon: 4, context: 1, actions: None }).unwrap();
    assert_ne!(long.frames, short.frames, "the context changes the rollout");
    assert!(s.what_if(WhatIf { at: last + 100, horizon: 4, context: 8, actions: None }).is_err());
    assert!(s.what_if(WhatIf { at, horizon: 0, context: 8, actions: None }).is_err());
    let err = s.what_if(WhatIf { at, horizon: 2, context: 8, actions: Some(vec![1.0; 2]) }).unwrap_err();
    assert!(err.to_string().contains("without actions"), "{err}");

    // The trajectory has a point per moment and a predicted branch of H points.
    let t = s.trajectory(3).unwrap();
    assert_eq!(t.trail.len(), s.timeline_len());
    assert_eq!(t.branch.len(), 8);
    assert!(t.trail.iter().all(|p| p.len() == 3));
    assert!(s.trajectory(5).is_err());

    // Steering along the first component changes what the model imagines.
    let still = s.steer(last, vec![0.0, 0.0]).unwrap();
    let moved = s.steer(last, vec![4.0, 0.0]).unwrap();
    assert_eq!(still.len(), px);
    assert_ne!(still, moved);

    // Record two seconds of the source into a dataset, then check it.
    let ds = tempfile::tempdir().unwrap();
    let dir = ds.path().join("rec");
    let status = s.start_recording(&dir, "watch the balls").unwrap();
    assert!(status.active);
    assert!(s.start_recording(&dir, "again").is_err(), "one recording at a time");
    wait_for("two seconds recorded", Duration::from_secs(30), || s.recording().frames >= 30);
    assert!(s.recording().write_rate > 0.0, "the disk rate is shown while recording");
    let meta = s.stop_recording(true).unwrap().unwrap();
    assert!(meta.length >= 30);
    assert!(!s.recording().active);
    assert!(s.stop_recording(true).is_err());
    let dataset = augur_dataset::Dataset::open(&dir).unwrap();
    let report = augur_dataset::validate(&dataset);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.frames, meta.length);

    s.resume();
    wait_for("moments after resuming", Duration::from_secs(30), || s.span().map(|(_, l)| l) > held.map(|(_, l)| l));
    // The context starts again after a pause: the first moment is not scored against a
    // prediction made before it.
    let resumed = s.moment(last + 1).unwrap();
    assert!(resumed.surprise.is_nan(), "surprise {} against a prediction from before the pause", resumed.surprise);
    // Nor are the frames after the pause what arrived after the moment before it.
    assert!(s.arrived_after(last, 8).unwrap().is_empty(), "frames across the pause set under its predictions");

    // Closed while recording (the app quitting): the episode is finished, not left to a repair.
    s.start_recording(&dir, "closed while recording").unwrap();
    wait_for("a second recorded", Duration::from_secs(30), || s.recording().frames >= 15);
    drop(s);
    let dataset = augur_dataset::Dataset::open(&dir).unwrap();
    let episodes = dataset.episodes().unwrap();
    assert_eq!(episodes.len(), 2);
    assert!(episodes[1].length >= 15 && !episodes[1].recovered, "{:?}", episodes[1]);
    assert!(dataset.layout.staged().is_empty());
}

#[test]
fn a_failing_source_is_reopened_and_the_timeline_kept() {
    // A "camera" (paced in real time) whose stream ends after 3 s: for a camera that is a disconnect.
    let s = Session::start(config("camera:testsrc=size=64x64:rate=15:duration=3,realtime?driver=lavfi")).unwrap();
    wait_for("the camera to fail", Duration::from_secs(60), || matches!(s.status(), SourceStatus::Retrying { .. }));
    let SourceStatus::Retrying { error, .. } = s.status() else { unreachable!() };
    assert!(error.contains("stopped delivering"), "{error}");
    let kept = s.timeline_len();
    assert!(kept > 0, "moments before the failure are kept");
    wait_for("the camera to come back", Duration::from_secs(30), || matches!(s.status(), SourceStatus::Running { .. }));
    wait_for("new moments", Duration::from_secs(60), || s.timeline_len() > kept);
}

/// A camera that stops sending without going away (its frames 30 to 300 never come, as after a
/// suspend) is taken for stalled after 5 s and reopened, instead of freezing under "running".
#[test]
fn a_camera_that_stalls_is_reopened() {
    let s = Session::start(config(
        "camera:testsrc=size=64x64:rate=30,select='lt(n\\,30)+gte(n\\,300)',realtime=limit=20?driver=lavfi",
    ))
    .unwrap();
    wait_for("the camera to run", Duration::from_secs(30), || matches!(s.status(), SourceStatus::Running { .. }));
    wait_for("the stall to be noticed", Duration::from_secs(30), || {
        matches!(s.status(), SourceStatus::Retrying { .. })
    });
    let SourceStatus::Retrying { error, .. } = s.status() else { unreachable!() };
    assert!(error.contains("sent no frame for 5 s"), "{error}");
    wait_for("the camera to come back", Duration::from_secs(30), || matches!(s.status(), SourceStatus::Running { .. }));
}

#[test]
fn on_the_cpu_the_live_horizon_is_shortened_unless_asked_for() {
    let mut cfg = config("scene:bounce?size=64x64&fps=15");
    cfg.horizon = None;
    let s = Session::start(cfg).unwrap();
    assert_eq!(s.horizon(), 4);
    assert!(s.notices.iter().any(|n| n.contains("4 frames ahead")), "{:?}", s.notices);
}

/// A scene with sound is heard through its own sound, in step with its pictures: knocks in
/// the spectrogram with silence between them.
#[test]
fn a_scene_is_heard_through_its_own_sound() {
    let name = "scene:bounce?size=64x64&fps=15&balls=3&sound=1";
    let mut cfg = config(name);
    cfg.mic = Some(name.into());
    let s = Session::start(cfg).unwrap();
    wait_for("three seconds of spectrogram", Duration::from_secs(30), || {
        s.sound().is_some_and(|v| v.columns.len() >= 300)
    });
    let view = s.sound().unwrap();
    assert!(view.description.contains("its own sound"), "{}", view.description);
    let loudest = |c: &Vec<u8>| c.iter().copied().max().unwrap_or(0);
    let knocks = view.columns.iter().filter(|c| loudest(c) > 120).count();
    let silent = view.columns.iter().filter(|c| loudest(c) == 0).count();
    assert!(knocks >= 2 && silent >= 100, "{knocks} loud columns, {silent} silent of {}", view.columns.len());

    // An export's videos carry the knocks, as long as their pictures, in step with them.
    s.pause();
    std::thread::sleep(Duration::from_millis(300));
    let (first, last) = s.span().unwrap();
    let out = tempfile::tempdir().unwrap();
    let exported = s.export(first.max(last.saturating_sub(40)), last, out.path(), &mut |_, _| {}).unwrap();
    assert!(exported.notes.is_empty(), "{:?}", exported.notes);
    for video in [&exported.files[0], &exported.files[4]] {
        let media = augur_capture::count_media(video).unwrap();
        let seconds = media.video_frames as f64 / media.fps;
        // AAC's priming and its padded last packet: within two 1024-sample packets at 16 kHz.
        assert!(
            (media.audio_seconds - seconds).abs() < 0.15,
            "{video:?}: {} s of sound, {seconds} s of video",
            media.audio_seconds
        );
        let track = augur_capture::read_sound(video.to_str().unwrap(), seconds).unwrap().unwrap();
        let loud =
            track.samples.chunks(160).filter(|w| augur_capture::audio_level(w, track.rate).rms_dbfs > -40.0).count();
        let quiet =
            track.samples.chunks(160).filter(|w| augur_capture::audio_level(w, track.rate).rms_dbfs < -80.0).count();
        eprintln!(
            "{video:?}: {seconds:.2} s of video, {:.2} s of sound, {loud} loud, {quiet} quiet",
            media.audio_seconds
        );
        assert!(loud >= 2 && quiet >= 50, "{video:?}: {loud} loud and {quiet} quiet 10 ms stretches");
    }
}

#[test]
fn sound_reaches_the_audio_token_and_the_spectrogram() {
    // A 1 kHz tone file paced like a microphone.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    let ok = std::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=1000:sample_rate=16000:duration=30",
        ])
        .arg(&wav)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut cfg = config("scene:bounce?size=64x64&fps=15");
    cfg.mic = Some(format!("audiofile:{}", wav.display()));
    let s = Session::start(cfg).unwrap();
    wait_for("a second of spectrogram", Duration::from_secs(30), || s.sound().is_some_and(|v| v.columns.len() >= 100));
    let view = s.sound().unwrap();
    // ffmpeg's sine has amplitude 1/8: -21 dBFS RMS.
    assert!((view.level_dbfs + 21.0).abs() < 2.0, "{}", view.level_dbfs);
    // 1 kHz of 8 kHz lies in the lower mel bands: they carry far more energy than the top ones.
    let col = view.columns.last().unwrap();
    let (low, high) = (
        col[..32].iter().map(|&v| u32::from(v)).max().unwrap(),
        col[56..].iter().map(|&v| u32::from(v)).max().unwrap(),
    );
    assert!(low > high + 50, "{col:?}");

    // Recording from the live view keeps the microphone's sound beside the frames, as long.
    // A recording stops itself when the machine is too busy to pass on every source frame (the
    // tests beside this one share two cores): then it is tried again, in a dataset of its own.
    let mut tries = 0;
    let (ds, meta) = loop {
        tries += 1;
        let ds = dir.path().join(format!("rec{tries}"));
        s.start_recording(&ds, "listen").unwrap();
        // An episode's sound comes from one microphone: no swapping while it records.
        let refused = s.set_microphone(None).unwrap_err().to_string();
        assert!(refused.contains("stop"), "{refused}");
        assert!(s.sound().is_some());
        wait_for("three seconds recorded", Duration::from_secs(30), || {
            let status = s.recording();
            status.stopped.is_some() || status.frames >= 45
        });
        match s.recording().stopped {
            None => break (ds, s.stop_recording(true).unwrap().unwrap()),
            Some(why) if why.contains("too busy") && tries < 3 => {
                eprintln!("try {tries}: {why}");
                wait_for("the episode finished", Duration::from_secs(30), || {
                    s.recording().stopped.is_some_and(|w| !w.ends_with('…'))
                });
            }
            Some(why) => panic!("the recording stopped: {why}"),
        }
    };
    let dataset = augur_dataset::Dataset::open(&ds).unwrap();
    assert_eq!(dataset.info.recording().unwrap().audio_rate, Some(16000));
    let report = augur_dataset::validate(&dataset);
    assert!(report.ok(), "{:?}", report.problems);
    let media = augur_capture::count_media(&dataset.layout.video(meta.episode_index)).unwrap();
    let video_s = media.video_frames as f64 / 15.0;
    assert_eq!(media.video_frames, meta.length);
    // AAC adds its priming and pads the last packet: within two 1024-sample packets.
    assert!((media.audio_seconds - video_s).abs() < 0.15, "sound {} s, video {video_s} s", media.audio_seconds);

    // The microphone is swapped without stopping: one that will not open changes nothing,
    // none silences the panel, and a new one fills it again.
    let before = s.sound().unwrap().description;
    assert!(s.set_microphone(Some("audiofile:/no/such.wav")).is_err());
    assert_eq!(s.sound().unwrap().description, before, "the old microphone keeps going");
    let heard_until = s.latest().unwrap().index;
    assert_eq!(s.set_microphone(None).unwrap(), None);
    assert!(s.sound().is_none());
    std::thread::sleep(Duration::from_secs(1));
    let predicted = s.stats().predicted;
    wait_for("predictions go on without sound", Duration::from_secs(30), || s.stats().predicted > predicted + 3);
    // With no microphone, an export still carries what the last one heard.
    let out = dir.path().join("export-unheard");
    let exported = s.export(heard_until.saturating_sub(3), s.latest().unwrap().index, &out, &mut |_, _| {}).unwrap();
    assert!(augur_capture::count_media(&exported.files[0]).unwrap().audio_seconds > 0.0, "{:?}", exported.notes);
    let listening = s.set_microphone(Some(&format!("audiofile:{}", wav.display()))).unwrap().unwrap();
    assert!(listening.contains("tone.wav"), "{listening}");
    wait_for("the new microphone's spectrogram", Duration::from_secs(30), || {
        s.sound().is_some_and(|v| v.columns.len() >= 50)
    });
    // An export across both switches: the tone, the silence without a microphone (told in its
    // notes, not from its start), then the tone again.
    let out = dir.path().join("export");
    let exported = s.export(heard_until.saturating_sub(3), s.latest().unwrap().index, &out, &mut |_, _| {}).unwrap();
    let told =
        exported.notes.iter().find(|n| n.contains("silent from")).unwrap_or_else(|| panic!("{:?}", exported.notes));
    assert!(!told.contains("from 0.0 "), "{told}");
    let video = &exported.files[0];
    let media = augur_capture::count_media(video).unwrap();
    let seconds = media.video_frames as f64 / media.fps;
    assert!(seconds > 1.5, "{seconds} s");
    let track = augur_capture::read_sound(video.to_str().unwrap(), seconds).unwrap().unwrap();
    let level = |from: f64, to: f64| {
        let at = |t: f64| ((t * f64::from(track.rate)) as usize).min(track.samples.len());
        augur_capture::audio_level(&track.samples[at(from)..at(to)], track.rate).rms_dbfs
    };
    let (start, middle, end) =
        (level(0.05, 0.15), level(seconds / 2.0 - 0.1, seconds / 2.0 + 0.1), level(seconds - 0.45, seconds - 0.15));
    eprintln!("{told}; {seconds:.2} s: {start:.1} / {middle:.1} / {end:.1} dBFS");
    assert!(start > -30.0 && end > -30.0 && middle < -60.0, "{start} / {middle} / {end} dBFS");
    drop(s);

    let mut cfg = config("scene:bounce?size=64x64&fps=15");
    cfg.mic = Some("audiofile:/no/such.wav".into());
    let s = Session::start(cfg).unwrap();
    assert!(s.notices.iter().any(|n| n.starts_with("no sound")), "a missing microphone is a notice: {:?}", s.notices);
    assert!(s.sound().is_none());
}

#[test]
fn bad_sessions_are_refused_clearly() {
    let err = Session::start(config("scene:nope")).err().unwrap().to_string();
    assert!(err.contains("unknown scene"), "{err}");
    let mut cfg = config("scene:bounce");
    cfg.model = PathBuf::from("/no/such/model");
    let err = Session::start(cfg).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("/no/such/model") && err.contains("cannot read the model card"), "{err}");
    let mut cfg = config("scene:bounce");
    cfg.horizon = Some(99);
    assert!(Session::start(cfg).err().unwrap().to_string().contains("horizon"));
}

#[test]
fn a_second_model_runs_beside_the_first_on_the_same_frames() {
    let cfg = SessionConfig { horizon: Some(4), ..config("scene:bounce?size=96x96&fps=15&seed=5") };
    let model = cfg.model.clone();
    let s = Session::start(cfg).unwrap();
    let err = s.set_compare(Some(PathBuf::from("/no/such/model"))).unwrap_err();
    assert!(err.to_string().contains("/no/such/model"), "{err}");
    assert_eq!(s.compare_name(), None, "a model that fails to load does not become the comparison");

    // The same model as its own comparison: once its context has filled (8 frames) it sees what
    // the first one sees, so both must predict the same and be surprised the same.
    assert!(s.set_compare(Some(model)).unwrap().unwrap().ends_with("bounce-64"));
    let from = s.span().map_or(0, |(_, last)| last + 1);
    wait_for("12 compared moments", Duration::from_secs(120), || {
        s.latest().is_some_and(|m| m.index >= from + 12 && m.compare.is_some())
    });
    let m = s.latest().unwrap();
    let b = m.compare.as_ref().unwrap();
    assert_eq!((b.size, b.predicted.len()), (64, 4 * 64 * 64 * 3));
    assert!(m.surprise.is_finite() && b.surprise.is_finite());
    assert!((m.surprise - b.surprise).abs() <= 1e-3 * m.surprise.max(1e-6), "{} vs {}", m.surprise, b.surprise);
    let same = m.predicted.iter().zip(b.predicted.iter()).filter(|(x, y)| x.abs_diff(**y) <= 1).count();
    assert!(same as f64 >= 0.999 * m.predicted.len() as f64, "the same model on the same frames predicts the same");
    let trace = s.compare_trace();
    assert!(trace.iter().any(|(_, _, b)| b.is_nan()), "moments before the compare started have none");
    assert!(trace.last().unwrap().2.is_finite());

    // The export shows both models: truth | A expected | A error | B expected | B error.
    s.pause();
    std::thread::sleep(Duration::from_millis(300));
    let last = s.span().unwrap().1;
    let out = tempfile::tempdir().unwrap();
    let exported = s.export(last - 5, last, out.path(), &mut |_, _| {}).unwrap();
    let probe = augur_capture::count_media(&exported.files[0]).unwrap();
    assert_eq!(probe.video_frames, 5);
    let csv = std::fs::read_to_string(&exported.files[2]).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row.len(), 6, "{csv}");
    assert!(row[4].parse::<f32>().unwrap().is_finite(), "{csv}");
    let width = image_width(&exported.files[0]);
    assert_eq!(width, 5 * 256, "five panels of 256 px");
    assert_eq!(png_size(&exported.files[3]), (760, 440), "the dashboard shows both filmstrips");
    assert_eq!(augur_capture::count_media(&exported.files[4]).unwrap().video_frames, 6);
    s.resume();

    // Stopping the comparison: new moments carry only the first model.
    assert_eq!(s.set_compare(None).unwrap(), None);
    let after = s.latest().unwrap().index + 2;
    wait_for("moments after stopping", Duration::from_secs(60), || s.latest().is_some_and(|m| m.index >= after));
    assert!(s.latest().unwrap().compare.is_none());
    assert_eq!(s.compare_name(), None);
}

/// A PNG's width and height, from its header.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "{} is not a PNG", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The video's width, from ffprobe.
fn image_width(video: &std::path::Path) -> u32 {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width", "-of", "csv=p=0"])
        .arg(video)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// The browser's surprise curve of an episode with sound is the one a model that hears has
/// live: the same pictures with a knock in them and in silence give different curves.
#[test]
fn an_episodes_surprise_curve_hears_its_sound() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, loud: bool| {
        let path = dir.path().join(name);
        let audio = Some(augur_capture::RecordAudio { sample_rate: 16_000 });
        let mut w =
            augur_capture::RecordingWriter::create(&path, 64, 64, 25, augur_capture::VideoCodec::H264, audio).unwrap();
        for k in 0..40usize {
            w.push_rgb(&vec![(40 + 3 * k) as u8; 64 * 64 * 3], 64).unwrap();
            let knock = |n: usize| if loud && k % 10 == 5 { (n as f32 * 0.7).sin() * 0.8 } else { 0.0 };
            w.push_audio(&(0..640).map(knock).collect::<Vec<f32>>()).unwrap();
        }
        w.finish().unwrap();
        path
    };
    let model = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/bounce-64-hears"));
    let curve = |path: PathBuf| augur_engine::episode_surprise(&path, &model, &DeviceChoice::Cpu).unwrap().values;
    let (heard, silent) = (curve(write("knocks.mp4", true)), curve(write("silent.mp4", false)));
    assert_eq!(heard.len(), silent.len());
    assert_ne!(heard, silent, "the episode's sound made no difference to its curve");
}

/// A source read as fast as it decodes is refused for recording, saying what to do instead.
/// A recording that the source stops (here, switched to another) stops itself, saying why and
/// what it kept, keeps its episode whole and valid, and the live view goes on.
#[test]
fn a_recording_its_source_cuts_short_stops_and_keeps_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("cut");
    let fast = Session::start(config("scene:bounce?size=64x64&pace=fast")).unwrap();
    wait_for("the source open", Duration::from_secs(30), || fast.source_info().is_some());
    let refused = fast.start_recording(&ds, "too fast").unwrap_err().to_string();
    assert!(refused.contains("read as fast as it decodes") && refused.contains("without pace=fast"), "{refused}");
    assert!(!ds.exists(), "nothing was created for a recording refused");
    drop(fast);

    let s = Session::start(config("scene:bounce?size=64x64&fps=15&seed=1")).unwrap();
    wait_for("the source open", Duration::from_secs(30), || s.source_info().is_some());
    s.start_recording(&ds, "cut short").unwrap();
    wait_for("a second recorded", Duration::from_secs(30), || s.recording().frames >= 15);
    s.set_source("scene:bounce?size=64x64&fps=15&seed=2").unwrap();
    wait_for("the recording stopping itself", Duration::from_secs(30), || {
        s.recording().stopped.is_some_and(|why| !why.ends_with('…'))
    });
    let why = s.recording().stopped.unwrap();
    assert!(why.contains("the source was reopened or switched"), "{why}");
    assert!(!s.recording().active);
    let dataset = augur_dataset::Dataset::open(&ds).unwrap();
    let report = augur_dataset::validate(&dataset);
    assert!(report.ok(), "{:?}", report.problems);
    let episodes = dataset.episodes().unwrap();
    assert_eq!(episodes.len(), 1, "the episode cut short is kept");
    assert!(episodes[0].length >= 15, "{} frames", episodes[0].length);
    assert!(why.ends_with(&format!("episode 0 keeps {} frames", episodes[0].length)), "{why}");
    let media = augur_capture::count_media(&dataset.layout.video(0)).unwrap();
    assert_eq!(media.video_frames, episodes[0].length, "its video holds every frame its rows say");
    let predicted = s.stats().predicted;
    wait_for("predictions going on", Duration::from_secs(30), || s.stats().predicted > predicted + 2);
    // A new recording starts after it, on the new source.
    s.start_recording(&ds, "again").unwrap();
    wait_for("a frame of the new episode", Duration::from_secs(30), || s.recording().frames >= 1);
    assert_eq!(s.stop_recording(true).unwrap().map(|m| m.episode_index), Some(1));
}
