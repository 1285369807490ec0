import numpy as np
import pandas as pd
import pytest

from xl_addin import HoldingRule, InputError, Settings, tier_customers
from xl_addin.core.columns import CUSTOMER_COLUMNS, DATA_QUALITY_COLUMNS

SALES = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "b", "c", "d", "e", None, "a"],
        "date": ["2025-01-05", "2025-03-05", "2025-04-01", "2025-04-02", "2024-08-01", "2024-01-01",
                 "2025-03-20", "2025-03-01", "2025-07-01"],
        "amount": [100.0, 50.0, 300.0, -20.0, 10.0, -5.0, 40.0, 9.0, 999.0],
        "cost": [40.0, 20.0, 100.0, -10.0, 2.0, 0.0, 10.0, 1.0, 1.0],
        "industry": ["x", "x", "y", "y", "x", None, "y", "x", "z"],
        "salesperson": ["Wang", "Wang", "Li", "Li", "Wang", "Li", "Li", "Li", "Wang"],
    }
)
MASTER = pd.DataFrame(
    {"customer_id": ["a", "p1", "p1"], "customer_name": ["Acme", "Prospect Co", "dup"], "industry": ["w", None, None]}
)


@pytest.fixture(scope="module")
def result():
    return tier_customers(SALES, Settings(holding_rules=(HoldingRule("*", "A", 1),)), customers=MASTER,
                          as_of="2025-04-02")


def test_columns_order_and_measure(result):
    table = result.customers
    assert tuple(table.columns[: len(CUSTOMER_COLUMNS)]) == CUSTOMER_COLUMNS
    assert result.measure == "profit"  # a cost column exists
    assert result.as_of == pd.Timestamp("2025-04-02")
    # profit: a 90, b 190, c 8, e 30, d -5 ; the 2025-07-01 line is after as_of
    assert table["customer_id"].tolist() == ["b", "a", "e", "c", "d", "p1"]
    assert table["profit"].tolist()[:5] == [190.0, 90.0, 30.0, 8.0, -5.0]
    # positive total 318: before b 0, a 190/318=.597, e 280/318=.881, c 310/318=.975
    assert table["abc_tier"].tolist()[:5] == ["A", "A", "B", "C", "D"]
    assert pd.isna(table["abc_tier"].iloc[5])
    # the line after the given as_of is a Data quality row (see test_data_quality_holds_the_bad_rows)


def test_attributes_master_wins_else_latest_line(result):
    table = result.customers.set_index("customer_id")
    assert table.loc["a", "customer_name"] == "Acme"
    assert table.loc["a", "industry"] == "w"  # master over the sales lines
    assert table.loc["b", "industry"] == "y"
    assert table.loc["p1", "lifecycle"] == "Prospect"
    # d only returned goods, 457 days before as_of: a lost customer, not a prospect
    assert table.loc["d", "lifecycle"] == "Lost"
    assert pd.isna(table.loc["p1", "score"])


def test_sob_orders_and_flags(result):
    table = result.customers.set_index("customer_id")
    # net revenue: a 150, b 280, c 10, d -5, e 40 -> 475
    assert table.loc["b", "sob"] == pytest.approx(280 / 475)
    assert table["sob"].sum() == pytest.approx(1.0)
    assert table.loc["a", "orders"] == 2 and table.loc["b", "orders"] == 1
    assert table.loc["c", "recency_days"] == 244
    # c: no purchase for 244 > 180 days -> release; d: the only loss -> review
    assert table.loc["c", "flags"] == "release to pool"
    assert table.loc["d", "flags"] == "review"
    assert table.loc["e", "flags"] == "promote"  # the only B customer


def test_data_quality_holds_the_bad_rows(result):
    dq = result.data_quality
    assert list(dq.columns) == list(DATA_QUALITY_COLUMNS)
    assert dq[["row", "column"]].values.tolist() == [
        [8, "customer_id"], [9, "date"], [3, "customer_id"]]
    assert dq["reason"].tolist()[1] == "date after the analysis date (as_of)"
    assert dq["reason"].tolist()[2].startswith("duplicate customer id")


def test_summaries_and_coverage(result):
    summary = result.tier_summary.set_index("tier")
    assert summary.loc["Total", "customers"] == 5
    assert summary.loc["A", "profit"] == 280.0
    coverage = result.coverage.set_index(["salesperson", "tier"])
    assert coverage.loc[("Li", "A"), "status"] == "OK"  # b only
    assert coverage.loc[("Wang", "A"), "held"] == 1
    assert result.pareto["customer_id"].tolist() == ["b", "a", "e", "c", "d"]
    assert result.releases["customer_id"].tolist() == ["c"]
    assert set(result.pivots) == {"industry"}


def test_previous_tiers_fill_the_changes():
    previous = pd.DataFrame({"customer_id": [1.0], "abc_tier": ["B"], "score_tier": ["VIP"]})
    sales = pd.DataFrame({"customer_id": [1, 2], "date": ["2025-01-01"] * 2, "amount": [10.0, 1.0]})
    result = tier_customers(sales, previous_tiers=previous)
    assert not result.tier_changes.empty
    assert "1" in result.tier_changes["customer_id"].tolist()


def test_without_cost_the_note_says_so_and_revenue_ranks():
    sales = SALES.drop(columns="cost").dropna(subset=["customer_id"])
    result = tier_customers(sales, Settings(cost_rate=0.1))
    assert result.measure == "revenue"
    notes = result.notes.set_index("note_key")
    assert notes.loc["no_cost_column", "detail"] == "0.1"
    assert list(result.notes.columns) == ["sheet", "column", "note_key", "detail"]
    assert result.customers.set_index("customer_id").loc["b", "profit"] == pytest.approx(280 * 0.9)


def test_as_of_from_settings_and_default():
    assert tier_customers(SALES).as_of == pd.Timestamp("2025-07-01")
    import datetime as dt
    assert tier_customers(SALES, Settings(as_of=dt.date(2025, 5, 1))).as_of == pd.Timestamp("2025-05-01")


def test_no_usable_row_is_an_error():
    sales = pd.DataFrame({"customer_id": [None], "date": ["2025-01-01"], "amount": [1.0]})
    with pytest.raises(InputError, match="none of the 1 sale lines"):
        tier_customers(sales)


def test_unknown_score_factor_names_the_column():
    from xl_addin import ScoreFactor
    with pytest.raises(InputError) as info:
        tier_customers(SALES, Settings(score_factors=(ScoreFactor("satisfaction", 1.0),)))
    assert info.value.column == "satisfaction"


def test_master_factor_column_feeds_the_score():
    from xl_addin import ScoreFactor
    master = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "satisfaction": [5, 1, 3, 2, 4]})
    result = tier_customers(SALES, Settings(score_factors=(ScoreFactor("satisfaction", 1.0),)), customers=master)
    scores = result.customers.set_index("customer_id")["score"]
    # percent rank (rank-1)/(n-1) x 100 over 5 customers
    assert scores.to_dict() == pytest.approx({"a": 100.0, "b": 0.0, "c": 50.0, "d": 25.0, "e": 75.0})


@pytest.mark.parametrize(("return_date", "expected"), [("2025-03-20", "One-time"), ("2024-09-01", "Lapsing")])
def test_returns_only_customer_is_dated_by_its_latest_line(return_date, expected):
    sales = pd.DataFrame(
        {
            "customer_id": ["a", "r", "r"],
            "date": ["2025-04-01", "2024-08-01", return_date],
            "amount": [100.0, -10.0, -5.0],
        }
    )
    table = tier_customers(sales, as_of="2025-04-01").customers.set_index("customer_id")
    assert table.loc["r", "lifecycle"] == expected
    assert table.loc["r", "abc_tier"] == "D" and pd.isna(table.loc["r", "last_purchase"])


@pytest.mark.parametrize("text_dtype", ["str", "category", "object"])
def test_attribute_is_the_latest_line_that_has_one(text_dtype):
    # x's latest line has no region (blank, then whitespace only on a tie the later line wins),
    # so its region is the one before; y never has one; salesperson is on every line
    sales = pd.DataFrame(
        {
            "customer_id": ["x", "x", "x", "x", "y", "y"],
            "date": ["2025-01-01", "2025-02-01", "2025-03-01", "2025-03-01", "2025-01-01", "2025-02-01"],
            "amount": [10.0, 20.0, 30.0, 40.0, 5.0, 6.0],
            "region": ["North", " South ", None, "  ", "", None],
            "salesperson": ["Wang", "Li", "Zhao", "Qian", "Sun", "Zhou"],
        }
    ).astype({"region": text_dtype, "salesperson": text_dtype})
    table = tier_customers(sales, as_of="2025-04-01").customers.set_index("customer_id")
    assert table.loc["x", "region"] == "South"
    assert pd.isna(table.loc["y", "region"])
    assert table.loc["x", "salesperson"] == "Qian"  # same date: the later line
    assert table.loc["y", "salesperson"] == "Zhou"


@pytest.mark.parametrize("dtype, values", [
    ("int64", [3, 1, 4, 1, 5]),
    ("bool", [True, False, True, True, False]),
    ("float64", [0.5, float("nan"), 2.0, -1.0, 3.25]),
    ("datetime64[s]", pd.to_datetime(["2025-01-02", None, "2024-12-31", "2025-06-30", "2025-03-01"])),
    ("str", ["a", None, "c", "d", "e"]),
    ("Int64", [1, None, 3, 4, 5]),
    ("boolean", [True, None, False, True, False]),
    ("object", [True, False, None, 2, "x"]),
])
@pytest.mark.parametrize("rows", [[4, 0, 2, 2, 1, 3], [4, -1, 0, -1, 3], []])
def test_take_is_reindex_by_position_with_minus_one_missing(dtype, values, rows):
    from xl_addin.core.pipeline import _take

    series = pd.Series(values, dtype=dtype, name="column", index=[10, 11, 12, 13, 14])
    rows = np.array(rows, dtype=np.int64)
    expected = series.reset_index(drop=True).reindex(rows).reset_index(drop=True)
    pd.testing.assert_series_equal(_take(series, rows), expected)
