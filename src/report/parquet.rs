//! `episodes.parquet`: the canonical episode table for notebooks and dashboards.

use crate::error::{Error, Result};
use polars::prelude::*;
use std::path::Path;

/// Writes the episode frame as Parquet (zstd).
pub fn write(path: &Path, episodes: &mut DataFrame) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    ParquetWriter::new(file).finish(episodes)?;
    Ok(())
}
