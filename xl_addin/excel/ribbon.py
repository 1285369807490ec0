"""Ribbon callbacks, run by the template's VBA through xlwings' RunPython:

    RunPython "import xl_addin.excel.ribbon as r; r.refresh_tiers()"

Each callback works on ``xw.Book.caller()``. It reads and computes everything first (sales tabs,
customer master, Settings sheet, the previous Tiers sheet -> core -> Report) and only then
writes, so a failure while reading or computing leaves the workbook unchanged. The sheets and
columns are found by ``workbook.tables``, the file reader's own detection, applied to each
sheet's used-range values (one read per sheet), so the ribbon and the headless refresh tier the
same rows. Progress goes to the status bar; a CustomerTiersError becomes a message box
(``ribbon_action``, the one translation point); any other exception is shown too and re-raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import pandas as pd
import xlwings as xw

from ..core.pipeline import tier_customers
from ..errors import CustomerTiersError
from ..report.labels import SHEET_NAMES
from ..report.layout import Report, build_report
from ..report.settings_sheet import parse_settings_rows, settings_rows
from ..settings import DEFAULT_SETTINGS, Settings
from ..workbook import tables
from . import writer

TITLE = "Customer Tiers"
SETTINGS_NAMES = SHEET_NAMES["settings"]


def refresh_tiers() -> None:
    """Ribbon "Refresh tiers": every generated sheet and the Pareto chart."""
    with ribbon_action("Refresh tiers") as book:
        report = compute_report(book)
        write(book, report)


def rebuild_pareto() -> None:
    """Ribbon "Pareto chart": only the Pareto sheet (its table and chart)."""
    with ribbon_action("Pareto chart") as book:
        report = compute_report(book)
        write(book, only(report, "pareto"))


def check_data() -> None:
    """Ribbon "Check data": only the Data quality sheet (rows left out and why)."""
    with ribbon_action("Check data") as book:
        report = compute_report(book)
        write(book, only(report, "data_quality"))


def show_settings() -> None:
    """Ribbon "Settings": activate the Settings sheet, creating it with the defaults."""
    with ribbon_action("Settings") as book:
        sheet = find_sheet(book, SETTINGS_NAMES)
        if sheet is None:
            rows = settings_rows(DEFAULT_SETTINGS, DEFAULT_SETTINGS.language)
            width = max(len(row) for row in rows)
            sheet = book.sheets.add(name=SETTINGS_NAMES[0], after=book.sheets[len(book.sheets) - 1])
            sheet.range((1, 1)).value = [list(row) + [None] * (width - len(row)) for row in rows]
            sheet.range((1, 1)).resize(1, width).font.bold = True
        sheet.activate()


@contextmanager
def ribbon_action(title: str) -> Iterator[xw.Book]:
    """The calling book; errors become a message box, the status bar is handed back to Excel."""
    book = xw.Book.caller()
    app = book.app
    app.status_bar = f"{TITLE}: {title}..."
    try:
        yield book
    except CustomerTiersError as error:
        app.alert(str(error), title=f"{TITLE}: {title}", buttons="ok", mode="critical")
    except Exception as error:
        app.alert(f"Unexpected error ({type(error).__name__}): {error}", title=f"{TITLE}: {title}",
                  buttons="ok", mode="critical")
        raise
    finally:
        app.status_bar = False


def compute_report(book: xw.Book) -> Report:
    """Read the book and compute the Report, as the headless refresh does; nothing is written."""
    sheets = LiveSheets(book)
    status(book, "reading settings")
    settings = read_settings(book, sheets)
    status(book, "reading sales data")
    transactions = read_sales(book, settings, sheets)
    master = read_customers(book, settings, sheets)
    previous = read_previous_tiers(book, sheets)
    status(book, f"tiering ({len(transactions):,} sale lines)")
    result = tier_customers(transactions, settings, customers=master, previous_tiers=previous)
    return build_report(result, settings.language)


def write(book: xw.Book, report: Report) -> None:
    """Write ``report`` with screen updating off; the status bar shows each sheet."""
    app = book.app
    app.screen_updating = False
    try:
        writer.write_report(book, report, progress=lambda text: status(book, f"writing {text}"))
    finally:
        app.screen_updating = True


def only(report: Report, key: str) -> Report:
    return Report(language=report.language, sheets=(report.sheet(key),), owned_names=report.owned_names)


def status(book: xw.Book, text: str) -> None:
    book.app.status_bar = f"{TITLE}: {text}"


# -- reading the live book: the file reader's detection (workbook.tables) on live values ---

def find_sheet(book: xw.Book, names: Sequence[str]) -> xw.Sheet | None:
    """The first of ``names`` in ``book`` (exact, else ignoring case), or None."""
    name = tables.first_sheet(sheet_names(book), names)
    return None if name is None else book.sheets[name]


def sheet_names(book: xw.Book) -> list[str]:
    return [sheet.name for sheet in book.sheets]


class LiveSheets:
    """The used-range values of a live book's sheets, each read once (one call per sheet)."""

    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.names = sheet_names(book)
        self._values: dict[str, tuple[list[list[Any]], int]] = {}

    def values(self, name: str) -> tuple[list[list[Any]], int]:
        """(rows of cell values from column A, Excel row of the first of them)."""
        if name not in self._values:
            used = self.book.sheets[name].used_range
            rows = used.options(ndim=2).value or []
            pad = [None] * (used.column - 1)  # the used range may start right of column A
            self._values[name] = ([pad + list(row) for row in rows] if pad else rows, used.row)
        return self._values[name]

    def header(self, name: str) -> tables.SheetHeader:
        return tables.first_header(*self.values(name))


def read_settings(book: xw.Book, sheets: LiveSheets | None = None) -> Settings:
    """Settings from the Settings / 设置 sheet, or the defaults when there is none."""
    sheets = sheets or LiveSheets(book)
    name = tables.first_sheet(sheets.names, tables.SETTINGS_SHEETS)
    if name is None:
        return DEFAULT_SETTINGS
    rows, first_row = sheets.values(name)
    if not rows:
        return DEFAULT_SETTINGS
    # parse_settings_rows counts rows from row 1, as Excel shows them
    return parse_settings_rows([[] for _ in range(first_row - 1)] + rows, sheet=name)


def read_sales(book: xw.Book, settings: Settings, sheets: LiveSheets | None = None) -> pd.DataFrame:
    """Raw sale lines of every sales sheet, canonical columns plus ``source_sheet`` /
    ``source_row``: the sheets and columns the file reader would pick (``workbook.tables``)."""
    sheets = sheets or LiveSheets(book)
    names = tables.sales_sheet_names(sheets.names, sheets.header, settings)
    frames, used, notes = [], [], []
    for name in names:
        rows, first_row = sheets.values(name)
        frame, sheet_notes = tables.sales_from_values(name, rows, settings, first_row)
        notes.extend(sheet_notes)
        if frame is not None:
            frames.append(frame)
            used.append(name)
    if not frames:
        raise tables.no_sales_error()
    sales = tables.combine(frames, used)
    sales.attrs["notes"] = tuple(notes)
    return sales


def read_customers(book: xw.Book, settings: Settings, sheets: LiveSheets | None = None) -> pd.DataFrame | None:
    """The customer master (settings.customers_sheet, else Customers / 客户), or None."""
    sheets = sheets or LiveSheets(book)
    name = tables.customers_sheet_name(sheets.names, settings)
    if name is None:
        return None
    rows, first_row = sheets.values(name)
    return tables.customers_from_values(name, rows, settings, first_row)


def read_previous_tiers(book: xw.Book, sheets: LiveSheets | None = None) -> pd.DataFrame | None:
    """Customer id, ABC tier and score tier from the Tiers / 客户分级 sheet of the last refresh."""
    sheets = sheets or LiveSheets(book)
    name = tables.first_sheet(sheets.names, tables.TIERS_SHEETS)
    if name is None:
        return None
    return tables.previous_tiers_from_values(*sheets.values(name))
