"""Benchmark: `customer-tiers refresh` end to end against the fastest raw read of the same sheet.

    python scripts/bench_refresh.py [--rows 1048576] [--customers 50000] [--repeat 3] [--cache DIR]

Builds (once, cached) a workbook whose "Sales" sheet has ``--rows`` rows including the header
(default 1,048,576: Excel's row limit), then, each in a fresh Python process and interleaved so
machine load hits both alike:

(a) the fastest raw read of that sheet: fastexcel ``load_sheet(...).to_arrow()``;
(b) ``customer-tiers refresh BOOK --out OUT`` through the CLI's entry point.

Prints the median wall time of each (process start to exit), their ratio (b)/(a), and the peak
RSS of each. Targets (issue 3): ratio <= 1.6, refresh peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_read import build_workbook  # noqa: E402  (the same cached 1M-row workbook)

PEAK_RSS = """
def peak_rss_mb():
    try:
        import resource
        scale = 1024 * 1024 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    except ImportError:
        import psutil
        return psutil.Process().memory_info().peak_wset / 2**20
"""

RAW_READ = """
import json, sys, time
start = time.perf_counter()
import fastexcel
reader = fastexcel.read_excel(sys.argv[1])
table = reader.load_sheet(0).to_arrow()
rows = table.num_rows
""" + PEAK_RSS + """
print(json.dumps({"rows": rows, "inner": time.perf_counter() - start, "rss": peak_rss_mb()}))
"""

REFRESH = """
import json, sys, time
start = time.perf_counter()
from xl_addin.cli import main
try:
    main(["refresh", sys.argv[1], "--out", sys.argv[2], "--quiet"])
except SystemExit as exit:
    if exit.code:
        raise
""" + PEAK_RSS + """
print(json.dumps({"inner": time.perf_counter() - start, "rss": peak_rss_mb()}))
"""


def run_child(code: str, *args: str) -> dict:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    wall = time.perf_counter() - start
    if out.returncode:
        sys.exit(f"child failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall"] = wall
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_048_576)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache")
    args = parser.parse_args()

    book = build_workbook(args.cache, args.rows, args.customers)
    print(f"workbook: {book} ({book.stat().st_size / 2**20:.0f} MB, {args.rows:,} rows, {args.customers:,} customers)")
    raw, refresh = [], []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "refreshed.xlsx"
        for _ in range(args.repeat):
            raw.append(run_child(RAW_READ, str(book)))
            refresh.append(run_child(REFRESH, str(book), str(out)))
        print(f"output:   {out.stat().st_size / 2**20:.0f} MB")

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    raw_wall, refresh_wall = median(raw, "wall"), median(refresh, "wall")
    print(f"(a) raw read (fastexcel, fresh process): median {raw_wall:6.2f} s   "
          f"peak RSS {max(r['rss'] for r in raw):6.0f} MB")
    print(f"(b) customer-tiers refresh end to end:   median {refresh_wall:6.2f} s   "
          f"peak RSS {max(r['rss'] for r in refresh):6.0f} MB")
    print(f"ratio (b)/(a): {refresh_wall / raw_wall:.2f}   (target <= 1.6; peak RSS target "
          "<= 1536 MB)")
    print(f"runs (a): {', '.join(f'{r['wall']:.2f}' for r in raw)}")
    print(f"runs (b): {', '.join(f'{r['wall']:.2f}' for r in refresh)}")
    if hasattr(os, "getloadavg"):
        print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
