import numpy as np
import pandas as pd
import pytest

from xl_addin import Settings
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from xl_addin.core.abc import (
    rank_order,
    abc_curve,
    abc_flags,
    abc_measure,
    abc_tiers,
    count_cutoff,
    curve_points,
    customers_to_reach,
    pareto_table,
)

# The 7-item example, listed out of order and with ids that do not sort like values.
SEVEN = pd.Series(
    [6000.0, 27000.0, 16000.0, 24000.0, 4000.0, 18000.0, 5000.0],
    index=["c5", "c1", "c4", "c2", "c7", "c3", "c6"],
)


def tiers_by_id(table):
    return table.set_index("customer_id")["abc_tier"].to_dict()


def test_seven_items_value_method():
    # total 100000; cum shares 0.27, 0.51, 0.69, 0.85, 0.91, 0.96, 1.00.
    # Share before each: 0, .27, .51, .69, .85, .91, .96.
    # A while before < 0.80: c1..c4 (c4 crosses 0.80 from 0.69, so it is A);
    # B while before < 0.95: c5 (0.85), c6 (0.91 -> crosses 0.95, so B); c7 (0.96) is C.
    table = abc_tiers(SEVEN)
    assert table["customer_id"].tolist() == ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    assert table["abc_tier"].tolist() == ["A", "A", "A", "A", "B", "B", "C"]
    assert table["cum_share"].tolist() == pytest.approx([0.27, 0.51, 0.69, 0.85, 0.91, 0.96, 1.0])
    assert table["share"].tolist() == pytest.approx([0.27, 0.24, 0.18, 0.16, 0.06, 0.05, 0.04])
    assert table["rank"].tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_seven_items_count_method():
    # n = 7 positive customers: A = first ceil(0.2 x 7) = ceil(1.4) = 2;
    # B up to ceil(0.5 x 7) = ceil(3.5) = 4; the other 3 are C.
    table = abc_tiers(SEVEN, Settings(abc_method="count"))
    assert table["abc_tier"].tolist() == ["A", "A", "B", "B", "C", "C", "C"]


def test_a_customer_starting_exactly_at_the_cut_off_is_the_lower_class():
    # before the 3rd customer the cumulative share is 80/100 = 0.80, not < 0.80 -> B
    table = abc_tiers(pd.Series([50.0, 30.0, 15.0, 5.0], index=list("abcd")))
    assert table["abc_tier"].tolist() == ["A", "A", "B", "C"]


def test_non_positive_measures_are_d_and_off_the_curve():
    measure = pd.Series([-30.0, 0.0, 70.0, 30.0, -5.0], index=["l1", "z0", "p1", "p2", "l2"])
    table = abc_tiers(measure)
    # positives first; then D in the same order (measure descending, ties by id)
    assert table["customer_id"].tolist() == ["p1", "p2", "z0", "l2", "l1"]
    assert table["abc_tier"].tolist() == ["A", "A", "D", "D", "D"]  # p2 starts at 0.70 < 0.80
    assert table["cum_share"].isna().tolist() == [False, False, True, True, True]
    assert table["cum_share"].iloc[1] == 1.0


def test_count_method_counts_only_positive_customers():
    # 5 positive: ceil(1.0) = 1 A; ceil(2.5) = 3 -> B up to 3rd; 2 losses are D
    measure = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0, -1.0, -2.0], index=list("abcdefg"))
    table = abc_tiers(measure, Settings(abc_method="count"))
    assert table["abc_tier"].tolist() == ["A", "B", "B", "C", "C", "D", "D"]


def test_equal_measures_are_ordered_by_id():
    table = abc_tiers(pd.Series([10.0, 10.0, 10.0, 10.0, 10.0], index=["e", "b", "d", "a", "c"]))
    assert table["customer_id"].tolist() == ["a", "b", "c", "d", "e"]
    # before: 0, .2, .4, .6, .8 -> A, A, A, A, B (equal measures split by id at the boundary)
    assert table["abc_tier"].tolist() == ["A", "A", "A", "A", "B"]


@pytest.mark.parametrize("share, n, expected", [(0.2, 7, 2), (0.5, 7, 4), (0.7, 10, 7), (0.2, 10, 2), (1.0, 3, 3)])
def test_count_cutoff_ignores_float_noise(share, n, expected):
    assert count_cutoff(share, n) == expected


def test_measure_choice():
    totals = pd.DataFrame({"customer_id": ["a"], "revenue": [10.0], "profit": [4.0]})
    assert abc_measure(totals, Settings(), has_cost=True)[1] == "profit"
    assert abc_measure(totals, Settings(), has_cost=False)[1] == "revenue"
    measure, name = abc_measure(totals, Settings(abc_measure="profit"), has_cost=False)
    assert (name, measure.to_dict()) == ("profit", {"a": 4.0})


def test_flags_promote_top_of_b_and_review_largest_losses():
    # 10 B customers would promote ceil(0.2 x 10) = 2; here: A = x, B = b1..b5 -> ceil(1.0) = 1
    values = {"x": 1000.0, "b1": 50.0, "b2": 40.0, "b3": 30.0, "b4": 20.0, "b5": 10.0}
    values |= {"d1": -1.0, "d2": -9.0, "d3": -5.0, "d4": -9.0, "d5": -2.0, "d0": 0.0}
    table = abc_tiers(pd.Series(values), Settings(a_cut=0.5, b_cut=0.9999))
    flags = abc_flags(table).set_index("customer_id")
    assert table.set_index("customer_id").loc[["b1", "b5"], "abc_tier"].tolist() == ["B", "B"]
    assert flags.index[flags["promote"]].tolist() == ["b1"]
    # 5 losses (0 is not a loss): ceil(0.2 x 5) = 1, the largest is -9 shared by d2 and d4 -> d2 by id
    assert flags.index[flags["review"]].tolist() == ["d2"]


def test_pareto_table_columns_and_names():
    table = pareto_table(abc_tiers(SEVEN), names=pd.Series({"c1": "Acme"}))
    assert list(table.columns) == ["rank", "customer_id", "customer_name", "measure", "share", "cum_share", "abc_tier"]
    assert table["customer_name"].iloc[0] == "Acme"
    assert pd.isna(table["customer_name"].iloc[1])


# --- customers to reach a cut, and the ABC curve ----------------------------------------------

def test_customers_to_reach_a_cut_is_the_a_count_on_the_seven_items():
    # cum shares 0.27, 0.51, 0.69, 0.85, ...: the 4th customer crosses 0.80; A = c1..c4
    table = abc_tiers(SEVEN)
    assert customers_to_reach(table, 0.8) == 4 == (table["abc_tier"] == "A").sum()
    assert customers_to_reach(table, 0.27) == 1  # reached exactly by the first
    assert customers_to_reach(table, 0.95) == 6  # 0.91 -> 0.96 crosses it
    assert customers_to_reach(table, 1.0) == 7


def test_customers_to_reach_counts_the_customer_that_reaches_the_cut_exactly():
    # 50, 30, 15, 5 of 100 and a loss: 0.5, then 0.8 reaches 0.8 exactly -> 2 (and 2 are A)
    table = abc_tiers(pd.Series([50.0, 30.0, 15.0, 5.0, -2.0], index=list("abcde")))
    assert customers_to_reach(table, 0.8) == 2 == (table["abc_tier"] == "A").sum()
    assert customers_to_reach(table, 0.81) == 3
    assert customers_to_reach(table, 0.3) == 1
    assert customers_to_reach(abc_tiers(pd.Series([-1.0, 0.0], index=["x", "y"])), 0.8) == 0  # nobody positive


def test_customers_to_reach_does_not_depend_on_row_order():
    table = abc_tiers(SEVEN)
    assert customers_to_reach(table.iloc[::-1], 0.8) == 4


@hyp_settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-50, 1000), min_size=1, max_size=40),
       st.sampled_from([0.5, 0.6, 0.7, 0.8, 0.9]))
def test_customers_to_reach_a_cut_equals_the_a_count_under_the_value_method(amounts, a_cut):
    measure = pd.Series([float(a) for a in amounts], index=[f"c{i:02d}" for i in range(len(amounts))])
    table = abc_tiers(measure, Settings(a_cut=a_cut, b_cut=0.95))
    assert customers_to_reach(table, a_cut) == (table["abc_tier"] == "A").sum()


def test_abc_curve_hand_computed():
    # 50, 30, 15, 5 of 100 (a loss is off the curve): A, A, B, C
    curve = abc_curve(abc_tiers(pd.Series([50.0, 30.0, 15.0, 5.0, -2.0], index=list("abcde"))))
    assert list(curve.columns) == ["customer_share", "cum_share", "abc_tier"]
    assert list(curve["customer_share"]) == [0.0, 0.25, 0.5, 0.75, 1.0]  # of the 4 positive
    assert list(curve["cum_share"]) == [0.0, 0.5, 0.8, 0.95, 1.0]
    assert list(curve["abc_tier"]) == ["A", "A", "A", "B", "C"]


def test_curve_points_keep_the_ends_and_the_cut_offs():
    assert list(curve_points(5)) == [0, 1, 2, 3, 4, 5]
    points = curve_points(50_000, keep=(10_001, 23_457), limit=300)
    assert 290 <= len(points) <= 310
    assert {0, 10_001, 23_457, 50_000} <= set(points.tolist())
    assert np.all(np.diff(points) > 0)


def test_abc_curve_thinned_keeps_the_exact_cut_off_points():
    n = 5000
    measure = pd.Series(np.random.default_rng(3).pareto(1.1, n) + 0.01, index=[f"c{i:05d}" for i in range(n)])
    table = abc_tiers(measure)
    cum = table["cum_share"].to_numpy()
    curve = abc_curve(table, limit=300)
    assert len(curve) <= 305
    for tier in ("A", "B"):
        k = int((table["abc_tier"] == tier).to_numpy().nonzero()[0][-1]) + 1
        row = curve[np.isclose(curve["customer_share"], k / n)]
        assert row["cum_share"].iloc[0] == cum[k - 1]  # the exact point of the last A / B
        assert row["abc_tier"].iloc[0] == tier
    assert k == customers_to_reach(table, 0.95)  # the last B reaches b_cut


@given(st.lists(st.tuples(st.sampled_from([3.0, 1.5, 0.0, -0.0, -2.0, float("nan")]),
                          st.integers(0, 999)), min_size=1, max_size=40, unique_by=lambda p: p[1]),
       st.booleans())
def test_rank_order_is_measure_descending_missing_last_ties_by_id(pairs, in_id_order):
    if in_id_order:
        pairs = sorted(pairs, key=lambda p: f"C{p[1]:03d}")
    measure = pd.Series([v for v, _ in pairs], index=pd.Index([f"C{k:03d}" for _, k in pairs], dtype="str"))
    # the order spelled out: missing last, else larger first (0.0 and -0.0 tie), then id
    expected = sorted(range(len(pairs)), key=lambda i: (np.isnan(pairs[i][0]),
                                                        0.0 if np.isnan(pairs[i][0]) else -pairs[i][0],
                                                        f"C{pairs[i][1]:03d}"))
    assert rank_order(measure).tolist() == expected
