//! The bottom line: `noisy_episodes` and `noise_score`.
//!
//! An episode is noisy when it is short, or a refire, or reviewed
//! non-actionable (each counted once). `noise_score` is noisy episodes per
//! week of window: the pointless interruptions the rule costs a week.

use super::{count_true, Context, MetricFamily};
use polars::prelude::*;

/// Whether the review meeting judged the episode not actionable (the
/// acknowledgement proxy's guess does not make an episode noisy).
fn reviewed_not_actionable() -> Expr {
    col(super::REVIEWED_COLUMN)
        .and(col("actionable").eq(lit(false)))
        .fill_null(lit(false))
}

/// Noisy episodes and the weekly noise score.
pub struct Noise;

impl MetricFamily for Noise {
    fn episode_columns(&self, ctx: &Context) -> Vec<Expr> {
        vec![
            reviewed_not_actionable().alias("reviewed_not_actionable"),
            super::duration::is_short(ctx)
                .or(col("refire"))
                .or(reviewed_not_actionable())
                .alias("noisy"),
        ]
    }

    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![count_true(col("noisy")).alias("noisy_episodes")]
    }

    fn outputs(&self, ctx: &Context) -> Vec<Expr> {
        let weeks = ctx.settings.window.days() / 7.0;
        vec![(col("noisy_episodes").cast(DataType::Float64) / lit(weeks)).alias("noise_score")]
    }
}
