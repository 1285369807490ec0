"""percentile_inc_scores / percent_rank_inc: Excel's PERCENTILE.INC and PERCENTRANK.INC."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xl_addin.core.ranking import (
    percent_rank_inc,
    percentile_inc_cut_points,
    percentile_inc_scores,
)
from xl_addin.errors import InputError

# Whole numbers keep the arithmetic exact, as amounts in cents or day counts are.
whole_values = st.lists(st.integers(-1000, 1000), min_size=1, max_size=60)
bin_counts = st.integers(2, 10)


# --- cut points -------------------------------------------------------------------------------


def test_cut_points_of_five_evenly_spaced_values():
    # n = 5, position (n-1)*k/5 = 0.8, 1.6, 2.4, 3.2 -> 10+0.8*10=18, 20+0.6*10=26, 34, 42
    assert percentile_inc_cut_points([50, 10, 40, 20, 30], 5).tolist() == [18, 26, 34, 42]


def test_cut_point_matches_excel_documentation_example():
    # Microsoft's PERCENTILE.INC example: {1,3,2,4}, k = 0.3 -> position 3*0.3 = 0.9 -> 1.9
    # (bins 10 gives k = 1/10 .. 9/10; the third cut point is the 0.3 percentile).
    cuts = percentile_inc_cut_points([1, 3, 2, 4], 10)
    assert cuts[2] == pytest.approx(1.9)


def test_cut_point_on_a_value_is_that_value_exactly():
    # 0..9, bins 3: position 9*1/3 = 3 and 9*2/3 = 6, exactly on values 3 and 6.
    # (np.percentile(range(10), 100/3) gives 3.0000000000000004: one ulp off.)
    assert percentile_inc_cut_points(np.arange(10), 3).tolist() == [3.0, 6.0]


def test_cut_points_of_empty_values_are_empty():
    assert percentile_inc_cut_points([], 5).size == 0


@given(whole_values, bin_counts)
def test_cut_points_agree_with_numpy_percentile(values, bins):
    expected = np.percentile(values, 100 * np.arange(1, bins) / bins, method="linear")
    np.testing.assert_allclose(percentile_inc_cut_points(values, bins), expected, rtol=1e-12, atol=1e-9)


# --- scores -----------------------------------------------------------------------------------


def test_scores_of_five_evenly_spaced_values():
    # cut points 18, 26, 34, 42: 10 has none below -> 1, 20 has 18 below -> 2, ... 50 -> 5
    assert percentile_inc_scores([10, 20, 30, 40, 50], 5).tolist() == [1, 2, 3, 4, 5]


def test_tied_values_share_a_score_and_the_lowest_scores_one():
    # sorted 1,5,5,5; positions 3*k/5 = 0.6, 1.2, 1.8, 2.4 -> cuts 3.4, 5, 5, 5.
    # 5 has only 3.4 strictly below it -> 2; 1 -> 1.
    assert percentile_inc_scores([5, 5, 5, 1], 5).tolist() == [2, 2, 2, 1]


def test_value_equal_to_a_cut_point_stays_below_it():
    # 0..9, bins 3: cuts 3 and 6. 3 -> 1 (3 is not < 3), 4 -> 2, 6 -> 2, 7 -> 3
    scores = percentile_inc_scores(np.arange(10), 3)
    assert scores.tolist() == [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_all_equal_values_score_one():
    assert percentile_inc_scores([7, 7, 7], 5).tolist() == [1, 1, 1]


def test_scores_are_integers():
    assert percentile_inc_scores([1.5, 2.5], 2).dtype == np.int64


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_value_is_an_input_error_naming_its_position(bad):
    with pytest.raises(InputError, match="value 2"):
        percentile_inc_scores([1.0, bad, 3.0], 5)


@pytest.mark.parametrize("bins", [0, 2.5, True])
def test_bad_bins_is_an_input_error(bins):
    with pytest.raises(InputError, match="bins"):
        percentile_inc_scores([1, 2], bins)


@given(whole_values, bin_counts)
def test_scores_stay_within_one_to_bins(values, bins):
    scores = percentile_inc_scores(values, bins)
    assert scores.min() >= 1 and scores.max() <= bins
    assert scores[np.argmin(values)] == 1


@given(whole_values, bin_counts)
def test_scores_are_monotone_and_ties_share_a_score(values, bins):
    values = np.asarray(values)
    scores = percentile_inc_scores(values, bins)
    order = np.argsort(values, kind="stable")
    assert (np.diff(scores[order]) >= 0).all()
    for value in np.unique(values):
        assert len(set(scores[values == value])) == 1


@given(whole_values, bin_counts, st.randoms(use_true_random=False))
def test_scores_follow_the_value_not_the_row(values, bins, random):
    values = np.asarray(values)
    order = list(range(len(values)))
    random.shuffle(order)
    assert (percentile_inc_scores(values[order], bins) == percentile_inc_scores(values, bins)[order]).all()


@given(whole_values, bin_counts, st.sampled_from([0.25, 2.0, 1024.0]))
def test_scaling_by_a_positive_constant_changes_no_score(values, bins, factor):
    # Powers of two scale exactly, so this checks the rule, not float rounding.
    values = np.asarray(values, dtype=float)
    assert (percentile_inc_scores(values * factor, bins) == percentile_inc_scores(values, bins)).all()


@given(whole_values, bin_counts)
def test_scores_match_countif_of_cut_points(values, bins):
    # The sheet recipe: 1 + COUNTIF(cuts, "<"&value)
    cuts = percentile_inc_cut_points(values, bins)
    expected = [1 + sum(cut < value for cut in cuts) for value in values]
    assert percentile_inc_scores(values, bins).tolist() == expected


# --- percent rank -----------------------------------------------------------------------------

EXCEL_EXAMPLE = [13, 12, 11, 8, 4, 3, 2, 1, 1, 1]


@pytest.mark.parametrize(
    ("value", "excel_answer"),
    [
        (2, 0.333),  # three values (1,1,1) smaller, n-1 = 9 -> 3/9
        (4, 0.555),  # five smaller -> 5/9 = 0.5555..., Excel truncates to 0.555
        (8, 0.666),  # six smaller -> 6/9
        (1, 0.0),  # the smallest, tied three times
        (13, 1.0),
    ],
)
def test_percent_rank_matches_excel_documentation_example(value, excel_answer):
    ranks = percent_rank_inc(EXCEL_EXAMPLE)
    rank = ranks[EXCEL_EXAMPLE.index(value)]
    assert np.floor(rank * 1000) / 1000 == pytest.approx(excel_answer)


def test_percent_rank_is_not_truncated():
    assert percent_rank_inc(EXCEL_EXAMPLE)[EXCEL_EXAMPLE.index(4)] == pytest.approx(5 / 9)


def test_percent_rank_leaves_nan_out_of_the_population():
    # population 10, 30, 20 (n = 3): 0/2, 2/2, 1/2
    ranks = percent_rank_inc([10, np.nan, 30, 20])
    assert ranks[[0, 2, 3]].tolist() == [0.0, 1.0, 0.5]
    assert np.isnan(ranks[1])


def test_percent_rank_of_one_value_is_one():
    assert percent_rank_inc([42.0]).tolist() == [1.0]
    assert percent_rank_inc([np.nan, 42.0])[1] == 1.0


def test_percent_rank_of_nothing_is_nan():
    assert np.isnan(percent_rank_inc([np.nan, np.nan])).all()
    assert percent_rank_inc([]).size == 0


@given(whole_values)
def test_percent_rank_counts_strictly_smaller_values(values):
    n = len(values)
    expected = [sum(other < value for other in values) / (n - 1) if n > 1 else 1.0 for value in values]
    assert percent_rank_inc(values).tolist() == pytest.approx(expected)


@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=16), st.just(np.nan),
                          st.just(-0.0), st.just(0.0)), max_size=40))
def test_percent_rank_counts_strictly_smaller_values_with_ties_zeros_and_blanks(values):
    present = [v for v in values if not np.isnan(v)]
    n = len(present)
    ranks = percent_rank_inc(values)
    for value, rank in zip(values, ranks):
        if np.isnan(value):
            assert np.isnan(rank)
        else:  # -0.0 and 0.0 are one value, as in a sheet
            assert rank == (sum(other < value for other in present) / (n - 1) if n > 1 else 1.0)
