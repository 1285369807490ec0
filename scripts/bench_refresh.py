"""Benchmark: `customer-tiers refresh` end to end against the fastest raw read of the same sheet.

    python scripts/bench_refresh.py [--rows 1048576] [--customers 50000] [--repeat 3] [--cache DIR]
                                    [--phases]

Builds (once, cached) a workbook whose "Sales" sheet has ``--rows`` rows including the header
(default 1,048,576: Excel's row limit), then, each in a fresh Python process and interleaved so
machine load hits all alike, ``--repeat`` times:

(a) the fastest raw read of that sheet: fastexcel ``load_sheet(...).to_arrow()``;
(b) a cold ``customer-tiers refresh BOOK --out OUT``: an empty sales cache (so the cost of
    storing the parsed sales is included);
(c) the same refresh again with nothing changed: the output already holds what the refresh
    would write (``workbook.refresh_records``), so nothing is read or written;
(d) a refresh in place of the refreshed workbook after one number in its Settings sheet
    changed (a_cut, a different value each run, each run on the workbook the last one wrote):
    the prepared-lines cache holds the sales sheets' lines already aggregated per customer, so
    no sales row is read and only the per-customer core (``tier_prepared``) runs (what a
    manager waits for after changing a threshold and clicking Refresh again).

The refreshes run the command as a user does (``python -m xl_addin refresh``, the console
script's entry ``cli.run``). Prints the median wall time of each (process start to exit), the
ratios (b)/(a), (c)/(a) and (d)/(a), and the peak RSS of each. ``--phases`` also times one cold refresh phase by phase in a
process (imports, open, read sales, other sheets, core, report layout, write; and cleaning
alone, which the core repeats, shown apart and left out of the total), and one (d) refresh
by the refresh's own steps. Also
prints the median CPU seconds of each child (user + system; not on Windows), which machine
load changes far less than wall time.
Targets (issue 11): (b)/(a) <= 1.2, (c)/(a) and (d)/(a) <= 0.2, refresh peak RSS <= 1.0 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

def child_environment(**extra: str) -> dict[str, str]:
    """The children's environment: this project on PYTHONPATH, and Python's bytecode cache on
    even where PYTHONDONTWRITEBYTECODE is set here. An installed package has its bytecode
    compiled when pip installs it; without it every child compiles this project's modules
    again (0.25-0.45 s of CPU per refresh on this 2-core machine), which no user pays. The
    first refresh (the warm-up below) writes them to __pycache__ (ignored by git)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def children_cpu() -> float | None:
    """CPU seconds (user + system) of the finished child processes so far; None on Windows."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(code: str, *args: str) -> dict:
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
        env=child_environment(),
    )
    wall = time.perf_counter() - start
    if out.returncode:
        sys.exit(f"child failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall"] = wall
    figures["cpu"] = children_cpu() - cpu if cpu is not None else None
    return figures


def run_command(book: Path, out: Path | None, cache: Path) -> dict:
    """``customer-tiers refresh BOOK [--out OUT] --quiet`` as a user runs it (``python -m
    xl_addin``: the console script's ``cli.run``), start to exit: wall seconds, and on Linux
    and macOS the child's own CPU seconds and peak RSS (``os.wait4``)."""
    args = [sys.executable, "-m", "xl_addin", "refresh", str(book), "--quiet"]
    args += ["--out", str(out)] if out is not None else []
    env = child_environment(CUSTOMER_TIERS_CACHE_DIR=str(cache))
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                             env=env)
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        child.returncode = code  # reaped here: Popen must not wait for it again
        scale = 1024 * 1024 if sys.platform == "darwin" else 1024
        figures = {"cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / scale}
    else:  # Windows: wall time only
        code = child.wait()
        wall = time.perf_counter() - start
        figures = {"cpu": None, "rss": float("nan")}
    errors = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if code:
        sys.exit(f"customer-tiers refresh failed ({code}):\n{errors[-3000:]}")
    return {**figures, "wall": wall}


def settings_variant(refreshed: Path, dest: Path, a_cut: float) -> None:
    """``refreshed`` (a workbook with our Settings sheet) with a_cut set to ``a_cut``: every
    other member copied byte for byte, as Excel would keep them."""
    from xl_addin.workbook.xlsx.package import PackageWriter, SourcePackage, atomic_output

    cell = b"<is><t>a_cut</t></is></c><c "
    built = dest.with_name(f"{dest.stem}-new{dest.suffix}")  # dest may be refreshed itself
    with SourcePackage(refreshed) as source, atomic_output(built) as file:
        writer = PackageWriter(file)
        done = False
        for member in source.members:
            data = None
            if member.name.startswith("xl/worksheets/sheet") and member.compressed_size < 2**20:
                data = source.read(member.name)
                if cell in data:
                    head, tail = data.split(cell, 1)
                    style, tail = tail.split(b"<v>", 1)
                    data = head + cell + style + b"<v>" + repr(a_cut).encode() + tail[tail.index(b"</v>"):]
                    done = True
                else:
                    data = None
            if data is None:
                writer.copy(source, member)
            else:
                writer.write(member.name, data)
        writer.close(source.comment)
    if not done:
        sys.exit(f"no a_cut cell in the Settings sheet of {refreshed}")
    os.replace(built, dest)


DIAGNOSTIC = "[not in a refresh] "  # a phase timed for its share only: left out of the total

# Each mark records the phase's wall and CPU seconds and, on Linux, its peak RSS: VmHWM, then
# reset to the current RSS through /proc/self/clear_refs, so the next phase's peak is its own.
MARKS = """
def phase_peak_mb():
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return peak
    except (OSError, StopIteration, ValueError):
        return None
marks = [("start", time.perf_counter(), time.process_time(), None)]
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time(), phase_peak_mb()))
"""

DUMP_MARKS = PEAK_RSS + """
peaks = [m[3] for m in marks[1:] if m[3] is not None]
print(json.dumps({"marks": [(name, t - marks[i][1], c - marks[i][2], peak)
                            for i, (name, t, c, peak) in enumerate(marks[1:])],
                  # a reset VmHWM no longer holds the whole run's peak: the phases' largest does
                  "rss": max(peaks) if peaks else peak_rss_mb()}))
"""

# The phase timings run in a process set up as the command's (``cli.configure_process``: the
# cycle collector's pace, the allocators, no BLAS threads) before anything heavy is imported,
# and ``cli.heavy_imports_done`` after, as the command's.
PHASES = f"""
DIAGNOSTIC = {DIAGNOSTIC!r}
""" + """
import json, sys, time
""" + MARKS + """
from xl_addin.cli import configure_process, heavy_imports_done
configure_process()
import pandas as pd
from xl_addin.core import tier_customers
from xl_addin.core.clean import clean_transactions
from xl_addin.refresh import read_workbook
from xl_addin.report.layout import build_report
from xl_addin.workbook.file_book import FileSource
from xl_addin.workbook.xlsx import write_report
heavy_imports_done()
mark("imports")
source = FileSource(sys.argv[1])
mark("open (read bytes, the package index; fastexcel opens on the first parse)")
data = read_workbook(source)
source.book.close()
mark("read settings, sales, customers, previous tiers (no cache)")
settings, sales = data.settings, data.sales
clean_transactions(sales, sort_order_ids=False)
mark(DIAGNOSTIC + "clean alone (the core cleans again below)")
result = tier_customers(sales, settings, customers=data.customers, previous_tiers=data.previous_tiers)
mark("core tier_customers (clean + every metric)")
report = build_report(result, settings.language)
mark("report layout")
write_report(sys.argv[1], report, sys.argv[2])
mark("write (xlsx writer, atomic)")
""" + DUMP_MARKS


SETTINGS_PHASES = """
import json, os, sys, time
""" + MARKS + """
from xl_addin.cli import configure_process, heavy_imports_done
configure_process()
os.environ["CUSTOMER_TIERS_CACHE_DIR"] = sys.argv[2]
from xl_addin.workbook.refresh import refresh_file
heavy_imports_done()
mark("imports")
steps = iter(["open; read Settings, prepared lines (cache hit: no sales row read), previous tiers",
              "core tier_prepared, report layout, what the user added to our sheets",
              "write (in place, atomic)"])
previous = [None]
def progress(step):
    if previous[0] is not None:
        mark(previous[0])
    previous[0] = next(steps)
outcome = refresh_file(sys.argv[1], progress=progress)
mark(previous[0])
assert outcome.written
""" + DUMP_MARKS


def print_phases(title: str, phases: dict) -> None:
    print(title)
    for name, seconds, cpu_seconds, peak in phases["marks"]:
        print(f"  {name:70s} {seconds:6.2f} s  {cpu_seconds:6.2f} s CPU"
              + (f"  peak RSS {peak:5.0f} MB" if peak is not None else ""))
    counted = [m for m in phases["marks"] if not m[0].startswith(DIAGNOSTIC)]
    print(f"  {'total (without the ' + DIAGNOSTIC.strip() + ' phases)':70s} "
          f"{sum(m[1] for m in counted):6.2f} s  "
          f"{sum(m[2] for m in counted):6.2f} s CPU   peak RSS {phases['rss']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_048_576)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache")
    parser.add_argument("--phases", action="store_true", help="also time a cold refresh by phase")
    args = parser.parse_args()

    book = build_workbook(args.cache, args.rows, args.customers)
    print(f"workbook: {book} ({book.stat().st_size / 2**20:.0f} MB, {args.rows:,} rows, "
          f"{args.customers:,} customers)")
    raw, cold, unchanged, settings = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "refreshed.xlsx"
        warm = Path(scratch) / "warm-cache"
        variant = Path(scratch) / "settings-changed.xlsx"
        run_command(book, out, warm)  # fills the warm cache and the bytecode cache
        shutil.copyfile(out, variant)
        for i in range(args.repeat):
            # the workbook the last (d) refreshed, with a new a_cut: its Tiers sheet (the
            # previous tiers) is the one that refresh wrote, never read before
            settings_variant(variant, variant, round(0.70 + 0.01 * i, 2))
            raw.append(run_child(RAW_READ, str(book)))
            cold.append(run_command(book, out, Path(scratch) / f"cold-{i}"))
            unchanged.append(run_command(book, out, warm))
            settings.append(run_command(variant, None, warm))
        print(f"output:   {out.stat().st_size / 2**20:.0f} MB; sales cache: "
              f"{sum(p.stat().st_size for p in warm.glob('*.arrow')) / 2**20:.0f} MB; refresh "
              f"records: {sum(p.stat().st_size for p in warm.glob('refreshes/*')) / 2**20:.0f} MB")
        phases = run_child(PHASES, str(book), str(out)) if args.phases else None
        if args.phases:
            settings_variant(variant, variant, 0.69)
            settings_phases = run_child(SETTINGS_PHASES, str(variant), str(warm))

    def median(runs: list[dict]) -> float:
        return statistics.median(run["wall"] for run in runs)

    def rss(runs: list[dict]) -> float:
        return max(run["rss"] for run in runs)

    def cpu(runs: list[dict]) -> float | None:
        return statistics.median(run["cpu"] for run in runs) if runs[0]["cpu"] is not None else None

    base = median(raw)
    print(f"(a) raw read (fastexcel -> Arrow, fresh process): median {base:6.2f} s   "
          f"peak RSS {rss(raw):6.0f} MB")
    print(f"(b) refresh, cold (empty sales cache):           median {median(cold):6.2f} s   "
          f"peak RSS {rss(cold):6.0f} MB   ratio (b)/(a) {median(cold) / base:.2f}  (target <= 1.2)")
    print(f"(c) refresh, nothing changed (up to date):       median {median(unchanged):6.2f} s   "
          f"peak RSS {rss(unchanged):6.0f} MB   ratio (c)/(a) {median(unchanged) / base:.2f}  "
          "(target <= 0.2)")
    print(f"(d) refresh in place, Settings changed:          median {median(settings):6.2f} s   "
          f"peak RSS {rss(settings):6.0f} MB   ratio (d)/(a) {median(settings) / base:.2f}  "
          "(target <= 0.2)")
    print(f"peak RSS of a refresh: {max(rss(cold), rss(unchanged), rss(settings)):.0f} MB  "
          "(target <= 1024 MB)")
    if cpu(raw):  # CPU time: what machine load changes least (the wall-time ratios are the targets)
        print(f"CPU seconds (median): (a) {cpu(raw):.2f}  (b) {cpu(cold):.2f}  (c) {cpu(unchanged):.2f}"
              f"  (d) {cpu(settings):.2f}   ratios (b)/(a) {cpu(cold) / cpu(raw):.2f}  "
              f"(c)/(a) {cpu(unchanged) / cpu(raw):.2f}  (d)/(a) {cpu(settings) / cpu(raw):.2f}")
    for label, runs in (("a", raw), ("b", cold), ("c", unchanged), ("d", settings)):
        print(f"runs ({label}): " + ", ".join(
            f"{r['wall']:.2f}" + (f" ({r['cpu']:.2f} CPU)" if r["cpu"] is not None else "")
            for r in runs))
    if phases:
        print_phases("cold refresh by phase (one run, in process):", phases)
        print_phases("(d) Settings changed, by phase (one run, in process, through refresh_file):",
                     settings_phases)
    if hasattr(os, "getloadavg"):
        print("load average: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
