"""customer_score: weighted 0..100 score from PERCENTRANK.INC of each factor, and its tiers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from xl_addin.core.score import SCORE_COLUMNS, customer_score, score_tiers
from xl_addin.errors import InputError
from xl_addin.settings import ScoreFactor, Settings

PROFIT_AND_RECENCY = Settings(
    score_factors=(ScoreFactor("profit", 0.5), ScoreFactor("recency_days", 0.5, higher_is_better=False))
)


@pytest.fixture
def customers():
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "profit": [100.0, 300.0, 200.0, 200.0],
            "recency_days": [10.0, 50.0, 30.0, np.nan],
        }
    )


def test_hand_computed_scores(customers):
    # profit ranks (n-1 = 3): 100 -> 0, 300 -> 3/3, 200 -> 1/3 (tied c and d)
    # recency ranks over the 3 known values (n-1 = 2): 10 -> 0, 50 -> 1, 30 -> 1/2;
    #   lower is better -> 1, 0, 1/2; d has none -> 0
    # a: 50*(0 + 1) = 50; b: 50*(1 + 0) = 50; c: 50*(1/3 + 1/2) = 41.67; d: 50*(1/3 + 0) = 16.67
    out = customer_score(customers, PROFIT_AND_RECENCY)
    assert tuple(out.columns) == SCORE_COLUMNS
    assert out["customer_id"].tolist() == ["a", "b", "c", "d"]
    assert out["score"].tolist() == pytest.approx([50, 50, 125 / 3, 50 / 3])
    # 50 is on the Regular band's lower bound -> Regular
    assert out["score_tier"].tolist() == ["Regular", "Regular", "Potential", "Potential"]


def test_weights_are_normalised(customers):
    doubled = Settings(
        score_factors=(ScoreFactor("profit", 2), ScoreFactor("recency_days", 2, higher_is_better=False))
    )
    pd.testing.assert_frame_equal(customer_score(customers, doubled), customer_score(customers, PROFIT_AND_RECENCY))


def test_default_factors():
    # Default: profit .4, revenue .2, orders .2, recency .2 (lower better); n-1 = 2.
    # x best on profit, revenue, orders (1, 1, 1), recency 3 the best (rank 0 -> 1): 100
    # y second on the three (1/2 each), recency 400 the worst (rank 1 -> 0): .4*.5+.2*.5+.2*.5 = 40
    # z worst on the three (0), recency 200 in the middle (1/2 -> 1/2): .2*.5 = 10
    customers = pd.DataFrame(
        {
            "customer_id": ["x", "y", "z"],
            "profit": [30.0, 20.0, 1.0],
            "revenue": [90.0, 80.0, 5.0],
            "orders": [7, 6, 1],
            "recency_days": [3, 400, 200],
        }
    )
    out = customer_score(customers, Settings())
    assert out["score"].tolist() == pytest.approx([100, 40, 10])
    assert out["score_tier"].tolist() == ["VIP", "Potential", "Potential"]


def test_tied_values_share_the_lower_rank():
    # tied best profit: one value smaller of n-1 = 2 -> 1/2 each, not 1
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "profit": [30.0, 30.0, 1.0]})
    settings = Settings(score_factors=(ScoreFactor("profit", 1.0),))
    assert customer_score(customers, settings)["score"].tolist() == [50.0, 50.0, 0.0]


def test_score_of_exactly_80_is_vip():
    # y best on profit, revenue, orders, worst on recency: 100 * (.4 + .2 + .2) = 80 (float 80.00000000000001)
    customers = pd.DataFrame(
        {"customer_id": ["x", "y"], "profit": [1.0, 2.0], "revenue": [1.0, 2.0], "orders": [1, 2],
         "recency_days": [1, 2]}
    )
    out = customer_score(customers, Settings())
    assert out["score"].tolist() == pytest.approx([20, 80])
    assert out["score_tier"].tolist() == ["Potential", "VIP"]


def test_tier_bounds_belong_to_the_higher_band():
    tiers = score_tiers([80 - 1e-12, 79.99, 50.0, 49.999, np.nan], Settings())
    assert tiers.tolist() == ["VIP", "Regular", "Regular", "Potential", None]


def test_tier_bands_follow_settings():
    assert score_tiers([60.0, 30.0], Settings(vip_score=60, regular_score=30)).tolist() == ["VIP", "Regular"]


def test_missing_factor_column_names_it_and_lists_the_columns(customers):
    settings = Settings(score_factors=(ScoreFactor("satisfaction", 1.0),))
    with pytest.raises(InputError) as error:
        customer_score(customers, settings)
    message = str(error.value)
    assert "'satisfaction'" in message
    assert "customer_id, profit, recency_days" in message


def test_factor_with_weight_zero_is_skipped(customers):
    settings = Settings(score_factors=(ScoreFactor("profit", 1.0), ScoreFactor("satisfaction", 0.0)))
    # profit only: 100 * (0, 1, 1/3, 1/3)
    assert customer_score(customers, settings)["score"].tolist() == pytest.approx([0, 100, 100 / 3, 100 / 3])


def test_text_factor_values_are_numbers_or_an_error(customers):
    settings = Settings(score_factors=(ScoreFactor("satisfaction", 1.0),))
    customers["satisfaction"] = pd.Series(["3", "1", "", "2"], dtype="str")
    # "" is no value -> 0; 3, 1, 2 ranked over three values: 1, 0, 1/2
    assert customer_score(customers, settings)["score"].tolist() == pytest.approx([100, 0, 0, 50])
    customers["satisfaction"] = pd.Series(["3", "good", "1", "2"], dtype="str")
    with pytest.raises(InputError, match="'satisfaction' must hold numbers, found 'good'"):
        customer_score(customers, settings)


def test_one_customer_scores_100():
    # PERCENTRANK.INC of a single value is 1 (and 1 - 1 = 0 for lower-is-better recency)
    one = pd.DataFrame({"customer_id": ["a"], "profit": [5.0], "recency_days": [3.0]})
    assert customer_score(one, PROFIT_AND_RECENCY)["score"].tolist() == [50.0]


def test_no_customers_gives_an_empty_frame():
    empty = pd.DataFrame({"customer_id": [], "profit": [], "recency_days": []})
    out = customer_score(empty, PROFIT_AND_RECENCY)
    assert out.empty and tuple(out.columns) == SCORE_COLUMNS


factor_tables = st.lists(
    st.tuples(st.integers(-100, 1000), st.integers(0, 50), st.integers(1, 20), st.integers(0, 500)),
    min_size=1,
    max_size=30,
).map(
    lambda rows: pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(rows))],
            "profit": [float(r[0]) for r in rows],
            "revenue": [float(r[1]) for r in rows],
            "orders": [r[2] for r in rows],
            "recency_days": [r[3] for r in rows],
        }
    )
)


@hyp_settings(max_examples=60, deadline=None)
@given(factor_tables)
def test_scores_stay_within_0_and_100(customers):
    score = customer_score(customers, Settings())["score"]
    assert ((score >= 0) & (score <= 100 + 1e-9)).all()


@hyp_settings(max_examples=60, deadline=None)
@given(factor_tables, st.sampled_from([0.25, 3.0, 1000.0]), st.randoms(use_true_random=False))
def test_scaling_money_or_shuffling_rows_changes_no_score(customers, factor, random):
    base = customer_score(customers, Settings()).set_index("customer_id")
    scaled = customers.assign(profit=customers["profit"] * factor, revenue=customers["revenue"] * factor)
    order = list(range(len(customers)))
    random.shuffle(order)
    shuffled = scaled.iloc[order]
    out = customer_score(shuffled, Settings()).set_index("customer_id").loc[base.index]
    assert out["score"].tolist() == pytest.approx(base["score"].tolist())
    assert out["score_tier"].tolist() == base["score_tier"].tolist()


@hyp_settings(max_examples=60, deadline=None)
@given(factor_tables)
def test_equal_factors_give_equal_scores(customers):
    twice = pd.concat([customers, customers.assign(customer_id=customers["customer_id"] + "'")])
    score = customer_score(twice, Settings())["score"].to_numpy()
    n = len(customers)
    assert score[:n].tolist() == score[n:].tolist()
