//! Who the alerts reached: episodes and notifications per Alertmanager
//! receiver and per rule × receiver, and what the routing gets wrong —
//! rules only the root's default receiver catches, warnings that page,
//! critical alerts that page no one, receivers that send nowhere but still
//! get alerts, and routes no alert in the history ever entered
//! (`receivers.json` and the report's Receivers section; definitions in
//! `docs/routing.md`).
//!
//! Counted over the episodes that fired and started inside the window, as
//! the per-rule metrics are. An episode counts once for each receiver it
//! reached; its notifications are the ones the history counted for it.

use super::Window;
use crate::episodes::{EpisodeTable, LabelNames};
use crate::routing::{AlertmanagerConfig, Routed};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The Receivers section's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReceiversReport {
    /// The configuration file routed through.
    pub config: String,
    /// Receivers a name was given for with `--paging-receiver`.
    pub paging_receivers_named: Vec<String>,
    /// Every receiver of the configuration, in its order.
    pub receivers: Vec<ReceiverRow>,
    /// Per rule and receiver it reached: rules by name, receivers in the
    /// configuration's order.
    pub rule_receivers: Vec<RuleReceiverRow>,
    /// Rules whose every episode matched no route of its own: it reached
    /// only the root's default receiver (or a catch-all route to it), or,
    /// behind a tap without a catch-all, only the tap.
    pub default_only: Vec<RuleFinding>,
    /// Warning and info episodes that reached a paging receiver.
    pub low_severity_paging: Vec<RuleFinding>,
    /// Critical episodes that reached no paging receiver.
    pub critical_not_paging: Vec<RuleFinding>,
    /// Receivers without an integration (a blackhole) that alerts reached.
    pub blackholes: Vec<ReceiverRow>,
    /// Routes every episode entered with `continue: true` beside its other
    /// routes (an archive's catch-all): not counted as a choice of route.
    pub taps: Vec<RouteRow>,
    /// Routes (below the root) that no episode's alert entered.
    pub unmatched_routes: Vec<RouteRow>,
}

/// One receiver's load.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReceiverRow {
    /// Its name.
    pub receiver: String,
    /// Its integrations (`pagerduty_configs`, …); none for a blackhole.
    pub integrations: Vec<String>,
    /// Whether it pages someone.
    pub paging: bool,
    /// Episodes that reached it.
    pub episodes: u64,
    /// Their notifications.
    pub notifications: u64,
    /// How many rules' alerts reached it.
    pub rules: usize,
}

/// One rule's episodes at one receiver.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleReceiverRow {
    /// The rule.
    pub rule: String,
    /// The receiver.
    pub receiver: String,
    /// Episodes of the rule that reached it.
    pub episodes: u64,
    /// Their notifications.
    pub notifications: u64,
}

/// A rule with episodes that a finding is about.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleFinding {
    /// The rule.
    pub rule: String,
    /// The severities of those episodes, in text order.
    pub severities: Vec<String>,
    /// The receivers they reached, in the configuration's order.
    pub receivers: Vec<String>,
    /// How many episodes.
    pub episodes: u64,
    /// Their notifications.
    pub notifications: u64,
}

/// A route of the tree.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteRow {
    /// The line it starts on.
    pub line: u64,
    /// Its matchers as Alertmanager prints them.
    pub matchers: String,
    /// Its receiver.
    pub receiver: String,
}

/// What one group of episodes (one rule, label set and severity) adds up to.
#[derive(Default, Clone, Copy)]
struct Tally {
    episodes: u64,
    notifications: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.episodes += other.episodes;
        self.notifications += other.notifications;
    }
}

/// Severity classes the findings use: `critical`, and `warning` or `info`.
fn severity_class(severity: &str) -> Option<bool> {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => Some(true),
        "warning" | "info" => Some(false),
        _ => None,
    }
}

/// The figures of the Receivers section.
pub fn compute(
    table: &EpisodeTable,
    names: &LabelNames,
    window: &Window,
    config: &AlertmanagerConfig,
    routed: &Routed,
    paging_named: &[String],
) -> ReceiversReport {
    // Group the window's fired episodes by rule, destination and severity.
    let mut groups: HashMap<(u32, u32, Option<&str>), Tally> = HashMap::new();
    for row in table.iter() {
        let Some(start) = row.starts_at() else {
            continue;
        };
        if start < window.since || start >= window.until {
            continue;
        }
        let set = routed.receivers.codes[row.row()];
        let severity = row
            .severity()
            .or_else(|| row.labels().get(&names.severity).map(String::as_str));
        let rule = table.rules().codes()[row.row()];
        let tally = groups.entry((rule, set, severity)).or_default();
        tally.episodes += 1;
        tally.notifications += u64::from(row.notification_count());
    }
    let rule_name = |code: u32| table.rules().text_or_empty(code);
    let paging: Vec<bool> = config
        .receivers
        .iter()
        .map(|r| r.pages() || paging_named.contains(&r.name))
        .collect();
    let receiver_names = &routed.receivers.names;
    let mut per_receiver = vec![Tally::default(); receiver_names.len()];
    let mut rules_per_receiver: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); receiver_names.len()];
    let mut rule_receiver: BTreeMap<(String, u32), Tally> = BTreeMap::new();
    let mut default_only: BTreeMap<String, (Finding, bool)> = BTreeMap::new();
    let mut low_paging: BTreeMap<String, Finding> = BTreeMap::new();
    let mut critical_silent: BTreeMap<String, Finding> = BTreeMap::new();
    // Which routes every episode entered with `continue: true` beside its
    // other routes (an archive's catch-all, as docs/collect.md sets it up):
    // taps, not a choice of where an alert goes.
    let walk = config.route.walk();
    let mut entered = vec![0u64; walk.len()];
    let mut total = 0u64;
    for (&(_, set, _), &tally) in &groups {
        total += tally.episodes;
        for &place in &routed.destinations[set as usize].entered {
            entered[place as usize] += tally.episodes;
        }
    }
    let tap: Vec<bool> = (walk.iter().enumerate())
        .map(|(place, r)| {
            r.depth == 1 && r.continue_matching && total > 0 && entered[place] == total
        })
        .collect();
    // Where an alert no route chose ends: the root, a tap, or a last route
    // without matchers that sends to the root's receiver (the catch-all a
    // tap needs, see docs/collect.md).
    let fell_through: Vec<bool> = (walk.iter().enumerate())
        .map(|(place, r)| {
            place == 0
                || tap[place]
                || (r.matchers.is_empty()
                    && r.routes.is_empty()
                    && r.receiver == config.route.receiver)
        })
        .collect();
    for (&(rule, set, severity), &tally) in &groups {
        let receivers = &routed.receivers.lists[set as usize];
        let mut distinct: Vec<u32> = receivers.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for &r in &distinct {
            per_receiver[r as usize].add(tally);
            rules_per_receiver[r as usize].insert(rule);
            rule_receiver
                .entry((rule_name(rule), r))
                .or_default()
                .add(tally);
        }
        let name = rule_name(rule);
        let only_root = (routed.destinations[set as usize].ended_in.iter())
            .all(|&place| fell_through[place as usize]);
        let entry = default_only.entry(name.clone()).or_default();
        entry.0.add(tally, severity, &distinct);
        entry.1 = entry.1 || !only_root;
        let pages = distinct.iter().any(|&r| paging[r as usize]);
        match severity.and_then(severity_class) {
            Some(false) if pages => {
                let paging_only: Vec<u32> = distinct
                    .iter()
                    .copied()
                    .filter(|&r| paging[r as usize])
                    .collect();
                low_paging
                    .entry(name)
                    .or_default()
                    .add(tally, severity, &paging_only)
            }
            Some(true) if !pages => critical_silent
                .entry(name)
                .or_default()
                .add(tally, severity, &distinct),
            _ => {}
        }
    }
    let receiver_row = |i: usize| ReceiverRow {
        receiver: receiver_names[i].clone(),
        integrations: config.receivers[i].integrations.clone(),
        paging: paging[i],
        episodes: per_receiver[i].episodes,
        notifications: per_receiver[i].notifications,
        rules: rules_per_receiver[i].len(),
    };
    let receivers: Vec<ReceiverRow> = (0..receiver_names.len()).map(receiver_row).collect();
    let finished = |findings: BTreeMap<String, Finding>| -> Vec<RuleFinding> {
        (findings.into_iter())
            .map(|(rule, f)| f.finish(rule, receiver_names))
            .collect()
    };
    ReceiversReport {
        config: config.name.clone(),
        paging_receivers_named: paging_named.to_vec(),
        blackholes: (receivers.iter())
            .filter(|r| r.integrations.is_empty() && r.episodes > 0)
            .cloned()
            .collect(),
        receivers,
        rule_receivers: rule_receiver
            .into_iter()
            .map(|((rule, r), t)| RuleReceiverRow {
                rule,
                receiver: receiver_names[r as usize].clone(),
                episodes: t.episodes,
                notifications: t.notifications,
            })
            .collect(),
        default_only: finished(
            default_only
                .into_iter()
                .filter(|(_, (_, elsewhere))| !elsewhere)
                .map(|(rule, (f, _))| (rule, f))
                .collect(),
        ),
        low_severity_paging: finished(low_paging),
        critical_not_paging: finished(critical_silent),
        taps: (walk.iter().enumerate())
            .filter(|(place, _)| tap[*place])
            .map(|(_, route)| route_row(route))
            .collect(),
        unmatched_routes: (walk.iter().enumerate())
            .skip(1)
            .filter(|(place, _)| entered[*place] == 0)
            .map(|(_, route)| route_row(route))
            .collect(),
    }
}

fn route_row(route: &crate::routing::Route) -> RouteRow {
    RouteRow {
        line: route.line,
        matchers: route.matchers_text(),
        receiver: route.receiver.clone(),
    }
}

/// A finding's episodes being added up.
#[derive(Default)]
struct Finding {
    tally: Tally,
    severities: BTreeSet<String>,
    receivers: BTreeSet<u32>,
}

impl Finding {
    fn add(&mut self, tally: Tally, severity: Option<&str>, receivers: &[u32]) {
        self.tally.add(tally);
        self.severities
            .insert(severity.unwrap_or("(none)").to_string());
        self.receivers.extend(receivers);
    }

    fn finish(self, rule: String, names: &[String]) -> RuleFinding {
        RuleFinding {
            rule,
            severities: self.severities.into_iter().collect(),
            receivers: (self.receivers.iter())
                .map(|&r| names[r as usize].clone())
                .collect(),
            episodes: self.tally.episodes,
            notifications: self.tally.notifications,
        }
    }
}
