"""Customer Tiers: SOB, ABC/Pareto, RFM, customer score, lifecycle, CLV and holding limits.

The analytics core lives in ``xl_addin.core`` (pandas/numpy only). ``xl_addin.workbook``
reads and writes files, ``xl_addin.excel`` talks to a live Excel through xlwings, and
``xl_addin.cli`` is the ``customer-tiers`` command.
"""

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
    "WorkbookError",
    "__version__",
]
