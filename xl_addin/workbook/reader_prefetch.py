"""Open a workbook's parser ahead, in a thread, while the command imports the rest.

Opening the fast reader (fastexcel) on an xlsx package parses every shared string: 0.6 s for
a million rows' worth, with the GIL released. The command's own imports (pandas, the core,
the writer) take about as long and hold the GIL. ``start`` begins the open beside them;
``SalesBook`` then ``take``s the parser when its file is still the one that was opened (same
size, modification time and file id), and opens its own otherwise. A refresh that parses no
sheet (its sales come from the cache) ``forget``s it, so its shared strings do not stay in
memory through the core.

A workbook whose largest worksheet is worth parsing in pieces (``pieces``) has that sheet
cut instead, in the same thread, and each copy's parser opened as soon as its file is
written: ``SalesBook`` ``take_cut``s them (the same checks) when that sheet is a sales sheet.
``forget`` waits for a cut and deletes its files, so none is left when a refresh stops early.

A refresh whose sales sheets are already in the caches parses nothing: then the open is
wasted (0.6-0.75 s of CPU on the other core and 45 MB, which on a busy machine cost as
much wall time). ``remember_parsed`` leaves a small marker when the sales sheets' lines were
kept (or taken from) the prepared-lines cache: the CRC-32 and size of each zip entry they were
read from (the sheets' parts, the shared strings), filed under the largest one's. ``start``
does not open the parser when the package still holds every entry of such a marker. A
marker only saves CPU: when the caches no longer have the sheets (evicted, another column
read), the reader opens the parser itself then, as without a prefetch.

Only the command calls ``start``; nothing happens on import. This module imports nothing
heavy: it runs before pandas is imported.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

from . import cache_folder, pieces

_ZIP_MAGIC = b"PK\x03\x04"
MARKERS = "parsed"  # the markers' folder (``cache_folder.beside_sales``)
MARKERS_MAX_BYTES = 2**20
_MARKER_SUFFIX = ".parsed"

# realpath -> (identity when opened, the making thread, its result box, what it makes: "reader"
# or "cut")
_pending: dict[str, tuple[tuple[int, ...], threading.Thread, dict[str, Any], str]] = {}
_lock = threading.Lock()


def file_identity(path: str | os.PathLike) -> tuple[int, ...] | None:
    """(size, modification time in ns, file id, device) of the file at ``path``: what changes
    when the file is written or replaced. None when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev)


def start(path: str | os.PathLike, cached: bool = False) -> None:
    """Begin opening the parser of the xlsx / xlsm package at ``path`` in a thread. Anything
    else (missing, not a zip package, unreadable) is left for the reader to report.
    ``cached``: the refresh uses the caches, so nothing is opened when a marker says the
    package's sales sheets are in them (``remember_parsed``)."""
    key = os.path.realpath(path)
    identity = file_identity(key)
    if identity is None:
        return
    try:
        with open(key, "rb") as file:
            if file.read(4) != _ZIP_MAGIC:
                return
    except OSError:
        return
    if cached and sales_known(key):
        return
    box: dict[str, Any] = {}
    part = pieces.sheet_to_cut(key)
    if part is not None:  # a sheet parsed in pieces: cut it, and open the copies' parsers
        def cut() -> None:
            import fastexcel

            box["cut"] = pieces.cut_sheet(key, part, fastexcel.read_excel)

        thread = threading.Thread(target=cut, name="customer-tiers-cut-sheet", daemon=True)
        with _lock:
            _pending[key] = (identity, thread, box, "cut")
        thread.start()
        return

    def open_reader() -> None:
        try:
            import fastexcel

            box["reader"] = fastexcel.read_excel(key)
        except Exception:  # the reader opens the file itself and words any error
            pass

    thread = threading.Thread(target=open_reader, name="customer-tiers-open-reader", daemon=True)
    with _lock:
        _pending[key] = (identity, thread, box, "reader")
    thread.start()


def take(path: str | os.PathLike, identity: tuple[int, ...] | None) -> Any | None:
    """The parser ``start`` opened for ``path`` (waiting for it), if the file had
    ``identity`` when it was opened and still has it; else None. Taken once."""
    return _take(path, identity, "reader")


def take_cut(path: str | os.PathLike, identity: tuple[int, ...] | None, part: str) -> Any | None:
    """The sheet ``start`` cut in pieces for ``path`` (``pieces.Cut``, waiting for it), if it
    is the sheet at zip member ``part`` and the file had ``identity`` when it was cut and still
    has it; else None (and the pieces are deleted). Taken once."""
    cut = _take(path, identity, "cut")
    if cut is not None and cut.part != part:
        cut.remove()
        return None
    return cut


def _take(path: str | os.PathLike, identity: tuple[int, ...] | None, kind: str) -> Any | None:
    """What ``start`` made for ``path`` when it is of ``kind`` (else it stays for its own
    taker: a cut is not lost to a smaller sheet that wants the whole workbook's parser)."""
    key = os.path.realpath(path)
    with _lock:
        entry = _pending.get(key)
        if entry is None or entry[3] != kind:
            return None
        del _pending[key]
    opened, thread, box, _ = entry
    thread.join()
    found = box.pop(kind, None)
    if identity is None or opened != identity or file_identity(path) != identity:
        _drop({kind: found})
        return None
    return found


def forget(path: str | os.PathLike) -> None:
    """Drop what ``start`` opened for ``path`` (once its thread ends, nothing holds it). A cut's
    files are deleted once it is made (waiting for it: no file is left behind)."""
    with _lock:
        entry = _pending.pop(os.path.realpath(path), None)
    if entry is not None and entry[3] == "cut":
        _, thread, box, _ = entry
        thread.join()
        _drop(box)


def _drop(box: dict[str, Any]) -> None:
    cut = box.pop("cut", None)
    if cut is not None:
        cut.remove()


def _marker(folder: Path, crc: int, size: int) -> Path:
    key = cache_folder.content_key({"parsed_entry": [crc, size]})
    return folder / f"{key}{_MARKER_SUFFIX}"


def remember_parsed(entries: dict[str, list[int] | None], folder: Path | None = None) -> None:
    """Mark that the sales sheets read from these zip ``entries`` ({entry: [CRC-32, size]},
    ``SalesBook.sales_entries``) are in the caches (a failure to write only loses the mark)."""
    folder = folder if folder is not None else cache_folder.beside_sales(MARKERS)
    present = {name: entry for name, entry in entries.items() if entry}
    if not present:
        return
    crc, size = max(present.values(), key=lambda entry: entry[1])
    path = _marker(folder, crc, size)
    data = json.dumps(sorted([name, entry] for name, entry in entries.items())).encode()
    try:
        if path.exists() and path.read_bytes() == data:
            cache_folder.touch(path)
            return
        cache_folder.store(path, lambda file: file.write(data), MARKERS_MAX_BYTES)
    except OSError:
        return
    cache_folder.evict(folder, _MARKER_SUFFIX, MARKERS_MAX_BYTES, keep=path.name)


def sales_known(path: str | os.PathLike, folder: Path | None = None) -> bool:
    """True when a marker's entries are all in the package at ``path`` with the same CRC-32
    and size (an entry marked absent is still absent): its sales sheets are in the caches.
    Reads the zip's central directory only."""
    folder = folder if folder is not None else cache_folder.beside_sales(MARKERS)
    if not folder.is_dir():
        return False
    try:
        with zipfile.ZipFile(path) as package:
            held = {info.filename: [info.CRC, info.file_size] for info in package.infolist()}
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
    # a marker is filed under its largest entry: look from the largest down (a missing file
    # costs a few microseconds; a package has tens of entries)
    for crc, size in sorted(held.values(), key=lambda entry: entry[1], reverse=True):
        try:
            marked = json.loads(_marker(folder, crc, size).read_bytes())
        except (OSError, ValueError):
            continue
        if all(held.get(name) == entry for name, entry in marked):
            return True
    return False
