//! Puts the pieces of every file together into one episode list: what no
//! single file can decide.
//!
//! In order: Prometheus `ALERTS` samples of every range file become episodes
//! (chunks join at their seams); an alert missing from a later Alertmanager
//! API answer has ended; PagerDuty log entries give their incidents
//! acknowledgements and resolves; one incident read twice (two pages, two
//! exports) is one; rows of one episode merge into the episode table
//! (`episode_merge`, with the tables the bulk formats read); incidents
//! of paging tools join onto the Alertmanager episodes they paged for; and
//! silences mark the episodes they matched. [`Joins`] counts each step for
//! `summary.json`. The rules of the joins are in `docs/formats/joins.md`.

use super::alertmanager_api::Snapshot;
use super::alertmanager_silences::Silence;
use super::incident::{is_incident_source, Incident};
use super::pagerduty_log_entries::{self, IncidentLog};
use super::{prometheus_alerts, SourceOutput};
use crate::episode_merge::{self, Merged};
use crate::episode_table::EpisodeTable;
use crate::episodes::{Episode, Labels};
use crate::problem::Problem;
use crate::routing::AlertmanagerConfig;
use crate::timefmt::Millis;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// How long before a paging incident was created an Alertmanager episode may
/// have ended and still be the one it paged for (Alertmanager's `group_wait`
/// and delivery delays).
pub const PAGE_SLACK_MS: Millis = 5 * 60_000;

/// What joining across files did, for `summary.json`'s `joins`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Joins {
    /// Paging-tool incidents with a dedup key, per source, and how many of
    /// them joined onto Alertmanager episodes.
    pub paging: BTreeMap<String, PagingJoin>,
    /// PagerDuty log entries applied to incidents.
    pub incident_logs: LogJoin,
    /// Silences and the episodes they marked.
    pub silences: SilenceJoin,
    /// Alertmanager API answers and the episodes they showed ending.
    pub snapshots: SnapshotJoin,
    /// Incidents read more than once (same source and id), folded into one.
    pub duplicate_incidents: usize,
}

/// One paging source's join onto Alertmanager.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PagingJoin {
    /// Incidents read from the source.
    pub incidents: usize,
    /// Incidents with a dedup key (`incident_key`, `alias`).
    pub with_key: usize,
    /// Incidents that joined onto at least one Alertmanager episode (they
    /// are then not counted as episodes of their own).
    pub joined: usize,
    /// Alertmanager episodes that received an incident's data.
    pub episodes_joined: usize,
}

/// PagerDuty log entries' join onto incidents.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LogJoin {
    /// Incidents the log entries talk about.
    pub incidents: usize,
    /// Of those, incidents read from an incidents file.
    pub applied: usize,
    /// Incidents only the log knows, made episodes from their trigger entry.
    pub from_log_alone: usize,
}

/// Silences applied to episodes.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SilenceJoin {
    /// Silences read.
    pub silences: usize,
    /// Episodes a silence matched while they fired.
    pub episodes_silenced: usize,
}

/// Alertmanager API answers taken over time.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SnapshotJoin {
    /// Answers read.
    pub answers: usize,
    /// Episodes given an end because a later answer no longer showed them.
    pub episodes_ended: usize,
}

/// Every file's output assembled into merged episodes.
pub struct Assembled {
    /// The merged episodes, sorted (see `episode_merge`).
    pub episodes: EpisodeTable,
    /// Problems of the files and of the joins.
    pub problems: Vec<Problem>,
    /// What the joins did.
    pub joins: Joins,
    /// Every page to a person (see `sources::pages`).
    pub pages: Vec<super::pages::Page>,
    /// Every silence read (once per id: the last answer's), and what it matched.
    pub silences: Vec<SilenceUse>,
}

/// A silence and the episodes it matched while they fired.
#[derive(Debug, Clone)]
pub struct SilenceUse {
    /// The silence.
    pub silence: Silence,
    /// Episodes it matched while in force.
    pub episodes: u64,
    /// Those episodes by rule.
    pub rules: BTreeMap<String, u64>,
}

/// Assembles the output of every file.
pub fn assemble(output: SourceOutput) -> Assembled {
    assemble_routed(output, None)
}

/// [`assemble`] knowing Alertmanager's configuration: paging incidents
/// also join onto the episodes whose routes' group keys they carry.
pub fn assemble_routed(output: SourceOutput, routing: Option<&AlertmanagerConfig>) -> Assembled {
    let SourceOutput {
        mut episodes,
        tables,
        mut problems,
        silences,
        incident_logs,
        alert_samples,
        snapshots,
    } = output;
    let mut joins = Joins::default();
    let (alerts, alert_problems) = prometheus_alerts::episodes(alert_samples);
    episodes.extend(alerts);
    problems.extend(alert_problems);
    joins.snapshots = close_vanished(&mut episodes, &snapshots);
    let notices = notices_of(&incident_logs);
    joins.incident_logs = apply_logs(&mut episodes, incident_logs, &mut problems);
    joins.duplicate_incidents = fold_duplicate_incidents(&mut episodes, &mut problems);
    let mut merged = episode_merge::merge(tables, episodes);
    joins.paging = join_paging(&mut merged, routing);
    if routing.is_none() {
        problems.extend(unjoined_paging(&joins.paging, &merged.table));
    }
    let (silence_join, silence_uses) = apply_silences(&mut merged.table, silences);
    joins.silences = silence_join;
    let pages = super::pages::pages(&merged.table, &notices);
    Assembled {
        episodes: merged.table,
        problems,
        joins,
        pages,
        silences: silence_uses,
    }
}

/// An Alertmanager API episode that a later answer no longer shows ended, at
/// the latest, when that answer was taken.
fn close_vanished(episodes: &mut [Episode], snapshots: &[Snapshot]) -> SnapshotJoin {
    let mut last_seen: HashMap<(&str, Millis), Millis> = HashMap::new();
    for snapshot in snapshots {
        for (fingerprint, start) in &snapshot.seen {
            let seen = last_seen
                .entry((fingerprint, *start))
                .or_insert(snapshot.taken_at);
            *seen = (*seen).max(snapshot.taken_at);
        }
    }
    let mut times: Vec<Millis> = snapshots.iter().map(|s| s.taken_at).collect();
    times.sort_unstable();
    times.dedup();
    let mut ended = std::collections::HashSet::new();
    for episode in episodes.iter_mut() {
        if episode.source != super::alertmanager_api::NAME || episode.ends_at.is_some() {
            continue;
        }
        let Some(start) = episode.starts_at else {
            continue;
        };
        let Some(&seen) = last_seen.get(&(episode.fingerprint.as_str(), start)) else {
            continue;
        };
        let next = times.partition_point(|&t| t <= seen);
        if let Some(&gone) = times.get(next) {
            episode.ends_at = Some(gone);
            ended.insert((episode.fingerprint.clone(), start));
        }
    }
    SnapshotJoin {
        answers: snapshots.len(),
        episodes_ended: ended.len(),
    }
}

/// Applies PagerDuty log entries to the incidents they belong to; incidents
/// only the log knows become episodes from their trigger entry.
/// The people each incident's log says were paged, and its first acknowledger.
fn notices_of(logs: &[IncidentLog]) -> BTreeMap<String, super::pages::IncidentNotices> {
    let mut out: BTreeMap<String, super::pages::IncidentNotices> = BTreeMap::new();
    for log in logs {
        let known = out.entry(log.incident_id.clone()).or_default();
        known.notices.extend(log.notified.iter().cloned());
        known.notices.sort();
        known.notices.dedup();
        if known.rule.is_empty() {
            known.rule = log.rule.clone();
        }
    }
    // The first acknowledgement over every log of the incident.
    let mut first: BTreeMap<&str, (Millis, Option<String>)> = BTreeMap::new();
    for log in logs {
        if let Some((at, by)) = &log.first_ack {
            let slot = first.entry(&log.incident_id).or_insert((*at, by.clone()));
            if *at < slot.0 {
                *slot = (*at, by.clone());
            }
        }
    }
    for (id, (_, by)) in first {
        if let Some(known) = out.get_mut(id) {
            known.acked_by = by;
        }
    }
    out
}

fn apply_logs(
    episodes: &mut Vec<Episode>,
    logs: Vec<IncidentLog>,
    problems: &mut Vec<Problem>,
) -> LogJoin {
    let mut by_id: BTreeMap<String, IncidentLog> = BTreeMap::new();
    for log in logs {
        match by_id.get_mut(&log.incident_id) {
            Some(known) => known.absorb(log),
            None => {
                by_id.insert(log.incident_id.clone(), log);
            }
        }
    }
    let mut join = LogJoin {
        incidents: by_id.len(),
        ..LogJoin::default()
    };
    let mut applied = std::collections::HashSet::new();
    for episode in episodes.iter_mut() {
        let Some(log) = episode.incident_id.as_ref().and_then(|id| by_id.get(id)) else {
            continue;
        };
        if !episode.source.starts_with("pagerduty") {
            continue;
        }
        applied.insert(log.incident_id.clone());
        episode.ack_tracked = true;
        if let Some((at, by)) = &log.first_ack {
            episode.acknowledge(*at, by.clone());
        }
        if let Some((at, auto)) = log.resolved {
            if episode.ends_at.is_none() {
                episode.ends_at = Some(at);
            }
            episode.auto_resolved = Some(auto);
        }
    }
    join.applied = applied.len();
    for (id, log) in by_id {
        if applied.contains(&id) {
            continue;
        }
        let Some(created_at) = log.triggered_at else {
            problems.push(Problem::warning(
                &log.origin.file,
                log.origin.line,
                0,
                format!("log entries of incident {id}: no incidents file holds it and its trigger entry is not in the log; left out"),
            ));
            continue;
        };
        let incident = Incident {
            source: pagerduty_log_entries::NAME,
            id: Some(id),
            rule: log.rule,
            key: None,
            created_at,
            resolved_at: log.resolved.map(|r| r.0),
            acked_at: log.first_ack.as_ref().map(|a| a.0),
            acked_by: log.first_ack.and_then(|a| a.1),
            ack_tracked: true,
            auto_resolved: log.resolved.map(|r| r.1),
            notifications: 1,
            service: log.service,
            team: None,
            severity: None,
            origin: log.origin.clone(),
        };
        match incident.into_episode() {
            Ok(episode) => {
                join.from_log_alone += 1;
                episodes.push(episode);
            }
            Err(reason) => problems.push(Problem::skipped(
                &log.origin.file,
                log.origin.line,
                0,
                format!("incident from log entries: {reason}"),
            )),
        }
    }
    join
}

/// One incident read more than once (overlapping pages, two exports, two
/// states of one alert) is one episode: the most final record (resolved, the
/// latest end) with the earliest acknowledgement of all.
fn fold_duplicate_incidents(episodes: &mut Vec<Episode>, problems: &mut Vec<Problem>) -> usize {
    let mut first_of: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut drop = vec![false; episodes.len()];
    let mut folded = 0;
    for i in 0..episodes.len() {
        if !is_incident_source(episodes[i].source) {
            continue;
        }
        let Some(id) = episodes[i].incident_id.clone() else {
            continue;
        };
        let key = (episodes[i].source, id);
        let Some(&keep) = first_of.get(&key) else {
            first_of.insert(key, i);
            continue;
        };
        folded += 1;
        drop[i] = true;
        let other = episodes[i].clone();
        let kept = &mut episodes[keep];
        if kept.rule != other.rule {
            problems.push(Problem::warning(
                &other.origin.file,
                other.origin.line,
                0,
                format!(
                    "incident {} was read before (line {} of {}) with another title (rule `{}`, here `{}`); the more final record is kept",
                    key.1, kept.origin.line, kept.origin.file, kept.rule, other.rule
                ),
            ));
        }
        let other_more_final = match (kept.ends_at, other.ends_at) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b > a,
            _ => false,
        };
        // The more final record stands; the other adds its earlier
        // acknowledgement and notifications.
        if other_more_final {
            let earlier = std::mem::replace(kept, other);
            kept.absorb(earlier);
        } else {
            kept.absorb(other);
        }
    }
    remove_marked(episodes, &drop);
    folded
}

/// Removes the episodes whose mark is set.
fn remove_marked(episodes: &mut Vec<Episode>, marked: &[bool]) {
    let mut index = 0;
    episodes.retain(|_| {
        let keep = !marked[index];
        index += 1;
        keep
    });
}

/// The SHA-256 of a group key as lower-case hex: what Alertmanager sends as
/// PagerDuty's `dedup_key` and Opsgenie's `alias`.
pub fn group_key_hash(group_key: &str) -> String {
    Sha256::digest(group_key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Joins paging-tool incidents onto the Alertmanager episodes they paged
/// for: an incident whose dedup key is an episode's fingerprint, one of its
/// group keys, or a group key's SHA-256, and whose time [created −
/// [`PAGE_SLACK_MS`], resolved] overlaps the episode's firing, gives the
/// episode its incident id, acknowledgement and auto-resolve; each episode
/// takes the earliest such incident. Joined incidents are then not episodes
/// of their own.
///
/// With the Alertmanager configuration, an episode is also known by the
/// group keys of the routes its labels reach: what the paging receiver's
/// notifications carried, even when the history holds another receiver's
/// (an archive's) bodies.
fn join_paging(
    merged: &mut Merged,
    routing: Option<&AlertmanagerConfig>,
) -> BTreeMap<String, PagingJoin> {
    let Merged {
        table,
        index,
        join_keys,
    } = merged;
    let mut counts: BTreeMap<String, PagingJoin> = BTreeMap::new();
    let paging: Vec<usize> = (0..table.len())
        .filter(|&i| is_incident_source(table.get(i).source()))
        .collect();
    for &i in &paging {
        let count = counts.entry(table.get(i).source().to_string()).or_default();
        count.incidents += 1;
        count.with_key += usize::from(table.get(i).paging_key().is_some());
    }
    if paging.iter().all(|&i| table.get(i).paging_key().is_none()) {
        return counts;
    }
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    // Every episode of a group carries its group key: hash each key once.
    let mut hashes: HashMap<&str, String> = HashMap::new();
    let mut routed_keys: HashMap<usize, Vec<String>> = HashMap::new();
    for episode in table.iter() {
        if is_incident_source(episode.source()) || episode.starts_at().is_none() {
            continue;
        }
        let i = episode.row();
        by_key
            .entry(episode.fingerprint().to_string())
            .or_default()
            .push(i);
        for key in join_keys.get(i) {
            by_key.entry(key.to_string()).or_default().push(i);
            let hash = hashes
                .entry(key.as_str())
                .or_insert_with(|| group_key_hash(key));
            by_key.entry(hash.clone()).or_default().push(i);
        }
        if let Some(config) = routing {
            let keys = routed_keys
                .entry(episode.labels().address())
                .or_insert_with(|| routed_group_keys(config, episode.labels(), episode.rule()));
            for key in keys.iter() {
                by_key.entry(key.clone()).or_default().push(i);
            }
        }
    }
    // Earliest incidents first, so each episode takes the first that paged for it.
    let mut incidents: Vec<usize> = paging
        .into_iter()
        .filter(|&i| table.get(i).paging_key().is_some())
        .collect();
    incidents.sort_by_key(|&i| (table.get(i).starts_at(), i));
    let mut joined_incident = vec![false; table.len()];
    let mut taken = vec![false; table.len()];
    for p in incidents {
        let page = table.get(p).to_episode();
        let Some(candidates) = page.paging_key.as_ref().and_then(|key| by_key.get(key)) else {
            continue;
        };
        let created = page.starts_at.unwrap_or(0);
        let resolved = page.ends_at.unwrap_or(Millis::MAX);
        let mut matched = 0;
        for &a in candidates {
            let start = table.get(a).starts_at().unwrap_or(0);
            let end = table.get(a).ends_at().unwrap_or(Millis::MAX);
            if start > resolved || end < created - PAGE_SLACK_MS {
                continue;
            }
            matched += 1;
            if taken[a] {
                continue;
            }
            taken[a] = true;
            let mut alert = table.get(a).to_episode();
            alert.incident_id = page.incident_id.clone();
            alert.ack_tracked |= page.ack_tracked;
            if let Some(ack) = page.acked_at {
                // An alert that joined an already acknowledged incident paged
                // nobody: acknowledged on arrival.
                alert.acked_at = Some(ack.max(start));
                alert.acked_by = page.acked_by.clone();
            }
            alert.auto_resolved = alert.auto_resolved.or(page.auto_resolved);
            table.set_row(a, &alert, index);
            counts
                .entry(page.source.to_string())
                .or_default()
                .episodes_joined += 1;
        }
        if matched > 0 {
            joined_incident[p] = true;
            counts.entry(page.source.to_string()).or_default().joined += 1;
        }
    }
    if joined_incident.contains(&true) {
        let kept: Vec<u32> = (0..table.len() as u32)
            .filter(|&i| !joined_incident[i as usize])
            .collect();
        table.gather(&kept);
        join_keys.clear();
    }
    counts
}

/// A warning per paging source none of whose keyed incidents joined the
/// Alertmanager history read beside it: the sign of a webhook archive fed by
/// its own receiver (docs/collect.md), whose group keys are not the paging
/// receiver's. Every such incident then counts as an episode of its own.
fn unjoined_paging(paging: &BTreeMap<String, PagingJoin>, table: &EpisodeTable) -> Vec<Problem> {
    let has_alertmanager = table
        .iter()
        .any(|e| e.source() == super::alertmanager_webhook::NAME);
    if !has_alertmanager {
        return Vec::new();
    }
    (paging.iter())
        .filter(|(_, join)| join.with_key > 0 && join.joined == 0)
        .map(|(source, join)| {
            Problem::warning(
                source,
                0,
                0,
                format!(
                    "none of the {} incidents with a dedup key joined an Alertmanager episode, so each \
                     counts as an episode of its own: if the webhook history comes from an archive \
                     receiver of its own (docs/collect.md), give --alertmanager-config so that the \
                     paging routes' group keys are known (docs/formats/joins.md)",
                    join.with_key
                ),
            )
        })
        .collect()
}

/// The group keys (and their SHA-256) of the notifications Alertmanager
/// sends for an alert with these labels, one per route it reaches; the
/// rule is its `alertname` when the labels lack one.
fn routed_group_keys(config: &AlertmanagerConfig, labels: &Labels, rule: &str) -> Vec<String> {
    let map = crate::routing::alert_labels(labels.map(), rule);
    let mut keys = Vec::new();
    for route in config.route.matching(&map) {
        let key = route.group_key(&map);
        keys.push(group_key_hash(&key));
        keys.push(key);
    }
    keys
}

/// Marks every episode a silence matched while it fired, and gives each
/// silence once (the last answer's state of it: a silence expired early
/// ends when it was expired) with the episodes that state matched. Every
/// state read marks; one pass over the episodes does both.
fn apply_silences(
    episodes: &mut EpisodeTable,
    silences: Vec<Silence>,
) -> (SilenceJoin, Vec<SilenceUse>) {
    let mut join = SilenceJoin {
        silences: silences.len(),
        episodes_silenced: 0,
    };
    // The last state of each silence, by id (one without an id is its own).
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for (i, silence) in silences.iter().enumerate() {
        let key = match silence.id.is_empty() {
            true => format!("#{i}"),
            false => silence.id.clone(),
        };
        last.insert(key, i);
    }
    let mut use_of: Vec<Option<usize>> = vec![None; silences.len()];
    for (at, &i) in last.values().enumerate() {
        use_of[i] = Some(at);
    }
    let mut counts: Vec<(u64, BTreeMap<String, u64>)> = vec![Default::default(); last.len()];
    if !silences.is_empty() {
        for row in 0..episodes.len() {
            let episode = episodes.get(row);
            let Some(start) = episode.starts_at() else {
                continue;
            };
            let ends_at = episode.ends_at();
            let mut matched = false;
            for (i, s) in silences.iter().enumerate() {
                if !(s.overlaps(start, ends_at) && s.matches(episode.labels())) {
                    continue;
                }
                matched = true;
                if let Some(at) = use_of[i] {
                    counts[at].0 += 1;
                    *counts[at].1.entry(episode.rule().to_string()).or_default() += 1;
                }
            }
            if matched {
                if !episode.silenced() {
                    join.episodes_silenced += 1;
                }
                episodes.set_silenced(row);
            }
        }
    }
    let mut silences: Vec<Option<Silence>> = silences.into_iter().map(Some).collect();
    let uses = (last.values().zip(counts))
        .filter_map(|(&i, (episodes, rules))| {
            Some(SilenceUse {
                silence: silences[i].take()?,
                episodes,
                rules,
            })
        })
        .collect();
    (join, uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_key_hash_is_alertmanagers_dedup_key() {
        // Alertmanager's notify.Key.Hash(): SHA-256 of the group key, as hex.
        assert_eq!(
            group_key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            group_key_hash("{}:{alertname=\"HighLatency\"}"),
            "d4061866bc333de2350285b0452a21f78349e3d63b4f06b6c956f64f95d7be36"
        );
    }
}
