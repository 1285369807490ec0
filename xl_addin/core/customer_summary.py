"""The customer summary: every per-customer aggregate, computed once, one row per customer id.

Every metric reads from this table (ABC, RFM, score, lifecycle, CLV, the BG/NBD and
Gamma-Gamma models, holding) and the pipeline joins their results by customer id. It is also
a contract: a database or Parquet source may produce the same table by aggregating in its own
engine, and the models can start from it (``bgnbd_inputs``).

Columns (``CUSTOMER_SUMMARY_COLUMNS``; money in the data's currency, days are calendar days):

=====================  ==========================================================================
customer_id            the customer (text); the index of ``customer_summary``
revenue                net revenue: sum of amounts, returns (negative amounts) included
cost                   cost column summed, else revenue x ``cost_rate``
profit                 revenue - cost
sob                    revenue / total revenue of all customers (0..1; NaN when the total <= 0)
orders                 distinct order ids among lines with amount > 0 (distinct days without ids)
first_purchase         date of the first line with amount > 0 (NaT: returns only)
last_purchase          date of the last line with amount > 0
purchase_days          distinct days with a line with amount > 0
repeat_purchases       purchase_days - 1: the BG/NBD "frequency" (repeat purchase days)
model_recency_days     days from first to last purchase: the BG/NBD "recency" t_x. NOT the RFM
                       recency, which is ``days_since_last``
age_days               days from first purchase to the analysis date: the BG/NBD "T"
days_since_last        days from last purchase to the analysis date: the RFM recency
repeat_value           profit of the lines dated after the first purchase day / repeat_purchases:
                       the average value of a repeat purchase (NaN without a repeat purchase)
=====================  ==========================================================================

With a ``wallet`` column, also ``wallet`` and ``share_of_wallet`` (see ``sob.customer_totals``).
Revenue per calendar period is the long table of ``sob.sob(..., period=...)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import DEFAULT_SETTINGS, Settings
from .columns import AMOUNT, COST, CUSTOMER_ID, DATE
from .sob import count_distinct, customer_codes, money, totals_from_codes

CUSTOMER_SUMMARY_COLUMNS = (
    "customer_id", "revenue", "cost", "profit", "sob", "orders", "first_purchase", "last_purchase",
    "purchase_days", "repeat_purchases", "model_recency_days", "age_days", "days_since_last",
    "repeat_value",
)
MODEL_COLUMNS = ("purchase_days", "repeat_purchases", "model_recency_days", "age_days",
                 "days_since_last", "repeat_value")
NANOS_PER_DAY = 86_400_000_000_000


def customer_summary(
    transactions: pd.DataFrame, as_of: pd.Timestamp | str, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """The customer summary of clean ``transactions`` (``customer_id, date, amount`` and
    optionally ``cost, order_id, wallet``) at ``as_of``: ``CUSTOMER_SUMMARY_COLUMNS``, indexed
    by customer id (sorted). Lines dated after ``as_of`` should be left out by the caller."""
    codes, ids = customer_codes(transactions)
    table = summary_from_codes(transactions, codes, ids, pd.Timestamp(as_of), settings)
    return table.set_index(CUSTOMER_ID, drop=False).rename_axis(None)


def summary_from_codes(
    transactions: pd.DataFrame, codes: np.ndarray, ids: pd.Index, as_of: pd.Timestamp,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """``customer_summary`` with the grouping already done (``sob.customer_codes``), one row
    per code in ``ids`` order (a RangeIndex: row i is code i)."""
    table = totals_from_codes(transactions, codes, ids, settings)
    return table.assign(**model_columns(transactions, codes, table, as_of, settings))


def model_columns(
    transactions: pd.DataFrame, codes: np.ndarray, totals: pd.DataFrame, as_of: pd.Timestamp,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, np.ndarray]:
    """``MODEL_COLUMNS`` from the lines and their totals (``first_purchase``/``last_purchase``)."""
    n = len(totals)
    amount = transactions[AMOUNT].to_numpy(dtype="float64")
    day = transactions[DATE].to_numpy(dtype="datetime64[D]").astype(np.int64)
    bought = amount > 0
    if bought.any():
        purchase_days = count_distinct(codes[bought], day[bought] - day[bought].min(), n)
    else:
        purchase_days = np.zeros(n, dtype=np.int64)
    first = _days(totals["first_purchase"])
    last = _days(totals["last_purchase"])
    # days since 1970 without nanoseconds: an as_of of 9999-12-31 is a valid Excel date
    as_of_day = np.int64(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))
    has_purchase = purchase_days > 0
    repeats = np.where(has_purchase, purchase_days - 1, 0).astype("float64")
    repeats[~has_purchase] = np.nan
    # profit per line; lines after the customer's first purchase day are the repeat purchases
    if COST in transactions.columns:
        line_profit = amount - transactions[COST].to_numpy(dtype="float64")
    else:
        line_profit = amount * (1 - settings.cost_rate)
    first_of_line = np.where(has_purchase, first, np.iinfo(np.int64).max)[codes]
    later = day > first_of_line
    repeat_profit = money(np.bincount(codes[later], weights=line_profit[later], minlength=n))
    with np.errstate(divide="ignore", invalid="ignore"):
        repeat_value = np.where(repeats > 0, repeat_profit / repeats, np.nan)
    missing = ~has_purchase
    return {
        "purchase_days": purchase_days,
        "repeat_purchases": repeats,
        "model_recency_days": np.where(missing, np.nan, (last - first).astype("float64")),
        "age_days": np.where(missing, np.nan, (as_of_day - first).astype("float64")),
        "days_since_last": np.where(missing, np.nan, (as_of_day - last).astype("float64")),
        "repeat_value": repeat_value,
    }


def _days(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (a large negative number for NaT; callers mask those)."""
    stamps = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]").view(np.int64)
    return stamps // NANOS_PER_DAY
