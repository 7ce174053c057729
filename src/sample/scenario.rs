//! The fictional company behind the sample data, and the true history of its alerts.
//!
//! "Acme Shop" runs a checkout API, a payments service, an order worker fed by
//! RabbitMQ, a trading bot and a nightly report export on a handful of hosts.
//! Each rule below fires in the way such rules really do; the generator knows
//! whether each episode needed action, which becomes the reviews file.

use crate::timefmt::Millis;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;

/// One alerting rule of the sample company.
pub struct RuleSpec {
    /// `alertname`.
    pub name: &'static str,
    /// `severity` label.
    pub severity: &'static str,
    /// `team` label.
    pub team: &'static str,
    /// `service` label.
    pub service: &'static str,
    /// Per-instance extra labels (one entry per instance).
    pub instances: Vec<Vec<(&'static str, &'static str)>>,
    /// The `summary` annotation.
    pub summary: &'static str,
    /// How the rule fires.
    pub pattern: Pattern,
}

/// How a rule's episodes are distributed.
pub enum Pattern {
    /// A symptom that fires rarely and always matters.
    RareActionable {
        per_week: f64,
        min: Millis,
        max: Millis,
    },
    /// Bursts of short episodes with short gaps; the first of some bursts matters.
    Flapping { bursts_per_week: f64 },
    /// Brief spikes on many hosts; almost never matters.
    Spikes { per_day: f64 },
    /// Long episodes nobody acts on.
    Slow { per_week: f64 },
    /// Mixed durations; the long ones matter.
    Mixed {
        per_day: f64,
        actionable_after: Millis,
    },
    /// An informational event with a fixed duration.
    Event { per_day: f64, duration: Millis },
    /// Fires at night on most nights.
    Nightly { nights_per_week: f64 },
    /// A host outage: rare, on one of the instances, and it matters.
    Outage {
        per_week: f64,
        min: Millis,
        max: Millis,
    },
    /// Fires because rule `cause` fired on the same `instance`: starts up
    /// to `max_delay` after it, resolves with it (up to a minute earlier),
    /// and needs no action of its own.
    Follows {
        cause: &'static str,
        max_delay: Millis,
    },
}

/// The truth about one episode.
#[derive(Debug, Clone)]
pub struct TrueEpisode {
    /// Index into [`rules`].
    pub rule: usize,
    /// Index into the rule's instances.
    pub instance: usize,
    /// Start, epoch ms.
    pub start: Millis,
    /// End, epoch ms; `None` if still firing when the history ends.
    pub end: Option<Millis>,
    /// Whether it needed action.
    pub actionable: bool,
}

/// The sample company's rules.
pub fn rules() -> Vec<RuleSpec> {
    let host = |h: &'static str| vec![("instance", h), ("job", "node")];
    // The hosts by name (relabelled so), as the outage rules see them.
    let named_hosts: Vec<Vec<(&str, &str)>> =
        ["web-1", "web-2", "web-3", "db-1"].map(host).to_vec();
    vec![
        RuleSpec {
            name: "CheckoutHighErrorRate",
            severity: "critical",
            team: "checkout",
            service: "checkout-api",
            instances: vec![vec![]],
            summary: "More than 1% of checkout requests fail",
            pattern: Pattern::RareActionable {
                per_week: 1.5,
                min: 8 * MINUTE,
                max: 45 * MINUTE,
            },
        },
        RuleSpec {
            name: "PaymentsLatencyHigh",
            severity: "warning",
            team: "payments",
            service: "payments-api",
            instances: vec![vec![]],
            summary: "p95 latency of payments above 500ms",
            pattern: Pattern::Flapping {
                bursts_per_week: 5.0,
            },
        },
        RuleSpec {
            name: "HostHighCpu",
            severity: "critical",
            team: "platform",
            service: "hosts",
            instances: vec![
                host("web-1:9100"),
                host("web-2:9100"),
                host("web-3:9100"),
                host("db-1:9100"),
                host("batch-1:9100"),
            ],
            summary: "CPU usage above 80%",
            pattern: Pattern::Spikes { per_day: 3.0 },
        },
        RuleSpec {
            name: "DiskSpaceLow",
            severity: "warning",
            team: "platform",
            service: "hosts",
            instances: vec![host("db-1:9100"), host("batch-1:9100"), host("web-1:9100")],
            summary: "Less than 10% disk space left on /",
            pattern: Pattern::Slow { per_week: 2.0 },
        },
        RuleSpec {
            name: "RabbitmqQueueDepth",
            severity: "warning",
            team: "orders",
            service: "order-worker",
            instances: vec![vec![("queue", "orders")]],
            summary: "More than 50 messages waiting in the orders queue",
            pattern: Pattern::Mixed {
                per_day: 1.5,
                actionable_after: 15 * MINUTE,
            },
        },
        RuleSpec {
            name: "TradingBotErrorState",
            severity: "critical",
            team: "trading",
            service: "trading-bot",
            instances: vec![vec![]],
            summary: "The trading bot is in its error state (API failure or crash)",
            pattern: Pattern::RareActionable {
                per_week: 2.0,
                min: 5 * MINUTE,
                max: 40 * MINUTE,
            },
        },
        RuleSpec {
            name: "TradingBotStopLossTriggered",
            severity: "warning",
            team: "trading",
            service: "trading-bot",
            instances: vec![vec![]],
            summary: "A stop-loss closed a position",
            pattern: Pattern::Event {
                per_day: 1.0,
                duration: 5 * MINUTE,
            },
        },
        RuleSpec {
            name: "ReportExportLate",
            severity: "critical",
            team: "data",
            service: "report-exporter",
            instances: vec![vec![]],
            summary: "The nightly report export has not succeeded for over an hour",
            pattern: Pattern::Nightly {
                nights_per_week: 4.0,
            },
        },
        // A host going down takes its scrape target and the checkout
        // latency on it down too: three pages for one cause.
        RuleSpec {
            name: "HostDown",
            severity: "critical",
            team: "platform",
            service: "hosts",
            instances: named_hosts.clone(),
            summary: "The host does not answer pings and its exporter is down",
            pattern: Pattern::Outage {
                per_week: 1.5,
                min: 10 * MINUTE,
                max: 45 * MINUTE,
            },
        },
        RuleSpec {
            name: "TargetDown",
            severity: "critical",
            team: "platform",
            service: "hosts",
            instances: named_hosts.clone(),
            summary: "Prometheus cannot scrape the target",
            pattern: Pattern::Follows {
                cause: "HostDown",
                max_delay: 90_000,
            },
        },
        RuleSpec {
            name: "CheckoutLatencyHigh",
            severity: "critical",
            team: "checkout",
            service: "checkout-api",
            instances: ["web-1", "web-2", "web-3"]
                .map(|h| vec![("instance", h)])
                .to_vec(),
            summary: "p99 latency of checkout on this instance above 1s",
            pattern: Pattern::Follows {
                cause: "HostDown",
                max_delay: 4 * MINUTE,
            },
        },
    ]
}

/// The labels of one instance of a rule.
pub fn labels(rule: &RuleSpec, instance: usize) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    labels.insert("alertname".to_string(), rule.name.to_string());
    labels.insert("severity".to_string(), rule.severity.to_string());
    labels.insert("team".to_string(), rule.team.to_string());
    labels.insert("service".to_string(), rule.service.to_string());
    labels.insert("env".to_string(), "production".to_string());
    for (k, v) in &rule.instances[instance] {
        labels.insert(k.to_string(), v.to_string());
    }
    labels
}

fn poisson_count(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    // Knuth's method; the means here are small.
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// A start time on `day` (ms at midnight UTC), in business hours with probability `day_bias`.
fn start_on(rng: &mut ChaCha8Rng, day: Millis, day_bias: f64) -> Millis {
    let minute = if rng.random_bool(day_bias) {
        rng.random_range(8 * 60..19 * 60)
    } else {
        rng.random_range(0..24 * 60)
    };
    day + minute * MINUTE + rng.random_range(0..60_000)
}

fn range(rng: &mut ChaCha8Rng, min: Millis, max: Millis) -> Millis {
    rng.random_range(min..=max)
}

/// Generates the true history of every rule over `weeks` weeks from `start`.
pub fn history(rng: &mut ChaCha8Rng, start: Millis, weeks: u32) -> Vec<TrueEpisode> {
    let rules = rules();
    let days = weeks as i64 * 7;
    let end_of_history = start + days * DAY;
    let mut out: Vec<TrueEpisode> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let push = |instance: usize,
                    s: Millis,
                    e: Millis,
                    actionable: bool,
                    out: &mut Vec<TrueEpisode>| {
            let end = (e < end_of_history).then_some(e);
            if s < end_of_history {
                out.push(TrueEpisode {
                    rule: r,
                    instance,
                    start: s,
                    end,
                    actionable,
                });
            }
        };
        for d in 0..days {
            let day = start + d * DAY;
            match &rule.pattern {
                Pattern::RareActionable { per_week, min, max } => {
                    for _ in 0..poisson_count(rng, per_week / 7.0) {
                        let s = start_on(rng, day, 0.6);
                        let dur = range(rng, *min, *max);
                        push(0, s, s + dur, true, &mut out);
                    }
                }
                Pattern::Flapping { bursts_per_week } => {
                    for b in 0..poisson_count(rng, bursts_per_week / 7.0) {
                        let mut s = start_on(rng, day, 0.8);
                        let important = (d + b as i64) % 3 == 0;
                        for k in 0..rng.random_range(3..=6) {
                            let dur = range(rng, 2 * MINUTE, 8 * MINUTE);
                            push(0, s, s + dur, important && k == 0, &mut out);
                            s += dur + range(rng, MINUTE, 6 * MINUTE);
                        }
                    }
                }
                Pattern::Spikes { per_day } => {
                    for _ in 0..poisson_count(rng, *per_day) {
                        let instance = rng.random_range(0..rule.instances.len());
                        let s = start_on(rng, day, 0.5);
                        let long = rng.random_bool(0.06);
                        let dur = if long {
                            range(rng, 25 * MINUTE, 60 * MINUTE)
                        } else {
                            range(rng, 40_000, 4 * MINUTE)
                        };
                        push(instance, s, s + dur, long, &mut out);
                    }
                }
                Pattern::Slow { per_week } => {
                    for _ in 0..poisson_count(rng, per_week / 7.0) {
                        let instance = rng.random_range(0..rule.instances.len());
                        let s = start_on(rng, day, 0.3);
                        push(
                            instance,
                            s,
                            s + range(rng, 6 * HOUR, 3 * DAY),
                            false,
                            &mut out,
                        );
                    }
                }
                Pattern::Mixed {
                    per_day,
                    actionable_after,
                } => {
                    for _ in 0..poisson_count(rng, *per_day) {
                        let s = start_on(rng, day, 0.7);
                        let dur = range(rng, 2 * MINUTE, 35 * MINUTE);
                        push(0, s, s + dur, dur >= *actionable_after, &mut out);
                    }
                }
                Pattern::Event { per_day, duration } => {
                    for _ in 0..poisson_count(rng, *per_day) {
                        let s = start_on(rng, day, 0.9);
                        push(0, s, s + duration, false, &mut out);
                    }
                }
                Pattern::Outage { per_week, min, max } => {
                    for _ in 0..poisson_count(rng, per_week / 7.0) {
                        let instance = rng.random_range(0..rule.instances.len());
                        let s = start_on(rng, day, 0.5);
                        let dur = range(rng, *min, *max);
                        push(instance, s, s + dur, true, &mut out);
                    }
                }
                // Made from the cause's episodes once every day is done.
                Pattern::Follows { .. } => {}
                Pattern::Nightly { nights_per_week } => {
                    if rng.random_bool(nights_per_week / 7.0) {
                        let s = day + 2 * HOUR + range(rng, 0, 90 * MINUTE);
                        let dur = range(rng, 20 * MINUTE, 100 * MINUTE);
                        push(0, s, s + dur, rng.random_bool(0.15), &mut out);
                    }
                }
            }
        }
    }
    // Followers: an episode for every episode of the cause on an instance
    // with the same `instance` label.
    for (r, rule) in rules.iter().enumerate() {
        let Pattern::Follows { cause, max_delay } = rule.pattern else {
            continue;
        };
        let Some(c) = rules.iter().position(|x| x.name == cause) else {
            continue;
        };
        let instance_of = |spec: &RuleSpec, i: usize| {
            spec.instances[i]
                .iter()
                .find(|(k, _)| *k == "instance")
                .map(|(_, v)| *v)
        };
        let mut causes: Vec<TrueEpisode> = out.iter().filter(|e| e.rule == c).cloned().collect();
        causes.sort_by_key(|e| (e.start, e.instance));
        for e in causes {
            let Some(i) = (0..rule.instances.len()).find(|&i| {
                instance_of(rule, i).is_some()
                    && instance_of(rule, i) == instance_of(&rules[c], e.instance)
            }) else {
                continue;
            };
            let s = e.start + range(rng, 20_000, max_delay);
            let end = e
                .end
                .map(|end| (end - range(rng, 0, MINUTE)).max(s + 30_000));
            out.push(TrueEpisode {
                rule: r,
                instance: i,
                start: s,
                end,
                actionable: false,
            });
        }
    }
    // batch-1's disk filled up six days before the end and nobody cleaned
    // it: still firing when the history ends (a stuck alert).
    if let Some(disk) = rules.iter().position(|r| r.name == "DiskSpaceLow") {
        let stuck_from = end_of_history - 6 * DAY + 3 * HOUR;
        out.retain(|e| {
            !(e.rule == disk && e.instance == 1 && e.end.is_none_or(|end| end > stuck_from))
        });
        out.push(TrueEpisode {
            rule: disk,
            instance: 1,
            start: stuck_from,
            end: None,
            actionable: false,
        });
    }
    // One instance never overlaps itself: drop episodes that start before the
    // previous episode of the same instance ended.
    out.sort_by_key(|e| (e.rule, e.instance, e.start));
    let mut kept: Vec<TrueEpisode> = Vec::with_capacity(out.len());
    for e in out {
        if let Some(prev) = kept.last() {
            if prev.rule == e.rule
                && prev.instance == e.instance
                && prev.end.is_none_or(|end| end >= e.start)
            {
                continue;
            }
        }
        kept.push(e);
    }
    kept
}
