//! Alerts that resolve and fire again soon: `refires`, `flap_rate`.
//!
//! An episode is a refire when it starts within `--flap-window` after the
//! previous episode of the same fingerprint ended: 0 ≤ gap < window. The
//! previous episode may lie before the analysis window.

use super::{count_true, ratio, Context, MetricFamily};
use crate::timefmt::Millis;
use polars::prelude::*;
use rayon::prelude::*;

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
    // Each instance's episodes in start order: sorted on the fingerprints'
    // ranks, integers, not on the strings.
    let fingerprints: Vec<Option<&str>> = fingerprints.iter().collect();
    let fingerprints = crate::ranks::ranks(&fingerprints);
    let starts: Vec<Option<Millis>> = starts.i64()?.iter().collect();
    let ends: Vec<Option<Millis>> = ends.i64()?.iter().collect();
    let mut order: Vec<(u32, Millis, usize)> = (0..frame.height())
        .filter_map(|i| Some((fingerprints[i], starts[i]?, i)))
        .collect();
    order.par_sort_unstable();
    let order: Vec<usize> = order.into_iter().map(|(_, _, i)| i).collect();
    let mut flags = vec![false; frame.height()];
    for pair in order.windows(2) {
        let (prev, this) = (pair[0], pair[1]);
        if fingerprints[prev] != fingerprints[this] {
            continue;
        }
        if let (Some(prev_end), Some(start)) = (ends[prev], starts[this]) {
            let gap = start - prev_end;
            flags[this] = (0..flap_window_ms).contains(&gap);
        }
    }
    Ok(Column::new("refire".into(), flags))
}
