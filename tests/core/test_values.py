"""The value rules of core.values: dates 1900..9999, day/month order, decimal marks, overflow."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_addin import Settings, tier_customers
from xl_addin.core.clean import clean_transactions
from xl_addin.core.values import (
    BOOLEAN_NOT_A_NUMBER,
    DATE_AGAINST_ORDER,
    DATE_AMBIGUOUS,
    DATE_OUT_OF_RANGE,
    NUMBER_AGAINST_SEPARATOR,
    NUMBER_AMBIGUOUS,
    NUMBER_TOO_LARGE,
    parse_date_column,
    parse_number_column,
)


def dates(*values, order="YMD"):
    parsed, problems, chosen = parse_date_column(pd.Series(list(values), dtype=object), order)
    texts = [None if pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d") for d in parsed]
    return texts, list(problems), chosen


def numbers(*values, separator="auto"):
    parsed, problems, chosen = parse_number_column(pd.Series(list(values), dtype=object), separator)
    return [None if np.isnan(v) else v for v in parsed], list(problems), chosen


def test_dates_up_to_9999_and_a_typo_year_are_read():
    texts, problems, _ = dates("2205-03-01", "9999-12-31", dt.datetime(2300, 1, 1), 2958465.0)
    assert texts == ["2205-03-01", "9999-12-31", "2300-01-01", "9999-12-31"]
    assert problems == ["", "", "", ""]


def test_serials_below_one_and_dates_before_1900_are_out_of_range():
    texts, problems, _ = dates(0.0, -1.0, "1899-12-31", dt.datetime(1850, 5, 1), 2958466.0, 1.0,
                               59.0, 61.0)
    assert texts == [None] * 5 + ["1900-01-01", "1900-02-28", "1900-03-01"]
    assert problems == [DATE_OUT_OF_RANGE] * 5 + ["", "", ""]


def test_dotted_dates_are_day_first_in_every_row():
    texts, problems, _ = dates("01.03.2025", "13.03.2025", "1.3.2025")
    assert texts == ["2025-03-01", "2025-03-13", "2025-03-01"]
    assert problems == ["", "", ""]


def test_slashed_dates_take_one_order_per_column_from_the_unambiguous_ones():
    texts, problems, chosen = dates("13/03/2025", "01/03/2025", "25/12/2024")
    assert chosen == "DMY"
    assert texts == ["2025-03-13", "2025-03-01", "2024-12-25"]
    texts, problems, chosen = dates("03/13/2025", "01/03/2025")
    assert chosen == "MDY"
    assert texts == ["2025-03-13", "2025-01-03"]


def test_slashed_dates_never_flip_a_contradicting_value_is_a_problem():
    texts, problems, chosen = dates("13/03/2025", "25/03/2025", "03/14/2025", order="YMD")
    assert chosen == "DMY"
    assert texts == ["2025-03-13", "2025-03-25", None]
    assert problems[2] == DATE_AGAINST_ORDER


def test_ambiguous_slashed_dates_without_evidence_are_problems_unless_date_order_says():
    texts, problems, chosen = dates("03/04/2025", "05/05/2025")
    assert chosen is None
    assert texts == [None, "2025-05-05"]
    assert problems == [DATE_AMBIGUOUS, ""]
    assert dates("03/04/2025", order="DMY")[0] == ["2025-04-03"]
    assert dates("03/04/2025", order="MDY")[0] == ["2025-03-04"]
    texts, problems, _ = dates("03/04/2025", "13/04/2025", order="MDY")
    assert texts == ["2025-03-04", None] and problems[1] == DATE_AGAINST_ORDER


def test_iso_chinese_and_month_names():
    texts, problems, _ = dates("2025-03-01 10:30", "2025年3月1日", "2025/3/1", "1 Mar 2025", "someday")
    assert texts == ["2025-03-01"] * 4 + [None]


def test_decimal_comma_is_taken_from_the_column():
    values, problems, chosen = numbers("1.234,50", "1 234,50", "12,5", "7")
    assert chosen == ","
    assert values == [1234.5, 1234.5, 12.5, 7.0]
    assert problems == ["", "", "", ""]


def test_decimal_point_column_and_a_contradicting_value():
    values, problems, chosen = numbers("1,234.50", "12.5", "12,5")
    assert chosen == "."
    assert values == [1234.5, 12.5, None]
    assert problems[2] == NUMBER_AGAINST_SEPARATOR


def test_a_value_that_reads_two_ways_without_evidence_is_a_problem():
    values, problems, chosen = numbers("1,234", "500")
    assert values == [None, 500.0]
    assert problems[0] == NUMBER_AMBIGUOUS
    assert numbers("1,234", separator=".")[0] == [1234.0]
    assert numbers("1,234", separator=",")[0] == [1.234]


def test_accounting_brackets_currency_and_signs():
    values, problems, _ = numbers("(500)", "¥1,200.00", "1200元", "-3.5", "USD 10", "(1,000.25)")
    assert values == [-500.0, 1200.0, 1200.0, -3.5, 10.0, -1000.25]


def test_booleans_overflow_and_error_values_are_problems():
    values, problems, _ = numbers(True, 1.0, 1e308, float("inf"), "1e308", "#DIV/0!")
    assert values == [None, 1.0, None, None, None, None]
    assert problems[0] == BOOLEAN_NOT_A_NUMBER
    assert problems[2:5] == [NUMBER_TOO_LARGE] * 3
    assert problems[5] == "the cell holds an error value"


def test_many_failing_text_amounts_do_not_recurse():
    # more than 1,000 distinct text amounts that need the text rules (the old fast path
    # retried them by calling itself: RecursionError)
    values = pd.Series([f"{i:,}.50 x" for i in range(5000)] + [1.0] * 2000, dtype=object)
    parsed, problems, _ = parse_number_column(values)
    assert np.isnan(parsed.iloc[:5000]).all() and (parsed.iloc[5000:] == 1.0).all()


def sales(dates_, amounts=None):
    n = len(dates_)
    return pd.DataFrame({"customer_id": [f"c{i % 3}" for i in range(n)], "date": dates_,
                         "amount": amounts or [100.0 + i for i in range(n)]})


def test_a_typo_year_is_a_future_date_and_stays_out_of_the_default_as_of():
    raw = sales(["2025-01-01", "2025-02-01", "2205-03-01", "9999-12-31"])
    result = tier_customers(raw, Settings(), today=dt.date(2025, 6, 30))
    assert result.as_of == pd.Timestamp("2025-02-01")
    assert result.data_quality["row"].tolist() == [3, 4]
    assert set(result.data_quality["reason"]) == {"date in the future"}
    assert result.customers["revenue"].sum() == pytest.approx(201.0)


def test_as_of_9999_works_end_to_end():
    raw = sales(["2025-01-01", "2300-01-01", "9999-12-31"])
    result = tier_customers(raw, Settings(), as_of="9999-12-31")
    assert result.as_of == pd.Timestamp("9999-12-31")
    table = result.customers.set_index("customer_id")
    assert table.loc["c2", "recency_days"] == 0
    # 2025-01-01 .. 9999-12-31: days between computed by the calendar
    assert table.loc["c0", "recency_days"] == (dt.date(9999, 12, 31) - dt.date(2025, 1, 1)).days
    assert result.data_quality.empty


def test_lines_after_a_given_as_of_are_data_quality_rows_and_check_sees_them_too():
    raw = sales(["2025-01-01", "2025-03-01"])
    clean, quality = clean_transactions(raw, as_of=pd.Timestamp("2025-02-01"))
    assert len(clean) == 1
    assert quality["reason"].tolist() == ["date after the analysis date (as_of)"]


def test_huge_amounts_never_make_totals_infinite():
    raw = sales(["2025-01-01"] * 4, [1e308, 1e308, 5.0, 7.0])
    result = tier_customers(raw, Settings())
    assert np.isfinite(result.customers["revenue"]).all()
    assert result.customers["revenue"].sum() == 12.0
    assert result.data_quality["reason"].tolist() == [NUMBER_TOO_LARGE] * 2


def test_text_longer_than_excels_cell_limit_is_cut_with_a_note():
    long_name = "N" * 40_000
    raw = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2025-01-01"] * 2, "amount": [1.0, 2.0],
                        "customer_name": [long_name, "B"]})
    result = tier_customers(raw, Settings(), today=dt.date(2025, 6, 30))
    names = result.customers.set_index("customer_id")["customer_name"]
    assert len(names["a"]) == 32_767 and names["b"] == "B"
    notes = result.notes
    assert notes[notes["note_key"] == "text_cut"][["column", "detail"]].values.tolist() == [
        ["customer_name", "1"]]


def test_a_tab_without_cost_while_abc_ranks_profit_is_a_note():
    raw = pd.DataFrame({
        "customer_id": ["a", "b", "c"], "date": ["2025-01-01"] * 3, "amount": [100.0, 80.0, 50.0],
        "cost": [10.0, None, None], "source_sheet": ["Sales 2024", "Shop", "Shop"],
        "source_row": [2, 2, 3]})
    result = tier_customers(raw, Settings(), today=dt.date(2025, 6, 30))
    assert result.measure == "profit"
    notes = result.notes
    assert notes[notes["note_key"] == "sheet_without_cost"]["sheet"].tolist() == ["Shop"]


def test_as_of_outside_excels_dates_is_an_input_error():
    from xl_addin.errors import InputError

    with pytest.raises(InputError, match="1900-01-01 to 9999-12-31"):
        tier_customers(sales(["2025-01-01"]), Settings(), as_of=dt.date(1850, 1, 1))


def test_typed_columns_report_a_key_per_row_and_only_the_bad_rows():
    # float and datetime columns take the fast path: no key on a clean column, the key on
    # exactly the bad row otherwise, and clean_transactions lists exactly that row
    numbers, problems, _ = parse_number_column(pd.Series([1.0, 2.5, -3.0]))
    assert list(problems) == ["", "", ""] and list(numbers) == [1.0, 2.5, -3.0]
    _, problems, _ = parse_number_column(pd.Series([1.0, 2e15, -3.0]))
    assert list(problems) == ["", NUMBER_TOO_LARGE, ""]
    stamps = pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01"]))
    assert list(parse_date_column(stamps)[1]) == ["", ""]
    raw = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": pd.to_datetime(["2025-01-01"] * 3),
                        "amount": [1.0, 2e15, 3.0]})
    clean, quality = clean_transactions(raw)
    assert list(clean["customer_id"].astype(str)) == ["a", "c"]
    assert list(quality["row"]) == [2] and "1e15" in quality["reason"].iloc[0]


@pytest.mark.parametrize("as_categorical", [False, True], ids=["text", "categorical"])
def test_tabs_without_cost_are_noted_in_the_order_of_their_first_line(as_categorical):
    # the categories are in another order than the lines and one is unused: the notes follow
    # the lines (Z's first line comes before Shop's)
    sheets = pd.Series(["Sales", "Z", "Shop", "Z", "Shop"])
    if as_categorical:
        sheets = sheets.astype(pd.CategoricalDtype(["Shop", "Unused", "Z", "Sales"]))
    raw = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"], "date": ["2025-01-01"] * 5,
        "amount": [100.0, 80.0, 50.0, 40.0, 30.0], "cost": [10.0, None, None, None, None],
        "source_sheet": sheets, "source_row": [2, 2, 2, 3, 3]})
    notes = tier_customers(raw, Settings(), today=dt.date(2025, 6, 30)).notes
    assert notes[notes["note_key"] == "sheet_without_cost"]["sheet"].tolist() == ["Z", "Shop"]
