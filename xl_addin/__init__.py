"""Customer Tiers: SOB, ABC/Pareto, RFM, customer score, lifecycle, CLV and holding limits.

The analytics core lives in ``xl_addin.core`` (pandas/numpy only). ``xl_addin.workbook``
reads and writes files, ``xl_addin.excel`` talks to a live Excel through xlwings, and
``xl_addin.cli`` is the ``customer-tiers`` command.
"""

from .core import (
    TierResult,
    abc_tiers,
    clean_transactions,
    clv_values,
    customer_score,
    customer_totals,
    holding_coverage,
    lifecycle_stages,
    pareto_table,
    rfm_scores,
    sob,
    tier_customers,
)
from .errors import CustomerTiersError, InputError, SettingsError, WorkbookError
from .settings import HoldingRule, ScoreFactor, Settings

__version__ = "0.1.0"

__all__ = [
    "CustomerTiersError",
    "HoldingRule",
    "InputError",
    "ScoreFactor",
    "Settings",
    "SettingsError",
    "TierResult",
    "WorkbookError",
    "__version__",
    "abc_tiers",
    "clean_transactions",
    "clv_values",
    "customer_score",
    "customer_totals",
    "holding_coverage",
    "lifecycle_stages",
    "pareto_table",
    "rfm_scores",
    "sob",
    "tier_customers",
]
