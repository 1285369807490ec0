"""Lifecycle stage (客户生命周期阶段) of each customer, from its orders and last purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Settings
from . import columns as col

PROSPECT, NEW, ONE_TIME, REPEAT, LOYAL, LAPSING, LOST = col.LIFECYCLE_STAGES
LIFECYCLE_NAMES_ZH = {
    PROSPECT: "潜在客户",
    NEW: "新客户",
    ONE_TIME: "单次购买",
    REPEAT: "持续购买",
    LOYAL: "忠诚客户",
    LAPSING: "流失预警",
    LOST: "已流失",
}


def lifecycle_stages(customers: pd.DataFrame, as_of: pd.Timestamp, settings: Settings) -> pd.Series:
    """The stage key of each customer (``columns.LIFECYCLE_STAGES``), aligned with ``customers.index``.

    ``customers`` has ``orders`` and ``last_purchase``; days = calendar days from the last
    purchase to ``as_of``. The first matching rule wins:

    1. Prospect: no orders (0 or blank) and no last purchase;
    2. Lost: days > ``lost_days`` (365: a purchase exactly 365 days ago is not Lost);
    3. Lapsing: days > ``lapsing_days`` (180);
    4. Loyal: orders >= ``loyal_orders`` (5);
    5. Repeat: orders >= ``repeat_orders`` (2);
    6. New: at most one order and days <= ``new_days`` (90: exactly 90 days ago is still New);
    7. One-time: the rest (one order, longer ago).
    """
    as_of_day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    orders = pd.to_numeric(customers["orders"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    orders = np.nan_to_num(orders, nan=0.0)
    last = pd.to_datetime(customers["last_purchase"]).to_numpy().astype("datetime64[D]")
    no_purchase = np.isnat(last)
    days = (as_of_day - last).astype(np.int64).astype(float)
    days[no_purchase] = np.nan  # comparisons with NaN are False: only rule 1 or the fall-through
    with np.errstate(invalid="ignore"):
        conditions = [
            (orders <= 0) & no_purchase,
            days > settings.lost_days,
            days > settings.lapsing_days,
            orders >= settings.loyal_orders,
            orders >= settings.repeat_orders,
            (orders <= 1) & (days <= settings.new_days),
        ]
    stages = np.select(conditions, [PROSPECT, LOST, LAPSING, LOYAL, REPEAT, NEW], default=ONE_TIME)
    return pd.Series(stages.astype(object), index=customers.index, name="lifecycle", dtype="str")
