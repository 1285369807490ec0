"""The previous tiers read straight from our own Tiers sheet (``workbook.own_sheet``) give exactly
what the general reader (fastexcel) gives, on sheets the refresh wrote; any other form is left to
the general reader."""

import shutil
import subprocess
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_addin.demo import demo_customers, demo_transactions
from xl_addin.workbook import tables
from xl_addin.workbook.file_book import FileSource
from xl_addin.workbook.own_sheet import own_sheet_columns
from xl_addin.workbook.ownership import our_sheet
from xl_addin.workbook.refresh import read_previous_tiers, refresh_file
from xl_addin.workbook.sales_cache import SalesCache, cached_columns
from xl_addin.workbook.tables import SheetHeader
from xl_addin.workbook.xlsx.writer import new_workbook, write_tables

# ids a refresh must give back as they were written: numbers as text, leading zeros, spaces,
# markup characters, an attribute-like text, an escape-like text, CJK, control characters
TRICKY_IDS = ["1001", "007", "1e3", " 42 ", "A&B <x>", 'a r="b', "_x000D_id", "客户-甲",
              "tab\tid", "line\nbreak", "=SUM(1)", "TRUE", "#N/A", "&amp;", "-5.50", "ｆｕｌｌ"]


def _book(path, language, ids=None, customers=40):
    """A sales workbook (with a customer master holding prospects) written by our writer, then
    refreshed: its Tiers sheet is the one a refresh writes."""
    sales = demo_transactions(customers, 600, seed=3, language=language)
    master = demo_customers(customers, seed=3, language=language)
    if ids is not None:
        rename = dict(zip(master.iloc[:, 0], ids))
        master.iloc[:, 0] = master.iloc[:, 0].map(lambda v: rename.get(v, v))
        sales.iloc[:, 0] = sales.iloc[:, 0].map(lambda v: rename.get(v, v))
    new_workbook(path, None)
    write_tables(path, {"Sales" if language == "en" else "销售": sales,
                        "Customers" if language == "en" else "客户": master})
    refresh_file(path, language=language, use_cache=False)
    return path


def _both(path):
    """(what the refresh now reads, what the general reader reads) for the Tiers columns, and
    what ``own_sheet_columns`` alone gives (None: not in our form)."""
    with FileSource(path) as source:
        name = our_sheet(source.owned_sheets(), "tiers")
        header = source.header(name)
        fields = tables.previous_tier_columns(header)
        xml = source.book.sheet_xml(name, 2**30)
        own = own_sheet_columns(xml, name, header, fields)
        read = source.columns(name, header, fields)
        general = cached_columns(source.book, name, header, fields, None, None)
    return read, general, own


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_same_as_the_general_reader_on_a_refreshed_workbook(tmp_path, language):
    path = _book(tmp_path / "b.xlsx", language, ids=TRICKY_IDS)
    read, general, own = _both(path)
    pd.testing.assert_frame_equal(read, general)
    previous = tables.previous_tiers_from_frame(read)
    # the prospects (no sale) are there, with no tier
    assert previous["abc_tier"].isna().any() and previous["abc_tier"].notna().any()
    assert set(previous["score_tier"].dropna()) <= {"VIP", "Regular", "Potential"}
    ids = set(previous["customer_id"])
    assert {"1001", "007", "客户-甲", "A&B <x>", "&amp;", "-5.50"} <= ids
    if own is not None:  # a text in another form sends the whole sheet to the general reader
        pd.testing.assert_frame_equal(own, general)


def test_a_plain_tiers_sheet_is_read_by_the_fast_path(tmp_path):
    path = _book(tmp_path / "b.xlsx", "en", ids=["1001", "007", "A&B <x>", "客户-甲", " 42 ", "&#65;"])
    read, general, own = _both(path)
    assert own is not None  # the form we write: no fall back
    pd.testing.assert_frame_equal(own, general)
    pd.testing.assert_frame_equal(read, general)
    assert {"1001", "007", "A&B <x>", "客户-甲", "42", "&#65;"} <= set(own["customer_id"])  # stripped


@pytest.mark.parametrize("odd", ["_x000D_id", 'a r="b'], ids=["escape", "attribute"])
def test_a_text_the_fast_path_does_not_decode_sends_the_sheet_to_the_general_reader(tmp_path, odd):
    path = _book(tmp_path / "b.xlsx", "en", ids=["1001", odd])
    read, general, own = _both(path)
    assert own is None
    pd.testing.assert_frame_equal(read, general)


def test_a_changed_cell_is_read_as_changed(tmp_path):
    path = _book(tmp_path / "b.xlsx", "en", ids=["1001", "1002"])
    before, _, _ = _both(path)
    assert "1001" in set(before["customer_id"])
    _edit_tiers_part(path, lambda xml: xml.replace(b"<t>1001</t>", b"<t>9999</t>", 1))
    after, general, own = _both(path)
    assert own is not None
    pd.testing.assert_frame_equal(after, general)
    assert "9999" in set(after["customer_id"]) and "1001" not in set(after["customer_id"])


def _edit_tiers_part(path, edit):
    with FileSource(path) as source:
        part = source.book._zip.sheet_parts[our_sheet(source.owned_sheets(), "tiers")]
    with zipfile.ZipFile(path) as package:
        members = [(info, package.read(info.filename)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in members:
            package.writestr(info.filename, edit(data) if info.filename == part else data)


@pytest.mark.soffice
def test_a_tiers_sheet_saved_by_libreoffice_goes_to_the_general_reader(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = _book(tmp_path / "b.xlsx", "zh", ids=["1001", "007", "客户-甲"])
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=240)
    read, general, own = _both(out / "b.xlsx")
    assert own is None  # shared strings, r on every cell: not our form
    pd.testing.assert_frame_equal(read, general)
    assert {"1001", "007", "客户-甲"} <= set(read_previous_tiers(out / "b.xlsx")["customer_id"])


# -- the parser on literal parts ------------------------------------------------------------

HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
TAIL = "</sheetData></worksheet>"
HEADER_ROW = ('<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>Customer ID</t></is></c>'
              '<c r="B1" s="2" t="inlineStr"><is><t>Profit</t></is></c>'
              '<c r="C1" s="2" t="inlineStr"><is><t>ABC tier</t></is></c></row>')
FIELDS = {"customer_id": 0, "abc_tier": 2}


def _part(*rows):
    return (HEAD + HEADER_ROW + "".join(rows) + TAIL).encode()


def _read(xml):
    return own_sheet_columns(xml, "Tiers", SheetHeader(1, ("Customer ID", "Profit", "ABC tier")), FIELDS)


def test_a_hand_written_part():
    frame = _read(_part(
        '<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>C1</t></is></c><c s="8"><v>5</v></c>'
        '<c s="9" t="inlineStr"><is><t>A</t></is></c></row>',
        '<row r="3"><c r="A3" s="3" t="inlineStr"><is><t xml:space="preserve"> 7 </t></is></c>'
        '<c s="8"/><c s="3"/></row>',
        '<row r="4"><c r="A4" s="3"/><c s="8"><v>1</v></c><c s="3"/></row>',  # no value: dropped
        '<row r="6"><c r="A6" s="3" t="inlineStr"><is><t>a&amp;b&lt;c&gt;</t></is></c></row>'))
    assert frame["customer_id"].tolist() == ["C1", " 7 ", "a&b<c>"]
    assert frame["abc_tier"].isna().tolist() == [False, True, True]
    assert frame["abc_tier"][0] == "A"
    assert frame["source_row"].tolist() == [2, 3, 6]
    assert frame["source_sheet"].tolist() == ["Tiers"] * 3
    assert list(frame.columns) == ["customer_id", "abc_tier", "source_sheet", "source_row"]


GOOD = '<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>C1</t></is></c><c s="8"/><c s="3"/></row>'


@pytest.mark.parametrize("row", [
    '<row r="2"><c r="A2" t="s"><v>0</v></c><c s="8"/><c s="3"/></row>',  # a shared string
    '<row r="2"><c r="A2" s="3"><v>1001</v></c><c s="8"/><c s="3"/></row>',  # a number
    '<row r="2"><c r="A2" s="3" t="inlineStr"><is><r><t>C</t></r><r><t>1</t></r></is></c></row>',
    '<row r="2"><c r="A2" s="3" t="str"><f>"C"&amp;1</f><v>C1</v></c></row>',  # a formula
    '<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>C1</t></is></c><c r="B2" s="8"/>'
    '<c r="C2" s="3"/></row>',  # r on every cell
    '<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>C1</t></is></c><c s="8"/><c r="E2"/></row>',
    '<row r="2"><c r="B2" s="3" t="inlineStr"><is><t>C1</t></is></c></row>',  # not from column A
    '<row r="2"><c r="A3" s="3" t="inlineStr"><is><t>C1</t></is></c></row>',  # another row's ref
    GOOD.replace("><c ", ">\n<c ", 1),  # whitespace between elements
    GOOD + '<row r="2"><c r="A2" s="3"/></row>',  # a row number twice
    '<row r="3"/>' + GOOD,  # a self-closing row
    GOOD.replace("<t>C1</t>", "<t>C&#49;</t>"),  # a character reference
    GOOD.replace("<t>C1</t>", "<t>_x0031_</t>"),  # an escape
    GOOD.replace("<t>C1</t>", "<t></t>"),
], ids=["shared", "number", "rich", "formula", "refs", "ref", "column-b", "other-row", "space",
        "twice", "self-closing", "reference", "escape", "empty-text"])
def test_any_other_form_is_left_to_the_general_reader(row):
    assert _read(_part(GOOD)) is not None
    assert _read(_part(row)) is None


def test_no_row_below_the_header():
    assert _read(_part()) is None
    assert _read((HEAD + TAIL).encode()) is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                            max_size=8), min_size=2, max_size=6, unique=True))
def test_any_ids_read_as_the_general_reader_reads_them(tmp_path_factory, monkeypatch, ids):
    path = tmp_path_factory.mktemp("ids") / "b.xlsx"
    _book(path, "en", ids=ids, customers=8)
    refresh_file(path)  # the cache on: the write keeps the previous tiers when they are plain
    read, general, own = _both(path)
    pd.testing.assert_frame_equal(read, general)
    if own is not None:
        pd.testing.assert_frame_equal(own, general)
    try:
        served = _served_from_cache(path, monkeypatch)
    except AssertionError:  # not kept: a text the writer escapes
        return
    pd.testing.assert_frame_equal(served, general)


# -- kept by the write: the previous tiers of the part as written ------------------------------


def _cached_book(path, language, ids):
    """``_book`` refreshed once more with the cache on: the write keeps its previous tiers."""
    _book(path, language, ids=ids)
    refresh_file(path, language=language)
    return path


def _served_from_cache(path, monkeypatch):
    """What the refresh reads for the Tiers columns with the cache on, with the part's XML
    never parsed (own_sheet_columns and the general reader refuse to run)."""
    import xl_addin.workbook.file_book as file_book

    def refuse(*args, **kwargs):
        raise AssertionError("the part was parsed")

    with FileSource(path, cache=SalesCache()) as source:
        name = our_sheet(source.owned_sheets(), "tiers")
        header = source.header(name)
        fields = tables.previous_tier_columns(header)
        with monkeypatch.context() as patch:
            patch.setattr(file_book, "own_sheet_columns", refuse)
            patch.setattr(file_book, "cached_columns", refuse)
            return source.columns(name, header, fields)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_tiers_kept_by_the_write_are_what_the_readers_read(tmp_path, monkeypatch, language):
    path = _cached_book(tmp_path / "b.xlsx", language, ["1001", "007", "客户-甲", "ｆｕｌｌ"])
    served = _served_from_cache(path, monkeypatch)
    read, general, own = _both(path)
    assert own is not None
    pd.testing.assert_frame_equal(served, general)
    pd.testing.assert_frame_equal(served, own)
    previous = tables.previous_tiers_from_frame(served)
    assert previous["abc_tier"].isna().any()  # the prospects
    assert {"1001", "007", "客户-甲"} <= set(previous["customer_id"])


def test_a_changed_tiers_part_is_not_served_from_what_the_write_kept(tmp_path, monkeypatch):
    path = _cached_book(tmp_path / "b.xlsx", "en", ["1001", "1002"])
    _edit_tiers_part(path, lambda xml: xml.replace(b"<t>1001</t>", b"<t>9999</t>", 1))
    with pytest.raises(AssertionError, match="the part was parsed"):
        _served_from_cache(path, monkeypatch)
    with FileSource(path, cache=SalesCache()) as source:
        name = our_sheet(source.owned_sheets(), "tiers")
        header = source.header(name)
        read = source.columns(name, header, tables.previous_tier_columns(header))
    assert "9999" in set(read["customer_id"]) and "1001" not in set(read["customer_id"])
    _, general, _ = _both(path)
    pd.testing.assert_frame_equal(read, general)


def test_ids_the_writer_escapes_are_not_kept(tmp_path, monkeypatch):
    path = _cached_book(tmp_path / "b.xlsx", "en", ["1001", "A&B <x>"])
    with pytest.raises(AssertionError, match="the part was parsed"):
        _served_from_cache(path, monkeypatch)
    read, general, own = _both(path)
    pd.testing.assert_frame_equal(read, general)
