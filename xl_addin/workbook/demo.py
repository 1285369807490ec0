"""The demo workbook: the template (or a blank workbook) filled with seeded demo data, refreshed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from ..core.result import TierResult
from ..demo import demo_customers, demo_holding_rules, demo_transactions
from ..report.layout import settings_block
from ..settings import Settings
from .refresh import refresh_workbook
from .xlsx import write_tables

SALES_SHEET = "Sales"
CUSTOMERS_SHEET = "Customers"
SETTINGS_SHEET = {"en": "Settings", "zh": "设置"}
TEMPLATE_SETTINGS_SHEET = "Settings"  # the template's own sheet, bound to its VBA codeName


def default_demo_path(folder: str | Path = ".") -> Path:
    """demo.xlsm when the template can be built (it always ships with the package)."""
    return Path(folder) / "demo.xlsm"


def write_demo_workbook(
    out: str | Path | None = None,
    *,
    customers: int = 400,
    rows: int = 20_000,
    seed: int = 7,
    language: str = "en",
    progress: Callable[[str], None] = lambda step: None,
) -> tuple[Path, TierResult]:
    """Write a demo workbook to ``out`` (default ``demo.xlsm`` here) and refresh it.

    An ``.xlsm`` target starts from the Customer Tiers template (ribbon, VBA, xlwings.conf);
    an ``.xlsx`` target from a blank workbook. The Sales, Customers and Settings sheets hold
    seeded demo data and demo holding limits; then the tier sheets are generated.
    """
    from ..template.build import copy_template
    from .xlsx import new_workbook

    path = Path(out) if out is not None else default_demo_path()
    progress(f"Generating {rows:,} demo sales rows for {customers:,} customers")
    sales = demo_transactions(customers=customers, rows=rows, seed=seed, language=language)
    master = demo_customers(customers=customers, seed=seed, language=language)
    settings = Settings(
        language=language,
        holding_rules=demo_holding_rules(customers=customers, seed=seed, language=language),
    )
    progress(f"Writing {path.name}")
    with tempfile.TemporaryDirectory() as scratch_folder:
        scratch = Path(scratch_folder) / f"start{path.suffix or '.xlsx'}"
        if path.suffix.lower() == ".xlsm":
            copy_template(scratch)
            settings_sheet = TEMPLATE_SETTINGS_SHEET
        else:
            new_workbook(scratch, sheet_name=SALES_SHEET)
            settings_sheet = SETTINGS_SHEET[language]
        write_tables(scratch, {  # one atomic write into place
            SALES_SHEET: sales,
            CUSTOMERS_SHEET: master,
            settings_sheet: [settings_block(settings, language)],
        }, dest=path)
    result = refresh_workbook(path, progress=progress)
    return path, result
