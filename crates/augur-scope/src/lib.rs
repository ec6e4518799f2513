//! Augur's egui panels, rendered offscreen with egui-wgpu on the shared device.
//!
//! A [`Scope`] runs one egui frame per call to [`Scope::render`], draws it into an offscreen
//! texture on the app's one wgpu device and reads it back once as an [`RgbaImage`], which the
//! shell streams to its webview and tests compare with golden PNGs. Offscreen, because a wgpu
//! surface under a Tauri webview is unreliable on Linux, and because the same path then works
//! with no display at all. Camera frames are shown as egui textures
//! ([`Scope::set_frame_texture`]); [`panels`] holds the panels themselves and [`plots`] the
//! plots they draw.

mod error;
mod image;
pub mod panels;
pub mod plots;
mod scope;

pub use error::ScopeError;
pub use image::{ImageDiff, RgbaImage};
pub use scope::{FrameTexture, MAX_QUEUED_EVENTS, PointerInput, Scope};

/// The egui this crate draws with, re-exported so panel code names the same version.
pub use egui;
