//! A physics scene as a live video source, paced by the session clock like a camera.

use std::sync::Arc;
use std::time::Duration;

use super::pair::Pair;
use super::{SOUND_RATE, Scene, SceneConfig, frame_time};
use crate::{AudioChunk, AudioInfo, AudioSource, CaptureError, Frame, SessionClock, Source, SourceInfo};

/// A [`Scene`] delivered frame by frame, forever. In realtime mode frame `i` is held back until
/// `i / fps` seconds after the source opened; the schedule is fixed at open, so a late frame is
/// delivered at once and the rate never drifts. A scene with sound shares its simulation and
/// schedule with its [`SceneSound`] of the same name, opened at another moment, so the two stay
/// in step (see [`Pair`]); its frames' stream times are then session times.
#[derive(Debug)]
pub struct SceneSource {
    scene: Scene,
    info: SourceInfo,
    clock: SessionClock,
    /// Session time at which the source opened: frame `i` is due at `opened + i / fps` (for
    /// one with a pair, at the pair's time instead).
    opened: Duration,
    /// The simulation shared with the scene's sound, for one with sound that is paced.
    pair: Option<Arc<Pair>>,
}

impl SceneSource {
    /// Builds the scene (checking `cfg`) and starts its schedule now, or joins its sound's.
    pub fn open(cfg: SceneConfig, clock: SessionClock) -> Result<Self, CaptureError> {
        let (scene, pair) = start(&cfg, clock)?;
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
            paced: cfg.realtime,
            notes,
        };
        Ok(Self { scene, info, clock, opened: clock.now(), pair })
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
        let offset = frame_time(index, self.info.fps);
        let due = match &self.pair {
            Some(pair) => pair.due(index),
            None => self.opened.saturating_add(offset),
        };
        if self.scene.config().realtime {
            let now = self.clock.now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let pts = self.clock.now();
        let mut rgb = vec![0u8; self.info.width as usize * self.info.height as usize * 3];
        self.scene.render_into(&mut rgb);
        self.scene.step();
        if let Some(pair) = &self.pair {
            pair.publish(&self.scene);
        }
        Ok(Some(Frame {
            pts,
            stream_pts: Some(if self.pair.is_some() { due } else { offset }),
            index,
            width: self.info.width,
            height: self.info.height,
            rgb: Arc::from(rgb),
        }))
    }
}

/// The scene `cfg` to start from, with the simulation it shares with its other half when it
/// has sound and is paced (the pictures and the sound stay in step whenever each was opened).
fn start(cfg: &SceneConfig, clock: SessionClock) -> Result<(Scene, Option<Arc<Pair>>), CaptureError> {
    if cfg.sound && cfg.realtime {
        let (pair, scene) = Pair::join(cfg, clock)?;
        return Ok((scene, Some(pair)));
    }
    Ok((Scene::new(cfg)?, None))
}

/// A scene's own sound as an audio source: the scene simulated again (no pictures), one chunk
/// per frame step, each the sound from one frame to the next, paced by session time with its
/// [`SceneSource`] so the knocks come with the bounces they belong to.
#[derive(Debug)]
pub struct SceneSound {
    scene: Scene,
    info: AudioInfo,
    clock: SessionClock,
    /// The simulation shared with the scene's pictures; `None` unpaced, where chunk `k` is at
    /// `k / fps`.
    pair: Option<Arc<Pair>>,
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
        let (scene, pair) = start(&cfg, clock)?;
        let info = AudioInfo {
            description: format!("{}, its own sound", cfg.description()),
            sample_rate: SOUND_RATE,
            channels: 1,
            native_format: "f32".into(),
        };
        Ok(Self { scene, info, clock, pair })
    }
}

impl AudioSource for SceneSound {
    fn info(&self) -> &AudioInfo {
        &self.info
    }

    fn next_chunk(&mut self) -> Result<Option<AudioChunk>, CaptureError> {
        let fps = self.scene.config().fps;
        let from = self.scene.frame_index();
        let at = |f: u64| match &self.pair {
            Some(pair) => pair.due(f),
            None => frame_time(f, fps),
        };
        // The step from frame `from` to `from + 1` is heard once frame `from + 1` is due.
        if self.pair.is_some() {
            let (due, now) = (at(from + 1), self.clock.now());
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let pts = at(from);
        self.scene.step();
        if let Some(pair) = &self.pair {
            pair.publish(&self.scene);
        }
        Ok(Some(AudioChunk { pts, sample_rate: SOUND_RATE, samples: self.scene.sound().to_vec() }))
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
        // Paced, opened late: the pictures start the scene at its frame 0, due then on the
        // session clock, and the sound opened later joins them in step.
        let clock = SessionClock::start();
        std::thread::sleep(Duration::from_millis(120));
        let mut pictures = SceneSource::open(cfg.clone(), clock).unwrap();
        let first = pictures.next_frame().unwrap().unwrap();
        assert_eq!(first.index, 0);
        let f0 = (first.stream_pts.unwrap().as_secs_f64() * 30.0).round() as u64;
        assert!(f0 >= 3, "frame 0 is due at session frame {f0}, not the one due at 120 ms");
        let mut expected = Scene::new(&cfg).unwrap();
        assert_eq!(first.rgb[..], expected.render()[..], "the scene's first frame");
        std::thread::sleep(Duration::from_millis(60));
        let mut late = SceneSound::open(cfg, clock).unwrap();
        let mut knocked = false;
        for k in 0..150 {
            let chunk = late.next_chunk().unwrap().unwrap();
            let step = (chunk.pts.as_secs_f64() * 30.0).round() as u64;
            assert!(step > f0, "the sound opened later starts later: session frame {step}");
            while expected.frame_index() <= step - f0 {
                expected.step();
            }
            assert_eq!(chunk.samples, expected.sound(), "chunk {k}: the sound of that step of the same scene");
            // Up to the first knock: silence compares equal whatever scene made it.
            knocked = chunk.samples.iter().any(|&v| v != 0.0);
            if knocked {
                break;
            }
        }
        assert!(knocked, "no knock in 5 s of the scene to tell its sound by");
    }

    /// A knocking scene opened in a session already long starts at once at its frame 0,
    /// instead of simulating the whole session first; its sound opened more than a second
    /// later joins from a published state; once both are closed it starts afresh.
    #[test]
    fn a_scene_with_sound_opened_late_starts_at_once_and_stays_in_step() {
        use crate::{AudioSpec, SourceSpec};
        let AudioSpec::Scene(cfg) = SourceSpec::audio("scene:bounce?sound=1&seed=5&balls=3&size=64x64").unwrap() else {
            panic!("not a scene's sound")
        };
        let clock = SessionClock::started_ago(Duration::from_secs(60)).expect("this machine has been up a minute");
        let mut pictures = SceneSource::open(cfg.clone(), clock).unwrap();
        let mut expected = Scene::new(&cfg).unwrap();
        let mut f0 = 0;
        for i in 0..40u64 {
            let frame = pictures.next_frame().unwrap().unwrap();
            assert_eq!(frame.index, i, "frame 0 is the first, not the 1800th of a session a minute old");
            assert!(frame.rgb[..] == expected.render()[..], "frame {i} is not the scene's");
            expected.step();
            let at = (frame.stream_pts.unwrap().as_secs_f64() * 30.0).round() as u64;
            if i == 0 {
                f0 = at;
                assert!(f0 >= 1800, "frame 0 is due at the session's frame {f0}");
            }
            assert_eq!(at, f0 + i, "frame {i} keeps the session's schedule");
        }
        let pair = pictures.pair.clone().expect("a paced scene with sound has a pair");
        assert_eq!(pair.published(), 30, "the state a late opening starts from, published once a second");
        // Up to the first knock (silence compares equal whatever scene made it).
        let mut sound = SceneSound::open(cfg.clone(), clock).unwrap();
        let mut heard = Scene::new(&cfg).unwrap();
        while heard.frame_index() < 39 {
            heard.step();
        }
        let mut knocked = false;
        for k in 0..150 {
            let chunk = sound.next_chunk().unwrap().unwrap();
            let step = (chunk.pts.as_secs_f64() * 30.0).round() as u64 - f0;
            assert_eq!(step, 39 + k, "chunk {k}: the sound from the last frame shown on");
            heard.step();
            assert_eq!(chunk.samples, heard.sound(), "chunk {k}: the sound of the step into frame {}", step + 1);
            knocked = chunk.samples.iter().any(|&v| v != 0.0);
            if knocked {
                break;
            }
        }
        assert!(knocked, "no knock in 5 s of the scene to tell its sound by");
        drop((pictures, sound, pair));
        let mut again = SceneSource::open(cfg.clone(), clock).unwrap();
        let frame = again.next_frame().unwrap().unwrap();
        assert_eq!(frame.index, 0, "opened afresh");
        assert!(frame.rgb[..] == Scene::new(&cfg).unwrap().render()[..], "opened afresh, at the scene's first frame");
    }
}
