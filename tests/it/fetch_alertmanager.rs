//! `alertnoise fetch alertmanager` against a real Alertmanager (Debian's
//! `prometheus-alertmanager`): alerts with their receivers and status,
//! silences kept once each, the status with `config.original`, polls
//! appended to the directory; `report` reads the directory as a history.

use crate::alertmanager_live::{http, start_alertmanager, try_http, wait_for};
use crate::common::*;
use std::time::Duration;

#[test]
fn polls_of_a_real_alertmanager_are_a_history_report_reads() {
    if !have("prometheus-alertmanager") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = "route:
  receiver: oncall
  group_by: [alertname]
  routes:
    - receiver: pager
      matchers: ['severity=\"critical\"']
receivers:
  - name: oncall
  - name: pager
";
    let (_alertmanager, port) = start_alertmanager(dir.path(), config);
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::minutes(5)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(1)).to_rfc3339();
    let silence = format!(
        r#"{{"matchers":[{{"name":"instance","value":"db1","isRegex":false,"isEqual":true}}],"startsAt":"{starts}","endsAt":"{ends}","createdBy":"test","comment":"maintenance"}}"#
    );
    assert_eq!(http(port, "POST", "/api/v2/silences", &silence).0, 200);
    let post = |alerts: &str| {
        let (status, body) = http(port, "POST", "/api/v2/alerts", alerts);
        assert_eq!(status, 200, "{body}");
    };
    post(&format!(
        r#"[{{"labels":{{"alertname":"DiskFull","severity":"warning","instance":"db1"}},"startsAt":"{starts}"}},
            {{"labels":{{"alertname":"DiskFull","severity":"warning","instance":"db2"}},"startsAt":"{starts}"}},
            {{"labels":{{"alertname":"HighLatency","severity":"critical","instance":"api1"}},"startsAt":"{starts}"}}]"#
    ));
    let url = format!("http://127.0.0.1:{port}");
    let out = dir.path().join("fetched");
    wait_for("the alerts", Duration::from_secs(30), || {
        try_http(port, "GET", "/api/v2/alerts", "")
            .is_some_and(|r| r.1.matches("\"fingerprint\"").count() == 3)
    });
    let run = alertnoise(&[
        "fetch",
        "alertmanager",
        "--url",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let status: serde_json::Value = read_json(&out.join("status.json"));
    assert_eq!(
        status["config"]["original"]
            .as_str()
            .map(|c| c.contains("receiver: pager")),
        Some(true)
    );
    let first: Vec<_> = std::fs::read_dir(out.join("alerts")).unwrap().collect();
    assert_eq!(first.len(), 1);
    let answer = std::fs::read_to_string(first[0].as_ref().unwrap().path()).unwrap();
    assert!(
        answer.contains(r#""receivers":[{"name":"pager"}]"#),
        "{answer}"
    );

    // api1 resolves, a new alert comes; two more polls appended, a second apart.
    let ended = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    post(&format!(
        r#"[{{"labels":{{"alertname":"HighLatency","severity":"critical","instance":"api1"}},"startsAt":"{starts}","endsAt":"{ended}"}},
            {{"labels":{{"alertname":"HighLatency","severity":"critical","instance":"api2"}},"startsAt":"{starts}"}}]"#
    ));
    let run = alertnoise(&[
        "fetch",
        "alertmanager",
        "--url",
        &url,
        "--out",
        out.to_str().unwrap(),
        "--every",
        "1s",
        "--for",
        "1s",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest: serde_json::Value = read_json(&out.join("fetch.json"));
    assert_eq!(manifest["polls"], 3, "{manifest}");
    assert_eq!(std::fs::read_dir(out.join("alerts")).unwrap().count(), 3);
    let silences: serde_json::Value = read_json(&out.join("silences/silences.json"));
    assert_eq!(
        silences.as_array().unwrap().len(),
        1,
        "kept once, not once a poll"
    );

    let (stdout, summary, rules) = report_on(&[&out], &dir.path().join("report"), &[]);
    assert!(stdout.contains("0 problems in the inputs"), "{stdout}");
    assert_eq!(summary["counts"]["episodes"], 4, "{summary}");
    let row = |name: &str| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("DiskFull")["episodes"], 2);
    assert_eq!(row("HighLatency")["episodes"], 2);
    // db1 was silenced: one of DiskFull's two episodes (Alertmanager's
    // `silencedBy` says so, and the fetched silence matches it).
    assert_eq!(row("DiskFull")["silenced_ratio"], 0.5, "{rules}");
    assert_eq!(row("HighLatency")["silenced_ratio"], 0.0, "{rules}");
    assert_eq!(summary["joins"]["silences"]["silences"], 1, "{summary}");
}
