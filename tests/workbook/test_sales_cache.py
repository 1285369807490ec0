"""The parsed-sales cache: a changed cell is never served from it, settings and versions are
part of its key, it stays within its bound and survives damaged entries."""

import datetime as dt
import math
import os
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.settings import Settings
from xl_addin.workbook.read import SalesBook
from xl_addin.workbook.refresh import refresh_workbook
from xl_addin.workbook.sales_cache import SUFFIX, SalesCache, cached_columns
from xl_addin.workbook.tables import customer_id_fallback, sales_fields

D = dt.datetime


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ROWS = [["Acme", D(2025, 1, 5), 100, 90], ["Beta", D(2025, 2, 1), 250, 200],
        ["Core", D(2025, 3, 9), 400, 380], ["Acme", D(2025, 3, 10), 50, 45]]


def write_sales(path, rows=ROWS):
    """Sales as Excel writes it: Customer in shared strings, Date as serials with a date
    style (numFmtId 14), Amount and Net as numbers."""
    strings = []

    def cell(ref, value):
        if isinstance(value, str):
            if value not in strings:
                strings.append(value)
            return f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>'
        if isinstance(value, dt.datetime):
            return f'<c r="{ref}" s="1"><v>{(value - D(1899, 12, 30)).days}</v></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'

    sheet_rows = []
    for number, row in enumerate([["Customer", "Date", "Amount", "Net"], *rows], start=1):
        cells = "".join(cell(f"{letter}{number}", v) for letter, v in zip("ABCD", row))
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    types = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{types}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{types}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{types}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{types}.styles+xml"/>'
            "</Types>"))
        package.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))
        package.writestr("xl/workbook.xml", (
            f'<workbook {NS} xmlns:r="{REL}"><workbookPr/><sheets>'
            '<sheet name="Sales" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        package.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        package.writestr("xl/styles.xml", (
            f'<styleSheet {NS}><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            "</cellXfs></styleSheet>"))
        package.writestr("xl/sharedStrings.xml",
                         f'<sst {NS} count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>')
        package.writestr("xl/worksheets/sheet1.xml",
                         f"<worksheet {NS}><sheetData>{''.join(sheet_rows)}</sheetData></worksheet>")
    return path


def edit_entry(path, entry, old, new):
    """Replace the text ``old`` (a regular expression, exactly one match) by ``new`` in one zip
    entry of the package at ``path`` and re-zip it, as a spreadsheet program saving would."""
    with zipfile.ZipFile(path) as package:
        infos = package.infolist()
        parts = {info.filename: package.read(info.filename) for info in infos}
    text = parts[entry].decode()
    edited, count = re.subn(old, new, text)
    assert count == 1, f"{old!r} found {count} times in {entry}"
    parts[entry] = edited.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info in infos:
            package.writestr(info, parts[info.filename])


def read(path, cache, settings=Settings()):
    """The Sales sheet's columns as the refresh's file adapter reads them (through ``cache``)."""
    with SalesBook.open(path) as book:
        header = book.header("Sales")
        fields = dict(sales_fields("Sales", header, settings))
        frame = cached_columns(book, "Sales", header, fields, None, cache)
    return customer_id_fallback(frame, "Sales")[0]


def revenue_by_customer(path, cache):
    frame = read(path, cache)
    return frame.groupby("customer_id")["amount"].sum().to_dict()


@pytest.fixture
def cache(tmp_path):
    return SalesCache(tmp_path / "cache")


def test_unchanged_sales_come_from_the_cache_equal_to_a_fresh_read(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    first = read(path, cache)
    second = read(path, cache)
    assert (cache.hits, cache.misses) == (1, 1)
    fresh = read(path, None)
    pd.testing.assert_frame_equal(second, fresh)
    pd.testing.assert_frame_equal(first, fresh)


def test_a_changed_amount_is_read_again(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    assert revenue_by_customer(path, cache) == {"Acme": 150, "Beta": 250, "Core": 400}
    # Beta's 250 -> 350: same length, so the sheet part keeps its size; only its CRC changes
    edit_entry(path, "xl/worksheets/sheet1.xml", r"<v>250</v>", "<v>350</v>")
    assert revenue_by_customer(path, cache) == {"Acme": 150, "Beta": 350, "Core": 400}
    assert cache.hits == 0


def test_a_changed_date_is_read_again(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    assert read(path, cache)["date"].tolist()[2] == pd.Timestamp(2025, 3, 9)
    serial = (D(2025, 3, 9) - D(1899, 12, 30)).days  # 45725
    edit_entry(path, "xl/worksheets/sheet1.xml", rf"<v>{serial}</v>", f"<v>{serial + 1}</v>")
    assert read(path, cache)["date"].tolist()[2] == pd.Timestamp(2025, 3, 10)
    assert cache.hits == 0


def test_a_changed_shared_string_is_read_again(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    assert read(path, cache)["customer_id"].tolist() == ["Acme", "Beta", "Core", "Acme"]
    # the sheet part is untouched: only the shared strings part changes (same length)
    edit_entry(path, "xl/sharedStrings.xml", r"<t>Core</t>", "<t>Cora</t>")
    assert read(path, cache)["customer_id"].tolist() == ["Acme", "Beta", "Cora", "Acme"]
    assert cache.hits == 0


def test_a_changed_date_system_is_read_again(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    before = read(path, cache)["date"].tolist()[0]
    edit_entry(path, "xl/workbook.xml", r"<workbookPr", '<workbookPr date1904="1"')
    after = read(path, cache)["date"].tolist()[0]  # 1904 dates come as 1900-system serials
    assert isinstance(after, float)
    assert pd.Timestamp(1899, 12, 30) + pd.Timedelta(days=after) - before == pd.Timedelta(days=1462)
    assert cache.hits == 0


def test_refresh_sees_an_edit_made_between_two_cached_refreshes(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path / "cache"))
    path = write_sales(tmp_path / "b.xlsx")
    revenue = lambda result: result.customers.set_index("customer_id")["revenue"].to_dict()  # noqa: E731
    first = refresh_workbook(path, out=tmp_path / "out1.xlsx")
    assert revenue(first) == {"Acme": 150, "Beta": 250, "Core": 400}
    assert list((tmp_path / "cache").glob(f"*{SUFFIX}"))  # the parsed sales were stored
    edit_entry(path, "xl/worksheets/sheet1.xml", r"<v>400</v>", "<v>40</v>")
    second = refresh_workbook(path, out=tmp_path / "out2.xlsx")
    assert revenue(second) == {"Acme": 150, "Beta": 250, "Core": 40}


def count_parses(monkeypatch):
    """Sheets parsed by fastexcel from now on (cached or not), in order."""
    parsed = []
    original = SalesBook._read_typed_fields

    def counting(self, sheet, *args, **kwargs):
        parsed.append(sheet)
        return original(self, sheet, *args, **kwargs)

    monkeypatch.setattr(SalesBook, "_read_typed_fields", counting)
    return parsed


def test_refreshing_in_place_again_uses_the_entry(tmp_path, monkeypatch):
    # the first refresh adds our sheets (workbook.xml, its relationships, the content types
    # change): the sales part, shared strings, styles and date system do not, so the second
    # refresh takes the Sales sheet from the cache
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path / "cache"))
    path = write_sales(tmp_path / "b.xlsx")
    refresh_workbook(path)
    parsed = count_parses(monkeypatch)
    refresh_workbook(path)
    assert "Sales" not in parsed
    refresh_workbook(path, use_cache=False)
    assert "Sales" in parsed  # the counter sees a real parse


def test_a_hit_does_not_open_the_package_with_the_reader(tmp_path, monkeypatch):
    # fastexcel parses every shared string when it opens a package: a hit must not need it
    import fastexcel

    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path / "cache"))
    path = write_sales(tmp_path / "b.xlsx")
    refresh_workbook(path, out=tmp_path / "out.xlsx")
    opened = []
    original = fastexcel.read_excel
    monkeypatch.setattr(fastexcel, "read_excel", lambda data: opened.append(1) or original(data))
    before = refresh_workbook(path, out=tmp_path / "out.xlsx", use_cache=False)
    assert opened  # the counter sees an open
    opened.clear()
    after = refresh_workbook(path, out=tmp_path / "out.xlsx")
    assert opened == []
    pd.testing.assert_frame_equal(after.customers, before.customers)


def test_a_sheet_pointed_at_another_part_is_read_again(tmp_path, cache):
    # workbook.xml and its relationships are not in the key: the part a sheet name resolves
    # to is. Swap which part "Sales" names (same workbook.xml size): the other part's rows.
    path = write_sales(tmp_path / "b.xlsx")
    with zipfile.ZipFile(path) as package:
        infos = package.infolist()
        parts = {info.filename: package.read(info.filename) for info in infos}
    other = parts["xl/worksheets/sheet1.xml"].replace(b"<v>250</v>", b"<v>999</v>")
    parts["xl/worksheets/sheet2.xml"] = other
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b'<sheet name="Sales" sheetId="1" r:id="rId1"/>',
        b'<sheet name="Sales" sheetId="1" r:id="rId1"/><sheet name="Old" sheetId="2" r:id="rId9"/>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId9" Type="{REL}/worksheet" Target="worksheets/sheet2.xml"/>'
        "</Relationships>".encode())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>').encode())

    def save():
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
            for name, data in parts.items():
                package.writestr(name, data)

    save()
    assert revenue_by_customer(path, cache)["Beta"] == 250
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b'"worksheets/sheet1.xml"', b'"worksheets/sheetX.xml"').replace(
        b'"worksheets/sheet2.xml"', b'"worksheets/sheet1.xml"').replace(
        b'"worksheets/sheetX.xml"', b'"worksheets/sheet2.xml"')
    save()
    assert revenue_by_customer(path, cache)["Beta"] == 999
    assert cache.hits == 0


def test_cells_that_did_not_fit_come_back_from_the_cache_as_read(tmp_path, cache):
    rows = [["Acme", D(2025, 1, 5), "n/a", 90], ["Beta", "soon", 250, 200],
            ["Core", D(2025, 3, 9), 400, 380], ["Acme", D(2025, 3, 10), 50, 45]]
    path = write_sales(tmp_path / "b.xlsx", rows)
    edit_entry(path, "xl/worksheets/sheet1.xml", r'<c r="C5"><v>50</v></c>',
               '<c r="C5" t="b"><v>1</v></c>')  # TRUE typed in Amount
    fresh = read(path, None)
    assert fresh["amount"].tolist() == ["n/a", 250, 400, True]
    assert fresh["date"].tolist()[1] == "soon"
    first, second = read(path, cache), read(path, cache)
    assert (cache.hits, cache.misses) == (1, 1)
    for frame in (first, second):
        pd.testing.assert_frame_equal(frame, fresh)
        assert [type(v) for v in frame["amount"]] == [str, float, float, bool]


def test_column_map_is_part_of_the_key(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    assert read(path, cache)["amount"].tolist() == [100, 250, 400, 50]
    net = Settings(column_map=(("amount", "Net"),))
    assert read(path, cache, net)["amount"].tolist() == [90, 200, 380, 45]
    assert cache.hits == 0
    assert read(path, cache)["amount"].tolist() == [100, 250, 400, 50]
    assert cache.hits == 1


def test_settings_that_do_not_change_the_reading_share_the_entry(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    read(path, cache)
    read(path, cache, Settings(a_cut=0.7, language="zh", date_order="DMY", decimal_separator=","))
    assert (cache.hits, cache.misses) == (1, 1)


@pytest.mark.parametrize("change", ["version", "code"])
def test_the_product_version_and_code_are_part_of_the_key(tmp_path, cache, monkeypatch, change):
    import xl_addin.workbook.sales_cache as module

    path = write_sales(tmp_path / "b.xlsx")
    read(path, cache)
    read(path, cache)
    if change == "version":
        monkeypatch.setattr(module, "__version__", "999.0")
    else:  # a build between two version numbers
        monkeypatch.setattr(module.cache_folder, "product_code", lambda: "another build")
    read(path, cache)
    assert (cache.hits, cache.misses) == (1, 2)


def test_cells_of_every_kind_come_back_with_their_type(tmp_path, cache):
    mixed = np.array([None, math.nan, 1.5, "n/a", D(2025, 1, 2, 3, 4, 5, 6), True, 3,
                      dt.date(2025, 1, 2), "#N/A", ""], dtype=object)
    frame = pd.DataFrame({"customer_id": pd.Series(list("abcdefghij"), dtype="str"),
                          "amount": mixed, "cost": np.arange(10.0)})
    frame.attrs["notes"] = ("Sheet 'Sales': a note",)
    assert cache.put("k", frame)
    back = cache.get("k")
    pd.testing.assert_frame_equal(back, frame)
    got = back["amount"].tolist()
    assert got[0] is None and math.isnan(got[1])
    assert [type(v) for v in got[2:]] == [float, str, dt.datetime, bool, int, dt.date, str, str]
    assert got[2:] == mixed[2:].tolist()
    assert back.attrs["notes"] == ("Sheet 'Sales': a note",)


def test_a_value_it_cannot_round_trip_is_not_stored(tmp_path, cache):
    frame = pd.DataFrame({"amount": np.array([pd.Timestamp("2025-01-01"), 1.0], dtype=object)})
    assert not cache.put("k", frame)
    aware = pd.DataFrame({"amount": np.array(
        [dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), 1.0], dtype=object)})
    assert not cache.put("k", aware)
    assert cache.get("k") is None


def test_a_damaged_entry_is_ignored_deleted_and_rewritten(tmp_path, cache):
    path = write_sales(tmp_path / "b.xlsx")
    read(path, cache)
    cache.wait()  # the entry is written in the background
    (entry,) = cache.folder.glob(f"*{SUFFIX}")
    entry.write_bytes(entry.read_bytes()[:200])  # truncated
    assert revenue_by_customer(path, cache) == {"Acme": 150, "Beta": 250, "Core": 400}
    assert cache.hits == 0 and cache.misses == 2
    cache.wait()
    assert entry.exists() and entry.stat().st_size > 200  # written again, whole
    entry.write_bytes(b"not an arrow file")
    assert cache.get(entry.stem) is None
    assert not entry.exists()


def test_least_recently_used_entries_are_evicted_beyond_the_bound(tmp_path):
    frame = pd.DataFrame({"amount": np.arange(2000.0)})
    probe = SalesCache(tmp_path / "probe")
    probe.put("probe", frame)
    size = probe.path("probe").stat().st_size
    cache = SalesCache(tmp_path / "cache", max_bytes=int(size * 2.5))  # room for two
    cache.put("a", frame)
    cache.put("b", frame)
    os.utime(cache.path("a"), (1_000, 1_000))
    os.utime(cache.path("b"), (2_000, 2_000))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", frame)
    assert sorted(p.stem for p in cache.folder.glob(f"*{SUFFIX}")) == ["a", "c"]
    assert sum(p.stat().st_size for p in cache.folder.glob(f"*{SUFFIX}")) <= cache.max_bytes


def test_an_entry_larger_than_the_bound_is_not_stored(tmp_path):
    cache = SalesCache(tmp_path / "cache", max_bytes=1000)
    assert not cache.put("big", pd.DataFrame({"amount": np.arange(10_000.0)}))
    assert list(cache.folder.iterdir()) == []  # no temporary file left behind


def test_no_cache_option_of_refresh_and_check(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(folder))
    path = write_sales(tmp_path / "b.xlsx")
    runner = CliRunner()
    for command in (["check", str(path), "--no-cache"],
                    ["refresh", str(path), "--out", str(tmp_path / "o.xlsx"), "--no-cache"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    assert not folder.exists() or not list(folder.glob(f"*{SUFFIX}"))
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert len(list(folder.glob(f"*{SUFFIX}"))) == 1


def test_default_folder_is_the_user_cache_folder(monkeypatch):
    import platformdirs

    from xl_addin.workbook.sales_cache import default_folder

    monkeypatch.delenv("CUSTOMER_TIERS_CACHE_DIR", raising=False)
    assert default_folder().parent == platformdirs.user_cache_path("customer-tiers", appauthor=False)


def test_a_changed_number_format_is_read_again(tmp_path, cache):
    # the Date column's style (numFmtId 14, a date) becomes a plain number format (2): the
    # reader sees number cells, not date cells, so the entry must not serve them
    path = write_sales(tmp_path / "b.xlsx")
    read(path, cache)
    edit_entry(path, "xl/styles.xml", r'<xf numFmtId="14"', '<xf numFmtId="2"')
    read(path, cache)
    assert (cache.hits, cache.misses) == (0, 2)
    edit_entry(path, "xl/styles.xml", r'<xf numFmtId="2"', '<xf numFmtId="164"')
    edit_entry(path, "xl/styles.xml", r'<fonts', '<numFmts count="1"><numFmt numFmtId="164" '
               'formatCode="0.00"/></numFmts><fonts')
    read(path, cache)
    edit_entry(path, "xl/styles.xml", r'formatCode="0.00"', 'formatCode="yyyy-mm-dd"')
    read(path, cache)  # the same style id, its custom code now a date
    assert (cache.hits, cache.misses) == (0, 4)


def test_a_cell_style_appended_keeps_the_entry(tmp_path, cache):
    # what a refresh (or Excel) does when it adds styles: the cells' styles keep their formats
    path = write_sales(tmp_path / "b.xlsx")
    first = read(path, cache)
    edit_entry(path, "xl/styles.xml", r'<cellXfs count="2">(.*)</cellXfs>',
               r'<cellXfs count="3">\1<xf numFmtId="22" applyNumberFormat="1"/></cellXfs>')
    pd.testing.assert_frame_equal(read(path, cache), first)
    assert (cache.hits, cache.misses) == (1, 1)


def test_an_entry_stored_in_the_background_is_what_was_put_even_if_the_frame_changes_after(cache):
    frame = pd.DataFrame({"amount": np.arange(5.0), "customer_id": pd.array(list("abcde"), dtype="str")})
    assert cache.put("k", frame, background=True)
    frame.loc[0, "amount"] = 99.0  # the caller goes on with its frame while the entry is written
    cache.wait()
    assert [p.name for p in cache.folder.iterdir()] == [cache.path("k").name]  # whole, no temporary
    back = cache.get("k")
    assert back["amount"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert back["customer_id"].tolist() == list("abcde")


def test_get_waits_for_an_entry_being_stored(cache):
    frame = pd.DataFrame({"amount": np.arange(200_000.0)})
    cache.put("k", frame, background=True)
    back = cache.get("k")  # no wait() first: get itself waits
    assert back is not None and back["amount"].sum() == frame["amount"].sum()
