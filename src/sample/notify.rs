//! Turns a true alert history into the webhook notifications Alertmanager sends.
//!
//! Alerts are grouped by `alertname`. A new group waits `group_wait` before
//! its first notification; later changes (an alert firing or resolving) go
//! out every `group_interval`; an unchanged group with firing alerts is sent
//! again after `repeat_interval`. Each body is a snapshot of the group: every
//! alert still firing, and every alert resolved since the previous body.

use super::scenario::{labels, RuleSpec, TrueEpisode};
use crate::fingerprint::fingerprint;
use crate::timefmt::Millis;
use chrono::{TimeZone, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where one route sends a rule's group, and when: the route's receiver,
/// the group's key and the route's timing.
pub struct Route<'a> {
    /// The receiver named in every body.
    pub receiver: &'a str,
    /// The group's key (`groupKey`).
    pub group_key: &'a str,
    /// Wait before a new group's first notification.
    pub group_wait: Millis,
    /// Minimum time between notifications of a group that changed.
    pub group_interval: Millis,
    /// Resend time for an unchanged group with firing alerts.
    pub repeat_interval: Millis,
}

/// One archived notification: when it was received and its body.
pub struct Notification {
    /// When the archiver received it.
    pub received_at: Millis,
    /// The webhook body.
    pub body: Value,
}

/// Formats a time as Go's `time.RFC3339Nano` does (trailing zeros dropped).
pub fn go_time(millis: Millis) -> String {
    let t = Utc
        .timestamp_millis_opt(millis)
        .single()
        .expect("valid time");
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ms = millis.rem_euclid(1000);
    if ms == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{ms:03}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

fn alert_json(rule: &RuleSpec, e: &TrueEpisode, at: Millis) -> Value {
    let labels = labels(rule, e.instance);
    let resolved = e.end.is_some_and(|end| end <= at);
    json!({
        "status": if resolved { "resolved" } else { "firing" },
        "labels": labels,
        "annotations": {
            "summary": rule.summary,
            "runbook_url": format!("https://runbooks.acme-shop.example/{}", rule.name),
        },
        "startsAt": go_time(e.start),
        "endsAt": if resolved { go_time(e.end.unwrap_or(at)) } else { "0001-01-01T00:00:00Z".to_string() },
        "generatorURL": format!("http://prometheus.acme-shop.example:9090/graph?g0.expr=ALERTS%7Balertname%3D%22{}%22%7D", rule.name),
        "fingerprint": fingerprint(&labels),
    })
}

fn common(alerts: &[Value], key: &str) -> Value {
    let mut maps = alerts.iter().filter_map(|a| a[key].as_object());
    let Some(first) = maps.next() else {
        return json!({});
    };
    let mut shared: BTreeMap<String, Value> =
        first.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for m in maps {
        shared.retain(|k, v| m.get(k) == Some(v));
    }
    json!(shared)
}

/// Simulates Alertmanager for one rule's episodes (one group) at one
/// route, appending notifications; records in `notified` the (instance,
/// start) of every episode that appeared in at least one of them.
#[allow(clippy::too_many_arguments)]
pub fn notify_group(
    rule: &RuleSpec,
    episodes: &[&TrueEpisode],
    timing: &Route,
    history_end: Millis,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Notification>,
    notified: &mut BTreeSet<(usize, Millis)>,
) {
    let repeat = timing.repeat_interval;
    let mut next = 0; // episodes[..next] have entered the group
    let mut active: Vec<usize> = Vec::new(); // entered, not yet sent as resolved
    while next < episodes.len() {
        // A new group starts with the next alert.
        let mut flush = episodes[next].start + timing.group_wait;
        let mut last_sent: Option<Millis> = None;
        let mut sent_firing: BTreeSet<usize> = BTreeSet::new();
        loop {
            if flush >= history_end {
                return;
            }
            while next < episodes.len() && episodes[next].start <= flush {
                // Same instance, same fingerprint: the new alert replaces the
                // old one in the group, whose resolution is then never sent.
                let instance = episodes[next].instance;
                active.retain(|&i| episodes[i].instance != instance);
                active.push(next);
                next += 1;
            }
            let firing: BTreeSet<usize> = active
                .iter()
                .copied()
                .filter(|&i| episodes[i].end.is_none_or(|end| end > flush))
                .collect();
            let resolved: Vec<usize> = active
                .iter()
                .copied()
                .filter(|i| !firing.contains(i))
                .collect();
            let changed = !resolved.is_empty() || firing.iter().any(|i| !sent_firing.contains(i));
            let due = last_sent.is_some_and(|t| flush - t >= repeat) && !firing.is_empty();
            if changed || due {
                notified.extend(
                    active
                        .iter()
                        .map(|&i| (episodes[i].instance, episodes[i].start)),
                );
                let alerts: Vec<Value> = active
                    .iter()
                    .map(|&i| alert_json(rule, episodes[i], flush))
                    .collect();
                let received = flush + rng.random_range(5..400);
                out.push(Notification {
                    received_at: received,
                    body: json!({
                        "receiver": timing.receiver,
                        "status": if firing.is_empty() { "resolved" } else { "firing" },
                        "alerts": alerts,
                        "groupLabels": {"alertname": rule.name},
                        "commonLabels": common(&alerts, "labels"),
                        "commonAnnotations": common(&alerts, "annotations"),
                        "externalURL": "http://alertmanager.acme-shop.example:9093",
                        "version": "4",
                        "groupKey": timing.group_key,
                        "truncatedAlerts": 0,
                    }),
                });
                last_sent = Some(flush);
                sent_firing = firing.clone();
                active.retain(|i| firing.contains(i));
            }
            if active.is_empty() && (next >= episodes.len() || episodes[next].start > flush) {
                break; // the group is gone; the next alert starts a new one
            }
            flush += timing.group_interval;
        }
    }
}
