//! `report.html`: the review-meeting page to look at rather than read. The
//! same parts as `report.md` (shared through [`markdown::page_model`]) plus
//! charts: the noise leaderboard split by reason, firings per hour of week,
//! each noisy rule's durations against its `for:`, the trade-off curve
//! behind each recommendation, and each rule's noise across recorded runs.

use super::advice_section::{AdviceRow, AdviceSection};
use super::charts::{durations, heatmap, leaderboard, sparkline, tradeoff};
use super::markdown::{self, display_name_of, LeaderRow, Section, RAW};
use super::page;
use super::ReportInput;
use crate::advice::{Advice, Alternative};
use crate::episodes::Name;
use crate::error::Result;
use crate::metrics::off_hours::LocalClock;
use crate::metrics::{episode_facts, Settings};
use minijinja::value::Serde;
use polars::prelude::{ChunkAgg, DataFrame};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("templates/report.html.j2");

/// How many rules the leaderboard chart and the heatmap show.
const CHARTED: usize = 15;

/// What the episodes of one rule (row of `rules.json`) add up to, for charts.
#[derive(Debug, Default)]
pub struct RuleFacts {
    /// Noisy episodes that were short.
    pub short: u32,
    /// Noisy episodes that were refires and not short.
    pub refire: u32,
    /// Noisy episodes reviewed not actionable, neither short nor refires.
    pub not_actionable: u32,
    /// Episode starts per hour of week in `--tz`.
    pub hours: Vec<u32>,
    /// Firing durations of the resolved episodes, in seconds.
    pub firing_s: Vec<f64>,
}

/// A row's group in the charts' sums: its rule's code and its `--by` label's value.
type GroupKey<'a> = (Option<u32>, Option<&'a str>);

/// Reads the per-episode facts into per-rule sums, keyed like the rows
/// (`markdown::display_name`). `prepared` is the frame `metrics::prepare`
/// made (the report passes it, so the flags are not computed twice);
/// `rules` are the episode table's rule names.
pub fn rule_facts(
    prepared: &DataFrame,
    settings: &Settings,
    rules: &[Name],
) -> Result<BTreeMap<String, RuleFacts>> {
    let mut facts = episode_facts(prepared, settings)?;
    // One chunk per column: the rows are read through the arrays' own
    // iterators, not polars' boxed ones.
    facts.rechunk_mut_par();
    let start = facts.column("start_ms")?.i64()?;
    // The zone's offset is looked up once per hour of the window.
    let clock = LocalClock::new(&settings.business_hours, start.min(), start.max());
    // Stretches of rows summed side by side, then added up in order (so
    // each rule's durations stay in the rows' order).
    let rows = facts.height();
    let pieces = (4 * rayon::current_num_threads()).clamp(1, rows.max(1));
    let stretches: Vec<(usize, usize)> = (0..pieces)
        .map(|k| (k * rows / pieces, (k + 1) * rows / pieces))
        .filter(|(from, to)| to > from)
        .collect();
    let sums = stretches
        .into_par_iter()
        .map(|(from, to)| {
            let stretch = facts.slice(from as i64, to - from);
            stretch_facts(&stretch, settings, rules, &clock)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut total: BTreeMap<String, RuleFacts> = BTreeMap::new();
    for stretch in sums {
        for (name, part) in stretch {
            match total.entry(name) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(part);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => slot.get_mut().add(part),
            }
        }
    }
    Ok(total)
}

impl RuleFacts {
    /// Adds the sums of later rows of the same rule.
    fn add(&mut self, later: RuleFacts) {
        self.short += later.short;
        self.refire += later.refire;
        self.not_actionable += later.not_actionable;
        for (hour, n) in self.hours.iter_mut().zip(later.hours) {
            *hour += n;
        }
        self.firing_s.extend(later.firing_s);
    }
}

/// [`rule_facts`] of some consecutive rows of the facts frame.
fn stretch_facts(
    facts: &DataFrame,
    settings: &Settings,
    rules: &[Name],
    clock: &LocalClock,
) -> Result<BTreeMap<String, RuleFacts>> {
    let rule = facts.column(crate::metrics::RULE_COLUMN)?.u32()?;
    let by = match &settings.by {
        Some(label) => Some((label.as_str(), facts.column(label.as_str())?.str()?)),
        None => None,
    };
    let start = facts.column("start_ms")?.i64()?;
    let dur = facts.column("dur_ms")?.i64()?;
    let flag = |name: &str| facts.column(name).and_then(|c| c.bool().cloned());
    let (resolved, short, refire, not_actionable) = (
        flag("resolved")?,
        flag("short")?,
        flag("refire")?,
        flag("reviewed_not_actionable")?,
    );
    // Each group's name is made once: the rows find their group by the
    // rule's code and the label's value (the last row's group first: the
    // table's rows come by rule).
    let mut groups: fnv::FnvHashMap<GroupKey, usize> = Default::default();
    let mut last: Option<(GroupKey, usize)> = None;
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut sums: Vec<RuleFacts> = Vec::new();
    let values = by
        .as_ref()
        .map(|(_, values)| values.downcast_as_array().iter());
    let mut values = values.into_iter().flatten();
    let flags = (resolved.downcast_as_array().iter())
        .zip(short.downcast_as_array().iter())
        .zip(refire.downcast_as_array().iter())
        .zip(not_actionable.downcast_as_array().iter());
    let rows = (rule.downcast_as_array().iter())
        .zip(start.downcast_as_array().iter())
        .zip(dur.downcast_as_array().iter())
        .zip(flags);
    for (((code, start), dur), (((resolved, short), refire), not_actionable)) in rows {
        let key = (code.copied(), values.next().flatten());
        let at = match last {
            Some((known, at)) if known == key => at,
            _ => {
                let at = *groups.entry(key).or_insert_with(|| {
                    let (code, value) = key;
                    let name = code
                        .and_then(|c| crate::metrics::rule_name(rules, c))
                        .unwrap_or("");
                    let key = display_name_of(name, by.as_ref().map(|(label, _)| (*label, value)));
                    *by_name.entry(key).or_insert_with(|| {
                        sums.push(RuleFacts {
                            hours: vec![0; heatmap::HOURS],
                            ..RuleFacts::default()
                        });
                        sums.len() - 1
                    })
                });
                last = Some((key, at));
                at
            }
        };
        let f = &mut sums[at];
        let is = |flag: Option<bool>| flag.unwrap_or(false);
        // Each noisy episode under its first reason, so the parts add up to noisy_episodes.
        if is(short) {
            f.short += 1;
        } else if is(refire) {
            f.refire += 1;
        } else if is(not_actionable) {
            f.not_actionable += 1;
        }
        if let Some(&s) = start {
            let (day, minute) = clock.weekday_and_minute(s).unwrap_or_default();
            f.hours[heatmap::hour_of_week_at(day, minute)] += 1;
        }
        if is(resolved) {
            if let Some(&d) = dur {
                f.firing_s.push(d as f64 / 1000.0);
            }
        }
    }
    let mut sums: Vec<Option<RuleFacts>> = sums.into_iter().map(Some).collect();
    Ok(by_name
        .into_iter()
        .filter_map(|(name, at)| sums[at].take().map(|f| (name, f)))
        .collect())
}

#[derive(Serialize)]
struct HtmlLeader<'a> {
    #[serde(flatten)]
    row: &'a LeaderRow,
    sparkline: String,
}

#[derive(Serialize)]
struct HtmlSection<'a> {
    #[serde(flatten)]
    section: &'a Section,
    durations: String,
    durations_caption: String,
}

#[derive(Serialize)]
struct HtmlAdvice<'a> {
    #[serde(flatten)]
    row: &'a AdviceRow,
    tradeoff: String,
    tradeoff_caption: String,
    patch_lines: Vec<page::DiffLine>,
}

/// The seconds a `for:`-like setting spells (`5m` → 300).
fn setting_seconds(change: &Option<Value>, key: &str) -> Option<f64> {
    let text = change.as_ref()?.get(key)?.as_str()?;
    crate::timefmt::parse_duration(text)
        .ok()
        .map(|ms| ms as f64 / 1000.0)
}

/// The trade-off chart of one recommendation and its caption, if it has one.
fn tradeoff_chart(a: &Advice) -> Result<Option<(String, String)>> {
    let delay_points = |key: &str, resolve: bool| -> Vec<tradeoff::DelayPoint> {
        a.alternatives
            .iter()
            .map(|Alternative { change, effect }| tradeoff::DelayPoint {
                setting: change
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string(),
                delay_s: if resolve {
                    effect.resolve_delay_added_s
                } else {
                    effect.delay_added_s
                },
                removed: effect.episodes_before as f64 - effect.episodes_after as f64,
                loses_actionable: effect.actionable_lost.unwrap_or(0) > 0,
                chosen: a.change.as_ref() == Some(change),
            })
            .collect()
    };
    Ok(match a.kind {
        "raise_for" if !a.alternatives.is_empty() => Some((
            tradeoff::delay_chart(&delay_points("for", false), "detection")?,
            "Episodes removed against the detection delay each candidate `for:` adds; red candidates would have dropped an actionable episode.".into(),
        )),
        "keep_firing_for" if !a.alternatives.is_empty() => Some((
            tradeoff::delay_chart(&delay_points("keep_firing_for", true), "resolution")?,
            "Episodes merged away against the resolution delay each candidate `keep_firing_for:` adds.".into(),
        )),
        "threshold" => {
            let point = |v: &Value, label: Option<String>, chosen: bool, current: bool| {
                Some(tradeoff::ThresholdPoint {
                    label,
                    precision: v.get("precision")?.as_f64()?,
                    recall: v.get("recall")?.as_f64()?,
                    chosen,
                    current,
                })
            };
            let e = &a.evidence;
            let value_of = |v: Option<&Value>| {
                v.and_then(|v| v.get("threshold"))
                    .and_then(Value::as_f64)
                    .map(crate::rules::threshold::format_value)
                    .unwrap_or_default()
            };
            let mut points: Vec<tradeoff::ThresholdPoint> = e
                .get("pareto_front")
                .and_then(Value::as_array)
                .map(|front| front.iter().filter_map(|v| point(v, None, false, false)).collect())
                .unwrap_or_default();
            if let Some(current) = e.get("current") {
                points.extend(point(current, Some(format!("current {}", value_of(Some(current)))), false, true));
            }
            if let Some(chosen) = e.get("chosen") {
                points.extend(point(chosen, Some(format!("advised {}", value_of(Some(chosen)))), true, false));
            }
            (!points.is_empty()).then(|| -> Result<(String, String)> {
                Ok((
                    tradeoff::precision_recall_chart(&points)?,
                    "Precision against recall of the thresholds replayed over the metric (the Pareto front: no other candidate is better in both).".into(),
                ))
            }).transpose()?
        }
        _ => None,
    })
}

/// Renders `report.html`.
pub fn render(input: &ReportInput) -> Result<String> {
    let summary = input.summary;
    let model = markdown::page_model(
        summary,
        input.rules,
        input.problems,
        input.trends,
        usize::MAX,
        RAW,
    );
    let facts = input.charts;
    let weeks = summary.window.days / 7.0;
    let responders_svg = match input.responders.responders.is_empty() {
        true => String::new(),
        false => super::responders::chart(input.responders)?,
    };
    let charted: Vec<&LeaderRow> = model.leaders.iter().take(CHARTED).collect();
    let bars: Vec<leaderboard::NoiseBar> = charted
        .iter()
        .filter(|r| r.sort[2].unwrap_or(0.0) > 0.0)
        .map(|r| {
            let f = facts.get(&r.key);
            let per_week = |n: Option<u32>| n.unwrap_or(0) as f64 / weeks;
            leaderboard::NoiseBar {
                name: r.key.clone(),
                short: per_week(f.map(|f| f.short)),
                refire: per_week(f.map(|f| f.refire)),
                not_actionable: per_week(f.map(|f| f.not_actionable)),
            }
        })
        .collect();
    let leaderboard_svg = if bars.is_empty() {
        String::new()
    } else {
        leaderboard::chart(&bars)?
    };
    let mut busiest: Vec<&LeaderRow> = model.leaders.iter().collect();
    busiest.sort_by(|a, b| {
        b.sort[0]
            .partial_cmp(&a.sort[0])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.key.cmp(&b.key))
    });
    let heat_rows: Vec<heatmap::HeatRow> = busiest
        .iter()
        .take(CHARTED)
        .filter_map(|r| {
            facts.get(&r.key).map(|f| heatmap::HeatRow {
                name: r.key.clone(),
                counts: f.hours.clone(),
            })
        })
        .collect();
    let heatmap_svg = heatmap::chart(&heat_rows, &summary.settings.tz)?;
    let leaders: Vec<HtmlLeader> = model
        .leaders
        .iter()
        .map(|row| {
            Ok(HtmlLeader {
                row,
                sparkline: sparkline::chart(&row.trend_values)?,
            })
        })
        .collect::<Result<_>>()?;
    let current_for = |key: &str| {
        input
            .rules
            .iter()
            .find(|r| markdown::display_name(r, summary.settings.by.as_deref()) == key)
            .and_then(|r| super::rows::num(r, "current_for_s"))
    };
    let sections: Vec<HtmlSection> = model
        .sections
        .iter()
        .map(|section| {
            let recommended = input
                .advice
                .advice
                .iter()
                .find(|a| a.kind == "raise_for" && a.rule == section.rule)
                .and_then(|a| setting_seconds(&a.change, "for"));
            let current = current_for(&section.key);
            let firing_s = facts
                .get(&section.key)
                .map(|f| f.firing_s.clone())
                .unwrap_or_default();
            let caption = match current {
                Some(_) => "Resolved episodes by how long their condition held: the current `for:` plus how long they fired. With a longer `for:` only the episodes right of it would have fired.".to_string(),
                None => "Resolved episodes by how long they fired (the rule's `for:` is not known: give the rule files with `--rules`).".to_string(),
            };
            Ok(HtmlSection {
                section,
                durations: durations::chart(&durations::DurationInput {
                    firing_s,
                    current_for_s: current.unwrap_or(0.0),
                    recommended_for_s: recommended,
                })?,
                durations_caption: caption,
            })
        })
        .collect::<Result<_>>()?;
    let advice_section = AdviceSection::new(input.advice, input.with_rules, RAW)
        .fetched_from(input.rules_fetched_from);
    let advice: Vec<HtmlAdvice> = advice_section
        .advice
        .iter()
        .map(|row| {
            let a = &input.advice.advice[row.index];
            let (tradeoff, tradeoff_caption) = tradeoff_chart(a)?.unwrap_or_default();
            Ok(HtmlAdvice {
                row,
                tradeoff,
                tradeoff_caption,
                patch_lines: page::diff_lines(a.patch.as_deref().unwrap_or_default()),
            })
        })
        .collect::<Result<_>>()?;
    let env = page::environment(&[("report.html", TEMPLATE)])?;
    page::render(
        &env,
        "report.html",
        minijinja::context! {
            summary => Serde(summary),
            since => summary.window.since.get(..10).unwrap_or(""),
            until => summary.window.until.get(..10).unwrap_or(""),
            noisy_share => model.noisy_share,
            leaderboard_svg => leaderboard_svg,
            heatmap_svg => heatmap_svg,
            leaders => Serde(&leaders),
            sections => Serde(&sections),
            advice_rows => Serde(&advice),
            advice => Serde(&advice_section),
            unknown => Serde(&model.unknown),
            silenced => Serde(&model.silenced),
            joins => model.joins,
            problems => model.problems,
            more_problems => model.more_problems,
            with_trends => input.trends.is_some(),
            slo => input.slo.map(|(report, _)| Serde(report)),
            receivers => input.receivers.map(Serde),
            instances => Serde(input.instances),
            stuck => Serde(input.stuck),
            responders => Serde(input.responders),
            silences => input.silences.map(Serde),
            responders_svg => responders_svg,
        },
    )
}
