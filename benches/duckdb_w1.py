"""DuckDB computing W1's core metrics from the same CSVs, for the same eight periods as
csreport (2026-Q3 and its 8-period trend back to 2024-Q4, which holds the previous
quarter and the year-ago 2025-Q3):
volume, first-response and resolution medians and p90, service level, abandonment,
AHT, CSAT, NPS and the top-5 drivers. Reads DATA_DIR's Parquet files where there are
(W1_PARQUET=1 benches/w1.sh). Definitions as docs/metrics.md; prints the wall
time and, with --show, the values (to compare with csreport's metrics.json).

    python benches/duckdb_w1.py DATA_DIR [--show]
"""
import os, sys, time, json
import duckdb

data = sys.argv[1]
show = "--show" in sys.argv
# Quarters in Europe/Paris: [start, end) local midnights, as UTC instants.
QUARTERS = [(y, q) for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
QUARTERS = [p for p in QUARTERS if (2024, 4) <= p <= (2026, 3)]

t0 = time.perf_counter()
con = duckdb.connect()
con.execute("SET TimeZone = 'Europe/Paris'")
periods = " UNION ALL ".join(
    f"SELECT '{y}-Q{q}' AS period, timezone('Europe/Paris', TIMESTAMP '{y}-{3*q-2:02d}-01') AS s, "
    f"timezone('Europe/Paris', TIMESTAMP '{y + (q == 4)}-{(3*q) % 12 + 1:02d}-01') AS e"
    for (y, q) in QUARTERS
)
con.execute(f"CREATE TEMP TABLE periods AS {periods}")
parquet = os.path.exists(f"{data}/tickets.parquet")
for name in ("tickets", "calls", "surveys"):
    if parquet:
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet('{data}/{name}.parquet')")
    else:
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_csv('{data}/{name}.csv', header=true, auto_detect=true)")

q = {}
q["tickets"] = con.execute("""
  SELECT p.period,
    count(*) FILTER (WHERE t.created_at >= p.s AND t.created_at < p.e) AS tickets_created,
    median(epoch(t.first_response_at) - epoch(t.created_at)) FILTER (WHERE t.created_at >= p.s AND t.created_at < p.e AND t.first_response_at >= t.created_at) AS frt_median,
    quantile_cont(epoch(t.first_response_at) - epoch(t.created_at), 0.9) FILTER (WHERE t.created_at >= p.s AND t.created_at < p.e AND t.first_response_at >= t.created_at) AS frt_p90,
    median(epoch(t.solved_at) - epoch(t.created_at)) FILTER (WHERE t.solved_at >= p.s AND t.solved_at < p.e AND t.solved_at >= t.created_at) AS resolution_median,
    quantile_cont(epoch(t.solved_at) - epoch(t.created_at), 0.9) FILTER (WHERE t.solved_at >= p.s AND t.solved_at < p.e AND t.solved_at >= t.created_at) AS resolution_p90
  FROM tickets t JOIN periods p ON (t.created_at >= p.s AND t.created_at < p.e) OR (t.solved_at >= p.s AND t.solved_at < p.e)
  GROUP BY p.period ORDER BY p.period""").fetchall()
q["calls"] = con.execute("""
  WITH c AS (
    SELECT p.period, c.* FROM calls c JOIN periods p ON c.offered_at >= p.s AND c.offered_at < p.e
    WHERE c.direction = 'inbound' AND c.outcome <> 'ivr_resolved'
      AND NOT (c.outcome = 'abandoned' AND coalesce(c.wait_seconds, 99999) < 5))
  SELECT period, count(*) AS offered,
    100.0 * count(*) FILTER (WHERE outcome = 'abandoned') / count(*) AS abandonment_rate,
    100.0 * count(*) FILTER (WHERE outcome = 'answered' AND wait_seconds <= 20) / count(*) AS service_level,
    avg(talk_seconds + coalesce(hold_seconds, 0) + coalesce(acw_seconds, 0)) FILTER (WHERE outcome = 'answered' AND talk_seconds IS NOT NULL) AS aht
  FROM c GROUP BY period ORDER BY period""").fetchall()
q["surveys"] = con.execute("""
  SELECT p.period,
    100.0 * count(*) FILTER (WHERE kind = 'csat' AND score >= 4 AND score <= 5) / count(*) FILTER (WHERE kind = 'csat' AND score BETWEEN 1 AND 5) AS csat,
    100.0 * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9 AND score <= 10) - count(*) FILTER (WHERE kind = 'nps' AND score BETWEEN 0 AND 6))
      / count(*) FILTER (WHERE kind = 'nps' AND score BETWEEN 0 AND 10) AS nps
  FROM surveys s JOIN periods p ON s.responded_at >= p.s AND s.responded_at < p.e
  GROUP BY p.period ORDER BY p.period""").fetchall()
q["drivers"] = con.execute("""
  WITH contacts AS (
    SELECT reason, created_at AS at FROM tickets
    UNION ALL SELECT reason, offered_at FROM calls
      WHERE direction = 'inbound' AND outcome <> 'ivr_resolved' AND NOT (outcome = 'abandoned' AND coalesce(wait_seconds, 99999) < 5))
  SELECT period, reason, n FROM (
    SELECT p.period, coalesce(c.reason, '(not set)') AS reason, count(*) AS n,
      row_number() OVER (PARTITION BY p.period ORDER BY count(*) DESC, coalesce(c.reason, '(not set)')) AS rank
    FROM contacts c JOIN periods p ON c.at >= p.s AND c.at < p.e GROUP BY 1, 2)
  WHERE rank <= 5 AND period = '2026-Q3' ORDER BY n DESC""").fetchall()
elapsed = time.perf_counter() - t0
print(f"duckdb {duckdb.__version__}: {elapsed:.2f} s for the core metrics of 9 periods")
if show:
    print(json.dumps({k: [list(map(lambda x: round(x, 4) if isinstance(x, float) else x, r)) for r in v] for k, v in q.items()}, indent=1, default=str))
