"""Customer Tiers: SOB, ABC/Pareto, RFM, customer score, lifecycle, CLV and holding limits.

The analytics core lives in ``xl_addin.core`` (pandas/numpy only). ``xl_addin.workbook``
reads and writes files, ``xl_addin.excel`` talks to a live Excel through xlwings, and
``xl_addin.cli`` is the ``customer-tiers`` command.
"""

from .errors import CustomerTiersError, InputError, SettingsError, WorkbookError
from .settings import HoldingRule, ScoreFactor, Settings

__version__ = "0.1.0"

# The core's functions are imported on first use (PEP 562): ``import xl_addin`` stays light,
# so the command can start opening a workbook before pandas and the core are imported
# (``cli.refresh``, ``workbook.reader_prefetch``).
_FROM_CORE = frozenset({
    "TierResult",
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
})


def __getattr__(name: str):
    if name in _FROM_CORE:
        from . import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted([
    "CustomerTiersError",
    "HoldingRule",
    "InputError",
    "ScoreFactor",
    "Settings",
    "SettingsError",
    "WorkbookError",
    "__version__",
    *_FROM_CORE,
])
