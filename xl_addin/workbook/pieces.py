"""A very large worksheet parsed in two pieces at once, one per core.

The parser (calamine, behind fastexcel) reads a sheet on one core: 9-10 s for a million rows
of ten columns here, while the other core idles. Here the sheet's XML is cut between rows in
two, each piece written into a copy of the package in place of the whole sheet (temporary
files, deleted once parsed), and two threads parse the copies at once: fastexcel lets go of
the GIL while it parses. The command cuts while it imports the rest (``reader_prefetch``),
and each piece's parser starts opening (it parses the shared strings) as soon as its file is
written. The pieces are joined back into what one parse of the whole sheet gives:

* Every piece keeps the sheet's XML up to ``<sheetData>`` (minus ``<dimension>``, which would
  make each piece reserve room for the whole sheet) and every other part of the package: the
  date system, the styles (which number is a date), the shared strings.
* Rows are placed by their Excel row number (``r``): a piece is loaded from the row its cut
  fell on (fastexcel counts ``skip_rows`` from row 1 and starts there, empty rows included),
  and empty rows fill the gap when a piece's last rows hold no cell.
* A cell that does not fit its column's type is reported at its row of the joined table.

Memory: a parse holds the sheet's cells twice at its end (calamine's list of cells and its
grid), then its grid and its Arrow copy: the read's highest points. Two pieces at those points
at once hold more than one whole parse (measured on a million rows, the command: 1.03-1.10 GB
at the read's peak, against 932 MB for the whole sheet). So the first piece is the smaller
(``FIRST_PIECE`` of the XML; the second also starts later, once it is written), and is parsed,
converted to Arrow and its memory handed back (``release_free_memory``) while the second is
still parsing: 870-872 MB in 5 runs of 5. Conversions take turns all the same.

The sheet's XML is stored in the copies uncompressed, so the parsers do not inflate it again:
the cut costs about what that saves (0.9-1.3 s of CPU for 391 MB of XML). Each piece parses
the shared strings (0.6-0.8 s of CPU for a million rows' worth). Anything unusual (a row
without its number, columns that come out differently in the two pieces, a CRC that does not
match, an error in either thread, no room for the temporary files) gives ``None``, and the
caller parses the whole sheet as before: the pieces only ever save time.

Nothing here runs on import, and it imports nothing heavy (``reader_prefetch`` uses it
before pandas is imported).
"""

from __future__ import annotations

import ctypes
import os
import re
import struct
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..cpus import usable_cpus
from .xlsx.package import PackageWriter, SourcePackage

if TYPE_CHECKING:
    import pyarrow as pa

# A sheet whose XML is smaller is parsed whole: below this, the shared strings parsed once
# more and the cut cost more than the second core saves.
SPLIT_MIN_BYTES = 96 * 2**20
# The first piece's share of the sheet's XML: see the module docstring (memory). Measured on a
# million rows, the command, peak of the read: 0.35: 870-872 MB in 5 runs; 0.40: 855 MB in 1
# run of 4, 1.05-1.10 GB in 3 (the second piece's parse ended while the first converted);
# 0.40 with the conversions after both parses: 1.03-1.05 GB (the first piece's grid beside
# the second's end).
FIRST_PIECE = 0.35
_HEAD_MAX = 16 * 2**20  # <sheetData> not within this many bytes: not a sheet worth cutting

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?:\s[^>]*)?(/?)>")
_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


@dataclass(frozen=True)
class CellError:
    """A cell that did not fit its column's type, at its row of the joined table (the shape
    of fastexcel's cell errors that the reader uses)."""

    offset_position: tuple[int, int]
    detail: str


Parse = Callable[[Any, int, bool], Any]
"""(reader, skip_rows, later piece) -> the parsed sheet (fastexcel's ``load_sheet``). For a
later piece, columns past its last cell are left out rather than refused (a column filled in
the first rows only): they are joined in as blanks."""
Convert = Callable[[Any], "tuple[pa.RecordBatch, list, list]"]
"""parsed sheet -> (batch, cell errors, selected columns)."""


def worth_cutting(sheet_size: int) -> bool:
    """Whether a sheet of ``sheet_size`` bytes of XML is parsed in pieces here: large enough,
    within what a zip member without Zip64 holds, and two CPUs to parse on."""
    return SPLIT_MIN_BYTES <= sheet_size < 2**32 - 2**20 and usable_cpus() >= 2


def sheet_to_cut(path: str | os.PathLike) -> str | None:
    """The part of the largest worksheet of the package at ``path`` when it is worth cutting
    (the sales sheet, in all likelihood: ``reader_prefetch`` cuts it before the refresh knows
    which its sales sheets are); else None. Reads the zip's central directory only."""
    try:
        with zipfile.ZipFile(path) as package:
            sizes = {info.filename: info.file_size for info in package.infolist()
                     if _WORKSHEET_PART.fullmatch(info.filename)}
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    part = max(sizes, key=sizes.__getitem__, default=None)
    return part if part is not None and worth_cutting(sizes[part]) else None


class Cut:
    """A sheet cut in two (``cut_sheet``): each piece a temporary copy of the package, the
    0-based index of its first row, and its parser being opened in a thread. ``remove``
    deletes the files (after the openers end); the parsers stay usable."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.paths: list[str] = []
        self.starts: list[int] = []
        self._opening: list[tuple[threading.Thread, dict[str, Any]]] = []

    def _open(self, path: str, open_reader: Callable[[str], Any]) -> None:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["reader"] = open_reader(path)
            except BaseException as exc:  # noqa: BLE001  (raised again by ``reader``)
                box["error"] = exc

        thread = threading.Thread(target=run, name="customer-tiers-open-piece", daemon=True)
        self._opening.append((thread, box))
        thread.start()

    def reader(self, piece: int) -> Any:
        """Piece ``piece``'s parser, once opened (its error, if opening failed). Taken once:
        the cut keeps no reference to it."""
        thread, box = self._opening[piece]
        thread.join()
        if "error" in box:
            raise box.pop("error")
        return box.pop("reader")

    def remove(self) -> None:
        """Delete the pieces' files, once their parsers are opened (or failed to)."""
        for thread, box in self._opening:
            thread.join()
            box.clear()
        for path in self.paths:
            try:
                os.remove(path)
            except OSError:
                pass
        self.paths = []


def cut_sheet(path: str | os.PathLike, part: str, open_reader: Callable[[str], Any]) -> Cut | None:
    """The sheet at zip member ``part`` of the package at ``path`` cut in two (``Cut``); each
    piece's parser starts opening (``open_reader(piece path)``) as soon as its file is
    written. None when the sheet cannot be cut: not worth it, an odd member (encrypted, not
    deflated or stored), no ``<sheetData>`` near the start, no row number to cut at, a CRC
    that does not match, no room for the files."""
    cut = Cut(part)
    try:
        with SourcePackage(path) as source:
            member = next((m for m in source.members if m.name == part), None)
            if member is None or member.flags & 1:
                return None
            _, size = source.crc_and_size(part)
            method, = struct.unpack("<H", member.central_record[10:12])
            if method not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or not worth_cutting(size):
                return None
            # inflated in one call, CRC checked (a bad one raises: the whole parse reports it).
            # One call, not a stream of small ones: the cut runs beside the command's imports,
            # and a thread that takes the GIL back after every few MB waits for the importing
            # thread each time (20 MB inflated in 1 MB calls: 0.27 s alone, 1.24 s beside a
            # busy thread; in one call 0.25 and 0.34 s)
            xml = source.read(part)
            cuts = _cuts(xml)
            if cuts is None:
                return None
            head, rows, close = cuts
            for start, piece in rows:
                cut.paths.append(_write_piece(source, part, [head, piece, close]))
                cut.starts.append(start)
                cut._open(cut.paths[-1], open_reader)
            del rows, piece, xml  # 391 MB for a million rows: gone before the parse
        return cut
    except Exception:  # noqa: BLE001  (any failure: the whole sheet is parsed instead)
        cut.remove()
        return None


def load_in_pieces(cut: Cut, header_row: int, parse: Parse, convert: Convert,
                   ) -> tuple[pa.Table, list, list] | None:
    """The rows below ``header_row`` (a count of rows from row 1, as fastexcel's
    ``skip_rows``) of the sheet ``cut`` holds, parsed in two threads: (table, cell errors,
    selected columns), as ``convert(parse(reader, header_row))`` gives them for the whole
    sheet; None when they cannot be had that way (then parse it whole). Each piece is
    converted in its thread as soon as it is parsed (one at a time), and the memory its
    parse freed handed back. The cut's files are deleted here, whatever happens."""
    done: dict[int, tuple[int, tuple]] = {}  # piece -> (first row index, converted)
    failed: list[BaseException] = []
    starts = [header_row] + cut.starts[1:]
    turn = threading.Lock()  # one conversion at a time

    def work(piece: int) -> None:
        try:
            reader = cut.reader(piece)
            parsed = parse(reader, starts[piece], piece > 0)
            del reader
            with turn:
                converted = convert(parsed)
                del parsed
                release_free_memory()
            done[piece] = (starts[piece], converted)
        except BaseException as exc:  # noqa: BLE001  (a failed piece: the whole sheet instead)
            # without its frames, which hold the parser and so its file open (Windows could
            # not delete it)
            failed.append(exc.with_traceback(None))

    try:
        if len(cut.starts) != 2 or header_row >= cut.starts[1]:  # the header in the second piece
            return None
        threads = [threading.Thread(target=work, args=(piece,), name=f"customer-tiers-piece-{piece}",
                                    daemon=True) for piece in (0, 1)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        finally:  # an interrupted wait waits all the same: the files go after the parsers
            for thread in threads:
                thread.join()
    finally:
        cut.remove()
    if failed or len(done) != 2:
        return None
    return _joined([done.pop(0), done.pop(1)], header_row)


def release_free_memory() -> None:
    """Hand the memory a parse freed back to the system, where the C library allows it
    (glibc's ``malloc_trim``; elsewhere nothing). Each thread allocates from its own arena,
    and an arena keeps the pages freed inside it: the second piece's parse would otherwise
    add its memory to what the first one's left behind, not reuse it (measured, a million
    rows, the parser alone: 1.00-1.03 GB at the read's peak without, 0.84-0.86 GB with)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # another C library (musl has no malloc_trim)
        pass


def _joined(pieces: list[tuple[int, tuple]], header_row: int) -> tuple[pa.Table, list, list] | None:
    """The pieces (first row index, (batch, errors, selected)) as one table from row index
    ``header_row``, with the first piece's columns; None when their columns differ (but for a
    later piece's missing last columns) or a piece holds rows past the next one's start (rows
    out of order)."""
    import pyarrow as pa

    # fields compared and joined as nullable: fastexcel marks a column "not null" in a piece
    # that happens to have no blank in it
    schema = pa.schema([field.with_nullable(True) for field in pieces[0][1][0].schema])
    selected = pieces[0][1][2]
    batches: list[pa.RecordBatch] = []
    errors: list[CellError] = []
    at = header_row  # row index the table has reached
    for number, (start, (batch, piece_errors, piece_selected)) in enumerate(pieces):
        # a later piece may lack the last columns (no cell of theirs in its rows): blanks
        width = len(piece_selected)
        if _columns(piece_selected) != _columns(selected)[:width] or width == 0 or \
                [field.type for field in batch.schema] != [field.type for field in schema][:width] or \
                batch.schema.names != schema.names[:width]:
            return None
        if width < len(schema):
            batch = pa.RecordBatch.from_arrays(
                batch.columns + [pa.nulls(batch.num_rows, field.type) for field in list(schema)[width:]],
                names=schema.names)
        if number + 1 < len(pieces) and start + batch.num_rows > pieces[number + 1][0]:
            return None
        if not batch.num_rows:
            continue
        if start > at:  # rows that hold no cell, between the last piece's cells and these
            batches.append(pa.RecordBatch.from_arrays(
                [pa.nulls(start - at, field.type) for field in schema], schema=schema))
        offset = start - header_row
        errors += [CellError((e.offset_position[0] + offset, e.offset_position[1]), e.detail)
                   for e in piece_errors]
        batches.append(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
        at = start + batch.num_rows
    return pa.Table.from_batches(batches, schema=schema), errors, selected


def _columns(selected: list) -> list[tuple]:
    return [(info.name, info.index, info.absolute_index, str(info.dtype)) for info in selected]


def _cuts(xml: bytes) -> tuple[bytes, list[tuple[int, memoryview]], bytes] | None:
    """The sheet's XML cut in two at the first row that starts at or after ``FIRST_PIECE``
    of it: (the head up to ``<sheetData>`` without ``<dimension>``, [(0-based index of each
    piece's first row, its rows)], the closing tags). What follows ``</sheetData>`` (merged
    cells, conditional formats ...) is left out: it holds no cell values. None when there is
    no ``<sheetData>`` near the start, no ``</sheetData>``, or no numbered row to cut at."""
    found = _SHEET_DATA.search(xml, 0, _HEAD_MAX)
    if found is None or found.group(2):  # <sheetData/>: no rows
        return None
    prefix = found.group(1)
    head = re.sub(rb"<" + re.escape(prefix) + rb"dimension\b[^>]*?/>", b"", xml[:found.end()])
    end_tag = b"</" + prefix + b"sheetData>"
    end = xml.rfind(end_tag)
    if end < found.end():
        return None
    row = re.compile(rb"<" + re.escape(prefix) + rb"row[\s>/]")
    cut = row.search(xml, max(found.end(), int(len(xml) * FIRST_PIECE)), end)
    close = xml.find(b">", cut.start(), end) if cut is not None else -1
    number = re.search(rb'\sr="(\d+)"', xml[cut.start():close]) if close >= 0 else None
    if number is None or int(number.group(1)) < 2:
        return None
    view = memoryview(xml)
    pieces = [(0, view[found.end():cut.start()]), (int(number.group(1)) - 1, view[cut.start():end])]
    return head, pieces, end_tag + b"</" + prefix + b"worksheet>"


def _write_piece(source: SourcePackage, part: str, xml: list[bytes | memoryview]) -> str:
    """A temporary copy of ``source`` whose ``part`` holds ``xml`` (stored: the parser need
    not inflate it again), every other member copied as it is; its path. Removed on error."""
    handle, path = tempfile.mkstemp(prefix="customer-tiers-piece-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as file:
            writer = PackageWriter(file, sync_early=False)  # a temporary file: no fsync
            for member in source.members:
                if member.name == part:
                    writer.write(part, xml, stored=True)
                else:
                    writer.copy(source, member)
            writer.close(source.comment)
    except BaseException:
        os.remove(path)
        raise
    return path
