"""The CLV model and Retention sheets: every header and note has its English and 中文 words."""

import pytest

from xl_addin.core.pipeline import tier_customers
from xl_addin.report import labels
from xl_addin.report.layout import build_report
from xl_addin.settings import Settings

from ..core.test_predicted_clv import _sales


@pytest.fixture(scope="module")
def result():
    return tier_customers(_sales(), Settings(cost_rate=0.3))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_header_and_title_is_translated(result, language):
    report = build_report(result, language)
    for key in ("clv_model", "retention"):
        sheet = report.sheet(key)
        assert sheet.name == labels.sheet_name(key, language)
        for block in sheet.blocks:
            for header in block.header:
                # a header equal to a raw core column name means a missing label
                assert header not in ("model", "parameter", "value", "next_period", "active", "retained",
                                      "retention", "churn", "cohort", "customers", "active_year_before",
                                      "note", "period", "tier"), header


def test_clv_model_sheet_lists_parameters_and_notes_as_sentences(result):
    sheet = build_report(result, "zh").sheet("clv_model")
    parameters = sheet.blocks[0].values
    assert "r（购买率形状）" in parameters[1].tolist()
    assert "校准日期（分析日期）" in parameters[1].tolist()
    notes = sheet.blocks[1].values[0].tolist()
    assert any("尚无复购" in n for n in notes)
    assert not any("p_alive_one_without_repeat" in n for n in notes)


def test_retention_sheet_has_tiers_as_columns_and_the_cohort_triangle(result):
    sheet = build_report(result, "en").sheet("retention")
    retention = sheet.blocks[0]
    assert retention.header[:2] == ("Period", "Next period") and retention.header[-1] == "All"
    shares = next(b for b in sheet.blocks if b.title == labels.phrase("cohort_share", "en"))
    assert shares.header[:3] == ("Cohort (first purchase)", "Customers", "0")
    assert (shares.values[2] == 1.0).all()  # k = 0: everyone in the cohort bought


def test_a_model_that_was_not_fitted_says_why_in_words():
    import pandas as pd

    one = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2025-01-01"]), "amount": [5.0]})
    notes = build_report(tier_customers(one, Settings()), "en").sheet("clv_model").blocks[1].values[0].tolist()
    assert "BG/NBD could not be fitted (fewer than 10 customers with a repeat purchase): P(alive), expected " \
           "purchases and predicted CLV are blank." in notes
