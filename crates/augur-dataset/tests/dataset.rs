//! Recording, finishing, repairing and validating datasets with synthetic frames and sound.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use augur_capture::VideoCodec;
use augur_dataset::{Dataset, EpisodeRecorder, Recording, Repaired, repair, validate};

const FPS: u32 = 10;
const RATE: u32 = 16_000;

fn recording() -> Recording {
    Recording {
        fps: FPS,
        width: 64,
        height: 48,
        audio_rate: Some(RATE),
        action_names: vec!["key.space".into(), "key.a".into()],
        codec: VideoCodec::H264,
    }
}

/// A frame with a bright square that moves with `i`.
fn frame(i: u64) -> Vec<u8> {
    let mut rgb = vec![30u8; 64 * 48 * 3];
    let x0 = (i as usize * 3) % 56;
    for y in 10..18 {
        for x in x0..x0 + 8 {
            let p = (y * 64 + x) * 3;
            rgb[p..p + 3].copy_from_slice(&[250, 200, 40]);
        }
    }
    rgb
}

fn record(rec: &mut EpisodeRecorder, frames: u64) {
    record_rows(rec, frames, 48);
}

/// Records an episode of `frames` frames with `task` into `ds` and finishes it.
fn finished(ds: &mut Dataset, task: &str, frames: u64) -> augur_dataset::EpisodeMeta {
    let mut rec = EpisodeRecorder::start(ds, task).unwrap();
    record(&mut rec, frames);
    rec.finish(ds).unwrap().expect("a finished episode")
}

/// Records `frames` frames of 64 × `rows` (the moving square, then flat rows) with sound.
fn record_rows(rec: &mut EpisodeRecorder, frames: u64, rows: usize) {
    record_rows_from(rec, 0, frames, rows);
}

/// Frames `first..first + frames` of [`record_rows`].
fn record_rows_from(rec: &mut EpisodeRecorder, first: u64, frames: u64, rows: usize) {
    let per_frame = (RATE / FPS) as usize;
    for i in first..first + frames {
        let held = if i % 4 < 2 { [1.0, 0.0] } else { [0.0, 1.0] };
        let mut rgb = frame(i);
        rgb.resize(64 * rows * 3, 30);
        rec.push_frame(&rgb, 64, rows as u32, &held).unwrap();
        let t0 = i as usize * per_frame;
        let tone: Vec<f32> = (t0..t0 + per_frame)
            .map(|n| (n as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin() * 0.3)
            .collect();
        rec.push_audio(&tone).unwrap();
    }
}

#[test]
fn episodes_are_recorded_finished_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    for (task, n) in [("pour water", 23), ("wave", 15)] {
        let meta = finished(&mut ds, task, n);
        assert_eq!(meta.length, n);
    }
    let report = validate(&ds);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.episodes, report.frames), (2, 38));
    let episodes = ds.episodes().unwrap();
    assert_eq!(episodes[1].dataset_from_index, 23);
    assert_eq!(ds.tasks().unwrap(), vec!["pour water".to_string(), "wave".to_string()]);
    let rows = ds.all_rows(&episodes).unwrap();
    assert_eq!(rows[24].index, 24);
    assert_eq!(rows[24].frame_index, 1);
    assert_eq!(rows[24].task_index, 1);
    assert_eq!(rows[2].action, vec![0.0, 1.0]);
    assert!((rows[5].timestamp - 0.5).abs() < 1e-6);
    assert_eq!(ds.info.total_frames, 38);
    let stats: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(ds.layout.stats()).unwrap()).unwrap();
    assert_eq!(stats["frame_index"]["max"][0], 22.0);
    assert_eq!(stats["index"]["max"][0], 37.0, "stats cover both episodes");
    assert_eq!(stats["timestamp"]["count"][0], 38);
    assert!(stats[augur_dataset::VIDEO_KEY]["mean"][0][0][0].as_f64().unwrap() > 0.1);
    assert!(!root.join(".recording").exists(), "staging is removed once episodes finish");

    // Pictures and sound keep time: frames at exactly the recording's rate, and each decoded
    // sample where it was recorded (the AAC encoder's priming is made up for, not heard).
    let path = ds.layout.video(0);
    assert_eq!(augur_capture::count_media(&path).unwrap().fps, f64::from(FPS));
    let sound = augur_capture::read_sound(&path.display().to_string(), 10.0).unwrap().unwrap();
    assert_eq!(sound.rate, RATE);
    let tone = |n: usize| (n as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin() * 0.3;
    let (span, mut dot, mut energy) = (2000..3000, 0.0, 0.0);
    for n in span {
        dot += sound.samples[n] * tone(n);
        energy += tone(n) * tone(n);
    }
    assert!(dot / energy > 0.9, "decoded sound in step with the recorded one: {}", dot / energy);
}

#[test]
fn a_killed_recording_is_repaired_to_its_completed_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    finished(&mut ds, "first", 12);
    // A recorder that dies: nothing is finished, nothing is flushed beyond what it already did.
    let mut rec = EpisodeRecorder::start(&ds, "killed").unwrap();
    record(&mut rec, 27);
    std::mem::forget(rec);
    let report = validate(&ds);
    assert!(report.problems.iter().any(|p| p.contains("dataset repair")), "{:?}", report.problems);

    let mut ds = Dataset::open(&root).unwrap();
    let done = repair(&mut ds).unwrap();
    let [Repaired::Recovered(meta)] = done.as_slice() else { panic!("expected one recovered episode, got {done:?}") };
    assert_eq!(meta.episode_index, 1);
    // Two whole seconds reached the disk (rows and video fragments); the third was in flight.
    assert_eq!(meta.length, 20);
    assert!(meta.recovered);
    let report = validate(&ds);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.frames, 32);
    let next = EpisodeRecorder::start(&ds, "after").unwrap();
    assert_eq!(next.episode(), 2);
}

#[test]
fn av1_episodes_are_recorded_and_survive_a_kill() {
    if !VideoCodec::Av1.available() {
        eprintln!("NOTICE: this FFmpeg has no libsvtav1; the AV1 recording test did not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    // SVT-AV1 encodes nothing smaller than 64 × 64, and says so.
    let small =
        Dataset::open_or_create(&dir.path().join("small"), &Recording { codec: VideoCodec::Av1, ..recording() });
    let err = EpisodeRecorder::start(&small.unwrap(), "t").err().unwrap().to_string();
    assert!(err.contains("at least 64"), "{err}");
    let rec = Recording { codec: VideoCodec::Av1, height: 64, ..recording() };
    let mut ds = Dataset::open_or_create(&root, &rec).unwrap();
    assert_eq!(ds.info.features[augur_dataset::VIDEO_KEY].info.as_ref().unwrap()["video.codec"], "av1");
    let mut ep = EpisodeRecorder::start(&ds, "first").unwrap();
    record_rows(&mut ep, 12, 64);
    let meta = ep.finish(&mut ds).unwrap().unwrap();
    let media = augur_capture::count_media(&ds.layout.video(meta.episode_index)).unwrap();
    assert_eq!(media.video_frames, 12);
    assert!((media.audio_seconds - 1.2).abs() < 0.15, "{}", media.audio_seconds);
    // SVT-AV1 encodes on its own threads: frames fed at a camera's pace (here 50 fps) come
    // out as they go in; frames fed all at once would still be inside the encoder.
    let mut ep = EpisodeRecorder::start(&ds, "killed").unwrap();
    for i in 0..27 {
        record_rows_from(&mut ep, i, 1, 64);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::mem::forget(ep);
    let mut ds = Dataset::open(&root).unwrap();
    let done = repair(&mut ds).unwrap();
    let [Repaired::Recovered(meta)] = done.as_slice() else { panic!("expected one recovered episode, got {done:?}") };
    // Two whole seconds are kept, as with H.264.
    assert_eq!(meta.length, 20);
    let report = validate(&ds);
    assert!(report.ok(), "{:?}", report.problems);
    // An H.264 recording cannot be appended to an AV1 dataset.
    assert!(Dataset::open_or_create(&root, &Recording { height: 64, ..recording() }).is_err());
}

#[test]
fn bad_datasets_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = Dataset::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no meta/info.json"), "{err}");

    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    finished(&mut ds, "t", 10);
    // Another kind of recording into the same folder is refused.
    let other = Recording { width: 32, ..recording() };
    let err = Dataset::open_or_create(&root, &other).unwrap_err().to_string();
    assert!(err.contains("another kind (32x48 now, 64x48 in it)") && err.contains("new name"), "{err}");
    let other = Recording { audio_rate: None, action_names: Vec::new(), ..recording() };
    let err = Dataset::open_or_create(&root, &other).unwrap_err().to_string();
    assert!(
        err.contains("no sound now, sound at 16000 Hz in it, no action keys now, keys key.space,key.a in it"),
        "{err}"
    );
    // Sound above what AAC holds is refused before anything is made.
    let high = dir.path().join("high");
    let err = Dataset::open_or_create(&high, &Recording { audio_rate: Some(192_000), ..recording() }).unwrap_err();
    assert!(err.to_string().contains("set it to 48000 Hz"), "{err}");
    assert!(!high.exists());
    // An empty task is refused.
    assert!(EpisodeRecorder::start(&ds, "  ").is_err());
    // A truncated data file and a missing video are reported, not panicked on.
    let data = ds.layout.data(0);
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::remove_file(ds.layout.video(0)).unwrap();
    let report = validate(&ds);
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(report.problems[0].contains("parquet"), "{:?}", report.problems);
    // A broken info.json names the file.
    std::fs::write(ds.layout.info(), "{").unwrap();
    assert!(Dataset::open(&root).unwrap_err().to_string().contains("info.json"));
}

#[test]
fn odd_sized_sources_are_recorded_and_a_second_process_is_kept_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let hold = augur_dataset::DatasetLock::take(&root).unwrap();
    assert!(augur_dataset::DatasetLock::take(&root).unwrap_err().to_string().contains("another augur process"));
    let rec = Recording { audio_rate: None, ..recording() };
    let mut ds = Dataset::open_or_create(&root, &rec).unwrap();
    let mut ep = EpisodeRecorder::start(&ds, "odd").unwrap();
    // A 65x49 source records as 64x48 (the last column and row are dropped for yuv420p). A
    // ramp a different way per channel, so a crop from the wrong corner, a row read at the
    // wrong stride or swapped channels show in the pixels read back.
    let ramp = |x: usize, y: usize| [(x * 3) as u8, (y * 4) as u8, (200 - x - y) as u8];
    let odd: Vec<u8> = (0..65 * 49).flat_map(|p| ramp(p % 65, p / 65)).collect();
    for _ in 0..12 {
        ep.push_frame(&odd, 65, 49, &[0.0, 0.0]).unwrap();
    }
    assert!(ep.push_frame(&odd, 80, 49, &[0.0, 0.0]).is_err(), "a real size change is refused");
    let episode = ep.finish(&mut ds).unwrap().unwrap();
    assert_eq!(episode.length, 12);
    assert!(validate(&ds).ok());
    let video = augur_capture::dataset_episode_video(&root, episode.episode_index);
    let spec = augur_capture::VideoSpec::File(augur_capture::FileSpec {
        path: video.display().to_string(),
        looping: false,
        pacing: augur_capture::Pacing::Fast,
    });
    let mut source = augur_capture::open_video(&spec, augur_capture::SessionClock::start()).unwrap();
    let got = source.next_frame().unwrap().unwrap();
    assert_eq!((got.width, got.height), (64, 48));
    let off: u64 = (0..64 * 48)
        .flat_map(|p| ramp(p % 64, p / 64).into_iter().enumerate().map(move |(c, want)| (p * 3 + c, want)))
        .map(|(i, want)| u64::from(got.rgb[i].abs_diff(want)))
        .sum();
    let mean = off as f64 / (64.0 * 48.0 * 3.0);
    assert!(mean < 6.0, "the recorded frame is off what was pushed by {mean:.1} on average");
    drop(hold);
    assert!(augur_dataset::DatasetLock::take(&root).is_ok());
}

/// Files of an episode the table does not list (its staging was deleted by hand, or it failed
/// to finish) are never recorded over, and a dataset whose episode table is gone is refused
/// rather than recorded into as if empty.
#[test]
fn no_recording_writes_over_an_earlier_episode() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    finished(&mut ds, "first", 10);
    let mut orphan = EpisodeRecorder::start(&ds, "orphan").unwrap();
    record(&mut orphan, 12);
    std::mem::forget(orphan);
    std::fs::remove_dir_all(root.join(".recording")).unwrap();
    let orphan_video = std::fs::read(ds.layout.video(1)).unwrap();
    let mut next = EpisodeRecorder::start(&ds, "next").unwrap();
    assert_eq!(next.episode(), 2, "episode 1's video is on disk");
    record(&mut next, 10);
    next.finish(&mut ds).unwrap();
    assert_eq!(std::fs::read(ds.layout.video(1)).unwrap(), orphan_video);
    let after = EpisodeRecorder::start(&ds, "after").unwrap();
    assert_eq!(after.episode(), 3, "after the highest listed episode, whatever the count says");
    after.discard(&ds).unwrap();

    std::fs::remove_file(ds.layout.episodes()).unwrap();
    let ds = Dataset::open(&root).unwrap();
    let err = EpisodeRecorder::start(&ds, "lost").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("missing") && err.contains("restore it"), "{err}");
}

/// A kill while a finished episode's staging was being deleted leaves part of it; a repair must
/// not finish the episode again from what is left (fewer rows, no journal).
#[test]
fn a_half_deleted_staging_does_not_cut_a_finished_episode() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let ds = Dataset::open_or_create(&root, &recording()).unwrap();
    let mut rec = EpisodeRecorder::start(&ds, "pour").unwrap();
    record(&mut rec, 25);
    std::mem::forget(rec);
    let staging = ds.layout.staging(0);
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&staging).unwrap().flatten() {
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let mut ds = Dataset::open(&root).unwrap();
    let done = repair(&mut ds).unwrap();
    let [Repaired::Recovered(first)] = done.as_slice() else { panic!("one episode: {done:?}") };
    assert_eq!(first.length, 20);
    let rows = ds.all_rows(&ds.episodes().unwrap()).unwrap();

    // What the old deletion could leave: the second segment and the journal gone; and, as if
    // the kill came while the metadata was written, info.json still counting no episode and
    // the statistics not written yet.
    let info_before = std::fs::read_to_string(ds.layout.info()).unwrap();
    let mut stale: serde_json::Value = serde_json::from_str(&info_before).unwrap();
    stale["total_episodes"] = 0.into();
    stale["total_frames"] = 0.into();
    std::fs::write(ds.layout.info(), stale.to_string()).unwrap();
    std::fs::remove_file(ds.layout.stats()).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::copy(copy.join("rows-000000.parquet"), staging.join("rows-000000.parquet")).unwrap();
    // And what a kill during today's deletion leaves: a renamed folder, out of repair's way.
    let half = root.join(".recording/done-episode-000000");
    std::fs::create_dir_all(&half).unwrap();
    std::fs::copy(copy.join("rows-000001.parquet"), half.join("rows-000001.parquet")).unwrap();
    let mut ds = Dataset::open(&root).unwrap();
    let done = repair(&mut ds).unwrap();
    let [Repaired::Recovered(again)] = done.as_slice() else { panic!("one episode: {done:?}") };
    assert_eq!((again.length, again.tasks.clone()), (20, vec!["pour".to_string()]));
    assert_eq!(ds.all_rows(&ds.episodes().unwrap()).unwrap(), rows, "rows and actions as they were");
    assert_eq!(augur_capture::count_media(&ds.layout.video(0)).unwrap().video_frames, 20);
    assert!(!root.join(".recording").exists(), "both leftovers removed");
    assert_eq!((ds.info.total_episodes, ds.info.total_frames), (1, 20), "info.json written again");
    let report = validate(&ds);
    assert!(report.ok(), "{:?}", report.problems);
}

/// The same JSON, numbers equal to 1e-12.
fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Number(x), Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-12,
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y)),
        (Object(x), Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w))),
        _ => a == b,
    }
}

/// Statistics lost (stats.json deleted, augur.json damaged) are written again from the rows,
/// and a damaged augur.json does not stop the next episode from finishing.
#[test]
fn lost_statistics_are_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    for n in [12, 8] {
        finished(&mut ds, "t", n);
    }
    let read = |ds: &Dataset| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(ds.layout.stats()).unwrap()).unwrap()
    };
    let before = read(&ds);
    std::fs::remove_file(ds.layout.stats()).unwrap();
    assert!(validate(&ds).problems.iter().any(|p| p.contains("stats --rebuild")));
    ds.rebuild_stats().unwrap();
    // From augur.json's running moments (serde_json reads floats to within a unit in the last place).
    assert!(close(&read(&ds), &before), "{} against {before}", read(&ds));

    std::fs::write(root.join("meta/augur.json"), "{ damaged").unwrap();
    finished(&mut ds, "t", 5);
    let after = read(&ds);
    assert_eq!(after["index"]["max"][0], 24.0, "rows of all three episodes: {after}");
    assert_eq!(after["timestamp"]["count"][0], 25);
    assert!(validate(&ds).ok());
}

/// Replaces column `name` of the episode table with `values`, as another tool would have written it.
fn set_episode_column(ds: &Dataset, name: &str, values: Vec<i64>) {
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let path = ds.layout.episodes();
    let batch = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let schema = batch.schema();
    let mut columns = batch.columns().to_vec();
    columns[schema.index_of(name).unwrap()] = std::sync::Arc::new(arrow_array::Int64Array::from(values));
    let batch = arrow_array::RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// A dataset LeRobot packed (two episodes in one file) is refused with what Augur reads,
/// rather than read as if each episode had its own file.
#[test]
fn episodes_packed_into_one_file_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    for _ in 0..2 {
        finished(&mut ds, "t", 10);
    }
    set_episode_column(&ds, "data/file_index", vec![0, 0]);
    let err = ds.episodes().unwrap_err().to_string();
    assert!(err.contains("episode 1 lives in file 0 of chunk 0") && err.contains("one episode per"), "{err}");
}

/// An episode table whose index range runs past i64 (hand-edited or damaged) is refused by
/// name when read: the next recording counted its rows from that end and overflowed.
#[test]
fn an_episode_range_past_the_largest_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let mut ds = Dataset::open_or_create(&root, &recording()).unwrap();
    finished(&mut ds, "t", 10);
    set_episode_column(&ds, "dataset_from_index", vec![i64::MAX]);
    let err = ds.episodes().unwrap_err().to_string();
    assert!(err.contains("episode 0's rows run past the largest index") && err.contains("restore"), "{err}");
    assert!(EpisodeRecorder::start(&ds, "t").and_then(|r| r.finish(&mut ds)).is_err());
}

/// A count of episodes past what rows can number (hand-edited meta/info.json) is refused
/// before recording: the episode was written as -1 and never found again.
#[test]
fn an_episode_count_past_what_rows_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    let ds = Dataset::open_or_create(&root, &recording()).unwrap();
    let path = ds.layout.info();
    let mut info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    info["total_episodes"] = serde_json::json!(u64::MAX);
    std::fs::write(&path, info.to_string()).unwrap();
    let ds = Dataset::open(&root).unwrap();
    let err = EpisodeRecorder::start(&ds, "t").err().unwrap().to_string();
    assert!(err.contains("more than a dataset holds") && err.contains("info.json"), "{err}");
}
