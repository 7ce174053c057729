#!/usr/bin/env python3
"""Episodes and notifications per rule from a W2 webhook archive, in DuckDB SQL.

Usage: duckdb_webhooks.py ARCHIVE.jsonl OUT.csv

What a user would write instead of alertnoise to rebuild episodes from archived
Alertmanager notifications: unnest every body's alerts, one episode per
(fingerprint, startsAt), its notifications the bodies that carried it (a body
read twice counts once), and per rule the episodes and notifications.
"""
import sys

import duckdb

QUERY = """
WITH bodies AS (
  SELECT received_at, body, row_number() OVER () AS line
  FROM read_json(?, format = 'newline_delimited',
                 columns = {'received_at': 'VARCHAR',
                            'body': 'STRUCT(alerts STRUCT(status VARCHAR, labels MAP(VARCHAR, VARCHAR),
                                     "startsAt" VARCHAR, "endsAt" VARCHAR, fingerprint VARCHAR)[])'})
),
sightings AS (
  SELECT received_at, unnest(body.alerts) AS a FROM bodies
),
episodes AS (
  SELECT a.fingerprint, a.startsAt, any_value(a.labels['alertname']) AS rule,
         count(DISTINCT received_at) AS notifications
  FROM sightings GROUP BY a.fingerprint, a.startsAt
)
SELECT rule, count(*) AS episodes, sum(notifications) AS notifications
FROM episodes GROUP BY rule ORDER BY rule
"""


def main() -> None:
    archive, out = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute(f"COPY ({QUERY}) TO '{out}' (HEADER, DELIMITER ',')", [archive])


if __name__ == "__main__":
    main()
