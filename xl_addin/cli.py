"""The ``customer-tiers`` command. Parses options, calls the workbook layer, translates errors.

No arithmetic here: every number comes from ``xl_addin.core`` through ``xl_addin.workbook``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import CustomerTiersError, exit_code


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
            raise CommandError(error) from None


class Progress:
    """Step-by-step progress on stderr: "Reading sales tabs ... 1.2 s"."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._started: float | None = None

    def __call__(self, step: str) -> None:
        self.done()
        if not self.quiet:
            click.echo(f"{step} ...", err=True, nl=False)
        self._started = time.perf_counter()

    def done(self) -> None:
        if self._started is not None and not self.quiet:
            click.echo(f" {time.perf_counter() - self._started:.1f} s", err=True)
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
    help="Parse the sales tabs again even when they did not change since the last run "
         "(the parsed sales are kept in the user cache folder, at most 512 MB).",
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
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the result here instead of updating BOOK in place.")
@click.option("--as-of", callback=_date, metavar="DATE",
              help="Analysis date, YYYY-MM-DD (default: the latest sale date).")
@LANG
@QUIET
@NO_CACHE
def refresh(book: Path, out: Path | None, as_of: dt.date | None, lang: str | None,
            quiet: bool, no_cache: bool) -> None:
    """Rebuild the tier sheets and the Pareto chart of BOOK from its sales tabs.

    Only the generated sheets change; every other sheet, VBA, ribbon, pivot, image and name
    is left as it was. The file is replaced atomically.

    Example:

        customer-tiers refresh sales.xlsx --out tiers.xlsx --lang zh
    """
    from .workbook.refresh import refresh_workbook

    progress = Progress(quiet)
    result = refresh_workbook(book, out=out, as_of=as_of, language=lang, progress=progress,
                              use_cache=not no_cache)
    progress.done()
    _echo_summary(result, out or book)


@cli.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", default=20, show_default=True, help="Findings to print at most.")
@NO_CACHE
def check(book: Path, limit: int, no_cache: bool) -> None:
    """Check BOOK's sales tabs and print the data-quality findings. BOOK is not changed.

    Exits 0 when the data can be tiered (rows with problems are left out and listed),
    3 when it cannot (for example a required column is missing).

    Example:

        customer-tiers check sales.xlsx
    """
    from .workbook.refresh import check_workbook

    report = check_workbook(book, use_cache=not no_cache)
    click.echo(f"{book}: {report.rows:,} sales rows in {', '.join(report.sheets)}; "
               f"{report.customers:,} customers.")
    findings = report.data_quality
    if findings.empty:
        click.echo("No problems found.")
        return
    click.echo(f"{len(findings):,} rows left out:")
    for row in findings.head(limit).itertuples(index=False):
        click.echo(f"  {row.sheet} row {row.row}, column '{row.column}': {row.reason} "
                   f"(value: {row.value!r})")
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

    progress = Progress(quiet)
    path, result = write_demo_workbook(
        out, customers=customers, rows=rows, seed=seed, language=lang or "en", progress=progress
    )
    progress.done()
    _echo_summary(result, path)


def _echo_summary(result, path: Path) -> None:
    counts = result.customers["abc_tier"].value_counts()
    tiers = ", ".join(f"{tier} {counts.get(tier, 0):,}" for tier in ("A", "B", "C", "D"))
    click.echo(f"Wrote {path}")
    click.echo(f"  {len(result.customers):,} customers ranked by {result.measure} "
               f"as of {result.as_of:%Y-%m-%d}: {tiers}")
    if len(result.data_quality):
        click.echo(f"  {len(result.data_quality):,} rows left out: see the Data quality sheet")
    over = result.coverage[result.coverage["status"] == "Over"] if len(result.coverage) else []
    if len(over):
        click.echo(f"  {len(over):,} salesperson x tier holdings over their limit: see Coverage")


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``customer-tiers`` and ``python -m xl_addin``."""
    cli.main(args=argv, prog_name="customer-tiers")


if __name__ == "__main__":
    sys.exit(main())
