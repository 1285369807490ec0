import datetime as dt

import pytest

from xl_addin import HoldingRule, ScoreFactor, Settings, SettingsError


def test_defaults_are_the_documented_ones():
    s = Settings()
    assert (s.a_cut, s.b_cut, s.abc_method, s.rfm_bins) == (0.80, 0.95, "value", 5)
    assert [(f.column, f.weight, f.higher_is_better) for f in s.score_factors] == [
        ("profit", 0.4, True), ("revenue", 0.2, True), ("orders", 0.2, True),
        ("recency_days", 0.2, False),
    ]
    assert (s.lost_days, s.lapsing_days, s.loyal_orders, s.repeat_orders, s.new_days) == (
        365, 180, 5, 2, 90)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"a_cut": 0.95, "b_cut": 0.80}, "a_cut"),
        ({"a_cut": 0.0}, "a_cut"),
        ({"b_cut": 1.2}, "b_cut"),
        ({"rfm_bins": 1}, "rfm_bins"),
        ({"rfm_bins": 11}, "rfm_bins"),
        ({"abc_method": "abc"}, "abc_method"),
        ({"score_factors": (ScoreFactor("profit", 0.0),)}, "score_factors"),
        ({"vip_score": 40.0}, "regular_score"),
        ({"lapsing_days": 400}, "lapsing_days"),
        ({"language": "fr"}, "language"),
        ({"retention_rate": 1.0, "discount_rate": 0.0}, "retention_rate"),  # CLV would be infinite
    ],
    ids=lambda v: str(v),
)
def test_invalid_settings_name_the_field(changes, field):
    with pytest.raises(SettingsError) as info:
        Settings(**changes)
    assert info.value.column == field


def test_negative_weight_and_bad_holding_rule_are_rejected():
    with pytest.raises(SettingsError):
        ScoreFactor("profit", -1)
    with pytest.raises(SettingsError):
        HoldingRule("*", "E", 10)
    with pytest.raises(SettingsError):
        HoldingRule("Wang", "A", -1)


def test_from_values_coerces_sheet_text_and_names_the_cell():
    s = Settings.from_values(
        {"a_cut": "70%", "rfm_bins": "4", "as_of": 45658, "language": "zh", "b_cut": None},
        cells={"a_cut": "Settings!B2"},
    )
    assert s.a_cut == pytest.approx(0.70)
    assert s.rfm_bins == 4
    assert s.as_of == dt.date(2025, 1, 1)
    assert s.language == "zh"
    assert s.b_cut == 0.95
    with pytest.raises(SettingsError) as info:
        Settings.from_values({"a_cut": "0.99"}, cells={"a_cut": "Settings!B2"})
    assert info.value.column == "Settings!B2 (a_cut)"
    assert str(info.value) == (
        "Settings!B2 (a_cut): a_cut (0.99) must be below b_cut (0.95). Correct the value in "
        "the Settings sheet, or clear the cell to use the default.")
    with pytest.raises(SettingsError) as info:
        Settings.from_values({"rfm_bins": "four"}, cells={"rfm_bins": "Settings!B9"})
    assert str(info.value) == (
        "Settings!B9 (rfm_bins): expected a number, got 'four'. Correct the value in the "
        "Settings sheet, or clear the cell to use the default.")
    with pytest.raises(SettingsError) as info:  # never Python's "could not convert string to float"
        Settings.from_values({"retention_rate": "lots"}, cells={"retention_rate": "Settings!B26"})
    assert str(info.value) == (
        "Settings!B26 (retention_rate): expected a number, got 'lots'. Correct the value in the "
        "Settings sheet, or clear the cell to use the default.")
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings.from_values({"nonsense": 1})


def test_settings_are_frozen():
    with pytest.raises(Exception):
        Settings().a_cut = 0.5  # type: ignore[misc]


def test_a_setting_that_is_not_a_number_is_said_in_our_words():
    for raw in ("abc", "inf", "12%x"):
        with pytest.raises(SettingsError) as caught:
            Settings.from_values({"a_cut": raw}, {"a_cut": "Settings!B3"})
        assert "Settings!B3" in str(caught.value) and "could not convert" not in str(caught.value)
        assert "expected a" in str(caught.value)
