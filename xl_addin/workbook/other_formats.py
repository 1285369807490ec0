"""Inputs the refresh reads but cannot write into: CSV files and .xls, .xlsb and .ods
workbooks. Their tier sheets go to a new workbook given by ``--out`` (an .xlsx holding only
the generated sheets, Settings included: the settings the run used), written by the same
package writer as every refresh, starting from an empty package.

* ``input_format(path)``: "xlsx" (an Open XML package: refreshed in place as always), "csv"
  (by its extension: a CSV file has no signature), "xls", "xlsb" or "ods" (by content).
* ``open_source``: ``csv_book.CsvSource`` for a CSV file, else ``file_book.FileSource``
  (fastexcel reads .xls, .xlsb and .ods; a Settings sheet in them is read as usual).
* ``NewWorkbookTarget``: the refresh's Target for the new workbook. It holds none of the
  source's sheets, so the refresh places every generated sheet under its own name.
* ``check_out``: without ``--out`` a UsageError (exit 2) saying why and giving the fix; an
  ``--out`` that is not .xlsx (a new workbook has no macros: .xlsm would not open) or that is
  the input itself is refused; a read-only ``--out`` as for any refresh (``check_target``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from pathlib import Path

from ..errors import InputError, UsageError
from ..refresh import CheckReport, ProgressFn, RefreshOutcome, check, refresh
from ..report.layout import Report, Sheet
from .csv_book import CSV_SUFFIXES, CsvSource
from .file_book import FileSource, check_target
from .ownership import SheetPlan
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
    """A new .xlsx at ``out`` (replaced atomically when it exists) as the refresh's Target:
    only the generated sheets, in the refresh's order. ``out`` None: for ``check``."""

    new_workbook = True  # holds none of the source's sheets (read by ``refresh.refresh``)

    def __init__(self, out: str | Path | None) -> None:
        self.out = Path(out) if out is not None else None

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


def refresh_to_new_workbook(
    path: str | Path, fmt: str, *, out: str | Path | None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False,
    progress: ProgressFn = lambda step: None, use_cache: bool = True,
) -> RefreshOutcome:
    """Read ``path`` (format ``fmt``) and write its tier sheets to the new workbook ``out``
    (see ``check_out`` for what is refused). A missing or unreadable input is a WorkbookError
    (exit 4) before anything about ``out``."""
    with open_source(path, fmt, SalesCache() if use_cache else None) as source:
        out = check_out(path, fmt, out, force=force)
        return refresh(source, NewWorkbookTarget(out), as_of=as_of, language=language,
                       force=force, progress=progress)


def check_other_format(path: str | Path, fmt: str, *, force: bool = False,
                       use_cache: bool = True) -> CheckReport:
    """``check`` of a CSV, .xls, .xlsb or .ods file: the reading and checks of a refresh to a
    new workbook."""
    with open_source(path, fmt, SalesCache() if use_cache else None) as source:
        return check(source, NewWorkbookTarget(None), force=force)
