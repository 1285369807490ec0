"""Refresh records: a refresh with nothing to do writes nothing, and any change to the input,
the output, the options or the date makes it run."""

import datetime as dt
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from xl_addin.cli import cli
from xl_addin.workbook import refresh_records
from xl_addin.workbook.file_book import FileTarget
from xl_addin.workbook.refresh import refresh_file
from xl_addin.workbook.cache_folder import code_digest
from xl_addin.workbook.refresh_records import SUFFIX, RefreshRecords, package_members

from .test_sales_cache import edit_entry, write_sales


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The cache folder of these tests' refreshes (sales cache and refresh records)."""
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "refreshes"


@pytest.fixture
def writes(monkeypatch):
    """The files FileTarget writes from now on."""
    written = []
    original = FileTarget.write

    def counting(self, report, plan):
        written.append(self.out or self.path)
        return original(self, report, plan)

    monkeypatch.setattr(FileTarget, "write", counting)
    return written


def revenue(outcome):
    return outcome.result.customers.set_index("customer_id")["revenue"].to_dict()


def test_refreshing_into_the_same_out_again_writes_nothing(tmp_path, folder, writes):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    first = refresh_file(path, out=out)
    assert first.written and not first.up_to_date
    assert revenue(first) == {"Acme": 150, "Beta": 250, "Core": 400}
    content, stamp = out.read_bytes(), out.stat().st_mtime_ns

    second = refresh_file(path, out=out)
    assert second.up_to_date and not second.written
    assert writes == [out]  # the first refresh only
    assert out.read_bytes() == content and out.stat().st_mtime_ns == stamp
    assert (second.report, second.plan, second.data) == (None, None, None)
    # the result reported is the one that was written, as a fresh refresh computes it
    fresh = refresh_file(path, out=tmp_path / "fresh.xlsx", use_cache=False)
    pd.testing.assert_frame_equal(second.result.customers, fresh.result.customers)
    pd.testing.assert_frame_equal(second.result.data_quality, fresh.result.data_quality)
    assert second.result.as_of == fresh.result.as_of == pd.Timestamp(2025, 3, 10)
    assert second.notes == first.notes


@pytest.mark.parametrize("entry, old, new, expected", [
    # a sales amount, a shared string, a part the refresh copies without reading it
    ("xl/worksheets/sheet1.xml", r"<v>250</v>", "<v>350</v>", {"Acme": 150, "Beta": 350, "Core": 400}),
    ("xl/sharedStrings.xml", r"<t>Core</t>", "<t>Cora</t>", {"Acme": 150, "Beta": 250, "Cora": 400}),
    ("xl/styles.xml", r"<fonts count=\"1\"><font/>", '<fonts count="1"><font><b/></font>',
     {"Acme": 150, "Beta": 250, "Core": 400}),
])
def test_any_change_to_the_input_refreshes_again(tmp_path, folder, writes, entry, old, new, expected):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    refresh_file(path, out=out)
    edit_entry(path, entry, old, new)
    again = refresh_file(path, out=out)
    assert again.written and not again.up_to_date
    assert revenue(again) == expected
    assert writes == [out, out]


def test_a_changed_output_is_written_again(tmp_path, folder, writes):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    refresh_file(path, out=out)
    content = out.read_bytes()
    shutil.copy(path, out)  # the user saved something else there
    again = refresh_file(path, out=out)
    assert again.written and out.read_bytes() == content
    out.unlink()  # or deleted it
    assert refresh_file(path, out=out).written and out.read_bytes() == content
    assert len(writes) == 3


def test_the_options_and_the_date_are_part_of_the_key(tmp_path, folder, writes, monkeypatch):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    refresh_file(path, out=out)
    assert refresh_file(path, out=out, as_of=dt.date(2025, 2, 1)).written
    assert revenue(refresh_file(path, out=out, as_of=dt.date(2025, 2, 1))) == {"Acme": 100, "Beta": 250}
    assert refresh_file(path, out=out, language="zh").written
    assert refresh_file(path, out=out, language="zh").up_to_date
    assert refresh_file(path, out=out, language="zh", force=True).written
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(refresh_records, "today", lambda: tomorrow)
    assert refresh_file(path, out=out, language="zh", force=True).written
    assert len(writes) == 5


def test_without_the_cache_every_refresh_writes(tmp_path, folder, writes):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    for _ in range(2):
        assert refresh_file(path, out=out, use_cache=False).written
    assert not folder.exists()
    refresh_file(path, out=out)
    assert refresh_file(path, out=out).up_to_date
    assert refresh_file(path, out=out, use_cache=False).written
    assert len(writes) == 4


def test_in_place_a_refresh_is_skipped_only_once_it_would_give_the_same_file(tmp_path, folder):
    path = write_sales(tmp_path / "b.xlsx")
    skipped = []
    for _ in range(5):
        outcome = refresh_file(path)
        skipped.append(outcome.up_to_date)
        if outcome.up_to_date:  # refreshing the file for real gives the file back unchanged
            copy = shutil.copy(path, tmp_path / "copy.xlsx")
            refresh_file(copy, use_cache=False)
            assert (tmp_path / "copy.xlsx").read_bytes() == path.read_bytes()
    # the second refresh moves the Tier change column, the third writes what the second did
    assert skipped == [False, False, False, True, True]


def test_a_damaged_record_is_ignored_deleted_and_rewritten(tmp_path, folder, writes):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    refresh_file(path, out=out)
    (record,) = folder.glob(f"*{SUFFIX}")
    record.write_bytes(record.read_bytes()[:40])  # truncated
    assert refresh_file(path, out=out).written
    assert record.exists() and refresh_file(path, out=out).up_to_date
    assert len(writes) == 2


def test_least_recently_used_records_are_evicted_beyond_the_bound(tmp_path):
    book = write_sales(tmp_path / "b.xlsx")
    records = RefreshRecords(tmp_path / "records", max_bytes=3000)  # two records of about 1.3 kB
    for number, key in enumerate("abc"):
        assert records.put(key, book, b"x" * 1000)
        path = records.path(key)
        stamp = 1_000_000 + number
        refresh_records.os.utime(path, (stamp, stamp))
    assert not records.path("a").exists()
    assert records.get("b", book) == b"x" * 1000 and records.get("c", book) == b"x" * 1000
    assert records.get("b", tmp_path / "missing.xlsx") is None  # the written file is gone
    assert not records.put("d", book, b"x" * 3000)  # larger than the bound: not stored
    assert not records.put("e", book, lambda: None)  # cannot be pickled: not stored
    assert sorted(p.name for p in records.folder.iterdir()) == ["b.refresh", "c.refresh"]


def test_package_members_name_every_member_by_content(tmp_path):
    path = write_sales(tmp_path / "b.xlsx")
    members = package_members(path)
    assert [name for name, _, _ in members] == sorted([
        "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
        "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
    edit_entry(path, "xl/worksheets/sheet1.xml", r"<v>250</v>", "<v>350</v>")  # same size
    changed = {m[0] for m in set(package_members(path)) ^ set(members)}
    assert changed == {"xl/worksheets/sheet1.xml"}
    (tmp_path / "text.xlsx").write_text("not a zip")
    assert package_members(tmp_path / "text.xlsx") is None
    assert package_members(tmp_path / "missing.xlsx") is None


def test_the_cli_says_when_nothing_changed(tmp_path, folder):
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    runner = CliRunner()
    first = runner.invoke(cli, ["refresh", str(path), "--out", str(out)])
    assert first.exit_code == 0 and f"Wrote {out}" in first.output
    second = runner.invoke(cli, ["refresh", str(path), "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert f"Up to date: {out} already holds this refresh" in second.output
    assert "Wrote" not in second.output
    assert "3 customers ranked by revenue as of 2025-03-10: A 2, B 1" in second.output
    third = runner.invoke(cli, ["refresh", str(path), "--out", str(out), "--no-cache"])
    assert f"Wrote {out}" in third.output


def test_the_code_is_part_of_the_key(tmp_path, folder, writes, monkeypatch):
    # a build between two version numbers writes other sheets: its records are not the old ones
    package = tmp_path / "package"
    (package / "core").mkdir(parents=True)
    (package / "core" / "abc.py").write_text("A_CUT = 0.8\n")
    before = code_digest(package)
    (package / "core" / "abc.py").write_text("A_CUT = 0.7\n")
    edited = code_digest(package)
    (package / "core" / "abc.py").rename(package / "abc.py")
    assert len({before, edited, code_digest(package)}) == 3
    path = write_sales(tmp_path / "b.xlsx")
    out = tmp_path / "out.xlsx"
    refresh_file(path, out=out)
    monkeypatch.setattr(refresh_records.cache_folder, "product_code", lambda: "another build")
    assert refresh_file(path, out=out).written
    assert refresh_file(path, out=out).up_to_date


# -- the libraries' versions in the key, read from their .dist-info folders ---------------


def test_installed_versions_are_importlib_metadatas():
    from importlib.metadata import version

    for name in refresh_records.LIBRARIES:
        assert refresh_records.installed_version(name) == version(name)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty folder as the only sys.path entry, its listing read afresh."""
    monkeypatch.setattr("sys.path", [str(tmp_path)])
    refresh_records._dist_info_versions.cache_clear()
    yield tmp_path
    refresh_records._dist_info_versions.cache_clear()


def test_installed_version_is_the_dist_info_folders(site):
    (site / "pandas-9.8.7.dist-info").mkdir()
    (site / "pandas_stubs-1.0.dist-info").mkdir()  # another distribution: not pandas'
    assert refresh_records.installed_version("pandas") == "9.8.7"


def test_two_versions_or_an_egg_ask_importlib_metadata(site, monkeypatch):
    asked = []
    monkeypatch.setattr("importlib.metadata.version", lambda name: asked.append(name) or "from metadata")
    (site / "numpy-1.0.dist-info").mkdir()
    (site / "numpy-2.0.dist-info").mkdir()
    (site / "scipy-1.0-py3.11.egg-info").mkdir()
    assert refresh_records.installed_version("numpy") == "from metadata"
    assert refresh_records.installed_version("scipy") == "from metadata"
    assert refresh_records.installed_version("isal") == "from metadata"  # not in the folder
    assert asked == ["numpy", "scipy", "isal"]


def test_a_new_library_version_changes_the_key(site, tmp_path):
    book = tmp_path / "book.xlsx"
    write_sales(book)
    for name in refresh_records.LIBRARIES:
        (site / f"{name}-1.0.dist-info").mkdir()
    before = RefreshRecords.key(book, None)
    refresh_records._dist_info_versions.cache_clear()
    (site / "pyarrow-1.0.dist-info").rename(site / "pyarrow-1.1.dist-info")
    assert RefreshRecords.key(book, None) != before
