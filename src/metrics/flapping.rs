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
    let flags = flags_in_table_order(table, flap_window_ms)
        .unwrap_or_else(|| flags_in_sorted_order(table, flap_window_ms));
    Column::new("refire".into(), flags)
}

/// The flags read in one pass over the table, when every fingerprint's
/// episodes come in start order along it (the merged table is ordered by
/// rule and start, so they do): each episode's predecessor is then the
/// fingerprint's last episode seen. `None` as soon as one comes earlier
/// than its predecessor.
fn flags_in_table_order(table: &EpisodeTable, flap_window_ms: Millis) -> Option<Vec<bool>> {
    let instance = table.fingerprints().codes();
    let starts = table.starts().millis();
    let ends = table.ends().millis();
    let mut last = vec![u32::MAX; table.fingerprints().values().len() + 1];
    let mut flags = vec![false; table.len()];
    for (row, (&code, &start)) in instance.iter().zip(starts).enumerate() {
        if start == NO_TIME {
            continue;
        }
        let prev = std::mem::replace(&mut last[code as usize], row as u32);
        if prev == u32::MAX {
            continue;
        }
        if starts[prev as usize] > start {
            return None;
        }
        let end = ends[prev as usize];
        flags[row] = end != NO_TIME && (0..flap_window_ms).contains(&(start - end));
    }
    Some(flags)
}

/// The flags of any table: each fingerprint's episodes sorted by start
/// (ties in table order). Only whether two episodes share a fingerprint
/// matters, not the fingerprints' order: the sort is on the table's codes.
fn flags_in_sorted_order(table: &EpisodeTable, flap_window_ms: Millis) -> Vec<bool> {
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
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::Episode;

    proptest::proptest! {
        /// The one-pass flags equal the sorted ones on tables whose
        /// fingerprints' episodes come in start order, and give way to
        /// them on tables where one does not.
        #[test]
        fn one_pass_flags_equal_the_sorted_ones(
            rows in proptest::collection::vec(
                (0u8..6, 0i64..50, proptest::option::of(0i64..20), proptest::bool::weighted(0.1)),
                0..80,
            ),
            in_start_order: bool,
        ) {
            let mut rows = rows;
            if in_start_order {
                rows.sort_by_key(|&(_, start, _, _)| start);
            }
            let episodes = rows
                .iter()
                .map(|&(instance, start, length, pending_only)| Episode {
                    rule: "Rule".into(),
                    fingerprint: format!("fp-{instance}").into(),
                    starts_at: (!pending_only).then_some(start * 60_000),
                    ends_at: length.map(|l| (start + l) * 60_000),
                    ..Episode::default()
                })
                .collect();
            let table = EpisodeTable::from_rows(episodes);
            let window = 5 * 60_000;
            let sorted = flags_in_sorted_order(&table, window);
            match flags_in_table_order(&table, window) {
                Some(one_pass) => proptest::prop_assert_eq!(&one_pass, &sorted),
                None => proptest::prop_assert!(!in_start_order),
            }
            let column = refire_flags(&table, window);
            let flags: Vec<bool> = column.bool().unwrap().iter().map(Option::unwrap_or_default).collect();
            proptest::prop_assert_eq!(flags, sorted);
        }
    }
}
