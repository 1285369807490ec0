"""Workbooks in the 1904 date system: date cells and plain serials read as Excel shows them."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from xl_addin.core.clean import parse_dates
from xl_addin.core.columns import DATE
from xl_addin.workbook.read import SalesBook, SheetHeader
from xl_addin.workbook.refresh import read_sales

from .corpus import add_sales_sheet

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


def _read_settings_of(path):
    from xl_addin.refresh import read_workbook
    from xl_addin.workbook.file_book import FileSource

    with FileSource(path) as source:
        return read_workbook(source).settings


def _book_with_as_of(path, value, mac):
    book = openpyxl.Workbook()
    if mac:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Customer ID", "Date", "Amount"])
    sheet.append(["A", dt.datetime(2025, 3, 1), 10])
    settings = book.create_sheet("Settings")
    settings.append(["Setting", "Value", "Description"])
    settings.append(["as_of", value, None])
    book.save(path)
    return path


@pytest.mark.parametrize("mac, value, expected", [
    # a plain number in as_of is a serial in the workbook's own date system, as Excel shows it:
    # 1900 system 44000 = 2020-06-18; 1904 system 44000 = 1904-01-01 + 44000 days = 2024-06-19
    (False, 44000, dt.date(2020, 6, 18)),
    (True, 44000, dt.date(2024, 6, 19)),
    (True, 0, dt.date(1904, 1, 1)),
    (True, dt.datetime(2025, 6, 30), dt.date(2025, 6, 30)),  # a date cell
    (True, "2025-06-30", dt.date(2025, 6, 30)),
], ids=["1900-serial", "1904-serial", "1904-serial-0", "1904-date-cell", "1904-text"])
def test_as_of_in_settings_follows_the_date_system(tmp_path, mac, value, expected):
    path = _book_with_as_of(tmp_path / "b.xlsx", value, mac)
    assert _read_settings_of(path).as_of == expected


def test_as_of_that_is_no_date_names_the_cell_and_says_what_to_do(tmp_path):
    from xl_addin.errors import SettingsError

    path = _book_with_as_of(tmp_path / "b.xlsx", -5, True)
    with pytest.raises(SettingsError) as caught:
        _read_settings_of(path)
    assert str(caught.value) == (
        "Settings!B2 (as_of) holds '-5', which is not a date: date out of range (before "
        "1900-01-01 or after 9999-12-31). Type the analysis date as yyyy-mm-dd, for example "
        "2025-06-30, or clear the cell to use the latest sale date.")


def test_a_real_1904_workbook_with_a_settings_sheet_reads_as_of_in_1904(tmp_path):
    path = CORPUS / "sheetjs__1904.xlsx"
    if not path.exists():
        pytest.skip("excel corpus not available")
    with_sales = add_sales_sheet(path, tmp_path / "sales.xlsx")
    book = add_sales_sheet(with_sales, tmp_path / "book.xlsx", "Settings",
                           rows=[("Setting", "Value"), ("as_of", 44000)],
                           part="xl/worksheets/sheetSettingsCT.xml")
    assert _read_settings_of(book).as_of == dt.date(2024, 6, 19)
    # the date cells of Sheet1 (column B) as text are the dates Excel's TEXT() gave (column C)
    with SalesBook.open(book) as opened:
        rows = opened.read_rows("Sheet1")
    assert [r[1] for r in rows] == [f"{r[2]} 00:00:00" for r in rows]
    assert rows[0][1] == "1904-01-02 00:00:00"
