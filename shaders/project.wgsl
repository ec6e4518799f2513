// Latent projection: N row-major vectors of dimension D onto K principal components,
// out[n][k] = (x[n] - mean) · component[k], N×K row-major.
//
// One invocation per vector, keeping its K dot products in registers, so each element of x
// is read once. Neighbouring invocations read x `dim` floats apart, which a GPU does not
// coalesce; for the few thousand latents a view shows that is far from mattering. The CPU
// reference is `augur_gpu::project::reference`; keep the two in step.

struct Params {
    n: u32,
    dim: u32,
    k: u32,
    pad: u32,
}

// Must match `project::MAX_K` and `WORKGROUP` in the launcher.
const MAX_K: u32 = 8u;
const WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
// K×D row-major: one component per row.
@group(0) @binding(3) var<storage, read> components: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let row = (wid.y * groups.x + wid.x) * WORKGROUP + lid;
    if row >= params.n {
        return;
    }
    var acc: array<f32, MAX_K>;
    let base = row * params.dim;
    for (var d = 0u; d < params.dim; d++) {
        let centred = x[base + d] - mean[d];
        for (var j = 0u; j < params.k; j++) {
            acc[j] += centred * components[j * params.dim + d];
        }
    }
    for (var j = 0u; j < params.k; j++) {
        out[row * params.k + j] = acc[j];
    }
}
