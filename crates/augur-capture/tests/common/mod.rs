//! Helpers shared by the capture tests: fixtures made with the ffmpeg CLI at test time.

#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use augur_capture::{Frame, SessionClock, Source, SourceSpec, VideoSourceBox, open_video};

/// Runs the ffmpeg CLI to make a fixture; panics with its stderr if it fails.
pub fn ffmpeg(args: &[&str]) {
    let out =
        Command::new("ffmpeg").args(["-nostdin", "-loglevel", "error", "-y"]).args(args).output().expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A short test-pattern video: `frames` frames of 160x120 at 25 fps.
pub fn make_video(dir: &Path, name: &str, frames: u32, codec: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let n = frames.to_string();
    let mut args = vec!["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", &n];
    args.extend_from_slice(codec);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
    path
}

/// Opens a video source by name, panicking with the error if it fails.
pub fn open(name: &str) -> VideoSourceBox {
    open_video(&SourceSpec::video(name).unwrap(), SessionClock::start()).unwrap()
}

/// Reads up to `max` frames, returning them and how the source stopped.
pub fn read(src: &mut dyn Source, max: usize) -> (Vec<Frame>, Result<(), String>) {
    let mut frames = Vec::new();
    while frames.len() < max {
        match src.next_frame() {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => return (frames, Ok(())),
            Err(e) => return (frames, Err(e.to_string())),
        }
    }
    (frames, Ok(()))
}
