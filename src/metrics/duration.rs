//! How long episodes last: `duration_p50_s`, `duration_p90_s`, `short_ratio`.
//!
//! Over resolved episodes (those with an end), durations clipped at the window's end.

use super::{count_true, quantile_s, ratio, Context, MetricFamily};
use polars::prelude::*;

/// Duration quantiles and the share of short episodes.
pub struct Duration;

/// Whether an episode is resolved and shorter than `--short`.
pub fn is_short(ctx: &Context) -> Expr {
    col("resolved").and(col("dur_ms").lt(lit(ctx.settings.short_ms)))
}

impl MetricFamily for Duration {
    fn episode_columns(&self, ctx: &Context) -> Vec<Expr> {
        vec![is_short(ctx).alias("short")]
    }

    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        let resolved_durations = col("dur_ms").filter(col("resolved"));
        vec![
            quantile_s(resolved_durations.clone(), 0.5).alias("duration_p50_s"),
            quantile_s(resolved_durations, 0.9).alias("duration_p90_s"),
            count_true(col("resolved")).alias("_resolved"),
            count_true(col("short")).alias("_short"),
        ]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![ratio(col("_short"), col("_resolved")).alias("short_ratio")]
    }
}
