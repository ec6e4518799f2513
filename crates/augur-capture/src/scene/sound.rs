//! What a scene sounds like (`scene:bounce?sound=1`): every contact the physics reports
//! ([`Contact`]) knocks, a short decaying tone whose loudness follows how hard the ball hit and
//! whose pitch follows its size (small balls click higher). Nothing else makes a sound, so a
//! model that hears the scene can learn that a bounce is heard exactly when it is seen.

use super::physics::Contact;

/// Samples per second of a scene's sound (mono).
pub const SOUND_RATE: u32 = 16_000;
/// A knock fades by e every this many seconds (a short, dry knock: mostly within its frame)...
const DECAY_S: f64 = 0.012;
/// ...and is dropped after this long, at e^-10 of its start: too faint to matter.
const RING_S: f64 = 10.0 * DECAY_S;
/// Impact speed (units per second) at which a knock is at full loudness.
const LOUD_SPEED: f64 = 1.5;
/// Peak amplitude of the loudest knock, in [-1, 1] full scale.
const LOUDEST: f64 = 0.5;
/// The pitch of a ball of radius 0.06 units (the middle of the seeds' range), in Hz.
const PITCH_AT_MID_SIZE: f64 = 320.0;
/// A second, inharmonic partial (as a struck wooden ball has) at this multiple, half as loud.
const PARTIAL: f64 = 2.76;

/// One sounding knock.
#[derive(Debug, Clone, Copy)]
struct Knock {
    /// Scene time it starts, in seconds.
    start_s: f64,
    hz: f64,
    amplitude: f64,
}

/// The knocks still ringing and the samples of the last frame step.
#[derive(Debug, Clone, Default)]
pub(super) struct Sounds {
    knocks: Vec<Knock>,
    /// The sound between the previous frame and the current one.
    pub last: Vec<f32>,
}

impl Sounds {
    /// A knock at scene time `start_s` for a contact at `speed` by a ball of `radius` (units).
    pub fn knock(&mut self, start_s: f64, speed: f64, radius: f64) {
        let amplitude = LOUDEST * (speed / LOUD_SPEED).min(1.0);
        let hz = PITCH_AT_MID_SIZE * (0.06 / radius.max(0.01)).clamp(0.5, 3.0);
        self.knocks.push(Knock { start_s, hz, amplitude });
    }

    /// Knocks for the contacts of a frame step that started at scene time `from_s`.
    pub fn knock_all(&mut self, from_s: f64, impacts: &[Contact]) {
        for i in impacts {
            self.knock(from_s + i.at_s, i.speed, i.radius);
        }
    }

    /// Renders the samples of frame step `frame` (from frame `frame - 1` to `frame`) at
    /// `fps` into [`last`](Self::last), and forgets the knocks that have died away. Sample `n`
    /// of the scene is at `n / SOUND_RATE` seconds, so consecutive steps join seamlessly.
    pub fn render(&mut self, frame: u64, fps: f64) {
        let rate = f64::from(SOUND_RATE);
        let first = sample_at(frame.saturating_sub(1), fps);
        let end = sample_at(frame, fps);
        self.last.clear();
        self.last.extend((first..end).map(|n| {
            let t = n as f64 / rate;
            let v: f64 = self
                .knocks
                .iter()
                .filter(|k| t >= k.start_s)
                .map(|k| {
                    let age = t - k.start_s;
                    let phase = std::f64::consts::TAU * k.hz * age;
                    k.amplitude * (-age / DECAY_S).exp() * (phase.sin() + 0.5 * (PARTIAL * phase).sin())
                })
                .sum();
            v.clamp(-1.0, 1.0) as f32
        }));
        let now = end as f64 / rate;
        self.knocks.retain(|k| now - k.start_s < RING_S);
    }
}

/// The scene's first sample at or after frame `frame`'s time.
fn sample_at(frame: u64, fps: f64) -> u64 {
    (frame as f64 * f64::from(SOUND_RATE) / fps).ceil() as u64
}
