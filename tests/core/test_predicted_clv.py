"""Predicted CLV the way lifetimes defines it, and the pipeline's model columns and notes."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from xl_addin.core.bgnbd import BgNbdFit, expected_purchases
from xl_addin.core.clv import monthly_rate, predicted_clv
from xl_addin.core.pipeline import tier_customers
from xl_addin.settings import Settings

FIT = BgNbdFit(0.8, 40.0, 0.6, 3.0, log_likelihood=0.0, customers=1, repeat_customers=1, converged=True)


def test_monthly_rate_is_equivalent_to_the_yearly_rate():
    assert (1 + monthly_rate(0.1)) ** 12 == pytest.approx(1.1)


def test_predicted_clv_sums_discounted_monthly_purchases():
    # two months of 30 days at 1% a month: E1 v / 1.01 + (E2 - E1) v / 1.01^2
    d = monthly_rate(0.1)
    e1 = expected_purchases(FIT, 30, [3], [100.0], [200.0])[0]
    e2 = expected_purchases(FIT, 60, [3], [100.0], [200.0])[0]
    by_hand = e1 * 50 / (1 + d) + (e2 - e1) * 50 / (1 + d) ** 2
    assert predicted_clv(FIT, 50.0, [3], [100.0], [200.0], 2, 0.1)[0] == pytest.approx(by_hand, rel=1e-12)


history = st.tuples(st.integers(0, 40), st.floats(0, 1.0), st.floats(1, 1500)).map(
    lambda h: (h[0], 0.0 if h[0] == 0 else h[1] * h[2], h[2]))


@hsettings(max_examples=100, deadline=None)
@given(history, st.integers(1, 36), st.integers(1, 24), st.floats(0, 0.5), st.floats(0.01, 0.5))
def test_clv_grows_with_the_horizon_and_falls_with_the_discount_rate(h, months, more, rate, extra):
    x, t_x, T = h
    base = predicted_clv(FIT, 100.0, [x], [t_x], [T], months, rate)[0]
    assert predicted_clv(FIT, 100.0, [x], [t_x], [T], months + more, rate)[0] >= base * (1 - 1e-12)
    assert predicted_clv(FIT, 100.0, [x], [t_x], [T], months, rate + extra)[0] <= base * (1 + 1e-12)


def _sales(n_customers=300, seed=7):
    """Purchases drawn from the BG/NBD story: rate ~ Gamma(1, 1/30 per day), dropout after each
    purchase with p ~ Beta(1, 3); values ~ Gamma(3, scale ~ 1 / Gamma(4, 1/100))."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2023-01-01")
    for i in range(n_customers):
        rate, drop = rng.gamma(1.0, 1 / 30), rng.beta(1.0, 3.0)
        scale = 1 / rng.gamma(4.0, 1 / 100)
        day = float(rng.integers(0, 300))
        while day < 700:
            rows.append((f"C{i:03d}", start + pd.Timedelta(days=int(day)), round(rng.gamma(3.0, scale), 2)))
            if rng.random() < drop:
                break
            day += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_pipeline_adds_model_columns_joined_by_customer_id():
    result = tier_customers(_sales(), Settings(cost_rate=0.3))
    table = result.customers.set_index("customer_id")
    assert result.clv_parameters.set_index("parameter").loc["converged", "value"].tolist() == [1, 1]
    alive = table["p_alive"]
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (alive[table["single_purchase"]] == 1).all()
    assert (table["predicted_clv"] >= 0).all()
    assert (table["expected_purchases_long"] >= table["expected_purchases_short"]).all()
    keys = set(result.model_notes["note_key"])
    assert "frequency_value_correlation" in keys or "frequency_value_correlation_high" in keys


def test_models_that_cannot_be_fitted_leave_blanks_and_a_note():
    one_purchase_each = pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(20)],
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(20), unit="D"),
        "amount": 100.0,
    })
    result = tier_customers(one_purchase_each, Settings())
    assert result.customers["p_alive"].isna().all()
    assert result.customers["predicted_clv"].isna().all()
    assert result.customers["abc_tier"].notna().all()  # everything else is produced
    notes = result.model_notes.set_index("note_key")
    assert notes.loc["bgnbd_not_fitted", "detail"] == "too_few_repeat_customers"


def test_models_switched_off():
    result = tier_customers(_sales(), Settings(clv_models=False))
    assert result.customers["p_alive"].isna().all()
    assert "clv_models_off" in set(result.model_notes["note_key"])


def test_import_models_meanwhile_imports_scipy_in_a_thread_and_returns_at_once():
    # in a fresh process: here scipy is long imported
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from xl_addin.core.clv_model import import_models_meanwhile\n"
        "assert 'scipy.optimize' not in sys.modules\n"
        "import_models_meanwhile()\n"
        "started = [t for t in threading.enumerate() if t.name == 'customer-tiers-import-models']\n"
        "assert len(started) == 1, started\n"
        "started[0].join()\n"
        "assert 'scipy.optimize' in sys.modules and 'xl_addin.core.gamma_gamma' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
