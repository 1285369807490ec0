"""Population cache: one computation per distinct input, bounded, exact on edits."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

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


def test_a_retyped_cell_misses_also_where_the_key_samples_it():
    # the cheap key samples cells 0, 6250, 12500, ... of 100,000: a retyped sampled cell
    # changes the key, an unsampled one only the full check; both must miss
    amounts = [1.0 if i % 2 else 0.0 for i in range(100_000)]
    for position, retyped in ((0, False), (6250, False), (6251, True), (99_999, True)):
        cache = PopulationCache()
        assert calls_with(cache, (amounts,))
        edited = list(amounts)
        edited[position] = retyped
        assert edited == amounts  # equal by value: only the type tells them apart
        assert calls_with(cache, (edited,)), position
        assert not calls_with(cache, (list(edited),)), position


def test_an_unhashable_cell_in_a_flat_list_is_still_compared():
    cache = PopulationCache()
    cells = [[1.0, 2.0]] + [float(i) for i in range(99)]  # a list where a cell should be
    cells = [cells[1], cells[0]] + cells[2:]
    assert calls_with(cache, (cells,))
    assert not calls_with(cache, ([list(c) if isinstance(c, list) else c for c in cells],))
    edited = list(cells)
    edited[1] = [1.0, 2.5]
    assert calls_with(cache, (edited,))


CELLS = st.one_of(
    st.sampled_from([0.0, 1.0, True, False]),
    st.sampled_from([0.0, -0.0, 1.0, 0, 1, True, False, None, "", " ", "\x1f", "1", "TRUE"]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.integers(-5, 5),
    st.text(max_size=4),
    st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3)),
    st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 3)),
)


TEXTS = st.one_of(st.text(max_size=4), st.sampled_from(["1", "0", "1.5", "TRUE", "", " ", "\x1f"]))


def lookalikes(cell):
    """Cells equal to ``cell`` in Python, or written alike, but of another type."""
    found = [c for c in (0, 1, 0.0, -0.0, 1.0, True, False, None, "", "1", "0", "TRUE")
             if c == cell or str(c) == str(cell)]
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        found += [int(cell), float(cell), str(cell)]
    if isinstance(cell, dt.datetime):
        found.append(cell.date())
    elif isinstance(cell, dt.date):
        found.append(dt.datetime.combine(cell, dt.time()))
    return found or [None]


def same_for_the_core(a, b):
    """Cells the core reads alike: equal values of the same type, or equal plain numbers
    (2 and 2.0); a bool is never a number here, a date never a datetime."""
    numbers = (int, float)
    return a == b and (type(a) is type(b) or (type(a) in numbers and type(b) in numbers))


@settings(max_examples=500, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=40), numbers=st.lists(CELLS, min_size=1, max_size=40),
       rows=st.booleans(), data=st.data())
def test_a_hit_only_when_every_cell_is_the_same_for_the_core(texts, numbers, rows, data):
    # texts (all text: stored as a join unless a cell holds the separator) and other cells,
    # padded with 200 cells: the cheap key samples one cell in 15, the full check sees all
    drawn = {"texts": len(texts), "numbers": len(numbers)}
    texts = texts + ["id"] * 200
    numbers = numbers + data.draw(st.sampled_from(  # zeros and ones: stored marshalled
        [[2.5] * 200, [None] * 200, ["x"] * 200, [0.0] * 200, [1.0, 0.0] * 100]))
    shape = (lambda cells: [[c] for c in cells]) if rows else list
    cache = PopulationCache()
    assert calls_with(cache, (shape(texts), shape(numbers), 0.8))
    assert not calls_with(cache, (shape(texts), shape(numbers), 0.8))  # a fresh equal copy hits
    which = data.draw(st.sampled_from(["texts", "numbers"]))
    original = texts if which == "texts" else numbers
    edited = list(original)
    position = data.draw(st.integers(0, drawn[which] - 1))  # a drawn cell, not the padding
    edited[position] = data.draw(st.sampled_from(lookalikes(original[position])) | CELLS)
    arguments = (shape(edited), shape(numbers)) if which == "texts" else (shape(texts), shape(edited))
    hit = not calls_with(cache, arguments + (0.8,))
    if hit:
        assert all(map(same_for_the_core, original, edited)), (original, edited)
    if not all(map(same_for_the_core, original, edited)):
        assert not hit


@pytest.mark.parametrize("before, after", [
    ("1", 1), ("1", 1.0), ("1", True), ("TRUE", True), ("0", 0), ("0", False), ("", None),
    (" ", ""), ("2024-01-01", dt.datetime(2024, 1, 1)), ("a", "a\x1f"), ("ab", "a"),
])
def test_a_text_column_misses_when_a_cell_it_does_not_sample_is_retyped(before, after):
    # 1,000 texts: the key samples every 62nd cell; cell 7 is seen by the joined-text check only
    texts = [f"C{i:04d}" for i in range(1000)]
    texts[7] = before
    cache = PopulationCache()
    assert calls_with(cache, (list(texts),))
    assert not calls_with(cache, (list(texts),))
    edited = list(texts)
    edited[7] = after
    assert calls_with(cache, (edited,))
    assert calls_with(cache, (list(texts),))  # same key: the edited entry replaced it


@pytest.mark.parametrize("after", [False, 0, None, "0", 1e-300, dt.date(2024, 1, 1)],
                         ids=["false", "int", "blank", "text", "tiny", "date"])
def test_a_column_mostly_of_zeros_misses_on_any_retyped_cell(after):
    # more than 1 cell in 10 is 0 or 1: the range is compared as marshal bytes, types included
    costs = [0.0] * 900 + [float(i) for i in range(100)]
    cache = PopulationCache()
    assert calls_with(cache, (["c"] * 1000, list(costs)))
    assert not calls_with(cache, (["c"] * 1000, list(costs)))
    assert cache.nbytes() < 1000 * 10 + 1000 * 7 + 500  # ~9 bytes a number, not a copy
    for position in (7, 950):
        edited = list(costs)
        edited[position] = after
        assert calls_with(cache, (["c"] * 1000, edited)), position
        assert calls_with(cache, (["c"] * 1000, list(costs))), position


def test_a_column_of_ones_and_dates_is_copied_and_still_exact():
    cells = [1.0] * 500 + [dt.datetime(2024, 1, 1)] * 500  # dates cannot be marshalled
    cache = PopulationCache()
    assert calls_with(cache, (list(cells),))
    assert not calls_with(cache, (list(cells),))
    edited = list(cells)
    edited[3] = True
    assert calls_with(cache, (edited,))
