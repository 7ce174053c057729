#!/usr/bin/env python3
"""The Prometheus rule file of W1's 500 rules, for benches/compare.sh's `--rules` run.

Usage: benches/w1_rules.py OUT.yml [--seed N]

Every rule of benches/w1_episodes.py (`Rule000` … `Rule499`, with its severity and team) as an
alerting rule in ten groups of fifty, so that `alertnoise report --rules` has advice to give for
all 500: `for:` of 0s, 1m, 5m or 15m, `keep_firing_for:` on some, a runbook on most. The
expressions are placeholders (`w1_metric_NNN > 0.9`): the advice reads the history, not the
series. Deterministic for a seed.
"""
import argparse
import random

RULES = 500
GROUPS = 10
SEVERITIES = ["critical", "warning", "info"]
TEAMS = ["payments", "platform", "search", "storage", "web", "data", "mobile", "infra"]
FOR = ["0s", "1m", "5m", "15m"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines = ["groups:"]
    per_group = RULES // GROUPS
    for g in range(GROUPS):
        lines += [f"  - name: w1-group-{g:02d}", "    rules:"]
        for r in range(g * per_group, (g + 1) * per_group):
            lines += [
                f"      - alert: Rule{r:03d}",
                f"        expr: w1_metric_{r:03d} > 0.9",
                f"        for: {rng.choice(FOR)}",
            ]
            if rng.random() < 0.2:
                lines.append(f"        keep_firing_for: {rng.choice(['1m', '5m'])}")
            lines += [
                "        labels:",
                f"          severity: {SEVERITIES[r % 3]}",
                f"          team: {TEAMS[r % len(TEAMS)]}",
                "        annotations:",
                f"          summary: Rule{r:03d} fired on {{{{ $labels.instance }}}}",
            ]
            if rng.random() < 0.8:
                lines.append(f"          runbook_url: https://runbooks.example/w1/rule{r:03d}")
    with open(args.out, "w") as out:
        out.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
