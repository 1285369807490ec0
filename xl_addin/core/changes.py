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
    # each customer's row in either side (-1: not there): its last row when listed twice
    row_before, row_after = _last_rows(codes[: len(before)], n), _last_rows(codes[len(before):], n)
    in_previous, in_current = row_before >= 0, row_after >= 0

    # a kind's tiers as codes into the texts of both sides; the last code is "" (blank or absent)
    tier_texts, tier_codes = {}, {}
    for _, name in _KINDS:
        both, texts = pd.factorize(pd.concat([before[name], after[name]], ignore_index=True))
        texts = np.append(texts.to_numpy(dtype=object), "")
        blank = len(texts) - 1
        both[np.isin(both, np.flatnonzero(texts == ""))] = blank
        for which, rows, offset in (("from", row_before, 0), ("to", row_after, len(before))):
            spread = np.full(n, blank, dtype=np.int64)
            there = rows >= 0
            spread[there] = both[offset + rows[there]]
            tier_codes[name, which] = spread
        tier_texts[name] = texts

    parts = []
    for kind, name in _KINDS:
        moved = np.flatnonzero(tier_codes[name, "from"] != tier_codes[name, "to"])
        texts = tier_texts[name]
        parts.append(pd.DataFrame({
            "customer_id": ids[moved].to_numpy(dtype=object),
            "customer_name": _names(before, after, row_before[moved], row_after[moved]),
            "change": kind,
            "from_tier": texts[tier_codes[name, "from"][moved]],
            "to_tier": texts[tier_codes[name, "to"][moved]],
        }))
    changes = pd.concat(parts, ignore_index=True)
    changes["kind_order"] = (changes["change"] == SCORE_CHANGE).astype(int)
    changes = changes.sort_values(["customer_id", "kind_order"], kind="stable", ignore_index=True)
    changes = changes.drop(columns="kind_order").astype(str)
    matrix = _abc_matrix(tier_texts["abc_tier"], tier_codes["abc_tier", "from"],
                         tier_codes["abc_tier", "to"], in_previous, in_current)
    return changes[list(CHANGE_COLUMNS)], matrix


def _last_rows(at: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` customers, the last row of a side whose customer codes are ``at``
    (-1: none)."""
    rows = np.full(n, -1, dtype=np.int64)
    np.maximum.at(rows, at, np.arange(len(at)))
    return rows


def _names(before: pd.DataFrame, after: pd.DataFrame, row_before: np.ndarray,
           row_after: np.ndarray) -> np.ndarray:
    """The customers' names: this refresh's where present, else the previous one's."""
    names = np.full(len(row_before), "", dtype=object)
    now = row_after >= 0
    names[now] = after["name"].take(row_after[now]).to_numpy(dtype=object)
    names[~now] = before["name"].take(row_before[~now]).to_numpy(dtype=object)
    return names


def _side(tiers: pd.DataFrame) -> pd.DataFrame:
    """customer_id, abc_tier, score_tier, name of one side as text ("" when blank or absent)."""
    side = pd.DataFrame({col.CUSTOMER_ID: _text(tiers[col.CUSTOMER_ID])})
    for _, name in _KINDS:
        side[name] = _text(tiers[name]) if name in tiers.columns else ""
    side["name"] = _text(tiers[col.CUSTOMER_NAME]) if col.CUSTOMER_NAME in tiers.columns else ""
    return side


def _abc_matrix(texts: np.ndarray, tier_from: np.ndarray, tier_to: np.ndarray,
                in_previous: np.ndarray, in_current: np.ndarray) -> pd.DataFrame:
    """The from x to counts of the ABC tier codes ``tier_from`` / ``tier_to`` into ``texts``
    (the last code: blank)."""
    blank = len(texts) - 1
    none, new_or_gone = blank + 1, blank + 2  # codes past the texts: "(none)", "(new)" / "(gone)"
    counted = (tier_from != blank) | (tier_to != blank)
    rows = np.where(in_previous, np.where(tier_from != blank, tier_from, none), new_or_gone)[counted]
    cols = np.where(in_current, np.where(tier_to != blank, tier_to, none), new_or_gone)[counted]
    size = blank + 3
    counts = np.bincount(rows * size + cols, minlength=size * size).reshape(size, size)
    found_rows, found_cols = np.unique(rows), np.unique(cols)
    row_labels = np.append(texts[:blank], [NO_TIER_LABEL, NEW_LABEL])[found_rows - (found_rows > blank)]
    col_labels = np.append(texts[:blank], [NO_TIER_LABEL, GONE_LABEL])[found_cols - (found_cols > blank)]
    matrix = pd.DataFrame(counts[np.ix_(found_rows, found_cols)], index=row_labels, columns=col_labels)
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
