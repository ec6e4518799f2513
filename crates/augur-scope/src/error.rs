//! The one error type of augur-scope.

use std::path::PathBuf;

/// What can go wrong while drawing, reading back or saving a scope image.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// The requested image is empty or larger than the device's textures allow.
    #[error("cannot render a {width}x{height} scope image: {reason}")]
    Size {
        /// Requested width, pixels.
        width: u32,
        /// Requested height, pixels.
        height: u32,
        /// Why not.
        reason: String,
    },

    /// A video frame handed to [`crate::Scope::set_frame_texture`] does not match its size.
    #[error("frame {name:?}: {reason}")]
    Frame {
        /// The texture name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The device rejected the render pass: a bug in the renderer setup or a lost device.
    #[error("the device rejected the scope render: {0}")]
    Render(String),

    /// Reading the image back failed.
    #[error(transparent)]
    Gpu(#[from] augur_gpu::GpuError),

    /// A PNG file could not be opened or created.
    #[error("cannot open or create a file: {source}: {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS's reason.
        #[source]
        source: std::io::Error,
    },

    /// A PNG file could not be decoded, or is not 8-bit RGB(A).
    #[error("cannot read PNG: {reason}: {path}")]
    PngRead {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },

    /// A PNG file could not be encoded.
    #[error("cannot write PNG: {source}: {path}")]
    PngWrite {
        /// The file.
        path: PathBuf,
        /// The encoder's reason.
        #[source]
        source: png::EncodingError,
    },
}
