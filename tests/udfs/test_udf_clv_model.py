"""UDFs of the predictive CLV models and retention (P_ALIVE, EXPECTED_PURCHASES, PREDICTED_CLV,
RETENTION_RATE): equal to the core on the same data; arguments reach the settings."""

import pandas as pd
import pytest

import udfs.customer_tiers as udf
from xl_addin.core.pipeline import tier_customers
from xl_addin.settings import DEFAULT_SETTINGS

from ..core.test_predicted_clv import _sales
from .test_udf_dated import column, ids


def _bgnbd_sales():
    """Sale lines drawn from the BG/NBD story (so the models fit), as xlwings passes them."""
    frame = _sales(n_customers=150, seed=3)
    frame["cost"] = (frame["amount"] * 0.6).round(2)
    frame["order_id"] = [f"O{i}" for i in range(len(frame))]
    columns = {
        "customers": frame["customer_id"].tolist(),
        "dates": [d.to_pydatetime() for d in frame["date"]],
        "amounts": frame["amount"].tolist(),
        "costs": frame["cost"].tolist(),
    }
    return columns, frame


COLUMNS, FRAME = _bgnbd_sales()
AS_OF = max(COLUMNS["dates"])


def core(settings=DEFAULT_SETTINGS, drop=("order_id", "cost")):
    result = tier_customers(FRAME.drop(columns=list(drop)), settings, as_of=pd.Timestamp(AS_OF))
    return result, result.customers.set_index("customer_id")


def test_p_alive_equals_the_core():
    _, table = core()
    c = COLUMNS
    answer = udf.P_ALIVE(ids(table), c["customers"], c["dates"], c["amounts"], AS_OF)
    assert answer == column(table["p_alive"])
    assert any(v != [""] for v in answer)  # the model was fitted on this data


def test_expected_purchases_follow_the_days_argument():
    _, table = core(DEFAULT_SETTINGS.replace(expected_days_short=30))
    c = COLUMNS
    answer = udf.EXPECTED_PURCHASES(ids(table), c["customers"], c["dates"], c["amounts"], 30, AS_OF)
    assert answer == column(table["expected_purchases_short"])
    default = udf.EXPECTED_PURCHASES(ids(table), c["customers"], c["dates"], c["amounts"], None, AS_OF)
    assert all(a[0] <= b[0] for a, b in zip(answer, default) if a[0] != "")  # 30 days <= 90 days


def test_predicted_clv_equals_the_core_with_months_and_rate():
    _, table = core(DEFAULT_SETTINGS.replace(clv_months=24, discount_rate=0.2), drop=("order_id",))
    c = COLUMNS
    answer = udf.PREDICTED_CLV(ids(table), c["customers"], c["dates"], c["amounts"], c["costs"], 24, "20%", AS_OF)
    assert answer == column(table["predicted_clv"])


def test_retention_rate_is_the_pooled_share_of_the_retention_table():
    result, _ = core(DEFAULT_SETTINGS.replace(retention_period="M"), drop=("order_id", "cost"))
    c = COLUMNS
    rows = result.retention[result.retention["tier"] == "All"]
    by_hand = rows["retained"].sum() / rows["active"].sum()
    answer = udf.RETENTION_RATE(c["customers"], c["dates"], c["amounts"], "M")
    # RETENTION_RATE has no as_of: the latest sale date, which is AS_OF here
    assert answer == pytest.approx(by_hand)
    assert 0 < answer < 1


def test_bad_period_names_the_argument():
    c = COLUMNS
    assert udf.RETENTION_RATE(c["customers"], c["dates"], c["amounts"], "W").startswith("#VALUE! period")
