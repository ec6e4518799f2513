//! The model's forward paths on the CPU device: shapes, causality, rollout, surprise, and the
//! same weights on the wgpu device.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use augur_model::eval::{horizon_table, read};
use augur_model::{ModelConfig, WorldModel, checkpoint};
use burn::tensor::{Device, Distribution, Tensor};

fn frames(cfg: &ModelConfig, batch: usize, steps: usize, device: &Device) -> Tensor<5> {
    let s = cfg.image_size;
    Tensor::random([batch, steps, 3, s, s], Distribution::Uniform(0.0, 1.0), device)
}

#[test]
fn shapes_through_the_whole_model() {
    let cfg = common::tiny();
    let device = Device::flex();
    let model = WorldModel::new(&cfg, &device);
    let x = frames(&cfg, 2, 3, &device);
    let anchor = x.clone().narrow(1, 2, 1).reshape([2, 3, 32, 32]);
    let z = model.online.forward(x, None);
    assert_eq!(z.dims(), [2, 3, cfg.tokens(), cfg.latent_dim]);
    let future = model.rollout(z, None, 4);
    assert_eq!(future.dims(), [2, 4, cfg.tokens(), cfg.latent_dim]);
    let pixels = model.decode(future, anchor);
    assert_eq!(pixels.dims(), [2, 4, 3, 32, 32]);
    let values = read(pixels).unwrap();
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)), "decoded pixels leave [0, 1]");
}

#[test]
fn the_predictor_is_causal_in_time() {
    let cfg = common::tiny();
    let device = Device::flex();
    // A few training steps give the predictor non-zero output weights (it starts as identity).
    let dir = tempfile::tempdir().unwrap();
    common::train_tiny(dir.path(), 3);
    let (trained, _) = checkpoint::load(&dir.path().join("model"), &device).unwrap();
    let x = frames(&cfg, 1, 3, &device);
    let z = trained.online.forward(x, None);
    let changed = Tensor::cat(vec![z.clone().narrow(1, 0, 2), z.clone().narrow(1, 2, 1).add_scalar(5.0)], 1);
    let a = read(trained.predictor.forward(z, None).narrow(1, 0, 2)).unwrap();
    let b = read(trained.predictor.forward(changed, None).narrow(1, 0, 2)).unwrap();
    let diff = common::max_diff(&a, &b);
    assert!(diff < 1e-5, "a later frame changed earlier predictions by {diff}");
}

#[test]
fn surprise_is_zero_for_a_perfect_prediction_and_grows_with_error() {
    let device = Device::flex();
    let a = Tensor::<4>::random([1, 2, 3, 4], Distribution::Uniform(-1.0, 1.0), &device);
    let zero = read(WorldModel::surprise(a.clone(), a.clone())).unwrap();
    assert!(zero.iter().all(|v| *v == 0.0));
    let off = read(WorldModel::surprise(a.clone().add_scalar(0.5), a)).unwrap();
    assert!(off.iter().all(|v| (v - 0.25).abs() < 1e-6), "{off:?}");
}

#[test]
fn the_same_weights_give_the_same_predictions_on_wgpu() {
    // The decoder that sees change and the frame and warps with a coarse flow runs every
    // decoder path (gather and bilinear upsampling included).
    let cfg = common::tiny()
        .with_decoder_sees_change(Some(true))
        .with_decoder_sees_frame(Some(true))
        .with_decoder_warps(Some(true))
        .with_decoder_coarse_flow(Some(true));
    let dir = tempfile::tempdir().unwrap();
    let cpu = Device::flex();
    let model = WorldModel::new(&cfg, &cpu);
    let mut card = augur_model::ModelCard::untrained("tiny", cfg.clone());
    let base = dir.path().join("tiny");
    checkpoint::save(&model, &mut card, &base).unwrap();
    let ctx =
        augur_gpu::GpuContext::new(augur_gpu::AdapterChoice::PreferSoftware).expect("a wgpu adapter (lavapipe in CI)");
    let gpu = ctx.burn_device().unwrap();
    let (on_gpu, _) = checkpoint::load(&base, &gpu).unwrap();
    let x = read(frames(&cfg, 1, 3, &cpu)).unwrap();
    let run = |m: &WorldModel, device: &Device| {
        let t = Tensor::<5>::from_data(burn::tensor::TensorData::new(x.clone(), [1, 3, 3, 32, 32]), device);
        let anchor = t.clone().narrow(1, 2, 1).reshape([1, 3, 32, 32]);
        let z = m.online.forward(t, None);
        read(m.decode(m.rollout(z, None, 2), anchor)).unwrap()
    };
    let (a, b) = (run(&model, &cpu), run(&on_gpu, &gpu));
    let diff = common::max_diff(&a, &b);
    assert!(diff < 1e-3, "wgpu and CPU disagree by {diff}");
}

/// The predictor's fused attention (and its last layer for the last frame alone) on wgpu,
/// with the bundled model's trained weights, where every layer's output counts.
#[test]
fn the_bundled_predictor_predicts_the_same_on_wgpu() {
    let path = augur_model::default_model_path();
    let cpu = Device::flex();
    let (model, card) = checkpoint::load(&path, &cpu).unwrap();
    let ctx =
        augur_gpu::GpuContext::new(augur_gpu::AdapterChoice::PreferSoftware).expect("a wgpu adapter (lavapipe in CI)");
    let gpu = ctx.burn_device().unwrap();
    let (on_gpu, _) = checkpoint::load(&path, &gpu).unwrap();
    let cfg = &card.config;
    let shape = [1, cfg.context, cfg.tokens(), cfg.latent_dim];
    let z = read(Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &cpu)).unwrap();
    let run = |m: &WorldModel, device: &Device| {
        let z = Tensor::<4>::from_data(burn::tensor::TensorData::new(z.clone(), shape), device);
        let last = m.predictor.forward(z.clone(), None).narrow(1, cfg.context - 1, 1);
        (read(last).unwrap(), read(m.predictor.next(z, None)).unwrap())
    };
    let ((a_all, a_next), (b_all, b_next)) = (run(&model, &cpu), run(&on_gpu, &gpu));
    let moved = common::max_diff(&a_next, &z[z.len() - a_next.len()..]);
    assert!(moved > 1e-2, "the trained predictor changed nothing ({moved})");
    common::assert_close(&a_all, &a_next, 1e-4, "next differs from forward on the CPU");
    common::assert_close(&a_next, &b_next, 1e-3, "wgpu and CPU next disagree");
    common::assert_close(&a_all, &b_all, 1e-3, "wgpu and CPU forward disagree");
}

#[test]
fn actions_change_the_prediction() {
    let cfg = common::tiny().with_action_dim(2);
    let device = Device::flex();
    // A couple of training steps make the predictor's output layer (zero at init) non-zero.
    let dir = tempfile::tempdir().unwrap();
    let mut job = common::tiny_job(dir.path(), 2);
    job.config.model = cfg.clone();
    augur_model::train(&job, |_| {}).unwrap();
    let (trained, _) = checkpoint::load(&dir.path().join("model"), &device).unwrap();
    let z = trained.online.forward(frames(&cfg, 1, 3, &device), None);
    let still = Tensor::<3>::zeros([1, 5, 2], &device);
    let pressed = Tensor::<3>::ones([1, 5, 2], &device);
    let a = read(trained.rollout(z.clone(), Some(still), 2)).unwrap();
    let b = read(trained.rollout(z, Some(pressed), 2)).unwrap();
    let diff = common::max_diff(&a, &b);
    assert!(diff > 1e-6, "actions had no effect on the rollout");
}

/// The audio weight adds the audio token's own error, which a knock makes (an untrained
/// predictor guesses zeros); a model without an audio token has none to weigh.
#[test]
fn the_audio_weight_adds_the_audio_tokens_error_to_the_loss() {
    use augur_model::LossConfig;
    use augur_model::losses::{batch_loss, clip_len};
    let cfg = common::tiny();
    let device = Device::flex();
    let model = WorldModel::new(&cfg, &device);
    let loss = LossConfig::new();
    let (len, bins) = (clip_len(cfg.context, &loss), cfg.audio_mels);
    let x = frames(&cfg, 2, len, &device);
    let floor = augur_model::audio::scale_logmel(augur_model::audio::LOG_FLOOR);
    let mut heard = vec![floor; 2 * len * bins];
    for clip in 0..2 {
        heard[(clip * len + cfg.context + 1) * bins..][..bins].fill(0.5);
    }
    let mels = Tensor::<3>::from_data(burn::tensor::TensorData::new(heard, [2, len, bins]), &device);
    let (_, plain) = batch_loss(&model, x.clone(), Some(mels.clone()), cfg.context, &loss);
    let (_, weighted) = batch_loss(&model, x.clone(), Some(mels), cfg.context, &loss.clone().with_audio(Some(3.0)));
    assert!(plain.audio > 0.0 && plain.audio == weighted.audio, "{} vs {}", plain.audio, weighted.audio);
    let added = weighted.total - plain.total;
    assert!((added - 3.0 * plain.audio).abs() < 1e-4 * (1.0 + added.abs()), "added {added}, not 3 × {}", plain.audio);
    let deaf_cfg = cfg.clone().with_audio_mels(0);
    let deaf = WorldModel::new(&deaf_cfg, &device);
    let (_, terms) = batch_loss(&deaf, x, None, cfg.context, &loss.with_audio(Some(3.0)));
    assert_eq!(terms.audio, 0.0);
}

#[test]
fn the_mask_penalty_adds_the_painted_share_to_the_loss() {
    use augur_model::LossConfig;
    use augur_model::losses::{batch_loss, clip_len};
    let cfg = common::tiny().with_decoder_warps(Some(true));
    let device = Device::flex();
    let model = WorldModel::new(&cfg, &device);
    let loss = LossConfig::new().with_pixel(1.0);
    let x = frames(&cfg, 2, clip_len(cfg.context, &loss), &device);
    let (_, plain) = batch_loss(&model, x.clone(), None, cfg.context, &loss);
    let (_, penalised) = batch_loss(&model, x, None, cfg.context, &loss.with_mask(Some(0.5)));
    // An untrained compositing decoder paints about sigmoid(-2) = 12 % of each frame.
    assert!((0.05..0.3).contains(&plain.mask), "painted share {}", plain.mask);
    let added = penalised.total - plain.total;
    assert!((added - 0.5 * plain.mask).abs() < 1e-4, "the penalty added {added}, not half of {}", plain.mask);
}

/// A table of clips heard: silence heard is the same as no sound, a knock where the pictures
/// stand still is a change the latents see (the copy-last latent error is no longer zero), and
/// sound of the wrong shape is refused.
#[test]
fn a_horizon_table_hears_the_clips_sound() {
    let device = Device::flex();
    let cfg = ModelConfig::tiny();
    let model = WorldModel::new(&cfg, &device);
    let (len, mels) = (cfg.context + 2, model.online.mels());
    let frame: Vec<f32> = (0..3 * 32 * 32).map(|i| ((i * 5) % 89) as f32 / 89.0).collect();
    let clip: Vec<f32> = (0..len).flat_map(|_| frame.iter().copied()).collect();
    let table = |heard: Option<&[Vec<f32>]>| {
        horizon_table(&model, &cfg, "still", std::slice::from_ref(&clip), heard, 2, &device)
    };
    let floor = augur_model::audio::scale_logmel(augur_model::audio::LOG_FLOOR);
    let quiet = vec![floor; len * mels];
    let mut knock = quiet.clone();
    knock[(len - 1) * mels..].fill(0.5);
    let (silent, hushed) = (table(None).unwrap(), table(Some(&[quiet])).unwrap());
    let heard = table(Some(&[knock])).unwrap();
    for ((s, q), h) in silent.rows.iter().zip(&hushed.rows).zip(&heard.rows) {
        assert_eq!((s.latent_error, s.copy_latent_error, s.mse), (q.latent_error, q.copy_latent_error, q.mse));
        assert_eq!(s.copy_mse, h.copy_mse, "the same pictures");
    }
    assert_eq!((silent.rows[1].copy_latent_error, heard.rows[0].copy_latent_error), (0.0, 0.0));
    assert!(heard.rows[1].copy_latent_error > 1e-4, "the knock on the last frame: {:?}", heard.rows[1]);
    let why = table(Some(&[vec![floor; mels]])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("log-mel bins"), "{why}");
}

/// With fading on, a clip where nothing moves is predicted exactly as the last frame (every
/// earlier guess changed it, and that earned nothing), with or without lead frames before the
/// context; without fading an untrained decoder paints over the frame. Clips of mixed lengths,
/// or none, are refused.
#[test]
fn a_model_that_fades_predicts_a_still_clip_as_still() {
    let device = Device::flex();
    let cfg = ModelConfig::tiny();
    let model = WorldModel::new(&cfg, &device);
    let frame: Vec<f32> = (0..3 * 32 * 32).map(|i| ((i * 7) % 97) as f32 / 97.0).collect();
    let still = |len: usize| -> Vec<f32> { (0..len).flat_map(|_| frame.iter().copied()).collect() };
    let table = |cfg: &ModelConfig, clips: &[Vec<f32>]| horizon_table(&model, cfg, "still", clips, None, 2, &device);
    let faded_cfg = cfg.clone().with_fade_by_last_step(Some(true));
    for lead in [0, 2] {
        let clip = still(lead + cfg.context + 2);
        let raw = table(&cfg, std::slice::from_ref(&clip)).unwrap();
        let faded = table(&faded_cfg, std::slice::from_ref(&clip)).unwrap();
        assert!(raw.rows[0].mse > 1e-6, "lead {lead}: {:?}", raw.rows[0]);
        for row in &faded.rows {
            assert!(row.mse < 1e-12 && row.copy_mse == 0.0 && row.painted == Some(0.0), "lead {lead}: {row:?}");
        }
        // The decoded-truth column is the decoder drawing the real frame's target latents over
        // the last frame, unfaded, whatever the fading does to the predictions.
        let x = Tensor::<5>::from_data(burn::tensor::TensorData::new(frame.clone(), [1, 1, 3, 32, 32]), &device);
        let drawn = read(model.decode(model.target.forward(x.clone(), None), x.reshape([1, 3, 32, 32]))).unwrap();
        let expected = augur_model::metrics::mse(&drawn, &frame);
        assert!(expected > 1e-6, "an untrained decoder paints over the frame");
        for row in faded.rows.iter().chain(&raw.rows) {
            assert!((row.truth_decoded_mse - expected).abs() < 1e-7, "lead {lead}: {row:?} vs {expected}");
            // Nothing changes, so saying so in latent space is exact.
            assert!(row.copy_latent_error < 1e-12, "lead {lead}: {row:?}");
        }
    }
    // On a clip that changes, the latent copy-last column is the target latents of the last
    // context frame against each later frame's.
    let len = cfg.context + 2;
    let moving: Vec<f32> = (0..len).flat_map(|t| frame.iter().map(move |v| (v + 0.1 * t as f32).fract())).collect();
    let row = &table(&cfg, std::slice::from_ref(&moving)).unwrap().rows[1];
    let x = Tensor::<5>::from_data(burn::tensor::TensorData::new(moving, [1, len, 3, 32, 32]), &device);
    let z = model.target.forward(x, None);
    let (last, second) = (z.clone().narrow(1, cfg.context - 1, 1), z.narrow(1, cfg.context + 1, 1));
    let expected = f64::from(read(WorldModel::surprise(last, second)).unwrap()[0]);
    assert!(
        expected > 1e-6 && (row.copy_latent_error - expected).abs() < 1e-6 * expected.max(1.0),
        "{row:?} vs {expected}"
    );
    let mixed = [still(cfg.context + 2), still(cfg.context + 3)];
    for clips in [&mixed[..], &[], &[still(cfg.context + 1)]] {
        let err = table(&faded_cfg, clips).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("(context and horizon)"), "{err}");
    }
}

/// The filmstrip has a "warp only" row per clip for a decoder that warps, and none otherwise.
#[test]
fn the_filmstrip_shows_the_warp_alone_for_a_decoder_that_warps() {
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let height = |cfg: &ModelConfig| {
        let path = dir.path().join("rollouts.png");
        augur_model::eval::rollout_filmstrip(&WorldModel::new(cfg, &device), cfg, 2, &path, &device).unwrap();
        let png = std::fs::read(&path).unwrap();
        u32::from_be_bytes(png[20..24].try_into().unwrap()) as usize
    };
    // 18 px of labels, then 3 clips of rows of 96 px tiles, 10 px apart.
    assert_eq!(height(&common::tiny()), 18 + 3 * (3 * 96 + 10));
    assert_eq!(height(&common::tiny().with_decoder_warps(Some(true))), 18 + 3 * (4 * 96 + 10));
}

/// Drawing each step on a second thread while the next is predicted gives what a rollout
/// decoded afterwards gives.
#[test]
fn foresee_draws_what_rollout_then_decode_draws() {
    let path = augur_model::default_model_path();
    let device = Device::flex();
    let (model, card) = checkpoint::load(&path, &device).unwrap();
    let cfg = &card.config;
    let x = frames(cfg, 1, cfg.context, &device);
    let s = cfg.image_size;
    let anchor = x.clone().narrow(1, cfg.context - 1, 1).reshape([1, 3, s, s]);
    let z = model.online.forward(x.clone(), None);
    let before = model.target.forward(x.narrow(1, cfg.context - 1, 1), None).reshape([1, cfg.tokens(), cfg.latent_dim]);
    let future = model.rollout(z.clone(), None, 3);
    let drawn = read(model.decode_after(future.clone(), anchor.clone(), Some(before.clone()))).unwrap();
    let future = read(future).unwrap();
    for overlap in [true, false] {
        let (foreseen, shown) = model.foresee(z.clone(), 3, anchor.clone(), Some(before.clone()), overlap);
        let (foreseen, shown) = (read(foreseen).unwrap(), read(shown).unwrap());
        assert_eq!(shown.len(), 3 * 3 * s * s);
        common::assert_close(&future, &foreseen, 1e-5, &format!("overlap {overlap}: tokens differ"));
        common::assert_close(&drawn, &shown, 1e-5, &format!("overlap {overlap}: frames differ"));
    }
}
