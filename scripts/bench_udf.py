"""UDF timing: first call (computes the population) and cached calls (a formula filled down).

Calls the Python functions directly with the values xlwings would pass (lists of rows) for a
100,000-line population, then 10,000 cached calls, one per customer cell; prints medians.

    python scripts/bench_udf.py [--lines 100000] [--calls 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import udfs.customer_tiers as udf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--first", type=int, default=3, help="first calls to time (cache cleared)")
    args = parser.parse_args()
    rng = random.Random(1)
    customers = [[f"C{rng.randint(1, 5000):05d}"] for _ in range(args.lines)]
    amounts = [[round(rng.uniform(-50, 2000), 2)] for _ in range(args.lines)]
    costs = [[round(rng.uniform(0, 500), 2)] for _ in range(args.lines)]
    ids = sorted({c for [c] in customers})
    print(f"{args.lines:,} sale lines, {len(ids):,} customers")

    first = []
    for _ in range(args.first):
        udf.POPULATIONS.clear()
        start = time.perf_counter()
        udf.ABC_TIER([[ids[0]]], customers, amounts, costs)
        first.append(time.perf_counter() - start)
    cached = []
    for i in range(args.calls):
        # fresh lists each call, as xlwings builds them from the ranges for every cell
        cells = ([row[:] for row in customers], [row[:] for row in amounts], [row[:] for row in costs])
        start = time.perf_counter()
        udf.ABC_TIER([[ids[i % len(ids)]]], *cells)
        cached.append(time.perf_counter() - start)
    print(f"ABC_TIER first call: median {statistics.median(first) * 1000:.1f} ms over {len(first)}")
    print(f"ABC_TIER cached call: median {statistics.median(cached) * 1000:.2f} ms over {len(cached):,} "
          f"(cache hits {udf.POPULATIONS.hits:,}, misses {udf.POPULATIONS.misses})")


if __name__ == "__main__":
    main()
