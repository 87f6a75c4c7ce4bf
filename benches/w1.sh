#!/usr/bin/env bash
# Benchmark W1: 1M tickets, 2M calls, 300k surveys as CSV (405 MB); the 2026-Q3 report
# with its previous quarter, the year-ago quarter and an 8-quarter trend: every metric,
# the charts, HTML, Markdown, tables, XLSX. Side by side in the same run: DuckDB
# computing the core metrics from the same CSVs, and polars just reading them (the
# floor). Prints the figures and the ratios that docs/performance.md reports.
#
#   benches/w1.sh            # data in ~/.cache/csreport-bench/w1 (made once, ~6 s)
#   W1_RUNS=5 benches/w1.sh  # best of 5 (default 3)
#   W1_QUOTED=1 benches/w1.sh  # the same rows with every value quoted and CRLF line
#                            # ends, as help-desk tools export them (w1q, made once, ~2 min)
#   W1_PARQUET=1 benches/w1.sh # the same rows as Parquet, written by polars (w1pq, made
#                            # once, ~30 s); DuckDB and the floor read the Parquet files
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/csreport-target}"
BENCH="${CSREPORT_BENCH_DIR:-$HOME/.cache/csreport-bench}"
DATA="$BENCH/w1"
RUNS="${W1_RUNS:-3}"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/csreport"

if [ ! -f "$DATA/tickets.csv" ]; then
    "$BIN" sample-data --out "$DATA" --scale 30.3 --calls-factor 1.56 --surveys-factor 0.66
fi
if [ -n "${W1_QUOTED:-}" ]; then
    if [ ! -f "$BENCH/w1q/tickets.csv" ]; then
        mkdir -p "$BENCH/w1q"
        python3 - "$DATA" "$BENCH/w1q" <<'PY'
import csv, sys
for name in ("tickets", "calls", "surveys", "agent_time"):
    with open(f"{sys.argv[1]}/{name}.csv", newline="") as f, open(f"{sys.argv[2]}/{name}.csv", "w", newline="") as g:
        out = csv.writer(g, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for row in csv.reader(f):
            out.writerow(row)
PY
    fi
    DATA="$BENCH/w1q"
fi
if [ ! -x "$BENCH/venv/bin/python" ]; then
    python3 -m venv "$BENCH/venv"
    "$BENCH/venv/bin/pip" install --quiet duckdb polars
fi
PY="$BENCH/venv/bin/python"
CSV="$DATA"
ext=csv
if [ -n "${W1_PARQUET:-}" ]; then
    if [ ! -f "$BENCH/w1pq/tickets.parquet" ]; then
        mkdir -p "$BENCH/w1pq"
        "$PY" - "$DATA" "$BENCH/w1pq" <<'PY'
import sys
import polars as pl
for name in ("tickets", "calls", "surveys", "agent_time"):
    pl.read_csv(f"{sys.argv[1]}/{name}.csv", try_parse_dates=True).write_parquet(f"{sys.argv[2]}/{name}.parquet")
PY
    fi
    DATA="$BENCH/w1pq"
    ext=parquet
fi
sed "s/^path = \"\(.*\)\.csv\"/path = \"\1.$ext\"/" sample-data/report.toml > "$DATA/report.toml"

csv_bytes=$(cat "$CSV"/{tickets,calls,surveys,agent_time}.csv | wc -c)
echo "W1: $(($(wc -l < "$CSV/tickets.csv") - 1)) tickets, $(($(wc -l < "$CSV/calls.csv") - 1)) calls, $(($(wc -l < "$CSV/surveys.csv") - 1)) surveys, $((csv_bytes / 1000000)) MB of CSV; $(nproc) cores"
if [ "$ext" = parquet ]; then
    echo "read from Parquet: $(($(cat "$DATA"/*.parquet | wc -c) / 1000000)) MB in $DATA (the ratios below compare with the same CSV bytes)"
fi

best() { sort -n | head -1; }
csreport_runs=(); duck_runs=(); scan_runs=(); rss_runs=()
for i in $(seq "$RUNS"); do
    out="$BENCH/out-$i"; rm -rf "$out"
    /usr/bin/time -f "%e %M" -o "$BENCH/time.txt" \
        "$BIN" report -c "$DATA/report.toml" --period 2026-Q3 --as-of 2026-10-05T06:00:00 \
        --out "$out" --force -q --timings 2> "$BENCH/timings-$i.txt"
    read -r wall rss_kb < "$BENCH/time.txt"
    csreport_runs+=("$wall"); rss_runs+=("$rss_kb")
    duck_runs+=("$("$PY" benches/duckdb_w1.py "$DATA" | sed -E 's/.*: ([0-9.]+) s.*/\1/')")
    scan_runs+=("$("$PY" benches/scan_floor.py "$DATA" | sed -E 's/.*: ([0-9.]+) s.*/\1/')")
done
c=$(printf '%s\n' "${csreport_runs[@]}" | best)
d=$(printf '%s\n' "${duck_runs[@]}" | best)
s=$(printf '%s\n' "${scan_runs[@]}" | best)
r=$(printf '%s\n' "${rss_runs[@]}" | sort -n | tail -1)
echo "csreport end to end: ${csreport_runs[*]} s (best $c s), peak RSS $((r / 1024)) MB"
echo "duckdb core metrics: ${duck_runs[*]} s (best $d s)"
echo "polars scan floor:   ${scan_runs[*]} s (best $s s)"
echo "stages of the last run:"; sed 's/^/  /' "$BENCH/timings-$RUNS.txt"
awk -v c="$c" -v d="$d" -v s="$s" -v r="$r" -v b="$csv_bytes" 'BEGIN {
    printf "ratios: csreport/duckdb %.2f (target <= 1), csreport/scan floor %.2f (target <= 1.5), peak RSS/CSV bytes %.2f (target <= 1)\n", c/d, c/s, r*1024/b }'
