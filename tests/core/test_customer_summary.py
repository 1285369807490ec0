"""customer_summary: every per-customer aggregate once, hand-computed on a small table."""

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.customer_summary import CUSTOMER_SUMMARY_COLUMNS, customer_summary

AS_OF = pd.Timestamp("2025-01-31")


def lines():
    return pd.DataFrame(
        [
            ("a", "2025-01-01", 100.0, 60.0),
            ("a", "2025-01-01", 50.0, 30.0),
            ("a", "2025-01-11", 200.0, 100.0),
            ("a", "2025-01-21", -30.0, -10.0),  # a return: not a purchase day, but it is value
            ("b", "2025-01-15", 10.0, 4.0),
            ("c", "2025-01-20", -5.0, -2.0),  # returns only
        ],
        columns=["customer_id", "date", "amount", "cost"],
    ).assign(date=lambda f: pd.to_datetime(f["date"]))


def test_columns_are_the_contract_and_the_index_is_the_customer_id():
    table = customer_summary(lines(), AS_OF)
    assert tuple(table.columns) == CUSTOMER_SUMMARY_COLUMNS
    assert table.index.tolist() == ["a", "b", "c"]


def test_model_columns_by_hand():
    table = customer_summary(lines(), AS_OF)
    a = table.loc["a"]
    assert a["purchase_days"] == 2  # 01-01 and 01-11; the return day is not a purchase
    assert a["repeat_purchases"] == 1
    assert a["model_recency_days"] == 10  # first 01-01 to last purchase 01-11
    assert a["age_days"] == 30  # 01-01 to 01-31
    assert a["days_since_last"] == 20  # 01-11 to 01-31: the RFM recency
    # profit after the first day: (200 - 100) + (-30 + 10) = 80, over 1 repeat purchase
    assert a["repeat_value"] == pytest.approx(80.0)
    assert a["revenue"] == pytest.approx(320.0)
    assert a["profit"] == pytest.approx(140.0)
    b = table.loc["b"]
    assert (b["purchase_days"], b["repeat_purchases"], b["model_recency_days"], b["age_days"]) == (1, 0, 0, 16)
    assert np.isnan(b["repeat_value"])


def test_returns_only_customer_has_no_model_numbers():
    c = customer_summary(lines(), AS_OF).loc["c"]
    assert c["purchase_days"] == 0
    for name in ("repeat_purchases", "model_recency_days", "age_days", "days_since_last", "repeat_value"):
        assert np.isnan(c[name]), name


def test_without_cost_column_repeat_value_uses_cost_rate():
    from xl_addin.settings import Settings

    table = customer_summary(lines().drop(columns="cost"), AS_OF, Settings(cost_rate=0.25))
    # revenue after the first day: 200 - 30 = 170; profit = 170 x 0.75
    assert table.loc["a", "repeat_value"] == pytest.approx(127.5)
