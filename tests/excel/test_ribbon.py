"""Ribbon callbacks against a fake live book built with create_autospec from xlwings' own
classes: what they read (used ranges), what they write (one 2-D write per block), the status
bar and the message box; and the same numbers as the headless refresh of the same data."""

import datetime as dt
from unittest import mock

import pandas as pd
import pytest
import xlwings as xw

from xl_addin import refresh as refresh_module
from xl_addin.excel import ribbon, writer
from xl_addin.excel.live import LiveSource
from xl_addin.refresh import read_workbook, refresh
from xl_addin.report.layout import build_report, settings_block
from xl_addin.report.settings_sheet import settings_rows
from xl_addin.settings import DEFAULT_SETTINGS
from xl_addin.workbook.refresh import refresh_workbook
from xl_addin.workbook.xlsx import frame_block, new_workbook, write_tables

from ..marks import mark_sheets
from .fakes import fake_book, padded

D = dt.datetime
SETTINGS = DEFAULT_SETTINGS.replace(a_cut=0.7, new_days=60)

SALES = [  # Customer ID, Date, Amount, Cost, Order
    ["Customer ID", "Date", "Amount", "Cost", "Order"],
    ["C1", D(2025, 5, 2), 1000.0, 300.0, "O1"],
    ["C1", D(2025, 6, 20), 500.0, 200.0, "O2"],
    ["C2", D(2025, 3, 10), 800.0, 600.0, "O3"],
    ["C3", D(2025, 6, 1), 400.0, 100.0, "O4"],
    ["C4", D(2024, 10, 1), 100.0, 150.0, "O5"],
    [None, D(2025, 6, 1), 10.0, 1.0, "O6"],
    ["C5", D(2025, 6, 28), 50.0, 10.0, "O7"],
    ["C5", D(2025, 6, 29), "n/a", 0.0, "O8"],
    ["C6", D(2025, 1, 15), 120.0, 20.0, "O9"],
]
CUSTOMERS = [
    ["Customer ID", "Customer Name", "Salesperson", "Region"],
    ["C1", "Acme", "Ann", "North"],
    ["C2", "=HYPERLINK(\"http://x\",\"y\")", "Ann", "South"],
    ["C3", "Beta & Sons", "Bo", "North"],
    ["C9", "Prospect Ltd", "Bo", "East"],
]
PREVIOUS_TIERS = [
    ["Customer ID", "ABC tier", "Score tier"],
    ["C1", "A", "VIP"],
    ["C2", "C", "Regular"],
    ["C4", "A", "Potential"],
]


@pytest.fixture
def live(monkeypatch):
    """A fake Book with Sales (from row 2), Customers, Settings and a previous Tiers sheet,
    returned by ``xw.Book.caller()``."""
    book = fake_book({
        "Sales": (SALES, (2, 1)),
        "Customers": CUSTOMERS,
        "Settings": settings_rows(SETTINGS, "en"),
        "Tiers": PREVIOUS_TIERS,
    })
    book.fakes["Tiers"].mark("tiers")  # written by an earlier refresh
    monkeypatch.setattr(xw.Book, "caller", mock.Mock(return_value=book))
    return book


def file_refresh(tmp_path):
    """The headless refresh of the same sheets written to a real file."""
    path = new_workbook(tmp_path / "book.xlsx", "Notes")
    sales = pd.DataFrame(SALES[1:], columns=SALES[0])
    customers = pd.DataFrame(CUSTOMERS[1:], columns=CUSTOMERS[0])
    tiers = pd.DataFrame(PREVIOUS_TIERS[1:], columns=PREVIOUS_TIERS[0])
    write_tables(path, {"Sales": [frame_block(sales, origin=(2, 1))], "Customers": customers,
                        "Settings": [settings_block(SETTINGS, "en")], "Tiers": tiers})
    mark_sheets(path, {"Tiers": "tiers"})
    return refresh_workbook(path, out=tmp_path / "refreshed.xlsx")


def assert_sheet_written(fake, spec):
    for block in spec.blocks:
        row, column = block.header_row, block.origin[1]
        assert fake.ranges[(row, column)].value == [list(block.header)], (spec.name, block.title)
        if block.title is not None:
            assert fake.ranges[block.origin].value == block.title
        if len(block.values):
            assert fake.ranges[(block.first_row, column)].value == writer.block_rows(block), spec.name


def test_refresh_writes_every_generated_sheet_with_the_headless_refresh_numbers(live, tmp_path):
    ribbon.refresh_tiers()
    expected = build_report(file_refresh(tmp_path), "en")
    live.app.alert.assert_not_called()
    for spec in expected.sheets:
        if spec.key == "settings":
            continue  # the user's Settings sheet exists: never rewritten
        assert_sheet_written(live.fakes[spec.name], spec)
    assert live.fakes["Settings"].written() == set()
    assert [s.name for s in live.sheets] == [
        "Sales", "Customers", "Settings", "Tiers", "Dashboard", "Pareto", "Summary", "Coverage",
        "Data quality", "Tier changes", "CLV model", "Retention"]  # Tiers was there; the new sheets follow, in report order
    live.fakes["Tiers"].sheet.clear.assert_called_once_with()
    assert live.fakes["Pareto"].charts.add.call_count == 2  # the Pareto chart and the ABC curve
    assert live.fakes["Dashboard"].charts.add.call_count == 4
    # the status bar shows each step and is handed back to Excel (one refresh per test file:
    # the fakes' autospec costs ~60 ms per Range)
    assert live.statuses[0] == "Customer Tiers: Refresh tiers..."
    assert "Customer Tiers: reading sales tabs" in live.statuses
    assert any(s.startswith("Customer Tiers: tiering 9 sales rows") for s in live.statuses)
    assert "Customer Tiers: writing Tiers (2/10)" in live.statuses
    assert live.statuses[-1] is False
    assert live.app.screen_updating is True


def test_refresh_reads_settings_customers_and_previous_tiers_from_the_live_sheets(live):
    report = refresh(LiveSource(live), None).report
    tiers = report.sheet("tiers").blocks[0]
    by_id = dict(zip(tiers.values.iloc[:, 0], tiers.values.itertuples(index=False, name=None)))
    assert by_id["C1"][1] == "Acme" and by_id["C2"][1].startswith("=HYPERLINK")  # master names
    assert "C9" in by_id  # a master customer with no sale line is listed (a prospect)
    changes = report.sheet("tier_changes").blocks[0].values
    moves = set(zip(changes.iloc[:, 0], changes.iloc[:, 2], changes.iloc[:, 3], changes.iloc[:, 4]))
    assert {("C2", "ABC tier", "C", "B"), ("C2", "Score tier", "Regular", "Potential"),
            ("C4", "ABC tier", "A", "D")} <= moves  # the previous Tiers sheet was read
    quality = report.sheet("data_quality").blocks[0].values
    assert sorted(zip(quality.iloc[:, 0], quality.iloc[:, 1])) == [("Sales", 8), ("Sales", 10)]


def test_a_missing_amount_column_writes_nothing_and_shows_one_alert(monkeypatch):
    rows = [[c for i, c in enumerate(r) if i != 2] for r in SALES]  # drop Amount
    book = fake_book({"Sales": rows, "Tiers": PREVIOUS_TIERS})
    monkeypatch.setattr(xw.Book, "caller", mock.Mock(return_value=book))
    ribbon.refresh_tiers()
    book.app.alert.assert_called_once()
    message = book.app.alert.call_args.args[0]
    assert "Sales" in message and "amount" in message
    assert book.app.alert.call_args.kwargs["title"] == "Customer Tiers: Refresh tiers"
    book.sheets.add.assert_not_called()
    for fake in book.fakes.values():
        assert fake.ranges == {}, fake.sheet.name
        fake.sheet.clear.assert_not_called()
    assert book.statuses[-1] is False


def test_an_unexpected_error_is_shown_and_raised(live, monkeypatch):
    monkeypatch.setattr(refresh_module, "tier_prepared",
                        mock.Mock(side_effect=ZeroDivisionError("boom")))
    with pytest.raises(ZeroDivisionError):
        ribbon.refresh_tiers()
    assert live.app.alert.call_args.args[0] == "Unexpected error (ZeroDivisionError): boom"
    assert all(f.ranges == {} for f in live.fakes.values())


def test_check_data_writes_only_the_data_quality_sheet(live, tmp_path):
    ribbon.check_data()
    expected = build_report(file_refresh(tmp_path), "en")
    assert [s.name for s in live.sheets][-1] == "Data quality"
    assert_sheet_written(live.fakes["Data quality"], expected.sheet("data_quality"))
    for name in ("Sales", "Customers", "Settings", "Tiers"):
        assert live.fakes[name].written() == set(), name
    assert [c.kwargs["name"] for c in live.sheets.add.call_args_list] == ["Data quality"]


def test_rebuild_pareto_writes_only_the_pareto_sheet_and_chart(live, tmp_path):
    ribbon.rebuild_pareto()
    expected = build_report(file_refresh(tmp_path), "en")
    assert [c.kwargs["name"] for c in live.sheets.add.call_args_list] == ["Pareto"]
    assert_sheet_written(live.fakes["Pareto"], expected.sheet("pareto"))
    assert live.fakes["Pareto"].charts.add.call_count == 2  # the Pareto chart and the ABC curve
    assert all(live.fakes[n].written() == set() for n in ("Sales", "Customers", "Settings", "Tiers"))


def test_show_settings_creates_the_sheet_with_the_defaults_when_missing(monkeypatch):
    book = fake_book({"Sales": SALES})
    monkeypatch.setattr(xw.Book, "caller", mock.Mock(return_value=book))
    ribbon.show_settings()
    book.sheets.add.assert_called_once()
    fake = book.fakes["Settings"]
    assert fake.ranges[(1, 1)].value == padded(settings_rows(DEFAULT_SETTINGS, "en"))
    fake.sheet.activate.assert_called_once_with()
    # what it wrote reads back as the defaults
    fake.sheet.used_range.value = fake.ranges[(1, 1)].value
    assert read_workbook(LiveSource(book)).settings == DEFAULT_SETTINGS
    assert [n.name for n in fake.defined_names] == ["Settings!CT_Generated"]  # marked as ours


def test_show_settings_only_activates_an_existing_sheet(monkeypatch):
    book = fake_book({"Sales": SALES, "设置": settings_rows(SETTINGS, "zh")})
    monkeypatch.setattr(xw.Book, "caller", mock.Mock(return_value=book))
    ribbon.show_settings()
    book.sheets.add.assert_not_called()
    fake = book.fakes["设置"]
    assert fake.ranges == {}
    fake.sheet.activate.assert_called_once_with()


def test_live_settings_with_values_as_excel_holds_them_parse_like_the_file(live):
    assert read_workbook(LiveSource(live)).settings == SETTINGS


def test_used_range_right_of_column_a_keeps_columns_and_rows(monkeypatch):
    body = [row[:3] for row in SALES[:4]]
    book = fake_book({"Data": (body, (3, 2))})
    sales = read_workbook(LiveSource(book)).sales
    assert sales["customer_id"].tolist() == ["C1", "C1", "C2"]
    assert sales["source_row"].tolist() == [4, 5, 6]
    assert sales["source_sheet"].tolist() == ["Data"] * 3


def test_a_live_1904_book_reads_a_serial_as_of_in_its_date_system():
    rows = [["Setting", "Value", "Description"], ["as_of", 44000.0, None]]
    book = fake_book({"Sales": SALES, "Settings": rows})
    assert read_workbook(LiveSource(book)).settings.as_of == dt.date(2020, 6, 18)  # 1900 system
    book.api = mock.Mock(Date1904=True)  # Workbook.Date1904 of Excel's object model
    assert LiveSource(book).date1904()
    assert read_workbook(LiveSource(book)).settings.as_of == dt.date(2024, 6, 19)  # 1904-01-01 + 44000
