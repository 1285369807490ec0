"""Opening the parser ahead (``reader_prefetch``): taken only for the very file it opened."""

import os
import tempfile
import time

import pandas as pd
import pytest

from xl_addin.workbook import read, reader_prefetch
from xl_addin.workbook.read import SalesBook
from xl_addin.workbook.refresh import read_sales

from .test_read import SALES, _shared_strings_for, write_book


@pytest.fixture
def opened_directly(monkeypatch):
    """Counts the parsers the reader opens itself (not through ``reader_prefetch``)."""
    calls = []
    real = read.fastexcel.read_excel

    def counting(source, *args, **kwargs):
        calls.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(read.fastexcel, "read_excel", counting)
    yield calls
    reader_prefetch._pending.clear()


def _amounts(path):
    return read_sales(path)["amount"].tolist()


def test_the_reader_takes_the_parser_opened_ahead(tmp_path, opened_directly):
    path = write_book(tmp_path / "sales.xlsx", {"Sales": SALES})
    expected = [row[3] for row in SALES[1:]]
    reader_prefetch.start(path)
    reader_prefetch._pending[os.path.realpath(path)][1].join()  # its own read_excel is done
    opened_directly.clear()  # from here on: only the reader's
    assert _amounts(path) == expected
    assert str(path) not in map(str, opened_directly)  # the reader opened nothing itself
    assert not reader_prefetch._pending  # taken once


def test_a_file_replaced_after_the_start_is_opened_again(tmp_path, opened_directly):
    path = write_book(tmp_path / "sales.xlsx", {"Sales": SALES})
    reader_prefetch.start(path)
    reader_prefetch._pending[os.path.realpath(path)][1].join()  # the old file is parsed
    changed = [list(row) for row in SALES]
    changed[2][3] = 999.0
    time.sleep(0.01)  # a new modification time even on coarse clocks
    write_book(tmp_path / "new.xlsx", {"Sales": changed})
    os.replace(tmp_path / "new.xlsx", path)
    opened_directly.clear()
    assert _amounts(path) == [100.0, 999.0, -20.0]
    assert str(path) in map(str, opened_directly)  # the parser opened ahead was not used


def test_take_needs_the_same_identity_and_gives_once(tmp_path):
    path = write_book(tmp_path / "sales.xlsx", {"Sales": SALES})
    identity = reader_prefetch.file_identity(path)
    reader_prefetch.start(path)
    assert reader_prefetch.take(path, (0, 0, 0, 0)) is None  # another file's identity
    reader_prefetch.start(path)
    assert reader_prefetch.take(path, identity) is not None
    assert reader_prefetch.take(path, identity) is None  # taken already
    assert reader_prefetch.take(tmp_path / "never-started.xlsx", identity) is None


def test_nothing_is_started_for_what_is_not_a_package(tmp_path):
    text = tmp_path / "sales.csv"
    text.write_text("Customer ID,Amount\nC1,5\n")
    reader_prefetch.start(text)
    reader_prefetch.start(tmp_path / "missing.xlsx")
    assert not reader_prefetch._pending


def test_a_parser_never_taken_is_dropped_when_the_book_closes(tmp_path):
    path = write_book(tmp_path / "sales.xlsx", {"Sales": SALES})
    reader_prefetch.start(path)
    book = SalesBook.open(path)
    book.close()  # read nothing: e.g. the sales came from the cache
    assert not reader_prefetch._pending


# -- not opening the parser when the sales sheets are already in the caches ------------------


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(folder))
    yield folder
    reader_prefetch._pending.clear()


def _refresh(path, *options):
    from click.testing import CliRunner

    from xl_addin.cli import cli

    result = CliRunner().invoke(cli, ["refresh", str(path), "-q", *options])
    assert result.exit_code == 0, result.output


def test_a_refreshed_books_sales_are_known_until_a_cell_changes(tmp_path, own_cache):
    from tests.workbook.test_sales_cache import edit_entry, write_sales

    path = write_sales(tmp_path / "sales.xlsx")
    assert not reader_prefetch.sales_known(path)  # nothing cached yet
    _refresh(path)
    assert reader_prefetch.sales_known(path)  # the refresh kept its lines
    reader_prefetch.start(path, cached=True)
    assert not reader_prefetch._pending  # so the parser is not opened ahead
    reader_prefetch.start(path, cached=False)  # --no-cache: it is
    assert reader_prefetch._pending
    reader_prefetch._pending.clear()
    # one amount (the sheet's part) or one shared string changed: not known any more
    for part, old, new in (("xl/worksheets/sheet1.xml", r"<v>400</v>", "<v>40</v>"),
                           ("xl/sharedStrings.xml", r"<t>Core</t>", "<t>Cora</t>")):
        edited = tmp_path / f"edited-{part.rsplit('/', 1)[-1]}"
        edited.write_bytes(path.read_bytes())
        edit_entry(edited, part, old, new)
        assert not reader_prefetch.sales_known(edited)
        _refresh(edited)
        assert reader_prefetch.sales_known(edited)


def test_known_sales_whose_caches_are_gone_are_read_again(tmp_path, own_cache):
    import shutil
    import zipfile

    from tests.workbook.test_sales_cache import write_sales

    path = write_sales(tmp_path / "sales.xlsx")
    _refresh(path)
    reference = tmp_path / "reference.xlsx"
    reference.write_bytes(path.read_bytes())
    for folder in own_cache.iterdir():  # the caches emptied; the markers left
        if folder.name != reader_prefetch.MARKERS:
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
    assert reader_prefetch.sales_known(path)
    _refresh(path)
    _refresh(reference, "--no-cache")
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(reference) as b:
        assert {i.filename: a.read(i) for i in a.infolist()} == \
            {i.filename: b.read(i) for i in b.infolist()}


def test_a_damaged_marker_is_no_marker(tmp_path, own_cache):
    path = write_book(tmp_path / "sales.xlsx", {"Sales": SALES})
    _refresh(path)
    (marker,) = (own_cache / reader_prefetch.MARKERS).iterdir()
    marker.write_bytes(b"[[")
    assert not reader_prefetch.sales_known(path)


# -- the largest sheet cut in pieces ahead (``pieces``) -------------------------------------------


@pytest.fixture
def cut_ahead(tmp_path, monkeypatch):
    """Every sheet is worth cutting; the pieces' files go to a folder of the test's own
    (yielded). Nothing is left pending or on disk afterwards."""
    from xl_addin.workbook import pieces

    monkeypatch.setattr(pieces, "SPLIT_MIN_BYTES", 0)
    monkeypatch.setattr(pieces, "usable_cpus", lambda: 2)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield temp
    for key in list(reader_prefetch._pending):
        reader_prefetch.forget(key)
    assert _piece_files(temp) == []


def _piece_files(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("customer-tiers-piece-"))


def _sales_with_a_cut(tmp_path):
    rows = [SALES[0]] + [list(SALES[1 + i % 3]) for i in range(30)]
    rows[4] = rows[20] = []  # a blank row in each piece
    return write_book(tmp_path / "sales.xlsx", {"Sales": rows, "Notes": [["a small sheet"]]})


def _started(path):
    """``start(path)`` and wait for its cut; the cut made (the thread's result box)."""
    reader_prefetch.start(path)
    _, thread, box, _ = reader_prefetch._pending[os.path.realpath(path)]
    assert thread.name == "customer-tiers-cut-sheet"  # a cut, not the whole-workbook parser
    thread.join()
    return box["cut"]


def test_start_cuts_the_largest_sheet_and_take_cut_gives_it_once(tmp_path, cut_ahead):
    path = _sales_with_a_cut(tmp_path)
    identity = reader_prefetch.file_identity(path)
    cut = _started(path)
    assert cut.part == "xl/worksheets/sheet1.xml"  # Sales, not Notes
    # the default cut: four pieces, in two copies of the package (one per parsing thread)
    assert len(cut.starts) == 4 and cut.starts[0] == 0 and 1 < cut.starts[1] < cut.starts[2] < cut.starts[3]
    assert len(cut.copies) == len(cut.paths) == 2
    assert sorted(map(os.path.basename, cut.paths)) == _piece_files(cut_ahead)
    assert len(_piece_files(cut_ahead)) == 2
    assert reader_prefetch.take_cut(path, identity, "xl/worksheets/sheet1.xml") is cut
    assert reader_prefetch.take_cut(path, identity, "xl/worksheets/sheet1.xml") is None  # taken once
    assert len(_piece_files(cut_ahead)) == 2  # the taker's to parse and remove
    cut.reader(0), cut.reader(1)
    cut.remove()
    assert _piece_files(cut_ahead) == []


def test_take_cut_of_another_sheet_deletes_the_pieces(tmp_path, cut_ahead):
    path = _sales_with_a_cut(tmp_path)
    identity = reader_prefetch.file_identity(path)
    _started(path)
    assert len(_piece_files(cut_ahead)) == 2
    assert reader_prefetch.take_cut(path, identity, "xl/worksheets/sheet2.xml") is None
    assert _piece_files(cut_ahead) == []
    assert not reader_prefetch._pending


def test_forget_deletes_the_pieces(tmp_path, cut_ahead):
    path = _sales_with_a_cut(tmp_path)
    reader_prefetch.start(path)
    reader_prefetch.forget(path)  # before or after the cut is made: it waits for it
    assert _piece_files(cut_ahead) == []
    assert not reader_prefetch._pending


def test_a_file_changed_after_the_cut_is_not_taken_and_its_pieces_go(tmp_path, cut_ahead):
    path = _sales_with_a_cut(tmp_path)
    _started(path)
    time.sleep(0.01)  # a new modification time even on coarse clocks
    _sales_with_a_cut(tmp_path)  # rewritten in place
    identity = reader_prefetch.file_identity(path)  # the new file's, as the reader sees it
    assert reader_prefetch.take_cut(path, identity, "xl/worksheets/sheet1.xml") is None
    assert _piece_files(cut_ahead) == []


def test_the_reader_parses_the_pieces_cut_ahead(tmp_path, cut_ahead, monkeypatch):
    from xl_addin.workbook import pieces

    path = _sales_with_a_cut(tmp_path)
    with monkeypatch.context() as whole:
        whole.setattr(pieces, "worth_cutting", lambda size: False)
        expected = read_sales(path)
    _started(path)
    joined = []
    real_load = pieces.load_in_pieces
    monkeypatch.setattr(pieces, "load_in_pieces", lambda *args: joined.append(real_load(*args)) or joined[-1])
    monkeypatch.setattr(pieces, "cut_sheet", lambda *args: pytest.fail("cut again by the reader"))
    got = read_sales(path)
    assert len(joined) == 1 and joined[0] is not None
    pd.testing.assert_frame_equal(got, expected)
    assert not reader_prefetch._pending


def test_the_cut_made_ahead_survives_a_settings_sheet_read_first(tmp_path, cut_ahead, monkeypatch):
    import datetime as dt

    from xl_addin.workbook import pieces
    from xl_addin.workbook.refresh import read_book

    rows = [SALES[0]] + [list(SALES[1 + i % 3]) for i in range(30)]
    rows[4] = rows[20] = []
    settings = [["Setting", "Value"], ["as_of", dt.datetime(2025, 6, 30)], ["a_cut", 0.75]]
    written = write_book(tmp_path / "written.xlsx", {"Sales": rows, "Settings": settings})
    # Settings' text in shared strings, as Excel saves it
    path = _shared_strings_for(written, "xl/worksheets/sheet2.xml", tmp_path / "sales.xlsx")
    _started(path)
    cuts = []
    real_cut = pieces.cut_sheet
    monkeypatch.setattr(pieces, "cut_sheet", lambda *args: cuts.append(args) or real_cut(*args))
    book = read_book(path)
    assert book.settings.a_cut == 0.75 and len(book.sales) == 28
    assert cuts == []  # the cut made ahead was taken, not made again
