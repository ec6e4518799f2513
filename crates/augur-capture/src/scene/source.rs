//! A physics scene as a live video source, paced by the session clock like a camera.

use std::sync::Arc;
use std::time::Duration;

use super::{SOUND_RATE, Scene, SceneConfig};
use crate::{AudioChunk, AudioInfo, AudioSource, CaptureError, Frame, SessionClock, Source, SourceInfo};

/// A [`Scene`] delivered frame by frame, forever. In realtime mode frame `i` is held back until
/// `i / fps` seconds after the source opened; the schedule is fixed at open, so a late frame is
/// delivered at once and the rate never drifts. A scene with sound keeps session time instead
/// (frame `i` at `i / fps` seconds of the session clock, starting at the frame due when it
/// opens), so its [`SceneSound`] of the same name, opened at another moment, stays in step.
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
        let scene = on_session_time(&cfg, clock)?;
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
        let opened = if on_session_clock(&cfg) { Duration::ZERO } else { clock.now() };
        Ok(Self { scene, info, clock, opened })
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

/// Whether the scene `cfg` keeps session time: one with sound that is paced, so its pictures
/// and its [`SceneSound`] stay in step whenever each was opened.
fn on_session_clock(cfg: &SceneConfig) -> bool {
    cfg.sound && cfg.realtime
}

/// The scene `cfg` at the frame due now on the session clock when it keeps session time
/// (physics only up to there), else at frame 0.
fn on_session_time(cfg: &SceneConfig, clock: SessionClock) -> Result<Scene, CaptureError> {
    let mut scene = Scene::new(cfg)?;
    if on_session_clock(cfg) {
        let due = (clock.now().as_secs_f64() * cfg.fps).floor() as u64;
        for _ in 0..due {
            scene.step();
        }
    }
    Ok(scene)
}

/// A scene's own sound as an audio source: the scene simulated again (no pictures), one chunk
/// per frame step, each the sound from one frame to the next, paced by session time like its
/// [`SceneSource`] so the knocks come with the bounces they belong to.
#[derive(Debug)]
pub struct SceneSound {
    scene: Scene,
    info: AudioInfo,
    clock: SessionClock,
}

impl SceneSound {
    /// Opens the sound of `cfg`, which must ask for sound (`sound=1`).
    pub fn open(cfg: SceneConfig, clock: SessionClock) -> Result<Self, CaptureError> {
        if !cfg.sound {
            return Err(CaptureError::BadSpec {
                given: cfg.description(),
                why: "a scene is heard only with sound=1".into(),
                forms: super::SCENE_FORMS,
            });
        }
        let scene = on_session_time(&cfg, clock)?;
        let info = AudioInfo {
            description: format!("{}, its own sound", cfg.description()),
            sample_rate: SOUND_RATE,
            channels: 1,
            native_format: "f32".into(),
        };
        Ok(Self { scene, info, clock })
    }
}

impl AudioSource for SceneSound {
    fn info(&self) -> &AudioInfo {
        &self.info
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError> {
        let (fps, realtime) = (self.scene.config().fps, self.scene.config().realtime);
        let from = self.scene.frame_index();
        // The step from frame `from` to `from + 1` is heard once frame `from + 1` is due.
        let at = |f: u64| Duration::try_from_secs_f64(f as f64 / fps).unwrap_or(Duration::MAX);
        if realtime {
            let (due, now) = (at(from + 1), self.clock.now());
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.scene.step();
        Ok(Some(AudioChunk { pts: at(from), sample_rate: SOUND_RATE, samples: self.scene.sound().to_vec() }))
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

    #[test]
    fn a_scenes_sound_is_an_audio_source_in_step_with_its_pictures() {
        use crate::{AudioSpec, SourceSpec};
        let name = "scene:bounce?sound=1&seed=11&balls=1&size=64x64";
        let AudioSpec::Scene(cfg) = SourceSpec::audio(name).unwrap() else { panic!("not a scene's sound") };
        let err = SourceSpec::audio("scene:bounce?seed=11").unwrap_err().to_string();
        assert!(err.contains("sound=1"), "{err}");
        let silent = SceneConfig { sound: false, ..cfg.clone() };
        let err = SceneSound::open(silent, SessionClock::start()).unwrap_err().to_string();
        assert!(err.contains("heard only with sound=1"), "{err}");
        // Unpaced: chunk k is the sound of the step into frame k + 1 of the same scene.
        let mut sound =
            SceneSound::open(SceneConfig { realtime: false, ..cfg.clone() }, SessionClock::start()).unwrap();
        assert_eq!((sound.info().sample_rate, sound.info().channels), (SOUND_RATE, 1));
        let mut scene = Scene::new(&cfg).unwrap();
        let mut heard = 0;
        for k in 0..120u64 {
            let chunk = sound.next_chunk().unwrap().expect("a scene never ends");
            scene.step();
            assert_eq!(chunk.samples, scene.sound(), "chunk {k}");
            assert_eq!(chunk.pts, Duration::from_secs_f64(k as f64 / 30.0));
            heard += usize::from(!scene.contacts().is_empty());
        }
        assert!(heard > 0, "the ball hit something in 4 s");
        // Paced, opened late: pictures and sound start at the frame due on the session clock,
        // so a source and a sound opened at different moments stay in step.
        let clock = SessionClock::start();
        std::thread::sleep(Duration::from_millis(120));
        let mut pictures = SceneSource::open(cfg.clone(), clock).unwrap();
        let first = pictures.next_frame().unwrap().unwrap();
        assert!(first.index >= 3, "frame {} is not the one due at 120 ms", first.index);
        assert_eq!(first.stream_pts, Some(Duration::from_secs_f64(first.index as f64 / 30.0)));
        let mut expected = Scene::new(&cfg).unwrap();
        for _ in 0..first.index {
            expected.step();
        }
        assert_eq!(first.rgb[..], expected.render()[..], "the frame due, as the scene draws it");
        std::thread::sleep(Duration::from_millis(60));
        let mut late = SceneSound::open(cfg, clock).unwrap();
        let chunk = late.next_chunk().unwrap().unwrap();
        let step = (chunk.pts.as_secs_f64() * 30.0).round() as u64;
        assert!(step > first.index, "the sound opened later starts later: step {step}");
        while expected.frame_index() <= step {
            expected.step();
        }
        assert_eq!(chunk.samples, expected.sound(), "the sound of that step of the same scene");
    }
}
