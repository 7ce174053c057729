//! The episode table routed through the configuration's tree: the table's
//! `receivers` column, and which routes the history's alerts entered.
//!
//! Routing depends on the labels alone, so each distinct label set is
//! routed once; a label set without `alertname` (some exports leave it
//! out) is routed once per rule, with `alertname` set to the rule, since
//! every alert Alertmanager routes has it.

use super::{AlertmanagerConfig, Route};
use crate::episode_table::{EpisodeTable, ReceiversColumn};
use rayon::prelude::*;
use std::collections::HashMap;

/// Where one label set (with its rule) went.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    /// The routes it ended in, as places in [`Route::walk`]'s order (the
    /// root is 0), in routing order.
    pub ended_in: Vec<u32>,
    /// Every route it entered (those it ended in and their ancestors), as
    /// places in [`Route::walk`]'s order, ascending.
    pub entered: Vec<u32>,
}

/// Where the history's alerts went.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    /// The table's `receivers` column: per row a code into its lists
    /// (`receivers.lists[c]` belongs to `destinations[c]`).
    pub receivers: ReceiversColumn,
    /// Per code of the column: the routes behind its receivers.
    pub destinations: Vec<Destination>,
}

/// Routes every row of `table` (each distinct label set once, side by side).
pub fn route_table(config: &AlertmanagerConfig, table: &EpisodeTable) -> Routed {
    let sets = table.label_sets();
    let rules = table.rules();
    // A key per row: its label set, and its rule where the set lacks alertname.
    let lacks_name: Vec<bool> = (sets.values().iter())
        .map(|set| !set.contains_key("alertname"))
        .collect();
    let mut index: HashMap<(u32, u32), u32> = HashMap::new();
    let mut keys: Vec<(u32, u32)> = Vec::new();
    let codes: Vec<u32> = (sets.codes().iter().zip(rules.codes()))
        .map(|(&set, &rule)| {
            // The rule matters only to a set without alertname (0: it does not).
            let key = (set, if lacks_name[set as usize] { rule } else { 0 });
            *index.entry(key).or_insert_with(|| {
                keys.push(key);
                keys.len() as u32 - 1
            })
        })
        .collect();
    let walk = config.route.walk();
    let parents = parents(&walk);
    let receiver_index = |name: &str| {
        (config.receivers.iter())
            .position(|r| r.name == name)
            .unwrap_or_default() as u32
    };
    let routed: Vec<(Vec<u32>, Destination)> = keys
        .par_iter()
        .map(|&(set, rule)| {
            let name = rules.text_of(rule).map_or("", |n| n.as_str());
            let map = super::alert_labels(sets.values()[set as usize].map(), name);
            let ended: Vec<&Route> = config.route.matching(&map);
            let receivers = ended.iter().map(|r| receiver_index(&r.receiver)).collect();
            let ended_in: Vec<u32> = (ended.iter())
                .filter_map(|r| walk.iter().position(|w| std::ptr::eq(*w, *r)))
                .map(|p| p as u32)
                .collect();
            let mut entered: Vec<u32> = Vec::new();
            for &place in &ended_in {
                let mut at = Some(place);
                while let Some(p) = at {
                    entered.push(p);
                    at = parents[p as usize];
                }
            }
            entered.sort_unstable();
            entered.dedup();
            (receivers, Destination { ended_in, entered })
        })
        .collect();
    let (lists, destinations) = routed.into_iter().unzip();
    Routed {
        receivers: ReceiversColumn {
            names: config.receivers.iter().map(|r| r.name.clone()).collect(),
            lists,
            codes,
        },
        destinations,
    }
}

/// Each route's parent's place in the walk (`None` for the root).
fn parents(walk: &[&Route]) -> Vec<Option<u32>> {
    let mut parents = vec![None; walk.len()];
    for (place, route) in walk.iter().enumerate() {
        for child in &route.routes {
            if let Some(c) = walk.iter().position(|r| std::ptr::eq(*r, child)) {
                parents[c] = Some(place as u32);
            }
        }
    }
    parents
}
