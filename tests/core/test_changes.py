"""tier_changes: rows for moved customers and the ABC from x to matrix."""

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.changes import CHANGE_COLUMNS, tier_changes


def previous_tiers(rows):
    return pd.DataFrame(rows, columns=["customer_id", "abc_tier", "score_tier"])


def current_tiers(rows):
    return pd.DataFrame(rows, columns=["customer_id", "customer_name", "abc_tier", "score_tier"])


PREVIOUS = previous_tiers(
    [
        ("a", "A", "VIP"),
        ("b", "B", "Regular"),
        ("c", "C", "Potential"),
        ("g", "A", "VIP"),  # gone this time
        ("p", None, None),  # a prospect both times
    ]
)
CURRENT = current_tiers(
    [
        ("n", "Newco", "B", "Potential"),  # new since last time
        ("a", "Acme", "A", "VIP"),  # unchanged
        ("b", "Beta", "A", "VIP"),  # B -> A, Regular -> VIP
        ("c", "Gamma", "C", "Regular"),  # score tier only
        ("p", "Prospect Ltd", np.nan, np.nan),
        ("q", "New prospect", None, None),  # new, but no tier: nothing to report
    ]
)


def test_changes_list_moved_new_and_gone_customers():
    changes, _ = tier_changes(PREVIOUS, CURRENT)
    assert tuple(changes.columns) == CHANGE_COLUMNS
    assert changes.values.tolist() == [
        ["b", "Beta", "ABC tier", "B", "A"],
        ["b", "Beta", "Score tier", "Regular", "VIP"],
        ["c", "Gamma", "Score tier", "Potential", "Regular"],
        ["g", "", "ABC tier", "A", ""],
        ["g", "", "Score tier", "VIP", ""],
        ["n", "Newco", "ABC tier", "", "B"],
        ["n", "Newco", "Score tier", "", "Potential"],
    ]


def test_matrix_counts_from_and_to_abc_tiers():
    # a A->A, b B->A, c C->C, g A->(gone), n (new)->B; p and q have no tier either time
    _, matrix = tier_changes(PREVIOUS, CURRENT)
    assert matrix.index.tolist() == ["A", "B", "C", "D", "(new)"]
    assert matrix.columns.tolist() == ["A", "B", "C", "D", "(gone)"]
    assert matrix.index.name == "from" and matrix.columns.name == "to"
    assert matrix.values.tolist() == [
        [1, 0, 0, 0, 1],
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
    ]


def test_matrix_without_new_or_gone_customers_is_four_by_four():
    same = previous_tiers([("a", "A", "VIP"), ("b", "D", "Potential")])
    _, matrix = tier_changes(same, current_tiers([("a", "", "B", "VIP"), ("b", "", "D", "Potential")]))
    assert matrix.index.tolist() == ["A", "B", "C", "D"]
    assert matrix.columns.tolist() == ["A", "B", "C", "D"]
    assert matrix.loc["A", "B"] == 1 and matrix.loc["D", "D"] == 1 and matrix.values.sum() == 2


def test_customer_losing_its_tier_goes_to_none():
    changes, matrix = tier_changes(
        previous_tiers([("a", "B", "Regular")]), current_tiers([("a", "Acme", None, None)])
    )
    assert changes[["change", "from_tier", "to_tier"]].values.tolist() == [
        ["ABC tier", "B", ""],
        ["Score tier", "Regular", ""],
    ]
    assert matrix.columns.tolist() == ["A", "B", "C", "D", "(none)"]
    assert matrix.loc["B", "(none)"] == 1


def test_gone_customer_keeps_its_previous_name_when_known():
    previous = PREVIOUS.assign(customer_name=["", "", "", "Gone Corp", ""])
    changes, _ = tier_changes(previous, CURRENT)
    assert set(changes.loc[changes["customer_id"] == "g", "customer_name"]) == {"Gone Corp"}
    # names of customers still present come from the current refresh
    assert set(changes.loc[changes["customer_id"] == "b", "customer_name"]) == {"Beta"}


def test_a_customer_listed_twice_before_counts_by_its_last_row():
    previous = previous_tiers([("a", "C", "Potential"), ("a", "A", "VIP")])
    changes, matrix = tier_changes(previous, current_tiers([("a", "Acme", "A", "VIP")]))
    assert changes.empty
    assert matrix.loc["A", "A"] == 1 and matrix.values.sum() == 1


@pytest.mark.parametrize("previous", [None, previous_tiers([])], ids=["none", "empty"])
def test_no_previous_refresh_gives_empty_frames(previous):
    changes, matrix = tier_changes(previous, CURRENT)
    assert changes.empty and tuple(changes.columns) == CHANGE_COLUMNS
    assert matrix.empty


def test_an_id_listed_twice_as_text_counts_by_its_last_row():
    # " C1" and "C1" are the same customer: the later row (tier B) is the previous tier
    previous = pd.DataFrame({"customer_id": [" C1", "C1", "C2"], "abc_tier": ["A", "B", "C"],
                             "score_tier": ["VIP", "VIP", "Regular"]})
    current = pd.DataFrame({"customer_id": ["C1", "C2"], "customer_name": ["One", "Two"],
                            "abc_tier": ["B", "A"], "score_tier": ["VIP", "Regular"]})
    changes, matrix = tier_changes(previous, current)
    assert changes.values.tolist() == [["C2", "Two", "ABC tier", "C", "A"]]
    assert matrix.loc["B", "B"] == 1 and matrix.loc["C", "A"] == 1 and int(matrix.values.sum()) == 2


# -- the same as a per-customer reading of the rules, on random tiers ---------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xl_addin.core.changes import ABC_CHANGE, GONE_LABEL, NEW_LABEL, NO_TIER_LABEL, SCORE_CHANGE  # noqa: E402

_IDS = st.sampled_from(["a", "b", " b", "c ", "d", "e", "f", "10", "2"])
_TIERS = st.sampled_from(["A", "B", "C", "D", "X", "", " A", None, np.nan])
_NAMES = st.sampled_from(["Acme", " Beta ", "", None, "Gamma"])


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _reference(previous: pd.DataFrame, current: pd.DataFrame):
    """The docstring of ``tier_changes`` read customer by customer: (change rows, {(from,
    to): count})."""
    before = {_text(i): (_text(n), _text(a), _text(s)) for i, n, a, s in zip(
        previous["customer_id"], previous.get("customer_name", [None] * len(previous)),
        previous["abc_tier"], previous["score_tier"])}  # a listed-twice customer: its last row
    after = {_text(i): (_text(n), _text(a), _text(s)) for i, n, a, s in zip(
        current["customer_id"], current["customer_name"], current["abc_tier"], current["score_tier"])}
    rows, counts = [], {}
    for customer in sorted(set(before) | set(after)):
        name = after[customer][0] if customer in after else before[customer][0]
        for kind, k in ((ABC_CHANGE, 1), (SCORE_CHANGE, 2)):
            old = before[customer][k] if customer in before else ""
            new = after[customer][k] if customer in after else ""
            if old != new:
                rows.append([customer, name, kind, old, new])
        old = before[customer][1] if customer in before else None
        new = after[customer][1] if customer in after else None
        if (old or "") == "" and (new or "") == "":
            continue
        row = NEW_LABEL if old is None else old or NO_TIER_LABEL
        column = GONE_LABEL if new is None else new or NO_TIER_LABEL
        counts[row, column] = counts.get((row, column), 0) + 1
    return rows, counts


@given(previous=st.lists(st.tuples(_IDS, _NAMES, _TIERS, _TIERS), min_size=1, max_size=12),
       current=st.lists(st.tuples(_IDS, _NAMES, _TIERS, _TIERS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_property_changes_and_matrix_follow_the_rules(previous, current):
    before = pd.DataFrame(previous, columns=["customer_id", "customer_name", "abc_tier", "score_tier"])
    after = pd.DataFrame(current, columns=["customer_id", "customer_name", "abc_tier", "score_tier"])
    changes, matrix = tier_changes(before, after)
    rows, counts = _reference(before, after)
    assert changes.values.tolist() == rows
    found = {(r, c): int(matrix.loc[r, c]) for r in matrix.index for c in matrix.columns
             if matrix.loc[r, c]}
    assert found == counts
