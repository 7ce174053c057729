//! The replay against the real thing: a real `prometheus` (Debian's package)
//! evaluates a rule file against a target whose values this test controls,
//! once with the original rules and once with the rules patched by
//! `advice.patch`. The episode counts Prometheus produces with the patched
//! rules must equal what `alertnoise simulate` predicts from the first run's
//! `ALERTS` history. `for:` and `keep_firing_for:` are scaled to seconds.
//!
//! The patterns leave a margin of at least one evaluation around every
//! decision, so scrape and evaluation jitter cannot change the outcome.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds the pattern runs; every episode ends well before.
const PATTERN_S: u64 = 85;

/// (start, end) seconds where the value is 1.
const SPIKY_ON: [(f64, f64); 6] = [
    (5.0, 8.0), // four 3s spikes: short, and never past `for: 5s`
    (15.0, 18.0),
    (25.0, 28.0),
    (35.0, 38.0),
    (45.0, 57.0), // two 12s episodes that matter
    (63.0, 75.0),
];
const FLAPPY_ON: [(f64, f64); 5] = [
    (5.0, 12.0), // a burst of three, 2s apart: two refires
    (14.0, 21.0),
    (23.0, 30.0),
    (50.0, 57.0), // a burst of two: one refire
    (59.0, 66.0),
];

const RULES: &str = "\
# Rules under test: for: and keep_firing_for: scaled to seconds.
groups:
  - name: replay
    interval: 1s
    rules:
      - alert: Spiky
        expr: spiky_value > 0.5
        for: 1s
        labels:
          severity: warning
      # Flaps: resolves and fires again within seconds.
      - alert: Flappy
        expr: flappy_value > 0.5
        for: 1s
        labels:
          severity: warning
";

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn on(pattern: &[(f64, f64)], t: f64) -> u8 {
    pattern.iter().any(|(a, b)| t >= *a && t < *b) as u8
}

/// A scrape target serving the two gauges; the pattern starts when `t0` is set.
struct Target {
    port: u16,
    t0: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Target {
    fn start() -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t0 = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t0c, stopc) = (t0.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopc.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let start = t0c.load(Ordering::SeqCst);
                let (spiky, flappy) = if start == 0 {
                    (0, 0)
                } else {
                    let t = (now_ms().saturating_sub(start)) as f64 / 1000.0;
                    (on(&SPIKY_ON, t), on(&FLAPPY_ON, t))
                };
                let body = format!(
                    "# TYPE spiky_value gauge\nspiky_value {spiky}\n# TYPE flappy_value gauge\nflappy_value {flappy}\n"
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Target { port, t0, stop }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// An HTTP GET on loopback (HTTP/1.0: no chunked answers); returns the body.
pub(crate) fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A Prometheus process, killed when dropped.
pub(crate) struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Prometheus on a free loopback port with `rules` (and a scrape target) and waits until it is ready.
fn start_prometheus(dir: &Path, rules: &str, target: Option<u16>) -> (Prometheus, u16) {
    start_prometheus_with(dir, rules, target, &[], "")
}

/// [`start_prometheus`] with more command-line flags and configuration.
pub(crate) fn start_prometheus_with(
    dir: &Path,
    rules: &str,
    target: Option<u16>,
    flags: &[&str],
    config: &str,
) -> (Prometheus, u16) {
    let port = free_port();
    write(dir, "rules.yml", rules);
    let scrape = target
        .map(|p| format!("scrape_configs:\n  - job_name: pattern\n    static_configs:\n      - targets: ['127.0.0.1:{p}']\n"))
        .unwrap_or_default();
    let config = write(
        dir,
        "prometheus.yml",
        &format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n{scrape}{config}"),
    );
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start prometheus");
    let prometheus = Prometheus(child);
    let ready_by = now_ms() + 60_000;
    while get(port, "/-/ready").map(|(s, _)| s) != Some(200) {
        assert!(now_ms() < ready_by, "prometheus did not become ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    (prometheus, port)
}

/// The `ALERTS` query_range answer between two epoch seconds, step 1s.
fn query_alerts(port: u16, start: u64, end: u64) -> String {
    let (status, body) = get(
        port,
        &format!("/api/v1/query_range?query=ALERTS&start={start}&end={end}&step=1"),
    )
    .expect("query ALERTS");
    assert_eq!(status, 200, "{body}");
    body
}

/// Runs Prometheus with `rules` for one pattern and returns the `ALERTS` query_range answer.
fn run_prometheus(dir: &Path, rules: &str) -> String {
    let target = Target::start();
    let (_prometheus, port) = start_prometheus(dir, rules, Some(target.port));
    // Let the first scrapes and evaluations happen before the pattern starts.
    std::thread::sleep(Duration::from_secs(3));
    let t0 = now_ms();
    target.t0.store(t0, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(PATTERN_S));
    query_alerts(port, t0 / 1000 - 2, t0 / 1000 + PATTERN_S)
}

/// Firing episodes per alert name, counted straight from the answer: runs of
/// firing samples without a gap longer than the 1s step.
fn firing_episodes(answer: &str, alert: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(answer).unwrap();
    let mut count = 0;
    for series in v["data"]["result"].as_array().unwrap() {
        let m = &series["metric"];
        if m["alertname"] != alert || m["alertstate"] != "firing" {
            continue;
        }
        let mut last: Option<f64> = None;
        for sample in series["values"].as_array().unwrap() {
            let t = sample[0].as_f64().unwrap();
            if last.is_none_or(|l| t - l > 1.5) {
                count += 1;
            }
            last = Some(t);
        }
    }
    count
}

fn simulate(
    history: &Path,
    rules: &Path,
    alert: &str,
    flag: &str,
    value: &str,
) -> serde_json::Value {
    let out = run_ok(
        bin()
            .args(["simulate", "--json", "--alert", alert, flag, value])
            .args([
                "--short",
                "4s",
                "--flap-window",
                "5s",
                "--rules",
                rules.to_str().unwrap(),
                history.to_str().unwrap(),
            ]),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0]["effect"].clone()
}

#[test]
fn prometheus_fires_what_simulate_predicts_for_the_patched_rules() {
    if !(have("prometheus") && have("promtool")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let before_dir = dir.path().join("before");
    let history = before_dir.join("alerts.json");
    let answer = run_prometheus(&before_dir, RULES);
    std::fs::write(&history, &answer).unwrap();
    assert_eq!(firing_episodes(&answer, "Spiky"), 6, "{answer}");
    assert_eq!(firing_episodes(&answer, "Flappy"), 5, "{answer}");

    // The advice, from the first run's history, as a patch.
    let report = dir.path().join("report");
    run_ok(
        bin()
            .current_dir(&before_dir)
            .args(["report", "alerts.json", "--rules", "rules.yml"])
            .args([
                "--short",
                "4s",
                "--flap-window",
                "5s",
                "--steps",
                "4s,8s",
                "--out",
            ])
            .arg(&report),
    );
    let patched_dir = dir.path().join("after");
    write(&patched_dir, "rules.yml", RULES);
    run_ok(
        Command::new("patch")
            .current_dir(&patched_dir)
            .args(["-p1", "-i"])
            .arg(report.join("advice.patch")),
    );
    let patched = patched_dir.join("rules.yml");
    run_ok(
        Command::new("promtool")
            .args(["check", "rules"])
            .arg(&patched),
    );
    let files = alertnoise::rules::load_rule_files(std::slice::from_ref(&patched)).unwrap();
    let get_rule = |name: &str| files[0].rules.iter().find(|r| r.name == name).unwrap();
    assert_eq!(
        get_rule("Spiky").for_ms,
        Some(5_000),
        "raise_for picked 1s + 4s"
    );
    assert_eq!(get_rule("Flappy").keep_firing_for_ms, Some(4_000));
    assert_eq!(get_rule("Flappy").for_ms, Some(1_000));

    let spiky = simulate(
        &history,
        &before_dir.join("rules.yml"),
        "Spiky",
        "--for",
        "5s",
    );
    let flappy = simulate(
        &history,
        &before_dir.join("rules.yml"),
        "Flappy",
        "--keep-firing-for",
        "4s",
    );
    assert_eq!(spiky["episodes_before"], 6);
    assert_eq!(flappy["episodes_before"], 5);
    assert_eq!(flappy["refires_before"], 3);

    let rules_after = std::fs::read_to_string(&patched).unwrap();
    let after = run_prometheus(&patched_dir, &rules_after);
    let (spiky_real, flappy_real) = (
        firing_episodes(&after, "Spiky"),
        firing_episodes(&after, "Flappy"),
    );
    assert_eq!(
        spiky["episodes_after"], spiky_real as u64,
        "Spiky: simulate vs Prometheus\n{after}"
    );
    assert_eq!(
        flappy["episodes_after"], flappy_real as u64,
        "Flappy: simulate vs Prometheus\n{after}"
    );
    assert_eq!(
        (spiky_real, flappy_real),
        (2, 2),
        "the patterns' intended outcome"
    );
}

/// Conditions that are exact functions of the evaluation time: true for
/// exactly 7 evaluations of every 20 (`ON7`), or for 7, false for 2, true for 3 (`GAP2`).
const ON7: &str = "vector(time()) % 20 < 7";
const GAP2: &str = "(vector(time()) % 20 < 7) or ((vector(time()) % 20 >= 9) < 12)";

fn boundary_rules() -> String {
    let rule = |name: &str, expr: &str, extra: &str| {
        format!("      - alert: {name}\n        expr: {expr}\n{extra}        labels:\n          severity: warning\n")
    };
    [
        "groups:\n  - name: boundaries\n    interval: 1s\n    rules:\n".to_string(),
        rule("On7", ON7, ""),
        rule("On7For6", ON7, "        for: 6s\n"),
        rule("On7For7", ON7, "        for: 7s\n"),
        rule("Gap2", GAP2, ""),
        rule("Gap2Keep1", GAP2, "        keep_firing_for: 1s\n"),
        rule("Gap2Keep2", GAP2, "        keep_firing_for: 2s\n"),
    ]
    .concat()
}

/// Exact boundaries, against Prometheus itself: a condition true for exactly
/// 7 evaluations fires with `for: 6s` and not with `for: 7s` (so an episode
/// exactly Δ long does not survive raising `for:` by Δ); a gap of exactly 2
/// evaluations is bridged by `keep_firing_for: 2s` and not by `1s`.
#[test]
fn prometheus_agrees_with_the_replay_at_the_exact_boundaries() {
    if !have("prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = boundary_rules();
    let (_prometheus, port) = start_prometheus(dir.path(), &rules, None);
    // Start the history where every condition is false and no alert is kept
    // firing (phase 15 of the 20s cycle): no period is cut by the start, and
    // Prometheus' first evaluations are behind us.
    let in_quiet_phase = || (15..19).contains(&((now_ms() / 1000) % 20));
    std::thread::sleep(Duration::from_secs(2));
    while !in_quiet_phase() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let start = now_ms() / 1000;
    // Two and a half cycles, then stop in the quiet phase again.
    std::thread::sleep(Duration::from_secs(45));
    while !in_quiet_phase() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let end = now_ms() / 1000;
    let answer = query_alerts(port, start, end);
    let history = write(dir.path(), "alerts.json", &answer);
    let rules_file = dir.path().join("rules.yml");
    let count = |alert: &str| firing_episodes(&answer, alert) as u64;
    assert!(count("On7") >= 2, "{answer}");
    let predict = |alert: &str, flag: &str, value: &str| {
        simulate(&history, &rules_file, alert, flag, value)["episodes_after"]
            .as_u64()
            .unwrap()
    };
    // Prometheus' own counts equal the replay of the base rule's history.
    assert_eq!(
        predict("On7", "--for", "6s"),
        count("On7For6"),
        "for: 6s\n{answer}"
    );
    assert_eq!(
        predict("On7", "--for", "7s"),
        count("On7For7"),
        "for: 7s\n{answer}"
    );
    assert_eq!(count("On7For7"), 0, "a 7s condition never outlasts for: 7s");
    assert!(
        count("On7For6") >= 1,
        "a full 7s period outlasts for: 6s\n{answer}"
    );
    assert_eq!(
        predict("Gap2", "--keep-firing-for", "2s"),
        count("Gap2Keep2"),
        "keep_firing_for: 2s\n{answer}"
    );
    assert_eq!(
        predict("Gap2", "--keep-firing-for", "1s"),
        count("Gap2Keep1"),
        "keep_firing_for: 1s\n{answer}"
    );
    assert!(
        count("Gap2Keep2") < count("Gap2Keep1"),
        "2s bridges the gap, 1s does not"
    );
}
