"""The analytics core: pandas/numpy only, no file or Excel I/O.

``tier_customers`` runs everything (= ``tier_prepared(prepare_lines(...))``: the passes over
the sale lines, then the per-customer work); the metric functions are exported for the UDFs. The CLV
models (``bgnbd``, ``gamma_gamma``, ``clv_model``) import scipy and are imported on first use.
"""

from .abc import abc_flags, abc_measure, abc_tiers, pareto_table
from .changes import tier_changes
from .clean import clean_transactions
from .clv import clv_values
from .customer_summary import CUSTOMER_SUMMARY_COLUMNS, customer_summary
from .holding import holding_coverage, release_candidates
from .lifecycle import lifecycle_stages
from .pipeline import LineSettings, PreparedLines, line_settings, prepare_lines, tier_customers, tier_prepared
from .ranking import percent_rank_inc, percentile_inc_scores
from .result import TierResult
from .retention import cohort_table, retention_table, yearly_retention
from .rfm import rfm_from_totals, rfm_scores
from .score import customer_score
from .sob import customer_totals, segment_sob, sob
from .summary import lifecycle_counts, rfm_class_counts, rfm_segment_counts, tier_pivots, tier_summary

__all__ = [
    "CUSTOMER_SUMMARY_COLUMNS",
    "LineSettings",
    "PreparedLines",
    "TierResult",
    "abc_flags",
    "abc_measure",
    "abc_tiers",
    "clean_transactions",
    "clv_values",
    "cohort_table",
    "customer_summary",
    "customer_score",
    "customer_totals",
    "holding_coverage",
    "lifecycle_counts",
    "lifecycle_stages",
    "line_settings",
    "pareto_table",
    "percent_rank_inc",
    "percentile_inc_scores",
    "prepare_lines",
    "release_candidates",
    "retention_table",
    "rfm_class_counts",
    "rfm_from_totals",
    "rfm_scores",
    "rfm_segment_counts",
    "segment_sob",
    "sob",
    "tier_changes",
    "tier_customers",
    "tier_pivots",
    "tier_prepared",
    "tier_summary",
    "yearly_retention",
]
