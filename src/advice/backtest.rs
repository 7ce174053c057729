//! Threshold backtests: replay `series OP T` with `for: F` over a saved metric
//! series for candidate thresholds and `for:` values, and score each against
//! the actionable episodes (Google SRE workbook terms: precision, recall,
//! detection time, reset time), plus firings per week.
//!
//! The series is the rule's left-hand side (the located threshold's `series`),
//! exported with `promtool query range -o json` or the HTTP API (see
//! `alertnoise backtest --print-query`). Evaluation follows Prometheus: at every
//! sample the condition holds or not; a run of holding samples no further
//! apart than 1.5 steps is one pending period `[p, e)` with `e` one step after
//! its last sample; it fires at `p + F` iff `e − p > F`; with the rule's
//! `keep_firing_for: K`, periods of one series at most K apart merge.
//!
//! A firing matches an actionable episode when their times overlap (within
//! one step) and the series' labels agree with the episode's where both have
//! them. Precision: matched firings / firings. Recall: actionable episodes
//! matched / actionable episodes. Detection time: mean of (first matching
//! firing's start − episode start); reset time: mean of (last matching
//! firing's end − episode end). The choice is DESIGN's: the best precision at
//! full recall (then fewer firings, the current `for:`, earlier detection, the
//! nearer threshold).

use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::sources::query_range::{parse_series, series_list, smallest_gap};
use crate::timefmt::Millis;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One series of the saved query_range answer.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its labels (without `__name__`).
    pub labels: BTreeMap<String, String>,
    /// (time, value), sorted by time.
    pub samples: Vec<(Millis, f64)>,
}

/// The saved answer: its series and the query step.
#[derive(Debug, Clone)]
pub struct SeriesSet {
    /// Every series.
    pub series: Vec<Series>,
    /// The smallest gap between two samples of one series.
    pub step_ms: Millis,
    /// First and last sample time over all series.
    pub span: (Millis, Millis),
}

/// Reads a series file from disk (see [`read_series`]).
pub fn load_series(path: &std::path::Path) -> Result<SeriesSet> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_series(&path.display().to_string(), &text)
}

/// Reads a query_range answer (API envelope or `promtool -o json`'s bare matrix).
pub fn read_series(file: &str, text: &str) -> Result<SeriesSet> {
    let bad = |line: u64, reason: String| Error::BadInput(Problem::skipped(file, line, 0, reason));
    let answer: Value = serde_json::from_str(text)
        .map_err(|e| bad(e.line() as u64, format!("not a query_range answer: {e}")))?;
    let list = series_list(&answer).map_err(|why| bad(0, why))?;
    let mut series = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let (labels, samples) = parse_series(s, i).map_err(|why| bad(0, why))?;
        let labels = labels
            .into_iter()
            .filter(|(k, _)| k != "__name__")
            .collect();
        series.push(Series { labels, samples });
    }
    let step = smallest_gap(series.iter().map(|s| s.samples.iter().map(|(t, _)| *t)));
    let (mut first, mut last) = (Millis::MAX, Millis::MIN);
    for s in &series {
        if let (Some(a), Some(b)) = (s.samples.first(), s.samples.last()) {
            first = first.min(a.0);
            last = last.max(b.0);
        }
    }
    if series.iter().all(|s| s.samples.is_empty()) {
        return Err(bad(0, "the answer holds no samples".into()));
    }
    Ok(SeriesSet {
        series,
        step_ms: step.unwrap_or(60_000),
        span: (first, last),
    })
}

/// An episode that counts as the truth: actionable, with its time and labels.
#[derive(Debug, Clone)]
pub struct Truth {
    /// When it started firing.
    pub start: Millis,
    /// When it ended (or the end of the series for open ones).
    pub end: Millis,
    /// Its labels (empty when only a review row names it).
    pub labels: BTreeMap<String, String>,
}

/// One replayed (threshold, for) pair and its scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The threshold.
    pub threshold: f64,
    /// `for:` in seconds.
    pub for_s: f64,
    /// Firings in the series' span.
    pub firings: u64,
    /// Firings per week of the series' span.
    pub firings_per_week: f64,
    /// Matched firings / firings; null without firings.
    pub precision: Option<f64>,
    /// Detected actionable episodes / actionable episodes; null without any.
    pub recall: Option<f64>,
    /// Mean seconds from an actionable episode's start to its first matching firing.
    pub detection_s: Option<f64>,
    /// Mean seconds from an actionable episode's end to its last matching firing's end.
    pub reset_s: Option<f64>,
    /// On the Pareto front of (precision ↑, recall ↑, firings ↓, detection ↓).
    pub pareto: bool,
}

/// Compares a value with the threshold as the rule does.
pub fn holds(op: &str, value: f64, threshold: f64) -> bool {
    match op {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        "==" => value == threshold,
        "!=" => value != threshold,
        _ => false,
    }
}

/// The firings `(start, end)` of one series under (threshold, for, keep_firing_for).
pub fn firings(
    series: &Series,
    op: &str,
    threshold: f64,
    for_ms: Millis,
    keep_ms: Millis,
    step: Millis,
) -> Vec<(Millis, Millis)> {
    let mut periods: Vec<(Millis, Millis)> = Vec::new();
    let mut open: Option<(Millis, Millis)> = None;
    for &(t, v) in &series.samples {
        let on = holds(op, v, threshold);
        open = match (open, on) {
            (Some((p, last)), true) if t - last <= step + step / 2 => Some((p, t)),
            (Some((p, last)), _) => {
                periods.push((p, last + step));
                on.then_some((t, t))
            }
            (None, true) => Some((t, t)),
            (None, false) => None,
        };
    }
    if let Some((p, last)) = open {
        periods.push((p, last + step));
    }
    let mut out: Vec<(Millis, Millis)> = Vec::new();
    let mut firing: Option<(Millis, Millis)> = None;
    for (p, e) in periods {
        if let Some((_, end)) = &mut firing {
            if keep_ms > 0 && p - *end <= keep_ms {
                *end = (*end).max(e);
                continue;
            }
        }
        if let Some((s, end)) = firing.take() {
            out.push((s, end + keep_ms));
        }
        if e - p > for_ms {
            firing = Some((p + for_ms, e));
        }
    }
    if let Some((s, end)) = firing {
        out.push((s, end + keep_ms));
    }
    out
}

fn labels_agree(series: &BTreeMap<String, String>, truth: &BTreeMap<String, String>) -> bool {
    series
        .iter()
        .all(|(k, v)| truth.get(k).is_none_or(|t| t == v))
}

/// Replays one candidate over every series and scores it against the truth.
#[allow(clippy::too_many_arguments)]
pub fn score(
    set: &SeriesSet,
    op: &str,
    threshold: f64,
    for_ms: Millis,
    keep_ms: Millis,
    truth: &[Truth],
) -> Candidate {
    let step = set.step_ms;
    let all: Vec<(&Series, (Millis, Millis))> = set
        .series
        .iter()
        .flat_map(|s| {
            firings(s, op, threshold, for_ms, keep_ms, step)
                .into_iter()
                .map(move |f| (s, f))
        })
        .collect();
    let matches = |f: (Millis, Millis), s: &Series, t: &Truth| {
        f.0 <= t.end + step && f.1 >= t.start - step && labels_agree(&s.labels, &t.labels)
    };
    let matched = all
        .iter()
        .filter(|(s, f)| truth.iter().any(|t| matches(*f, s, t)))
        .count();
    let mut detected = 0;
    let (mut detection, mut reset) = (Vec::new(), Vec::new());
    for t in truth {
        let hits: Vec<(Millis, Millis)> = all
            .iter()
            .filter(|(s, f)| matches(*f, s, t))
            .map(|(_, f)| *f)
            .collect();
        if let (Some(first), Some(last)) = (
            hits.iter().map(|f| f.0).min(),
            hits.iter().map(|f| f.1).max(),
        ) {
            detected += 1;
            detection.push((first - t.start) as f64 / 1000.0);
            reset.push((last - t.end) as f64 / 1000.0);
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let weeks = ((set.span.1 - set.span.0 + step) as f64 / (7.0 * 86_400_000.0)).max(1e-9);
    Candidate {
        threshold,
        for_s: for_ms as f64 / 1000.0,
        firings: all.len() as u64,
        firings_per_week: all.len() as f64 / weeks,
        precision: (!all.is_empty()).then(|| matched as f64 / all.len() as f64),
        recall: (!truth.is_empty()).then(|| detected as f64 / truth.len() as f64),
        detection_s: mean(&detection),
        reset_s: mean(&reset),
        pareto: false,
    }
}

/// Candidate thresholds: the current one, the 0th, 5th, … 100th percentiles of
/// all the series' finite values, and the same percentiles of the values on the
/// alerting side of the current threshold (where tuning matters), rounded to 3
/// significant digits.
pub fn threshold_candidates(set: &SeriesSet, op: &str, current: f64) -> Vec<f64> {
    let mut values: Vec<f64> = set
        .series
        .iter()
        .flat_map(|s| s.samples.iter().map(|(_, v)| *v))
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    let alerting: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| holds(op, *v, current))
        .collect();
    let mut out = vec![current];
    for list in [&values, &alerting] {
        if list.is_empty() {
            continue;
        }
        for i in 0..=20 {
            out.push(round3(list[((list.len() - 1) * i) / 20]));
        }
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    format!("{v:.2e}").parse().unwrap_or(v)
}

/// Marks the Pareto front among candidates that fire at all: no other is at
/// least as good on all of precision, recall, firings and detection time, and
/// better on one.
pub fn mark_pareto(candidates: &mut [Candidate]) {
    let key = |c: &Candidate| {
        (
            c.precision.unwrap_or(0.0),
            c.recall.unwrap_or(0.0),
            -(c.firings as f64),
            -c.detection_s.unwrap_or(f64::INFINITY),
        )
    };
    let keys: Vec<_> = candidates
        .iter()
        .filter(|c| c.firings > 0)
        .map(key)
        .collect();
    for candidate in candidates.iter_mut() {
        if candidate.firings == 0 {
            candidate.pareto = false;
            continue;
        }
        let a = key(candidate);
        let dominated = keys.iter().any(|b| {
            b.0 >= a.0
                && b.1 >= a.1
                && b.2 >= a.2
                && b.3 >= a.3
                && (b.0 > a.0 || b.1 > a.1 || b.2 > a.2 || b.3 > a.3)
        });
        candidate.pareto = !dominated;
    }
}

/// DESIGN's choice: the best precision at the best recall reached (full recall
/// when any candidate reaches it), then fewer firings, then the current `for:`
/// (a change of `for:` must earn its place), earlier detection, and the
/// threshold nearest the current one.
pub fn choose(candidates: &[Candidate], current: (f64, f64)) -> Option<&Candidate> {
    let best_recall = candidates
        .iter()
        .filter_map(|c| c.recall)
        .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))))?;
    candidates
        .iter()
        .filter(|c| c.recall == Some(best_recall) && c.precision.is_some())
        .min_by(|a, b| {
            let key = |c: &Candidate| {
                (
                    -c.precision.unwrap_or(0.0),
                    c.firings as f64,
                    (c.for_s - current.1).abs(),
                    c.detection_s.unwrap_or(f64::INFINITY),
                    (c.threshold - current.0).abs(),
                )
            };
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = 60_000;

    fn series(values: &[f64]) -> Series {
        Series {
            labels: BTreeMap::new(),
            samples: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as Millis * S, *v))
                .collect(),
        }
    }

    #[test]
    fn a_period_fires_only_when_it_outlasts_for() {
        // True at 1, 2, 3 minutes: the condition holds from 1m until 4m (3m).
        let s = series(&[0.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(firings(&s, ">", 0.5, 0, 0, S), vec![(S, 4 * S)]);
        assert_eq!(firings(&s, ">", 0.5, 2 * S, 0, S), vec![(3 * S, 4 * S)]);
        assert_eq!(
            firings(&s, ">", 0.5, 3 * S, 0, S),
            vec![],
            "exactly for: long"
        );
        assert_eq!(firings(&s, "<", 0.5, 0, 0, S), vec![(0, S), (4 * S, 6 * S)]);
    }

    #[test]
    fn keep_firing_for_bridges_gaps_up_to_k() {
        // Periods [1m,2m) and [3m,4m): a gap of one minute.
        let s = series(&[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(firings(&s, ">", 0.5, 0, S, S), vec![(S, 5 * S)]);
        assert_eq!(firings(&s, ">", 0.5, 0, S - 1, S).len(), 2);
    }

    #[test]
    fn precision_recall_and_detection_by_hand() {
        // Two bursts; only the second was actionable.
        let set = SeriesSet {
            series: vec![series(&[0.0, 5.0, 0.0, 0.0, 9.0, 9.0, 0.0])],
            step_ms: S,
            span: (0, 6 * S),
        };
        let truth = [Truth {
            start: 4 * S,
            end: 6 * S,
            labels: BTreeMap::new(),
        }];
        let low = score(&set, ">", 1.0, 0, 0, &truth);
        assert_eq!(
            (low.firings, low.precision, low.recall),
            (2, Some(0.5), Some(1.0))
        );
        assert_eq!(low.detection_s, Some(0.0));
        let high = score(&set, ">", 6.0, 0, 0, &truth);
        assert_eq!(
            (high.firings, high.precision, high.recall),
            (1, Some(1.0), Some(1.0))
        );
        let too_high = score(&set, ">", 9.0, 0, 0, &truth);
        assert_eq!((too_high.firings, too_high.recall), (0, Some(0.0)));
        let mut all = vec![low.clone(), high.clone(), too_high];
        mark_pareto(&mut all);
        assert!(!all[0].pareto && all[1].pareto && !all[2].pareto);
        assert_eq!(choose(&all, (1.0, 0.0)), Some(&all[1]));
    }
}
