//! A rollout drawn while it is made. On the CPU the predictor and the decoder each leave most
//! of a second core idle (their matrices are too small to split well), so the decoder draws
//! each predicted step on a second thread while the predictor computes the next one.

use std::sync::OnceLock;
use std::sync::mpsc::sync_channel;

use burn::tensor::{Device, Tensor};
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::WorldModel;

impl WorldModel {
    /// Rolls `context` (`[1, T, tokens, dim]`) out `horizon` steps and draws them over `anchor`
    /// as [`decode_after`](Self::decode_after) does; returns the predicted tokens
    /// (`[1, horizon, tokens, dim]`) and frames (`[1, horizon, 3, S, S]`). With `overlap` on
    /// the CPU device each step is drawn on a second thread while the next is predicted;
    /// otherwise, and on a GPU (which runs each op across its own cores already), one after the
    /// other. `horizon` is 1 or more.
    pub fn foresee(
        &self,
        context: Tensor<4>,
        horizon: usize,
        anchor: Tensor<4>,
        anchor_tokens: Option<Tensor<3>>,
        overlap: bool,
    ) -> (Tensor<4>, Tensor<5>) {
        let overlapped = overlap && anchor.device() == Device::flex() && context.dims()[0] == 1;
        let Some(pool) = predictor_pool().filter(|_| overlapped) else {
            let future = self.rollout(context, None, horizon);
            let drawn = self.decode_after(future.clone(), anchor, anchor_tokens);
            return (future, drawn);
        };
        let (send, steps) = sync_channel::<Tensor<4>>(horizon.max(1));
        std::thread::scope(|scope| {
            let drawer = scope.spawn(move || {
                let drawn = steps.iter().map(|z| self.decode_after(z, anchor.clone(), anchor_tokens.clone()));
                drawn.collect::<Vec<_>>()
            });
            let future = pool.install(|| {
                self.rollout_each(context, None, horizon, &mut |next| {
                    // The drawer only stops early by panicking, which the join below reports.
                    let _ = send.send(next.clone());
                })
            });
            drop(send);
            let drawn = match drawer.join() {
                Ok(drawn) => Tensor::cat(drawn, 1),
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (future, drawn)
        })
    }
}

/// One thread of its own for the predictor: split over both cores its small matrix products
/// lose more to handing work over than they gain (a rollout took 6–25 % longer on two), and the
/// other core is the decoder's.
fn predictor_pool() -> Option<&'static ThreadPool> {
    static POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| ThreadPoolBuilder::new().num_threads(1).thread_name(|_| "augur-predict".into()).build().ok())
        .as_ref()
}
