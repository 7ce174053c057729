//! Real Alertmanager files from public projects (see tests/fixtures/ATTRIBUTION.md).

use crate::common::*;
use alertnoise::fingerprint::fingerprint;
use alertnoise::problem::Severity;
use std::collections::BTreeMap;

#[test]
fn fingerprints_computed_from_labels_equal_the_ones_alertmanager_wrote() {
    for file in [
        "api-v2-alert-groups-0.25.0.json",
        "api-v2-alert-groups-0.31.0.json",
    ] {
        let text = std::fs::read_to_string(fixture(&format!("alertmanager/{file}"))).unwrap();
        let groups: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for group in groups.as_array().unwrap() {
            for alert in group["alerts"].as_array().unwrap() {
                let labels: BTreeMap<String, String> =
                    serde_json::from_value(alert["labels"].clone()).unwrap();
                assert_eq!(
                    fingerprint(&labels),
                    alert["fingerprint"].as_str().unwrap(),
                    "{file}: {labels:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 24, "{file} holds 24 alerts");
    }
}

#[test]
fn resolved_body_with_eight_fractional_digits() {
    let a = run(&options(vec![fixture(
        "alertmanager/webhook-resolved.json",
    )]));
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert_eq!(a.episode_rows().len(), 1);
    let e = &a.episode_rows()[0];
    // The alert's own alertname, not the group's.
    assert_eq!(e.rule, "MyAlertName");
    // The export's fingerprint is kept as the instance id.
    assert_eq!(e.fingerprint, "dd19ae3d4e06ac55");
    assert_eq!(e.starts_at, Some(t("2019-01-02T10:31:46.054Z")));
    assert_eq!(e.ends_at, Some(t("2019-01-02T10:36:46.054Z")));
    assert_eq!(e.notification_count(), 1);
    let rule = row(&a.rules, "MyAlertName");
    close(f(rule, "duration_p50_s"), 300.0, "five minutes");
    assert_eq!(rule["severity"], "critical");
}

#[test]
fn zero_ends_at_means_still_firing_and_the_fingerprint_is_computed() {
    let a = run(&options(vec![fixture(
        "alertmanager/webhook-zero-endsat-no-fingerprint.json",
    )]));
    assert_eq!(a.episode_rows().len(), 1);
    let e = &a.episode_rows()[0];
    assert_eq!(e.ends_at, None, "Go's zero time is no end");
    assert_eq!(e.fingerprint, fingerprint(&e.labels));
    assert_eq!(e.fingerprint, "3d69f64f7d326c93");
    // Marked resolved with no end: kept, with a warning naming the file and line.
    assert_eq!(a.problems.len(), 1);
    assert_eq!(a.problems[0].severity, Severity::Warning);
    assert!(a.problems[0]
        .file
        .ends_with("webhook-zero-endsat-no-fingerprint.json"));
    assert_eq!(a.problems[0].line, 5, "the alert's line");
    // Open: clipped at the window's end, not counted among resolved durations.
    let r = row(&a.rules, "MyAlertName");
    assert!(r["duration_p50_s"].is_null());
    assert!(f(r, "firing_hours") > 13.0);
}

#[test]
fn the_same_body_in_two_files_is_one_notification() {
    let a = run(&options(vec![
        fixture("alertmanager/webhook-resolved.json"),
        fixture("alertmanager/webhook-resolved.json"),
    ]));
    assert_eq!(a.episode_rows().len(), 1);
    assert_eq!(f(row(&a.rules, "MyAlertName"), "notifications"), 1.0);
}

#[test]
fn a_firing_body_and_its_resolved_body_are_one_episode_with_two_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let resolved = std::fs::read_to_string(fixture("alertmanager/webhook-resolved.json")).unwrap();
    let firing = resolved
        .replacen("\"status\": \"resolved\"", "\"status\": \"firing\"", 2)
        .replace("2019-01-02T10:36:46.05445419Z", "0001-01-01T00:00:00Z");
    let a = run(&options(vec![
        write(dir.path(), "1.json", &firing),
        write(dir.path(), "2.json", &resolved),
    ]));
    assert_eq!(a.episode_rows().len(), 1);
    let e = &a.episode_rows()[0];
    assert_eq!(e.ends_at, Some(t("2019-01-02T10:36:46.054Z")));
    assert_eq!(e.notification_count(), 2);
}

#[test]
fn a_refire_before_the_resolution_was_sent_closes_the_earlier_episode() {
    // Alertmanager replaces a resolved alert by its re-fire before notifying
    // the resolution: the first episode is only ever seen firing.
    let dir = tempfile::tempdir().unwrap();
    let resolved = std::fs::read_to_string(fixture("alertmanager/webhook-resolved.json")).unwrap();
    let firing = |starts: &str| {
        resolved
            .replacen("\"status\": \"resolved\"", "\"status\": \"firing\"", 2)
            .replace("2019-01-02T10:36:46.05445419Z", "0001-01-01T00:00:00Z")
            .replace("2019-01-02T10:31:46.05445419Z", starts)
    };
    let a = run(&options(vec![
        write(dir.path(), "1.json", &firing("2019-01-02T10:00:00Z")),
        write(dir.path(), "2.json", &firing("2019-01-02T10:09:00Z")),
    ]));
    assert_eq!(a.episode_rows().len(), 2);
    assert_eq!(a.episode_rows()[0].ends_at, Some(t("2019-01-02T10:09:00Z")));
    assert_eq!(a.episode_rows()[1].ends_at, None);
    assert_eq!(f(row(&a.rules, "MyAlertName"), "refires"), 1.0);
}
