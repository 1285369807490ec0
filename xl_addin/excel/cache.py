"""Population cache for UDFs: filling a formula down 10,000 rows computes the population once.

Every cell of ``=ABC_TIER(A2, $A$2:$A$100001, $C$2:$C$100001)`` passes the same data ranges;
only the customer differs. The population result (one row per customer) is cached, so later
cells only check their arguments and look a customer up.

How a cached call checks its arguments (the values, never the range addresses: editing a cell
must give a new answer, and two formulas over equal data share one entry):

1. a cheap key finds the candidate entry: the scalars as they are, and of every range its
   length and a sample of ~16 cells (``summary``);
2. every range is compared with the entry's stored form cell by cell: a column of texts (the
   customer ids) as one join against the stored join (``Fingerprint``: ~7 bytes a cell
   instead of a copy), anything else as ``list == list`` against a stored copy (one C-level
   comparison per cell, no hashing). xlwings builds new cell objects on every call, so
   nothing can be remembered per object: every call looks at every cell, which is what a
   cached call costs. On the 2-core test machine at load 4-5, per 100,000 fresh cells, ms
   CPU (min-median of 60): visiting each object once (``tuple(cells)``, less than any exact
   check can cost) 0.4-0.7 for floats, 0.7-1.0 datetimes, 1.0-1.3 texts; the join compare
   1.5-2.2; ``list == list`` 1.5-2.1 floats, 1.6-2.4 datetimes, 1.7-2.7 texts. Rejected:
   ``array('d', cells)`` 2.2-3.7, ``marshal.dumps`` 2.3-3.7, ``np.fromiter`` 1.8-3.3,
   ``pickle`` 2.2-2.8; ``struct.pack`` 1.2-1.8 before its compare, but it reads 2**53 + 1
   and 2.0**53 alike (an id column could hold both), so it would need a type scan too;
3. equality treats 1, 1.0 and TRUE alike, but the core does not (a boolean is not an amount):
   cells equal to 0 or 1 are also compared by type (their positions are found when storing);
   a range where more than 1 cell in 10 is 0 or 1 is instead stored as its ``marshal`` bytes,
   which hold every cell's type (``Marshalled``).

A changed cell therefore always misses. Memory: at most ``maxsize`` entries and at most
``max_bytes`` by estimate (a fingerprint by its length, other stored ranges at ``CELL_BYTES``
per cell, the result's pandas memory, and an ``Answers`` memo at its bound); the least
recently used entries go first. ``scripts/bench_udf.py`` prints the estimate beside the memory
an entry really holds (20 MB estimated, 8 MB held for 100,000 lines of ABC_TIER).
"""

from __future__ import annotations

import marshal
from collections import OrderedDict
from itertools import chain
from operator import itemgetter
from threading import Lock
from typing import Any, Callable, Hashable, NamedTuple, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")

SAMPLE = 16  # cells of each range in the cheap key
CELL_BYTES = 72  # estimate per stored cell: list slot + float / short str / datetime object
MAX_BYTES = 256 * 2**20


def summary(*arguments: Any) -> tuple[Hashable, ...]:
    """The cheap part of the key: scalars as they are (with their type); of ranges (lists of
    cells, lists of rows, arrays) the shape and a sample of cells. Equal arguments have equal
    summaries; unequal ones may too (``Inputs.matches`` decides)."""
    return tuple(_summary(argument) for argument in arguments)


def _summary(argument: Any) -> Hashable:
    if type(argument) is list and argument and not isinstance(argument[0], (list, tuple)):
        # a flat list (xlwings' squeezed column): the sampled cells and their types as tuples
        sample = argument[:: len(argument) // SAMPLE or 1]
        key = ("list", len(argument), tuple(sample), tuple(map(type, sample)))
        try:
            hash(key)
            return key
        except TypeError:  # an unhashable cell: sampled by repr below
            pass
    if isinstance(argument, np.ndarray):
        return ("array", argument.shape, str(argument.dtype))
    if isinstance(argument, (list, tuple)):
        step = max(1, len(argument) // SAMPLE)
        if argument and isinstance(argument[0], (list, tuple)):
            return ("grid", len(argument), tuple(map(_sample_cell, argument[::step])))
        return ("list", len(argument), tuple(map(_sample_cell, argument[::step])))
    return ("scalar", type(argument).__name__, _hashable(argument))


def _sample_cell(value: Any) -> Hashable:
    return (type(value).__name__, _hashable(value))


def _hashable(value: Any) -> Hashable:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class Inputs(NamedTuple):
    """A stored form of the range arguments of one entry: per argument an exact fingerprint
    (``_fingerprint``) or a copy, and where a copied range holds 0 or 1."""

    values: tuple[Any, ...]
    zero_one: tuple[tuple[itemgetter, tuple[type, ...]] | None, ...]
    cells: int
    stored_bytes: int

    @classmethod
    def of(cls, arguments: tuple[Any, ...]) -> Inputs:
        values, zero_one, cells, stored = [], [], 0, 0
        for argument in arguments:
            if isinstance(argument, np.ndarray):
                values.append(argument.copy())
                zero_one.append(None)
                cells += argument.size
                stored += argument.nbytes
            elif isinstance(argument, (list, tuple)):
                flat = _flat(argument)
                cells += len(flat)
                # an exact form that carries every cell's type: texts joined, or a range
                # with many cells equal to 0 or 1 marshalled
                exact, positions = _fingerprint(argument), []
                if exact is None:
                    positions = _zero_one_positions(flat)
                    if len(positions) * ZERO_ONE_SHARE > len(flat):
                        exact = _marshalled(argument)
                if exact is not None:
                    values.append(exact)
                    zero_one.append(None)
                    stored += len(exact.data) + 64
                    continue
                values.append(type(argument)(list(row) if isinstance(row, list) else row
                                             for row in argument))
                zero_one.append(_zero_one(flat, positions))
                stored += len(flat) * CELL_BYTES
            else:
                values.append(argument)
                zero_one.append(None)
        return cls(tuple(values), tuple(zero_one), cells, stored)

    def matches(self, arguments: tuple[Any, ...]) -> bool:
        """True when every argument equals the stored one cell by cell, with the same type
        where a cell is 0 or 1 (a fingerprint compares types of every cell)."""
        if len(arguments) != len(self.values):
            return False
        for stored, given, zero_one in zip(self.values, arguments, self.zero_one):
            if isinstance(stored, (Fingerprint, Marshalled)):
                if not stored.matches(given):
                    return False
                continue
            if isinstance(stored, np.ndarray):
                if not (isinstance(given, np.ndarray) and given.dtype == stored.dtype
                        and given.shape == stored.shape and np.array_equal(given, stored)):
                    return False
                continue
            if type(given) is not type(stored) or given != stored:
                return False
            if zero_one is not None:
                pick, types = zero_one
                if tuple(map(type, pick(_flat(given)))) != types:
                    return False
        return True

    def bytes(self) -> int:
        return self.stored_bytes


SEPARATOR = "\x1f"  # between texts of a fingerprint; a range holding it is copied instead


class Fingerprint(NamedTuple):
    """An exact, compact form of a flat list of text cells (a column of customer ids): every
    cell a str, joined with ``SEPARATOR``, which was checked to occur in no cell, so equal
    joins of equally long lists mean equal cells. Comparing is one join and one memcmp
    instead of a rich comparison per cell, and it stores ~7 bytes a cell instead of a copy of
    the list (~60). Numbers have none: ``marshal`` would keep types exact but compares
    slower than ``list == list`` with the 0/1 type check (measured: 2.9 against 1.4 ms for
    100,000 floats)."""

    kind: str  # "text"
    length: int
    data: str

    def matches(self, given: Any) -> bool:
        if type(given) is not list or len(given) != self.length:
            return False
        try:
            return SEPARATOR.join(given) == self.data
        except TypeError:  # a cell that is not text: not equal
            return False


def _fingerprint(argument: Any) -> Fingerprint | None:
    """The fingerprint of a flat list of text cells (xlwings' squeezed column or row), or None
    (rows of cells, numbers, dates, blanks, text holding ``SEPARATOR``: copied)."""
    if type(argument) is not list or not argument:
        return None
    if set(map(type, argument)) != {str}:
        return None
    joined = SEPARATOR.join(argument)
    if joined.count(SEPARATOR) != len(argument) - 1:
        return None
    return Fingerprint("text", len(argument), joined)


ZERO_ONE_SHARE = 10  # above 1 cell in 10 equal to 0 or 1, a range is marshalled, not copied


class Marshalled(NamedTuple):
    """An exact form of a range with many cells equal to 0 or 1 (a cost column of zeros): its
    ``marshal`` bytes, which write every cell with its type (0.0, 0, False and -0.0 differ),
    ~9 bytes a number. Slower than ``list == list`` (2.6 against 1.4 ms for 100,000 floats),
    but that needs a type check of each 0/1 cell on top, which costs 50-250 ns a cell picked
    out of the list (measured: a column of 100,000 zeros 7.3-11 ms checked that way, 4.8-5.3
    ms marshalled; with one cell in ten a zero, about even)."""

    kind: type  # list or tuple
    length: int
    data: bytes

    def matches(self, given: Any) -> bool:
        if type(given) is not self.kind or len(given) != self.length:
            return False
        try:
            return marshal.dumps(given, MARSHAL_VERSION) == self.data
        except ValueError:  # a cell marshal cannot write (a date): not equal
            return False


MARSHAL_VERSION = 2  # binary floats, and no table of shared objects (3+) to fill per cell


def _marshalled(argument: list | tuple) -> Marshalled | None:
    """The marshalled form of a range of numbers, booleans, texts and blanks (flat or rows of
    cells), or None when a cell cannot be marshalled (dates, numpy scalars)."""
    try:
        data = marshal.dumps(argument, MARSHAL_VERSION)
    except ValueError:
        return None
    return Marshalled(type(argument), len(argument), data)


def _flat(argument: list | tuple) -> list | tuple:
    if argument and isinstance(argument[0], (list, tuple)):
        return list(chain.from_iterable(argument))
    return argument


def _zero_one_positions(cells: list | tuple) -> list[int]:
    """Where the cells equal 0 or 1 (0, 1, 0.0, 1.0, False, True)."""
    return [i for i, value in enumerate(cells)
            if type(value) in (bool, int, float) and (value == 0 or value == 1)]


def _zero_one(cells: list | tuple, positions: list[int]) -> tuple[itemgetter, tuple[type, ...]] | None:
    """A getter of the cells at ``positions`` (as a tuple) and their types."""
    if not positions:
        return None
    pick = itemgetter(*positions) if len(positions) > 1 else _one(positions[0])
    return pick, tuple(type(cells[i]) for i in positions)


def _one(position: int) -> Callable[[Any], tuple[Any]]:
    return lambda cells: (cells[position],)


ANSWER_BYTES = 256  # estimate per remembered answer: key tuple, asked value, answer, dict slot


class Answers(dict):
    """Answers worked out from one cached result and kept with it (a filled-down formula asks
    for the same customers again). The result never changes, so neither do they: a changed
    input is a different entry. At most ``limit`` are kept, counted in the entry's memory
    at ``ANSWER_BYTES`` each from the start (``result_bytes``)."""

    MISSING = object()

    def __init__(self, limit: int = 20_000) -> None:
        super().__init__()
        self.limit = limit
        self.columns: dict[str, Any] = {}  # a column of the result taken once (pandas views)

    def remember(self, asked: Hashable, answer: Any) -> None:
        if len(self) < self.limit:
            self[asked] = answer

    def nbytes(self) -> int:
        return self.limit * ANSWER_BYTES


def result_bytes(value: Any) -> int:
    """Estimated memory of a cached result: pandas objects by ``memory_usage``, tuples and
    named tuples by their parts, ``Answers`` by their bound."""
    if isinstance(value, Answers):
        return value.nbytes()
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=False).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=False))
    if isinstance(value, tuple):
        return sum(result_bytes(part) for part in value)
    if hasattr(value, "__dataclass_fields__"):
        return sum(result_bytes(getattr(value, name)) for name in value.__dataclass_fields__)
    return 0


class _Entry(NamedTuple):
    inputs: Inputs
    value: Any
    size: int


class PopulationCache:
    """A least-recently-used map from (key, range arguments) to population result.

    At most ``maxsize`` entries (one per distinct data range and parameter set in the open
    workbooks) and ``max_bytes`` by estimate. Thread-safe, since xlwings may call UDFs from
    its COM server thread.
    """

    def __init__(self, maxsize: int = 8, max_bytes: int = MAX_BYTES) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T], arguments: tuple[Any, ...] = ()) -> T:
        """The cached value for ``key`` and ``arguments`` (the range values, compared cell
        by cell), computing and storing it on a miss. An exception from ``compute``
        propagates and nothing is stored."""
        full = (key, summary(*arguments))
        with self._lock:
            entry = self._entries.get(full)
            if entry is not None and entry.inputs.matches(arguments):
                self._entries.move_to_end(full)
                self.hits += 1
                return entry.value
        value = compute()
        inputs = Inputs.of(arguments)
        with self._lock:
            self.misses += 1
            self._entries[full] = _Entry(inputs, value, inputs.bytes() + result_bytes(value))
            self._entries.move_to_end(full)
            while len(self._entries) > 1 and (len(self._entries) > self.maxsize
                                              or self.nbytes() > self.max_bytes):
                self._entries.popitem(last=False)
        return value

    def nbytes(self) -> int:
        """Estimated memory held: stored ranges and results."""
        return sum(entry.size for entry in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)
