import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from xl_addin import InputError, Settings
from xl_addin.core.clean import clean_transactions
from xl_addin.core.sob import customer_totals, distinct_sorted, segment_sob, sob


def sales(**extra):
    raw = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "date": ["2025-01-05", "2025-01-05", "2025-02-01", "2025-04-01", "2025-04-02", "2025-02-10"],
            "amount": [100.0, 50.0, 30.0, 300.0, -20.0, -10.0],
            **extra,
        }
    )
    return clean_transactions(raw)[0]


def test_totals_with_costs_orders_by_date_and_returns():
    totals = customer_totals(sales(cost=[60.0, 20.0, 10.0, 100.0, -5.0, 0.0]))
    assert totals["customer_id"].tolist() == ["a", "b", "c"]
    assert totals["revenue"].tolist() == [180.0, 280.0, -10.0]  # returns reduce revenue
    assert totals["cost"].tolist() == [90.0, 95.0, 0.0]
    assert totals["profit"].tolist() == [90.0, 185.0, -10.0]
    # two purchase dates for a; b's return is not an order; c only returned
    assert totals["orders"].tolist() == [2, 1, 0]
    assert totals["first_purchase"].tolist()[:2] == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-04-01")]
    assert totals["last_purchase"].tolist()[:2] == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-04-01")]
    assert pd.isna(totals["last_purchase"].iloc[2])
    # sob = revenue / 450
    assert totals["sob"].tolist() == pytest.approx([180 / 450, 280 / 450, -10 / 450])


def test_orders_are_distinct_order_ids_and_blank_ids_count_by_date():
    totals = customer_totals(sales(order_id=["o1", "o1", None, "o2", "o3", None]))
    assert totals["orders"].tolist() == [2, 1, 0]


def test_cost_rate_applies_without_a_cost_column():
    totals = customer_totals(sales(), Settings(cost_rate=0.25))
    assert totals["cost"].tolist() == [45.0, 70.0, -2.5]
    assert totals["profit"].tolist() == [135.0, 210.0, -7.5]


def test_totals_without_a_date_column():
    clean = pd.DataFrame({"customer_id": ["x", "y", "x"], "amount": [1.0, 2.0, 3.0]})
    totals = customer_totals(clean)
    assert list(totals.columns) == ["customer_id", "revenue", "cost", "profit", "sob"]
    assert totals["revenue"].tolist() == [4.0, 2.0]


def test_share_of_wallet_uses_the_largest_wallet_estimate():
    totals = customer_totals(sales(wallet=[900.0, 900.0, np.nan, 0.0, 0.0, 50.0]))
    assert totals["wallet"].tolist() == [900.0, 0.0, 50.0]
    assert totals["share_of_wallet"].iloc[0] == pytest.approx(0.2)
    assert pd.isna(totals["share_of_wallet"].iloc[1])  # wallet 0: no share


def test_sob_overall_by_segment_and_period():
    clean = sales(industry=["x", "x", "x", "y", "y", "x"])
    overall = sob(clean)
    assert overall["sob"].sum() == pytest.approx(1.0)
    by_segment = sob(clean, by="industry")
    # segment x: a 180, c -10 -> total 170
    x = by_segment[by_segment["industry"] == "x"].set_index("customer_id")["sob"]
    assert x.to_dict() == pytest.approx({"a": 180 / 170, "c": -10 / 170})
    by_month = sob(clean, period="M")
    assert list(by_month.columns) == ["customer_id", "period", "revenue", "sob"]
    feb = by_month[by_month["period"] == "2025-02"].set_index("customer_id")["sob"]
    assert feb.to_dict() == pytest.approx({"a": 30 / 20, "c": -10 / 20})
    quarters = sob(clean, period="Q")["period"].unique().tolist()
    assert quarters == ["2025Q1", "2025Q2"]


def test_sob_of_a_period_with_no_positive_total_is_missing():
    clean = sales()
    table = sob(clean.assign(amount=-clean["amount"].abs()), period="Y")
    assert table["sob"].isna().all()


def test_sob_rejects_unknown_column_and_period():
    with pytest.raises(InputError) as info:
        sob(sales(), by="industry")
    assert info.value.column == "industry"
    with pytest.raises(InputError):
        sob(sales(), period="W")


def test_segment_sob():
    revenue = pd.Series([10.0, 30.0, 60.0, 5.0])
    segment = pd.Series(["x", "x", "y", None])
    assert segment_sob(revenue, segment).tolist() == pytest.approx([0.25, 0.75, 1.0, 1.0])


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**40), max_size=50), st.lists(st.integers(0, 300), max_size=50))
def test_distinct_sorted_is_np_unique(large, small):
    # the presence-table path (small key range) and the sort path (large range) agree with
    # np.unique, duplicates and the empty case included
    for keys in (np.array(large, dtype=np.int64), np.array(small, dtype=np.int64),
                 np.array(large + small + small, dtype=np.int64)):
        np.testing.assert_array_equal(distinct_sorted(keys), np.unique(keys).astype(np.int64))


def test_count_distinct_by_hand_with_items_in_one_group_and_items_shared():
    from xl_addin.core.sob import count_distinct

    # items 0..2 each in one group (the no-sort path): group 0 has {0, 1}, group 2 has {2}
    groups, items = np.array([0, 0, 0, 2, 2]), np.array([0, 1, 0, 2, 2])
    assert count_distinct(groups, items, 3).tolist() == [2, 0, 1]
    # item 1 in groups 0 and 1 (the general path)
    groups, items = np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 3])
    assert count_distinct(groups, items, 2).tolist() == [2, 2]


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9)), max_size=40))
def test_count_distinct_is_the_number_of_distinct_pairs(pairs):
    from xl_addin.core.sob import count_distinct

    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    items = np.array([i for _, i in pairs], dtype=np.int64)
    expected = [len({i for g, i in pairs if g == k}) for k in range(7)]
    assert count_distinct(groups, items, 7).tolist() == expected
