import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_addin import InputError
from xl_addin.core.clean import clean_transactions, parse_dates
from xl_addin.core.sob import customer_totals


def frame(**columns):
    return pd.DataFrame(columns)


def test_types_and_id_normalisation():
    raw = frame(
        customer_id=[1001.0, " C2 ", 7],
        date=["2025-03-01", "2025-03-02", "2025-03-03"],
        amount=[100, "1,200.50", -5],
        cost=[40, None, "1"],
        order_id=[9001.0, 9002.0, None],
        customer_name=["  Acme ", "", "Beta"],
    )
    clean, quality = clean_transactions(raw)
    assert quality.empty
    assert clean["customer_id"].tolist() == ["1001", "C2", "7"]
    assert clean["amount"].tolist() == [100.0, 1200.5, -5.0]
    assert clean["amount"].dtype == np.float64
    # a blank cost is 0, not a problem
    assert clean["cost"].tolist() == [40.0, 0.0, 1.0]
    assert clean["order_id"].iloc[:2].tolist() == ["9001", "9002"]
    assert pd.isna(clean["order_id"].iloc[2])
    assert clean["customer_name"].iloc[0] == "Acme"
    assert pd.isna(clean["customer_name"].iloc[1])
    assert clean["date"].dtype == "datetime64[s]"  # seconds hold 1900..9999; ns stop in 2262


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.datetime(2025, 3, 1, 14, 30), "2025-03-01"),
        (dt.date(2025, 3, 1), "2025-03-01"),
        (pd.Timestamp("2025-03-01 23:59"), "2025-03-01"),
        (45717, "2025-03-01"),  # Excel serial, 1900 system
        (45717.75, "2025-03-01"),  # serial with a time of day
        ("45717", "2025-03-01"),
        ("2025-03-01", "2025-03-01"),
        ("2025-03-01 10:30:00", "2025-03-01"),
        ("2025-3-1", "2025-03-01"),
        ("2025/3/1", "2025-03-01"),
        ("2025.3.1", "2025-03-01"),
        ("2025年3月1日", "2025-03-01"),
        (" 2025年03月01日 ", "2025-03-01"),
    ],
    ids=repr,
)
def test_date_forms(value, expected):
    parsed = parse_dates(pd.Series([value, "2025-01-01"], dtype=object))
    assert parsed.iloc[0] == pd.Timestamp(expected)


def test_dates_of_a_datetime_column_are_normalised():
    parsed = parse_dates(pd.Series(pd.to_datetime(["2025-03-01 10:00", "2024-12-31 23:59"])))
    assert parsed.tolist() == [pd.Timestamp("2025-03-01"), pd.Timestamp("2024-12-31")]


def test_numeric_serial_column():
    parsed = parse_dates(pd.Series([45658.0, 1.0, 0.0, -3.0]))
    # 45658 = 2025-01-01; 1 = 1900-01-01 as Excel shows it; 0 and negatives are no date
    assert parsed.iloc[0] == pd.Timestamp("2025-01-01")
    assert parsed.iloc[1] == pd.Timestamp("1900-01-01")
    assert parsed.iloc[2:].isna().all()


@pytest.mark.parametrize(
    "column, bad, reason",
    [
        ("customer_id", None, "blank customer id"),
        ("customer_id", "   ", "blank customer id"),
        ("date", None, "blank date"),
        ("date", "someday", "date not recognised"),
        ("date", "2025-13-45", "date not recognised"),
        ("amount", None, "blank amount"),
        ("amount", "twelve", "amount is not a number"),
        ("amount", float("inf"), "number too large (more than 1e15) or not finite"),
        ("amount", 1e308, "number too large (more than 1e15) or not finite"),
        ("amount", True, "TRUE/FALSE is not a number"),
        ("customer_id", True, "TRUE/FALSE is not a customer id"),
        ("date", 0, "date out of range (before 1900-01-01 or after 9999-12-31)"),
        ("date", -1.0, "date out of range (before 1900-01-01 or after 9999-12-31)"),
        ("date", "1899-12-31", "date out of range (before 1900-01-01 or after 9999-12-31)"),
        ("cost", "n/a", "cost is not a number"),
    ],
    ids=lambda v: str(v),
)
def test_each_row_problem_leaves_the_row_out_and_is_reported(column, bad, reason):
    raw = frame(customer_id=["A", "B", "C"], date=["2025-01-01"] * 3, amount=[1.0, 2.0, 3.0], cost=[0.0, 0.0, 0.0])
    raw[column] = raw[column].astype(object)
    raw.loc[1, column] = bad
    clean, quality = clean_transactions(raw)
    assert clean["customer_id"].tolist() == ["A", "C"]
    assert quality.to_dict("records") == [
        {"sheet": "", "row": 2, "column": column, "value": "" if bad is None else str(bad), "reason": reason}
    ]


def test_quality_rows_use_source_sheet_and_row():
    raw = frame(
        customer_id=["A", None, "C"],
        date=["2025-01-01", "2025-01-01", "bad"],
        amount=[1, 2, "x"],
        source_sheet=["Sales 2024", "Sales 2024", "Sales 2025"],
        source_row=[2, 3, 2],
    )
    clean, quality = clean_transactions(raw)
    assert clean["customer_id"].tolist() == ["A"]
    assert "source_row" not in clean.columns
    assert list(quality.columns) == ["sheet", "row", "column", "value", "reason"]
    assert quality[["sheet", "row", "column"]].values.tolist() == [
        ["Sales 2024", 3, "customer_id"],
        ["Sales 2025", 2, "date"],  # listed once, with its first problem
    ]


def test_missing_required_column_names_it_and_lists_found():
    raw = frame(customer_id=["A"], amount=[1.0], region=["N"])
    with pytest.raises(InputError) as info:
        clean_transactions(raw)
    assert info.value.column == "date"
    assert "'date'" in str(info.value)
    assert "customer_id, amount, region" in str(info.value)


def test_empty_input_is_an_error():
    with pytest.raises(InputError, match="no rows"):
        clean_transactions(frame(customer_id=[], date=[], amount=[]))


def test_extra_columns_pass_through():
    raw = frame(customer_id=["A"], date=["2025-01-01"], amount=[1.0], satisfaction=[4.5])
    clean, _ = clean_transactions(raw)
    assert clean["satisfaction"].tolist() == [4.5]


def test_ids_are_categoricals_of_distinct_clean_text():
    raw = frame(
        customer_id=[" C2", "C2 ", 7, 7.0, "B", None],
        date=["2025-01-01"] * 6,
        amount=[1.0] * 6,
        order_id=["o1", " o1", "o2", "o2", "o3", "o4"],
        region=["North ", "North", "", "South", None, "South"],
    )
    clean, quality = clean_transactions(raw)
    ids = clean["customer_id"]
    assert isinstance(ids.dtype, pd.CategoricalDtype)
    # padded and unpadded text, 7 and 7.0 share a category; categories in text order, all used
    assert list(ids.cat.categories) == ["7", "B", "C2"]
    assert ids.cat.categories.dtype == "str"
    assert ids.tolist() == ["C2", "C2", "7", "7", "B"]
    assert clean["order_id"].tolist() == ["o1", "o1", "o2", "o2", "o3"]
    assert list(clean["order_id"].cat.categories) == ["o1", "o2", "o3"]  # o4's row was left out
    assert clean["region"].astype("str").tolist()[:2] == ["North", "North"]
    assert clean["region"].isna().tolist() == [False, False, True, False, True]
    assert quality["reason"].tolist() == ["blank customer id"]


def test_without_dates_when_not_required():
    raw = frame(customer_id=["A", "B", " ", "A"], amount=[10.0, "x", 5.0, -2.0], order_id=["o1", "o2", "o3", None])
    clean, quality = clean_transactions(raw, require_date=False)
    assert "date" not in clean.columns
    assert clean["customer_id"].tolist() == ["A", "A"]
    assert clean["amount"].tolist() == [10.0, -2.0]
    assert quality[["row", "column", "reason"]].values.tolist() == [
        [2, "amount", "amount is not a number"],
        [3, "customer_id", "blank customer id"],
    ]


def test_dates_are_still_checked_when_present_but_not_required():
    raw = frame(customer_id=["A", "B"], date=["2025-01-01", "someday"], amount=[1.0, 2.0])
    clean, quality = clean_transactions(raw, require_date=False)
    assert clean["date"].tolist() == [pd.Timestamp("2025-01-01")]
    assert quality["reason"].tolist() == ["date not recognised"]


def test_without_dates_the_other_required_columns_are_still_required():
    with pytest.raises(InputError) as info:
        clean_transactions(frame(customer_id=["A"], region=["N"]), require_date=False)
    assert info.value.column == "amount"


def test_cleaning_without_dates_feeds_customer_totals():
    raw = frame(customer_id=["A", "B", "A", "B"], amount=[300.0, 100.0, -100.0, "n/a"], order_id=["o1", "o2", "o3", "o4"])
    clean, _ = clean_transactions(raw, require_date=False)
    totals = customer_totals(clean)
    assert totals["customer_id"].tolist() == ["A", "B"]
    assert totals["revenue"].tolist() == [200.0, 100.0]
    assert totals["sob"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert totals["orders"].tolist() == [1, 1]  # a return is not an order
    assert "last_purchase" not in totals.columns


def test_long_object_amount_columns_parse_like_short_ones():
    # Above 1,000 rows an object column takes a vectorised path; it must agree with the
    # per-distinct-value path that short columns take, value for value.
    from xl_addin.core.clean import parse_numbers

    cells = [12.5, "1,234.50", "¥1200", "1200元", "n/a", None, "", "  ", True, float("inf"),
             "inf", 7, "-3", np.nan, "RMB 88", np.float64(2.25)]
    long = pd.Series(cells * 100, dtype=object)
    expected = pd.concat([parse_numbers(pd.Series(cells, dtype=object))] * 100, ignore_index=True)
    pd.testing.assert_series_equal(parse_numbers(long), expected, check_names=False)
    assert parse_numbers(pd.Series(cells, dtype=object)).tolist()[:4] == [12.5, 1234.5, 1200.0, 1200.0]


def test_long_columns_report_the_same_problems_as_short_ones():
    rows = 1200
    raw = pd.DataFrame({
        "customer_id": ["c1"] * rows,
        "date": pd.Series([pd.Timestamp("2025-01-01")] * rows, dtype=object),
        "amount": pd.Series([10.0] * rows, dtype=object),
    })
    raw.loc[5, "amount"] = "n/a"
    raw.loc[6, "amount"] = "   "
    raw.loc[7, "date"] = "soon"
    raw.loc[8, "date"] = None
    clean, problems = clean_transactions(raw)
    assert len(clean) == rows - 4
    assert sorted(zip(problems["row"], problems["column"])) == [
        (6, "amount"), (7, "amount"), (8, "date"), (9, "date")]


# text_categorical has a fast path for pandas "str" columns (what the readers give) and the
# general path for anything else; both must give the same categories and codes.
from hypothesis import example, given, settings as hypothesis_settings, strategies as st  # noqa: E402

from xl_addin.core.clean import drop_unused_categories, text_categorical  # noqa: E402

_ID_TEXTS = st.one_of(st.none(), st.sampled_from(["C1", "C2", " C2", "C2 ", "", "  ", "b", "B", "客户", "10"]),
                      st.text(max_size=4))


def _as_pairs(values: pd.Categorical) -> list:
    return [None if pd.isna(v) else v for v in values.astype(object)]


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(_ID_TEXTS, max_size=30))
# pandas 3.0 hashed object texts only up to a NUL, so "a" and "a\x00" were one customer
# (pandas#66512, fixed in 3.1: the declared minimum)
@example(["", "\x00"])
@example(["a", "a\x00", "b"])
def test_text_categorical_str_fast_path_matches_object_path(texts):
    fast = text_categorical(pd.Series(texts, dtype="str"))
    general = text_categorical(pd.Series(texts, dtype=object))
    assert list(fast.categories) == list(general.categories)
    assert fast.categories.dtype == "str"
    np.testing.assert_array_equal(fast.codes, general.codes)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(_ID_TEXTS, max_size=30))
def test_text_categorical_unsorted_has_the_same_text_per_row(texts):
    values = pd.Series(texts, dtype="str")
    unsorted = text_categorical(values, sort=False)
    assert _as_pairs(unsorted) == _as_pairs(text_categorical(values))
    assert sorted(unsorted.categories) == list(text_categorical(values).categories)


def test_text_categorical_fast_path_keeps_clean_texts_and_sorts_them():
    values = pd.Series(["C2", None, "C10", "C2", "客户"], dtype="str")
    result = text_categorical(values)
    assert list(result.categories) == ["C10", "C2", "客户"]
    assert list(result.codes) == [1, -1, 0, 1, 2]
    assert list(text_categorical(values, sort=False).categories) == ["C2", "C10", "客户"]


def test_text_categorical_str_with_padding_and_blanks_takes_the_general_rules():
    result = text_categorical(pd.Series([" C2", "C2", "  ", ""], dtype="str"))
    assert list(result.categories) == ["C2"]
    assert list(result.codes) == [0, 0, -1, -1]


def test_drop_unused_categories_keeps_order_and_renumbers():
    values = pd.Categorical.from_codes([2, 0, -1, 2], categories=pd.Index(["a", "b", "c"], dtype="str"))
    result = drop_unused_categories(values)
    assert list(result.categories) == ["a", "c"]
    assert list(result.codes) == [1, 0, -1, 1]


def test_clean_transactions_unsorted_order_ids_give_the_same_rows():
    raw = pd.DataFrame({
        "customer_id": pd.Series(["C1", "C2", "C1", "C3"], dtype="str"),
        "date": ["2025-01-02", "2025-01-03", "bad", "2025-01-05"],
        "amount": [10.0, 20.0, 30.0, 40.0],
        "order_id": pd.Series(["O9", "O1", "O5", "O1"], dtype="str"),
    })
    sorted_clean, sorted_quality = clean_transactions(raw)
    unsorted_clean, unsorted_quality = clean_transactions(raw, sort_order_ids=False)
    assert list(sorted_clean["order_id"].cat.categories) == ["O1", "O9"]
    assert list(unsorted_clean["order_id"].cat.categories) == ["O9", "O1"]
    pd.testing.assert_frame_equal(sorted_clean.astype({"order_id": "str"}),
                                  unsorted_clean.astype({"order_id": "str"}))
    pd.testing.assert_frame_equal(sorted_quality, unsorted_quality)


@pytest.mark.parametrize("column", ["date", "amount"])
def test_a_column_that_is_entirely_blank_reports_every_row(column):
    raw = pd.DataFrame({"customer_id": ["c1", "c2"], "date": ["2025-01-01", "2025-01-02"],
                        "amount": [1.0, 2.0]}).astype(object)
    raw[column] = [None, "  "]
    clean, problems = clean_transactions(raw)
    assert clean.empty
    assert problems["row"].tolist() == [1, 2]
    assert set(problems["column"]) == {column}
    assert problems["reason"].str.contains("blank|missing|empty").all()


# categorise_attributes=False: attribute text left as it came, read per line by text_present
from xl_addin.core.clean import MAX_CELL_TEXT, normalise_text, text_present  # noqa: E402

# no NUL: no workbook cell holds one (XML 1.0 forbids it), and numpy < 2's fixed-width strings
# drop a trailing NUL, so the categorical path itself reads "\x00" as blank under the minimum
# numpy and as text under numpy 2
_SPACES = st.sampled_from([" ", "\t", "\n", "\u3000", "\u00a0", "\u2003", "\u200b", "\x1c"])
_PADDED_TEXTS = st.one_of(_ID_TEXTS, st.lists(_SPACES, max_size=3).map("".join),
                          st.tuples(_SPACES, _ID_TEXTS.filter(bool), _SPACES).map("".join))


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(_PADDED_TEXTS, max_size=30))
def test_text_present_and_normalise_text_give_what_the_categorical_holds(texts):
    for dtype in ("str", object):
        values = pd.Series(texts, dtype=dtype)
        categorical = text_categorical(values)
        np.testing.assert_array_equal(text_present(values), categorical.codes >= 0)
        normalised = normalise_text(values).to_numpy(dtype=object, na_value=None)
        assert list(normalised) == _as_pairs(categorical)


def test_text_present_is_per_line_on_arrow_text_by_hand():
    values = pd.Series(["Ann", None, "", "  ", "\u3000", " Bo ", "0"], dtype="str")
    assert list(text_present(values)) == [True, False, False, False, False, True, True]


def test_uncategorised_attributes_are_left_as_they_came_with_unusable_rows_dropped():
    raw = pd.DataFrame({
        "customer_id": pd.Series(["C1", "C2", None, "C3"], dtype="str"),
        "date": ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
        "amount": [10.0, 20.0, 30.0, 40.0],
        "salesperson": pd.Series([" Ann", "  ", "Bo", None], dtype="str"),
        "region": pd.Series(["N", "S", "E", "W"], dtype=object),
    })
    lazy, _ = clean_transactions(raw, categorise_attributes=False)
    eager, _ = clean_transactions(raw)
    # "str" text passes as it was, the blank-id row gone; other dtypes are categorised as usual
    assert lazy["salesperson"].dtype == "str"
    assert lazy["salesperson"].tolist()[:2] == [" Ann", "  "] and pd.isna(lazy["salesperson"].iloc[2])
    assert isinstance(lazy["region"].dtype, pd.CategoricalDtype)
    assert list(text_present(lazy["salesperson"])) == [True, False, False]
    assert normalise_text(lazy["salesperson"]).tolist()[0] == "Ann"
    pd.testing.assert_frame_equal(lazy.drop(columns="salesperson"), eager.drop(columns="salesperson"))


def test_uncategorised_attribute_over_the_cell_limit_is_cut_as_before():
    long = "x" * (MAX_CELL_TEXT + 5)
    raw = pd.DataFrame({
        "customer_id": pd.Series(["C1", "C2"], dtype="str"),
        "date": ["2025-01-02", "2025-01-03"],
        "amount": [10.0, 20.0],
        "industry": pd.Series([long, "Food"], dtype="str"),
    })
    lazy, _ = clean_transactions(raw, categorise_attributes=False)
    assert isinstance(lazy["industry"].dtype, pd.CategoricalDtype)
    assert lazy["industry"].astype(object).tolist() == ["x" * MAX_CELL_TEXT, "Food"]
    assert lazy.attrs["notes"] == clean_transactions(raw)[0].attrs["notes"]


def test_order_ids_hashed_in_a_thread_give_the_same_result(monkeypatch):
    import xl_addin.core.clean as clean_module

    raw = pd.DataFrame({
        "customer_id": pd.Series(["C1", "C2", None, "C1", "C3"], dtype="str"),
        "date": ["2025-01-02", "2025-01-03", "2025-01-04", "bad", "2025-01-05"],
        "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
        "order_id": pd.Series(["O9", " O1", "O5", "O5", None], dtype="str"),
    })
    alone, alone_quality = clean_transactions(raw)
    monkeypatch.setattr(clean_module, "THREAD_ROWS", 1)
    threaded, threaded_quality = clean_transactions(raw)
    pd.testing.assert_frame_equal(threaded, alone)
    pd.testing.assert_frame_equal(threaded_quality, alone_quality)
    assert threaded["order_id"].astype(object).tolist()[:2] == ["O9", "O1"]


@pytest.mark.parametrize("categorise_attributes", [True, False])
def test_order_ids_hashed_in_a_worker_give_the_one_cpu_frame_on_messy_rows(monkeypatch, categorise_attributes):
    """Order ids hashed in a worker thread (core.background): the frame of one CPU, row for
    row, dtypes included, with rows left out and text columns of every kind."""
    import xl_addin.core.background as background
    import xl_addin.core.clean as clean_module

    rng = np.random.default_rng(7)
    n = 3_000
    texts = lambda prefix, k: pd.Series(  # noqa: E731  ("str" text, some blank or missing)
        np.where(rng.random(n) < 0.05, None, [f" {prefix}{i} " if i % 7 else "" for i in rng.integers(0, k, n)]),
        dtype="str")
    raw = pd.DataFrame({
        "customer_id": texts("C", 300), "order_id": texts("O", 1_500),
        "date": np.where(rng.random(n) < 0.03, "not a date", "2025-01-02"),
        "amount": rng.normal(100, 50, n).round(2), "cost": rng.normal(50, 20, n).round(2),
        "customer_name": texts("Company ", 300), "salesperson": texts("Rep ", 20),
        "region": pd.Categorical(rng.choice(["North", "South", None], n)),
    })
    monkeypatch.setattr(background, "usable_cpus", lambda: 1)
    alone, alone_quality = clean_transactions(raw, categorise_attributes=categorise_attributes)
    monkeypatch.setattr(background, "usable_cpus", lambda: 2)
    monkeypatch.setattr(clean_module, "THREAD_ROWS", 1)
    threaded, threaded_quality = clean_transactions(raw, categorise_attributes=categorise_attributes)
    assert 0 < len(threaded) < n  # some rows left out
    pd.testing.assert_frame_equal(threaded, alone, check_exact=True)
    pd.testing.assert_frame_equal(threaded_quality, alone_quality, check_exact=True)
    assert threaded["order_id"].cat.categories.is_unique and threaded["order_id"].notna().any()


def test_an_error_in_the_order_id_thread_reaches_the_caller(monkeypatch):
    import xl_addin.core.clean as clean_module

    def fails(values, sort=True):
        raise RuntimeError("hash failed")

    raw = pd.DataFrame({"customer_id": ["C1"], "date": ["2025-01-02"], "amount": [1.0], "order_id": ["O1"]})
    monkeypatch.setattr(clean_module, "THREAD_ROWS", 1)
    real = clean_module.text_categorical
    monkeypatch.setattr(clean_module, "text_categorical",
                        lambda values, sort=True: fails(values) if values.name == "order_id" else real(values, sort=sort))
    with pytest.raises(RuntimeError, match="hash failed"):
        clean_transactions(raw)
