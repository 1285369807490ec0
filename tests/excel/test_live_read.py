"""Reading big sheets from a live Excel: COM in row slices with progress, or the saved file."""

import datetime as dt
from unittest import mock

import openpyxl
import pandas as pd
import pytest

from xl_addin.core.clean import clean_transactions
from xl_addin.excel.live import LiveSource
from xl_addin.excel.live_read import progress_text, read_used_range, saved_file
from xl_addin.refresh import read_workbook
from xl_addin.workbook.file_book import FileSource

from .fakes import fake_book, fake_range

HEADER = ["Customer", "Date", "Amount", "Cost"]


def sales_rows(count):
    """Header + ``count`` rows as xlwings returns them: texts, datetimes, floats."""
    start = dt.datetime(2024, 1, 1)
    return [HEADER] + [[f"C{i % 37:03d}", start + dt.timedelta(days=i % 400),
                        float(i % 991) - 20.0, float(i % 113)] for i in range(count)]


class CountingSheet:
    """An autospecced sheet whose used range holds ``rows`` from ``origin``: every
    ``sheet.range(top_left, bottom_right)`` and every ``.value`` read (one COM call each in
    xlwings) is counted."""

    def __init__(self, rows, origin=(1, 1)):
        self.rows = rows
        self.first_row, self.first_column = origin
        self.value_reads = 0
        self.book = fake_book({"Sales": (rows, origin)})
        self.sheet = self.book.fakes["Sales"].sheet
        used = self.sheet.used_range
        used.shape = (len(rows), len(rows[0]))
        self._count_value(used, rows)
        self.sheet.range.side_effect = self.range

    def _count_value(self, rng, value):
        def read():
            self.value_reads += 1
            return value
        type(rng).value = mock.PropertyMock(side_effect=read)

    def range(self, top_left, bottom_right):
        (r1, c1), (r2, c2) = top_left, bottom_right
        block = [row[c1 - self.first_column: c2 - self.first_column + 1]
                 for row in self.rows[r1 - self.first_row: r2 - self.first_row + 1]]
        rng = fake_range(f"{top_left}:{bottom_right}")
        self._count_value(rng, block)
        return rng


def test_a_large_range_is_read_in_slices_with_progress():
    rows = sales_rows(250_000 - 1)  # 250,000 rows with the header
    sheet = CountingSheet(rows)
    seen = []
    values, first_row = read_used_range(sheet.sheet, chunk_rows=100_000,
                                        progress=lambda done, total: seen.append((done, total)))
    assert values == rows and first_row == 1
    assert sheet.value_reads == 3  # 100,000 + 100,000 + 50,000 rows: three COM reads
    assert sheet.sheet.range.call_count == 3
    assert seen == [(100_000, 250_000), (200_000, 250_000), (250_000, 250_000)]


def test_a_small_range_is_one_read():
    rows = sales_rows(10)
    sheet = CountingSheet(rows)
    values, _ = read_used_range(sheet.sheet, chunk_rows=100_000)
    assert values == rows and sheet.value_reads == 1 and sheet.sheet.range.call_count == 0


def test_a_used_range_right_of_column_a_and_below_row_1_is_padded_and_placed():
    rows = sales_rows(1000)
    sheet = CountingSheet(rows, origin=(3, 2))
    values, first_row = read_used_range(sheet.sheet, chunk_rows=300)
    assert first_row == 3 and sheet.value_reads == 4
    assert values == [[None] + row for row in rows]


def test_progress_text():
    assert progress_text("sales", 400_000, 1_048_575) == "reading sales: 400,000 of 1,048,575 rows"


def test_chunk_rows_must_be_positive():
    with pytest.raises(ValueError, match="chunk_rows"):
        read_used_range(CountingSheet(sales_rows(3)).sheet, chunk_rows=0)


def test_the_file_and_com_give_the_same_sale_lines(tmp_path):
    rows = sales_rows(3000)
    rows[17][2] = "n/a"  # a bad amount: left out by both, reported by both
    rows[40][1] = None  # a blank date
    path = tmp_path / "sales.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    for row in rows:
        sheet.append(row)
    book.save(path)

    with FileSource(path) as source:  # what the ribbon reads when the book is saved
        from_file = read_workbook(source).sales
    live = CountingSheet(rows)  # what the ribbon reads when the book has unsaved changes
    from_com = read_workbook(LiveSource(live.book)).sales
    assert live.value_reads >= 1
    clean_file, quality_file = clean_transactions(from_file)
    clean_com, quality_com = clean_transactions(from_com)
    assert len(clean_file) == 2998
    pd.testing.assert_frame_equal(clean_file, clean_com, check_categorical=False)
    # rows[17] is Excel row 18; both paths name the user's column
    assert quality_file[["row", "column"]].values.tolist() == [[18, "C (Amount)"], [41, "B (Date)"]]
    columns = ["sheet", "row", "column", "value", "reason"]
    pd.testing.assert_frame_equal(quality_file[columns].reset_index(drop=True),
                                  quality_com[columns].reset_index(drop=True))
    # hand-computed: rows 0..2999 minus the two left out
    amounts = [float(i % 991) - 20.0 for i in range(3000) if i not in (16, 39)]
    assert clean_file["amount"].sum() == pytest.approx(sum(amounts))


def fake_saved_book(saved, fullname):
    book = fake_book({})
    book.api.Saved = saved
    type(book).fullname = mock.PropertyMock(return_value=fullname)
    return book


def test_a_saved_book_on_disk_is_read_from_its_file(tmp_path):
    path = tmp_path / "sales.xlsm"
    path.write_bytes(b"PK")
    assert saved_file(fake_saved_book(True, str(path))) == path


@pytest.mark.parametrize("saved, name", [
    (False, "sales.xlsx"),  # changed since the last save
    (True, "Book1"),  # never saved: no such file
    (True, "missing.xlsx"),
    (True, "report.csv"),  # not a format the file reader reads
])
def test_otherwise_it_is_read_over_com(tmp_path, saved, name):
    for existing in ("sales.xlsx", "report.csv"):
        (tmp_path / existing).write_bytes(b"PK")
    assert saved_file(fake_saved_book(saved, str(tmp_path / name))) is None


def test_a_book_opened_from_the_web_is_read_over_com():
    book = fake_saved_book(True, "https://contoso.sharepoint.com/sites/x/sales.xlsx")
    assert saved_file(book) is None


def test_a_com_error_means_read_over_com():
    book = fake_book({})
    type(book.api).Saved = mock.PropertyMock(side_effect=OSError("RPC server unavailable"))
    assert saved_file(book) is None
