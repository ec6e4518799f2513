//! Rigid balls under gravity in a box whose bottom is a floor.
//!
//! Units: lengths are in multiples of the frame's shorter side, so a seed gives the same motion
//! at every resolution; `y` grows downwards as in the image. Only `+ - * /` and `sqrt` are used,
//! which IEEE 754 rounds identically everywhere, so trajectories are bit-identical across
//! platforms.

use super::SceneConfig;
use super::rng::Rng;

/// Physics steps are never longer than this, so fast balls stay stable at low frame rates.
const MAX_SUBSTEP_S: f64 = 1.0 / 480.0;
/// Speed kept when bouncing off the floor, walls or ceiling.
const WALL_RESTITUTION: f64 = 0.9;
/// Balls bounce off each other elastically.
const BALL_RESTITUTION: f64 = 1.0;
/// Fraction of speed lost to air per second; small, so arcs still look ballistic.
const AIR_DRAG_PER_S: f64 = 0.03;
/// Fraction of horizontal speed kept at each floor bounce (rolling friction).
const FLOOR_FRICTION: f64 = 0.97;
/// A floor bounce that would rise less than this share of the room's height is replaced by a
/// fresh, higher one: energy re-injection that looks like a bounce, so the scene never settles.
const MIN_BOUNCE_SHARE: f64 = 0.2;
/// Below this speed (units per second) a ball counts as still...
const STILL_SPEED: f64 = 0.05;
/// ...and after this long still (resting on another ball, wedged) it is launched again.
const STILL_LIMIT_S: f64 = 0.5;
/// Horizontal launch speeds, units per second.
const LAUNCH_VX: (f64, f64) = (0.25, 0.9);
/// Contacts slower than this (units per second) make no sound: resting, grazing.
const SILENT_BELOW: f64 = 0.15;

/// A contact loud enough to hear: when in the frame step it happened, how hard, and the size of
/// the (smaller) ball, which sets its pitch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contact {
    /// Seconds after the start of the frame step.
    pub at_s: f64,
    /// Speed along the contact's normal, units per second.
    pub speed: f64,
    /// In units.
    pub radius: f64,
}

/// One ball. Its mass is proportional to its area.
#[derive(Debug, Clone)]
pub(super) struct Ball {
    /// Centre, in units.
    pub pos: [f64; 2],
    /// Units per second.
    pub vel: [f64; 2],
    /// In units.
    pub radius: f64,
    /// `false` once it vanished or fell out of the frame; it is then neither drawn nor moved.
    pub present: bool,
    /// Whether it collides with other balls.
    pub solid: bool,
    /// Moved but not drawn (a permanence test's ball that is not there yet); physics ignores it.
    pub hidden: bool,
    /// Whether it bounces off the floor, walls and ceiling.
    pub bounded: bool,
    /// Its own stream for relaunches, so what happens to one ball never shifts another's draws.
    rng: Rng,
    still_s: f64,
}

/// The simulated state of a scene.
#[derive(Debug, Clone)]
pub(super) struct World {
    pub balls: Vec<Ball>,
    /// Room width in units (`>= 1`).
    pub width: f64,
    /// Room height in units (`>= 1`); the floor is above the bottom edge.
    pub height: f64,
    /// `y` of the floor's surface.
    pub floor: f64,
    /// Units per second squared.
    pub gravity: f64,
    /// The contacts of the last frame step, in order.
    pub impacts: Vec<Contact>,
    substeps: u32,
    substep_s: f64,
    frame_s: f64,
}

/// The room's fixed geometry, copied out so balls can be borrowed mutably while it is read.
#[derive(Clone, Copy)]
struct Room {
    width: f64,
    height: f64,
    floor: f64,
    gravity: f64,
}

impl World {
    /// Places `cfg.balls` balls without overlap (when they fit) in the upper part of the room.
    /// All draws come from `layout` except each ball's own relaunch stream.
    pub(super) fn new(cfg: &SceneConfig, layout: &mut Rng, width: f64, height: f64, floor: f64) -> Self {
        let gravity = layout.range(2.0, 3.0);
        // Shrink the balls when there are many, so they keep room to move.
        let scale = (6.0 / f64::from(cfg.balls)).sqrt().min(1.0);
        let mut balls: Vec<Ball> = Vec::with_capacity(cfg.balls as usize);
        for i in 0..cfg.balls {
            let radius = layout.range(0.045, 0.085) * scale;
            let top = radius;
            let bottom = radius + (floor - 2.0 * radius) * 0.7;
            let mut pos = [0.0, 0.0];
            // Rejection sampling with a cap: when the balls cannot all fit apart, the last
            // try is kept and collisions push them apart in the first steps.
            for _ in 0..64 {
                pos = [layout.range(radius, width - radius), layout.range(top, bottom)];
                let clear = balls.iter().all(|b| {
                    let (dx, dy) = (b.pos[0] - pos[0], b.pos[1] - pos[1]);
                    let gap = b.radius + radius + 0.01;
                    dx * dx + dy * dy >= gap * gap
                });
                if clear {
                    break;
                }
            }
            let vel = [layout.sign() * layout.range(0.3, 0.9), layout.range(-0.8, 0.4)];
            balls.push(Ball {
                pos,
                vel,
                radius,
                present: true,
                solid: true,
                hidden: false,
                bounded: true,
                rng: Rng::new(cfg.seed, 1000 + u64::from(i)),
                still_s: 0.0,
            });
        }
        let frame_s = 1.0 / cfg.fps;
        // Fixed per scene, so every frame runs the same arithmetic.
        let substeps = (frame_s / MAX_SUBSTEP_S).ceil().max(2.0) as u32;
        let substep_s = frame_s / f64::from(substeps);
        Self { balls, width, height, floor, gravity, impacts: Vec::new(), substeps, substep_s, frame_s }
    }

    fn room(&self) -> Room {
        Room { width: self.width, height: self.height, floor: self.floor, gravity: self.gravity }
    }

    /// Advances one frame: a fixed number of sub-steps, then the stillness check.
    pub(super) fn step_frame(&mut self) {
        self.impacts.clear();
        for k in 0..self.substeps {
            self.substep(f64::from(k) * self.substep_s);
        }
        let room = self.room();
        for ball in self.balls.iter_mut().filter(|b| b.present && b.bounded) {
            let [vx, vy] = ball.vel;
            if vx * vx + vy * vy < STILL_SPEED * STILL_SPEED {
                ball.still_s += self.frame_s;
                if ball.still_s >= STILL_LIMIT_S {
                    let headroom = room.floor - 2.0 * ball.radius;
                    let rise = ball.rng.range(0.3, 0.6) * headroom;
                    ball.vel = [
                        ball.rng.sign() * ball.rng.range(LAUNCH_VX.0, LAUNCH_VX.1),
                        -(2.0 * room.gravity * rise).sqrt(),
                    ];
                    ball.still_s = 0.0;
                }
            } else {
                ball.still_s = 0.0;
            }
        }
    }

    /// Semi-implicit Euler, then ball-ball contacts, then the room, so a sub-step always ends
    /// with every bounded ball inside the room. `at_s`: its start within the frame step.
    fn substep(&mut self, at_s: f64) {
        let dt = self.substep_s;
        let room = self.room();
        let keep = 1.0 - AIR_DRAG_PER_S * dt;
        for ball in self.balls.iter_mut().filter(|b| b.present) {
            ball.vel[1] += room.gravity * dt;
            ball.vel = [ball.vel[0] * keep, ball.vel[1] * keep];
            ball.pos = [ball.pos[0] + ball.vel[0] * dt, ball.pos[1] + ball.vel[1] * dt];
        }
        self.collide_balls(at_s);
        for ball in self.balls.iter_mut().filter(|b| b.present) {
            if ball.bounded {
                let speed = bounce_off_room(ball, room);
                // A hidden ball is not there to be heard, as it is not there to be seen.
                if speed >= SILENT_BELOW && !ball.hidden {
                    self.impacts.push(Contact { at_s, speed, radius: ball.radius });
                }
            } else if left_room(ball, room) {
                ball.present = false;
            }
        }
    }

    /// Pairwise contacts in a fixed order (deterministic): separate the overlap in inverse
    /// proportion to mass, then exchange momentum along the line of centres.
    fn collide_balls(&mut self, at_s: f64) {
        let n = self.balls.len();
        for j in 1..n {
            let (before, after) = self.balls.split_at_mut(j);
            let Some(b) = after.first_mut() else { continue };
            if !(b.present && b.solid) {
                continue;
            }
            for a in before.iter_mut().filter(|a| a.present && a.solid) {
                let speed = collide_pair(a, b);
                if speed >= SILENT_BELOW && !a.hidden && !b.hidden {
                    self.impacts.push(Contact { at_s, speed, radius: a.radius.min(b.radius) });
                }
            }
        }
    }
}

/// Separates two touching balls and exchanges their momentum; returns the speed at which they
/// closed (0 when they did not touch or were already parting).
fn collide_pair(a: &mut Ball, b: &mut Ball) -> f64 {
    let d = [b.pos[0] - a.pos[0], b.pos[1] - a.pos[1]];
    let reach = a.radius + b.radius;
    let dist2 = d[0] * d[0] + d[1] * d[1];
    if dist2 >= reach * reach {
        return 0.0;
    }
    let dist = dist2.sqrt();
    // Coincident centres have no line between them; any fixed direction will do.
    let n = if dist > 1e-12 { [d[0] / dist, d[1] / dist] } else { [1.0, 0.0] };
    let (ma, mb) = (a.radius * a.radius, b.radius * b.radius);
    let overlap = reach - dist;
    let (share_a, share_b) = (mb / (ma + mb), ma / (ma + mb));
    a.pos = [a.pos[0] - n[0] * overlap * share_a, a.pos[1] - n[1] * overlap * share_a];
    b.pos = [b.pos[0] + n[0] * overlap * share_b, b.pos[1] + n[1] * overlap * share_b];
    let closing = (b.vel[0] - a.vel[0]) * n[0] + (b.vel[1] - a.vel[1]) * n[1];
    if closing < 0.0 {
        let impulse = -(1.0 + BALL_RESTITUTION) * closing / (1.0 / ma + 1.0 / mb);
        a.vel = [a.vel[0] - n[0] * impulse / ma, a.vel[1] - n[1] * impulse / ma];
        b.vel = [b.vel[0] + n[0] * impulse / mb, b.vel[1] + n[1] * impulse / mb];
        return -closing;
    }
    0.0
}

/// Keeps `ball` inside the room; returns the largest speed it hit a wall, the ceiling or the
/// floor with (0 when it touched none).
fn bounce_off_room(ball: &mut Ball, room: Room) -> f64 {
    let r = ball.radius;
    let mut hit = 0.0f64;
    if ball.pos[0] < r {
        ball.pos[0] = r;
        if ball.vel[0] < 0.0 {
            hit = hit.max(-ball.vel[0]);
            ball.vel[0] = -ball.vel[0] * WALL_RESTITUTION;
        }
    } else if ball.pos[0] > room.width - r {
        ball.pos[0] = room.width - r;
        if ball.vel[0] > 0.0 {
            hit = hit.max(ball.vel[0]);
            ball.vel[0] = -ball.vel[0] * WALL_RESTITUTION;
        }
    }
    if ball.pos[1] < r {
        ball.pos[1] = r;
        if ball.vel[1] < 0.0 {
            hit = hit.max(-ball.vel[1]);
            ball.vel[1] = -ball.vel[1] * WALL_RESTITUTION;
        }
    } else if ball.pos[1] > room.floor - r {
        ball.pos[1] = room.floor - r;
        if ball.vel[1] > 0.0 {
            hit = hit.max(ball.vel[1]);
            let headroom = room.floor - 2.0 * r;
            let mut up = ball.vel[1] * WALL_RESTITUTION;
            if up * up < 2.0 * room.gravity * MIN_BOUNCE_SHARE * headroom {
                let rise = ball.rng.range(0.45, 0.85) * headroom;
                up = (2.0 * room.gravity * rise).sqrt();
                if ball.vel[0].abs() < LAUNCH_VX.0 {
                    ball.vel[0] = ball.rng.sign() * ball.rng.range(LAUNCH_VX.0, LAUNCH_VX.1);
                }
            }
            ball.vel = [ball.vel[0] * FLOOR_FRICTION, -up];
        }
    }
    hit
}

/// Whether an unbounded ball is out of the frame for good. Leaving through the top does not
/// count: gravity brings it back.
fn left_room(ball: &Ball, room: Room) -> bool {
    let r = ball.radius;
    ball.pos[0] + r < 0.0 || ball.pos[0] - r > room.width || ball.pos[1] - r > room.height
}
