"""Customer lifetime value (客户生命周期价值): profit to date and a simple projection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Settings
from . import columns as col

CLV_COLUMNS = ("customer_id", "clv_hist", "clv_proj")
DAYS_PER_YEAR = 365.25


def clv_values(customers: pd.DataFrame, as_of: pd.Timestamp, settings: Settings) -> pd.DataFrame:
    """``clv_hist`` and ``clv_proj`` per customer, in the data's currency; one row per input row.

    * ``clv_hist`` = ``profit`` to date (blank profit counts as 0).
    * ``clv_proj`` = m * r / (1 + i - r): the value of the customer's future yearly profit m,
      kept with probability r = ``retention_rate`` each year and discounted at i =
      ``discount_rate``. m = profit / years active, years active = max(1, days from the first
      purchase to ``as_of`` / 365.25): a customer of three months is not extrapolated x4.
      Loss-making customers get a negative projection.
    * A customer without a first purchase (a prospect) has nothing to project: ``clv_proj`` is
      NaN, ``clv_hist`` its profit (0 when blank).

    r = 1 with i = 0 has no finite value: ``Settings`` rejects it (r < 1 + i always holds here).
    """
    retention, discount = settings.retention_rate, settings.discount_rate
    as_of_day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    profit = pd.to_numeric(customers["profit"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    profit = np.nan_to_num(profit, nan=0.0)
    first = pd.to_datetime(customers["first_purchase"]).to_numpy().astype("datetime64[D]")
    days_active = (as_of_day - first).astype(np.int64).astype(float)
    days_active[np.isnat(first)] = np.nan
    years_active = np.maximum(1.0, days_active / DAYS_PER_YEAR)  # NaN stays NaN
    yearly_profit = profit / years_active
    projected = yearly_profit * retention / (1 + discount - retention)
    return pd.DataFrame(
        {
            "customer_id": customers[col.CUSTOMER_ID].to_numpy(),
            "clv_hist": profit,
            "clv_proj": projected,
        },
        columns=list(CLV_COLUMNS),
    )
