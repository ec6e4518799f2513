//! The H.264 writer: every frame pushed is in the file, as ffprobe and our own decoder see it,
//! and bad outputs are refused with a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use augur_capture::{FileSpec, Pacing, SessionClock, VideoSpec, VideoWriter, open_video};

#[test]
fn every_frame_written_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.mp4");
    // Odd sizes are rounded down to even, as yuv420p needs.
    let (w, h) = (65u32, 49u32);
    let mut writer = VideoWriter::create(&path, w, h, 30).unwrap();
    for i in 0..7u8 {
        let frame: Vec<u8> = (0..w * h * 3).map(|p| (p as u8).wrapping_add(i * 30)).collect();
        writer.push_rgb(&frame, w).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), 7);
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name,pix_fmt,width,height,nb_read_frames", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "h264,64,48,yuv420p,7");
    let spec = VideoSpec::File(FileSpec { path: path.display().to_string(), looping: false, pacing: Pacing::Fast });
    let mut source = open_video(&spec, SessionClock::start()).unwrap();
    let mut n = 0;
    while source.next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn bad_outputs_are_refused() {
    let err = VideoWriter::create(std::path::Path::new("/nonexistent/dir/out.mp4"), 64, 48, 30).err().unwrap();
    assert!(err.to_string().contains("/nonexistent/dir/out.mp4"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    assert!(VideoWriter::create(&dir.path().join("x.mp4"), 1, 1, 30).is_err());
    let mut writer = VideoWriter::create(&dir.path().join("y.mp4"), 64, 48, 30).unwrap();
    assert!(writer.push_rgb(&[0u8; 10], 64).is_err(), "a short frame is refused");
}
