"""Time write_report of a 50,000-customer report into (a) a tiny workbook and (b) one with a
large other sheet, to show the write time is flat in the size of the rest of the workbook.

The result comes from the real ``tier_customers`` (4 sale lines per customer); its previous
tiers are this refresh's with 5% of customers moved one ABC tier, as after a routine refresh.

    python scripts/bench_write.py [--customers 50000] [--other-rows 300000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.report.factory import make_result  # noqa: E402
from xl_addin.core.changes import tier_changes  # noqa: E402
from xl_addin.report.layout import build_report  # noqa: E402
from xl_addin.workbook.xlsx import new_workbook, package, write_report, write_tables  # noqa: E402


def _median_seconds(book: Path, report, repeat: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds (CPU, all threads, shows the cost on a machine shared
    with other jobs) and the size of the written file in MB."""
    wall, cpu = [], []
    for i in range(repeat):
        out = book.with_name(f"out-{i % 2}{book.suffix}")
        start, start_cpu = time.perf_counter(), time.process_time()
        write_report(book, report, out)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), out.stat().st_size / 1e6


def with_routine_changes(result, moved: float = 0.05, seed: int = 3):
    """``result`` with tier changes against previous tiers where ``moved`` of the customers
    had the next ABC tier down (A <- B, ..., D <- A)."""
    current = result.customers[["customer_id", "customer_name", "abc_tier", "score_tier"]]
    previous = current.copy()
    rng = np.random.default_rng(seed)
    pick = rng.random(len(previous)) < moved
    shifted = previous["abc_tier"].map({"A": "B", "B": "C", "C": "D", "D": "A"})
    previous["abc_tier"] = previous["abc_tier"].where(~pick, shifted)
    changes, matrix = tier_changes(previous, current)
    return dataclasses.replace(result, tier_changes=changes, tier_change_matrix=matrix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--other-rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    result = with_routine_changes(make_result(args.customers, changes=False))
    start, start_cpu = time.perf_counter(), time.process_time()
    report = build_report(result, "en")
    print(f"build_report: wall {time.perf_counter() - start:.2f} s, CPU "
          f"{time.process_time() - start_cpu:.2f} s for {args.customers:,} customers "
          f"({len(result.tier_changes):,} tier-change rows)")

    with tempfile.TemporaryDirectory() as folder:
        tiny = new_workbook(Path(folder) / "tiny.xlsx")
        large = new_workbook(Path(folder) / "large.xlsx")
        rng = np.random.default_rng(1)
        n = args.other_rows
        sales = pd.DataFrame({
            "Customer": np.char.add("C", rng.integers(1, 50_000, n).astype(str)),
            "Date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "Amount": rng.gamma(2.0, 300.0, n).round(2),
            "Cost": rng.gamma(2.0, 150.0, n).round(2),
            "Order": np.arange(n),
        })
        start = time.perf_counter()
        write_tables(large, {"Sales": sales})
        print(f"write_tables: {n:,} x {sales.shape[1]} Sales sheet in "
              f"{time.perf_counter() - start:.2f} s ({large.stat().st_size / 1e6:.1f} MB file)")
        a = _median_seconds(tiny, report, args.repeat)
        b = _median_seconds(large, report, args.repeat)
    deflate = "ISA-L (isal)" if package.isal_zlib is not None else "zlib (isal not installed)"
    print(f"write_report, {args.customers:,}-customer Tiers (26 columns) + 6 other sheets + chart, "
          f"median of {args.repeat}; worksheets deflated by {deflate}:")
    print(f"  (a) into a tiny workbook:        wall {a[0]:.2f} s, CPU {a[1]:.2f} s, "
          f"{a[2]:.1f} MB file")
    print(f"  (b) beside a {n:,}-row sheet: wall {b[0]:.2f} s, CPU {b[1]:.2f} s, "
          f"{b[2]:.1f} MB file (CPU b/a = {b[1] / a[1]:.2f})")
    with open("/proc/loadavg") if Path("/proc/loadavg").exists() else open(os.devnull) as f:
        print(f"  load average: {f.read().strip() or 'n/a'}")


if __name__ == "__main__":
    main()
