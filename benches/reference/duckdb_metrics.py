#!/usr/bin/env python3
"""The per-rule metrics of docs/metrics.md in DuckDB SQL, over a W1 episodes CSV.

Usage: duckdb_metrics.py EPISODES.csv OUT.csv [--short-s 300] [--flap-window-s 900]

What a user would write instead of running alertnoise: one SQL query. The
window is alertnoise's default (midnight UTC before the first start to
midnight after the last start or end); business hours Mon-Fri 09:00-18:00 UTC.
"""
import argparse

import duckdb

QUERY = """
WITH raw AS (
  SELECT rule, fingerprint, severity, notifications,
         epoch_ms(starts_at) AS s, epoch_ms(ends_at) AS e, epoch_ms(acked_at) AS a,
         CASE lower(actionable) WHEN 'yes' THEN true WHEN 'no' THEN false END AS verdict,
         starts_at
  FROM read_csv(?, header = true,
       types = {'starts_at': 'TIMESTAMPTZ', 'ends_at': 'TIMESTAMPTZ', 'acked_at': 'TIMESTAMPTZ',
                'actionable': 'VARCHAR', 'notifications': 'BIGINT'})
),
win AS (
  SELECT (floor(min(s) / 86400000) * 86400000)::BIGINT AS since,
         ((floor(greatest(max(s), coalesce(max(e), 0)) / 86400000) + 1) * 86400000)::BIGINT AS until
  FROM raw
),
ep AS (
  SELECT r.*, w.since, w.until,
         least(coalesce(e, w.until), w.until) - s AS dur,
         e IS NOT NULL AS resolved,
         -- the proxy where no review verdict: acknowledged and not resolved within 5 minutes
         coalesce(verdict, a IS NOT NULL AND NOT (e IS NOT NULL AND e - s < 300000)) AS actionable,
         verdict IS NOT NULL AND NOT verdict AS reviewed_no,
         s - lag(e) OVER (PARTITION BY fingerprint ORDER BY s) AS gap,
         isodow(starts_at AT TIME ZONE 'UTC') AS dow, hour(starts_at AT TIME ZONE 'UTC') AS hr
  FROM raw r, win w
),
f AS (
  SELECT *, coalesce(gap >= 0 AND gap < $flap, false) AS refire,
         resolved AND dur < $short AS short
  FROM ep WHERE s >= since AND s < until
),
sev AS (
  SELECT rule, severity FROM (
    SELECT rule, severity, row_number() OVER (PARTITION BY rule ORDER BY count(*) DESC, severity) AS k
    FROM f WHERE severity IS NOT NULL GROUP BY rule, severity) WHERE k = 1
)
SELECT f.rule, any_value(sev.severity) AS severity,
  count(*) AS episodes,
  count(*) / ((any_value(until) - any_value(since)) / 86400000.0) AS episodes_per_day,
  count(DISTINCT fingerprint) AS instances,
  sum(notifications) AS notifications,
  sum(dur) / 3600000.0 AS firing_hours,
  quantile_cont(dur, 0.5) FILTER (WHERE resolved) / 1000.0 AS duration_p50_s,
  quantile_cont(dur, 0.9) FILTER (WHERE resolved) / 1000.0 AS duration_p90_s,
  count(*) FILTER (WHERE short) / nullif(count(*) FILTER (WHERE resolved), 0)::DOUBLE AS short_ratio,
  count(*) FILTER (WHERE refire) AS refires,
  count(*) FILTER (WHERE refire) / count(*)::DOUBLE AS flap_rate,
  count(a) / count(*)::DOUBLE AS acked_ratio,
  quantile_cont(a - s, 0.5) / 1000.0 AS tta_p50_s,
  quantile_cont(a - s, 0.9) / 1000.0 AS tta_p90_s,
  count(*) FILTER (WHERE actionable) / nullif(count(actionable), 0)::DOUBLE AS actionable_ratio,
  count(actionable) / count(*)::DOUBLE AS actionable_coverage,
  count(*) FILTER (WHERE dow > 5 OR hr < 9 OR hr >= 18) / count(*)::DOUBLE AS off_hours_ratio,
  count(*) FILTER (WHERE short OR refire OR reviewed_no) AS noisy_episodes,
  count(*) FILTER (WHERE short OR refire OR reviewed_no)
    / ((any_value(until) - any_value(since)) / 86400000.0 / 7) AS noise_score,
  0.0 AS silenced_ratio
FROM f LEFT JOIN sev USING (rule)
GROUP BY f.rule ORDER BY f.rule
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("out")
    parser.add_argument("--short-s", type=int, default=300)
    parser.add_argument("--flap-window-s", type=int, default=900)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    query = QUERY.replace("$flap", str(args.flap_window_s * 1000)).replace("$short", str(args.short_s * 1000))
    con.execute(f"COPY ({query}) TO '{args.out}' (HEADER, DELIMITER ',')", [args.csv])


if __name__ == "__main__":
    main()
