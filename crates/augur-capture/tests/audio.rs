//! Sound: audio files through FFmpeg and the microphone through cpal (PulseAudio in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use augur_capture::{CaptureError, SessionClock, SourceSpec, audio_level, open_audio};

#[test]
fn audio_file_is_mixed_to_mono_at_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    // Stereo, 1 kHz, 1.5 s at 44.1 kHz.
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=44100:duration=1.5",
        "-ac",
        "2",
        path.to_str().unwrap(),
    ]);
    let spec = SourceSpec::audio(&format!("audiofile:{}?pace=fast", path.display())).unwrap();
    let mut src = open_audio(&spec, SessionClock::start()).unwrap();
    assert_eq!((src.info().sample_rate, src.info().channels), (44_100, 2));
    let mut samples = Vec::new();
    while let Some(chunk) = src.next_chunk().unwrap() {
        samples.extend(chunk.samples);
    }
    assert!((samples.len() as i64 - 66_150).abs() < 2_000, "{} samples", samples.len());
    let level = audio_level(&samples, 44_100);
    assert!((level.dominant_hz - 1000.0).abs() < 15.0, "{level:?}");
}

/// Sound spliced from two formats (48 kHz stereo, then 44.1 kHz mono, as concatenated MPEG-TS
/// gives) is heard through the change, all of it at the first part's rate.
#[test]
fn sound_that_changes_format_midway_is_heard_through() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.ts"), dir.path().join("b.ts"));
    for (path, rate, channels) in [(&a, "48000", "2"), (&b, "44100", "1")] {
        let sine = format!("sine=frequency=1000:sample_rate={rate}:duration=1");
        common::ffmpeg(&["-f", "lavfi", "-i", &sine, "-ac", channels, "-c:a", "mp2", path.to_str().unwrap()]);
    }
    let spliced = dir.path().join("spliced.ts");
    std::fs::write(&spliced, [std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()].concat()).unwrap();
    let spec = SourceSpec::audio(&format!("audiofile:{}?pace=fast", spliced.display())).unwrap();
    let mut src = open_audio(&spec, SessionClock::start()).unwrap();
    assert_eq!(src.info().sample_rate, 48_000);
    let mut samples = Vec::new();
    while let Some(chunk) = src.next_chunk().unwrap() {
        samples.extend(chunk.samples);
    }
    assert!((samples.len() as i64 - 96_000).abs() < 4_000, "2 s at 48 kHz: {} samples", samples.len());
    let level = audio_level(&samples[60_000..90_000], 48_000);
    assert!((level.dominant_hz - 1000.0).abs() < 15.0, "the second part, resampled: {level:?}");
}

/// Sound above what AAC holds (192 kHz) is heard at 48 kHz, so it can be recorded and
/// exported; a writer asked for more says what to do.
#[test]
fn sound_above_96_khz_is_heard_at_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hi.wav");
    common::ffmpeg(&["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=192000:duration=1", path.to_str().unwrap()]);
    let spec = SourceSpec::audio(&format!("audiofile:{}?pace=fast", path.display())).unwrap();
    let mut src = open_audio(&spec, SessionClock::start()).unwrap();
    assert_eq!(src.info().sample_rate, 48_000);
    assert!(src.info().description.contains("192000 Hz heard at 48000 Hz"), "{:?}", src.info());
    let mut samples = Vec::new();
    while let Some(chunk) = src.next_chunk().unwrap() {
        samples.extend(chunk.samples);
    }
    assert!((samples.len() as i64 - 48_000).abs() < 2_000, "{} samples", samples.len());
    assert!((audio_level(&samples, 48_000).dominant_hz - 1000.0).abs() < 15.0);
    let out = dir.path().join("out.mp4");
    let err = augur_capture::SoundedVideo::create(&out, 64, 48, 10, Some(192_000)).err().unwrap();
    assert!(err.to_string().contains("set the microphone to 48000 Hz"), "{err}");
}

/// Sound at a rate AAC does not take (below 7350 Hz, or between its standard rates) is heard at
/// the next rate up, so `predict`'s side-by-side can carry it (it failed with "Invalid
/// argument" and left an MP4 without its index).
#[test]
fn sound_at_a_rate_aac_lacks_is_heard_at_one_it_has() {
    let dir = tempfile::tempdir().unwrap();
    for (rate, heard) in [(4000, 7350), (10_000, 11_025), (22_050, 22_050)] {
        let path = dir.path().join(format!("at{rate}.wav"));
        let sine = format!("sine=frequency=1000:sample_rate={rate}:duration=1");
        common::ffmpeg(&["-f", "lavfi", "-i", &sine, path.to_str().unwrap()]);
        let spec = SourceSpec::audio(&format!("audiofile:{}?pace=fast", path.display())).unwrap();
        let mut src = open_audio(&spec, SessionClock::start()).unwrap();
        assert_eq!(src.info().sample_rate, heard, "{rate} Hz");
        let mut samples = Vec::new();
        while let Some(chunk) = src.next_chunk().unwrap() {
            samples.extend(chunk.samples);
        }
        assert!((samples.len() as i64 - i64::from(heard)).abs() < 600, "{rate} Hz: {} samples", samples.len());
        assert!((audio_level(&samples, heard).dominant_hz - 1000.0).abs() < 15.0, "{rate} Hz");
        // And the video writer takes what it was heard at.
        let out = dir.path().join(format!("at{rate}.mp4"));
        let mut video = augur_capture::SoundedVideo::create(&out, 64, 48, 10, Some(heard)).unwrap();
        for _ in 0..10 {
            video.push(&[90; 64 * 48 * 3], 64, &samples[..heard as usize / 10]).unwrap();
        }
        video.finish().unwrap();
        assert_eq!(augur_capture::count_media(&out).unwrap().video_frames, 10);
    }
    let err = augur_capture::SoundedVideo::create(&dir.path().join("odd.mp4"), 64, 48, 10, Some(10_000)).err().unwrap();
    assert!(err.to_string().contains("not a rate an MP4's AAC track holds"), "{err}");
}

/// A video's own sound, looped with its pictures, loops when they do: a track 0.3 s longer
/// or shorter than the pictures would otherwise drift 0.3 s from them at every pass.
#[test]
fn a_looped_sound_keeps_to_its_pictures_length() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sound_s) in [("long.mp4", "2.3"), ("short.mp4", "1.7")] {
        let path = dir.path().join(name);
        // A beep in the first half second, then silence.
        let sine = format!("aevalsrc='if(lt(t,0.5),0.5*sin(2*PI*1000*t),0)':s=16000:d={sound_s}");
        common::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10:duration=2",
            "-f",
            "lavfi",
            "-i",
            &sine,
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            path.to_str().unwrap(),
        ]);
        let spec = SourceSpec::audio(&format!("audiofile:{}?loop=1&pace=fast", path.display())).unwrap();
        let mut src = open_audio(&spec, SessionClock::start()).unwrap();
        let mut samples: Vec<f32> = Vec::new();
        while samples.len() < 7 * 16_000 {
            samples.extend(src.next_chunk().unwrap().unwrap().samples);
        }
        // Each pass beeps again exactly 2 s after the last, however long the sound track is.
        let level = |from_s: f64| audio_level(&samples[(from_s * 16_000.0) as usize..][..1600], 16_000).rms_dbfs;
        for pass in [0.0, 2.0, 4.0, 6.0] {
            assert!(level(pass + 0.1) > -20.0, "{name}: the beep at {pass} s: {} dBFS", level(pass + 0.1));
            assert!(level(pass + 0.7) < -60.0, "{name}: quiet after the beep at {pass} s: {} dBFS", level(pass + 0.7));
        }
    }
}

/// With no sound named, a video with a sound track is heard through it (looping with the
/// pictures), a scene with sound through its own, and anything else not at all.
#[test]
fn a_source_with_a_sound_track_is_heard_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let (heard, silent) = (dir.path().join("heard.mp4"), dir.path().join("silent.mp4"));
    let (pictures, tone) = ("testsrc=size=64x64:rate=10:duration=1", "sine=frequency=440:sample_rate=16000:duration=1");
    common::ffmpeg(&["-f", "lavfi", "-i", pictures, "-f", "lavfi", "-i", tone, "-shortest", heard.to_str().unwrap()]);
    common::ffmpeg(&["-f", "lavfi", "-i", pictures, silent.to_str().unwrap()]);
    let (h, s) = (heard.display(), silent.display());
    let own = augur_capture::own_sound;
    assert_eq!(own(Some(&format!("file:{h}"))), Some(format!("audiofile:{h}")));
    assert_eq!(own(Some(&format!("file:{h}?loop=1&pace=fast"))), Some(format!("audiofile:{h}?loop=1&pace=fast")));
    assert_eq!(own(Some(&format!("file:{h}?pace=fast"))), Some(format!("audiofile:{h}?pace=fast")));
    assert_eq!(own(Some(&format!("file:{s}"))), None);
    assert_eq!(own(Some("file:/no/such/file.mp4")), None);
    assert_eq!(own(Some("scene:bounce?sound=1")), Some("scene:bounce?sound=1".into()));
    assert_eq!(own(Some("scene:bounce")), None);
    assert_eq!(own(None), None);
    // A name given wins (a bare one is a microphone); else the source's own; else the fallback.
    let default = || Some("mic:default".to_string());
    let heard = |given: Option<&str>, video: Option<&str>| augur_capture::heard_sound(given, video, default);
    assert_eq!(heard(Some("none"), Some("scene:bounce?sound=1")), None);
    assert_eq!(heard(Some("USB Mic"), None), Some("mic:USB Mic".into()));
    assert_eq!(heard(Some("audiofile:a.wav"), Some(&format!("file:{h}"))), Some("audiofile:a.wav".into()));
    assert_eq!(heard(None, Some(&format!("file:{h}"))), Some(format!("audiofile:{h}")));
    assert_eq!(heard(None, Some(&format!("file:{s}"))), Some("mic:default".into()));
    assert_eq!(augur_capture::heard_sound(None, Some("scene:bounce"), || None), None);
    // What it names opens and plays the track.
    let spec = SourceSpec::audio(&format!("audiofile:{h}?pace=fast")).unwrap();
    let mut src = open_audio(&spec, SessionClock::start()).unwrap();
    assert_eq!(src.info().sample_rate, 16_000);
    assert!(src.next_chunk().unwrap().is_some_and(|c| !c.samples.is_empty()));
}

#[test]
fn a_microphone_that_does_not_exist_gets_a_clear_error() {
    let spec = SourceSpec::audio("mic:no-such-microphone-anywhere").unwrap();
    let err = open_audio(&spec, SessionClock::start()).err().expect("no such mic");
    assert!(matches!(err, CaptureError::DeviceUnavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("augur devices"), "{err}");
}

/// Whether a PulseAudio server is up (scripts/services.sh starts one with a sine playing).
fn pulse_running() -> bool {
    std::process::Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success())
}

#[test]
fn microphone_hears_the_440_hz_sine() {
    if !pulse_running() {
        assert!(
            std::env::var_os("AUGUR_REQUIRE_SERVICES").is_none(),
            "not skipped under scripts/check.sh: it starts PulseAudio (scripts/services.sh)"
        );
        eprintln!("skipped: no PulseAudio server; run `. scripts/services.sh` first");
        return;
    }
    let spec = SourceSpec::audio("mic:default").unwrap();
    let clock = SessionClock::start();
    let mut mic = open_audio(&spec, clock).expect("the default microphone opens");
    let rate = mic.info().sample_rate;
    let mut samples = Vec::new();
    let mut last_pts = Duration::ZERO;
    let t = Instant::now();
    while samples.len() < rate as usize && t.elapsed() < Duration::from_secs(10) {
        let chunk = mic.next_chunk().unwrap().expect("the microphone keeps delivering");
        assert!(chunk.pts >= last_pts.saturating_sub(Duration::from_millis(5)), "chunk times on the session clock");
        last_pts = chunk.pts;
        samples.extend(chunk.samples);
    }
    // Skip the first chunks: the stream may start before the sine reaches the monitor.
    let level = audio_level(&samples[samples.len() / 2..], rate);
    assert!(level.rms_dbfs > -40.0, "the sine should be audible: {level:?}");
    assert!((level.dominant_hz - 440.0).abs() < 10.0, "{level:?}");
}
