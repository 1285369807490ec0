"""The refresh's live-Excel adapters (``xl_addin.refresh``): ``LiveSource`` reads an open book's
sheets (one used-range read per sheet), ``LiveTarget`` writes the planned sheets with the
live writer (``writer.write_report``). Only xlwings; no rule of which sheet is what lives here."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pandas as pd
import xlwings as xw

from ..report.layout import Report, Sheet
from ..workbook import tables
from ..workbook.ownership import SheetPlan
from . import writer
from .live_read import progress_text, read_used_range


class LiveSource:
    """An open book as the refresh's Source. Each sheet's used range is read once, in row
    slices (``live_read.read_used_range``); ``progress`` gets "reading Sales: 400,000 of
    1,048,575 rows" after each slice."""

    def __init__(self, book: xw.Book, progress: Callable[[str], None] | None = None) -> None:
        self.book = book
        self._progress = progress
        self._names = [sheet.name for sheet in book.sheets]
        self._values: dict[str, tuple[list[list[Any]], int]] = {}

    def sheet_names(self) -> list[str]:
        return list(self._names)

    def sheet_kind(self, name: str) -> str:
        return "worksheet"  # book.sheets holds worksheets only

    def owned_sheets(self) -> dict[str, str]:
        return writer.owned_sheets(self.book)

    def hidden_sheets(self) -> set[str]:
        # Sheet.visible is False for hidden and very hidden sheets
        return {sheet.name for sheet in self.book.sheets if sheet.visible is False}

    def date1904(self) -> bool:
        # Workbook.Date1904 of Excel's object model (Windows); elsewhere the 1900 system
        return getattr(self.book.api, "Date1904", False) is True

    def values(self, name: str) -> tuple[list[list[Any]], int]:
        """(rows of cell values from column A, Excel row of the first of them)."""
        if name not in self._values:
            report = self._progress
            self._values[name] = read_used_range(
                self.book.sheets[name],
                progress=(lambda done, total: report(progress_text(name, done, total))) if report else None)
        return self._values[name]

    def header(self, name: str) -> tables.SheetHeader:
        return tables.first_header(*self.values(name))

    def rows(self, name: str) -> list[list[Any]]:
        rows, first_row = self.values(name)
        return [[] for _ in range(first_row - 1)] + [list(r) for r in rows] if rows else []

    def columns(self, name: str, header: tables.SheetHeader, fields: Mapping[str, int],
                extras: Mapping[int, str] | None = None) -> pd.DataFrame:
        rows, first_row = self.values(name)
        body = rows[header.row - first_row + 1:]
        return tables.values_frame(name, header, body, dict(fields), dict(extras) if extras else None)


class LiveTarget:
    """An open book as the refresh's Target; ``progress`` gets each sheet written."""

    def __init__(self, book: xw.Book, progress: Callable[[str], None] | None = None) -> None:
        self.book = book
        self.progress = progress

    def owned_sheets(self) -> dict[str, str]:
        return writer.owned_sheets(self.book)

    def user_objects(self, name: str, sheet: Sheet) -> list[str]:
        return writer.user_objects(self.book.sheets[name], sheet)

    def write(self, report: Report, plan: SheetPlan) -> None:
        writer.write_report(self.book, report, plan, progress=self.progress)
