//! Tests of the violation-of-expectation designs: how pairs and quadruplets are scored, and
//! that each design's clips show what it says.

// Spans of trace indices, one stretch or several.
#![allow(clippy::single_range_in_vec_init)]

use super::*;

fn trace(latent: &[f32]) -> Trace {
    Trace { latent: latent.to_vec(), pixel: latent.to_vec(), change: vec![0.0; latent.len()] }
}

#[test]
fn a_pair_is_won_by_the_higher_peak_within_the_span_only() {
    // The impossible clip peaks right after the violation; the possible one later, on an
    // event of its own.
    let possible = trace(&[0.1, 0.1, 0.2, 0.1, 0.1, 0.9]);
    let impossible = trace(&[0.1, 0.1, 0.5, 0.1, 0.1, 0.1]);
    let mut whole = Wins::default();
    assert!(!whole.pair(&possible, &impossible, 1..6));
    let mut near = Wins::default();
    assert!(near.pair(&possible, &impossible, 1..4));
    assert_eq!((near.latent, near.pixel, near.change), (1.0, 1.0, 0.0), "a tie is not a win");
    // A span is cut at the trace's end; past it, it compares nothing and wins nothing.
    assert!(!Wins::default().pair(&possible, &impossible, 4..9));
    assert!(!Wins::default().pair(&possible, &impossible, 9..12));
}

#[test]
fn a_quadruplet_adds_the_peaks_up_and_a_tie_counts_half() {
    let (seen, empty) = (trace(&[0.0, 0.3, 0.2]), trace(&[0.0, 0.0, 0.0]));
    // Vanishing surprises a little, appearing more than the seen ball's reappearance.
    let (vanish, appear) = (trace(&[0.0, 0.1, 0.0]), trace(&[0.0, 0.25, 0.15]));
    let mut wins = Wins::default();
    wins.quadruplet([&seen, &empty], [&vanish, &appear], &[0..3]);
    assert_eq!(wins.latent, 1.0, "0.1 + 0.25 > 0.3 + 0");
    assert_eq!(wins.change, 0.5, "equal change everywhere is a tie");
    let mut wins = Wins::default();
    wins.quadruplet([&seen, &empty], [&vanish, &appear], &[2..3]);
    assert_eq!(wins.latent, 0.0, "0 + 0.15 is below 0.2 + 0");
    assert_eq!(wins.fractions(2), [0.0, 0.0, 0.25]);
    // Margins: (0.1 + 0.25 − 0.3) / 0.3 won clearly, (0 + 0.15 − 0.2) / 0.2 lost.
    let mut both = Wins::default();
    both.quadruplet([&seen, &empty], [&vanish, &appear], &[0..3]);
    both.quadruplet([&seen, &empty], [&vanish, &appear], &[2..3]);
    let (median, clear) = both.margin();
    assert!((median - (1.0 / 6.0 - 0.25) / 2.0).abs() < 1e-6, "{median}");
    assert_eq!(clear, 0.5);
}

#[test]
fn a_continuity_quadruplet_adds_each_stretchs_peak() {
    // Between the bars (0..2) and after the second (2..4): the seen ball shows in both, the
    // vanishing one only after, the appearing one only between.
    let (seen, empty) = (trace(&[0.2, 0.1, 0.3, 0.1]), trace(&[0.0, 0.0, 0.0, 0.0]));
    let (vanish, appear) = (trace(&[0.1, 0.0, 0.35, 0.1]), trace(&[0.2, 0.1, 0.05, 0.0]));
    let mut wins = Wins::default();
    wins.quadruplet([&seen, &empty], [&vanish, &appear], &[0..2, 2..4]);
    assert_eq!(wins.latent, 1.0, "0.1 + 0.35 + 0.2 + 0.05 > 0.2 + 0.3");
    // One span over both stretches takes one peak per clip: 0.35 + 0.2 against 0.3.
    let mut one = Wins::default();
    one.quadruplet([&seen, &empty], [&vanish, &appear], &[0..4]);
    assert_eq!(one.latent, 1.0);
    // Sums of the same peaks in another order are a tie even when they round apart.
    let (a, b) = (trace(&[0.1, 0.7]), trace(&[0.2, 0.3]));
    let (c, d) = (trace(&[0.2, 0.7]), trace(&[0.1, 0.3]));
    let mut tie = Wins::default();
    tie.quadruplet([&a, &b], [&c, &d], &[0..1, 1..2]);
    assert_eq!(tie.latent, 0.5);
}

#[test]
#[allow(clippy::unwrap_used)]
fn a_hearing_test_shows_the_same_pictures_and_moves_one_sound_each() {
    let (len, context, size, mels) = (voe_clip_len(8), 8, 32, 64);
    let level = |m: &[f32], f: usize| m[f * mels..(f + 1) * mels].iter().sum::<f32>() / mels as f32;
    let floor = crate::audio::scale_logmel(crate::audio::LOG_FLOOR);
    let mut found = 0;
    for seed in 0..20u64 {
        let Some((q, c, [heard, muted, knocked])) = hearing_triplet(seed, len, context, size).unwrap() else {
            continue;
        };
        found += 1;
        let case = format!("seed {seed}, quiet {q}, bounce {c}");
        assert!(q > context && c > q + context && c + 3 <= len, "{case}");
        assert!(heard.pixels == muted.pixels && heard.pixels == knocked.pixels, "{case}: same pictures");
        let [h, m, k] = [&heard, &muted, &knocked].map(|clip| clip.mels(mels).unwrap());
        assert!(level(&h, c) > floor + 0.3 && (level(&h, q) - floor).abs() < 0.05, "{case}: as heard");
        // A log-mel window starting late in one frame reaches into the next: the frame before
        // an event may hear its first milliseconds.
        let (before_c, before_q) = ((c - 1) * mels, (q - 1) * mels);
        assert!((level(&m, c) - floor).abs() < 0.05, "{case}: the bounce silent: {}", level(&m, c));
        assert!(m[..before_c] == h[..before_c] && k[..before_q] == h[..before_q], "{case}: the same before");
        assert!(level(&k, q) > floor + 0.3, "{case}: the knock");
        // The same sound, though not on the same 10 ms grid of log-mel windows (a frame is
        // 533⅓ samples, a window hop 160), which moves a 12 ms knock's averaged level: within
        // a third of its height above silence.
        let above = |m: &[f32], f: usize| level(m, f) + level(m, f + 1) - 2.0 * floor;
        let (knock, bounce) = (above(&k, q), above(&h, c));
        assert!(
            (knock - bounce).abs() < bounce / 3.0,
            "{case}: the knock at q sounds as the bounce at c: {knock} vs {bounce}"
        );
        assert!(k[c * mels..(c + 1) * mels] == h[c * mels..(c + 1) * mels], "{case}: the knock is over by the bounce");
    }
    assert!(found >= 10, "most seeds have a quiet stretch and a bounce after it: {found} of 20");
    // A contact in the step right after the bounce is not part of the knock, so the silent
    // clip hears it too (a few seeds in a hundred have one).
    let after = (0..400u64).find_map(|seed| {
        let (q, c, [_, muted, _]) = hearing_triplet(seed, len, context, size).unwrap()?;
        let cfg = SceneConfig { occluder: false, sound: true, ..base(seed, 1, VIOLATION_AT, size) };
        let mut scene = Scene::new(&cfg).unwrap();
        // Step into frame c + 1.
        (0..=c).for_each(|_| scene.step());
        (!scene.contacts().is_empty()).then(|| (seed, q, c, muted.mels(mels).unwrap()))
    });
    let Some((seed, q, c, m)) = after else { panic!("no seed has a contact right after its bounce") };
    assert!(level(&m, c + 1) > floor + 0.3, "seed {seed}, quiet {q}, bounce {c}: the contact after it is heard");
}

#[test]
fn a_longer_context_gets_a_longer_clip_and_still_has_continuity_tests() {
    let found = |len: usize, context: usize| {
        (0..40u64)
            .filter(|&seed| matches!(continuity_quadruplet(seed, VIOLATION_AT, len, context, 64), Ok(Some(_))))
            .count()
    };
    assert_eq!(voe_clip_len(8), 48, "the bundled models' cards were scored on 48-frame clips");
    let (short, long) = (found(48, 16), found(voe_clip_len(16), 16));
    assert!(long >= found(voe_clip_len(8), 8) && long > short, "{short} → {long}");
}

#[test]
fn a_solidity_quadruplet_starts_alike_on_each_floor_and_parts_at_the_bounce() {
    let (len, context, size) = (voe_clip_len(8), 8, 64);
    let frame = 3 * size * size;
    let mut found = 0;
    for seed in 0..20u64 {
        let Some((bounce, [high, low, sink, hover])) =
            solidity_quadruplet(seed, VIOLATION_AT, len, context, size).unwrap_or_default()
        else {
            continue;
        };
        found += 1;
        let case = format!("seed {seed}, bounce at {bounce}");
        assert!(bounce > context && bounce <= VIOLATION_AT as usize, "{case}");
        assert!(high.len() == len * frame && [&low, &sink, &hover].iter().all(|c| c.len() == high.len()), "{case}");
        // Until the bounce each floor's two clips are the same frames; the floors differ.
        let (upto, after) = ((bounce - 1) * frame, (bounce + 1) * frame);
        assert!(high[..upto] == sink[..upto] && low[..upto] == hover[..upto], "{case}");
        assert!(high[..frame] != low[..frame], "{case}: one floor");
        assert!(high[after..] != sink[after..] && low[after..] != hover[after..], "{case}: never part");
    }
    // A ball lands within the first 9 frames now and then; most seeds make a test.
    assert!(found >= 14, "only {found} of 20 seeds");
}
