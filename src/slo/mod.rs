//! SLO burn-rate alerts replayed over their recorded series: for every
//! window pair of every burn-rate alert (`rules::burn_rate`), the episodes it
//! would have produced, the budget events it should have caught, and the SRE
//! workbook's precision, recall, detection time and reset time, beside the
//! workbook's own formulas.
//!
//! - [`series`] reads `query_range` answers (`--metrics`);
//! - [`evaluate`] evaluates the rules' PromQL at one time over them;
//! - [`replay`] turns evaluations into episodes as Prometheus' rule manager does;
//! - [`events`] finds the periods that spent budget;
//! - [`score`] scores a pair's episodes against them.
//!
//! `docs/slo.md` describes the definitions and `slo.json`.

pub mod evaluate;
pub mod events;
pub mod replay;
pub mod score;
pub mod series;

use crate::fingerprint::fingerprint;
use crate::reviews::{Matcher, Reviews, START_TOLERANCE_MS};
use crate::rules::burn_rate::{self, BurnRateAlert, NotRecognised, WindowPair};
use crate::rules::Rule;
use crate::timefmt::{format_duration, format_millis, Millis};
use evaluate::Evaluator;
use replay::Episode;
use serde::Serialize;
use series::{Labels, SeriesStore};
use std::collections::BTreeMap;

const WEEK_MS: f64 = 7.0 * 86_400_000.0;

/// What `slo` and `report --metrics` write as `slo.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SloReport {
    /// The replayed range: first and last evaluation, and the step.
    pub replayed: Replayed,
    /// One entry per SLO, in the order its first alert appears in the rules.
    pub slos: Vec<Slo>,
    /// Rules with a burn-rate condition that could not be read whole.
    pub not_recognised: Vec<NotRecognised>,
    /// `burn_rate` advice (filled by the caller that advises).
    pub advice: Vec<crate::advice::Advice>,
}

/// The range the series cover.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    /// First evaluation (RFC 3339).
    pub start: String,
    /// Last evaluation (RFC 3339).
    pub end: String,
    /// The evaluation step (Prometheus duration).
    pub step: String,
    /// Weeks covered (for `alerts_per_week`).
    pub weeks: f64,
}

/// One SLO: its burn-rate pairs and the budget events of its error ratio.
#[derive(Debug, Clone, Serialize)]
pub struct Slo {
    /// The SLO's name.
    pub name: String,
    /// The objective (0.999).
    pub objective: f64,
    /// The SLO period (Prometheus duration).
    pub period: String,
    /// Where the period comes from.
    pub period_from: String,
    /// `file:line` of every alert rule of the SLO.
    pub rules: Vec<String>,
    /// The series whose values are the error ratio the events are read from
    /// (the shortest window of the SLO's pairs).
    pub error_ratio: Option<String>,
    /// Every pair of every alert of the SLO.
    pub pairs: Vec<PairReport>,
    /// Every alert rule as written (all its pairs together).
    pub alerts: Vec<AlertReport>,
    /// Periods with the error ratio above the budget.
    pub events: Vec<EventReport>,
    /// What could not be replayed, and why.
    pub problems: Vec<String>,
}

/// One window pair's replay.
#[derive(Debug, Clone, Serialize)]
pub struct PairReport {
    /// The alert's name.
    pub alert: String,
    /// `file:line` of the rule.
    pub location: String,
    /// Long window.
    pub long: String,
    /// Short window (null for a single-window alert).
    pub short: Option<String>,
    /// Burn-rate factor.
    pub factor: f64,
    /// The rule's `for:`.
    #[serde(rename = "for")]
    pub for_: String,
    /// The rule's severity.
    pub severity: Option<String>,
    /// The share of the period's budget the pair lets burn over its long
    /// window before it fires (`factor × long ÷ period`): events that spent
    /// at least this much are the ones it must catch.
    pub budget_share: f64,
    /// Episodes it would have produced (null when it could not be replayed).
    pub episodes: Option<usize>,
    /// Episodes per week of the replayed range.
    pub alerts_per_week: Option<f64>,
    /// Episodes that met a significant event (or a review called actionable) ÷ episodes.
    pub precision: Option<f64>,
    /// Significant events it met ÷ significant events.
    pub recall: Option<f64>,
    /// Significant events for this pair.
    pub significant_events: usize,
    /// Of them, the ones it met.
    pub detected_events: usize,
    /// Median seconds from a significant event's start to the first firing.
    pub detection_p50_s: Option<f64>,
    /// Worst of those.
    pub detection_max_s: Option<f64>,
    /// Median seconds from a detected event's end to the alert's end.
    pub reset_p50_s: Option<f64>,
    /// The workbook's detection time at a total outage (error ratio 1):
    /// `long × factor × budget`, plus `for:`.
    pub workbook_detection_at_outage_s: f64,
    /// The episodes it would have produced.
    pub firings: Vec<Firing>,
}

/// One replayed episode.
#[derive(Debug, Clone, Serialize)]
pub struct Firing {
    /// When it fired (RFC 3339).
    pub start: String,
    /// When it resolved (RFC 3339); null while still firing at the end.
    pub end: Option<String>,
    /// Its labels from the expression.
    pub labels: BTreeMap<String, String>,
}

impl Firing {
    fn of(e: &Episode) -> Firing {
        Firing {
            start: format_millis(e.start),
            end: e.end.map(format_millis),
            labels: label_map(&e.labels),
        }
    }
}

/// One alert rule as written.
#[derive(Debug, Clone, Serialize)]
pub struct AlertReport {
    /// The alert's name.
    pub alert: String,
    /// `file:line`.
    pub location: String,
    /// Episodes the whole expression would have produced.
    pub episodes: Option<usize>,
    /// Per week.
    pub alerts_per_week: Option<f64>,
    /// The episodes.
    pub firings: Vec<Firing>,
}

/// One budget event.
#[derive(Debug, Clone, Serialize)]
pub struct EventReport {
    /// First evaluation above the budget (RFC 3339).
    pub start: String,
    /// First evaluation at or below it again (RFC 3339).
    pub end: String,
    /// Still burning at the end of the series.
    pub open: bool,
    /// The error ratio series' labels.
    pub labels: BTreeMap<String, String>,
    /// Share of the period's budget spent (0.25 = a quarter).
    pub budget_spent: f64,
    /// Mean error ratio over the event.
    pub mean_error_ratio: f64,
    /// Highest error ratio.
    pub peak_error_ratio: f64,
    /// How each pair did on it.
    pub detections: Vec<Detection>,
}

/// A pair on one event.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// The alert's name.
    pub alert: String,
    /// Long window.
    pub long: String,
    /// Short window.
    pub short: Option<String>,
    /// Whether the event spent at least the pair's budget share.
    pub significant: bool,
    /// Seconds from the event's start to the first firing; null when missed.
    pub detection_s: Option<f64>,
    /// The workbook's expectation at the event's mean error ratio:
    /// `long × factor × budget ÷ ratio` plus `for:`; null when the ratio never
    /// reaches `factor × budget`.
    pub expected_detection_s: Option<f64>,
    /// The share of the period's budget the event had spent when the pair
    /// fired (its mean ratio over the detection time, at most what the
    /// whole event spent); null when missed.
    pub budget_spent_before_alert: Option<f64>,
}

/// Settings of an SLO replay.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--slo-period`: the period for every SLO, instead of what the rules say.
    pub period_ms: Option<Millis>,
    /// `--requests [SLO=]SELECTOR`: a recorded series of requests per second,
    /// for one SLO or (without `SLO=`) every SLO.
    pub requests: Vec<(Option<String>, String)>,
}

/// What the replay of one SLO keeps for the advice: its alerts, period and
/// budget events.
#[derive(Debug, Clone)]
pub struct SloRun {
    /// The SLO's name.
    pub name: String,
    /// Its period in milliseconds.
    pub period_ms: Millis,
    /// Its burn-rate alerts.
    pub alerts: Vec<BurnRateAlert>,
    /// Its budget events.
    pub events: Vec<events::Event>,
    /// The selector of its requests per second (`--requests`), if given.
    pub requests: Option<String>,
}

/// One pair replayed with some factor and `for:`, and scored.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Its episodes.
    pub episodes: Vec<Episode>,
    /// Its score against the SLO's events.
    pub score: score::Score,
}

impl Outcome {
    /// Episodes that met a significant event (or a review called real) ÷ episodes.
    pub fn precision(&self) -> Option<f64> {
        let n = self.episodes.len();
        (n > 0).then(|| self.score.true_episodes as f64 / n as f64)
    }

    /// Significant events met ÷ significant events.
    pub fn recall(&self) -> Option<f64> {
        let s = &self.score;
        (s.significant > 0).then(|| s.detected as f64 / s.significant as f64)
    }
}

/// Replays every burn-rate alert in `rules` over `store`.
pub fn analyse(
    rules: &[&Rule],
    store: &SeriesStore,
    reviews: Option<&Reviews>,
    options: &Options,
) -> SloReport {
    analyse_with_runs(&Replayer::new(rules, store, reviews), options).0
}

/// [`analyse`], also giving each SLO's run for the advice.
pub fn analyse_with_runs(replayer: &Replayer, options: &Options) -> (SloReport, Vec<SloRun>) {
    let recognised = burn_rate::recognise(replayer.rules);
    let mut groups: Vec<(String, f64, Vec<&BurnRateAlert>)> = Vec::new();
    for alert in &recognised.alerts {
        let objective = alert.pairs[0].objective;
        match groups
            .iter_mut()
            .find(|(name, o, _)| *name == alert.slo && *o == objective)
        {
            Some(group) => group.2.push(alert),
            None => groups.push((alert.slo.clone(), objective, vec![alert])),
        }
    }
    let mut runs = Vec::new();
    let slos = groups
        .into_iter()
        .map(|(name, objective, alerts)| {
            let (period_ms, period_from) = match (options.period_ms, recognised.periods.get(&name))
            {
                (Some(p), _) => (p, "--slo-period".to_string()),
                (None, Some(&p)) => (
                    p,
                    "the rule files (Sloth's slo:time_period:days or Pyrra's exhaustion label)"
                        .to_string(),
                ),
                (None, None) => (
                    burn_rate::DEFAULT_PERIOD_MS,
                    "the SRE workbook's 30 days (nothing in the rules says; set --slo-period)"
                        .to_string(),
                ),
            };
            let (slo, mut run) = replayer.slo(name, objective, period_ms, period_from, &alerts);
            run.requests = options
                .requests
                .iter()
                .find(|(slo, _)| slo.as_deref() == Some(run.name.as_str()))
                .or_else(|| options.requests.iter().find(|(slo, _)| slo.is_none()))
                .map(|(_, selector)| selector.clone());
            runs.push(run);
            slo
        })
        .collect();
    let store = replayer.store;
    let report = SloReport {
        replayed: Replayed {
            start: format_millis(store.span.0),
            end: format_millis(store.span.1),
            step: format_duration(replayer.step),
            weeks: replayer.weeks,
        },
        slos,
        not_recognised: recognised.not_recognised,
        advice: Vec::new(),
    };
    (report, runs)
}

/// Replays expressions over a store of series at the series' own times.
pub struct Replayer<'a> {
    rules: &'a [&'a Rule],
    store: &'a SeriesStore,
    times: Vec<Millis>,
    step: Millis,
    weeks: f64,
    reviews: Option<&'a Reviews>,
}

impl<'a> Replayer<'a> {
    /// A replayer over `store` for the alerts of `rules`, with review verdicts.
    pub fn new(
        rules: &'a [&'a Rule],
        store: &'a SeriesStore,
        reviews: Option<&'a Reviews>,
    ) -> Self {
        let step = store.step_ms;
        Replayer {
            rules,
            store,
            times: store.times(),
            step,
            weeks: (store.span.1 - store.span.0 + step) as f64 / WEEK_MS,
            reviews,
        }
    }

    /// The value of `sum(selector)` at each of `times` (absent: `None`).
    pub fn sum_at(&self, selector: &str, times: &[Millis]) -> Result<Vec<Option<f64>>, String> {
        let evaluator = self.prepare(&format!("sum({selector})"))?;
        Ok(times
            .iter()
            .map(|&t| match evaluator.at(t) {
                evaluate::Value::Vector(v) => v.first().map(|s| s.value),
                evaluate::Value::Scalar(x) => Some(x),
            })
            .collect())
    }

    /// Weeks the series cover.
    pub fn weeks(&self) -> f64 {
        self.weeks
    }

    /// The evaluation step.
    pub fn step(&self) -> Millis {
        self.step
    }

    /// Replays one pair of `alert` with the burn-rate factor `factor` and
    /// `for: for_ms`, and scores it against `run`'s events.
    pub fn pair(
        &self,
        run: &SloRun,
        alert: &BurnRateAlert,
        pair: &WindowPair,
        factor: f64,
        for_ms: Millis,
    ) -> Result<Outcome, String> {
        self.pair_with(run, alert, pair, factor, for_ms, None)
    }

    /// [`Replayer::pair`] with a guard every alert must also pass (`and on() GUARD`).
    pub fn pair_with(
        &self,
        run: &SloRun,
        alert: &BurnRateAlert,
        pair: &WindowPair,
        factor: f64,
        for_ms: Millis,
        guard: Option<&str>,
    ) -> Result<Outcome, String> {
        let text = match guard {
            Some(g) => burn_rate::guarded(&pair.condition, g),
            None => pair.condition.clone(),
        };
        let mut expr =
            promql_parser::parser::parse(&text).map_err(|e| format!("`{}`: {e}", text.trim()))?;
        if factor != pair.factor && burn_rate::set_factor(&mut expr, pair.factor, factor) == 0 {
            return Err(format!("no factor {} in `{}`", pair.factor, pair.condition));
        }
        let evaluator = self.evaluator(expr, &text)?;
        let episodes = replay::replay(&evaluator, &self.times, for_ms, alert.keep_firing_for_ms);
        let rule = self.rules[alert.rule];
        let verdict = |e: &Episode| self.verdict(rule, e);
        let share = burn_rate::budget_share(pair, run.period_ms);
        let tolerance = pair.short.as_ref().unwrap_or(&pair.long).ms;
        let score = score::score(&episodes, &run.events, share, tolerance, &verdict);
        Ok(Outcome { episodes, score })
    }
}

impl Replayer<'_> {
    /// Parses `text` and builds its evaluator, or says why it cannot be replayed.
    fn prepare(&self, text: &str) -> Result<Evaluator<'_>, String> {
        let expr =
            promql_parser::parser::parse(text).map_err(|e| format!("`{}`: {e}", text.trim()))?;
        self.evaluator(expr, text)
    }

    /// The evaluator of a parsed `expr` (written `text`), or why it cannot be replayed.
    fn evaluator(
        &self,
        expr: promql_parser::parser::Expr,
        text: &str,
    ) -> Result<Evaluator<'_>, String> {
        let evaluator =
            Evaluator::new(self.store, expr).map_err(|e| format!("`{}`: {e}", text.trim()))?;
        let missing = evaluator.unmatched();
        if !missing.is_empty() {
            return Err(format!(
                "no recorded series for {} (give --metrics the query_range answers of these selectors)",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(evaluator)
    }

    fn slo(
        &self,
        name: String,
        objective: f64,
        period_ms: Millis,
        period_from: String,
        alerts: &[&BurnRateAlert],
    ) -> (Slo, SloRun) {
        let mut problems = Vec::new();
        let budget = 1.0 - objective;
        // The error ratio: the shortest window any pair reads.
        let shortest = alerts
            .iter()
            .flat_map(|a| &a.pairs)
            .map(|p| match (&p.short, &p.short_series) {
                (Some(w), Some(s)) => (w.ms, s.clone()),
                _ => (p.long.ms, p.long_series.clone()),
            })
            .min_by_key(|(ms, _)| *ms);
        let events = match &shortest {
            Some((_, text)) => match self.prepare(text) {
                Ok(evaluator) => {
                    events::find(&evaluator, &self.times, self.step, budget, period_ms)
                }
                Err(why) => {
                    problems.push(format!("budget events: {why}"));
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        let run = SloRun {
            name: name.clone(),
            period_ms,
            alerts: alerts.iter().map(|a| (*a).clone()).collect(),
            events,
            requests: None,
        };
        let events = &run.events;
        let mut pairs = Vec::new();
        let mut alert_reports = Vec::new();
        let mut detections: Vec<Vec<Detection>> = vec![Vec::new(); events.len()];
        for alert in alerts {
            let rule = self.rules[alert.rule];
            let whole = self.prepare(&rule.expr).map(|evaluator| {
                replay::replay(
                    &evaluator,
                    &self.times,
                    alert.for_ms,
                    alert.keep_firing_for_ms,
                )
            });
            if let Err(why) = &whole {
                problems.push(format!("{} ({}): {why}", alert.alert, alert.location));
            }
            let whole = whole.ok();
            let n = whole.as_ref().map(Vec::len);
            alert_reports.push(AlertReport {
                alert: alert.alert.clone(),
                location: alert.location.clone(),
                episodes: n,
                alerts_per_week: n.map(|n| n as f64 / self.weeks),
                firings: whole.iter().flatten().map(Firing::of).collect(),
            });
            for pair in &alert.pairs {
                let share = burn_rate::budget_share(pair, period_ms);
                let outcome = match self.pair(&run, alert, pair, pair.factor, alert.for_ms) {
                    Ok(o) => Some(o),
                    Err(why) => {
                        if alert.pairs.len() > 1 {
                            problems.push(format!(
                                "{} {} pair: {why}",
                                alert.alert,
                                window_pair(pair)
                            ));
                        }
                        None
                    }
                };
                let episodes = outcome.as_ref().map(|o| &o.episodes);
                let scored = outcome.as_ref().map(|o| &o.score);
                for (i, v) in events.iter().enumerate() {
                    let threshold = pair.factor * pair.budget;
                    let detection_s = scored.as_ref().and_then(|s| s.per_event[i]);
                    detections[i].push(Detection {
                        alert: alert.alert.clone(),
                        long: pair.long.text.clone(),
                        short: pair.short.as_ref().map(|w| w.text.clone()),
                        significant: v.budget_spent >= share,
                        detection_s,
                        budget_spent_before_alert: detection_s.map(|d| {
                            (d * 1000.0 * v.mean_ratio / (budget * period_ms as f64))
                                .min(v.budget_spent)
                        }),
                        expected_detection_s: (v.mean_ratio > threshold).then(|| {
                            pair.long.ms as f64 / 1000.0 * threshold / v.mean_ratio
                                + alert.for_ms as f64 / 1000.0
                        }),
                    });
                }
                let n = episodes.map(Vec::len);
                pairs.push(PairReport {
                    alert: alert.alert.clone(),
                    location: alert.location.clone(),
                    long: pair.long.text.clone(),
                    short: pair.short.as_ref().map(|w| w.text.clone()),
                    factor: pair.factor,
                    for_: format_duration(alert.for_ms),
                    severity: alert.severity.clone(),
                    budget_share: share,
                    episodes: n,
                    alerts_per_week: n.map(|n| n as f64 / self.weeks),
                    precision: outcome.as_ref().and_then(Outcome::precision),
                    recall: outcome.as_ref().and_then(Outcome::recall),
                    significant_events: scored.as_ref().map_or(0, |s| s.significant),
                    detected_events: scored.as_ref().map_or(0, |s| s.detected),
                    detection_p50_s: scored.as_ref().and_then(|s| score::median(&s.detections_s)),
                    detection_max_s: scored
                        .as_ref()
                        .and_then(|s| s.detections_s.iter().copied().reduce(f64::max)),
                    reset_p50_s: scored.as_ref().and_then(|s| score::median(&s.resets_s)),
                    workbook_detection_at_outage_s: pair.long.ms as f64 / 1000.0
                        * pair.factor
                        * pair.budget
                        + alert.for_ms as f64 / 1000.0,
                    firings: episodes.into_iter().flatten().map(Firing::of).collect(),
                });
            }
        }
        let reports = events
            .iter()
            .zip(detections)
            .map(|(v, detections)| EventReport {
                start: format_millis(v.start),
                end: format_millis(v.end),
                open: v.open,
                labels: label_map(&v.labels),
                budget_spent: v.budget_spent,
                mean_error_ratio: v.mean_ratio,
                peak_error_ratio: v.peak_ratio,
                detections,
            })
            .collect();
        let slo = Slo {
            name,
            objective,
            period: period_text(period_ms),
            period_from,
            rules: alerts.iter().map(|a| a.location.clone()).collect(),
            error_ratio: shortest.map(|(_, s)| s),
            pairs,
            alerts: alert_reports,
            events: reports,
            problems,
        };
        (slo, run)
    }

    /// A review's verdict on a replayed episode: by fingerprint and start, by
    /// rule and start (within a minute plus one step: replayed evaluations are
    /// the series' times, not the rule group's), or by rule alone; the most
    /// specific wins, then the later row.
    fn verdict(&self, rule: &Rule, episode: &Episode) -> Option<bool> {
        let reviews = self.reviews?;
        let tolerance = START_TOLERANCE_MS + self.step;
        let near = |at: Millis| (at - episode.start).abs() <= tolerance;
        let fp = || {
            let mut labels: BTreeMap<String, String> = episode.labels.iter().cloned().collect();
            for (k, v) in &rule.labels {
                if !v.text.contains("{{") {
                    labels.insert(k.clone(), v.text.clone());
                }
            }
            labels.insert("alertname".into(), rule.name.clone());
            fingerprint(&labels)
        };
        reviews
            .verdicts
            .iter()
            .filter_map(|v| {
                let rank = match &v.matcher {
                    Matcher::FingerprintAt(f, at) if near(*at) && *f == fp() => 3,
                    Matcher::RuleAt(name, at) if *name == rule.name && near(*at) => 2,
                    Matcher::Rule(name) if *name == rule.name => 1,
                    _ => return None,
                };
                Some((rank, v.line, v.actionable))
            })
            .max()
            .map(|(_, _, actionable)| actionable)
    }
}

/// An SLO period as SLO tools write it: whole days as `30d`, `28d` (Prometheus
/// would print `4w2d`), anything else in Prometheus syntax.
pub fn period_text(ms: Millis) -> String {
    if ms > 0 && ms % 86_400_000 == 0 {
        format!("{}d", ms / 86_400_000)
    } else {
        format_duration(ms)
    }
}

fn window_pair(pair: &WindowPair) -> String {
    match &pair.short {
        Some(s) => format!("{}/{}", pair.long.text, s.text),
        None => pair.long.text.clone(),
    }
}

/// Labels as a map, for JSON.
pub fn label_map(labels: &Labels) -> BTreeMap<String, String> {
    labels.iter().cloned().collect()
}
