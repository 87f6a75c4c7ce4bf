"""The floor: the time polars (its Python package, the same engine csreport links)
needs just to read W1's CSVs into memory, every column as text (or, where DATA_DIR
holds them, its Parquet files with their types: W1_PARQUET=1 benches/w1.sh).

    python benches/scan_floor.py DATA_DIR
"""
import os, sys, time
import polars as pl

data = sys.argv[1]
t0 = time.perf_counter()
rows = 0
parquet = os.path.exists(f"{data}/tickets.parquet")
for name in ("tickets", "calls", "surveys", "agent_time"):
    if parquet:
        df = pl.read_parquet(f"{data}/{name}.parquet")
    else:
        df = pl.read_csv(f"{data}/{name}.csv", infer_schema_length=0)
    rows += df.height
elapsed = time.perf_counter() - t0
print(f"polars {pl.__version__} scan floor: {elapsed:.2f} s for {rows} rows")
