"""The weighted customer score 0..100 (客户管理分) and its tiers VIP / Regular / Potential."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..settings import Settings
from . import columns as col
from .ranking import percent_rank_inc

SCORE_COLUMNS = ("customer_id", "score", "score_tier")
VIP, REGULAR, POTENTIAL = col.SCORE_TIERS
# Tier bands compare the score rounded to this many decimals, so float noise such as
# 79.99999999999999 (shown as 80.0) cannot drop a customer below the VIP band.
TIER_DECIMALS = 9


def customer_score(customers: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Score each customer 0..100 on ``settings.score_factors``; one row per input row, same order.

    Each factor column is normalised to 0..1 by ``percent_rank_inc`` (Excel's PERCENTRANK.INC:
    the share of the other customers with a strictly smaller value; ties share a rank) taken over
    the rows that have a value, and turned into ``1 - rank`` when lower is better (recency days).
    A row with no value (NaN) in a factor gets 0 for that factor. Weights are divided by their
    sum; a factor of weight 0 is skipped (its column need not exist).
    ``score = 100 * sum(weight * normalised value)``, not rounded (presentation rounds).

    ``score_tier``: "VIP" when score >= ``vip_score``, "Regular" when >= ``regular_score``, else
    "Potential" (scores compared at 9 decimals). Scaling a factor by c > 0 changes no score.
    A factor column that is missing, or holds text that is not a number, is an InputError
    naming it (blank text counts as no value).
    """
    factors = [factor for factor in settings.score_factors if factor.weight > 0]
    total_weight = sum(factor.weight for factor in factors)
    score = np.zeros(len(customers))
    for factor in factors:
        values = _factor_values(customers, factor.column)
        normalised = percent_rank_inc(values)
        if not factor.higher_is_better:
            normalised = 1.0 - normalised
        score += factor.weight / total_weight * np.nan_to_num(normalised, nan=0.0)
    score *= 100.0
    return pd.DataFrame(
        {
            # .array: the ids as they are (Arrow text stays Arrow text, no round trip)
            "customer_id": customers[col.CUSTOMER_ID].array,
            "score": score,
            "score_tier": pd.array(TIER_NAMES, dtype="str").take(_tier_numbers(score, settings), allow_fill=True),
        },
        columns=list(SCORE_COLUMNS),
    )


def score_tiers(score, settings: Settings) -> np.ndarray:
    """"VIP" / "Regular" / "Potential" for scores 0..100 by the bands in ``settings``
    (a score equal to a band's lower bound is in that band). NaN scores get no tier (None)."""
    numbers = _tier_numbers(score, settings)
    return np.array([*TIER_NAMES, None], dtype=object)[numbers]  # -1: None


TIER_NAMES = (VIP, REGULAR, POTENTIAL)


def _tier_numbers(score, settings: Settings) -> np.ndarray:
    """``score_tiers`` as positions in ``TIER_NAMES`` (-1 for a NaN score)."""
    score = np.round(np.asarray(score, dtype=float), TIER_DECIMALS)
    return np.select([score >= settings.vip_score, score >= settings.regular_score, ~np.isnan(score)],
                     [0, 1, 2], default=-1)


def _factor_values(customers: pd.DataFrame, column: str) -> np.ndarray:
    if column not in customers.columns:
        raise InputError(
            f"score factor '{column}' is not a customer column",
            column=column,
            hint=f"Columns found: {', '.join(map(str, customers.columns))}.",
        )
    values = customers[column]
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan)
    numbers = pd.to_numeric(values, errors="coerce")
    blank = values.isna() | (values.astype(object).astype(str).str.strip() == "")
    bad = numbers.isna() & ~blank
    if bad.any():
        raise InputError(
            f"score factor '{column}' must hold numbers, found {values[bad].iloc[0]!r}",
            column=column,
        )
    return numbers.to_numpy(dtype=float, na_value=np.nan)
