//! SLO burn-rate alerts: recognised in the shapes Sloth, Pyrra, kube-prometheus
//! and slo-libsonnet write, and not in rules that only look similar.

use crate::common::*;
use alertnoise::rules::burn_rate::{self, BurnRateAlert, Recognised};
use alertnoise::rules::{load_rule_files, Rule};
use std::process::Command;

fn recognise(name: &str) -> Recognised {
    let files = load_rule_files(&[fixture(&format!("handmade/slo/{name}"))]).unwrap();
    let rules: Vec<&Rule> = files.iter().flat_map(|f| &f.rules).collect();
    burn_rate::recognise(&rules)
}

/// Each pair as (long, short, factor, budget, objective).
fn pairs(alert: &BurnRateAlert) -> Vec<(String, Option<String>, f64, f64, f64)> {
    alert
        .pairs
        .iter()
        .map(|p| {
            (
                p.long.text.clone(),
                p.short.as_ref().map(|w| w.text.clone()),
                p.factor,
                p.budget,
                p.objective,
            )
        })
        .collect()
}

fn pair(
    long: &str,
    short: &str,
    factor: f64,
    budget: f64,
    objective: f64,
) -> (String, Option<String>, f64, f64, f64) {
    (long.into(), Some(short.into()), factor, budget, objective)
}

#[test]
fn sloth_page_and_ticket_alerts_with_two_pairs_each() {
    let found = recognise("sloth-30d.yml");
    assert!(
        found.not_recognised.is_empty(),
        "{:?}",
        found.not_recognised
    );
    let [page, ticket] = found.alerts.as_slice() else {
        panic!("{:?}", found.alerts)
    };
    assert_eq!(page.alert, "CheckoutHighErrorRate");
    assert_eq!(page.slo, "requests-availability");
    assert_eq!(page.severity.as_deref(), Some("critical"));
    assert_eq!(
        (page.for_ms, ticket.severity.as_deref()),
        (0, Some("warning"))
    );
    // Sloth's floating-point budget (0.0009999999999999432) means 99.9 %.
    assert_eq!(
        pairs(page),
        vec![
            pair("1h", "5m", 14.4, 0.001, 0.999),
            pair("6h", "30m", 6.0, 0.001, 0.999)
        ]
    );
    assert_eq!(
        pairs(ticket),
        vec![
            pair("1d", "2h", 3.0, 0.001, 0.999),
            pair("3d", "6h", 1.0, 0.001, 0.999)
        ]
    );
    assert!(page.pairs[0]
        .long_series
        .contains("slo:sli_error:ratio_rate1h"));
    assert!(page.pairs[0]
        .short_series
        .as_deref()
        .unwrap()
        .contains("ratio_rate5m"));
    // The period from slo:time_period:days, and the workbook's budget shares.
    assert_eq!(
        found.periods.get("requests-availability"),
        Some(&(30 * 86_400_000))
    );
    let shares: Vec<f64> = [
        &page.pairs[0],
        &page.pairs[1],
        &ticket.pairs[0],
        &ticket.pairs[1],
    ]
    .iter()
    .map(|p| (burn_rate::budget_share(p, 30 * 86_400_000) * 1000.0).round() / 1000.0)
    .collect();
    assert_eq!(shares, vec![0.02, 0.05, 0.1, 0.1]);
}

#[test]
fn sloth_28_day_factors_are_read_not_assumed() {
    let found = recognise("sloth-28d.yml");
    assert!(
        found.not_recognised.is_empty(),
        "{:?}",
        found.not_recognised
    );
    let [page, ticket] = found.alerts.as_slice() else {
        panic!("{:?}", found.alerts)
    };
    assert_eq!(
        page.severity.as_deref(),
        Some("page"),
        "sloth_severity when no severity"
    );
    let factors: Vec<f64> = page
        .pairs
        .iter()
        .chain(&ticket.pairs)
        .map(|p| p.factor)
        .collect();
    assert_eq!(factors, vec![13.44, 5.6, 2.8, 0.933333333333]);
    assert!(page.pairs.iter().all(|p| p.objective == 0.99));
    assert_eq!(ticket.pairs[1].long.text, "3d");
    assert_eq!(found.periods.get("latency"), Some(&(28 * 86_400_000)));
    assert_eq!(
        (burn_rate::budget_share(&page.pairs[0], 28 * 86_400_000) * 1e4).round() / 1e4,
        0.02
    );
}

#[test]
fn pyrra_pairs_short_window_first_with_long_short_labels() {
    let found = recognise("pyrra-http.yaml");
    assert!(
        found.not_recognised.is_empty(),
        "{:?}",
        found.not_recognised
    );
    assert_eq!(found.alerts.len(), 4);
    let all: Vec<_> = found.alerts.iter().flat_map(pairs).collect();
    assert_eq!(
        all,
        vec![
            pair("1h", "5m", 14.0, 0.005, 0.995),
            pair("6h", "30m", 7.0, 0.005, 0.995),
            pair("1d", "2h", 2.0, 0.005, 0.995),
            pair("4d", "6h", 1.0, 0.005, 0.995),
        ]
    );
    let fors: Vec<i64> = found.alerts.iter().map(|a| a.for_ms / 60_000).collect();
    assert_eq!(fors, vec![2, 15, 60, 180]);
    assert!(found.alerts.iter().all(|a| a.slo == "api-http-errors"));
    // exhaustion 2d × factor 14: a 28-day window.
    assert_eq!(
        found.periods.get("api-http-errors"),
        Some(&(28 * 86_400_000))
    );
}

#[test]
fn kube_prometheus_apiserver_burn_rates_through_sum_by_and_on() {
    let found = recognise("kube-prometheus-apiserver-slos.yaml");
    assert!(
        found.not_recognised.is_empty(),
        "{:?}",
        found.not_recognised
    );
    let all: Vec<_> = found.alerts.iter().flat_map(pairs).collect();
    assert_eq!(
        all,
        vec![
            pair("1h", "5m", 14.4, 0.01, 0.99),
            pair("6h", "30m", 6.0, 0.01, 0.99),
            pair("1d", "2h", 3.0, 0.01, 0.99),
            pair("3d", "6h", 1.0, 0.01, 0.99),
        ]
    );
    assert!(found.alerts.iter().all(|a| a.slo == "apiserver_request"));
    let first = &found.alerts[0].pairs[0];
    assert!(
        first.condition.contains("and on (cluster)"),
        "{}",
        first.condition
    );
    assert!(
        found.periods.is_empty(),
        "nothing in the file states a period"
    );
}

#[test]
fn hand_written_shapes_and_lookalikes() {
    let found = recognise("lookalikes.yml");
    let names: Vec<&str> = found.alerts.iter().map(|a| a.alert.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "ErrorBudgetBurn",
            "SLOBudgetFastBurn",
            "ProbeErrorBudgetBurn"
        ]
    );
    assert_eq!(
        pairs(&found.alerts[0]),
        vec![pair("1h", "5m", 14.4, 0.001, 0.999)]
    );
    // One window: the seed articles' single-window burn rate.
    assert_eq!(
        pairs(&found.alerts[1]),
        vec![("5m".into(), None, 14.4, 0.001, 0.999)]
    );
    let probe = &found.alerts[2].pairs[0];
    assert_eq!(
        (
            probe.long.text.as_str(),
            probe.short.as_ref().map(|w| w.text.as_str())
        ),
        ("1h", Some("5m"))
    );
    assert_eq!((probe.factor, probe.objective), (14.4, 0.9995));
    assert_eq!(
        probe.guards.len(),
        1,
        "the sample-count guard: {:?}",
        probe.guards
    );
    assert!(probe.guards[0].contains("> 5"));
    // Plain thresholds are not burn rates, and are not reported as failures either.
    let failed: Vec<(&str, &str)> = found
        .not_recognised
        .iter()
        .map(|n| (n.alert.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed[0].0 == "MixedFactors" && failed[0].1.contains("different burn rates"));
    assert!(failed[1].0 == "NoWindow" && failed[1].1.contains("no window"));
    assert!(failed[2].0 == "WrongLabels" && failed[2].1.contains("`long: 6h`"));
}

#[test]
fn the_fixtures_are_rule_files_promtool_accepts() {
    if !have("promtool") {
        return;
    }
    // Pyrra's is a PrometheusRule object, which promtool does not read.
    for name in [
        "sloth-30d.yml",
        "sloth-28d.yml",
        "kube-prometheus-apiserver-slos.yaml",
        "lookalikes.yml",
    ] {
        run_ok(
            Command::new("promtool")
                .args(["check", "rules"])
                .arg(fixture(&format!("handmade/slo/{name}"))),
        );
    }
}

/// A 99.9 % SLO's error ratio as a sum of constant stretches `(from, to, ratio)`
/// in seconds, and the rolling-window ratio a recording rule over `window`
/// seconds would record at `t` (constant traffic: the window's mean).
fn window_ratio(stretches: &[(i64, i64, f64)], window: i64, t: i64) -> f64 {
    stretches
        .iter()
        .map(|&(a, b, r)| r * ((b.min(t) - a.max(t - window)).max(0) as f64))
        .sum::<f64>()
        / window as f64
}

const DAY: i64 = 86_400;
/// 2026-01-05T00:00:00Z.
const T: i64 = 1_767_571_200;

/// The recorded ratio series of the scenario, one query_range answer per window.
fn write_recorded_series(dir: &std::path::Path, stretches: &[(i64, i64, f64)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, window) in [("5m", 300), ("30m", 1800), ("1h", 3600), ("6h", 21_600)] {
        let values: Vec<serde_json::Value> = (0..=(2 * DAY / 30))
            .map(|k| {
                let t = T + 30 * k;
                serde_json::json!([t, format!("{}", window_ratio(stretches, window, t))])
            })
            .collect();
        let answer = serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": [{
            "metric": {"__name__": format!("slo:sli_error:ratio_rate{name}"), "sloth_id": "shop-availability",
                       "sloth_service": "shop", "sloth_slo": "availability", "sloth_window": name},
            "values": values}]}});
        std::fs::write(
            dir.join(format!("ratio_rate{name}.json")),
            answer.to_string(),
        )
        .unwrap();
    }
}

const SCENARIO_RULES: &str = r#"groups:
- name: slo-alerts
  rules:
  - alert: ShopFastBurn
    expr: |
      max(slo:sli_error:ratio_rate1h{sloth_id="shop-availability"} > (14.4 * 0.001)) without (sloth_window)
      and
      max(slo:sli_error:ratio_rate5m{sloth_id="shop-availability"} > (14.4 * 0.001)) without (sloth_window)
    for: 2m
    labels:
      severity: critical
  - alert: ShopSlowBurn
    expr: |
      max(slo:sli_error:ratio_rate6h{sloth_id="shop-availability"} > (6 * 0.001)) without (sloth_window)
      and
      max(slo:sli_error:ratio_rate30m{sloth_id="shop-availability"} > (6 * 0.001)) without (sloth_window)
    for: 15m
    labels:
      severity: critical
"#;

/// (outage start, burn start, spikes start) in seconds.
fn scenario() -> (Vec<(i64, i64, f64)>, i64, i64) {
    let outage = T + 2 * 3600;
    let burn = T + DAY + 10;
    let spikes = T + 12 * 3600;
    let mut stretches = vec![
        // A 20-minute total outage.
        (outage, outage + 1200, 1.0),
        // A 10-hour burn at a 1 % error ratio (10× the budget), off the grid by 10 s.
        (burn, burn + 10 * 3600, 0.01),
    ];
    // Four 20-second total failures ten minutes apart: each spends 0.8 % of the
    // budget, together they cross the 1h window's threshold.
    for i in 0..4 {
        stretches.push((spikes + 600 * i, spikes + 600 * i + 20, 1.0));
    }
    (stretches, outage, burn)
}

#[test]
fn replay_against_hand_computed_windows() {
    let dir = tempfile::tempdir().unwrap();
    let (stretches, outage, burn) = scenario();
    write_recorded_series(&dir.path().join("metrics"), &stretches);
    let rules = write(dir.path(), "slo.yml", SCENARIO_RULES);
    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["slo", "--rules"])
            .arg(&rules)
            .arg("--metrics")
            .arg(dir.path().join("metrics"))
            .arg("--out")
            .arg(&out),
    );
    let report = read_json(&out.join("slo.json"));
    let slo = &report["slos"][0];
    assert_eq!(slo["name"], "shop-availability");
    assert_eq!(slo["objective"], 0.999);
    assert_eq!(slo["period"], "30d");
    assert_eq!(report["replayed"]["step"], "30s");
    // Events: the outage, four spikes, the burn.
    let events = slo["events"].as_array().unwrap();
    assert_eq!(events.len(), 6, "{slo:#}");
    let spent: Vec<f64> = events
        .iter()
        .map(|e| e["budget_spent"].as_f64().unwrap())
        .collect();
    // 20 min of 100 % errors of a 43.2-minute budget; 10 h at 1 % of it.
    close(spent[0], 1200.0 / 2592.0, "outage's budget");
    // (The window's ramp below the budget at the burn's edges is not counted: 0.01 % of it.)
    assert!(
        (spent[5] / (0.01 * 36_000.0 / 2592.0) - 1.0).abs() < 1e-3,
        "burn's budget {}",
        spent[5]
    );
    assert!(
        spent[1..5].iter().all(|s| (s - 20.0 / 2592.0).abs() < 1e-3),
        "{spent:?}"
    );
    assert_eq!(
        events[0]["start"],
        alertnoise::timefmt::format_millis((outage + 30) * 1000)
    );
    let fast = &slo["pairs"][0];
    let slow = &slo["pairs"][1];
    assert_eq!(
        (fast["long"].as_str(), fast["short"].as_str()),
        (Some("1h"), Some("5m"))
    );
    // The fast pair: the outage after 150 s (the 1h ratio passes 1.44 % 52 s in,
    // seen at the next 30 s evaluation, plus for: 2m, from the event's first
    // evaluation 30 s in); the burn is missed (1 % never reaches 1.44 %); the
    // spikes page twice though none spent 2 %.
    assert_eq!(fast["episodes"], 3);
    assert_eq!(fast["detection_p50_s"], 150.0);
    assert_eq!(
        (
            fast["significant_events"].as_u64(),
            fast["detected_events"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(fast["recall"], 0.5);
    close(
        fast["precision"].as_f64().unwrap(),
        1.0 / 3.0,
        "fast precision",
    );
    close(
        fast["workbook_detection_at_outage_s"].as_f64().unwrap(),
        3600.0 * 0.0144 + 120.0,
        "workbook",
    );
    // The slow pair catches both: the burn after 6 h × 0.006 ÷ 0.01 + 15m ≈ 3.85 h.
    assert_eq!(slow["episodes"], 2);
    assert_eq!(slow["recall"], 1.0);
    assert_eq!(slow["precision"], 1.0);
    let burn_detection = slow["detection_max_s"].as_f64().unwrap();
    assert_eq!(burn_detection, (burn + 13_880 - (burn + 50)) as f64);
    assert!(
        (burn_detection / 3600.0 - 3.85).abs() < 0.02,
        "{burn_detection}"
    );
    // Per event: the fast pair missed the burn, the slow caught it.
    let burn_event = &events[5]["detections"];
    assert_eq!(burn_event[0]["detection_s"], serde_json::Value::Null);
    assert_eq!(burn_event[0]["significant"], true);
    assert_eq!(burn_event[1]["detection_s"], burn_detection);
    // What the burn had spent when the slow pair fired: 3.84 h at ~1 % of a 0.1 % budget over 30 days.
    let before = burn_event[1]["budget_spent_before_alert"].as_f64().unwrap();
    let mean = events[5]["mean_error_ratio"].as_f64().unwrap();
    close(
        before,
        burn_detection * mean / (0.001 * 2_592_000.0),
        "budget before the alert",
    );
    assert!((before - 0.0533).abs() < 0.001, "{before}");
    // The Markdown says the same.
    let md = std::fs::read_to_string(out.join("slo.md")).unwrap();
    assert!(
        md.contains("| ShopFastBurn | 1h/5m | 14.4 | 2m | critical | 2.0 % | 3 |"),
        "{md}"
    );
    assert!(md.contains("**missed**"));
}

/// Error ratio stretches `(from, to, ratio)` in seconds after the pattern
/// starts: a strong burn, a slow one, and a blip the long window ignores.
/// (The blip comes more than the long window after the slow burn, which
/// would otherwise still hold the long window above the threshold.)
const LIVE_BURNS: [(f64, f64, f64); 3] = [(5.0, 15.0, 0.5), (30.0, 50.0, 0.15), (92.0, 94.0, 1.0)];
/// Seconds the pattern runs: every episode has ended well before.
const LIVE_PATTERN_S: u64 = 110;
/// Requests a second.
const LIVE_RATE: f64 = 100.0;

const LIVE_RULES: &str = r#"groups:
  - name: slo
    interval: 1s
    rules:
      - record: slo:sli_error:ratio_rate10s
        expr: sum(rate(requests_total{code="500"}[10s])) / sum(rate(requests_total[10s]))
      - record: slo:sli_error:ratio_rate40s
        expr: sum(rate(requests_total{code="500"}[40s])) / sum(rate(requests_total[40s]))
      - alert: ShopFastBurn
        expr: slo:sli_error:ratio_rate40s > (10 * (1 - 0.99)) and slo:sli_error:ratio_rate10s > (10 * (1 - 0.99))
        for: 3s
        labels:
          severity: critical
"#;

/// A scrape target with request counters whose error share follows
/// [`LIVE_BURNS`] from the moment `t0` is set.
struct CounterTarget {
    port: u16,
    t0: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl CounterTarget {
    fn start() -> CounterTarget {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t0 = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (t0c, stopc) = (t0.clone(), stop.clone());
        let born = crate::prometheus_replay::now_ms();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopc.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let now = crate::prometheus_replay::now_ms();
                let total = LIVE_RATE * (now - born) as f64 / 1000.0;
                let start = t0c.load(Ordering::SeqCst);
                let t = if start == 0 {
                    0.0
                } else {
                    (now.saturating_sub(start)) as f64 / 1000.0
                };
                let errors: f64 = LIVE_BURNS
                    .iter()
                    .map(|&(a, b, r)| LIVE_RATE * r * (b.min(t) - a).max(0.0))
                    .sum();
                let body = format!(
                    "# TYPE requests_total counter\nrequests_total{{code=\"200\"}} {}\nrequests_total{{code=\"500\"}} {errors}\n",
                    total - errors
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        CounterTarget { port, t0, stop }
    }
}

impl Drop for CounterTarget {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Firing runs `(start, end)` in epoch seconds of one alert in fetched
/// `ALERTS` answers: consecutive firing samples one step apart, the end one
/// step after the last.
fn alerts_firing(files: &[std::path::PathBuf], alert: &str) -> Vec<(i64, i64)> {
    let mut times: Vec<i64> = Vec::new();
    for file in files {
        let v = read_json(file);
        for series in v["data"]["result"].as_array().unwrap() {
            let m = &series["metric"];
            if m["__name__"] == "ALERTS" && m["alertname"] == alert && m["alertstate"] == "firing" {
                times.extend(
                    series["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s[0].as_f64().unwrap() as i64),
                );
            }
        }
    }
    times.sort_unstable();
    times.dedup();
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for t in times {
        match runs.last_mut() {
            Some(run) if t - run.1 <= 0 => run.1 = t + 1,
            _ => runs.push((t, t + 1)),
        }
    }
    runs
}

fn epoch_s(rfc3339: &serde_json::Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().unwrap())
        .unwrap()
        .timestamp()
}

#[test]
fn replayed_pair_fires_as_prometheus_did_on_the_series_it_recorded() {
    if !(have("prometheus") && have("promtool")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = CounterTarget::start();
    let (prometheus, port) = crate::prometheus_replay::start_prometheus_with(
        dir.path(),
        LIVE_RULES,
        Some(target.port),
        &[],
        "",
    );
    // Let the windows fill with error-free traffic before the pattern starts.
    std::thread::sleep(std::time::Duration::from_secs(12));
    let t0 = crate::prometheus_replay::now_ms();
    target.t0.store(t0, std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(std::time::Duration::from_secs(LIVE_PATTERN_S));
    let at = |ms: u64| {
        chrono::DateTime::from_timestamp((ms / 1000) as i64, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let fetched = dir.path().join("fetched");
    run_ok(bin().args([
        "fetch",
        "prometheus",
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--since",
        &at(t0 - 5_000),
        "--until",
        &at(t0 + LIVE_PATTERN_S * 1000),
        "--metrics-for-rules",
        "--out",
        fetched.to_str().unwrap(),
    ]));
    drop(prometheus);
    drop(target);
    let manifest = read_json(&fetched.join("fetch.json"));
    let metrics = manifest["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 2, "one answer per selector: {manifest}");
    let out = dir.path().join("slo");
    run_ok(
        bin()
            .args(["slo", "--rules"])
            .arg(fetched.join("rules"))
            .arg("--metrics")
            .arg(&fetched)
            .arg("--out")
            .arg(&out),
    );
    let report = read_json(&out.join("slo.json"));
    let slo = &report["slos"][0];
    assert!(slo["problems"].as_array().unwrap().is_empty(), "{slo}");
    let history: Vec<std::path::PathBuf> = manifest["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| fetched.join(f.as_str().unwrap()))
        .collect();
    let prometheus_fired = alerts_firing(&history, "ShopFastBurn");
    let replayed: Vec<(i64, i64)> = slo["pairs"][0]["firings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (epoch_s(&f["start"]), epoch_s(&f["end"])))
        .collect();
    // The strong burn and the slow one fired; the blip did not.
    assert!(prometheus_fired.len() >= 2, "{prometheus_fired:?}");
    assert!(
        prometheus_fired
            .iter()
            .all(|(s, _)| *s < (t0 / 1000) as i64 + 80),
        "the blip fired: {prometheus_fired:?}"
    );
    assert_eq!(
        replayed, prometheus_fired,
        "replayed pair against Prometheus' ALERTS"
    );
    assert_eq!(slo["alerts"][0]["firings"], slo["pairs"][0]["firings"]);
    assert_eq!(slo["pairs"][0]["long"], "40s");
    assert_eq!(slo["pairs"][0]["short"], "10s");
}

/// A 90 % SLO on the same series: 14.4 × its 10 % budget is an error ratio of 144 %.
const NINETY_PERCENT_RULE: &str = r#"
  - alert: ShopLowObjectiveBurn
    expr: |
      max(slo:sli_error:ratio_rate1h{sloth_id="shop-availability"} > (14.4 * (1 - 0.90))) without (sloth_window)
      and
      max(slo:sli_error:ratio_rate5m{sloth_id="shop-availability"} > (14.4 * (1 - 0.90))) without (sloth_window)
    for: 2m
    labels:
      severity: critical
"#;

/// Runs `slo` on the scenario's series with `rules`; gives the report.
fn slo_on_scenario(dir: &std::path::Path, name: &str, rules: &str) -> serde_json::Value {
    let metrics = dir.join("metrics");
    if !metrics.exists() {
        write_recorded_series(&metrics, &scenario().0);
    }
    let rules = write(dir, name, rules);
    slo_json(dir, &rules, &[], &format!("out-{name}"))
}

/// Runs `slo` on `rules` and `dir/metrics` with `extra` arguments, into
/// `dir/out`; gives its slo.json.
fn slo_json(
    dir: &std::path::Path,
    rules: &std::path::Path,
    extra: &[&std::ffi::OsStr],
    out: &str,
) -> serde_json::Value {
    let out = dir.join(out);
    run_ok(
        bin()
            .args(["slo", "--rules"])
            .arg(rules)
            .arg("--metrics")
            .arg(dir.join("metrics"))
            .arg("--out")
            .arg(&out)
            .args(extra),
    );
    read_json(&out.join("slo.json"))
}

fn advice_for<'a>(report: &'a serde_json::Value, alert: &str) -> &'a serde_json::Value {
    report["advice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == alert)
        .unwrap_or_else(|| panic!("no advice for {alert}: {}", report["advice"]))
}

/// Applies an advice's patch in `dir` with `patch -p1` and checks the result with promtool.
fn apply_and_check(dir: &std::path::Path, advice: &serde_json::Value) {
    let patch = advice["patch"]
        .as_str()
        .unwrap_or_else(|| panic!("no patch: {advice}"));
    let mut child = Command::new("patch")
        .args(["-p1", "--quiet"])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), patch.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "{patch}");
    if have("promtool") {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                run_ok(Command::new("promtool").args(["check", "rules"]).arg(&path));
            }
        }
    }
}

#[test]
fn burn_rate_advice_is_replayed_and_its_patch_does_what_the_replay_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rules = format!("{SCENARIO_RULES}{NINETY_PERCENT_RULE}");
    // The patch is applied from the directory the rule files are in.
    let report = {
        let metrics = d.join("metrics");
        write_recorded_series(&metrics, &scenario().0);
        write(d, "slo.yml", &rules);
        let out = d.join("out");
        run_ok(bin().current_dir(d).args([
            "slo",
            "--rules",
            "slo.yml",
            "--metrics",
            "metrics",
            "--out",
            "out",
        ]));
        read_json(&out.join("slo.json"))
    };
    // The fast pair pages on the spikes (none spent its 2 %): a higher factor
    // keeps the outage and drops them. The burn it missed was caught by the slow pair.
    let fast = advice_for(&report, "ShopFastBurn");
    assert_eq!(fast["kind"], "burn_rate");
    assert_eq!(fast["change"]["factor"], 28.8, "{fast:#}");
    assert_eq!(fast["evidence"]["before"]["episodes"], 3);
    assert_eq!(fast["evidence"]["after"]["episodes"], 1);
    assert_eq!(fast["evidence"]["after"]["precision"], 1.0);
    assert_eq!(fast["evidence"]["after"]["detected_events"], 1);
    assert!(fast["evidence"]["detection_added_s"].as_f64().unwrap() > 0.0);
    // The 90 % SLO's pair can never fire.
    let low = advice_for(&report, "ShopLowObjectiveBurn");
    assert!(
        low["summary"].as_str().unwrap().contains("can never fire"),
        "{low}"
    );
    let factor = low["change"]["factor"].as_f64().unwrap();
    assert!(factor * 0.1 < 1.0, "{low}");
    assert!(
        report["advice"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["rule"] != "ShopSlowBurn"),
        "the slow pair does its job"
    );
    // slo.patch holds both; applied, promtool accepts it, and the replay of the
    // patched rules gives what the advice said.
    let patch = std::fs::read_to_string(d.join("out/slo.patch")).unwrap();
    let combined = serde_json::json!({"patch": patch});
    apply_and_check(d, &combined);
    let patched = std::fs::read_to_string(d.join("slo.yml")).unwrap();
    assert!(
        patched.contains("(28.8 * 0.001)") && !patched.contains("(14.4 * 0.001)"),
        "{patched}"
    );
    assert!(
        patched.contains(&format!("({} * (1 - 0.90))", factor)),
        "{patched}"
    );
    let again = slo_on_scenario(d, "patched.yml", &patched);
    let fast_again = again["slos"][0]["pairs"][0].clone();
    assert_eq!(fast_again["factor"], 28.8);
    assert_eq!(
        fast_again["episodes"],
        fast["evidence"]["after"]["episodes"]
    );
    assert_eq!(
        fast_again["precision"],
        fast["evidence"]["after"]["precision"]
    );
    assert_eq!(
        fast_again["detection_p50_s"],
        fast["evidence"]["after"]["detection_p50_s"]
    );
    assert!(
        again["advice"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["rule"] != "ShopFastBurn"),
        "{}",
        again["advice"]
    );
}

#[test]
fn a_burn_no_pair_caught_gets_a_lower_factor() {
    let dir = tempfile::tempdir().unwrap();
    // Only the fast pair: nothing catches the 10-hour burn at 10× the budget rate.
    let fast_only = SCENARIO_RULES
        .split("  - alert: ShopSlowBurn")
        .next()
        .unwrap()
        .to_string();
    let report = slo_on_scenario(dir.path(), "fast.yml", &fast_only);
    let advice = advice_for(&report, "ShopFastBurn");
    assert!(
        advice["summary"]
            .as_str()
            .unwrap()
            .contains("missed 1 budget event"),
        "{advice}"
    );
    let factor = advice["change"]["factor"].as_f64().unwrap();
    // The burn's 1h ratio is 1 %: the factor must bring 1.44 % under it.
    assert!(factor * 0.001 < 0.01 && factor >= 7.2, "{advice}");
    assert_eq!(advice["evidence"]["after"]["detected_events"], 2);
    assert_eq!(advice["evidence"]["before"]["detected_events"], 1);
    let patch = advice["patch"].as_str().unwrap();
    assert!(patch.contains(&format!("({} * 0.001)", factor)), "{patch}");
}

#[test]
fn a_ticket_that_only_fires_during_pages_is_called_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    // A ticket on the fast windows at a higher factor: it fires on the outage
    // and the last spike, each time after the page already fired.
    let ticket = r#"
  - alert: ShopTicketBurn
    expr: |
      max(slo:sli_error:ratio_rate1h{sloth_id="shop-availability"} > (20 * 0.001)) without (sloth_window)
      and
      max(slo:sli_error:ratio_rate5m{sloth_id="shop-availability"} > (20 * 0.001)) without (sloth_window)
    for: 2m
    labels:
      severity: warning
"#;
    let report = slo_on_scenario(
        dir.path(),
        "ticket.yml",
        &format!("{SCENARIO_RULES}{ticket}"),
    );
    let advice = advice_for(&report, "ShopTicketBurn");
    assert!(
        advice["summary"]
            .as_str()
            .unwrap()
            .contains("while ShopFastBurn was already paging"),
        "{advice}"
    );
    assert_eq!(
        advice["evidence"]["inhibit_rule"]["source_matchers"][0],
        "alertname=\"ShopFastBurn\""
    );
    assert_eq!(advice["evidence"]["ticket_episodes"], 2);
    assert!(advice["patch"].is_null());
    // A ticket that fires alone (the slow burn, as a warning) is not one.
    let slow_ticket = SCENARIO_RULES.replacen(
        "for: 15m\n    labels:\n      severity: critical",
        "for: 15m\n    labels:\n      severity: warning",
        1,
    );
    assert_ne!(slow_ticket, SCENARIO_RULES);
    let report = slo_on_scenario(dir.path(), "slow-ticket.yml", &slow_ticket);
    assert!(
        report["advice"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["summary"].as_str().unwrap().contains("already paging")),
        "{}",
        report["advice"]
    );
}

#[test]
fn review_verdicts_decide_which_replayed_episodes_were_real() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let report = slo_on_scenario(d, "slo.yml", SCENARIO_RULES);
    let firings = report["slos"][0]["pairs"][0]["firings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(firings.len(), 3);
    // The meeting called the last spike's page actionable (someone fixed a bad
    // deploy), by rule and start time, and the outage's page not (by fingerprint
    // of the alert's labels: a planned failover).
    let spike = firings[2]["start"].as_str().unwrap();
    let outage = firings[0]["start"].as_str().unwrap();
    let mut labels: std::collections::BTreeMap<String, String> = firings[0]["labels"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    labels.insert("alertname".into(), "ShopFastBurn".into());
    labels.insert("severity".into(), "critical".into());
    let fingerprint = alertnoise::fingerprint::fingerprint(&labels);
    let reviews = write(
        d,
        "reviews.csv",
        &format!(
            "rule,fingerprint,starts_at,actionable\nShopFastBurn,,{spike},yes\n,{fingerprint},{outage},no\n"
        ),
    );
    let reviewed = slo_json(
        d,
        &d.join("slo.yml"),
        &["--reviews".as_ref(), reviews.as_os_str()],
        "reviewed",
    );
    let fast = &reviewed["slos"][0]["pairs"][0];
    // Real: the spike (by review); not: the outage (by review) and the third spike (by the budget rule).
    close(
        fast["precision"].as_f64().unwrap(),
        1.0 / 3.0,
        "reviewed precision",
    );
    assert_eq!(
        report["slos"][0]["pairs"][0]["precision"], fast["precision"],
        "same share, other episodes"
    );
    // Recall is about budget events, not reviews: unchanged.
    assert_eq!(fast["recall"], 0.5);
    // Only the spike's verdict: two real episodes of three.
    let only_spike = write(
        d,
        "only-spike.csv",
        &format!("rule,starts_at,actionable\nShopFastBurn,{spike},yes\n"),
    );
    let spike_only = slo_json(
        d,
        &d.join("slo.yml"),
        &["--reviews".as_ref(), only_spike.as_os_str()],
        "reviewed-spike",
    );
    close(
        spike_only["slos"][0]["pairs"][0]["precision"]
            .as_f64()
            .unwrap(),
        2.0 / 3.0,
        "one more real",
    );
}

#[test]
fn report_with_metrics_has_the_slo_section_and_the_same_slo_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let alone = slo_on_scenario(d, "slo.yml", SCENARIO_RULES);
    let history = write(
        d,
        "history.csv",
        "rule,starts_at,ends_at,severity\nShopFastBurn,2026-01-05T02:03:00Z,2026-01-05T02:25:00Z,critical\n",
    );
    let out = d.join("report");
    run_ok(
        bin()
            .arg("report")
            .arg(&history)
            .arg("--rules")
            .arg(d.join("slo.yml"))
            .arg("--metrics")
            .arg(d.join("metrics"))
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(
        read_json(&out.join("slo.json")),
        alone,
        "report --metrics and slo agree"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("slo.patch")).unwrap(),
        std::fs::read_to_string(d.join("out-slo.yml/slo.patch")).unwrap()
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let slo_at = md.find("## SLO burn-rate alerts").expect("the SLO section");
    assert!(slo_at < md.find("## Data quality").unwrap());
    assert!(
        md.contains("| ShopSlowBurn | 6h/30m | 6 | 15m | critical | 5.0 % | 2 |"),
        "{md}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2 id=\"slo\">SLO burn-rate alerts</h2>"));
    assert!(
        html.contains("<td>ShopFastBurn</td><td>1h/5m</td><td>14.4</td><td>2m</td>"),
        "{html}"
    );
    // Without rule files there is nothing to replay.
    let no_rules = bin()
        .arg("report")
        .arg(&history)
        .arg("--metrics")
        .arg(d.join("metrics"))
        .arg("--out")
        .arg(d.join("no-rules"))
        .output()
        .unwrap();
    assert_eq!(no_rules.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_rules.stderr).contains("give the rule files with --rules"));
    // A --metrics directory without answers says so.
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let empty = bin()
        .args(["slo", "--rules"])
        .arg(d.join("slo.yml"))
        .arg("--metrics")
        .arg(d.join("empty"))
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("no query_range answers"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
}

#[test]
fn pages_at_night_with_little_traffic_get_a_minimum_traffic_guard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let metrics = d.join("metrics");
    write_recorded_series(&metrics, &scenario().0);
    // 100 requests a second, but half a request a second from 11:00 to 14:00
    // on the first day: the spikes come then.
    let values: Vec<serde_json::Value> = (0..=(2 * DAY / 30))
        .map(|k| {
            let t = T + 30 * k;
            let quiet = (T + 11 * 3600..T + 14 * 3600).contains(&t);
            serde_json::json!([t, if quiet { "0.5" } else { "100" }])
        })
        .collect();
    let answer = serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": [{
        "metric": {"__name__": "shop:requests:rate5m", "job": "shop"}, "values": values}]}});
    std::fs::write(metrics.join("requests.json"), answer.to_string()).unwrap();
    write(d, "slo.yml", SCENARIO_RULES);
    run_ok(bin().current_dir(d).args([
        "slo",
        "--rules",
        "slo.yml",
        "--metrics",
        "metrics",
        "--requests",
        "shop-availability=shop:requests:rate5m",
        "--out",
        "out",
    ]));
    let report = read_json(&d.join("out/slo.json"));
    let advice = advice_for(&report, "ShopFastBurn");
    // 0.5 requests a second over the 1h window is 1,800 requests; the guard sits just above.
    assert_eq!(advice["change"]["min_requests"], 1890.0, "{advice:#}");
    assert_eq!(
        advice["change"]["guard"],
        "sum(shop:requests:rate5m) * 3600 > 1890"
    );
    assert!(
        advice["change"].get("factor").is_none(),
        "the guard detects earlier than a higher factor: {advice:#}"
    );
    assert_eq!(advice["evidence"]["after"]["episodes"], 1);
    assert_eq!(advice["evidence"]["after"]["detection_p50_s"], 150.0);
    assert!(advice["summary"]
        .as_str()
        .unwrap()
        .contains("a guard of at least 1890 requests in 1h"));
    // Applied, promtool accepts it, and the replay of the patched rule agrees.
    apply_and_check(d, advice);
    let patched = std::fs::read_to_string(d.join("slo.yml")).unwrap();
    assert!(
        patched.contains("and on() sum(shop:requests:rate5m) * 3600 > 1890"),
        "{patched}"
    );
    run_ok(bin().current_dir(d).args([
        "slo",
        "--rules",
        "slo.yml",
        "--metrics",
        "metrics",
        "--out",
        "again",
    ]));
    let again = read_json(&d.join("again/slo.json"));
    assert_eq!(again["slos"][0]["pairs"][0]["episodes"], 1);
    assert_eq!(again["slos"][0]["pairs"][0]["precision"], 1.0);
    assert_eq!(again["slos"][0]["pairs"][0]["detection_p50_s"], 150.0);
}

#[test]
fn print_query_names_exactly_the_series_the_burn_rate_alerts_read() {
    let rules = fixture("handmade/slo/sloth-30d.yml");
    let out = run_ok(
        bin()
            .args([
                "slo",
                "--print-query",
                "--server",
                "http://prom:9090",
                "--until",
                "2026-11-30T00:00:00Z",
                "--rules",
            ])
            .arg(&rules),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let promtool: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("promtool query range"))
        .collect();
    // Page: 5m, 1h, 30m, 6h; ticket: 2h, 1d, (6h again), 3d.
    assert_eq!(promtool.len(), 7, "{text}");
    for window in ["5m", "1h", "30m", "6h", "2h", "1d", "3d"] {
        assert!(
            promtool.iter().any(|l| l.contains(&format!(
                "slo:sli_error:ratio_rate{window}{{sloth_id=\"checkout-requests-availability\""
            ))),
            "{window}: {text}"
        );
    }
    assert!(
        text.contains("--start 2026-11-23T00:00:00.000Z --end 2026-11-30T00:00:00.000Z"),
        "{text}"
    );
    assert!(text.contains("alertnoise slo --rules"));
    // backtest --print-query of a burn-rate alert gives the same series; without it, says to use slo.
    let bt = run_ok(
        bin()
            .args([
                "backtest",
                "--print-query",
                "--alert",
                "CheckoutHighErrorRate",
                "--server",
                "http://prom:9090",
                "--until",
                "2026-11-30T00:00:00Z",
                "--rules",
            ])
            .arg(&rules),
    );
    assert_eq!(String::from_utf8(bt.stdout).unwrap(), text);
    let refused = bin()
        .args([
            "backtest",
            "--alert",
            "CheckoutHighErrorRate",
            "--series",
            "x.json",
            "--rules",
        ])
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("alertnoise slo"));
    // An alert that computes its ratio inline has no recorded series: the message says so.
    let inline = bin()
        .args(["slo", "--print-query", "--rules"])
        .arg(root().join("sample-data/rules"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&inline.stderr);
    assert_eq!(inline.status.code(), Some(2), "{said}");
    assert!(
        said.contains("CheckoutSLOBudgetFastBurn") && said.contains("compute their ratios inline"),
        "{said}"
    );
}
