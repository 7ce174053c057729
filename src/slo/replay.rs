//! Replaying an alerting expression over recorded series as Prometheus'
//! rule manager would: at every evaluation time the expression's result is the
//! set of active alerts (its label sets without `__name__`); an alert is
//! pending from the first time it is active and fires at the first evaluation
//! at least `for:` later; it resolves at the first evaluation where it is not
//! active, or, with `keep_firing_for:`, at the first one at least that long
//! after the condition stopped holding. A pending alert that stops being
//! active leaves no episode.

use super::evaluate::{Evaluator, Value};
use super::series::Labels;
use crate::timefmt::Millis;
use promql_parser::label::METRIC_NAME;
use std::collections::BTreeMap;

/// One firing period of one label set.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The alert's labels from the expression (without `__name__`).
    pub labels: Labels,
    /// When it became active (pending).
    pub active_at: Millis,
    /// The evaluation at which it fired.
    pub start: Millis,
    /// The evaluation at which it resolved; `None` while still firing at the
    /// last evaluation.
    pub end: Option<Millis>,
}

struct State {
    active_at: Millis,
    fired_at: Option<Millis>,
    stopped_at: Option<Millis>,
}

/// The episodes of the evaluator's expression at `times` (sorted) with `for:` and
/// `keep_firing_for:` in milliseconds.
pub fn replay(
    evaluator: &Evaluator,
    times: &[Millis],
    for_ms: Millis,
    keep_ms: Millis,
) -> Vec<Episode> {
    let mut states: BTreeMap<Labels, State> = BTreeMap::new();
    let mut out = Vec::new();
    for &t in times {
        let active: Vec<Labels> = match evaluator.at(t) {
            Value::Vector(v) => v
                .into_iter()
                .map(|s| {
                    let mut labels = s.labels;
                    labels.retain(|(k, _)| k != METRIC_NAME);
                    labels
                })
                .collect(),
            // A scalar alert expression is refused by Prometheus; nothing fires.
            Value::Scalar(_) => Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for labels in active {
            let state = states.entry(labels.clone()).or_insert(State {
                active_at: t,
                fired_at: None,
                stopped_at: None,
            });
            state.stopped_at = None;
            if state.fired_at.is_none() && t - state.active_at >= for_ms {
                state.fired_at = Some(t);
            }
            seen.insert(labels);
        }
        states.retain(|labels, state| {
            if seen.contains(labels) {
                return true;
            }
            let Some(fired) = state.fired_at else {
                return false;
            };
            let stopped = *state.stopped_at.get_or_insert(t);
            if keep_ms > 0 && t - stopped < keep_ms {
                return true;
            }
            out.push(Episode {
                labels: labels.clone(),
                active_at: state.active_at,
                start: fired,
                end: Some(t),
            });
            false
        });
    }
    for (labels, state) in states {
        if let Some(fired) = state.fired_at {
            out.push(Episode {
                labels,
                active_at: state.active_at,
                start: fired,
                end: None,
            });
        }
    }
    out.sort_by(|a, b| (a.start, &a.labels).cmp(&(b.start, &b.labels)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::series::store_from_texts;
    use super::*;

    /// One series `x` with the given values at 0, 60, 120, … seconds.
    fn episodes(
        values: &[f64],
        expr: &str,
        for_ms: Millis,
        keep_ms: Millis,
    ) -> Vec<(Millis, Option<Millis>)> {
        let samples: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("[{},\"{v}\"]", i * 60))
            .collect();
        let answer = format!(
            r#"[{{"metric":{{"__name__":"x","job":"a"}},"values":[{}]}}]"#,
            samples.join(",")
        );
        let store = store_from_texts(&[("x.json", &answer)]).unwrap();
        let ast = promql_parser::parser::parse(expr).unwrap();
        let e = Evaluator::new(&store, ast).unwrap();
        replay(&e, &store.times(), for_ms, keep_ms)
            .into_iter()
            .map(|ep| {
                assert_eq!(ep.labels, vec![("job".to_string(), "a".to_string())]);
                (ep.start / 60_000, ep.end.map(|e| e / 60_000))
            })
            .collect()
    }

    #[test]
    fn for_counts_from_the_first_active_evaluation() {
        let v = [0.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        assert_eq!(episodes(&v, "x > 0.5", 0, 0), vec![(1, Some(4))]);
        assert_eq!(episodes(&v, "x > 0.5", 120_000, 0), vec![(3, Some(4))]);
        assert_eq!(episodes(&v, "x > 0.5", 180_000, 0), vec![], "pending only");
        assert_eq!(
            episodes(&v, "x > 0.5", 90_000, 0),
            vec![(3, Some(4))],
            "the next evaluation after for:"
        );
    }

    proptest::proptest! {
        /// The replay of `x > 0.5` agrees with the threshold backtest's own
        /// model of Prometheus (`advice::backtest::firings`), an independent
        /// implementation, on any series, `for:` and `keep_firing_for:`.
        #[test]
        fn agrees_with_the_backtest_model(
            values in proptest::collection::vec(0u8..2, 1..60),
            for_steps in 0i64..5,
            keep_steps in 0i64..4,
        ) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let (for_ms, keep_ms) = (for_steps * 60_000, keep_steps * 60_000);
            let ours = episodes(&values, "x > 0.5", for_ms, keep_ms);
            let series = crate::advice::backtest::Series {
                labels: Default::default(),
                samples: values.iter().enumerate().map(|(i, v)| (i as Millis * 60_000, *v)).collect(),
            };
            let last = (values.len() as i64 - 1) * 60_000;
            let theirs: Vec<(Millis, Option<Millis>)> =
                crate::advice::backtest::firings(&series, ">", 0.5, for_ms, keep_ms, 60_000)
                    .into_iter()
                    .map(|(s, e)| (s / 60_000, (e <= last).then_some(e / 60_000)))
                    .collect();
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn keep_firing_for_holds_across_a_gap_and_open_alerts_stay_open() {
        let v = [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(
            episodes(&v, "x > 0.5", 0, 60_000),
            vec![(0, Some(4)), (6, None)]
        );
        assert_eq!(
            episodes(&v, "x > 0.5", 0, 0),
            vec![(0, Some(1)), (2, Some(3)), (6, None)]
        );
        assert_eq!(
            episodes(&v, "x > 0.5", 0, 120_000),
            vec![(0, Some(5)), (6, None)]
        );
    }
}
