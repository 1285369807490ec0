"""BG/NBD: the published CDNOW fit, the closed forms on hand-computed cases, and properties."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from xl_addin.core.bgnbd import (
    REASON_TOO_FEW_REPEAT,
    BgNbdFit,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_purchases_by_horizon,
    fit_bgnbd,
    p_alive,
)

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow_customers_summary_with_transactions.csv"
# Fader, Hardie & Lee (2005) and lifetimes' docs: CDNOW, 2,357 customers, calibration to
# 1997-09-30, time in weeks: r = 0.2426, alpha = 4.4136, a = 0.7929, b = 2.4259, LL = -9582.4
REFERENCE = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
WEEKS = (0.2426, 4.4136, 0.7929, 2.4259)


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def days_fit(cdnow):
    # the product works in days: the same data in days gives alpha x 7 and the same r, a, b
    return fit_bgnbd(cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)


def test_cdnow_fit_matches_the_published_parameters(days_fit):
    assert days_fit.converged
    assert days_fit.customers == 2357 and days_fit.repeat_customers == 946
    assert days_fit.r == pytest.approx(REFERENCE["r"], rel=5e-4)
    assert days_fit.a == pytest.approx(REFERENCE["a"], rel=5e-4)
    assert days_fit.b == pytest.approx(REFERENCE["b"], rel=5e-4)
    assert days_fit.alpha / 7 == pytest.approx(REFERENCE["alpha"], rel=5e-4)


def test_cdnow_fit_in_weeks_has_the_published_log_likelihood(cdnow):
    fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert fit.alpha == pytest.approx(REFERENCE["alpha"], rel=5e-4)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    # the maximum is at least as high as at the published (rounded) parameters
    assert fit.log_likelihood >= bgnbd_log_likelihood(WEEKS, cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_weights_give_the_same_fit_as_repeated_rows(cdnow):
    part = cdnow.iloc[:600]
    twice = pd.concat([part, part])
    plain = fit_bgnbd(twice["x"], twice["t_x"], twice["T"])
    weighted = fit_bgnbd(part["x"], part["t_x"], part["T"], weights=np.full(len(part), 2.0))
    assert plain.converged
    assert weighted.parameters == pytest.approx(plain.parameters, rel=1e-5)


def _p_alive_by_hand(r, alpha, a, b, x, t_x, T):
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def _hyp2f1_series(a, b, c, z, terms=400):
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
    return total


def _expected_by_hand(r, alpha, a, b, x, t_x, T, t):
    hyp = _hyp2f1_series(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    top = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    bottom = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return top / bottom


CASES = [(2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0.0, 38.86), (7, 29.43, 35.0), (1, 5.0, 20.0)]


@pytest.mark.parametrize("x, t_x, T", CASES, ids=[f"x{c[0]}" for c in CASES])
def test_p_alive_equals_the_closed_form(x, t_x, T):
    fit = BgNbdFit(*WEEKS, log_likelihood=0.0, customers=1, repeat_customers=1, converged=True)
    assert p_alive(fit, [x], [t_x], [T])[0] == pytest.approx(_p_alive_by_hand(*WEEKS, x, t_x, T), rel=1e-12)


@pytest.mark.parametrize("x, t_x, T", CASES, ids=[f"x{c[0]}" for c in CASES])
def test_conditional_expected_purchases_equal_the_closed_form(x, t_x, T):
    fit = BgNbdFit(*WEEKS, log_likelihood=0.0, customers=1, repeat_customers=1, converged=True)
    assert expected_purchases(fit, 39, [x], [t_x], [T])[0] == pytest.approx(
        _expected_by_hand(*WEEKS, x, t_x, T, 39), rel=1e-9)


def test_customer_one_of_cdnow_expects_about_1_23_purchases_in_39_weeks():
    # Fader, Hardie & Lee (2005), the worked example: x = 2, t_x = 30.43, T = 38.86 -> 1.226
    fit = BgNbdFit(*WEEKS, log_likelihood=0.0, customers=1, repeat_customers=1, converged=True)
    assert expected_purchases(fit, 39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=5e-4)


def test_too_few_repeat_customers_gives_no_parameters():
    fit = fit_bgnbd([0, 0, 1], [0, 0, 3], [10, 20, 30])
    assert not fit.converged and fit.reason == REASON_TOO_FEW_REPEAT
    assert math.isnan(fit.r)
    assert np.isnan(p_alive(fit, [1], [3], [30])).all()
    assert np.isnan(expected_purchases(fit, 90, [1], [3], [30])).all()


FIT = BgNbdFit(0.8, 40.0, 0.6, 3.0, log_likelihood=0.0, customers=1, repeat_customers=1, converged=True)
history = st.tuples(st.integers(0, 60), st.floats(0, 1.0), st.floats(1, 2000)).map(
    lambda h: (h[0], 0.0 if h[0] == 0 else h[1] * h[2], h[2]))


@hsettings(max_examples=200, deadline=None)
@given(history)
def test_p_alive_is_a_probability_and_one_without_repeat(h):
    x, t_x, T = h
    alive = p_alive(FIT, [x], [t_x], [T])[0]
    assert 0.0 <= alive <= 1.0
    if x == 0:
        assert alive == 1.0


@hsettings(max_examples=200, deadline=None)
@given(history, st.floats(1, 400), st.floats(1, 400))
def test_expected_purchases_grow_with_the_horizon(h, t1, extra):
    x, t_x, T = h
    short = expected_purchases(FIT, t1, [x], [t_x], [T])[0]
    long_ = expected_purchases(FIT, t1 + extra, [x], [t_x], [T])[0]
    assert 0 <= short <= long_ * (1 + 1e-9)


@pytest.mark.parametrize("whole_days", [True, False], ids=["whole-days", "fractions"])
def test_expected_purchases_by_horizon_equals_one_horizon_at_a_time(whole_days):
    # the by-horizon form shares the hypergeometric bracket between customers with equal
    # (x, T): it must give each customer exactly what the one-horizon formula gives
    rng = np.random.default_rng(7)
    T = rng.integers(1, 60, 400).astype(float)
    t_x = np.floor(T * rng.random(400))
    x = np.where(t_x > 0, rng.integers(0, 6, 400), 0).astype(float)
    if not whole_days:
        T, t_x = T + 0.25, t_x + 0.125
    x[3], x[4], t_x[4] = np.nan, 2.0, np.nan  # a missing input stays missing
    horizons = [30, 90, 365]
    together = expected_purchases_by_horizon(FIT, horizons, x, t_x, T)
    assert together.shape == (3, 400)
    for row, t in zip(together, horizons):
        np.testing.assert_array_equal(row, expected_purchases(FIT, t, x, t_x, T))
    assert np.isnan(together[:, [3, 4]]).all()
