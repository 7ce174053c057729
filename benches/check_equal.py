#!/usr/bin/env python3
"""Checks that per-rule metric tables agree: alertnoise's rules.csv against references.

Usage: check_equal.py [--columns A,B] RULES.csv REFERENCE.csv [REFERENCE.csv ...]

Every metric column of docs/metrics.md (or the --columns named), every rule:
equal within the rounding alertnoise writes (6 decimals), or both empty.
Prints how many figures were compared; exits 1 naming the first differences.
"""
import csv
import math
import sys

COLUMNS = [
    "severity", "episodes", "episodes_per_day", "instances", "notifications", "firing_hours",
    "duration_p50_s", "duration_p90_s", "short_ratio", "refires", "flap_rate", "acked_ratio",
    "tta_p50_s", "tta_p90_s", "actionable_ratio", "actionable_coverage", "off_hours_ratio",
    "noisy_episodes", "noise_score", "silenced_ratio",
]


def load(path: str) -> dict:
    with open(path, newline="") as f:
        return {row["rule"]: row for row in csv.DictReader(f)}


def same(a: str, b: str, column: str) -> bool:
    if column == "severity" or a in ("", "NaN", "nan") or b in ("", "NaN", "nan"):
        empty = ("", "NaN", "nan")
        return (a in empty and b in empty) or a == b
    x, y = float(a), float(b)
    # alertnoise rounds to 6 decimals: at most 5e-7 away from the exact value.
    return math.isclose(x, y, rel_tol=0.0, abs_tol=1e-6)


def main() -> int:
    args = sys.argv[1:]
    columns = COLUMNS
    if args[:1] == ["--columns"]:
        columns, args = args[1].split(","), args[2:]
    ours = load(args[0])
    failed = False
    for path in args[1:]:
        theirs = load(path)
        differences = []
        if set(ours) != set(theirs):
            differences.append(f"rules differ: only ours {sorted(set(ours) - set(theirs))[:5]}, "
                               f"only theirs {sorted(set(theirs) - set(ours))[:5]}")
        compared = 0
        for rule in sorted(set(ours) & set(theirs)):
            for column in columns:
                compared += 1
                a, b = ours[rule].get(column, ""), theirs[rule].get(column, "")
                if not same(a, b, column):
                    differences.append(f"{rule} {column}: alertnoise {a!r}, reference {b!r}")
        if differences:
            failed = True
            print(f"{path}: {len(differences)} of {compared} figures differ:", *differences[:10], sep="\n  ")
        else:
            print(f"{path}: all {compared} figures equal ({len(ours)} rules x {len(columns)} columns)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
