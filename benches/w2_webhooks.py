#!/usr/bin/env python3
"""W2: an archive of Alertmanager webhook notifications of about a given size, for benches/compare.sh.

Usage: benches/w2_webhooks.py MEGABYTES OUT.jsonl [--seed N]

Archiver lines `{"received_at", "body"}` as a webhook receiver stores them, one group per
rule: every body is a snapshot of its group (every alert of the rule firing at that moment,
and those resolved since the last body), sent group_wait after a new alert, group_interval
after a change, and repeat_interval (4h) while nothing changes, as Alertmanager sends them.
200 rules, 20 instances each, episodes with log-normal durations and refires. Deterministic
for a seed; written until the file reaches MEGABYTES (10^6 bytes).
"""
import argparse
import heapq
import json
import random
import sys

RULES = 200
INSTANCES = 20
GROUP_WAIT = 30
GROUP_INTERVAL = 300
REPEAT_INTERVAL = 4 * 3600
START = 1_735_689_600  # 2025-01-01T00:00:00Z


def stamp(seconds: float) -> str:
    import datetime

    t = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", type=float)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    limit = int(args.megabytes * 1e6)
    rules = []
    for r in range(RULES):
        rules.append(
            {
                "name": f"Rule{r:03d}",
                "severity": ("critical", "warning", "info")[r % 3],
                "median": rng.uniform(60, 4 * 3600),
                "gap": rng.uniform(1800, 5 * 86400),
                "refire": rng.betavariate(0.6, 2.0),
            }
        )
    # Events: (time, kind, rule, instance); kinds: 0 starts firing, 1 resolves, 2 a notification is due.
    events = []
    for r, rule in enumerate(rules):
        for i in range(INSTANCES):
            heapq.heappush(events, (rng.uniform(0, rule["gap"]), 0, r, i))
    firing = [dict() for _ in range(RULES)]  # rule -> {instance: startsAt}
    resolved = [dict() for _ in range(RULES)]  # rule -> {instance: (startsAt, endsAt)} not yet notified
    due = [None] * RULES  # rule -> time of the next notification
    fingerprints = [[f"{rng.getrandbits(64):016x}" for _ in range(INSTANCES)] for _ in range(RULES)]
    written = 0
    with open(args.out, "w") as out:
        while events and written < limit:
            t, kind, r, i = heapq.heappop(events)
            rule = rules[r]
            if kind == 0:
                firing[r][i] = t
                heapq.heappush(events, (t + rng.lognormvariate(0, 1.0) * rule["median"], 1, r, i))
                if due[r] is None:
                    due[r] = t + GROUP_WAIT
                    heapq.heappush(events, (due[r], 2, r, -1))
            elif kind == 1:
                resolved[r][i] = (firing[r].pop(i), t)
                gap = rng.expovariate(1 / 300) if rng.random() < rule["refire"] else rng.expovariate(1 / rule["gap"])
                heapq.heappush(events, (t + 1 + gap, 0, r, i))
                if due[r] is None or due[r] > t + GROUP_INTERVAL:
                    due[r] = t + GROUP_INTERVAL
                    heapq.heappush(events, (due[r], 2, r, -1))
            elif due[r] == t:
                alerts = []
                for j, started in sorted(firing[r].items()):
                    alerts.append(alert(rule, j, fingerprints[r][j], "firing", started, None))
                for j, (started, ended) in sorted(resolved[r].items()):
                    alerts.append(alert(rule, j, fingerprints[r][j], "resolved", started, ended))
                resolved[r].clear()
                if alerts:
                    body = {
                        "receiver": "oncall",
                        "status": "firing" if firing[r] else "resolved",
                        "alerts": alerts,
                        "groupLabels": {"alertname": rule["name"]},
                        "commonLabels": {"alertname": rule["name"], "severity": rule["severity"]},
                        "commonAnnotations": {},
                        "externalURL": "http://alertmanager.example:9093",
                        "version": "4",
                        "groupKey": '{}:{alertname="%s"}' % rule["name"],
                        "truncatedAlerts": 0,
                    }
                    line = json.dumps({"received_at": stamp(START + t + 0.2), "body": body}, separators=(",", ":"))
                    out.write(line + "\n")
                    written += len(line) + 1
                due[r] = t + REPEAT_INTERVAL if firing[r] else None
                if due[r] is not None:
                    heapq.heappush(events, (due[r], 2, r, -1))
    return 0


def alert(rule: dict, instance: int, fingerprint: str, status: str, started: float, ended) -> dict:
    return {
        "status": status,
        "labels": {
            "alertname": rule["name"],
            "instance": f"host-{instance:02d}:9100",
            "job": "node",
            "severity": rule["severity"],
        },
        "annotations": {"summary": f"{rule['name']} on host-{instance:02d}"},
        "startsAt": stamp(START + started),
        "endsAt": stamp(START + ended) if ended is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": fingerprint,
    }


if __name__ == "__main__":
    sys.exit(main())
