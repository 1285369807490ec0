"""Property tests on messy values: garbage rows never change the tiers, and no cell value Excel
can hold makes the pipeline raise anything but a CustomerTiersError."""

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from xl_addin import Settings, tier_customers
from xl_addin.errors import CustomerTiersError

TODAY = dt.date(2026, 1, 1)
ERROR_VALUES = ["#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"]

valid_row = st.tuples(
    st.sampled_from(["c1", "c2", "c3", "c4", 1001, 1002.0]),
    st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31)).map(
        lambda d: dt.datetime(d.year, d.month, d.day)),
    st.integers(-5000, 100_000).map(lambda cents: cents / 100),
)
# each garbage row has exactly one field that no careful reader would accept
bad_id = st.sampled_from([None, "", "   ", True, False])
bad_date = st.sampled_from([None, "", True, 0, -1.0, "2025-13-45", "someday", "1899-12-31",
                            "31.02.2025", *ERROR_VALUES, 1e20, float("nan")])
bad_amount = st.sampled_from([None, "", "abc", True, False, 1e308, -1e308, float("inf"),
                              "1e400", "--5", "12 apples", *ERROR_VALUES])


@st.composite
def garbage_row(draw):
    cid, date, amount = draw(valid_row)
    which = draw(st.sampled_from(["id", "date", "amount"]))
    if which == "id":
        cid = draw(bad_id)
    elif which == "date":
        date = draw(bad_date)
    else:
        amount = draw(bad_amount)
    return cid, date, amount


def frame(rows):
    return pd.DataFrame({"customer_id": pd.Series([r[0] for r in rows], dtype=object),
                         "date": pd.Series([r[1] for r in rows], dtype=object),
                         "amount": pd.Series([r[2] for r in rows], dtype=object)})


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_row, min_size=2, max_size=25), st.lists(garbage_row(), min_size=1, max_size=10),
       st.randoms(use_true_random=False))
def test_garbage_rows_change_nothing_and_each_is_listed_once(valid, garbage, random):
    rows = [(r, False) for r in valid] + [(r, True) for r in garbage]
    random.shuffle(rows)
    mixed = tier_customers(frame([r for r, _ in rows]), Settings(), today=TODAY)
    alone = tier_customers(frame(valid), Settings(), today=TODAY)
    columns = ["customer_id", "revenue", "abc_tier", "rfm_code", "lifecycle"]
    pd.testing.assert_frame_equal(mixed.customers[columns], alone.customers[columns])
    garbage_rows = sorted(i + 1 for i, (_, bad) in enumerate(rows) if bad)
    assert sorted(mixed.data_quality["row"].tolist()) == garbage_rows


def text_dates(day):
    return st.sampled_from([
        day.isoformat(), f"{day:%Y/%m/%d}", f"{day:%d.%m.%Y}", f"{day:%m/%d/%Y}", f"{day:%d/%m/%Y}",
        f"{day.year}年{day.month}月{day.day}日", f"{day:%d %b %Y}", f"{day:%B %d, %Y}",
        f"{day:%Y-%m-%d}T10:30:00", f"{day:%y-%m-%d}", f"{day:%Y%m%d}",
    ])


any_cell = st.one_of(
    st.none(), st.booleans(), st.sampled_from(ERROR_VALUES),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.sampled_from([1e-300, 5e-324, 1e308, -1e308, 2958465.0, 2958466.0, 0.5, 60.0]),
    st.text(max_size=12),
    st.dates(dt.date(1900, 1, 1), dt.date(9999, 12, 31)).flatmap(text_dates),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31)),
    st.sampled_from(["(500)", "1.234,50", "1,234.50", "1 234,50", "¥1,200", "1200元", "1,234"]),
)


@hsettings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(any_cell, any_cell, any_cell), min_size=1, max_size=12),
       st.sampled_from(["YMD", "MDY", "DMY"]), st.sampled_from(["auto", ".", ","]),
       st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(9999, 12, 31))))
def test_no_cell_value_raises_anything_but_our_errors(rows, order, mark, as_of):
    settings = Settings(date_order=order, decimal_separator=mark)
    try:
        result = tier_customers(frame(rows), settings, as_of=as_of, today=TODAY)
    except CustomerTiersError:
        return
    revenue = result.customers["revenue"].dropna()
    assert all(math.isfinite(v) for v in revenue)
    assert len(result.data_quality) <= len(rows)
