//! The metric behind one sample rule, so threshold advice has something to
//! backtest: the orders queue depth (`rabbitmq_queue_messages{queue="orders"}`)
//! over the last week, as a Prometheus query_range answer at a 1m step.
//!
//! It agrees with the alert history: the depth is above the rule's 50 exactly
//! while an episode's condition holds (from one minute, the rule's `for:`,
//! before the episode starts until it ends) and at most 45 otherwise. Backlogs
//! that needed action (the long ones) climb past 200 within a few minutes;
//! the others stay under 150. A separate random stream keeps every other
//! sample file unchanged.

use super::scenario::TrueEpisode;
use crate::timefmt::Millis;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// The rule whose metric is written.
pub const RULE: &str = "RabbitmqQueueDepth";
/// The query step.
const STEP: Millis = 60_000;
/// The rule's `for:`.
const FOR: Millis = 60_000;

/// The query_range answer for `[from, to)`, from the rule's true episodes.
pub fn queue_depth(seed: u64, episodes: &[&TrueEpisode], from: Millis, to: Millis) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5e51e5);
    // Each episode: the condition's start, its end, and the height it reaches.
    let shapes: Vec<(Millis, Millis, f64)> = episodes
        .iter()
        .map(|e| {
            let peak = if e.actionable {
                rng.random_range(220.0..600.0)
            } else {
                rng.random_range(60.0..140.0)
            };
            (e.start - FOR, e.end.unwrap_or(to), peak)
        })
        .collect();
    let mut values = Vec::new();
    let mut t = from - from % STEP;
    while t < to {
        let base: f64 = rng.random_range(2.0..45.0);
        let depth = shapes
            .iter()
            .find(|(p, e, _)| t >= *p && t < *e)
            .map(|(p, _, peak)| {
                // Rises from just over 50 to the peak within five minutes.
                let rise = ((t - p) as f64 / (5 * 60_000) as f64).min(1.0);
                51.0 + (peak - 51.0) * rise
            })
            .unwrap_or(base);
        values.push(json!([t / 1000, format!("{}", depth.round())]));
        t += STEP;
    }
    let answer = json!({
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{
                "metric": {
                    "__name__": "rabbitmq_queue_messages",
                    "queue": "orders",
                    "env": "production",
                },
                "values": values,
            }],
        },
    });
    answer.to_string() + "\n"
}
