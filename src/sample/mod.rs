//! `alertnoise sample`: a realistic, deterministic alert history for a fictional shop.
//!
//! Writes Alertmanager webhook notifications as an archiver stores them (JSON
//! lines `{"received_at", "body"}`, one file per week, older weeks gzipped),
//! the PagerDuty incidents and log entries its paging receiver caused (as
//! `fetch pagerduty` saves them), the Prometheus rule file, and the review
//! meeting's verdicts.

pub mod alertmanager_file;
pub mod notify;
pub mod paging;
pub mod rules_file;
pub mod scenario;
pub mod series;

use crate::error::Result;
use crate::fingerprint::fingerprint;
use crate::outdir::write_file;
use crate::routing::AlertmanagerConfig;
use crate::timefmt::{format_millis, Millis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

/// The file every sample directory holds, which `--force` looks for.
pub const MARKER: &str = ".alertnoise-sample";

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// Random seed; the same seed gives the same files.
    pub seed: u64,
    /// Weeks of history.
    pub weeks: u32,
    /// First instant of the history (a Monday 00:00 UTC reads best).
    pub start: Millis,
}

/// Rules whose verdicts the review meeting gave for the whole rule.
const RULE_VERDICTS: [(&str, &str); 2] = [
    (
        "DiskSpaceLow",
        "fills over days; a ticket to capacity planning would do",
    ),
    (
        "TradingBotStopLossTriggered",
        "informational; belongs in the trading channel, not an alert",
    ),
];

/// The receiver whose notifications the sample's webhook archive holds.
const ARCHIVE_RECEIVER: &str = "archive";

/// Writes the sample into `dir`.
pub fn write(dir: &Path, spec: &SampleSpec) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let rules = scenario::rules();
    let history = scenario::history(&mut rng, spec.start, spec.weeks);
    let end = spec.start + spec.weeks as i64 * 7 * 86_400_000;
    let config =
        AlertmanagerConfig::parse("alertmanager.yml", alertmanager_file::ALERTMANAGER_YAML)?;
    let mut notifications = Vec::new();
    let mut seen: Vec<scenario::TrueEpisode> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let mut episodes: Vec<&scenario::TrueEpisode> =
            history.iter().filter(|e| e.rule == r).collect();
        episodes.sort_by_key(|e| e.start);
        let mut notified = std::collections::BTreeSet::new();
        // Every instance of a rule shares the labels routing reads.
        let labels = scenario::labels(rule, 0);
        for route in config.route.matching(&labels) {
            let group_key = route.group_key(&labels);
            let timing = notify::Route {
                receiver: &route.receiver,
                group_key: &group_key,
                group_wait: route.group_wait_ms,
                group_interval: route.group_interval_ms,
                repeat_interval: route.repeat_interval_ms,
            };
            notify::notify_group(
                rule,
                &episodes,
                &timing,
                end,
                &mut rng,
                &mut notifications,
                &mut notified,
            );
        }
        // Only what reached people can be reviewed.
        seen.extend(
            episodes
                .into_iter()
                .filter(|e| notified.contains(&(e.instance, e.start)))
                .cloned(),
        );
    }
    notifications.sort_by_key(|n| n.received_at);
    for week in 0..spec.weeks {
        let from = spec.start + week as i64 * 7 * 86_400_000;
        let to = from + 7 * 86_400_000;
        let mut lines = String::new();
        // What the archive receiver (`alertnoise collect`) was sent.
        for n in notifications.iter().filter(|n| {
            n.received_at >= from && n.received_at < to && n.body["receiver"] == ARCHIVE_RECEIVER
        }) {
            let line =
                serde_json::json!({"received_at": format_millis(n.received_at), "body": n.body});
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        let name = format!("alertmanager/webhooks-{}.jsonl", &format_millis(from)[..10]);
        if week + 1 < spec.weeks {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(lines.as_bytes())
                .and_then(|_| gz.try_finish())
                .map_err(|e| crate::error::Error::Output {
                    path: dir.join(&name),
                    reason: e.to_string(),
                })?;
            let bytes = gz.finish().map_err(|e| crate::error::Error::Output {
                path: dir.join(&name),
                reason: e.to_string(),
            })?;
            write_file(dir, &format!("{name}.gz"), &bytes)?;
        } else {
            write_file(dir, &name, lines.as_bytes())?;
        }
    }
    // Its own random stream, so the other files do not change with it.
    let mut paging_rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5041_4745);
    let pagers: Vec<&str> = (config.receivers.iter())
        .filter(|r| r.integrations.iter().any(|i| i == "pagerduty_configs"))
        .map(|r| r.name.as_str())
        .collect();
    for (name, text) in
        paging::pagerduty_pages(&notifications, &pagers, spec.start, end, &mut paging_rng)
    {
        write_file(dir, &name, text.as_bytes())?;
    }
    let last_week = end - 7 * 86_400_000;
    let queue: Vec<&scenario::TrueEpisode> = seen
        .iter()
        .filter(|e| rules[e.rule].name == series::RULE)
        .collect();
    write_file(
        dir,
        &format!("series/{}.json", series::RULE),
        series::queue_depth(spec.seed, &queue, last_week, end).as_bytes(),
    )?;
    write_file(
        dir,
        "rules/acme-shop.rules.yml",
        rules_file::RULES_YAML.as_bytes(),
    )?;
    write_file(
        dir,
        "alertmanager.yml",
        alertmanager_file::ALERTMANAGER_YAML.as_bytes(),
    )?;
    // The maintenance window: silenced twenty seconds into the first CPU alert
    // on web-2 of the second week (after its first notification went out).
    let cpu = rules.iter().position(|r| r.name == "HostHighCpu");
    let web2 = cpu.and_then(|r| {
        (rules[r].instances.iter()).position(|i| i.iter().any(|(_, v)| *v == "web-2:9100"))
    });
    let maintenance = (history.iter())
        .filter(|e| Some(e.rule) == cpu && Some(e.instance) == web2)
        .map(|e| e.start)
        .filter(|&s| s >= spec.start + 7 * 86_400_000)
        .min()
        .unwrap_or(spec.start + 9 * 86_400_000);
    write_file(
        dir,
        "alertmanager/silences.json",
        silences_json(spec.start, end, maintenance).as_bytes(),
    )?;
    write_file(
        dir,
        "reviews.csv",
        reviews_csv(&rules, &seen, spec).as_bytes(),
    )?;
    write_file(
        dir,
        MARKER,
        format!(
            "seed={} weeks={} start={}\n",
            spec.seed,
            spec.weeks,
            format_millis(spec.start)
        )
        .as_bytes(),
    )?;
    Ok(())
}

/// Alertmanager's `/api/v2/silences` answer at the end of the history: a
/// fortnight's silence over batch-1's full disk (longer than a week), a
/// maintenance window over web-2 set while its CPU alert fired, and one
/// whose alert name is misspelt (it matched nothing). Each was set after
/// the alerts it matched had been notified, as the archive shows them.
fn silences_json(start: Millis, end: Millis, maintenance: Millis) -> String {
    let day = 86_400_000;
    let silence = |id: &str,
                   matchers: serde_json::Value,
                   from: Millis,
                   until: Millis,
                   by: &str,
                   comment: &str| {
        let state = if until <= end { "expired" } else { "active" };
        serde_json::json!({
            "id": id, "status": {"state": state}, "updatedAt": format_millis(from),
            "comment": comment, "createdBy": by, "matchers": matchers,
            "startsAt": format_millis(from), "endsAt": format_millis(until),
        })
    };
    let equal = |name: &str, value: &str| serde_json::json!({"name": name, "value": value, "isRegex": false, "isEqual": true});
    let answer = serde_json::json!([
        silence(
            "5c1f0a3e-6b0d-4f7e-9a51-2d8e1b7c4a10",
            serde_json::json!([
                equal("alertname", "DiskSpaceLow"),
                equal("instance", "batch-1:9100")
            ]),
            end - 5 * day,
            end + 9 * day,
            "jonas.weber@acme-shop.example",
            "batch-1 disk full, new disk ordered",
        ),
        silence(
            "8e2b7d41-3c9a-4f60-b1d2-7a5e0c9f3b62",
            serde_json::json!([
                equal("alertname", "HostHighCpu"),
                equal("instance", "web-2:9100")
            ]),
            maintenance + 20_000,
            maintenance + 5 * 3_600_000,
            "priya.raman@acme-shop.example",
            "web-2 kernel upgrade",
        ),
        silence(
            "0d4c9b8a-1e2f-4a3b-8c7d-6e5f4a3b2c1d",
            serde_json::json!([equal("alertname", "HostHighCPU")]),
            start + 16 * day + 20 * 3_600_000,
            start + 17 * day + 2 * 3_600_000,
            "mei.chen@acme-shop.example",
            "load test",
        ),
    ]);
    format!(
        "{}\n",
        serde_json::to_string_pretty(&answer).unwrap_or_default()
    )
}

/// The review meeting's verdicts on the episodes that were notified:
/// whole-rule verdicts for two rules, one row
/// per episode for most others (times rounded to the second, as people copy
/// them), and no verdicts for the first half of RabbitmqQueueDepth's history.
fn reviews_csv(
    rules: &[scenario::RuleSpec],
    history: &[scenario::TrueEpisode],
    spec: &SampleSpec,
) -> String {
    let mut out = String::from("rule,fingerprint,starts_at,actionable,note,reviewed_by\n");
    for (rule, note) in RULE_VERDICTS {
        out.push_str(&format!("{rule},,,no,{note},alert-review\n"));
    }
    let half = spec.start + spec.weeks as i64 * 7 * 86_400_000 / 2;
    let mut rows: Vec<&scenario::TrueEpisode> = history.iter().collect();
    rows.sort_by_key(|e| (e.start, e.rule, e.instance));
    for e in rows {
        let rule = &rules[e.rule];
        if RULE_VERDICTS.iter().any(|(r, _)| *r == rule.name) {
            continue;
        }
        if rule.name == "RabbitmqQueueDepth" && e.start < half {
            continue;
        }
        let at = format_millis(e.start / 1000 * 1000).replace(".000Z", "Z");
        let verdict = if e.actionable { "yes" } else { "no" };
        // The meeting notes name the rule and the time, not the instance,
        // where that is unambiguous.
        let by_rule_and_time = rule.name == "HostHighCpu"
            && !history.iter().any(|o| {
                o.rule == e.rule
                    && o.instance != e.instance
                    && (o.start - e.start).abs() <= crate::reviews::START_TOLERANCE_MS
            });
        if by_rule_and_time {
            out.push_str(&format!(
                "{},,{at},{verdict},,{}-oncall\n",
                rule.name, rule.team
            ));
        } else {
            let fp = fingerprint(&scenario::labels(rule, e.instance));
            out.push_str(&format!(
                "{},{fp},{at},{verdict},,{}-oncall\n",
                rule.name, rule.team
            ));
        }
    }
    out
}
