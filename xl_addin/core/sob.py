"""Per-customer totals and share of business (SOB, 业务份额).

SOB = a customer's net revenue / the net revenue of all customers in the same group (all,
a period, a segment), a share 0..1 that sums to 1 within each group. Net revenue includes
returns (negative amounts). When a group's total is <= 0 its shares are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..settings import DEFAULT_SETTINGS, SOB_PERIODS, Settings
from .values import DATE_DTYPE
from .columns import AMOUNT, COST, CUSTOMER_ID, DATE, ORDER_ID, WALLET

TOTALS_COLUMNS = ("customer_id", "revenue", "cost", "profit", "sob")
DATE_TOTALS_COLUMNS = ("orders", "first_purchase", "last_purchase")
WALLET_COLUMNS = ("wallet", "share_of_wallet")


MONEY_DECIMALS = 6


def money(values: np.ndarray) -> np.ndarray:
    """Currency totals rounded to a millionth of the unit (and no "-0.0").

    Float sums carry noise in the last bit that depends on the order of the lines: 0.03 - 0.01
    is 0.019999999999999997 but 0.02 - 0.00 is 0.02. Rounding far below a cent makes totals
    that are equal in exact arithmetic compare equal, so ties (and so tiers, ranks and scores)
    do not depend on row order or on the unit the amounts are in."""
    return np.round(values, MONEY_DECIMALS) + 0.0


def customer_totals(transactions: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """One row per customer id found in clean ``transactions``, sorted by id.

    Columns: ``customer_id, revenue, cost, profit, sob`` always (money in the data's
    currency; revenue is net of returns; cost from the ``cost`` column, else revenue x
    ``settings.cost_rate``; profit = revenue - cost; sob 0..1). Money totals are rounded to
    a millionth of the currency unit (see ``money``), so equal totals compare equal.
    With a ``date`` column also ``orders`` (distinct order ids among lines with amount > 0,
    or distinct purchase dates when there is no ``order_id``; a line with a blank order id
    counts as an order on its own date), ``first_purchase`` and ``last_purchase`` (dates of
    lines with amount > 0; NaT for a customer with returns only). Without a date column but
    with ``order_id``, ``orders`` alone. With a ``wallet`` column also ``wallet`` (the
    largest estimate given for the customer) and ``share_of_wallet`` = revenue / wallet
    (NaN when the wallet is missing or <= 0).
    """
    codes, ids = customer_codes(transactions)
    return totals_from_codes(transactions, codes, ids, settings)


def customer_codes(transactions: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """(code per line, customer ids sorted): the grouping every per-customer step shares."""
    codes, ids = sorted_codes(transactions[CUSTOMER_ID])
    return codes, pd.Index(ids, dtype="str", name=CUSTOMER_ID)


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, sort=True)`` (codes int64, -1 = missing; the distinct values in
    text order). A Categorical is not re-hashed: its codes are remapped to the categories that
    occur, in text order, which costs one pass over the rows and a sort of the categories."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64, copy=False), pd.Index(uniques)
    cat_codes = values.cat.codes.to_numpy().astype(np.int64)
    categories = values.cat.categories
    used = np.bincount(cat_codes[cat_codes >= 0], minlength=len(categories)) > 0
    used_categories = pd.Index(categories[used])
    if used_categories.is_monotonic_increasing:  # already in text order (``text_categorical``)
        used_codes, uniques = np.arange(len(used_categories)), used_categories
    else:
        used_codes, uniques = pd.factorize(used_categories, sort=True)
    mapping = np.full(len(categories), -1, dtype=np.int64)
    mapping[used] = used_codes
    codes = np.where(cat_codes >= 0, mapping[np.maximum(cat_codes, 0)] if len(mapping) else -1, -1)
    return codes, pd.Index(uniques)


def totals_from_codes(
    transactions: pd.DataFrame, codes: np.ndarray, ids: pd.Index, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """``customer_totals`` with the grouping already done (see ``customer_codes``)."""
    n = len(ids)
    amount = transactions[AMOUNT].to_numpy(dtype="float64")
    revenue = money(np.bincount(codes, weights=amount, minlength=n))
    if COST in transactions.columns:
        cost = money(np.bincount(codes, weights=transactions[COST].to_numpy(dtype="float64"),
                                 minlength=n))
    else:
        cost = money(revenue * settings.cost_rate)
    table = pd.DataFrame(
        {
            CUSTOMER_ID: pd.Series(ids, dtype="str"),
            "revenue": revenue,
            "cost": cost,
            "profit": money(revenue - cost),
            "sob": shares(revenue),
        }
    )
    bought = amount > 0
    if DATE in transactions.columns:
        table["orders"] = _order_counts(transactions, codes, bought, n)
        # int64 seconds: NaT is the int64 minimum, so it can mark "no purchase" for max
        stamps = transactions[DATE].to_numpy(dtype=DATE_DTYPE).view(np.int64)[bought]
        nat = np.iinfo(np.int64).min
        first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(n, nat, dtype=np.int64)
        np.minimum.at(first, codes[bought], stamps)
        np.maximum.at(last, codes[bought], stamps)
        first[last == nat] = nat
        table["first_purchase"] = first.view(DATE_DTYPE)
        table["last_purchase"] = last.view(DATE_DTYPE)
    elif ORDER_ID in transactions.columns:
        table["orders"] = _order_counts(transactions, codes, bought, n)
    if WALLET in transactions.columns:
        wallet = pd.Series(transactions[WALLET].to_numpy(dtype="float64")).groupby(codes).max()
        table["wallet"] = wallet.reindex(range(n)).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table["share_of_wallet"] = np.where(table["wallet"] > 0, revenue / table["wallet"], np.nan)
    return table


def _order_counts(transactions: pd.DataFrame, codes: np.ndarray, bought: np.ndarray, n: int) -> np.ndarray:
    """Distinct orders per customer code among the lines with amount > 0."""
    if ORDER_ID in transactions.columns:
        order_codes = _codes(transactions[ORDER_ID])
        if DATE in transactions.columns:
            # a blank order id: one order per date (negative keys cannot meet real codes)
            day = transactions[DATE].to_numpy(dtype="datetime64[D]").astype("int64")
            order_codes = np.where(order_codes >= 0, order_codes, -1 - (day - day.min()))
    else:
        order_codes = transactions[DATE].to_numpy(dtype="datetime64[D]").astype("int64")
    order_codes = order_codes[bought]
    order_codes = order_codes - order_codes.min() if len(order_codes) else order_codes
    return count_distinct(codes[bought], order_codes, n)


def count_distinct(groups: np.ndarray, items: np.ndarray, n_groups: int) -> np.ndarray:
    """Number of distinct ``items`` per group (both int codes >= 0), int64 per group code.
    Sorts packed (group, item) pairs: faster here than hashing them (np.unique)."""
    if groups.size == 0:
        return np.zeros(n_groups, dtype=np.int64)
    stride = np.int64(items.max()) + 1
    if stride <= 8 * groups.size + 1_000_000:
        # each item's group (the last line's): when every item has one group only (an order
        # id belongs to one customer), the items per group are counted without a sort
        owner = np.full(int(stride), -1, dtype=np.int64)
        owner[items] = groups
        if np.array_equal(owner[items], groups):
            return np.bincount(owner[owner >= 0], minlength=n_groups).astype(np.int64)
    pairs = distinct_sorted(groups.astype(np.int64) * stride + items)
    return np.bincount(pairs // stride, minlength=n_groups).astype(np.int64)


def distinct_sorted(keys: np.ndarray) -> np.ndarray:
    """The distinct values of int64 ``keys`` (all >= 0), sorted: ``np.unique`` without its
    hashing. A presence table when the key range is small next to the number of keys (one
    pass, no sort), else a sort and a comparison of neighbours."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    top = int(keys.max())
    if top < 8 * keys.size + 1_000_000:
        seen = np.zeros(top + 1, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    ordered = np.sort(keys)
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes per row (-1 = missing), any order; a Categorical's own codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64)
    return pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)


def shares(values: np.ndarray | pd.Series) -> np.ndarray:
    """``values`` / their sum (NaN when the sum is <= 0)."""
    values = np.asarray(values, dtype="float64")
    total = values.sum()
    if not total > 0:
        return np.full(len(values), np.nan)
    return values / total


def segment_sob(revenue: pd.Series, segment: pd.Series) -> pd.Series:
    """SOB within a segment: revenue / the total revenue of customers with the same segment
    value (missing segment = its own group). NaN where that total is <= 0."""
    # integer group codes (a missing segment is its own group): no hashing of Python objects
    key = pd.factorize(segment, use_na_sentinel=False)[0]
    totals = revenue.groupby(key, sort=False).transform("sum")
    return (revenue / totals).where(totals > 0)


def sob(transactions: pd.DataFrame, by: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Share of business per customer, optionally within a segment and/or a period.

    ``by``: a column of ``transactions`` (e.g. "industry"): sob = the customer's revenue in that
    segment / the segment's revenue. ``period``: "M", "Q" or "Y": revenue per calendar period,
    sob within the period; the ``period`` column holds labels "2025-03", "2025Q1", "2025".
    Output: ``customer_id, (by), (period), revenue, sob``, sorted by those keys; revenue is
    net of returns; sob sums to 1 within each group whose total is > 0 (else NaN).
    """
    codes, ids = customer_codes(transactions)
    return sob_from_codes(transactions, codes, ids, by, period)


def sob_from_codes(
    transactions: pd.DataFrame, codes: np.ndarray, ids: pd.Index, by: str | None = None, period: str | None = None
) -> pd.DataFrame:
    """``sob`` with the customer grouping already done (see ``customer_codes``)."""
    # Group on integer codes: (group key, customer) -> one int64 key, summed with bincount.
    group_codes: list[np.ndarray] = []
    group_labels: list[tuple[str, pd.Index]] = []
    if by is not None:
        if by not in transactions.columns:
            found = ", ".join(map(str, transactions.columns))
            raise InputError(f"column '{by}' is not in the sales data (columns found: {found})", column=by)
        by_codes, by_values = pd.factorize(transactions[by], sort=True, use_na_sentinel=False)
        group_codes.append(by_codes)
        group_labels.append((by, pd.Index(by_values)))
    if period is not None:
        if period not in SOB_PERIODS:
            raise InputError(f"period must be one of {', '.join(SOB_PERIODS)}, got {period!r}")
        if DATE not in transactions.columns:
            raise InputError("a per-period SOB needs a date column", column=DATE)
        days, day_values = pd.factorize(transactions[DATE], sort=True)
        labels = pd.DatetimeIndex(day_values).to_period(period).astype(str)
        label_codes, label_values = pd.factorize(labels, sort=True)
        group_codes.append(label_codes[days])
        group_labels.append(("period", pd.Index(label_values, dtype="str")))
    key = np.zeros(len(codes), dtype=np.int64)
    for part, (_, values) in zip(group_codes, group_labels):
        key = key * len(values) + part
    key = key * len(ids) + codes
    amount = transactions[AMOUNT].to_numpy(dtype="float64")
    if len(key) and key.max() < 8 * len(key) + 1_000_000:
        # small key space (customers x periods): count straight into it, no sort
        seen = np.bincount(key) > 0
        keys = np.flatnonzero(seen)
        revenue = np.bincount(key, weights=amount)[keys]
    else:
        keys, inverse = np.unique(key, return_inverse=True)
        revenue = np.bincount(inverse, weights=amount, minlength=len(keys))
    group_of = keys // len(ids)
    group_index = np.unique(group_of, return_inverse=True)[1]
    totals = np.bincount(group_index, weights=revenue)[group_index]
    columns: dict[str, object] = {CUSTOMER_ID: ids.take(keys % len(ids)).array}  # no text round trip
    rest = group_of
    decoded = []
    for name, values in reversed(group_labels):
        decoded.append((name, values.take(rest % len(values))))
        rest = rest // len(values)
    for name, values in reversed(decoded):
        # text labels stay Arrow text (a round trip through Python objects costs more than
        # the whole grouping for a million lines); anything else as before
        columns[name] = values.array if values.dtype == "str" else values.to_numpy()
    table = pd.DataFrame(columns)
    table[CUSTOMER_ID] = table[CUSTOMER_ID].astype("str")
    table["revenue"] = revenue
    with np.errstate(divide="ignore", invalid="ignore"):
        table["sob"] = np.where(totals > 0, revenue / totals, np.nan)
    # keys sort by (group..., customer id): the documented order
    order = [name for name, _ in group_labels] + [CUSTOMER_ID]
    return table[[CUSTOMER_ID, *order[:-1], "revenue", "sob"]].reset_index(drop=True)


def period_labels(dates: pd.Series, period: str) -> pd.Series:
    """Calendar period labels: "M" -> "2025-03", "Q" -> "2025Q1", "Y" -> "2025"."""
    # distinct dates are few: label those, then spread the labels back
    codes, days = pd.factorize(dates, use_na_sentinel=True)
    labels = pd.DatetimeIndex(days).to_period(period).astype(str).to_numpy(dtype=object)
    result = np.full(len(dates), None, dtype=object)
    result[codes >= 0] = labels[codes[codes >= 0]]
    return pd.Series(result, index=dates.index, dtype="str")
