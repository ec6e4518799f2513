//! Parquet plumbing shared by the data rows and the metadata tables.

use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;

use crate::DatasetError;

/// Writes one batch as a complete parquet file (snappy, one row group), through a temporary
/// file and a rename.
pub fn write_batch(path: &Path, batch: &RecordBatch) -> Result<(), DatasetError> {
    let tmp = path.with_extension("parquet.tmp");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DatasetError::io("create the folder", dir, e))?;
    }
    let run = || -> Result<(), DatasetError> {
        let file = std::fs::File::create(&tmp).map_err(|e| DatasetError::io("create", &tmp, e))?;
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let mut w =
            ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| DatasetError::parquet(path, e))?;
        w.write(batch).map_err(|e| DatasetError::parquet(path, e))?;
        let file = w.into_inner().map_err(|e| DatasetError::parquet(path, e))?;
        file.sync_all().map_err(|e| DatasetError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| DatasetError::io("write", path, e))
    };
    run().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Reads every batch of a parquet file.
pub fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, DatasetError> {
    let file = std::fs::File::open(path).map_err(|e| DatasetError::io("open", path, e))?;
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).map_err(
            |e| DatasetError::invalid(path, format!("it is not a readable parquet file ({e})"), crate::error::RESTORE),
        )?;
    reader.collect::<Result<Vec<_>, _>>().map_err(|e| DatasetError::parquet(path, e))
}
