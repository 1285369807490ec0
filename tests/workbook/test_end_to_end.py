"""The real core -> build_report -> write_report -> read back with openpyxl and calamine.

Hand-made sale lines (profit per customer: C1 1000, C3 300, C2 200, C5 40, C4 -50), two bad
lines, previous tiers, and a holding rule of at most 2 customers per salesperson.
"""

import datetime as dt
import subprocess

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xl_addin import HoldingRule, Settings, tier_customers
from xl_addin.core.clean import REASON_BAD_AMOUNT, REASON_BLANK_ID
from xl_addin.report import labels
from xl_addin.report.layout import build_report
from xl_addin.workbook.ownership import Placement, SheetPlan
from xl_addin.workbook.xlsx import new_workbook, write_report

TIERS_HEADERS = [
    "Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size", "Revenue", "Cost",
    "Profit", "SOB", "Cumulative share", "ABC tier", "Orders", "Last purchase", "Recency (days)",
    "R", "F", "M", "RFM", "RFM segment", "Score", "Score tier", "Lifecycle", "CLV (historical)",
    "CLV (projected)", "Flags",
    # predictive CLV (issue 10), after Flags
    "P(alive)", "No repeat purchase yet", "Expected purchases (next 90 days)",
    "Expected purchases (next 365 days)", "CLV (predicted, 12 months)"]


def _sales() -> pd.DataFrame:
    rows = [  # customer, name, date, amount, cost, order, salesperson
        ("C1", "Acme", "2025-05-02", 1000, 300, "O1", "Ann"),
        ("C1", "Acme", "2025-06-20", 500, 200, "O2", "Ann"),
        ("C2", '=HYPERLINK("http://x","y")', "2025-03-10", 800, 600, "O3", "Ann"),
        ("C3", "Beta & Sons", "2025-06-01", 400, 100, "O4", "Ann"),
        ("C4", "+1-555", "2024-10-01", 100, 150, "O5", "Bo"),
        ("", "no id", "2025-06-01", 10, 1, "O6", "Bo"),
        ("C5", "Gamma", "2025-06-28", 50, 10, "O7", "Bo"),
        ("C5", "Gamma", "2025-06-29", "n/a", 0, "O8", "Bo"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "customer_name", "date", "amount", "cost",
                                        "order_id", "salesperson"])
    frame["source_sheet"] = "Sales 2025"
    frame["source_row"] = range(2, 2 + len(frame))
    return frame


PREVIOUS = pd.DataFrame({"customer_id": ["C1", "C9"], "abc_tier": ["B", "A"],
                         "score_tier": ["Potential", "VIP"]})


@pytest.fixture(scope="module")
def result():
    settings = Settings(holding_rules=(HoldingRule("*", "All", 2),), as_of=dt.date(2025, 6, 30))
    return tier_customers(_sales(), settings, previous_tiers=PREVIOUS)


@pytest.fixture(scope="module", params=["en", "zh"])
def book(request, result, tmp_path_factory):
    path = new_workbook(tmp_path_factory.mktemp(request.param) / "book.xlsx", "Sales")
    write_report(path, build_report(result, request.param))
    return request.param, path


def _calamine(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_tiers_sheet_headers_order_and_values(book, result):
    language, path = book
    rows = _calamine(path, labels.sheet_name("tiers", language))
    if language == "en":
        assert rows[0] == TIERS_HEADERS
    else:
        assert rows[0][:26] == [labels.column_header(c, "zh") for c in labels.TIERS_COLUMNS[:26]]
    assert [r[0] for r in rows[1:]] == ["C1", "C3", "C2", "C5", "C4"]  # profit descending
    assert [r[8] for r in rows[1:]] == [1000, 300, 200, 40, -50]
    assert [r[1] for r in rows[1:]] == ["Acme", "Beta & Sons", '=HYPERLINK("http://x","y")',
                                        "Gamma", "+1-555"]
    assert [r[12] for r in rows[1:]] == [2, 1, 1, 1, 1]  # orders (the "n/a" line is left out)
    assert rows[1][13] == pd.Timestamp("2025-06-20").date()
    assert rows[1][14] == 10  # recency in days
    assert [r[11] for r in rows[1:]][-1] == "D"  # the loss-making customer
    ws = openpyxl.load_workbook(path)[labels.sheet_name("tiers", language)]
    assert ws["B4"].data_type == "s" and ws["B4"].value == '=HYPERLINK("http://x","y")'
    assert ws["I2"].number_format == labels.FORMAT_CODES["currency"]
    assert ws["J2"].number_format == "0.0%" and ws["N2"].number_format == "yyyy-mm-dd"
    assert ws["L2"].fill.fgColor.rgb == "FF" + labels.TIER_COLOURS[ws["L2"].value]
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref is None  # the table filters
    assert ws.tables["CT_Tiers"].ref == "A1:AE6"
    assert [c.name for c in ws.tables["CT_Tiers"].tableColumns] == rows[0]


def test_tier_changes_sheet(book, result):
    language, path = book
    rows = _calamine(path, labels.sheet_name("tier_changes", language))
    listed = [r[:5] for r in rows[2:] if r[0]]
    expected = result.tier_changes
    assert len(listed) == len(expected)
    abc = labels.translate_value("change", "ABC tier", language)
    c1 = next(r for r in listed if r[0] == "C1" and r[2] == abc)
    assert c1[3:] == ["B", "A"]
    gone = next(r for r in listed if r[0] == "C9" and r[2] == abc)
    assert gone[3:] == ["A", ""]  # no tier now: an empty cell
    matrix_header = rows[1][6:]
    gone_label = labels.translate_value("to", "(gone)", language)
    assert matrix_header[0] == labels.column_header("from", language)
    assert matrix_header[-1] == gone_label
    a_row = next(r for r in rows[2:] if r[6] == "A")
    assert a_row[7 + matrix_header[1:].index(gone_label)] == 1  # C9: A -> gone


def test_coverage_over_rows(book):
    language, path = book
    rows = _calamine(path, labels.sheet_name("coverage", language))
    assert rows[1][:6] == [labels.column_header(c, language) for c in
                           ("salesperson", "tier", "held", "limit", "headroom", "status")]
    over = labels.translate_value("status", "Over", language)
    everyone = labels.translate_value("tier", "All", language)
    table = [r[:6] for r in rows[2:] if r[0] in ("Ann", "Bo")]
    assert ["Ann", everyone, 3, 2, -1, over] in table
    assert ["Bo", everyone, 2, 2, 0, labels.translate_value("status", "OK", language)] in table
    no_limit = [r for r in table if r[5] == labels.translate_value("status", "No limit", language)]
    assert no_limit and all(r[3] == "" and r[4] == "" for r in no_limit)  # empty cells


def test_data_quality_rows(book):
    language, path = book
    rows = _calamine(path, labels.sheet_name("data_quality", language))
    assert rows[0] == [labels.column_header(c, language)
                       for c in ("sheet", "row", "column", "value", "reason")]
    # the reasons in the workbook's language (written out for 中文)
    blank_id, bad_amount = {"en": (REASON_BLANK_ID, REASON_BAD_AMOUNT),
                            "zh": ("客户编号为空", "金额不是数字")}[language]
    assert rows[1:] == [["Sales 2025", 7, "customer_id", "", blank_id],
                        ["Sales 2025", 9, "amount", "n/a", bad_amount]]


def test_refresh_in_en_then_zh_leaves_no_english_generated_sheet_but_settings(result, tmp_path):
    path = new_workbook(tmp_path / "book.xlsx", "Sales")
    write_report(path, build_report(result, "en"))
    write_report(path, build_report(result, "zh"))
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    english = {en for en, _ in labels.SHEET_NAMES.values()}
    assert [n for n in names if n in english] == ["Settings"]
    assert names == ["Sales", "仪表板", "客户分级", "帕累托", "汇总", "保有量", "数据问题", "分级变化", "CLV 模型",
                     "留存", "Settings"]


@pytest.mark.soffice
def test_libreoffice_reads_the_cells_without_references_in_place(result, tmp_path):
    path = new_workbook(tmp_path / "tiers.xlsx", "Tiers")
    report = build_report(result, "en")
    # the plan says the existing "Tiers" is ours (it is a user's sheet otherwise)
    write_report(path, type(report)("en", (report.sheet("tiers"),)),
                 plan=SheetPlan((Placement("tiers", "Tiers", "Tiers"),)))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=180)
    csv = pd.read_csv(tmp_path / "tiers.csv", dtype=str, keep_default_na=False)
    cal = _calamine(path, "Tiers")
    assert list(csv.columns) == cal[0]
    assert list(csv["Customer ID"]) == [r[0] for r in cal[1:]]
    assert list(csv["ABC tier"]) == [r[11] for r in cal[1:]]
    assert list(csv["Flags"]) == [r[25] for r in cal[1:]]
