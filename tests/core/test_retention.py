"""Measured retention, churn and cohorts on small hand-computed tables."""

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.retention import (
    COHORT_COLUMNS,
    RETENTION_COLUMNS,
    cohort_table,
    retention_table,
    tier_retention_rates,
    yearly_retention,
)
from xl_addin.core.sob import customer_codes

SALES = pd.DataFrame(
    [
        ("a", "2025-01-10", 100.0), ("a", "2025-04-02", 200.0),
        ("b", "2024-11-01", 10.0), ("b", "2025-02-01", 20.0),
        ("c", "2025-01-05", 5.0),
        ("d", "2024-10-10", 1000.0), ("d", "2025-05-05", 3000.0),  # skips 2025Q1
        ("d", "2025-03-01", -50.0),  # a return is not activity
    ],
    columns=["customer_id", "date", "amount"],
).assign(date=lambda f: pd.to_datetime(f["date"]))
TIERS = np.array(["A", "A", "B", "B"], dtype=object)  # a, b, c, d (codes in id order)


def test_retention_by_tier_and_quarter_by_hand():
    codes, ids = customer_codes(SALES)
    assert ids.tolist() == ["a", "b", "c", "d"]
    table = retention_table(SALES, codes, TIERS, "Q", pd.Timestamp("2025-06-30"))
    assert tuple(table.columns) == RETENTION_COLUMNS
    got = {(r.tier, r.period): (r.next_period, r.active, r.retained) for r in table.itertuples()}
    assert got == {
        ("A", "2024Q4"): ("2025Q1", 1, 1),  # b
        ("A", "2025Q1"): ("2025Q2", 2, 1),  # a back, b not
        ("B", "2024Q4"): ("2025Q1", 1, 0),  # d skipped Q1
        ("B", "2025Q1"): ("2025Q2", 1, 0),  # c
        ("All", "2024Q4"): ("2025Q1", 2, 1),
        ("All", "2025Q1"): ("2025Q2", 3, 1),
    }
    all_q1 = table[(table["tier"] == "All") & (table["period"] == "2025Q1")].iloc[0]
    assert all_q1["retention"] == pytest.approx(1 / 3)
    assert all_q1["churn"] == pytest.approx(2 / 3)


def test_a_period_cut_short_by_the_analysis_date_is_left_out():
    codes, _ = customer_codes(SALES)
    table = retention_table(SALES, codes, TIERS, "Q", pd.Timestamp("2025-06-29"))
    assert set(table["next_period"]) == {"2025Q1"}


def test_monthly_labels():
    codes, _ = customer_codes(SALES)
    table = retention_table(SALES, codes, TIERS, "M", pd.Timestamp("2025-06-30"))
    row = table[(table["tier"] == "All") & (table["period"] == "2025-01")].iloc[0]
    assert (row["next_period"], row["active"], row["retained"]) == ("2025-02", 2, 0)


def test_cohorts_by_hand():
    codes, _ = customer_codes(SALES)
    table = cohort_table(SALES, codes, "Q", pd.Timestamp("2025-06-30"))
    assert tuple(table.columns) == COHORT_COLUMNS
    got = [tuple(r) for r in table.itertuples(index=False)]
    assert got == [
        ("2024Q4", 0, "2024Q4", 2, 2, 1.0, 1010.0),
        ("2024Q4", 1, "2025Q1", 2, 1, 0.5, -30.0),  # b's 20 and d's return of 50
        ("2024Q4", 2, "2025Q2", 2, 1, 0.5, 3000.0),
        ("2025Q1", 0, "2025Q1", 2, 2, 1.0, 105.0),
        ("2025Q1", 1, "2025Q2", 2, 1, 0.5, 200.0),
    ]


def test_yearly_retention_by_hand():
    sales = pd.concat([SALES, pd.DataFrame({"customer_id": ["e"], "date": [pd.Timestamp("2024-03-01")],
                                            "amount": [7.0]})], ignore_index=True)
    codes, ids = customer_codes(sales)
    tiers = np.array(["A", "A", "B", "B", "C"], dtype=object)
    # year before last: 2024-01-01 .. 2024-12-31 -> b, d, e; last year: a, b, c, d
    table = yearly_retention(sales, codes, tiers, pd.Timestamp("2025-12-31")).set_index("tier")
    assert table.loc["All", ["active_year_before", "retained"]].tolist() == [3, 2]
    assert table.loc["All", "retention"] == pytest.approx(2 / 3)
    assert table.loc["C", "retention"] == 0.0
    assert np.isnan(table.loc["D", "retention"])
    # each tier has fewer than 10 such customers: every tier uses the All rate
    assert tier_retention_rates(table.reset_index()) == pytest.approx({t: 2 / 3 for t in "ABCD"})


def test_a_return_before_the_first_purchase_is_in_no_cohort_period():
    # x returns 40 in 2024Q4, then first buys in 2025Q1: its cohort is 2025Q1 and the
    # return, booked before the cohort began, is in no cell of the triangle
    sales = pd.DataFrame({"customer_id": ["x", "x", "y"],
                          "date": pd.to_datetime(["2024-11-01", "2025-02-01", "2025-02-03"]),
                          "amount": [-40.0, 100.0, 10.0]})
    codes, _ = customer_codes(sales)
    table = cohort_table(sales, codes, "Q", pd.Timestamp("2025-03-31"))
    assert [tuple(r) for r in table.itertuples(index=False)] == [
        ("2025Q1", 0, "2025Q1", 2, 2, 1.0, 110.0)]


def test_only_the_last_36_periods_of_cohorts_are_shown():
    # one customer a year from 1980: 46 yearly cohorts, of which the last 36 are shown
    years = range(1980, 2026)
    sales = pd.DataFrame({"customer_id": [f"c{y}" for y in years],
                          "date": pd.to_datetime([f"{y}-06-01" for y in years]),
                          "amount": 1.0})
    codes, _ = customer_codes(sales)
    table = cohort_table(sales, codes, "Y", pd.Timestamp("2025-12-31"))
    assert table["cohort"].iloc[0] == "1990" and table["cohort"].nunique() == 36


@pytest.mark.parametrize("period", ["M", "Q", "Y"])
@pytest.mark.parametrize("span_days", [40, 1500, 20_000], ids=["weeks", "years", "decades"])
def test_line_periods_of_many_lines_are_each_dates_calendar_period(period, span_days):
    # from 1,000 lines the periods are looked up per day of the span: they must be the
    # calendar periods numpy gives date by date (month ends, leap days, 1900 and 9999 included)
    from xl_addin.core.retention import line_periods, period_numbers

    rng = np.random.default_rng(span_days)
    for start in ("1900-01-01", "2023-12-31", "9970-01-01"):
        days = np.datetime64(start, "D") + rng.integers(0, span_days, 3000)
        days[:2] = [np.datetime64("2024-02-29"), np.datetime64("2024-03-01")] if start == "2023-12-31" else days[:2]
        frame = pd.DataFrame({"date": days.astype("datetime64[s]")})
        months = days.astype("datetime64[M]").astype(np.int64)
        expected = months // {"M": 1, "Q": 3, "Y": 12}[period]
        assert np.array_equal(line_periods(frame, period), expected)
        assert np.array_equal(line_periods(frame, period), period_numbers(days, period))
