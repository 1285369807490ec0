"""Cleaning with the reader's typed columns (``TypedCells``) gives exactly what cleaning the
object columns gives: the same values, problem rows, reasons and notes."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_addin.core.clean import TYPED_CELLS, TypedCells, clean_transactions

TEXTS = ["n/a", "1,5", "1.234,50", "(12)", " ", "", "#N/A", "2025-03-01", "13/03/2025",
         "03/04/2025", "1 Mar 2025", "45000", "1e20"]
amount_cells = st.one_of(st.none(), st.floats(-1e16, 1e16, allow_nan=False),
                         st.sampled_from(TEXTS), st.booleans(), st.just(float("nan")))
date_cells = st.one_of(st.none(), st.datetimes(dt.datetime(1890, 1, 1), dt.datetime(2030, 1, 1)),
                       st.sampled_from(TEXTS), st.booleans(), st.floats(-10, 3e6, allow_nan=False))


def typed_view(cells: list, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """What the reader hands over: the typed column (missing where a cell is not of the
    column's type) and the rows of the cells that are not."""
    if kind == "float":
        fits = [type(v) is float for v in cells]
        array = np.array([v if f else np.nan for v, f in zip(cells, fits)], dtype=np.float64)
    else:
        fits = [type(v) is dt.datetime for v in cells]
        array = np.array([np.datetime64(v, "ms") if f else np.datetime64("NaT")
                          for v, f in zip(cells, fits)], dtype="datetime64[ms]")
    present = [f or v is None for v, f in zip(cells, fits)]
    return array, np.flatnonzero(~np.array(present, dtype=bool))


@given(st.lists(st.tuples(amount_cells, date_cells, st.sampled_from(["a", "b", None])),
                min_size=1, max_size=40),
       st.sampled_from(["auto", ".", ","]), st.sampled_from(["YMD", "DMY", "MDY"]))
@settings(max_examples=150, deadline=None)
def test_typed_cells_clean_exactly_as_the_objects(rows, separator, order):
    amounts, dates, ids = zip(*rows)
    raw = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object),
                        "date": pd.Series(dates, dtype=object),
                        "amount": pd.Series(amounts, dtype=object),
                        "source_row": np.arange(2, len(rows) + 2)})
    raw["amount"] = pd.Series(list(amounts), dtype=object)
    raw["date"] = pd.Series(list(dates), dtype=object)
    raw.attrs["notes"] = ()
    typed = raw.copy()
    typed.attrs[TYPED_CELLS] = TypedCells(
        {"amount": typed_view(list(amounts), "float"), "date": typed_view(list(dates), "date")},
        len(raw))
    options = dict(decimal_separator=separator, date_order=order, today=pd.Timestamp("2026-01-01"))
    expected, expected_quality = clean_transactions(raw, **options)
    got, got_quality = clean_transactions(typed, **options)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got_quality, expected_quality)
    assert got.attrs["notes"] == expected.attrs["notes"]


def test_typed_cells_of_another_length_are_not_used():
    raw = pd.DataFrame({"customer_id": ["a", "b"], "date": [dt.datetime(2025, 1, 1)] * 2,
                        "amount": pd.Series([1.0, "n/a"], dtype=object)})
    # a stale view (3 rows) that would say the amount is 5.0: never read
    raw.attrs[TYPED_CELLS] = TypedCells({"amount": (np.array([5.0, 5.0, 5.0]), np.array([1]))}, 3)
    clean, quality = clean_transactions(raw, today=pd.Timestamp("2026-01-01"))
    assert clean["amount"].tolist() == [1.0]
    assert quality["value"].tolist() == ["n/a"]
