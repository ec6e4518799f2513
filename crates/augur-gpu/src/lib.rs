//! The one shared wgpu device of Augur, handed to burn and to egui, and our WGSL kernels.
//!
//! [`GpuContext::new`] picks an adapter ([`AdapterChoice`]) and opens one device with the
//! features and limits burn's wgpu runtime asks for, so the same device can be registered with
//! burn ([`GpuContext::burn_device`]) and used by egui-wgpu and our own kernels
//! ([`preprocess`], [`logmel`], [`heatmap`], [`project`]; [`kernels_bench`] times them against
//! burn). [`list_adapters`] and [`GpuContext::burn_smoke_test`] back `augur gpu-info`.

mod adapter;
mod burn_check;
mod caught;
mod context;
mod error;
pub mod heatmap;
pub mod kernels_bench;
mod launch;
pub mod logmel;
pub mod preprocess;
pub mod project;
pub mod readback;

pub use adapter::{AdapterChoice, AdapterSummary, list_adapters};
pub use burn_check::BurnCheck;
pub use caught::Caught;
pub use context::GpuContext;
pub use error::GpuError;

/// The wgpu crate this device belongs to, re-exported so dependants name the same version.
pub use wgpu;
