"""UDF answers: hand-computed cases, equality with the core's own calls, shuffle invariance."""

import random

import pandas as pd
from hypothesis import given, settings, strategies as st

import udfs.customer_tiers as udf
from xl_addin.core.abc import abc_measure, abc_tiers
from xl_addin.core.clean import clean_transactions
from xl_addin.core.sob import customer_totals
from xl_addin.excel.cache import ANSWER_BYTES, Answers, result_bytes

CUSTOMERS = [["a"], ["b"], ["c"], ["a"], ["d"]]
AMOUNTS = [[3.0], [3.0], [1.0], [2.0], [-1.0]]  # a 5, b 3, c 1, d -1: positive total 9


def test_abc_tier_hand_computed():
    # a: before 0 -> A; b: before 5/9 -> A; c: before 8/9 < 0.95 -> B; d: no positive value -> D
    result = udf.ABC_TIER([["a"], ["b"], ["c"], ["d"]], CUSTOMERS, AMOUNTS)
    assert result == [["A"], ["A"], ["B"], ["D"]]
    assert udf.ABC_TIER([["c"]], CUSTOMERS, AMOUNTS, None, None, 0.5, 0.6) == "C"


def test_sob_and_pareto_share_hand_computed():
    assert udf.SOB([["a"]], CUSTOMERS, AMOUNTS) == 5 / 8  # net revenue 8
    assert udf.PARETO_SHARE([["b"]], CUSTOMERS, AMOUNTS) == 8 / 9
    assert udf.PARETO_SHARE([["d"]], CUSTOMERS, AMOUNTS) == ""


def test_sob_within_a_period():
    dates = [["2025-01-05"], ["2025-01-09"], ["2025-04-01"], ["2025-04-02"], ["2025-04-03"]]
    assert udf.SOB([["a"]], CUSTOMERS, AMOUNTS, dates, "2025Q1") == 3 / 6
    assert udf.SOB([["a"]], CUSTOMERS, AMOUNTS, dates, "2025q2") == 2 / 2
    assert udf.SOB([["a"]], CUSTOMERS, AMOUNTS, dates, "2026Q1").startswith("#VALUE! period:")


def test_unknown_customer_and_bad_arguments_are_messages_naming_them():
    assert udf.ABC_TIER([["zz"]], CUSTOMERS, AMOUNTS) == "#N/A: customer 'zz' not in data"
    assert udf.ABC_TIER([["a"]], CUSTOMERS, AMOUNTS, None, "best").startswith("#VALUE! method:")
    assert udf.ABC_TIER([["a"]], CUSTOMERS, AMOUNTS, None, None, 0.9, 0.5).startswith("#VALUE! a_cut:")
    assert udf.ABC_TIER([["a"]], CUSTOMERS, [[1.0]]).startswith("#VALUE! amounts has 1 cells")
    assert udf.RFM_SCORE([["a"]], CUSTOMERS, CUSTOMERS, AMOUNTS, None, None, None, "Q") \
        .startswith("#VALUE! part:")


def test_abc_tier_equals_the_core_on_the_same_data():
    rng = random.Random(7)
    customers = [[f"C{rng.randint(1, 60)}"] for _ in range(500)]
    amounts = [[round(rng.uniform(-50, 400), 2)] for _ in range(500)]
    costs = [[round(rng.uniform(0, 100), 2)] for _ in range(500)]
    raw = pd.DataFrame({"customer_id": [r[0] for r in customers], "date": "2025-01-01",
                        "amount": [r[0] for r in amounts], "cost": [r[0] for r in costs]})
    clean, _ = clean_transactions(raw)
    totals = customer_totals(clean)
    expected = abc_tiers(abc_measure(totals, has_cost=True)[0]).set_index("customer_id")
    ids = [[i] for i in expected.index]
    assert udf.ABC_TIER(ids, customers, amounts, costs) == [[t] for t in expected["abc_tier"]]
    assert udf.SOB(ids, customers, amounts) == [[s] for s in totals.set_index("customer_id").loc[expected.index, "sob"]]


@settings(max_examples=25, deadline=None)
@given(
    lines=st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers(-20, 200)), min_size=1, max_size=40),
    seed=st.integers(0, 10**6),
)
def test_shuffling_the_sale_lines_changes_no_answer(lines, seed):
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    ids = [[c] for c in "abcdefg"]

    def answers(rows):
        customers = [[c] for c, _ in rows]
        amounts = [[float(a)] for _, a in rows]
        return (udf.ABC_TIER(ids, customers, amounts), udf.PARETO_SHARE(ids, customers, amounts))

    tiers, shares = answers(lines)
    tiers2, shares2 = answers(shuffled)
    assert tiers == tiers2
    assert [[round(v, 12) if v != "" and not isinstance(v, str) else v for [v] in shares]] == \
        [[round(v, 12) if v != "" and not isinstance(v, str) else v for [v] in shares2]]


def test_a_filled_down_column_computes_the_population_once():
    udf.POPULATIONS.clear()
    for customer in ["a", "b", "c", "d"] * 5:
        udf.ABC_TIER([[customer]], [list(r) for r in CUSTOMERS], [list(r) for r in AMOUNTS])
    assert (udf.POPULATIONS.misses, udf.POPULATIONS.hits) == (1, 19)


def test_remembered_one_cell_answers_equal_the_lookup_of_each_cell_on_its_own():
    # every kind of customer cell, asked twice in a filled-down column: blank, unknown,
    # a number id (1001.0 and "1001" are one customer), TRUE, text with spaces; 1.0 is asked
    # before TRUE, which a memo keyed by value alone would answer alike (1.0 == True)
    customers = [["a"], [1001.0], ["b"], ["TRUE"], [" c "], [1.0]]
    amounts = [[3.0], [2.0], [1.0], [4.0], [0.5], [-1.0]]
    asked = ["a", "1001", 1001.0, None, "", "zz", 1.0, True, "TRUE", " c ", "c", 1001, 1]
    udf.POPULATIONS.clear()
    filled = [udf.ABC_TIER([[c]], customers, amounts) for c in asked * 2]
    alone = []
    for c in asked * 2:
        udf.POPULATIONS.clear()  # a new population: nothing remembered
        alone.append(udf.ABC_TIER([[c]], customers, amounts))
    assert filled == alone
    assert filled[:8] == ["A", "A", "A", "", "", "#N/A: customer 'zz' not in data", "D", "A"]


def test_answers_of_an_edited_range_are_not_the_remembered_ones():
    # c: 1 of 10 after 9/10 -> B; edited to 9 it is first -> A; retyped TRUE it has no amount
    udf.POPULATIONS.clear()
    customers = [["a"], ["b"], ["c"]]
    assert udf.ABC_TIER([["c"]], customers, [[5.0], [4.0], [1.0]]) == "B"
    assert udf.ABC_TIER([["c"]], customers, [[5.0], [4.0], [1.0]]) == "B"
    assert udf.ABC_TIER([["c"]], customers, [[5.0], [4.0], [9.0]]) == "A"
    assert udf.ABC_TIER([["c"]], customers, [[5.0], [4.0], [True]]) == \
        "#VALUE! amounts: customer 'c' has no usable sale line (TRUE/FALSE is not a number)"
    assert udf.ABC_TIER([["c"]], customers, [[5.0], [4.0], [1.0]]) == "B"


def test_answers_beyond_the_limit_are_looked_up_not_kept():
    answers = Answers(limit=2)
    for i in range(5):
        answers.remember(i, str(i))
    assert answers == {0: "0", 1: "1"}
    assert result_bytes((pd.DataFrame(), answers)) == 2 * ANSWER_BYTES + pd.DataFrame().memory_usage().sum()


def test_options_are_remembered_by_value_and_type():
    # the same options in a different type are a different setting: TRUE is not 1, "80%" is 0.8
    cases = [0.8, "0.8", "80%", 0.9, True, 1, 1.0, 0.0, -0.0, None, "", "x"]
    def fresh(value):
        try:
            return udf._settings_for({"a_cut": ("a_cut", value)})
        except Exception as error:  # noqa: BLE001 - compared as text below
            return f"{type(error).__name__}: {error}"

    def remembered(value):
        try:
            return udf.settings_for(a_cut=("a_cut", value))
        except Exception as error:  # noqa: BLE001
            return f"{type(error).__name__}: {error}"

    for value in cases + cases[::-1]:  # repr: equal Settings may hold True and 1, -0.0 and 0.0
        assert repr(remembered(value)) == repr(fresh(value)), value
    assert udf.exactly(0.0) != udf.exactly(-0.0) and udf.exactly(1) != udf.exactly(True)
    assert remembered("80%") == remembered(0.8) and remembered(0.8).a_cut == 0.8
