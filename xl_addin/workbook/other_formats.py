"""Inputs the refresh reads but cannot write into: CSV files and .xls, .xlsb and .ods
workbooks. Their tier sheets go to the .xlsx given by ``--out``:

* ``--out`` does not exist: a new workbook holding only the generated sheets (Settings
  included: the settings the run used), written by the same package writer as every refresh,
  starting from an empty package (``NewWorkbookTarget``).
* ``--out`` exists: it is the report workbook, refreshed in place as any .xlsx is
  (``ReportTarget``: only our marked sheets are rebuilt, every other part stays
  byte-identical). The sales come from the input; Settings, our sheets, the previous tiers
  and the customer master from ``--out`` (``ReportSource``). Its other sheets are the user's:
  never read, so a sales-like sheet there does not double the revenue (a note names it).

* ``input_format(path)``: "xlsx" (an Open XML package: refreshed in place as always), "csv"
  (by its extension: a CSV file has no signature), "xls", "xlsb" or "ods" (by content).
* ``open_source``: ``csv_book.CsvSource`` for a CSV file, else ``file_book.FileSource``
  (fastexcel reads .xls, .xlsb and .ods; a Settings sheet in them is read as usual).
* ``check_out``: without ``--out`` a UsageError (exit 2) saying why and giving the fix; an
  ``--out`` that is not .xlsx (a new workbook has no macros: .xlsm would not open) or that is
  the input itself is refused; a read-only ``--out`` as for any refresh (``check_target``).
  An existing ``--out`` that is not a workbook is refused by the reader (exit 4).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from pathlib import Path

from typing import Any, Mapping

import pandas as pd

from ..core.columns import SOURCE_SHEET
from ..errors import InputError, UsageError
from ..refresh import (WORKSHEET, CheckReport, ProgressFn, RefreshOutcome, check, read_settings,
                       refresh)
from ..report.layout import Report, Sheet
from .csv_book import CSV_SUFFIXES, CsvSource
from .file_book import FileSource, FileTarget, check_target
from .ownership import Note, SheetPlan, find_sheet_name, sheet_name_key
from .tables import CUSTOMER_SHEETS, GENERATED_SHEETS, SheetHeader, find_sheet, sales_sheet_names
from .sales_cache import SalesCache
from .xlsx import new_workbook, write_report

FORMAT_NAMES = {
    "csv": "a CSV file",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "xlsb": "an Excel Binary workbook (.xlsb)",
    "ods": "an OpenDocument spreadsheet (.ods)",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def input_format(path: str | Path) -> str:
    """"csv", "xls", "xlsb", "ods", or "xlsx" for an Open XML package and for anything else
    (a missing, damaged or foreign file: the workbook reader refuses it with its own message).
    An OLE file is "xls" here; an encrypted package, OLE too, is refused by the reader."""
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        return "csv"
    try:
        with open(path, "rb") as file:
            head = file.read(8)
            if head == _OLE_MAGIC:
                return "xls"
            if not head.startswith(b"PK"):
                return "xlsx"
            file.seek(0)
            names = set(zipfile.ZipFile(file).namelist())
    except (OSError, zipfile.BadZipFile):
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    return "xlsx"


def open_source(path: str | Path, fmt: str, cache: SalesCache | None = None) -> CsvSource | FileSource:
    """The refresh's Source for ``path`` read as ``fmt`` (``input_format``)."""
    return CsvSource(path) if fmt == "csv" else FileSource(path, cache=cache)


def check_out(path: str | Path, fmt: str, out: str | Path | None, *, force: bool = False) -> Path:
    """The new workbook to write for input ``path`` of format ``fmt``; refused before any work:
    no ``out`` (UsageError, exit 2, with the fix), an ``out`` that is ``path`` itself
    (UsageError), an ``out`` not named .xlsx (InputError with the fix) and a read-only ``out``
    unless ``force`` (WorkbookError)."""
    path = Path(path)
    what = FORMAT_NAMES.get(fmt, fmt)
    if out is None:
        raise UsageError(
            f"'{path.name}' is {what}: the refresh cannot write its sheets into that format, "
            "so it writes them to a new workbook. Add --out with an .xlsx name, for example: "
            "--out tiers.xlsx")
    out = Path(out)
    if out.exists() and os.path.samefile(path, out):
        raise UsageError(
            f"--out '{out}' is the input itself: the new workbook holds only the tier sheets, "
            "so it would replace your data. Give another name, for example: --out tiers.xlsx")
    if out.suffix.lower() != ".xlsx":
        raise InputError(
            f"the tier sheets of '{path.name}' go to a new workbook without macros, which Excel "
            f"opens only as .xlsx, not as '{out.name}'",
            hint=f"Use --out {out.with_suffix('.xlsx').name}.")
    # a read-only --out: the rule of every refresh. Checked as the source of itself, so the
    # input's package (an .xlsb may hold VBA) has no say in the extension: the new workbook
    # has no macros whatever the input held.
    check_target(out, out, force=force)
    return out


class NewWorkbookTarget:
    """A new .xlsx at ``out`` as the refresh's Target: only the generated sheets, in the
    refresh's order. ``out`` None: for ``check``."""

    def __init__(self, out: str | Path | None) -> None:
        self.out = Path(out) if out is not None else None

    def sheet_names(self) -> list[str]:
        return []  # holds none of the source's sheets: ours are placed as in an empty workbook

    def owned_sheets(self) -> dict[str, str]:
        return {}

    def user_objects(self, name: str, sheet: Sheet) -> list[str]:
        return []

    def write(self, report: Report, plan: SheetPlan) -> None:
        if self.out is None:
            raise UsageError("no --out workbook to write to")
        with tempfile.TemporaryDirectory(prefix="customer-tiers-") as folder:
            start = new_workbook(Path(folder) / "new.xlsx", sheet_name=None)
            write_report(start, report, self.out, plan)


class ReportTarget(FileTarget):
    """The report workbook ``--out``, refreshed in place (``FileTarget``): our sheets are
    placed among its sheets, not among the input's."""

    def __init__(self, path: str | Path, sheet_names: list[str]) -> None:
        super().__init__(path)
        self._sheet_names = list(sheet_names)

    def sheet_names(self) -> list[str]:
        return list(self._sheet_names)


class ReportSource:
    """The input's sheets (the sales) with the report workbook's sheets the refresh owns or
    looks up by name, as one Source for ``read_workbook``, whose rules run unchanged:

    * from the report: the sheets carrying our mark, the sheets under one of our names
      (Settings, a 0.1 sheet; never sales by the reader's rule) and the customer master
      (named in its Settings, else Customers / 客户). Its other sheets are the user's: not
      read, so a sales-like one there is not added to the input's sales (``notes``).
    * from the input: every sheet, first. One whose name a sheet of the report also has
      (Excel compares names ignoring case) is read as "[sales.csv]Sales", Excel's name for a
      sheet of another workbook: Data quality rows and notes never point into the report's
      sheet, and the report's wins where the reader looks by name (Settings, customer
      master); an input sales sheet still counts by its header.
    """

    def __init__(self, sales: CsvSource | FileSource, report: FileSource) -> None:
        self.sales, self.report = sales, report
        report_names = report.sheet_names()
        owned = report.owned_sheets()
        settings = read_settings(report)
        ours = {sheet_name_key(n) for n in GENERATED_SHEETS}
        masters = CUSTOMER_SHEETS + ((settings.customers_sheet,) if settings.customers_sheet else ())
        looked_up = {find_sheet(report_names, m) for m in masters} - {None}
        kept = [n for n in report_names
                if n in owned or sheet_name_key(n.strip()) in ours or n in looked_up]
        self._sheets: dict[str, tuple[CsvSource | FileSource, str]] = {}
        for name in sales.sheet_names():
            taken = find_sheet_name(report_names, name) is not None
            shown = f"[{sales.path.name}]{name}" if taken else name
            self._sheets[shown] = (sales, name)
        self._sheets.update((name, (report, name)) for name in kept)
        # the report's own sales tabs, as an in-place refresh of it would find them: not read
        others = [n for n in report_names if n not in kept and report.sheet_kind(n) == WORKSHEET]
        detect = settings.replace(sales_sheets=(), customers_sheet="")  # by name or header
        self._ignored = sales_sheet_names(others, report.header, detect)

    def __enter__(self) -> ReportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def notes(self) -> list[Note]:
        """How the input was read; the report's sales-like sheets that were not."""
        notes = list(getattr(self.sales, "notes", list)())
        return notes + [Note.of("report_sales_ignored", sheet=name, report=self.report.path.name,
                                file=self.sales.path.name) for name in self._ignored]

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def sheet_kind(self, name: str) -> str:
        source, real = self._sheets[name]
        return source.sheet_kind(real)

    def owned_sheets(self) -> dict[str, str]:
        return {name: key for name, key in self.report.owned_sheets().items() if name in self._sheets}

    def hidden_sheets(self) -> set[str]:
        hidden = {(id(s), n) for s in (self.sales, self.report) for n in s.hidden_sheets()}
        return {shown for shown, (s, real) in self._sheets.items() if (id(s), real) in hidden}

    def date1904(self) -> bool:
        # asked for the Settings sheet, which is the report's; each input sheet's cells are
        # read in the input's own date system by its Source
        return self.report.date1904()

    def header(self, name: str) -> SheetHeader:
        source, real = self._sheets[name]
        return source.header(real)

    def rows(self, name: str) -> list[list[Any]]:
        source, real = self._sheets[name]
        return source.rows(real)

    def columns(self, name: str, header: SheetHeader, fields: Mapping[str, int],
                extras: Mapping[int, str] | None = None) -> pd.DataFrame:
        source, real = self._sheets[name]
        frame = source.columns(real, header, fields, extras)
        if real != name and SOURCE_SHEET in frame.columns:  # Data quality names the shown sheet
            frame = frame.copy()
            frame[SOURCE_SHEET] = pd.Categorical([name] * len(frame), categories=[name])
        return frame


def refresh_to_xlsx(
    path: str | Path, fmt: str, *, out: str | Path | None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False,
    progress: ProgressFn = lambda step: None, use_cache: bool = True,
) -> RefreshOutcome:
    """Read ``path`` (format ``fmt``) and write its tier sheets to ``out``: a new workbook, or
    the existing report workbook refreshed in place (module docstring; ``check_out`` for
    what is refused). A missing or unreadable input is a WorkbookError (exit 4) before
    anything about ``out``; an existing ``out`` that is not a workbook is one too."""
    cache = SalesCache() if use_cache else None
    with open_source(path, fmt, cache) as source:
        out = check_out(path, fmt, out, force=force)
        if not out.exists():
            return refresh(source, NewWorkbookTarget(out), as_of=as_of, language=language,
                           force=force, progress=progress)
        with FileSource(out, cache=cache) as report:
            return refresh(ReportSource(source, report), ReportTarget(out, report.sheet_names()),
                           as_of=as_of, language=language, force=force, progress=progress)


def check_other_format(path: str | Path, fmt: str, *, force: bool = False,
                       use_cache: bool = True) -> CheckReport:
    """``check`` of a CSV, .xls, .xlsb or .ods file: the reading and checks of a refresh to a
    new workbook."""
    with open_source(path, fmt, SalesCache() if use_cache else None) as source:
        return check(source, NewWorkbookTarget(None), force=force)
