//! Colour conversion to packed RGB with swscale, in a wrapper that may move between threads.

use ff::format::Pixel;
use ff::software::scaling;
use ffmpeg_next as ff;

/// A swscale context for one input format and size, converting to RGB24 at the same size.
pub(crate) struct RgbScaler {
    ctx: scaling::Context,
    input: (Pixel, u32, u32),
}

// SAFETY: ffmpeg-next marks every other FFmpeg context (demuxer, decoder, resampler, filter
// graph) `Send` but not swscale's, although an `SwsContext` is plain heap state with no thread
// affinity. `RgbScaler` owns its context exclusively and is only used through `&mut self`, so
// moving it to the source thread that uses it is sound; it is never shared (`!Sync` remains).
#[allow(unsafe_code)]
unsafe impl Send for RgbScaler {}

impl RgbScaler {
    pub(crate) fn new(format: Pixel, width: u32, height: u32) -> Result<Self, ff::Error> {
        let ctx = scaling::Context::get(format, width, height, Pixel::RGB24, width, height, scaling::Flags::BILINEAR)?;
        Ok(Self { ctx, input: (format, width, height) })
    }

    /// Whether this scaler was made for frames of this format and size.
    pub(crate) fn fits(&self, format: Pixel, width: u32, height: u32) -> bool {
        self.input == (format, width, height)
    }

    pub(crate) fn run(&mut self, input: &ff::frame::Video, output: &mut ff::frame::Video) -> Result<(), ff::Error> {
        self.ctx.run(input, output)
    }
}

/// A swscale context for any conversion, movable between threads for the same reason as
/// [`RgbScaler`]: the writers that own one (RGB to YUV for encoding) run on whichever thread
/// records.
pub(crate) struct Converter(scaling::Context);

// SAFETY: as for `RgbScaler` above: exclusively owned, used only through `&mut self`, no
// thread affinity in swscale; `!Sync` remains.
#[allow(unsafe_code)]
unsafe impl Send for Converter {}

impl Converter {
    pub(crate) fn new(from: Pixel, to: Pixel, width: u32, height: u32) -> Result<Self, ff::Error> {
        Ok(Self(scaling::Context::get(from, width, height, to, width, height, scaling::Flags::BILINEAR)?))
    }

    pub(crate) fn run(&mut self, input: &ff::frame::Video, output: &mut ff::frame::Video) -> Result<(), ff::Error> {
        self.0.run(input, output)
    }
}
