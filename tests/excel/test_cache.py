"""Population cache: one computation per distinct input, bounded, exact on edits."""

import pytest

from xl_addin.excel.cache import PopulationCache, fingerprint


def test_equal_values_in_fresh_lists_share_a_key_and_an_edit_changes_it():
    customers = [["a"], ["b"], ["c"]]
    assert fingerprint(customers, 0.8) == fingerprint([list(r) for r in customers], 0.8)
    assert fingerprint(customers, 0.8) != fingerprint([["a"], ["b"], ["d"]], 0.8)
    assert fingerprint(customers, 0.8) != fingerprint(customers, 0.9)
    assert fingerprint([["a", "b"]]) != fingerprint([["a"], ["b"]])  # shape is part of the key


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


def test_flat_columns_as_xlwings_squeezes_them_key_on_every_value():
    amounts = [float(i) for i in range(1000)]
    key = fingerprint(["a"] * 1000, amounts)
    assert key == fingerprint(["a"] * 1000, list(amounts))
    edited = list(amounts)
    edited[537] = 537.5
    assert key != fingerprint(["a"] * 1000, edited)
    assert fingerprint(["a", "b"]) != fingerprint(["b", "a"])  # order is part of the key
    assert fingerprint(["1001"]) != fingerprint([1001])  # text id and number differ
