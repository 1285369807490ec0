"""xlwings range values -> raw transactions, results -> cells in the customer argument's shape."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from xl_addin.errors import InputError
from xl_addin.excel import convert


@pytest.mark.parametrize(
    "value, rows",
    [
        pytest.param(5, [[5]], id="scalar"),
        pytest.param([1, 2, 3], [[1, 2, 3]], id="1-D row"),
        pytest.param([[1], [2]], [[1], [2]], id="2-D column"),
        pytest.param(np.array([[1, 2]]), [[1, 2]], id="numpy"),
        pytest.param([], [], id="empty"),
    ],
)
def test_grid_is_a_list_of_rows(value, rows):
    assert convert.grid(value) == rows


def test_vector_reads_a_column_or_a_row_and_rejects_a_block_naming_the_argument():
    assert convert.vector([["a"], ["b"]], "customers") == ["a", "b"]
    assert convert.vector([["a", "b"]], "customers") == ["a", "b"]
    with pytest.raises(InputError, match="amounts must be one column or one row, got 2 x 2"):
        convert.vector([[1, 2], [3, 4]], "amounts")


def test_transactions_keep_cells_untouched_under_canonical_names():
    frame = convert.transactions(
        [["C1"], [1001.0]], [[10.0], ["12"]], dates=[[dt.datetime(2025, 1, 2)], [45000.0]],
        costs=[[None], [3.0]],
    )
    assert list(frame.columns) == ["customer_id", "date", "amount", "cost"]
    assert frame["customer_id"].tolist() == ["C1", 1001.0]
    assert frame["date"].tolist() == [dt.datetime(2025, 1, 2), 45000.0]
    assert frame["amount"].tolist() == [10.0, "12"]


def test_transactions_of_unequal_length_name_the_argument():
    with pytest.raises(InputError, match="dates has 1 cells but customers has 2"):
        convert.transactions([["a"], ["b"]], [[1], [2]], dates=[[45000]])


def test_lookup_keeps_the_shape_and_marks_unknown_and_blank_customers():
    values = pd.Series({"1001": 0.25, "C2": np.nan, "C3": "B"})
    assert convert.lookup([[1001.0]], values) == 0.25
    assert convert.lookup([["C2"]], values) == ""
    assert convert.lookup([["C3"], [None], ["zz"]], values) == [
        ["B"], [""], ["#N/A: customer 'zz' not in data"]
    ]
    assert convert.lookup([[" C3 ", "1001"]], values) == [["B", 0.25]]


def test_cell_turns_numpy_and_pandas_values_into_excel_values():
    assert convert.cell(np.int64(3)) == 3 and type(convert.cell(np.int64(3))) is int
    assert convert.cell(pd.Timestamp("2025-03-01")) == dt.datetime(2025, 3, 1)
    assert convert.cell(pd.NaT) == "" and convert.cell(math.nan) == "" and convert.cell(None) == ""
    assert len(convert.cell("x" * 300)) == 255


def test_option_blank_means_default():
    assert convert.option(None, 0.8) == 0.8
    assert convert.option("  ", "value") == "value"
    assert convert.option([[0.7]], 0.8) == 0.7


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param(dt.datetime(2025, 3, 31), pd.Timestamp("2025-03-31"), id="datetime"),
        pytest.param(45747.0, pd.Timestamp("2025-03-31"), id="serial"),
        pytest.param("2025-03-31", pd.Timestamp("2025-03-31"), id="iso text"),
        pytest.param(None, None, id="blank"),
    ],
)
def test_analysis_date(value, expected):
    assert convert.analysis_date(value) == expected


def test_analysis_date_rejects_text_naming_the_argument():
    with pytest.raises(InputError, match="as_of: 'soon' is not a date"):
        convert.analysis_date("soon")
