//! Frames onto a recording's fixed rate. A camera that slows down in low light keeps reporting
//! its nominal rate (30 fps) while it delivers 15; written one for one, its episode would play
//! at double speed, its sound drifting away from the pictures. Frames are placed by their own
//! timestamps instead: a gap repeats the frame before it, a frame that comes too early is left
//! out, and a source on time (jitter included) is written one for one.

use std::time::Duration;

use augur_capture::Frame;

/// Where frames fall on a recording's grid of `fps` slots a second.
#[derive(Debug, Clone)]
pub struct FrameGrid {
    fps: f64,
    /// The first frame's timestamp and the frames written before it, or where the grid was
    /// set again after the stream's clock jumped.
    origin: Option<(Duration, u64)>,
    /// The last frame's timestamps: its own and the session's.
    last: Option<(Duration, Duration)>,
    /// The last frame placed, repeated over a gap after it.
    shown: Option<Frame>,
}

/// Most frames written for one: a long gap is filled over the frames after it, so one frame
/// never costs many encodes on a thread that must keep up with the source.
const MOST_COPIES: u64 = 3;

impl FrameGrid {
    /// A grid of `fps` frames a second.
    pub fn new(fps: u32) -> Self {
        Self { fps: f64::from(fps.max(1)), origin: None, last: None, shown: None }
    }

    /// The frames to write for `frame` with `written` already in the episode, in order: itself
    /// when on time; nothing when it comes more than a frame early; the frame before it once or
    /// twice, then itself, when slots before it are empty (a longer gap is filled over the next
    /// frames). Placed by its own timestamp (the session's where it has none).
    pub fn place(&mut self, frame: &Frame, written: u64) -> Vec<Frame> {
        let copies = self.copies(frame.stream_pts.unwrap_or(frame.pts), frame.pts, written) as usize;
        let before = self.shown.replace(frame.clone()).unwrap_or_else(|| frame.clone());
        let mut out = vec![before; copies.saturating_sub(1)];
        if copies > 0 {
            out.push(frame.clone());
        }
        out
    }

    /// How many frames to write for the frame timestamped `t` by its source and `now` by the
    /// session, with `written` frames already in the episode: 1 on time; 0 when it comes more
    /// than a frame early; 2 or 3 when slots before it are empty. Where the source's clock
    /// jumps but the session's does not (a discontinuity, not a pause), the grid is set again
    /// at this frame.
    fn copies(&mut self, t: Duration, now: Duration, written: u64) -> u64 {
        let secs = |d: Duration| d.as_secs_f64();
        if let Some((t0, now0)) = self.last.replace((t, now))
            && ((secs(t) - secs(t0)) - (secs(now) - secs(now0))).abs() > 1.0
        {
            self.origin = Some((t, written));
            return 1;
        }
        let (origin, at) = *self.origin.get_or_insert((t, written));
        let drift = (secs(t) - secs(origin)) * self.fps + at as f64 - written as f64;
        match drift {
            d if d < -1.0 => 0,
            d if d > 1.5 => ((d - 0.5).floor() as u64 + 1).min(MOST_COPIES),
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames at `times_ms` by the source's clock, the session's running alongside.
    fn run(grid: &mut FrameGrid, times_ms: &[f64]) -> u64 {
        let mut written = 0;
        for t in times_ms {
            let at = Duration::from_secs_f64(t / 1000.0);
            written += grid.copies(at, at, written);
        }
        written
    }

    /// A gap is filled with the frame before it, then the new frame comes.
    #[test]
    fn a_gap_repeats_the_frame_before_it() {
        let frame = |index: u64, ms: u64| {
            let at = Duration::from_millis(ms);
            Frame { pts: at, stream_pts: Some(at), index, width: 1, height: 1, rgb: vec![index as u8; 3].into() }
        };
        let mut grid = FrameGrid::new(10);
        let first = grid.place(&frame(0, 0), 0);
        let after_gap: Vec<u64> = grid.place(&frame(1, 400), 1).iter().map(|f| f.index).collect();
        assert_eq!((first.len(), after_gap), (1, vec![0, 0, 1]));
        assert!(grid.place(&frame(2, 410), 6).is_empty(), "a frame too early is left out");
    }

    #[test]
    fn a_source_on_time_is_written_one_for_one_through_jitter() {
        let times: Vec<f64> = (0..90).map(|i| i as f64 * 33.333 + if i % 3 == 0 { 14.0 } else { -9.0 }).collect();
        assert_eq!(run(&mut FrameGrid::new(30), &times), 90);
    }

    /// 3 s at 15 fps for a 30 fps recording: 3 s of video, not 1.5.
    #[test]
    fn a_source_at_half_its_rate_fills_the_gaps() {
        let times: Vec<f64> = (0..45).map(|i| i as f64 * 66.667).collect();
        let written = run(&mut FrameGrid::new(30), &times);
        assert!((87..=90).contains(&written), "{written} frames for 2.93 s at 30 fps");
    }

    /// A camera frozen for 2 s: the gap is filled, a few frames at a time, and the episode
    /// keeps time with the sound.
    #[test]
    fn a_long_freeze_is_filled_over_the_next_frames() {
        let mut times: Vec<f64> = (0..30).map(|i| i as f64 * 33.333).collect();
        times.extend((0..60).map(|i| 3000.0 + i as f64 * 33.333));
        let written = run(&mut FrameGrid::new(30), &times);
        assert!((148..=151).contains(&written), "{written} frames for 5 s at 30 fps");
    }

    #[test]
    fn a_faster_source_is_thinned_and_a_jump_resets() {
        let times: Vec<f64> = (0..120).map(|i| i as f64 * 16.667).collect();
        let written = run(&mut FrameGrid::new(30), &times);
        assert!((59..=62).contains(&written), "{written} frames for 2 s at 30 fps");
        // A stream whose timestamps jump back an hour while the session's go on: one for one.
        let mut grid = FrameGrid::new(30);
        let mut written = 0;
        for i in 0..32u32 {
            let now = Duration::from_secs_f64(f64::from(i) / 30.0);
            let own = if i < 2 { now + Duration::from_secs(3600) } else { now };
            written += grid.copies(own, now, written);
        }
        assert_eq!(written, 32);
    }
}
