"""clv_values: profit to date and the m*r/(1+i-r) projection."""

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.clv import CLV_COLUMNS, clv_values
from xl_addin.errors import SettingsError
from xl_addin.settings import Settings

AS_OF = pd.Timestamp("2024-12-31")


def customers(*rows):
    return pd.DataFrame(rows, columns=["customer_id", "profit", "first_purchase", "last_purchase"])


def test_projection_of_a_four_year_customer():
    # 2020-12-31 .. 2024-12-31 = 1461 days = 4 years of 365.25; m = 6000 / 4 = 1500 a year
    # r = 0.8, i = 0.1: 1500 * 0.8 / (1 + 0.1 - 0.8) = 1200 / 0.3 = 4000
    first = pd.Timestamp("2020-12-31")
    out = clv_values(customers(("a", 6000.0, first, AS_OF)), AS_OF, Settings())
    assert tuple(out.columns) == CLV_COLUMNS
    assert out["clv_hist"].tolist() == [6000.0]
    assert out["clv_proj"].tolist() == pytest.approx([4000.0])


def test_a_customer_of_three_months_is_not_extrapolated():
    # 91 days < 1 year: m = profit / 1 = 300; 300 * 0.8 / 0.3 = 800
    out = clv_values(customers(("a", 300.0, AS_OF - pd.Timedelta(days=91), AS_OF)), AS_OF, Settings())
    assert out["clv_proj"].tolist() == pytest.approx([800.0])


def test_rates_follow_settings():
    # r = 0.5, i = 0: 100 * 0.5 / 0.5 = 100
    out = clv_values(
        customers(("a", 100.0, AS_OF, AS_OF)), AS_OF, Settings(retention_rate=0.5, discount_rate=0.0)
    )
    assert out["clv_proj"].tolist() == pytest.approx([100.0])


def test_loss_making_customer_projects_a_loss():
    out = clv_values(customers(("a", -30.0, AS_OF, AS_OF)), AS_OF, Settings())
    assert out["clv_proj"].tolist() == pytest.approx([-80.0])  # -30 * 0.8 / 0.3


def test_prospect_has_no_projection():
    out = clv_values(customers(("p", np.nan, pd.NaT, pd.NaT)), AS_OF, Settings())
    assert out["clv_hist"].tolist() == [0.0]
    assert np.isnan(out["clv_proj"].iloc[0])


def test_retention_one_without_discount_is_a_settings_error():
    with pytest.raises(SettingsError, match="retention_rate"):
        clv_values(customers(("a", 1.0, AS_OF, AS_OF)), AS_OF, Settings(retention_rate=1.0, discount_rate=0.0))
