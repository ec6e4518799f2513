//! Writing video: packed RGB frames to H.264 (`yuv420p`) in MP4 or MKV through FFmpeg, for
//! `augur predict`'s side-by-side videos and exports.

use std::path::{Path, PathBuf};

use ff::format::Pixel;
use ff::{Dictionary, Rational, codec, encoder, format};
use ffmpeg_next as ff;

use crate::CaptureError;

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
    pub fn create(path: &Path, width: u32, height: u32, fps: u32) -> Result<Self, CaptureError> {
        super::init()?;
        let write_error = |why: String| CaptureError::Write { why, path: path.display().to_string() };
        let failed = |e: ff::Error| write_error(e.to_string());
        let (w, h) = (width & !1, height & !1);
        if w < 2 || h < 2 || fps == 0 {
            return Err(write_error(format!("cannot encode {width}x{height} at {fps} fps")));
        }
        let mut output = format::output(path).map_err(failed)?;
        let mut opts = Dictionary::new();
        opts.set("crf", "20");
        let (encoder, time_base) = add_h264(&mut output, w, h, fps, opts).map_err(|e| h264_error(e, &write_error))?;
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
        drain_h264(&mut self.encoder, &mut self.output, self.time_base).map_err(|e| self.error(e))
    }

    fn error(&self, e: ff::Error) -> CaptureError {
        CaptureError::Write { why: e.to_string(), path: self.path.display().to_string() }
    }
}

/// Adds an H.264 (`yuv420p`, no B-frames) stream to `output` and opens its encoder, with `opts`
/// on top of preset veryfast. Returns the encoder and its time base (1/fps).
pub(super) fn add_h264(
    output: &mut format::context::Output,
    w: u32,
    h: u32,
    fps: u32,
    mut opts: Dictionary<'_>,
) -> Result<(encoder::Video, Rational), ff::Error> {
    let global_header = output.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let codec = encoder::find(codec::Id::H264).ok_or(ff::Error::EncoderNotFound)?;
    let mut stream = output.add_stream(codec)?;
    let mut enc = codec::context::Context::new_with_codec(codec).encoder().video()?;
    let time_base = Rational(1, fps as i32);
    enc.set_width(w);
    enc.set_height(h);
    enc.set_format(Pixel::YUV420P);
    enc.set_time_base(time_base);
    enc.set_frame_rate(Some(Rational(fps as i32, 1)));
    enc.set_gop(fps);
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    opts.set("preset", "veryfast");
    // No B-frames: with them the MP4 needs an edit list and some readers drop a frame.
    opts.set("bf", "0");
    let encoder = enc.open_with(opts)?;
    stream.set_parameters(&encoder);
    stream.set_time_base(time_base);
    Ok((encoder, time_base))
}

/// The write error for a failed H.264 setup, naming the missing encoder when that is the cause.
pub(super) fn h264_error(e: ff::Error, write_error: &dyn Fn(String) -> CaptureError) -> CaptureError {
    match e {
        ff::Error::EncoderNotFound => {
            write_error("this FFmpeg has no H.264 encoder; install libx264 (Debian: libavcodec-extra)".into())
        }
        other => write_error(other.to_string()),
    }
}

/// Writes every packet the H.264 encoder has ready to stream 0 of `output`.
pub(super) fn drain_h264(
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
