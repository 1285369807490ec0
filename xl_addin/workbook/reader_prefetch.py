"""Open a workbook's parser ahead, in a thread, while the command imports the rest.

Opening the fast reader (fastexcel) on an xlsx package parses every shared string: 0.6 s for
a million rows' worth, with the GIL released. The command's own imports (pandas, the core,
the writer) take about as long and hold the GIL. ``start`` begins the open beside them;
``SalesBook`` then ``take``s the parser when its file is still the one that was opened (same
size, modification time and file id), and opens its own otherwise. A refresh that parses no
sheet (its sales come from the cache) ``forget``s it, so its shared strings do not stay in
memory through the core.

Only the command calls ``start``; nothing happens on import. This module imports nothing
heavy: it runs before pandas is imported.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

_ZIP_MAGIC = b"PK\x03\x04"

# realpath -> (identity when opened, the opening thread, its result box)
_pending: dict[str, tuple[tuple[int, ...], threading.Thread, dict[str, Any]]] = {}
_lock = threading.Lock()


def file_identity(path: str | os.PathLike) -> tuple[int, ...] | None:
    """(size, modification time in ns, file id, device) of the file at ``path``: what changes
    when the file is written or replaced. None when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev)


def start(path: str | os.PathLike) -> None:
    """Begin opening the parser of the xlsx / xlsm package at ``path`` in a thread. Anything
    else (missing, not a zip package, unreadable) is left for the reader to report."""
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
    box: dict[str, Any] = {}

    def open_reader() -> None:
        try:
            import fastexcel

            box["reader"] = fastexcel.read_excel(key)
        except Exception:  # the reader opens the file itself and words any error
            pass

    thread = threading.Thread(target=open_reader, name="customer-tiers-open-reader", daemon=True)
    with _lock:
        _pending[key] = (identity, thread, box)
    thread.start()


def take(path: str | os.PathLike, identity: tuple[int, ...] | None) -> Any | None:
    """The parser ``start`` opened for ``path`` (waiting for it), if the file had
    ``identity`` when it was opened and still has it; else None. Taken once."""
    with _lock:
        entry = _pending.pop(os.path.realpath(path), None)
    if entry is None or identity is None:
        return None
    opened, thread, box = entry
    thread.join()
    if opened != identity or file_identity(path) != identity:
        return None
    return box.get("reader")


def forget(path: str | os.PathLike) -> None:
    """Drop what ``start`` opened for ``path`` (once its thread ends, nothing holds it)."""
    with _lock:
        _pending.pop(os.path.realpath(path), None)
