//! Alerts that fire together → `inhibit` advice: the pairs found, the
//! inhibition replayed by hand, the alertmanager.yml patch checked by
//! `amtool check-config`, and a real Alertmanager loaded with it muting
//! the target alerts while the source fires.

use super::alertmanager_live::{http, start_alertmanager, wait_for};
use super::common::{bin, have, run_ok, write};
use serde_json::Value;
use std::time::Duration;

const CONFIG: &str = "global:\n  resolve_timeout: 5m\nroute:\n  receiver: oncall\n  group_by: [alertname]\n  routes:\n    - receiver: chat\n      matchers: [severity=\"warning\"]\nreceivers:\n  - name: oncall\n    webhook_configs: [{url: 'http://127.0.0.1:9/'}]\n  - name: chat\n    webhook_configs: [{url: 'http://127.0.0.1:9/'}]\n";

/// A week from 2026-01-05 at `hours` + `minutes`, as RFC 3339.
fn at(hours: i64, minutes: f64) -> String {
    let ms = 1_767_571_200_000 + hours * 3_600_000 + (minutes * 60_000.0) as i64;
    alertnoise::timefmt::format_millis(ms)
}

/// The scenario, with the review verdicts given: 8 hosts go down, 20 hours
/// apart, for 30 minutes. Their scrape targets go down a minute later and
/// come back a minute early (k = 0..5: hidden by an inhibition); on host 7
/// the target went down 2 minutes before the host (not hidden: it paged
/// first); on host 8 it stayed down 20 minutes after the host came back
/// (not explained, not hidden). A target on db-1 fails with no host down,
/// and one on web-9 while web-1 is down (the `equal` label differs).
/// `NodeExporterDown` follows each of the first six host outages too.
fn scenario(verdicts: &[(&str, usize, &str)]) -> String {
    let mut csv = String::from("rule,labels,severity,starts_at,ends_at,notifications,actionable\n");
    let verdict = |rule: &str, k: usize| {
        (verdicts.iter())
            .find(|(r, i, _)| *r == rule && *i == k)
            .map_or("", |v| v.2)
    };
    let mut row = |rule: &str, instance: &str, job: &str, start: String, end: String, k: usize| {
        csv.push_str(&format!(
            "{rule},instance={instance};job={job},critical,{start},{end},3,{}\n",
            verdict(rule, k)
        ));
    };
    for k in 0..8usize {
        let host = format!("web-{}", k + 1);
        let t = 20 * k as i64;
        row("HostDown", &host, "node", at(t, 0.0), at(t, 30.0), k);
        match k {
            0..=5 => {
                row("TargetDown", &host, "app", at(t, 1.0), at(t, 29.0), k);
                row(
                    "NodeExporterDown",
                    &host,
                    "exporter",
                    at(t, 0.5),
                    at(t, 29.5),
                    k,
                );
            }
            6 => row("TargetDown", &host, "app", at(t, -2.0), at(t, 28.0), k),
            _ => row("TargetDown", &host, "app", at(t, 1.0), at(t, 50.0), k),
        }
    }
    row("TargetDown", "db-1", "app", at(130, 0.0), at(130, 20.0), 99);
    row("TargetDown", "web-9", "app", at(0, 1.0), at(0, 29.0), 98);
    csv
}

/// Runs `report` on the scenario with the configuration; gives advice.json
/// and the report directory.
fn report(dir: &std::path::Path, csv: &str) -> (Value, std::path::PathBuf) {
    write(dir, "history.csv", csv);
    write(dir, "alertmanager.yml", CONFIG);
    let out = dir.join("report");
    run_ok(
        bin()
            .current_dir(dir)
            .args([
                "report",
                "history.csv",
                "--alertmanager-config",
                "alertmanager.yml",
            ])
            .args(["--paging-receiver", "oncall"])
            .args([
                "--since",
                "2026-01-05",
                "--until",
                "2026-01-12",
                "--out",
                "report",
            ]),
    );
    let advice = serde_json::from_slice(&std::fs::read(out.join("advice.json")).unwrap()).unwrap();
    (advice, out)
}

fn inhibits<'a>(advice: &'a Value, target: &str) -> Vec<&'a Value> {
    (advice["advice"].as_array().unwrap().iter())
        .filter(|a| a["kind"] == "inhibit" && a["rule"] == target)
        .collect()
}

#[test]
fn the_cause_is_found_and_its_inhibition_replayed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    // The first outage was acted on: the host, and so its target.
    let (advice, out) = report(
        dir.path(),
        &scenario(&[("HostDown", 0, "yes"), ("TargetDown", 0, "yes")]),
    );
    let found = inhibits(&advice, "TargetDown");
    // HostDown is the cause; NodeExporterDown, itself explained by
    // HostDown, is not offered as TargetDown's cause.
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = found[0];
    let e = &a["evidence"];
    assert_eq!(e["source"], "HostDown");
    assert_eq!(e["equal"], "instance");
    // Explained: the six targets that went down after their host and came
    // back with it, of ten TargetDown episodes with an instance.
    assert_eq!(e["explained"], 6);
    assert_eq!(e["target_episodes"], 10);
    // Chance: 8 targets on hosts that went down once each in 7 days, a
    // 5-minute window: 8 × 5 / 10080.
    let chance = e["expected_by_chance"].as_f64().unwrap();
    assert!((chance - 8.0 * 5.0 / 10_080.0).abs() < 1e-3, "{chance}");
    assert_eq!(e["hidden"], 6);
    assert_eq!(e["started_before_source"], 1);
    assert_eq!(e["pages_removed"], 6);
    assert_eq!(e["actionable_hidden"], 1);
    let effect = &a["effect"];
    assert_eq!(effect["episodes_before"], 10);
    assert_eq!(effect["episodes_after"], 4);
    assert_eq!(effect["notifications_before"], 30);
    assert_eq!(effect["notifications_after"], 12);
    assert_eq!(effect["actionable_lost"], 1);
    // HostDown also takes NodeExporterDown with it: group_by.
    assert_eq!(
        e["group_by"]["rules"],
        serde_json::json!(["NodeExporterDown"])
    );
    assert_eq!(
        a["change"]["inhibit_rules"][0],
        serde_json::json!({
            "source_matchers": ["alertname=\"HostDown\""],
            "target_matchers": ["alertname=\"TargetDown\""],
            "equal": ["instance"],
        })
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("amtool check-config"), "{md}");
}

#[test]
fn an_inhibition_that_hides_an_alert_acted_on_for_its_own_sake_is_not_advised() {
    let dir = tempfile::tempdir().unwrap();
    // Outage 1: the target was acted on, the host was not.
    let (advice, _) = report(
        dir.path(),
        &scenario(&[("HostDown", 1, "no"), ("TargetDown", 1, "yes")]),
    );
    assert!(inhibits(&advice, "TargetDown").is_empty(), "{advice:#?}");
    // NodeExporterDown's inhibition hides nothing acted on: still advised.
    assert_eq!(inhibits(&advice, "NodeExporterDown").len(), 1);
}

#[test]
fn the_patched_configuration_passes_amtool_and_alertmanager_mutes_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = report(dir.path(), &scenario(&[]));
    let patch = std::fs::read_to_string(out.join("advice.patch")).unwrap();
    assert!(patch.contains("+inhibit_rules:"), "{patch}");
    // Apply it as a user would, in the folder the configuration was named from.
    let work = dir.path().join("apply");
    let relative = "alertmanager.yml";
    write(&work, relative, CONFIG);
    let applied = std::process::Command::new("patch")
        .args(["-p1", "--input"])
        .arg(out.join("advice.patch"))
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stdout)
    );
    let patched = std::fs::read_to_string(work.join(relative)).unwrap();
    assert!(
        patched.starts_with(CONFIG),
        "the patch changed existing lines:\n{patched}"
    );
    if !have("amtool") || !have("prometheus-alertmanager") {
        return;
    }
    let check = std::process::Command::new("amtool")
        .arg("check-config")
        .arg(work.join(relative))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // A real Alertmanager with the patched file: HostDown on web-1 mutes
    // TargetDown on web-1, not TargetDown on web-2.
    let (_alertmanager, port) = start_alertmanager(&dir.path().join("am"), &patched);
    let alert = |name: &str, instance: &str| {
        format!(
            r#"{{"labels":{{"alertname":"{name}","instance":"{instance}","severity":"critical"}}}}"#
        )
    };
    let body = format!(
        "[{},{},{}]",
        alert("HostDown", "web-1"),
        alert("TargetDown", "web-1"),
        alert("TargetDown", "web-2")
    );
    assert_eq!(http(port, "POST", "/api/v2/alerts", &body).0, 200);
    let state = |instance: &str| -> (String, usize) {
        let (_, answer) = http(
            port,
            "GET",
            "/api/v2/alerts?filter=alertname%3D%22TargetDown%22",
            "",
        );
        let alerts: Value = serde_json::from_str(&answer).unwrap();
        let a = (alerts.as_array().unwrap().iter())
            .find(|a| a["labels"]["instance"] == instance)
            .cloned()
            .unwrap_or_default();
        let status = &a["status"];
        (
            status["state"].as_str().unwrap_or_default().to_string(),
            status["inhibitedBy"].as_array().map_or(0, Vec::len),
        )
    };
    wait_for("the inhibition", Duration::from_secs(20), || {
        state("web-1").0 == "suppressed"
    });
    assert_eq!(state("web-1").1, 1);
    assert_eq!(state("web-2"), ("active".to_string(), 0));
}
