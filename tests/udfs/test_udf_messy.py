"""Messy values through the worksheet functions: a message naming the argument, never an
exception and never an empty cell (issue 8)."""

import datetime as dt

import udfs.customer_tiers as udf

D = dt.datetime
CUSTOMERS = ["a", "b", "c"]


def test_dates_after_2262_and_as_of_9999_give_answers_not_exceptions():
    dates = [D(2025, 1, 1), D(2300, 1, 1), D(9999, 12, 31)]
    amounts = [10.0, 20.0, 30.0]
    assert udf.RFM_SCORE("a", CUSTOMERS, dates, amounts, None, D(9999, 12, 31)) == "111"
    # c: bought on as_of (R 5), one order like everyone (F 1), the most money (M 5)
    assert udf.RFM_SCORE("c", CUSTOMERS, dates, amounts, None, "9999-12-31") == "515"
    # without as_of, a date after today is left out: the message says why
    message = udf.RFM_SCORE("b", CUSTOMERS, dates, amounts)
    assert message.startswith("#VALUE! dates:") and "date in the future" in message


def test_overflow_gives_num_naming_amounts_and_the_rest_stays_finite():
    amounts = [1e308, 1e308, 5.0]
    assert udf.SOB("a", CUSTOMERS, amounts).startswith("#NUM! amounts:")
    assert udf.SOB("c", CUSTOMERS, amounts) == 1.0


def test_booleans_and_out_of_range_serials_name_their_argument():
    assert "TRUE/FALSE is not a number" in udf.SOB("a", CUSTOMERS, [True, 2.0, 3.0])
    message = udf.LIFECYCLE_STAGE("a", CUSTOMERS, [0, -1, 45000], [1.0, 2.0, 3.0])
    assert message.startswith("#VALUE! dates:") and "out of range" in message


def test_text_only_ranges_give_a_message_naming_the_argument():
    message = udf.RFM_SCORE("a", CUSTOMERS, ["x", "y", "z"], [1.0, 2.0, 3.0])
    assert message.startswith("#VALUE!") and "'dates'" in message
    message = udf.SOB("a", CUSTOMERS, ["x", "y", "z"])
    assert message.startswith("#VALUE! amounts:")
