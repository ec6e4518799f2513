//! The per-frame rows of `data/…parquet`: timestamp, indices, task and actions.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{FixedSizeListBuilder, Float32Builder};
use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

use crate::DatasetError;

/// One frame's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Seconds since the episode's first frame (`frame_index / fps`).
    pub timestamp: f32,
    /// Position within the episode.
    pub frame_index: i64,
    /// The episode.
    pub episode_index: i64,
    /// Position within the whole dataset.
    pub index: i64,
    /// Row of `meta/tasks.parquet`.
    pub task_index: i64,
    /// Action components held at this frame (empty when the dataset has no actions).
    pub action: Vec<f32>,
}

/// The Arrow schema of rows with `actions` action components.
pub fn schema(actions: usize) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("timestamp", DataType::Float32, false),
        Field::new("frame_index", DataType::Int64, false),
        Field::new("episode_index", DataType::Int64, false),
        Field::new("index", DataType::Int64, false),
        Field::new("task_index", DataType::Int64, false),
    ];
    if actions > 0 {
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        fields.push(Field::new("action", DataType::FixedSizeList(item, actions as i32), false));
    }
    Arc::new(Schema::new(fields))
}

/// The rows as one Arrow batch.
pub fn to_batch(rows: &[Row], actions: usize) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let col_i64 = |f: fn(&Row) -> i64| Arc::new(Int64Array::from_iter_values(rows.iter().map(f))) as ArrayRef;
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Float32Array::from_iter_values(rows.iter().map(|r| r.timestamp))),
        col_i64(|r| r.frame_index),
        col_i64(|r| r.episode_index),
        col_i64(|r| r.index),
        col_i64(|r| r.task_index),
    ];
    if actions > 0 {
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let mut b = FixedSizeListBuilder::new(Float32Builder::new(), actions as i32).with_field(item);
        for r in rows {
            for i in 0..actions {
                b.values().append_value(r.action.get(i).copied().unwrap_or(0.0));
            }
            b.append(true);
        }
        columns.push(Arc::new(b.finish()));
    }
    RecordBatch::try_new(schema(actions), columns)
}

/// Writes rows as a complete parquet file (through a temporary file and a rename).
pub fn write(path: &Path, rows: &[Row], actions: usize) -> Result<(), DatasetError> {
    let batch = to_batch(rows, actions).map_err(|e| DatasetError::parquet(path, e))?;
    crate::table::write_batch(path, &batch)
}

/// Reads every row of a data file.
pub fn read(path: &Path) -> Result<Vec<Row>, DatasetError> {
    let mut rows = Vec::new();
    for batch in crate::table::read_batches(path)? {
        let missing = |name: &str| {
            DatasetError::invalid(
                path,
                format!("column {name:?} is missing or has the wrong type"),
                "re-record the episode",
            )
        };
        let f32s = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Float32Array>())
                .ok_or_else(|| missing(name))
        };
        let i64s = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .ok_or_else(|| missing(name))
        };
        let (ts, fi, ei, ix, ti) =
            (f32s("timestamp")?, i64s("frame_index")?, i64s("episode_index")?, i64s("index")?, i64s("task_index")?);
        let action = batch.column_by_name("action").and_then(|c| c.as_any().downcast_ref::<FixedSizeListArray>());
        for i in 0..batch.num_rows() {
            let action = match action {
                Some(a) => {
                    let v = a.value(i);
                    v.as_any().downcast_ref::<Float32Array>().map(|f| f.values().to_vec()).unwrap_or_default()
                }
                None => Vec::new(),
            };
            rows.push(Row {
                timestamp: ts.value(i),
                frame_index: fi.value(i),
                episode_index: ei.value(i),
                index: ix.value(i),
                task_index: ti.value(i),
                action,
            });
        }
    }
    Ok(rows)
}
