//! `meta/episodes/…parquet` (one row per finished episode: length, where its rows and frames
//! are) and `meta/tasks.parquet` (task text → task index).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::DatasetError;
use crate::layout::{VIDEO_KEY, chunk_file};
use crate::table::{read_batches, write_batch};

/// One finished episode, as `meta/episodes` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeMeta {
    /// The episode.
    pub episode_index: u64,
    /// Its task texts.
    pub tasks: Vec<String>,
    /// Frames (rows) in it.
    pub length: u64,
    /// First dataset-wide `index` of its rows.
    pub dataset_from_index: u64,
    /// Seconds where its frames start in its video file.
    pub from_timestamp: f64,
    /// Seconds where its frames end in its video file.
    pub to_timestamp: f64,
    /// Whether it was rebuilt by `augur dataset repair` after the recorder was killed.
    pub recovered: bool,
}

fn video_col(what: &str) -> String {
    format!("videos/{VIDEO_KEY}/{what}")
}

/// Writes every episode's row to `path`.
pub fn write_episodes(path: &Path, episodes: &[EpisodeMeta]) -> Result<(), DatasetError> {
    let i64s = |f: &dyn Fn(&EpisodeMeta) -> u64| {
        Arc::new(Int64Array::from_iter_values(episodes.iter().map(|e| f(e) as i64))) as ArrayRef
    };
    let f64s =
        |f: &dyn Fn(&EpisodeMeta) -> f64| Arc::new(Float64Array::from_iter_values(episodes.iter().map(f))) as ArrayRef;
    let mut tasks = ListBuilder::new(StringBuilder::new());
    for e in episodes {
        for t in &e.tasks {
            tasks.values().append_value(t);
        }
        tasks.append(true);
    }
    let int = |name: &str| Field::new(name, DataType::Int64, false);
    let float = |name: &str| Field::new(name, DataType::Float64, false);
    let tasks = tasks.finish();
    let fields = vec![
        int("episode_index"),
        Field::new("tasks", tasks.data_type().clone(), false),
        int("length"),
        int("data/chunk_index"),
        int("data/file_index"),
        int("dataset_from_index"),
        int("dataset_to_index"),
        int(&video_col("chunk_index")),
        int(&video_col("file_index")),
        float(&video_col("from_timestamp")),
        float(&video_col("to_timestamp")),
        int("meta/episodes/chunk_index"),
        int("meta/episodes/file_index"),
        Field::new("augur/recovered", DataType::Boolean, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        i64s(&|e| e.episode_index),
        Arc::new(tasks),
        i64s(&|e| e.length),
        i64s(&|e| chunk_file(e.episode_index).0),
        i64s(&|e| chunk_file(e.episode_index).1),
        i64s(&|e| e.dataset_from_index),
        i64s(&|e| e.dataset_from_index + e.length),
        i64s(&|e| chunk_file(e.episode_index).0),
        i64s(&|e| chunk_file(e.episode_index).1),
        f64s(&|e| e.from_timestamp),
        f64s(&|e| e.to_timestamp),
        i64s(&|_| 0),
        i64s(&|_| 0),
        Arc::new(BooleanArray::from_iter(episodes.iter().map(|e| Some(e.recovered)))),
    ];
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| DatasetError::parquet(path, e))?;
    write_batch(path, &batch)
}

/// What to do with a LeRobot dataset laid out otherwise than Augur records.
const ONE_PER_FILE: &str = "Augur reads datasets as it records them: one episode per data and video file, the camera \
     as observation.images.camera. Record with Augur, or train on this one with LeRobot itself";

/// Reads every episode's row.
pub fn read_episodes(path: &Path) -> Result<Vec<EpisodeMeta>, DatasetError> {
    let mut out = Vec::new();
    for batch in read_batches(path)? {
        let missing = |name: &str| {
            DatasetError::invalid(
                path,
                format!("column {name:?} is missing or has the wrong type"),
                crate::error::RESTORE,
            )
        };
        let i64s = |n: &str| {
            batch.column_by_name(n).and_then(|c| c.as_any().downcast_ref::<Int64Array>()).ok_or_else(|| missing(n))
        };
        let f64s = |n: &str| {
            batch.column_by_name(n).and_then(|c| c.as_any().downcast_ref::<Float64Array>()).ok_or_else(|| missing(n))
        };
        let (ep, len, from) = (i64s("episode_index")?, i64s("length")?, i64s("dataset_from_index")?);
        if batch.column_by_name(&video_col("from_timestamp")).is_none() {
            let schema = batch.schema();
            let cameras: Vec<&str> = schema
                .fields()
                .iter()
                .filter_map(|f| f.name().strip_prefix("videos/")?.strip_suffix("/from_timestamp"))
                .collect();
            return Err(DatasetError::invalid(
                path,
                format!("its episodes have no {VIDEO_KEY} video (cameras: {})", cameras.join(", ")),
                ONE_PER_FILE,
            ));
        }
        let (t0, t1) = (f64s(&video_col("from_timestamp"))?, f64s(&video_col("to_timestamp"))?);
        // LeRobot packs many episodes into one file once a dataset grows; Augur writes and
        // reads one episode per file, found by its index.
        let files = [("data/chunk_index", "data/file_index"), (&*video_col("chunk_index"), &*video_col("file_index"))];
        for (chunk, file) in files {
            let (Ok(c), Ok(f)) = (i64s(chunk), i64s(file)) else { continue };
            for i in 0..batch.num_rows() {
                let (want_c, want_f) = chunk_file(ep.value(i).max(0) as u64);
                if (c.value(i), f.value(i)) != (want_c as i64, want_f as i64) || t0.value(i) != 0.0 {
                    return Err(DatasetError::invalid(
                        path,
                        format!(
                            "episode {} lives in file {} of chunk {}, beside other episodes",
                            ep.value(i),
                            f.value(i),
                            c.value(i)
                        ),
                        ONE_PER_FILE,
                    ));
                }
            }
        }
        let tasks = batch
            .column_by_name("tasks")
            .and_then(|c| c.as_any().downcast_ref::<ListArray>())
            .ok_or_else(|| missing("tasks"))?;
        let recovered = batch.column_by_name("augur/recovered").and_then(|c| c.as_any().downcast_ref::<BooleanArray>());
        for i in 0..batch.num_rows() {
            let list = tasks.value(i);
            let texts = list.as_any().downcast_ref::<StringArray>().ok_or_else(|| missing("tasks"))?;
            let (length, first) = (len.value(i).max(0) as u64, from.value(i).max(0) as u64);
            // Every later index is counted from this end: past i64 it overflowed a recording.
            if first.checked_add(length).is_none_or(|end| end > i64::MAX as u64) {
                return Err(DatasetError::invalid(
                    path,
                    format!("episode {}'s rows run past the largest index ({first} + {length})", ep.value(i)),
                    crate::error::RESTORE,
                ));
            }
            out.push(EpisodeMeta {
                episode_index: ep.value(i).max(0) as u64,
                tasks: (0..texts.len()).map(|j| texts.value(j).to_string()).collect(),
                length,
                dataset_from_index: first,
                from_timestamp: t0.value(i),
                to_timestamp: t1.value(i),
                recovered: recovered.is_some_and(|r| r.value(i)),
            });
        }
    }
    Ok(out)
}

/// Writes the task table: `task_index` plus the task text, marked as pandas' index the way
/// LeRobot writes it (LeRobot reads the texts from the index).
pub fn write_tasks(path: &Path, tasks: &[String]) -> Result<(), DatasetError> {
    let pandas = serde_json::json!({
        "index_columns": ["task"],
        "column_indexes": [{"name": null, "field_name": null, "pandas_type": "unicode", "numpy_type": "object", "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64", "metadata": null},
            {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object", "metadata": null}
        ],
        "creator": {"library": "augur", "version": env!("CARGO_PKG_VERSION")},
        "pandas_version": "2.2.0"
    });
    let metadata = HashMap::from([("pandas".to_string(), pandas.to_string())]);
    let schema =
        Schema::new(vec![Field::new("task_index", DataType::Int64, false), Field::new("task", DataType::Utf8, false)])
            .with_metadata(metadata);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..tasks.len() as i64)),
        Arc::new(StringArray::from_iter_values(tasks.iter())),
    ];
    let batch = RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| DatasetError::parquet(path, e))?;
    write_batch(path, &batch)
}

/// Reads the task texts in task-index order.
pub fn read_tasks(path: &Path) -> Result<Vec<String>, DatasetError> {
    let mut pairs = Vec::new();
    for batch in read_batches(path)? {
        let bad = || DatasetError::invalid(path, "it lacks the task_index and task columns", crate::error::RESTORE);
        let idx =
            batch.column_by_name("task_index").and_then(|c| c.as_any().downcast_ref::<Int64Array>()).ok_or_else(bad)?;
        let text =
            batch.column_by_name("task").and_then(|c| c.as_any().downcast_ref::<StringArray>()).ok_or_else(bad)?;
        for i in 0..batch.num_rows() {
            pairs.push((idx.value(i), text.value(i).to_string()));
        }
    }
    pairs.sort();
    Ok(pairs.into_iter().map(|(_, t)| t).collect())
}
