//! `alertnoise fetch prometheus` and `alertnoise collect` against the real
//! components (Debian's `prometheus` and `prometheus-alertmanager`): rules
//! whose conditions are functions of time, evaluated every second, their
//! alerts sent to Alertmanager, which routes them to `alertnoise collect`.
//! The fetch must need splitting (a range longer than 10,000 steps, and a
//! `--query.max-samples` small enough that Prometheus refuses whole chunks
//! with 422). `report` on the fetched directory and `report` on the
//! collected webhooks must both give per rule the episodes Prometheus' own
//! raw `ALERTS` samples show, and the fetched rule file the rules' real
//! `for:`.

use crate::alertmanager_live::start_alertmanager;
use crate::collect::start_collector;
use crate::common::*;
use crate::prometheus_replay::{get, now_ms, start_prometheus_with};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RULES: &str = "\
groups:
  - name: clock
    interval: 1s
    rules:
      - alert: EveryTwentySeconds
        expr: vector(time()) % 20 < 8
        for: 3s
        keep_firing_for: 2s
        labels:
          severity: warning
        annotations:
          summary: the clock's seconds are low
          runbook_url: https://runbooks.example/clock
      - alert: EveryThirteenSeconds
        expr: vector(time()) % 13 < 5
        for: 1s
        labels:
          severity: critical
  - name: slow
    interval: 2s
    rules:
      - alert: NeverFires
        expr: vector(0) > 1
        for: 10m
      - record: clock:mod20
        expr: vector(time()) % 20
";

/// Firing episodes per alert name in Prometheus' raw `ALERTS` samples up to
/// `at` (an instant query of a range selector: the evaluations' own
/// timestamps), a new episode at every gap of more than 2.5 evaluations;
/// only those that started at or after `since`.
fn raw_episodes(port: u16, alert: &str, since: u64, at: u64) -> usize {
    let query =
        format!("ALERTS%7Balertstate%3D%22firing%22%2Calertname%3D%22{alert}%22%7D%5B10m%5D");
    let (status, body) = get(port, &format!("/api/v1/query?query={query}&time={at}")).unwrap();
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut episodes = 0;
    for series in answer["data"]["result"].as_array().unwrap() {
        let mut last: Option<f64> = None;
        for sample in series["values"].as_array().unwrap() {
            let t = sample[0].as_f64().unwrap();
            if last.is_none_or(|l| t - l > 2.5) && t >= since as f64 {
                episodes += 1;
            }
            last = Some(t);
        }
    }
    episodes
}

#[test]
fn fetched_history_and_rules_give_the_episodes_prometheus_recorded() {
    if !have("prometheus") || !have("promtool") {
        return;
    }
    let with_alertmanager = have("prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    // Alertmanager routes every alert to the collector at once, and its resolution.
    let collected = dir.path().join("collected");
    let collector = start_collector(&collected, free_port(), &[]);
    let alertmanager = with_alertmanager.then(|| {
        start_alertmanager(
            dir.path(),
            &format!(
                "route:\n  receiver: archive\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: archive\n    webhook_configs:\n      - url: http://127.0.0.1:{}/\n        send_resolved: true\n",
                collector.port
            ),
        )
    });
    let am_port = alertmanager.as_ref().map_or(0, |a| a.1);
    let alerting = format!(
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n"
    );
    let (_prometheus, port) = start_prometheus_with(
        dir.path(),
        RULES,
        None,
        &["--query.max-samples=40", "--rules.alert.resend-delay=1s"],
        if with_alertmanager {
            alerting.as_str()
        } else {
            ""
        },
    );
    // Prometheus' notifier needs a moment to find Alertmanager after it
    // starts (alerts sent before are dropped): the webhooks are compared
    // from `warm` on. Both ends are moments at which no episode is starting
    // (a start in the same second as an end would be counted by one side only).
    let safe = |t: u64| !(3..6).contains(&(t % 20)) && !(1..4).contains(&(t % 13));
    let safe_moment = || {
        while !safe(now_ms() / 1000) {
            std::thread::sleep(Duration::from_millis(200));
        }
        now_ms() / 1000
    };
    std::thread::sleep(Duration::from_secs(8));
    let warm = safe_moment();
    // Enough evaluations for a few episodes of each rule.
    std::thread::sleep(Duration::from_secs(45));
    let at = safe_moment();
    let until = chrono::DateTime::from_timestamp(at as i64, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let since = chrono::DateTime::from_timestamp(at as i64 - 4 * 3600, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let fetched = dir.path().join("fetched");
    let url = format!("http://127.0.0.1:{port}");
    // Four hours at a one-second step: 14,400 steps, more than one query may ask.
    let run = alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        &url,
        "--since",
        "4h",
        "--until",
        &until,
        "--out",
        fetched.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("at a 1s step"), "{stdout}");
    let manifest: serde_json::Value = read_json(&fetched.join("fetch.json"));
    let history = manifest["history"].as_array().unwrap();
    assert!(history.len() > 2, "{manifest}");
    // Prometheus refused whole chunks (too many samples): they were split.
    let summary = manifest["summary"].as_str().unwrap();
    assert!(!summary.contains("(0 split)"), "{summary}");
    let rule_file = fetched.join(manifest["rule_files"][0].as_str().unwrap());
    let checked = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&rule_file)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{checked:?}");

    let report = dir.path().join("report");
    let (stdout, summary, rules) = report_on(
        &[&fetched],
        &report,
        &["--since", &since, "--until", &until],
    );
    // Neither the manifest nor the rule file was read as history.
    assert!(stdout.contains("0 problems in the inputs"), "{stdout}");
    let by_rule: BTreeMap<String, &serde_json::Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap().to_string(), r))
        .collect();
    for alert in ["EveryTwentySeconds", "EveryThirteenSeconds"] {
        let expected = raw_episodes(port, alert, 0, at);
        assert!(expected >= 2, "{alert}: {expected}");
        let row = by_rule
            .get(alert)
            .unwrap_or_else(|| panic!("{alert} missing: {rules}"));
        assert_eq!(
            row["episodes"].as_u64(),
            Some(expected as u64),
            "{alert}: {row}"
        );
    }
    // The rules' real `for:` comes from the fetched rule file.
    assert_eq!(
        by_rule["EveryTwentySeconds"]["current_for_s"].as_f64(),
        Some(3.0)
    );
    assert_eq!(
        by_rule["EveryThirteenSeconds"]["current_for_s"].as_f64(),
        Some(1.0)
    );
    assert_eq!(summary["rule_files"]["alerting_rules"], 3, "{summary}");
    assert_eq!(summary["rule_files"]["recording_rules"], 1, "{summary}");
    assert_eq!(summary["rule_files"]["fetched_from"][0], format!("{url}/"));
    let page = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(page.contains("The rules came from the server"), "{page}");

    // Fetch and report in one step, the fetched files kept in the report.
    let direct = dir.path().join("direct");
    let run = alertnoise(&[
        "report",
        "--prometheus",
        &url,
        "--since",
        "4h",
        "--until",
        &until,
        "--out",
        direct.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(direct.join("fetched/fetch.json").is_file());
    let direct_rules = std::fs::read_to_string(direct.join("rules.json")).unwrap();
    assert_eq!(
        direct_rules,
        std::fs::read_to_string(report.join("rules.json")).unwrap()
    );
    let direct_summary = std::fs::read_to_string(direct.join("summary.json")).unwrap();
    let fetched_rule_file = direct
        .join("fetched")
        .join(manifest["rule_files"][0].as_str().unwrap());
    assert!(
        direct_summary.contains(&fetched_rule_file.display().to_string()),
        "the rule files are named where they are kept: {direct_summary}"
    );

    if !with_alertmanager {
        return;
    }
    // The webhooks Alertmanager sent to the collector give the same episodes.
    std::thread::sleep(Duration::from_secs(3));
    let from_webhooks = dir.path().join("report-webhooks");
    let warm_text = chrono::DateTime::from_timestamp(warm as i64, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, _, rules) = report_on(
        &[&collected],
        &from_webhooks,
        &["--since", &warm_text, "--until", &until],
    );
    for alert in ["EveryTwentySeconds", "EveryThirteenSeconds"] {
        let expected = raw_episodes(port, alert, warm, at);
        assert!(expected >= 2, "{alert}: {expected}");
        let row = rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == alert)
            .unwrap_or_else(|| panic!("{alert} missing from the webhooks: {rules}"));
        assert_eq!(
            row["episodes"].as_u64(),
            Some(expected as u64),
            "{alert}: {row}"
        );
    }
}

/// Answers every request with `status` and `body`, recording each request's head.
fn answering(status: &'static str, body: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).to_string());
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

#[test]
fn a_refusal_names_the_url_and_status_and_never_the_password() {
    let (port, seen) = answering(
        "401 Unauthorized",
        r#"{"status":"error","error":"authentication required"}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secrets/password", "correct-horse-battery\n");
    let config = write(
        dir.path(),
        "http.yml",
        "basic_auth:\n  username: ops\n  password_file: secrets/password\n",
    );
    let out = dir.path().join("fetched");
    let run = alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        &format!("http://127.0.0.1:{port}/prom"),
        "--http.config.file",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/prom/api/v1/rules"))
            && stderr.contains("HTTP 401")
            && stderr.contains("authentication required"),
        "{stderr}"
    );
    assert!(!stderr.contains("correct-horse"), "{stderr}");
    // A 4xx is not retried, and the first request failing writes nothing.
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    // Basic auth as the config says: base64("ops:correct-horse-battery").
    assert!(
        requests[0].contains("authorization: Basic b3BzOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ=="),
        "{requests:?}"
    );
    assert!(!out.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("tmp")));
}

#[test]
fn a_server_that_keeps_failing_is_retried_then_named() {
    let (port, seen) = answering("502 Bad Gateway", "upstream down");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fetched");
    let run = alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--retries",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 502: upstream down"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 3, "one try and two retries");
    assert!(!out.exists());
    // Nothing listening: a connection error, named with the URL.
    let closed = free_port();
    let run = alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        &format!("http://127.0.0.1:{closed}"),
        "--retries",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{closed}/api/v1/rules")),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// A Prometheus stand-in that answers `/api/v1/rules` with a real answer
/// (Prometheus 2.42's, one group at a 1s interval) and refuses every range
/// query longer than 100 steps as Prometheus refuses a query that runs past
/// `--query.timeout` (503, `timeout`): the fetch splits until the chunks
/// pass, and an episode cut by many seams is still one episode.
#[test]
fn chunks_refused_with_503_are_split_and_joined_at_their_seams() {
    let t0: i64 = 1_790_000_000; // a whole second
                                 // Firing [t0+100, t0+350] (cut by seams) and [t0+600, t0+605].
    let firing = move |t: i64| (100..=350).contains(&(t - t0)) || (600..=605).contains(&(t - t0));
    let rules =
        std::fs::read_to_string(fixture("handmade/prometheus-2.42-api-v1-rules.json")).unwrap();
    let (port, seen) = crate::fetch_paging::serve(move |request, _| match request.path.as_str() {
        "/api/v1/rules" => ("200 OK", String::new(), rules.clone()),
        "/api/v1/query_range" => {
            let number = |k: &str| request.query[k].parse::<f64>().unwrap() as i64;
            let (start, end, step) = (number("start"), number("end"), number("step"));
            if (end - start) / step > 100 {
                return (
                        "503 Service Unavailable",
                        String::new(),
                        r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#.into(),
                    );
            }
            let values: Vec<String> = (start..=end)
                .step_by(step as usize)
                .filter(|t| firing(*t))
                .map(|t| format!("[{t},\"1\"]"))
                .collect();
            let result = if values.is_empty() {
                String::new()
            } else {
                format!(
                    r#"{{"metric":{{"__name__":"ALERTS","alertname":"EveryTwentySeconds","alertstate":"firing","severity":"warning"}},"values":[{}]}}"#,
                    values.join(",")
                )
            };
            (
                "200 OK",
                String::new(),
                format!(
                    r#"{{"status":"success","data":{{"resultType":"matrix","result":[{result}]}}}}"#
                ),
            )
        }
        _ => ("404 Not Found", String::new(), "{}".into()),
    });
    let dir = tempfile::tempdir().unwrap();
    let fetched = dir.path().join("fetched");
    let stamp = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let run = alertnoise(&[
        "fetch",
        "prometheus",
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--since",
        &stamp(t0),
        "--until",
        &stamp(t0 + 1200),
        "--out",
        fetched.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let queries = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == "/api/v1/query_range")
        .count();
    // 1,200 steps: refused whole, then halves until each has at most 100 steps.
    assert!(queries > 16, "{queries} queries: {stdout}");
    assert!(!stdout.contains("(0 split)"), "{stdout}");
    let (_, _, rules) = report_on(
        &[&fetched],
        &dir.path().join("report"),
        &["--since", &stamp(t0), "--until", &stamp(t0 + 1200)],
    );
    let row = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "EveryTwentySeconds")
        .unwrap();
    assert_eq!(row["episodes"], 2, "{row}");
    // [t0+100, t0+351) and [t0+600, t0+606): each ends one step after its last sample.
    let hours = ((251 + 6) as f64 / 3600.0 * 1e6).round() / 1e6;
    assert_eq!(row["firing_hours"].as_f64(), Some(hours), "{row}");
}
