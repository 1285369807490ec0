"""TierResult: everything one refresh computes, as plain DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..settings import Settings
from .columns import NOTE_COLUMNS


def notes_frame(rows) -> pd.DataFrame:
    """A notes table (``NOTE_COLUMNS``, all text) from (sheet, column, note_key, detail) rows."""
    rows = [tuple("" if v is None else str(v) for v in row) for row in rows]
    return pd.DataFrame(rows or None, columns=list(NOTE_COLUMNS), dtype="str") if rows else \
        pd.DataFrame({c: pd.Series(dtype="str") for c in NOTE_COLUMNS})


@dataclass(frozen=True)
class TierResult:
    """The result of ``tier_customers``. Every table has fixed columns (see ``columns.py`` and
    each field's note); money in the data's currency, shares 0..1, days are calendar days."""

    customers: pd.DataFrame  # CUSTOMER_COLUMNS, sorted by the ABC measure descending (ties by id)
    pareto: pd.DataFrame  # rank, customer_id, customer_name, measure, share, cum_share, abc_tier
    tier_summary: pd.DataFrame  # tier, customers, customer_share, revenue, revenue_share, profit, profit_share
    rfm_segments: pd.DataFrame  # rfm_segment, customers, revenue, share of customers / revenue
    rfm_classes: pd.DataFrame  # rfm_class, customers, revenue, share of customers / revenue
    lifecycle_counts: pd.DataFrame  # lifecycle, customers, revenue
    pivots: dict[str, pd.DataFrame]  # "industry" / "region" / "size" -> rows x tier counts
    sob_by_period: pd.DataFrame  # customer_id, period, revenue, sob (sob within that period)
    coverage: pd.DataFrame  # salesperson, tier, held, limit, headroom, status
    releases: pd.DataFrame  # customer_id, customer_name, salesperson, last_purchase, recency_days
    data_quality: pd.DataFrame  # DATA_QUALITY_COLUMNS
    as_of: pd.Timestamp
    measure: str  # "profit" or "revenue": what the ABC tiers rank
    settings: Settings
    # NOTE_COLUMNS (sheet, column, note_key, detail): what the reader and the core decided
    notes: pd.DataFrame = field(default_factory=lambda: notes_frame(()))
    # Since the previous refresh (empty when no previous tiers were given): see core.changes.
    tier_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    tier_change_matrix: pd.DataFrame = field(default_factory=pd.DataFrame)  # from tier x to tier counts
    # Predictive CLV, retention and cohorts (core.clv_model, core.retention; issue 10).
    clv_parameters: pd.DataFrame = field(default_factory=pd.DataFrame)  # model, parameter, value
    # sheet, column, note_key, detail: structured notes of the models (keys, no display words)
    model_notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    retention: pd.DataFrame = field(default_factory=pd.DataFrame)  # retention.RETENTION_COLUMNS
    yearly_retention: pd.DataFrame = field(default_factory=pd.DataFrame)  # YEARLY_RETENTION_COLUMNS
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)  # retention.COHORT_COLUMNS
