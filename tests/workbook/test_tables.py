"""workbook.tables: the pure detection shared by the file reader and the ribbon. Hand-made
header rows and values; and the same answers as SalesBook on a real file holding those values."""

import datetime as dt
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from xl_addin.core.clean import clean_transactions
from xl_addin.errors import InputError
from xl_addin.settings import Settings
from xl_addin.workbook import tables
from xl_addin.workbook.refresh import read_previous_tiers, read_sales
from xl_addin.workbook.tables import SheetHeader

from .test_read import mark_as_ours

D = dt.datetime
SALES = [
    ["Customer ID", "Order Date", "Amount (USD)", "Cost", None, "Note"],
    ["C1", D(2025, 1, 5), 100.0, 10.0, None, "=1+1"],
    [1001.0, D(2025, 2, 1), 250.5, None, None, None],
    [None, None, None, None, None, None],
    ["C1", D(2025, 3, 1), "n/a", 3.0, None, "-"],
    ["  ", D(2025, 3, 2), 5.0, None, None, None],
]


def write_book(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (rows, first_row) in sheets.items():
        sheet = book.create_sheet(name)
        for offset, row in enumerate(rows):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(first_row + offset, column, value)
    book.save(path)
    return path


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


def test_a_missing_amount_column_names_the_sheet_the_field_and_the_headers():
    rows = [["Customer", "Date", "Qty"], ["C1", D(2025, 1, 1), 3]]
    with pytest.raises(InputError) as error:
        tables.sales_from_values("Orders", rows, Settings())
    assert error.value.sheet == "Orders" and error.value.column == "amount"
    assert str(error.value) == (
        "Sheet 'Orders' has no amount column: its header row (row 1, the first non-empty row) "
        "holds 'Customer', 'Date', 'Qty'. Rename the header of your amount column to Amount "
        "(金额), or add a line to the column_map section of the Settings sheet naming the field "
        "and your header, for example 'amount | Net Value'.")


def test_sales_from_values_hand_checked():
    frame, notes = tables.sales_from_values("Sales", [[], *SALES], Settings(), first_row=3)
    assert list(frame.columns) == ["customer_id", "date", "amount", "cost", "source_sheet", "source_row"]
    assert frame["source_row"].tolist() == [5, 6, 8, 9]  # header in row 4, row 7 empty
    assert frame["customer_id"].tolist() == ["C1", 1001.0, "C1", "  "]  # raw, for the core
    assert frame["amount"].tolist() == [100.0, 250.5, "n/a", 5.0]
    assert notes[0][2] == "sheet_read"
    assert not [n for n in notes if n[2] == "header_duplicate"]


def test_live_values_and_the_file_reader_give_the_same_clean_sales(tmp_path):
    other = [["Customer", "Date", "Revenue"], ["Acme", D(2025, 4, 1), 9.0], ["Beta", "2025-04-02", 1.0]]
    path = write_book(tmp_path / "b.xlsx", {"Sales": (SALES, 2), "Shop": (other, 1)})
    settings = Settings()
    from_file = read_sales(path, settings)
    live = {"Sales": ([[], *SALES], 1), "Shop": (other, 1)}
    names = tables.sales_sheet_names(list(live), lambda n: tables.first_header(*live[n]), settings)
    frames = [tables.sales_from_values(n, live[n][0], settings, live[n][1])[0] for n in names]
    from_values = tables.combine(frames, names)
    assert names == ["Sales", "Shop"]
    assert from_values["source_row"].tolist() == from_file["source_row"].tolist()
    assert from_values["source_sheet"].tolist() == from_file["source_sheet"].tolist()
    clean_file, quality_file = clean_transactions(from_file)
    clean_values, quality_values = clean_transactions(from_values)
    pd.testing.assert_frame_equal(clean_values, clean_file)
    pd.testing.assert_frame_equal(quality_values, quality_file)


def test_previous_tiers_from_values_equal_the_file_readers(tmp_path):
    rows = [["客户编号", "客户名称", "ABC分类", "评分等级"],
            [1001.0, "甲", "A", "重要客户 (VIP)"], ["C2", "乙", "b", "普通客户"],
            [None, "丙", "C", None], ["C4", "丁", "-", "潜在客户"]]
    path = mark_as_ours(write_book(tmp_path / "t.xlsx", {"Sales": (SALES, 1), "客户分级": (rows, 1)}),
                        "客户分级", "tiers")
    from_file = read_previous_tiers(path)
    from_values = tables.previous_tiers_from_values(rows)
    pd.testing.assert_frame_equal(from_values, from_file)
    assert from_values["customer_id"].tolist() == ["1001", "C2", "C4"]
    assert from_values["abc_tier"].tolist()[:2] == ["A", "B"] and pd.isna(from_values["abc_tier"][2])
    assert from_values["score_tier"].tolist() == ["VIP", "Regular", "Potential"]
    assert tables.previous_tiers_from_values([["Customer ID", "Revenue"], ["C1", 1.0]]) is None


def test_customer_master_keeps_numeric_extra_columns_and_falls_back_to_names():
    rows = [["Account Name", "Region", "Credit days", "Remark"],
            ["Acme", "North", 30, "ok"], ["Beta", None, 45.5, 7], [None, None, None, None]]
    frame = tables.customers_from_values("Customers", rows, Settings())
    assert list(frame.columns) == ["customer_id", "customer_name", "region", "credit_days",
                                   "source_sheet", "source_row"]
    assert frame["customer_id"].tolist() == ["Acme", "Beta"]
    assert frame["credit_days"].tolist() == [30, 45.5]
    assert frame.attrs["notes"] == ("Sheet 'Customers': no customer ids; the customer name is used as the id.",)


def test_the_pure_module_loads_no_file_or_excel_library():
    code = ("import sys, xl_addin.workbook.tables; "
            "print(sorted(m for m in ('fastexcel', 'openpyxl', 'xlwings', 'python_calamine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
