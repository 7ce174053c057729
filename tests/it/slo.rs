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
