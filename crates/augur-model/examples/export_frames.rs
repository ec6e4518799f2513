//! Decodes a real clip at a model's input size into a frames file (`augur_model::data::save_frames`),
//! so `headless` can train and evaluate on it on a machine without ffmpeg.
//!
//!   cargo run --example export_frames -- 64 vtest.frames.safetensors file:/usr/share/doc/opencv-doc/examples/data/vtest.avi

use augur_model::data::{ClipSource, Reel, save_frames};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [size, out, given] = &args[..] else {
        return Err("usage: export_frames SIZE OUT.safetensors file:CLIP".into());
    };
    let size: usize = size.parse().map_err(|_| format!("SIZE must be 32, 64, 128 or 256, not {size}"))?;
    let ClipSource::Video { reel: Reel { frames, .. }, .. } = ClipSource::open(given, size)? else {
        return Err(format!("{given} is not a video file; give file:PATH").into());
    };
    save_frames(std::path::Path::new(out), &frames, size, given)?;
    println!("{} frames of {given} at {size}x{size} written to {out}", frames.len());
    Ok(())
}
