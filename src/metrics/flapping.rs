//! Alerts that resolve and fire again soon: `refires`, `flap_rate`.
//!
//! An episode is a refire when it starts within `--flap-window` after the
//! previous episode of the same fingerprint ended: 0 ≤ gap < window. The
//! previous episode may lie before the analysis window.

use super::{count_true, ratio, Context, MetricFamily};
use crate::episode_table::{EpisodeTable, NO_TIME};
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

/// Marks every episode of the table that started within `flap_window_ms`
/// after the previous episode of its fingerprint ended (column `refire`).
pub fn refire_flags(table: &EpisodeTable, flap_window_ms: Millis) -> Column {
    // Each instance's episodes in start order. Only whether two episodes
    // share a fingerprint matters, not the fingerprints' order: the sort is
    // on the table's codes for them.
    let instance = table.fingerprints().codes();
    let starts = table.starts().millis();
    let ends = table.ends().millis();
    let mut order: Vec<(u32, Millis, u32)> = (0..table.len())
        .filter(|&i| starts[i] != NO_TIME)
        .map(|i| (instance[i], starts[i], i as u32))
        .collect();
    order.par_sort_unstable();
    let mut flags = vec![false; table.len()];
    for pair in order.windows(2) {
        let ((prev_instance, _, prev), (this_instance, start, this)) = (pair[0], pair[1]);
        if prev_instance != this_instance || ends[prev as usize] == NO_TIME {
            continue;
        }
        let gap = start - ends[prev as usize];
        flags[this as usize] = (0..flap_window_ms).contains(&gap);
    }
    Column::new("refire".into(), flags)
}
