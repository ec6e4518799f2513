//! Audio features for the audio token: log-mel energies averaged over each video frame's span,
//! scaled to roughly unit range.

use burn::tensor::{Device, Tensor, TensorData};

/// Natural-log energy floor: silence maps here.
pub const LOG_FLOOR: f32 = -23.0;

/// Maps `ln(mel energy)` to the scale the audio encoder expects, about -1 for silence and
/// around 0..1 for speech at normal levels.
pub fn scale_logmel(ln_energy: f32) -> f32 {
    (ln_energy.max(LOG_FLOOR) + 5.0) / 18.0
}

/// Scaled log-mel of silence for `[batch, steps, mels]`, for sources without sound.
pub fn silence(batch: usize, steps: usize, mels: usize, device: &Device) -> Tensor<3> {
    let value = scale_logmel(LOG_FLOOR);
    Tensor::from_data(TensorData::new(vec![value; batch * steps * mels], [batch, steps, mels]), device)
}
