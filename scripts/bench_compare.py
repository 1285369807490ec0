"""Before and after in the same minutes: the cold refresh (b) and the refresh after a Settings
edit (d) of ``scripts/bench_refresh.py``, for two versions of the code, alternated.

    python scripts/bench_compare.py BEFORE [AFTER] [--rounds 4] [--rows 1048576]
                                    [--customers 50000] [--cache DIR] [--settings-only]

BEFORE and AFTER are git commits (or anything ``git worktree add`` takes) of this repository;
AFTER defaults to the working tree. Each is checked out into a temporary worktree (the working
tree is used as it is) and run with this Python. Machine load drifts by a third here within
minutes, so a figure measured an hour ago says little; this runs the two versions in turns,
ABBA..., each refresh in a fresh process exactly as ``bench_refresh.py`` runs it (its
``run_command`` and ``settings_variant``), after one warm-up refresh of each that fills its
caches and its bytecode. Prints the median wall and CPU seconds and the peak RSS of (b) and
(d) for each version. ``--settings-only`` runs (d) alone: a difference of a few hundredths of
a second in (d) needs 20-30 rounds to stand out of the noise, in a sixth of the time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_refresh  # noqa: E402  (the same runs, the same cached workbook)
from bench_read import build_workbook  # noqa: E402


def checkout(commit: str, folder: Path) -> Path:
    """A detached worktree of ``commit`` in ``folder``."""
    subprocess.run(["git", "-C", str(bench_refresh.ROOT), "worktree", "add", "--detach", "--quiet",
                    str(folder), commit], check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", help="default: the working tree")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--rows", type=int, default=1_048_576)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--cache", type=Path, default=bench_refresh.ROOT / ".bench-cache")
    parser.add_argument("--settings-only", action="store_true",
                        help="run only (d), the refresh after a Settings change")
    args = parser.parse_args()

    book = build_workbook(args.cache, args.rows, args.customers)
    here = bench_refresh.ROOT
    runs: dict[tuple[int, str], list[dict]] = {(k, case): [] for k in (0, 1) for case in "bd"}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        trees = [checkout(args.before, scratch / "before"),
                 checkout(args.after, scratch / "after") if args.after else here]
        names = [args.before, args.after or "working tree"]
        try:
            for k, tree in enumerate(trees):
                bench_refresh.ROOT = tree
                bench_refresh.run_command(book, scratch / f"out{k}.xlsx", scratch / f"warm{k}")
                shutil.copyfile(scratch / f"out{k}.xlsx", scratch / f"edited{k}.xlsx")
            for i in range(args.rounds):
                for k in ((0, 1) if i % 2 == 0 else (1, 0)):
                    bench_refresh.ROOT = trees[k]
                    cold = None if args.settings_only else bench_refresh.run_command(
                        book, scratch / f"out{k}.xlsx", scratch / f"cold-{i}-{k}")
                    edited = scratch / f"edited{k}.xlsx"
                    bench_refresh.settings_variant(edited, edited, round(0.70 + 0.01 * i, 2))
                    settings = bench_refresh.run_command(edited, None, scratch / f"warm{k}")
                    if cold is not None:
                        runs[(k, "b")].append(cold)
                    runs[(k, "d")].append(settings)
                    print(f"round {i + 1} {names[k]}: "
                          + (f"(b) {cold['wall']:.2f} s  " if cold is not None else "")
                          + f"(d) {settings['wall']:.2f} s", flush=True)
        finally:
            bench_refresh.ROOT = here
            for tree in trees:
                if tree != here:
                    subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force",
                                    str(tree)], check=False)

    labels = {"b": "(b) cold refresh", "d": "(d) Settings changed"}
    for case in "d" if args.settings_only else "bd":
        for k in (0, 1):
            found = runs[(k, case)]
            cpu = [r["cpu"] for r in found if r["cpu"] is not None]
            print(f"{labels[case]:22s} {names[k]:>14s}: median "
                  f"{statistics.median(r['wall'] for r in found):6.2f} s"
                  + (f"  {statistics.median(cpu):6.2f} s CPU" if cpu else "")
                  + f"  peak RSS {max(r['rss'] for r in found):5.0f} MB")


if __name__ == "__main__":
    main()
