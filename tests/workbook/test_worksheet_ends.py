"""The ends of our large worksheet parts (head with <dimension>, tail after </sheetData>) kept
at write time, so the next refresh's check of what the user added to our sheets does not
inflate the 58 MB Tiers part again: kept exactly as the part's own bytes give them, and never
used for a part whose bytes changed."""

import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.report.layout import Report, Sheet
from xl_addin.workbook import file_book
from xl_addin.workbook.file_book import WorksheetEndsCache, user_objects
from xl_addin.workbook.xlsx import frame_block, new_workbook, write_report, write_tables
from xl_addin.workbook.xlsx.package import SourcePackage
from xl_addin.workbook.xlsx.workbook_xml import WorkbookParts
from xl_addin.workbook.xlsx.writer import WorksheetEnds

from ..marks import assert_valid_ooxml

SALES = pd.DataFrame({
    "Customer ID": ["C1", "C1", "C2", "C3", "C4"],
    "Date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-02-01", "2025-02-10", "2025-06-30"]),
    "Amount": [500.0, 300.0, 200.0, 100.0, 40.0],
    "Cost": [100.0, 60.0, 20.0, 20.0, 60.0],
})


def members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: (i.CRC, i.file_size, z.read(i.filename)) for i in z.infolist()}


def test_the_ends_kept_at_write_are_those_of_the_parts_bytes(tmp_path):
    # 30,000 rows: several chunks of XML, so head and tail come from different chunks
    rows = 30_000
    frame = pd.DataFrame({"id": [f"C{i}" for i in range(rows)],
                          "amount": np.arange(rows) * 1.5, "note": ["x < y"] * rows})
    small = pd.DataFrame({"a": [1, 2]})
    sheets = tuple(Sheet(key=f"table:{name}", name=name, blocks=(frame_block(content),))
                   for name, content in (("Big", frame), ("Small", small)))
    path = new_workbook(tmp_path / "book.xlsx", "Notes")
    ends = {}
    write_report(path, Report(language="en", sheets=sheets), ends=ends)
    written = members(path)  # read back with zipfile: a second reader
    assert len(ends) == 2
    for part, end in ends.items():
        crc, size, data = written[part]
        assert (end.crc, end.size) == (crc, size)
        assert end.head == data[:4096]
        assert end.tail == data[data.rindex(b"</sheetData>"):]
        assert end.tail.endswith(b"</worksheet>")
        assert (end.head, end.tail) == WorksheetEnds.of(data)
    assert ends[max(ends, key=lambda p: ends[p].size)].size > 1_000_000
    assert_valid_ooxml(path)


def test_the_ends_of_a_part_without_sheet_data_are_the_whole_part():
    assert WorksheetEnds.of(b"<worksheet/>") == (b"<worksheet/>", b"<worksheet/>")


@pytest.fixture
def every_part_kept(monkeypatch):
    """The test books are small: keep the ends of every part, not only of parts over 1 MiB."""
    monkeypatch.setattr(WorksheetEndsCache, "MIN_SIZE", 0)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def refreshed_book(tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "Notes")
    write_tables(path, {"Sales": SALES})
    assert run("refresh", path, "-q").exit_code == 0
    return path


def test_user_objects_from_the_kept_ends_are_those_from_the_parts(tmp_path, every_part_kept):
    path = refreshed_book(tmp_path)
    cache = WorksheetEndsCache(file_book.SalesCache().folder)
    outcome_sheets = []
    with SourcePackage(path) as package:
        entries = WorkbookParts(package).sheets()
        kept = 0
        for entry in entries:
            if entry.name in ("Sales", "Notes", "Settings"):
                continue
            kept += cache.get(*package.crc_and_size(entry.part)) is not None
            sheet = Sheet(key="x", name=entry.name, blocks=(frame_block(SALES),))
            outcome_sheets.append(user_objects(package, entry.name, sheet, cache.get)
                                  == user_objects(package, entry.name, sheet))
    assert kept >= 8  # every generated worksheet's ends were kept by the refresh
    assert outcome_sheets and all(outcome_sheets)


@pytest.mark.parametrize("element, label", [
    ('<mergeCells count="1"><mergeCell ref="AB3:AC3"/></mergeCells>', "merged cells"),
    ('<hyperlinks><hyperlink ref="A2" display="x"/></hyperlinks>', "hyperlinks"),
])
def test_a_changed_part_is_read_not_taken_from_the_kept_ends(tmp_path, every_part_kept,
                                                              element, label):
    path = refreshed_book(tmp_path)
    with SourcePackage(path) as package:
        part = next(e.part for e in WorkbookParts(package).sheets() if e.name == "Tiers")
        crc_size = package.crc_and_size(part)
    cache = WorksheetEndsCache(file_book.SalesCache().folder)
    assert cache.get(*crc_size) is not None  # what the refresh wrote is kept
    data = {n: d for n, (_, _, d) in members(path).items()}
    data[part] = data[part].replace(b"</sheetData>", b"</sheetData>" + element.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in data.items():
            z.writestr(name, content)
    result = run("refresh", path)
    assert result.exit_code == 3, result.output
    assert f"sheet 'Tiers': {label}" in result.output


def test_a_damaged_ends_file_is_ignored(tmp_path):
    cache = WorksheetEndsCache(tmp_path)
    end = WorksheetEnds(crc=7, size=2**21, head=b"<worksheet>", tail=b"</sheetData></worksheet>")
    cache.put_all([end])
    assert cache.get(7, 2**21) == (end.head, end.tail)
    assert cache.get(8, 2**21) is None and cache.get(7, 2**21 + 1) is None
    cache.path(7, 2**21).write_bytes(b"\xff\xff\xff\x7f<w")
    assert cache.get(7, 2**21) is None
    assert not cache.path(7, 2**21).exists()
    cache.put_all([WorksheetEnds(crc=1, size=10, head=b"a", tail=b"b")])  # small: not kept
    assert not cache.path(1, 10).exists()


def test_a_settings_change_refreshed_from_every_cache_writes_the_bytes_a_full_rebuild_writes(
        tmp_path, monkeypatch, every_part_kept):
    # case (d) of bench_refresh: a_cut changed in the Settings sheet of a refreshed book, then
    # refreshed in place from the caches (prepared lines, previous tiers, the kept ends, no
    # parser opened ahead) and, on a copy, with --no-cache: every zip member byte for byte
    from tests.workbook.test_prepared_cache import set_setting
    from xl_addin.workbook import reader_prefetch

    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path / "cache"))
    path = refreshed_book(tmp_path)
    for cut in (0.5, 0.7):
        set_setting(path, "a_cut", cut)
        copy = tmp_path / f"copy-{cut}.xlsx"
        copy.write_bytes(path.read_bytes())
        assert reader_prefetch.sales_known(path)
        cached = run("refresh", path, "-q")
        fresh = run("refresh", copy, "-q", "--no-cache")
        assert cached.exit_code == fresh.exit_code == 0, cached.output + fresh.output
        assert cached.output.replace(str(path), "") == fresh.output.replace(str(copy), "")
        cached_members, fresh_members = members(path), members(copy)
        assert cached_members.keys() == fresh_members.keys()
        for name in cached_members:
            assert cached_members[name] == fresh_members[name], name
        assert_valid_ooxml(path)
    assert list((tmp_path / "cache" / "ends").iterdir())  # the kept ends were there to use
