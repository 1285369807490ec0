"""rfm_scores: R, F, M per customer, their scores, segments and 8 classes."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from xl_addin.core.columns import RFM_SEGMENTS
from xl_addin.core.rfm import (
    RFM_CLASSES,
    RFM_COLUMNS,
    RFM_SEGMENT_RULES,
    rfm_classes,
    rfm_codes,
    rfm_scores,
    rfm_segment_table,
    rfm_segments,
    segment_levels,
)
from xl_addin.errors import InputError
from xl_addin.settings import Settings

AS_OF = pd.Timestamp("2024-12-31")


def transactions(rows, with_order_id=True):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "order_id"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype(float)
    return frame if with_order_id else frame.drop(columns="order_id")


# Five customers who bought, one who only returned goods (E).
SALES = [
    ("A", "2024-12-30", 100, "a1"),
    ("A", "2024-12-30", 50, "a1"),  # a second line of order a1
    ("A", "2024-11-01", 200, "a2"),
    ("A", "2024-12-01", -30, "a3"),  # a return: reduces M, is not an order, not a purchase date
    ("B", "2024-06-30", 500, "b1"),
    ("C", "2024-12-01", 10, "c1"),
    ("C", "2024-12-15", 10, "c2"),
    ("C", "2024-12-20", 10, "c3"),
    ("D", "2023-12-31", 1000, "d1"),
    ("E", "2024-12-31", -20, "e1"),
    ("F", "2024-10-01", 40, None),  # two lines without an order id on one date: one order
    ("F", "2024-10-01", 60, None),
    ("F", "2024-10-02", 5, "f1"),
]


@pytest.fixture
def rfm():
    return rfm_scores(transactions(SALES), AS_OF, Settings()).set_index("customer_id")


def test_output_columns_are_fixed_and_sorted_by_customer(rfm):
    out = rfm_scores(transactions(SALES), AS_OF, Settings())
    assert tuple(out.columns) == RFM_COLUMNS
    assert out["customer_id"].tolist() == ["A", "B", "C", "D", "F"]  # E never bought


def test_raw_recency_frequency_monetary(rfm):
    # A: last purchase 12-30 -> 1 day; orders a1, a2 (a3 is a return) -> 2; M 100+50+200-30 = 320
    # F: 10-01 and the blank-id lines count as one order, plus f1 -> 2 orders; 91 days
    assert rfm["recency_days"].to_dict() == {"A": 1, "B": 184, "C": 11, "D": 366, "F": 90}
    assert rfm["orders"].to_dict() == {"A": 2, "B": 1, "C": 3, "D": 1, "F": 2}
    assert rfm["monetary"].to_dict() == {"A": 320, "B": 500, "C": 30, "D": 1000, "F": 105}
    assert rfm.loc["A", "last_purchase"] == pd.Timestamp("2024-12-30")


def test_frequency_without_order_ids_counts_purchase_dates():
    rfm = rfm_scores(transactions(SALES, with_order_id=False), AS_OF, Settings())
    # A: 12-30 and 11-01 (12-01 was a return); F: 10-01 and 10-02
    assert rfm.set_index("customer_id")["orders"].to_dict() == {"A": 2, "B": 1, "C": 3, "D": 1, "F": 2}


def test_scores(rfm):
    # R on -days: -366,-184,-90,-11,-1 -> cuts -220.4, -127.6, -58.4, -9
    #   A(-1) 5, B(-184) 2, C(-11) 4, D(-366) 1, F(-90) 3
    # F: 1,1,2,2,3 -> cuts 1, 1.6, 2, 2.2: 1 -> 1, 2 -> 3 (1 and 1.6 below), 3 -> 5
    # M: 30,105,320,500,1000 -> cuts 90, 234, 392, 600: A 3, B 4, C 1, D 5, F 2
    assert rfm["r_score"].to_dict() == {"A": 5, "B": 2, "C": 4, "D": 1, "F": 3}
    assert rfm["f_score"].to_dict() == {"A": 3, "B": 1, "C": 5, "D": 1, "F": 3}
    assert rfm["m_score"].to_dict() == {"A": 3, "B": 4, "C": 1, "D": 5, "F": 2}
    assert rfm["rfm_code"].to_dict() == {"A": "533", "B": "214", "C": "451", "D": "115", "F": "332"}


def test_segments(rfm):
    # A 533: Loyal Customers (R2-5 F3-5 M3-5); F 332: Potential Loyalist; the rest match no rule
    assert rfm["rfm_segment"].to_dict() == {
        "A": "Loyal Customers", "B": "Others", "C": "Others", "D": "Others", "F": "Potential Loyalist",
    }


def test_eight_classes(rfm):
    # means: recency 652/5 = 130.4 days, orders 9/5 = 1.8, M 1955/5 = 391
    # A, C, F: recent and frequent, below-mean money; B, D: long ago, one order, above-mean money
    # (一般价值客户 = General value, 重要挽留客户 = Important recovery: the keys, no display words)
    assert rfm["rfm_class"].to_dict() == {
        "A": "General value", "B": "Important recovery", "C": "General value", "D": "Important recovery",
        "F": "General value",
    }


def test_monetary_mean_per_order():
    rfm = rfm_scores(transactions(SALES), AS_OF, Settings(rfm_monetary="mean"))
    # A 320/2, B 500/1, C 30/3, D 1000/1, F 105/2
    assert rfm.set_index("customer_id")["monetary"].to_dict() == {
        "A": 160, "B": 500, "C": 10, "D": 1000, "F": 52.5,
    }


def test_recency_counts_calendar_days_whatever_the_time_of_as_of():
    rfm = rfm_scores(transactions(SALES), pd.Timestamp("2024-12-31 17:45"), Settings())
    assert rfm["recency_days"].iloc[0] == 1


def test_only_returns_give_an_empty_frame_with_the_columns():
    out = rfm_scores(transactions([("E", "2024-12-31", -20, "e1")]), AS_OF, Settings())
    assert out.empty and tuple(out.columns) == RFM_COLUMNS


def test_blank_customer_id_is_an_input_error():
    frame = transactions(SALES)
    frame.loc[0, "customer_id"] = None
    with pytest.raises(InputError, match="customer_id"):
        rfm_scores(frame, AS_OF, Settings())


def test_categorical_ids_give_the_same_result():
    plain = transactions(SALES)
    categorical = plain.astype({"customer_id": "category", "order_id": "category"})
    pd.testing.assert_frame_equal(
        rfm_scores(categorical, AS_OF, Settings()), rfm_scores(plain, AS_OF, Settings())
    )


# --- segment map ------------------------------------------------------------------------------

SEGMENT_EXAMPLES = [
    ((5, 5, 5), "Champions"),
    ((1, 5, 5), "Can't Lose Them"),
    ((2, 3, 3), "Loyal Customers"),
    ((5, 1, 1), "New Customers"),
    ((3, 1, 1), "Promising"),
    ((5, 2, 2), "Potential Loyalist"),
    ((2, 2, 3), "Need Attention"),
    ((2, 1, 2), "About To Sleep"),
    ((1, 2, 2), "At Risk"),
    ((1, 1, 1), "Lost"),
    ((1, 1, 2), "Hibernating"),
    ((3, 5, 1), "Others"),
]


@pytest.mark.parametrize(("rfm", "segment"), SEGMENT_EXAMPLES, ids=[s for _, s in SEGMENT_EXAMPLES])
def test_each_segment_rule(rfm, segment):
    r, f, m = rfm
    assert rfm_segments([r], [f], [m]).tolist() == [segment]


@pytest.mark.parametrize(
    ("rfm", "first", "also_matches"),
    [
        ((5, 5, 5), "Champions", "Loyal Customers"),
        ((1, 4, 4), "Can't Lose Them", "At Risk"),
        ((4, 1, 1), "New Customers", "Potential Loyalist"),
        ((3, 1, 1), "Promising", "Potential Loyalist"),
        ((2, 2, 2), "Need Attention", "About To Sleep"),
        ((1, 1, 1), "Lost", "Hibernating"),
    ],
)
def test_first_matching_rule_wins(rfm, first, also_matches):
    r, f, m = rfm
    matching = [
        rule.segment for rule in RFM_SEGMENT_RULES
        if rule.r[0] <= r <= rule.r[1] and rule.f[0] <= f <= rule.f[1] and rule.m[0] <= m <= rule.m[1]
    ]
    assert matching.index(first) < matching.index(also_matches)
    assert rfm_segments([r], [f], [m]).tolist() == [first]


def test_every_segment_is_reachable_and_named_in_columns():
    triples = np.array(list(itertools.product(range(1, 6), repeat=3)))
    reached = set(rfm_segments(triples[:, 0], triples[:, 1], triples[:, 2]))
    assert reached == set(RFM_SEGMENTS)


@pytest.mark.parametrize(
    ("bins", "levels"),
    [
        (2, [1, 5]),
        (3, [1, 3, 5]),
        (4, [1, 2, 4, 5]),  # 1 + round(0, 1.33, 2.67, 4)
        (5, [1, 2, 3, 4, 5]),
        (10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),  # 1 + round((s-1)*4/9), 0.5 rounds up (s=9 -> 5)
    ],
)
def test_segment_levels_keep_lowest_and_highest(bins, levels):
    assert segment_levels(np.arange(1, bins + 1), bins).tolist() == levels


def test_segments_with_three_bins_use_the_mapped_levels():
    # bins 3: scores 1, 2, 3 -> levels 1, 3, 5
    assert rfm_segments([3, 1, 3], [3, 1, 1], [3, 1, 1], bins=3).tolist() == [
        "Champions", "Lost", "New Customers",
    ]


def test_codes_with_ten_bins_use_two_digits_per_score():
    assert rfm_codes([10, 1], [5, 1], [1, 10], bins=10).tolist() == ["100501", "010110"]
    assert rfm_codes([5], [4], [5], bins=5).tolist() == ["545"]


def test_segment_table_lists_rules_in_priority_order():
    table = rfm_segment_table()
    assert table["segment"].tolist() == [rule.segment for rule in RFM_SEGMENT_RULES]
    assert table.loc[table["segment"] == "Promising", "rule"].item() == "R3–4 F1 M1"
    assert table["priority"].tolist() == list(range(1, 12))


# --- 8 classes --------------------------------------------------------------------------------


def test_value_equal_to_the_mean_is_low():
    # recency mean 20: 20 is not fewer days -> 低; orders mean 2: 2 is not more -> 低
    keys = rfm_classes([10, 20, 30], [1, 2, 3], [5, 5, 5])
    # 10 days: R高, 1 order F低, M 5 = mean 低 -> 一般发展客户 (General development)
    # 20 days: R低 (equal), 2 orders F低 (equal), M低 -> 一般挽留客户 (General recovery)
    # 30 days: R低, 3 orders F高, M低 -> 一般保持客户 (General retention)
    assert keys.tolist() == ["General development", "General recovery", "General retention"]


@pytest.mark.parametrize(("high", "key"), [
    ((True, True, True), "Important value"), ((True, False, True), "Important development"),
    ((False, True, True), "Important retention"), ((False, False, True), "Important recovery"),
    ((True, True, False), "General value"), ((True, False, False), "General development"),
    ((False, True, False), "General retention"), ((False, False, False), "General recovery"),
])
def test_each_of_the_eight_classes(high, key):
    # Two customers: the second is high exactly where `high` says, the other is the opposite.
    r_high, f_high, m_high = high
    recency = [20, 10] if r_high else [10, 20]  # high recency = fewer days
    orders = [1, 2] if f_high else [2, 1]
    money = [1.0, 2.0] if m_high else [2.0, 1.0]
    assert rfm_classes(recency, orders, money)[1] == key
    assert RFM_CLASSES[high] == key


# --- properties -------------------------------------------------------------------------------

sale_rows = st.lists(
    st.tuples(
        st.sampled_from(list("ABCDEFGH")),
        st.integers(0, 400),  # days before AS_OF
        st.integers(-50, 500).filter(lambda a: a != 0),
        st.sampled_from(["o1", "o2", "o3", None]),
    ),
    min_size=1,
    max_size=40,
)


def frame_of(rows):
    return transactions(
        [(c, AS_OF - pd.Timedelta(days=d), float(a), o) for c, d, a, o in rows]
    )


@hyp_settings(max_examples=60, deadline=None)
@given(sale_rows, st.integers(2, 10))
def test_scores_stay_within_range(rows, bins):
    out = rfm_scores(frame_of(rows), AS_OF, Settings(rfm_bins=bins))
    for name in ("r_score", "f_score", "m_score"):
        assert out[name].between(1, bins).all()
    assert set(out["rfm_segment"]) <= set(RFM_SEGMENTS)
    assert (out["orders"] >= 1).all()


@hyp_settings(max_examples=60, deadline=None)
@given(sale_rows, st.sampled_from([0.5, 4.0, 1024.0]), st.randoms(use_true_random=False))
def test_scaling_amounts_or_shuffling_rows_changes_no_score(rows, factor, random):
    base = rfm_scores(frame_of(rows), AS_OF, Settings())
    shuffled_rows = list(rows)
    random.shuffle(shuffled_rows)
    pd.testing.assert_frame_equal(rfm_scores(frame_of(shuffled_rows), AS_OF, Settings()), base)
    scaled = frame_of(rows)
    scaled["amount"] *= factor
    out = rfm_scores(scaled, AS_OF, Settings())
    unchanged = ["r_score", "f_score", "m_score", "rfm_code", "rfm_segment", "rfm_class"]
    pd.testing.assert_frame_equal(out[unchanged], base[unchanged])


def test_segments_of_every_score_triple_follow_the_first_rule_that_holds():
    # every triple of levels, and scores outside 1..bins, against the rules read one by one
    from xl_addin.core.rfm import OTHERS, RFM_SEGMENT_RULES, rfm_segments, segment_levels

    grid = np.array([(r, f, m) for r in range(-1, 8) for f in range(-1, 8) for m in range(-1, 8)])
    for bins in (3, 5, 10):
        got = rfm_segments(grid[:, 0], grid[:, 1], grid[:, 2], bins)
        for (r, f, m), segment in zip(grid, got):
            levels = [int(segment_levels(np.array([v]), bins)[0]) for v in (r, f, m)]
            expected = next((rule.segment for rule in RFM_SEGMENT_RULES
                             if all(lo <= v <= hi for v, (lo, hi) in zip(levels, (rule.r, rule.f, rule.m)))),
                            OTHERS)
            assert segment == expected, (r, f, m, bins)
    assert rfm_segments([], [], [], 5).tolist() == []
