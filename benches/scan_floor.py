"""The floor: the time polars (its Python package, the same engine csreport links)
needs just to read W1's CSVs into memory, every column as text.

    python benches/scan_floor.py DATA_DIR
"""
import sys, time
import polars as pl

data = sys.argv[1]
t0 = time.perf_counter()
rows = 0
for name in ("tickets", "calls", "surveys", "agent_time"):
    df = pl.read_csv(f"{data}/{name}.csv", infer_schema_length=0)
    rows += df.height
elapsed = time.perf_counter() - t0
print(f"polars {pl.__version__} scan floor: {elapsed:.2f} s for {rows} rows")
