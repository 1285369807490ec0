"""Benchmark: fitting BG/NBD + Gamma-Gamma and predicting per customer on 50,000 customers.

    python3 scripts/dev.py run python scripts/bench_clv.py [--lines 1000000] [--customers 50000] [--runs 3]

Uses the seeded data of ``bench_core.py``, builds the customer summary once, then times
``fit_bgnbd`` + ``fit_gamma_gamma`` (the fits) and ``clv_predictions`` (fits + P(alive),
expected purchases over two horizons and the 12-month predicted CLV for every customer).
Prints medians. Target on a 2-core machine: fits <= 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_core import make_data  # noqa: E402

from xl_addin.core.bgnbd import fit_bgnbd  # noqa: E402
from xl_addin.core.clv_model import clv_predictions  # noqa: E402
from xl_addin.core.customer_summary import customer_summary  # noqa: E402
from xl_addin.core.gamma_gamma import fit_gamma_gamma  # noqa: E402
from xl_addin.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    transactions, _ = make_data(args.lines, args.customers)
    as_of = transactions["date"].max()
    summary = customer_summary(transactions, as_of)
    bought = summary[summary["first_purchase"].notna()]
    x, t_x, T = bought["repeat_purchases"], bought["model_recency_days"], bought["age_days"]
    print(f"{len(bought):,} customers, {int((x > 0).sum()):,} with a repeat purchase, "
          f"{len(set(zip(x, t_x, T))):,} distinct (x, t_x, T)")
    fits, whole = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        bgnbd = fit_bgnbd(x, t_x, T)
        spend = fit_gamma_gamma(x, bought["repeat_value"])
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        clv_predictions(summary, as_of, Settings())
        whole.append(time.perf_counter() - start)
    print(f"BG/NBD: r={bgnbd.r:.4f} alpha={bgnbd.alpha:.2f} days a={bgnbd.a:.4f} b={bgnbd.b:.4f} "
          f"converged={bgnbd.converged}")
    print(f"Gamma-Gamma: p={spend.p:.4f} q={spend.q:.4f} v={spend.v:.2f} converged={spend.converged} "
          f"excluded={spend.excluded}")
    print(f"fit both models: median {statistics.median(fits):.3f} s (runs: {', '.join(f'{t:.3f}' for t in fits)})")
    print(f"fit + predict every customer: median {statistics.median(whole):.3f} s")


if __name__ == "__main__":
    main()
