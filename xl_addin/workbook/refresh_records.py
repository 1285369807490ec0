"""Records of finished refreshes, so a refresh with nothing to do does nothing.

A manager who clicks Refresh again without changing anything (or a nightly job whose sales
file did not change) should not wait for a million rows to be tiered again and the same
sheets to be written again. After a refresh of a workbook file writes its result, a record
keeps what went in and what came out:

* the key: the content of the input package (the name, CRC-32 and size of every zip member,
  as the zip's central directory records them: nothing is decompressed), where the result
  went (``--out``, or the file itself), the options (``--as-of``, ``--lang``, ``--force``),
  today's date (the default analysis date is the latest sale not after today, and sales
  dated after today are left out), the version and code of this product, and the versions
  of the libraries that compute and write the result;
* the output file's content as it was written (the same member list);
* the refresh's result and notes, so the caller can report them again.

A refresh whose key has a record and whose output file still holds exactly what that record
says was written is up to date: refreshing would write the same file again, so nothing is
read, computed or written. Any change to any member of the input (a sales cell, Settings,
a sheet of the user's), to the output file (Excel saved it, a user added a chart), to the
options or to the date makes the refresh run. In place (no ``--out``) the input is the output,
so the refresh is up to date only once refreshing the file gives back the same file: the
second refresh still changes the Tier change column (its previous tiers are the ones the first
wrote), the third writes what the second did, and the fourth in a row is the first skipped.

Records are pickle files in the user's cache folder (beside the sales cache), at most
``MAX_BYTES`` in all: the least recently used are deleted beyond it. They hold the result
frames (about 35 MB for 50,000 customers). Writes are atomic; a record that cannot be read is
deleted and ignored. ``--no-cache`` turns records off with the sales cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import pickle
import re
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from .. import __version__
from . import cache_folder

MAX_BYTES = 256 * 2**20  # 256 MiB: a 50,000-customer result takes about 35 MiB
FORMAT = 1  # bump when the stored layout changes
SUFFIX = ".refresh"


def records_folder() -> Path:
    """``$CUSTOMER_TIERS_CACHE_DIR/refreshes``, else ``refreshes`` beside the sales cache in the
    platform's user cache folder."""
    return cache_folder.beside_sales("refreshes")


def package_members(path: str | Path) -> list[tuple[str, int, int]] | None:
    """(name, CRC-32, size) of every member of the zip package at ``path``, in name order,
    from its central directory; None when it is not a readable zip file."""
    try:
        with zipfile.ZipFile(path) as package:
            return sorted((i.filename, i.CRC, i.file_size) for i in package.infolist())
    except (OSError, zipfile.BadZipFile, struct.error, ValueError):
        return None


def today() -> dt.date:
    """The computer's date (a function, so tests can move it)."""
    return dt.date.today()


LIBRARIES = ("fastexcel", "isal", "numpy", "pandas", "pyarrow", "scipy")


def _library_versions() -> list[str]:
    """This product's version and a digest of its code (a build between two version numbers
    writes other sheets), and the versions of the libraries that compute a result (from their
    installed metadata: nothing is imported)."""
    return [__version__, cache_folder.product_code()] + [installed_version(name)
                                                         for name in LIBRARIES]


def installed_version(name: str) -> str:
    """The version of the installed distribution ``name`` (lower case, no "-" or "_"), as
    ``importlib.metadata.version`` gives it: from the name of its ``NAME-VERSION.dist-info``
    folder in the first ``sys.path`` folder holding one (what pip installs). Anything else
    (an egg, two versions side by side, a zipped path) asks ``importlib.metadata``, whose
    import alone (with the email package it reads metadata with) costs 15-25 ms."""
    found = None
    for folder in sys.path:
        versions = _dist_info_versions(folder or ".").get(name)
        if versions is not None:
            found = versions
            break
    if found is not None and len(found) == 1:
        return found[0]
    from importlib.metadata import version

    return version(name)


@functools.lru_cache(maxsize=None)
def _dist_info_versions(folder: str) -> dict[str, list[str]]:
    """Lower-case distribution name -> the versions of its .dist-info folders in ``folder``;
    a name with an .egg-info or .egg-link there counts twice (``installed_version`` then asks
    importlib.metadata)."""
    found: dict[str, list[str]] = {}
    try:
        entries = os.listdir(folder)
    except OSError:
        return found
    for entry in entries:
        stem, dot, suffix = entry.rpartition(".")
        if suffix in ("egg-info", "egg-link") and dot:
            found.setdefault(re.split(r"[-.]", stem, 1)[0].lower(), []).extend(("?", "?"))
        elif suffix == "dist-info" and dot and "-" in stem:
            dist, version = stem.split("-", 1)
            found.setdefault(dist.lower(), []).append(version)
    return found


class RefreshRecords:
    """A folder of refresh records, one file per key, at most ``max_bytes``."""

    def __init__(self, folder: str | Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else records_folder()
        self.max_bytes = max_bytes

    @staticmethod
    def key(path: str | Path, out: str | Path | None, **options: Any) -> str | None:
        """The key of refreshing the file ``path`` into ``out`` (None: in place) with
        ``options``; None when ``path`` is not a zip package (nothing to record)."""
        members = package_members(path)
        if members is None:
            return None
        identity = {
            "input": members,
            "output": os.path.realpath(out if out is not None else path),
            "options": {name: str(value) for name, value in sorted(options.items())},
            "today": today().isoformat(),
            "format": FORMAT,
            "versions": _library_versions(),
        }
        return cache_folder.content_key(identity)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str, written: str | Path) -> Any | None:
        """What ``put`` stored under ``key`` when the file ``written`` still holds exactly
        what was written then; else None. An unreadable record is deleted."""
        path = self.path(key)
        try:
            with open(path, "rb") as file:
                members = pickle.load(file)
                if members != package_members(written):
                    return None
                payload = pickle.load(file)
        except FileNotFoundError:
            return None
        except Exception:  # damaged, truncated, or written by another version: refresh
            cache_folder.remove(path)
            return None
        cache_folder.touch(path)
        return payload

    def put(self, key: str, written: str | Path, payload: Any) -> bool:
        """Record that the refresh keyed ``key`` wrote the file ``written`` and gave
        ``payload``, atomically; False when it cannot be stored. Then evict beyond the
        bound."""
        members = package_members(written)
        if members is None:
            return False

        def write(file: BinaryIO) -> None:
            # members first: a record that no longer applies is refused without loading the result
            pickle.dump(members, file, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(payload, file, protocol=pickle.HIGHEST_PROTOCOL)

        try:
            cache_folder.store(self.path(key), write, self.max_bytes)
        except Exception:  # a full disk, a result that cannot be pickled: the refresh stands
            return False
        cache_folder.evict(self.folder, SUFFIX, self.max_bytes, keep=self.path(key).name)
        return True
