//! The Scope view by IPC: its image (when the page has no frame stream) and the pointer input
//! the page forwards to it.

use serde::Deserialize;
use tauri::State;
use tauri::ipc::Response;

use super::{CommandError, answered, bad};
use crate::state::Session;

/// The Scope view's dashboard at `width × height` (16-byte header, RGBA); empty before the
/// first prediction.
#[tauri::command(async)]
pub fn scope_frame(session: State<'_, Session>, width: u32, height: u32) -> Result<Response, CommandError> {
    answered(|| crate::scope_view::frame(&session, width, height).map(Response::new).map_err(bad))
}

/// One pointer event on the Scope view's canvas, in CSS pixels from its top left.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScopeEvent {
    Move { x: f32, y: f32 },
    Down { x: f32, y: f32 },
    Up { x: f32, y: f32 },
    Wheel { x: f32, y: f32, dy: f32 },
    Leave,
}

/// Pointer events for the Scope view's next frame (at most 64 at once).
#[tauri::command]
pub fn scope_input(session: State<'_, Session>, events: Vec<ScopeEvent>) -> Result<(), CommandError> {
    use augur_scope::PointerInput as P;
    if events.len() > 64 {
        return Err(bad(format!("scope_input: at most 64 events at once, got {}", events.len())));
    }
    let max = crate::scope_view::MAX_SIDE as f32;
    let at = |x: f32, y: f32| (0.0..=max).contains(&x) && (0.0..=max).contains(&y);
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let ok = match e {
            ScopeEvent::Move { x, y } | ScopeEvent::Down { x, y } | ScopeEvent::Up { x, y } => at(x, y),
            ScopeEvent::Wheel { x, y, dy } => at(x, y) && dy.is_finite() && dy.abs() <= 10_000.0,
            ScopeEvent::Leave => true,
        };
        if !ok {
            return Err(bad(format!("scope_input: positions must be within 0..={max} and wheel steps within ±10000")));
        }
        out.push(match e {
            ScopeEvent::Move { x, y } => P::Move { x, y },
            ScopeEvent::Down { x, y } => P::Down { x, y },
            ScopeEvent::Up { x, y } => P::Up { x, y },
            ScopeEvent::Wheel { x, y, dy } => P::Wheel { x, y, dy },
            ScopeEvent::Leave => P::Leave,
        });
    }
    crate::scope_view::input(&session, &out).map_err(|e| CommandError::new("scope", e))
}
