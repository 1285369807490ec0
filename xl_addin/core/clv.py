"""Customer lifetime value (客户生命周期价值): profit to date and a simple projection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Settings
from . import columns as col

CLV_COLUMNS = ("customer_id", "clv_hist", "clv_proj")
DAYS_PER_YEAR = 365.25


RETENTION_NOT_MEASURED = 0.8  # the textbook rate, used only when retention cannot be measured


def clv_values(
    customers: pd.DataFrame, as_of: pd.Timestamp, settings: Settings, measured_retention=None
) -> pd.DataFrame:
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

    r is ``settings.retention_rate`` when set; when it is blank (the default), r is
    ``measured_retention`` (one yearly rate per customer: the measured retention of the
    customer's ABC tier, see ``retention.yearly_retention``), capped below 1 + i; where that is
    missing too, ``RETENTION_NOT_MEASURED`` (0.8) and the pipeline adds a note.
    """
    discount = settings.discount_rate
    if settings.retention_rate is not None:
        retention = settings.retention_rate
    else:
        retention = np.full(len(customers), RETENTION_NOT_MEASURED)
        if measured_retention is not None:
            measured = np.asarray(measured_retention, dtype="float64")
            retention = np.where(np.isfinite(measured), np.minimum(measured, 1 + discount - 0.01), retention)
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
            "customer_id": customers[col.CUSTOMER_ID].array,  # as given: no object round trip
            "clv_hist": profit,
            "clv_proj": projected,
        },
        columns=list(CLV_COLUMNS),
    )


DAYS_PER_MONTH = 30  # lifetimes' customer_lifetime_value steps months of 30 days


def monthly_rate(yearly_rate: float) -> float:
    """The monthly rate equivalent to a yearly discount rate: (1 + i)^(1/12) - 1."""
    return (1 + yearly_rate) ** (1 / 12) - 1


def predicted_clv(bgnbd_fit, value, x, t_x, T, months: int, yearly_discount_rate: float) -> np.ndarray:
    """Predicted CLV over the next ``months`` months, the way ``lifetimes``'
    ``customer_lifetime_value`` defines it: sum over months k = 1..months of the purchases
    expected in month k (BG/NBD, months of 30 days) x ``value`` (the Gamma-Gamma expected value of
    a purchase) / (1 + d)^k, with d the monthly rate equivalent to ``yearly_discount_rate``.
    Time in days. NaN where a model gave no number; never negative."""
    from .bgnbd import expected_purchases_by_horizon  # scipy is needed only when the models run

    x, t_x, T = (np.asarray(v, dtype="float64") for v in (x, t_x, T))
    value = np.asarray(value, dtype="float64")
    months_ahead = [month * DAYS_PER_MONTH for month in range(1, months + 1)]
    upto = expected_purchases_by_horizon(bgnbd_fit, months_ahead, x, t_x, T).reshape(months, *x.shape)
    total = discounted_purchases(upto, yearly_discount_rate) * value
    return np.where(np.isfinite(total), np.maximum(total, 0.0), np.nan)


def discounted_purchases(upto: np.ndarray, yearly_discount_rate: float) -> np.ndarray:
    """Sum over months k = 1.. of the purchases expected in month k, / (1 + d)^k: ``upto[k-1]``
    is the number expected up to the end of month k; d the monthly rate equivalent to
    ``yearly_discount_rate``."""
    d = monthly_rate(yearly_discount_rate)
    total = np.zeros(upto.shape[1:])
    before = np.zeros(upto.shape[1:])
    for month, upto_month in enumerate(upto, start=1):
        total = total + (upto_month - before) / (1 + d) ** month
        before = upto_month
    return total
