"""Summary tables over the per-customer table: per tier, RFM segment, RFM class, lifecycle
stage, and attribute x tier pivots. Shares are 0..1 of the column total over the rows shown
(NaN when that total is <= 0); every known key gets a row, with zeros when nobody has it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import TIERS
from .clean import text_positions
from .columns import INDUSTRY, LIFECYCLE_STAGES, REGION, RFM_CLASSES, RFM_SEGMENTS, SIZE

TIER_SUMMARY_COLUMNS = (
    "tier", "customers", "customer_share", "revenue", "revenue_share", "profit", "profit_share",
)
TOTAL = "Total"
BLANK = "(blank)"
PIVOT_ATTRIBUTES = (INDUSTRY, REGION, SIZE)


def tier_summary(customers: pd.DataFrame) -> pd.DataFrame:
    """Per ABC tier A, B, C, D and a "Total" row: customers, customer_share, revenue,
    revenue_share, profit, profit_share. Only customers with a tier count (prospects do
    not). Shares are of the Total row; revenue and profit in currency."""
    # grouped on the tiers' positions in TIERS (-1: no tier), not on their text; pandas' sum
    # (compensated, in row order) as grouping on the text gives
    codes = text_positions(list(TIERS), customers["abc_tier"])
    tiered = codes >= 0
    money = pd.DataFrame({name: customers[name].to_numpy(dtype="float64", na_value=np.nan)[tiered] for name in ("revenue", "profit")})
    sums = money.groupby(codes[tiered]).sum()
    sizes = np.bincount(codes[tiered], minlength=len(TIERS))
    rows = []
    for code, tier in enumerate(TIERS):
        if sizes[code]:
            rows.append((tier, int(sizes[code]), float(sums.at[code, "revenue"]), float(sums.at[code, "profit"])))
        else:
            rows.append((tier, 0, 0.0, 0.0))
    table = pd.DataFrame(rows, columns=["tier", "customers", "revenue", "profit"])
    total = pd.DataFrame(
        [(TOTAL, int(table["customers"].sum()), table["revenue"].sum(), table["profit"].sum())],
        columns=table.columns,
    )
    table = pd.concat([table, total], ignore_index=True)
    for column, share in (("customers", "customer_share"), ("revenue", "revenue_share"), ("profit", "profit_share")):
        grand = table[column].iloc[-1]
        table[share] = table[column] / grand if grand > 0 else np.nan
    table["tier"] = table["tier"].astype("str")
    return table[list(TIER_SUMMARY_COLUMNS)]


def _counts(customers: pd.DataFrame, key: str, keys: tuple[str, ...]) -> pd.DataFrame:
    """customers and revenue per value of ``key``; known ``keys`` first (zeros included),
    unknown values after them in text order; missing values are left out."""
    present = (customers.loc[customers[key].notna(), [key, "revenue"]] if key in customers.columns
               else customers.iloc[:0])
    grouped = present.groupby(key)["revenue"].agg(["size", "sum"])
    order = list(keys) + sorted(str(v) for v in grouped.index if v not in keys)
    grouped = grouped.reindex(order)
    table = pd.DataFrame(
        {
            key: pd.Series(order, dtype="str"),
            "customers": grouped["size"].fillna(0).to_numpy(dtype="int64"),
            "revenue": grouped["sum"].fillna(0.0).to_numpy(dtype="float64"),
        }
    )
    n, revenue = table["customers"].sum(), table["revenue"].sum()
    table["customer_share"] = table["customers"] / n if n > 0 else np.nan
    table["revenue_share"] = table["revenue"] / revenue if revenue > 0 else np.nan
    return table


def rfm_segment_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """``rfm_segment, customers, revenue, customer_share, revenue_share`` for each of the
    11 segments and "Others" (customers without RFM scores are left out)."""
    return _counts(customers, "rfm_segment", RFM_SEGMENTS)


def rfm_class_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """``rfm_class, customers, revenue, customer_share, revenue_share`` for each of the 8
    classes (``columns.RFM_CLASSES``), zeros included."""
    return _counts(customers, "rfm_class", RFM_CLASSES)


def lifecycle_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """``lifecycle, customers, revenue, customer_share, revenue_share`` per stage, in the
    order Prospect, New, One-time, Repeat, Loyal, Lapsing, Lost."""
    return _counts(customers, "lifecycle", LIFECYCLE_STAGES)


def tier_pivots(customers: pd.DataFrame, attributes: tuple[str, ...] = PIVOT_ATTRIBUTES) -> dict[str, pd.DataFrame]:
    """Attribute x tier customer counts, one table per attribute that has any value.

    Each table: the attribute column (a missing value shows as "(blank)"), then A, B, C, D and
    Total; rows sorted by the attribute's text. Only customers with a tier count.
    """
    present = [name for name in attributes if name in customers.columns]
    tiered = customers.loc[customers["abc_tier"].notna(), ["abc_tier", *present]]
    pivots: dict[str, pd.DataFrame] = {}
    tier_codes = text_positions(list(TIERS), tiered["abc_tier"])  # -1: not a tier (never here)
    for name in attributes:
        if name not in customers.columns or customers[name].notna().sum() == 0:
            continue
        rows = tiered[name].astype("str").fillna(BLANK)
        row_codes, row_values = pd.factorize(rows, sort=True)
        counts = np.bincount(
            row_codes * len(TIERS) + tier_codes, minlength=len(row_values) * len(TIERS)
        ).reshape(len(row_values), len(TIERS))
        table = pd.DataFrame(counts.astype("int64"), columns=list(TIERS))
        table.insert(0, name, pd.Series(row_values, dtype="str"))
        table[TOTAL] = counts.sum(axis=1).astype("int64")
        pivots[name] = table
    return pivots
