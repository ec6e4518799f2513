//! Frame preprocessing: packed RGB8 (HWC) -> normalised f32 planar CHW, resized bilinearly.
//!
//! One invocation writes the three channels of one output pixel. The CPU reference is
//! `augur_gpu::preprocess::reference`; keep the two in step.
//!
//! Resampling follows PyTorch `interpolate(mode="bilinear", align_corners=false)` without
//! antialiasing (the convention most vision models are trained with): pixel centres sit at
//! +0.5, the source coordinate is clamped at 0 on the low side, the high neighbour at the edge.

struct Params {
    src_w: u32,
    src_h: u32,
    dst_w: u32,
    dst_h: u32,
    // out = (byte / 255 - mean) * inv_std, per channel; .w is padding.
    mean: vec4<f32>,
    inv_std: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
// The frame's bytes, four to a word, little-endian; the last word is zero-padded.
@group(0) @binding(1) var<storage, read> src: array<u32>;
// 3 * dst_h * dst_w floats: all of R, then all of G, then all of B.
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn byte_at(index: u32) -> f32 {
    let word = src[index >> 2u];
    return f32((word >> ((index & 3u) * 8u)) & 0xffu);
}

fn texel(x: u32, y: u32, channel: u32) -> f32 {
    return byte_at((y * params.src_w + x) * 3u + channel);
}

// Source coordinate, low neighbour, high neighbour and weight of the high one along one axis.
struct Tap {
    lo: u32,
    hi: u32,
    t: f32,
}

fn tap(dst_index: u32, src_len: u32, dst_len: u32) -> Tap {
    let scale = f32(src_len) / f32(dst_len);
    let s = max((f32(dst_index) + 0.5) * scale - 0.5, 0.0);
    let lo = min(u32(floor(s)), src_len - 1u);
    let hi = min(lo + 1u, src_len - 1u);
    return Tap(lo, hi, s - f32(lo));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.dst_w || id.y >= params.dst_h {
        return;
    }
    let tx = tap(id.x, params.src_w, params.dst_w);
    let ty = tap(id.y, params.src_h, params.dst_h);
    let plane = params.dst_w * params.dst_h;
    let out_index = id.y * params.dst_w + id.x;
    for (var c = 0u; c < 3u; c++) {
        let top = mix(texel(tx.lo, ty.lo, c), texel(tx.hi, ty.lo, c), tx.t);
        let bottom = mix(texel(tx.lo, ty.hi, c), texel(tx.hi, ty.hi, c), tx.t);
        let value = mix(top, bottom, ty.t) / 255.0;
        dst[c * plane + out_index] = (value - params.mean[c]) * params.inv_std[c];
    }
}
