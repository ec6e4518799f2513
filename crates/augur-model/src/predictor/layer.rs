//! One predictor layer as burn's pre-norm `TransformerEncoderLayer` computes it, with burn's
//! attention op in place of `MultiHeadAttention`'s matmul, mask, softmax and matmul chain: on
//! the CPU the fused op takes about half the time at the predictor's size (136 tokens, 4 heads
//! of 32), and it lets a rollout run the last layer for the last frame's tokens alone.

use burn::nn::Linear;
use burn::nn::transformer::TransformerEncoderLayer;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Tensor};

/// `layer` over `x` (`[batch, rows, width]`) for its last `queries` rows, each attending to the
/// rows `blocked` (`[1, queries, rows]`, `true` = unseen) leaves it; returns `[batch, queries,
/// width]`. Pre-norm as burn runs it: `norm_2` before attention, `norm_1` before the
/// feed-forward, no dropout (the predictor has none).
pub(super) fn through(
    layer: &TransformerEncoderLayer,
    x: Tensor<3>,
    queries: usize,
    blocked: Option<Tensor<3, Bool>>,
) -> Tensor<3> {
    debug_assert!(layer.norm_first && !layer.mha.quiet_softmax, "the predictor's layers are pre-norm with softmax");
    let [batch, rows, width] = x.dims();
    let mha = &layer.mha;
    let heads = |t: Tensor<3>, linear: &Linear| {
        let n = t.dims()[1];
        linear.forward(t).reshape([batch, n, mha.n_heads, mha.d_k]).swap_dims(1, 2)
    };
    let normed = layer.norm_2.forward(x.clone());
    let x = x.narrow(1, rows - queries, queries);
    let query = heads(normed.clone().narrow(1, rows - queries, queries), &mha.query);
    let mask = blocked.map(|m| m.unsqueeze_dim::<4>(1).expand([batch, mha.n_heads, queries, rows]));
    // The scale burn's attention layer divides by, given explicitly: the wgpu backend then runs
    // the plain op chain (its fused kernel stops the process on a failure instead of erring).
    let options = AttentionModuleOptions { scale: Some(1.0 / (mha.d_k as f64).sqrt()), ..Default::default() };
    let context = attention(query, heads(normed.clone(), &mha.key), heads(normed, &mha.value), mask, None, options);
    let x = x + mha.output.forward(context.swap_dims(1, 2).reshape([batch, queries, width]));
    x.clone() + layer.pwff.forward(layer.norm_1.forward(x))
}
