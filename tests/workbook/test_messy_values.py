"""Hostile but realistic values through the file reader, refresh and check (issue 8)."""

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from xl_addin.cli import cli
from xl_addin.errors import InputError, SettingsError
from xl_addin.report.settings_sheet import settings_rows
from xl_addin.settings import Settings
from xl_addin.workbook.refresh import read_sales, read_settings

from .corpus import add_sales_sheet

D = dt.datetime


def make_book(path, sheets, hidden=(), settings_rows=None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    if settings_rows:
        sheet = book.create_sheet("Settings")
        for row in settings_rows:
            sheet.append(row)
    book.save(path)
    return path


SALES = [["Customer ID", "Date", "Amount"],
         ["C1", D(2025, 1, 5), 100.0],
         ["C2", D(2025, 2, 1), 50.0],
         ["C1", D(2205, 3, 1), 70.0],  # a typo year
         ["C3", D(9999, 12, 31), 10.0],
         ["C3", D(2300, 1, 1), 10.0]]


def rows_of(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_dates_after_2262_do_not_crash_refresh_and_check_lists_the_same_rows(tmp_path):
    path = make_book(tmp_path / "b.xlsx", {"Sales": SALES})
    checked = CliRunner().invoke(cli, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "No problems found" not in checked.output
    assert checked.output.count("date in the future") == 3
    refreshed = CliRunner().invoke(cli, ["refresh", str(path), "--out", str(tmp_path / "o.xlsx")])
    assert refreshed.exit_code == 0, refreshed.output
    quality = [r for r in rows_of(tmp_path / "o.xlsx", "Data quality")[1:] if r[0]]
    assert [(r[1], r[2], r[4]) for r in quality] == [
        (4, "B (Date)", "date in the future"), (5, "B (Date)", "date in the future"),
        (6, "B (Date)", "date in the future")]


def test_as_of_9999_12_31_works_and_the_dates_are_written_back(tmp_path):
    path = make_book(tmp_path / "b.xlsx", {"Sales": SALES})
    out = tmp_path / "o.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(path), "--out", str(out), "--as-of", "9999-12-31"])
    assert result.exit_code == 0, result.output
    tiers = openpyxl.load_workbook(out)["Tiers"]
    header = [c.value for c in tiers[1]]
    last = header.index("Last purchase")
    values = {row[0].value: row[last].value for row in tiers.iter_rows(min_row=2)}
    assert values["C3"] == D(9999, 12, 31)
    assert values["C1"] == D(2205, 3, 1)


def test_hidden_sales_tab_is_skipped_unless_named_in_settings(tmp_path):
    path = make_book(tmp_path / "b.xlsx", {"Sales": SALES[:3], "Sales (backup)": SALES[:3]},
                     hidden=("Sales (backup)",))
    sales = read_sales(path)
    assert len(sales) == 2
    assert ("Sales (backup)", "", "sheet_hidden_skipped", "") in sales.attrs["notes"]
    both = read_sales(path, Settings(sales_sheets=("Sales", "Sales (backup)")))
    assert len(both) == 4


def test_duplicate_headers_note_names_the_one_used(tmp_path):
    rows = [["Customer ID", "Date", "Amount", "Amount"], ["C1", D(2025, 1, 1), 5.0, 7.0]]
    sales = read_sales(make_book(tmp_path / "b.xlsx", {"Sales": rows}))
    assert sales["amount"].tolist() == [5.0]
    assert ("Sales", "amount", "header_duplicate", "C (Amount), D (Amount)") in sales.attrs["notes"]


def test_a_column_map_line_matching_no_header_is_an_error_naming_it(tmp_path):
    rows = [["Customer ID", "Date", "Gross Amount", "Amount"], ["C1", D(2025, 1, 1), 5.0, 7.0]]
    path = make_book(tmp_path / "b.xlsx", {"Sales": rows})
    with pytest.raises(InputError) as caught:
        read_sales(path, Settings(column_map=(("amount", "Net Amount"),)))
    assert str(caught.value) == (
        "The column_map line 'amount | Net Amount' in the Settings sheet matches no header of "
        "the sales tabs (Sales: 'Customer ID', 'Date', 'Gross Amount', 'Amount'). Correct the "
        "header in that line (column C) to one of these headers, or delete the line.")
    settings = settings_rows(Settings(column_map=(("amount", "Net Amount"),)))
    path = make_book(tmp_path / "c.xlsx", {"Sales": rows}, settings_rows=settings)
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 3, result.output
    assert "Net Amount" in result.output


def test_a_settings_cell_holding_an_error_value_is_an_error_naming_the_cell(tmp_path):
    import re
    import zipfile

    path = make_book(tmp_path / "b.xlsx", {"Sales": SALES[:2]},
                     settings_rows=[["Setting", "Value"], ["a_cut", 0.5]])
    with zipfile.ZipFile(path) as package:
        parts = {n: package.read(n) for n in package.namelist()}
    name = "xl/worksheets/sheet2.xml"
    parts[name] = re.sub(rb'<c r="B2"[^>]*>.*?</c>', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
                         parts[name])
    with zipfile.ZipFile(path, "w") as package:
        for n, data in parts.items():
            package.writestr(n, data)
    with pytest.raises(SettingsError, match=r"Settings!B2 holds the error value #DIV/0!"):
        read_settings(path)


def test_decimal_comma_text_and_day_first_dotted_dates_through_refresh(tmp_path):
    rows = [["Customer ID", "Date", "Amount"],
            ["C1", "01.03.2025", "1.234,50"],
            ["C2", "13.03.2025", "1 234,50"],
            ["C3", "02.03.2025", "(500)"],
            ["C3", "03.03.2025", True],
            [True, "03.03.2025", 5.0]]
    path = make_book(tmp_path / "b.xlsx", {"Sales": rows})
    out = tmp_path / "o.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "decimal mark" in result.output  # the choice is reported
    tiers = openpyxl.load_workbook(out)["Tiers"]
    header = [c.value for c in tiers[1]]
    revenue = {r[0].value: r[header.index("Revenue")].value for r in tiers.iter_rows(min_row=2)}
    assert revenue == {"C1": 1234.5, "C2": 1234.5, "C3": -500.0}
    last = {r[0].value: r[header.index("Last purchase")].value for r in tiers.iter_rows(min_row=2)}
    assert last["C1"] == D(2025, 3, 1)  # not 3 January
    quality = [r for r in rows_of(out, "Data quality")[1:] if r[0]]
    assert [(r[1], r[2], r[4]) for r in quality] == [
        (5, "C (Amount)", "TRUE/FALSE is not a number"),
        (6, "A (Customer ID)", "TRUE/FALSE is not a customer id")]


def test_cli_errors_start_on_a_new_line_after_the_progress_text(tmp_path):
    rows = [["Customer ID", "Date", "Gross Amount"], ["C1", D(2025, 1, 1), 5.0]]
    path = make_book(tmp_path / "b.xlsx", {"Sales": rows},
                     settings_rows=settings_rows(Settings(column_map=(("amount", "Net"),))))
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 3
    assert "Reading sales tabs ...\nError:" in result.output


def test_no_usable_line_names_the_first_cell_as_excel_does_and_what_to_do(tmp_path):
    rows = [["Customer ID", "Date", "Amount"], ["C1", D(2025, 1, 1), "n/a"], ["C2", D(2025, 1, 2), "x"]]
    path = make_book(tmp_path / "b.xlsx", {"Sales": rows})
    result = CliRunner().invoke(cli, ["refresh", str(path)])
    assert result.exit_code == 3
    assert "Sales!C2 (Amount): amount is not a number" in result.output
    assert "then try again" in result.output


def test_text_over_32767_characters_is_cut_in_the_written_sheets_with_a_note(tmp_path):
    long_name, long_amount = "N" * 40_000, "9" * 32_700 + "x" * 100  # a text amount: Data quality
    rows = [["Customer ID", "Customer", "Date", "Amount"],
            ["C1", long_name, "2025-01-05", 100.0],
            ["C2", "Beta", "2025-02-01", long_amount],
            ["C2", "Beta", "2025-02-03", 50.0]]
    # openpyxl cuts a text at the limit as it saves: the sheet is written as another tool would
    path = add_sales_sheet(make_book(tmp_path / "a.xlsx", {"Notes": [["x"]]}), tmp_path / "b.xlsx",
                           "Sales", rows=rows, part="xl/worksheets/sheetLong.xml")
    out = tmp_path / "o.xlsx"
    result = CliRunner().invoke(cli, ["refresh", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    tiers = openpyxl.load_workbook(out, read_only=True)["Tiers"]
    names = {r[0]: r[1] for r in tiers.iter_rows(min_row=2, values_only=True) if r[0]}
    assert names["C1"] == "N" * 32_767 and names["C2"] == "Beta"
    quality = [r for r in rows_of(out, "Data quality")[1:] if r[0]]
    assert [(r[0], r[1], r[2], r[3]) for r in quality[:1]] == [
        ("Sales", 3, "D (Amount)", "9" * 32_700 + "x" * 67)]
    cells = [str(c) for r in rows_of(out, "Data quality") for c in r if c]
    assert any("32,767" in c for c in cells)  # the Notes block says a text was cut
