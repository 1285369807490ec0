"""Ribbon callbacks, run by the template's VBA through xlwings' RunPython:

    RunPython "import xl_addin.excel.ribbon as r; r.refresh_tiers()"

Each callback works on ``xw.Book.caller()``. It reads and computes everything first (sales tabs,
customer master, Settings sheet -> core -> Report) and only then writes, so a failure leaves the
workbook unchanged. Progress goes to the status bar; a CustomerTiersError becomes a message box
(``ribbon_action``, the one translation point); any other exception is shown too and re-raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pandas as pd
import xlwings as xw

from ..core import columns as col
from ..core.pipeline import tier_customers
from ..errors import CustomerTiersError, InputError
from ..report.labels import OWNED_SHEET_NAMES, SHEET_NAMES
from ..report.layout import Report, build_report
from ..report.settings_sheet import parse_settings_rows, settings_rows
from ..settings import DEFAULT_SETTINGS, Settings
from ..workbook.headers import match_headers
from . import writer

TITLE = "Customer Tiers"
SETTINGS_NAMES = SHEET_NAMES["settings"]
CUSTOMER_SHEET_NAMES = ("Customers", "客户")
NOT_DATA_SHEETS = frozenset({"xlwings.conf", "_xlwings.conf"}) | OWNED_SHEET_NAMES


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
    """Read the book and compute the Report; nothing is written."""
    status(book, "reading settings")
    settings = read_settings(book)
    status(book, "reading sales data")
    transactions = read_sales(book, settings)
    master = read_customers(book, settings)
    status(book, f"tiering ({len(transactions):,} sale lines)")
    result = tier_customers(transactions, settings, customers=master)
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


# -- reading the live book -----------------------------------------------------------------

def find_sheet(book: xw.Book, names: tuple[str, ...] | list[str]) -> xw.Sheet | None:
    wanted = {name.casefold() for name in names}
    for sheet in book.sheets:
        if sheet.name.casefold() in wanted:
            return sheet
    return None


def sheet_rows(sheet: xw.Sheet) -> list[list[Any]]:
    """The used range of ``sheet`` as a list of rows, read in one call."""
    return sheet.used_range.options(ndim=2).value or []


def read_settings(book: xw.Book) -> Settings:
    """Settings from the Settings / 设置 sheet, or the defaults when there is none."""
    sheet = find_sheet(book, SETTINGS_NAMES)
    if sheet is None:
        return DEFAULT_SETTINGS
    return parse_settings_rows(sheet_rows(sheet), sheet=sheet.name)


def read_sales(book: xw.Book, settings: Settings) -> pd.DataFrame:
    """Raw sale lines of every sales tab, canonical column names, with source sheet and row.

    Sales tabs: ``settings.sales_sheets`` when given, else every sheet whose header row has
    the required columns (matched by ``workbook.headers.match_headers``, English / 中文)."""
    column_map = settings.column_map
    frames = []
    named = set(settings.sales_sheets)
    for sheet in book.sheets:
        if named and sheet.name not in named:
            continue
        if not named and (sheet.name in NOT_DATA_SHEETS or sheet.name in CUSTOMER_SHEET_NAMES
                          or sheet.name == settings.customers_sheet):
            continue
        frame = _table(sheet, column_map, required=bool(named))
        if frame is not None and all(c in frame for c in col.REQUIRED_TRANSACTION_COLUMNS):
            frames.append(frame)
    if not frames:
        raise InputError(
            "no sales sheet found: no sheet has customer, date and amount columns",
            hint="Name the headers (e.g. Customer, Date, Amount / 客户, 日期, 金额) or list the "
                 "sheets under sales_sheets in Settings.",
        )
    return pd.concat(frames, ignore_index=True)


def read_customers(book: xw.Book, settings: Settings) -> pd.DataFrame | None:
    """The customer master (settings.customers_sheet, else Customers / 客户), or None."""
    names = (settings.customers_sheet,) if settings.customers_sheet else CUSTOMER_SHEET_NAMES
    sheet = find_sheet(book, names)
    if sheet is None:
        return None
    return _table(sheet, settings.column_map, required=False)


def _table(sheet: xw.Sheet, column_map: tuple[tuple[str, str], ...], required: bool) -> pd.DataFrame | None:
    """The matched columns of ``sheet`` (header in the used range's first row) as a raw frame
    with ``source_sheet`` / ``source_row`` (1-based Excel rows)."""
    used = sheet.used_range
    rows = used.options(ndim=2).value or []
    if len(rows) < 1:
        return None
    try:
        fields = match_headers(rows[0], column_map)
    except InputError:
        if required:
            raise
        return None
    if not fields:
        return None
    body = rows[1:]
    frame = pd.DataFrame({field: pd.Series([row[i] for row in body], dtype=object)
                          for field, i in fields.items()})
    first_row = used.row + 1
    frame[col.SOURCE_SHEET] = sheet.name
    frame[col.SOURCE_ROW] = range(first_row, first_row + len(body))
    return frame
