"""Gamma-Gamma: the published CDNOW fit, the closed form, exclusions and the correlation note."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.gamma_gamma import (
    REASON_TOO_FEW,
    GammaGammaFit,
    expected_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)

from scipy import optimize, special

# The CDNOW summary as lifetimes ships it (lifetimes/datasets/, same 57,085 bytes): x is
# lifetimes' frequency, zbar its monetary_value; 946 customers have x > 0.
CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow_customers_summary_with_transactions.csv"
# Published: Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013): p 6.25, q 3.74,
# gamma 15.44 (Excel Solver); lifetimes' README prints p 6.25, q 3.74, v 15.45.
PUBLISHED = (6.25, 3.74, 15.44)
# An earlier reference, 6.2502 / 3.7450 / 15.4422, is a point on the likelihood's flat ridge where
# an optimiser stopped early: its log-likelihood is 7e-5 below the maximum (see the tests).
EARLY_STOP = (6.2502, 3.7450, 15.4422)
# lifetimes README: conditional_expected_average_profit of customers 1..10
README_VALUES = [24.658616, 18.911480, 35.171003, 35.171003, 35.171003,
                 71.462851, 18.911480, 35.171003, 27.282408, 35.171003]


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def fit(cdnow):
    return fit_gamma_gamma(cdnow["x"], cdnow["zbar"])


def paper_log_likelihood(params, x, m):
    """Hardie's equation (1a) summed over customers, written out here independently of
    core.gamma_gamma (no grouping, no gradient)."""
    p, q, v = params
    return np.sum(special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
                  + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


@pytest.fixture(scope="module")
def maximum(cdnow):
    """The maximum-likelihood point found independently: Nelder-Mead on log parameters with
    tight tolerances (1e-10 in the parameters, 1e-14 in the mean log-likelihood) from several
    starts far apart. [(p, q, v), log-likelihood] per start."""
    repeat = cdnow[cdnow["x"] > 0]
    x, m = repeat["x"].to_numpy(float), repeat["zbar"].to_numpy(float)
    found = []
    for start in [(1.0, 1.0, 1.0), (2.0, 5.0, 30.0), (10.0, 2.0, 5.0), (0.5, 8.0, 50.0)]:
        result = optimize.minimize(lambda lp: -paper_log_likelihood(np.exp(lp), x, m) / len(x), np.log(start),
                                   method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000, "maxfev": 20_000})
        assert result.success, result.message
        found.append((tuple(np.exp(result.x)), -result.fun * len(x)))
    return found, x, m


def test_the_independent_optimisation_finds_one_maximum(maximum):
    found, _, _ = maximum
    points = np.array([point for point, _ in found])
    assert np.ptp(points, axis=0) / points.mean(axis=0) == pytest.approx([0, 0, 0], abs=1e-5)
    assert [ll for _, ll in found] == pytest.approx([found[0][1]] * len(found), abs=1e-9)


def test_cdnow_fit_is_the_maximum_to_four_significant_digits(fit, maximum):
    found, x, m = maximum
    assert fit.converged and fit.customers == 946 and fit.excluded == 0
    for point, _ in found:
        assert (fit.p, fit.q, fit.v) == pytest.approx(point, rel=1e-5)
    # 4 significant digits: 6.249, 3.745, 15.45
    assert [float(f"{value:.4g}") for value in (fit.p, fit.q, fit.v)] == [6.249, 3.745, 15.45]
    assert fit.log_likelihood == pytest.approx(max(ll for _, ll in found), abs=1e-8)
    assert fit.log_likelihood == pytest.approx(paper_log_likelihood((fit.p, fit.q, fit.v), x, m), abs=1e-8)


def test_cdnow_fit_agrees_with_the_published_values(fit):
    # to the 2 decimals published: Hardie's p and q exactly; his gamma 15.44 and lifetimes'
    # v 15.45 bracket ours (15.4477): the likelihood is flat along a ridge there
    assert (round(fit.p, 2), round(fit.q, 2)) == PUBLISHED[:2]
    assert abs(fit.v - PUBLISHED[2]) < 0.01 and round(fit.v, 2) == 15.45


def test_the_earlier_reference_is_below_the_maximum(fit, maximum):
    """Why ours is not 6.2502 / 3.7450 / 15.4422: same input, and that point has a lower
    likelihood. The ridge is so flat that the early stop costs only 7e-5 of log-likelihood."""
    _, x, m = maximum
    early = paper_log_likelihood(EARLY_STOP, x, m)
    assert fit.log_likelihood - early == pytest.approx(7.2e-5, abs=1e-5)
    assert fit.log_likelihood > paper_log_likelihood(PUBLISHED, x, m)
    assert early == pytest.approx(gamma_gamma_log_likelihood(EARLY_STOP, x, m), abs=1e-8)


def test_expected_values_match_the_lifetimes_readme(fit, cdnow):
    values = expected_value(fit, cdnow["x"][:10], cdnow["zbar"][:10])
    assert values == pytest.approx(README_VALUES, rel=1e-6)


def test_expected_value_closed_form_by_hand():
    fit = GammaGammaFit(p=2.0, q=3.0, v=10.0, log_likelihood=0.0, customers=1, excluded=0,
                        frequency_value_correlation=0.0, converged=True)
    # p (v + x m) / (p x + q - 1): 2 (10 + 4 x 25) / (8 + 2) = 22; x = 0: p v / (q - 1) = 10
    assert expected_value(fit, [4, 0], [25.0, np.nan]).tolist() == pytest.approx([22.0, 10.0])


def test_non_positive_values_are_left_out_and_counted(cdnow):
    x = np.concatenate([cdnow["x"], [3, 2]])
    m = np.concatenate([cdnow["zbar"], [-10.0, 0.0]])
    fit = fit_gamma_gamma(x, m)
    assert fit.excluded == 2 and fit.customers == 946
    assert np.isnan(expected_value(fit, [3, 2], [-10.0, 0.0])).all()


def test_too_few_customers_is_not_fitted():
    fit = fit_gamma_gamma([1, 2, 3], [10.0, 20.0, 30.0])
    assert not fit.converged and fit.reason == REASON_TOO_FEW
    assert np.isnan(expected_value(fit, [1], [10.0])).all()


def test_frequency_value_correlation_is_reported(fit, cdnow):
    repeat = cdnow[cdnow["x"] > 0]
    assert fit.frequency_value_correlation == pytest.approx(np.corrcoef(repeat["x"], repeat["zbar"])[0, 1])
