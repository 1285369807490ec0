"""Prepared sale lines kept between refreshes, so a Settings change re-ranks the customers
without loading, cleaning or aggregating a million unchanged lines again.

``core.prepare_lines`` turns the sale lines into per-customer (and per customer-period) data,
``core.PreparedLines``, a few MB for 50,000 customers. When nothing that decides it changed,
the refresh (``xl_addin.refresh``) takes it from here and runs only ``core.tier_prepared``:
the sales sheets are not read at all, not even from the sales cache.

The key (``PreparedCache.key``) is what decides the prepared lines, and nothing less:

* per sales sheet read, in the order read, the sales cache's key of its parsed columns
  (``sales_cache.sheet_key``: the CRC-32 and size of the sheet's part and of the shared
  strings, the date system, the sheet's name, header row and the columns read, the versions
  of the reader and of this product's code); the cell styles' number formats are checked on
  the entry as the sales cache does (a refresh appends styles for its own sheets);
* what the one refresh decided about those sheets before reading them (the fields and the
  duplicate headers of each, the notes on hidden sheets): given by the refresh;
* ``core.line_settings`` (date order, decimal separator, Settings' as_of, cost rate, SOB and
  retention periods), the as_of given to the refresh and today's date (lines dated after
  today are left out when no as_of is given);
* ``cache_folder.product_code()`` and this cache's format.

A changed cell changes its sheet's part (or the shared strings), hence the key: it is never
served from here. Entries are pickles (one per key) in the ``prepared`` folder beside the sales
cache's, at most ``MAX_BYTES`` in all, least recently used deleted first; written atomically;
an entry that cannot be read, or whose stored key differs, is deleted and ignored. A pickle
runs code when loaded: the folder is the user's own cache folder, which only the user (and
what already runs as the user) can write.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .. import __version__
from ..core import PreparedLines
from . import cache_folder, reader_prefetch

MAX_BYTES = 256 * 2**20  # 256 MiB: 50,000 customers over two years take about 20 MiB
FORMAT = 1  # bump when PreparedLines or the entry's layout changes (the code digest does too)
SUFFIX = ".pickle"


def default_folder() -> Path:
    """``prepared`` beside the sales cache (as the refresh records are): in
    ``$CUSTOMER_TIERS_CACHE_DIR`` when set, else in the platform's user cache folder."""
    return cache_folder.beside_sales("prepared")


class PreparedCache:
    """A folder of ``PreparedLines``, one pickle per key, at most ``max_bytes``."""

    def __init__(self, folder: str | Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(identity: dict[str, Any]) -> str:
        """The content key of what ``identity`` describes (JSON-able), with this product's
        version and code and the cache format added."""
        identity = {**identity, "format": FORMAT, "versions": [__version__, cache_folder.product_code()]}
        return cache_folder.content_key(identity)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str, formats: list[str]) -> PreparedLines | None:
        """The stored lines, or None: also when the entry was stored with cell ``formats``
        whose first ones differ from these. An unreadable entry is deleted."""
        path = self.path(key)
        try:
            stored_key, stored_formats, prepared = pickle.loads(path.read_bytes())
            if stored_key != key or not isinstance(prepared, PreparedLines):
                raise ValueError("cache entry does not match its key")
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # damaged, truncated, or written by another build: prepare again
            cache_folder.remove(path)
            self.misses += 1
            return None
        count, digest = stored_formats
        if len(formats) < count or cache_folder.formats_digest(formats[:count]) != digest:
            self.misses += 1
            return None  # left in place: the new entry is stored under the same key
        cache_folder.touch(path)  # last used = modification time, for eviction
        self.hits += 1
        return prepared

    def put(self, key: str, prepared: PreparedLines, formats: list[str]) -> bool:
        """Store ``prepared`` read under the cell ``formats``, atomically, then evict beyond
        the bound; False when it cannot be stored (too large, a full disk, a read-only
        folder)."""
        data = pickle.dumps((key, (len(formats), cache_folder.formats_digest(formats)), prepared),
                            protocol=pickle.HIGHEST_PROTOCOL)
        try:
            cache_folder.store(self.path(key), lambda file: file.write(data), self.max_bytes)
        except OSError:
            return False
        cache_folder.evict(self.folder, SUFFIX, self.max_bytes, keep=self.path(key).name)
        return True

    def clear(self) -> None:
        for path in self.folder.glob(f"*{SUFFIX}"):
            cache_folder.remove(path)


class PreparedSlot:
    """One key of a ``PreparedCache`` with the cell formats it is checked against: the
    refresh's ``PreparedStore``. ``entries``: the zip entries the sales sheets are read from
    ({entry: [CRC-32, size]}); once their lines are kept here (or were), the next command on
    that package does not open the parser ahead (``reader_prefetch.remember_parsed``)."""

    def __init__(self, cache: PreparedCache, key: str, formats: list[str],
                 entries: dict[str, list[int] | None] | None = None) -> None:
        self.cache, self.key, self.formats, self.entries = cache, key, formats, entries

    def get(self) -> PreparedLines | None:
        prepared = self.cache.get(self.key, self.formats)
        if prepared is not None and self.entries:
            reader_prefetch.remember_parsed(self.entries)
        return prepared

    def put(self, prepared: PreparedLines) -> None:
        if self.cache.put(self.key, prepared, self.formats) and self.entries:
            reader_prefetch.remember_parsed(self.entries)

