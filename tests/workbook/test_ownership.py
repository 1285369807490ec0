"""Sheet-name rules and sheet placement, hand-computed (workbook.ownership)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xl_addin.report import labels
from xl_addin.workbook.ownership import (Note, Placement, find_sheet_name, key_of_mark,
                                         legacy_key, legacy_signatures, mark_value,
                                         next_free_name, plan_sheets, same_sheet_name)

from ..marks import V01_TIERS_HEADER_EN

WANTED_EN = [(k, labels.sheet_name(k, "en"), k == "settings") for k in labels.SHEET_NAMES]


@pytest.mark.parametrize("a, b", [
    ("Tiers", "tiers"), ("TIERS", "tiers"), ("Data Quality", "data quality"),
    ("ＴＩＥＲＳ", "ｔｉｅｒｓ"),  # full-width letters have case too
    ("Straße", "STRASSE"), ("ΣΥΝΟΨΗ", "σύνοψη".replace("ύ", "υ")), ("客户分级", "客户分级"),
])
def test_names_equal_ignoring_case_in_every_alphabet(a, b):
    assert same_sheet_name(a, b)


@pytest.mark.parametrize("a, b", [("Tiers", "Tiers (2)"), ("客户分级", "客户分析"), ("Tiers", " Tiers")])
def test_different_names(a, b):
    assert not same_sheet_name(a, b)


def test_find_prefers_the_exact_name_then_ignores_case():
    assert find_sheet_name(["tiers", "Tiers"], "Tiers") == "Tiers"
    assert find_sheet_name(["tiers"], "TIERS") == "tiers"
    assert find_sheet_name(["Sales"], "Tiers") is None


def test_next_free_name_numbers_like_excel():
    assert next_free_name("Summary", ["Sales"]) == "Summary"
    assert next_free_name("Summary", ["summary"]) == "Summary (2)"
    assert next_free_name("Summary", ["SUMMARY", "summary (2)"]) == "Summary (3)"


def test_next_free_name_keeps_to_31_characters():
    name = "x" * 31
    assert next_free_name(name, [name]) == "x" * 27 + " (2)"
    taken = [name] + ["x" * 27 + f" ({k})" for k in range(2, 10)]
    assert next_free_name(name, taken) == "x" * 26 + " (10)"


@given(st.lists(st.text(min_size=1, max_size=31), max_size=8), st.text(min_size=1, max_size=31))
def test_next_free_name_is_free_and_short(taken, name):
    found = next_free_name(name, taken)
    assert len(found) <= 31
    assert not any(same_sheet_name(found, t) for t in taken)


def test_mark_round_trip():
    assert mark_value("tiers") == '"tiers"'
    assert key_of_mark('"tiers"') == "tiers" and key_of_mark('="tiers"') == "tiers"
    assert key_of_mark('"not a key"') is None and key_of_mark("Sheet1!$A$1") is None


def test_a_users_sheet_with_our_name_is_left_alone_and_ours_takes_the_next_name():
    plan = plan_sheets(WANTED_EN, ["Sales", "summary", "Tiers"], {"Tiers": "tiers"})
    assert plan.placement("tiers") == Placement("tiers", "Tiers", "Tiers")
    assert plan.placement("summary") == Placement("summary", "Summary (2)", None)
    assert plan.placement("pareto") == Placement("pareto", "Pareto", None)
    assert plan.notes == (Note.of("name_taken", taken="summary", name="Summary (2)"),)
    assert plan.notes[0].text("en") == ("Sheet 'summary' is not one we made, so it was left "
                                        "alone; the generated sheet is 'Summary (2)'.")
    assert "Summary (2)" in plan.notes[0].text("zh")


def test_our_sheet_follows_the_language_unless_the_user_renamed_it():
    wanted = [(k, labels.sheet_name(k, "zh"), k == "settings") for k in labels.SHEET_NAMES]
    owned = {"Tiers": "tiers", "My pareto": "pareto", "Settings": "settings"}
    plan = plan_sheets(wanted, ["Tiers", "My pareto", "Settings"], owned)
    assert plan.placement("tiers") == Placement("tiers", "客户分级", "Tiers")
    assert plan.placement("pareto") == Placement("pareto", "My pareto", "My pareto")
    assert plan.placement("settings") == Placement("settings", "Settings", "Settings", write=False)
    assert plan.notes == ()


def test_a_language_switch_does_not_rename_onto_a_users_sheet():
    wanted = [("tiers", "客户分级", False)]
    plan = plan_sheets(wanted, ["Tiers", "客户分级"], {"Tiers": "tiers"})
    assert plan.placement("tiers") == Placement("tiers", "Tiers", "Tiers")


def test_a_0_1_sheet_is_recognised_by_its_exact_first_row_only():
    tiers_en = {"tiers": legacy_signatures("tiers", "en")}
    header = V01_TIERS_HEADER_EN
    assert legacy_key("Tiers", header, tiers_en) == "tiers"
    assert legacy_key("TIERS", header + (None,), tiers_en) == "tiers"
    assert legacy_key("Tiers", header[:-1], tiers_en) is None  # one column short
    assert legacy_key("Tiers", ("Customer ID", "ABC tier"), tiers_en) is None
    assert legacy_key("My tiers", header, tiers_en) is None  # not one of our names
    zh = {"summary": legacy_signatures("summary", "zh")}
    assert legacy_key("汇总", ("ABC分类汇总",), zh) == "summary"


def test_a_copy_of_our_sheet_made_in_excel_keeps_the_mark_but_the_original_is_rebuilt():
    owned = {"Tiers (2)": "tiers", "Tiers": "tiers"}  # Excel copies sheet-scoped names too
    plan = plan_sheets([("tiers", "Tiers", False)], ["Tiers (2)", "Tiers"], owned)
    assert plan.placement("tiers") == Placement("tiers", "Tiers", "Tiers")
