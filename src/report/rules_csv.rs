//! `rules.csv`: the same rows as `rules.json`, one line each, same number formatting.

use super::rows::Row;
use crate::error::{Error, Result};
use serde_json::Value;

/// Serialises the rows as CSV with a header (written even when there are no
/// rows); nulls are empty cells.
pub fn to_csv(columns: &[String], rows: &[Row]) -> Result<Vec<u8>> {
    let fail = |e: csv::Error| Error::Output {
        path: "rules.csv".into(),
        reason: e.to_string(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).map_err(fail)?;
    for row in rows {
        writer
            .write_record(row.values().map(|v| match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }))
            .map_err(fail)?;
    }
    writer.into_inner().map_err(|e| Error::Output {
        path: "rules.csv".into(),
        reason: e.to_string(),
    })
}
