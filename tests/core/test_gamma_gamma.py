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

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow_customers_summary_with_transactions.csv"
# lifetimes' GammaGammaFitter on the same 946 repeat customers: p 6.2502, q 3.7450, v 15.4422
# (Fader & Hardie 2013 publish 6.25, 3.74, 15.44).
REFERENCE = (6.2502, 3.7450, 15.4422)
# lifetimes README: conditional_expected_average_profit of customers 1..10
README_VALUES = [24.658616, 18.911480, 35.171003, 35.171003, 35.171003,
                 71.462851, 18.911480, 35.171003, 27.282408, 35.171003]


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def fit(cdnow):
    return fit_gamma_gamma(cdnow["x"], cdnow["zbar"])


def test_cdnow_fit_matches_the_reference_to_four_digits(fit, cdnow):
    assert fit.converged and fit.customers == 946 and fit.excluded == 0
    assert (fit.p, fit.q, fit.v) == pytest.approx(REFERENCE, rel=5e-4)
    repeat = cdnow[cdnow["x"] > 0]
    assert fit.log_likelihood >= gamma_gamma_log_likelihood(REFERENCE, repeat["x"], repeat["zbar"])
    assert fit.log_likelihood == pytest.approx(-4055.92, abs=0.01)


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
