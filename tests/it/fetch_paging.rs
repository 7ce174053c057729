//! `alertnoise fetch pagerduty` and `fetch opsgenie` against a local HTTP
//! server that serves the real example pages of PagerDuty's and Opsgenie's
//! API documentation (`tests/fixtures/pagerduty/`, `tests/fixtures/opsgenie/`)
//! page by page: pagination, a 429 with `Retry-After`, a 500 then success,
//! and a 401.

use crate::common::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as the server saw it: path, query, header lines (lower case).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) head: String,
    pub(crate) at: Instant,
}

/// An answer: status line, extra headers, body.
pub(crate) type Answer = (&'static str, String, String);

/// Serves `respond`'s answers on loopback, keeping every request.
pub(crate) fn serve(
    respond: impl Fn(&Request, usize) -> Answer + Send + 'static,
) -> (u16, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let keep = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = vec![0u8; 16384];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_lowercase();
            let target = String::from_utf8_lossy(&buf[..n])
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .to_string();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let query = query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| {
                    let decoded = percent_decode(v);
                    (k.to_string(), decoded)
                })
                .collect();
            let request = Request {
                path: path.to_string(),
                query,
                head,
                at: Instant::now(),
            };
            let earlier = keep
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.path == request.path && r.query == request.query)
                .count();
            let (status, headers, body) = respond(&request, earlier);
            keep.lock().unwrap().push(request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn fixture_json(name: &str) -> serde_json::Value {
    read_json(&fixture(name))
}

/// The real example page, and a second page made from it (the next offset,
/// no more pages, another id), as a paginated list would give.
fn two_pages(name: &str, key: &str, id_key: &str) -> (String, String) {
    let first = fixture_json(name);
    let mut second = first.clone();
    second["offset"] = serde_json::json!(first[key].as_array().unwrap().len());
    second["more"] = serde_json::json!(false);
    for item in second[key].as_array_mut().unwrap() {
        let id = item[id_key].as_str().unwrap_or("x").to_string();
        item[id_key] = serde_json::json!(format!("{id}2"));
    }
    (first.to_string(), second.to_string())
}

const EMPTY_INCIDENTS: &str = r#"{"incidents":[],"limit":100,"offset":0,"more":false}"#;
const EMPTY_LOGS: &str = r#"{"log_entries":[],"limit":100,"offset":0,"more":false}"#;

#[test]
fn pagerduty_pages_are_fetched_through_a_429_and_a_500() {
    let (incidents_1, mut incidents_2) =
        two_pages("pagerduty/rest-incidents.json", "incidents", "id");
    // The second incident is another one: its number, key and time too.
    let mut second: serde_json::Value = serde_json::from_str(&incidents_2).unwrap();
    let item = &mut second["incidents"][0];
    item["incident_number"] = serde_json::json!(1235);
    item["incident_key"] = serde_json::json!("another-dedup-key");
    item["created_at"] = serde_json::json!("2015-10-20T08:00:00Z");
    item["last_status_change_at"] = serde_json::json!("2015-10-20T08:10:00Z");
    item["resolved_at"] = serde_json::json!("2015-10-20T08:10:00Z");
    incidents_2 = second.to_string();
    let logs = fixture_json("pagerduty/rest-log-entries.json");
    let mut logs_last = logs.clone();
    logs_last["more"] = serde_json::json!(false);
    let (logs_1, logs_2) = (logs.to_string(), {
        let mut page = logs_last.clone();
        page["offset"] = serde_json::json!(1);
        page["log_entries"] = serde_json::json!([]);
        page.to_string()
    });
    let since = "2015-10-01T00:00:00Z";
    let (port, seen) = serve(move |request, earlier| {
        let first_window =
            request.query.get("since").map(String::as_str) == Some("2015-10-01T00:00:00.000Z");
        let offset = request.query.get("offset").cloned().unwrap_or_default();
        match (request.path.as_str(), first_window, offset.as_str()) {
            ("/incidents", true, "0") if earlier == 0 => {
                ("500 Internal Server Error", String::new(), "oops".into())
            }
            ("/incidents", true, "0") => ("200 OK", String::new(), incidents_1.clone()),
            ("/incidents", true, "1") if earlier == 0 => (
                "429 Too Many Requests",
                "Retry-After: 1\r\n".into(),
                r#"{"error":{"message":"Rate Limit Exceeded","code":2020}}"#.into(),
            ),
            ("/incidents", true, "1") => ("200 OK", String::new(), incidents_2.clone()),
            ("/incidents", _, _) => ("200 OK", String::new(), EMPTY_INCIDENTS.into()),
            ("/log_entries", true, "0") => ("200 OK", String::new(), logs_1.clone()),
            ("/log_entries", true, "1") => ("200 OK", String::new(), logs_2.clone()),
            ("/log_entries", _, _) => ("200 OK", String::new(), EMPTY_LOGS.into()),
            _ => (
                "404 Not Found",
                String::new(),
                r#"{"error":{"message":"Not Found"}}"#.into(),
            ),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let token = write(dir.path(), "pd-token", "y_NbAkKc66ryYTWUXYEu\n");
    let out = dir.path().join("fetched");
    let run = alertnoise(&[
        "fetch",
        "pagerduty",
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--token-file",
        token.to_str().unwrap(),
        "--since",
        since,
        "--until",
        "2015-11-15T00:00:00Z",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(!stderr.contains("y_NbAkKc66ryYTWUXYEu"));
    let requests = seen.lock().unwrap().clone();
    // PagerDuty's header and token on every request.
    for r in &requests {
        assert!(
            r.head
                .contains("authorization: token token=y_nbakkc66ryytwuxyeu"),
            "{}",
            r.head
        );
        assert!(
            r.head
                .contains("accept: application/vnd.pagerduty+json;version=2"),
            "{}",
            r.head
        );
        assert_eq!(r.query.get("time_zone").map(String::as_str), Some("UTC"));
    }
    // 45 days: two windows of at most 30 days, for each list.
    let windows: std::collections::BTreeSet<_> =
        requests.iter().map(|r| r.query["since"].clone()).collect();
    assert_eq!(windows.len(), 2, "{windows:?}");
    // The 500 and the 429 were retried; the 429 after its Retry-After.
    let asked = |path: &str, offset: &str| -> Vec<&Request> {
        requests
            .iter()
            .filter(|r| {
                r.path == path
                    && r.query["offset"] == offset
                    && r.query["since"] == "2015-10-01T00:00:00.000Z"
            })
            .collect()
    };
    assert_eq!(asked("/incidents", "0").len(), 2);
    let rate_limited = asked("/incidents", "1");
    assert_eq!(rate_limited.len(), 2);
    assert!(rate_limited[1].at - rate_limited[0].at >= Duration::from_millis(950));
    assert_eq!(
        asked("/log_entries", "1").len(),
        1,
        "the next page while `more`"
    );

    let manifest: serde_json::Value = read_json(&out.join("fetch.json"));
    assert!(!manifest.to_string().contains("y_NbAkKc66ryYTWUXYEu"));
    // Every page with records saved as it came: the two pages of each list
    // in the first window; the second window's empty pages are not saved.
    let saved: Vec<String> = manifest["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    assert_eq!(saved.len(), 3, "{saved:?}");
    let first_page = std::fs::read_to_string(out.join(&saved[0])).unwrap();
    assert_eq!(
        first_page,
        fixture_json("pagerduty/rest-incidents.json").to_string()
    );
    let (stdout, summary, _) = report_on(&[&out], &dir.path().join("report"), &[]);
    assert!(stdout.contains("0 problems in the inputs"), "{stdout}");
    assert_eq!(summary["counts"]["episodes"], 2, "{summary}");
}

#[test]
fn opsgenie_pages_follow_paging_next() {
    let first = fixture_json("opsgenie/list-alerts.json");
    let mut last = first.clone();
    last["paging"] = serde_json::json!({"first": first["paging"]["first"]});
    for (i, item) in last["data"].as_array_mut().unwrap().iter_mut().enumerate() {
        item["id"] = serde_json::json!(format!("second-page-{i}"));
    }
    let (first, last) = (first.to_string(), last.to_string());
    let (port, seen) =
        serve(
            move |request, _| match request.query.get("offset").map(String::as_str) {
                Some("0") => ("200 OK", String::new(), first.clone()),
                Some("2") => ("200 OK", String::new(), last.clone()),
                _ => (
                    "400 Bad Request",
                    String::new(),
                    r#"{"message":"bad offset"}"#.into(),
                ),
            },
        );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fetched");
    let run = bin()
        .env("OPSGENIE_API_KEY", "eb243592-faa2-4ba2-a551q-1afdf565c889")
        .args([
            "fetch",
            "opsgenie",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--since",
            "2017-03-01T00:00:00Z",
            "--until",
            "2017-04-01T00:00:00Z",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].path, "/v2/alerts");
    assert!(requests[0]
        .head
        .contains("authorization: geniekey eb243592-faa2-4ba2-a551q-1afdf565c889"));
    let from = chrono::DateTime::parse_from_rfc3339("2017-03-01T00:00:00Z")
        .unwrap()
        .timestamp_millis();
    let to = chrono::DateTime::parse_from_rfc3339("2017-04-01T00:00:00Z")
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        requests[0].query["query"],
        format!("createdAt>={from} AND createdAt<{to}")
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("4 alerts in 2 pages"), "{stdout}");
}

#[test]
fn a_401_names_the_url_and_writes_nothing() {
    let (port, seen) = serve(|_, _| {
        (
            "401 Unauthorized",
            String::new(),
            r#"{"error":{"message":"Unauthorized","code":2006}}"#.into(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fetched");
    let run = bin()
        .env("PAGERDUTY_TOKEN", "wrong-token-123")
        .args([
            "fetch",
            "pagerduty",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/incidents"))
            && stderr.contains("HTTP 401: Unauthorized"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-token-123"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 1, "a 401 is not retried");
    assert!(!out.exists());
    // No token at all: a usage error before any request.
    let run = bin()
        .env_remove("PAGERDUTY_TOKEN")
        .args([
            "fetch",
            "pagerduty",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("PAGERDUTY_TOKEN"));
    assert_eq!(seen.lock().unwrap().len(), 1);
}
