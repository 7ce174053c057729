//! What-if replays of one rule's history under other `for:` and `keep_firing_for:` settings.
//!
//! The model is Prometheus' own rule evaluation. An alert instance's condition
//! is true from `p` (pending since) until `e` (the first evaluation where it is
//! false, which is when Prometheus resolves it). With `for: F` it fires at
//! `p + F` if the condition still holds then, i.e. iff `e − p > F`. So with
//! `for: F+Δ` an episode that fired at `s = p + F` survives iff `e − s > Δ`
//! and fires `Δ` later. (DESIGN.md says `≥ Δ`; Prometheus needs an evaluation
//! at `s + Δ` that still sees the condition, and the one at `e` does not, so an
//! episode exactly Δ long is dropped. The test against a real Prometheus pins this.)
//!
//! With `keep_firing_for: K` a firing alert whose condition turns false stays
//! firing until `e + K`; if the condition is true again at `p₂` with
//! `p₂ − e ≤ K`, the alert never resolved and both are one episode (also when
//! the second period was too short to fire on its own). Every end moves `K` later.
//!
//! Where `pending_since` is unknown, `p = starts_at − current for`; where it
//! is known (Prometheus `ALERTS`), the current `for:` is not needed at all. Pending-only
//! episodes (condition true, never fired) come from Prometheus' `ALERTS`
//! series; they may fire when `for:` is lowered and may join a kept-firing alert.
//!
//! Notifications are modelled, not replayed: a dropped episode loses all its
//! notifications; a merged episode saves the firing and the resolved
//! notification of each episode merged into it (its repeats stay); an episode
//! that fires only under the new setting costs two (firing and resolved).

use crate::episode_table::NO_TIME;
use crate::episodes::EpisodeRef;
use crate::timefmt::Millis;
use serde::Serialize;
use std::sync::OnceLock;

/// The settings a rule has, or would have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// `for:` in milliseconds.
    pub for_ms: Millis,
    /// `keep_firing_for:` in milliseconds.
    pub keep_firing_for_ms: Millis,
}

/// The simulated effect of a change on the replayed history.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Effect {
    /// Episodes that fired in the history.
    pub episodes_before: u64,
    /// Episodes that would have fired.
    pub episodes_after: u64,
    /// Notifications in the history.
    pub notifications_before: u64,
    /// Notifications there would have been (modelled, see the module docs).
    pub notifications_after: u64,
    /// Refires (an episode within the flap window after the previous one of the same alert ended).
    pub refires_before: u64,
    /// Refires there would have been.
    pub refires_after: u64,
    /// Resolved episodes shorter than `--short` in the history.
    pub short_before: u64,
    /// Episodes of the history that were short and would not fire.
    pub short_removed: u64,
    /// Actionable episodes (by review or proxy) that would not have fired at all; `None` when
    /// no episode of the rule has a known verdict.
    pub actionable_lost: Option<u64>,
    /// Episodes of unknown actionability that would not have fired.
    pub unknown_lost: u64,
    /// Pending-only episodes that would fire under the new setting.
    pub episodes_added: u64,
    /// How much later the surviving alerts fire on average (negative: earlier), in seconds.
    pub delay_added_s: f64,
    /// How much later every alert resolves, in seconds.
    pub resolve_delay_added_s: f64,
}

/// One episode as replayed: its times and which history rows it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed<'a> {
    /// Fingerprint of the alert instance.
    pub fingerprint: &'a str,
    /// When it would fire.
    pub starts_at: Millis,
    /// When it would resolve; `None` if still firing at the end of the history.
    pub ends_at: Option<Millis>,
    /// Indices (into the replayed slice) of the history rows it covers.
    pub members: Vec<usize>,
}

/// What the replay counts of one episode of the history, held side by side
/// so a replay reads one small array instead of the table's columns.
#[derive(Clone, Copy)]
struct Fact {
    fired: bool,
    short: bool,
    notifications: u32,
    actionable: Option<bool>,
    starts_at: Millis,
}

/// Counts over some of the history's fired episodes.
#[derive(Default, Clone, Copy)]
struct Tallies {
    /// Resolved episodes shorter than `--short`.
    short: u64,
    /// Episodes known to be actionable.
    actionable: u64,
    /// Episodes of unknown actionability.
    unknown: u64,
}

impl Tallies {
    fn add(&mut self, fact: &Fact) {
        self.short += u64::from(fact.short);
        self.actionable += u64::from(fact.actionable == Some(true));
        self.unknown += u64::from(fact.actionable.is_none());
    }

    /// These tallies less `part`'s (a part of the same episodes).
    fn less(&self, part: &Tallies) -> Tallies {
        Tallies {
            short: self.short - part.short,
            actionable: self.actionable - part.actionable,
            unknown: self.unknown - part.unknown,
        }
    }
}

/// One condition period of the history (32 bytes: a rule of ten million
/// episodes holds one per episode while it is replayed).
struct Period {
    pending: Millis,
    /// When the condition ended ([`NO_TIME`]: it had not).
    end_ms: Millis,
    /// When it fired ([`NO_TIME`]: it never did).
    fired_start_ms: Millis,
    index: u32,
}

impl Period {
    fn end(&self) -> Option<Millis> {
        (self.end_ms != NO_TIME).then_some(self.end_ms)
    }

    fn fired_start(&self) -> Option<Millis> {
        (self.fired_start_ms != NO_TIME).then_some(self.fired_start_ms)
    }

    fn index(&self) -> usize {
        self.index as usize
    }
}

/// One rule's history prepared once for any number of replays: its
/// condition periods grouped by instance and in time order, the
/// fingerprints as ranks (integers in the fingerprints' order), and the
/// figures of the history itself (`*_before`), which no replay changes.
pub struct History<'a> {
    /// The facts of the episodes in the walk's order (instance by
    /// instance, each in time order): a period's `index` is its place here,
    /// so that a replay reads them front to back.
    facts: Vec<Fact>,
    /// Per place in the walk's order: the episode's index in the history.
    episode_of: Vec<u32>,
    current: Setting,
    until: Millis,
    flap_window_ms: Millis,
    /// Each instance's fingerprint and periods, sorted by (pending, index).
    instances: Vec<(&'a str, u32, Vec<Period>)>,
    /// The tallies of every episode that fired (a replay's losses are
    /// these less the tallies of the fired episodes it covers).
    fired: Tallies,
    before: Effect,
    known: bool,
    unchanged: OnceLock<Effect>,
}

impl<'a> History<'a> {
    /// Prepares `episodes` (one rule's, fired and pending-only) that ran
    /// under `current`; `until` closes open episodes for the survival test;
    /// `short_ms` and `flap_window_ms` are `--short` and `--flap-window`.
    pub fn new(
        episodes: &[EpisodeRef<'a>],
        current: Setting,
        until: Millis,
        short_ms: Millis,
        flap_window_ms: Millis,
    ) -> History<'a> {
        // The table's ranks: one per fingerprint, in the fingerprints' order.
        let ranks: Vec<u32> = episodes.iter().map(|e| e.fingerprint_rank()).collect();
        let count = ranks.iter().max().map_or(0, |r| *r as usize + 1);
        let mut instances: Vec<(&'a str, u32, Vec<Period>)> = Vec::new();
        const NO_SLOT: u32 = u32::MAX;
        let mut slot_of_rank: Vec<u32> = vec![NO_SLOT; count];
        for (index, e) in episodes.iter().enumerate() {
            let pending = match (e.pending_since(), e.starts_at()) {
                (Some(p), _) => p,
                (None, Some(s)) => s - current.for_ms,
                (None, None) => continue,
            };
            // A fired episode's observed end includes the current keep_firing_for.
            let end = match (e.ends_at(), e.starts_at()) {
                (Some(end), Some(_)) => Some((end - current.keep_firing_for_ms).max(pending)),
                (end, _) => end,
            };
            let rank = ranks[index];
            let slot = &mut slot_of_rank[rank as usize];
            if *slot == NO_SLOT {
                *slot = instances.len() as u32;
                instances.push((e.fingerprint().as_str(), rank, Vec::new()));
            }
            instances[*slot as usize].2.push(Period {
                pending,
                end_ms: end.unwrap_or(NO_TIME),
                fired_start_ms: e.starts_at().unwrap_or(NO_TIME),
                index: index as u32,
            });
        }
        // Each period is numbered by its place in the walk's order, and the
        // facts are laid out in that order.
        let mut episode_of: Vec<u32> = Vec::with_capacity(episodes.len());
        for (_, _, periods) in &mut instances {
            periods.sort_by_key(|p| (p.pending, p.index));
            for p in periods.iter_mut() {
                episode_of.push(p.index);
                p.index = episode_of.len() as u32 - 1;
            }
        }
        let facts: Vec<Fact> = (episode_of.iter())
            .map(|&i| {
                let e = episodes[i as usize];
                Fact {
                    fired: e.starts_at().is_some(),
                    short: is_short(e, short_ms),
                    notifications: e.notification_count(),
                    actionable: e.actionable(),
                    starts_at: e.starts_at().unwrap_or_default(),
                }
            })
            .collect();
        let fired: Vec<u32> = (0..episodes.len() as u32)
            .filter(|&i| episodes[i as usize].starts_at().is_some())
            .collect();
        let before = Effect {
            episodes_before: fired.len() as u64,
            notifications_before: fired
                .iter()
                .map(|&i| episodes[i as usize].notification_count() as u64)
                .sum(),
            refires_before: fired_refires(&instances, &episode_of, episodes, flap_window_ms),
            short_before: fired
                .iter()
                .filter(|&&i| is_short(episodes[i as usize], short_ms))
                .count() as u64,
            ..Effect::default()
        };
        let known = fired
            .iter()
            .any(|&i| episodes[i as usize].actionable().is_some());
        let mut fired = Tallies::default();
        for fact in facts.iter().filter(|f| f.fired) {
            fired.add(fact);
        }
        History {
            facts,
            episode_of,
            current,
            until,
            flap_window_ms,
            instances,
            fired,
            before,
            known,
            unchanged: OnceLock::new(),
        }
    }

    /// The history as if the rule had `new`: the replayed episodes in time order.
    pub fn replay(&self, new: Setting) -> Vec<Replayed<'a>> {
        let mut out: Vec<(u32, Replayed<'a>)> = Vec::new();
        self.walk(new, |rank, fingerprint, starts_at, ends_at, members| {
            out.push((
                rank,
                Replayed {
                    fingerprint,
                    starts_at,
                    ends_at,
                    members: (members.iter())
                        .map(|&at| self.episode_of[at] as usize)
                        .collect(),
                },
            ));
        });
        // Ranks order as the fingerprints do.
        out.sort_by_key(|(rank, r)| (r.starts_at, *rank));
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// Replays the history under `new` and calls `each` with every replayed
    /// episode: its fingerprint's rank, the fingerprint, when it would fire
    /// and resolve, and the places (in the walk's order, see
    /// [`History::facts`]) of the history's episodes it covers (the first is
    /// the one that fired). Instance by instance, each in
    /// time order; nothing is allocated per episode.
    fn walk(
        &self,
        new: Setting,
        mut each: impl FnMut(u32, &'a str, Millis, Option<Millis>, &[usize]),
    ) {
        let (current, until) = (self.current, self.until);
        let keep = new.keep_firing_for_ms;
        let mut members: Vec<usize> = Vec::new();
        for &(fingerprint, rank, ref periods) in &self.instances {
            // The open episode: when it fires and when its condition ended.
            let mut open: Option<(Millis, Option<Millis>)> = None;
            for p in periods {
                let cond_end = p.end().unwrap_or(until);
                let fires_at = match p.fired_start() {
                    // Unchanged `for:`: it fires when it did.
                    Some(s) if new.for_ms == current.for_ms => Some(s),
                    _ if cond_end - p.pending > new.for_ms => Some(p.pending + new.for_ms),
                    _ => None,
                };
                if let Some((_, current_end)) = &mut open {
                    let joins = keep > 0
                        && match current_end {
                            None => true,
                            Some(end) => p.pending - *end <= keep,
                        };
                    if joins {
                        members.push(p.index());
                        *current_end = match (*current_end, p.end()) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            _ => None,
                        };
                        continue;
                    }
                }
                if let Some((start, end)) = open.take() {
                    each(rank, fingerprint, start, end.map(|e| e + keep), &members);
                    members.clear();
                }
                if let Some(start) = fires_at {
                    members.push(p.index());
                    open = Some((start, p.end()));
                }
            }
            if let Some((start, end)) = open.take() {
                each(rank, fingerprint, start, end.map(|e| e + keep), &members);
                members.clear();
            }
        }
    }

    /// What replaying under `new` changes (the history's own figures are
    /// computed once; the replay under the current settings once too).
    pub fn effect(&self, new: Setting) -> Effect {
        if new == self.current {
            return self.unchanged.get_or_init(|| self.count(new)).clone();
        }
        self.count(new)
    }

    /// [`History::effect`] and the replayed episodes it counts.
    pub fn effect_and_replay(&self, new: Setting) -> (Effect, Vec<Replayed<'a>>) {
        (self.effect(new), self.replay(new))
    }

    /// Counts what the replay under `new` gives, as it walks (the replayed
    /// episodes are never held).
    fn count(&self, new: Setting) -> Effect {
        let facts = &self.facts;
        let mut episodes_after = 0u64;
        let mut notifications_after = 0u64;
        let mut added = 0u64;
        // The fired episodes of the history that the replay keeps (each is
        // a member of at most one replayed episode).
        let mut covered = Tallies::default();
        let mut refires_after = InstanceRefires::new(self.flap_window_ms);
        // How much later the replayed episodes that fired before fire now.
        let (mut shift_ms, mut shifted) = (0i64, 0u64);
        self.walk(new, |rank, _, starts_at, ends_at, members| {
            episodes_after += 1;
            let first = &facts[members[0]];
            if first.fired {
                notifications_after += first.notifications as u64;
                covered.add(first);
                shift_ms += starts_at - first.starts_at;
                shifted += 1;
            } else {
                // Fires only under the new setting: a firing and a resolved notification.
                added += 1;
                notifications_after += 2;
            }
            // Merged into the first: their firing and resolved notifications are saved.
            for fact in members[1..].iter().map(|&m| &facts[m]) {
                if fact.fired {
                    notifications_after += (fact.notifications as u64).saturating_sub(2);
                    covered.add(fact);
                }
            }
            refires_after.add(rank, starts_at, ends_at);
        });
        let lost = self.fired.less(&covered);
        // Mean of the shifts, in seconds (ms precision).
        let mean_shift_s =
            (shifted > 0).then(|| (shift_ms as f64 / shifted as f64).round() / 1000.0);
        Effect {
            episodes_after,
            notifications_after,
            refires_after: refires_after.total(),
            short_removed: lost.short,
            actionable_lost: self.known.then_some(lost.actionable),
            unknown_lost: lost.unknown,
            episodes_added: added,
            delay_added_s: mean_shift_s
                .unwrap_or((new.for_ms - self.current.for_ms) as f64 / 1000.0),
            resolve_delay_added_s: (new.keep_firing_for_ms - self.current.keep_firing_for_ms)
                as f64
                / 1000.0,
            ..self.before.clone()
        }
    }
}

/// Replays `episodes` (one rule's, fired and pending-only) that ran under
/// `current`, as if the rule had `new`. `until` closes open episodes for the
/// survival test. Returns the replayed episodes in time order.
pub fn replay<'a>(
    episodes: &[EpisodeRef<'a>],
    current: Setting,
    new: Setting,
    until: Millis,
) -> Vec<Replayed<'a>> {
    History::new(episodes, current, until, 0, 0).replay(new)
}

/// The refires among the fired episodes of the history (as [`refires`]
/// counts them), instance by instance: each instance's fired episodes in
/// start order, ties in the history's order (`episode_of` maps a period's
/// place in the walk's order back to the episode).
fn fired_refires(
    instances: &[(&str, u32, Vec<Period>)],
    episode_of: &[u32],
    episodes: &[EpisodeRef],
    flap_window: Millis,
) -> u64 {
    let mut count = InstanceRefires::new(flap_window);
    let mut fired: Vec<(Millis, u32, Option<Millis>)> = Vec::new();
    for (_, rank, periods) in instances {
        fired.clear();
        fired.extend(periods.iter().filter_map(|p| {
            let index = episode_of[p.index()];
            let start = p.fired_start()?;
            Some((start, index, episodes[index as usize].ends_at()))
        }));
        if !fired.is_sorted_by_key(|&(start, index, _)| (start, index)) {
            fired.sort_unstable_by_key(|&(start, index, _)| (start, index));
        }
        for &(start, _, end) in &fired {
            count.add(*rank, start, end);
        }
    }
    count.total()
}

/// Whether a resolved episode lasted less than `short_ms` (`--short`).
fn is_short(e: EpisodeRef, short_ms: Millis) -> bool {
    match (e.starts_at(), e.ends_at()) {
        (Some(s), Some(end)) => end - s < short_ms,
        _ => false,
    }
}

/// Counts refires in a list of (fingerprint rank, start, end), in any
/// order (see [`InstanceRefires`]): the reference the walks' counts are tested against.
#[cfg(test)]
fn refires(items: impl Iterator<Item = (u32, Millis, Option<Millis>)>, flap_window: Millis) -> u64 {
    let mut sorted: Vec<_> = items.collect();
    // Each instance's episodes together, in start order, ties in list order.
    sorted.sort_by_key(|(rank, start, _)| (*rank, *start));
    let mut count = InstanceRefires::new(flap_window);
    for (rank, start, end) in sorted {
        count.add(rank, start, end);
    }
    count.total()
}

/// Counts refires: episodes that start within the flap window after the
/// previous episode of their instance (in start order, ties in the order
/// given) ended. The episodes come instance by instance (each instance's
/// together, as [`History::walk`] gives them); each instance's are counted
/// when the next instance begins, without sorting all of them.
struct InstanceRefires {
    flap_window: Millis,
    rank: Option<u32>,
    episodes: Vec<(Millis, Option<Millis>)>,
    count: u64,
}

impl InstanceRefires {
    fn new(flap_window: Millis) -> Self {
        InstanceRefires {
            flap_window,
            rank: None,
            episodes: Vec::new(),
            count: 0,
        }
    }

    /// Adds an episode of the instance with fingerprint rank `rank`.
    fn add(&mut self, rank: u32, start: Millis, end: Option<Millis>) {
        if self.rank != Some(rank) {
            self.count_instance();
            self.rank = Some(rank);
        }
        self.episodes.push((start, end));
    }

    /// Counts the refires among the current instance's episodes.
    fn count_instance(&mut self) {
        // In start order, ties in the order given (walks give them in order).
        if !self.episodes.is_sorted_by_key(|e| e.0) {
            self.episodes.sort_by_key(|e| e.0);
        }
        let mut last_end: Option<Option<Millis>> = None;
        for &(start, end) in &self.episodes {
            if let Some(Some(prev_end)) = last_end {
                if (0..self.flap_window).contains(&(start - prev_end)) {
                    self.count += 1;
                }
            }
            last_end = Some(end);
        }
        self.episodes.clear();
    }

    fn total(mut self) -> u64 {
        self.count_instance();
        self.count
    }
}

/// What the replay changes, in the numbers advice and `simulate` report.
pub fn effect<'a>(
    episodes: &[EpisodeRef<'a>],
    current: Setting,
    new: Setting,
    until: Millis,
    short_ms: Millis,
    flap_window_ms: Millis,
) -> (Effect, Vec<Replayed<'a>>) {
    History::new(episodes, current, until, short_ms, flap_window_ms).effect_and_replay(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::{Episode, EpisodeTable};

    const M: Millis = 60_000;

    fn ep(fp: &str, start: Millis, end: Millis) -> Episode {
        Episode {
            rule: "R".into(),
            fingerprint: fp.into(),
            starts_at: Some(start),
            ends_at: Some(end),
            ..Episode::default()
        }
    }

    fn table(eps: &[Episode]) -> EpisodeTable {
        EpisodeTable::from_rows(eps.to_vec())
    }

    fn run(table: &EpisodeTable, current: Setting, new: Setting) -> Vec<Replayed<'_>> {
        let refs: Vec<EpisodeRef> = table.iter().collect();
        replay(&refs, current, new, 1_000 * M)
    }

    const NONE: Setting = Setting {
        for_ms: 0,
        keep_firing_for_ms: 0,
    };

    #[test]
    fn an_episode_exactly_delta_long_is_dropped_and_one_ms_longer_survives() {
        let current = Setting { for_ms: M, ..NONE };
        let new = Setting {
            for_ms: 3 * M,
            ..NONE
        };
        let eps = [ep("a", 10 * M, 12 * M), ep("b", 10 * M, 12 * M + 1)];
        let eps = table(&eps);
        let out = run(&eps, current, new);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].fingerprint, "b");
        assert_eq!(out[0].starts_at, 12 * M, "fires Δ later");
        assert_eq!(out[0].ends_at, Some(12 * M + 1));
    }

    #[test]
    fn gaps_of_exactly_k_merge_and_longer_ones_do_not() {
        let new = Setting {
            keep_firing_for_ms: 5 * M,
            ..NONE
        };
        let eps = [
            ep("a", 0, 10 * M),
            ep("a", 15 * M, 20 * M),     // gap exactly K: merges
            ep("a", 25 * M + 1, 30 * M), // gap K + 1 ms: a new episode
        ];
        let eps = table(&eps);
        let out = run(&eps, NONE, new);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].members, vec![0, 1]);
        assert_eq!(out[0].ends_at, Some(25 * M), "the merged end moves K later");
        assert_eq!(out[1].starts_at, 25 * M + 1);
        assert_eq!(out[1].ends_at, Some(35 * M));
    }

    #[test]
    fn the_current_settings_replay_the_history_unchanged() {
        let current = Setting {
            for_ms: 2 * M,
            keep_firing_for_ms: M,
        };
        let eps = [
            ep("a", 0, 3 * M),
            ep("a", 20 * M, 21 * M),
            ep("b", 5 * M, 9 * M),
        ];
        let eps = table(&eps);
        let refs: Vec<EpisodeRef> = eps.iter().collect();
        let (effect, out) = effect(&refs, current, current, 1_000 * M, 5 * M, 15 * M);
        let got: Vec<_> = out.iter().map(|r| (r.starts_at, r.ends_at)).collect();
        assert_eq!(
            got,
            vec![
                (0, Some(3 * M)),
                (5 * M, Some(9 * M)),
                (20 * M, Some(21 * M))
            ]
        );
        assert_eq!(effect.episodes_after, effect.episodes_before);
        assert_eq!(effect.delay_added_s, 0.0);
    }

    #[test]
    fn lowering_for_fires_pending_only_episodes_longer_than_the_new_for() {
        let current = Setting {
            for_ms: 5 * M,
            ..NONE
        };
        let pending = |p: Millis, e: Millis| Episode {
            starts_at: None,
            pending_since: Some(p),
            ..ep("a", 0, e)
        };
        let eps = [
            pending(0, 2 * M),
            pending(10 * M, 14 * M),
            pending(20 * M, 21 * M),
        ];
        let eps = table(&eps);
        let refs: Vec<EpisodeRef> = eps.iter().collect();
        let new = Setting {
            for_ms: 2 * M,
            ..NONE
        };
        let (effect, out) = effect(&refs, current, new, 1_000 * M, 5 * M, 15 * M);
        assert_eq!(out.len(), 1, "only the 4m pending period outlasts for: 2m");
        assert_eq!(out[0].starts_at, 12 * M);
        assert_eq!(effect.episodes_added, 1);
        assert_eq!(effect.episodes_before, 0);
    }

    #[test]
    fn a_merged_refire_loses_no_actionable_episode() {
        let mut second = ep("a", 12 * M, 13 * M);
        second.actionable = Some(true);
        let eps = [ep("a", 0, 10 * M), second];
        let eps = table(&eps);
        let refs: Vec<EpisodeRef> = eps.iter().collect();
        let new = Setting {
            keep_firing_for_ms: 5 * M,
            ..NONE
        };
        let (effect, _) = effect(&refs, NONE, new, 1_000 * M, 5 * M, 15 * M);
        assert_eq!(effect.episodes_after, 1);
        assert_eq!(effect.actionable_lost, Some(0));
        assert_eq!(effect.refires_before, 1);
        assert_eq!(effect.refires_after, 0);
    }

    proptest::proptest! {
        /// The refires a replay counts as it walks equal the refires of the
        /// replayed episodes all sorted by start, for any history (several
        /// instances, open episodes, pending-only ones) and any setting.
        #[test]
        fn walked_refires_equal_sorted_refires(
            rows in proptest::collection::vec(
                (0u8..4, 0i64..200, proptest::option::of(0i64..30), proptest::option::of(0i64..20), proptest::bool::ANY),
                1..40,
            ),
            for_m in 0i64..6,
            keep_m in 0i64..6,
            window_m in 1i64..40,
        ) {
            let eps: Vec<Episode> = rows
                .iter()
                .map(|&(fp, start, len, pending, fired)| Episode {
                    rule: "R".into(),
                    fingerprint: format!("f{fp}").into(),
                    pending_since: pending.map(|p| (start - p) * M),
                    starts_at: (fired || pending.is_none()).then_some(start * M),
                    ends_at: len.map(|l| (start + l) * M),
                    ..Episode::default()
                })
                .collect();
            let table = table(&eps);
            let refs: Vec<EpisodeRef> = table.iter().collect();
            let current = Setting { for_ms: M, keep_firing_for_ms: 0 };
            let new = Setting { for_ms: for_m * M, keep_firing_for_ms: keep_m * M };
            let history = History::new(&refs, current, 1_000 * M, 5 * M, window_m * M);
            let replayed = history.replay(new);
            let ranks = crate::ranks::name_ranks(replayed.iter().map(|r| r.fingerprint).map(|f| {
                refs.iter().find(|e| e.fingerprint().as_str() == f).unwrap().fingerprint()
            }));
            let sorted = refires(
                replayed.iter().zip(&ranks).map(|(r, &rank)| (rank, r.starts_at, r.ends_at)),
                window_m * M,
            );
            proptest::prop_assert_eq!(history.count(new).refires_after, sorted);
            // The history's own refires, from every fired episode sorted.
            let fired: Vec<&EpisodeRef> = refs.iter().filter(|e| e.starts_at().is_some()).collect();
            let ranks = crate::ranks::name_ranks(fired.iter().map(|e| e.fingerprint()));
            let before = refires(
                fired.iter().zip(&ranks).map(|(e, &rank)| (rank, e.starts_at().unwrap(), e.ends_at())),
                window_m * M,
            );
            proptest::prop_assert_eq!(history.effect(new).refires_before, before);
        }
    }
}
