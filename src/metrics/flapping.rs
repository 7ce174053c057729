//! Alerts that resolve and fire again soon: `refires`, `flap_rate`.
//!
//! An episode is a refire when it starts within `--flap-window` after the
//! previous episode of the same fingerprint ended: 0 ≤ gap < window. The
//! previous episode may lie before the analysis window.

use super::{count_true, ratio, Context, MetricFamily};
use crate::episode_table::NO_TIME;
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
    // Each instance's episodes in start order. Only whether two episodes
    // share a fingerprint matters, not the fingerprints' order: each gets a
    // number where first seen, and the sort is on small integer keys.
    let instance = first_seen_numbers(frame.column("fingerprint")?.str()?);
    let starts = times(frame.column("starts_at")?)?;
    let ends = times(frame.column("ends_at")?)?;
    let mut order: Vec<(u32, Millis, u32)> = (0..frame.height())
        .filter(|&i| starts[i] != NO_TIME)
        .map(|i| (instance[i], starts[i], i as u32))
        .collect();
    order.par_sort_unstable();
    let mut flags = vec![false; frame.height()];
    for pair in order.windows(2) {
        let ((prev_instance, _, prev), (this_instance, start, this)) = (pair[0], pair[1]);
        if prev_instance != this_instance || ends[prev as usize] == NO_TIME {
            continue;
        }
        let gap = start - ends[prev as usize];
        flags[this as usize] = (0..flap_window_ms).contains(&gap);
    }
    Ok(Column::new("refire".into(), flags))
}

/// A time column's milliseconds, [`NO_TIME`] where none.
fn times(column: &Column) -> PolarsResult<Vec<Millis>> {
    let times = column.cast(&DataType::Int64)?;
    Ok(times.i64()?.iter().map(|t| t.unwrap_or(NO_TIME)).collect())
}

/// Per row, a number for its text, the same for equal texts (none is a
/// text of its own), numbered in the order first seen.
fn first_seen_numbers(texts: &StringChunked) -> Vec<u32> {
    let mut numbers: fnv::FnvHashMap<Option<&str>, u32> = fnv::FnvHashMap::default();
    texts
        .iter()
        .map(|text| {
            let next = numbers.len() as u32;
            *numbers.entry(text).or_insert(next)
        })
        .collect()
}
