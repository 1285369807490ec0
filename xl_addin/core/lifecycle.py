"""Lifecycle stage (客户生命周期阶段) of each customer, from its orders and last purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Settings
from . import columns as col

PROSPECT, NEW, ONE_TIME, REPEAT, LOYAL, LAPSING, LOST = col.LIFECYCLE_STAGES


def lifecycle_stages(customers: pd.DataFrame, as_of: pd.Timestamp, settings: Settings) -> pd.Series:
    """The stage key of each customer (``columns.LIFECYCLE_STAGES``), aligned with ``customers.index``.

    ``customers`` has ``orders`` and ``last_purchase`` and may have ``last_line``: the date of
    the customer's latest sale line of any kind, returns included. days = calendar days from
    the last purchase to ``as_of``; for a customer whose lines are all returns (no purchase,
    but a ``last_line``), days count from that latest line instead. The first matching rule wins:

    1. Prospect: no orders (0 or blank), no last purchase and no sale line at all (in the
       master only);
    2. Lost: days > ``lost_days`` (365: a purchase exactly 365 days ago is not Lost);
    3. Lapsing: days > ``lapsing_days`` (180);
    4. One-time: returns only (it bought before the data began, or its purchase was cancelled:
       it is a customer, not a prospect, and not New, since it bought nothing in the period);
    5. Loyal: orders >= ``loyal_orders`` (5);
    6. Repeat: orders >= ``repeat_orders`` (2);
    7. New: at most one order and days <= ``new_days`` (90: exactly 90 days ago is still New);
    8. One-time: the rest (one order, longer ago).
    """
    as_of_day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    orders = pd.to_numeric(customers["orders"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    orders = np.nan_to_num(orders, nan=0.0)
    last = _days(customers["last_purchase"])
    no_purchase = np.isnat(last)
    returns_only = np.zeros(len(customers), dtype=bool)
    if "last_line" in customers.columns:
        last_line = _days(customers["last_line"])
        returns_only = no_purchase & ~np.isnat(last_line)
        last = np.where(returns_only, last_line, last)
    days = (as_of_day - last).astype(np.int64).astype(float)
    days[np.isnat(last)] = np.nan  # comparisons with NaN are False: only rule 1 or the fall-through
    with np.errstate(invalid="ignore"):
        conditions = [
            (orders <= 0) & no_purchase & ~returns_only,
            days > settings.lost_days,
            days > settings.lapsing_days,
            returns_only,
            orders >= settings.loyal_orders,
            orders >= settings.repeat_orders,
            (orders <= 1) & (days <= settings.new_days),
        ]
    # the stage of each rule by number, the texts taken from a "str" array of the 7 (no
    # Python object per customer)
    stages = (PROSPECT, LOST, LAPSING, ONE_TIME, LOYAL, REPEAT, NEW)
    numbers = np.select(conditions, range(len(stages)), default=stages.index(ONE_TIME))
    return pd.Series(pd.array(stages, dtype="str").take(numbers), index=customers.index, name="lifecycle")


def _days(dates: pd.Series) -> np.ndarray:
    return pd.to_datetime(dates).to_numpy().astype("datetime64[D]")
