#!/usr/bin/env python3
"""W1: an episodes CSV of an organisation's year, for benches/compare.sh.

Usage: benches/w1_episodes.py EPISODES OUT.csv [--seed N]

500 rules, 50,000 instances (100 per rule), one year from 2025-01-01 UTC.
Deterministic for a seed. What makes it realistic enough to measure:
- a few rules fire most (rule weights fall off as a power law), as in every
  organisation's history;
- instances refire: each rule has its own chance that an episode follows the
  previous one of its instance within minutes (flapping), so `refires`,
  `flap_rate` and `keep_firing_for` have work to do;
- durations are log-normal around a rule's own median, so some rules are
  mostly short (`for:` advice) and some long;
- about 60 % of episodes are acknowledged (time to ack log-normal), about a
  third carry a review verdict (`actionable` yes/no), the rest are left to
  the proxy; the last episode of some instances is still firing (no end).
Columns: rule, fingerprint, labels (k=v;k=v), severity, team, starts_at,
ends_at, notifications, acked_at, actionable.
"""
import argparse
import sys

import numpy as np
import polars as pl

RULES = 500
INSTANCES_PER_RULE = 100
YEAR_S = 365 * 86400
START_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
SEVERITIES = np.array(["critical", "warning", "info"])
TEAMS = np.array(["payments", "platform", "search", "storage", "web", "data", "mobile", "infra"])


def generate(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    instances = RULES * INSTANCES_PER_RULE
    # How often each rule fires: a power law over the rules, then uniform over its instances.
    rule_weight = 1.0 / np.arange(1, RULES + 1) ** 0.9
    rng.shuffle(rule_weight)
    rule_weight /= rule_weight.sum()
    rule_of_episode = rng.choice(RULES, size=n, p=rule_weight)
    instance = rule_of_episode * INSTANCES_PER_RULE + rng.integers(0, INSTANCES_PER_RULE, size=n)
    instance.sort()
    rule = instance // INSTANCES_PER_RULE

    # Per-rule character: median duration, chance of a refire, review coverage.
    median_dur = np.exp(rng.uniform(np.log(60), np.log(6 * 3600), RULES))
    refire_p = rng.beta(0.6, 2.0, RULES)
    actionable_p = rng.beta(1.0, 2.5, RULES)
    dur = np.maximum(1, rng.lognormal(np.log(median_dur[rule]), 1.0)).astype(np.int64)

    # Per instance: episodes one after another, each gap either short (a refire)
    # or a long one sized so the instance's episodes spread over the year.
    counts = np.bincount(instance, minlength=instances)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(n) - first[instance]
    long_mean = YEAR_S / (counts[instance] + 1.0)
    refire = (position > 0) & (rng.random(n) < refire_p[rule])
    gap = np.where(
        refire,
        rng.exponential(300.0, n).astype(np.int64) + 1,
        (rng.exponential(1.0, n) * long_mean * 0.8).astype(np.int64) + 1,
    )
    step = gap + dur
    total = np.cumsum(step)
    before = np.concatenate(([0], total))[first[instance]]
    start_s = total - before - dur  # gaps and durations of the instance so far
    # Squeeze instances that overran the year back into it (keeps order, gaps shrink).
    span = (total - before)[np.minimum(first[instance] + counts[instance] - 1, n - 1)]
    scale = np.where(span > YEAR_S, YEAR_S / np.maximum(span, 1), 1.0)
    start_s = (start_s * scale).astype(np.int64)
    end_s = start_s + np.maximum(1, (dur * scale).astype(np.int64))
    # Keep every start strictly after the previous end of its instance.
    prev_end = np.concatenate(([-1], end_s[:-1]))
    same = position > 0
    start_s = np.where(same & (start_s <= prev_end), prev_end + 1, start_s)
    end_s = np.maximum(end_s, start_s + 1)
    last = position == counts[instance] - 1
    still_firing = last & (rng.random(n) < 0.02)

    acked = rng.random(n) < 0.6
    tta = rng.lognormal(np.log(240), 1.2, n).astype(np.int64)
    reviewed = rng.random(n) < 0.35
    verdict = rng.random(n) < actionable_p[rule]
    notifications = 1 + rng.poisson(np.clip(dur / 3600.0, 0, 24)).astype(np.int64)

    rule_names = np.array([f"Rule{r:03d}" for r in range(RULES)])
    severity = SEVERITIES[np.arange(RULES) % 3]
    team = TEAMS[np.arange(RULES) % len(TEAMS)]
    # Alertmanager-like 16-hex-digit fingerprints, one per instance.
    fingerprints = np.array([f"{v:016x}" for v in rng.integers(0, 2**63, instances, dtype=np.int64)])
    hosts = np.array([f"host-{i % 5000:04d}:9100" for i in range(instances)])

    frame = pl.DataFrame(
        {
            "rule": rule_names[rule],
            "fingerprint": fingerprints[instance],
            "instance": hosts[instance],
            "severity": severity[rule],
            "team": team[rule],
            "starts_at": START_EPOCH + start_s,
            "ends_at": START_EPOCH + end_s,
            "still_firing": still_firing,
            "notifications": notifications,
            "acked_at": START_EPOCH + start_s + tta,
            "acked": acked,
            "reviewed": reviewed,
            "verdict": verdict,
        }
    )
    return frame.select(
        "rule",
        "fingerprint",
        pl.concat_str(
            [pl.lit("instance="), "instance", pl.lit(";severity="), "severity", pl.lit(";team="), "team"]
        ).alias("labels"),
        "severity",
        "team",
        pl.from_epoch("starts_at", "s"),
        pl.when(~pl.col("still_firing")).then(pl.from_epoch("ends_at", "s")).alias("ends_at"),
        "notifications",
        pl.when(pl.col("acked")).then(pl.from_epoch("acked_at", "s")).alias("acked_at"),
        pl.when(pl.col("reviewed"))
        .then(pl.when(pl.col("verdict")).then(pl.lit("yes")).otherwise(pl.lit("no")))
        .alias("actionable"),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("episodes", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.episodes < 1:
        print("EPISODES must be at least 1", file=sys.stderr)
        return 2
    generate(args.episodes, args.seed).write_csv(args.out, datetime_format="%Y-%m-%dT%H:%M:%SZ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
