"""UDF timing: first call (computes the population) and cached calls (a formula filled down).

Calls the Python functions directly with the values xlwings would pass for a 100,000-line
population: data columns as flat lists (xlwings' default squeeze, what the UDFs declare) or,
with ``--shape rows``, as lists of rows (``ndim=2``, the earlier declaration). Every call gets
freshly built cell objects, as xlwings builds them from the range for every cell, so no hash
is cached in them. Prints medians in ms for ABC_TIER (customers, amounts, costs) and
RFM_SCORE (customers, dates, amounts). The time xlwings itself spends converting the range
values is not included. Also prints the population cache's estimated memory and its bound, the
memory one entry really holds (tracemalloc and Arrow's allocator, measured once), and the floor
of a cached call on the same freshly built lists: the cache's check alone, and visiting every
cell object once (``tuple``), the least an exact check of every cell can cost in CPython.

    python scripts/bench_udf.py [--lines 100000] [--calls 200] [--shape flat|rows]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import udfs.customer_tiers as udf  # noqa: E402
from xl_addin.excel.cache import PopulationCache  # noqa: E402


def fresh(columns: list[np.ndarray], shape: str) -> list[Any]:
    """New lists of new cell objects: ``tolist`` of a numpy array makes a new str / float /
    datetime per cell, as xlwings does."""
    copies = [column.tolist() for column in columns]
    return copies if shape == "flat" else [[[value] for value in column] for column in copies]


def timed(function: Callable[..., Any], ids: list[str], columns: list[np.ndarray], shape: str,
          calls: int) -> tuple[float, float, float]:
    """(first-call ms, median cached-call ms wall, median cached-call ms CPU) of
    ``function(customer, *columns)``. CPU (process time) is what to compare on a shared
    machine: wall time there includes waiting for a core."""
    udf.POPULATIONS.clear()
    arguments = fresh(columns, shape)
    start = time.perf_counter()
    answer = function([[ids[0]]], *arguments)
    first = time.perf_counter() - start
    if isinstance(answer, str) and answer.startswith("#"):
        raise SystemExit(f"{function.__name__} answered {answer!r}")
    cached, cached_cpu = [], []
    for i in range(calls):
        arguments = fresh(columns, shape)
        start, start_cpu = time.perf_counter(), time.process_time()
        function([[ids[i % len(ids)]]], *arguments)
        cached.append(time.perf_counter() - start)
        cached_cpu.append(time.process_time() - start_cpu)
    if udf.POPULATIONS.misses != 1:
        raise SystemExit(f"expected one computation, got {udf.POPULATIONS.misses}")
    return first * 1000, statistics.median(cached) * 1000, statistics.median(cached_cpu) * 1000


def floor(columns: list[np.ndarray], calls: int) -> tuple[float, float]:
    """Median ms CPU, on fresh flat lists of the same cells, of (a population cache hit on
    them alone: its check of every cell; visiting every cell object once: ``tuple`` of each
    list). No exact check of every cell can cost less than the second."""
    cache = PopulationCache()
    cache.get("bench", lambda: None, tuple(fresh(columns, "flat")))
    checks, visits = [], []
    for _ in range(calls):
        lists = tuple(fresh(columns, "flat"))
        start = time.process_time()
        cache.get("bench", lambda: None, lists)
        checks.append(time.process_time() - start)
        lists = fresh(columns, "flat")
        start = time.process_time()
        for values in lists:
            tuple(values)
        visits.append(time.process_time() - start)
    if cache.misses != 1:
        raise SystemExit(f"expected one computation, got {cache.misses}")
    return statistics.median(checks) * 1000, statistics.median(visits) * 1000


def held_memory(function: Callable[..., Any], ids: list[str], columns: list[np.ndarray],
                shape: str) -> float:
    """MB held by the population cache after one call (its arguments dropped): Python and
    numpy allocations (tracemalloc) plus Arrow's allocator (pandas' Arrow-backed text)."""
    import pyarrow as pa

    udf.POPULATIONS.clear()
    gc.collect()
    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    arguments = fresh(columns, shape)
    function([[ids[0]]], *arguments)
    del arguments
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (held + pa.total_allocated_bytes() - arrow_before) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200, help="cached calls per function")
    parser.add_argument("--shape", choices=("flat", "rows"), default="flat")
    args = parser.parse_args()
    rng = random.Random(1)
    customers = [f"C{rng.randint(1, 5000):05d}" for _ in range(args.lines)]
    amounts = [round(rng.uniform(-50, 2000), 2) for _ in range(args.lines)]
    costs = [round(rng.uniform(0, 500), 2) for _ in range(args.lines)]
    start = dt.datetime(2023, 1, 1)
    dates = [start + dt.timedelta(days=rng.randint(0, 900)) for _ in range(args.lines)]
    ids = sorted(set(customers))
    customers, amounts, costs = np.array(customers), np.array(amounts), np.array(costs)
    dates = np.array(dates, dtype="datetime64[us]")  # .tolist() -> new datetimes
    print(f"{args.lines:,} sale lines, {len(ids):,} customers, data columns as {args.shape} "
          f"lists, {args.calls} cached calls each")

    runs = [
        ("ABC_TIER(customer, customers, amounts, costs)", udf.ABC_TIER, [customers, amounts, costs]),
        ("RFM_SCORE(customer, customers, dates, amounts)", udf.RFM_SCORE, [customers, dates, amounts]),
    ]
    for label, function, columns in runs:
        first, cached, cached_cpu = timed(function, ids, columns, args.shape, args.calls)
        print(f"{label}: first call {first:.0f} ms, cached call median {cached:.2f} ms wall, "
              f"{cached_cpu:.2f} ms CPU (target <= 2 ms)")
        estimate = udf.POPULATIONS.nbytes() / 2**20
        if args.shape == "flat":
            check, visit = floor(columns, args.calls)
            cells = sum(len(column) for column in columns)
            print(f"  of which the cache's check of the {cells:,} cells: {check:.2f} ms CPU; "
                  f"floor, visiting each cell object once: {visit:.2f} ms CPU")
        print(f"  population cache: {len(udf.POPULATIONS)} entry, estimated {estimate:.0f} MB, "
              f"measured {held_memory(function, ids, columns, args.shape):.0f} MB held; bound: "
              f"{udf.POPULATIONS.maxsize} entries and {udf.POPULATIONS.max_bytes / 2**20:.0f} MB "
              f"by estimate")


if __name__ == "__main__":
    main()
