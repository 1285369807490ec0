"""Words on the generated sheets, in English and 中文 (terms from the project glossary).

The core emits fixed English column names and categorical keys (``columns.py``); this module
says how each is shown. Pure Python: used by the file writer and the live-Excel writer alike.
"""

from __future__ import annotations

from typing import Iterable

from ..core import columns as col
from ..core.changes import ABC_CHANGE, GONE_LABEL, NEW_LABEL, NO_TIER_LABEL, SCORE_CHANGE
from ..core.holding import STATUS_NO_LIMIT, STATUS_OK, STATUS_OVER
from ..core.lifecycle import LIFECYCLE_NAMES_ZH
from ..core.rfm import RFM_SEGMENT_NAMES_ZH
from ..core.score import SCORE_TIER_NAMES_ZH
from ..core.summary import BLANK, TOTAL
from ..settings import ALL_TIERS

LANGUAGES = ("en", "zh")

# Sheet key -> (English name, 中文 name). Order = order in which new sheets are added.
SHEET_NAMES: dict[str, tuple[str, str]] = {
    "tiers": ("Tiers", "客户分级"),
    "pareto": ("Pareto", "帕累托"),
    "summary": ("Summary", "汇总"),
    "coverage": ("Coverage", "保有量"),
    "data_quality": ("Data quality", "数据问题"),
    "tier_changes": ("Tier changes", "分级变化"),
    "settings": ("Settings", "设置"),
}

# Every sheet name the product owns, in either language: a refresh replaces these (except
# Settings, which is only created when neither name exists).
OWNED_SHEET_NAMES = frozenset(name for pair in SHEET_NAMES.values() for name in pair)

# Number formats a column can have, and the Excel format code of each. Both writers (the
# package writer and the live-Excel writer) use these codes, so a refresh looks the same either
# way. Text is "@" so that Excel keeps what a user later types into such a cell as text too.
FORMAT_CODES: dict[str, str] = {
    "text": "@",
    "integer": "#,##0",
    "number": "#,##0.00",
    "currency": "#,##0.00;[Red]-#,##0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "score": "0.0",
}
NUMBER_FORMATS = tuple(FORMAT_CODES)

# Fill colours as RRGGBB hex (no alpha): ABC tier cells, and header rows.
TIER_COLOURS: dict[str, str] = {"A": "C6EFCE", "B": "FFEB9C", "C": "DDEBF7", "D": "FFC7CE"}
HEADER_COLOUR = "D9E1F2"

# Core column -> (English header, 中文 header, number format). Tiers sheet columns first,
# in display order (TIERS_COLUMNS), then the columns of the other tables.
COLUMN_LABELS: dict[str, tuple[str, str, str]] = {
    "customer_id": ("Customer ID", "客户编号", "text"),
    "customer_name": ("Customer", "客户名称", "text"),
    "salesperson": ("Salesperson", "销售", "text"),
    "industry": ("Industry", "行业", "text"),
    "region": ("Region", "地区", "text"),
    "size": ("Size", "规模", "text"),
    "revenue": ("Revenue", "销售额", "currency"),
    "cost": ("Cost", "成本", "currency"),
    "profit": ("Profit", "利润贡献", "currency"),
    "sob": ("SOB", "业务份额 (SOB)", "percent"),
    "cum_share": ("Cumulative share", "累计占比", "percent"),
    "abc_tier": ("ABC tier", "ABC分类", "text"),
    "orders": ("Orders", "订单数", "integer"),
    "last_purchase": ("Last purchase", "最近购买日期", "date"),
    "recency_days": ("Recency (days)", "最近一次消费 (天)", "integer"),
    "r_score": ("R", "R", "integer"),
    "f_score": ("F", "F", "integer"),
    "m_score": ("M", "M", "integer"),
    "rfm_code": ("RFM", "RFM", "text"),
    "rfm_segment": ("RFM segment", "RFM 客户细分", "text"),
    "score": ("Score", "客户评分", "score"),
    "score_tier": ("Score tier", "评分等级", "text"),
    "lifecycle": ("Lifecycle", "生命周期阶段", "text"),
    "clv_hist": ("CLV (historical)", "客户终身价值 (历史)", "currency"),
    "clv_proj": ("CLV (projected)", "客户终身价值 (预测)", "currency"),
    "flags": ("Flags", "标记", "text"),
    # Other tables
    "first_purchase": ("First purchase", "首次购买日期", "date"),
    "segment_sob": ("Segment SOB", "细分内业务份额", "percent"),
    "share_of_wallet": ("Share of wallet", "钱包份额", "percent"),
    "monetary": ("Monetary", "消费金额", "currency"),
    "rfm_class": ("RFM class", "RFM 八类客户", "text"),
    "rfm_class_en": ("RFM class", "RFM 八类客户", "text"),
    "release_to_pool": ("Release to pool", "释放到公海", "text"),
    "rank": ("Rank", "排名", "integer"),
    "measure": ("Measure", "指标", "currency"),
    "share": ("Share", "占比", "percent"),
    "tier": ("Tier", "分级", "text"),
    "customers": ("Customers", "客户数", "integer"),
    "customer_share": ("Share of customers", "客户占比", "percent"),
    "revenue_share": ("Share of revenue", "销售额占比", "percent"),
    "profit_share": ("Share of profit", "利润占比", "percent"),
    "held": ("Held", "已保有", "integer"),
    "limit": ("Limit", "上限", "integer"),
    "headroom": ("Headroom", "剩余名额", "integer"),
    "status": ("Status", "状态", "text"),
    "sheet": ("Sheet", "工作表", "text"),
    "row": ("Row", "行", "integer"),
    "column": ("Column", "列", "text"),
    "value": ("Value", "值", "text"),
    "reason": ("Reason", "原因", "text"),
    "period": ("Period", "期间", "text"),
    "change": ("Change", "变化类型", "text"),
    "from": ("From \\ To", "原 \\ 新", "text"),  # the first column of the from x to matrix
    "from_tier": ("From", "原分级", "text"),
    "to_tier": ("To", "新分级", "text"),
    "note": ("Note", "说明", "text"),
    TOTAL: ("Total", "合计", "integer"),  # last column of the attribute x tier pivots
    "reference": ("80% line", "80% 参考线", "percent"),
}

# The Tiers sheet: one row per customer, these core columns in this order.
TIERS_COLUMNS = (
    "customer_id", "customer_name", "salesperson", "industry", "region", "size",
    "revenue", "cost", "profit", "sob", "cum_share", "abc_tier",
    "orders", "last_purchase", "recency_days", "r_score", "f_score", "m_score", "rfm_code",
    "rfm_segment", "score", "score_tier", "lifecycle", "clv_hist", "clv_proj", "flags",
)

# Categorical keys the core emits -> 中文. English shows the key itself. The core's own 中文
# names are used where it has them (one source of truth per translation).
TIER_WORDS_ZH = {ALL_TIERS: "全部", TOTAL: "合计"}
MATRIX_LABELS_ZH = {NO_TIER_LABEL: "(无分级)", NEW_LABEL: "(新增)", GONE_LABEL: "(已移除)"}
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "score_tier": dict(SCORE_TIER_NAMES_ZH),
    "lifecycle": dict(LIFECYCLE_NAMES_ZH),
    "rfm_segment": dict(RFM_SEGMENT_NAMES_ZH),
    "flags": {col.FLAG_PROMOTE: "提升", col.FLAG_REVIEW: "复核", col.FLAG_RELEASE: "释放到公海"},
    "status": {STATUS_OK: "正常", STATUS_OVER: "超出", STATUS_NO_LIMIT: "无上限"},
    "tier": TIER_WORDS_ZH,
    "change": {ABC_CHANGE: "ABC分类", SCORE_CHANGE: "评分等级"},
    # Tier changes: from / to hold ABC tiers (shown as is) and score tiers.
    "from_tier": {**SCORE_TIER_NAMES_ZH},
    "to_tier": {**SCORE_TIER_NAMES_ZH},
    # The from x to matrix: its row labels ("from") and column headers.
    "from": {**MATRIX_LABELS_ZH},
    "to": {**MATRIX_LABELS_ZH},
}

# Short phrases: titles of blocks, chart titles and axis titles.
PHRASES: dict[str, tuple[str, str]] = {
    "tier_summary": ("Customers per ABC tier", "ABC分类汇总"),
    "rfm_segments": ("RFM segments", "RFM 客户细分"),
    "rfm_classes": ("RFM 8 classes", "RFM 八类客户"),
    "lifecycle_counts": ("Lifecycle stages", "客户生命周期阶段"),
    "pivot_industry": ("Industry x ABC tier", "行业 × ABC分类"),
    "pivot_region": ("Region x ABC tier", "地区 × ABC分类"),
    "pivot_size": ("Size x ABC tier", "规模 × ABC分类"),
    "notes": ("Notes", "说明"),
    "coverage": ("Holding limits by salesperson and tier", "客户保有量（按销售和分级）"),
    "releases": ("Release to the public pool", "释放到公海"),
    "tier_changes": ("Customers whose tier moved", "分级变化的客户"),
    "tier_change_matrix": ("From x to", "原分级 × 新分级"),
    "data_quality": ("Rows left out and why", "未纳入分析的行及原因"),
    "pareto_data": ("Pareto chart data", "帕累托图数据"),
    "pareto_title": ("Pareto: {measure} by customer", "帕累托图：各客户{measure}"),
    "pareto_x": ("Customers (sorted by {measure})", "客户（按{measure}降序）"),
    "pareto_y": ("{measure}", "{measure}"),
    "pareto_y2": ("Cumulative share", "累计占比"),
    "others": ("Others ({n} customers)", "其他（{n} 个客户）"),
    "reference": ("{cut:.0%} line", "{cut:.0%} 参考线"),
    "blank": (BLANK, "(空白)"),
    "no_changes": ("No previous tiers in this workbook: nothing to compare yet.",
                   "工作簿中没有上次的分级结果，暂无可比较的变化。"),
}


# The words of each TierResult.notes key (core.columns.NOTE_KEYS); {detail} is the note's value.
NOTE_TEXTS: dict[str, tuple[str, str]] = {
    col.NOTE_SHEET_READ: ("Tab read: {detail} rows.", "已读取该工作表：{detail} 行。"),
    col.NOTE_SHEET_EMPTY: ("Tab is empty; skipped.", "工作表为空，已跳过。"),
    col.NOTE_SHEET_HIDDEN: ("Hidden tab skipped (name it under sales_sheets in Settings to read it).",
                            "已跳过隐藏的工作表（如需读取，请在设置的 sales_sheets 中列出）。"),
    col.NOTE_HEADER_USED: ("Read from column {detail}.", "读取自列 {detail}。"),
    col.NOTE_HEADER_DUPLICATE: ("Several headers fit: {detail}; the first is used (add a column_map "
                                "line in Settings to choose another).",
                                "多个列名符合：{detail}；使用第一个（可在设置的 column_map 中指定）。"),
    col.NOTE_CUSTOMER_NAME_AS_ID: ("No customer id column: the customer name is used as the id.",
                                   "没有客户编号列：以客户名称作为编号。"),
    col.NOTE_DATE_ORDER: ("Text dates like 03/04/2025 read as {detail} (one order for the whole column).",
                          "03/04/2025 这类文本日期按 {detail} 读取（整列统一）。"),
    col.NOTE_DECIMAL_SEPARATOR: ("Numbers typed as text read with '{detail}' as the decimal mark.",
                                 "文本数字以“{detail}”作为小数点读取。"),
    col.NOTE_NO_COST: ("No cost column: cost = revenue x {detail} (cost_rate).",
                       "没有成本列：成本 = 销售额 × {detail}（cost_rate）。"),
    col.NOTE_SHEET_WITHOUT_COST: ("This tab has no cost while ABC ranks profit: its lines count cost 0.",
                                  "该工作表没有成本，而 ABC 按利润排名：其各行成本按 0 计。"),
    col.NOTE_TEXT_CUT: ("A text longer than Excel's 32,767 characters was cut at the limit: {detail}.",
                        "超过 Excel 32,767 字符上限的文本已截断：{detail}。"),
    col.NOTE_READER: ("{detail}", "{detail}"),
}
NOTE_FRAME_HEADERS = {"en": ("Sheet", "Column", "Note"), "zh": ("工作表", "列", "说明")}


def note_text(note_key: str, detail: str, language: str) -> str:
    """The sentence for one note in ``language`` (an unknown key shows key and detail)."""
    words = NOTE_TEXTS.get(note_key)
    if words is None:
        return f"{note_key}: {detail}".rstrip(": ")
    return words[_index(language)].format(detail=detail)


def _index(language: str) -> int:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return LANGUAGES.index(language)


def sheet_name(key: str, language: str) -> str:
    """The name of generated sheet ``key`` ("tiers", "pareto", ...) in ``language``."""
    return SHEET_NAMES[key][_index(language)]


def phrase(key: str, language: str, **values: object) -> str:
    """A title or label in ``language``, with ``{placeholders}`` filled from ``values``."""
    return PHRASES[key][_index(language)].format(**values)


def column_header(column: str, language: str) -> str:
    """The header shown for core column ``column``; unknown columns show their own name."""
    labels = COLUMN_LABELS.get(column)
    return labels[_index(language)] if labels else str(column)


def column_format(column: str) -> str:
    """The number format of core column ``column`` (one of NUMBER_FORMATS); unknown: text."""
    labels = COLUMN_LABELS.get(column)
    return labels[2] if labels else "text"


def translate_value(column: str, value: object, language: str) -> object:
    """A categorical key as shown in ``language``. Flags ("promote; release to pool") are
    translated piece by piece; anything without a translation is returned unchanged."""
    if language == "en" or not isinstance(value, str):
        return value
    table = VALUE_LABELS_ZH.get(column)
    if not table:
        return value
    if column == "flags":
        return col.FLAG_SEPARATOR.join(table.get(p, p) for p in value.split(col.FLAG_SEPARATOR))
    return table.get(value, value)


def translatable_columns(columns: Iterable[str]) -> list[str]:
    """The columns among ``columns`` whose values have 中文 labels."""
    return [c for c in columns if c in VALUE_LABELS_ZH]
