"""Object columns mixing text, numbers, dates and blanks: each cell keeps its own type."""

import datetime as dt

import openpyxl
import pandas as pd

from xl_addin.workbook.xlsx import new_workbook, write_tables


def test_a_large_mixed_column_keeps_each_cells_type(tmp_path):
    rows = 300  # above the size where whole-column groups are used
    amounts = [float(i) + 0.25 for i in range(rows)]
    amounts[7] = "n/a"
    amounts[8] = None
    amounts[9] = True
    dates = [dt.datetime(2025, 1, 1) + dt.timedelta(days=i) for i in range(rows)]
    dates[3] = "2025-13-45"
    dates[4] = dt.date(2024, 2, 29)
    frame = pd.DataFrame({
        "Id": [f"C{i}" for i in range(rows)],
        "Amount": pd.Series(amounts, dtype=object),
        "Date": pd.Series(dates, dtype=object),
    })
    path = tmp_path / "mixed.xlsx"
    new_workbook(path, sheet_name="Notes")
    write_tables(path, {"Sales": frame})

    sheet = openpyxl.load_workbook(path)["Sales"]
    assert sheet["B2"].value == 0.25
    assert sheet["B9"].value == "n/a" and sheet["B9"].data_type == "s"
    assert sheet["B10"].value is None
    assert sheet["B11"].value is True
    assert sheet["B301"].value == 299.25
    assert sheet["C2"].value == dt.datetime(2025, 1, 1)
    assert sheet["C5"].value == "2025-13-45"
    assert sheet["C6"].value == dt.datetime(2024, 2, 29)
    assert sheet["C301"].value == dt.datetime(2025, 1, 1) + dt.timedelta(days=299)
    assert [sheet.cell(row=r, column=1).value for r in (2, 150, 301)] == ["C0", "C148", "C299"]
