#!/usr/bin/env python3
"""The per-rule metrics of docs/metrics.md with Python polars, over a W1 episodes CSV.

Usage: polars_metrics.py EPISODES.csv OUT.csv [--short-s 300] [--flap-window-s 900]

What a user would write in a notebook instead of running alertnoise (lazy
scan, one group-by). Window and business hours as alertnoise's defaults.
"""
import argparse

import polars as pl

DAY = 86_400_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("out")
    parser.add_argument("--short-s", type=int, default=300)
    parser.add_argument("--flap-window-s", type=int, default=900)
    args = parser.parse_args()
    short, flap = args.short_s * 1000, args.flap_window_s * 1000
    times = {c: pl.Datetime("ms", "UTC") for c in ("starts_at", "ends_at", "acked_at")}
    df = pl.read_csv(args.csv, schema_overrides={**times, "actionable": pl.String}).with_columns(
        s=pl.col("starts_at").dt.epoch("ms"),
        e=pl.col("ends_at").dt.epoch("ms"),
        a=pl.col("acked_at").dt.epoch("ms"),
        verdict=pl.col("actionable").str.to_lowercase().replace_strict({"yes": True, "no": False}, default=None),
    )
    since = df["s"].min() // DAY * DAY
    until = (max(df["s"].max(), df["e"].max() or 0) // DAY + 1) * DAY
    days = (until - since) / DAY
    f = (
        df.lazy()
        .filter((pl.col("s") >= since) & (pl.col("s") < until))
        .sort("fingerprint", "s")
        .with_columns(
            gap=pl.col("s") - pl.col("e").shift(1).over("fingerprint"),
            dur=pl.min_horizontal(pl.col("e").fill_null(until), pl.lit(until)) - pl.col("s"),
            resolved=pl.col("e").is_not_null(),
        )
        .with_columns(
            refire=((pl.col("gap") >= 0) & (pl.col("gap") < flap)).fill_null(False),
            short=pl.col("resolved") & (pl.col("dur") < short),
            actionable=pl.col("verdict").fill_null(
                pl.col("a").is_not_null() & ~(pl.col("resolved") & (pl.col("e") - pl.col("s") < 300_000))
            ),
            reviewed_no=(pl.col("verdict") == False).fill_null(False),  # noqa: E712
            off=(pl.col("starts_at").dt.weekday() > 5)
            | (pl.col("starts_at").dt.hour() < 9)
            | (pl.col("starts_at").dt.hour() >= 18),
            tta=pl.col("a") - pl.col("s"),
        )
    )
    severity = (
        f.group_by("rule", "severity")
        .len()
        .sort(["len", "severity"], descending=[True, False])
        .group_by("rule", maintain_order=True)
        .first()
        .select("rule", "severity")
    )
    noisy = pl.col("short") | pl.col("refire") | pl.col("reviewed_no")
    metrics = (
        f.group_by("rule")
        .agg(
            episodes=pl.len(),
            instances=pl.col("fingerprint").n_unique(),
            notifications=pl.col("notifications").sum(),
            firing_hours=pl.col("dur").sum() / 3_600_000,
            duration_p50_s=pl.col("dur").filter("resolved").quantile(0.5, "linear") / 1000,
            duration_p90_s=pl.col("dur").filter("resolved").quantile(0.9, "linear") / 1000,
            short_ratio=pl.col("short").sum() / pl.col("resolved").sum(),
            refires=pl.col("refire").sum(),
            acked_ratio=pl.col("a").is_not_null().mean(),
            tta_p50_s=pl.col("tta").quantile(0.5, "linear") / 1000,
            tta_p90_s=pl.col("tta").quantile(0.9, "linear") / 1000,
            actionable_ratio=pl.col("actionable").mean(),
            actionable_coverage=pl.col("actionable").is_not_null().mean(),
            off_hours_ratio=pl.col("off").mean(),
            noisy_episodes=noisy.sum(),
        )
        .with_columns(
            episodes_per_day=pl.col("episodes") / days,
            flap_rate=pl.col("refires") / pl.col("episodes"),
            noise_score=pl.col("noisy_episodes") / (days / 7),
            silenced_ratio=pl.lit(0.0),
        )
        .join(severity, on="rule", how="left")
        .sort("rule")
    )
    metrics.collect().write_csv(args.out)


if __name__ == "__main__":
    main()
