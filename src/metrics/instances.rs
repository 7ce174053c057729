//! The noisiest instances of each noisy rule: the fix is often one host or
//! one job, not the rule (`instances.json` and the report's "Noisiest
//! instances" section).
//!
//! Per rule with noisy episodes in the window, its instances (fingerprints)
//! by noisy episodes (as `noisy_episodes` counts them: short, refire, or
//! reviewed not actionable), the most first; each instance named by the
//! labels that tell it apart from the rule's other instances.

use super::{windowed, Settings, INSTANCE_COLUMN, RULE_COLUMN};
use crate::episodes::EpisodeTable;
use crate::interned::LabelMap;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many instances each rule lists.
pub const PER_RULE: usize = 5;

/// One instance of a rule and its noise.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NoisyInstance {
    /// Its fingerprint.
    pub fingerprint: String,
    /// The labels whose values differ between the rule's instances.
    pub labels: BTreeMap<String, String>,
    /// Its noisy episodes in the window.
    pub noisy_episodes: u64,
    /// All its episodes in the window.
    pub episodes: u64,
}

/// One noisy rule's instances.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleInstances {
    /// The rule.
    pub rule: String,
    /// How many instances fired in the window.
    pub instances: usize,
    /// The rule's noisy episodes.
    pub noisy_episodes: u64,
    /// Share of the noisy episodes the listed instances had.
    pub listed_share: f64,
    /// The noisiest instances, at most [`PER_RULE`].
    pub top: Vec<NoisyInstance>,
}

/// The noisiest instances of every rule with noisy episodes and more than
/// one instance, rules by noisy episodes (the most first), then name.
pub fn noisiest(
    facts: &DataFrame,
    settings: &Settings,
    table: &EpisodeTable,
) -> PolarsResult<Vec<RuleInstances>> {
    // The windowed episodes' rule, instance and noisy flag (the plan the
    // metrics run, only these columns), counted per rule and instance in
    // one pass: an instance's fingerprint names its alert, so each instance
    // has a slot for the rule it is met with, and a map takes any other.
    let episodes = windowed(facts.clone(), settings)
        .select([col(RULE_COLUMN), col(INSTANCE_COLUMN), col("noisy")])
        .collect()?;
    let rules = episodes.column(RULE_COLUMN)?.u32()?;
    let instances = episodes.column(INSTANCE_COLUMN)?.u32()?;
    let noisy = episodes.column("noisy")?.bool()?;
    let mut slots: Vec<(u32, u64, u64)> =
        vec![(u32::MAX, 0, 0); table.fingerprints().values().len() + 1];
    let mut others: fnv::FnvHashMap<(u32, u32), (u64, u64)> = Default::default();
    for ((rule, instance), noisy) in rules.iter().zip(instances.iter()).zip(noisy.iter()) {
        let (Some(rule), Some(instance)) = (rule, instance) else {
            continue;
        };
        let noisy = u64::from(noisy == Some(true));
        match slots.get_mut(instance as usize) {
            Some(slot) if slot.0 == rule || slot.0 == u32::MAX => {
                *slot = (rule, slot.1 + noisy, slot.2 + 1);
            }
            _ => {
                let counts = others.entry((rule, instance)).or_default();
                *counts = (counts.0 + noisy, counts.1 + 1);
            }
        }
    }
    let mut by_rule: BTreeMap<u32, Vec<(u32, u64, u64)>> = BTreeMap::new();
    for (instance, &(rule, noisy, episodes)) in slots.iter().enumerate() {
        if rule != u32::MAX {
            (by_rule.entry(rule).or_default()).push((instance as u32, noisy, episodes));
        }
    }
    for (&(rule, instance), &(noisy, episodes)) in &others {
        (by_rule.entry(rule).or_default()).push((instance, noisy, episodes));
    }
    // A row of each fingerprint, for its labels.
    let mut first_row: Vec<u32> = vec![u32::MAX; table.fingerprints().values().len() + 1];
    for (row, &code) in table.fingerprints().codes().iter().enumerate() {
        let slot = &mut first_row[code as usize];
        if *slot == u32::MAX {
            *slot = row as u32;
        }
    }
    let labels_of = |code: &u32| -> Option<&LabelMap> {
        let row = *first_row.get(*code as usize)?;
        (row != u32::MAX).then(|| table.label_sets().get(row as usize).map())
    };
    let mut out: Vec<RuleInstances> = Vec::new();
    for (rule, mut list) in by_rule {
        let total: u64 = list.iter().map(|(_, n, _)| n).sum();
        if total == 0 || list.len() < 2 {
            continue;
        }
        // Ties: the instance that fired first (the table's order is by rule
        // and start), not the codes, which follow the order the inputs'
        // chunks were read in and differ from run to run.
        list.sort_by_key(|&(code, noisy, episodes)| {
            (
                std::cmp::Reverse(noisy),
                std::cmp::Reverse(episodes),
                first_row[code as usize],
            )
        });
        let empty = LabelMap::new();
        let sets: Vec<&LabelMap> = list
            .iter()
            .map(|(f, _, _)| labels_of(f).unwrap_or(&empty))
            .collect();
        // The labels whose values are not the same for every instance.
        let names: BTreeSet<&String> = sets.iter().flat_map(|s| s.keys()).collect();
        let differing: Vec<&String> = names
            .into_iter()
            .filter(|n| sets.iter().any(|s| s.get(*n) != sets[0].get(*n)))
            .collect();
        let top: Vec<NoisyInstance> = (list.iter().zip(&sets))
            .take(PER_RULE)
            .map(|(&(f, n, e), set)| NoisyInstance {
                fingerprint: table.fingerprints().text_or_empty(f),
                labels: (differing.iter())
                    .filter_map(|l| Some(((*l).clone(), set.get(*l)?.clone())))
                    .collect(),
                noisy_episodes: n,
                episodes: e,
            })
            .collect();
        let listed: u64 = top.iter().map(|i| i.noisy_episodes).sum();
        out.push(RuleInstances {
            rule: table.rules().text_or_empty(rule),
            instances: list.len(),
            noisy_episodes: total,
            listed_share: (listed as f64 / total as f64 * 1000.0).round() / 1000.0,
            top,
        });
    }
    out.sort_by(|a, b| {
        (b.noisy_episodes)
            .cmp(&a.noisy_episodes)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    Ok(out)
}
