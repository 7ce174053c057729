//! The per-rule metrics frame as JSON-ready rows, with stable float formatting.

use polars::prelude::*;
use serde_json::{Map, Number, Value};

/// One row of `rules.json`: column name to value, in column order.
pub type Row = Map<String, Value>;

/// Floats are rounded to this many decimals so reports diff cleanly.
const DECIMALS: i32 = 6;

/// Rounds a float for output.
pub fn round(x: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    let r = (x * scale).round() / scale;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

fn to_json(value: AnyValue) -> Value {
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Float64(f) => Number::from_f64(round(f)).map_or(Value::Null, Value::Number),
        AnyValue::Float32(f) => {
            Number::from_f64(round(f as f64)).map_or(Value::Null, Value::Number)
        }
        AnyValue::Int64(i) => Value::from(i),
        AnyValue::Int32(i) => Value::from(i),
        AnyValue::UInt32(i) => Value::from(i),
        AnyValue::UInt64(i) => Value::from(i),
        other => Value::String(other.to_string()),
    }
}

/// Converts a frame to rows, keeping column order.
pub fn frame_to_rows(frame: &DataFrame) -> PolarsResult<Vec<Row>> {
    let columns = frame.columns();
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let mut row = Map::new();
        for c in columns {
            row.insert(c.name().to_string(), to_json(c.get(i)?));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A number field of a row as f64 (null and missing as `None`).
pub fn num(row: &Row, key: &str) -> Option<f64> {
    row.get(key).and_then(Value::as_f64)
}

/// A string field of a row.
pub fn text<'a>(row: &'a Row, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}
