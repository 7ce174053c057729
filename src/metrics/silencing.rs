//! How often a rule fires into a silence: `silenced_ratio`.
//!
//! An episode is silenced when a silence matched it while it fired (see
//! `sources/alertmanager_silences.rs`, or the Alertmanager API's
//! `silencedBy`). A rule that is silenced most of the time pages nobody and
//! hides real trouble: fix it or remove it.

use super::{count_true, ratio, Context, MetricFamily};
use polars::prelude::*;

/// The share of episodes that fired into a silence.
pub struct Silencing;

impl MetricFamily for Silencing {
    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        vec![
            count_true(col("silenced")).alias("_silenced"),
            len().alias("_silencing_episodes"),
        ]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![ratio(col("_silenced"), col("_silencing_episodes")).alias("silenced_ratio")]
    }
}
