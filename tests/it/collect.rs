//! `alertnoise collect`, the webhook receiver, as a process: what it
//! answers and archives, its metrics, a graceful stop, and under load with
//! the collector killed (SIGKILL) partway and restarted: every body answered
//! 2xx is stored, none is corrupt, at most one line is partial. Slow and
//! oversized senders do not make its memory grow.

use crate::common::*;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A collector process, killed when dropped.
pub(crate) struct Collector {
    child: Child,
    /// Its port.
    pub(crate) port: u16,
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `alertnoise collect` on `port` into `dir` and waits for `/healthz`.
pub(crate) fn start_collector(dir: &Path, port: u16, flags: &[&str]) -> Collector {
    let child = bin()
        .args(["collect", "--listen", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(dir)
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let collector = Collector { child, port };
    let start = Instant::now();
    while request(port, "GET", "/healthz", b"", &[]).map(|r| r.0) != Some(200) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "collect did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    collector
}

/// One HTTP/1.1 request on a new connection; the status and body, or None
/// when the connection failed.
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[&str],
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    Some((
        status,
        answer
            .split_once("\r\n\r\n")
            .map_or("", |b| b.1)
            .to_string(),
    ))
}

/// Every line of the archive (gzipped days too), in file order.
fn archived_lines(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut lines = Vec::new();
    for path in names {
        let mut text = String::new();
        let file = std::fs::File::open(&path).unwrap();
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(file)
                .read_to_string(&mut text)
                .unwrap();
        } else {
            std::io::BufReader::new(file)
                .read_to_string(&mut text)
                .unwrap();
        }
        lines.extend(text.lines().map(str::to_string));
    }
    lines
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn bodies_are_archived_refusals_are_not_and_the_metrics_count_them() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let port = free_port();
    let token = write(dir.path(), "token", "s3cret-token\n");
    let mut collector = start_collector(
        &archive,
        port,
        &[
            "--max-body",
            "64KiB",
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    let auth = "Authorization: Bearer s3cret-token";
    let real = std::fs::read(fixture("alertmanager/webhook-resolved.json")).unwrap();
    assert_eq!(request(port, "POST", "/", &real, &[auth]).unwrap().0, 200);
    assert_eq!(
        request(port, "POST", "/", &real, &[]).unwrap().0,
        401,
        "no token"
    );
    assert_eq!(
        request(port, "POST", "/", b"not json {", &[auth])
            .unwrap()
            .0,
        400
    );
    let large = format!("{{\"pad\":\"{}\"}}", "x".repeat(100_000));
    assert_eq!(
        request(port, "POST", "/", large.as_bytes(), &[auth])
            .unwrap()
            .0,
        413
    );
    // JSON, but not a version 4 body (a custom payload template): kept as it came.
    assert_eq!(
        request(port, "POST", "/", br#"{"text":"custom"}"#, &[auth])
            .unwrap()
            .0,
        200
    );
    let (status, metrics) = request(port, "GET", "/metrics", b"", &[]).unwrap();
    assert_eq!(status, 200);
    for expected in [
        "alertnoise_collect_bodies_received_total 2",
        "alertnoise_collect_bodies_rejected_total{reason=\"not_json\"} 1",
        "alertnoise_collect_bodies_rejected_total{reason=\"too_large\"} 1",
        "alertnoise_collect_bodies_rejected_total{reason=\"unauthorized\"} 1",
        "alertnoise_collect_fsync_seconds_count",
    ] {
        assert!(metrics.contains(expected), "{expected}\n{metrics}");
    }
    let lines = archived_lines(&archive);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let original: serde_json::Value = serde_json::from_slice(&real).unwrap();
    assert_eq!(first["body"], original);
    assert!(first["received_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1], lines[1].trim());
    // SIGTERM: a graceful stop, exit code 0.
    let pid = collector.child.id();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = collector.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // `report` reads the archive as it is.
    let out = dir.path().join("report");
    let run = alertnoise(&[
        "report",
        archive.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn under_load_and_a_kill_every_body_answered_2xx_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let port = free_port();
    let collector = Arc::new(Mutex::new(Some(start_collector(&archive, port, &[]))));
    const SENDERS: usize = 50;
    const BODIES: usize = 200;
    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let acknowledged = acknowledged.clone();
            let sent = sent.clone();
            std::thread::spawn(move || {
                for b in 0..BODIES {
                    let id = format!("{s}-{b}");
                    let body = format!(
                        r#"{{"version":"4","status":"firing","receiver":"collect","groupKey":"{{}}:{{alertname=\"Load\"}}","alerts":[{{"status":"firing","labels":{{"alertname":"Load","sender":"{s}","body":"{b}"}},"annotations":{{}},"startsAt":"2026-12-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"{id}"}}],"groupLabels":{{}},"commonLabels":{{}},"commonAnnotations":{{}},"externalURL":"http://am","id":"{id}"}}"#
                    );
                    // As Alertmanager: retry until a 2xx answer.
                    loop {
                        match request(port, "POST", "/webhook", body.as_bytes(), &[]) {
                            Some((200, _)) => break,
                            _ => std::thread::sleep(Duration::from_millis(20)),
                        }
                    }
                    acknowledged.lock().unwrap().insert(id);
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Kill partway, without warning; restart shortly after.
    while sent.load(Ordering::SeqCst) < SENDERS * BODIES / 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Dropping it sends SIGKILL.
    drop(collector.lock().unwrap().take());
    std::thread::sleep(Duration::from_millis(300));
    *collector.lock().unwrap() = Some(start_collector(&archive, port, &[]));
    for s in senders {
        s.join().unwrap();
    }
    let elapsed = started.elapsed();
    drop(collector.lock().unwrap().take());
    let lines = archived_lines(&archive);
    let mut stored = BTreeSet::new();
    let mut unreadable = 0;
    for line in &lines {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => {
                stored.insert(v["body"]["id"].as_str().unwrap().to_string());
            }
            Err(_) => unreadable += 1,
        }
    }
    let acknowledged = acknowledged.lock().unwrap();
    let missing: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "answered 2xx but not stored: {missing:?}"
    );
    assert!(unreadable <= 1, "{unreadable} unreadable lines");
    // `report` reads the archive as it is: a partial line is named and skipped.
    let out = dir.path().join("report");
    let run = alertnoise(&[
        "report",
        archive.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains(&format!("{unreadable} problems in the inputs")),
        "{stdout}"
    );
    eprintln!(
        "collect: {} bodies from {SENDERS} senders in {:.1} s ({:.0} bodies/s, with a SIGKILL and a restart; fsync always)",
        acknowledged.len(),
        elapsed.as_secs_f64(),
        acknowledged.len() as f64 / elapsed.as_secs_f64()
    );
}

#[test]
fn slow_and_oversized_senders_do_not_grow_its_memory() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let collector = start_collector(&dir.path().join("archive"), port, &["--max-body", "1MiB"]);
    let pid = collector.child.id();
    let before = vm_rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    // Ten senders trickling a body a byte at a time.
    let tricklers: Vec<_> = (0..10)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
                    return;
                };
                let _ = write!(
                    stream,
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                );
                while !stop.load(Ordering::SeqCst) {
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    // Oversized bodies, declared and undeclared (chunked): refused, never held.
    let big = vec![b' '; 20 << 20];
    for _ in 0..10 {
        let answer = request(port, "POST", "/", &big, &[]);
        assert!(answer.as_ref().is_none_or(|a| a.0 == 413), "{answer:?}");
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
            continue;
        };
        let _ = write!(
            stream,
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        for _ in 0..20 {
            let chunk = vec![b' '; 1 << 20];
            if write!(stream, "{:x}\r\n", chunk.len()).is_err() || stream.write_all(&chunk).is_err()
            {
                break;
            }
            let _ = stream.write_all(b"\r\n");
        }
    }
    // The others are still served meanwhile.
    let real = std::fs::read(fixture("alertmanager/webhook-resolved.json")).unwrap();
    assert_eq!(request(port, "POST", "/", &real, &[]).unwrap().0, 200);
    let after = vm_rss_kib(pid);
    stop.store(true, Ordering::SeqCst);
    for t in tricklers {
        let _ = t.join();
    }
    eprintln!("collect: RSS {before} KiB before, {after} KiB after 200 MiB of refused bodies and 10 trickling senders");
    assert!(after < before + 64 * 1024, "{before} KiB -> {after} KiB");
}
