//! How much a rule fires: `episodes`, `episodes_per_day`, `instances`,
//! `notifications`, `firing_hours`.

use super::{Context, MetricFamily};
use polars::prelude::*;

/// Counts of episodes, instances, notifications and firing time.
pub struct Volume;

impl MetricFamily for Volume {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![
            len().cast(DataType::Int64).alias("episodes"),
            col(super::INSTANCE_COLUMN)
                .n_unique()
                .cast(DataType::Int64)
                .alias("instances"),
            col("notifications")
                .cast(DataType::Int64)
                .sum()
                .alias("notifications"),
            col("dur_ms").sum().alias("_firing_ms"),
        ]
    }

    fn outputs(&self, ctx: &Context) -> Vec<Expr> {
        let days = ctx.settings.window.days();
        vec![
            (col("episodes").cast(DataType::Float64) / lit(days)).alias("episodes_per_day"),
            (col("_firing_ms").cast(DataType::Float64) / lit(3_600_000.0)).alias("firing_hours"),
        ]
    }
}
