"""Workbooks in the 1904 date system: date cells and plain serials read as Excel shows them."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from xl_addin.core.clean import parse_dates
from xl_addin.core.columns import DATE
from xl_addin.workbook.read import SalesBook, SheetHeader, read_sales

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "excel-corpus"


def test_a_real_1904_workbook_reads_the_dates_excel_shows():
    path = CORPUS / "sheetjs__1904.xlsx"
    if not path.exists():
        pytest.skip("excel corpus not available")
    # Sheet1: A serial, B the same serial as a date cell, C =TEXT(B, "YYYY-MM-DD") as Excel
    # computed it (1904-01-02 for serial 1); fastexcel alone reads B 1,462 days early
    with SalesBook.open(path) as book:
        assert book.date1904
        frame = book._read_fields("Sheet1", SheetHeader(0, ()), {DATE: 1, "text": 2}, (DATE,))
    texts = [c.value for c in openpyxl.load_workbook(path, data_only=True)["Sheet1"]["C"]]
    dates = parse_dates(pd.Series(frame[DATE], dtype=object))
    assert [d.strftime("%Y-%m-%d") for d in dates] == texts
    assert texts[0] == "1904-01-02"


def test_a_hand_made_1904_workbook_date_cells_plain_serials_and_text(tmp_path):
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Customer ID", "Date", "Amount"])
    sheet.append(["A", dt.datetime(2025, 3, 1), 10])
    sheet.append(["B", 44000, 5])  # a plain number: 1904-01-01 + 44000 days
    sheet.append(["C", "2025-03-02", 7])
    path = tmp_path / "mac.xlsx"
    book.save(path)
    sales = read_sales(path)
    dates = parse_dates(pd.Series(sales[DATE], dtype=object))
    expected = [dt.date(2025, 3, 1), dt.date(1904, 1, 1) + dt.timedelta(days=44000), dt.date(2025, 3, 2)]
    assert [d.date() for d in dates] == expected
