//! `burn_rate` advice: what the replay of an SLO's window pairs says to change.
//!
//! - A pair that can never fire at its objective (`factor × budget ≥ 1`: an
//!   error ratio above 100 %; the workbook's 14.4× at a 90 % SLO): a factor
//!   that can.
//! - A pair whose budget events went unseen (significant for it, and caught by
//!   no pair of the SLO): the factor or `for:` that catches them.
//! - A pair that pages on events that spent little budget (precision below
//!   one half): the factor or `for:` with the best precision that still
//!   catches every event it caught.
//! - A ticket pair whose every episode fired while a page of the same SLO was
//!   paging: it tells no one anything new (an `inhibit_rules` entry, no patch).
//!
//! Each change is replayed over the same series; the chosen one and the other
//! candidates are in the evidence with their episodes, precision, recall and
//! detection time. Patches change the factor's literals or `for:`.

use super::{is_paging_severity, Advice};
use crate::rules::burn_rate::{BurnRateAlert, WindowPair};
use crate::rules::patch::Change;
use crate::rules::threshold::format_value;
use crate::rules::RuleFile;
use crate::slo::score::{agree, median};
use crate::slo::{Outcome, Replayer, SloRun};
use crate::timefmt::{format_duration, Millis};
use serde_json::{json, Map, Value};

/// Precision below which a pair is said to page on small events.
pub const LOW_PRECISION: f64 = 0.5;

/// One replayed setting of a pair.
struct Candidate {
    factor: f64,
    for_ms: Millis,
    /// A minimum-traffic guard: requests over the long window, and the guard's PromQL.
    guard: Option<(f64, String)>,
    outcome: Outcome,
}

/// A setting to replay: factor, `for:`, and an optional minimum of requests.
type Setting = (f64, Millis, Option<f64>);

impl Candidate {
    /// The pair as written, with its replay.
    fn current(alert: &BurnRateAlert, pair: &WindowPair, now: &Outcome) -> Candidate {
        Candidate {
            factor: pair.factor,
            for_ms: alert.for_ms,
            guard: None,
            outcome: now.clone(),
        }
    }

    fn figures(&self, weeks: f64) -> Value {
        let o = &self.outcome;
        json!({
            "factor": self.factor,
            "for": format_duration(self.for_ms),
            "min_requests": self.guard.as_ref().map(|g| g.0),
            "episodes": o.episodes.len(),
            "alerts_per_week": o.episodes.len() as f64 / weeks,
            "precision": o.precision(),
            "recall": o.recall(),
            "detected_events": o.score.detected,
            "significant_events": o.score.significant,
            "detection_p50_s": median(&o.score.detections_s),
        })
    }
}

/// Three significant digits: 14.4 × 0.6 = 8.64, not 8.639999.
fn round3(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.2e}").parse().unwrap_or(x)
}

/// The advice for every pair of every SLO run; `files` for patches (the
/// alerts' `rule` indices count the files' rules in order).
pub fn advise(replayer: &Replayer, runs: &[SloRun], files: &[RuleFile]) -> Vec<Advice> {
    let places: Vec<(usize, usize)> = files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| (0..f.rules.len()).map(move |ri| (fi, ri)))
        .collect();
    let mut out = Vec::new();
    for run in runs {
        let current: Vec<Vec<Option<Outcome>>> = run
            .alerts
            .iter()
            .map(|a| {
                a.pairs
                    .iter()
                    .map(|p| replayer.pair(run, a, p, p.factor, a.for_ms).ok())
                    .collect()
            })
            .collect();
        // Events some pair of the SLO caught.
        let caught: Vec<bool> = (0..run.events.len())
            .map(|i| {
                current
                    .iter()
                    .flatten()
                    .flatten()
                    .any(|o| o.score.per_event.get(i).is_some_and(Option::is_some))
            })
            .collect();
        for (ai, alert) in run.alerts.iter().enumerate() {
            for (pi, pair) in alert.pairs.iter().enumerate() {
                let place = places.get(alert.rule).copied();
                let Some(now) = &current[ai][pi] else {
                    continue;
                };
                let advice = if pair.factor * pair.budget >= 1.0 {
                    never_fires(replayer, run, alert, pair, now)
                } else {
                    let unseen = run
                        .events
                        .iter()
                        .enumerate()
                        .filter(|(i, v)| {
                            v.budget_spent
                                >= crate::rules::burn_rate::budget_share(pair, run.period_ms)
                                && !caught[*i]
                        })
                        .count();
                    if unseen > 0 {
                        missed(replayer, run, alert, pair, now, unseen)
                    } else if now.precision().is_some_and(|p| p < LOW_PRECISION)
                        && now.episodes.len() >= 2
                    {
                        imprecise(replayer, run, alert, pair, now)
                    } else {
                        None
                    }
                };
                if let Some(mut a) = advice {
                    if let Some((fi, ri)) = place {
                        a.edits = edits(fi, ri, alert, pair, &a);
                    }
                    out.push(a);
                }
            }
        }
        out.extend(duplicate_tickets(run, &current));
    }
    super::attach_patches(files, &mut out);
    out
}

/// The patch instructions for a chosen factor and `for:`.
fn edits(
    fi: usize,
    ri: usize,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    a: &Advice,
) -> Vec<(usize, usize, Change)> {
    let mut changes = Vec::new();
    let change = a.change.as_ref();
    if let Some(f) = change.and_then(|c| c.get("factor")).and_then(Value::as_f64) {
        changes.push((fi, ri, Change::Factor(pair.factor, f)));
    }
    if let Some(guard) = change.and_then(|c| c.get("guard")).and_then(Value::as_str) {
        changes.push((fi, ri, Change::Guard(guard.to_string())));
    }
    if let Some(ms) = change
        .and_then(|c| c.get("for"))
        .and_then(Value::as_str)
        .and_then(|t| crate::timefmt::parse_duration(t).ok())
    {
        if ms != alert.for_ms {
            changes.push((fi, ri, Change::For(ms)));
        }
    }
    changes
}

fn pair_name(pair: &WindowPair) -> String {
    match &pair.short {
        Some(s) => format!("{}/{}", pair.long.text, s.text),
        None => pair.long.text.clone(),
    }
}

fn base_advice(alert: &BurnRateAlert, pair: &WindowPair, summary: String) -> Advice {
    Advice {
        rule: alert.alert.clone(),
        kind: "burn_rate",
        location: Some(alert.location.clone()),
        change: None,
        summary,
        evidence: Map::new(),
        effect: None,
        alternatives: Vec::new(),
        confidence: "medium",
        patch: None,
        patch_note: None,
        edits: Vec::new(),
    }
    .with_pair(pair)
}

trait WithPair {
    fn with_pair(self, pair: &WindowPair) -> Self;
}

impl WithPair for Advice {
    fn with_pair(mut self, pair: &WindowPair) -> Self {
        self.evidence.insert("long".into(), json!(pair.long.text));
        self.evidence
            .insert("short".into(), json!(pair.short.as_ref().map(|w| &w.text)));
        self.evidence.insert("factor".into(), json!(pair.factor));
        self.evidence
            .insert("objective".into(), json!(pair.objective));
        self
    }
}

/// Replays every (factor, for) and keeps those that replayed.
fn replay_all(
    replayer: &Replayer,
    run: &SloRun,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    settings: &[Setting],
) -> Vec<Candidate> {
    settings
        .iter()
        .filter(|(f, _, _)| *f > 0.0 && f * pair.budget < 1.0)
        .filter_map(|&(factor, for_ms, min)| {
            let guard = match (min, &run.requests) {
                (Some(n), Some(selector)) => Some((
                    n,
                    crate::rules::burn_rate::traffic_guard(selector, pair.long.ms, n),
                )),
                _ => None,
            };
            let outcome = replayer
                .pair_with(
                    run,
                    alert,
                    pair,
                    factor,
                    for_ms,
                    guard.as_ref().map(|g| g.1.as_str()),
                )
                .ok()?;
            Some(Candidate {
                factor,
                for_ms,
                guard,
                outcome,
            })
        })
        .collect()
}

/// Minimum-traffic guards worth trying: just above the requests over the
/// long window at each episode that was not real, lowest first (single-pair
/// alerts with `--requests` only: the guard goes on the whole expression).
fn guard_levels(
    replayer: &Replayer,
    run: &SloRun,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    now: &Outcome,
) -> Vec<f64> {
    let Some(selector) = &run.requests else {
        return Vec::new();
    };
    if alert.pairs.len() != 1 {
        return Vec::new();
    }
    let false_starts: Vec<Millis> = now
        .episodes
        .iter()
        .zip(&now.score.real)
        .filter(|(_, real)| !**real)
        .map(|(e, _)| e.active_at)
        .collect();
    let Ok(rates) = replayer.sum_at(selector, &false_starts) else {
        return Vec::new();
    };
    let window_s = pair.long.ms as f64 / 1000.0;
    let mut levels: Vec<f64> = rates
        .into_iter()
        .flatten()
        .map(|rate| round3(rate * window_s * 1.05))
        .filter(|n| *n > 0.0)
        .collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    levels.truncate(8);
    levels
}

/// The chosen candidate's change, summary numbers and the evidence.
fn describe(
    mut advice: Advice,
    replayer: &Replayer,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    now: &Outcome,
    chosen: &Candidate,
    all: &[Candidate],
) -> Advice {
    let now = &Candidate::current(alert, pair, now);
    let weeks = replayer.weeks();
    let mut change = Map::new();
    if chosen.factor != now.factor {
        change.insert("factor".into(), json!(chosen.factor));
    }
    if chosen.for_ms != alert.for_ms {
        change.insert("for".into(), json!(format_duration(chosen.for_ms)));
    }
    if let Some((n, guard)) = &chosen.guard {
        change.insert("min_requests".into(), json!(n));
        change.insert("guard".into(), json!(guard));
    }
    advice.change = Some(Value::Object(change));
    let detection = |c: &Candidate| median(&c.outcome.score.detections_s);
    advice.evidence.insert("before".into(), now.figures(weeks));
    advice
        .evidence
        .insert("after".into(), chosen.figures(weeks));
    advice.evidence.insert(
        "detection_added_s".into(),
        json!(detection(chosen).zip(detection(now)).map(|(a, b)| a - b)),
    );
    advice.evidence.insert(
        "replayed".into(),
        Value::Array(all.iter().map(|c| c.figures(weeks)).collect()),
    );
    advice.confidence = match now.outcome.score.significant + now.outcome.episodes.len() {
        0..=2 => "low",
        3..=9 => "medium",
        _ => "high",
    };
    advice
}

fn percent(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.0} %", x * 100.0))
}

fn setting(c: &Candidate, alert: &BurnRateAlert, pair: &WindowPair) -> String {
    let mut parts = Vec::new();
    if c.factor != pair.factor {
        parts.push(format!("factor {}", format_value(c.factor)));
    }
    if c.for_ms != alert.for_ms {
        parts.push(format!("for: {}", format_duration(c.for_ms)));
    }
    if let Some((n, _)) = &c.guard {
        parts.push(format!(
            "a guard of at least {} requests in {}",
            format_value(*n),
            pair.long.text
        ));
    }
    parts.join(" and ")
}

/// The factor scaled by each of `scales` (three significant digits) with
/// each `for:` of `fors`, each setting once, the current one left out.
fn grid(alert: &BurnRateAlert, pair: &WindowPair, scales: &[f64], fors: &[Millis]) -> Vec<Setting> {
    let current = (pair.factor, alert.for_ms, None);
    let mut settings: Vec<Setting> = Vec::new();
    for scale in scales {
        for &for_ms in fors {
            let setting = (round3(pair.factor * scale), for_ms, None);
            if !settings.contains(&setting) && setting != current {
                settings.push(setting);
            }
        }
    }
    settings
}

/// Best by `key` (smaller first); ties keep the earlier candidate.
fn best_by<K: PartialOrd>(all: &[Candidate], key: impl Fn(&Candidate) -> K) -> Option<&Candidate> {
    all.iter()
        .fold(None, |best: Option<&Candidate>, c| match best {
            Some(b) if key(b) <= key(c) => Some(b),
            _ => Some(c),
        })
}

fn never_fires(
    replayer: &Replayer,
    run: &SloRun,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    now: &Outcome,
) -> Option<Advice> {
    let most = 1.0 / pair.budget;
    let settings: Vec<Setting> = [0.9, 0.6, 0.3]
        .iter()
        .map(|s| (round3(most * s), alert.for_ms, None))
        .collect();
    let all = replay_all(replayer, run, alert, pair, &settings);
    // The most recall, then precision, then the largest factor (fewest pages).
    let chosen = best_by(&all, |c| {
        (
            -c.outcome.recall().unwrap_or(0.0),
            -c.outcome.precision().unwrap_or(0.0),
            -c.factor,
        )
    })?;
    let summary = format!(
        "{} {} can never fire at a {} % objective: {}× the {} budget is an error ratio of {:.0} %; {} can ({} episodes replayed, recall {}).",
        alert.alert,
        pair_name(pair),
        format_value(pair.objective * 100.0),
        format_value(pair.factor),
        format_value(pair.budget),
        pair.factor * pair.budget * 100.0,
        setting(chosen, alert, pair),
        chosen.outcome.episodes.len(),
        percent(chosen.outcome.recall()),
    );
    let advice = base_advice(alert, pair, summary);
    Some(describe(advice, replayer, alert, pair, now, chosen, &all))
}

fn missed(
    replayer: &Replayer,
    run: &SloRun,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    now: &Outcome,
    unseen: usize,
) -> Option<Advice> {
    let settings = grid(
        alert,
        pair,
        &[1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
        &[alert.for_ms, alert.for_ms / 2, 0],
    );
    let all = replay_all(replayer, run, alert, pair, &settings);
    // More events caught, then precision, then the smallest change.
    let chosen = best_by(&all, |c| {
        (
            -(c.outcome.score.detected as f64),
            -c.outcome.precision().unwrap_or(0.0),
            pair.factor - c.factor,
            alert.for_ms - c.for_ms,
        )
    })?;
    if chosen.outcome.score.detected <= now.score.detected {
        return None;
    }
    let summary = format!(
        "{} {} missed {} budget event{} that no pair of the SLO caught (each spent at least {:.1} % of the budget); with {} it catches {} of {} (was {}), {} episodes (was {}), precision {} (was {}).",
        alert.alert,
        pair_name(pair),
        unseen,
        if unseen == 1 { "" } else { "s" },
        crate::rules::burn_rate::budget_share(pair, run.period_ms) * 100.0,
        setting(chosen, alert, pair),
        chosen.outcome.score.detected,
        chosen.outcome.score.significant,
        now.score.detected,
        chosen.outcome.episodes.len(),
        now.episodes.len(),
        percent(chosen.outcome.precision()),
        percent(now.precision()),
    );
    let advice = base_advice(alert, pair, summary);
    Some(describe(advice, replayer, alert, pair, now, chosen, &all))
}

fn imprecise(
    replayer: &Replayer,
    run: &SloRun,
    alert: &BurnRateAlert,
    pair: &WindowPair,
    now: &Outcome,
) -> Option<Advice> {
    let step = replayer.step();
    let mut settings = grid(
        alert,
        pair,
        &[1.0, 1.25, 1.5, 2.0],
        &[
            alert.for_ms,
            (alert.for_ms * 2).max(2 * step),
            (alert.for_ms * 3).max(3 * step),
        ],
    );
    // With the SLO's requests: a minimum-traffic guard, as it is.
    for n in guard_levels(replayer, run, alert, pair, now) {
        settings.push((pair.factor, alert.for_ms, Some(n)));
    }
    let all = replay_all(replayer, run, alert, pair, &settings);
    // Keep every event it caught; then precision, fewer episodes, earlier detection.
    let kept: Vec<Candidate> = all
        .into_iter()
        .filter(|c| c.outcome.score.detected >= now.score.detected)
        .collect();
    let chosen = best_by(&kept, |c| {
        (
            -c.outcome.precision().unwrap_or(0.0),
            c.outcome.episodes.len(),
            median(&c.outcome.score.detections_s).unwrap_or(f64::INFINITY),
        )
    })?;
    if chosen.outcome.precision().unwrap_or(0.0) <= now.precision().unwrap_or(0.0) {
        return None;
    }
    let summary = format!(
        "{} {} fires on events that spent less than its {:.1} % of the budget: precision {} over {} episodes; {} keeps every event it caught ({}) at precision {} over {} episode{}.",
        alert.alert,
        pair_name(pair),
        crate::rules::burn_rate::budget_share(pair, run.period_ms) * 100.0,
        percent(now.precision()),
        now.episodes.len(),
        setting(chosen, alert, pair),
        now.score.detected,
        percent(chosen.outcome.precision()),
        chosen.outcome.episodes.len(),
        if chosen.outcome.episodes.len() == 1 { "" } else { "s" },
    );
    let advice = base_advice(alert, pair, summary);
    Some(describe(advice, replayer, alert, pair, now, chosen, &kept))
}

/// Ticket alerts (not paging) whose every episode overlapped a paging pair's
/// episode with agreeing labels.
fn duplicate_tickets(run: &SloRun, current: &[Vec<Option<Outcome>>]) -> Vec<Advice> {
    let paging = |a: &BurnRateAlert| a.severity.as_deref().is_some_and(is_paging_severity);
    let pages: Vec<(&BurnRateAlert, &crate::slo::replay::Episode)> = run
        .alerts
        .iter()
        .zip(current)
        .filter(|(a, _)| paging(a))
        .flat_map(|(a, outs)| {
            outs.iter()
                .flatten()
                .flat_map(move |o| o.episodes.iter().map(move |e| (a, e)))
        })
        .collect();
    let mut out = Vec::new();
    for (alert, outs) in run.alerts.iter().zip(current) {
        if paging(alert) || pages.is_empty() {
            continue;
        }
        let episodes: Vec<&crate::slo::replay::Episode> =
            outs.iter().flatten().flat_map(|o| &o.episodes).collect();
        if episodes.is_empty() {
            continue;
        }
        // For each ticket episode, the first page already firing with agreeing labels.
        let covering: Option<Vec<&str>> = episodes
            .iter()
            .map(|t| {
                pages
                    .iter()
                    .find(|(_, p)| {
                        agree(&p.labels, &t.labels)
                            && p.start <= t.start
                            && p.end.is_none_or(|end| end >= t.start)
                    })
                    .map(|(a, _)| a.alert.as_str())
            })
            .collect();
        let Some(mut page_names) = covering else {
            continue;
        };
        page_names.sort_unstable();
        page_names.dedup();
        let mut advice = base_advice(
            alert,
            &alert.pairs[0],
            format!(
                "every one of {}'s {} ticket episodes fired while {} was already paging for the same SLO: the ticket tells no one anything new; inhibit it while the page fires.",
                alert.alert,
                episodes.len(),
                page_names.join(" or ")
            ),
        );
        advice.evidence.insert(
            "inhibit_rule".into(),
            json!({
                "source_matchers": [format!("alertname=\"{}\"", page_names[0])],
                "target_matchers": [format!("alertname=\"{}\"", alert.alert)],
                "equal": episodes[0].labels.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            }),
        );
        advice
            .evidence
            .insert("ticket_episodes".into(), json!(episodes.len()));
        advice.patch_note = Some("an Alertmanager inhibit rule, not a rule-file change".into());
        out.push(advice);
    }
    out
}
