//! Writing video: packed RGB frames to H.264 or AV1 (`yuv420p`) in MP4 or MKV through FFmpeg, for
//! `augur predict`'s side-by-side videos and exports.

use std::path::{Path, PathBuf};

use ff::format::Pixel;
use ff::{Dictionary, Rational, codec, encoder, format};
use ffmpeg_next as ff;

use crate::CaptureError;

/// A video's frame rate as a fraction, so that 12.5 or 29.97 fps is written as it is: a whole
/// number of frames a second would play the pictures faster or slower than their sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRate {
    /// Frames…
    pub frames: u32,
    /// …every this many seconds.
    pub seconds: u32,
}

impl FrameRate {
    /// The rate nearest `fps` in whole frames a second, NTSC's thousandths (30000/1001) or else
    /// thousandths (12500/1000); `None` unless `fps` is finite and from 0.001 to 1000.
    pub fn nearest(fps: f64) -> Option<Self> {
        if !(fps.is_finite() && (0.001..=1000.0).contains(&fps)) {
            return None;
        }
        let close = |frames: f64, seconds: u32| (frames.round() / f64::from(seconds) - fps).abs() < 1e-6 * fps;
        let (frames, seconds) =
            [(fps, 1), (fps * 1001.0, 1001)].into_iter().find(|(f, s)| close(*f, *s)).unwrap_or((fps * 1000.0, 1000));
        Some(Self { frames: frames.round() as u32, seconds })
    }

    /// Frames a second.
    pub fn fps(self) -> f64 {
        f64::from(self.frames) / f64::from(self.seconds.max(1))
    }

    /// Frames in each second's keyframe interval (at least 1).
    fn per_second(self) -> u32 {
        self.frames.div_ceil(self.seconds.max(1)).max(1)
    }
}

impl From<u32> for FrameRate {
    fn from(fps: u32) -> Self {
        Self { frames: fps, seconds: 1 }
    }
}

/// An open video file being written frame by frame. Call [`VideoWriter::finish`] to write the
/// trailer; a writer dropped without it leaves an unplayable MP4.
pub struct VideoWriter {
    path: PathBuf,
    output: format::context::Output,
    encoder: encoder::Video,
    scaler: super::scaler::Converter,
    rgb: ff::frame::Video,
    yuv: ff::frame::Video,
    time_base: Rational,
    next_pts: i64,
}

impl VideoWriter {
    /// Creates `path` (container from its extension) for `width × height` frames at `fps`.
    /// Width and height are rounded down to even numbers, as `yuv420p` needs.
    pub fn create(path: &Path, width: u32, height: u32, fps: impl Into<FrameRate>) -> Result<Self, CaptureError> {
        super::init()?;
        let fps = fps.into();
        let write_error = |why: String| CaptureError::Write { why, path: path.display().to_string() };
        let failed = |e: ff::Error| write_error(e.to_string());
        let (w, h) = (width & !1, height & !1);
        if w < 2 || h < 2 || fps.frames == 0 || fps.seconds == 0 {
            return Err(write_error(format!("cannot encode {width}x{height} at {} fps", fps.fps())));
        }
        let mut output = format::output(path).map_err(failed)?;
        let mut opts = Dictionary::new();
        opts.set("crf", "20");
        let (encoder, time_base) = add_video(&mut output, VideoCodec::H264, w, h, fps, opts)
            .map_err(|e| encoder_error(VideoCodec::H264, e, &write_error))?;
        output.write_header().map_err(failed)?;
        let scaler = super::scaler::Converter::new(Pixel::RGB24, Pixel::YUV420P, w, h).map_err(failed)?;
        Ok(Self {
            path: path.into(),
            output,
            encoder,
            scaler,
            rgb: ff::frame::Video::new(Pixel::RGB24, w, h),
            yuv: ff::frame::Video::new(Pixel::YUV420P, w, h),
            time_base,
            next_pts: 0,
        })
    }

    /// Appends one packed RGB8 frame of the size given at creation (odd sizes: the extra
    /// row/column is dropped).
    pub fn push_rgb(&mut self, rgb: &[u8], width: u32) -> Result<(), CaptureError> {
        let (w, h) = (self.rgb.width() as usize, self.rgb.height() as usize);
        let src_stride = width as usize * 3;
        if width < w as u32 || rgb.len() < src_stride * h {
            return Err(CaptureError::Write {
                why: format!("a frame of {} bytes does not hold {w}x{h} RGB", rgb.len()),
                path: self.path.display().to_string(),
            });
        }
        let stride = self.rgb.stride(0);
        let data = self.rgb.data_mut(0);
        for y in 0..h {
            data[y * stride..y * stride + w * 3].copy_from_slice(&rgb[y * src_stride..y * src_stride + w * 3]);
        }
        self.scaler.run(&self.rgb, &mut self.yuv).map_err(|e| self.error(e))?;
        self.yuv.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        self.encoder.send_frame(&self.yuv).map_err(|e| self.error(e))?;
        self.drain()
    }

    /// Flushes the encoder and writes the trailer. Returns the number of frames written.
    pub fn finish(mut self) -> Result<u64, CaptureError> {
        self.encoder.send_eof().map_err(|e| self.error(e))?;
        self.drain()?;
        self.output.write_trailer().map_err(|e| self.error(e))?;
        Ok(self.next_pts as u64)
    }

    fn drain(&mut self) -> Result<(), CaptureError> {
        drain_video(&mut self.encoder, &mut self.output, self.time_base).map_err(|e| self.error(e))
    }

    fn error(&self, e: ff::Error) -> CaptureError {
        CaptureError::Write { why: e.to_string(), path: self.path.display().to_string() }
    }
}

/// The video codecs Augur writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoCodec {
    /// H.264 through libx264: everywhere, fast.
    #[default]
    H264,
    /// AV1 through SVT-AV1 (libsvtav1), in its low-delay mode: smaller files, more CPU.
    Av1,
}

impl VideoCodec {
    /// `h264` or `av1`, as in `--codec` and in a dataset's `video.codec`.
    pub fn name(self) -> &'static str {
        match self {
            Self::H264 => "h264",
            Self::Av1 => "av1",
        }
    }

    /// Parses [`VideoCodec::name`].
    pub fn parse(name: &str) -> Result<Self, CaptureError> {
        match name {
            "h264" => Ok(Self::H264),
            "av1" => Ok(Self::Av1),
            other => Err(CaptureError::Write {
                why: format!("unknown video codec {other:?}; use h264 or av1"),
                path: String::new(),
            }),
        }
    }

    /// Whether this FFmpeg has the encoder.
    pub fn available(self) -> bool {
        super::init().is_ok() && self.encoder().is_some()
    }

    fn encoder(self) -> Option<ff::Codec> {
        match self {
            Self::H264 => encoder::find(codec::Id::H264),
            Self::Av1 => encoder::find_by_name("libsvtav1"),
        }
    }
}

/// Adds a `yuv420p` video stream to `output` and opens its encoder with `opts` on top of
/// Augur's defaults: H.264 preset veryfast with no B-frames, or SVT-AV1 preset 12 in low-delay
/// mode (frames leave the encoder in order, as they arrive). A keyframe starts every second.
/// Returns the encoder and its time base (one frame).
pub(super) fn add_video(
    output: &mut format::context::Output,
    kind: VideoCodec,
    w: u32,
    h: u32,
    fps: FrameRate,
    mut opts: Dictionary<'_>,
) -> Result<(encoder::Video, Rational), ff::Error> {
    let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let codec = kind.encoder().ok_or(ff::Error::EncoderNotFound)?;
    let mut stream = output.add_stream(codec)?;
    let mut enc = codec::context::Context::new_with_codec(codec).encoder().video()?;
    let time_base = Rational(fps.seconds as i32, fps.frames as i32);
    enc.set_width(w);
    enc.set_height(h);
    enc.set_format(Pixel::YUV420P);
    enc.set_time_base(time_base);
    enc.set_frame_rate(Some(Rational(fps.frames as i32, fps.seconds as i32)));
    enc.set_gop(fps.per_second());
    let mut flags = codec::Flags::empty();
    if global_header {
        flags |= codec::Flags::GLOBAL_HEADER;
    }
    if kind == VideoCodec::Av1 {
        // Closed GOPs make SVT-AV1 start each second with a real key frame; its default forward
        // key frames need a 16-frame mini-GOP, and frames would sit in the encoder that long.
        flags |= codec::Flags::CLOSED_GOP;
    }
    enc.set_flags(flags);
    match kind {
        VideoCodec::H264 => {
            opts.set("preset", "veryfast");
            // No B-frames: with them the MP4 needs an edit list and some readers drop a frame.
            opts.set("bf", "0");
        }
        VideoCodec::Av1 => {
            // Preset 12 keeps 720p30 real-time on two cores (about 85 fps measured there).
            opts.set("preset", "12");
            opts.set("crf", "35");
            opts.set("svtav1-params", "pred-struct=1:lookahead=0");
        }
    }
    let encoder = enc.open_with(opts)?;
    stream.set_parameters(&encoder);
    stream.set_time_base(time_base);
    Ok((encoder, time_base))
}

/// The write error for a failed encoder setup, naming the missing encoder when that is the cause.
pub(super) fn encoder_error(
    kind: VideoCodec,
    e: ff::Error,
    write_error: &dyn Fn(String) -> CaptureError,
) -> CaptureError {
    match (e, kind) {
        (ff::Error::EncoderNotFound, VideoCodec::H264) => {
            write_error("this FFmpeg has no H.264 encoder; install libx264 (Debian: libavcodec-extra)".into())
        }
        (ff::Error::EncoderNotFound, VideoCodec::Av1) => write_error(
            "this FFmpeg has no AV1 encoder (libsvtav1); record with --codec h264, or install an FFmpeg \
             built with SVT-AV1 (Debian 12 and later: libavcodec-extra)"
                .into(),
        ),
        (other, _) => write_error(other.to_string()),
    }
}

/// Writes every packet the video encoder has ready to stream 0 of `output`.
pub(super) fn drain_video(
    encoder: &mut encoder::Video,
    output: &mut format::context::Output,
    time_base: Rational,
) -> Result<(), ff::Error> {
    let stream_tb = output.stream(0).map_or(time_base, |s| s.time_base());
    let mut packet = ff::Packet::empty();
    while encoder.receive_packet(&mut packet).is_ok() {
        packet.set_stream(0);
        // One frame per packet; without a duration the MP4 muxer ends its edit list at the
        // last frame's start and players drop that frame.
        if packet.duration() <= 0 {
            packet.set_duration(1);
        }
        packet.rescale_ts(time_base, stream_tb);
        packet.write_interleaved(output)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::FrameRate;

    #[test]
    fn frame_rates_keep_their_fractions() {
        let rate = |frames, seconds| Some(FrameRate { frames, seconds });
        assert_eq!(FrameRate::nearest(25.0), rate(25, 1));
        assert_eq!(FrameRate::nearest(12.5), rate(12_500, 1000));
        assert_eq!(FrameRate::nearest(30_000.0 / 1001.0), rate(30_000, 1001));
        assert_eq!(FrameRate::nearest(24_000.0 / 1001.0), rate(24_000, 1001));
        assert_eq!(FrameRate::nearest(7.5).map(FrameRate::fps), Some(7.5));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 5000.0] {
            assert_eq!(FrameRate::nearest(bad), None, "{bad}");
        }
        assert_eq!(FrameRate::from(30).per_second(), 30);
        assert_eq!(FrameRate { frames: 30_000, seconds: 1001 }.per_second(), 30);
    }
}
