"""Headless refresh and check of a workbook file: the one refresh (``xl_addin.refresh``) with the
file adapters (``file_book.FileSource`` / ``FileTarget``). The ribbon runs the same refresh
with the live-Excel adapters.

The shortcuts ``read_sales``, ``read_customers``, ``read_settings``, ``read_previous_tiers``
and ``find_sales_sheets`` open a file and return one part of what that refresh reads
(``refresh.read_workbook``), so they can never disagree with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..core.result import TierResult
from ..refresh import (CheckReport, ProgressFn, RefreshOutcome, WorkbookData, check,
                       read_workbook, refresh)
from ..settings import Settings
from .file_book import FileSource, FileTarget, check_target
from .other_formats import check_other_format, input_format, refresh_to_xlsx
from .refresh_records import RefreshRecords
from .prepared_cache import PreparedCache
from .sales_cache import SalesCache

__all__ = ["CheckReport", "check_workbook", "find_sales_sheets", "read_book", "read_customers",
           "read_previous_tiers", "read_sales", "read_settings", "refresh_file",
           "refresh_workbook"]


def _no_progress(step: str) -> None:
    pass


def refresh_file(
    path: str | Path, *, out: str | Path | None = None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False, progress: ProgressFn = _no_progress,
    use_cache: bool = True,
) -> RefreshOutcome:
    """Refresh ``path`` in place (or write the refreshed copy to ``out``). Nothing is written
    when reading or computing fails, or when the user's objects on our sheets would be lost
    (unless ``force``); the write itself is atomic. ``use_cache``: take a sheet's parsed
    columns from the sales cache when the sheet did not change (``sales_cache``), the
    prepared lines of all sales sheets when none changed (``prepared_cache``), and do
    nothing when the file already holds what this refresh would write (``refresh_records``;
    the outcome is ``up_to_date``). Refused before any work (``file_book.check_target``): a
    read-only ``path`` in place, a read-only ``out`` unless ``force``, an ``out`` extension
    that does not match the package. A CSV,
    .xls, .xlsb or .ods ``path`` is read and its sheets go to ``out``: a new workbook, or
    the existing one refreshed in place (``other_formats``; no ``out``: UsageError, exit 2)."""
    fmt = input_format(path)
    if fmt != "xlsx":  # CSV, xls, xlsb, ods: the sheets go to --out (new, or refreshed in place)
        return refresh_to_xlsx(path, fmt, out=out, as_of=as_of, language=language,
                                       force=force, progress=progress, use_cache=use_cache)
    records = RefreshRecords() if use_cache else None
    key = records.key(path, out, as_of=as_of, language=language, force=force) if records else None
    written = out if out is not None else path
    if key is not None:  # a readable package: the checks FileSource makes on opening are passed
        check_target(path, out, force=force)
        recorded = records.get(key, written)
        if recorded is not None:
            result, notes = recorded
            return RefreshOutcome(result, None, None, None, notes, up_to_date=True)
    with _file_source(path, use_cache) as source:
        if key is None:  # checked after the source opens: an unreadable file says so first
            check_target(path, out, force=force)
        with FileTarget(path, out, cache=source.cache) as target:
            outcome = refresh(source, target, as_of=as_of, language=language, force=force,
                              progress=progress)
    if key is not None and outcome.written:
        records.put(key, written, (outcome.result, outcome.notes))
    return outcome


def refresh_workbook(
    path: str | Path, *, out: str | Path | None = None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False, progress: ProgressFn = _no_progress,
    use_cache: bool = True,
) -> TierResult:
    """``refresh_file`` returning only the core's result."""
    return refresh_file(path, out=out, as_of=as_of, language=language, force=force,
                        progress=progress, use_cache=use_cache).result


def check_workbook(path: str | Path, *, force: bool = False, use_cache: bool = True) -> CheckReport:
    """Validate ``path`` exactly as a refresh (with ``force``) would, writing nothing to it
    (the sales cache may keep the parsed sheets)."""
    fmt = input_format(path)
    if fmt != "xlsx":
        return check_other_format(path, fmt, force=force, use_cache=use_cache)
    with _file_source(path, use_cache) as source:
        with FileTarget(path) as target:
            return check(source, target, force=force)


def _file_source(path: str | Path, use_cache: bool) -> FileSource:
    """``path`` as a Source, with the sales cache and the prepared-lines cache unless
    ``use_cache`` is False (``--no-cache``)."""
    if not use_cache:
        return FileSource(path)
    return FileSource(path, cache=SalesCache(), prepared=PreparedCache())


# -- shortcuts: open a file, read what a refresh reads, close --------------------------------


def read_book(path: str | Path, settings: Settings | None = None) -> WorkbookData:
    """What a refresh of ``path`` reads (``refresh.read_workbook``): settings, sales, customer
    master, previous tiers, the sales sheets used. ``settings``: instead of the workbook's
    Settings sheet. WorkbookError when the file cannot be read; InputError as a refresh would
    (no sales data, a missing column, a bad setting)."""
    with FileSource(path) as source:
        return read_workbook(source, settings=settings)


def read_sales(path: str | Path, settings: Settings | None = None) -> pd.DataFrame:
    """Every sales sheet's rows, raw, in sheet order: canonical columns found plus
    ``source_sheet`` and ``source_row``; ``attrs["notes"]`` the reader's choices,
    ``attrs["headers"]`` (sheet, field) -> "C (Amount)". See ``read_book``."""
    return read_book(path, settings).sales


def read_customers(path: str | Path, settings: Settings | None = None) -> pd.DataFrame | None:
    """The customer master (Settings' ``customers_sheet``, else "Customers" / "客户"), None
    without one. See ``read_book``."""
    return read_book(path, settings).customers


def read_settings(path: str | Path) -> Settings:
    """The workbook's Settings sheet (defaults without one). See ``read_book``."""
    return read_book(path).settings


def read_previous_tiers(path: str | Path) -> pd.DataFrame | None:
    """``customer_id``, ``abc_tier``, ``score_tier`` from the Tiers sheet our last refresh
    wrote (marked as ours); None without one. See ``read_book``."""
    return read_book(path).previous_tiers


def find_sales_sheets(path: str | Path, settings: Settings | None = None) -> list[str]:
    """The sales sheets a refresh of ``path`` reads, in workbook order. See ``read_book``."""
    return list(read_book(path, settings).sales_sheets)
