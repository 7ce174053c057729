//! `rules.json`: one object per rule (or rule × `--by` value) with the metric columns.

use super::rows::Row;
use crate::error::Result;

/// Serialises the rows as a pretty JSON array.
pub fn to_json(rows: &[Row]) -> Result<Vec<u8>> {
    super::pretty_json(rows, "rules.json")
}
