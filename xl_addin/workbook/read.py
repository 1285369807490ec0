"""Read a workbook's sheets fast: the file reader behind ``file_book.FileSource``. Which sheets
are read and how they are assembled is the one refresh's business (``xl_addin.refresh``); the
shortcuts ``read_sales``, ``read_settings``, ... are in ``workbook.refresh``.

Cells are parsed by fastexcel (Rust calamine into Arrow columns): no Python work per cell.
Conventions:

* Header row = the first non-empty row of a sheet (rows above it are ignored; a title row
  above the headers would be taken as the header row). Data = every row below it; rows with
  no value in any read column are dropped. ``source_row`` is the 1-based Excel row.
* Values are raw, as the cells hold them: ``date`` is a datetime column, ``amount`` / ``cost``
  / ``wallet`` float columns, text fields text (numbers in them as text, 1001 -> "1001").
  When a cell does not fit its column's type ("n/a" in Amount, "2025-13-45" in Date), the
  column becomes object dtype holding the typed values and that cell's raw value, so
  ``core.clean_transactions`` can report it; nothing is parsed or dropped here.
* The file is read into memory once and closed at once (Excel on Windows may still replace
  it afterwards).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.columns import (
    AMOUNT,
    COST,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DATE,
    INDUSTRY,
    ORDER_ID,
    REGION,
    SALESPERSON,
    SIZE,
    SOURCE_ROW,
    SOURCE_SHEET,
    WALLET,
)
from ..core.clean import TYPED_CELLS, TypedCells
from ..errors import WorkbookError, reason
from . import pieces, reader_prefetch
from .reader_prefetch import file_identity
from .tables import SheetHeader
from .xlsx.package import inflate

__all__ = ["SalesBook", "SheetHeader", "list_sheets", "worksheets_only"]

# fastexcel dtype of each field's column (the rest of a customer master: guessed).
FIELD_DTYPES = {
    CUSTOMER_ID: "string", CUSTOMER_NAME: "string", ORDER_ID: "string",
    SALESPERSON: "string", INDUSTRY: "string", REGION: "string", SIZE: "string",
    DATE: "datetime", AMOUNT: "float", COST: "float", WALLET: "float",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_ZIP_MAGIC = b"PK\x03\x04"


class _QuietDtypeGuess(logging.Filter):
    """Drops fastexcel's "Could not determine dtype ..." warning: an empty extra column of the
    customer master is normal and is dropped anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("Could not determine dtype")


_QUIET_DTYPE_GUESS = _QuietDtypeGuess()


class SalesBook:
    """One workbook, read into memory once; sheets are parsed on demand.

    >>> with SalesBook.open("sales.xlsx") as book:
    ...     header = book.header("Sales")
    """

    def __init__(self, path: str | Path, data: bytes,
                 identity: tuple[int, ...] | None = None) -> None:
        self.path = Path(path)
        # the file's identity when ``data`` was read (``file_identity``): while the file still
        # has it, the parser reads the file itself rather than a copy of ``data`` (see
        # ``_open_reader``)
        self._identity = identity
        self._by_path = False
        dtype_logger = logging.getLogger("fastexcel.types.dtype")
        if _QUIET_DTYPE_GUESS not in dtype_logger.filters:  # added on first use, not on import
            dtype_logger.addFilter(_QUIET_DTYPE_GUESS)
        self._zip = _XlsxParts.open(data)
        self._data: bytes | None = data
        self._fastexcel: Any = None
        self._sheet_readers: dict[str, Any] = {}  # sheet -> its own parser (``_reader_for``)
        if self._zip is None:  # xls, xlsb, ods, or not a readable package: fastexcel decides now
            self._open_reader()
            self.sheet_names: list[str] = list(self._fastexcel.sheet_names)
        else:
            # the package's sheets in tab order, as fastexcel lists them; fastexcel opens the
            # package (parsing every shared string) only when a sheet must be parsed, so a
            # refresh served by the sales cache never pays for it
            self.sheet_names = list(self._zip.sheet_parts)
        self.date1904 = bool(self._zip and self._zip.date1904)
        self._headers: dict[str, SheetHeader] = {}

    def _reader_for(self, sheet: str) -> Any:
        """The parser for ``sheet``: the workbook's; or, while that is not open, for a sheet
        whose cells use no shared string (the sheets we write: Settings, Tiers), a parser of a
        package holding that sheet alone. Opening the workbook's parser reads every shared
        string, a million rows' worth: a refresh whose sales come from the cache then never
        pays for it."""
        if self._fastexcel is None and self._zip is not None:
            if sheet not in self._sheet_readers:
                self._sheet_readers[sheet] = self._sheet_alone_reader(sheet)
            if self._sheet_readers[sheet] is not None:
                return self._sheet_readers[sheet]
        return self._reader

    def _sheet_alone_reader(self, sheet: str) -> Any:
        xml = self._zip.without_shared_strings(sheet, _SHEET_ALONE_MAX_BYTES)
        if xml is None:
            return None
        package = worksheets_only(self._data, sheet, {self._zip.sheet_parts[sheet]: xml})
        try:
            return fastexcel.read_excel(package) if package is not None else None
        except Exception:  # the workbook's own parser decides, and words any error
            return None

    @property
    def _reader(self) -> Any:
        if self._fastexcel is None:
            if self._data is None:
                raise WorkbookError(f"'{self.path}' is closed")
            self._open_reader()
        return self._fastexcel

    def _open_reader(self) -> None:
        data = self._data
        if self._identity is not None and data.startswith(_ZIP_MAGIC) and \
                file_identity(self.path) == self._identity:
            # From the file, not from ``data``: fastexcel copies bytes it is given, and that
            # copy would sit beside the sheet's parse, the refresh's peak of memory (a
            # 70 MB package for a million rows). The file is the one ``data`` was read from
            # (same size, time and file id); each parse checks it still is (``_still_same``).
            # Rust opens it sharing read, write and delete, so Excel may still replace it.
            try:
                # opened ahead by the command while it imported the rest (``reader_prefetch``)
                opened = reader_prefetch.take(self.path, self._identity)
                self._fastexcel = opened if opened is not None else fastexcel.read_excel(str(self.path))
                self._by_path = True
                return
            except Exception:  # read the bytes below: same error handling as ever
                self._by_path = False
        try:
            self._fastexcel = fastexcel.read_excel(data)
        except Exception as exc:  # fastexcel raises its own and pyo3 errors
            # calamine refuses a whole package for one sheet it cannot handle (an Excel 4.0
            # macro sheet, a dialog sheet, a sheet with r:id=""); the sales tabs are ordinary
            # worksheets, so read a copy that holds only those.
            worksheets = worksheets_only(data)
            try:
                if worksheets is None:
                    raise exc
                self._fastexcel = fastexcel.read_excel(worksheets)
            except Exception as retry:
                # the reader library's own wording ("calamine error ...") is no message for a user
                raise self._damaged() from None

    def _damaged(self) -> WorkbookError:
        return WorkbookError(
            f"cannot read '{self.path}': it is damaged or not a complete workbook "
            "(open it in Excel and save it again, or check the path)")

    @classmethod
    def open(cls, path: str | Path) -> SalesBook:
        """Read ``path`` into memory. WorkbookError when it is missing, locked, encrypted or
        not a workbook."""
        return cls(path, *read_workbook_file(Path(path)))

    def __enter__(self) -> SalesBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the bytes and the parser (and its open file): what was read stays readable
        (``sheet_names``, ``header`` of a sheet already asked); parsing a sheet raises
        WorkbookError."""
        self._fastexcel = None
        self._sheet_readers = {}
        self._data = None
        self._zip = None
        reader_prefetch.forget(self.path)  # opened ahead but never needed (sales from the cache)

    def _still_same(self) -> bool:
        """False when the parser reads the file and the file changed since ``data`` was read
        (then ``data`` is parsed instead: what was parsed must be what the cache key and the
        headers came from)."""
        if not self._by_path or file_identity(self.path) == self._identity:
            return True
        self._fastexcel = None
        self._identity = None  # from now on the bytes
        self._by_path = False
        return False

    # -- sheets -------------------------------------------------------------------------

    def header(self, sheet: str) -> SheetHeader:
        """The first non-empty row of ``sheet``, read without parsing the rest of the sheet."""
        if sheet not in self._headers:
            try:
                header = self._zip.header(sheet) if self._zip else None
            except (zipfile.BadZipFile, zlib.error, EOFError):  # a bad CRC, a cut-off member
                raise self._damaged() from None
            self._headers[sheet] = header if header is not None else self._header_by_reader(sheet)
        return self._headers[sheet]

    def _header_by_reader(self, sheet: str) -> SheetHeader:
        # Non-xlsx formats (xls, xlsb, ods): fastexcel parses the whole sheet here.
        batch, selected = self._load(sheet, header_row=None, skip_rows=0, dtypes="string",
                                     n_rows=10_000)
        for index, row in enumerate(_rows_from_a(batch, selected), start=1):
            if any(v is not None and str(v).strip() for v in row):
                return SheetHeader(index, tuple(row))
        return SheetHeader(0, ())

    @property
    def hidden_sheets(self) -> set[str]:
        """Hidden and very hidden sheets (xlsx/xlsm; none known for other formats)."""
        return set(self._zip.hidden) if self._zip else set()

    def sales_entries(self, sheets: list[str]) -> dict[str, list[int]] | None:
        """CRC-32 and uncompressed size of every zip entry that decides how ``sheets`` read:
        their parts and the shared strings, from the zip's central directory (nothing
        decompressed); {entry name: [crc, size]}. The cell styles' number formats
        (``cell_formats``) and the date system (``date1904``) decide too. None when the workbook is not an xlsx package (xls, xlsb, ods) or a
        sheet's part is not found."""
        return self._zip.entries(sheets) if self._zip else None

    def part_entry(self, sheet: str) -> list[int] | None:
        """[CRC-32, uncompressed size] of ``sheet``'s part from the zip's central directory;
        None when the workbook is not an xlsx package or the sheet has no part."""
        part = self._zip.sheet_parts.get(sheet) if self._zip else None
        entry = self._zip.entries([sheet]) if part is not None else None
        return entry.get(part) if entry else None

    def sheet_xml(self, sheet: str, max_size: int) -> bytes | None:
        """The XML of ``sheet``'s part, inflated (CRC checked); None when the workbook is not
        an xlsx package, the sheet has no part, or the part is larger than ``max_size``."""
        return self._zip.sheet_xml(sheet, max_size) if self._zip else None

    def cell_formats(self) -> list[str]:
        """The number format of each cell style, in index order ("14", "164:yyyy-mm-dd"):
        what decides whether a number cell reads as a date. [] when not an xlsx package."""
        return self._zip.cell_formats() if self._zip else []

    # -- the refresh's Source (xl_addin.refresh) ------------------------------------------

    def read_columns(self, sheet: str, header: SheetHeader, fields: dict[str, int],
                     extras: dict[int, str] | None = None) -> pd.DataFrame:
        """``Source.columns``: the ``fields`` columns below ``header`` (known fields typed as
        FIELD_DTYPES, others as text), numeric ``extras``, source columns."""
        return self._read_fields(sheet, header, fields, tuple(fields), extras)

    def read_typed_columns(self, sheet: str, header: SheetHeader, fields: dict[str, int],
                           extras: dict[int, str] | None = None) -> tuple[pd.DataFrame, RawCells]:
        """``read_columns`` in two parts: the typed columns (missing where a cell did not fit)
        and those cells' raw values; ``with_raw_cells`` joins them. The sales cache stores
        the parts: a million typed cells and a short list, never a million Python objects."""
        return self._read_typed_fields(sheet, header, fields, tuple(fields), extras)

    def read_rows(self, sheet: str) -> list[list[Any]]:
        """``Source.rows``: every row of a small sheet as text cells from column A; a cell
        holding an error value as its text ("#DIV/0!"). In a 1904 workbook a date cell's text
        is its date in that system (see ``_dates_as_1904_texts``)."""
        batch, selected = self._load(sheet, header_row=None, skip_rows=0, dtypes="string")
        rows = _rows_from_a(batch, selected) if batch.num_rows else []
        for row, column, value in _error_cells(self._reader_for(sheet), sheet) if rows else ():
            if row < len(rows):
                rows[row].extend([None] * (column + 1 - len(rows[row])))
                rows[row][column] = value  # "#DIV/0!": the Settings reader refuses it
        if rows and self.date1904 and self._zip:
            _dates_as_1904_texts(rows, self._zip.numbers(sheet))
        return rows

    # -- internals ----------------------------------------------------------------------

    def _load(self, sheet: str, **options: Any) -> tuple[pa.RecordBatch, list]:
        """The sheet as one Arrow batch, and fastexcel's column infos."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                loaded = self._reader_for(sheet).load_sheet(sheet, **options)
                found = loaded.to_arrow(), loaded.selected_columns
            except Exception as exc:
                if not self._still_same():  # the file changed under the parser: the bytes
                    return self._load(sheet, **options)
                raise _sheet_error(sheet, self.path, exc) from None
        return found if self._still_same() else self._load(sheet, **options)

    def _load_columns(
        self, sheet: str, header_row: int, dtypes: dict[int, str | None]
    ) -> tuple[pa.RecordBatch, list, list]:
        """The columns ``dtypes`` names (0-based from column A) of the rows below
        ``header_row``; a None dtype is guessed. Returns the batch, fastexcel's cell errors
        and its column infos."""
        in_pieces = self._load_in_pieces(sheet, header_row, dtypes)
        if in_pieces is not None:
            return in_pieces
        reader = self._reader_for(sheet)
        try:
            # the set-aside bytes are back (or WorkbookError: the file changed) before any
            # error of the parser is looked at
            with warnings.catch_warnings(), self._bytes_set_aside(
                    sheet, reads_file=self._by_path and reader is self._fastexcel):
                warnings.simplefilter("ignore")
                loaded = _parse_columns(reader, sheet, header_row, dtypes)
                found = _converted(loaded)
                del loaded  # the parsed sheet (calamine's cells) goes before the caller's copies
        except WorkbookError:
            raise
        except Exception as exc:
            if not self._still_same():  # the file changed under the parser: the bytes
                return self._load_columns(sheet, header_row, dtypes)
            raise _sheet_error(sheet, self.path, exc) from None
        if not self._still_same():
            return self._load_columns(sheet, header_row, dtypes)
        return found

    @contextmanager
    def _bytes_set_aside(self, sheet: str, reads_file: bool) -> Iterator[None]:
        """While a large sheet is parsed from the file (not from ``data``), ``data`` is out of
        memory: the parse is the refresh's peak of memory, and the workbook's bytes would sit
        beside it (69 MB for a million rows). They are read again after the parse, and must
        come from the same file (same size, time and file id, as ``_still_same`` checks): when
        the file changed meanwhile, WorkbookError (what was parsed is not what the cache key
        and the headers came from, and the bytes they came from are gone)."""
        part, entry = self._sheet_entry(sheet)
        if not (reads_file and entry is not None and
                entry[1] >= _SET_ASIDE_MIN_BYTES and self._data is not None):
            yield
            return
        size = len(self._data)
        self._data = None
        self._zip.set_aside()
        try:
            yield
        finally:
            try:
                data = self.path.read_bytes() if file_identity(self.path) == self._identity else b""
            except OSError:
                data = b""
            if len(data) != size or file_identity(self.path) != self._identity:
                self._fastexcel = None  # parsing again could only read the changed file
                raise WorkbookError(
                    f"'{self.path}' changed while it was being read (saved from Excel?): "
                    "run the refresh again")
            self._data = data
            self._zip.take_back(data)

    def _load_in_pieces(
        self, sheet: str, header_row: int, dtypes: dict[int, str | None]
    ) -> tuple[pa.Table, list, list] | None:
        """``_load_columns`` of a very large sheet by two parsers at once (``pieces``), read
        from the file while it is still the one ``data`` came from; None when the sheet is
        not one to cut or could not be cut."""
        part, entry = self._sheet_entry(sheet)
        if entry is None or not pieces.worth_cutting(entry[1]) or self._data is None or \
                self._identity is None or file_identity(self.path) != self._identity:
            return None
        # cut by the command while it imported (``reader_prefetch``), else here
        cut = reader_prefetch.take_cut(self.path, self._identity, part) or \
            pieces.cut_sheet(self.path, part, fastexcel.read_excel)
        if cut is None:
            return None
        # The workbook's own parser is not needed for this sheet: its shared strings would
        # sit beside the pieces' (a sheet read later opens it again if it must).
        self._fastexcel = None
        self._by_path = False
        reader_prefetch.forget(self.path)

        def parse(reader: Any, name: str | None, skip_rows: int | None, later: bool) -> Any:
            return _parse_columns(reader, sheet if name is None else name, skip_rows, dtypes, later)

        # around the threads: the warning filters are the process's
        with warnings.catch_warnings(), self._bytes_set_aside(sheet, reads_file=True):
            warnings.simplefilter("ignore")
            return pieces.load_in_pieces(cut, header_row, parse, _converted)

    def _sheet_entry(self, sheet: str) -> tuple[str | None, list[int] | None]:
        """The zip part of ``sheet`` and its [CRC-32, size] (None, None: not in the package)."""
        part = self._zip.sheet_parts.get(sheet) if self._zip is not None else None
        return part, (self._zip.entries([sheet]).get(part) if part is not None else None)

    def _read_fields(
        self, sheet: str, header: SheetHeader, match: dict[str, int], fields: tuple[str, ...],
        extras: dict[int, str] | None = None,
    ) -> pd.DataFrame:
        return with_raw_cells(*self._read_typed_fields(sheet, header, match, fields, extras))

    def _read_typed_fields(
        self, sheet: str, header: SheetHeader, match: dict[str, int], fields: tuple[str, ...],
        extras: dict[int, str] | None = None,
    ) -> tuple[pd.DataFrame, RawCells]:
        """Typed columns (missing where a cell did not fit) and those cells' raw values."""
        wanted = {i: FIELD_DTYPES.get(f, "string") for f, i in match.items() if f in fields}
        if self.date1904 and DATE in match and DATE in fields:
            wanted[match[DATE]] = "float"  # serials as stored; see _dates_from_1904
        wanted.update({i: None for i in (extras or {})})
        batch, errors, selected = self._load_columns(sheet, header.row, wanted)
        index = _batch_index(selected)
        raw_cells = _raw_cells(errors, selected)
        keep = _non_empty_rows(batch, raw_cells)
        by_column = {col: field for field, col in match.items() if field in fields}
        # A TRUE/FALSE cell reads as 1.0 / 0.0 in a number column and as "true" / "false" in a
        # text column (in a date column it is a raw cell already). Only when such values are
        # there is the sheet's XML searched for the cells typed as booleans: inflating a
        # million rows' XML costs 1.2 s of CPU, spent for nothing in the usual sheet.
        booleans = self._zip.booleans(sheet) if self._zip and _may_hold_booleans(
            [batch.column(index[col]) for col in by_column]) else []
        cells: dict[str, tuple[list, list]] = {}
        for col, (rows, values) in raw_cells.items():
            if col in by_column:
                cells[by_column[col]] = (list(rows), list(values))
        for row, col, value in booleans:  # TRUE/FALSE as the user typed them, for the core to refuse
            at = row - header.row - 1
            if col in by_column and 0 <= at < batch.num_rows:
                rows, values = cells.setdefault(by_column[col], ([], []))
                rows.append(at)
                values.append(value)
        columns: dict[str, Any] = {}
        for field, col in match.items():
            if field in fields:
                columns[field] = batch.column(index[col]).to_pandas()
        if self.date1904 and DATE in columns:
            columns[DATE] = _serials_from_1904(columns[DATE])
            if DATE in cells:
                rows, values = cells[DATE]
                cells[DATE] = (rows, list(_dates_from_1904(np.array(values + [None], dtype=object))[:-1]))
        for col, name in (extras or {}).items():
            array = batch.column(index[col])
            if pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
                columns[name] = array.to_pandas()
        columns[SOURCE_ROW] = np.arange(header.row + 1, header.row + 1 + batch.num_rows, dtype=np.int64)
        frame = pd.DataFrame(columns, copy=False)
        found: RawCells = {}
        position = None
        if keep is not None:
            frame = frame.loc[keep].reset_index(drop=True)
            position = np.cumsum(keep) - 1  # row of the batch -> row of the frame
        for field, (rows, values) in cells.items():
            at = np.asarray(rows, dtype=np.int64)
            if position is not None:
                kept = keep[at]
                at = position[at[kept]]
                values = [v for v, k in zip(values, kept) if k]
            found[field] = (at, values)
        frame.insert(len(frame.columns) - 1, SOURCE_SHEET, pd.Categorical.from_codes(
            np.zeros(len(frame), dtype=np.int8), categories=[sheet]))
        return frame, found


RawCells = dict[str, tuple[np.ndarray, list[Any]]]
"""field -> (0-based rows of the frame, raw values): cells that did not fit their column's type."""


def with_raw_cells(frame: pd.DataFrame, cells: RawCells) -> pd.DataFrame:
    """``frame`` with each column of ``cells`` as object dtype holding its typed values and,
    at those rows, the raw values (what ``core.clean_transactions`` reports)."""
    if not cells:
        return frame
    frame = frame.copy(deep=False)
    typed = {}
    for field, (rows, values) in cells.items():
        series = frame[field]
        rows = np.asarray(rows, dtype=np.int64)
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            array = series.to_numpy()
            # numpy makes datetime.datetime objects far faster than pandas makes Timestamps
            objects = array.astype("datetime64[us]").astype(object)
            typed[field] = (array, rows)
        else:
            if series.dtype == np.float64:
                typed[field] = (series.to_numpy(), rows)
            objects = np.array(series.to_numpy(dtype=object, na_value=None), dtype=object)
        objects[rows] = np.array(list(values) + [None], dtype=object)[:-1]
        frame[field] = objects
    # the typed columns ride along: cleaning reads them rather than a million objects
    frame.attrs[TYPED_CELLS] = TypedCells(typed, len(frame))
    return frame


def _parse_columns(reader: Any, sheet: str, skip_rows: int | None, dtypes: dict[int, str | None],
                   later: bool = False) -> Any:
    """fastexcel's parse of the columns ``dtypes`` names (0-based from column A; a None dtype
    is guessed) below the first ``skip_rows`` rows (None: from the sheet's first row with a
    cell). A missing column is refused, as a table missing one must be; ``later``: a later
    piece of a sheet cut in pieces gives what it has (``pieces.Parse``)."""
    forced = {i: d for i, d in dtypes.items() if d is not None}
    columns = (lambda column: column.index in dtypes) if later else sorted(dtypes)
    return reader.load_sheet(sheet, header_row=None, skip_rows=skip_rows, use_columns=columns,
                             dtypes=forced or None)


def _converted(loaded: Any) -> tuple[pa.RecordBatch, list, list]:
    """A parsed sheet as (Arrow batch, fastexcel's cell errors, its column infos)."""
    batch, errors = loaded.to_arrow_with_errors()
    return batch, (errors.errors if errors is not None else []), loaded.selected_columns


def _sheet_error(sheet: str, path: Path, exc: Exception) -> WorkbookError:
    """A sheet the reader library could not parse: what happened in our words, its own
    words in brackets for whoever reports the problem, and what to do."""
    return WorkbookError(
        f"cannot read sheet '{sheet}' of '{path}': its cells are damaged or stored in a form "
        f"the reader does not know ({reason(exc)}). Open the workbook in Excel, save it again "
        "and run the refresh again.")


def _error_cells(reader: Any, sheet: str) -> list[tuple[int, int, str]]:
    """(0-based row, 0-based column, "#DIV/0!") of every cell of ``sheet`` holding an error
    value: a string load reads them as empty, and a Settings cell read as blank would silently
    become the default."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _, errors = reader.load_sheet(sheet, header_row=None, skip_rows=0,
                                          dtypes="string").to_arrow_with_errors()
        except Exception:  # the plain load before this succeeded: nothing more to learn here
            return []
    found = []
    for error in (errors.errors if errors is not None else []):
        value = _decode_cell(error.detail)
        if isinstance(value, str) and value.startswith("#"):
            row, col = error.position
            found.append((row, col, value))
    return found


def _serials_from_1904(values: pd.Series) -> pd.Series:
    """``_dates_from_1904`` of a float column, at once."""
    serials = values.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        shifted = np.where(np.isnan(serials), serials, np.where(serials >= 0, serials + 1462.0, -1.0))
    return pd.Series(shifted, index=values.index)


def _dates_from_1904(values: Any) -> np.ndarray:
    """A 1904-system date column, read as stored serials (date cells arrive as raw cells with
    their serial), as 1900-system serials: + 1462 days, so the core's one rule applies.

    fastexcel itself applies the 1904 flag in some workbooks and not in others (Excel's own
    files put <fileVersion> first and it misses the flag: dates 1,462 days early), and never
    to plain numbers: reading the serials and shifting them here is right in every case.
    Text is left as it is; a negative serial (no date in the 1904 system) stays negative."""
    cells = np.asarray(values.to_numpy(dtype=object, na_value=None)
                       if isinstance(values, pd.Series) else values, dtype=object)
    for i, value in enumerate(cells):
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, (bool, np.bool_)) and value == value:
            cells[i] = float(value) + 1462.0 if value >= 0 else -1.0
    return cells


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d+)?)?")
_EPOCH_1904 = np.datetime64("1904-01-01", "s")


def _dates_as_1904_texts(rows: list[list[Any]], numbers: dict[tuple[int, int], float]) -> None:
    """Date cells of a 1904 workbook, read as text, as the dates Excel shows: fastexcel counts
    their serials from 1900 in some workbooks (Excel's own), so the text is rebuilt from the
    stored serial (days since 1904-01-01). A cell is a date cell when it holds a number that
    fastexcel wrote as a date. In place."""
    for (row, column), serial in numbers.items():
        if row >= len(rows) or column >= len(rows[row]):
            continue
        text = rows[row][column]
        if isinstance(text, str) and _DATE_TEXT.fullmatch(text) and 0 <= serial < 2_957_004:
            moment = _EPOCH_1904 + np.timedelta64(round(serial * 86_400), "s")
            rows[row][column] = str(moment).replace("T", " ")


def read_workbook_file(path: Path) -> tuple[bytes, tuple[int, ...] | None]:
    """The workbook's bytes (``_read_workbook_bytes``) and the file's identity while they
    were read (None when it changed during the read: then only the bytes are parsed)."""
    before = file_identity(path)
    data = _read_workbook_bytes(path)
    return data, (before if before is not None and file_identity(path) == before else None)


def _read_workbook_bytes(path: Path) -> bytes:
    if not path.exists():
        raise WorkbookError(f"workbook not found: '{path}' (check the path and the file name)")
    if path.is_dir():
        raise WorkbookError(f"'{path}' is a folder, not a workbook: give the path of an .xlsx "
                            "or .xlsm file")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise WorkbookError(
            f"cannot open '{path}': it is locked by another program or you lack permission "
            "(close it in Excel and try again, or check the path's permissions)"
        ) from None
    except OSError as exc:
        raise WorkbookError(f"cannot open '{path}': {exc.strerror or exc} (check the path)") from None
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTION_INFO in data:
            raise WorkbookError(
                f"'{path}' is password-protected (encrypted); save a copy without a password"
            )
        return data  # a legacy .xls workbook
    if not data.startswith(_ZIP_MAGIC):
        raise WorkbookError(f"'{path}' is not an Excel workbook (.xlsx, .xlsm, .xlsb, .xls): "
                            "check the path, or open it in Excel and save it as .xlsx")
    return data


# Parts a worksheet's cells need, by workbook relationship type (last path segment).
_CELL_PARTS = ("worksheet", "sharedStrings", "styles", "theme")


# A sheet whose part is at least this large (uncompressed) is parsed with the workbook's bytes
# out of memory (``SalesBook._bytes_set_aside``): reading them again costs 20-40 ms.
_SET_ASIDE_MIN_BYTES = 64 * 2**20

# A sheet read through a package of its own is inflated whole first: up to this size (our Tiers
# sheet of 50,000 customers is 58 MB); a larger one goes through the workbook's parser.
_SHEET_ALONE_MAX_BYTES = 64 * 2**20


def worksheets_only(data: bytes, sheet_name: str | None = None,
                    inflated: dict[str, bytes] | None = None) -> bytes | None:
    """A copy of an xlsx / xlsm package that holds only its worksheets and the parts their
    cells need (shared strings, styles, theme), for a reader that fails on the whole file
    because of one other sheet: an Excel 4.0 macro sheet, a dialog sheet, a chartsheet or a
    ``<sheet r:id="">``. Sheet names and order of the worksheets are kept; defined names are
    dropped (their sheet indexes would be wrong). None when ``data`` is not such a package.

    ``sheet_name``: only that worksheet, styles and theme, without the shared strings (for a
    sheet whose cells use none: ``SalesBook._reader_for``). ``inflated``: parts already read
    (part -> bytes)."""
    from lxml import etree

    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        root_rels = etree.fromstring(package.read("_rels/.rels"))
        book_part = next(r.get("Target") for r in root_rels
                         if r.get("Type", "").endswith("/officeDocument")).lstrip("/")
        folder, name = book_part.rsplit("/", 1) if "/" in book_part else ("", book_part)
        rels_part = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        book = etree.fromstring(package.read(book_part))
        rels = etree.fromstring(package.read(rels_part))
        names = set(package.namelist())
        kept: dict[str, str] = {}
        for rel in list(rels):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else \
                f"{folder}/{target}" if folder else target
            if kind in _CELL_PARTS and rel.get("TargetMode") != "External" and part in names \
                    and not (sheet_name is not None and kind == "sharedStrings"):
                kept[rel.get("Id")] = part
            else:
                rels.remove(rel)
        for element in list(book):
            if _local(element.tag) == "definedNames":
                book.remove(element)
            elif _local(element.tag) == "sheets":
                for sheet in list(element):
                    rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
                    if rid not in kept or (sheet_name is not None and sheet.get("name") != sheet_name):
                        element.remove(sheet)
                        if sheet_name is not None and rid in kept:
                            del kept[rid]  # another worksheet: not copied
                if sheet_name is not None and len(element) != 1:
                    return None
        if sheet_name is not None:
            for rel in list(rels):
                if rel.get("Id") not in kept:
                    rels.remove(rel)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for member in ("[Content_Types].xml", "_rels/.rels"):
                copy.writestr(member, package.read(member))
            copy.writestr(book_part, etree.tostring(book, xml_declaration=True, encoding="UTF-8"))
            copy.writestr(rels_part, etree.tostring(rels, xml_declaration=True, encoding="UTF-8"))
            for part in kept.values():
                copy.writestr(part, (inflated or {}).get(part) or package.read(part))
        return out.getvalue()
    except (KeyError, StopIteration, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None


class _XlsxParts:
    """Direct access to an xlsx package, to read a sheet's header row without parsing the
    whole sheet (fastexcel parses a whole sheet on every load)."""

    def __init__(self, package: zipfile.ZipFile, parts: dict[str, str], strings: str | None,
                 styles: str | None = None) -> None:
        self._package = package
        self._parts = parts
        self._strings_part = strings
        self._styles_part = styles
        self._strings: list[str] = []
        self._strings_iter: Iterator[str] | None = None
        self._cell_formats: list[str] | None = None
        self._data = b""  # the package's bytes (``open``)
        self.date1904 = False
        self.hidden: set[str] = set()

    @property
    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> part of every sheet with a part, in tab order."""
        return dict(self._parts)

    def set_aside(self) -> None:
        """Let go of the package's bytes (``SalesBook._bytes_set_aside``); ``take_back``
        before any other use. What was read from them is kept."""
        self._package = None
        self._data = b""
        self._strings_iter = None  # it reads from the old bytes; starts again where it was

    def take_back(self, data: bytes) -> None:
        """The same package's bytes again, after ``set_aside``."""
        self._package = zipfile.ZipFile(io.BytesIO(data))
        self._data = data

    @classmethod
    def open(cls, data: bytes) -> _XlsxParts | None:
        if not data.startswith(_ZIP_MAGIC):
            return None
        try:
            package = zipfile.ZipFile(io.BytesIO(data))
            book = ET.fromstring(package.read("xl/workbook.xml"))
            rels = ET.fromstring(package.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, zipfile.BadZipFile, ET.ParseError):
            return None  # xlsb, ods or damaged: fall back to fastexcel
        targets, strings, styles = {}, None, None
        for rel in rels:
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = target
            if rel.get("Type", "").endswith("/sharedStrings"):
                strings = target
            elif rel.get("Type", "").endswith("/styles"):
                styles = target
        parts = {}
        for element in book.iter():
            if _local(element.tag) == "sheet":
                rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                if rid in targets:
                    parts[element.get("name")] = targets[rid]
        found = cls(package, parts, strings, styles)
        found._data = data
        found.hidden = {e.get("name") for e in book.iter() if _local(e.tag) == "sheet"
                        and e.get("state") in ("hidden", "veryHidden")}
        found.date1904 = any(  # <workbookPr date1904="1"/>: serial 0 = 1904-01-01
            _local(e.tag) == "workbookPr" and e.get("date1904", "").lower() in ("1", "true")
            for e in book)
        return found

    def entries(self, sheets: list[str]) -> dict[str, list[int]] | None:
        """{zip entry: [CRC-32, size]} of ``sheets``' parts and the parts deciding how their
        cells read; None when a sheet has no part."""
        names = [self._strings_part]
        for sheet in sheets:
            if sheet not in self._parts:
                return None
            names.append(self._parts[sheet])
        found = {}
        for name in names:
            if name is None:
                continue
            try:
                info = self._package.getinfo(name)
            except KeyError:
                found[name] = None  # absent is part of the key too
                continue
            found[name] = [info.CRC, info.file_size]
        return found

    def cell_formats(self) -> list[str]:
        """The number format of each cell style (``cellXfs``), in index order: "id" or
        "id:custom code". What decides whether a number cell reads as a date."""
        if self._cell_formats is None:
            self._cell_formats = self._read_cell_formats()
        return list(self._cell_formats)

    def _read_cell_formats(self) -> list[str]:
        if not self._styles_part:
            return []
        try:
            root = ET.fromstring(self._package.read(self._styles_part))
        except (KeyError, ET.ParseError):
            return []
        codes = {}
        for element in root:
            if _local(element.tag) == "numFmts":
                codes = {f.get("numFmtId"): f.get("formatCode") or "" for f in element}
        formats = []
        for element in root:
            if _local(element.tag) == "cellXfs":
                for xf in element:
                    number = xf.get("numFmtId") or "0"
                    formats.append(f"{number}:{codes[number]}" if number in codes else number)
        return formats

    def header(self, sheet: str) -> SheetHeader | None:
        part = self._parts.get(sheet)
        if part is None:
            return None
        for row_number, element in self._rows(part):
            cells = self._row_values(element)
            if any(v is not None for v in cells):
                return SheetHeader(row_number, tuple(cells))
        return SheetHeader(0, ())

    def numbers(self, sheet: str) -> dict[tuple[int, int], float]:
        """(0-based row, 0-based column) -> stored number of every numeric cell of ``sheet``
        (a date cell's serial). For small sheets (Settings)."""
        part = self._parts.get(sheet)
        if part is None:
            return {}
        found: dict[tuple[int, int], float] = {}
        for row_number, element in self._rows(part):
            for column, cell in _cells(element):
                v = next((c.text for c in cell if _local(c.tag) == "v"), None)
                if cell.get("t", "n") == "n" and v is not None:
                    try:
                        found[(row_number - 1, column)] = float(v)
                    except ValueError:
                        pass  # not a number after all: fastexcel's text stands
        return found

    def _rows(self, part: str) -> Iterator[tuple[int, ET.Element]]:
        """(1-based row number, row element) of each row of a sheet part, streamed; each
        element is cleared once the caller moves on."""
        row_number = 0
        with self._package.open(part) as stream:
            for element in _end_elements(stream):
                if _local(element.tag) != "row":
                    continue
                row_number = int(element.get("r", row_number + 1))
                yield row_number, element
                element.clear()

    def booleans(self, sheet: str) -> list[tuple[int, int, bool]]:
        """(1-based row, 0-based column, value) of every TRUE/FALSE cell of ``sheet``: fastexcel
        reads them as 1.0 / 0.0 in a number column and as "true" in a text column. One regex
        pass over the sheet's XML; none in the usual sheet."""
        part = self._parts.get(sheet)
        if part is None or not self._holds(part, b't="b"'):
            return []
        with self._package.open(part) as stream:
            xml = stream.read()
        found = []
        for cell in _BOOLEAN_CELL.finditer(xml):
            ref, value = cell.group(1).decode(), cell.group(2)
            row = int("".join(ch for ch in ref if ch.isdigit()))
            found.append((row, _column_index(ref), value.strip() in (b"1", b"true")))
        return found

    def without_shared_strings(self, sheet: str, max_size: int) -> bytes | None:
        """The XML of ``sheet`` when the workbook has shared strings, the sheet's XML is at
        most ``max_size`` bytes and no cell of it can be a shared string (``t="s"``: the
        attribute value "s", in either quote, is nowhere in it); else None. (Without shared
        strings, opening the workbook's parser costs little.)"""
        part = self._parts.get(sheet)
        try:
            if part is None or self._strings_part is None or \
                    self._package.getinfo(part).file_size > max_size:
                return None
            self._package.getinfo(self._strings_part)
            xml = self._package.read(part)
        except (KeyError, zipfile.BadZipFile, OSError):
            return None
        return None if b'"s"' in xml or b"'s'" in xml else xml

    def sheet_xml(self, sheet: str, max_size: int) -> bytes | None:
        """The part of ``sheet`` inflated, at most ``max_size`` bytes; None otherwise."""
        part = self._parts.get(sheet)
        try:
            if part is None or self._package.getinfo(part).file_size > max_size:
                return None
            info = self._package.getinfo(part)
        except KeyError:
            return None
        with memoryview(self._data) as buffer:
            data = _member_bytes(buffer, info)
        if data is None:  # stored, encrypted or odd: zipfile's own reading
            try:
                return self._package.read(part)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                return None
        return data

    def _holds(self, part: str, needle: bytes) -> bool:
        """Whether the part's uncompressed bytes hold ``needle``: inflated chunk by chunk from
        the package in memory, so a 300 MB sheet never sits in memory whole and no CRC is
        computed (the reader checks the part anyway)."""
        try:
            info = self._package.getinfo(part)
        except KeyError:
            return True  # cannot tell: look
        # a view of the package's bytes: BytesIO.getbuffer() would first copy them all
        with memoryview(self._data) as buffer:
            return _member_holds(buffer, info, needle)

    def _row_values(self, row: ET.Element) -> list[Any]:
        values: dict[int, Any] = {}
        for column, cell in _cells(row):
            value = self._cell_value(cell)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                values[column] = value
        if not values:
            return []
        return [values.get(i) for i in range(max(values) + 1)]

    def _cell_value(self, cell: ET.Element) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter() if _local(t.tag) == "t")
        v = next((child.text for child in cell if _local(child.tag) == "v"), None)
        if v is None:
            return None
        if kind == "s":
            return self._shared_string(int(v))
        if kind == "n":
            number = float(v)
            return int(number) if number.is_integer() else number
        if kind == "b":
            return v == "1"
        return v

    def _shared_string(self, index: int) -> str:
        if self._strings_iter is None:
            self._strings_iter = self._iter_strings()
            for _ in range(len(self._strings)):  # read before a ``set_aside``
                next(self._strings_iter, None)
        while len(self._strings) <= index:
            text = next(self._strings_iter, None)
            if text is None:
                return ""
            self._strings.append(text)
        return self._strings[index]

    def _iter_strings(self) -> Iterator[str]:
        if not self._strings_part or self._strings_part not in self._package.namelist():
            return
        with self._package.open(self._strings_part) as stream:
            for element in _end_elements(stream):
                if _local(element.tag) != "si":
                    continue
                parts = []
                for child in element:
                    name = _local(child.tag)
                    if name == "t":
                        parts.append(child.text or "")
                    elif name == "r":
                        parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
                element.clear()
                yield "".join(parts)


def _end_elements(stream: Any) -> Iterator[ET.Element]:
    """The elements of an XML stream as each ends (``ET.iterparse(stream, ("end",))``), fed
    in pieces: iterparse's iterator sits in a reference cycle with its stream, which through
    zipfile keeps the package's bytes in memory until a garbage collection runs
    (``SalesBook._bytes_set_aside`` lets go of them)."""
    parser = ET.XMLPullParser(events=("end",))
    while piece := stream.read(2**16):
        parser.feed(piece)
        for _, element in parser.read_events():
            yield element
    parser.close()
    for _, element in parser.read_events():
        yield element


def _member_holds(buffer: memoryview, info: zipfile.ZipInfo, needle: bytes) -> bool:
    start = info.header_offset
    header = bytes(buffer[start:start + 30])
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
            header[:4] != b"PK\x03\x04" or info.flag_bits & 1:
        return True  # cannot tell: look
    start += 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    data = buffer[start:start + info.compress_size]
    step, width = 2**20, len(needle)
    if info.compress_type == zipfile.ZIP_STORED:
        return any(needle in data[i:i + step + width].tobytes() for i in range(0, len(data), step))
    inflate = zlib.decompressobj(-15)
    tail = b""
    for i in range(0, len(data), step):
        chunk = inflate.decompress(data[i:i + step])
        if needle in chunk or needle in tail + chunk[:width]:
            return True
        tail = (tail + chunk[-width:])[-width:]
    return needle in tail + inflate.flush()


def _member_bytes(buffer: memoryview, info: zipfile.ZipInfo) -> bytes | None:
    """A deflated member's bytes inflated (``package.inflate``: ISA-L, CRC checked); None when
    it is not a plain deflated member or does not inflate to its size and CRC."""
    start = info.header_offset
    header = bytes(buffer[start:start + 30])
    if info.compress_type != zipfile.ZIP_DEFLATED or header[:4] != b"PK\x03\x04" or \
            info.flag_bits & 1:
        return None
    start += 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    return inflate(buffer[start:start + info.compress_size], info.file_size, info.CRC)


def _cells(row: ET.Element) -> Iterator[tuple[int, ET.Element]]:
    """(0-based column, cell element) of each cell of a row element; a cell without a
    reference follows the one before it."""
    column = -1
    for cell in row:
        if _local(cell.tag) != "c":
            continue
        ref = cell.get("r")
        column = _column_index(ref) if ref else column + 1
        yield column, cell


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(ref: str) -> int:
    """"B7" -> 1 (0-based)."""
    number = 0
    for ch in ref:
        if not ch.isalpha():
            break
        number = number * 26 + (ord(ch.upper()) - 64)
    return number - 1


def _rows_from_a(batch: pa.RecordBatch, selected: list) -> list[list[Any]]:
    """The batch as rows of cell values, index 0 = column A (fastexcel starts at the used
    range's first column)."""
    width = max((info.absolute_index for info in selected), default=-1) + 1
    columns: list[list[Any]] = [[None] * batch.num_rows for _ in range(width)]
    for pos, info in enumerate(selected):
        columns[info.absolute_index] = batch.column(pos).to_pylist()
    return [list(row) for row in zip(*columns)]


def _batch_index(selected: list) -> dict[int, int]:
    """0-based sheet column (from A) -> position in the batch."""
    return {info.absolute_index: pos for pos, info in enumerate(selected)}


def _raw_cells(errors: list, selected: list) -> dict[int, tuple[np.ndarray, list[Any]]]:
    """Cells that did not fit their column's type: sheet column -> (data rows, raw values)."""
    if not errors:
        return {}
    by_range_index = {info.index: info.absolute_index for info in selected}
    found: dict[int, tuple[list[int], list[Any]]] = {}
    for error in errors:
        row, col = error.offset_position
        rows, values = found.setdefault(by_range_index[col], ([], []))
        rows.append(row)
        values.append(_decode_cell(error.detail))
    return {col: (np.asarray(rows, dtype=np.int64), values) for col, (rows, values) in found.items()}


_BOOLEAN_CELL = re.compile(rb'<c\s[^>]*?r="([A-Z]+\d+)"[^>]*?t="b"[^>]*>\s*(?:<f[^>]*?(?:/>|>.*?</f>)\s*)?<v>([^<]*)</v>',
                           re.S)
_DETAIL = re.compile(r"got '(\w+)\((.*)\)'\s*$", re.S)
_EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!",
                 "Num": "#NUM!", "Ref": "#REF!", "Value": "#VALUE!"}
_RUST_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|.)")


def _decode_cell(detail: str) -> Any:
    """The raw value in a fastexcel cell error ("Expected float but got 'String(\"n/a\")'")."""
    found = _DETAIL.search(detail)
    if not found:
        return detail
    kind, inner = found.groups()
    if kind in ("String", "DateTimeIso", "DurationIso") and inner.startswith('"'):
        return _RUST_ESCAPE.sub(_unescape, inner[1:-1])
    if kind in ("Float", "Int"):
        return float(inner) if kind == "Float" else int(inner)
    if kind == "Bool":
        return inner == "true"
    if kind == "Error":
        return _EXCEL_ERRORS.get(inner, f"#{inner.upper()}")
    value = re.search(r"value:\s*([-0-9.eE]+)", inner)  # DateTime(ExcelDateTime { value: ... })
    return float(value.group(1)) if value else inner


def _unescape(found: re.Match) -> str:
    code = found.group(1)
    if code.startswith("u{"):
        return chr(int(code[2:-1], 16))
    return {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(code, code)


def _may_hold_booleans(columns: list[pa.Array]) -> bool:
    """Whether a TRUE/FALSE cell may be among the cells of ``columns``: how fastexcel reads
    one, 1.0 / 0.0 in a number column, "true" / "false" in a text column, is there.
    (Two comparisons per column: a quarter of the cost of a hashed ``is_in``.)"""
    for column in columns:
        if pa.types.is_floating(column.type):
            one, zero = 1.0, 0.0
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            one, zero = "true", "false"
        else:
            continue
        if pc.any(pc.or_(pc.equal(column, one), pc.equal(column, zero))).as_py():
            return True
    return False


def _non_empty_rows(
    batch: pa.RecordBatch, raw_cells: dict[int, tuple[np.ndarray, list[Any]]]
) -> np.ndarray | None:
    """Mask of rows with a value in some column (typed, or a raw cell that did not fit);
    None when every row has one."""
    if batch.num_columns == 0:
        return None
    empty = None
    for column in batch.columns:
        if column.null_count == 0:
            return None
        null = pc.is_null(column)
        empty = null if empty is None else pc.and_(empty, null)
    if not pc.any(empty).as_py():
        return None
    keep = ~empty.to_numpy(zero_copy_only=False)
    for rows, _ in raw_cells.values():
        keep[rows] = True
    return keep


# -- module-level shortcut ------------------------------------------------------------------
# Reading sales, the customer master, Settings or previous tiers from a file is the one
# refresh's reading step: ``workbook.refresh.read_sales`` and its siblings.


def list_sheets(path: str | Path) -> list[str]:
    """Sheet names of the workbook at ``path``, in workbook order."""
    with SalesBook.open(path) as book:
        return list(book.sheet_names)
