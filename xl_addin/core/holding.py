"""Holding limits (客户保有量) and the public pool (公海).

A rule (salesperson or "*", tier or "All", max customers) caps how many customers a
salesperson may hold. When several rules apply to one salesperson and tier, the lowest limit
wins. Tier "All" counts every customer with an ABC tier (A..D); prospects are not counted.
Customers without a salesperson are nobody's holding and are not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import ALL_TIERS, ANY_SALESPERSON, DEFAULT_SETTINGS, TIERS, Settings
from .columns import CUSTOMER_ID, CUSTOMER_NAME, SALESPERSON

COVERAGE_COLUMNS = ("salesperson", "tier", "held", "limit", "headroom", "status")
RELEASE_COLUMNS = ("customer_id", "customer_name", "salesperson", "last_purchase", "recency_days")
# With the predictive CLV columns (core.clv_model): also these, ordered by value at stake.
RELEASE_VALUE_COLUMNS = ("p_alive", "predicted_clv", "decision", "decision_reason")
DECISION_RELEASE = "release"
DECISION_KEEP = "keep"
# reasons are keys; their words (English and 中文) are in report.labels
REASON_QUIET = "quiet"  # no purchase for longer than release_days
REASON_LIKELY_ACTIVE = "likely_active"  # quiet, but P(alive) >= keep_p_alive: kept
STATUS_OK = "OK"
STATUS_OVER = "Over"
STATUS_NO_LIMIT = "No limit"


def holding_coverage(customers: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS) -> pd.DataFrame:
    """Customers held per salesperson x tier against the holding rules.

    ``customers``: one row per customer with ``salesperson`` and ``abc_tier``. Output
    ``COVERAGE_COLUMNS``: a row for each salesperson (from the data or named in a rule) and each
    tier A, B, C, D, All that has customers or an applicable rule; ``held`` customers, ``limit``
    (lowest applicable rule; NaN when none), ``headroom`` = limit - held (negative = over),
    ``status`` "OK" (held <= limit), "Over", or "No limit". Sorted by salesperson, then tier
    in the order A, B, C, D, All.
    """
    tier_order = (*TIERS, ALL_TIERS)
    if SALESPERSON in customers.columns:
        owned = customers.loc[customers[SALESPERSON].notna() & customers["abc_tier"].notna(),
                              [SALESPERSON, "abc_tier"]]
        counts = owned.groupby([SALESPERSON, "abc_tier"]).size()
        totals = owned.groupby(SALESPERSON).size()
    else:
        counts = totals = pd.Series(dtype="int64")
    held: dict[tuple[str, str], int] = {k: int(v) for k, v in counts.items()}
    held.update({(sp, ALL_TIERS): int(v) for sp, v in totals.items()})
    rules = settings.holding_rules
    people = set(totals.index) | {r.salesperson for r in rules if r.salesperson != ANY_SALESPERSON}
    rows = []
    for person in sorted(people, key=str):
        for tier in tier_order:
            limits = [
                r.max_customers
                for r in rules
                if r.tier == tier and r.salesperson in (person, ANY_SALESPERSON)
            ]
            count = held.get((person, tier), 0)
            if not limits and not count:
                continue
            limit = float(min(limits)) if limits else np.nan
            status = STATUS_NO_LIMIT if not limits else (STATUS_OK if count <= limit else STATUS_OVER)
            rows.append((str(person), tier, count, limit, limit - count, status))
    table = pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
    return table.astype(
        {"salesperson": "str", "tier": "str", "held": "int64", "limit": "float64",
         "headroom": "float64", "status": "str"}
    )


def release_candidates(
    customers: pd.DataFrame, as_of: pd.Timestamp, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """Customers to release to the public pool (公海): last purchase more than
    ``settings.release_days`` days before ``as_of``. Customers who never bought (prospects,
    returns only) are not released. Output ``RELEASE_COLUMNS`` (recency in days), longest
    silence first, ties by customer id.

    When ``customers`` has the model columns ``p_alive``, ``predicted_clv`` and
    ``single_purchase``, the output also has ``RELEASE_VALUE_COLUMNS``: ``decision`` "keep"
    with reason ``REASON_LIKELY_ACTIVE`` when P(alive) >= ``settings.keep_p_alive`` (never
    for a customer without a repeat purchase, whose P(alive) = 1 is the model's construction),
    else "release" with ``REASON_QUIET``; ordered by value at stake: predicted CLV descending
    (blank last), then longest silence, then id."""
    last = pd.to_datetime(customers["last_purchase"])
    days = (pd.Timestamp(as_of).normalize() - last).dt.days
    used = [c for c in (CUSTOMER_ID, CUSTOMER_NAME, SALESPERSON, "p_alive", "predicted_clv", "single_purchase")
            if c in customers.columns]
    chosen = customers.loc[days > settings.release_days, used]  # not every column: copies cost
    table = pd.DataFrame(
        {
            "customer_id": chosen[CUSTOMER_ID].astype("str"),
            "customer_name": _text_column(chosen, CUSTOMER_NAME),
            "salesperson": _text_column(chosen, SALESPERSON),
            "last_purchase": last.loc[chosen.index],
            "recency_days": days.loc[chosen.index].astype("int64"),
        }
    )
    if {"p_alive", "predicted_clv", "single_purchase"} <= set(customers.columns):
        return _valued_releases(table, chosen, settings)
    return table.sort_values(["recency_days", "customer_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("str")
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def _valued_releases(table: pd.DataFrame, chosen: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    alive = pd.to_numeric(chosen["p_alive"], errors="coerce").astype("float64")
    single = chosen["single_purchase"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    keep = (alive.to_numpy() >= settings.keep_p_alive) & ~single
    table = table.assign(
        p_alive=alive,
        predicted_clv=pd.to_numeric(chosen["predicted_clv"], errors="coerce").astype("float64"),
        decision=pd.Series(np.where(keep, DECISION_KEEP, DECISION_RELEASE), index=chosen.index, dtype="str"),
        decision_reason=pd.Series(np.where(keep, REASON_LIKELY_ACTIVE, REASON_QUIET), index=chosen.index,
                                  dtype="str"),
    )
    return table.sort_values(["predicted_clv", "recency_days", "customer_id"], ascending=[False, False, True],
                             na_position="last", kind="stable").reset_index(drop=True)
