"""Population cache for UDFs: filling a formula down 10,000 rows computes the population once.

Every cell of ``=ABC_TIER(A2, $A$2:$A$100001, $C$2:$C$100001)`` passes the same data ranges;
only the customer differs. The population result (one row per customer) is cached under a
fingerprint of the argument values and parameters, so later cells only hash their arguments
and look a customer up.

The fingerprint hashes the values themselves (not the range addresses): editing a cell changes
the key, and two formulas over equal data share one entry. Hashing is Python's tuple hash over
the cells, at C speed; the UDFs receive data columns as flat lists (xlwings' squeeze), which
hash about twice as fast as lists of rows: ~4 ms per 100,000-cell column of fresh strings
(``scripts/bench_udf.py``). The key also holds every length, so a collision needs two equally
long inputs with equal 64-bit hashes. Values that compare equal hash equal (1, 1.0 and TRUE;
a date and the same datetime), so changing a cell between such values keeps the entry.
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import chain
from threading import Lock
from typing import Any, Callable, Hashable, TypeVar

import numpy as np

T = TypeVar("T")


def fingerprint(*arguments: Any) -> tuple[Hashable, ...]:
    """A hashable key for UDF arguments: ranges (lists of rows, 1-D lists, arrays) become
    (length, hash of their cells); scalars stay as they are."""
    return tuple(_part(argument) for argument in arguments)


def _part(argument: Any) -> Hashable:
    if isinstance(argument, np.ndarray):
        return ("array", argument.shape, str(argument.dtype), hash(argument.tobytes()))
    if isinstance(argument, (list, tuple)):
        if not argument or not isinstance(argument[0], (list, tuple)):
            return ("list", len(argument), hash(tuple(argument)))
        cells = tuple(chain.from_iterable(argument))
        return ("grid", len(argument), len(cells), hash(cells))
    return ("scalar", type(argument).__name__, argument)


class PopulationCache:
    """A small least-recently-used map from fingerprint to population result.

    ``maxsize`` entries (a few: one per distinct data range and parameter set in the open
    workbooks). Thread-safe, since xlwings may call UDFs from its COM server thread.
    """

    def __init__(self, maxsize: int = 8) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for ``key``, computing and storing it on a miss. An exception
        from ``compute`` propagates and nothing is stored."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)
