//! Frames onto a recording's fixed rate. A camera that slows down in low light keeps reporting
//! its nominal rate (30 fps) while it delivers 15; written one for one, its episode would play
//! at double speed, its sound drifting away from the pictures. Frames are placed by their own
//! timestamps instead: a gap repeats the frame before it, a frame that comes too early is left
//! out, and a source on time (jitter included) is written one for one.

use std::time::Duration;

/// Where frames fall on a recording's grid of `fps` slots a second.
#[derive(Debug, Clone)]
pub struct FrameGrid {
    fps: f64,
    /// The first frame's timestamp, or where the grid was set again after a jump.
    origin: Option<(Duration, u64)>,
}

impl FrameGrid {
    /// A grid of `fps` frames a second.
    pub fn new(fps: u32) -> Self {
        Self { fps: f64::from(fps.max(1)), origin: None }
    }

    /// How many frames to write for the frame timestamped `t` (the source's own clock), with
    /// `written` frames already in the episode: 1 on time; 0 when it comes more than a frame
    /// early (left out); more when slots before it are empty: write the frame
    /// before it `n - 1` times, then this one. A jump of more than a second either way (a
    /// timestamp discontinuity) sets the grid again at this frame.
    pub fn copies(&mut self, t: Duration, written: u64) -> u64 {
        let (origin, at) = *self.origin.get_or_insert((t, written));
        let slot = (t.as_secs_f64() - origin.as_secs_f64()) * self.fps + at as f64;
        let drift = slot - written as f64;
        if drift.abs() > self.fps {
            self.origin = Some((t, written));
            return 1;
        }
        match drift {
            d if d < -1.0 => 0,
            d if d > 1.5 => (d - 0.5).floor() as u64 + 1,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(grid: &mut FrameGrid, times_ms: &[f64]) -> u64 {
        let mut written = 0;
        for t in times_ms {
            written += grid.copies(Duration::from_secs_f64(t / 1000.0), written);
        }
        written
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

    #[test]
    fn a_faster_source_is_thinned_and_a_jump_resets() {
        let times: Vec<f64> = (0..120).map(|i| i as f64 * 16.667).collect();
        let written = run(&mut FrameGrid::new(30), &times);
        assert!((59..=62).contains(&written), "{written} frames for 2 s at 30 fps");
        // A stream whose timestamps jump back an hour goes on, one for one.
        let mut grid = FrameGrid::new(30);
        let mut written = run(&mut grid, &[3_600_000.0, 3_600_033.3]);
        for i in 0..30 {
            written += grid.copies(Duration::from_secs_f64(f64::from(i) / 30.0), written);
        }
        assert_eq!(written, 32);
    }
}
