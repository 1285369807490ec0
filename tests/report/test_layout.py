"""build_report: sheet names, headers, translations, Pareto data, placement."""

import dataclasses
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.report.factory import make_result
from xl_addin.core.result import notes_frame
from xl_addin.report import labels
from xl_addin.report.layout import (FORMAT_WIDTHS, Block, _column_widths, _text_samples,
                                    build_report,
                                    cell_range, column_letter, display_width)

ISSUE_HEADERS = [
    "Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size", "Revenue", "Cost",
    "Profit", "SOB", "Cumulative share", "ABC tier", "Orders", "Last purchase", "Recency (days)",
    "R", "F", "M", "RFM", "RFM segment", "Score", "Score tier", "Lifecycle", "CLV (historical)",
    "CLV (projected)", "Flags",
    "P(alive)", "No repeat purchase yet", "Expected purchases (next 90 days)",
    "Expected purchases (next 365 days)", "CLV (predicted, 12 months)"]


@pytest.mark.parametrize("language, names", [
    ("en", ["Dashboard", "Tiers", "Pareto", "Summary", "Coverage", "Data quality", "Tier changes",
            "CLV model", "Retention", "Settings"]),
    ("zh", ["仪表板", "客户分级", "帕累托", "汇总", "保有量", "数据问题", "分级变化", "CLV 模型", "留存", "设置"]),
])
def test_sheet_names_and_order(language, names):
    assert [s.name for s in build_report(make_result(), language).sheets] == names


def test_tiers_headers_are_the_issues_list_and_every_header_has_a_chinese_label():
    report = build_report(make_result(), "en")
    assert list(report.sheet("tiers").blocks[0].header) == ISSUE_HEADERS
    zh = build_report(make_result(), "zh").sheet("tiers").blocks[0].header
    assert zh[:3] == ("客户编号", "客户名称", "销售") and zh[25] == "标记"
    assert len(set(zh)) == len(zh)


def test_tiers_rows_keep_the_core_order_and_formats():
    result = make_result(12)
    block = build_report(result, "en").sheet("tiers").blocks[0]
    assert list(block.values.iloc[:, 0]) == list(result.customers["customer_id"])
    formats = dict(zip(block.header, block.formats))
    assert formats["Revenue"] == "currency" and formats["SOB"] == "percent"
    assert formats["Last purchase"] == "date" and formats["Score"] == "score"
    assert formats["Orders"] == "integer" and formats["Customer"] == "text"
    assert block.header[block.tier_column] == "ABC tier"


def test_chinese_report_translates_categorical_keys():
    result = make_result(12)
    block = build_report(result, "zh").sheet("tiers").blocks[0]
    col = {h: i for i, h in enumerate(block.header)}
    shown = block.values.iloc[:, col["评分等级"]]
    assert set(shown.dropna()) <= {"重要客户", "普通客户", "潜力客户"}
    assert shown.isna().sum() == 1  # the prospect has no score tier
    flags = dict(zip(result.customers["flags"], block.values.iloc[:, col["标记"]]))
    assert flags["release to pool"] == "释放到公海" and flags["promote"] == "提升"
    assert set(block.values.iloc[:, col["ABC分类"]].dropna()) <= {"A", "B", "C", "D"}
    stages = dict(zip(result.customers["lifecycle"], block.values.iloc[:, col["生命周期阶段"]]))
    assert stages["Prospect"] == "潜在客户" and stages["Lapsing"] == "流失预警"


@pytest.mark.parametrize("key, value, expected", [
    ("score_tier", "VIP", "重要客户"), ("lifecycle", "Lapsing", "流失预警"),
    ("rfm_segment", "Can't Lose Them", "不能失去的客户"), ("flags", "review", "复核"),
    ("flags", "promote; release to pool", "提升; 释放到公海"),
    ("status", "Over", "超出"), ("status", "No limit", "无上限"), ("status", "OK", "正常"),
    ("tier", "All", "全部"), ("change", "Score tier", "评分等级"), ("from", "(new)", "(新增)"),
    ("to", "(gone)", "(已移除)"), ("to_tier", "Potential", "潜力客户"), ("to_tier", "B", "B"),
    ("lifecycle", "Unknown", "Unknown"),
])
def test_translate_value(key, value, expected):
    assert labels.translate_value(key, value, "zh") == expected
    assert labels.translate_value(key, value, "en") == value


@pytest.mark.parametrize("language, quiet, likely", [
    ("en", "quiet longer than release_days", "quiet but likely active - keep"),
    ("zh", "超过释放天数未购买", "沉默但很可能仍活跃 — 保留"),
])
def test_release_reasons_are_keys_in_the_core_and_words_on_the_sheet(language, quiet, likely):
    import pandas as pd

    from xl_addin.report.layout import _table

    releases = pd.DataFrame({"customer_id": ["a", "b"], "decision_reason": ["quiet", "likely_active"]})
    block = _table(releases, language)
    assert list(block.values.iloc[:, 1]) == [quiet, likely]
    assert labels.translate_value("decision_reason", "likely_active", language) == likely


def test_every_core_key_has_its_chinese_name_here():
    from xl_addin.core.columns import RFM_CLASSES, RFM_SEGMENTS

    assert set(labels.VALUE_LABELS_ZH["rfm_segment"]) == set(RFM_SEGMENTS)
    assert set(labels.VALUE_LABELS_ZH["rfm_class"]) == set(RFM_CLASSES)
    assert labels.VALUE_LABELS_ZH["score_tier"] == labels.SCORE_TIER_NAMES_ZH
    # the glossary's eight class names, written out
    assert list(labels.RFM_CLASS_NAMES_ZH.values()) == [
        "重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
        "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户"]
    assert labels.RFM_CLASS_NAMES_ZH["Important recovery"] == "重要挽留客户"
    assert labels.RFM_SEGMENT_NAMES_ZH["Champions"] == "冠军客户"
    assert labels.RFM_SEGMENT_NAMES_ZH["Others"] == "其他"


def test_the_core_holds_no_chinese_words():
    """Display words live in report/labels.py: no 中文 in the core's code (comments and
    docstrings may name the 中文 terms, and the value parser reads 年/月/元 in input)."""
    import ast
    import re
    from pathlib import Path

    import xl_addin.core as core

    cjk = re.compile(r"[\u4e00-\u9fff]")
    offenders = []
    for path in Path(core.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and cjk.search(node.value)):
                offenders.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert [o for o in offenders if not o.startswith("values.py")] == []


def test_one_chinese_word_per_concept():
    from xl_addin.core.columns import LIFECYCLE_STAGES, SCORE_TIERS

    assert set(labels.LIFECYCLE_NAMES_ZH) == set(LIFECYCLE_STAGES)
    assert set(labels.SCORE_TIER_NAMES_ZH) == set(SCORE_TIERS)
    # the glossary: Prospect is 潜在客户, the score tier Potential is 潜力客户
    assert labels.LIFECYCLE_NAMES_ZH["Prospect"] == "潜在客户"
    assert labels.SCORE_TIER_NAMES_ZH["Potential"] == "潜力客户"
    assert labels.LIFECYCLE_NAMES_ZH["Lapsing"] == "流失预警"


def test_english_rfm_classes_are_named_even_when_nobody_is_in_them():
    result = make_result(30)
    block = next(b for b in build_report(result, "en").sheet("summary").blocks
                 if b.title == "RFM 8 classes")
    names = list(block.values.iloc[:, 0])
    assert len(names) == 8 and all(isinstance(n, str) and n for n in names)
    assert names[0] == "Important value" and names[-1] == "General recovery"
    counts = dict(zip(names, block.values.iloc[:, 1]))
    assert 0 in counts.values()  # the case the fix is for: a class with no customer


def test_format_codes_and_tier_colours_cover_every_format_and_tier():
    assert set(labels.FORMAT_CODES) == set(labels.NUMBER_FORMATS)
    assert labels.FORMAT_CODES["percent"] == "0.0%" and labels.FORMAT_CODES["date"] == "yyyy-mm-dd"
    assert sorted(labels.TIER_COLOURS) == ["A", "B", "C", "D"]
    assert all(len(c) == 6 and int(c, 16) >= 0 for c in labels.TIER_COLOURS.values())


def test_summary_blocks_do_not_overlap_and_show_the_real_pivots():
    result = make_result(30)
    blocks = build_report(result, "en").sheet("summary").blocks
    assert [b.title for b in blocks] == [
        "Customers per ABC tier", "RFM segments", "RFM 8 classes", "Lifecycle stages",
        "Industry x ABC tier", "Region x ABC tier", "Size x ABC tier"]  # no notes: no block
    for upper, lower in zip(blocks, blocks[1:]):
        assert lower.origin[0] == upper.last_row + 2
    industry = blocks[4]
    assert industry.header == ("Industry", "A", "B", "C", "D", "Total")
    assert list(industry.values.iloc[:, 0]) == list(result.pivots["industry"]["industry"])
    size = build_report(result, "zh").sheet("summary").blocks[6]
    assert size.header[0] == "规模" and size.header[-1] == "合计"
    assert list(size.values.iloc[:, 0]) == ["(空白)"]  # only the prospect has a size
    assert list(build_report(result, "zh").sheet("summary").blocks[0].values.iloc[:, 0]) == [
        "A", "B", "C", "D", "合计"]


def test_notes_block_on_the_data_quality_sheet_in_both_languages():
    notes = notes_frame([("", "cost", "no_cost_column", "0.7"), ("Sales", "amount", "decimal_separator", ",")])
    result = dataclasses.replace(make_result(), notes=notes)
    last = build_report(result, "en").sheet("data_quality").blocks[-1]
    assert last.title == "Notes"
    assert last.values.iloc[0, 2] == "No cost column: cost = revenue x 0.7 (cost_rate)."
    assert last.values.iloc[1, :2].tolist() == ["Sales", "amount"]
    zh = build_report(result, "zh").sheet("data_quality").blocks[-1]
    assert zh.title == "说明" and zh.values.iloc[1, 2] == "文本数字以“,”作为小数点读取。"
    assert build_report(result, "en").sheet("summary").blocks[-1].title != "Notes"


def test_coverage_statuses_in_both_languages():
    result = make_result(12)
    en, zh = (build_report(result, lang).sheet("coverage").blocks[0] for lang in ("en", "zh"))
    assert en.header == ("Salesperson", "Tier", "Held", "Limit", "Headroom", "Status")
    assert set(en.values.iloc[:, 5]) == {"OK", "Over", "No limit"}
    assert set(zh.values.iloc[:, 5]) == {"正常", "超出", "无上限"}
    assert "全部" in set(zh.values.iloc[:, 1])


def test_tier_changes_list_and_matrix_side_by_side():
    result = make_result()
    sheet = build_report(result, "zh").sheet("tier_changes")
    changes, matrix = sheet.blocks
    assert changes.header == ("客户编号", "客户名称", "变化类型", "原分级", "新分级")
    assert matrix.origin == (1, changes.last_column + 2)
    assert matrix.header == ("原 \\ 新", "A", "B", "C", "D", "(已移除)")
    assert list(matrix.values.iloc[:, 0]) == ["A", "B", "C", "D", "(新增)"]
    rows = {(r[0], r[2]): (r[3], r[4]) for r in changes.values.itertuples(index=False)}
    expected = result.tier_changes.set_index(["customer_id", "change"])
    assert rows[("C00002", "评分等级")] == ("重要客户", labels.translate_value(
        "to_tier", expected.loc[("C00002", "Score tier"), "to_tier"], "zh"))
    assert rows[("C99999", "ABC分类")] == ("A", "")  # gone: no tier now
    assert len(rows) == len(result.tier_changes)


def test_tier_changes_without_a_previous_refresh_says_so():
    block, = build_report(make_result(changes=False), "en").sheet("tier_changes").blocks
    assert "nothing to compare" in block.values.iloc[0, 0]


def test_settings_sheet_is_only_written_when_missing():
    sheet = build_report(make_result(), "en").sheet("settings")
    assert sheet.only_if_missing
    assert sheet.blocks[0].header[:3] == ("Setting", "Value", "Description")
    assert sheet.blocks[0].values.iloc[0, 0] == "language"


def test_block_checks_its_shape():
    with pytest.raises(ValueError, match="2 headers, 1 value columns"):
        Block(header=("a", "b"), values=pd.DataFrame({"a": [1]}), formats=("text", "text"))


def test_cell_helpers():
    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    assert cell_range("It's", 2, 3, 52, 3) == "'It''s'!$C$2:$C$52"


def test_data_quality_reasons_are_in_chinese_on_the_chinese_sheet():
    result = make_result(30)  # a text amount and a blank date among the sale lines
    reasons = {lang: list(build_report(result, lang).sheet("data_quality").blocks[0].values.iloc[:, 4])
               for lang in ("en", "zh")}
    assert sorted(reasons["en"]) == ["amount is not a number", "blank date"]
    assert sorted(reasons["zh"]) == sorted(["金额不是数字", "日期为空"])


@pytest.mark.parametrize("text, width", [
    ("", 0), ("Acme Ltd", 8), ("华东", 4), ("Ａ", 2), ("A 优质客户", 10), ("café", 4), ("ｱ", 1)])
def test_display_width_by_hand(text, width):
    assert display_width(text) == width


@given(st.text())
def test_display_width_is_one_per_character_and_two_per_wide_one(text):
    # the ASCII shortcut gives what the per-character rule gives
    wide = sum(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)
    assert display_width(text) == len(text) + wide


def _widths_one_column_at_a_time(blocks, sample=200):
    """The column widths as first written (one pandas selection and dropna per column): what
    ``_column_widths`` must still give."""
    widths = {}
    for block in blocks:
        for i, (head, fmt) in enumerate(zip(block.header, block.formats)):
            width = max(FORMAT_WIDTHS[fmt], display_width(head or "") + 2)
            if fmt == "text" and len(block.values):
                values = block.values.iloc[:sample, i].dropna()
                if len(values):
                    width = max(width, max(display_width(str(v)) for v in values) + 1)
            if i == 0 and block.title:
                width = max(width, min(display_width(block.title), 20))
            column = block.first_column + i
            widths[column] = min(max(widths.get(column, 0), width), 50)
    last = max(widths, default=0)
    return tuple(float(widths.get(c, 9)) for c in range(1, last + 1))


_CELL = st.one_of(st.none(), st.just(float("nan")), st.just(pd.NA), st.just(pd.NaT),
                  st.text(max_size=60), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=True),
                  st.datetimes().map(pd.Timestamp), st.booleans())


@given(st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=30),
       st.sampled_from(["object", "str"]), st.integers(1, 40))
def test_column_widths_are_those_computed_one_column_at_a_time(rows, text_dtype, sample):
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    frame["b"] = frame["b"].map(lambda v: v if isinstance(v, str) or v is None else str(v))
    frame["b"] = frame["b"].astype(text_dtype)
    block = Block(header=("Name", "客户", None), values=frame,
                  formats=("text", "text", "number"), title="A long title for the block")
    other = Block(header=("x",), values=frame[["c"]], formats=("text",), origin=(1, 3))
    assert (_column_widths((block, other), sample)
            == _widths_one_column_at_a_time((block, other), sample))
    samples = _text_samples(block, sample)
    assert sorted(samples) == ([0, 1] if rows else [])
    for i in samples:
        expected = block.values.iloc[:sample, i].dropna().tolist()
        assert [type(v) for v in samples[i]] == [type(v) for v in expected]
        assert [str(v) for v in samples[i]] == [str(v) for v in expected]


@pytest.mark.parametrize("language, yes", [("en", "Yes"), ("zh", "是")])
def test_no_repeat_purchase_yet_shows_yes_or_stays_empty(language, yes):
    import numpy as np

    result = make_result(12)
    n = len(result.customers)
    flags = ([True, False, pd.NA, np.True_, np.False_, None] * n)[:n]
    customers = result.customers.assign(single_purchase=pd.Series(flags, dtype=object).to_numpy())
    block = build_report(dataclasses.replace(result, customers=customers), language).sheet("tiers").blocks[0]
    shown = block.values.iloc[:, list(block.header).index(
        labels.column_header("single_purchase", language))]
    assert [v if isinstance(v, str) else None for v in shown.tolist()[:6]] == [
        yes, None, None, yes, None, None]
    assert shown.isna().tolist()[:6] == [False, True, True, False, True, True]
    assert str(shown.dtype) == "str"
