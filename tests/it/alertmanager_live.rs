//! Against a real Alertmanager (Debian's `prometheus-alertmanager`): the
//! silences it applies, and the keys and titles it sends to PagerDuty and
//! Opsgenie, are the ones alertnoise's silence matching and paging join
//! assume.
//!
//! The test posts alerts and silences to Alertmanager's API, receives its
//! notifications on loopback (webhook, PagerDuty Events v2, Opsgenie), saves
//! its `/api/v2/alerts/groups` and `/api/v2/silences` answers, and reads them
//! all with alertnoise.

use crate::common::*;
use alertnoise::sources::assemble::group_key_hash;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests a receiver got: (path, body).
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// Accepts POSTs on loopback and keeps them.
fn receiver() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let keep = keep.clone();
            std::thread::spawn(move || serve(stream, &keep));
        }
    });
    (port, received)
}

fn serve(mut stream: TcpStream, keep: &Received) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_ok() {
        keep.lock()
            .unwrap()
            .push((path, String::from_utf8_lossy(&body).into_owned()));
    }
    let answer = r#"{"status":"success","message":"Event processed","dedup_key":"x","result":"Request will be processed","requestId":"r"}"#;
    let _ = write!(
        stream,
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// [`http`], or `None` when the connection fails (a server still starting).
pub(crate) fn try_http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    Some((
        status,
        answer
            .split_once("\r\n\r\n")
            .map_or("", |b| b.1)
            .to_string(),
    ))
}

/// An HTTP request on loopback (HTTP/1.0); gives the status and the body.
pub(crate) fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    try_http(port, method, path, body).expect("an HTTP answer")
}

/// An Alertmanager process, killed when dropped.
pub(crate) struct Alertmanager(Child);

/// Starts Alertmanager with `config` (its storage under `dir`) on a free
/// loopback port and waits until it is ready; gives the process and the port.
pub(crate) fn start_alertmanager(dir: &std::path::Path, config: &str) -> (Alertmanager, u16) {
    let config_path = write(dir, "alertmanager.yml", config);
    let port = free_port();
    let alertmanager = Alertmanager(
        Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.path={}", dir.join("am-data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("Alertmanager", Duration::from_secs(30), || {
        try_http(port, "GET", "/-/ready", "").is_some_and(|r| r.0 == 200)
    });
    (alertmanager, port)
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `done`, failing after `timeout`.
pub(crate) fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn silences_and_paging_keys_agree_with_a_real_alertmanager() {
    if !have("prometheus-alertmanager") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (hook_port, received) = receiver();
    let hook = format!("http://127.0.0.1:{hook_port}");
    let config = format!(
        "route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: {hook}/webhook
        send_resolved: true
    pagerduty_configs:
      - routing_key: test-routing-key
        url: {hook}/pagerduty
        send_resolved: true
    opsgenie_configs:
      - api_key: test-key
        api_url: {hook}/opsgenie/
        send_resolved: true
"
    );
    let (_alertmanager, port) = start_alertmanager(dir.path(), &config);

    // Silences first, so Alertmanager applies them to the alerts as they arrive.
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::minutes(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(1)).to_rfc3339();
    for matchers in [
        // Anchored: matches web1, not web12.
        r#"[{"name":"instance","value":"web[0-9]","isRegex":true,"isEqual":true}]"#,
        // Not equal, and a label the alert may lack.
        r#"[{"name":"alertname","value":"DiskFull","isRegex":false,"isEqual":true},{"name":"env","value":"prod","isRegex":false,"isEqual":false}]"#,
        // An alternation: ^(?:a|b)$ matches neither "ab" nor "xa".
        r#"[{"name":"zone","value":"a|b","isRegex":true,"isEqual":true}]"#,
    ] {
        let body = format!(
            r#"{{"matchers":{matchers},"startsAt":"{starts}","endsAt":"{ends}","createdBy":"test","comment":"test"}}"#
        );
        let (status, answer) = http(port, "POST", "/api/v2/silences", &body);
        assert_eq!(status, 200, "{answer}");
    }
    let alert = |labels: &str| {
        format!(r#"{{"labels":{labels},"startsAt":"{starts}","annotations":{{"summary":"test"}}}}"#)
    };
    let alerts = [
        alert(r#"{"alertname":"HighLatency","severity":"critical","instance":"api1"}"#),
        alert(r#"{"alertname":"HighLatency","severity":"critical","instance":"api2"}"#),
        alert(r#"{"alertname":"HighLatency","severity":"critical","instance":"web1"}"#),
        alert(
            r#"{"alertname":"QueueBacklog","severity":"warning","instance":"web12","zone":"ab"}"#,
        ),
        alert(r#"{"alertname":"DiskFull","severity":"warning","instance":"db1"}"#),
        alert(r#"{"alertname":"DiskFull","severity":"warning","instance":"db2","env":"prod"}"#),
        alert(r#"{"alertname":"CertExpiry","severity":"warning","instance":"lb1","zone":"b"}"#),
    ];
    let (status, answer) = http(
        port,
        "POST",
        "/api/v2/alerts",
        &format!("[{}]", alerts.join(",")),
    );
    assert_eq!(status, 200, "{answer}");
    // Every unsilenced group notifies all three receivers, and the webhooks
    // carry every unsilenced alert (on a busy machine a group's first
    // notification can hold only some of its alerts; the rest follow).
    wait_for("notifications", Duration::from_secs(30), || {
        let got = received.lock().unwrap();
        let notified: BTreeSet<String> = got
            .iter()
            .filter(|(path, _)| path == "/webhook")
            .filter_map(|(_, body)| serde_json::from_str::<serde_json::Value>(body).ok())
            .flat_map(|b| {
                b["alerts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a["labels"]["instance"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect();
        ["/webhook", "/pagerduty", "/opsgenie/v2/alerts"]
            .iter()
            .all(|p| got.iter().filter(|(path, _)| path == p).count() >= 3)
            && ["api1", "api2", "web12", "db2"]
                .iter()
                .all(|i| notified.contains(*i))
    });
    let (_, groups) = http(port, "GET", "/api/v2/alerts/groups", "");
    let (_, silences) = http(port, "GET", "/api/v2/silences", "");
    let groups_path = write(dir.path(), "groups.json", &groups);
    let silences_path = write(dir.path(), "silences.json", &silences);

    // 1. Our matcher finds exactly the silences Alertmanager applied.
    let silenced_instances: BTreeSet<String> =
        assert_silences_match_alertmanager(&silences, &groups)
            .into_iter()
            .map(|labels| labels["instance"].clone())
            .collect();
    assert_eq!(
        silenced_instances,
        BTreeSet::from(["web1".to_string(), "db1".to_string(), "lb1".to_string()])
    );

    // 2. What Alertmanager sent: the webhook's group keys, PagerDuty's dedup
    // keys and Opsgenie's aliases.
    let got = received.lock().unwrap().clone();
    let bodies = |path: &str| -> Vec<serde_json::Value> {
        got.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect()
    };
    let hooks = bodies("/webhook");
    let group_keys: BTreeMap<String, String> = hooks
        .iter()
        .map(|b| {
            (
                b["groupLabels"]["alertname"].as_str().unwrap().to_string(),
                b["groupKey"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pagerduty = bodies("/pagerduty");
    let opsgenie = bodies("/opsgenie/v2/alerts");
    for event in &pagerduty {
        let summary = event["payload"]["summary"].as_str().unwrap();
        let rule = alertnoise::sources::rule_name::from_title(summary);
        assert_eq!(
            event["dedup_key"].as_str().unwrap(),
            group_key_hash(&group_keys[&rule]),
            "PagerDuty's dedup key is SHA-256 of the group key ({summary})"
        );
    }
    for alert in &opsgenie {
        let message = alert["message"].as_str().unwrap();
        let rule = alertnoise::sources::rule_name::from_title(message);
        assert_eq!(
            alert["alias"].as_str().unwrap(),
            group_key_hash(&group_keys[&rule]),
            "Opsgenie's alias is SHA-256 of the group key ({message})"
        );
    }

    // 3. The whole run: webhooks archived as received, the API answers, the
    // silences, and the incidents PagerDuty and Opsgenie would have made of
    // what they got (key, title and time as sent).
    let archive: Vec<String> = hooks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!(
                r#"{{"received_at":"{}","body":{b}}}"#,
                now.timestamp() + i as i64
            )
        })
        .collect();
    let archive_path = write(dir.path(), "webhooks.jsonl", &archive.join("\n"));
    let created = now.to_rfc3339();
    // PagerDuty folds events with one dedup key into one open incident (a
    // group notified twice, as on a busy machine, is still one incident).
    let mut seen_keys = BTreeSet::new();
    let paged: Vec<&serde_json::Value> = pagerduty
        .iter()
        .filter(|e| seen_keys.insert(e["dedup_key"].as_str().unwrap_or("").to_string()))
        .collect();
    let incidents: Vec<String> = paged
        .iter()
        .enumerate()
        .map(|(i, e)| {
            serde_json::json!({
                "id": format!("P{i}"), "incident_number": i, "title": e["payload"]["summary"],
                "created_at": created, "status": "triggered", "incident_key": e["dedup_key"],
                "acknowledgements": [{"at": (now + chrono::Duration::minutes(2)).to_rfc3339(), "acknowledger": {"type": "user_reference", "summary": "Ada"}}]
            })
            .to_string()
        })
        .collect();
    let incidents_path = write(
        dir.path(),
        "incidents.json",
        &format!(r#"{{"incidents":[{}],"more":false}}"#, incidents.join(",")),
    );
    let a = run(&options(vec![
        archive_path,
        groups_path,
        silences_path,
        incidents_path,
    ]));
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let pd = &a.summary.joins.paging["pagerduty-incidents"];
    assert_eq!(pd.incidents, paged.len());
    assert_eq!(paged.len(), 3, "one incident per notified group");
    assert_eq!(pd.joined, paged.len(), "every incident found its alerts");
    // HighLatency (api1, api2), QueueBacklog (web12), DiskFull (db2) were notified.
    assert_eq!(
        pd.episodes_joined,
        4,
        "episodes: {:#?}",
        a.episode_rows()
            .iter()
            .map(|e| (&e.rule, &e.labels, e.acked_at))
            .collect::<Vec<_>>()
    );
    let rules: BTreeSet<&str> = a.episode_rows().iter().map(|e| e.rule.as_str()).collect();
    assert_eq!(
        rules,
        BTreeSet::from(["CertExpiry", "DiskFull", "HighLatency", "QueueBacklog"]),
        "no incident is an episode of its own"
    );
    let silenced: BTreeSet<&str> = a
        .episode_rows()
        .iter()
        .filter(|e| e.silenced)
        .map(|e| e.labels["instance"].as_str())
        .collect();
    assert_eq!(silenced, BTreeSet::from(["db1", "lb1", "web1"]));
    for e in a.episode_rows().iter().filter(|e| !e.silenced) {
        assert!(e.acked_at.is_some(), "{e:?}");
        assert!(e.incident_id.is_some(), "{e:?}");
    }
}
