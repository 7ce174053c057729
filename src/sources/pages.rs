//! Pages: a person notified about an alert, from the paging tools'
//! records, for the responder load (`metrics/responders.rs`).
//!
//! PagerDuty's `notify_log_entry` entries are pages as they happened (who,
//! when, by which channel; an escalation pages the next person). Where a
//! source records no notifications (Opsgenie's alerts, PagerDuty without
//! log entries, an episodes CSV's `acked_by`), the person who acknowledged
//! an incident (or an episode without one) is taken to have been paged
//! when it started. A page is acknowledged when that person took the
//! incident's first acknowledgement.

use super::pagerduty_log_entries::Notice;
use crate::episode_table::EpisodeTable;
use crate::timefmt::Millis;
use std::collections::{BTreeMap, BTreeSet};

/// One person paged about one incident or episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Who.
    pub responder: String,
    /// When.
    pub at: Millis,
    /// The alert rule it was about.
    pub rule: String,
    /// The paging tool's incident, when there is one.
    pub incident_id: Option<String>,
    /// Whether this person took the first acknowledgement.
    pub acknowledged: bool,
    /// The channel (`sms`, `phone`, …), where the tool says.
    pub channel: Option<String>,
}

/// The notices a log holds about an incident, with its first acknowledger.
#[derive(Debug, Clone, Default)]
pub struct IncidentNotices {
    /// The notices, in time order.
    pub notices: Vec<Notice>,
    /// Who took the first acknowledgement.
    pub acked_by: Option<String>,
    /// The rule the log's incident title names.
    pub rule: String,
}

/// Every page of the history: the logs' notices (by incident id), then for
/// the incidents and episodes without notices, their acknowledger.
pub fn pages(table: &EpisodeTable, notices: &BTreeMap<String, IncidentNotices>) -> Vec<Page> {
    let mut out = Vec::new();
    // The rule of each incident, from the episodes that carry its id.
    let mut rule_of: BTreeMap<&str, &str> = BTreeMap::new();
    for e in table.iter() {
        if let Some(id) = e.incident_id() {
            rule_of.entry(id).or_insert(e.rule().as_str());
        }
    }
    for (id, incident) in notices {
        let rule = rule_of.get(id.as_str()).copied().unwrap_or(&incident.rule);
        for n in &incident.notices {
            out.push(Page {
                responder: n.user.clone(),
                at: n.at,
                rule: rule.to_string(),
                incident_id: Some(id.clone()),
                acknowledged: incident.acked_by.as_deref() == Some(n.user.as_str()),
                channel: n.channel.clone(),
            });
        }
    }
    // Without notices: the acknowledger, once per incident (or episode).
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for e in table.iter() {
        let (Some(by), Some(start)) = (e.acked_by(), e.starts_at()) else {
            continue;
        };
        if let Some(id) = e.incident_id() {
            let has_notices = notices.get(id).is_some_and(|n| !n.notices.is_empty());
            if has_notices || !seen.insert(id) {
                continue;
            }
        }
        out.push(Page {
            responder: by.to_string(),
            at: start,
            rule: e.rule().to_string(),
            incident_id: e.incident_id().map(str::to_string),
            acknowledged: true,
            channel: None,
        });
    }
    out.sort_by(|a, b| (a.at, &a.responder, &a.rule).cmp(&(b.at, &b.responder, &b.rule)));
    out
}
