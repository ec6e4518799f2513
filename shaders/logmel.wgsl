// Log-mel spectrogram: raw mono f32 audio -> ln(max(mel energy, 1e-10)), [frames][n_mels].
//
// One workgroup per frame: it windows the frame into workgroup memory, computes the power
// spectrum of bins 0..=n_fft/2 by a direct DFT, then applies the mel filterbank. The CPU
// reference is `augur_gpu::logmel::reference`; keep the two in step.
//
// Cost: the direct DFT is n_fft multiply-adds per bin, about n_fft²/2 per frame (131k at
// n_fft = 512, 524k at 1024). At 100 frames a second that is nothing for a GPU, and it keeps
// the shader short; an FFT would only pay off past n_fft = 1024, which the launcher refuses.

struct Params {
    n_fft: u32,
    hop: u32,
    n_mels: u32,
    frames: u32,
    n_bins: u32,
    // The uniform is padded to 32 bytes.
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// Must match `logmel::MAX_N_FFT` and `WORKGROUP` in the launcher.
const MAX_N_FFT: u32 = 1024u;
const MAX_BINS: u32 = 513u;
const WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> audio: array<f32>;
// The Hann window (n_fft values), then cos(2πj/n_fft) and sin(2πj/n_fft) for j < n_fft: made
// on the CPU in f64, since WGSL's cos and sin only promise about 2^-11 absolute error.
@group(0) @binding(2) var<storage, read> tables: array<f32>;
// Triangular mel filter weights, [n_mels][n_bins].
@group(0) @binding(3) var<storage, read> filters: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> frame: array<f32, MAX_N_FFT>;
var<workgroup> power: array<f32, MAX_BINS>;

@compute @workgroup_size(64, 1, 1)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    // The same for the whole workgroup, so the barriers below stay in uniform control flow.
    let f = wid.y * groups.x + wid.x;
    if f >= params.frames {
        return;
    }
    let n_fft = params.n_fft;
    let start = f * params.hop;
    for (var n = lid; n < n_fft; n += WORKGROUP) {
        frame[n] = audio[start + n] * tables[n];
    }
    workgroupBarrier();

    // n_fft is a power of two, so k·n mod n_fft is a mask: the angle 2πkn/n_fft is looked up
    // exactly instead of losing precision in a large argument.
    let mask = n_fft - 1u;
    for (var k = lid; k < params.n_bins; k += WORKGROUP) {
        var re = 0.0;
        var im = 0.0;
        for (var n = 0u; n < n_fft; n++) {
            let j = (k * n) & mask;
            re += frame[n] * tables[n_fft + j];
            // The DFT subtracts here; the sign drops out of the power.
            im += frame[n] * tables[2u * n_fft + j];
        }
        power[k] = re * re + im * im;
    }
    workgroupBarrier();

    for (var m = lid; m < params.n_mels; m += WORKGROUP) {
        var energy = 0.0;
        let row = m * params.n_bins;
        for (var k = 0u; k < params.n_bins; k++) {
            energy += filters[row + k] * power[k];
        }
        out[f * params.n_mels + m] = log(max(energy, 1e-10));
    }
}
