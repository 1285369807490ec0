"""The ``customer-tiers`` command. Parses options, calls the workbook layer, translates errors.

No arithmetic here: every number comes from ``xl_addin.core`` through ``xl_addin.workbook``.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import CustomerTiersError, cell_reference, exit_code


class CommandError(click.ClickException):
    """A CustomerTiersError as a one-line message with our exit code."""

    def __init__(self, error: CustomerTiersError) -> None:
        super().__init__(str(error))
        self.exit_code = exit_code(error)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # one translation point for every command
        try:
            return super().invoke(ctx)
        except CustomerTiersError as error:
            if Progress.line_open:  # the message starts on its own line, after "Reading ... "
                click.echo(err=True)
                Progress.line_open = False
            raise CommandError(error) from None


class Progress:
    """Step-by-step progress on stderr: "Reading sales tabs ... 1.2 s"."""

    line_open = False  # a step is printed and its time is not yet

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._started: float | None = None

    def __call__(self, step: str) -> None:
        self.done()
        if not self.quiet:
            click.echo(f"{step} ...", err=True, nl=False)
            Progress.line_open = True
        self._started = time.perf_counter()

    def done(self) -> None:
        if self._started is not None and not self.quiet:
            click.echo(f" {time.perf_counter() - self._started:.1f} s", err=True)
        Progress.line_open = False
        self._started = None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2025-12-31, got {value!r}") from None


LANG = click.option(
    "--lang", type=click.Choice(["en", "zh"]), default=None,
    help="Language of the generated sheets (default: the Settings sheet's, else en).",
)
QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
NO_CACHE = click.option(
    "--no-cache", is_flag=True,
    help="Parse the sales tabs again even when they did not change since the last run, and "
         "(refresh) write even when nothing changed since the last refresh (the parsed sales "
         "and the last results are kept in the user cache folder, at most 512 MB and 256 MB).",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="customer-tiers")
def cli() -> None:
    """Customer tiers for Excel workbooks: SOB, ABC/Pareto, RFM, score, lifecycle, CLV and
    holding limits.

    Example:

        customer-tiers refresh sales.xlsx
    """


@cli.command()
# BOOK is checked by the reader, not by click: a missing or unreadable workbook exits 4 (WorkbookError)
# with what to do, never click's usage error 2.
@click.argument("book", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the result here instead of updating BOOK in place; .xlsm when BOOK "
                   "has macros, else .xlsx. A read-only file here is refused unless --force. "
                   "Required for a CSV, .xls, .xlsb or .ods BOOK: a new .xlsx of the tier "
                   "sheets, or, when it exists, that .xlsx refreshed in place with BOOK's sales.")
@click.option("--as-of", callback=_date, metavar="DATE",
              help="Analysis date, YYYY-MM-DD (default: the latest sale date).")
@click.option("--force", is_flag=True,
              help="Proceed even when what you added to a generated sheet (a chart, comments, "
                   "your own columns) would be removed (the output lists what was), and "
                   "replace a read-only --out file.")
@LANG
@QUIET
@NO_CACHE
def refresh(book: Path, out: Path | None, as_of: dt.date | None, force: bool, lang: str | None,
            quiet: bool, no_cache: bool) -> None:
    """Rebuild the tier sheets and the Pareto chart of BOOK from its sales tabs.

    Only the sheets marked as generated change; every other sheet, VBA, ribbon, pivot, image
    and name is left as it was, and a sheet of yours with a generated sheet's name is never
    touched. The file is replaced atomically.

    Example:

        customer-tiers refresh sales.xlsx --out tiers.xlsx --lang zh
    """
    from .workbook import reader_prefetch

    # parses the shared strings while the next line imports (not when the sales are cached)
    reader_prefetch.start(book, cached=not no_cache)
    from .workbook.refresh import refresh_file

    heavy_imports_done()
    progress = Progress(quiet)
    try:
        outcome = refresh_file(book, out=out, as_of=as_of, language=lang, force=force,
                               progress=progress, use_cache=not no_cache)
    finally:
        reader_prefetch.forget(book)  # not taken when nothing had to be parsed
    progress.done()
    if outcome.up_to_date:
        click.echo(f"Up to date: {out or book} already holds this refresh (nothing changed "
                   "since the last one), so nothing was written. --no-cache refreshes anyway.")
    _echo_summary(outcome.result, out or book, wrote=not outcome.up_to_date)
    _echo_refresh_notes(outcome.notes)


@cli.command()
# BOOK is checked by the reader, not by click: a missing or unreadable workbook exits 4 (WorkbookError)
# with what to do, never click's usage error 2.
@click.argument("book", type=click.Path(path_type=Path))
@click.option("--limit", default=20, show_default=True, help="Findings to print at most.")
@click.option("--force", is_flag=True, help="Check as 'refresh --force' would run.")
@NO_CACHE
def check(book: Path, limit: int, force: bool, no_cache: bool) -> None:
    """Check BOOK's sales tabs and print the data-quality findings. BOOK is not changed.

    Runs everything a refresh runs except the write: exits 0 when the data can be tiered
    (rows with problems are left out and listed), 3 exactly when a refresh would refuse
    (for example a required column is missing).

    Example:

        customer-tiers check sales.xlsx
    """
    from .workbook import reader_prefetch

    # parses the shared strings while the next line imports (not when the sales are cached)
    reader_prefetch.start(book, cached=not no_cache)
    from .workbook.refresh import check_workbook

    heavy_imports_done()
    try:
        report = check_workbook(book, force=force, use_cache=not no_cache)
    finally:
        reader_prefetch.forget(book)
    click.echo(f"{book}: {report.rows:,} sales rows in {', '.join(report.sheets)}; "
               f"{report.customers:,} customers.")
    _echo_refresh_notes(report.notes)
    _echo_notes(report.reader_notes)
    findings = report.data_quality
    if findings.empty:
        click.echo("No problems found.")
        return
    click.echo(f"{len(findings):,} rows left out:")
    for row in findings.head(limit).itertuples(index=False):
        place = cell_reference(row.sheet, _row_number(row.row), row.column)
        click.echo(f"  {place}: {row.reason} (value: {row.value!r})")
    if len(findings) > limit:
        click.echo(f"  ... and {len(findings) - limit:,} more (see the Data quality sheet "
                   "after a refresh).")


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: demo.xlsm from the template, else demo.xlsx).")
@click.option("--customers", default=400, show_default=True, type=click.IntRange(10, 200_000),
              help="Number of customers.")
@click.option("--rows", default=20_000, show_default=True, type=click.IntRange(10, 1_048_575),
              help="Number of sales rows.")
@click.option("--seed", default=7, show_default=True, help="Random seed.")
@LANG
@QUIET
def demo(out: Path | None, customers: int, rows: int, seed: int, lang: str | None,
         quiet: bool) -> None:
    """Build a realistic demo workbook and refresh its tiers.

    B2B customers across industries, regions, sizes and salespeople, Pareto-like revenue,
    costs, returns and a few deliberately bad rows.

    Example:

        customer-tiers demo --out demo.xlsm --customers 1000 --rows 50000 --lang zh
    """
    from .workbook.demo import write_demo_workbook

    heavy_imports_done()
    progress = Progress(quiet)
    path, result = write_demo_workbook(
        out, customers=customers, rows=rows, seed=seed, language=lang or "en", progress=progress
    )
    progress.done()
    _echo_summary(result, path)


def _echo_refresh_notes(notes) -> None:
    """This refresh's notes (workbook.ownership.Note): sheets skipped, names taken."""
    for note in notes:
        click.echo(f"  Note: {note.text('en')}")


def _echo_summary(result, path: Path, wrote: bool = True) -> None:
    counts = result.customers["abc_tier"].value_counts()
    tiers = ", ".join(f"{tier} {counts.get(tier, 0):,}" for tier in ("A", "B", "C", "D"))
    if wrote:
        click.echo(f"Wrote {path}")
    click.echo(f"  {len(result.customers):,} customers ranked by {result.measure} "
               f"as of {result.as_of:%Y-%m-%d}: {tiers}")
    if len(result.data_quality):
        click.echo(f"  {len(result.data_quality):,} rows left out: see the Data quality sheet")
    _echo_notes(result.notes)
    over = result.coverage[result.coverage["status"] == "Over"] if len(result.coverage) else []
    if len(over):
        click.echo(f"  {len(over):,} salesperson x tier holdings over their limit: see Coverage")


def _row_number(value: object) -> int | None:
    """An Excel row number from a Data quality row (blank for a finding about a whole sheet)."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _echo_notes(notes) -> None:
    """The reader's and the core's decisions (TierResult.notes), one line each."""
    from .report.labels import note_text

    if notes is None or not len(notes):
        return
    click.echo("Notes:")
    for note in notes.itertuples(index=False):
        where = ", ".join(p for p in (note.sheet, note.column) if p)
        text = note_text(note.note_key, note.detail, "en")
        click.echo(f"  {where}: {text}" if where else f"  {text}")


def main(argv: list[str] | None = None) -> None:
    """The command, for callers in this process: raises SystemExit with the exit code, as
    click does."""
    cli.main(args=argv, prog_name="customer-tiers")


def configure_process() -> None:
    """Settings for a process that runs one command and ends (``run``; the benchmarks' phase
    timings too): the cycle collector's pace, the memory allocators, and the threads the
    numeric libraries start when first imported. Call it before pandas, numpy or pyarrow is
    imported, and before any thread is started."""
    # One command per process. The cycle collector's passes (one per 700 new objects, now
    # and then over every object, pandas' modules included) find next to nothing here (under
    # 800 objects in a refresh of a million rows) but cost 0.08 s of a 2.2 s refresh after a
    # Settings change and 0.2 s of a cold one, holding the GIL; at 50,000 they cost 0.03 and
    # 0.08 s, with the same peak memory. Still on: a cycle of garbage is still freed.
    gc.set_threshold(50_000, 20, 100)
    # Importing pandas, numpy and pyarrow makes some 200,000 objects that live as long as the
    # process, and the collector went over them twice while they were made (0.03 s of a 1.2 s
    # refresh). So it waits until they are (``heavy_imports_done``), which moves them out of
    # its reach for good (``gc.freeze``): it then goes over what the refresh itself makes.
    global _collector_paused
    if gc.isenabled():
        gc.disable()
        _collector_paused = True
    if sys.platform.startswith("linux"):
        # Arrow's default allocator (mimalloc) marks its 1 GiB arena for transparent huge
        # pages, so memory it takes, gives back and takes again is faulted in and zeroed 2 MB
        # at a time: 0.3-0.7 s of system CPU in a 1.5 s refresh after a Settings change
        # (perf: 29% of the samples zeroing pages) and 75 MB more peak. The C library's
        # allocator does the same work without it. Read when pyarrow makes its first
        # allocation (nothing imports it before here); a value the user set is kept.
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
        _limit_malloc_arenas()
    # numpy's OpenBLAS starts a thread per further core on import, which spins waiting for
    # matrix work that never comes (nothing here multiplies matrices): 0.1 s of CPU on the
    # other core in a 1.3 s refresh (perf: 6% of the samples), the core the writer's
    # threads use. Read when numpy is imported; a value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


_collector_paused = False  # by configure_process, until heavy_imports_done


def heavy_imports_done() -> None:
    """The collector back on, after ``configure_process`` paused it for the imports, with
    every object made so far frozen (never collected again; memory is still freed when
    nothing refers to it). Nothing in a process ``configure_process`` did not set up."""
    global _collector_paused
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()


M_ARENA_MAX = -8  # glibc's mallopt parameter: how many arenas threads may allocate from
MALLOC_ARENAS = 2


def _limit_malloc_arenas() -> None:
    """At most ``MALLOC_ARENAS`` glibc malloc arenas. Each thread that allocates gets an arena
    of its own (up to 8 per core), and memory freed in one is not reused by the others: a
    cold refresh of a million rows (sheet pieces parsed in threads, the writer's threads)
    peaked at 941-947 MB with them and at 864-887 MB with two, in the same time; a refresh
    after a Settings change 25 MB lower. Only before the first thread is started; a limit
    the user set (MALLOC_ARENA_MAX, GLIBC_TUNABLES) is kept. Nothing elsewhere (no glibc:
    musl, for one)."""
    if "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get("GLIBC_TUNABLES", ""):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):  # another C library
        pass


def run() -> None:
    """Entry point of ``customer-tiers`` and ``python -m xl_addin``: ``main``, then the
    process ends at once. The interpreter's own exit would first free every object and
    module one by one: after a million-row refresh that takes 0.5-0.7 s, spent after the
    work is done. Nothing is lost by skipping it: the written workbook and cache entries are
    complete and renamed into place before ``main`` returns (``SalesCache.wait``), and the
    output streams are flushed here."""
    configure_process()
    try:
        main()
        code = 0
    except SystemExit as exit:
        code = exit.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit code 1
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe ("| head"): nothing more can be said
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run()
