"""The prepared-lines cache: a Settings change re-ranks from it without reading the sales, and
gives exactly what a refresh without the cache gives; a changed cell, shared string or date,
or changed line settings, are never served from it; it stays within its bound and survives
damaged entries."""

import os
import re
import shutil

import pandas as pd
import pytest

from tests.core.test_prepared import assert_same_result
from tests.workbook.test_sales_cache import count_parses, edit_entry, write_sales
from xl_addin.core import prepare_lines
from xl_addin.settings import Settings
from xl_addin.workbook.prepared_cache import SUFFIX, PreparedCache, default_folder
from xl_addin.workbook.refresh import check_workbook, refresh_file
from xl_addin.workbook import file_book

SALES_PART = "xl/worksheets/sheet1.xml"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def lookups(monkeypatch):
    """Every PreparedCache.get from now on: True for a hit, False for a miss."""
    found = []
    original = PreparedCache.get

    def get(self, key, formats):
        prepared = original(self, key, formats)
        found.append(prepared is not None)
        return prepared

    monkeypatch.setattr(PreparedCache, "get", get)
    return found


def refreshed_workbook(tmp_path):
    """A sales workbook refreshed once in place: it has our Settings sheet, and the caches
    hold its sales and their prepared lines."""
    path = write_sales(tmp_path / "book.xlsx")
    refresh_file(path)
    return path


def settings_part(path):
    """The zip entry of the Settings sheet our refresh wrote."""
    import zipfile

    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet") and b"<t>a_cut</t>" in package.read(name):
                return name
    raise AssertionError("no Settings sheet")


def set_setting(path, key, value):
    """Set one scalar of the Settings sheet in place (the other members byte for byte)."""
    cell = rf'(<is><t>{key}</t></is></c><c s="\d+")[^>]*?(?:/>|>.*?</c>)'
    if isinstance(value, str):
        replacement = rf'\1 t="inlineStr"><is><t>{value}</t></is></c>'
    else:
        replacement = rf"\1><v>{value}</v></c>"
    edit_entry(path, settings_part(path), cell, replacement)


def refresh_both(tmp_path, path, **options):
    """Refresh ``path`` (with the caches) and an identical copy without them: both outcomes."""
    copy = tmp_path / f"copy-{path.name}"
    shutil.copyfile(path, copy)
    cached = refresh_file(path, **options)
    fresh = refresh_file(copy, use_cache=False, **options)
    return cached, fresh


def assert_same_outcome(cached, fresh):
    assert not cached.up_to_date and not fresh.up_to_date
    assert_same_result(cached.result, fresh.result)
    assert cached.notes == fresh.notes
    assert cached.data.sales_sheets == fresh.data.sales_sheets
    assert cached.data.rows == fresh.data.rows


def test_a_settings_change_re_ranks_from_the_cache_as_a_refresh_without_it(tmp_path, cache_dir, lookups,
                                                                          monkeypatch):
    path = write_sales(tmp_path / "book.xlsx")
    first = refresh_file(path)
    assert lookups == [False]  # the first refresh prepared and stored the lines
    set_setting(path, "a_cut", 0.5)
    parsed = count_parses(monkeypatch)
    columns_read = []  # every sheet whose columns the file adapter reads (from the sales cache or not)
    original_columns = file_book.cached_columns
    monkeypatch.setattr(file_book, "cached_columns",
                        lambda book, sheet, *a: columns_read.append(sheet) or original_columns(book, sheet, *a))
    cached, fresh = refresh_both(tmp_path, path)
    assert lookups[1] is True  # the cached refresh: a hit
    assert cached.data.sales is None and cached.data.prepared is not None
    assert fresh.data.sales is not None and fresh.data.prepared is None
    assert parsed.count("Sales") == 1  # parsed once: by the refresh without the cache
    assert columns_read.count("Sales") == 1  # ... and the cached one did not ask the sales cache
    assert_same_outcome(cached, fresh)
    assert cached.result.settings.a_cut == 0.5
    # the tiers did move: the comparison is not between two unchanged results
    assert cached.result.customers["abc_tier"].tolist() != first.result.customers["abc_tier"].tolist()


def test_check_from_the_cache_reports_what_check_without_it_reports(tmp_path, cache_dir, lookups):
    path = refreshed_workbook(tmp_path)
    set_setting(path, "a_cut", 0.6)
    refresh_file(path)  # stores the lines for these settings (a_cut is not part of the key anyway)
    with_cache = check_workbook(path)
    without = check_workbook(path, use_cache=False)
    assert lookups[-1] is True
    assert (with_cache.sheets, with_cache.rows, with_cache.customers, with_cache.notes) == \
        (without.sheets, without.rows, without.customers, without.notes)
    pd.testing.assert_frame_equal(with_cache.data_quality, without.data_quality)
    pd.testing.assert_frame_equal(with_cache.reader_notes, without.reader_notes)
    assert with_cache.rows == 4


@pytest.mark.parametrize("part, old, new, revenue", [
    (SALES_PART, r"<v>400</v>", "<v>40</v>", {"Acme": 150, "Beta": 250, "Core": 40}),
    ("xl/sharedStrings.xml", r"<t>Core</t>", "<t>Cora</t>", {"Acme": 150, "Beta": 250, "Cora": 400}),
    (SALES_PART, r"<v>45725</v>", "<v>46725</v>", None),  # 2025-03-09 -> 2027-12-04: after today
], ids=["amount", "shared-string", "date"])
def test_a_changed_cell_is_never_served_from_the_cache(tmp_path, cache_dir, lookups, part, old, new, revenue):
    path = refreshed_workbook(tmp_path)
    edit_entry(path, part, old, new)
    cached, fresh = refresh_both(tmp_path, path)
    assert lookups[1:] == [False]
    assert_same_outcome(cached, fresh)
    by_customer = cached.result.customers.set_index("customer_id")["revenue"].to_dict()
    if revenue is not None:
        assert by_customer == revenue
    else:  # the line now dated in the future is left out and listed
        assert by_customer == {"Acme": 150, "Beta": 250} and len(cached.result.data_quality) == 1


@pytest.mark.parametrize("key, value", [("date_order", "DMY"), ("decimal_separator", ","),
                                        ("sob_period", "M"), ("retention_period", "Y"),
                                        ("cost_rate", 0.25), ("as_of", "2025-03-10")])
def test_changed_line_settings_are_never_served_from_the_cache(tmp_path, cache_dir, lookups, key, value):
    path = refreshed_workbook(tmp_path)
    set_setting(path, key, value)
    cached, fresh = refresh_both(tmp_path, path)
    assert lookups[1:] == [False]
    assert_same_outcome(cached, fresh)


def test_an_as_of_given_to_the_refresh_is_part_of_the_key(tmp_path, cache_dir, lookups):
    path = refreshed_workbook(tmp_path)
    cached, fresh = refresh_both(tmp_path, path, as_of=pd.Timestamp(2025, 3, 1).date())
    assert lookups[1:] == [False]
    assert_same_outcome(cached, fresh)
    assert cached.result.as_of == pd.Timestamp(2025, 3, 1)


def test_a_damaged_entry_is_a_miss_deleted_and_rewritten(tmp_path, cache_dir, lookups):
    path = refreshed_workbook(tmp_path)
    (entry,) = default_folder().glob(f"*{SUFFIX}")
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    set_setting(path, "a_cut", 0.7)
    cached, fresh = refresh_both(tmp_path, path)
    assert lookups[1:] == [False]
    assert_same_outcome(cached, fresh)
    assert entry.exists() and entry.stat().st_size > 100  # stored again, whole
    entry.write_bytes(b"not a pickle")
    assert PreparedCache().get(entry.stem, []) is None
    assert not entry.exists()


def test_an_entry_under_another_key_is_a_miss(tmp_path):
    cache = PreparedCache(tmp_path / "cache")
    cache.put("a", small_prepared(), [])
    os.replace(cache.path("a"), cache.path("b"))  # a file renamed: its stored key says "a"
    assert cache.get("b", []) is None and not cache.path("b").exists()


def small_prepared(customers=3):
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(customers)],
                          "date": ["2025-01-01"] * customers, "amount": [10.0] * customers})
    return prepare_lines(frame, Settings(), today=pd.Timestamp(2026, 1, 1))


def test_least_recently_used_entries_are_evicted_beyond_the_bound(tmp_path):
    probe = PreparedCache(tmp_path / "probe")
    probe.put("probe", small_prepared(), [])
    size = probe.path("probe").stat().st_size
    cache = PreparedCache(tmp_path / "cache", max_bytes=int(size * 2.5))  # room for two
    cache.put("a", small_prepared(), [])
    cache.put("b", small_prepared(), [])
    os.utime(cache.path("a"), (1_000, 1_000))
    os.utime(cache.path("b"), (2_000, 2_000))
    assert cache.get("a", []) is not None  # a is now the most recently used
    cache.put("c", small_prepared(), [])
    assert sorted(p.stem for p in cache.folder.glob(f"*{SUFFIX}")) == ["a", "c"]
    assert sum(p.stat().st_size for p in cache.folder.glob(f"*{SUFFIX}")) <= cache.max_bytes


def test_an_entry_larger_than_the_bound_is_not_stored(tmp_path):
    cache = PreparedCache(tmp_path / "cache", max_bytes=1000)
    assert not cache.put("big", small_prepared(500), [])
    assert list(cache.folder.iterdir()) == []  # no temporary file left behind


def test_a_changed_number_format_of_an_existing_style_is_a_miss(tmp_path):
    cache = PreparedCache(tmp_path / "cache")
    cache.put("a", small_prepared(), ["0", "14"])
    assert cache.get("a", ["0", "14", "164:0.00%"]) is not None  # a style appended: still valid
    assert cache.get("a", ["0", "2"]) is None  # the date style became a number format


def test_no_cache_stores_no_prepared_lines(tmp_path, cache_dir):
    path = write_sales(tmp_path / "book.xlsx")
    refresh_file(path, use_cache=False)
    check_workbook(path, use_cache=False)
    assert not default_folder().exists() or not list(default_folder().glob(f"*{SUFFIX}"))
    check_workbook(path)
    assert len(list(default_folder().glob(f"*{SUFFIX}"))) == 1


def test_the_folder_is_beside_the_sales_cache(tmp_path, monkeypatch):
    import platformdirs

    monkeypatch.setenv("CUSTOMER_TIERS_CACHE_DIR", str(tmp_path))
    assert default_folder() == tmp_path / "prepared"
    monkeypatch.delenv("CUSTOMER_TIERS_CACHE_DIR")
    assert default_folder() == platformdirs.user_cache_path("customer-tiers", appauthor=False) / "prepared"


def test_the_key_changes_with_the_product_code(monkeypatch):
    from xl_addin.workbook import cache_folder

    before = PreparedCache.key({"sheets": ["x"]})
    monkeypatch.setattr(cache_folder, "product_code", lambda: "another build")
    assert PreparedCache.key({"sheets": ["x"]}) != before
    assert re.fullmatch(r"[0-9a-f]{64}", before)


def test_the_entry_keeps_the_clv_fits_made_by_the_refresh(tmp_path, cache_dir, monkeypatch):
    from xl_addin.core import pipeline

    path = refreshed_workbook(tmp_path)
    (entry,) = default_folder().glob(f"*{SUFFIX}")
    fits = []
    original = pipeline.model_fits
    monkeypatch.setattr(pipeline, "model_fits", lambda summary: fits.append(1) or original(summary))
    set_setting(path, "a_cut", 0.6)
    cached, fresh = refresh_both(tmp_path, path)
    assert fits == [1]  # fitted by the refresh without the cache only
    assert_same_outcome(cached, fresh)
    assert len(list(default_folder().glob(f"*{SUFFIX}"))) == 1 and entry.exists()
