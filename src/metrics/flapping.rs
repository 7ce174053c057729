//! Alerts that resolve and fire again soon: `refires`, `flap_rate`.
//!
//! An episode is a refire when it starts within `--flap-window` after the
//! previous episode of the same fingerprint ended: 0 ≤ gap < window. The
//! previous episode may lie before the analysis window.

use super::{count_true, ratio, Context, MetricFamily};
use crate::timefmt::Millis;
use polars::prelude::*;

/// Refire counts and the flap rate.
pub struct Flapping;

impl MetricFamily for Flapping {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![count_true(col("refire")).alias("refires")]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![ratio(col("refires"), col("episodes")).alias("flap_rate")]
    }
}

/// Marks every episode that started within `flap_window_ms` after the previous
/// episode of its fingerprint ended (column `refire`).
pub fn refire_flags(frame: &DataFrame, flap_window_ms: Millis) -> PolarsResult<Column> {
    let fingerprints = frame.column("fingerprint")?.str()?;
    let starts = frame.column("starts_at")?.cast(&DataType::Int64)?;
    let ends = frame.column("ends_at")?.cast(&DataType::Int64)?;
    let (starts, ends) = (starts.i64()?, ends.i64()?);
    let mut order: Vec<usize> = (0..frame.height())
        .filter(|&i| starts.get(i).is_some())
        .collect();
    order.sort_by(|&a, &b| {
        (fingerprints.get(a), starts.get(a)).cmp(&(fingerprints.get(b), starts.get(b)))
    });
    let mut flags = vec![false; frame.height()];
    for pair in order.windows(2) {
        let (prev, this) = (pair[0], pair[1]);
        if fingerprints.get(prev) != fingerprints.get(this) {
            continue;
        }
        if let (Some(prev_end), Some(start)) = (ends.get(prev), starts.get(this)) {
            let gap = start - prev_end;
            flags[this] = (0..flap_window_ms).contains(&gap);
        }
    }
    Ok(Column::new("refire".into(), flags))
}
