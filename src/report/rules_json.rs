//! `rules.json`: one object per rule (or rule × `--by` value) with the metric columns.

use super::rows::Row;
use crate::error::{Error, Result};

/// Serialises the rows as a pretty JSON array.
pub fn to_json(rows: &[Row]) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(rows).map_err(|e| Error::Output {
        path: "rules.json".into(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
