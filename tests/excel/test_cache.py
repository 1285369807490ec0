"""Population cache: one computation per distinct input, bounded, exact on edits."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_addin.excel.cache import CELL_BYTES, PopulationCache


def calls_with(cache, arguments, key="k"):
    """Ask ``cache`` for ``arguments``; return True when it computed (a miss)."""
    computed = []
    cache.get(key, lambda: computed.append(1) or "population", arguments)
    return bool(computed)


def test_equal_values_in_fresh_lists_hit_and_an_edit_misses():
    cache = PopulationCache()
    customers = [["a"], ["b"], ["c"]]
    assert calls_with(cache, (customers, 0.8))
    assert not calls_with(cache, ([list(r) for r in customers], 0.8))  # fresh, equal: a hit
    assert calls_with(cache, ([["a"], ["b"], ["d"]], 0.8))
    assert calls_with(cache, (customers, 0.9))  # a scalar argument
    assert calls_with(cache, ([["a", "b", "c"]], 0.8))  # shape is part of the key
    assert calls_with(cache, (("a", "b", "c"), 0.8))  # so is a tuple against a list


@pytest.mark.parametrize("before, after", [
    (1.0, True), (0.0, False), (True, 1.0), (1, 1.0), ("1001", 1001.0), (None, ""),
    (dt.datetime(2025, 1, 1), dt.date(2025, 1, 1)), (2.5, 2.5000000001),
])
def test_a_cell_changed_to_an_equal_looking_value_misses(before, after):
    # 1.0 == True in Python, but the core takes TRUE for no amount: equal is not enough
    cache = PopulationCache()
    cells = [3.0] * 5000
    cells[1234] = before
    assert calls_with(cache, (["c"] * 5000, cells))
    assert not calls_with(cache, (["c"] * 5000, list(cells)))
    edited = list(cells)
    edited[1234] = after
    assert calls_with(cache, (["c"] * 5000, edited))


def test_one_edited_cell_of_a_long_column_misses_wherever_it_is():
    amounts = [float(i % 97) for i in range(100_000)]
    for position in (0, 537, 50_000, 99_999):  # sampled for the cheap key, or not
        cache = PopulationCache()
        assert calls_with(cache, (amounts,))
        edited = list(amounts)
        edited[position] += 0.5
        assert calls_with(cache, (edited,)), position
        assert not calls_with(cache, (list(edited),)), position


def test_numpy_arguments_compare_by_value_dtype_and_shape():
    cache = PopulationCache()
    values = np.arange(10.0)
    assert calls_with(cache, (values,))
    assert not calls_with(cache, (values.copy(),))
    assert calls_with(cache, (values.astype(np.float32),))
    edited = values.copy()
    edited[3] = -1
    assert calls_with(cache, (edited,))


def test_the_stored_copy_does_not_follow_later_changes_to_the_caller_s_list():
    cache = PopulationCache()
    amounts = [1.5, 2.5, 3.5]
    assert calls_with(cache, (amounts,))
    amounts[0] = 9.5  # the same list object, changed in place
    assert calls_with(cache, (amounts,))


def test_memory_is_bounded_by_an_estimate_of_ranges_and_results():
    # dates have no fingerprint: the range is copied and estimated at CELL_BYTES a cell
    ranges = [dt.datetime(2025, 1, 1) + dt.timedelta(days=i) for i in range(10_000)]
    cache = PopulationCache(maxsize=8, max_bytes=int(2.5 * 10_000 * CELL_BYTES))
    for key in "abcd":
        cache.get(key, lambda: "population", (ranges,))
    assert len(cache) == 2 and cache.nbytes() <= cache.max_bytes
    big = pd.DataFrame({"x": np.zeros(1_000_000)})  # 8 MB by memory_usage
    cache = PopulationCache(max_bytes=4 * 2**20)
    cache.get("small", lambda: "population", ([1.0],))
    cache.get("big", lambda: big, ([2.0],))
    assert len(cache) == 1  # the newest entry stays even when it alone is over the bound


def test_a_second_get_does_not_compute_again():
    cache = PopulationCache(maxsize=2)
    calls = []
    compute = lambda: calls.append(1) or "population"  # noqa: E731
    assert cache.get("k", compute) == "population"
    assert cache.get("k", compute) == "population"
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)


def test_least_recently_used_entry_is_dropped():
    cache = PopulationCache(maxsize=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 1)  # a is now the most recent
    cache.get("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get("b", lambda: "recomputed") == "recomputed"


def test_a_failing_computation_stores_nothing():
    cache = PopulationCache()

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        cache.get("k", fail)
    assert len(cache) == 0


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError, match="maxsize must be >= 1"):
        PopulationCache(maxsize=0)


def test_flat_columns_as_xlwings_squeezes_them_check_every_value():
    cache = PopulationCache()
    amounts = [float(i) for i in range(1000)]
    assert calls_with(cache, (["a"] * 1000, amounts))
    assert not calls_with(cache, (["a"] * 1000, list(amounts)))
    edited = list(amounts)
    edited[537] = 537.5
    assert calls_with(cache, (["a"] * 1000, edited))
    assert calls_with(cache, (["a", "b"],))
    assert calls_with(cache, (["b", "a"],))  # order is part of the key
    assert calls_with(cache, (["1001"],))
    assert calls_with(cache, ([1001],))  # text id and number differ


def test_a_fingerprinted_range_is_counted_by_its_own_size():
    # a column of texts is stored as their join: 6 characters and a separator a cell
    cache = PopulationCache()
    cache.get("texts", lambda: "population", ([f"C{i:05d}" for i in range(10_000)],))
    assert 7 * 10_000 <= cache.nbytes() <= 7 * 10_000 + 200


@pytest.mark.parametrize("cells, edited", [
    (["a", "b", "c"], ["a", "b", "d"]),
    (["ab", "c"], ["a", "bc"]),  # same joined letters, other cells
    (["a\x1fb", "c"], ["a", "b\x1fc"]),  # the separator inside a cell: copied, still exact
    (["a", "b"], ["a", None]),  # a blank cell
    (["1001", "b"], [1001.0, "b"]),
    ([1.0, 2.0], [True, 2.0]),
    ([1, 2.0], [1.0, 2.0]),
    ([0.0, 2.0], [False, 2.0]),
    ([None, 2.0], ["", 2.0]),
    ([1.5, None], [1.5, 0.0]),
    ([2.5, 3.0], [2.5000000001, 3.0]),
], ids=["text", "joined-letters", "separator", "blank", "text-number", "true", "int", "false",
        "none-empty", "none-zero", "tiny"])
def test_fingerprinted_columns_hit_on_equal_cells_and_miss_on_any_edit(cells, edited):
    # a fresh equal list hits; the same list with one cell edited (or retyped) misses
    cache = PopulationCache()
    assert calls_with(cache, (list(cells),))
    assert not calls_with(cache, (list(cells),))
    assert calls_with(cache, (list(edited),))
    assert not calls_with(cache, (list(edited),))
