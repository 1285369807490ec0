"""Text columns of a sheet we wrote, read straight from its XML when it is still in our form.

A refresh reads back three columns of the Tiers sheet the last refresh wrote (the previous
tiers: customer id, ABC tier, score tier). The general reader (fastexcel) parses the whole
part, 50,000 rows x 31 cells, 58 MB of XML, to return them: about a second. This reader knows
the exact form ``xlsx.worksheet_xml`` writes and takes only the cells asked for:

* ``<sheetData>`` holds ``<row r="N">`` elements in increasing order with no whitespace
  between elements; each row's first cell is ``<c r="AN" ...>`` and no other cell carries
  ``r`` (a cell's column is its position in the row: ECMA-376 Part 1, 18.3.1.4);
* a cell asked for is empty (``<c s="3"/>``) or an inline string exactly as ``text_cell``
  writes it (``<c s="3" t="inlineStr"><is><t>text</t></is></c>``, ``xml:space="preserve"``
  where needed), its text escaped only as ``&amp;`` ``&lt;`` ``&gt;``.

Anything else (Excel or LibreOffice saved the sheet: shared strings, ``r`` on every cell; a
number, a formula, rich text or an ``_xHHHH_`` escape in a cell asked for) returns None, and
the caller reads the sheet with the general reader. So what this returns is always what the
general reader would (``tests/workbook/test_own_sheet.py`` compares both).

No Python runs per cell: cells are found with numpy on the part's bytes (``<`` is escaped in
text and cannot occur in an attribute, so every ``<c `` starts a cell), and the cells asked for
are checked and decoded with Arrow's string kernels: 0.4 s for the 58 MB Tiers sheet.

``written_columns`` gives what this reads back from a sheet the writer makes of a block,
from the block's values, when each of them is written as it is (plain text, or empty): the
file adapter keeps it in the sales cache under the CRC-32 and size of the part as written
(``file_book``), so the next refresh of that file does not read the part at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.columns import SOURCE_ROW, SOURCE_SHEET
from ..report.layout import Block
from .tables import SheetHeader
from .xlsx.worksheet_xml import MAX_CELL_TEXT

_SHEET_DATA = (b"<sheetData>", b"</sheetData>")
# a row as we write it, up to its first cell (in column A) or its end
_ROW = r'^<row r="(?P<row>\d+)"[^>/]*>(?:<c r="A(?P<first>\d+)"|</row>$)'
# a cell asked for: empty, or an inline string as ``worksheet_xml.text_cell`` writes it; the
# last cell of a row runs on to the next row's start tag (see ``_cell_texts``)
_EMPTY_CELL = r'<c (?:r="A\d+" )?(?:s="\d+")?/>'
_TEXT_CELL = (r'<c (?:r="A\d+" )?(?:s="\d+" )?t="inlineStr"><is><t(?: xml:space="preserve")?>'
              r'(?P<text>[^<]+)</t></is></c>')
_CELL = f'^(?:{_EMPTY_CELL}|{_TEXT_CELL})(?:</row>(?:<row r="\\d+"[^>/]*>)?)?$'
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # &amp; last: "&amp;lt;" is "&lt;"


def own_sheet_columns(xml: bytes, sheet: str, header: SheetHeader,
                      fields: dict[str, int]) -> pd.DataFrame | None:
    """``Source.columns(sheet, header, fields)`` for a sheet part ``xml`` in our form (see the
    module docstring): one text column per field (field -> 0-based column), ``source_sheet``
    and ``source_row``; rows below the header with no value in these columns dropped. None
    when the part is not in our form, or has no row below the header."""
    lo, hi = xml.find(_SHEET_DATA[0]) + len(_SHEET_DATA[0]), xml.rfind(_SHEET_DATA[1])
    if lo < len(_SHEET_DATA[0]) or hi <= lo or header.row < 1 or not fields or hi >= 2**31:
        return None
    data = np.frombuffer(xml, dtype=np.uint8)
    buffer = pa.py_buffer(xml)
    # every "<" of sheetData; "<" is escaped in text and cannot be in an attribute, so each
    # "<c " starts a cell and each "<ro" a row
    marks = np.flatnonzero(data[lo:hi] == ord("<")) + lo
    second, third = data[marks + 1], data[marks + 2]
    cells = marks[(second == ord("c")) & (third == ord(" "))]
    rows = marks[(second == ord("r")) & (third == ord("o"))]
    ends = marks[(second == ord("/")) & (third == ord("r"))]  # "</row>", and "</r>" of rich text
    del marks, second, third
    numbers = _row_numbers(data, buffer, rows, ends, lo, hi)
    if numbers is None:
        return None
    below = int(np.searchsorted(numbers, header.row, side="right"))  # first row below the header
    rows, numbers = rows[below:], numbers[below:]
    if not len(rows):
        return None
    cells = cells[np.searchsorted(cells, rows[0]):]
    first = np.searchsorted(cells, rows)  # each row's first cell
    counts = np.diff(np.append(first, len(cells)))
    # below the header only each row and its first cell carry r="...": a cell's column is its
    # place in the row (a text holding ' r="' makes the count differ: the general reader reads)
    if xml.count(b' r="', int(rows[0]), hi) != len(rows) + int(np.count_nonzero(counts)):
        return None
    position = np.arange(len(cells)) - np.repeat(first, counts)
    row_of_cell = np.repeat(np.arange(len(rows)), counts)
    # one binary value per cell, from its "<c " to the next cell's (the whole package's bytes
    # as the data buffer: nothing copied); the cells asked for are taken out of it
    every = pa.Array.from_buffers(pa.binary(), len(cells), [
        None, pa.py_buffer(np.append(cells, hi).astype(np.int32)), buffer])
    wanted = np.flatnonzero(np.isin(position, list(fields.values())))
    texts = _cell_texts(every.take(pa.array(wanted)))
    if texts is None:
        return None
    columns = {}
    present = np.zeros(len(rows), dtype=bool)
    for field, column in fields.items():
        mine = position[wanted] == column
        take = np.full(len(rows), -1, dtype=np.int64)
        take[row_of_cell[wanted[mine]]] = np.flatnonzero(mine)
        values = texts.take(pa.array(take, mask=take < 0))
        present |= values.is_valid().to_numpy(zero_copy_only=False)
        columns[field] = values
    keep = np.flatnonzero(present)
    if not len(keep):
        return None
    indices = pa.array(keep)
    frame = pd.DataFrame({field: values.take(indices).to_pandas() for field, values in columns.items()})
    frame[SOURCE_ROW] = numbers[keep]
    return with_sheet(frame, sheet)


def with_sheet(frame: pd.DataFrame, sheet: str) -> pd.DataFrame:
    """``frame`` (the field columns and ``source_row``) with ``source_sheet`` = ``sheet``
    before ``source_row``, as ``Source.columns`` gives it."""
    frame = frame.copy(deep=False)
    frame.insert(len(frame.columns) - 1, SOURCE_SHEET, pd.Categorical.from_codes(
        np.zeros(len(frame), dtype=np.int8), categories=[sheet]))
    return frame


# text the writer writes as it is, and this module reads back as it is: nothing to escape
_NOT_PLAIN = r"[&<>\x00-\x1f\x{FFFE}\x{FFFF}]|_x"


def written_columns(block: Block, fields: dict[str, int]) -> pd.DataFrame | None:
    """What ``own_sheet_columns`` reads back (without ``source_sheet``) from the sheet the
    writer makes of ``block`` alone, its header in A1: the ``fields`` columns (0-based) of
    its values, from the values themselves. None unless every one of them is empty (None,
    NaN, "") or text written as it is (no character to escape, no "_x", at most 32,767
    characters), or the block is elsewhere."""
    if block.origin != (1, 1) or block.title is not None or not len(block.values) or \
            block_header(block) is None:
        return None
    columns = {}
    for field, column in fields.items():
        try:
            text = pa.array(block.values.iloc[:, column], type=pa.string(), from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, UnicodeError, IndexError):
            return None  # numbers, dates, formulas: written otherwise
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        if pc.any(pc.match_substring_regex(text, _NOT_PLAIN)).as_py() or \
                (pc.max(pc.utf8_length(text)).as_py() or 0) > MAX_CELL_TEXT:
            return None
        columns[field] = pc.if_else(pc.equal(text, ""), None, text)  # "" is an empty cell
    present = np.zeros(len(block.values), dtype=bool)
    for values in columns.values():
        present |= values.is_valid().to_numpy(zero_copy_only=False)
    keep = np.flatnonzero(present)
    if not len(keep):
        return None
    indices = pa.array(keep)
    frame = pd.DataFrame({field: values.take(indices).to_pandas() for field, values in columns.items()})
    frame[SOURCE_ROW] = keep.astype(np.int64) + block.first_row
    return frame


def block_header(block: Block) -> SheetHeader | None:
    """The header row a reader finds on the sheet of ``block`` (its header in row 1)."""
    cells = tuple(h if isinstance(h, str) and h.strip() else None for h in block.header)
    return SheetHeader(block.header_row, cells) if any(cells) else None


def _row_numbers(data: np.ndarray, buffer: pa.Buffer, rows: np.ndarray, ends: np.ndarray,
                 lo: int, hi: int) -> np.ndarray | None:
    """The number of each row element starting at ``rows``; None unless the rows fill
    ``data[lo:hi]`` back to back, each ending at its "</row>" (``ends`` holds every "</r"), their
    numbers increase and each row's first cell is in column A of that row."""
    ends = ends[data[ends + 3] == ord("o")]
    if not len(rows) or len(ends) != len(rows) or rows[0] != lo or ends[-1] + 6 != hi or \
            not (rows[1:] == ends[:-1] + 6).all() or not (data[ends + 4] == ord("w")).all() or \
            not (data[ends + 5] == ord(">")).all():
        return None
    every = pa.Array.from_buffers(pa.binary(), len(rows), [
        None, pa.py_buffer(np.append(rows, hi).astype(np.int32)), buffer])
    found = pc.extract_regex(every, _ROW)
    if found.null_count:
        return None
    numbers = pc.struct_field(found, [0])
    firsts = pc.struct_field(found, [1])
    if not pc.all(pc.or_(pc.equal(firsts, b""), pc.equal(firsts, numbers))).as_py():
        return None
    numbers = numbers.cast(pa.string()).cast(pa.int64()).to_numpy()
    if len(numbers) > 1 and not (np.diff(numbers) > 0).all():
        return None
    return numbers


def _cell_texts(cells: pa.Array) -> pa.Array | None:
    """The text of each cell (null when empty); None when one is not an empty cell or an
    inline string in our form."""
    try:
        cells = cells.cast(pa.string())  # checks the UTF-8
    except pa.ArrowInvalid:
        return None
    found = pc.extract_regex(cells, _CELL)
    if found.null_count:
        return None
    texts = pc.struct_field(found, [0])
    texts = pc.if_else(pc.equal(texts, ""), None, texts)  # an empty cell: "" (a text never is)
    if pc.any(pc.match_substring(texts, "_x")).as_py():
        return None  # an _xHHHH_ escape: the general reader decides how it reads
    ampersands = pc.count_substring(texts, "&")
    if pc.any(pc.greater(ampersands, 0)).as_py():
        known = pc.add(pc.add(pc.count_substring(texts, "&lt;"), pc.count_substring(texts, "&gt;")),
                       pc.count_substring(texts, "&amp;"))
        if pc.any(pc.not_equal(ampersands, known)).as_py():
            return None  # another entity or a character reference: the general reader
        for entity, char in _ENTITIES:
            texts = pc.replace_substring(texts, entity, char)
    return texts
