//! Impossible events for violation-of-expectation tests: a scene that obeys physics up to one
//! frame and then breaks one rule (permanence, continuity or solidity) with ball 0.
//!
//! The impossible scene is the possible scene with the same seed until the violation frame,
//! byte for byte, because the violation is applied to the simulated state only at that frame.
//! From then on ball 0 no longer collides with the other balls, in every variant: a vanished
//! ball must not push anything, and for the other two it keeps the other balls on the course
//! they take in the possible scene until the moment they would have met ball 0 there.
//!
//! A vanished ball keeps moving, unseen, so that with `SceneConfig::rejoin_frame` it can come
//! back out of a second bar exactly where the possible scene's ball is.

use serde::Serialize;

use super::physics::World;
use super::{BallState, Scene, SceneConfig};
use crate::CaptureError;

/// Frames the ball must be in plain sight between the two bars of a continuity test.
const MIN_GAP_FRAMES: usize = 3;

/// An impossible event, always performed by ball 0 at `SceneConfig::violation_frame`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Violation {
    /// Object permanence: ball 0 stops existing. With the occluder on, ball 0 is behind it at
    /// that frame, so the frame itself looks normal and the surprise comes when the ball fails
    /// to come out; without the occluder it disappears in plain sight. With a second bar
    /// (`SceneConfig::rejoin_frame`) it comes back out of that bar: a continuity violation.
    Vanish,
    /// Continuity: ball 0 jumps half the frame width sideways, keeping its height and velocity.
    /// With the occluder on it leaves from behind the bar, so it seems to reappear far away.
    Teleport,
    /// Solidity: ball 0 stops bouncing off the floor, walls and ceiling. The frames differ from
    /// the next contact on, when it sinks through the floor (or leaves through a wall) and is
    /// gone for good.
    PassThrough,
    /// Object permanence the other way round: ball 0 is not there (it moves unseen and collides
    /// with nothing) until the violation frame, when it is suddenly there behind the occluder
    /// and comes out. With one ball, its frames from then on are the possible scene's, and
    /// before it they are those of the scene whose ball 0 is never shown
    /// (`SceneConfig::first_ball_hidden`): the four clips of a balanced permanence test.
    Appear,
}

impl Violation {
    /// The violations that pair a possible scene with its impossible twin, for evaluation sweeps.
    pub const ALL: [Violation; 3] = [Violation::Vanish, Violation::Teleport, Violation::PassThrough];

    /// Every violation a scene can stage.
    pub const EVERY: [Violation; 4] =
        [Violation::Vanish, Violation::Teleport, Violation::PassThrough, Violation::Appear];

    /// The name used in source names (`violation=vanish`).
    pub fn name(self) -> &'static str {
        match self {
            Violation::Vanish => "vanish",
            Violation::Teleport => "teleport",
            Violation::PassThrough => "passthrough",
            Violation::Appear => "appear",
        }
    }

    /// The violation called `name`, case-insensitive; `pass-through` and `pass_through` are
    /// accepted too.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase().replace(['-', '_'], "");
        Self::EVERY.into_iter().find(|v| v.name() == name)
    }
}

/// Breaks the rule `violation` names, once, on the current state of `world`.
pub(super) fn apply(violation: Violation, world: &mut World) {
    let width = world.width;
    let Some(ball) = world.balls.first_mut() else {
        return;
    };
    ball.solid = false;
    match violation {
        Violation::Vanish => ball.hidden = true,
        Violation::Teleport => {
            // Half the width is the farthest jump that works from anywhere in the frame, and it
            // clears the occluder (narrower than that) when the ball was hidden behind it.
            let half = width / 2.0;
            let x = if ball.pos[0] < half { ball.pos[0] + half } else { ball.pos[0] - half };
            ball.pos[0] = x.max(ball.radius).min(width - ball.radius);
        }
        Violation::PassThrough => ball.bounded = false,
        Violation::Appear => ball.hidden = false,
    }
}

/// Ends a `vanish` or `appear` violation at the second bar: ball 0 is seen again, or no longer.
/// The other violations cannot be undone (`SceneConfig::validate` refuses them with a second bar).
pub(super) fn end(violation: Violation, world: &mut World) {
    if let Some(ball) = world.balls.first_mut() {
        match violation {
            Violation::Vanish => ball.hidden = false,
            Violation::Appear => ball.hidden = true,
            Violation::Teleport | Violation::PassThrough => {}
        }
    }
}

/// The rejoin frame for a balanced continuity test on `cfg`'s scene (one ball, occluder on):
/// the first frame after the violation frame, and at most `latest`, where a second bar
/// centred on ball 0 stands clear of the first one, with ball 0 in plain sight, clear of both
/// bars, on at least three frames in between. `None` when no frame up to `latest` qualifies
/// (a slow ball, one that stays near the first bar) or the occluder is off.
pub fn continuity_rejoin_frame(cfg: &SceneConfig, latest: u64) -> Result<Option<u64>, CaptureError> {
    let possible =
        SceneConfig { violation: None, first_ball_hidden: false, rejoin_frame: None, realtime: false, ..cfg.clone() };
    let mut scene = Scene::new(&possible)?;
    let Some(&[left, right]) = scene.occluders().first() else { return Ok(None) };
    let (half, width) = ((right - left) / 2.0, cfg.width as f32);
    while scene.frame_index() <= cfg.violation_frame {
        scene.step();
    }
    let mut between: Vec<BallState> = Vec::new();
    while scene.frame_index() <= latest {
        let Some(&ball) = scene.ball_states().first() else { return Ok(None) };
        // Placed as `place_occluder` places it: centred on the ball, inside the frame.
        let centre = ball.position[0].max(half).min(width - half);
        let second = [centre - half, centre + half];
        let clear_of = |[l, r]: [f32; 2], x: f32, radius: f32| x + radius <= l || x - radius >= r;
        let apart = second[1] <= left || second[0] >= right;
        let seen = between
            .iter()
            .filter(|b| {
                let (x, r) = (b.position[0], b.radius);
                b.visible && clear_of([left, right], x, r) && clear_of(second, x, r)
            })
            .count();
        if apart && seen >= MIN_GAP_FRAMES {
            return Ok(Some(scene.frame_index()));
        }
        between.push(ball);
        scene.step();
    }
    Ok(None)
}
