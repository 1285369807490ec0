"""A very large worksheet parsed in pieces, two at a time, one per core.

The parser (calamine, behind fastexcel) reads a sheet on one core: 9-10 s for a million rows
of ten columns here, while the other core idles. Here the sheet's XML is cut between rows in
four pieces (``SHARES``), and two threads parse them at once, each its half of the sheet one
piece after the other: fastexcel lets go of the GIL while it parses. Each thread's pieces are
written into one temporary copy of the package, the first in place of the whole sheet and the
second as a sheet of its own (``_PIECE_SHEET``), so each thread's parser parses the shared
strings once. The command cuts while it imports the rest (``reader_prefetch``), and each
copy's parser starts opening (it parses the shared strings) as soon as its file is written.
The pieces are joined back into what one parse of the whole sheet gives:

* Every piece keeps the sheet's XML up to ``<sheetData>`` (minus ``<dimension>``, which would
  make each piece reserve room for the whole sheet) and every other part of the package: the
  date system, the styles (which number is a date), the shared strings.
* Rows are placed by their Excel row number (``r``). The first piece is loaded from the
  header as the whole sheet would be. A later piece is loaded from its own first row, which
  the cut makes one that holds a number cell: fastexcel's ``skip_rows`` counts from row 1 and
  its grid would hold every row above the piece as empty cells (for the last quarter of a
  million rows, 240 MB more at its parse's end). Empty rows fill the gap when a piece's last
  rows hold no cell.
* A cell that does not fit its column's type is reported at its row of the joined table.

Memory: a parse holds its cells twice at its end (calamine's list of cells and its grid),
then its grid and its Arrow copy: the read's highest points. Quarters keep each of those
small, so two at once stay below one whole parse's; conversions take turns, and each hands
its memory back (``release_free_memory``). Measured on a million rows, the parse alone (59 MB
before it): halves cut at the middle, 800-900 MB at their peaks at once; quarters, 490-615 MB.
The refresh's read phase: 715 MB (870 MB with the halves of the previous version).

The sheet's XML is stored in the copies uncompressed, so the parsers do not inflate it again:
the cut costs about what that saves (0.9-1.3 s of CPU for 391 MB of XML). Each copy's parser
parses the shared strings (0.6-0.8 s of CPU for a million rows' worth). Anything unusual (a
row without its number, no number cell near a cut, columns that come out differently in the
pieces, a CRC that does not match, an error in either thread, no room for the temporary
files) gives ``None``, and the caller parses the whole sheet as before: the pieces only ever
save time.

Nothing here runs on import, and it imports nothing heavy (``reader_prefetch`` uses it
before pandas is imported).
"""

from __future__ import annotations

import ctypes
import os
import posixpath
import re
import struct
import sys
import tempfile
import threading
import time
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
# Where the pieces start, as shares of the sheet's XML (each at the first row at or after it
# that holds a number cell), and the threads that parse them, each a run of pieces in order.
# Measured on a million rows, the parse alone (cut, copies, two threads), medians of 4-6 runs:
# halves at 0.35 (the previous version, each later piece with every row above it) 9.65 s;
# halves at 0.5 7.8 s but 800-900 MB at once; quarters 8.1 s and 490-615 MB.
SHARES = (0.25, 0.5, 0.75)
THREADS = 2
_HEAD_MAX = 16 * 2**20  # <sheetData> not within this many bytes: not a sheet worth cutting

_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData(?:\s[^>]*)?(/?)>")
# a row searched this far for a number cell (``_cuts``), and rows tried after a cut's share
_ROW_MAX_BYTES = 2**16
_ROWS_TRIED = 256
# the name of a copy's second piece as a sheet of its own (and its part, beside the sheet's)
_PIECE_SHEET = "customer-tiers-piece"
# the copies' file names in the temporary folder, and the age at which one is a killed
# refresh's (``remove_stale_copies``)
_COPY_PREFIX, _COPY_SUFFIX = "customer-tiers-piece-", ".xlsx"
STALE_SECONDS = 3600
_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")


@dataclass(frozen=True)
class CellError:
    """A cell that did not fit its column's type, at its row of the joined table (the shape
    of fastexcel's cell errors that the reader uses)."""

    offset_position: tuple[int, int]
    detail: str


Parse = Callable[[Any, "str | None", "int | None", bool], Any]
"""(reader, sheet, skip_rows, later piece) -> the parsed sheet (fastexcel's ``load_sheet``).
``sheet``: the name the piece has in its copy, None for the sheet's own name. ``skip_rows``:
the first piece's count of rows above the table; None for a later piece (loaded from its own
first row). For a later piece, columns past its last cell are left out rather than refused
(a column filled in the first rows only): they are joined in as blanks."""
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


@dataclass(frozen=True)
class Piece:
    """One piece of a cut sheet: the 0-based index of its first row, and its name as a sheet
    of its copy of the package (None: the sheet's own name)."""

    start: int
    sheet: str | None = None


class Cut:
    """A sheet cut in pieces (``cut_sheet``): each copy of the package (a temporary file),
    the pieces it holds in order, and its parser being opened in a thread. ``remove``
    deletes the files (after the openers end); the parsers stay usable."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.paths: list[str] = []
        self.copies: list[list[Piece]] = []  # the pieces of each copy, in row order
        self._opening: list[tuple[threading.Thread, dict[str, Any]]] = []

    @property
    def starts(self) -> list[int]:
        """The first row index of every piece, in row order."""
        return [piece.start for copy in self.copies for piece in copy]

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

    def reader(self, copy: int) -> Any:
        """Copy ``copy``'s parser, once opened (its error, if opening failed). Taken once:
        the cut keeps no reference to it."""
        thread, box = self._opening[copy]
        thread.join()
        if "error" in box:
            raise box.pop("error")
        return box.pop("reader")

    def remove(self) -> None:
        """Delete the copies' files, once their parsers are opened (or failed to)."""
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
    """The sheet at zip member ``part`` of the package at ``path`` cut in pieces (``Cut``),
    written into ``THREADS`` copies of the package; each copy's parser starts opening
    (``open_reader(copy path)``) as soon as its file is written. None when the sheet cannot be
    cut: not worth it, an odd member (encrypted, not deflated or stored), no ``<sheetData>``
    near the start, no numbered row with a number cell to cut at, a CRC that does not match,
    a workbook part the copies cannot name a second sheet in, no room for the files."""
    cut = Cut(part)
    remove_stale_copies()
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
            for run in _runs(len(rows), THREADS):
                written = _write_copy(source, part, [[head, rows[i][1], close] for i in run])
                if written is None:
                    cut.remove()
                    return None
                copy_path, names = written
                cut.paths.append(copy_path)
                cut.copies.append([Piece(rows[i][0], name) for i, name in zip(run, names)])
                cut._open(copy_path, open_reader)
            del rows, xml  # 391 MB for a million rows: gone before the parse
        return cut
    except Exception:  # noqa: BLE001  (any failure: the whole sheet is parsed instead)
        cut.remove()
        return None


def remove_stale_copies(folder: str | None = None, now: float | None = None) -> None:
    """Delete the copies a refresh left in the temporary folder (``folder``; the system's
    when None) when it was killed before it could (SIGKILL, a power cut, Task Manager's End
    task): 400 MB for a million rows, each time. Only files named as ours, not written to for
    ``STALE_SECONDS``: a running refresh's copies live for seconds."""
    folder = folder if folder is not None else tempfile.gettempdir()
    now = now if now is not None else time.time()
    try:
        entries = os.scandir(folder)
    except OSError:
        return
    with entries:
        for entry in entries:
            if not (entry.name.startswith(_COPY_PREFIX) and entry.name.endswith(_COPY_SUFFIX)):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > STALE_SECONDS:
                    os.remove(entry.path)
            except OSError:  # another refresh's, still open (Windows), or gone meanwhile
                pass


def _runs(count: int, threads: int) -> list[range]:
    """``count`` pieces as ``threads`` runs of consecutive pieces, as even as can be (the
    later runs the longer)."""
    threads = max(1, min(threads, count))
    bounds = [count * k // threads for k in range(threads + 1)]
    return [range(bounds[k], bounds[k + 1]) for k in range(threads)]


def load_in_pieces(cut: Cut, header_row: int, parse: Parse, convert: Convert,
                   ) -> tuple[pa.Table, list, list] | None:
    """The rows below ``header_row`` (a count of rows from row 1, as fastexcel's
    ``skip_rows``) of the sheet ``cut`` holds, parsed in a thread per copy: (table, cell
    errors, selected columns), as ``convert(parse(reader, None, header_row, False))`` gives
    them for the whole sheet; None when they cannot be had that way (then parse it whole).
    Each piece is converted in its thread as soon as it is parsed (one at a time), and the
    memory its parse freed handed back. The cut's files are deleted here, whatever happens."""
    done: dict[int, tuple[int, tuple]] = {}  # piece -> (first row index, converted)
    failed: list[BaseException] = []
    turn = threading.Lock()  # one conversion at a time
    numbered: list[list[tuple[int, Piece]]] = []  # (piece number, piece) of each copy
    for copy in cut.copies:
        numbered.append(list(enumerate(copy, start=sum(map(len, numbered)))))

    def work(copy: int) -> None:
        try:
            reader = cut.reader(copy)
            for number, piece in numbered[copy]:
                first = number == 0
                parsed = parse(reader, piece.sheet, header_row if first else None, not first)
                with turn:
                    converted = convert(parsed)
                    del parsed
                    release_free_memory()
                done[number] = (header_row if first else piece.start, converted)
            del reader
        except BaseException as exc:  # noqa: BLE001  (a failed piece: the whole sheet instead)
            # without its frames, which hold the parser and so its file open (Windows could
            # not delete it)
            failed.append(exc.with_traceback(None))

    try:
        starts = cut.starts
        if len(starts) < 2 or header_row >= starts[1]:  # the header in a later piece
            return None
        threads = [threading.Thread(target=work, args=(copy,), name=f"customer-tiers-piece-{copy}",
                                    daemon=True) for copy in range(len(cut.copies))]
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
    if failed or len(done) != len(starts):
        return None
    return _joined([done[number] for number in range(len(starts))], header_row)


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
    """The sheet's XML cut in pieces, each later one at the first row that starts at or after
    its share (``SHARES``) of the XML and holds a number cell (a later piece is loaded from
    its first row: it must not read as empty): (the head up to ``<sheetData>`` without
    ``<dimension>``, [(0-based index of each piece's first row, its rows)], the closing
    tags). What follows ``</sheetData>`` (merged cells, conditional formats ...) is left
    out: it holds no cell values. None when there is no ``<sheetData>`` near the start, no
    ``</sheetData>``, or a share without such a row after the previous cut."""
    found = _SHEET_DATA.search(xml, 0, _HEAD_MAX)
    if found is None or found.group(2):  # <sheetData/>: no rows
        return None
    prefix = re.escape(found.group(1))
    head = re.sub(rb"<" + prefix + rb"dimension\b[^>]*?/>", b"", xml[:found.end()])
    end_tag = b"</" + found.group(1) + b"sheetData>"
    end = xml.rfind(end_tag)
    if end < found.end():
        return None
    row = re.compile(rb"<" + prefix + rb"row[\s>/]")
    # a number cell (no type, or t="n") whose value starts right after its start tag
    number_cell = re.compile(rb"<" + prefix + rb"c(?=[\s>])(?![^>]*\st=(?:\"(?!n\")|'(?!n')))[^>]*><"
                             + prefix + rb"v>[-+.\d]")
    cuts = [(0, found.end())]  # (first row index, byte offset) of each piece
    for share in SHARES:
        at = max(found.end(), int(len(xml) * share), cuts[-1][1] + 1 if len(cuts) > 1 else 0)
        for _ in range(_ROWS_TRIED):
            start = row.search(xml, at, end)
            if start is None:
                return None
            close = xml.find(b">", start.start(), end)
            number = re.search(rb'\sr="(\d+)"', xml[start.start():close]) if close >= 0 else None
            if number is None:
                return None
            if xml[close - 1] == ord("/"):  # <row r="17"/>: no cell
                at = start.end()
                continue
            stop = xml.find(b"</" + found.group(1) + b"row>", close, min(end, close + _ROW_MAX_BYTES))
            if int(number.group(1)) >= 2 and stop >= 0 and number_cell.search(xml, close, stop):
                break
            at = start.end()
        else:
            return None
        cuts.append((int(number.group(1)) - 1, start.start()))
    view = memoryview(xml)
    offsets = [offset for _, offset in cuts] + [end]
    pieces = [(first, view[offsets[i]:offsets[i + 1]]) for i, (first, _) in enumerate(cuts)]
    return head, pieces, end_tag + b"</" + found.group(1) + b"worksheet>"


def _write_copy(source: SourcePackage, part: str, pieces: list[list[bytes | memoryview]],
                ) -> tuple[str, list[str | None]] | None:
    """A temporary copy of ``source`` whose ``part`` holds the first of ``pieces`` (each the
    XML of a sheet, stored: the parser need not inflate it again) and whose workbook has each
    later one as a sheet of its own beside it; every other member copied as it is. Its path
    and each piece's sheet name (None: the sheet's own). None when the workbook's parts do not
    say where to add a sheet (then nothing is written). Removed on error."""
    names: list[str | None] = [None]
    changed: dict[str, bytes] = {}
    extra: list[tuple[str, list[bytes | memoryview]]] = []
    for number, xml in enumerate(pieces[1:], start=2):
        added = _sheet_added(source, part, changed, f"{_PIECE_SHEET}-{number}")
        if added is None:
            return None
        names.append(added[0])
        extra.append((added[1], xml))
    handle, path = tempfile.mkstemp(prefix=_COPY_PREFIX, suffix=_COPY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            writer = PackageWriter(file, sync_early=False)  # a temporary file: no fsync
            for member in source.members:
                if member.name == part:
                    writer.write(part, pieces[0], stored=True)
                elif member.name in changed:
                    writer.write(member.name, changed[member.name])
                else:
                    writer.copy(source, member)
            for name, xml in extra:
                writer.write(name, xml, stored=True)
            writer.close(source.comment)
    except BaseException:
        os.remove(path)
        raise
    return path, names


_WORKBOOK = "xl/workbook.xml"  # where the parser looks for them, whatever the package says
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"


def _sheet_added(source: SourcePackage, part: str, changed: dict[str, bytes], name: str,
                 ) -> tuple[str, str] | None:
    """Add to the workbook parts in ``changed`` (read from ``source`` the first time) a sheet
    ``name`` like the one at ``part``, in a new part beside it: (name, new part); None when
    the parts do not say how (no relationship to ``part``, its ``<sheet>`` not one element,
    the name or part taken)."""
    for member in (_WORKBOOK, _WORKBOOK_RELS, _CONTENT_TYPES):
        if member not in changed:
            if member not in source:
                return None
            changed[member] = source.read(member)
    folder = posixpath.dirname(part)
    new_part = f"{folder}/{name}.xml"
    if not new_part.startswith("xl/") or new_part in source:
        return None
    rels, book, types = changed[_WORKBOOK_RELS], changed[_WORKBOOK], changed[_CONTENT_TYPES]
    new_id = f"rId{name}".encode()
    if b'"' + new_id + b'"' in rels or b'"' + name.encode() + b'"' in book:
        return None
    rel = None
    for element in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b[^>]*?/>", rels):
        target = re.search(rb'\sTarget="([^"]*)"', element.group())
        rid = re.search(rb'\sId="([^"]*)"', element.group())
        if target is None or rid is None:
            continue
        found = target.group(1).decode("utf-8", "replace")
        found = found[1:] if found.startswith("/") else posixpath.normpath(f"xl/{found}")
        if found == part:
            rel = element
            break
    if rel is None:
        return None
    old_id = re.search(rb'\sId="([^"]*)"', rel.group()).group(1)
    sheet = re.search(rb"<(?:[\w.-]+:)?sheet\s[^>]*?\s[\w.-]+:id=\"" + re.escape(old_id) + rb"\"[^>]*?/>", book)
    if sheet is None:
        return None
    copy = re.sub(rb'\sstate="[^"]*"', b"", sheet.group())
    copy = re.sub(rb'(\sname=")[^"]*"', lambda m: m.group(1) + name.encode() + b'"', copy)
    sheet_id = max(map(int, re.findall(rb'\ssheetId="(\d+)"', book)), default=0) + 1
    copy = re.sub(rb'(\ssheetId=")[^"]*"', lambda m: m.group(1) + str(sheet_id).encode() + b'"', copy)
    copy = re.sub(rb'(\s[\w.-]+:id=")[^"]*"', lambda m: m.group(1) + new_id + b'"', copy)
    new_rel = re.sub(rb'(\sId=")[^"]*"', lambda m: m.group(1) + new_id + b'"', rel.group())
    new_rel = re.sub(rb'(\sTarget=")[^"]*"', lambda m: m.group(1) + new_part[3:].encode() + b'"', new_rel)
    changed[_WORKBOOK] = book[:sheet.end()] + copy + book[sheet.end():]
    changed[_WORKBOOK_RELS] = rels[:rel.end()] + new_rel + rels[rel.end():]
    override = re.search(rb'<(?:[\w.-]+:)?Override\s[^>]*?PartName="/' + re.escape(part.encode())
                         + rb'"[^>]*?/>', types)
    if override is not None:
        new_override = override.group().replace(b'"/' + part.encode() + b'"', b'"/' + new_part.encode() + b'"')
        changed[_CONTENT_TYPES] = types[:override.end()] + new_override + types[override.end():]
    return name, new_part
