//! Budget events: the periods in which the SLO's error ratio (its shortest
//! recorded window) was above the error budget ratio `B`, and the share of
//! the period's whole budget each spent.
//!
//! The share assumes constant traffic, as the workbook's burn rates do: a
//! ratio `r` held for `Δt` spends `r × Δt ÷ (B × period)` of the budget. The
//! ratio is a rolling window, so an event starts at the first evaluation that
//! sees errors above the budget and ends up to one window after the errors
//! stopped; its integral is still the errors' (the window spreads them, it
//! does not add any).

use super::evaluate::{Evaluator, Value};
use super::series::Labels;
use crate::timefmt::Millis;
use promql_parser::label::METRIC_NAME;
use std::collections::BTreeMap;

/// One period of burning above the budget, for one label set of the ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The ratio series' labels (without `__name__`).
    pub labels: Labels,
    /// The first evaluation with the ratio above the budget.
    pub start: Millis,
    /// The first evaluation at or below it again (or one step after the
    /// last evaluation when still burning).
    pub end: Millis,
    /// Still above the budget at the last evaluation.
    pub open: bool,
    /// The share of the period's budget it spent (0.25 = a quarter).
    pub budget_spent: f64,
    /// The mean error ratio over the event.
    pub mean_ratio: f64,
    /// The highest error ratio in it.
    pub peak_ratio: f64,
}

struct Open {
    start: Millis,
    integral: f64,
    samples: u64,
    peak: f64,
}

/// The events of the evaluator's ratio expression evaluated at `times` (sorted, `step` apart)
/// against the budget ratio `budget` over an SLO period of `period_ms`.
pub fn find(
    evaluator: &Evaluator,
    times: &[Millis],
    step: Millis,
    budget: f64,
    period_ms: Millis,
) -> Vec<Event> {
    let mut open: BTreeMap<Labels, Open> = BTreeMap::new();
    let mut out = Vec::new();
    let close = |labels: Labels, o: Open, end: Millis, still: bool| Event {
        labels,
        start: o.start,
        end,
        open: still,
        budget_spent: o.integral / (budget * period_ms as f64),
        mean_ratio: o.integral / (o.samples as f64 * step as f64),
        peak_ratio: o.peak,
    };
    for &t in times {
        let mut above: BTreeMap<Labels, f64> = BTreeMap::new();
        if let Value::Vector(v) = evaluator.at(t) {
            for s in v {
                if s.value > budget {
                    let mut labels = s.labels;
                    labels.retain(|(k, _)| k != METRIC_NAME);
                    above.insert(labels, s.value);
                }
            }
        }
        let (still, ended): (BTreeMap<Labels, Open>, BTreeMap<Labels, Open>) =
            std::mem::take(&mut open)
                .into_iter()
                .partition(|(l, _)| above.contains_key(l));
        open = still;
        for (labels, o) in ended {
            out.push(close(labels, o, t, false));
        }
        for (labels, ratio) in above {
            let o = open.entry(labels).or_insert(Open {
                start: t,
                integral: 0.0,
                samples: 0,
                peak: ratio,
            });
            o.integral += ratio.min(1.0) * step as f64;
            o.samples += 1;
            o.peak = o.peak.max(ratio);
        }
    }
    let last = times.last().copied().unwrap_or(0) + step;
    for (labels, o) in open {
        out.push(close(labels, o, last, true));
    }
    out.sort_by(|a, b| (a.start, &a.labels).cmp(&(b.start, &b.labels)));
    out
}
