import datetime as dt

import pytest

from xl_addin import HoldingRule, ScoreFactor, Settings, SettingsError
from xl_addin.report.settings_sheet import parse_settings_rows, settings_rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_round_trip_through_the_parser(language):
    settings = Settings(
        a_cut=0.7, b_cut=0.9, rfm_bins=4, language=language, as_of=dt.date(2025, 6, 30),
        score_factors=(ScoreFactor("profit", 1.0), ScoreFactor("recency_days", 0.5, False)),
        holding_rules=(HoldingRule("*", "All", 200), HoldingRule("Wang Li", "A", 10)),
        column_map=(("amount", "Net sales"),),
        sales_sheets=("Orders 2024", "Orders 2025"),
    )
    assert parse_settings_rows(settings_rows(settings, language)) == settings


def test_default_rows_parse_to_defaults():
    assert parse_settings_rows(settings_rows(Settings())) == Settings()


def test_every_scalar_setting_has_a_row():
    rows = settings_rows(Settings())
    keys = {row[0] for row in rows[1:] if row and row[0]}
    skip = {"score_factors", "holding_rules", "column_map", "sales_sheets"}
    from dataclasses import fields
    assert {f.name for f in fields(Settings)} - skip <= keys


def _with_value(key, value):
    rows = settings_rows(Settings())
    for number, row in enumerate(rows, start=1):
        if row[0] == key:
            row[1] = value
            return rows, number
    raise AssertionError(key)


def test_bad_value_names_sheet_and_cell():
    rows, number = _with_value("a_cut", "abc")
    with pytest.raises(SettingsError) as info:
        parse_settings_rows(rows, sheet="设置")
    assert f"设置!B{number}" in str(info.value)


def test_bad_holding_limit_names_row_and_column():
    rows = settings_rows(Settings(holding_rules=(HoldingRule("*", "A", 5),)))
    number = next(i for i, r in enumerate(rows, 1) if r[:1] == [None] and r[1:2] == ["*"])
    rows[number - 1][3] = "lots"
    with pytest.raises(SettingsError) as info:
        parse_settings_rows(rows)
    assert (info.value.sheet, info.value.row, info.value.column) == ("Settings", number, "D")


def test_unknown_key_is_rejected_with_its_row():
    rows = settings_rows(Settings())
    rows.insert(3, ["a_cutt", 0.5])
    with pytest.raises(SettingsError) as info:
        parse_settings_rows(rows)
    assert info.value.row == 4


def test_settings_errors_name_the_cell_and_say_what_to_do():
    rows = settings_rows(Settings(holding_rules=(HoldingRule("*", "A", 5),)))
    number = next(i for i, r in enumerate(rows, 1) if r[:1] == [None] and r[1:2] == ["*"])
    rows[number - 1][3] = "lots"
    with pytest.raises(SettingsError) as info:
        parse_settings_rows(rows)
    assert str(info.value) == f"Settings!D{number}: expected a number, got 'lots'. Type a number in the cell."
    rows = settings_rows(Settings())
    rows[1][1] = "#DIV/0!"
    with pytest.raises(SettingsError) as info:
        parse_settings_rows(rows, sheet="设置")
    assert str(info.value) == ("设置!B2 holds the error value #DIV/0! Fix the formula or type "
                               "the value, then try again.")
