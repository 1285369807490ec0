"""Between xlwings values and the core's frames: ranges in, canonical columns; results out, 2-D lists.

xlwings hands a UDF its arguments in one of three shapes: the ``customer`` argument (declared
``ndim=2``) as a list of rows, a single cell as ``[[value]]``; data arguments (no ``ndim``:
xlwings' default squeeze) as a flat list for a column or a row, a scalar for one cell, a list
of rows for a 2-D block (an error here, naming the argument). Flat lists are what the
population cache hashes fastest. Empty cells and error cells arrive as ``None``.
Conventions applied here, once for every UDF:

* A data argument (``customers``, ``amounts``, ...) is one column or one row. Its cells go to
  ``core.clean_transactions`` untouched, so ids, dates (datetimes, Excel serial numbers, text)
  and numbers are parsed exactly as in the headless refresh, and the rows the refresh leaves
  out (blank customer, blank or non-numeric amount, blank or unknown date) are ignored.
* Customer ids are compared as the core normalises them: 1001, 1001.0 and " 1001" are one
  customer.
* Results keep the shape of the ``customer`` argument: one cell in, a scalar out; a column of
  customers in, a column out (Excel spills it). A blank customer cell gives an empty cell; an
  unknown one gives ``NOT_FOUND``.
"""

from __future__ import annotations

import datetime as dt
import math
from itertools import chain
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..core import columns as col
from ..core.clean import id_text  # the per-value rule of normalise_ids
from ..core.clean import normalise_ids, parse_dates
from ..errors import InputError
from ..workbook.tables import is_blank  # the same empty-cell rule as the sheet reader

Grid = list[list[Any]]

# Open-source xlwings cannot return a real Excel error value from a UDF (xlwings issue #776),
# so an unknown customer gives this text; ISTEXT / LEFT(x, 4) = "#N/A" detect it.
NOT_FOUND = "#N/A: customer '{customer}' not in data"
MAX_CELL_TEXT = 255  # longer strings from a UDF show as #VALUE! (xlwings issue #456)


def grid(value: Any) -> Grid:
    """A range value as a list of rows, whatever xlwings passed (scalar, 1-D list, 2-D list)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return []
    if not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(row) for row in value]


def vector(value: Any, argument: str) -> list[Any]:
    """The cells of a one-column or one-row argument, in order. A 2-D block is an error."""
    if isinstance(value, list) and (not value or not isinstance(value[0], (list, tuple))):
        return value  # already flat: xlwings' squeezed column or row
    rows = grid(value)
    if len(rows) > 1 and max(len(row) for row in rows) > 1:
        raise InputError(f"{argument} must be one column or one row, got {len(rows)} x {len(rows[0])} cells")
    return list(chain.from_iterable(rows))


def option(value: Any, default: Any) -> Any:
    """An optional scalar argument: blank, omitted or an empty cell means ``default``."""
    if isinstance(value, (list, tuple, np.ndarray)):
        cells = vector(value, "option")
        value = cells[0] if len(cells) == 1 else value
    return default if is_blank(value) else value


def analysis_date(value: Any, argument: str = "as_of") -> pd.Timestamp | None:
    """An ``as_of`` argument as a Timestamp (None when blank), parsed like the data's dates."""
    value = option(value, None)
    if value is None:
        return None
    parsed = parse_dates(pd.Series([value], dtype=object)).iloc[0]
    if pd.isna(parsed):
        raise InputError(f"{argument}: {value!r} is not a date", hint="Use a date cell or yyyy-mm-dd.")
    return pd.Timestamp(parsed)


def transactions(
    customers: Any,
    amounts: Any,
    *,
    dates: Any = None,
    costs: Any = None,
    orders: Any = None,
) -> pd.DataFrame:
    """Raw transactions with canonical column names (customer_id[, date], amount[, cost]
    [, order_id]) from UDF arguments of equal length, for ``core.clean_transactions``."""
    named = {
        col.CUSTOMER_ID: ("customers", customers),
        col.DATE: ("dates", dates),
        col.AMOUNT: ("amounts", amounts),
        col.COST: ("costs", costs),
        col.ORDER_ID: ("orders", orders),
    }
    cells = {column: (argument, vector(value, argument))
             for column, (argument, value) in named.items() if value is not None}
    length = len(cells[col.CUSTOMER_ID][1])
    for argument, values in cells.values():
        if len(values) != length:
            raise InputError(
                f"{argument} has {len(values)} cells but customers has {length}",
                hint="Select ranges of the same size.",
            )
    frame = pd.DataFrame({column: pd.Series(values, dtype=object) for column, (_, values) in cells.items()})
    # Data quality rows and errors name the argument ("amounts"), as the refresh names a column
    frame.attrs["headers"] = {("", column): argument for column, (argument, _) in cells.items()}
    return frame


def rejected_customers(raw: pd.DataFrame, data_quality: pd.DataFrame) -> dict[str, str]:
    """Customer id -> the cell message for a customer all of whose sale lines were left out
    (a date out of range, TRUE in amounts, 1e308...): better than "not in data"."""
    if data_quality.empty or col.CUSTOMER_ID not in raw.columns:
        return {}
    found: dict[str, str] = {}
    ids = raw[col.CUSTOMER_ID].to_numpy(dtype=object)
    for row, column, reason in zip(data_quality["row"], data_quality["column"], data_quality["reason"]):
        if pd.isna(row) or not 1 <= int(row) <= len(ids) or isinstance(ids[int(row) - 1], bool):
            continue
        key = None if is_blank(ids[int(row) - 1]) else id_text(ids[int(row) - 1])
        if key is not None and key not in found:
            kind = "#NUM!" if "too large" in reason else "#VALUE!"
            found[key] = f"{kind} {column}: customer '{key}' has no usable sale line ({reason})"
    return found


def cell(value: Any) -> Any:
    """One result value as Excel takes it: numpy scalars as Python numbers, NaN/NaT/None as
    an empty cell (""), Timestamps as datetimes."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
        return value[: MAX_CELL_TEXT - 1] + "…"
    return value


def lookup(customer: Any, values: pd.Series) -> Any:
    """``values`` (indexed by customer id) for every cell of the ``customer`` argument, in its
    shape: a scalar for one cell, a list of rows otherwise."""
    rows = grid(customer)
    if len(rows) == 1 and len(rows[0]) == 1:  # one cell: no pandas work per call
        return _looked_up_one(rows[0][0], values)
    flat = list(chain.from_iterable(rows))
    keys = normalise_ids(pd.Series(flat, dtype=object)).tolist()
    found = values.reindex([k for k in keys if isinstance(k, str)])
    known = dict(zip(found.index, found.to_numpy()))
    rejected = values.attrs.get("rejected") or {}
    out = iter([_looked_up(cell_value, key, known, values.index, rejected)
                for cell_value, key in zip(flat, keys)])
    result = [[next(out) for _ in row] for row in rows]
    if len(result) == 1 and len(result[0]) == 1:
        return result[0][0]
    return result


def _looked_up_one(raw: Any, values: pd.Series) -> Any:
    key = None if is_blank(raw) else id_text(raw)  # the core's rule for one id
    if key is None:
        return ""
    found = values.get(key, _MISSING)
    if found is _MISSING:
        rejected = values.attrs.get("rejected") or {}
        return cell(rejected.get(key) or NOT_FOUND.format(customer=key))
    return cell(found)


_MISSING = object()


def _looked_up(raw: Any, key: Any, known: dict, index: pd.Index, rejected: dict) -> Any:
    if not isinstance(key, str):
        return ""
    if key not in index:
        return cell(rejected.get(key) or NOT_FOUND.format(customer=key))
    return cell(known[key])


def table(frame: pd.DataFrame, headers: Sequence[str]) -> Grid:
    """A frame as a header row followed by its rows, every value passed through ``cell``."""
    rows: Grid = [list(headers)]
    rows.extend([cell(v) for v in record] for record in frame.itertuples(index=False, name=None))
    return rows


def excel_serial(value: dt.datetime) -> float:
    """Excel's 1900-system serial of a datetime (for comparisons in tests and notes)."""
    return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
