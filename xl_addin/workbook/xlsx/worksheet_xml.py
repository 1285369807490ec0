"""Worksheet part XML for one generated sheet, streamed in chunks of rows.

Conventions: text is an inline string (``t="inlineStr"``), so sharedStrings.xml is never
touched and text starting with = + - @ stays text (no ``<f>`` is ever written); numbers are
``<v>`` in shortest round-trip form; dates are serial numbers (1900 or 1904 date system) with a
date format; None, NaN, NaT and infinities are empty cells. Characters XML 1.0 cannot hold are
written as ``_xHHHH_`` (ECMA-376 Part 1, 22.9.2.19), and a literal ``_xHHHH_`` in the data is
escaped as ``_x005F_xHHHH_`` so readers show it unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ...report.layout import Block, Sheet, column_letter
from .styles import StyleBook

HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
PAGE_MARGINS = ('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/>')

_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "_x000D_"}
_ESCAPES.update({c: f"_x{c:04X}_" for c in range(32) if c not in (9, 10, 13)})
_ESCAPES.update({0xFFFE: "_xFFFE_", 0xFFFF: "_xFFFF_"})
_ESCAPES.update({c: "\ufffd" for c in range(0xD800, 0xE000)})  # lone surrogates
_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x")

EPOCH_1900 = pd.Timestamp("1899-12-30")
EPOCH_1904 = pd.Timestamp("1904-01-01")
_DAY_NS = 86_400 * 10**9


def escape_text(text: str) -> str:
    """Cell text as XML character data (see the module docstring)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    return text.translate(_ESCAPES)


def _t(text: str) -> str:
    """<t> with xml:space="preserve" only where whitespace would otherwise be lost."""
    if text != text.strip() or "\n" in text or "\t" in text:
        return f'<t xml:space="preserve">{escape_text(text)}</t>'
    return f"<t>{escape_text(text)}</t>"


def text_cell(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is>{_t(text)}</is></c>'


def number_cell(ref: str, value: float | int, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def date_serials(values: pd.Series, date1904: bool = False) -> np.ndarray:
    """Excel serial day numbers (float, NaN for NaT) of datetime-like ``values``."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    nanos = (stamps - epoch).to_numpy(dtype="timedelta64[ns]").astype("int64").astype(float)
    nanos[stamps.isna().to_numpy()] = np.nan
    return nanos / _DAY_NS


class CellStyles:
    """The style index of every cell kind of one block."""

    def __init__(self, block: Block, book: StyleBook) -> None:
        self.title = book.style("title")
        self.header = book.style("header")
        self.columns = [book.style("cell", fmt) for fmt in block.formats]
        self.date = book.style("cell", "date")
        self.tiers = {t: book.style("tier", block.formats[block.tier_column], t)
                      for t in ("A", "B", "C", "D")} if block.tier_column is not None else {}


def _scalar_cell(ref: str, value: Any, style: int, date_style: int, date1904: bool) -> str:
    """One cell of any Python value (object columns). Empty string = no cell."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return text_cell(ref, value, style)
    if kind is bool or kind is np.bool_:
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return number_cell(ref, int(value), style)
    if isinstance(value, (float, np.floating)):
        return number_cell(ref, float(value), style) if math.isfinite(value) else ""
    if isinstance(value, (dt.date, np.datetime64)):
        if pd.isna(value):
            return ""
        serial = date_serials(pd.Series([pd.Timestamp(value)]), date1904)[0]
        return number_cell(ref, float(serial), style if style else date_style)
    if pd.isna(value):
        return ""
    return text_cell(ref, str(value), style)


def column_cells(values: pd.Series, letter: str, rows: Sequence[str], style: int,
                 date_style: int, date1904: bool = False,
                 tier_styles: dict[str, int] | None = None) -> list[str]:
    """The cell XML of one column, one string per row ("" = empty cell)."""
    prefix = f'<c r="{letter}'
    kind = values.dtype.kind
    if kind == "M" or isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.Series(date_serials(values, date1904))
        kind, style = "f", (style or date_style)
    if kind in "iuf" and not isinstance(values.dtype, np.dtype):
        values = values.astype("float64") if values.isna().any() else values.to_numpy()
        values = pd.Series(values)
        kind = values.dtype.kind
    if kind in "iu":
        mid = f'" s="{style}"><v>' if style else '"><v>'
        return [f"{prefix}{r}{mid}{v}</v></c>" for r, v in zip(rows, values.tolist())]
    if kind == "f":
        mid = f'" s="{style}"><v>' if style else '"><v>'
        return [f"{prefix}{r}{mid}{v!r}</v></c>" if v - v == 0 else ""
                for r, v in zip(rows, values.tolist())]
    if tier_styles:
        return [_scalar_cell(f"{letter}{r}", v, tier_styles.get(v, style) if isinstance(v, str)
                             else style, date_style, date1904)
                for r, v in zip(rows, values.tolist())]
    values_list = values.tolist()
    try:  # text columns repeat values: escape each distinct string once
        escaped = {v: _t(v) for v in set(values_list) if type(v) is str}
    except TypeError:  # unhashable values: no shortcut
        escaped = None
    if escaped is None:
        return [_scalar_cell(f"{letter}{r}", v, style, date_style, date1904)
                for r, v in zip(rows, values_list)]
    mid = (f'" s="{style}"' if style else '"') + ' t="inlineStr"><is>'
    return [f"{prefix}{r}{mid}{escaped[v]}</is></c>" if type(v) is str
            else _other_cell(f"{letter}{r}", v, style, date_style, date1904)
            for r, v in zip(rows, values_list)]


def _other_cell(ref: str, value: Any, style: int, date_style: int, date1904: bool) -> str:
    if value is None or (type(value) is float and value != value):
        return ""
    return _scalar_cell(ref, value, style, date_style, date1904)


def block_rows(block: Block, styles: CellStyles, date1904: bool = False,
               chunk_rows: int = 20_000) -> Iterator[list[tuple[int, int, str]]]:
    """Chunks of (row number, first column, cells XML) for the block's title, header and values."""
    letters = [column_letter(block.first_column + i) for i in range(len(block.header))]
    head: list[tuple[int, int, str]] = []
    if block.title is not None:
        r = block.origin[0]
        head.append((r, block.first_column, text_cell(f"{letters[0]}{r}", block.title, styles.title)))
    r = block.header_row
    head.append((r, block.first_column, "".join(
        text_cell(f"{letter}{r}", text, styles.header)
        for letter, text in zip(letters, block.header) if text is not None)))
    yield head
    values = block.values
    for start in range(0, len(values), chunk_rows):
        part = values.iloc[start:start + chunk_rows]
        first = block.first_row + start
        rows = [str(n) for n in range(first, first + len(part))]
        columns = [
            column_cells(part.iloc[:, i], letters[i], rows, styles.columns[i], styles.date,
                         date1904, styles.tiers if i == block.tier_column else None)
            for i in range(len(letters))
        ]
        yield [(first + k, block.first_column, "".join(cells))
               for k, cells in enumerate(zip(*columns))]


def sheet_views_xml(freeze: tuple[int, int] | None) -> str:
    """<sheetViews> with a frozen pane of ``freeze`` = (rows, columns) at the top / left."""
    if not freeze or freeze == (0, 0):
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    rows, cols = freeze
    top_left = f"{column_letter(cols + 1)}{rows + 1}"
    pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
    split = (f'xSplit="{cols}" ' if cols else "") + (f'ySplit="{rows}" ' if rows else "")
    selections = ""
    if rows and cols:
        selections = '<selection pane="topRight"/><selection pane="bottomLeft"/>'
    return (f'<sheetViews><sheetView workbookViewId="0"><pane {split}topLeftCell="{top_left}" '
            f'activePane="{pane}" state="frozen"/>{selections}'
            f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/>'
            f"</sheetView></sheetViews>")


def cols_xml(widths: Sequence[float]) -> str:
    """<cols> with one custom width per column from A ("" when there are none)."""
    if not widths:
        return ""
    return "<cols>" + "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)) + "</cols>"


def dimension_ref(blocks: Sequence[Block]) -> str:
    if not blocks:
        return "A1"
    first_row = min(b.origin[0] for b in blocks)
    first_col = min(b.first_column for b in blocks)
    last_row = max(b.last_row for b in blocks)
    last_col = max(b.last_column for b in blocks)
    return f"{column_letter(first_col)}{first_row}:{column_letter(last_col)}{last_row}"


def _overlapping(blocks: Sequence[Block]) -> bool:
    spans = sorted((b.origin[0], b.last_row) for b in blocks)
    return any(nxt[0] <= cur[1] for cur, nxt in zip(spans, spans[1:]))


def _rows_xml(fragments: list[tuple[int, int, str]]) -> str:
    return "".join(f'<row r="{r}">{cells}</row>' for r, _, cells in fragments if cells)


def worksheet_chunks(sheet: Sheet, book: StyleBook, *, drawing_rel_id: str | None = None,
                     date1904: bool = False, chunk_rows: int = 20_000) -> Iterator[bytes]:
    """The worksheet part of ``sheet`` as UTF-8 chunks (a bounded number of rows each)."""
    styles = [CellStyles(block, book) for block in sheet.blocks]
    yield (HEADER + f'<dimension ref="{dimension_ref(sheet.blocks)}"/>'
           + sheet_views_xml(sheet.freeze) + '<sheetFormatPr defaultRowHeight="15"/>'
           + cols_xml(sheet.column_widths) + "<sheetData>").encode("utf-8")
    pairs = sorted(zip(sheet.blocks, styles), key=lambda p: p[0].origin)
    if _overlapping(sheet.blocks):
        by_row: dict[int, list[tuple[int, str]]] = {}
        for block, style in pairs:
            for chunk in block_rows(block, style, date1904, chunk_rows):
                for r, c, cells in chunk:
                    by_row.setdefault(r, []).append((c, cells))
        yield "".join(
            f'<row r="{r}">{"".join(cells for _, cells in sorted(parts))}</row>'
            for r, parts in sorted(by_row.items())).encode("utf-8")
    else:
        for block, style in pairs:
            for chunk in block_rows(block, style, date1904, chunk_rows):
                yield _rows_xml(chunk).encode("utf-8")
    tail = "</sheetData>"
    if sheet.autofilter:
        tail += f'<autoFilter ref="{sheet.autofilter}"/>'
    tail += PAGE_MARGINS
    if drawing_rel_id:
        tail += f'<drawing r:id="{drawing_rel_id}"/>'
    yield (tail + "</worksheet>").encode("utf-8")
