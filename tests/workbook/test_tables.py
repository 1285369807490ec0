"""workbook.tables: the pure detection shared by the file reader and the ribbon. Hand-made
header rows and values."""

import subprocess
import sys

import pandas as pd
import pytest

from xl_addin.errors import InputError
from xl_addin.settings import Settings
from xl_addin.workbook import tables
from xl_addin.workbook.tables import SheetHeader

def test_first_header_skips_blank_rows_and_cuts_trailing_empties():
    rows = [[None, None], ["  ", None], [None, "Date", "Amount", " ", None]]
    assert tables.first_header(rows, first_row=3) == SheetHeader(5, (None, "Date", "Amount"))
    assert tables.first_header([[None], []]) == SheetHeader(0, ())


def test_sales_sheets_by_name_prefix_or_header_never_generated_or_master():
    headers = {
        "Sales 2025": SheetHeader(1, ("x",)),  # decided by its name
        "Data": SheetHeader(2, ("客户", "日期", "金额")),
        "Notes": SheetHeader(1, ("Customer", "Comment")),
        "Customers": SheetHeader(1, ("Customer", "Date", "Amount")),
        "Tiers": SheetHeader(1, ("Customer ID", "Date", "Amount")),
        "xlwings.conf": SheetHeader(1, ("Customer", "Date", "Amount")),
        "Empty": SheetHeader(0, ()),
    }
    asked = []

    def header(name):
        asked.append(name)
        return headers[name]

    assert tables.sales_sheet_names(list(headers), header, Settings()) == ["Sales 2025", "Data"]
    assert "Sales 2025" not in asked and "Tiers" not in asked and "Customers" not in asked


def test_sales_sheets_named_in_settings_must_exist():
    assert tables.sales_sheet_names(["Q1", "q2"], lambda n: SheetHeader(0, ()),
                                    Settings(sales_sheets=("Q2", "Q1"))) == ["q2", "Q1"]
    with pytest.raises(InputError, match="The sales sheet 'Q3' listed in Settings"):
        tables.sales_sheet_names(["Q1"], lambda n: SheetHeader(0, ()), Settings(sales_sheets=("Q3",)))


def test_customer_master_sheet():
    assert tables.customers_sheet_name(["Sales", "客户"], Settings()) == "客户"
    assert tables.customers_sheet_name(["Sales", "Accounts"], Settings(customers_sheet="accounts")) == "Accounts"
    assert tables.customers_sheet_name(["Sales"], Settings()) is None
    with pytest.raises(InputError, match="The customer sheet 'CRM' named in Settings"):
        tables.customers_sheet_name(["Sales"], Settings(customers_sheet="CRM"))


def test_the_pure_module_loads_no_file_or_excel_library():
    code = ("import sys, xl_addin.workbook.tables; "
            "print(sorted(m for m in ('fastexcel', 'openpyxl', 'xlwings', 'python_calamine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_previous_tiers_map_score_labels_of_either_language_back_to_their_keys():
    frame = tables.previous_tiers_frame(
        pd.Series([" 1001", "1002", None, "1004", "1005", "1006"], dtype="str"),
        pd.Series(["A", "b tier", "A", "", "C", "D"], dtype="str"),
        pd.Series(["VIP", "潜力客户", "Regular", "Someone else", None, "普通客户"], dtype="str"))
    assert frame["customer_id"].tolist() == ["1001", "1002", "1004", "1005", "1006"]  # no id: left out
    assert frame["abc_tier"].tolist()[:2] == ["A", "B"] and frame["abc_tier"].isna().tolist() == [
        False, False, True, False, False]
    assert frame["score_tier"].tolist()[:2] == ["VIP", "Potential"]
    assert frame["score_tier"].isna().tolist() == [False, False, True, True, False]  # unknown, blank
    assert frame["score_tier"].iloc[4] == "Regular"
    assert str(frame["score_tier"].dtype) == "str"
