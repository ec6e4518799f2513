//! What a physics scene is made of: its family, seed, size, rate, and an optional violation.

use serde::Serialize;

use super::Violation;
use crate::CaptureError;

/// How a scene is written as a source name, shown whenever a scene setting is refused.
pub const SCENE_FORMS: &str =
    "e.g. scene:bounce?seed=7&size=640x480&fps=30&balls=3&noise=0.02&sound=1&violation=vanish&at=30&until=45";

/// The floor heights a scene accepts, in units of the frame's shorter side.
pub const FLOOR_HEIGHTS: std::ops::RangeInclusive<f64> = 0.02..=0.4;

/// Which family of scene to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SceneKind {
    /// Balls under gravity bouncing off the floor, the walls and each other, passing behind
    /// an occluding bar.
    Bounce,
}

impl SceneKind {
    /// Every scene family, for pickers and sweeps.
    pub const ALL: [SceneKind; 1] = [SceneKind::Bounce];

    /// The name used in source names (`scene:bounce`).
    pub fn name(self) -> &'static str {
        match self {
            SceneKind::Bounce => "bounce",
        }
    }

    /// The family called `name` (case-insensitive), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// Everything that determines a scene. Two scenes with equal configs produce identical bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SceneConfig {
    /// The scene family.
    pub kind: SceneKind,
    /// Chooses the layout, colours, physics constants and noise; each seed is a different scene.
    pub seed: u64,
    /// Frame width in pixels, 16 to 4096.
    pub width: u32,
    /// Frame height in pixels, 16 to 4096.
    pub height: u32,
    /// Frames per second, in `(0, 240]`; one frame advances the physics by `1 / fps` seconds.
    pub fps: f64,
    /// How many balls, 1 to 16.
    pub balls: u32,
    /// Standard deviation of per-pixel camera noise in `[0, 1]` units of full scale.
    pub noise: f32,
    /// Whether a vertical bar stands in front of the balls. It is placed where ball 0 will be
    /// at `violation_frame` (when that is within the first two minutes; later, at a seeded
    /// place), so an object-permanence violation happens out of sight.
    pub occluder: bool,
    /// An impossible event to stage, or `None` for a physically possible scene.
    pub violation: Option<Violation>,
    /// Ball 0 moves but is never drawn and collides with nothing: the empty twin of a balanced
    /// permanence test (see [`Violation::Appear`]).
    pub first_ball_hidden: bool,
    /// The frame index at which the violation happens. It also places the occluder, so a
    /// possible scene and its impossible twin must share it to be comparable.
    pub violation_frame: u64,
    /// A second bar, standing where ball 0 is at this frame (after `violation_frame`), and the
    /// end of a `vanish` or `appear` violation: the vanished ball comes back out from behind
    /// it, the one that appeared goes behind it and is not seen again. With one ball, the
    /// clips seen / never seen / vanish / appear with this set make a balanced continuity test
    /// (the ball leaves one bar and comes out of the other without crossing the gap).
    pub rejoin_frame: Option<u64>,
    /// The floor band's height, in units of the frame's shorter side ([`FLOOR_HEIGHTS`]), or
    /// `None` for the seed's own (0.06 to 0.12). Either way the balls start where the seed
    /// puts them, so scenes that differ only here move alike until the first floor contact.
    pub floor_height: Option<f64>,
    /// Where the balls bounce, as a floor height like `floor_height`, when that is not where
    /// the floor is drawn: the impossible clips of a balanced solidity test, whose ball sinks
    /// into the floor or bounces off the air above it. `None`: on the drawn floor.
    pub bounce_height: Option<f64>,
    /// Whether contacts are heard: each bounce and collision knocks ([`Scene::sound`](super::Scene::sound)).
    pub sound: bool,
    /// `true`: a source waits until each frame is due, like a camera. `false`: frames come as
    /// fast as they are asked for (training data, tests).
    pub realtime: bool,
}

impl Default for SceneConfig {
    fn default() -> Self {
        Self {
            kind: SceneKind::Bounce,
            seed: 0,
            width: 320,
            height: 240,
            fps: 30.0,
            balls: 3,
            noise: 0.0,
            occluder: true,
            violation: None,
            first_ball_hidden: false,
            violation_frame: 30,
            rejoin_frame: None,
            floor_height: None,
            bounce_height: None,
            sound: false,
            realtime: true,
        }
    }
}

impl SceneConfig {
    /// Checks every setting against its allowed range; the error names the offending setting
    /// and shows the accepted source-name forms.
    pub fn validate(&self) -> Result<(), CaptureError> {
        let bad = |given: String, why: String| Err(CaptureError::BadSpec { given, why, forms: SCENE_FORMS });
        let sizes = 16..=4096;
        if !sizes.contains(&self.width) || !sizes.contains(&self.height) {
            return bad(
                format!("size={}x{}", self.width, self.height),
                "width and height must each be 16 to 4096 pixels".into(),
            );
        }
        // Written so that NaN fails too. At least 1: a frame is simulated in steps of the
        // physics' own length, and its sound is a frame long, so 1e-9 fps meant billions of
        // steps a frame (a hang) and 64 GB of sound (an abort).
        if !(self.fps >= 1.0 && self.fps <= 240.0) {
            return bad(format!("fps={}", self.fps), "the frame rate must be 1 to 240".into());
        }
        if !(1..=16).contains(&self.balls) {
            return bad(format!("balls={}", self.balls), "there must be 1 to 16 balls".into());
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return bad(
                format!("noise={}", self.noise),
                "noise is a standard deviation in [0, 1] (0.02 is a typical webcam)".into(),
            );
        }
        for (key, height) in [("floor", self.floor_height), ("bounce", self.bounce_height)] {
            match height {
                Some(h) if !FLOOR_HEIGHTS.contains(&h) => {
                    return bad(
                        format!("{key}={h}"),
                        format!(
                            "a floor height is a share of the frame's shorter side, {} to {}",
                            FLOOR_HEIGHTS.start(),
                            FLOOR_HEIGHTS.end()
                        ),
                    );
                }
                _ => {}
            }
        }
        if let Some(rejoin) = self.rejoin_frame {
            if rejoin <= self.violation_frame {
                return bad(
                    format!("until={rejoin}"),
                    format!("the second bar's frame must come after the violation frame (at={})", self.violation_frame),
                );
            }
            if matches!(self.violation, Some(Violation::Teleport | Violation::PassThrough)) {
                return bad(
                    format!("until={rejoin}"),
                    "only a vanish or appear violation can end at a second bar; leave out until= for teleport and passthrough".into(),
                );
            }
        }
        Ok(())
    }

    /// A short human-readable summary, e.g. `scene bounce (seed 7, 3 balls)`.
    pub fn description(&self) -> String {
        let plural = if self.balls == 1 { "" } else { "s" };
        let mut text = format!("scene {} (seed {}, {} ball{plural}", self.kind.name(), self.seed, self.balls);
        if let Some(v) = self.violation {
            text.push_str(&format!(", {} at frame {}", v.name(), self.violation_frame));
        }
        if let Some(rejoin) = self.rejoin_frame {
            text.push_str(&format!(", second bar at frame {rejoin}"));
        }
        if self.first_ball_hidden {
            text.push_str(", ball 0 hidden");
        }
        if let Some(h) = self.floor_height {
            text.push_str(&format!(", floor {h}"));
        }
        if let Some(h) = self.bounce_height {
            text.push_str(&format!(", bouncing at {h}"));
        }
        if self.sound {
            text.push_str(", with sound");
        }
        text.push(')');
        text
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::scene::Scene;
    use crate::scene::tests::unpaced;

    #[test]
    fn validate_rejects_bad_values_and_shows_the_forms() {
        assert!(SceneConfig::default().validate().is_ok());
        let base = SceneConfig::default();
        let bad = [
            SceneConfig { width: 15, ..base.clone() },
            SceneConfig { height: 4097, ..base.clone() },
            SceneConfig { fps: 0.0, ..base.clone() },
            SceneConfig { fps: 241.0, ..base.clone() },
            SceneConfig { fps: f64::NAN, ..base.clone() },
            SceneConfig { balls: 0, ..base.clone() },
            SceneConfig { balls: 17, ..base.clone() },
            SceneConfig { noise: -0.1, ..base.clone() },
            SceneConfig { noise: f32::NAN, ..base.clone() },
            SceneConfig { rejoin_frame: Some(30), ..base.clone() },
            SceneConfig { rejoin_frame: Some(40), violation: Some(Violation::Teleport), ..base.clone() },
            SceneConfig { floor_height: Some(0.5), ..base.clone() },
            SceneConfig { bounce_height: Some(f64::NAN), ..base.clone() },
        ];
        assert!(
            SceneConfig { rejoin_frame: Some(31), violation: Some(Violation::Vanish), ..base.clone() }
                .validate()
                .is_ok()
        );
        for cfg in bad {
            let err = cfg.validate().expect_err("accepted a bad config");
            let text = err.to_string();
            assert!(text.contains(SCENE_FORMS), "{text}");
            assert!(Scene::new(&cfg).is_err());
        }
    }

    #[test]
    fn names_and_description() {
        assert_eq!(Violation::from_name("Pass-Through"), Some(Violation::PassThrough));
        assert_eq!(Violation::from_name("vanish"), Some(Violation::Vanish));
        assert_eq!(Violation::from_name("explode"), None);
        assert_eq!(SceneKind::from_name("BOUNCE"), Some(SceneKind::Bounce));
        assert_eq!(unpaced(7).description(), "scene bounce (seed 7, 3 balls)");
        let cfg = SceneConfig { balls: 1, violation: Some(Violation::Teleport), ..unpaced(7) };
        assert_eq!(cfg.description(), "scene bounce (seed 7, 1 ball, teleport at frame 30)");
    }
}
