//! Cameras, files and lavfi graphs through the real FFmpeg path, including the faults a user
//! will meet: missing devices, unplugged cameras, damaged and wrong files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use augur_capture::{CaptureError, SessionClock, SourceSpec, open_video};
use common::{make_video, open, read};

#[test]
fn lavfi_frames_have_requested_size_rate_and_increasing_timestamps() {
    let mut src = open("lavfi:testsrc=size=320x240:rate=30?pace=fast");
    let info = src.info().clone();
    assert_eq!((info.width, info.height), (320, 240));
    assert!((info.fps - 30.0).abs() < 1e-6, "{info:?}");
    let (frames, end) = read(src.as_mut(), 60);
    end.unwrap();
    assert_eq!(frames.len(), 60);
    for w in frames.windows(2) {
        let step = w[1].stream_pts.unwrap() - w[0].stream_pts.unwrap();
        assert!((step.as_secs_f64() - 1.0 / 30.0).abs() < 1e-3, "stream step {step:?}");
        assert!(w[1].pts >= w[0].pts, "session timestamps must not go backwards");
        assert_eq!(w[1].index, w[0].index + 1);
    }
    assert_eq!(frames[0].rgb.len(), 320 * 240 * 3);
}

#[test]
fn lavfi_is_paced_like_a_camera_by_default() {
    let mut src = open("lavfi:testsrc=size=64x48:rate=30");
    let t = Instant::now();
    let (frames, _) = read(src.as_mut(), 16);
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(frames.len(), 16);
    // 15 frame intervals at 30 fps is 0.5 s; loose bounds, this is not a timing benchmark.
    assert!((0.4..3.0).contains(&secs), "16 frames took {secs} s");
}

#[test]
fn files_decode_every_frame_in_any_container() {
    let dir = tempfile::tempdir().unwrap();
    for (name, codec) in [
        ("h264.mp4", &["-c:v", "libx264", "-pix_fmt", "yuv420p"][..]),
        ("mpeg4.mkv", &["-c:v", "mpeg4"][..]),
        ("mjpeg.avi", &["-c:v", "mjpeg"][..]),
    ] {
        let path = make_video(dir.path(), name, 48, codec);
        let mut src = open(&format!("file:{}?pace=fast", path.display()));
        let (frames, end) = read(src.as_mut(), 1000);
        end.unwrap();
        assert_eq!(frames.len(), 48, "{name}");
        assert_eq!((frames[0].width, frames[0].height), (160, 120));
        assert!(!src.info().live);
    }
}

#[test]
fn looping_file_restarts_with_increasing_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_video(dir.path(), "loop.mp4", 10, &["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
    let mut src = open(&format!("file:{}?pace=fast&loop=1", path.display()));
    let (frames, end) = read(src.as_mut(), 35);
    end.unwrap();
    assert_eq!(frames.len(), 35);
    for w in frames.windows(2) {
        assert!(w[1].stream_pts > w[0].stream_pts, "looped stream time must keep increasing");
    }
}

/// MPEG-TS files start their clock at about 1.4 s: a loop goes on one frame after the last
/// one, not a start's worth later (which stalled playback at every loop).
#[test]
fn a_looped_file_that_starts_late_goes_on_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_video(dir.path(), "late.ts", 10, &["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
    let mut src = open(&format!("file:{}?pace=fast&loop=1", path.display()));
    let (frames, end) = read(src.as_mut(), 25);
    end.unwrap();
    assert_eq!(frames.len(), 25);
    for w in frames.windows(2) {
        let step = (w[1].stream_pts.unwrap() - w[0].stream_pts.unwrap()).as_secs_f64();
        assert!((step - 0.04).abs() < 1e-3, "a frame every 40 ms across the loops: {step} s");
    }
}

/// A stream spliced from two sizes (concatenated MPEG-TS) plays through the change.
#[test]
fn a_file_whose_frames_change_size_plays_on() {
    let dir = tempfile::tempdir().unwrap();
    let (small, big) = (dir.path().join("small.ts"), dir.path().join("big.ts"));
    for (path, size) in [(&small, "64x48"), (&big, "160x120")] {
        let src = format!("testsrc=size={size}:rate=25");
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-frames:v",
            "10",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            path.to_str().unwrap(),
        ]);
    }
    let spliced = dir.path().join("spliced.ts");
    let joined = [std::fs::read(&small).unwrap(), std::fs::read(&big).unwrap()].concat();
    std::fs::write(&spliced, joined).unwrap();
    let mut src = open(&format!("file:{}?pace=fast", spliced.display()));
    let (frames, end) = read(src.as_mut(), 100);
    end.unwrap();
    assert_eq!(frames.len(), 20);
    assert_eq!((frames[0].width, frames[19].width), (64, 160));
    assert_eq!(frames[19].rgb.len(), 160 * 120 * 3);
}

/// A video stored sideways with a display matrix (as phones write it) is turned as FFmpeg's
/// own tools turn it: the same size and the same picture as `ffmpeg -i` decodes.
#[test]
fn a_rotated_video_is_shown_upright() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_video(dir.path(), "plain.mp4", 5, &["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
    for degrees in ["90", "180", "270"] {
        let turned = dir.path().join(format!("turned-{degrees}.mp4"));
        let tag = format!("rotate={degrees}");
        common::ffmpeg(&["-i", plain.to_str().unwrap(), "-c", "copy", "-metadata:s:v", &tag, turned.to_str().unwrap()]);
        let out = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-i",
                turned.to_str().unwrap(),
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-",
            ])
            .output()
            .unwrap();
        let mut src = open(&format!("file:{}?pace=fast", turned.display()));
        let (frames, _) = read(src.as_mut(), 1);
        let f = &frames[0];
        let upright = if degrees == "180" { (160, 120) } else { (120, 160) };
        assert_eq!((f.width, f.height), upright, "{degrees}");
        assert_eq!((src.info().width, src.info().height), upright);
        assert_eq!(out.stdout.len(), f.rgb.len());
        let off =
            f.rgb.iter().zip(&out.stdout).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / f.rgb.len() as f64;
        assert!(off < 8.0, "turned {degrees}: {off} levels from what ffmpeg shows on average");
    }
}

#[test]
fn realtime_file_playback_is_paced() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_video(dir.path(), "paced.mp4", 20, &["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
    let mut src = open(&format!("file:{}", path.display()));
    let t = Instant::now();
    let (frames, _) = read(src.as_mut(), 11);
    assert_eq!(frames.len(), 11);
    let secs = t.elapsed().as_secs_f64();
    assert!((0.3..3.0).contains(&secs), "10 intervals at 25 fps took {secs} s");
}

#[test]
fn camera_path_with_lavfi_driver_reports_unplug_and_reopens() {
    // The camera code path (libavdevice input, mode options, EOF = disconnect) driven by lavfi.
    let name = "camera:testsrc=size=96x64:rate=50:duration=0.4?driver=lavfi";
    for attempt in 0..2 {
        let mut src = open(name);
        assert!(src.info().live);
        let (frames, end) = read(src.as_mut(), 1000);
        assert_eq!(frames.len(), 20, "attempt {attempt}");
        let err = end.unwrap_err();
        assert!(err.contains("stopped delivering after 20 frames"), "{err}");
        assert!(err.contains("reopen"), "the message should say what to do: {err}");
    }
}

#[test]
fn a_missing_v4l2_camera_gets_a_clear_error() {
    let spec = SourceSpec::video("camera:/dev/video93").unwrap();
    let err = open_video(&spec, SessionClock::start()).err().expect("no such camera");
    assert!(matches!(err, CaptureError::DeviceUnavailable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("/dev/video93") && msg.contains("no such device"), "{msg}");
    assert!(msg.contains("scene:bounce") || msg.contains("camera:"), "should suggest what to use: {msg}");
}

#[test]
fn an_unknown_pixel_format_is_an_unsupported_mode() {
    let spec = SourceSpec::video("camera:0?pix=sparkly&size=640x480").unwrap();
    let err = open_video(&spec, SessionClock::start()).err().expect("bad mode");
    assert!(matches!(err, CaptureError::UnsupportedMode { .. }), "{err:?}");
    assert!(err.to_string().contains("yuyv422"), "should list formats: {err}");
}

#[test]
fn a_bad_lavfi_graph_says_how_to_check_it() {
    let err = open_video(&SourceSpec::video("lavfi:nosuchfilter=1").unwrap(), SessionClock::start()).err().unwrap();
    assert!(err.to_string().contains("filter graph"), "{err}");
}

#[test]
fn bad_files_get_clear_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a video, just some words\n".repeat(50)).unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let wav = dir.path().join("tone.wav");
    common::ffmpeg(&["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", wav.to_str().unwrap()]);
    let good = make_video(dir.path(), "good.mp4", 30, &["-c:v", "libx264", "-pix_fmt", "yuv420p"]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.mp4");
    // ffmpeg writes the index (moov) last: a recording cut short has no index.
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    let cases = [
        (dir.path().join("missing.mp4"), "does not exist"),
        (dir.path().to_path_buf(), "folder"),
        (empty, "empty"),
        (text, "not a media file"),
        (wav, "no video stream"),
        (truncated, "header"),
    ];
    for (path, expected) in cases {
        let shown = path.display().to_string();
        let spec = SourceSpec::video(&format!("file:{shown}")).unwrap();
        let err = open_video(&spec, SessionClock::start()).err().unwrap_or_else(|| panic!("{shown} opened"));
        let msg = err.to_string();
        assert!(msg.contains(expected), "{shown}: expected {expected:?} in {msg}");
        assert!(msg.ends_with(&shown), "the path comes last: {msg}");
    }
}

#[test]
fn damaged_data_mid_file_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    // MPEG-TS has no index, so damage hits the packets, not the header.
    let path = make_video(dir.path(), "damaged.ts", 50, &["-c:v", "mpeg2video", "-f", "mpegts"]);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4000] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let mut src = open(&format!("file:{}?pace=fast", path.display()));
    let (frames, end) = read(src.as_mut(), 1000);
    end.unwrap();
    assert!(frames.len() >= 35 && frames.len() <= 50, "{} frames survived", frames.len());
}

#[test]
fn file_cut_off_mid_stream_plays_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_video(dir.path(), "cut.mkv", 60, &["-c:v", "mpeg4", "-g", "10"]);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let mut src = open(&format!("file:{}?pace=fast", path.display()));
    let (frames, end) = read(src.as_mut(), 1000);
    end.unwrap();
    assert!((15..60).contains(&frames.len()), "{} frames", frames.len());
}

#[test]
fn slow_consumers_skip_to_the_newest_frame_and_it_is_counted() {
    let src = open("lavfi:testsrc=size=64x48:rate=60");
    let handle = augur_capture::spawn_video(src);
    let mut last = None;
    for _ in 0..5 {
        let f = handle.wait(Duration::from_secs(5)).expect("a frame");
        if let Some(prev) = last {
            assert!(f.index > prev, "frames arrive in order");
        }
        last = Some(f.index);
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = handle.stats();
    assert!(stats.skipped >= 10, "a 10 fps consumer of a 60 fps source must skip: {stats:?}");
    assert!(stats.produced >= stats.delivered + stats.skipped);
}

#[test]
fn a_failing_source_does_not_take_down_another() {
    let failing = augur_capture::spawn_video(open("camera:testsrc=size=64x48:rate=50:duration=0.2?driver=lavfi"));
    let healthy = augur_capture::spawn_video(open("scene:bounce?size=64x48&fps=30"));
    let t = Instant::now();
    while !failing.is_finished() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(matches!(failing.take_end(), Some(augur_capture::StreamEnd::Failed(_))));
    let before = healthy.stats().produced;
    std::thread::sleep(Duration::from_millis(300));
    assert!(healthy.stats().produced > before, "the scene kept running");
    assert!(!healthy.is_finished());
}
