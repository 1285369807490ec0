"""Reading big sales sheets from a live Excel: from the saved file when it is current, else over
COM in row slices with progress.

Reading a million cells over COM (``used_range.value``) is far slower than parsing the saved
file, so the ribbon should:

1. ``saved_file(book)``: when the workbook is saved and unmodified on disk, read it from that
   file with the headless refresh's file adapter (``workbook.file_book.FileSource``, with the
   same sales cache as ``customer-tiers refresh``; ``ribbon.source_of``);
2. otherwise ``read_used_range(sheet, progress=...)``: the used range in slices of
   ``CHUNK_ROWS`` rows, one COM call each, reporting "reading sales: 400,000 of 1,048,575
   rows" after each slice.

Either way the one refresh (``xl_addin.refresh``) detects and assembles the sales the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import xlwings as xw

CHUNK_ROWS = 100_000  # rows per COM call: ~1 s each for 10 columns, so progress moves
FILE_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls")  # what the file reader reads

RowsProgress = Callable[[int, int], None]  # (rows read so far, rows in all)


def progress_text(what: str, done: int, total: int) -> str:
    """'reading sales: 400,000 of 1,048,575 rows'."""
    return f"reading {what}: {done:,} of {total:,} rows"


def saved_file(book: xw.Book) -> Path | None:
    """The workbook's file when it holds what Excel shows: Excel reports it saved
    (``Workbook.Saved``: no change since the last save) and its full name is a file on this
    machine in a format the file reader reads. None for a new, unsaved or modified book, or one
    opened from a web address (OneDrive / SharePoint)."""
    try:
        if not bool(book.api.Saved):
            return None
        fullname = str(book.fullname)
    except Exception:  # a COM error: read over COM, the safe way
        return None
    if "://" in fullname:
        return None
    path = Path(fullname)
    if path.suffix.lower() not in FILE_SUFFIXES or not path.is_file():
        return None
    return path


def read_used_range(
    sheet: xw.Sheet, *, chunk_rows: int = CHUNK_ROWS, progress: RowsProgress | None = None,
) -> tuple[list[list[Any]], int]:
    """(rows of the used range's values, padded from column A; Excel row of the first) read
    in slices of ``chunk_rows`` rows: one COM call per slice. ``progress(done, total)`` after
    each slice. The same rows as ``used_range.options(ndim=2).value`` in one call."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    used = sheet.used_range
    first_row, first_column = used.row, used.column
    total, width = used.shape
    rows: list[list[Any]] = []
    if total <= chunk_rows:
        rows = used.options(ndim=2).value or []
        if progress:
            progress(total, total)
    else:
        last_column = first_column + width - 1
        for start in range(0, total, chunk_rows):
            stop = min(start + chunk_rows, total)
            block = sheet.range((first_row + start, first_column), (first_row + stop - 1, last_column))
            rows.extend(block.options(ndim=2).value or [])
            if progress:
                progress(stop, total)
    pad = [None] * (first_column - 1)  # the used range may start right of column A
    return ([pad + list(row) for row in rows] if pad else rows), first_row
