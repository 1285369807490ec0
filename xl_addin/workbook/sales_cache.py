"""Parsed sales kept between refreshes, so an unchanged sales tab is not parsed again.

A manager who changes one threshold in Settings and refreshes again should not wait for a
million unchanged rows to be parsed a second time. ``cached_columns(book, sheet, header,
fields, extras, cache)`` returns exactly what ``SalesBook.read_columns`` returns for one sheet
(raw values, before cleaning), from the cache when the key matches, else reads and stores it.
The file adapter (``file_book.FileSource.columns``) calls it; which sheets are read and how
they are assembled is decided above it, by the one refresh, on every run.

The key is what decides the parsed frame's content, and nothing less:

* the CRC-32 and size of the zip entries whose bytes decide the sheet's cells: the sheet's
  part and the shared strings, as the zip's central directory records them
  (``SalesBook.sales_entries``: nothing is decompressed to build the key);
* the number format of every cell style the sheet could use (``SalesBook.cell_formats``:
  whether a number reads as a date). Checked on the entry rather than hashed into the key:
  an entry parsed when the workbook had n cell styles stays valid while the first n keep
  their formats, so the styles a refresh appends for its own sheets (and any Excel appends)
  do not make the next refresh parse the sales again; a changed format of an existing style
  does;
* the workbook's date system (``date1904``): the one thing in ``xl/workbook.xml`` that
  decides a cell's value. The rest of it (the sheet list, defined names: what a refresh
  itself changes when it adds its sheets) does not, so it is not part of the key;
* the sheet's name, its header row and the columns read (field -> column: ``column_map`` and
  the header aliases act through these);
* the versions of this product, fastexcel, pandas and pyarrow, and the cache format.

Reader settings that act on values (``date_order``, ``decimal_separator``) apply in the core's
cleaning, after the cache, so changing them never needs a new parse.

A changed cell changes its sheet's part (or the shared strings), hence its CRC-32: it is never
served from the cache. Workbooks that are not xlsx packages (xls, xlsb, ods) are not cached.

Entries are Arrow IPC files (one per key) in the user's cache folder
(``platformdirs.user_cache_dir("customer-tiers")``, or ``$CUSTOMER_TIERS_CACHE_DIR``), at most
``MAX_BYTES`` in all: the least recently used are deleted beyond it. Writes are atomic (a
temporary file renamed into place); an entry that cannot be read is deleted and ignored.
An entry holds the sheet's typed columns as Arrow columns and the cells that did not fit their
column's type ("n/a" in Amount) as a short list in the entry's metadata, each value with its
Python type; ``read.with_raw_cells`` joins them on the way out. Other object columns (frames
stored directly with ``put``) are stored as Arrow dense unions.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import __version__
from . import cache_folder
from .read import RawCells, SalesBook, with_raw_cells
from .tables import SheetHeader

MAX_BYTES = 512 * 2**20  # 512 MiB: a 1,048,575-row sales tab takes about 60 MiB
FORMAT = 2  # bump when the stored layout changes
SUFFIX = ".arrow"

_META = b"customer-tiers"
_OBJECT = b"customer-tiers:object"
# Python types an object column may hold (the raw cells read.py keeps) -> union child type
_CHILD_TYPES = (
    (float, pa.float64()),
    (str, pa.large_string()),
    (dt.datetime, pa.timestamp("us")),
    (bool, pa.bool_()),
    (int, pa.int64()),
    (dt.date, pa.date32()),
)



def default_folder() -> Path:
    """``$CUSTOMER_TIERS_CACHE_DIR``, else the platform's user cache folder for the product
    (``cache_folder.sales_folder``)."""
    return cache_folder.sales_folder()


class SalesCache:
    """A folder of parsed sales frames, one Arrow IPC file per key, at most ``max_bytes``."""

    def __init__(self, folder: str | Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._pending: list[threading.Thread] = []  # entries being written (``put``)

    @staticmethod
    def key(identity: dict[str, Any]) -> str:
        """The content key of what ``identity`` describes (JSON-able), with the version and
        code of this product, the versions of fastexcel, pandas and pyarrow and the cache
        format added."""
        import fastexcel

        identity = {
            **identity,
            "format": FORMAT,
            "versions": [__version__, cache_folder.product_code(), fastexcel.__version__,
                         pd.__version__, pa.__version__],
        }
        return cache_folder.content_key(identity)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str, formats: list[str] | None = None) -> pd.DataFrame | None:
        """The stored frame (its raw cells joined in), or None: also when the entry was
        stored with cell ``formats`` whose first ones differ from these (see the module
        docstring). An unreadable entry is deleted."""
        self.wait()
        path = self.path(key)
        try:
            # read into memory, not memory-mapped: the frame's text columns keep Arrow's
            # buffers, and a mapped file cannot be replaced or evicted on Windows
            with pa.OSFile(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            if not _same_formats(table, formats):
                self.misses += 1
                return None  # left in place: the new parse is stored under the same key
            frame, cells = _from_arrow(table, key)
            frame = with_raw_cells(frame, cells)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # damaged, truncated, or written by another version: read again
            cache_folder.remove(path)
            self.misses += 1
            return None
        cache_folder.touch(path)  # last used = modification time, for eviction
        self.hits += 1
        return frame

    def put(self, key: str, frame: pd.DataFrame, cells: RawCells | None = None,
            formats: list[str] | None = None, *, background: bool = False) -> bool:
        """Store ``frame`` and its raw ``cells`` (``SalesBook.read_typed_columns``) read
        under the cell ``formats``, atomically; False when it cannot be stored (a value type
        Arrow cannot round-trip, a full disk, a read-only folder). Then evict beyond the
        bound.

        ``background``: the entry is converted now (from a copy, so the caller may go on with
        ``frame``) and written to disk in a thread while the caller goes on; True means only
        "accepted". The rename into place makes the entry whole or absent. ``get`` and
        ``wait`` wait for it, and so does ``FileSource`` on closing (the command ends its
        process without waiting for threads: ``cli.run``); the thread is not a daemon, so
        another program's exit waits for it too."""
        try:
            table = _to_arrow(frame.copy(deep=True) if background else frame, key, cells or {},
                              formats)
        except _NotStorable:
            return False
        if not background:
            return self._store(key, table)
        thread = threading.Thread(target=self._store, args=(key, table),
                                  name="customer-tiers-sales-cache")
        self._pending.append(thread)
        thread.start()
        return True

    def wait(self) -> None:
        """Wait until the entries being stored in the background are on disk (or failed)."""
        while self._pending:
            self._pending.pop().join()

    def _store(self, key: str, table: pa.Table) -> bool:
        def write(sink) -> None:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)

        try:
            cache_folder.store(self.path(key), write, self.max_bytes)
        except OSError:
            return False
        self.evict(keep=key)
        return True

    def evict(self, keep: str | None = None) -> None:
        """Delete the least recently used entries until the folder holds at most ``max_bytes``
        (never ``keep``, the entry just written)."""
        cache_folder.evict(self.folder, SUFFIX, self.max_bytes,
                           keep=self.path(keep).name if keep is not None else None)

    def clear(self) -> None:
        self.wait()
        for path in self.folder.glob(f"*{SUFFIX}"):
            cache_folder.remove(path)


def cached_columns(book: SalesBook, sheet: str, header: SheetHeader, fields: dict[str, int],
                   extras: dict[int, str] | None, cache: SalesCache | None) -> pd.DataFrame:
    """``book.read_columns(sheet, header, fields, extras)``, from ``cache`` when none of what
    decides it changed (None: no cache; not an xlsx package: read)."""
    key = sheet_key(book, sheet, header, fields, extras) if cache is not None else None
    if key is None:
        return book.read_columns(sheet, header, fields, extras)
    formats = book.cell_formats()
    frame = cache.get(key, formats)
    if frame is None:
        frame, cells = book.read_typed_columns(sheet, header, fields, extras)
        # written to disk while the refresh goes on (0.5 s for a million rows)
        cache.put(key, frame, cells, formats, background=True)
        frame = with_raw_cells(frame, cells)
    return frame


def sheet_key(book: SalesBook, sheet: str, header: SheetHeader, fields: dict[str, int],
              extras: dict[int, str] | None = None) -> str | None:
    """The key of ``book.read_columns(sheet, header, fields, extras)``'s content (see the
    module docstring; the cell formats are checked on the entry, not keyed); None when the
    workbook is not an xlsx package."""
    entries = book.sales_entries([sheet])
    if entries is None:
        return None
    return SalesCache.key({
        "sheet": sheet, "entries": entries, "date1904": book.date1904, "header_row": header.row,
        "fields": sorted(fields.items()), "extras": sorted((extras or {}).items()),
    })


# -- frame <-> Arrow ------------------------------------------------------------------------


class _NotStorable(Exception):
    """A value whose type the cache does not round-trip exactly."""



def _same_formats(table: pa.Table, formats: list[str] | None) -> bool:
    """True when the entry was stored without formats, or its formats are the first of
    ``formats``."""
    stored = json.loads(table.schema.metadata[_META]).get("formats")
    if stored is None:
        return True
    count, digest = stored
    return formats is not None and len(formats) >= count and \
        cache_folder.formats_digest(formats[:count]) == digest


def _to_arrow(frame: pd.DataFrame, key: str, cells: RawCells,
              formats: list[str] | None = None) -> pa.Table:
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names) or names != list(frame.columns):
        raise _NotStorable("column names must be distinct strings")
    objects = [name for name in names if frame[name].dtype == object]
    plain = [name for name in names if name not in objects]
    try:
        table = pa.Table.from_pandas(frame[plain], preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise _NotStorable(str(exc)) from None
    for name in objects:
        table = table.append_column(
            pa.field(name, _union_type(), metadata={_OBJECT: b"1"}), [_union(frame[name].to_numpy())])
    meta = {"key": key, "columns": names, "notes": list(frame.attrs.get("notes", ())),
            "rows": len(frame),
            "formats": None if formats is None else [len(formats), cache_folder.formats_digest(formats)],
            "cells": {field: [np.asarray(rows, dtype=np.int64).tolist(), [_cell(v) for v in values]]
                      for field, (rows, values) in cells.items()}}
    try:
        encoded = json.dumps(meta, ensure_ascii=True).encode()
    except TypeError as exc:
        raise _NotStorable(str(exc)) from None
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _META: encoded})


def _from_arrow(table: pa.Table, key: str) -> tuple[pd.DataFrame, RawCells]:
    meta = json.loads(table.schema.metadata[_META])
    if meta["key"] != key or table.num_rows != meta["rows"]:
        raise ValueError("cache entry does not match its key")
    objects = {field.name for field in table.schema
               if field.metadata and field.metadata.get(_OBJECT) == b"1"}
    plain = [name for name in meta["columns"] if name not in objects]
    frame = table.select(plain).to_pandas() if plain else pd.DataFrame(index=range(table.num_rows))
    for name in objects:
        frame[name] = _from_union(table.column(name).combine_chunks())
    frame = frame[meta["columns"]]
    frame.attrs["notes"] = tuple(meta["notes"])
    cells = {field: (np.asarray(rows, dtype=np.int64), [_uncell(v) for v in values])
             for field, (rows, values) in meta.get("cells", {}).items()}
    return frame, cells


# A raw cell in the entry's metadata (JSON): [kind, value], so 1 and 1.0 and True stay apart.
_CELL_KINDS = {str: "s", float: "f", int: "i", bool: "b"}


def _cell(value: Any) -> list:
    if value is None:
        return ["n", None]
    kind = _CELL_KINDS.get(type(value))
    if kind is None:
        raise _NotStorable(f"raw cell of type {type(value).__name__}")
    if kind == "f" and value != value:
        return ["f", "nan"]
    if kind == "f" and value in (float("inf"), float("-inf")):
        return ["f", repr(value)]
    return [kind, value]


def _uncell(cell: list) -> Any:
    kind, value = cell
    if kind == "f":
        return float(value)
    if kind not in ("s", "i", "b", "n"):
        raise ValueError(f"unknown raw cell kind {kind!r}")
    return value


def _union_type() -> pa.DataType:
    return pa.dense_union([pa.field(str(code), child) for code, (_, child) in enumerate(_CHILD_TYPES)])


def _union(values: np.ndarray) -> pa.Array:
    """An object column as a dense union: one child per Python type (``_CHILD_TYPES``); a
    missing cell (None) is a null of the float child, a NaN a float NaN."""
    types = _TYPE_OF(values) if len(values) else np.empty(0, dtype=object)
    codes = np.full(len(values), -1, dtype=np.int8)
    present = set(types)  # usually two: the column's type and str
    for code, (kind, _) in enumerate(_CHILD_TYPES):
        if kind in present:
            codes[types == kind] = code
    if type(None) in present:
        codes[types == type(None)] = 0
    if (codes < 0).any():
        found = types[np.flatnonzero(codes < 0)[0]]
        raise _NotStorable(f"value of type {found.__name__}")
    offsets = np.zeros(len(values), dtype=np.int32)
    arrays = []
    for code, (kind, child_type) in enumerate(_CHILD_TYPES):
        where = np.flatnonzero(codes == code)
        offsets[where] = np.arange(len(where), dtype=np.int32)
        arrays.append(_child(values[where], kind, child_type))
    return pa.UnionArray.from_dense(
        pa.array(codes, type=pa.int8()), pa.array(offsets, type=pa.int32()), arrays,
        [str(code) for code in range(len(_CHILD_TYPES))], list(range(len(_CHILD_TYPES))))


_TYPE_OF = np.frompyfunc(type, 1, 1)


def _child(cells: np.ndarray, kind: type, child_type: pa.DataType) -> pa.Array:
    """Cells of one Python type (and None for the float child) as an Arrow array; floats and
    datetimes through numpy, which converts a million of them far faster than Arrow's
    object path."""
    if kind is float:
        missing = np.equal(cells, None)
        # numpy makes None a NaN; the mask then makes it a null, so NaN and None stay apart
        return pa.array(cells.astype(np.float64), type=child_type, mask=missing)
    if kind is dt.datetime:
        # pandas converts datetimes 20x faster than numpy's astype; aware ones are refused
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(cells))
        except (ValueError, TypeError, OverflowError) as exc:
            raise _NotStorable(f"datetimes: {exc}") from None
        if stamps.tz is not None:
            raise _NotStorable("time-zone aware datetime")
        return pa.array(stamps.as_unit("us").asi8, type=pa.int64()).view(child_type)
    return pa.array(cells, type=child_type, from_pandas=False)


def _from_union(array: pa.UnionArray) -> np.ndarray:
    codes = array.type_codes.to_numpy()
    offsets = array.offsets.to_numpy()
    out = np.empty(len(array), dtype=object)
    for code in range(len(_CHILD_TYPES)):
        where = np.flatnonzero(codes == code)
        if len(where):
            out[where] = _python_values(array.field(code))[offsets[where]]
    return out


def _python_values(child: pa.Array) -> np.ndarray:
    """A union child as an object array of Python values of its type (None where null).
    Through numpy, which makes floats, ints, bools, datetimes and dates far faster than
    ``to_pylist``."""
    if pa.types.is_large_string(child.type):
        return child.to_numpy(zero_copy_only=False)
    values = child.to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(child.type):
        values = values.astype("datetime64[us]")
    elif pa.types.is_date32(child.type):
        values = values.astype("datetime64[D]")
    values = values.astype(object)
    if child.null_count:
        values[child.is_null().to_numpy(zero_copy_only=False)] = None
    return values

