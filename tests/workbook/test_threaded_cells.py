"""The cells of a large block converted in two threads (``worksheet_xml.THREADED_ROWS``) are
the same bytes as converted in one, and read back as the values put in."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xl_addin.report.layout import Block, Sheet
from xl_addin.workbook.xlsx import new_workbook, worksheet_xml, write_tables
from xl_addin.workbook.xlsx.styles import StyleBook
from xl_addin.workbook.xlsx.worksheet_xml import CellStyles, block_fragments, worksheet_chunks

ROWS = 20_000  # above THREADED_ROWS (16,384): the threaded path


def _frame(rows: int) -> pd.DataFrame:
    """Every kind of column the writer converts differently, with empty cells, escapes, a
    row with no value at all (every 1,000th) and tier letters."""
    i = np.arange(rows)
    ids = pd.Series([f"C{k:05d}" if k % 11 else f"C{k:05d} & co" for k in i], dtype="str")
    amounts = pd.Series(i * 0.5)
    amounts[i % 13 == 0] = np.nan
    counts = pd.Series(i, dtype="Int64")
    counts[i % 7 == 0] = pd.NA
    dates = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(i, unit="D"))
    tiers = pd.Series(["ABCD"[k % 4] for k in i], dtype="str")
    mixed = pd.Series([k if k % 3 else f"n/a {k}" for k in i], dtype=object)
    frame = pd.DataFrame({"id": ids, "amount": amounts, "count": counts, "date": dates,
                          "tier": tiers, "mixed": mixed})
    blank = i % 1000 == 999
    frame.loc[blank, :] = None
    return frame


def _block(frame: pd.DataFrame) -> Block:
    return Block(header=tuple(frame.columns), values=frame,
                 formats=("text", "number", "integer", "date", "text", "text"),
                 title="Threaded", tier_column=4, table="CT_Threaded")


def _chunks(sheet: Sheet, threaded_rows: int, monkeypatch) -> bytes:
    monkeypatch.setattr(worksheet_xml, "THREADED_ROWS", threaded_rows)
    return b"".join(bytes(chunk) for chunk in worksheet_chunks(sheet, _style_book()))


def _style_book() -> StyleBook:
    from xl_addin.workbook.xlsx.writer import _STYLES

    return StyleBook(_STYLES.encode("utf-8"), theme=False)


def test_a_large_sheet_is_the_same_bytes_threaded_or_not(monkeypatch):
    sheet = Sheet(key="table:t", name="T", blocks=(_block(_frame(ROWS)),))
    threaded = _chunks(sheet, worksheet_xml.THREADED_ROWS, monkeypatch)
    single = _chunks(sheet, 10**9, monkeypatch)
    assert threaded == single
    assert threaded.count(b"<row ") == 2 + ROWS - ROWS // 1000  # title, header, rows with values


@pytest.mark.parametrize("chunk_rows, join_rows", [(1_000, 100), (777, 1_000), (5_000, 64)],
                         ids=["many-joins", "one-join-per-chunk", "uneven"])
def test_fragments_in_a_pool_come_in_row_order_as_without(chunk_rows, join_rows):
    block = _block(_frame(3_000))
    styles = CellStyles(block, _style_book())
    single = list(block_fragments(block, styles, chunk_rows=chunk_rows, whole_rows=True,
                                  join_rows=join_rows))
    with ThreadPoolExecutor(2) as pool:
        threaded = list(block_fragments(block, styles, chunk_rows=chunk_rows, whole_rows=True,
                                        join_rows=join_rows, pool=pool))
    assert len(threaded) == len(single)
    for (rows, xml), (own_rows, own_xml) in zip(threaded, single):
        assert rows.tolist() == own_rows.tolist()
        assert xml.equals(own_xml)


def test_a_threaded_sheet_reads_back_as_written(tmp_path):
    path = new_workbook(tmp_path / "threaded.xlsx")
    write_tables(path, {"T": _frame(ROWS)})
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("T").to_python()
    assert values[0] == ["id", "amount", "count", "date", "tier", "mixed"]
    # row k of the frame is sheet row k + 2 (values[k + 1]); hand-computed from _frame's rules
    assert values[1 + 1][:3] == ["C00001", 0.5, 1.0]
    assert values[1 + 11][0] == "C00011 & co"
    assert values[1 + 13][1] == ""  # NaN: an empty cell
    assert values[1 + 14][2] == ""  # NA: an empty cell
    assert values[1 + 18_005][4:] == ["B", 18_005.0]
    assert values[1 + 18_006][5] == "n/a 18006"
    assert values[1 + 19_000][3] == dt.date(2072, 1, 8)  # 2020-01-01 + 19,000 days
    assert values[1 + 999] == [""] * 6  # a row with no value at all


def test_on_one_cpu_a_large_sheet_is_converted_without_threads(monkeypatch):
    sheet = Sheet(key="table:t", name="T", blocks=(_block(_frame(ROWS)),))
    single = _chunks(sheet, 10**9, monkeypatch)

    def no_pool(*args, **kwargs):
        raise AssertionError("a thread pool on one CPU")

    monkeypatch.setattr(worksheet_xml, "usable_cpus", lambda: 1)
    monkeypatch.setattr(worksheet_xml, "ThreadPoolExecutor", no_pool)
    assert _chunks(sheet, worksheet_xml.THREADED_ROWS, monkeypatch) == single


def test_the_largest_sheet_made_ahead_is_the_same_package_as_made_in_its_turn(tmp_path, monkeypatch):
    """The largest worksheet is deflated ahead (``writer.AHEAD_ROWS``) while the other members
    are written, and written last; every member's bytes and the directory's order are as when
    it is made in its turn."""
    import io
    import zipfile

    from xl_addin.workbook.xlsx import writer

    def package(ahead_rows: int) -> bytes:
        monkeypatch.setattr(writer, "AHEAD_ROWS", ahead_rows)
        path = new_workbook(tmp_path / f"ahead-{ahead_rows}.xlsx")
        write_tables(path, {"Small": _frame(50), "T": _frame(ROWS), "Also": _frame(300)})
        return path.read_bytes()

    ahead, in_turn = package(worksheet_xml.THREADED_ROWS), package(10**9)
    with zipfile.ZipFile(io.BytesIO(ahead)) as made, zipfile.ZipFile(io.BytesIO(in_turn)) as other:
        assert made.testzip() is None
        assert made.namelist() == other.namelist()
        for name in made.namelist():
            assert made.read(name) == other.read(name), name
        by_offset = sorted(made.infolist(), key=lambda info: info.header_offset)
        big = max(made.infolist(), key=lambda info: info.file_size)
        assert by_offset[-1].filename == big.filename  # the T sheet, written last
        assert by_offset != made.infolist()
    values = CalamineWorkbook.from_filelike(io.BytesIO(ahead)).get_sheet_by_name("T").to_python()
    assert values[1 + 18_005][4:] == ["B", 18_005.0]


def test_a_failed_write_stops_the_sheet_made_ahead_and_leaves_the_file(tmp_path, monkeypatch):
    import threading

    from xl_addin.workbook.xlsx import package, writer

    path = new_workbook(tmp_path / "kept.xlsx")
    before_bytes = path.read_bytes()
    real_write = package.PackageWriter.write

    def full_disk(self, name, content, *args, **kwargs):
        if name.endswith("styles.xml"):
            raise OSError(28, "No space left on device")
        return real_write(self, name, content, *args, **kwargs)

    monkeypatch.setattr(package.PackageWriter, "write", full_disk)
    threads = threading.active_count()
    with pytest.raises(Exception, match="No space left"):
        write_tables(path, {"T": _frame(ROWS)})
    assert threading.active_count() == threads  # the sheet's threads stopped
    assert path.read_bytes() == before_bytes
    assert [p.name for p in tmp_path.iterdir()] == ["kept.xlsx"]  # no temporary file left
    assert writer.AHEAD_ROWS <= ROWS  # so the sheet was being made ahead
