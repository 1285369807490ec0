"""Tier changes (分级变化) since the last refresh: who moved, and a from x to count matrix."""

from __future__ import annotations

import numpy as np
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

    ``previous``: customer_id, abc_tier, score_tier (customer_name used when present; ids are
    compared as stripped text, and a customer listed twice counts by its last row). ``current``: customer_id, customer_name, abc_tier,
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
    before, after = _side(previous), _side(current)
    # one factorize of both sides' ids: every customer's position in either side, no merge
    codes, ids = pd.factorize(pd.concat([before[col.CUSTOMER_ID], after[col.CUSTOMER_ID]],
                                        ignore_index=True))
    n = len(ids)
    before_at, after_at = codes[: len(before)], codes[len(before):]
    in_previous, in_current = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    in_previous[before_at], in_current[after_at] = True, True

    def spread(side: pd.DataFrame, at: np.ndarray, name: str) -> np.ndarray:
        values = np.full(n, "", dtype=object)  # blank where the customer is not on that side
        values[at] = side[name].to_numpy(dtype=object)
        return values

    tiers = {(name, which): spread(side, at, name) for _, name in _KINDS
             for which, side, at in (("from", before, before_at), ("to", after, after_at))}
    customer_name = np.where(in_current, spread(after, after_at, "name"), spread(before, before_at, "name"))
    customer_ids = ids.to_numpy(dtype=object)

    parts = []
    for kind, name in _KINDS:
        moved = np.flatnonzero(tiers[name, "from"] != tiers[name, "to"])
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": customer_ids[moved],
                    "customer_name": customer_name[moved],
                    "change": kind,
                    "from_tier": tiers[name, "from"][moved],
                    "to_tier": tiers[name, "to"][moved],
                }
            )
        )
    changes = pd.concat(parts, ignore_index=True)
    changes["kind_order"] = (changes["change"] == SCORE_CHANGE).astype(int)
    changes = changes.sort_values(["customer_id", "kind_order"], kind="stable", ignore_index=True)
    changes = changes.drop(columns="kind_order").astype(str)
    matrix = _abc_matrix(tiers["abc_tier", "from"], tiers["abc_tier", "to"], in_previous, in_current)
    return changes[list(CHANGE_COLUMNS)], matrix


def _side(tiers: pd.DataFrame) -> pd.DataFrame:
    """customer_id, abc_tier, score_tier, name of one side as text ("" when blank or absent),
    one row per id (its last)."""
    side = pd.DataFrame({col.CUSTOMER_ID: _text(tiers[col.CUSTOMER_ID])})
    for _, name in _KINDS:
        side[name] = _text(tiers[name]) if name in tiers.columns else ""
    side["name"] = _text(tiers[col.CUSTOMER_NAME]) if col.CUSTOMER_NAME in tiers.columns else ""
    return side.loc[~side[col.CUSTOMER_ID].duplicated(keep="last").to_numpy()]


def _abc_matrix(tier_from: np.ndarray, tier_to: np.ndarray, in_previous: np.ndarray,
                in_current: np.ndarray) -> pd.DataFrame:
    counted = (tier_from != "") | (tier_to != "")
    rows = np.where(in_previous, np.where(tier_from != "", tier_from, NO_TIER_LABEL), NEW_LABEL)[counted]
    cols = np.where(in_current, np.where(tier_to != "", tier_to, NO_TIER_LABEL), GONE_LABEL)[counted]
    row_codes, row_labels = pd.factorize(rows)
    col_codes, col_labels = pd.factorize(cols)
    counts = np.bincount(row_codes * len(col_labels) + col_codes,
                         minlength=len(row_labels) * len(col_labels)).reshape(len(row_labels), len(col_labels))
    matrix = pd.DataFrame(counts, index=row_labels, columns=col_labels)
    row_order = _order(set(row_labels), tail=(NO_TIER_LABEL, NEW_LABEL))
    col_order = _order(set(col_labels), tail=(NO_TIER_LABEL, GONE_LABEL))
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
