// Log-mel spectrogram: raw mono f32 audio -> ln(max(mel energy, 1e-10)), [frames][n_mels].
//
// One workgroup per frame: it loads the windowed frame into workgroup memory in bit-reversed
// order, runs an in-place radix-2 FFT (log2(n_fft) stages of n_fft/2 butterflies, a barrier
// between stages), then applies the mel filterbank to the power of bins 0..=n_fft/2. The CPU
// reference (`augur_gpu::logmel::reference`) is a direct DFT in f64, the exact value the FFT
// approximates; keep the two in step.
//
// Cost: (n_fft/2)·log2(n_fft) butterflies per frame (2304 at n_fft = 512) against n_fft²/2
// multiply-adds for a direct DFT (131k); on lavapipe a direct DFT was 2.5-5x slower than burn's
// matmul chain. n_fft is capped at 1024 by the workgroup memory (two 4 KiB arrays).

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
const WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> audio: array<f32>;
// The Hann window (n_fft values), then cos(2πj/n_fft) and sin(2πj/n_fft) for j < n_fft: made
// on the CPU in f64, since WGSL's cos and sin only promise about 2^-11 absolute error.
@group(0) @binding(2) var<storage, read> tables: array<f32>;
// Triangular mel filter weights, [n_mels][n_bins].
@group(0) @binding(3) var<storage, read> filters: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// The frame being transformed, real and imaginary parts.
var<workgroup> re: array<f32, MAX_N_FFT>;
var<workgroup> im: array<f32, MAX_N_FFT>;

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
    // Sample n goes to the bit reversal of n (log2(n_fft) bits), so the butterflies work in place.
    let shift = 32u - countTrailingZeros(n_fft);
    for (var n = lid; n < n_fft; n += WORKGROUP) {
        let to = reverseBits(n) >> shift;
        // A sample that is not a finite number (a broken device) counts as silence; tested on
        // the bits, since WGSL lets a compiler assume floats are finite.
        let sample = audio[start + n];
        let finite = (bitcast<u32>(sample) & 0x7f800000u) != 0x7f800000u;
        re[to] = select(0.0, sample, finite) * tables[n];
        im[to] = 0.0;
    }
    workgroupBarrier();

    // Stage `size` merges pairs of size/2-point transforms; butterfly b pairs element i with
    // i + half under the twiddle exp(-2πi·j/size) = cos - i·sin of table entry j·n_fft/size.
    for (var size = 2u; size <= n_fft; size <<= 1u) {
        let half = size >> 1u;
        let stride = n_fft / size;
        for (var b = lid; b < n_fft / 2u; b += WORKGROUP) {
            let j = b % half;
            let i = (b / half) * size + j;
            let c = tables[n_fft + j * stride];
            let s = tables[2u * n_fft + j * stride];
            let k = i + half;
            let t_re = re[k] * c + im[k] * s;
            let t_im = im[k] * c - re[k] * s;
            re[k] = re[i] - t_re;
            im[k] = im[i] - t_im;
            re[i] += t_re;
            im[i] += t_im;
        }
        workgroupBarrier();
    }

    for (var m = lid; m < params.n_mels; m += WORKGROUP) {
        var energy = 0.0;
        let row = m * params.n_bins;
        for (var k = 0u; k < params.n_bins; k++) {
            energy += filters[row + k] * (re[k] * re[k] + im[k] * im[k]);
        }
        out[f * params.n_mels + m] = log(max(energy, 1e-10));
    }
}
