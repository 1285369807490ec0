"""Ribbon callbacks, run by the template's VBA through xlwings' RunPython:

    RunPython "import xl_addin.excel.ribbon as r; r.refresh_tiers()"

Each callback runs the one refresh (``xl_addin.refresh``) on ``xw.Book.caller()`` with the
live adapters (``excel.live``): it reads and computes everything first and only then writes,
so a failure while reading or computing leaves the workbook unchanged. Which sheets are ours,
sales detection, collisions and notes are decided there, exactly as for a file. Progress goes
to the status bar; a CustomerTiersError becomes a message box (``ribbon_action``, the one
translation point); any other exception is shown too and re-raised. When a refresh would
remove what the user added to a generated sheet, a Yes/No box names it and Yes proceeds.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import xlwings as xw

from ..errors import CustomerTiersError, WouldRemoveError
from ..refresh import RefreshOutcome, refresh
from ..report.labels import SHEET_NAMES
from ..report.settings_sheet import settings_rows
from ..settings import DEFAULT_SETTINGS
from ..workbook.ownership import find_sheet_name, next_free_name
from ..workbook.file_book import FileSource
from ..workbook.prepared_cache import PreparedCache
from ..workbook.sales_cache import SalesCache
from .live import LiveSource, LiveTarget
from .live_read import saved_file
from .writer import mark_sheet, owned_sheets

TITLE = "Customer Tiers"
SETTINGS_NAMES = SHEET_NAMES["settings"]


def refresh_tiers() -> None:
    """Ribbon "Refresh tiers": every generated sheet and the Pareto chart."""
    with ribbon_action("Refresh tiers") as book:
        run_refresh(book, "Refresh tiers")


def rebuild_pareto() -> None:
    """Ribbon "Pareto chart": only the Pareto sheet (its table and chart)."""
    with ribbon_action("Pareto chart") as book:
        run_refresh(book, "Pareto chart", keys=("pareto",))


def check_data() -> None:
    """Ribbon "Check data": only the Data quality sheet (rows left out and why)."""
    with ribbon_action("Check data") as book:
        run_refresh(book, "Check data", keys=("data_quality",))


def run_refresh(book: xw.Book, title: str, keys: Sequence[str] | None = None) -> RefreshOutcome:
    """The one refresh with the live adapters, screen updating off while writing. When it
    would remove the user's objects from a generated sheet, ask; Yes proceeds (force)."""
    app = book.app
    app.screen_updating = False
    try:
        progress = lambda text: status(book, text.lower())  # noqa: E731
        target = LiveTarget(book, progress=lambda text: status(book, f"writing {text}"))
        with source_of(book, progress) as source:
            try:
                return refresh(source, target, keys=keys, progress=progress)
            except WouldRemoveError as error:
                answer = app.alert(f"{error}\n\nProceed and remove them?",
                                   title=f"{TITLE}: {title}", buttons="yes_no", mode="critical")
                if answer != "yes":
                    raise
                return refresh(source, target, keys=keys, force=True, progress=progress)
    finally:
        app.screen_updating = True


@contextmanager
def source_of(book: xw.Book, progress) -> Iterator[LiveSource | FileSource]:
    """Where the refresh reads: the saved file, with the headless reader and its caches,
    when it holds what Excel shows (``live_read.saved_file``: far faster than reading a big
    sheet over COM); else the open book over COM, in row slices with progress."""
    path = saved_file(book)
    if path is None:
        yield LiveSource(book, progress=progress)
        return
    with FileSource(path, cache=SalesCache(), prepared=PreparedCache()) as source:
        yield source


def show_settings() -> None:
    """Ribbon "Settings": activate the Settings sheet, creating (and marking) it with the
    defaults when the book has none of ours; a user's sheet of that name is left alone."""
    with ribbon_action("Settings") as book:
        sheet = settings_sheet(book)
        if sheet is None:
            rows = settings_rows(DEFAULT_SETTINGS, DEFAULT_SETTINGS.language)
            width = max(len(row) for row in rows)
            name = next_free_name(SETTINGS_NAMES[0], [s.name for s in book.sheets])
            sheet = book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])
            sheet.range((1, 1)).value = [list(row) + [None] * (width - len(row)) for row in rows]
            sheet.range((1, 1)).resize(1, width).font.bold = True
            mark_sheet(sheet, "settings")
        sheet.activate()


def settings_sheet(book: xw.Book) -> xw.Sheet | None:
    """The Settings sheet the refresh reads: ours (marked), else a Settings / 设置 sheet."""
    owned = owned_sheets(book)
    name = next((n for n, k in owned.items() if k == "settings"), None)
    names = [s.name for s in book.sheets]
    if name is None:
        name = next((found for n in SETTINGS_NAMES
                     if (found := find_sheet_name(names, n)) is not None), None)
    return None if name is None else book.sheets[name]


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


def status(book: xw.Book, text: str) -> None:
    book.app.status_bar = f"{TITLE}: {text}"
