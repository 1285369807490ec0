"""Worksheet part XML for one generated sheet, streamed in chunks of rows.

Conventions: text is an inline string (``t="inlineStr"``), so sharedStrings.xml is never
touched and text starting with = + - @ stays text (``<f>`` is written only for a
``layout.Formula``, which the report builds from its own layout, with its cached value); numbers are
``<v>`` in shortest round-trip form; dates are serial numbers (1900 or 1904 date system) with a
date format; None, NaN, pd.NA, NaT, infinities and "" are empty cells. Characters XML 1.0 cannot hold are
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
import pyarrow as pa
import pyarrow.compute as pc

from ...report import labels
from ...report.layout import Block, Formula, PrintSetup, Sheet, column_letter
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
_DAY_MS = 86_400 * 1000


def escape_text(text: str) -> str:
    """Cell text as XML character data (see the module docstring)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    return text.translate(_ESCAPES)


MAX_CELL_TEXT = 32_767  # Excel's limit of characters in one cell


def _t(text: str) -> str:
    """<t> with xml:space="preserve" only where whitespace would otherwise be lost."""
    text = text[:MAX_CELL_TEXT]
    if text != text.strip() or "\n" in text or "\t" in text:
        return f'<t xml:space="preserve">{escape_text(text)}</t>'
    return f"<t>{escape_text(text)}</t>"


def text_cell(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is>{_t(text)}</is></c>'


def date_serials(values: pd.Series, date1904: bool = False) -> np.ndarray:
    """Excel serial day numbers (float, NaN for NaT) of datetime-like ``values``."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    # milliseconds: int64 holds 1900..9999 (nanoseconds stop in 2262)
    millis = (stamps - epoch).to_numpy(dtype="timedelta64[ms]").astype("int64").astype(float)
    millis[stamps.isna().to_numpy()] = np.nan
    return millis / _DAY_MS


class CellStyles:
    """The style index of every cell kind of one block."""

    def __init__(self, block: Block, book: StyleBook) -> None:
        self.title = book.style("title")
        self.header = book.style("header")
        self.columns = [book.style("cell", fmt) for fmt in block.formats]
        self.date = book.style("cell", "date")
        self.tiers = {t: book.style("tier", block.formats[block.tier_column], t)
                      for t in TIER_KEYS} if block.tier_column is not None else {}


def _scalar_cell(ref: str, value: Any, style: int, date_style: int, date1904: bool) -> str:
    """One cell of any Python value (object columns). Empty string = no value. ``ref`` ""
    writes no ``r`` attribute."""
    if value is None or (type(value) is str and value == ""):
        return ""
    r = f' r="{ref}"' if ref else ""
    kind = type(value)
    if kind is Formula:
        return formula_cell(r, value, style)
    if kind is str:
        s = f' s="{style}"' if style else ""
        return f'<c{r}{s} t="inlineStr"><is>{_t(value)}</is></c>'
    if kind is bool or kind is np.bool_:
        s = f' s="{style}"' if style else ""
        return f'<c{r}{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return _number(r, int(value), style)
    if isinstance(value, (float, np.floating)):
        return _number(r, float(value), style) if math.isfinite(value) else ""
    if isinstance(value, (dt.date, np.datetime64)):
        if pd.isna(value):
            return ""
        serial = date_serials(pd.Series([pd.Timestamp(value)]), date1904)[0]
        return _number(r, float(serial), date_style or style)
    if pd.isna(value):
        return ""
    return _scalar_cell(ref, str(value), style, date_style, date1904)


def formula_cell(r: str, formula: Formula, style: int) -> str:
    """<c><f>..</f><v>cached</v></c>: the formula (without its "=") and its current value."""
    s = f' s="{style}"' if style else ""
    cached = formula.cached
    f = f"<f>{escape_text(formula.text[1:])}</f>"
    if cached is None or (isinstance(cached, float) and not math.isfinite(cached)):
        return f"<c{r}{s}>{f}</c>"
    if isinstance(cached, str):
        return f'<c{r}{s} t="str">{f}<v>{escape_text(cached)}</v></c>'
    return f"<c{r}{s}>{f}<v>{cached!r}</v></c>"


def _number(r: str, value: float | int, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f"<c{r}{s}><v>{value!r}</v></c>"


# -- whole columns at once ------------------------------------------------------------------
# A column becomes one Arrow string array of cell XML, one element per row, built by Arrow's
# vectorised kernels (number -> shortest round-trip text, concatenation, regex tests); only
# the text values that need escaping go through Python. Cells carry no ``r`` attribute except
# in a block's first column: ECMA-376 Part 1, 18.3.1.4 makes ``r`` optional, a reader then
# takes the column after the previous cell. So an empty cell inside a row is written as an
# empty ``<c/>`` (with the column's style) to keep the cells after it in place.

TIER_KEYS = ("A", "B", "C", "D")
_ESCAPE_RE2 = r"[&<>\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x"
_PRESERVE_RE2 = r"^[ \t\r\n]|[ \t\r\n]$|[\t\n]"


def _style_attr(style: int) -> str:
    return f' s="{style}"' if style else ""


def _cell_start(ref: tuple[str, pa.Array] | None) -> list:
    """'<c' or '<c r="B' + row + '"' (as join pieces)."""
    if ref is None:
        return ["<c"]
    letter, rows = ref
    return [f'<c r="{letter}', rows, '"']


def _join(*pieces: Any) -> pa.Array:
    return pc.binary_join_element_wise(*pieces, "")


def _empty_cells(n: int, style: int, ref: tuple[str, pa.Array] | None) -> pa.Array:
    if ref is None:
        return pa.array([f"<c{_style_attr(style)}/>"] * n, type=pa.string()) if n else pa.array([], pa.string())
    return _join(*_cell_start(ref), f"{_style_attr(style)}/>")


def _with_empties(cells: pa.Array, empty: np.ndarray, style: int,
                  ref: tuple[str, pa.Array] | None) -> pa.Array:
    if not empty.any():
        return cells
    return pc.if_else(pa.array(empty), _empty_cells(len(cells), style, ref), cells)


def _number_cells(numbers: pa.Array, style: int, ref, attrs: str = "") -> tuple[pa.Array, np.ndarray]:
    """numbers: an Arrow numeric array, null = empty."""
    empty = numbers.is_null().to_numpy(zero_copy_only=False)
    text = pc.cast(numbers, pa.string())
    cells = _join(*_cell_start(ref), f"{_style_attr(style)}{attrs}><v>", text, "</v></c>")
    return _with_empties(cells.fill_null(""), empty, style, ref), empty


def _float_array(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype="float64")
    return pa.array(values, mask=~np.isfinite(values))


def _text_array(values: pd.Series) -> pa.Array | None:
    """An Arrow string array of a text column, or None when it holds other values."""
    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _text_cells(text: pa.Array, style: int | pa.Array, ref) -> tuple[pa.Array, np.ndarray]:
    """Inline-string cells; null and "" are empty cells. ``style``: one index, or an Arrow
    array of ' s="n"' attributes per row (tier colours)."""
    empty = pc.or_kleene(text.is_null(), pc.equal(text, "")).fill_null(True)
    empty = empty.to_numpy(zero_copy_only=False)
    text = text.fill_null("")
    if (pc.max(pc.utf8_length(text)).as_py() or 0) > MAX_CELL_TEXT:
        text = pc.utf8_slice_codeunits(text, 0, MAX_CELL_TEXT)
    needs = pc.match_substring_regex(text, _ESCAPE_RE2)
    if pc.any(needs).as_py():
        where = needs.to_numpy(zero_copy_only=False)
        escaped = [escape_text(v) for v in text.filter(needs).to_pylist()]
        text = pc.replace_with_mask(text, pa.array(where), pa.array(escaped, type=pa.string()))
    preserve = pc.match_substring_regex(text, _PRESERVE_RE2)
    t_open = pc.if_else(preserve, '<t xml:space="preserve">', "<t>")
    attr = _style_attr(style) if isinstance(style, int) else style
    cells = _join(*_cell_start(ref), attr, ' t="inlineStr"><is>', t_open, text, "</t></is></c>")
    if isinstance(style, int):
        return _with_empties(cells, empty, style, ref), empty
    blank = _join(*_cell_start(ref), attr, "/>")
    return pc.if_else(pa.array(empty), blank, cells), empty


def _tier_attrs(text: pa.Array, style: int, tier_styles: dict[str, int]) -> pa.Array:
    """' s="n"' per row: the tier's style for A..D, else the column's."""
    keys = pa.array(list(tier_styles), type=pa.string())
    attrs = pa.array([_style_attr(v) for v in tier_styles.values()] + [_style_attr(style)])
    codes = pc.index_in(text, value_set=keys).fill_null(len(keys))
    return attrs.take(codes)


def column_cells(values: pd.Series, style: int, date_style: int = 0, date1904: bool = False,
                 tier_styles: dict[str, int] | None = None,
                 ref: tuple[str, Sequence[int]] | None = None) -> tuple[pa.Array, np.ndarray]:
    """The cell XML of one column (one string per row) and the mask of its empty cells.

    Empty cells (None, NaN, NA, NaT, infinities, "") are ``<c/>`` with the column's style.
    ``ref`` = (column letter, row numbers): write ``r`` on every cell (a block's first column).
    """
    arrow_ref = None
    if ref is not None:
        arrow_ref = (ref[0], pc.cast(pa.array(np.asarray(ref[1], dtype=np.int64)), pa.string()))
    dtype = values.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
        return _number_cells(_float_array(date_serials(values, date1904)), style or date_style,
                             arrow_ref)
    if kind == "b" and not values.isna().any():
        return _number_cells(pa.array(values.to_numpy(dtype=bool).astype(np.int8)), style,
                             arrow_ref, ' t="b"')
    if kind in "iu":
        if isinstance(dtype, np.dtype):
            return _number_cells(pa.array(values.to_numpy()), style, arrow_ref)
        return _number_cells(pa.array(values, from_pandas=True), style, arrow_ref)
    if kind == "f":
        return _number_cells(_float_array(values.to_numpy(dtype="float64", na_value=np.nan)),
                             style, arrow_ref)
    text = _text_array(values)
    if text is not None:
        attr = _tier_attrs(text, style, tier_styles) if tier_styles else style
        return _text_cells(text, attr, arrow_ref)
    return _object_cells(values, style, date_style, date1904, tier_styles, ref)


def _object_cells(values: pd.Series, style: int, date_style: int, date1904: bool,
                  tier_styles: dict[str, int] | None,
                  ref: tuple[str, Sequence[int]] | None) -> tuple[pa.Array, np.ndarray]:
    """Mixed Python values: text, numbers and dates each go through the whole-column path for
    their own rows (a sales column with a few "n/a" cells stays fast); anything else one by one."""
    objects = values.to_numpy(dtype=object)
    kinds = np.array([_KIND.get(type(v), 0) for v in objects], dtype=np.int8)
    if len(objects) > 64 and (kinds > 0).mean() > 0.5:
        cells = np.empty(len(objects), dtype=object)
        empty = np.zeros(len(objects), dtype=bool)
        groups = {
            1: lambda v: pd.Series(v, dtype="str"),
            2: lambda v: pd.Series(v.astype("float64")),
            3: lambda v: pd.Series(pd.to_datetime(v)),
        }
        for kind, as_series in groups.items():
            where = np.flatnonzero(kinds == kind)
            if not len(where):
                continue
            sub_ref = (ref[0], np.asarray(ref[1])[where]) if ref is not None else None
            own_style = date_style if kind == 3 else style  # a date reads as a date anywhere
            part, part_empty = column_cells(as_series(objects[where]), own_style, date_style,
                                            date1904, tier_styles, sub_ref)
            cells[where] = part.to_numpy(zero_copy_only=False)
            empty[where] = part_empty
        rest = np.flatnonzero(kinds == 0)
        if len(rest):
            sub_ref = (ref[0], np.asarray(ref[1])[rest]) if ref is not None else None
            part, part_empty = _object_cells_one_by_one(
                pd.Series(objects[rest], dtype=object), style, date_style, date1904,
                tier_styles, sub_ref)
            cells[rest] = part.to_numpy(zero_copy_only=False)
            empty[rest] = part_empty
        return pa.array(cells, type=pa.string()), empty
    return _object_cells_one_by_one(values, style, date_style, date1904, tier_styles, ref)


# Value types the whole-column path takes: 1 text, 2 number, 3 date (bool, None, NaN: one by one).
_KIND = {str: 1, int: 2, float: 2, np.int64: 2, np.float64: 2, np.int32: 2, np.float32: 2,
         dt.datetime: 3, pd.Timestamp: 3, dt.date: 3}


def _object_cells_one_by_one(values: pd.Series, style: int, date_style: int, date1904: bool,
                             tier_styles: dict[str, int] | None,
                             ref: tuple[str, Sequence[int]] | None) -> tuple[pa.Array, np.ndarray]:
    """Mixed Python values, one at a time (small columns such as the Pareto ranks)."""
    rows = list(ref[1]) if ref is not None else None
    cells, empty = [], []
    for i, value in enumerate(values.tolist()):
        own = tier_styles.get(value, style) if tier_styles and isinstance(value, str) else style
        at = f"{ref[0]}{rows[i]}" if ref is not None else ""
        cell = _scalar_cell(at, value, own, date_style, date1904)
        empty.append(not cell)
        if not cell:
            r = f' r="{at}"' if at else ""
            cell = f"<c{r}{_style_attr(style)}/>"
        cells.append(cell)
    return pa.array(cells, type=pa.string()), np.array(empty, dtype=bool)


def block_fragments(block: Block, styles: CellStyles, date1904: bool = False,
                    chunk_rows: int = 50_000) -> Iterator[tuple[np.ndarray, pa.Array]]:
    """Chunks of (row numbers, the cells XML of each row) for the block's title, header and
    values, in row order. Rows whose cells are all empty are left out."""
    letters = [column_letter(block.first_column + i) for i in range(len(block.header))]
    head_rows, head = [], []
    if block.title is not None:
        r = block.origin[0]
        head_rows.append(r)
        head.append(text_cell(f"{letters[0]}{r}", block.title, styles.title))
    r = block.header_row
    header = "".join(text_cell(f"{letter}{r}", text, styles.header)
                     for letter, text in zip(letters, block.header) if text is not None)
    if header:
        head_rows.append(r)
        head.append(header)
    yield np.array(head_rows, dtype=np.int64), pa.array(head, type=pa.string())
    values = block.values
    for start in range(0, len(values), chunk_rows):
        part = values.iloc[start:start + chunk_rows]
        first = block.first_row + start
        rows = np.arange(first, first + len(part), dtype=np.int64)
        columns, empties = [], []
        for i in range(len(letters)):
            cells, empty = column_cells(
                part.iloc[:, i], styles.columns[i], styles.date, date1904,
                styles.tiers if i == block.tier_column else None,
                ref=(letters[i], rows) if i == 0 else None)
            columns.append(cells)
            empties.append(empty)
        joined = _join(*columns) if columns else pa.array([""] * len(part), pa.string())
        keep = ~np.logical_and.reduce(empties) if empties else np.zeros(len(part), bool)
        if not keep.all():
            joined, rows = joined.filter(pa.array(keep)), rows[keep]
        yield rows, joined


def _concatenated(strings: pa.Array) -> bytes:
    """Every string of an Arrow string array, back to back, as UTF-8 bytes (no Python loop:
    the array's value buffer already holds them in order)."""
    if len(strings) == 0:
        return b""
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1,
                            offset=strings.offset * 4)
    start, end = int(offsets[0]), int(offsets[-1])
    return strings.buffers()[2][start:end].to_pybytes() if end > start else b""


def _merged_rows(parts: list[tuple[np.ndarray, np.ndarray, pa.Array]]) -> tuple[np.ndarray, pa.Array]:
    """Row fragments of several blocks -> one string per row, fragments in column order."""
    rows = np.concatenate([p[0] for p in parts])
    columns = np.concatenate([p[1] for p in parts])
    cells = pa.concat_arrays([p[2] for p in parts])
    order = np.lexsort((columns, rows))
    rows, cells = rows[order], cells.take(pa.array(order))
    unique, starts = np.unique(rows, return_index=True)
    offsets = pa.array(np.append(starts, len(rows)).astype(np.int32))
    return unique, pc.binary_join(pa.ListArray.from_arrays(offsets, cells), "")


def _rows_xml(rows: np.ndarray, cells: pa.Array) -> bytes:
    numbers = pc.cast(pa.array(rows), pa.string())
    return _concatenated(_join('<row r="', numbers, '">', cells, "</row>"))


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


def sheet_properties_xml(setup: PrintSetup, code_name: str | None = None) -> str:
    """<sheetPr>: the VBA ``code_name`` (macro workbooks; a plain identifier) and fit to
    page, which is what lets pageSetup's fitToWidth take effect."""
    code = f' codeName="{code_name}"' if code_name else ""
    return f'<sheetPr{code}><pageSetUpPr fitToPage="1"/></sheetPr>'


def colour_scale_rule_xml(priority: int) -> str:
    """The <cfRule> of our 3-colour scale (labels.COLOUR_SCALE: lowest, 50th percentile,
    highest)."""
    colours = "".join(f'<color rgb="FF{c}"/>' for c in labels.COLOUR_SCALE)
    return (f'<cfRule type="colorScale" priority="{priority}"><colorScale><cfvo type="min"/>'
            f'<cfvo type="percentile" val="50"/><cfvo type="max"/>{colours}</colorScale></cfRule>')


def conditional_formatting_xml(blocks: Sequence[Block]) -> str:
    """One <conditionalFormatting> with our colour scale per block that has one, in schema
    order (after autoFilter and mergeCells, before dataValidations and pageMargins).
    Priorities are 1, 2, ... per sheet."""
    ranges = [b.colour_scale_range for b in blocks if b.colour_scale_range is not None]
    return "".join(f'<conditionalFormatting sqref="{ref}">{colour_scale_rule_xml(priority)}'
                   "</conditionalFormatting>" for priority, ref in enumerate(ranges, start=1))


def page_setup_xml(setup: PrintSetup) -> str:
    """<pageSetup> (one page wide, as many tall as needed) and <rowBreaks>, in schema order
    (after pageMargins, before drawing)."""
    orientation = "landscape" if setup.landscape else "portrait"
    xml = f'<pageSetup orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
    if setup.row_breaks:
        breaks = "".join(f'<brk id="{row}" max="16383" man="1"/>' for row in setup.row_breaks)
        n = len(setup.row_breaks)
        xml += f'<rowBreaks count="{n}" manualBreakCount="{n}">{breaks}</rowBreaks>'
    return xml


def worksheet_chunks(sheet: Sheet, book: StyleBook, *, drawing_rel_id: str | None = None,
                     table_rel_ids: Sequence[str] = (), date1904: bool = False,
                     chunk_rows: int = 50_000, code_name: str | None = None) -> Iterator[bytes]:
    """The worksheet part of ``sheet`` as UTF-8 chunks (a bounded number of rows each).
    ``code_name``: the sheet's VBA codeName (macro workbooks), a plain identifier."""
    styles = [CellStyles(block, book) for block in sheet.blocks]
    yield (HEADER + sheet_properties_xml(sheet.print_setup, code_name)
           + f'<dimension ref="{dimension_ref(sheet.blocks)}"/>'
           + sheet_views_xml(sheet.freeze) + '<sheetFormatPr defaultRowHeight="15"/>'
           + cols_xml(sheet.column_widths) + "<sheetData>").encode("utf-8")
    pairs = sorted(zip(sheet.blocks, styles), key=lambda p: p[0].origin)
    if _overlapping(sheet.blocks):  # blocks side by side: merge their rows, cells by column
        parts = [(rows, np.full(len(rows), block.first_column), cells)
                 for block, style in pairs
                 for rows, cells in block_fragments(block, style, date1904, chunk_rows)]
        yield _rows_xml(*_merged_rows(parts))
    else:
        for block, style in pairs:
            for rows, cells in block_fragments(block, style, date1904, chunk_rows):
                yield _rows_xml(rows, cells)
    tail = "</sheetData>"
    if sheet.autofilter:
        tail += f'<autoFilter ref="{sheet.autofilter}"/>'
    tail += conditional_formatting_xml(sheet.blocks)
    tail += PAGE_MARGINS + page_setup_xml(sheet.print_setup)
    if drawing_rel_id:
        tail += f'<drawing r:id="{drawing_rel_id}"/>'
    if table_rel_ids:
        tail += (f'<tableParts count="{len(table_rel_ids)}">'
                 + "".join(f'<tablePart r:id="{r}"/>' for r in table_rel_ids) + "</tableParts>")
    yield (tail + "</worksheet>").encode("utf-8")
