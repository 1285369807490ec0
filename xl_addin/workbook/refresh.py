"""Headless refresh: read a workbook's sales tabs, tier the customers, write the generated sheets.

The same three steps run behind the ribbon's "Refresh tiers" (against a live Excel instead of
the file): ``xl_addin.core.tier_customers`` computes, ``xl_addin.report.layout.build_report``
lays out, and a writer writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from ..core import clean_transactions, tier_customers
from ..core.result import TierResult
from ..report.layout import build_report
from .read import SalesBook
from .sales_cache import SalesCache, cached_sales
from .xlsx import write_report

ProgressFn = Callable[[str], None]


def _no_progress(step: str) -> None:
    pass


def refresh_workbook(
    path: str | Path,
    *,
    out: str | Path | None = None,
    as_of: dt.date | None = None,
    language: str | None = None,
    progress: ProgressFn = _no_progress,
    use_cache: bool = True,
) -> TierResult:
    """Refresh ``path`` in place (or write the refreshed copy to ``out``); return the result.

    Nothing is written when reading or computing fails, and the write itself is atomic.
    ``use_cache``: take the parsed sales from the sales cache when they did not change
    (``sales_cache``).
    """
    progress("Reading sales tabs")
    with SalesBook.open(path) as book:
        settings = book.settings()
        if language:
            settings = settings.replace(language=language)
        sales = cached_sales(book, settings, SalesCache() if use_cache else None)
        customers = book.customers(settings)
        previous = book.previous_tiers()
    progress(f"Tiering {len(sales):,} sales rows")
    result = tier_customers(
        sales, settings, customers=customers,
        as_of=pd.Timestamp(as_of) if as_of else None, previous_tiers=previous,
    )
    progress("Writing tier sheets")
    report = build_report(result, settings.language)
    write_report(path, report, out)
    return result


@dataclass(frozen=True)
class CheckReport:
    """What ``check_workbook`` found: sales sheets read, rows, customers, data-quality rows."""

    sheets: tuple[str, ...]
    rows: int
    customers: int
    data_quality: pd.DataFrame


def check_workbook(path: str | Path, *, use_cache: bool = True) -> CheckReport:
    """Validate ``path``'s sales tabs without writing anything (but the sales cache)."""
    with SalesBook.open(path) as book:
        settings = book.settings()
        sheets = tuple(book.sales_sheet_names(settings))
        sales = cached_sales(book, settings, SalesCache() if use_cache else None)
    clean, data_quality = clean_transactions(sales)
    return CheckReport(sheets, len(sales), clean["customer_id"].nunique(), data_quality)
