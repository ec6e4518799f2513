//! Training on the CPU with a tiny model: losses are finite, the latent does not collapse,
//! checkpoints, the loss curve and the card are written, the EMA target trails the online
//! encoder, and a resumed run continues where the checkpoint left off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::AtomicBool;

use augur_model::bank::{BankSpec, LatentBank};
use augur_model::data::{ClipSource, Rng};
use augur_model::eval::read;
use augur_model::{WorldModel, checkpoint};
use burn::tensor::{Device, Distribution, Tensor};

/// A random clip of 3 frames at the tiny model's size.
fn clip(device: &Device) -> Tensor<5> {
    Tensor::<5>::random([1, 3, 3, 32, 32], Distribution::Uniform(0.0, 1.0), device)
}

/// What `model` makes of `x` (a [`clip`]), read back: the online and target latents, the
/// predictor's guesses, and the online latents drawn over the clip's last frame.
fn outputs(model: &WorldModel, x: &Tensor<5>) -> [Vec<f32>; 4] {
    let z = model.online.forward(x.clone(), None);
    let anchor = x.clone().narrow(1, 2, 1).reshape([1, 3, 32, 32]);
    let drawn = model.decode(z.clone(), anchor).reshape([1, 3 * 3 * 32 * 32, 1, 1]);
    [z.clone(), model.target.forward(x.clone(), None), model.predictor.forward(z, None), drawn]
        .map(|t| read(t).unwrap())
}

/// Sets `setting` in the card of the model in `dir` without adding its weights, and returns
/// why loading it fails.
fn load_claiming(dir: &std::path::Path, setting: &str, device: &Device) -> String {
    common::edit_card_json(&dir.join("model"), |card| card["config"][setting] = serde_json::json!(true));
    checkpoint::load(&dir.join("model"), device).err().unwrap().to_string()
}

/// A tiny training job of `steps` into `out` that starts from the model trained in `base`.
fn fine_tune_job(out: &std::path::Path, steps: usize, base: &std::path::Path) -> augur_model::TrainJob {
    let mut job = common::tiny_job(out, steps);
    job.init = Some(base.join("model"));
    job
}

/// Why training `job` is refused (it must be).
fn refusal(job: &augur_model::TrainJob) -> String {
    augur_model::train(job, |_| {}).err().unwrap().to_string()
}

/// Why a fine-tuning setting, set by `set` on a job with no model to start from, is refused.
fn refusal_without_init(set: impl FnOnce(&mut augur_model::TrainConfig)) -> String {
    let fresh = tempfile::tempdir().unwrap();
    let mut job = common::tiny_job(fresh.path(), 1);
    set(&mut job.config);
    refusal(&job)
}

/// The parts [`outputs`] reads, in its order.
const PARTS: [&str; 4] = ["online encoder", "target encoder", "predictor", "decoder"];

/// Checks that a training run (`what`) moved the part of [`PARTS`] named `trained` and left
/// the others bit for bit as they were.
fn assert_trained_only(what: &str, trained: &str, before: &[Vec<f32>; 4], after: &[Vec<f32>; 4]) {
    for ((part, b), a) in PARTS.iter().zip(before).zip(after) {
        if *part == trained {
            assert!(common::max_diff(b, a) > 1e-6, "{what}: the {part} did not train");
        } else {
            assert!(common::max_diff(b, a) == 0.0, "{what} changed the {part}");
        }
    }
}

#[test]
fn training_writes_a_loadable_checkpoint_with_its_card_and_curve() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let card = augur_model::train(&common::tiny_job(dir.path(), 4), |p| seen.push(p.clone())).unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|p| p.losses.total.is_finite() && p.losses.latent_std_mean > 0.0));
    assert_eq!(seen.iter().filter(|p| p.checkpoint.is_some()).count(), 2, "checkpoint every 2 steps");
    let record = card.training.as_ref().unwrap();
    assert_eq!(record.steps_done, 4);
    assert_eq!(record.commands, vec!["test".to_string()]);
    for file in ["model.safetensors", "model.json", "optimizer.mpk", "train-state.json", "loss.png"] {
        assert!(dir.path().join(file).exists(), "{file} missing");
    }
    let (_, loaded) = checkpoint::load(&dir.path().join("model"), &burn::tensor::Device::flex()).unwrap();
    assert_eq!(loaded.training.unwrap().steps_done, 4);
}

#[test]
fn resume_continues_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    common::train_tiny(dir.path(), 2);
    let mut job = common::tiny_job(dir.path(), 4);
    job.resume = true;
    job.command = "resumed".into();
    let mut steps = Vec::new();
    let card = augur_model::train(&job, |p| steps.push(p.step)).unwrap();
    assert_eq!(steps, vec![3, 4], "a resumed run starts after the saved step");
    let record = card.training.unwrap();
    assert_eq!(record.steps_done, 4);
    assert_eq!(record.commands, vec!["test".to_string(), "resumed".to_string()]);
}

#[test]
fn a_run_stopped_at_a_step_and_resumed_ends_where_one_straight_run_does() {
    // Both runs fine-tune one model: a fresh one would draw its weights from the device's
    // random stream, which the tests running beside this one share.
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let straight = tempfile::tempdir().unwrap();
    augur_model::train(&fine_tune_job(straight.path(), 4, base.path()), |_| {}).unwrap();
    let halted = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(halted.path(), 4, base.path());
    job.stop_after = Some(3);
    let card = augur_model::train(&job, |_| {}).unwrap();
    let record = card.training.unwrap();
    assert_eq!((record.steps_done, record.config.steps), (3, 4), "stopped at 3 of a 4-step schedule");
    // A stop at or before the step reached, or past the end, is refused.
    job.resume = true;
    for bad in [3, 5] {
        job.stop_after = Some(bad);
        assert!(refusal(&job).contains("stop_after must be a step after 3"));
    }
    // A state whose parameter list is not the checkpoint's is refused, not resumed half-right.
    let state = halted.path().join("train-state.json");
    let saved = std::fs::read_to_string(&state).unwrap();
    let mut bad: serde_json::Value = serde_json::from_str(&saved).unwrap();
    bad["param_ids"] = serde_json::json!([1, 2, 3]);
    std::fs::write(&state, bad.to_string()).unwrap();
    job.stop_after = None;
    assert!(refusal(&job).contains("its parameter list does not match the checkpoint's weights"));
    std::fs::write(&state, saved).unwrap();
    augur_model::train(&job, |_| {}).unwrap();
    let x = clip(&device);
    let a = outputs(&checkpoint::load(&straight.path().join("model"), &device).unwrap().0, &x);
    let b = outputs(&checkpoint::load(&halted.path().join("model"), &device).unwrap().0, &x);
    // Bit for bit: the resumed run has the optimiser's moments and the sampler where they were.
    for i in 0..4 {
        assert!(common::max_diff(&a[i], &b[i]) == 0.0, "output {i} differs by {}", common::max_diff(&a[i], &b[i]));
    }
}

/// Sizes past what fits (a batch of 100 000 clips, a rollout of 2^64 steps, a budget of 1e300
/// s) are refused before anything is allocated, from a job's config and from the card of a
/// run that resumes (edited by hand).
#[test]
fn sizes_past_what_fits_are_refused_wherever_they_come_from() {
    let dir = tempfile::tempdir().unwrap();
    let refused_with = |set: &dyn Fn(&mut augur_model::TrainConfig), why: &str| {
        let fresh = tempfile::tempdir().unwrap();
        let mut job = common::tiny_job(fresh.path(), 2);
        set(&mut job.config);
        let got = refusal(&job);
        assert!(got.contains(why), "{got}");
    };
    refused_with(&|c| c.batch_size = 100_000, "batch_size must be 1 to 1024");
    refused_with(&|c| c.loss.rollout_steps = usize::MAX, "loss.rollout_steps must be 0 to 64");
    refused_with(&|c| c.time_budget_s = Some(1e300), "at most a year");
    refused_with(&|c| c.learning_rate = f64::NAN, "learning_rate");
    common::train_tiny(dir.path(), 2);
    common::edit_card_json(&dir.path().join("model"), |card| {
        card["training"]["config"]["batch_size"] = serde_json::json!(0);
    });
    let mut job = common::tiny_job(dir.path(), 4);
    job.resume = true;
    let why = refusal(&job);
    assert!(why.contains("batch_size must be") && why.contains("model.json"), "{why}");
}

#[test]
fn bad_data_is_refused_with_the_forms() {
    let dir = tempfile::tempdir().unwrap();
    let mut job = common::tiny_job(dir.path(), 2);
    job.data = vec![("lavfi:testsrc".into(), 1.0)];
    let why = refusal(&job);
    assert!(why.contains("scene: or file:"), "{why}");
    job.data = vec![("file:/nonexistent/clip.mp4".into(), 1.0)];
    let why = refusal(&job);
    assert!(why.contains("does not exist") && why.contains("/nonexistent/clip.mp4"), "{why}");
    // Training only the decoder needs a trained model to start from.
    let mut job = common::tiny_job(dir.path(), 2);
    job.config.decoder_only = Some(true);
    let why = refusal(&job);
    assert!(why.contains("--init MODEL"), "{why}");
    // Sources opened by the caller must match the data entries one to one.
    let job = common::tiny_job(dir.path(), 2);
    let why = augur_model::train_on(&job, &[], |_| {}).err().unwrap().to_string();
    assert!(why.contains("open one per entry"), "{why}");
}

#[test]
fn a_decoder_made_to_see_change_first_draws_what_it_drew_and_the_fine_tune_records_it() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let (mut model, card) = checkpoint::load(&base.path().join("model"), &device).unwrap();
    assert!(!card.config.sees_change(), "a card without the setting means no change input");
    let x = clip(&device);
    let anchor = x.clone().narrow(1, 2, 1).reshape([1, 3, 32, 32]);
    let z = model.online.forward(x, None);
    let before = read(model.decode(z.clone(), anchor.clone())).unwrap();
    model.decoder = model.decoder.with_change_input();
    let widened = read(model.decode(z, anchor)).unwrap();
    let diff = common::max_diff(&before, &widened);
    assert!(diff < 1e-6, "widening changed the drawing by {diff}");

    // A fine-tune asking for it widens the starting model and records it in the card.
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.model.decoder_sees_change = Some(true);
    augur_model::train(&job, |_| {}).unwrap();
    let (tuned_model, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert!(card.config.sees_change());
    assert!(tuned_model.decoder.sees_change());
    // Training and evaluation hand the anchor's target tokens over instead of encoding it again.
    // The fine-tune's change weights are still near their zero start, so a fresh decoder (random
    // change weights) and a target unlike the online encoder make the change input count.
    let mut model = augur_model::WorldModel::new(&card.config, &device);
    model.target = augur_model::WorldModel::new(&card.config, &device).online;
    let x = clip(&device);
    let anchor = x.clone().narrow(1, 2, 1).reshape([1, 3, 32, 32]);
    let z = model.online.forward(x.clone(), None);
    let [_, _, m, d] = z.dims();
    let before = model.target.forward(x, None).narrow(1, 2, 1).reshape([1, m, d]);
    let a = read(model.decode(z.clone(), anchor.clone())).unwrap();
    let b = read(model.decode_after(z.clone(), anchor.clone(), Some(before))).unwrap();
    let diff = common::max_diff(&a, &b);
    // The check means something only if the anchor's tokens change the drawing at all.
    let blind = read(model.decode_after(z, anchor, None)).unwrap();
    let effect = common::max_diff(&a, &blind);
    assert!(effect > 1e-5, "the change input has no effect ({effect}), so the check below is empty");
    assert!(diff < 1e-6, "decode and decode_after differ by {diff}");
}

#[test]
fn a_decoder_made_to_warp_with_a_coarse_flow_and_trained_alone_keeps_the_latents_and_learns_to_draw() {
    use augur_model::LossConfig;
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let (mut model, _) = checkpoint::load(&base.path().join("model"), &device).unwrap();
    let x = clip(&device);
    let before = outputs(&model, &x);
    model.decoder = model.decoder.with_warp();
    assert!(model.decoder.warps());
    let diff = common::max_diff(&before[3], &outputs(&model, &x)[3]);
    assert!(diff < 1e-6, "adding the flow changed the drawing by {diff}");
    model.decoder = model.decoder.with_coarse_flow(&device);
    assert!(model.decoder.has_coarse_flow());
    let diff = common::max_diff(&before[3], &outputs(&model, &x)[3]);
    assert!(diff < 1e-6, "adding the coarse flow changed the drawing by {diff}");

    // Both at once, trained with the warp's reach weighed.
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.model.decoder_warps = Some(true);
    job.config.model.decoder_coarse_flow = Some(true);
    job.config.decoder_only = Some(true);
    job.config.loss = LossConfig::new().with_pixel(1.0).with_reach(Some(1.0));
    augur_model::train(&job, |_| {}).unwrap();
    let (model, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert!(card.config.warps() && model.decoder.warps());
    assert!(card.config.coarse_flow() && model.decoder.has_coarse_flow());
    let reach = card.training.as_ref().unwrap().final_losses.reach;
    assert!(reach > 0.0 && reach.is_finite(), "the reach term was not weighed: {reach}");
    assert_eq!(card.training.unwrap().config.decoder_only, Some(true));
    let after = outputs(&model, &x);
    assert_trained_only("decoder-only training", "decoder", &before, &after);
}

#[test]
fn a_coarse_flow_without_a_warp_is_refused_with_what_to_add() {
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 1);
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 1, base.path());
    job.config.model.decoder_coarse_flow = Some(true);
    job.config.decoder_only = Some(true);
    let err = augur_model::train(&job, |_| {}).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("add --decoder-warps"), "{err}");
    assert!(!tuned.path().join("model.safetensors").exists(), "a refused run wrote a model");
}

#[test]
fn a_fine_tune_whose_decoder_sees_the_frame_records_it_and_its_checkpoint_loads() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.model.decoder_sees_frame = Some(true);
    job.config.decoder_only = Some(true);
    augur_model::train(&job, |_| {}).unwrap();
    let (model, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert!(card.config.sees_frame() && model.decoder.sees_frame());
    // The frame is read: two last frames under the same latents draw differently.
    let x = clip(&device);
    let z = model.online.forward(x, None);
    let frame = || Tensor::<4>::random([1, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
    let (a, b) = (read(model.decode(z.clone(), frame())).unwrap(), read(model.decode(z, frame())).unwrap());
    assert!(a.iter().zip(&b).any(|(p, q)| (p - q).abs() > 1e-4));
    // A checkpoint without the frame stack is refused by a config that asks for one.
    let why = load_claiming(base.path(), "decoder_sees_frame", &device);
    assert!(why.contains("frame_stages"), "{why}");
}

/// What [`outputs`] reads before and after a 2-step fine-tune (its job set by `set`) of a
/// 2-step tiny model, and the fine-tune's loss terms per step.
fn fine_tuned(
    set: impl FnOnce(&mut augur_model::TrainJob),
) -> ([Vec<f32>; 4], [Vec<f32>; 4], Vec<augur_model::LossTerms>) {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let x = clip(&device);
    let looks = |dir: &std::path::Path| outputs(&checkpoint::load(&dir.join("model"), &device).unwrap().0, &x);
    let before = looks(base.path());
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    set(&mut job);
    let mut steps = Vec::new();
    augur_model::train(&job, |p| steps.push(p.losses)).unwrap();
    (before, looks(tuned.path()), steps)
}

/// A fine-tune with nothing frozen trains every part, and the EMA target follows the online
/// encoder a little (momentum 0.99), not all the way and not at all (a run whose online
/// encoder never updated once trained here unnoticed).
#[test]
fn a_whole_fine_tune_trains_every_part_and_the_target_trails_the_online_encoder() {
    let (before, after, steps) = fine_tuned(|_| {});
    let moved: Vec<f32> = before.iter().zip(&after).map(|(b, a)| common::max_diff(b, a)).collect();
    for (part, m) in PARTS.iter().zip(&moved) {
        assert!(m.is_finite() && *m > 1e-6, "the {part} did not train ({m})");
    }
    assert!(moved[1] < 0.5 * moved[0], "the target moved {} against the online encoder's {}", moved[1], moved[0]);
    assert!(steps.iter().all(|l| l.latent_std_min > 0.0 && l.latent_std_min.is_finite()), "{steps:?}");
}

#[test]
fn freezing_the_encoders_keeps_the_latent_space_and_trains_the_predictor() {
    let (before, after, _) = fine_tuned(|job| job.config.freeze_encoders = Some(true));
    assert!(common::max_diff(&before[0], &after[0]) == 0.0, "the online encoder moved");
    assert!(common::max_diff(&before[1], &after[1]) == 0.0, "the EMA target moved");
    assert!(common::max_diff(&before[2], &after[2]) > 1e-6, "the predictor did not train");
    // Without a model to start from there are no encoders to keep.
    let why = refusal_without_init(|c| c.freeze_encoders = Some(true));
    assert!(why.contains("--init MODEL"), "{why}");
}

#[test]
fn predictor_only_training_with_a_motion_input_keeps_encoders_and_decoder() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let x = clip(&device);
    let (start, _) = checkpoint::load(&base.path().join("model"), &device).unwrap();
    let before = outputs(&start, &x);
    // The motion input starts at zero: the widened predictor predicts what it did.
    let cfg = common::tiny().with_predictor_sees_motion(Some(true));
    let mut widened = start.clone();
    widened.predictor = widened.predictor.with_motion_input(&cfg, &device);
    assert!(
        common::max_diff(&before[2], &outputs(&widened, &x)[2]) == 0.0,
        "a zero motion input changed the prediction"
    );

    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.model.predictor_sees_motion = Some(true);
    job.config.predictor_only = Some(true);
    job.config.loss.motion = Some(2.0);
    augur_model::train(&job, |_| {}).unwrap();
    let (model, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert!(card.config.sees_motion() && model.predictor.sees_motion());
    let record = card.training.unwrap();
    assert_eq!((record.config.loss.reconstruction, record.config.loss.pixel), (0.0, 0.0));
    assert_eq!(record.final_losses.reconstruction, 0.0, "a predictor-only step drew frames");
    let after = outputs(&model, &x);
    assert_trained_only("predictor-only training", "predictor", &before, &after);
    // A live session starts from one frame: a window with no frame before its first one.
    let one = model.online.forward(x.clone().narrow(1, 0, 1), None);
    assert_eq!(model.rollout(one, None, 2).dims()[1], 2);
    // Drawing-only and predictor-only training together leave nothing to train.
    let both = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(both.path(), 2, base.path());
    job.config.predictor_only = Some(true);
    job.config.decoder_only = Some(true);
    let why = refusal(&job);
    assert!(why.contains("pick one"), "{why}");
    // A checkpoint without the motion input is refused by a config that asks for one.
    let why = load_claiming(base.path(), "predictor_sees_motion", &device);
    assert!(why.contains("motion"), "{why}");
}

#[test]
fn a_new_predictor_of_another_size_trains_on_the_kept_encoders_and_decoder() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let x = clip(&device);
    let before = outputs(&checkpoint::load(&base.path().join("model"), &device).unwrap().0, &x);
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.model = common::tiny().with_predictor_layers(2).with_predictor_dim(48).with_predictor_heads(4);
    job.config.new_predictor = Some(true);
    job.config.predictor_only = Some(true);
    augur_model::train(&job, |_| {}).unwrap();
    // The card and the weights carry the new size, and they load together.
    let (model, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    let c = &card.config;
    assert_eq!((c.predictor_layers, c.predictor_dim, c.predictor_heads), (2, 48, 4));
    assert_eq!(card.training.unwrap().config.new_predictor, Some(true));
    // The tiny config says nothing of motion, so the starting model's choice (none) stands.
    assert!(!card.config.sees_motion() && !model.predictor.sees_motion());
    let after = outputs(&model, &x);
    assert_trained_only("a new predictor", "predictor", &before, &after);
    // It trained from "nothing changes": its guesses are no longer its input.
    assert!(common::max_diff(&after[0], &after[2]) > 1e-6, "the new predictor did not train");
    // A size the transformer cannot take is refused before training.
    let bad = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(bad.path(), 1, base.path());
    job.config.model = common::tiny().with_predictor_dim(30).with_predictor_heads(4);
    job.config.new_predictor = Some(true);
    let why = refusal(&job);
    assert!(why.contains("predictor_heads 4 must divide predictor_dim 30"), "{why}");
    // Without a model to start from there are no encoders to keep.
    let why = refusal_without_init(|c| c.new_predictor = Some(true));
    assert!(why.contains("--init MODEL"), "{why}");
}

#[test]
fn a_grown_predictor_first_predicts_what_it_did_then_trains_its_new_layers() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let (model, card) = checkpoint::load(&base.path().join("model"), &device).unwrap();
    let layers = card.config.predictor_layers;
    let x = clip(&device);
    let before = outputs(&model, &x);
    // Deepened by hand, the predictor's guesses are bit for bit what they were.
    let deeper = model.predictor.clone().deepened(&card.config, layers + 2, &device);
    assert_eq!(deeper.layers(), layers + 2);
    let z = model.online.forward(x.clone(), None);
    assert!(common::max_diff(&before[2], &read(deeper.forward(z, None)).unwrap()) == 0.0);
    // Grown through training: the card and the weights carry the new depth and load together.
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.grow_predictor = Some(layers + 1);
    job.config.predictor_only = Some(true);
    augur_model::train(&job, |_| {}).unwrap();
    let (grown, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert_eq!((card.config.predictor_layers, grown.predictor.layers()), (layers + 1, layers + 1));
    assert_eq!(card.training.unwrap().config.grow_predictor, Some(layers + 1));
    let after = outputs(&grown, &x);
    assert!(common::max_diff(&before[0], &after[0]) == 0.0, "growing the predictor changed the encoder");
    assert!(common::max_diff(&before[2], &after[2]) > 1e-6, "the grown predictor did not train");
    // Refused before training: no new layer, a fresh predictor at the same time, no model to grow.
    let refused = |grow: usize, new: bool, init: bool| {
        let dir = tempfile::tempdir().unwrap();
        let mut job = if init { fine_tune_job(dir.path(), 1, base.path()) } else { common::tiny_job(dir.path(), 1) };
        job.config.grow_predictor = Some(grow);
        job.config.new_predictor = Some(new);
        refusal(&job)
    };
    let why = refused(layers, false, true);
    assert!(why.contains(&format!("ask for {} to 32 layers, not {layers}", layers + 1)), "{why}");
    assert!(refused(layers + 1, true, true).contains("pick one"));
    assert!(refused(layers + 1, false, false).contains("--init MODEL"));
}

#[test]
fn a_latent_bank_holds_what_the_encoders_make_of_each_window_and_trains_the_predictor_alone() {
    let device = Device::flex();
    let base = tempfile::tempdir().unwrap();
    common::train_tiny(base.path(), 2);
    let (model, _) = checkpoint::load(&base.path().join("model"), &device).unwrap();
    // Every window drawn is what the encoders make of those frames encoded on their own.
    let frames = Tensor::<5>::random([1, 6, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
    let bank = LatentBank::of(&model, frames.clone(), None);
    let windows: Vec<[Vec<f32>; 2]> = (0..4)
        .map(|from| {
            let x = frames.clone().narrow(1, from, 3);
            [read(model.online.forward(x.clone(), None)).unwrap(), read(model.target.forward(x, None)).unwrap()]
        })
        .collect();
    let (online, target) = bank.draw(5, 3, &mut Rng(1));
    assert_eq!(online.dims()[..2], [5, 3]);
    let (online, target) = (read(online).unwrap(), read(target).unwrap());
    let per = online.len() / 5;
    for i in 0..5 {
        let (o, t) = (&online[i * per..(i + 1) * per], &target[i * per..(i + 1) * per]);
        assert!(
            windows.iter().any(|[wo, wt]| common::max_diff(o, wo) < 1e-5 && common::max_diff(t, wt) < 1e-5),
            "window {i} is no window of the clip"
        );
    }
    // Built from the sources, the same seed gives the same bank: a resumed run rebuilds it.
    let sources = [ClipSource::open("scene:bounce", 32).unwrap()];
    let spec = BankSpec { clips: 3, len: 4, size: 32, seed: 5 };
    let mut seen = Vec::new();
    let go_on = AtomicBool::new(false);
    let build = |seen: &mut Vec<_>, cancel| {
        LatentBank::build(&model, &sources, &[1.0], &spec, &device, cancel, |d, a| seen.push((d, a))).unwrap()
    };
    let built = build(&mut seen, &go_on).unwrap();
    assert_eq!(seen.last(), Some(&(3, 3)));
    let again = build(&mut Vec::new(), &go_on).unwrap();
    // Cancelled, it stops before its next pass and gives no bank.
    let mut cut = Vec::new();
    assert!(build(&mut cut, &AtomicBool::new(true)).is_none() && cut.is_empty());
    let draw = |b: &LatentBank| read(b.draw(4, 4, &mut Rng(2)).1).unwrap();
    assert!(common::max_diff(&draw(&built), &draw(&again)) == 0.0, "one seed built two banks");

    // Trained on a bank: only the predictor changes, the bank's encoding is reported first,
    // and a resumed run continues after the saved step.
    let x = clip(&device);
    let before = outputs(&model, &x);
    let tuned = tempfile::tempdir().unwrap();
    let mut job = fine_tune_job(tuned.path(), 2, base.path());
    job.config.predictor_only = Some(true);
    job.config.latent_bank = Some(5);
    let mut progress = Vec::new();
    augur_model::train(&job, |p| progress.push((p.bank, p.step))).unwrap();
    assert_eq!(progress.first(), Some(&(Some((5, 5)), 0)), "{progress:?}");
    assert_eq!(progress.iter().filter(|(bank, _)| bank.is_none()).count(), 2);
    let (trained, card) = checkpoint::load(&tuned.path().join("model"), &device).unwrap();
    assert_eq!(card.training.unwrap().config.latent_bank, Some(5));
    let after = outputs(&trained, &x);
    assert_trained_only("training on a bank", "predictor", &before, &after);
    job.resume = true;
    job.config.steps = 3;
    let mut steps = Vec::new();
    augur_model::train(&job, |p| steps.push(p.step)).unwrap();
    assert_eq!(steps, vec![2, 3], "the bank's encoding, then the step after the saved one");

    // Refused before training: with encoders that train, empty, too large to hold.
    let refused = |clips: usize, predictor_only: bool| {
        let dir = tempfile::tempdir().unwrap();
        let mut job = fine_tune_job(dir.path(), 1, base.path());
        job.config.latent_bank = Some(clips);
        job.config.predictor_only = Some(predictor_only);
        refusal(&job)
    };
    assert!(refused(5, false).contains("needs predictor_only"));
    assert!(refused(0, true).contains("holds 1 to"));
    assert!(refused(usize::MAX / 2, true).contains("holds 1 to"));
}
