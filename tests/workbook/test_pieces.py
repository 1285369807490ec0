"""A very large sales sheet parsed in pieces, two at once (``workbook.pieces``, issue 11).

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
import threading
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


def share_before_row(monkeypatch, path, row: int) -> bytes:
    """One cut (two pieces), its share just past the start of the row element before Excel
    row ``row`` (the cut is at the first ``<row`` at or after that share that holds a number
    cell). The sheet's XML."""
    xml = sheet_xml(path)
    before = xml.rfind(b"<row", 0, xml.index(b'<row r="%d"' % row))
    assert before >= 0
    monkeypatch.setattr(pieces, "SHARES", ((before + 1.5) / len(xml),))
    return xml


def cut_before_row(monkeypatch, path, row: int) -> None:
    """Make the cut fall on Excel row ``row`` (a row with a number cell)."""
    xml = share_before_row(monkeypatch, path, row)
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
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    monkeypatch.setattr(pieces, "SHARES", (share,))
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


def test_blank_cells_in_one_piece_only_still_join_the_pieces(tmp_path, monkeypatch, cutting):
    # rows 2-41 all filled but for row 11, which is blank; the cut on row 25
    rows = [HEADER] + sales_rows(40)
    rows[10] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    cut_before_row(monkeypatch, path, 25)
    got = read_sales(path)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert cutting.calls and cutting.calls[0][0] == [0, 24]
    assert cutting.joined


def test_a_column_empty_in_one_piece_still_joins_the_pieces(tmp_path, monkeypatch, cutting):
    rows = [HEADER] + sales_rows(40)
    rows[10] = rows[30] = []  # blank rows in both pieces: nullability is not what differs
    for row in rows[21:]:
        if row:
            row[4] = None  # Cost (column E) empty from row 22 on
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    cut_before_row(monkeypatch, path, 25)
    got = read_sales(path)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert cutting.joined


def test_a_first_column_empty_in_the_second_piece_reads_as_one_parse(tmp_path, monkeypatch, cutting):
    # the second piece's cells start in column B: its columns are numbered from there, which
    # the join does not take; the sheet is parsed whole instead, with the same result
    rows = [HEADER] + sales_rows(40)
    for row in rows[21:]:
        row[0] = None  # Customer ID (column A) empty from row 22 on: those rows are refused
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    cut_before_row(monkeypatch, path, 25)
    got = read_sales(path)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert cutting.calls and not cutting.joined


def test_a_whole_book_reads_the_same_with_every_sheet_cut(tmp_path, monkeypatch, cutting):
    """Two sales tabs, a customer master and Settings, every sheet cut: the sales, the
    customers and the settings are those of whole parses (after a sheet read in pieces the
    workbook's own parser is dropped; the next sheet opens what it needs)."""
    from xl_addin.workbook.refresh import read_book

    first = [HEADER] + sales_rows(30)
    second = [["客户编号", "客户", "日期", "金额", "成本"]] + sales_rows(24)
    first[7] = first[20] = second[5] = second[18] = []
    first[9][3] = "n/a"
    second[20][2] = "2024-02-30"
    customers = [["Customer ID", "Customer", "Region", "Credit"]] + [
        [f"C{i}", f"Name {i}", "North" if i % 2 else "South", i * 100] for i in range(7)]
    settings = [["Setting", "Value"], ["as_of", D(2025, 6, 30)], ["a_cut", 0.75]]
    path = write_book(tmp_path / "b.xlsx", {"Sales 2024": first, "Notes": [["x"]], "销售2025": second,
                                            "Customers": customers, "Settings": settings})
    monkeypatch.setattr(pieces, "SHARES", (0.5,))
    got = read_book(path)
    sales_calls = [call for call in cutting.calls if call[1] == 1]
    assert len(sales_calls) >= 2 and all(joined for _, _, joined in sales_calls[:2])
    reference = whole(monkeypatch, lambda: read_book(path))
    assert_same_read(got.sales, reference.sales)
    pd.testing.assert_frame_equal(got.customers, reference.customers)
    assert got.settings == reference.settings and got.settings.a_cut == 0.75
    assert got.sales_sheets == reference.sales_sheets
    assert got.sales["source_sheet"].astype(str).tolist() == ["Sales 2024"] * 28 + ["销售2025"] * 22
    texts = got.sales[got.sales["amount"].map(lambda v: isinstance(v, str))]
    assert list(zip(texts["source_sheet"].astype(str), texts["source_row"])) == [("Sales 2024", 10)]


# -- 2. _cuts by hand -------------------------------------------------------------------------

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _row(number: int, value: int, prefix: bytes = b"") -> bytes:
    return b'<%srow r="%d"><%sc r="A%d"><%sv>%d</%sv></%sc></%srow>' % (
        prefix, number, prefix, number, prefix, value, prefix, prefix, prefix)


def test_cuts_head_rows_and_closing_tags(monkeypatch):
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + NS + b'>'
            b'<dimension ref="A1:A9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            b'<sheetData>')
    rows = b"".join(_row(n, n * 10) for n in range(1, 10))
    xml = head + rows + b'</sheetData><mergeCells count="1"><mergeCell ref="B1:C1"/></mergeCells></worksheet>'
    for share in (0.1, 0.35, 0.5, 0.8):
        monkeypatch.setattr(pieces, "SHARES", (share,))
        at = int(len(xml) * share)
        cut = xml.index(b"<row", max(at, len(head)))  # the first row starting at or after it
        number = int(re.match(rb'<row r="(\d+)"', xml[cut:]).group(1))
        if number == 1:  # the share falls in the head: a cut on row 1 would leave nothing before
            assert share == 0.1  # it, so the cut is on the next row
            cut = xml.index(b"<row", cut + 1)
            number = 2
        got_head, got_rows, close = pieces._cuts(xml)
        assert got_head == head.replace(b'<dimension ref="A1:A9"/>', b"")
        assert [(start, bytes(piece)) for start, piece in got_rows] == [
            (0, xml[len(head):cut]), (number - 1, xml[cut:xml.index(b"</sheetData>")])]
        assert close == b"</sheetData></worksheet>"  # mergeCells left out
    monkeypatch.setattr(pieces, "SHARES", (0.35,))
    # a cut inside row 4's bytes: the next row (5) starts the second piece
    at = xml.index(_row(4, 40)) + 3
    monkeypatch.setattr(pieces, "SHARES", ((at + 0.5) / len(xml),))
    assert pieces._cuts(xml)[1][1][0] == 4


def test_cuts_a_head_without_dimension_and_row_attributes_before_r(monkeypatch):
    head = b"<worksheet " + NS + b"><sheetFormatPr defaultRowHeight=\"15\"/><sheetData>"
    rows = [b'<row spans="1:1" x14ac:dyDescent="0.25" r="%d"><c><v>1</v></c></row>' % n for n in (2, 3, 7, 8)]
    xml = head + b"".join(rows) + b"</sheetData></worksheet>"
    monkeypatch.setattr(pieces, "SHARES", ((len(head) + len(rows[0]) + len(rows[1]) - 2) / len(xml),))
    got_head, got_rows, close = pieces._cuts(xml)
    assert got_head == head  # nothing to take out
    assert [(start, bytes(piece)) for start, piece in got_rows] == [
        (0, b"".join(rows[:2])), (6, b"".join(rows[2:]))]  # cut on row 7: starts at index 6


def test_cuts_namespace_prefixed_xml(monkeypatch):
    head = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<x:dimension ref="A1:A8"/><x:sheetData>')
    rows = b"".join(_row(n, n, b"x:") for n in range(1, 9))
    xml = head + rows + b"</x:sheetData><x:pageMargins/></x:worksheet>"
    monkeypatch.setattr(pieces, "SHARES", ((xml.index(b'<x:row r="4"') + 1) / len(xml),))
    got_head, got_rows, close = pieces._cuts(xml)
    assert got_head == head.replace(b'<x:dimension ref="A1:A8"/>', b"")
    assert got_rows[1][0] == 4 and bytes(got_rows[1][1]).startswith(b'<x:row r="5">')
    assert bytes(got_rows[0][1]).endswith(_row(4, 4, b"x:"))
    assert close == b"</x:sheetData></x:worksheet>"


@pytest.mark.parametrize("xml", [
    b"<worksheet " + NS + b"><dimension ref=\"A1\"/><sheetData/></worksheet>",  # no rows
    b"<worksheet " + NS + b"><sheetData>" + _row(1, 1) + _row(2, 2) + _row(3, 3),  # no </sheetData>
    b"<worksheet " + NS + b"><sheetData>" + _row(1, 1) + b"<row><c><v>2</v></c></row>" * 3
    + b"</sheetData></worksheet>",  # rows without r
    b"<worksheet " + NS + b"><sheetData>" + _row(1, 1) + b"<row r='2'><c><v>2</v></c></row>" * 3
    + b"</sheetData></worksheet>",  # r in single quotes
    b"<worksheet " + NS + b"><sheetViews/></worksheet>",  # no sheetData at all
], ids=["empty sheetData", "no closing tag", "row without r", "r in single quotes", "no sheetData"])
def test_cuts_refuse_what_they_cannot_cut(xml, monkeypatch):
    monkeypatch.setattr(pieces, "SHARES", (0.35,))
    assert pieces._cuts(xml) is None


def test_cuts_refuse_a_cut_on_row_1():
    xml = b"<worksheet " + NS + b"><sheetData>" + _row(1, 1) + b"</sheetData></worksheet>"
    assert pieces._cuts(xml) is None  # the only row is row 1: nothing before it to cut off


# -- 3. fallbacks: the whole sheet, the same table, no file left --------------------------------


def test_header_in_the_second_piece_parses_the_sheet_whole(tmp_path, monkeypatch, cutting):
    # rows 1-3 are empty row elements (changed heights), the header on row 4 (with a number,
    # a year, so a cut can fall on it); cut on row 4
    rows = [[], [], [], HEADER + [2025]] + sales_rows(20)
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    rewrite_sheet(path, lambda xml: xml.replace(b'<row r="4"', b'<row r="1" ht="30" customHeight="1"/>'
                                                b'<row r="2" ht="30" customHeight="1"/><row r="3"/><row r="4"', 1))
    cut_before_row(monkeypatch, path, 4)
    got = read_sales(path)
    assert cutting.calls == [([0, 3], 4, False)]
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert got["source_row"].tolist() == list(range(5, 25))


def test_an_opener_that_fails_parses_the_sheet_whole(tmp_path, monkeypatch, cutting):
    rows = [HEADER] + sales_rows(30)
    rows[5] = rows[25] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    real_cut_sheet = pieces.cut_sheet
    opened = []

    def failing_second(path, part, open_reader):
        def opener(piece_path):
            opened.append(piece_path)
            if len(opened) == 2:
                raise OSError("the second piece cannot be opened")
            return open_reader(piece_path)

        return real_cut_sheet(path, part, opener)

    monkeypatch.setattr(pieces, "cut_sheet", failing_second)
    cut_before_row(monkeypatch, path, 16)
    got = read_sales(path)
    assert len(opened) == 2 and cutting.calls == [([0, 15], 1, False)]
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))


def test_a_parse_that_fails_in_one_piece_parses_the_sheet_whole(tmp_path, monkeypatch, cutting):
    rows = [HEADER] + sales_rows(30)
    rows[5] = rows[25] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    spying = pieces.load_in_pieces

    def failing_parse(cut, header_row, parse, convert):
        def parse_or_fail(reader, sheet, skip_rows, later):
            if skip_rows != header_row:
                raise RuntimeError("the second piece's parse failed")
            return parse(reader, sheet, skip_rows, later)

        return spying(cut, header_row, parse_or_fail, convert)

    monkeypatch.setattr(pieces, "load_in_pieces", failing_parse)
    cut_before_row(monkeypatch, path, 16)
    got = read_sales(path)
    assert cutting.calls == [([0, 15], 1, False)]
    monkeypatch.setattr(pieces, "load_in_pieces", spying)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))


def _with_bad_crc(path) -> None:
    """The sheet's CRC-32 changed in its local header and in the central directory: its bytes
    no longer match it."""
    data = bytearray(path.read_bytes())
    name = SHEET_PART.encode()
    for signature, crc_at in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        name_at = 30 if signature == b"PK\x03\x04" else 46
        at = 0
        while True:
            at = data.index(signature, at)
            if data[at + name_at:at + name_at + len(name)] == name:
                break
            at += 4
        data[at + crc_at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_crc_that_does_not_match_is_not_cut(tmp_path, monkeypatch, cutting):
    rows = [HEADER] + sales_rows(30)
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    _with_bad_crc(path)
    with zipfile.ZipFile(path) as package, pytest.raises(zipfile.BadZipFile):
        package.read(SHEET_PART)  # a second reader agrees: the member is damaged
    opened = []
    assert pieces.cut_sheet(path, SHEET_PART, opened.append) is None
    assert opened == [] and left_files(cutting.temp) == []
    # the read does what it does without pieces (the whole parse reports the damage or reads it)
    try:
        got = read_sales(path)
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)) as reference:
            whole(monkeypatch, lambda: read_sales(path))
        assert str(reference.value) == str(exc)
    else:
        assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert cutting.calls == []  # never cut


def test_a_sheet_whose_crc_does_not_match_is_a_workbook_error(tmp_path):
    from xl_addin.errors import WorkbookError

    path = write_book(tmp_path / "b.xlsx", {"Sales": [HEADER] + sales_rows(30)})
    _with_bad_crc(path)
    with pytest.raises(WorkbookError):
        read_sales(path)


# -- what is worth cutting ---------------------------------------------------------------------


def test_worth_cutting_needs_the_size_a_zip32_member_and_two_cpus(monkeypatch):
    monkeypatch.setattr(pieces, "usable_cpus", lambda: 2)
    assert pieces.SPLIT_MIN_BYTES == 96 * 2**20
    assert not pieces.worth_cutting(96 * 2**20 - 1)
    assert pieces.worth_cutting(96 * 2**20)
    assert pieces.worth_cutting(2**32 - 2**20 - 1)
    assert not pieces.worth_cutting(2**32 - 2**20)  # no room left below zip's 4 GiB without Zip64
    monkeypatch.setattr(pieces, "usable_cpus", lambda: 1)
    assert not pieces.worth_cutting(200 * 2**20)  # one CPU: the pieces would take turns


def test_sheet_to_cut_is_the_largest_worksheet(tmp_path, monkeypatch):
    monkeypatch.setattr(pieces, "usable_cpus", lambda: 2)
    path = write_book(tmp_path / "b.xlsx", {"Notes": [["n"]], "Sales": [HEADER] + sales_rows(30)})
    assert pieces.sheet_to_cut(path) is None  # far below 96 MB
    monkeypatch.setattr(pieces, "SPLIT_MIN_BYTES", 0)
    assert pieces.sheet_to_cut(path) == "xl/worksheets/sheet2.xml"
    (tmp_path / "c.csv").write_text("Customer,Amount\n")
    assert pieces.sheet_to_cut(tmp_path / "c.csv") is None
    assert pieces.sheet_to_cut(tmp_path / "missing.xlsx") is None


def test_the_pieces_are_stored_packages_holding_every_other_member(tmp_path, monkeypatch, cutting):
    path = write_book(tmp_path / "b.xlsx", {"Sales": [HEADER] + sales_rows(30), "Notes": [["n"]]})
    cut_before_row(monkeypatch, path, 12)
    cut = pieces.cut_sheet(path, SHEET_PART, lambda piece: piece)
    try:
        assert cut.starts == [0, 11] and len(cut.paths) == 2
        with zipfile.ZipFile(path) as source:
            names = source.namelist()
            others = {name: source.read(name) for name in names if name != SHEET_PART}
            xml = source.read(SHEET_PART)
        texts = []
        for piece_path in cut.paths:
            assert cut.reader(len(texts)) == piece_path  # the opener got the piece's path
            with zipfile.ZipFile(piece_path) as piece:
                assert piece.testzip() is None and piece.namelist() == names
                assert piece.getinfo(SHEET_PART).compress_type == zipfile.ZIP_STORED
                assert {name: piece.read(name) for name in names if name != SHEET_PART} == others
                texts.append(piece.read(SHEET_PART))
        rows = [re.findall(rb'<row r="(\d+)"', text) for text in texts]
        assert [int(n) for n in rows[0]] == list(range(1, 12))
        assert [int(n) for n in rows[1]] == list(range(12, 32))
        assert b"<dimension" in xml and not any(b"<dimension" in text for text in texts)
    finally:
        cut.remove()
    assert left_files(cutting.temp) == []


def test_the_default_cut_is_four_pieces_two_to_a_copy_each_a_sheet(tmp_path, monkeypatch, cutting):
    """``SHARES`` as shipped: four pieces; each copy holds two, the first in the sheet's
    own part and the second as a sheet of its own, which a second reader (openpyxl) reads
    as the rows of that piece; every other member as it is but the three workbook parts."""
    path = write_book(tmp_path / "b.xlsx", {"Notes": [["n"]], "Sales": [HEADER] + sales_rows(80)})
    part = "xl/worksheets/sheet2.xml"
    cut = pieces.cut_sheet(path, part, lambda copy: copy)
    try:
        assert len(cut.starts) == 4 and len(cut.copies) == len(cut.paths) == 2
        assert [[piece.sheet for piece in copy] for copy in cut.copies] == [
            [None, "customer-tiers-piece-2"], [None, "customer-tiers-piece-2"]]
        starts = cut.starts
        assert starts[0] == 0 and 1 < starts[1] < starts[2] < starts[3] < 81
        with zipfile.ZipFile(path) as source:
            names = source.namelist()
            kept = {name: source.read(name) for name in names if name not in (
                part, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")}
        ranges = [(starts[0] + 1, starts[1]), (starts[1] + 1, starts[2]),
                  (starts[2] + 1, starts[3]), (starts[3] + 1, 81)]  # Excel rows of each piece
        for copy, copy_path in enumerate(cut.paths):
            assert cut.reader(copy) == copy_path
            with zipfile.ZipFile(copy_path) as package:
                assert package.testzip() is None
                assert package.namelist() == names + ["xl/worksheets/customer-tiers-piece-2.xml"]
                assert {name: package.read(name) for name in kept} == kept
                assert all(package.getinfo(name).compress_type == zipfile.ZIP_STORED
                           for name in (part, "xl/worksheets/customer-tiers-piece-2.xml"))
            book = openpyxl.load_workbook(copy_path, read_only=True)
            assert book.sheetnames == ["Notes", "Sales", "customer-tiers-piece-2"]
            for sheet, (first, last) in zip(["Sales", "customer-tiers-piece-2"], ranges[2 * copy:]):
                rows = [row for row in book[sheet].iter_rows(values_only=True) if any(v is not None for v in row)]
                expected = ([HEADER] if first == 1 else []) + [
                    row for row in sales_rows(80)[max(first, 2) - 2:last - 1]]
                assert [list(row[:5]) for row in rows] == expected
            book.close()
    finally:
        cut.remove()
    got = read_sales(path)
    assert cutting.calls and cutting.calls[0][0] == starts and cutting.joined
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))


def test_a_later_piece_is_parsed_from_its_own_first_row(tmp_path, monkeypatch, cutting):
    """A later piece is loaded by its name in its copy with ``skip_rows`` None, and so holds
    only its own rows: the parser's grid would otherwise hold every row above it as empty
    cells (``skip_rows`` counts from row 1)."""
    path = write_book(tmp_path / "b.xlsx", {"Sales": [HEADER] + sales_rows(80)})
    seen = []
    real = pieces.load_in_pieces

    def watched(cut, header_row, parse, convert):
        def parse_watched(reader, sheet, skip_rows, later):
            parsed = parse(reader, sheet, skip_rows, later)
            seen.append((sheet, skip_rows, later, parsed.height))
            return parsed
        return real(cut, header_row, parse_watched, convert)

    monkeypatch.setattr(pieces, "load_in_pieces", watched)
    got = read_sales(path)
    assert cutting.joined and len(seen) == 4
    starts = cutting.calls[0][0]
    ends = starts[1:] + [81]
    assert sorted(seen, key=repr) == sorted(
        [(None, 1, False, starts[1] - 1)]  # the header row skipped
        + [(name, None, True, end - start) for name, start, end in zip(
            ["customer-tiers-piece-2", None, "customer-tiers-piece-2"], starts[1:], ends[1:])], key=repr)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))


@pytest.mark.parametrize("change", ["no relationship", "sheet element not empty", "name taken",
                                    "workbook part elsewhere"])
def test_a_workbook_the_copies_cannot_add_a_sheet_to_is_parsed_whole(tmp_path, monkeypatch, cutting, change):
    path = write_book(tmp_path / "b.xlsx", {"Sales": [HEADER] + sales_rows(80)})
    with zipfile.ZipFile(path) as package:
        members = {info.filename: package.read(info) for info in package.infolist()}
    if change == "no relationship":  # the sheet's relationship names its part some other way
        members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
            b'Target="/xl/worksheets/sheet1.xml"', b'Target="worksheets/./sheet1.xml.bak"').replace(
            b'Target="worksheets/sheet1.xml"', b'Target="worksheets/./sheet1.xml.bak"')
        members["xl/worksheets/sheet1.xml.bak"] = b""
    elif change == "sheet element not empty":
        members["xl/workbook.xml"] = re.sub(rb'(<sheet [^>]*?)/>', rb'\1></sheet>', members["xl/workbook.xml"])
    elif change == "name taken":
        members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b'name="Sales"', b'name="customer-tiers-piece-2"')
    else:
        members["xl/workbook2.xml"] = members.pop("xl/workbook.xml")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    opened = []
    assert pieces.cut_sheet(path, SHEET_PART, opened.append) is None
    assert opened == [] and left_files(cutting.temp) == []  # nothing written, nothing opened
    if change == "sheet element not empty":  # the workbook still reads, whole
        got = read_sales(path)
        assert cutting.calls == []
        assert got["amount"].tolist() == [float(i) for i in range(1, 81)]


def test_a_cut_deletes_the_copies_a_killed_refresh_left(tmp_path, monkeypatch, cutting):
    """A refresh killed mid-parse leaves its copies (400 MB for a million rows): the next cut
    deletes ours that were not written to for ``STALE_SECONDS``, and nothing else."""
    import time

    temp = cutting.temp
    old = time.time() - pieces.STALE_SECONDS - 60
    left = [temp / "customer-tiers-piece-k1.xlsx", temp / "customer-tiers-piece-k2.xlsx"]
    running = temp / "customer-tiers-piece-r1.xlsx"  # another refresh's, being parsed
    others = [temp / "customer-tiers-piece-notes.txt", temp / "budget.xlsx", temp / "customer-tiers-piece-dir.xlsx"]
    for path in [*left, running, *others[:2]]:
        path.write_bytes(b"PK")
    others[2].mkdir()
    for path in [*left, *others]:
        os.utime(path, (old, old))
    path = _small_book(tmp_path, monkeypatch)
    cut = pieces.cut_sheet(path, SHEET_PART, lambda copy: copy)
    try:
        assert cut is not None
        assert not any(p.exists() for p in left)
        assert running.exists() and all(p.exists() for p in others)
    finally:
        cut.remove()
    for path in [running, *others[:2]]:
        path.unlink()
    others[2].rmdir()


def test_remove_stale_copies_by_age_and_name_only(tmp_path):
    now = 1_000_000.0
    ages = {"customer-tiers-piece-a.xlsx": pieces.STALE_SECONDS + 1, "customer-tiers-piece-b.xlsx":
            pieces.STALE_SECONDS - 1, "customer-tiers-piece-c.xlsm": 10 * pieces.STALE_SECONDS,
            "my-customer-tiers-piece-d.xlsx": 10 * pieces.STALE_SECONDS}
    for name, age in ages.items():
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - age, now - age))
    pieces.remove_stale_copies(str(tmp_path), now=now)
    assert sorted(os.listdir(tmp_path)) == ["customer-tiers-piece-b.xlsx", "customer-tiers-piece-c.xlsm",
                                            "my-customer-tiers-piece-d.xlsx"]
    pieces.remove_stale_copies(str(tmp_path / "missing"), now=now)  # no folder: nothing, no error


# -- 6. release_free_memory; 7. nothing heavy on import ---------------------------------------------


def test_release_free_memory_trims_on_linux_only(monkeypatch):
    pieces.release_free_memory()  # the real call, on this machine: no error
    calls = []

    class Library:
        def malloc_trim(self, pad):
            calls.append(pad)
            return 1

    monkeypatch.setattr(pieces.ctypes, "CDLL", lambda name: Library())
    monkeypatch.setattr(sys, "platform", "linux")
    pieces.release_free_memory()
    assert calls == [0]
    for platform in ("win32", "darwin"):
        monkeypatch.setattr(sys, "platform", platform)
        pieces.release_free_memory()
    assert calls == [0]  # nothing called off Linux
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(pieces.ctypes, "CDLL", lambda name: object())  # musl: no malloc_trim
    pieces.release_free_memory()


def test_importing_reader_prefetch_imports_no_pandas():
    code = ("import sys\n"
            "import xl_addin.workbook.reader_prefetch\n"
            "heavy = [m for m in ('pandas', 'pyarrow', 'fastexcel') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "import xl_addin.workbook.pieces, xl_addin.workbook.xlsx.package\n"
            "assert 'pandas' not in sys.modules\n"
            "assert 'xl_addin.workbook.xlsx.writer' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert done.returncode == 0, done.stderr
    # the control: the same check sees pandas when it is imported
    control = subprocess.run([sys.executable, "-c", "import sys, pandas\nassert 'pandas' not in sys.modules"],
                             capture_output=True, text=True)
    assert control.returncode != 0


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_cut_on_empty_rows_before_the_second_piece_s_cells(tmp_path, monkeypatch, cutting, compression):
    # rows 17-26 are empty row elements and the cut falls on row 18: the second piece's first
    # cells are on row 27 (a text amount on row 29); blank rows 7 and 35 keep the columns alike
    rows = [HEADER] + sales_rows(40)
    for index in [*range(16, 26), 6, 34]:
        rows[index] = []
    rows[28][3] = "n/a"
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})

    def empty_rows(xml):
        for number in range(17, 27):
            xml = xml.replace(b'<row r="27"', b'<row r="%d" ht="30" customHeight="1"/><row r="27"' % number, 1)
        return xml

    xml = rewrite_sheet(path, empty_rows)
    if compression == zipfile.ZIP_STORED:  # the sheet stored, as some tools write it
        with zipfile.ZipFile(path) as package:
            members = [(info.filename, package.read(info)) for info in package.infolist()]
        with zipfile.ZipFile(path, "w", compression) as package:
            for name, data in members:
                package.writestr(name, data)
    assert zipfile.ZipFile(path).getinfo(SHEET_PART).compress_type == compression
    assert xml.index(b'<row r="18"') < xml.index(b'<row r="27"')
    # the share falls on row 18: a later piece is loaded from its first row, which must not
    # read as empty, so the piece starts on row 27, the first with a number cell
    xml = share_before_row(monkeypatch, path, 18)
    assert pieces._cuts(xml)[1][1][0] == 26
    got = read_sales(path)
    assert cutting.calls == [([0, 26], 1, True)]
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert got["source_row"].tolist() == [*range(2, 7), *range(8, 17), *range(27, 35), *range(36, 42)]
    texts = got[got["amount"].map(lambda v: isinstance(v, str))]
    assert texts["source_row"].tolist() == [29]


def test_error_values_in_both_pieces_are_raw_cells_at_their_rows(tmp_path, monkeypatch, cutting):
    rows = [HEADER] + sales_rows(40)
    rows[9] = rows[30] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})

    def errors(xml):
        for ref, value in ((b"D5", b"#DIV/0!"), (b"D33", b"#N/A"), (b"C37", b"#VALUE!")):
            xml, count = re.subn(rb'<c r="%s"[^>]*>.*?</c>' % ref, b'<c r="%s" t="e"><v>%s</v></c>' % (ref, value), xml)
            assert count == 1
        return xml

    rewrite_sheet(path, errors)
    cut_before_row(monkeypatch, path, 21)
    got = read_sales(path)
    assert cutting.joined
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    amounts = dict(zip(got["source_row"], got["amount"]))
    dates = dict(zip(got["source_row"], got["date"]))
    assert (amounts[5], amounts[33], dates[37]) == ("#DIV/0!", "#N/A", "#VALUE!")
    assert amounts[6] == 5.0 and amounts[34] == 33.0


def test_a_refresh_writes_the_same_workbook_with_the_sales_in_pieces(tmp_path, monkeypatch, cutting):
    """The command end to end (its prefetch cuts the sheet while it imports): the workbook a
    refresh writes is the one it writes when the sheet is parsed whole, Data quality included
    (a text amount in each piece)."""
    from click.testing import CliRunner

    from tests.workbook.test_sales_cache import write_sales
    from xl_addin.cli import cli

    names = ["Acme", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
    rows = [[names[i % 6], D(2025, 1 + i % 12, 1 + i % 27), 100 + 7 * i, 80 + 5 * i] for i in range(60)]
    rows[8] = rows[44] = []
    rows[12][2], rows[50][2] = "n/a", "about 40"  # Excel rows 14 and 52
    paths = [write_sales(tmp_path / "pieces.xlsx", rows), write_sales(tmp_path / "whole.xlsx", rows)]
    monkeypatch.setattr(pieces, "SHARES", (0.5,))

    def refresh(path):
        result = CliRunner().invoke(cli, ["refresh", str(path), "-q", "--no-cache", "--as-of", "2025-12-31"])
        assert result.exit_code == 0, result.output

    refresh(paths[0])
    assert cutting.joined and len(cutting.calls) == 1
    whole(monkeypatch, lambda: refresh(paths[1]))
    with zipfile.ZipFile(paths[0]) as got, zipfile.ZipFile(paths[1]) as reference:
        assert got.namelist() == reference.namelist()
        for name in got.namelist():
            assert got.read(name) == reference.read(name), name
    # read back by a second reader: the Data quality rows name each cell's row, in either piece
    calamine = pytest.importorskip("python_calamine")
    quality = calamine.CalamineWorkbook.from_path(str(paths[0])).get_sheet_by_name("Data quality")
    found = [row[:4] for row in quality.to_python() if row[0] == "Sales"]
    assert found == [["Sales", 14.0, "C (Amount)", "n/a"], ["Sales", 52.0, "C (Amount)", "about 40"]]


def _parse_watched(monkeypatch, during_parse):
    """``load_in_pieces`` with ``during_parse()`` called as each piece is parsed."""
    spying = pieces.load_in_pieces

    def watched(cut, header_row, parse, convert):
        def parse_watched(reader, sheet, skip_rows, later):
            during_parse()
            return parse(reader, sheet, skip_rows, later)

        return spying(cut, header_row, parse_watched, convert)

    monkeypatch.setattr(pieces, "load_in_pieces", watched)


def test_the_workbook_s_bytes_are_set_aside_while_the_pieces_are_parsed(tmp_path, monkeypatch, cutting):
    from xl_addin.workbook import read

    monkeypatch.setattr(read, "_SET_ASIDE_MIN_BYTES", 0)  # every sheet counts as large here
    rows = [HEADER] + sales_rows(30)
    rows[5] = rows[25] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    cut_before_row(monkeypatch, path, 16)
    seen = []
    with SalesBook.open(path) as book:
        data = book._data
        header = book.header("Sales")
        _parse_watched(monkeypatch, lambda: seen.append(book._data))
        frame = book.read_columns("Sales", header, {"customer_id": 0, "amount": 3})
        assert book._data == data  # back afterwards
    assert seen == [None, None] and cutting.joined
    assert frame["amount"].tolist() == [float(i) for i in range(1, 31) if i not in (5, 25)]


def test_a_file_replaced_while_the_pieces_are_parsed_is_refused_with_what_to_do(tmp_path, monkeypatch, cutting):
    from xl_addin.errors import WorkbookError
    from xl_addin.workbook import read

    monkeypatch.setattr(read, "_SET_ASIDE_MIN_BYTES", 0)
    rows = [HEADER] + sales_rows(30)
    rows[5] = rows[25] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    other = write_book(tmp_path / "other.xlsx", {"Sales": rows[:10]})
    cut_before_row(monkeypatch, path, 16)
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        moved = threading.Lock()

        def excel_saves():  # once, in whichever piece's thread comes first
            if moved.acquire(blocking=False):
                other.replace(path)

        _parse_watched(monkeypatch, excel_saves)
        with pytest.raises(WorkbookError, match="changed while it was being read.*run the refresh again"):
            book.read_columns("Sales", header, {"amount": 3})


# -- cut_sheet refuses, and leaves nothing behind ----------------------------------------------


def _small_book(tmp_path, monkeypatch, compression=zipfile.ZIP_DEFLATED):
    rows = [HEADER] + sales_rows(30)
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    if compression != zipfile.ZIP_DEFLATED:
        with zipfile.ZipFile(path) as package:
            members = [(info.filename, package.read(info)) for info in package.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
            for name, data in members:
                package.writestr(name, data, compress_type=compression if name == SHEET_PART else None)
    cut_before_row(monkeypatch, path, 12)
    return path


def test_a_member_neither_deflated_nor_stored_is_not_cut(tmp_path, monkeypatch, cutting):
    path = _small_book(tmp_path, monkeypatch, zipfile.ZIP_BZIP2)
    assert zipfile.ZipFile(path).getinfo(SHEET_PART).compress_type == zipfile.ZIP_BZIP2
    opened = []
    assert pieces.cut_sheet(path, SHEET_PART, opened.append) is None
    assert pieces.cut_sheet(path, "xl/worksheets/sheet9.xml", opened.append) is None  # no such part
    assert opened == [] and left_files(cutting.temp) == []


def test_a_sheet_not_worth_cutting_is_not_cut(tmp_path, monkeypatch, cutting):
    path = _small_book(tmp_path, monkeypatch)
    monkeypatch.setattr(pieces, "SPLIT_MIN_BYTES", 10**9)
    assert pieces.cut_sheet(path, SHEET_PART, lambda piece: piece) is None
    assert left_files(cutting.temp) == []


def test_no_room_for_the_pieces_is_no_cut(tmp_path, monkeypatch, cutting):
    path = _small_book(tmp_path, monkeypatch)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    assert pieces.cut_sheet(path, SHEET_PART, lambda piece: piece) is None


def test_a_failure_writing_the_second_piece_deletes_the_first(tmp_path, monkeypatch, cutting):
    path = _small_book(tmp_path, monkeypatch)
    real_write = pieces._write_copy
    written, opened = [], []

    def write_once(source, part, xml):
        if written:
            raise OSError(28, "No space left on device")
        found = real_write(source, part, xml)
        written.append(found[0])
        assert os.path.exists(written[0])
        return found

    monkeypatch.setattr(pieces, "_write_copy", write_once)
    assert pieces.cut_sheet(path, SHEET_PART, opened.append) is None
    assert opened == written and len(written) == 1  # the first piece's opener had started
    assert not os.path.exists(written[0]) and left_files(cutting.temp) == []


def test_the_first_piece_is_written_and_opened_first(tmp_path, monkeypatch, cutting):
    path = _small_book(tmp_path, monkeypatch)
    opened = []
    cut = pieces.cut_sheet(path, SHEET_PART, opened.append)
    try:
        first_rows = []
        for piece_path in opened:
            with zipfile.ZipFile(piece_path) as piece:
                first_rows.append(int(re.search(rb'<row r="(\d+)"', piece.read(SHEET_PART)).group(1)))
        assert first_rows == [1, 12]  # the smaller first: it is parsed and let go first
    finally:
        cut.remove()


_ROW_KINDS = {  # what a row holds: only a number cell (kinds 0, 1) may start a later piece
    0: b'<%(p)sc r="A%(n)d"><%(p)sv>%(n)d</%(p)sv></%(p)sc>',  # a number, no type
    1: b'<%(p)sc r="A%(n)d" s="2" t="n"><%(p)sv>-%(n)d.5</%(p)sv></%(p)sc>',  # a number, t="n"
    2: b'<%(p)sc r="A%(n)d" t="inlineStr"><%(p)sis><%(p)st>%(text)s</%(p)st></%(p)sis></%(p)sc>',  # text
    3: b'<%(p)sc r="A%(n)d" t="s"><%(p)sv>0</%(p)sv></%(p)sc>',  # a shared string
    4: b'<%(p)sc r="A%(n)d"><%(p)sf>1+1</%(p)sf><%(p)sv>2</%(p)sv></%(p)sc>',  # a formula
    5: b'<%(p)sc r="A%(n)d" s="3"/>',  # a styled empty cell
}


@given(numbers=st.lists(st.integers(1, 5), min_size=1, max_size=40), prefix=st.sampled_from([b"", b"x:"]),
       shares=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3).map(sorted), dimension=st.booleans(),
       widths=st.lists(st.integers(0, 60), min_size=40, max_size=40),
       kinds=st.lists(st.sampled_from([*_ROW_KINDS, "empty"]), min_size=40, max_size=40))
@settings(max_examples=120, deadline=None)
def test_property_cuts_put_the_sheet_back_together(numbers, prefix, shares, dimension, widths, kinds):
    """Property: head + the pieces + closing tags is the sheet's XML without its dimension
    and what follows </sheetData>; each later piece begins with the first row starting at or
    after its share of the bytes (and after the previous cut) that is numbered 2 or more and
    holds a number cell, and its start is that row's r - 1; None when a share has none."""
    p = prefix
    rows, number = [], 0
    for step, width, kind in zip(numbers, widths, kinds):
        number += step  # rows numbered in order, with gaps
        if kind == "empty":
            rows.append(b'<%srow r="%d" ht="30" customHeight="1"/>' % (p, number))
        else:
            cell = _ROW_KINDS[kind] % {b"p": p, b"n": number, b"text": b"y" * width}
            rows.append(b'<%srow r="%d" spans="1:2">%s</%srow>' % (p, number, cell, p))
    head = (b'<?xml version="1.0"?><%sworksheet xmlns%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            % (p, b":" + p[:-1] if p else b"") + (b'<%sdimension ref="A1:A%d"/>' % (p, number) if dimension else b"")
            + b"<%ssheetData>" % p)
    tail = b"</%ssheetData><%spageMargins/></%sworksheet>" % (p, p, p)
    xml = head + b"".join(rows) + tail
    original = pieces.SHARES
    pieces.SHARES = tuple(shares)
    try:
        found = pieces._cuts(xml)
    finally:
        pieces.SHARES = original
    starts = [len(head) + sum(map(len, rows[:i])) for i in range(len(rows))]
    numbers_of = [int(re.match(rb"<\w*:?row r=\"(\d+)\"", row).group(1)) for row in rows]
    expected, after = [0], len(head)  # first row of each piece (as an index of rows)
    for share in shares:
        at = max(after, int(len(xml) * share))
        fits = [i for i, start in enumerate(starts) if start >= at and numbers_of[i] >= 2 and kinds[i] in (0, 1)]
        if not fits:
            assert found is None  # no row to cut at
            return
        expected.append(fits[0])
        after = starts[fits[0]] + 1
    got_head, got_rows, close = found
    assert got_head == (head.replace(b'<%sdimension ref="A1:A%d"/>' % (p, number), b"") if dimension else head)
    assert b"dimension" not in got_head
    assert close == b"</%ssheetData></%sworksheet>" % (p, p)
    assert [start for start, _ in got_rows] == [0] + [numbers_of[i] - 1 for i in expected[1:]]
    bounds = expected + [len(rows)]
    assert [bytes(piece) for _, piece in got_rows] == [b"".join(rows[bounds[k]:bounds[k + 1]])
                                                       for k in range(len(expected))]


def test_a_first_piece_holding_only_the_header(tmp_path, monkeypatch, cutting):
    # rows 2-10 empty: the first piece has the header and no data row; the second starts on 11
    rows = [HEADER] + [[] for _ in range(9)] + sales_rows(30)
    rows[20] = []
    path = write_book(tmp_path / "b.xlsx", {"Sales": rows})
    cut_before_row(monkeypatch, path, 11)
    got = read_sales(path)
    # cut, and read as one parse reads it (today by the whole parse: the empty first piece's
    # columns come out 'not null', see test_blank_cells_in_one_piece_only_still_join_the_pieces)
    assert cutting.calls and cutting.calls[0][:2] == ([0, 10], 1)
    assert_same_read(got, whole(monkeypatch, lambda: read_sales(path)))
    assert got["source_row"].tolist() == [*range(11, 21), *range(22, 41)]


# -- real workbooks saved by Excel ---------------------------------------------------------------

# calamine refuses these packages whole (a dialog or macro sheet): the pieces fail like the
# workbook's parser, and the sheet is read from a copy holding the worksheets only
_CORPUS_REFUSED = {"closedxml__tdf111974.xlsm", "poi__64420.xlsm", "sheetjs__BlankSheetTypes.xlsm"}


def test_every_corpus_workbook_reads_the_same_in_pieces(tmp_path, monkeypatch, cutting):
    """The injected sales sheet of every corpus workbook (``corpus.add_sales_sheet``), cut in
    four pieces whose copies add a sheet to Excel's own workbook parts, reads exactly as
    parsed whole; and is really read in pieces, but where calamine refuses the package."""
    from .corpus import add_sales_sheet, corpus_files

    files = corpus_files()
    if not files:
        pytest.skip("no Excel corpus at ../shared/excel-corpus")
    fell_back = []
    for source in files:
        injected = add_sales_sheet(source, tmp_path / source.name)
        cutting.clear()
        got = read_sales(injected)
        # every sales sheet read was cut (the injected one, and any of the workbook's own)
        assert cutting.calls and all(len(starts) == 4 for starts, _, _ in cutting.calls), source.name
        if not cutting.joined:
            fell_back.append(source.name)
        pd.testing.assert_frame_equal(got, whole(monkeypatch, lambda: read_sales(injected)), obj=source.name)
    assert set(fell_back) == _CORPUS_REFUSED & {f.name for f in files}
