// Error heatmap: predicted vs actual planar f32 CHW frames -> one RGBA8 pixel per position,
// plus one partial sum of squared error per workgroup for the frame's mean squared error.
//
// error = mean over the 3 channels of (pred - actual)², scaled by `gain`, clamped to [0, 1]
// and looked up in a colormap of COLOR_STOPS control points, interpolated linearly. The CPU
// reference is `augur_gpu::heatmap::reference`; keep the two in step.

// Must match `heatmap::COLOR_STOPS`.
const COLOR_STOPS: u32 = 16u;
// Must match `WORKGROUP` in the launcher: the reduction below halves it down to one.
const WORKGROUP: u32 = 16u;

struct Params {
    width: u32,
    height: u32,
    gain: f32,
    pad: u32,
    // Control points at 0, 1/15, ..., 1; rgb in .xyz, .w is padding (uniform arrays have a
    // 16-byte stride).
    colormap: array<vec4<f32>, COLOR_STOPS>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> actual: array<f32>;
// Row-major, R in the low byte: the bytes in memory are R, G, B, A.
@group(0) @binding(3) var<storage, read_write> rgba: array<u32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

var<workgroup> sums: array<f32, 256>;

fn colormap(v: f32) -> vec3<f32> {
    let x = v * f32(COLOR_STOPS - 1u);
    let i = min(u32(x), COLOR_STOPS - 2u);
    return mix(params.colormap[i].xyz, params.colormap[i + 1u].xyz, x - f32(i));
}

@compute @workgroup_size(16, 16, 1)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    // No early return: every invocation must reach the barriers, those past the edge with 0.
    var err = 0.0;
    if id.x < params.width && id.y < params.height {
        let plane = params.width * params.height;
        let i = id.y * params.width + id.x;
        var sum = 0.0;
        for (var c = 0u; c < 3u; c++) {
            let d = pred[c * plane + i] - actual[c * plane + i];
            sum += d * d;
        }
        err = sum / 3.0;
        // A NaN or infinite error (a diverged model) is drawn brightest, never as "no error";
        // tested on the bits, since WGSL lets a compiler assume floats are finite.
        let shown = err * params.gain;
        let finite = (bitcast<u32>(shown) & 0x7f800000u) != 0x7f800000u;
        rgba[i] = pack4x8unorm(vec4(colormap(select(1.0, clamp(shown, 0.0, 1.0), finite)), 1.0));
    }

    sums[lid] = err;
    workgroupBarrier();
    for (var stride = WORKGROUP * WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if lid < stride {
            sums[lid] += sums[lid + stride];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        partial[wid.y * groups.x + wid.x] = sums[0];
    }
}
