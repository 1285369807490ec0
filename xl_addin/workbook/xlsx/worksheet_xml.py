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
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...core.background import usable_cpus
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
# A column becomes a few "join pieces": constant strings and Arrow string arrays, one element
# per row (numbers as shortest round-trip text by Arrow's cast). The pieces of every column of
# a chunk of rows, with the <row> around them, go through ONE element-wise join, whose value
# buffer is then the XML of those rows back to back: no per-cell Python and one copy of the
# output. Where cells differ in their markup (an empty cell, a tier colour, a text that needs
# xml:space="preserve"), that piece is an array taken from the few variants. Text is checked
# for what needs escaping on its raw UTF-8 bytes with numpy; only the rare values that do go
# through Python. Cells carry no ``r`` attribute except in a block's first column:
# ECMA-376 Part 1, 18.3.1.4 makes ``r`` optional, a reader then takes the column after the
# previous cell. So an empty cell inside a row is written as an empty ``<c/>`` (with the
# column's style) to keep the cells after it in place.

TIER_KEYS = ("A", "B", "C", "D")

# Bytes that make a UTF-8 text need escape_text: & < > and the control characters XML 1.0
# cannot hold (tab and line feed are fine; carriage return is kept as _x000D_).
_ESCAPE_BYTES = np.zeros(256, dtype=bool)
_ESCAPE_BYTES[[ord("&"), ord("<"), ord(">")]] = True
_ESCAPE_BYTES[[c for c in range(32) if c not in (9, 10)]] = True
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[[ord(" "), ord("\t"), ord("\r"), ord("\n")]] = True
_T_OPEN = ("<t>", '<t xml:space="preserve">')


def _style_attr(style: int) -> str:
    return f' s="{style}"' if style else ""


def _join(*pieces: Any) -> pa.Array:
    """Element-wise concatenation; a null element counts as ""."""
    return pc.binary_join_element_wise(*pieces, "", null_handling="replace",
                                       null_replacement="")


def _pick(variants: Sequence[str], codes: np.ndarray) -> str | pa.Array:
    """``variants[code]`` per row: one string when every row has the same code."""
    if len(codes) == 0 or (codes == codes[0]).all():
        return variants[int(codes[0])] if len(codes) else variants[0]
    return pa.array(variants, type=pa.string()).take(pa.array(codes.astype(np.int32)))


def _cell_start(ref: tuple[str, pa.Array] | None) -> list:
    """'<c' or '<c r="B' + row (as join pieces); the pieces after it start with '"' then."""
    if ref is None:
        return ["<c"]
    letter, _, rows_text = ref
    return [f'<c r="{letter}', rows_text]


def _after_start(ref, text: str) -> str:
    return '"' + text if ref is not None else text


def _number_pieces(numbers: pa.Array, style: int, ref,
                   attrs: str = "") -> tuple[list, np.ndarray]:
    """numbers: an Arrow numeric array, null = empty."""
    empty = numbers.is_null().to_numpy(zero_copy_only=False)
    text = pc.cast(numbers, pa.string())
    s = _style_attr(style)
    full, blank = _after_start(ref, f"{s}{attrs}><v>"), _after_start(ref, f"{s}/>")
    codes = empty.view(np.int8)
    return [*_cell_start(ref), _pick((full, blank), codes), text,
            _pick(("</v></c>", ""), codes)], empty


def _float_array(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype="float64")
    return pa.array(values, mask=~np.isfinite(values))


def _text_array(values: pd.Series) -> pa.Array | None:
    """An Arrow string array of a text column, or None when it holds other values."""
    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if not pa.types.is_string(array.type):
            # pandas' "str" column hands over its own large_string under pyarrow < 19, whatever
            # the type asked for: every piece here is "string" (32-bit offsets)
            array = array.cast(pa.string())
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    return array


def _utf8(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, UTF-8 bytes) of an Arrow string array without nulls."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=len(text) + 1,
                            offset=text.offset * 4).astype(np.int64)
    data = text.buffers()[2]
    start, end = int(offsets[0]), int(offsets[-1])
    raw = (np.frombuffer(data, dtype=np.uint8)[start:end] if data is not None and end > start
           else np.zeros(0, np.uint8))
    return offsets - start, raw


def _rows_with(offsets: np.ndarray, positions: np.ndarray, n: int) -> np.ndarray:
    """Mask of the rows holding the byte ``positions``."""
    mask = np.zeros(n, dtype=bool)
    if len(positions):
        mask[np.searchsorted(offsets, positions, side="right") - 1] = True
    return mask


def _needs_escape(offsets: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Rows holding & < > a control character, U+FFFE / U+FFFF (EF BF BE / EF BF BF) or "_x"."""
    n = len(offsets) - 1
    hits = _ESCAPE_BYTES[raw]
    if len(raw) > 1:
        hits[:-1] |= (raw[:-1] == ord("_")) & (raw[1:] == ord("x"))
    if len(raw) > 2:
        hits[:-2] |= (raw[:-2] == 0xEF) & (raw[1:-1] == 0xBF) & ((raw[2:] & 0xFE) == 0xBE)
    return _rows_with(offsets, np.flatnonzero(hits), n)


def _needs_preserve(offsets: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Rows starting or ending with a space, tab, CR or LF, or holding a tab or LF."""
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    filled = lengths > 0
    preserve = np.zeros(n, dtype=bool)
    preserve[filled] = (_SPACE_BYTES[raw[offsets[:-1][filled]]]
                        | _SPACE_BYTES[raw[offsets[1:][filled] - 1]])
    return preserve | _rows_with(offsets, np.flatnonzero((raw == 9) | (raw == 10)), n)


# A text column of at least BY_VALUE_ROWS rows with at most one distinct value per
# BY_VALUE_SHARE rows (industry, region, tier, segment) has its cells made once per value and
# taken for each row: a few ms less per column of 50,000 rows than checking every row's bytes.
BY_VALUE_ROWS = 4096
BY_VALUE_SHARE = 16
_PROBE_ROWS = 1024  # the rows whose distinct values decide whether to encode the whole column


def _text_pieces(text: pa.Array, style: int, ref,
                 tier_styles: dict[str, int] | None = None) -> tuple[list, np.ndarray]:
    """Inline-string cells; null and "" are empty cells. ``tier_styles``: the style of a cell
    whose text is a tier key (tier colours), else the column's ``style``."""
    encoded = _few_values(text) if ref is None else None
    if encoded is None:
        return _text_pieces_by_row(text, style, ref, tier_styles)
    # each distinct value's cell made by the row path itself (so the same bytes), then taken;
    # a null row takes the cell of the "" appended last: the empty cell
    values = pa.concat_arrays([encoded.dictionary, pa.array([""], type=pa.string())])
    pieces, value_empty = _text_pieces_by_row(values, style, None, tier_styles)
    rows = encoded.indices.fill_null(len(values) - 1)
    empty = value_empty[rows.to_numpy(zero_copy_only=False)]
    cells = _join(*pieces)
    if isinstance(cells, pa.Scalar):  # every piece constant: one cell for every row
        return [cells.as_py()], empty
    return [cells.take(rows)], empty


def _few_values(text: pa.Array) -> pa.DictionaryArray | None:
    """``text`` dictionary-encoded when long with few distinct values, else None."""
    if len(text) < BY_VALUE_ROWS:
        return None
    probe = text.slice(0, _PROBE_ROWS)
    if pc.count_distinct(probe, mode="all").as_py() * BY_VALUE_SHARE > len(probe):
        return None
    encoded = pc.dictionary_encode(text)
    if len(encoded.dictionary) * BY_VALUE_SHARE > len(text):
        return None
    return encoded


def _text_pieces_by_row(text: pa.Array, style: int, ref,
                        tier_styles: dict[str, int] | None = None) -> tuple[list, np.ndarray]:
    """``_text_pieces`` row by row: each row's bytes checked for what needs escaping."""
    empty = pc.or_kleene(text.is_null(), pc.equal(text, "")).fill_null(True)
    empty = empty.to_numpy(zero_copy_only=False)
    text = text.fill_null("")
    offsets, raw = _utf8(text)
    if len(offsets) > 1 and np.diff(offsets).max() > MAX_CELL_TEXT:  # bytes >= characters
        if (pc.max(pc.utf8_length(text)).as_py() or 0) > MAX_CELL_TEXT:
            text = pc.utf8_slice_codeunits(text, 0, MAX_CELL_TEXT)
            offsets, raw = _utf8(text)
    needs = _needs_escape(offsets, raw)
    if needs.any():
        # each distinct text escaped once: a column of a few names with "&" ("Food &
        # Beverage" on 10,000 rows) costs a few calls, not one per row
        distinct = pc.dictionary_encode(text.filter(pa.array(needs)))
        escaped = pa.array([escape_text(v) for v in distinct.dictionary.to_pylist()],
                           type=pa.string()).take(distinct.indices)
        text = pc.replace_with_mask(text, pa.array(needs), escaped)
        offsets, raw = _utf8(text)
    preserve = _needs_preserve(offsets, raw).view(np.int8)
    attrs = [_style_attr(style)]
    if tier_styles:
        keys = pa.array(list(tier_styles), type=pa.string())
        attrs += [_style_attr(v) for v in tier_styles.values()]
        styled = pc.index_in(text, value_set=keys).fill_null(-1).to_numpy(zero_copy_only=False) + 1
    else:
        styled = np.zeros(len(text), dtype=np.int64)
    # variant 2k + p: style k, <t> (p = 0) or <t xml:space="preserve"> (p = 1); the last: empty
    variants = [_after_start(ref, f'{a} t="inlineStr"><is>{t}') for a in attrs for t in _T_OPEN]
    variants.append(_after_start(ref, f"{attrs[0]}/>"))
    codes = np.where(empty, len(variants) - 1, 2 * styled + preserve)
    return [*_cell_start(ref), _pick(variants, codes), text,
            _pick(("</t></is></c>", ""), empty.view(np.int8))], empty


def column_pieces(values: pd.Series, style: int, date_style: int = 0, date1904: bool = False,
                  tier_styles: dict[str, int] | None = None,
                  ref: tuple[str, np.ndarray, pa.Array] | None = None) -> tuple[list, np.ndarray]:
    """The cell XML of one column as join pieces (see above) and the mask of its empty cells.

    Empty cells (None, NaN, NA, NaT, infinities, "") are ``<c/>`` with the column's style.
    ``ref`` = (column letter, row numbers, the same as an Arrow string array): write ``r`` on
    every cell (a block's first column).
    """
    dtype = values.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "M" or isinstance(dtype, pd.DatetimeTZDtype):
        return _number_pieces(_float_array(date_serials(values, date1904)), style or date_style,
                              ref)
    if kind == "b" and not values.isna().any():
        return _number_pieces(pa.array(values.to_numpy(dtype=bool).astype(np.int8)), style,
                              ref, ' t="b"')
    if kind in "iu":
        if isinstance(dtype, np.dtype):
            return _number_pieces(pa.array(values.to_numpy()), style, ref)
        return _number_pieces(pa.array(values, from_pandas=True), style, ref)
    if kind == "f":
        return _number_pieces(_float_array(values.to_numpy(dtype="float64", na_value=np.nan)),
                              style, ref)
    text = _text_array(values)
    if text is not None:
        return _text_pieces(text, style, ref, tier_styles)
    cells, empty = _object_cells(values, style, date_style, date1904, tier_styles,
                                 None if ref is None else ref[:2])
    return [cells], empty


def column_cells(values: pd.Series, style: int, date_style: int = 0, date1904: bool = False,
                 tier_styles: dict[str, int] | None = None,
                 ref: tuple[str, Sequence[int]] | None = None) -> tuple[pa.Array, np.ndarray]:
    """The cell XML of one column (one string per row) and the mask of its empty cells.

    Empty cells (None, NaN, NA, NaT, infinities, "") are ``<c/>`` with the column's style.
    ``ref`` = (column letter, row numbers): write ``r`` on every cell (a block's first column).
    """
    pieces, empty = column_pieces(values, style, date_style, date1904, tier_styles,
                                  None if ref is None else _row_ref(ref[0], ref[1]))
    return (pieces[0] if len(pieces) == 1 else _join(*pieces)), empty


def _row_ref(letter: str, rows: Sequence[int]) -> tuple[str, np.ndarray, pa.Array]:
    rows = np.asarray(rows, dtype=np.int64)
    return letter, rows, pc.cast(pa.array(rows), pa.string())


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


# Rows converted at once (each column costs a fixed ~0.5 ms per chunk, so not too few), and
# rows per output chunk (~10 MB of XML for the 31-column Tiers sheet: the compressor thread
# starts on it while the next one is joined).
CHUNK_ROWS = 50_000
JOIN_ROWS = 8_192
# A block of more rows is converted in two threads (``ThreadPoolExecutor``) when the process
# may use two CPUs: its columns side by side, then its output chunks two at a time. Arrow's casts and joins and numpy let go of
# the GIL, so the second core takes about half: the 50,000-row Tiers sheet in 0.28-0.32 s
# instead of 0.48 s. Results are taken in order, so the bytes never depend on the timing.
THREADED_ROWS = 2 * JOIN_ROWS
THREADS = 2


def block_fragments(block: Block, styles: CellStyles, date1904: bool = False,
                    chunk_rows: int = CHUNK_ROWS, whole_rows: bool = False,
                    join_rows: int = JOIN_ROWS,
                    pool: Executor | None = None) -> Iterator[tuple[np.ndarray, pa.Array]]:
    """Chunks of (row numbers, the XML of each row) for the block's title, header and values,
    in row order: each row's cells, or with ``whole_rows`` the whole ``<row r="n">..</row>``.
    Rows whose cells are all empty are left out. ``pool``: convert the columns and join the
    chunks there (results taken in order; at most ``THREADS`` output chunks ahead)."""
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
    if whole_rows:
        head = [f'<row r="{r}">{cells}</row>' for r, cells in zip(head_rows, head)]
    yield np.array(head_rows, dtype=np.int64), pa.array(head, type=pa.string())
    if not letters:
        return
    values = block.values
    for start in range(0, len(values), chunk_rows):
        part = values.iloc[start:start + chunk_rows]
        first = block.first_row + start
        rows = np.arange(first, first + len(part), dtype=np.int64)
        rows_text = pc.cast(pa.array(rows), pa.string())
        columns = [part.iloc[:, i] for i in range(len(letters))]  # pandas' indexing: here only

        def convert(i: int) -> tuple[list, np.ndarray]:
            return column_pieces(columns[i], styles.columns[i], styles.date, date1904,
                                 styles.tiers if i == block.tier_column else None,
                                 ref=(letters[i], rows, rows_text) if i == 0 else None)

        converted = (pool.map(convert, range(len(letters))) if pool is not None
                     else map(convert, range(len(letters))))
        pieces, empties = [], []
        for cells, empty in converted:
            pieces += cells
            empties.append(empty)
        if whole_rows:
            pieces = ['<row r="', rows_text, '">', *pieces, "</row>"]
        pieces = _merged_constants(pieces)
        keep = ~np.logical_and.reduce(empties)

        def joined_rows(at: int) -> tuple[np.ndarray, pa.Array]:
            n = min(join_rows, len(part) - at)
            joined = _join(*(p if isinstance(p, str) else p.slice(at, n) for p in pieces))
            kept, kept_rows = keep[at:at + n], rows[at:at + n]
            if not kept.all():
                joined, kept_rows = joined.filter(pa.array(kept)), kept_rows[kept]
            return kept_rows, joined

        starts = range(0, len(part), join_rows)  # smaller output chunks, same pieces
        if pool is None:
            yield from map(joined_rows, starts)
            continue
        ahead = [pool.submit(joined_rows, at) for at in starts[:THREADS]]
        for k in range(len(starts)):
            if k + THREADS < len(starts):
                ahead.append(pool.submit(joined_rows, starts[k + THREADS]))
            yield ahead[k].result()
            ahead[k] = None  # its XML is the caller's now: not kept to the end of the chunk


def _merged_constants(pieces: list) -> list:
    """Join pieces with each run of constant strings made one (fewer arguments make the
    element-wise join about a third faster: one column's "</v></c>" and the next one's
    '<c s="5"><v>' are one piece)."""
    merged: list = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _concatenated(strings: pa.Array) -> memoryview:
    """Every string of an Arrow string array, back to back, as UTF-8 bytes (no Python loop
    and no copy: the array's value buffer already holds them in order)."""
    if len(strings) == 0:
        return memoryview(b"")
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1,
                            offset=strings.offset * 4)
    start, end = int(offsets[0]), int(offsets[-1])
    return memoryview(strings.buffers()[2])[start:end] if end > start else memoryview(b"")


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


def _rows_xml(rows: np.ndarray, cells: pa.Array) -> memoryview:
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
                     chunk_rows: int = CHUNK_ROWS,
                     code_name: str | None = None) -> Iterator[bytes | memoryview]:
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
    elif usable_cpus() > 1 and any(len(block.values) >= THREADED_ROWS for block in sheet.blocks):
        with ThreadPoolExecutor(THREADS, thread_name_prefix="xlsx-cells") as pool:
            for block, style in pairs:
                threaded = pool if len(block.values) >= THREADED_ROWS else None
                for _, xml in block_fragments(block, style, date1904, chunk_rows,
                                              whole_rows=True, pool=threaded):
                    yield _concatenated(xml)
    else:
        for block, style in pairs:
            for _, xml in block_fragments(block, style, date1904, chunk_rows, whole_rows=True):
                yield _concatenated(xml)
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
