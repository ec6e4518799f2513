//! Tests of physics scenes: determinism, impossible twins, physical sanity, rendering, pacing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// The default scene with `seed`, unpaced so tests run at full speed.
pub(super) fn unpaced(seed: u64) -> SceneConfig {
    SceneConfig { seed, realtime: false, ..SceneConfig::default() }
}

/// Frames `0..n` and the ball states at each.
fn run(cfg: &SceneConfig, n: u64) -> (Vec<Vec<u8>>, Vec<Vec<BallState>>) {
    let mut scene = Scene::new(cfg).unwrap();
    let mut frames = Vec::new();
    let mut states = Vec::new();
    for _ in 0..n {
        frames.push(scene.render());
        states.push(scene.ball_states());
        scene.step();
    }
    (frames, states)
}

/// Mean absolute difference per byte, in 0..=255 units.
fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    let sum: u64 = a.iter().zip(b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.len() as f64
}

#[test]
fn same_seed_gives_identical_bytes() {
    for cfg in [unpaced(7), SceneConfig { noise: 0.05, balls: 5, ..unpaced(7) }] {
        let (a, _) = run(&cfg, 100);
        let (b, _) = run(&cfg, 100);
        assert!(a == b, "two runs of {cfg:?} differ");
    }
}

#[test]
fn different_seeds_give_different_scenes() {
    let firsts: Vec<Vec<u8>> = (0..8).map(|seed| run(&unpaced(seed), 1).0.remove(0)).collect();
    for i in 0..firsts.len() {
        for j in i + 1..firsts.len() {
            // Different looks, not a few pixels: that variety is the training data.
            let d = mean_abs_diff(&firsts[i], &firsts[j]);
            assert!(d > 5.0, "seeds {i} and {j} look alike (mean difference {d:.2})");
        }
    }
}

#[test]
fn impossible_twins_match_before_the_violation_and_differ_after() {
    for violation in Violation::ALL {
        for occluder in [true, false] {
            for seed in 1..4 {
                for at in [0, 30] {
                    let possible = SceneConfig { occluder, violation_frame: at, ..unpaced(seed) };
                    let impossible = SceneConfig { violation: Some(violation), ..possible.clone() };
                    let (pf, ps) = run(&possible, at + 240);
                    let (xf, xs) = run(&impossible, at + 240);
                    let case = format!("{violation:?}, occluder {occluder}, seed {seed}, at {at}");
                    let at = at as usize;
                    assert!(pf[..at] == xf[..at], "{case}: frames before the violation differ");
                    assert!(ps[..at] == xs[..at], "{case}: states before the violation differ");
                    let first = (at..pf.len()).find(|&i| pf[i] != xf[i]);
                    let first = first.unwrap_or_else(|| panic!("{case}: never differs"));
                    match violation {
                        Violation::Vanish => {
                            assert!(!xs[at][0].visible, "{case}: ball 0 still there");
                            // Out of sight behind the occluder, in plain sight without it.
                            assert_eq!(first == at, !occluder, "{case}: first difference at {first}");
                        }
                        Violation::Teleport => {
                            assert_eq!(first, at, "{case}");
                            let jump = (xs[at][0].position[0] - ps[at][0].position[0]).abs();
                            assert!(jump > 100.0, "{case}: jumped only {jump} px");
                            assert_eq!(xs[at][0].velocity, ps[at][0].velocity, "{case}");
                        }
                        Violation::PassThrough | Violation::Appear => {}
                    }
                }
            }
        }
    }
}

#[test]
fn a_permanence_quadruplet_shows_every_frame_once_as_possible_and_once_as_impossible() {
    for seed in 1..6 {
        let at = 20;
        let seen = SceneConfig { balls: 1, violation_frame: at, ..unpaced(seed) };
        let empty = SceneConfig { first_ball_hidden: true, ..seen.clone() };
        let vanish = SceneConfig { violation: Some(Violation::Vanish), ..seen.clone() };
        let appear = SceneConfig { violation: Some(Violation::Appear), ..seen.clone() };
        let n = at + 60;
        let [(a, sa), (b, sb), (c, _), (d, sd)] = [&seen, &empty, &vanish, &appear].map(|cfg| run(cfg, n));
        let at = at as usize;
        assert!(a[..at] == c[..at] && b[..at] == d[..at], "seed {seed}: the twins differ before the violation");
        assert!(a[at..] == d[at..] && b[at..] == c[at..], "seed {seed}: the twins differ after the violation");
        // At the violation frame the ball is behind the occluder, so all four look the same.
        assert!(a[at] == b[at], "seed {seed}: the ball is in sight at the violation frame");
        assert!(a != b, "seed {seed}: ball 0 never shows");
        assert!(sb.iter().all(|s| !s[0].visible) && sd[..at].iter().all(|s| !s[0].visible));
        assert_eq!(sd[at + 5][0].position, sa[at + 5][0].position, "seed {seed}: the hidden ball moved differently");
    }
    assert_eq!(Violation::from_name("appear"), Some(Violation::Appear));
}

#[test]
fn a_continuity_quadruplet_shows_every_frame_once_as_possible_and_once_as_impossible() {
    let mut found = 0;
    for seed in 1..17 {
        let at = 20;
        let base = SceneConfig { balls: 1, width: 64, height: 64, violation_frame: at, ..unpaced(seed) };
        let Some(rejoin) = continuity_rejoin_frame(&base, 39).unwrap() else { continue };
        found += 1;
        let seen = SceneConfig { rejoin_frame: Some(rejoin), ..base };
        let empty = SceneConfig { first_ball_hidden: true, ..seen.clone() };
        let vanish = SceneConfig { violation: Some(Violation::Vanish), ..seen.clone() };
        let appear = SceneConfig { violation: Some(Violation::Appear), ..seen.clone() };
        let bars = Scene::new(&seen).unwrap().occluders();
        assert!(bars.len() == 2 && (bars[0][1] <= bars[1][0] || bars[1][1] <= bars[0][0]), "seed {seed}: {bars:?}");
        let n = rejoin + 20;
        let [(a, sa), (b, _), (c, sc), (d, _)] = [&seen, &empty, &vanish, &appear].map(|cfg| run(cfg, n));
        let (at, rejoin) = (at as usize, rejoin as usize);
        let case = format!("seed {seed}, second bar at {rejoin}");
        // Before the first bar and after the second: seen = vanishing, never seen = appearing.
        assert!(a[..at] == c[..at] && b[..at] == d[..at], "{case}: differ before the first bar");
        assert!(a[rejoin..] == c[rejoin..] && b[rejoin..] == d[rejoin..], "{case}: differ after the second bar");
        // Between them: seen = appearing, never seen = vanishing.
        assert!(a[at..rejoin] == d[at..rejoin] && b[at..rejoin] == c[at..rejoin], "{case}: differ between the bars");
        // Behind either bar the ball looks like no ball, so all four agree there (but for the
        // anti-aliased pixels at a bar's edge, which a ball just inside it tints).
        for f in [at, rejoin] {
            let d = mean_abs_diff(&a[f], &b[f]);
            assert!(d < 0.05, "{case}: the ball shows at frame {f} (mean difference {d})");
        }
        assert!(a[at..rejoin] != b[at..rejoin] && a[rejoin..] != b[rejoin..], "{case}: the ball never shows");
        // The ball that vanished comes back out exactly where the seen one is.
        assert_eq!(sc[rejoin + 4][0], sa[rejoin + 4][0], "{case}");
    }
    // About a third of the seeds: a slow ball does not get clear of the first bar in time.
    assert!(found >= 5, "only {found} of 16 seeds have a second bar by frame 39");
}

#[test]
fn a_solidity_quadruplet_pairs_each_motion_with_each_floor() {
    // Floor bands 0.12 and 0.06 high (of the shorter side), each drawn with the ball bouncing
    // on it and on the other one.
    let (high, low) = (0.12, 0.06);
    for seed in 1..6 {
        let base = SceneConfig { balls: 1, occluder: false, ..unpaced(seed) };
        let clip = |floor: f64, bounce: f64| {
            run(&SceneConfig { floor_height: Some(floor), bounce_height: Some(bounce), ..base.clone() }, 90)
        };
        let [(a, sa), (b, sb), (c, sc), (d, sd)] = [clip(high, high), clip(low, low), clip(high, low), clip(low, high)];
        let case = format!("seed {seed}");
        // Each motion is shown once on each floor: the sinking ball moves like the one on the
        // low floor, the hovering one like the one on the high floor.
        assert!(sa == sd && sb == sc, "{case}: the motions differ");
        assert!(a[0] == c[0] && b[0] == d[0] && a[0] != b[0], "{case}: the floors");
        // The balls start alike and part at the first bounce, on the high floor.
        let parting = (0..sa.len()).find(|&i| sa[i] != sb[i]).unwrap_or_else(|| panic!("{case}: never part"));
        let bounce = (1..sa.len()).find(|&i| sa[i][0].velocity[1] < 0.0 && sa[i - 1][0].velocity[1] > 0.0);
        assert_eq!(Some(parting), bounce, "{case}");
        // The sinking ball's bottom goes below the drawn floor's surface (14 px apart here; the
        // frames catch the lowest point within a few px); the hovering one turns back above it.
        let lowest = |s: &[Vec<BallState>]| s.iter().map(|b| b[0].position[1] + b[0].radius).fold(0.0, f32::max);
        let (surface_high, surface_low) = (240.0 * (1.0 - high as f32), 240.0 * (1.0 - low as f32));
        assert!(lowest(&sc) > surface_high + 5.0, "{case}: the ball did not sink into the floor");
        assert!(lowest(&sd) < surface_low - 10.0, "{case}: the ball did not bounce above the floor");
    }
    // Without the two heights the scene is the seed's, byte for byte.
    let seeded = run(&unpaced(3), 60).0;
    assert_eq!(seeded, run(&SceneConfig { bounce_height: None, floor_height: None, ..unpaced(3) }, 60).0);
}

#[test]
fn occluder_hides_ball_zero_at_the_violation_frame() {
    for seed in 0..12 {
        for at in [0, 1, 30, 95] {
            let cfg = SceneConfig { violation_frame: at, balls: 1 + (seed % 4) as u32, ..unpaced(seed) };
            let (_, states) = run(&cfg, at + 1);
            let ball = states[at as usize][0];
            assert!(ball.occluded, "seed {seed}, at {at}: ball 0 in sight: {ball:?}");
        }
    }
}

#[test]
fn pass_through_ball_sinks_through_the_floor_and_is_gone() {
    for seed in 0..6 {
        let cfg = SceneConfig { violation: Some(Violation::PassThrough), ..unpaced(seed) };
        let (_, states) = run(&cfg, 30 + 300);
        let gone = (30..states.len()).find(|&i| !states[i][0].visible);
        let gone = gone.unwrap_or_else(|| panic!("seed {seed}: ball 0 never left"));
        let last_seen = states[gone - 1][0];
        // It left through the floor or a wall, not by vanishing in mid-air.
        let (x, y, r) = (last_seen.position[0], last_seen.position[1], last_seen.radius);
        let floor_px = 240.0 * (1.0 - 0.06);
        assert!(y + r > floor_px || x - r < 0.0 || x + r > 320.0, "seed {seed}: {last_seen:?}");
        assert!(states[gone..].iter().all(|s| !s[0].visible), "seed {seed}: came back");
    }
}

#[test]
fn balls_stay_inside_the_frame() {
    for seed in 0..6 {
        for balls in [1, 3, 16] {
            let cfg = SceneConfig { balls, ..unpaced(seed) };
            let (_, states) = run(&cfg, 600);
            for (i, frame) in states.iter().enumerate() {
                for (k, b) in frame.iter().enumerate() {
                    let [x, y] = b.position;
                    let inside = b.visible
                        && x - b.radius >= -0.01
                        && x + b.radius <= 320.01
                        && y - b.radius >= -0.01
                        && y + b.radius <= 240.0;
                    assert!(inside, "seed {seed}, {balls} balls, frame {i}: ball {k} outside: {b:?}");
                }
            }
        }
    }
}

#[test]
fn balls_do_not_sink_into_each_other() {
    for seed in 0..4 {
        let (_, states) = run(&SceneConfig { balls: 16, ..unpaced(seed) }, 600);
        for frame in &states[30..] {
            for (i, a) in frame.iter().enumerate() {
                for b in &frame[i + 1..] {
                    let (dx, dy) = (a.position[0] - b.position[0], a.position[1] - b.position[1]);
                    let depth = a.radius + b.radius - (dx * dx + dy * dy).sqrt();
                    assert!(depth < 0.3 * a.radius.min(b.radius), "seed {seed}: overlap {depth} px");
                }
            }
        }
    }
}

#[test]
fn scene_never_freezes() {
    for seed in 0..4 {
        let (frames, _) = run(&unpaced(seed), 300);
        let diffs: Vec<f64> = (200..299).map(|i| mean_abs_diff(&frames[i], &frames[i + 1])).collect();
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        assert!(mean > 0.05, "seed {seed}: mean frame difference {mean:.4}");
    }
    // Long runs, physics only: every ball travels in every two-second window (path length,
    // since a busy ball may well end a window where it began it).
    for seed in 0..4 {
        for balls in [1, 4, 16] {
            let mut scene = Scene::new(&SceneConfig { balls, ..unpaced(seed) }).unwrap();
            let mut before = scene.ball_states();
            for window in 0..50 {
                let mut travelled = vec![0.0f32; balls as usize];
                for _ in 0..60 {
                    scene.step();
                    let now = scene.ball_states();
                    for ((t, a), b) in travelled.iter_mut().zip(&before).zip(&now) {
                        *t += (a.position[0] - b.position[0]).abs() + (a.position[1] - b.position[1]).abs();
                    }
                    before = now;
                }
                for (k, t) in travelled.iter().enumerate() {
                    assert!(*t > 20.0, "seed {seed}, {balls} balls, window {window}: ball {k} stuck");
                }
            }
        }
    }
}

#[test]
fn noise_changes_pixels_and_is_deterministic() {
    let clean = run(&unpaced(3), 3).0;
    let noisy_cfg = SceneConfig { noise: 0.03, ..unpaced(3) };
    let noisy = run(&noisy_cfg, 3).0;
    assert_eq!(noisy, run(&noisy_cfg, 3).0);
    for (c, n) in clean.iter().zip(&noisy) {
        let d = mean_abs_diff(c, n);
        // 0.03 of full scale is σ ≈ 7.7 levels: a mean absolute deviation near 6 (less clipping).
        assert!(d > 3.0 && d < 9.0, "mean difference {d:.2}");
    }
    // Fresh noise every frame, not a fixed pattern.
    let grain =
        |i: usize| -> Vec<i16> { clean[i].iter().zip(&noisy[i]).map(|(a, b)| i16::from(*b) - i16::from(*a)).collect() };
    assert_ne!(grain(0), grain(1));
}

#[test]
fn small_frames_show_every_ball() {
    for seed in 0..6 {
        let cfg = SceneConfig { width: 64, height: 64, occluder: false, balls: 2, ..unpaced(seed) };
        let scene = Scene::new(&cfg).unwrap();
        let rgb = scene.render();
        for (k, b) in scene.ball_states().iter().enumerate() {
            assert!(b.radius >= 2.0, "seed {seed}: ball {k} only {} px", b.radius);
            let (x, y) = (b.position[0] as usize, b.position[1] as usize);
            let px = &rgb[(y * 64 + x) * 3..][..3];
            let close = px.iter().zip(b.color).all(|(p, c)| p.abs_diff(c) <= 40);
            assert!(close, "seed {seed}: ball {k} centre is {px:?}, colour {:?}", b.color);
        }
    }
}

#[test]
fn extreme_sizes_and_rates_work() {
    for (width, height, fps) in [(16, 16, 30.0), (4096, 16, 240.0), (16, 1024, 1.0), (640, 480, 7.5)] {
        let cfg = SceneConfig { width, height, fps, balls: 16, noise: 0.01, ..unpaced(9) };
        let mut scene = Scene::new(&cfg).unwrap();
        for _ in 0..5 {
            assert_eq!(scene.render().len(), (width * height * 3) as usize);
            scene.step();
        }
        assert!(scene.ball_states().iter().all(|b| b.position.iter().all(|p| p.is_finite())));
    }
    // A short buffer is filled as far as it goes, without a panic.
    let scene = Scene::new(&unpaced(0)).unwrap();
    let mut short = vec![0u8; 1000];
    scene.render_into(&mut short);
    assert_eq!(short[..], scene.render()[..1000]);
}

/// Sound: a knock is heard in the step where a contact happens, silence where none rings, and
/// the pictures are the same with or without it.
#[test]
fn contacts_are_heard_when_they_happen() {
    let loud = |s: &[f32]| s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let cfg = SceneConfig { balls: 1, sound: true, ..unpaced(11) };
    let mut scene = Scene::new(&cfg).unwrap();
    let mut silent = Scene::new(&SceneConfig { sound: false, ..cfg.clone() }).unwrap();
    let (mut heard, mut quiet, mut samples) = (0, 0, 0);
    let mut rang_for = 0usize;
    for _ in 0..300 {
        scene.step();
        silent.step();
        assert_eq!(scene.render(), silent.render(), "sound does not change the picture");
        assert!(silent.sound().is_empty());
        samples += scene.sound().len();
        if !scene.contacts().is_empty() {
            assert!(loud(scene.sound()) > 0.05, "a contact at frame {} is heard", scene.frame_index());
            heard += 1;
            rang_for = 0;
        } else {
            rang_for += 1;
            // A knock dies away within a quarter second (8 frames at 30 fps).
            if rang_for > 8 {
                assert!(loud(scene.sound()) < 1e-3, "silence at frame {}", scene.frame_index());
                quiet += 1;
            }
        }
    }
    assert!(heard >= 5 && quiet >= 100, "{heard} contacts heard, {quiet} quiet frames");
    assert_eq!(samples, 300 * SOUND_RATE as usize / 30, "consecutive steps join without gaps");
    let (a, b) = (Scene::new(&cfg).unwrap(), Scene::new(&cfg).unwrap());
    assert!(a.sound().is_empty() && b.sound().is_empty(), "frame 0 has no sound yet");
}

#[test]
fn muted_contacts_are_silent_and_a_knock_sounds_without_one() {
    let loud = |s: &[f32]| s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let cfg = SceneConfig { balls: 1, sound: true, ..unpaced(11) };
    let mut muted = Scene::new(&cfg).unwrap();
    muted.set_muted(true);
    let mut contacts = 0;
    for _ in 0..200 {
        muted.step();
        contacts += muted.contacts().len();
        assert!(loud(muted.sound()) < 1e-6, "muted at frame {}", muted.frame_index());
    }
    assert!(contacts > 0, "the muted scene still had contacts");
    // A knock on a quiet frame of the same scene (nothing touched for 10 frames before it and
    // nothing touches in it).
    let mut probe = Scene::new(&cfg).unwrap();
    let mut loudest: Vec<Contact> = Vec::new();
    let touched: Vec<bool> = (0..200)
        .map(|_| {
            probe.step();
            if loudest.is_empty() {
                loudest = probe.contacts().to_vec();
            }
            !probe.contacts().is_empty()
        })
        .collect();
    // `touched[i]` is the step into frame i + 1.
    let quiet_frame = (11..200).find(|&f| touched[f - 11..f].iter().all(|t| !t)).expect("a quiet stretch") as u64;
    let mut scene = Scene::new(&cfg).unwrap();
    for _ in 0..quiet_frame - 1 {
        scene.step();
    }
    scene.knock(&loudest);
    scene.step();
    assert!(scene.contacts().is_empty());
    assert!(loud(scene.sound()) > 0.05, "the knock at frame {quiet_frame} is heard");
}

#[test]
fn sound_is_asked_for_in_the_source_name() {
    let spec = |s: &str| match crate::SourceSpec::video(s).unwrap() {
        crate::VideoSpec::Scene(cfg) => cfg,
        other => panic!("{other:?}"),
    };
    assert!(spec("scene:bounce?sound=1").sound);
    assert!(!spec("scene:bounce").sound);
    assert!(spec("scene:bounce?sound=1&seed=3").description().ends_with(", with sound)"));
    let err = crate::SourceSpec::video("scene:bounce?sound=loud").unwrap_err().to_string();
    assert!(err.contains("sound=loud should be 1 or 0"), "{err}");
}
