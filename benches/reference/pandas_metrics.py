#!/usr/bin/env python3
"""The per-rule metrics of docs/metrics.md with pandas, over a W1 episodes CSV.

Usage: pandas_metrics.py EPISODES.csv OUT.csv [--short-s 300] [--flap-window-s 900]

What a user would write in a notebook instead of running alertnoise.
Window and business hours as alertnoise's defaults.
"""
import argparse

import numpy as np
import pandas as pd

DAY = 86_400_000


def epoch_ms(series: pd.Series) -> pd.Series:
    values = series.astype("datetime64[ms, UTC]")
    return pd.Series(np.where(values.isna(), np.nan, values.astype("int64")), index=series.index)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("out")
    parser.add_argument("--short-s", type=int, default=300)
    parser.add_argument("--flap-window-s", type=int, default=900)
    args = parser.parse_args()
    short, flap = args.short_s * 1000, args.flap_window_s * 1000
    df = pd.read_csv(
        args.csv,
        dtype={"actionable": "string", "rule": "string", "fingerprint": "string", "severity": "string"},
        parse_dates=["starts_at", "ends_at", "acked_at"],
        engine="pyarrow",
    )
    s, e, a = (epoch_ms(df[c]) for c in ("starts_at", "ends_at", "acked_at"))
    since = int(s.min()) // DAY * DAY
    until = (int(max(s.max(), e.max())) // DAY + 1) * DAY
    days = (until - since) / DAY
    df = df.assign(s=s, e=e, a=a)
    df = df[(df.s >= since) & (df.s < until)].sort_values(["fingerprint", "s"], kind="stable")
    verdict = df.actionable.str.lower().map({"yes": True, "no": False})
    resolved = df.e.notna()
    dur = np.minimum(df.e.fillna(until), until) - df.s
    gap = df.s - df.groupby("fingerprint").e.shift(1)
    proxy = df.a.notna() & ~(resolved & (df.e - df.s < 300_000))
    start = df.starts_at.dt.tz_convert("UTC")
    df = df.assign(
        dur=dur,
        resolved=resolved,
        refire=((gap >= 0) & (gap < flap)).fillna(False),
        short=resolved & (dur < short),
        actionable=verdict.where(verdict.notna(), proxy).astype(bool),
        reviewed_no=(verdict == False).fillna(False).astype(bool),  # noqa: E712
        off=(start.dt.day_of_week >= 5) | (start.dt.hour < 9) | (start.dt.hour >= 18),
        tta=df.a - df.s,
        acked=df.a.notna(),
    )
    df["noisy"] = df.short | df.refire | df.reviewed_no
    df["resolved_dur"] = df.dur.where(df.resolved)
    g = df.groupby("rule", sort=True)
    out = pd.DataFrame(
        {
            "episodes": g.size(),
            "instances": g.fingerprint.nunique(),
            "notifications": g.notifications.sum(),
            "firing_hours": g.dur.sum() / 3_600_000,
            "duration_p50_s": g.resolved_dur.quantile(0.5) / 1000,
            "duration_p90_s": g.resolved_dur.quantile(0.9) / 1000,
            "short_ratio": g.short.sum() / g.resolved.sum().replace(0, np.nan),
            "refires": g.refire.sum(),
            "acked_ratio": g.acked.mean(),
            "tta_p50_s": g.tta.quantile(0.5) / 1000,
            "tta_p90_s": g.tta.quantile(0.9) / 1000,
            "actionable_ratio": g.actionable.mean(),
            "actionable_coverage": 1.0,
            "off_hours_ratio": g.off.mean(),
            "noisy_episodes": g.noisy.sum(),
        }
    )
    out["episodes_per_day"] = out.episodes / days
    out["flap_rate"] = out.refires / out.episodes
    out["noise_score"] = out.noisy_episodes / (days / 7)
    out["silenced_ratio"] = 0.0
    counts = df.groupby(["rule", "severity"]).size().reset_index(name="n")
    counts = counts.sort_values(["rule", "n", "severity"], ascending=[True, False, True])
    out["severity"] = counts.drop_duplicates("rule").set_index("rule").severity
    out.reset_index().to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
