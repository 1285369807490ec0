"""Measured retention, churn (流失率) and cohorts (留存), from the sales history itself.

A customer is *active* in a calendar period (month "M", quarter "Q" or year "Y") when they have
a sale line with amount > 0 dated in it. Retention from one period to the next = the share of
the customers active in a period who are active again in the next one; churn = 1 - retention.
A period that the analysis date cuts short (``as_of`` is not its last day) is left out: its
customers have not had the whole period to come back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import AMOUNT, DATE
from .sob import distinct_sorted

RETENTION_COLUMNS = ("tier", "period", "next_period", "active", "retained", "retention", "churn")
COHORT_COLUMNS = ("cohort", "periods_after", "period", "customers", "active", "share_active", "revenue")
YEARLY_RETENTION_COLUMNS = ("tier", "active_year_before", "retained", "retention")
ALL = "All"
MIN_CUSTOMERS_FOR_TIER = 10  # fewer customers in a tier a year ago: the tier uses the All rate
MONTHS_PER = {"M": 1, "Q": 3, "Y": 12}
PANDAS_FREQ = {"M": "M", "Q": "Q", "Y": "Y"}


def period_numbers(dates: pd.Series | np.ndarray, period: str) -> np.ndarray:
    """Calendar period of each date as one integer (months since 1970 // months per period)."""
    months = np.asarray(dates, dtype="datetime64[M]").astype(np.int64)
    return months // MONTHS_PER[period]


def period_label(number: int, period: str) -> str:
    """"2025-03", "2025Q1" or "2025" for a period number of ``period_numbers``."""
    month = int(number) * MONTHS_PER[period]
    year, month_of_year = 1970 + month // 12, month % 12 + 1
    if period == "M":
        return f"{year}-{month_of_year:02d}"
    if period == "Q":
        return f"{year}Q{(month_of_year - 1) // 3 + 1}"
    return f"{year}"


def last_complete_period(as_of: pd.Timestamp, period: str) -> int:
    """The last period that ends on or before ``as_of``."""
    number = int(period_numbers(np.array([np.datetime64(pd.Timestamp(as_of).date(), "D")]), period)[0])
    next_day = np.datetime64(pd.Timestamp(as_of).date(), "D") + 1
    ends_today = int(period_numbers(np.array([next_day]), period)[0]) != number
    return number if ends_today else number - 1


def line_periods(transactions: pd.DataFrame, period: str) -> np.ndarray:
    """``period_numbers`` of every sale line (compute once, pass to the tables below)."""
    days = transactions[DATE].to_numpy(dtype="datetime64[D]")
    if len(days) < 1000 or np.isnat(days).any():
        return period_numbers(days, period)
    # a day -> month conversion is calendar arithmetic per value: do it once per day of the
    # span (a few years of days) and look each line's up (the same numbers)
    number = days.view(np.int64)
    first = int(number.min())
    span = int(number.max()) - first + 1
    if span > len(number):
        return period_numbers(days, period)
    every_day = np.arange(first, first + span).astype("datetime64[D]")
    return period_numbers(every_day, period)[number - first]


def active_pairs(transactions: pd.DataFrame, codes: np.ndarray, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customer codes, period numbers): each distinct pair with a purchase, sorted; pass it as
    ``pairs`` to ``retention_table`` and ``cohort_table`` to share the work."""
    return _active_pairs(transactions, codes, "", periods)


def _active_pairs(transactions: pd.DataFrame, codes: np.ndarray, period: str,
                  periods=None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer code, period number) with a purchase (amount > 0), sorted.
    ``periods``: the line periods (``line_periods``), or already the pairs (a tuple)."""
    if isinstance(periods, tuple):
        return periods
    bought = transactions[AMOUNT].to_numpy(dtype="float64") > 0
    if periods is None:
        periods = line_periods(transactions, period)
    numbers = periods[bought]
    if not len(numbers):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low = numbers.min()
    span = numbers.max() - low + 2  # one spare slot so that "next period" never wraps
    keys = distinct_sorted(codes[bought].astype(np.int64) * span + (numbers - low))
    return keys // span, keys % span + low


def retention_table(
    transactions: pd.DataFrame, codes: np.ndarray, tiers: np.ndarray, period: str, as_of: pd.Timestamp,
    periods: np.ndarray | None = None, pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Retention and churn per tier and period: ``RETENTION_COLUMNS``.

    ``codes``: customer code per line (``sob.customer_codes``); ``tiers``: the tier of each
    code ("A".."D"; missing = counted in "All" only). One row per tier (A..D then "All") and
    period whose next period is complete: ``active`` customers in ``period``, ``retained`` =
    those also active in ``next_period``, ``retention`` = retained / active, ``churn`` = 1 -
    retention. Periods with no active customer are left out."""
    customer, number = pairs if pairs is not None else _active_pairs(transactions, codes, period, periods)
    last = last_complete_period(as_of, period)
    # (customer, period) packed in one sorted int64 key; "active next period" = key + 1 present
    low = int(number.min()) if len(number) else 0
    span = (int(number.max()) - low + 2) if len(number) else 1
    keys = customer * span + (number - low)  # sorted and distinct, as the pairs are
    keep = number + 1 <= last
    # "active next period": the next key is this key + 1 (the keys are sorted and distinct)
    next_present = np.zeros(len(keys), dtype=bool)
    next_present[:-1] = keys[1:] == keys[:-1] + 1
    retained = next_present[keep]
    customer, number = customer[keep], number[keep]
    names = ("A", "B", "C", "D", ALL)
    tier_code = pd.Index(names[:4]).get_indexer(np.asarray(tiers, dtype=object))  # -1: no tier
    line_tier = tier_code[customer] if len(customer) else np.zeros(0, dtype=np.int64)
    first = int(number.min()) if len(number) else 0
    width = (int(number.max()) - first + 1) if len(number) else 1
    # active and retained customers per (tier, period) in one count each: row k of the grids
    # is names[k], lines without a tier count in "All" (the last row) only
    slot = number - first
    tiered = line_tier >= 0
    cell = line_tier[tiered] * width + slot[tiered]
    active = np.empty((len(names), width), dtype=np.int64)
    kept = np.empty((len(names), width), dtype=np.int64)
    active[:4] = np.bincount(cell, minlength=4 * width).reshape(4, width)
    kept[:4] = np.bincount(cell[retained[tiered]], minlength=4 * width).reshape(4, width)
    active[4] = np.bincount(slot, minlength=width)
    kept[4] = np.bincount(slot[retained], minlength=width)
    tier_index, offset = np.nonzero(active)  # by tier, then period: the rows' order
    numbers = (first + offset).tolist()
    active, kept = active[tier_index, offset], kept[tier_index, offset]
    table = pd.DataFrame({
        "tier": np.array(names, dtype=object)[tier_index],
        "period": [period_label(n, period) for n in numbers],
        "next_period": [period_label(n + 1, period) for n in numbers],
        "active": active,
        "retained": kept,
        "retention": kept / active,
    })
    table["churn"] = 1 - table["retention"]
    return table.astype({"period": "str", "next_period": "str"}).reset_index(drop=True)[list(RETENTION_COLUMNS)]


def yearly_retention(
    transactions: pd.DataFrame, codes: np.ndarray, tiers: np.ndarray, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Trailing-year retention per tier: of the customers with a purchase in the year before
    last (days as_of-729 .. as_of-365), the share with a purchase in the last year (as_of-364 ..
    as_of). Output ``YEARLY_RETENTION_COLUMNS``, rows A..D then "All"; ``retention`` NaN when
    nobody bought in the year before last. This is the yearly r of the m*r/(1+i-r) projection."""
    before, last_year = yearly_activity(transactions, codes, as_of)
    return yearly_retention_from_activity(before, last_year, tiers)


def yearly_activity(
    transactions: pd.DataFrame, codes: np.ndarray, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer code (``codes.max() + 1`` of them): (a purchase in the year before last,
    a purchase in the last year), the two flags ``yearly_retention`` counts per tier."""
    bought = transactions[AMOUNT].to_numpy(dtype="float64") > 0
    day = transactions[DATE].to_numpy(dtype="datetime64[D]")[bought]
    end = np.datetime64(pd.Timestamp(as_of).date(), "D")
    who = codes[bought]
    n = int(codes.max()) + 1 if len(codes) else 0
    before = np.zeros(n, dtype=bool)
    last_year = np.zeros(n, dtype=bool)
    before[who[(day > end - 730) & (day <= end - 365)]] = True
    last_year[who[(day > end - 365) & (day <= end)]] = True
    return before, last_year


def yearly_retention_from_activity(before: np.ndarray, last_year: np.ndarray, tiers: np.ndarray) -> pd.DataFrame:
    """``yearly_retention`` from the per-customer flags of ``yearly_activity`` and the tier of
    each customer code (no pass over sale lines)."""
    n = len(before)
    tier_of = np.asarray(tiers, dtype=object)[:n] if n else np.zeros(0, dtype=object)
    rows = []
    for tier in ("A", "B", "C", "D", ALL):
        mask = before if tier == ALL else before & (tier_of == tier)
        active = int(mask.sum())
        kept = int((mask & last_year).sum())
        rows.append((tier, active, kept, kept / active if active else np.nan))
    return pd.DataFrame(rows, columns=list(YEARLY_RETENTION_COLUMNS))


def tier_retention_rates(yearly: pd.DataFrame) -> dict[str, float]:
    """Retention per tier for the projection: the tier's own trailing-year rate when at least
    ``MIN_CUSTOMERS_FOR_TIER`` of its customers bought in the year before last, else the All
    rate (NaN when even that cannot be measured)."""
    table = yearly.set_index("tier")
    overall = float(table.loc[ALL, "retention"])
    rates = {}
    for tier in ("A", "B", "C", "D"):
        enough = table.loc[tier, "active_year_before"] >= MIN_CUSTOMERS_FOR_TIER
        rates[tier] = float(table.loc[tier, "retention"]) if enough else overall
    return rates


MAX_COHORT_PERIODS = 36  # cohorts shown: 3 years of months, 9 of quarters, 36 of years


def cohort_table(
    transactions: pd.DataFrame, codes: np.ndarray, period: str, as_of: pd.Timestamp,
    periods: np.ndarray | None = None, pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Cohorts by the period of the first purchase: ``COHORT_COLUMNS``.

    One row per cohort and period from the cohort's first period up to the period of ``as_of``
    (the last may be partial), for the cohorts of the last ``MAX_COHORT_PERIODS`` periods
    (a triangle a person can read, and bounded memory whatever the dates span; older cohorts
    are left out): ``periods_after`` k = 0, 1, ...; ``customers`` in the cohort;
    ``active`` = of them, customers with a purchase in that period; ``share_active`` = active /
    customers (1 at k = 0); ``revenue`` = their net revenue in that period (returns included)."""
    if periods is None:
        periods = line_periods(transactions, period)
    customer, number = pairs if pairs is not None else _active_pairs(transactions, codes, period, periods)
    if not len(customer):
        return pd.DataFrame({name: pd.Series(dtype="object") for name in COHORT_COLUMNS})
    n = int(codes.max()) + 1
    none = np.iinfo(np.int64).max
    first = np.full(n, none, dtype=np.int64)
    np.minimum.at(first, customer, number)
    last = int(period_numbers(np.array([np.datetime64(pd.Timestamp(as_of).date(), "D")]), period)[0])
    low = max(int(number.min()), last - MAX_COHORT_PERIODS + 1)
    width = last - low + 1  # periods from the first cohort shown to the analysis date
    if width < 1:  # every purchase after the analysis date
        return pd.DataFrame({name: pd.Series(dtype="object") for name in COHORT_COLUMNS})
    shown = (first[customer] >= low) & (number <= last)
    customer, number = customer[shown], number[shown]
    # (cohort, period) as one small integer: counts and sums by bincount, no hashing
    active = np.bincount((first[customer] - low) * width + (number - low), minlength=width * width)
    numbers = periods
    line_cohort = first[codes]
    # a return booked before the customer's first purchase belongs to no cohort period
    mine = (line_cohort != none) & (line_cohort >= low) & (numbers >= line_cohort) & (numbers <= last)
    revenue = np.bincount((line_cohort[mine] - low) * width + (numbers[mine] - low),
                          weights=transactions[AMOUNT].to_numpy(dtype="float64")[mine], minlength=width * width)
    cohorts, sizes = np.unique(first[(first != none) & (first >= low) & (first <= last)],
                               return_counts=True)
    rows = []
    for cohort, size in zip(cohorts.tolist(), sizes.tolist()):
        for current in range(cohort, last + 1):
            cell = (cohort - low) * width + (current - low)
            count = int(active[cell])
            rows.append((period_label(cohort, period), current - cohort, period_label(current, period),
                         size, count, count / size, float(revenue[cell])))
    return pd.DataFrame(rows, columns=list(COHORT_COLUMNS))


def pooled_retention(table: pd.DataFrame, tier: str = ALL) -> float:
    """One retention rate for ``tier`` over every period of a ``retention_table``: all
    customers retained / all customers active (NaN when there is no complete period)."""
    rows = table[table["tier"] == tier]
    active = int(rows["active"].sum())
    return float(rows["retained"].sum()) / active if active else float("nan")
