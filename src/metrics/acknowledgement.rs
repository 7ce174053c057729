//! How people respond: `acked_ratio`, `tta_p50_s`, `tta_p90_s`.
//!
//! Only episodes from sources that record acknowledgements count; a rule with
//! none has a null `acked_ratio`.

use super::{count_true, quantile_s, ratio, Context, MetricFamily};
use polars::prelude::*;

/// Acknowledgement share and time to acknowledge.
pub struct Acknowledgement;

impl MetricFamily for Acknowledgement {
    fn episode_columns(&self, _ctx: &Context) -> Vec<Expr> {
        vec![
            col("ack_tracked")
                .and(col("acked_at").is_not_null())
                .alias("acked"),
            (col("acked_at").cast(DataType::Int64) - col("start_ms")).alias("tta_ms"),
        ]
    }

    fn aggregations(&self, _ctx: &Context) -> Vec<Expr> {
        let tta = col("tta_ms").filter(col("acked"));
        vec![
            count_true(col("ack_tracked")).alias("_ack_tracked"),
            count_true(col("acked")).alias("_acked"),
            quantile_s(tta.clone(), 0.5).alias("tta_p50_s"),
            quantile_s(tta, 0.9).alias("tta_p90_s"),
        ]
    }

    fn outputs(&self, _ctx: &Context) -> Vec<Expr> {
        vec![ratio(col("_acked"), col("_ack_tracked")).alias("acked_ratio")]
    }
}
