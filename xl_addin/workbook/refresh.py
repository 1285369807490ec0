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
from ..core.result import TierResult, notes_frame
from ..report.layout import build_report
from .read import SalesBook
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
) -> TierResult:
    """Refresh ``path`` in place (or write the refreshed copy to ``out``); return the result.

    Nothing is written when reading or computing fails, and the write itself is atomic.
    """
    progress("Reading sales tabs")
    with SalesBook.open(path) as book:
        settings = book.settings()
        if language:
            settings = settings.replace(language=language)
        sales = book.sales(settings)
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
    notes: pd.DataFrame | None = None  # core.columns.NOTE_COLUMNS


def check_workbook(path: str | Path) -> CheckReport:
    """Validate ``path``'s sales tabs without writing anything."""
    with SalesBook.open(path) as book:
        settings = book.settings()
        sheets = tuple(book.sales_sheet_names(settings))
        sales = book.sales(settings)
    # the same value rules and dates as a refresh (tier_customers), so the same rows
    clean, data_quality = clean_transactions(
        sales, date_order=settings.date_order, decimal_separator=settings.decimal_separator,
        as_of=settings.as_of, today=dt.date.today())
    notes = notes_frame([*sales.attrs.get("notes", ()), *clean.attrs.get("notes", ())])
    return CheckReport(sheets, len(sales), clean["customer_id"].nunique(), data_quality, notes)
