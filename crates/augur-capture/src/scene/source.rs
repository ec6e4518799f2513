//! A physics scene as a live video source, paced by the session clock like a camera.

use std::sync::Arc;
use std::time::Duration;

use super::{Scene, SceneConfig};
use crate::{CaptureError, Frame, SessionClock, Source, SourceInfo};

/// A [`Scene`] delivered frame by frame, forever. In realtime mode frame `i` is held back until
/// `i / fps` seconds after the source opened; the schedule is fixed at open, so a late frame is
/// delivered at once and the rate never drifts.
#[derive(Debug)]
pub struct SceneSource {
    scene: Scene,
    info: SourceInfo,
    clock: SessionClock,
    /// Session time at which the source opened: frame `i` is due at `opened + i / fps`.
    opened: Duration,
}

impl SceneSource {
    /// Builds the scene (checking `cfg`) and starts its schedule now.
    pub fn open(cfg: SceneConfig, clock: SessionClock) -> Result<Self, CaptureError> {
        let scene = Scene::new(&cfg)?;
        let mut notes = Vec::new();
        if !cfg.realtime {
            notes.push("not paced: frames come as fast as they are read".to_string());
        }
        let info = SourceInfo {
            description: cfg.description(),
            width: cfg.width,
            height: cfg.height,
            fps: cfg.fps,
            native_format: "rgb24".into(),
            live: true,
            notes,
        };
        Ok(Self { scene, info, clock, opened: clock.now() })
    }

    /// The scene in the state of the next frame to be delivered, e.g. for its
    /// [`ball_states`](Scene::ball_states) as labels.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }
}

impl Source for SceneSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let index = self.scene.frame_index();
        // Saturates instead of panicking for absurd indices at tiny frame rates.
        let offset = Duration::try_from_secs_f64(index as f64 / self.info.fps).unwrap_or(Duration::MAX);
        if self.scene.config().realtime {
            let due = self.opened.saturating_add(offset);
            let now = self.clock.now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let pts = self.clock.now();
        let mut rgb = vec![0u8; self.info.width as usize * self.info.height as usize * 3];
        self.scene.render_into(&mut rgb);
        self.scene.step();
        Ok(Some(Frame {
            pts,
            stream_pts: Some(offset),
            index,
            width: self.info.width,
            height: self.info.height,
            rgb: Arc::from(rgb),
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::scene::tests::unpaced;

    #[test]
    fn unpaced_source_delivers_frames_as_fast_as_read() {
        let mut source = SceneSource::open(unpaced(7), SessionClock::start()).unwrap();
        let info = source.info().clone();
        assert_eq!((info.width, info.height, info.fps, info.live), (320, 240, 30.0, true));
        assert_eq!(info.native_format, "rgb24");
        assert_eq!(info.description, "scene bounce (seed 7, 3 balls)");
        let mut last = None;
        let first = Scene::new(&unpaced(7)).unwrap().render();
        for i in 0..50u64 {
            let frame = source.next_frame().unwrap().expect("a live source never ends");
            assert_eq!(frame.index, i);
            assert_eq!((frame.width, frame.height, frame.rgb.len()), (320, 240, 320 * 240 * 3));
            assert_eq!(frame.stream_pts, Some(Duration::from_secs_f64(i as f64 / 30.0)));
            if i == 0 {
                assert_eq!(frame.rgb[..], first[..]);
            }
            assert!(last.is_none_or(|t| frame.pts > t), "pts went backwards at frame {i}");
            last = Some(frame.pts);
        }
    }

    #[test]
    fn realtime_source_is_paced_by_the_clock() {
        let cfg = SceneConfig { realtime: true, ..unpaced(1) };
        let started = Instant::now();
        let mut source = SceneSource::open(cfg, SessionClock::start()).unwrap();
        for _ in 0..10 {
            source.next_frame().unwrap();
        }
        // Frame 9 is due 0.3 s after opening; loose bounds, machines are noisy.
        let took = started.elapsed().as_secs_f64();
        assert!((0.25..1.5).contains(&took), "10 frames at 30 fps took {took:.3} s");
    }
}
