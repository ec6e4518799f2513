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
    // Smooth ramps, one per channel and each a different way, that the encoder keeps: a channel
    // swapped, a row read at the wrong stride or a crop from the wrong corner shows in the
    // pixels read back.
    let frame = |i: u32| -> Vec<u8> {
        (0..w * h)
            .flat_map(|p| {
                let (x, y) = (p % w, p / w);
                [(x * 3 + i * 4) as u8, (y * 4) as u8, (200 - x - y) as u8]
            })
            .collect()
    };
    let pushed: Vec<Vec<u8>> = (0..7).map(frame).collect();
    for f in &pushed {
        writer.push_rgb(f, w).unwrap();
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
    while let Some(got) = source.next_frame().unwrap() {
        assert_eq!((got.width, got.height), (64, 48));
        // The top-left 64×48 of what was pushed, channel by channel.
        for c in 0..3 {
            let mut off = 0.0;
            for y in 0..48 {
                for x in 0..64 {
                    let want = pushed[n][((y * w + x) * 3 + c) as usize];
                    off += f64::from(got.rgb[((y * 64 + x) * 3 + c) as usize].abs_diff(want));
                }
            }
            let mean = off / (64.0 * 48.0);
            assert!(mean < 6.0, "frame {n} channel {c} is off by {mean:.1} on average");
        }
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
