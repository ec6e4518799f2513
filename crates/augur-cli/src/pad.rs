//! A gamepad recorded as actions: stick axes in [-1, 1] and buttons in [0, 1] (analog
//! triggers keep their value), read through gilrs on its own thread. The set of components is
//! fixed, so every episode of a dataset has the same `action` layout whichever pad is used.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use gilrs::{Axis, Button, EventType};

/// Stick axes recorded, in order.
const AXES: [Axis; 4] = [Axis::LeftStickX, Axis::LeftStickY, Axis::RightStickX, Axis::RightStickY];
/// Buttons recorded, in order.
const BUTTONS: [Button; 16] = [
    Button::South,
    Button::East,
    Button::North,
    Button::West,
    Button::LeftTrigger,
    Button::RightTrigger,
    Button::LeftTrigger2,
    Button::RightTrigger2,
    Button::Select,
    Button::Start,
    Button::LeftThumb,
    Button::RightThumb,
    Button::DPadUp,
    Button::DPadDown,
    Button::DPadLeft,
    Button::DPadRight,
];

/// What a gamepad did, without gilrs' platform codes (so tests can make them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadEvent {
    /// An axis moved to a value.
    Axis(Axis, f32),
    /// A button's value changed (0 released … 1 fully pressed).
    Button(Button, f32),
    /// The pad went away: everything reads as released.
    Gone,
}

impl PadEvent {
    /// The event gilrs reported, if it is one the actions record.
    pub fn from_gilrs(e: &EventType) -> Option<Self> {
        match *e {
            EventType::AxisChanged(a, v, _) => Some(Self::Axis(a, v)),
            EventType::ButtonChanged(b, v, _) => Some(Self::Button(b, v)),
            EventType::ButtonPressed(b, _) => Some(Self::Button(b, 1.0)),
            EventType::ButtonReleased(b, _) => Some(Self::Button(b, 0.0)),
            EventType::Disconnected => Some(Self::Gone),
            _ => None,
        }
    }
}

/// The pad's state now, as action components.
#[derive(Debug, Clone, PartialEq)]
pub struct PadState {
    values: Vec<f32>,
}

impl Default for PadState {
    fn default() -> Self {
        Self { values: vec![0.0; AXES.len() + BUTTONS.len()] }
    }
}

impl PadState {
    /// The action feature names, `pad.axis.LeftStickX`, `pad.button.South`, …
    pub fn names() -> Vec<String> {
        AXES.iter()
            .map(|a| format!("pad.axis.{a:?}"))
            .chain(BUTTONS.iter().map(|b| format!("pad.button.{b:?}")))
            .collect()
    }

    /// Applies one event; values outside the ranges are clamped, NaN reads as 0.
    pub fn apply(&mut self, e: PadEvent) {
        let clean = |v: f32, lo: f32| if v.is_nan() { 0.0 } else { v.clamp(lo, 1.0) };
        match e {
            PadEvent::Axis(a, v) => {
                if let Some(i) = AXES.iter().position(|x| *x == a) {
                    self.values[i] = clean(v, -1.0);
                }
            }
            PadEvent::Button(b, v) => {
                if let Some(i) = BUTTONS.iter().position(|x| *x == b) {
                    self.values[AXES.len() + i] = clean(v, 0.0);
                }
            }
            PadEvent::Gone => self.values.fill(0.0),
        }
    }

    /// The action components.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Opens the first connected gamepad and keeps `state` up to date on a thread. Fails, saying
/// what to do, when gamepads cannot be read here or none is connected.
pub fn spawn(state: Arc<Mutex<PadState>>) -> Result<String> {
    let (tx, rx) = crossbeam_channel::bounded::<Result<String, String>>(1);
    std::thread::Builder::new().name("record-gamepad".into()).spawn(move || {
        // gilrs is not Send on every platform: it lives and dies on this thread.
        let mut gilrs = match gilrs::Gilrs::new() {
            Ok(g) => g,
            Err(e) => {
                let _ = tx.send(Err(format!("gamepads cannot be read on this machine ({e})")));
                return;
            }
        };
        let first = gilrs.gamepads().next().map(|(id, pad)| (id, pad.name().to_string()));
        let Some((id, name)) = first else {
            let _ = tx.send(Err("no gamepad is connected".into()));
            return;
        };
        let _ = tx.send(Ok(name));
        loop {
            while let Some(ev) = gilrs.next_event() {
                if ev.id != id {
                    continue;
                }
                if let (Some(e), Ok(mut s)) = (PadEvent::from_gilrs(&ev.event), state.lock()) {
                    s.apply(e);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })?;
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Ok(name)) => Ok(name),
        Ok(Err(why)) => bail!(
            "--gamepad: {why}; connect one (and on Linux, let this user read /dev/input/event*), or drop --gamepad"
        ),
        Err(_) => bail!("--gamepad: the gamepad library did not answer within 5 s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_events_become_named_actions() {
        let names = PadState::names();
        assert_eq!(names.len(), 20);
        assert_eq!(names[0], "pad.axis.LeftStickX");
        assert_eq!(names[4], "pad.button.South");
        let mut s = PadState::default();
        s.apply(PadEvent::Axis(Axis::LeftStickY, -0.5));
        s.apply(PadEvent::Button(Button::South, 1.0));
        s.apply(PadEvent::Button(Button::RightTrigger2, 0.25));
        s.apply(PadEvent::Axis(Axis::RightStickX, 7.0));
        s.apply(PadEvent::Axis(Axis::DPadX, 1.0)); // not recorded: D-pad buttons are
        s.apply(PadEvent::Button(Button::Mode, f32::NAN));
        let v = s.values();
        assert_eq!((v[1], v[2], v[4]), (-0.5, 1.0, 1.0));
        assert_eq!(v[4 + 7], 0.25);
        assert_eq!(v.iter().filter(|x| **x != 0.0).count(), 4);
        s.apply(PadEvent::Gone);
        assert!(s.values().iter().all(|x| *x == 0.0), "a pad that goes away reads as released");
    }
}
