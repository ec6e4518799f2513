//! Procedural physics scenes: balls with gravity, bounces and collisions behind an occluding
//! bar, rendered as video. They are the demo source when there is no camera, the training data
//! of the world model, and, with a [`Violation`], the impossible clips of
//! violation-of-expectation tests.
//!
//! A [`Scene`] is a pure function of its [`SceneConfig`]: the same config gives the same bytes
//! on every platform (seeded SplitMix64, plain IEEE arithmetic). [`SceneSource`] wraps it as a
//! live [`Source`](crate::Source) paced by the session clock.

mod config;
mod pair;
mod physics;
mod render;
mod rng;
mod sound;
mod source;
mod violation;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use config::{FLOOR_HEIGHTS, SCENE_FORMS, SceneConfig, SceneKind};
pub use sound::SOUND_RATE;
pub use source::{SceneSound, SceneSource};
pub use violation::{Violation, continuity_rejoin_frame};

use crate::CaptureError;
pub use physics::Contact;
use physics::World;
use render::{Canvas, Look, Occluder};
use rng::Rng;
use sound::Sounds;

/// How long after frame 0 frame `index` comes at `fps`; saturates instead of panicking for
/// absurd indices at tiny frame rates.
fn frame_time(index: u64, fps: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(index as f64 / fps).unwrap_or(std::time::Duration::MAX)
}

/// Independent random streams of one seed (see [`rng::Rng::new`]).
const STREAM_LAYOUT: u64 = 1;
const STREAM_LOOK: u64 = 2;

/// The occluder is placed by simulating up to the violation frame; beyond this many seconds of
/// simulated time that would slow opening down, and a seeded place is used instead.
const MAX_STEER_S: f64 = 120.0;

/// One ball at the current frame, in pixels of the rendered frame (`y` grows downwards).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BallState {
    /// Centre `[x, y]` in pixels.
    pub position: [f32; 2],
    /// Pixels per second.
    pub velocity: [f32; 2],
    /// Radius in pixels.
    pub radius: f32,
    /// Whether the ball is drawn: it exists (has not vanished) and part of it is in the frame.
    pub visible: bool,
    /// Whether a visible ball is entirely hidden behind the occluder.
    pub occluded: bool,
    /// Its base colour (the rendered disc is shaded around it).
    pub color: [u8; 3],
}

/// A deterministic simulator and renderer. It has no clock: [`step`](Self::step) advances the
/// physics by exactly one frame, `1 / fps` seconds, however long that takes to compute.
#[derive(Debug, Clone)]
pub struct Scene {
    cfg: SceneConfig,
    world: World,
    look: Look,
    /// The bar placed by the violation frame, then the one placed by the rejoin frame.
    occluders: Vec<Occluder>,
    canvas: Canvas,
    /// Background and floor, drawn once.
    backdrop: Vec<u8>,
    /// `y` of the drawn floor's surface, in units; the balls bounce at `world.floor`, which
    /// is the same unless the config sets `bounce_height`.
    drawn_floor: f64,
    frame: u64,
    /// The knocks ringing and the last step's samples, when the config asks for sound.
    sounds: Sounds,
    /// Contacts to sound in the next step though nothing touches ([`Scene::knock`]).
    knocks: Vec<Contact>,
    /// While set, contacts make no sound (a violation-of-expectation test's silent bounce).
    muted: bool,
}

impl Scene {
    /// Builds frame 0 of the scene `cfg` describes, after checking it with
    /// [`SceneConfig::validate`].
    pub fn new(cfg: &SceneConfig) -> Result<Self, CaptureError> {
        cfg.validate()?;
        let scale = f64::from(cfg.width.min(cfg.height));
        let (width, height) = (f64::from(cfg.width) / scale, f64::from(cfg.height) / scale);
        let canvas = Canvas { width: cfg.width, height: cfg.height, scale };
        let mut layout = Rng::new(cfg.seed, STREAM_LAYOUT);
        // The seed's floor places the balls even when another is drawn or bounced on, so the
        // clips of a solidity test start alike.
        let seeded = height - layout.range(0.06, 0.12);
        let mut world = World::new(cfg, &mut layout, width, height, seeded);
        let drawn_floor = cfg.floor_height.map_or(seeded, |h| height - h);
        world.floor = cfg.bounce_height.map_or(drawn_floor, |h| height - h);
        let look = Look::new(&mut Rng::new(cfg.seed, STREAM_LOOK), cfg.balls);
        let bars = place_occluders(&world, cfg, &mut layout);
        // After the occluder is placed from the unchanged world, so all twins share it.
        if (cfg.first_ball_hidden || cfg.violation == Some(Violation::Appear))
            && let Some(ball) = world.balls.first_mut()
        {
            ball.hidden = true;
            ball.solid = false;
        }
        let backdrop = render::background(&look, canvas, drawn_floor);
        let mut scene = Self {
            cfg: cfg.clone(),
            world,
            look,
            occluders: if cfg.occluder { bars } else { Vec::new() },
            canvas,
            backdrop,
            drawn_floor,
            frame: 0,
            sounds: Sounds::default(),
            knocks: Vec::new(),
            muted: false,
        };
        scene.stage_violation();
        Ok(scene)
    }

    /// Advances one frame (`1 / fps` seconds) of physics.
    pub fn step(&mut self) {
        self.world.step_frame();
        let from_s = self.frame as f64 / self.cfg.fps;
        self.frame = self.frame.saturating_add(1);
        if self.cfg.sound {
            if !self.muted {
                self.sounds.knock_all(from_s, &self.world.impacts);
            }
            self.sounds.knock_all(from_s, &std::mem::take(&mut self.knocks));
            self.sounds.render(self.frame, self.cfg.fps);
        }
        self.stage_violation();
    }

    /// The sound from the previous frame to this one, mono at [`SOUND_RATE`]: empty at frame 0
    /// and for a scene without sound.
    pub fn sound(&self) -> &[f32] {
        &self.sounds.last
    }

    /// The contacts (bounces off the room, balls meeting) loud enough to hear from the previous
    /// frame to this one, heard or muted.
    pub fn contacts(&self) -> &[Contact] {
        &self.world.impacts
    }

    /// Silences the contacts of the following steps (`true`) or lets them be heard again; what
    /// already rings keeps ringing.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Sounds `contacts` (taken from another step, e.g. a bounce's) in the next step, at the
    /// same times within it, though nothing touches: the sound a scene cannot make, exactly as
    /// loud and as high as a real one.
    pub fn knock(&mut self, contacts: &[Contact]) {
        self.knocks.extend_from_slice(contacts);
    }

    fn stage_violation(&mut self) {
        let Some(v) = self.cfg.violation else { return };
        if self.frame == self.cfg.violation_frame {
            violation::apply(v, &mut self.world);
        } else if Some(self.frame) == self.cfg.rejoin_frame {
            violation::end(v, &mut self.world);
        }
    }

    /// Draws the current frame as tightly packed RGB, `width * height * 3` bytes. A shorter
    /// buffer receives only the rows that fit; extra bytes are left alone.
    pub fn render_into(&self, rgb: &mut [u8]) {
        let n = rgb.len().min(self.backdrop.len());
        if let (Some(dst), Some(src)) = (rgb.get_mut(..n), self.backdrop.get(..n)) {
            dst.copy_from_slice(src);
        }
        for (ball, colour) in self.world.balls.iter().zip(&self.look.balls) {
            if ball.present && !ball.hidden {
                render::draw_ball(rgb, self.canvas, ball, *colour);
            }
        }
        for &occ in &self.occluders {
            render::draw_occluder(rgb, self.canvas, occ, self.drawn_floor, &self.look);
        }
        if self.cfg.noise > 0.0 {
            render::add_noise(rgb, self.cfg.seed, self.frame, self.cfg.noise);
        }
    }

    /// The current frame in a new buffer.
    pub fn render(&self) -> Vec<u8> {
        let mut rgb = vec![0; self.backdrop.len()];
        self.render_into(&mut rgb);
        rgb
    }

    /// Index of the current frame; 0 after [`new`](Self::new), +1 per [`step`](Self::step).
    pub fn frame_index(&self) -> u64 {
        self.frame
    }

    /// The config the scene was built from.
    pub fn config(&self) -> &SceneConfig {
        &self.cfg
    }

    /// Every ball at the current frame, in ball order (ball 0 is the one violations act on),
    /// for tests and as labels.
    pub fn ball_states(&self) -> Vec<BallState> {
        let s = self.canvas.scale;
        let w = &self.world;
        w.balls
            .iter()
            .zip(&self.look.balls)
            .map(|(b, colour)| {
                let ([x, y], r) = (b.pos, b.radius);
                let visible =
                    b.present && !b.hidden && x + r > 0.0 && x - r < w.width && y + r > 0.0 && y - r < w.height;
                let occluded = visible
                    && self.occluders.iter().any(|o| o.left <= x - r && x + r <= o.right && y + r <= self.drawn_floor);
                BallState {
                    position: [(x * s) as f32, (y * s) as f32],
                    velocity: [(b.vel[0] * s) as f32, (b.vel[1] * s) as f32],
                    radius: (r * s) as f32,
                    visible,
                    occluded,
                    color: colour.map(|c| c.round() as u8),
                }
            })
            .collect()
    }

    /// The occluding bars as `[left, right]` in pixels: the first bar, then the second when
    /// there is a rejoin frame; none when the occluder is off.
    pub fn occluders(&self) -> Vec<[f32; 2]> {
        let s = self.canvas.scale;
        self.occluders.iter().map(|o| [(o.left * s) as f32, (o.right * s) as f32]).collect()
    }
}

/// Where the bars stand: see [`place_occluder`]; the second, when there is a rejoin frame, by
/// the same rule at that frame (falling back to the mirror of the first's seeded place).
fn place_occluders(world: &World, cfg: &SceneConfig, layout: &mut Rng) -> Vec<Occluder> {
    let margin = layout.range(0.02, 0.05);
    let fallback = layout.range(0.25, 0.75) * world.width;
    let mut bars = vec![place_occluder(world, cfg, cfg.violation_frame, margin, fallback)];
    if let Some(rejoin) = cfg.rejoin_frame {
        bars.push(place_occluder(world, cfg, rejoin, margin, world.width - fallback));
    }
    bars
}

/// Where a bar stands: centred on where ball 0 will be at `frame` (the violation frame, or the
/// rejoin frame) in the possible scene, so a vanishing ball is out of sight when it vanishes.
/// Physics never looks at the bars, so this only needs those frames, which possible and
/// impossible twins share; the draws made for them are the same whether or not a violation is
/// set (or the occluder enabled), keeping the twins byte-identical.
fn place_occluder(world: &World, cfg: &SceneConfig, frame: u64, margin: f64, fallback: f64) -> Occluder {
    let radius = world.balls.first().map_or(0.06, |b| b.radius);
    let half = radius + margin;
    let steer_s = frame as f64 / cfg.fps;
    let centre = if cfg.occluder && steer_s <= MAX_STEER_S {
        let mut ahead = world.clone();
        for _ in 0..frame {
            ahead.step_frame();
        }
        ahead.balls.first().map_or(fallback, |b| b.pos[0])
    } else {
        fallback
    };
    // Inside the frame; a ball touching a wall still fits, since the bar is wider than it.
    let centre = centre.max(half).min(world.width - half);
    Occluder { left: centre - half, right: centre + half }
}
