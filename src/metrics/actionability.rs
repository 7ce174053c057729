//! Whether firing was worth it: `actionable_ratio`, `actionable_coverage`.
//!
//! `actionable` comes from review verdicts, else the acknowledgement proxy,
//! else it is unknown (see `reviews.rs`).

use super::{count_true, ratio, Context, MetricFamily};
use polars::prelude::*;

/// Share of actionable episodes among those whose verdict is known, and how many are known.
pub struct Actionability;

impl MetricFamily for Actionability {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![
            count_true(col("actionable").is_not_null()).alias("_known"),
            count_true(col("actionable").fill_null(lit(false))).alias("_actionable"),
        ]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![
            ratio(col("_actionable"), col("_known")).alias("actionable_ratio"),
            ratio(col("_known"), col("episodes")).alias("actionable_coverage"),
        ]
    }
}
