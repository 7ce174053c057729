//! Rule files: threshold location in real files, patches that git, patch and
//! promtool accept, and clear errors for bad rule files.

use crate::common::*;
use alertnoise::rules::patch::{self, Change};
use alertnoise::rules::{load_rule_files, Rule, RuleFile, RuleKind, Threshold};
use std::path::Path;
use std::process::Command;

fn load(name: &str) -> RuleFile {
    load_rule_files(&[fixture(&format!("rules/{name}"))])
        .unwrap()
        .remove(0)
}

fn rule<'a>(file: &'a RuleFile, name: &str) -> &'a Rule {
    file.rules
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// (op, value, literal text) of a located threshold.
fn located(file: &RuleFile, name: &str) -> (String, f64, Option<String>) {
    match &rule(file, name).threshold {
        Threshold::Located(l) => (
            l.op.clone(),
            l.value,
            l.literal.as_ref().map(|l| l.text.clone()),
        ),
        other => panic!("{name}: {other:?}"),
    }
}

fn not_located(file: &RuleFile, name: &str) -> String {
    match &rule(file, name).threshold {
        Threshold::NotLocated { reason } => reason.clone(),
        other => panic!("{name} should have no single threshold: {other:?}"),
    }
}

#[test]
fn thresholds_are_located_in_every_real_rule_file() {
    // (file, alerting rules, located, recording rules)
    let expected = [
        ("awesome-kubestate-exporter.yml", 37, 29, 0),
        ("awesome-node-exporter.yml", 35, 31, 0),
        ("awesome-postgres-exporter.yml", 20, 15, 0),
        ("awesome-rabbitmq-exporter.yml", 10, 9, 0),
        ("prometheus-alert_rule.yaml", 1, 0, 0),
        ("promtool-rules.yml", 2, 1, 3),
    ];
    for (name, alerting, found, recording) in expected {
        let file = load(name);
        let alerts: Vec<&Rule> = file
            .rules
            .iter()
            .filter(|r| r.kind == RuleKind::Alerting)
            .collect();
        let located = alerts
            .iter()
            .filter(|r| r.threshold.located().is_some())
            .count();
        assert_eq!(alerts.len(), alerting, "{name}: alerting rules");
        assert_eq!(located, found, "{name}: located thresholds");
        assert_eq!(
            file.rules.len() - alerting,
            recording,
            "{name}: recording rules"
        );
    }
}

#[test]
fn nested_guarded_and_chained_thresholds_have_named_answers() {
    let node = load("awesome-node-exporter.yml");
    assert_eq!(
        located(&node, "HostOutOfMemory"),
        ("<".into(), 0.1, Some(".10".into()))
    );
    // `(rate(...) / speed > .80) and speed > 0`: the guard gives way.
    assert_eq!(
        located(&node, "HostUnusualNetworkThroughputIn"),
        (">".into(), 0.8, Some(".80".into()))
    );
    // `1 - (avg ...) > .80`
    assert_eq!(
        located(&node, "HostHighCpuLoad"),
        (">".into(), 0.8, Some(".80".into()))
    );
    assert!(not_located(&node, "HostClockSkew").contains("several thresholds"));
    assert!(not_located(&node, "HostNodeOvertemperatureAlarm").contains("or"));
    assert!(not_located(&node, "HostPhysicalComponentTooHot").contains("two series"));

    let kube = load("awesome-kubestate-exporter.yml");
    // `sum by (node) ((phase == 1) + on(uid, instance) group_left(node) (0 * info)) / … * 100 > 90`
    assert_eq!(
        located(&kube, "KubernetesNodeOutOfPodCapacity"),
        (">".into(), 90.0, Some("90".into()))
    );
    // `active == 0 and failed == 0 and succeeded == 0 and (time() - start) > 600`
    assert_eq!(
        located(&kube, "KubernetesJobNotStarting"),
        (">".into(), 600.0, Some("600".into()))
    );
    // `count > 0 and histogram_quantile(...) < 7*24*60*60`: located, but no single literal.
    assert_eq!(
        located(&kube, "KubernetesClientCertificateExpiresNextWeek"),
        ("<".into(), 604800.0, None)
    );
    assert!(not_located(&kube, "KubernetesReplicasetReplicasMismatch").contains("two series"));

    let pg = load("awesome-postgres-exporter.yml");
    assert!(not_located(&pg, "PostgresqlInvalidIndex").contains("selector"));
    let rabbit = load("awesome-rabbitmq-exporter.yml");
    assert!(not_located(&rabbit, "RabbitmqUnroutableMessages").contains("`or`"));

    assert!(not_located(&load("prometheus-alert_rule.yaml"), "rule1").contains("bool"));
    let promtool = load("promtool-rules.yml");
    assert!(not_located(&promtool, "AlwaysFiring").contains("constant"));
    assert_eq!(
        located(&promtool, "InstanceDown"),
        ("==".into(), 0.0, Some("0".into()))
    );
}

/// A set of changes over a whole file: every kind, on many rules at once.
fn changes_for(file: &RuleFile) -> Vec<(usize, Change)> {
    let mut out = Vec::new();
    for (i, r) in file.rules.iter().enumerate() {
        if r.kind != RuleKind::Alerting {
            continue;
        }
        match i % 5 {
            0 => out.push((i, Change::For(r.for_ms.unwrap_or(0) + 300_000))),
            1 => out.push((i, Change::KeepFiringFor(600_000))),
            2 => {
                if let Some(l) = r.threshold.located().filter(|l| l.literal.is_some()) {
                    out.push((i, Change::Threshold(l.value * 2.0 + 1.0)));
                }
                out.push((i, Change::For(r.for_ms.unwrap_or(0) + 120_000)));
            }
            3 if r.labels.contains_key("severity") => {
                out.push((i, Change::Label("severity".into(), "ticket".into())))
            }
            _ => out.push((i, Change::Remove)),
        }
    }
    out
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir);
    c
}

#[test]
fn patches_of_real_rule_files_apply_with_git_and_patch_and_pass_promtool() {
    let tools = have("promtool") && have("patch");
    for name in [
        "awesome-kubestate-exporter.yml",
        "awesome-node-exporter.yml",
        "awesome-postgres-exporter.yml",
        "awesome-rabbitmq-exporter.yml",
        "promtool-rules.yml",
    ] {
        let file = load(name);
        let changes = changes_for(&file);
        let new = patch::apply(&file, &changes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let diff = patch::unified_diff(&format!("rules/{name}"), &file.text, &new);

        // Only the lines a change must touch: a replaced value is one line
        // out and one in; a missing key is one line in; a removal only takes lines.
        let minus = diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .count();
        let plus = diff
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count();
        let mut want_plus = 0;
        let mut replaced = 0;
        for (i, c) in &changes {
            let r = &file.rules[*i];
            match c {
                Change::For(_) if r.for_span.is_none() => want_plus += 1,
                Change::KeepFiringFor(_) if r.keep_firing_for_span.is_none() => want_plus += 1,
                Change::Remove => {}
                _ => replaced += 1,
            }
        }
        assert_eq!(plus, want_plus + replaced, "{name}: added lines\n{diff}");
        assert!(minus >= replaced, "{name}: removed lines");

        for applier in ["git", "patch"] {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), &format!("rules/{name}"), &file.text);
            let patch_file = write(dir.path(), "advice.patch", &diff);
            if applier == "git" {
                run_ok(git(dir.path()).arg("init").arg("-q"));
                run_ok(git(dir.path()).args(["apply", "--check"]).arg(&patch_file));
                run_ok(git(dir.path()).arg("apply").arg(&patch_file));
            } else if tools {
                run_ok(
                    Command::new("patch")
                        .current_dir(dir.path())
                        .args(["-p1", "-i"])
                        .arg(&patch_file),
                );
            } else {
                continue;
            }
            let patched_path = dir.path().join("rules").join(name);
            let patched = std::fs::read_to_string(&patched_path).unwrap();
            assert_eq!(patched, new, "{name}: {applier} gave another file");
            if tools {
                run_ok(
                    Command::new("promtool")
                        .args(["check", "rules"])
                        .arg(&patched_path),
                );
            }
        }

        // Read back: the intended settings changed, nothing else.
        let reread = alertnoise::rules::file::parse_rules(name, &new, 0).unwrap();
        let removed: Vec<usize> = changes
            .iter()
            .filter(|(_, c)| *c == Change::Remove)
            .map(|(i, _)| *i)
            .collect();
        let kept: Vec<&Rule> = file
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| !removed.contains(i))
            .map(|(_, r)| r)
            .collect();
        assert_eq!(reread.len(), kept.len(), "{name}");
        for (before, after) in kept.iter().zip(&reread) {
            assert_eq!(before.name, after.name);
            let index = file
                .rules
                .iter()
                .position(|r| std::ptr::eq(r, *before))
                .unwrap();
            let mine: Vec<&Change> = changes
                .iter()
                .filter(|(i, _)| *i == index)
                .map(|(_, c)| c)
                .collect();
            let mut want_for = before.for_ms;
            let mut want_keep = before.keep_firing_for_ms;
            let mut want_severity = before.labels.get("severity").map(|v| v.text.clone());
            let mut want_value = before.threshold.located().map(|l| l.value);
            for c in &mine {
                match c {
                    Change::For(ms) => want_for = Some(*ms),
                    Change::KeepFiringFor(ms) => want_keep = Some(*ms),
                    Change::Label(_, v) => want_severity = Some(v.clone()),
                    Change::Threshold(v) => want_value = Some(*v),
                    Change::Remove => unreachable!(),
                    Change::Factor(..) | Change::Guard(_) => {
                        unreachable!("these rules have no burn-rate pairs")
                    }
                }
            }
            assert_eq!(after.for_ms, want_for, "{}: for", after.name);
            assert_eq!(
                after.keep_firing_for_ms, want_keep,
                "{}: keep_firing_for",
                after.name
            );
            assert_eq!(
                after.labels.get("severity").map(|v| v.text.clone()),
                want_severity,
                "{}: severity",
                after.name
            );
            assert_eq!(
                after.threshold.located().map(|l| l.value),
                want_value,
                "{}",
                after.name
            );
            assert_eq!(after.annotations, before.annotations, "{}", after.name);
            let other_labels = |r: &Rule| {
                r.labels
                    .iter()
                    .filter(|(k, _)| *k != "severity")
                    .map(|(k, v)| (k.clone(), v.text.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(other_labels(after), other_labels(before), "{}", after.name);
            if !mine.iter().any(|c| matches!(c, Change::Threshold(_))) {
                assert_eq!(after.expr, before.expr, "{}: expr untouched", after.name);
            }
        }
    }
}

#[test]
fn a_prometheus_rule_object_in_a_multi_document_manifest_is_read_and_patched() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
# a kustomize output: other objects around the rules
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
data:
  groups: not-rules
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: payments
spec:
  groups:
    - name: payments
      rules:
        - alert: PaymentsErrors
          # symptom: users see errors
          expr: |
            sum(rate(errors_total[5m]))
              / sum(rate(requests_total[5m])) > 0.05
          labels:
            severity: critical
";
    let path = write(dir.path(), "payments-rules.yaml", text);
    let files = load_rule_files(&[path]).unwrap();
    let rules = &files[0].rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name, "PaymentsErrors");
    assert_eq!(rules[0].line, 17);
    assert_eq!(rules[0].threshold.located().unwrap().value, 0.05);
    let new = patch::apply(
        &files[0],
        &[(0, Change::For(300_000)), (0, Change::Threshold(0.1))],
    )
    .unwrap();
    assert!(
        new.contains("          for: 5m\n          labels:"),
        "{new}"
    );
    assert!(
        new.contains("/ sum(rate(requests_total[5m])) > 0.1\n"),
        "{new}"
    );
    assert!(new.contains("# symptom: users see errors"));
}

fn report_with_rules(rules: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.rules.yml", rules);
    let out = dir.path().join("out");
    alertnoise(&[
        "report",
        root().join("sample-data/alertmanager").to_str().unwrap(),
        "--rules",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn bad_rule_files_stop_the_run_naming_file_and_line() {
    let cases = [
        // (file text, line the message names, words it must contain)
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: 'up == 0\n", 5, "invalid YAML"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: rate(up[5m]\n", 5, "invalid PromQL"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n        fore: 5m\n", 6, "unknown key `fore`"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n        for: 5 minutes\n", 6, "not a duration"),
        ("groups:\n  - name: a\n    rules:\n      - alert: X\n        for: 5m\n", 4, "has no `expr`"),
        ("scrape_configs: []\n", 1, "not a rule file"),
    ];
    for (text, line, words) in cases {
        let out = report_with_rules(text);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}\n{stderr}");
        assert!(
            stderr.contains(&format!("bad.rules.yml:{line}")),
            "{text}\n{stderr}"
        );
        assert!(stderr.contains(words), "{text}\n{stderr}");
    }
}

/// kube-prometheus' control-plane rules record one name four times with the
/// same labels: Prometheus loads them and promtool only lints them, so the
/// report goes on and says so, naming each repeat's file and line.
#[test]
fn rules_defined_twice_are_a_warning_not_a_refusal() {
    let rules = fixture("handmade/kube-prometheus-control-plane-rules.yml");
    if have("promtool") {
        let checked = Command::new("promtool")
            .args(["check", "rules"])
            .arg(&rules)
            .output()
            .unwrap();
        assert!(checked.status.success(), "{checked:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = alertnoise(&[
        "report",
        root().join("sample-data/alertmanager").to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let summary: serde_json::Value = read_json(&out.join("summary.json"));
    let text = summary.to_string();
    let name = rules.display().to_string();
    // The first definition is line 12; the three repeats are warned of, each at its own line.
    for line in [14, 16, 18] {
        assert!(
            text.contains(&format!(
                "recording rule `code_verb:apiserver_request_total:increase1h` is defined again with the same labels (first at {name}:12)"
            )) && text.contains(&format!("\"line\":{line}")),
            "{line}: {text}"
        );
    }
    assert!(stderr.contains("is defined again"), "{stderr}");
    // The two alerting rules differ by their severity label: no warning.
    assert!(!text.contains("KubeClientCertificateExpiration` is defined again"));
    assert_eq!(summary["rule_files"]["recording_rules"], 5, "{text}");
}

/// A duplicated alerting rule: its alerts cannot be told apart, which the
/// warning says; the run still goes on (as Prometheus' would).
#[test]
fn a_duplicated_alerting_rule_is_measured_as_one_and_warned_of() {
    let out = report_with_rules(
        "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n      - alert: X\n        expr: up == 1\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("bad.rules.yml:6") && stderr.contains("alerting rule `X` is defined again"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot be told apart"), "{stderr}");
}

#[test]
fn the_sample_advice_patch_applies_and_passes_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let advice = sample_advice(&out, &[]);
    let kinds: Vec<(String, String)> = advice["advice"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] != "lint")
        .map(|a| {
            (
                a["rule"].as_str().unwrap().into(),
                a["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    // What the sample company was built to show (see src/sample/scenario.rs).
    for want in [
        ("HostHighCpu", "raise_for"),
        ("HostHighCpu", "demote"),
        ("PaymentsLatencyHigh", "keep_firing_for"),
        ("TradingBotStopLossTriggered", "remove"),
    ] {
        assert!(
            kinds.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {kinds:?}"
        );
    }
    assert!(
        !kinds.iter().any(|(r, _)| r == "CheckoutHighErrorRate"),
        "the good rule is left alone"
    );
    for a in advice["advice"].as_array().unwrap() {
        if let Some(lost) = a["effect"]["actionable_lost"].as_u64() {
            assert_eq!(
                lost, 0,
                "a default advice never loses an actionable episode: {a}"
            );
        }
    }
    assert_eq!(
        advice["never_fired"],
        serde_json::json!(["CheckoutSLOBudgetFastBurn"])
    );

    let patch = std::fs::read_to_string(out.join("advice.patch")).unwrap();
    let patched = apply_to_sample_rules(&dir.path().join("repo"), &patch);
    if have("promtool") {
        run_ok(
            Command::new("promtool")
                .args(["check", "rules"])
                .arg(&patched),
        );
    }
    let files = load_rule_files(&[patched]).unwrap();
    let cpu = rule(&files[0], "HostHighCpu");
    assert_eq!(cpu.for_ms, Some(300_000));
    assert_eq!(cpu.labels["severity"].text, "warning");
    assert!(files[0]
        .rules
        .iter()
        .all(|r| r.name != "TradingBotStopLossTriggered"));
}
