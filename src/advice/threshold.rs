//! `threshold`: move the threshold (and perhaps `for:`) where the backtest
//! over the rule's own metric series says the pages are right.
//!
//! Needs a series (`report --series NAME=FILE`, or `alertnoise backtest`),
//! a located threshold in the rule, and actionable episodes to score against.
//! Candidates: the current threshold and the 0th…100th percentiles (in steps
//! of 5) of the series' values, each with the current `for:`, 0s and every
//! step of `--steps` up to 1h. The advice is the best precision at full recall
//! (see `backtest`), given only when it changes something and fires less.

use super::backtest::{self, Candidate, SeriesSet, Truth};
use super::simulate::Effect;
use super::{evidence, Advice, Advisor, Context, Target};
use crate::rules::patch::Change;
use crate::rules::threshold::format_value;
use crate::timefmt::{format_duration, Millis};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The `threshold` advisor (runs for the targets that have a series).
pub struct ThresholdAdvisor;

/// A whole backtest: every candidate, the current setting's scores, the choice.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// The comparison, e.g. `>`.
    pub op: String,
    /// The series' step, in seconds.
    pub step_s: f64,
    /// First and last sample time of the series (RFC 3339).
    pub series_range: (String, String),
    /// Actionable episodes scored against.
    pub actionable_episodes: usize,
    /// The current threshold and `for:`, replayed.
    pub current: Candidate,
    /// The chosen candidate.
    pub chosen: Option<Candidate>,
    /// Every candidate, by threshold then `for:`.
    pub candidates: Vec<Candidate>,
}

/// The actionable episodes of a target that start within the series' span, as backtest truth.
pub fn truth(target: &Target, set: &SeriesSet) -> Vec<Truth> {
    let end = set.span.1 + set.step_ms;
    target
        .fired()
        .filter(|e| e.actionable() == Some(true))
        .filter(|e| e.starts_at().is_some_and(|s| s >= set.span.0 && s < end))
        .filter_map(|e| {
            Some(Truth {
                start: e.starts_at()?,
                end: e.ends_at().unwrap_or(end).max(e.starts_at()?),
                labels: e.labels().map().clone(),
            })
        })
        .collect()
}

/// Runs the backtest of one rule over one series.
pub fn run(
    op: &str,
    current_threshold: f64,
    current_for: Millis,
    keep: Millis,
    set: &SeriesSet,
    truth: &[Truth],
    steps: &[Millis],
) -> Backtest {
    let mut fors: Vec<Millis> = vec![0, current_for];
    fors.extend(steps.iter().copied().filter(|s| *s <= 3_600_000));
    fors.sort_unstable();
    fors.dedup();
    let mut candidates: Vec<Candidate> = backtest::threshold_candidates(set, op, current_threshold)
        .into_iter()
        .flat_map(|t| fors.iter().map(move |f| (t, *f)))
        .map(|(t, f)| backtest::score(set, op, t, f, keep, truth))
        .collect();
    backtest::mark_pareto(&mut candidates);
    let current = backtest::score(set, op, current_threshold, current_for, keep, truth);
    let chosen = backtest::choose(
        &candidates,
        (current_threshold, current_for as f64 / 1000.0),
    )
    .cloned();
    Backtest {
        op: op.to_string(),
        step_s: set.step_ms as f64 / 1000.0,
        series_range: (
            crate::timefmt::format_millis(set.span.0),
            crate::timefmt::format_millis(set.span.1),
        ),
        actionable_episodes: truth.len(),
        current,
        chosen,
        candidates,
    }
}

/// The advice a backtest gives, if the choice changes something and fires less.
pub fn advice_from(target: &Target, bt: &Backtest) -> Option<Advice> {
    let chosen = bt.chosen.as_ref()?;
    let (_, _, rule) = target.rule?;
    let current_for = rule.for_ms.unwrap_or(0);
    let new_for = (chosen.for_s * 1000.0).round() as Millis;
    let same = chosen.threshold == bt.current.threshold && new_for == current_for;
    if same || chosen.firings >= bt.current.firings {
        return None;
    }
    let mut change = Map::new();
    let mut changes = Vec::new();
    if chosen.threshold != bt.current.threshold {
        change.insert("threshold".into(), json!(chosen.threshold));
        changes.push(Change::Threshold(chosen.threshold));
    }
    if new_for != current_for {
        change.insert("for".into(), json!(format_duration(new_for)));
        changes.push(Change::For(new_for));
    }
    let pct = |x: Option<f64>| x.map_or("-".into(), |v| format!("{:.0}%", v * 100.0));
    let mut advice = target.advice(
        "threshold",
        format!(
            "backtest over the metric from {} to {}: `{} {}` with `for: {}` pages {} times instead of {}, precision {} (was {}), recall {} of {} actionable episodes",
            bt.series_range.0.get(..10).unwrap_or_default(),
            bt.series_range.1.get(..10).unwrap_or_default(),
            bt.op,
            format_value(chosen.threshold),
            format_duration(new_for),
            chosen.firings,
            bt.current.firings,
            pct(chosen.precision),
            pct(bt.current.precision),
            pct(chosen.recall),
            bt.actionable_episodes
        ),
    );
    advice.change = Some(Value::Object(change));
    advice.evidence = evidence(json!({
        "op": bt.op,
        "current_threshold": bt.current.threshold,
        "current_for": format_duration(current_for),
        "step_s": bt.step_s,
        "series_range": bt.series_range,
        "actionable_episodes": bt.actionable_episodes,
        "current": bt.current,
        "chosen": chosen,
        "pareto_front": bt.candidates.iter().filter(|c| c.pareto).collect::<Vec<_>>(),
    }));
    let lost = match (bt.current.recall, chosen.recall) {
        (Some(a), Some(b)) if b < a => ((a - b) * bt.actionable_episodes as f64).round() as u64,
        _ => 0,
    };
    // Notifications scale with firings (a model: the history's per-episode count).
    let notifications: u64 = target.fired().map(|e| e.notification_count() as u64).sum();
    let scaled = if bt.current.firings == 0 {
        0
    } else {
        (notifications as f64 * chosen.firings as f64 / bt.current.firings as f64).round() as u64
    };
    advice.effect = Some(Effect {
        episodes_before: bt.current.firings,
        episodes_after: chosen.firings,
        notifications_before: notifications,
        notifications_after: scaled,
        actionable_lost: Some(lost),
        delay_added_s: match (bt.current.detection_s, chosen.detection_s) {
            (Some(a), Some(b)) => ((b - a) * 1000.0).round() / 1000.0,
            _ => 0.0,
        },
        ..Effect::default()
    });
    advice.confidence = match bt.actionable_episodes {
        10.. => "high",
        3.. => "medium",
        _ => "low",
    };
    advice.edits = target.edits(changes);
    Some(advice)
}

impl Advisor for ThresholdAdvisor {
    fn kind(&self) -> &'static str {
        "threshold"
    }

    fn advise(&self, ctx: &Context, target: &Target) -> Vec<Advice> {
        let (Some(set), Some((_, _, rule))) = (ctx.series.get(target.name), target.rule) else {
            return Vec::new();
        };
        let Some(located) = rule.threshold.located() else {
            return Vec::new();
        };
        let truth = truth(target, set);
        if truth.is_empty() {
            return Vec::new();
        }
        let bt = run(
            &located.op,
            located.value,
            rule.for_ms.unwrap_or(0),
            rule.keep_firing_for_ms.unwrap_or(0),
            set,
            &truth,
            &ctx.steps_ms,
        );
        advice_from(target, &bt).into_iter().collect()
    }
}
