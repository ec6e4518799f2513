//! The EMA target: after each optimiser step, `target ← m·target + (1 − m)·online`.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

use crate::Encoders;

/// Moves every weight of `target` a step `1 - momentum` towards the same weight of `online`.
/// Both have the same architecture, so their parameters are visited in the same order.
pub fn update(target: Encoders, online: &Encoders, momentum: f32) -> Encoders {
    let mut collect = Collect(Vec::new());
    online.visit(&mut collect);
    let mut blend = Blend { values: collect.0.into_iter(), momentum };
    target.map(&mut blend).no_grad()
}

struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().detach();
        let n = value.shape().num_elements();
        self.0.push(value.reshape([n]));
    }
}

struct Blend {
    values: std::vec::IntoIter<Tensor<1>>,
    momentum: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(online) = self.values.next() else { return param };
        let m = self.momentum;
        param.map(|old| {
            let dims = old.dims();
            old.detach().mul_scalar(m) + online.reshape(dims).mul_scalar(1.0 - m)
        })
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::ModelConfig;

    /// Every weight of `encoders`, flattened in visiting order.
    fn weights(encoders: &Encoders) -> Vec<f32> {
        let mut collect = Collect(Vec::new());
        encoders.visit(&mut collect);
        collect.0.into_iter().flat_map(|t| t.into_data().try_to_vec::<f32>().unwrap_or_default()).collect()
    }

    #[test]
    fn the_target_moves_a_quarter_of_the_way_at_momentum_three_quarters() {
        let device = Device::flex();
        let cfg = ModelConfig::tiny();
        let (target, online) = (Encoders::new(&cfg, &device), Encoders::new(&cfg, &device));
        let (t0, o) = (weights(&target), weights(&online));
        assert!(crate::metrics::max_abs_diff(&t0, &o) > 1e-3, "two fresh encoders differ");
        let moved = weights(&update(target, &online, 0.75));
        let want: Vec<f32> = t0.iter().zip(&o).map(|(t, o)| 0.75 * t + 0.25 * o).collect();
        let off = crate::metrics::max_abs_diff(&moved, &want);
        assert!(off < 1e-6, "off m·target + (1 − m)·online by {off}");
    }
}
