//! The window's Scope view: the engine's dashboard (filmstrips, surprise traces, latent
//! trajectory, rates) composited offscreen by egui on a wgpu device once per frame the page asks
//! for, read back once, and sent by the frame stream. The page forwards its pointer, so hovering
//! the surprise plot reads out values, the wheel zooms it and dragging pans back in time.

use augur_gpu::{AdapterChoice, GpuContext};
use augur_scope::plots::TraceView;
use augur_scope::{PointerInput, Scope};

use crate::state::{Live, Session};

/// The scope and its state between frames; opened on first use (a device takes a moment).
pub struct ScopeView {
    scope: Scope,
    view: TraceView,
    /// Held so the device outlives the scope that draws on it.
    _gpu: GpuContext,
}

/// Largest side of a scope image.
pub const MAX_SIDE: u32 = 2048;

fn with_view<T>(session: &Session, f: impl FnOnce(&mut ScopeView) -> Result<T, String>) -> Result<T, String> {
    let mut slot = session.scope.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if slot.is_none() {
        let gpu =
            GpuContext::new(AdapterChoice::PreferHardware).map_err(|e| format!("the scope needs a GPU device: {e}"))?;
        *slot = Some(ScopeView { scope: Scope::new(&gpu), view: TraceView::default(), _gpu: gpu });
    }
    match slot.as_mut() {
        Some(v) => f(v),
        None => Err("the scope could not open".into()),
    }
}

/// The dashboard at `width × height` as a frame (16-byte header, RGBA); empty before the first
/// prediction.
pub fn frame(session: &Session, width: u32, height: u32) -> Result<Vec<u8>, String> {
    if !(160..=MAX_SIDE).contains(&width) || !(120..=MAX_SIDE).contains(&height) {
        return Err(format!("the scope is 160 to {MAX_SIDE} wide and 120 to {MAX_SIDE} high, not {width}×{height}"));
    }
    let Live::Model(s) = &session.live else { return Err("no model is loaded".into()) };
    let snapshot = s.dashboard();
    let Some(index) = snapshot.moments.last().map(|m| m.index) else { return Ok(Vec::new()) };
    let image =
        with_view(session, |v| snapshot.render(&mut v.scope, &mut v.view, width, height).map_err(|e| e.to_string()))?;
    let mut out = crate::commands::image_header(image.width, image.height, index, image.pixels.len());
    out.extend_from_slice(&image.pixels);
    Ok(out)
}

/// Pointer input for the next frame.
pub fn input(session: &Session, events: &[PointerInput]) -> Result<(), String> {
    with_view(session, |v| {
        for e in events {
            v.scope.pointer(*e);
        }
        Ok(())
    })
}
