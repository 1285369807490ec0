"""Tier changes (分级变化) since the last refresh: who moved, and a from x to count matrix."""

from __future__ import annotations

import pandas as pd

from ..settings import TIERS
from . import columns as col

CHANGE_COLUMNS = ("customer_id", "customer_name", "change", "from_tier", "to_tier")
ABC_CHANGE = "ABC tier"
SCORE_CHANGE = "Score tier"
NEW_LABEL = "(new)"  # matrix row: not in the previous refresh
GONE_LABEL = "(gone)"  # matrix column: not in this refresh
NO_TIER_LABEL = "(none)"  # matrix row or column: present but without an ABC tier
_KINDS = ((ABC_CHANGE, "abc_tier"), (SCORE_CHANGE, "score_tier"))


def tier_changes(
    previous: pd.DataFrame | None, current: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare this refresh's tiers with the previous one's. Returns ``(changes, matrix)``.

    ``previous``: customer_id, abc_tier, score_tier (customer_name used when present; a customer
    listed twice counts by its last row). ``current``: customer_id, customer_name, abc_tier,
    score_tier. A blank tier is "".

    ``changes`` (``CHANGE_COLUMNS``): one row per customer and kind ("ABC tier", "Score tier")
    whose tier differs, sorted by customer_id then kind. A customer new since the previous
    refresh shows from "" to its tier; a customer no longer present shows from its tier to "";
    either is left out when it has no tier on that side too.

    ``matrix``: count of customers by previous ABC tier (rows, "from") and current ABC tier
    (columns, "to"), unchanged customers on the diagonal. Rows and columns A, B, C, D always,
    any other tier text found, then when needed "(none)" (present without a tier), row "(new)"
    and column "(gone)". Customers without an ABC tier on both sides are left out.

    No previous refresh (None or no rows): both frames empty, with their columns.
    """
    if previous is None or len(previous) == 0:
        return _empty_changes(), _empty_matrix()
    previous = previous.drop_duplicates(col.CUSTOMER_ID, keep="last")
    before = pd.DataFrame({col.CUSTOMER_ID: _text(previous[col.CUSTOMER_ID])})
    after = pd.DataFrame({col.CUSTOMER_ID: _text(current[col.CUSTOMER_ID])})
    for _, name in _KINDS:
        before[name] = _text(previous[name]) if name in previous.columns else ""
        after[name] = _text(current[name])
    before["name"] = _text(previous[col.CUSTOMER_NAME]) if col.CUSTOMER_NAME in previous.columns else ""
    after["name"] = _text(current[col.CUSTOMER_NAME]) if col.CUSTOMER_NAME in current.columns else ""
    before["in_previous"] = True
    after["in_current"] = True
    both = after.merge(before, on=col.CUSTOMER_ID, how="outer", suffixes=("_to", "_from"))
    for name in ("abc_tier", "score_tier", "name"):
        for side in ("_to", "_from"):
            both[name + side] = both[name + side].fillna("")
    both["in_previous"] = both["in_previous"].fillna(False).astype(bool)
    both["in_current"] = both["in_current"].fillna(False).astype(bool)
    customer_name = both["name_to"].where(both["in_current"], both["name_from"])

    parts = []
    for kind, name in _KINDS:
        moved = both[name + "_from"] != both[name + "_to"]
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": both.loc[moved, col.CUSTOMER_ID],
                    "customer_name": customer_name[moved],
                    "change": kind,
                    "from_tier": both.loc[moved, name + "_from"],
                    "to_tier": both.loc[moved, name + "_to"],
                }
            )
        )
    changes = pd.concat(parts, ignore_index=True)
    changes["kind_order"] = (changes["change"] == SCORE_CHANGE).astype(int)
    changes = changes.sort_values(["customer_id", "kind_order"], kind="stable", ignore_index=True)
    changes = changes.drop(columns="kind_order").astype(str)
    return changes[list(CHANGE_COLUMNS)], _abc_matrix(both)


def _abc_matrix(both: pd.DataFrame) -> pd.DataFrame:
    tier_from, tier_to = both["abc_tier_from"], both["abc_tier_to"]
    counted = (tier_from != "") | (tier_to != "")
    rows = tier_from.where(tier_from != "", NO_TIER_LABEL).where(both["in_previous"], NEW_LABEL)
    cols = tier_to.where(tier_to != "", NO_TIER_LABEL).where(both["in_current"], GONE_LABEL)
    rows, cols = rows[counted], cols[counted]
    matrix = pd.crosstab(rows, cols)
    row_order = _order(set(rows.unique()), tail=(NO_TIER_LABEL, NEW_LABEL))
    col_order = _order(set(cols.unique()), tail=(NO_TIER_LABEL, GONE_LABEL))
    matrix = matrix.reindex(index=row_order, columns=col_order, fill_value=0).astype("int64")
    matrix.index.name, matrix.columns.name = "from", "to"
    return matrix


def _order(found: set[str], tail: tuple[str, ...]) -> list[str]:
    other = sorted(found - set(TIERS) - set(tail))
    return [*TIERS, *other, *(label for label in tail if label in found)]


def _text(values: pd.Series) -> pd.Series:
    """Text with blanks as "" (NaN, None and pd.NA included), stripped, index reset."""
    return values.reset_index(drop=True).astype("str").fillna("").str.strip()


def _empty_changes() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="str") for name in CHANGE_COLUMNS})


def _empty_matrix() -> pd.DataFrame:
    matrix = pd.DataFrame(index=pd.Index([], dtype="str", name="from"), columns=pd.Index([], dtype="str", name="to"))
    return matrix.astype("int64")
