//! What incident tools (PagerDuty, Opsgenie, Grafana's annotations) have in
//! common: one record per incident with a title, a dedup key, times of
//! creation, first acknowledgement and resolution. Each format fills an
//! [`Incident`]; this module turns it into an episode the same way for all.
//!
//! The episode's labels are `alertname` (the rule, see `rule_name.rs`), the
//! service, team and severity the tool names, and `dedup_key` when the tool
//! has one; the fingerprint is Alertmanager's hash of those labels, so the
//! incidents of one dedup key (or, without one, of one rule and service) are
//! one instance, and a re-trigger soon after a resolve counts as a refire.

use super::rule_name::RuleNamer;
use super::{json_records, mapped_csv, InputFile, ReadContext, SourceOutput};
use crate::episodes::{Episode, Origin};
use crate::fingerprint::fingerprint;
use crate::problem::Problem;
use crate::timefmt::{epoch_to_millis, format_millis, parse_stamp_in, LocalStamp, Millis, Stamp};
use serde_json::Value;
use std::collections::BTreeMap;

/// Whether rows of this source are paging-tool incidents (made by
/// [`Incident::into_episode`]): one per incident id, joinable onto
/// Alertmanager's episodes. An episodes CSV's `incident_id` is not: many
/// alerts may share an incident there.
pub fn is_incident_source(source: &str) -> bool {
    [
        super::pagerduty_incidents::NAME,
        super::pagerduty_log_entries::NAME,
        super::pagerduty_analytics::NAME,
        super::pagerduty_csv::NAME,
        super::opsgenie_alerts::NAME,
        super::opsgenie_csv::NAME,
    ]
    .contains(&source)
}

/// One incident as a paging tool records it.
#[derive(Debug, Clone, Default)]
pub struct Incident {
    /// Format name for the `source` column.
    pub source: &'static str,
    /// The tool's incident id.
    pub id: Option<String>,
    /// The rule, already named from the title (see `rule_name.rs`).
    pub rule: String,
    /// The deduplication key (PagerDuty `incident_key`, Opsgenie `alias`).
    pub key: Option<String>,
    /// When it was created (triggered).
    pub created_at: Millis,
    /// When it was resolved or closed; `None` while open.
    pub resolved_at: Option<Millis>,
    /// First acknowledgement.
    pub acked_at: Option<Millis>,
    /// Who acknowledged first.
    pub acked_by: Option<String>,
    /// Whether the record can tell acknowledged from not.
    pub ack_tracked: bool,
    /// Resolved by the integration rather than a person, where known.
    pub auto_resolved: Option<bool>,
    /// How many alerts or notifications it took (PagerDuty alert count,
    /// Opsgenie `count`); at least 1.
    pub notifications: u32,
    /// Service, team, severity as the tool names them.
    pub service: Option<String>,
    /// Owning team.
    pub team: Option<String>,
    /// Severity or priority.
    pub severity: Option<String>,
    /// Where the record was read.
    pub origin: Origin,
}

impl Incident {
    /// The incident as an episode, or why it cannot be one (times out of order).
    pub fn into_episode(self) -> Result<Episode, String> {
        if let Some(end) = self.resolved_at {
            if end < self.created_at {
                return Err(format!(
                    "resolved at {} before it was created at {}",
                    format_millis(end),
                    format_millis(self.created_at)
                ));
            }
        }
        if let Some(ack) = self.acked_at {
            if ack < self.created_at {
                return Err(format!(
                    "acknowledged at {} before it was created at {}",
                    format_millis(ack),
                    format_millis(self.created_at)
                ));
            }
        }
        let mut labels = BTreeMap::new();
        labels.insert("alertname".to_string(), self.rule.clone());
        for (name, value) in [
            ("service", &self.service),
            ("team", &self.team),
            ("severity", &self.severity),
            ("dedup_key", &self.key),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                labels.insert(name.to_string(), v.clone());
            }
        }
        Ok(Episode {
            source: self.source,
            rule: self.rule.into(),
            fingerprint: fingerprint(&labels).into(),
            labels: labels.into(),
            starts_at: Some(self.created_at),
            ends_at: self.resolved_at,
            notifications: self.notifications.max(1),
            acked_at: self.acked_at,
            acked_by: self.acked_by,
            ack_tracked: self.ack_tracked,
            auto_resolved: self.auto_resolved,
            incident_id: self.id,
            paging_key: self.key,
            origin: self.origin,
            ..Episode::default()
        })
    }
}

/// A JSON field holding a time (RFC 3339, a local time read in `zone`, or
/// epoch seconds/milliseconds); `None` when absent, null or empty. Sets
/// `assumed` when the zone had to be assumed.
pub fn json_time(
    item: &Value,
    pointer: &str,
    zone: chrono_tz::Tz,
    assumed: &mut bool,
) -> Result<Option<Millis>, String> {
    let name = pointer.trim_start_matches('/').replace('/', ".");
    match item.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => match parse_stamp_in(text, zone) {
            Ok(LocalStamp {
                stamp: Stamp::At(t),
                zone_assumed,
            }) => {
                *assumed |= zone_assumed;
                Ok(Some(t))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(format!("{name}: {e}")),
        },
        Some(Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| format!("{name}: {n} is not a time"))
            .and_then(|v| epoch_to_millis(v).map_err(|e| format!("{name}: {e}")))
            .map(Some),
        Some(other) => Err(format!("{name}: {other} is not a time")),
    }
}

/// A JSON field as text (strings as they are, numbers written out).
pub fn json_text(item: &Value, pointer: &str) -> Option<String> {
    match item.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative JSON number of `unit_ms` milliseconds each, as milliseconds.
pub fn json_millis(item: &Value, pointer: &str, unit_ms: f64) -> Result<Option<Millis>, String> {
    match item.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n >= 0.0 && n * unit_ms < 1e15 => Ok(Some((n * unit_ms).round() as Millis)),
            _ => Err(format!(
                "{}: {v} is not a non-negative number",
                pointer.trim_start_matches('/').replace('/', ".")
            )),
        },
    }
}

/// Reads every item of a paginated JSON answer with `read_item`, which gives
/// an incident (or `None` to leave the item out silently) or why it cannot.
pub fn read_json_items(
    file: &InputFile,
    text: &str,
    list_keys: &[&str],
    single_key: Option<&str>,
    context: &ReadContext,
    mut read_item: impl FnMut(&Value, &mut RuleNamer, &mut bool) -> Result<Option<Incident>, String>,
) -> SourceOutput {
    let (items, mut problems) = json_records::page_objects(&file.name, text, list_keys, single_key);
    let mut namer = RuleNamer::new(&context.rule_from);
    let mut assumed = false;
    let mut episodes = Vec::new();
    for (line, item) in items {
        let read = read_item(&item, &mut namer, &mut assumed).and_then(|incident| {
            incident
                .map(|mut i| {
                    i.origin = Origin {
                        file: (&file.name).into(),
                        line,
                    };
                    i.into_episode()
                })
                .transpose()
        });
        match read {
            Ok(Some(episode)) => episodes.push(episode),
            Ok(None) => {}
            Err(reason) => problems.push(Problem::skipped(&file.name, line, 0, reason)),
        }
    }
    problems.extend(mapped_csv::file_warnings(
        &file.name, &namer, assumed, context.tz,
    ));
    SourceOutput {
        episodes,
        problems,
        ..SourceOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dedup_key_is_one_instance_and_bad_times_are_refused() {
        let base = Incident {
            source: "t",
            rule: "HighLatency".into(),
            key: Some("k1".into()),
            created_at: 1000,
            resolved_at: Some(5000),
            ..Incident::default()
        };
        let a = base.clone().into_episode().unwrap();
        let b = Incident {
            created_at: 9000,
            resolved_at: None,
            ..base.clone()
        }
        .into_episode()
        .unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.labels["dedup_key"], "k1");
        assert_eq!(a.notifications, 1);
        let other = Incident {
            key: Some("k2".into()),
            ..base.clone()
        }
        .into_episode()
        .unwrap();
        assert_ne!(a.fingerprint, other.fingerprint);
        let backwards = Incident {
            resolved_at: Some(500),
            ..base.clone()
        };
        assert!(backwards
            .into_episode()
            .unwrap_err()
            .contains("before it was created"));
        let early_ack = Incident {
            acked_at: Some(10),
            ..base
        };
        assert!(early_ack.into_episode().is_err());
    }
}
