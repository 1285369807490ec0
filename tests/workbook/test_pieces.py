"""A very large sales sheet parsed in two pieces at once (``workbook.pieces``, issue 11).

The pieces must give exactly what ONE parse of the whole sheet gives: the same frame, the same
cells that did not fit their type at the same rows. The cut is made to happen on small
workbooks by lowering ``pieces.SPLIT_MIN_BYTES`` to 0; the reference is the same read with
``pieces.worth_cutting`` saying no. Every equivalence test also checks that the pieces were
really parsed and joined (a test that silently fell back to the whole parse proves nothing).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xl_addin.workbook import pieces
from xl_addin.workbook.read import SalesBook
from xl_addin.workbook.refresh import read_sales

from .test_read import _shared_strings_for, write_book

D = dt.datetime
SHEET_PART = "xl/worksheets/sheet1.xml"
HEADER = ["Customer ID", "Customer", "Date", "Amount", "Cost"]


# -- helpers ---------------------------------------------------------------------------------


class Spy:
    """What ``load_in_pieces`` was given and gave back in the reads since the last ``clear``."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[int], int, bool]] = []  # (cut starts, header_row, joined)

    def clear(self) -> None:
        self.calls.clear()

    @property
    def joined(self) -> bool:
        return bool(self.calls) and all(joined for _, _, joined in self.calls)


@pytest.fixture
def cutting(tmp_path, monkeypatch):
    """Every sheet is worth cutting; the pieces' temporary files go to a folder of the test's
    own (listed by ``left_files``). Yields the spy on ``load_in_pieces``."""
    monkeypatch.setattr(pieces, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(pieces, "usable_cpus", lambda: 2)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    spy = Spy()
    real = pieces.load_in_pieces

    def spying(cut, header_row, parse, convert):
        starts = list(cut.starts)
        found = real(cut, header_row, parse, convert)
        spy.calls.append((starts, header_row, found is not None))
        return found

    monkeypatch.setattr(pieces, "load_in_pieces", spying)
    spy.temp = temp
    yield spy
    assert left_files(temp) == []  # whatever happened, no piece is left behind


def left_files(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("customer-tiers-piece-"))


def whole(monkeypatch, read):
    """``read()`` with the sheet parsed whole (the reference)."""
    with monkeypatch.context() as patch:
        patch.setattr(pieces, "worth_cutting", lambda size: False)
        return read()


def sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read(SHEET_PART)


def cut_before_row(monkeypatch, path, row: int) -> None:
    """Make the cut fall on Excel row ``row``: ``FIRST_PIECE`` just past the start of the
    row element before it (the cut is at the first ``<row`` at or after that share)."""
    xml = sheet_xml(path)
    before = re.search(rb'<row r="%d"' % (row - 1), xml)
    assert before is not None
    monkeypatch.setattr(pieces, "FIRST_PIECE", (before.start() + 1.5) / len(xml))
    assert pieces._cuts(xml)[1][1][0] == row - 1  # piece 2 starts at 0-based index row - 1


def rewrite_sheet(path, change) -> bytes:
    """Replace the sheet XML of ``path`` by ``change(xml)`` (every other member as it is)."""
    with zipfile.ZipFile(path) as package:
        infos = package.infolist()
        data = {info.filename: package.read(info.filename) for info in infos}
    data[SHEET_PART] = change(data[SHEET_PART])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info in infos:
            package.writestr(info.filename, data[info.filename])
    return data[SHEET_PART]


def sales_rows(count: int):
    return [[f"C{i % 7}", f"Name {i}", D(2025, 1, 1 + i % 28), float(i), i / 2] for i in range(1, count + 1)]


def assert_same_read(with_pieces: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(with_pieces, reference)
    assert with_pieces.attrs["notes"] == reference.attrs["notes"]


def assert_same_raw_cells(found, reference) -> None:
    assert found.keys() == reference.keys()
    for field, (rows, values) in found.items():
        np.testing.assert_array_equal(rows, reference[field][0])
        assert values == reference[field][1], field


def typed_columns(path):
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        return book.read_typed_columns("Sales", header, {"customer_id": 0, "customer_name": 1, "date": 2,
                                                         "amount": 3, "cost": 4})


# -- 1. the pieces give what one parse gives --------------------------------------------------


def _bad_cells_book(path, blank_above: int):
    """Header on row 1 + ``blank_above``; a blank row and a text amount in each half; a bad
    date near the end."""
    rows = [[] for _ in range(blank_above)] + [HEADER] + sales_rows(40)
    first = blank_above + 1  # the header's Excel row
    rows[first + 4 - 1][3] = "n/a"  # Excel row first + 4
    rows[first + 10 - 1] = []  # a blank row in the first half
    rows[first + 30 - 1] = []  # ... and in the second
    rows[first + 33 - 1][3] = "1,234.50"
    rows[first + 36 - 1][2] = "2025-13-45"
    return write_book(path, {"Sales": rows}), first


@pytest.mark.parametrize("blank_above", [0, 3])
@pytest.mark.parametrize("cut_at", [20, 27])  # Excel row the second piece starts at, after the header
def test_pieces_give_the_frame_and_the_data_quality_rows_of_one_parse(tmp_path, monkeypatch, cutting,
                                                                      blank_above, cut_at):
    path, first = _bad_cells_book(tmp_path / "b.xlsx", blank_above)
    cut_before_row(monkeypatch, path, first + cut_at)
    got = read_sales(path)
    assert cutting.joined and cutting.calls[0][0] == [0, first + cut_at - 1]
    reference = whole(monkeypatch, lambda: read_sales(path))
    assert_same_read(got, reference)
    # by hand: 40 data rows below the header, two of them blank
    assert len(got) == 38
    assert first + 10 not in got["source_row"].tolist() and first + 30 not in got["source_row"].tolist()
    texts = got[got["amount"].map(lambda v: isinstance(v, str))]
    assert list(zip(texts["source_row"], texts["amount"])) == [(first + 4, "n/a"), (first + 33, "1,234.50")]
    bad_dates = got[got["date"].map(lambda v: isinstance(v, str))]
    assert list(zip(bad_dates["source_row"], bad_dates["date"])) == [(first + 36, "2025-13-45")]
    last = got.iloc[-1]
    assert (last["source_row"], last["amount"], last["customer_name"]) == (first + 40, 40.0, "Name 40")


def test_typed_columns_and_raw_cells_are_those_of_one_parse(tmp_path, monkeypatch, cutting):
    path, first = _bad_cells_book(tmp_path / "b.xlsx", 0)
    cut_before_row(monkeypatch, path, 25)
    frame, raw = typed_columns(path)
    assert cutting.joined
    reference_frame, reference_raw = whole(monkeypatch, lambda: typed_columns(path))
    pd.testing.assert_frame_equal(frame, reference_frame)
    assert_same_raw_cells(raw, reference_raw)
    # raw cells at rows of the frame (the two blank rows dropped): row 5 -> 3, row 34 -> 34 - 2 - 2 = 30
    assert [(int(r), v) for r, v in zip(*raw["amount"])] == [(3, "n/a"), (30, "1,234.50")]
    assert frame["source_row"].iloc[[3, 30]].tolist() == [5, 34]


def test_empty_rows_before_the_cut_are_filled_and_dropped_as_in_one_parse(tmp_path, monkeypatch, cutting):
    # rows 17-26 hold no cell (Excel writes such rows when their height was changed): the
    # first piece's cells end on row 16, the second piece starts on row 27
    rows = [HEADER] + sales_rows(40)
    for index in range(16, 26):
        rows[index] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})

    def empty_rows(xml):
        for number in range(17, 27):
            xml = xml.replace(b'<row r="%d"' % (number + 1),
                              b'<row r="%d" ht="30" customHeight="1"/><row r="%d"' % (number, number + 1), 1)
        return xml

    xml = rewrite_sheet(path, empty_rows)
    assert b'<row r="26" ht="30" customHeight="1"/>' in xml
    cut_before_row(monkeypatch, path, 27)
    got = read_sales(path)
    assert cutting.joined
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert got["source_row"].tolist() == [*range(2, 17), *range(27, 42)]


def _booleans_and_strings_rows():
    rows = [HEADER] + sales_rows(40)
    rows[3][3], rows[35][3] = True, False  # TRUE/FALSE amounts in both halves
    rows[5][0], rows[33][1] = True, False
    rows[8] = rows[28] = []
    return rows


@pytest.mark.parametrize("strings", ["inline", "shared"])
def test_shared_and_inline_strings_and_booleans(tmp_path, monkeypatch, cutting, strings):
    path = write_book(tmp_path / "b.xlsx", {"Sales": _booleans_and_strings_rows()})
    if strings == "shared":
        path = _shared_strings_for(path, SHEET_PART, tmp_path / "shared.xlsx")
    assert (b't="s"' in sheet_xml(path)) == (strings == "shared")
    assert (b'inlineStr' in sheet_xml(path)) == (strings == "inline")
    cut_before_row(monkeypatch, path, 20)
    got = read_sales(path)
    assert cutting.joined
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    amounts = dict(zip(got["source_row"], got["amount"]))
    assert amounts[4] is True and amounts[36] is False
    ids = dict(zip(got["source_row"], got["customer_id"]))
    names = dict(zip(got["source_row"], got["customer_name"]))
    assert ids[6] is True and names[34] is False and names[35] == "Name 34"


def test_a_1904_workbook(tmp_path, monkeypatch, cutting):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    rows = [HEADER] + sales_rows(40)
    rows[7] = rows[30] = []
    rows[33][2] = "2025-02-30"
    for row in rows:
        sheet.append(row)
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.save(tmp_path / "b.xlsx")
    path = tmp_path / "b.xlsx"
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    cut_before_row(monkeypatch, path, 22)
    got = read_sales(path)
    assert cutting.joined
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    dates = dict(zip(got["source_row"], got["date"]))
    # 1904 dates arrive as 1900-system serials for the core (45658 = 2025-01-01): rows 1 and
    # 40 hold day 1 + i % 28 of January
    assert dates[2] == 45659.0 and dates[41] == 45670.0
    assert dates[34] == "2025-02-30"


ROW_KINDS = ["full", "full", "full", "blank", "text amount", "bad date", "no cost"]


@st.composite
def row_kinds(draw):
    count = draw(st.integers(2, 200))  # drawn first: lists alone come out mostly short
    return draw(st.lists(st.sampled_from(ROW_KINDS), min_size=count, max_size=count))


@given(kinds=row_kinds(), blank_above=st.integers(0, 3), share=st.floats(0.05, 0.95))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_property_random_sheets_read_the_same_in_pieces(tmp_path_factory, monkeypatch, cutting,
                                                        kinds, blank_above, share):
    """Property: whatever the rows (blank, text amounts, bad dates, a blank cost) and wherever
    the cut falls, the pieces give what one parse gives. When each piece holds a blank row
    between its cells (every column then has a missing value in both: the same columns come
    out of both), the pieces must really be joined."""
    rows = [[] for _ in range(blank_above)] + [HEADER]
    for i, kind in enumerate(kinds, start=1):
        row = [f"C{i % 9}", f"Name {i}", D(2024, 1 + i % 12, 1 + i % 28), i * 1.5, float(i)]
        if kind == "blank":
            row = []
        elif kind == "text amount":
            row[3] = f"about {i}"
        elif kind == "bad date":
            row[2] = f"2024-{13 + i % 5}-01"
        elif kind == "no cost":
            row[4] = None
        rows.append(row)
    rows.append(["C0", "Last", D(2024, 12, 31), 1.0, 1.0])  # every column reaches the last row
    path = write_book(tmp_path_factory.mktemp("p") / "b.xlsx", {"Sales": rows})
    monkeypatch.setattr(pieces, "FIRST_PIECE", share)
    cutting.clear()
    got = read_sales(path)
    calls = list(cutting.calls)
    event("joined" if cutting.joined else "no cut" if not calls else
          "header in the second piece" if calls[0][0][1] <= blank_above + 1 else "parsed whole")
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    header_row = blank_above + 1
    expected_rows = [header_row + i for i, kind in enumerate(kinds, start=1) if kind != "blank"]
    assert got["source_row"].tolist() == [*expected_rows, header_row + len(kinds) + 1]
    if calls and calls[0][0][1] > header_row:
        second = calls[0][0][1] + 1  # Excel row the second piece starts at
        first = [kind for row, kind in enumerate(kinds, start=header_row + 1) if row < second]
        later = kinds[len(first):]

        def blank_inside(part):  # a blank row with cells before and after it in the piece
            filled = [i for i, kind in enumerate(part) if kind != "blank"]
            return bool(filled) and any(kind == "blank" for kind in part[filled[0]:filled[-1]])

        if blank_inside(["header", *first]) and blank_inside([*later, "last"]):
            event("must be joined")
            assert cutting.joined, (kinds, calls)
