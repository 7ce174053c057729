//! `inhibit`: a rule whose alerts fire because another rule's did — the
//! host is down, so its scrape target is down and its service is slow —
//! and an Alertmanager `inhibit_rules` entry that mutes them while the
//! cause fires, with its effect replayed on the history.
//!
//! **Firing together.** For a label `L` of [`EQUAL_LABELS`], an episode of
//! rule T is *explained* by rule S when an episode of S with the same value
//! of `L` started at most [`START_WITHIN_MS`] before it (or at the same
//! time) and was still firing, or ended at most [`END_WITHIN_MS`] before
//! it, when T's ended ("fires after it and resolves with it"). By chance
//! alone, an episode of T with value `v` would find an S episode starting
//! in the [`START_WITHIN_MS`] before it with probability about
//! `n_S(v) × START_WITHIN_MS ÷ window` (S's episodes on `v` spread evenly
//! over the window); summed over T's episodes this is the number expected
//! by chance. S → T on `L` is advised when at least [`MIN_TOGETHER`] of T's
//! episodes are explained, at least [`MIN_SHARE`] of T's episodes with `L`
//! are, and at least [`MIN_LIFT`] times as many as chance gives. When both
//! directions qualify, the one with more explained episodes is kept; when
//! several labels do, the one that explains the most. S → T is left out
//! when a third rule explains both S and T: the cause is that rule, and S
//! and T are fellow symptoms of it.
//!
//! **The replay.** Alertmanager mutes a target alert while a source alert
//! with equal values of the `equal` labels fires. An episode of T is hidden
//! when an S episode with its value of `L` started no later than it and
//! fired until it ended; one that started before its source is not (its
//! first notification went out before the source fired), nor one that
//! outlived its source (it is sent when the source resolves). Hidden
//! episodes take their notifications, and their pages (a paging severity,
//! or a paging receiver with `--alertmanager-config`), with them. An
//! entry that would hide an actionable episode whose hiding source episode
//! was not itself acted on is never advised: nobody would have acted.

use super::simulate::Effect;
use super::{evidence, Advice, Context};
use crate::episode_table::NO_TIME;
use crate::episodes::EpisodeRef;
use crate::routing::patch::{with_inhibit_rules, InhibitEntry};
use crate::routing::AlertmanagerConfig;
use crate::rules::patch::unified_diff;
use crate::timefmt::Millis;
use fnv::FnvHashMap;
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

/// The labels two alerts must share a value of to be one cause's.
pub const EQUAL_LABELS: [&str; 8] = [
    "instance",
    "job",
    "service",
    "cluster",
    "namespace",
    "node",
    "host",
    "pod",
];

/// How long after the source's start the target may start.
pub const START_WITHIN_MS: Millis = 5 * 60_000;

/// How long after the source's end the target may end.
pub const END_WITHIN_MS: Millis = 5 * 60_000;

/// The fewest explained target episodes an advice needs.
pub const MIN_TOGETHER: u64 = 5;

/// The share of the target's episodes (with the label) that must be explained.
pub const MIN_SHARE: f64 = 0.5;

/// How many times more often than chance the two must fire together.
pub const MIN_LIFT: f64 = 10.0;

/// Rules that fire together on one label: the source, the target, and how
/// often.
#[derive(Debug, Clone, PartialEq)]
pub struct Together {
    /// The rule whose alerts come first (the cause).
    pub source: String,
    /// The rule whose alerts follow.
    pub target: String,
    /// The label whose value they share.
    pub equal: &'static str,
    /// Target episodes explained by a source episode.
    pub explained: u64,
    /// Target episodes with the label.
    pub target_episodes: u64,
    /// Explained episodes chance alone would give.
    pub expected_by_chance: f64,
}

/// One fired episode in the window with a value of the label.
#[derive(Clone, Copy)]
struct Firing {
    rule: u32,
    row: u32,
    start: Millis,
    /// `Millis::MAX` while still firing.
    end: Millis,
}

/// The window's fired episodes with a value of a label, grouped by value
/// (one flat list, a range of it per value, each sorted by start and rule).
struct ByValue<'a> {
    values: Vec<&'a str>,
    firings: Vec<Firing>,
    ranges: Vec<std::ops::Range<usize>>,
}

impl<'a> ByValue<'a> {
    /// Each value with its episodes, by start.
    fn groups(&self) -> impl Iterator<Item = (&'a str, &[Firing])> + '_ {
        (self.values.iter().zip(&self.ranges)).map(|(v, r)| (*v, &self.firings[r.clone()]))
    }
}

/// The window's fired episodes with a value of `label`, grouped by value
/// and sorted by start. Each distinct label set is looked up once.
fn by_value<'a>(ctx: &Context<'a>, label: &str) -> ByValue<'a> {
    let sets = ctx.episodes.label_sets();
    let mut values: Vec<&'a str> = Vec::new();
    let mut index: FnvHashMap<&'a str, u32> = FnvHashMap::default();
    let group_of: Vec<Option<u32>> = (sets.values().iter())
        .map(|set| {
            let value = set.get(label)?.as_str();
            Some(*index.entry(value).or_insert_with(|| {
                values.push(value);
                values.len() as u32 - 1
            }))
        })
        .collect();
    // Bucketed by value (counted, then placed), each bucket sorted by start:
    // two passes over the rows instead of a list of every row's bucket (at
    // ten million episodes, its fresh pages cost more than the pass).
    let starts = ctx.episodes.starts().millis();
    let (codes, ends) = (ctx.episodes.rules().codes(), ctx.episodes.ends().millis());
    let window = ctx.window;
    let rows_with_group = || {
        (sets.codes().iter().enumerate()).filter_map(|(row, &set)| {
            let group = group_of[set as usize]?;
            let start = starts[row];
            (start != NO_TIME && start >= window.since && start < window.until)
                .then_some((group, row))
        })
    };
    let mut counts = vec![0usize; values.len() + 1];
    if !values.is_empty() {
        for (group, _) in rows_with_group() {
            counts[group as usize + 1] += 1;
        }
    }
    for g in 1..counts.len() {
        counts[g] += counts[g - 1];
    }
    let ranges: Vec<std::ops::Range<usize>> = (0..values.len())
        .map(|g| counts[g]..counts[g + 1])
        .collect();
    let blank = Firing {
        rule: 0,
        row: 0,
        start: 0,
        end: 0,
    };
    let mut firings = vec![blank; counts.last().copied().unwrap_or(0)];
    let mut next = counts;
    if !values.is_empty() {
        for (group, r) in rows_with_group() {
            let end = match ends[r] {
                NO_TIME => Millis::MAX,
                end => end,
            };
            firings[next[group as usize]] = Firing {
                rule: codes[r],
                row: r as u32,
                start: starts[r],
                end,
            };
            next[group as usize] += 1;
        }
    }
    for range in &ranges {
        firings[range.clone()].sort_unstable_by_key(|f| (f.start, f.rule, f.row));
    }
    let (values, ranges) = (values.into_iter().zip(ranges))
        .filter(|(_, r)| !r.is_empty())
        .unzip();
    ByValue {
        values,
        firings,
        ranges,
    }
}

/// Each rule's episodes on each value that has any: (the value's place in
/// `groups`, the count), in the values' order.
fn episodes_per_value(groups: &ByValue) -> FnvHashMap<u32, Vec<(u32, u64)>> {
    let mut per_value: FnvHashMap<u32, Vec<(u32, u64)>> = FnvHashMap::default();
    for (value, (_, firings)) in groups.groups().enumerate() {
        for firing in firings {
            let counts = per_value.entry(firing.rule).or_default();
            match counts.last_mut() {
                Some((last, n)) if *last == value as u32 => *n += 1,
                _ => counts.push((value as u32, 1)),
            }
        }
    }
    per_value
}

/// How many of T's episodes S would explain by chance: per value, T's
/// episodes on it times the share of the window that S's episodes there
/// cover with their `START_WITHIN_MS` (at most all of it), summed in the
/// values' order. Values without both rules add nothing.
fn expected_by_chance(
    per_value: &FnvHashMap<u32, Vec<(u32, u64)>>,
    s: u32,
    t: u32,
    window_ms: f64,
) -> f64 {
    let (Some(of_s), Some(of_t)) = (per_value.get(&s), per_value.get(&t)) else {
        return 0.0;
    };
    let mut of_s = of_s.iter().peekable();
    let mut expected = 0.0;
    for &(value, n_t) in of_t {
        while of_s.next_if(|(v, _)| *v < value).is_some() {}
        if let Some(&&(_, n_s)) = of_s.peek().filter(|(v, _)| *v == value) {
            expected += n_t as f64 * (n_s as f64 * START_WITHIN_MS as f64 / window_ms).min(1.0);
        }
    }
    expected
}

/// How many firings one task of the sweep takes as targets: a value's
/// firings are cut into stretches of about this many, so that a label all
/// alerts share (one value, every episode) is swept on every core.
const SWEEP_STRETCH: usize = 1 << 16;

/// What the sweep of one label counts.
#[derive(Debug, PartialEq)]
struct Sweep {
    /// Per (source rule, target rule): target episodes the source explains.
    explained: FnvHashMap<(u32, u32), u64>,
    /// Per rule (by code): its episodes with a value of the label.
    with_label: Vec<u64>,
}

impl Sweep {
    /// No counts yet, for `rules` rules (by code).
    fn new(rules: usize) -> Sweep {
        Sweep {
            explained: FnvHashMap::default(),
            with_label: vec![0; rules],
        }
    }

    /// Adds another part's counts (of as many rules).
    fn add(mut self, other: Sweep) -> Sweep {
        for (pair, n) in other.explained {
            *self.explained.entry(pair).or_default() += n;
        }
        for (mine, theirs) in self.with_label.iter_mut().zip(other.with_label) {
            *mine += theirs;
        }
        self
    }
}

/// Sweeps every value's firings for the sources that explain each target.
/// A value's targets are cut into stretches of at most `stretch` firings,
/// swept side by side (rayon gives each thread a run of them, many short
/// values together); the counts are sums, so they are the one-pass sweep's
/// whatever the cut.
fn sweep(groups: &ByValue, rules: usize, stretch: usize) -> Sweep {
    let stretch = stretch.max(1);
    let stretches: Vec<(&[Firing], std::ops::Range<usize>)> = (groups.groups())
        .flat_map(|(_, firings)| {
            (0..firings.len()).step_by(stretch).map(move |from| {
                (
                    firings,
                    from..from.saturating_add(stretch).min(firings.len()),
                )
            })
        })
        .collect();
    stretches
        .into_par_iter()
        .fold(
            || Sweep::new(rules),
            |mut counts, (firings, targets)| {
                sweep_targets(firings, targets, &mut counts);
                counts
            },
        )
        .reduce(|| Sweep::new(rules), Sweep::add)
}

/// Counts, for the targets `targets` of one value's `firings` (sorted by
/// start), the rules that explain each.
fn sweep_targets(firings: &[Firing], targets: std::ops::Range<usize>, counts: &mut Sweep) {
    let mut sources: Vec<u32> = Vec::new();
    let Some(target) = firings.get(targets.start) else {
        return;
    };
    let earliest = |target: &Firing| target.start.saturating_sub(START_WITHIN_MS);
    let mut first = firings[..targets.start].partition_point(|f| f.start < earliest(target));
    for i in targets {
        let target = &firings[i];
        counts.with_label[target.rule as usize] += 1;
        while firings[first].start < earliest(target) {
            first += 1;
        }
        sources.clear();
        let simultaneous = firings[i + 1..]
            .iter()
            .take_while(|f| f.start == target.start);
        for s in firings[first..i].iter().chain(simultaneous) {
            if explains(s, target) && !sources.contains(&s.rule) {
                sources.push(s.rule);
            }
        }
        for &s in &sources {
            *counts.explained.entry((s, target.rule)).or_default() += 1;
        }
    }
}

/// Whether `source` explains `target` (see the module's docs).
fn explains(source: &Firing, target: &Firing) -> bool {
    source.rule != target.rule
        && source.start <= target.start
        && target.start - source.start <= START_WITHIN_MS
        && (source.end == Millis::MAX || target.end <= source.end.saturating_add(END_WITHIN_MS))
}

/// Every pair of rules that fires together on some label, as the module's
/// docs decide, the strongest label per pair.
pub fn fire_together(ctx: &Context) -> Vec<Together> {
    let rules = ctx.episodes.rules();
    let name = |code: u32| rules.text_or_empty(code);
    let window_ms = (ctx.window.until - ctx.window.since).max(1) as f64;
    let mut found: BTreeMap<(u32, u32), Together> = BTreeMap::new();
    for label in EQUAL_LABELS {
        let groups = by_value(ctx, label);
        // Per (source, target): explained target episodes; per rule: its
        // episodes with the label. (Read in any order: each pair is kept in
        // `found` by its key.)
        let Sweep {
            explained,
            with_label,
        } = sweep(&groups, rules.values().len() + 1, SWEEP_STRETCH);
        // Each rule's episodes per value, made once the first pair needs them.
        let mut per_value: Option<FnvHashMap<u32, Vec<(u32, u64)>>> = None;
        for (&(s, t), &count) in &explained {
            let total = with_label[t as usize];
            if count < MIN_TOGETHER || (count as f64) < MIN_SHARE * total as f64 {
                continue;
            }
            // Chance: S's episodes on the target's value, spread over the window.
            let per_value = per_value.get_or_insert_with(|| episodes_per_value(&groups));
            let expected = expected_by_chance(per_value, s, t, window_ms);
            if (count as f64) < MIN_LIFT * expected {
                continue;
            }
            let candidate = Together {
                source: name(s),
                target: name(t),
                equal: label,
                explained: count,
                target_episodes: total,
                expected_by_chance: expected,
            };
            match found.get(&(s, t)) {
                Some(known) if known.explained >= count => {}
                _ => {
                    found.insert((s, t), candidate);
                }
            }
        }
    }
    // One direction per pair of rules: the one that explains more.
    let mut one_way: BTreeMap<(u32, u32), Together> = BTreeMap::new();
    for (&(s, t), together) in &found {
        if let Some(reverse) = found.get(&(t, s)) {
            let better =
                (reverse.explained, &reverse.source) > (together.explained, &together.source);
            if better {
                continue;
            }
        }
        one_way.insert((s, t), together.clone());
    }
    // Causes, not fellow symptoms: S → T goes when a rule S' explains both.
    (one_way.iter())
        .filter(|((s, t), _)| {
            !(one_way.keys()).any(|(cause, of)| of == s && one_way.contains_key(&(*cause, *t)))
        })
        .map(|(_, together)| together.clone())
        .collect()
}

/// What an inhibition of `together.target` by `together.source` would have
/// done to the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replayed {
    /// Target episodes in the window (fired).
    pub episodes: u64,
    /// Target episodes hidden (never notified).
    pub hidden: u64,
    /// Target episodes that started before a source episode on their value
    /// that then covered them: inhibition mutes them only once they were sent.
    pub started_first: u64,
    /// Notifications of the target, and of the hidden episodes.
    pub notifications: u64,
    /// Notifications the hidden episodes had.
    pub notifications_hidden: u64,
    /// Hidden episodes that paged someone.
    pub pages_hidden: u64,
    /// Hidden episodes reviewed (or proxied) actionable.
    pub actionable_hidden: u64,
    /// Of those, the ones whose hiding source episode was not itself actionable.
    pub actionable_hidden_unacted_source: u64,
    /// Whether any hidden episode has a known verdict.
    pub verdicts_known: bool,
    /// The labels of one source alert and one target alert it hides.
    pub example: Option<(crate::interned::LabelMap, crate::interned::LabelMap)>,
}

/// Replays the inhibition on the history (see the module's docs), its
/// episodes bucketed by the value of its `equal` label.
fn replay(
    ctx: &Context,
    groups: &ByValue,
    together: &Together,
    pages: impl Fn(&EpisodeRef) -> bool,
) -> Replayed {
    let names = ctx.episodes.rules().values();
    let code = |name: &str| {
        names
            .iter()
            .position(|n| n.as_str() == name)
            .map_or(u32::MAX, |i| i as u32 + 1)
    };
    let (source, target) = (code(&together.source), code(&together.target));
    let mut out = Replayed::default();
    for (_, firings) in groups.groups() {
        let sources: Vec<&Firing> = firings.iter().filter(|f| f.rule == source).collect();
        for t in firings.iter().filter(|f| f.rule == target) {
            out.episodes += 1;
            let target_episode = ctx.episodes.get(t.row as usize);
            let notifications = u64::from(target_episode.notification_count());
            out.notifications += notifications;
            let covering = sources
                .iter()
                .find(|s| s.start <= t.start && s.end >= t.end);
            let Some(s) = covering else {
                let later = (sources.iter())
                    .any(|s| s.start > t.start && s.start < t.end && s.end >= t.end);
                out.started_first += u64::from(later);
                continue;
            };
            out.hidden += 1;
            if out.example.is_none() {
                let labels = |e: &EpisodeRef| e.labels().map().clone();
                out.example = Some((
                    labels(&ctx.episodes.get(s.row as usize)),
                    labels(&target_episode),
                ));
            }
            out.notifications_hidden += notifications;
            out.pages_hidden += u64::from(pages(&target_episode));
            out.verdicts_known |= target_episode.actionable().is_some();
            if target_episode.actionable() == Some(true) {
                out.actionable_hidden += 1;
                if ctx.episodes.get(s.row as usize).actionable() != Some(true) {
                    out.actionable_hidden_unacted_source += 1;
                }
            }
        }
    }
    out
}

/// The `inhibit` advice: one per pair of rules that fire together, whose
/// inhibition hides no actionable alert of an unacted cause.
pub fn advise(ctx: &Context) -> Vec<Advice> {
    let pairs = fire_together(ctx);
    let mut targets_of_source: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for p in &pairs {
        (targets_of_source
            .entry((p.source.as_str(), p.equal))
            .or_default())
        .push(&p.target);
    }
    // Each label's buckets made once for all the pairs on it; the advice
    // in the pairs' order.
    let mut out: Vec<(usize, Advice)> = Vec::new();
    for label in EQUAL_LABELS {
        let on_label: Vec<(usize, &Together)> = (pairs.iter().enumerate())
            .filter(|(_, p)| p.equal == label)
            .collect();
        if on_label.is_empty() {
            continue;
        }
        let groups = by_value(ctx, label);
        for (at, together) in on_label {
            if let Some(a) = advice_for(ctx, &groups, together, &targets_of_source) {
                out.push((at, a));
            }
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, a)| a).collect()
}

/// The advice for one pair, unless its replay hides nothing, hides an
/// actionable alert of an unacted cause, or the configuration already
/// mutes it.
fn advice_for(
    ctx: &Context,
    groups: &ByValue,
    together: &Together,
    targets_of_source: &BTreeMap<(&str, &str), Vec<&str>>,
) -> Option<Advice> {
    let pages = |e: &EpisodeRef| ctx.pages(e);
    let replayed = replay(ctx, groups, together, pages);
    if replayed.hidden == 0 || replayed.actionable_hidden_unacted_source > 0 {
        return None;
    }
    // An entry of the configuration already mutes these alerts.
    let inhibited = |(source, target): &(_, _)| {
        (ctx.routing.iter())
            .flat_map(|c| &c.inhibit_rules)
            .any(|r| r.mutes(source, target))
    };
    if replayed.example.as_ref().is_some_and(inhibited) {
        return None;
    }
    Some(advice(ctx, together, &replayed, targets_of_source))
}

fn advice(
    ctx: &Context,
    together: &Together,
    replayed: &Replayed,
    targets_of_source: &BTreeMap<(&str, &str), Vec<&str>>,
) -> Advice {
    let (source, target, equal) = (&together.source, &together.target, together.equal);
    let entry = json!({
        "source_matchers": [format!("alertname=\"{source}\"")],
        "target_matchers": [format!("alertname=\"{target}\"")],
        "equal": [equal],
    });
    let siblings: Vec<&str> = (targets_of_source.get(&(source.as_str(), equal)))
        .map(|t| t.iter().copied().filter(|t| *t != target).collect())
        .unwrap_or_default();
    let group_by = (!siblings.is_empty()).then(|| {
        format!(
            ". {source} also takes {} down with it: `group_by: [{equal}]` on their route sends them as one notification",
            siblings.join(", ")
        )
    });
    let summary = format!(
        "{target} fired with {source} on the same {equal} {} of {} times (chance: {:.3}): inhibit it while {source} fires. \
         Replayed: {} of {} episodes hidden, {} notifications and {} pages fewer, {} actionable alerts hidden{}",
        together.explained,
        together.target_episodes,
        together.expected_by_chance,
        replayed.hidden,
        replayed.episodes,
        replayed.notifications_hidden,
        replayed.pages_hidden,
        replayed.actionable_hidden,
        group_by.clone().unwrap_or_default()
    );
    let mut a = Advice {
        rule: target.clone(),
        kind: "inhibit",
        location: ctx.routing.map(|c| c.name.clone()),
        change: Some(json!({ "inhibit_rules": [entry] })),
        summary,
        evidence: evidence(json!({
            "source": source,
            "equal": equal,
            "explained": together.explained,
            "target_episodes": together.target_episodes,
            "expected_by_chance": (together.expected_by_chance * 1000.0).round() / 1000.0,
            "started_before_source": replayed.started_first,
            "hidden": replayed.hidden,
            "pages_removed": replayed.pages_hidden,
            "actionable_hidden": replayed.actionable_hidden,
            "group_by": group_by.is_some().then(|| json!({"labels": [equal], "rules": siblings})),
        })),
        effect: Some(Effect {
            episodes_before: replayed.episodes,
            episodes_after: replayed.episodes - replayed.hidden,
            notifications_before: replayed.notifications,
            notifications_after: replayed.notifications - replayed.notifications_hidden,
            actionable_lost: replayed
                .verdicts_known
                .then_some(replayed.actionable_hidden),
            ..Effect::default()
        }),
        alternatives: Vec::new(),
        confidence: super::confidence(
            together.target_episodes,
            u64::from(replayed.verdicts_known) * replayed.hidden,
        ),
        patch: None,
        patch_note: None,
        edits: Vec::new(),
    };
    let entry = entry_of(&a);
    match ctx.routing.map(|c| (c, &c.text)) {
        None => a.patch_note = Some("give --alertmanager-config for a patch to alertmanager.yml".into()),
        Some((_, None)) => {
            a.patch_note = Some(
                "the configuration was read from an /api/v2/status answer: add the entry to alertmanager.yml by hand".into(),
            )
        }
        Some((config, Some(text))) => {
            match entry.map(|e| with_inhibit_rules(&config.name, text, &[e])) {
                Some(Ok(patched)) => a.patch = Some(unified_diff(&diff_name(config), text, &patched)),
                Some(Err(e)) => a.patch_note = Some(e),
                None => {}
            }
        }
    }
    a
}

/// The `inhibit_rules` entry an `inhibit` advice stands for.
pub fn entry_of(advice: &Advice) -> Option<InhibitEntry> {
    let source = advice.evidence.get("source")?.as_str()?;
    let equal = advice.evidence.get("equal")?.as_str()?;
    (advice.kind == "inhibit").then(|| InhibitEntry {
        source: source.to_string(),
        target: advice.rule.clone(),
        equal: vec![equal.to_string()],
    })
}

/// The hunk of `alertmanager.yml` that adds every `inhibit` advice's entry
/// (empty when there is none, or no configuration file to patch); the
/// reason when it cannot be written.
pub fn combined_patch(
    config: Option<&AlertmanagerConfig>,
    advice: &[Advice],
) -> Result<String, String> {
    let entries: Vec<InhibitEntry> = advice.iter().filter_map(entry_of).collect();
    let Some((config, Some(text))) = config.map(|c| (c, &c.text)) else {
        return Ok(String::new());
    };
    if entries.is_empty() {
        return Ok(String::new());
    }
    let patched = with_inhibit_rules(&config.name, text, &entries)?;
    Ok(unified_diff(&diff_name(config), text, &patched))
}

/// The configuration file's name in a patch (see [`super::diff_path`]).
fn diff_name(config: &AlertmanagerConfig) -> String {
    super::diff_path(std::path::Path::new(&config.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The chance as first written: every value's count of each rule, by a
    /// pass over its episodes per pair.
    fn expected_by_counting(groups: &ByValue, s: u32, t: u32, window_ms: f64) -> f64 {
        (groups.groups())
            .map(|(_, firings)| {
                let count = |rule: u32| firings.iter().filter(|f| f.rule == rule).count() as f64;
                let (n_s, n_t) = (count(s), count(t));
                n_t * (n_s * START_WITHIN_MS as f64 / window_ms).min(1.0)
            })
            .sum()
    }

    proptest! {
        /// The sweep cut into stretches of any length counts what one pass
        /// over every value counts.
        #[test]
        fn the_sweep_in_stretches_is_the_sweep_in_one(
            values in proptest::collection::vec(
                proptest::collection::vec((0u32..5, 0i64..900_000, 0i64..900_000, any::<bool>()), 0..60),
                1..8,
            ),
            stretch in 1usize..40,
        ) {
            let mut firings = Vec::new();
            let mut ranges = Vec::new();
            for value in &values {
                let begin = firings.len();
                let mut these: Vec<Firing> = (value.iter().enumerate())
                    .map(|(i, &(rule, start, length, open))| Firing {
                        rule,
                        row: (begin + i) as u32,
                        start,
                        end: if open { Millis::MAX } else { start + length },
                    })
                    .collect();
                these.sort_unstable_by_key(|f| (f.start, f.rule, f.row));
                firings.extend(these);
                ranges.push(begin..firings.len());
            }
            let groups = ByValue { values: vec![""; values.len()], firings, ranges };
            let whole = sweep(&groups, 6, usize::MAX);
            prop_assert_eq!(sweep(&groups, 6, stretch), whole);
        }

        /// The per-value counts give the chance the per-pair passes gave, to
        /// the bit.
        #[test]
        fn expected_by_chance_is_the_per_pair_count(
            values in proptest::collection::vec(proptest::collection::vec(1u32..6, 0..40), 1..30),
            window_ms in 1_000.0f64..1e10,
        ) {
            let mut firings = Vec::new();
            let mut ranges = Vec::new();
            for rules in &values {
                let start = firings.len();
                firings.extend(rules.iter().enumerate().map(|(i, &rule)| Firing {
                    rule,
                    row: i as u32,
                    start: i as Millis,
                    end: Millis::MAX,
                }));
                ranges.push(start..firings.len());
            }
            let groups = ByValue { values: vec![""; values.len()], firings, ranges };
            let per_value = episodes_per_value(&groups);
            for s in 0..7 {
                for t in 0..7 {
                    let ours = expected_by_chance(&per_value, s, t, window_ms);
                    let theirs = expected_by_counting(&groups, s, t, window_ms);
                    prop_assert_eq!(ours.to_bits(), theirs.to_bits(), "{} -> {}", s, t);
                }
            }
        }
    }
}
