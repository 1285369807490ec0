"""Words on the generated sheets, in English and 中文 (terms from the project glossary).

The core emits fixed English column names and categorical keys (``columns.py``); this module
says how each is shown. Pure Python: used by the file writer and the live-Excel writer alike.
"""

from __future__ import annotations

from typing import Iterable

from ..core import columns as col
from ..core.changes import ABC_CHANGE, GONE_LABEL, NEW_LABEL, NO_TIER_LABEL, SCORE_CHANGE
from ..core.holding import STATUS_NO_LIMIT, STATUS_OK, STATUS_OVER
from ..core.rfm import RFM_CLASSES, RFM_SEGMENT_NAMES_ZH
from ..core.summary import BLANK, TOTAL
from ..settings import ALL_TIERS

LANGUAGES = ("en", "zh")

# Sheet key -> (English name, 中文 name). Order = order in which new sheets are added.
SHEET_NAMES: dict[str, tuple[str, str]] = {
    "dashboard": ("Dashboard", "仪表板"),
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
# Chart colours (RRGGBB): bars and curve stretches per ABC tier (stronger than the cell
# fills, so thin bars still read), the cumulative line, reference lines and other bars.
TIER_CHART_COLOURS: dict[str, str] = {"A": "548235", "B": "BF8F00", "C": "5B9BD5", "D": "C00000"}
LINE_COLOUR = "C00000"
REFERENCE_COLOUR = "7F7F7F"
BAR_COLOUR = "4472C4"
LIMIT_COLOUR = "A5A5A5"
NEUTRAL_COLOUR = "A5A5A5"
OVER_COLOUR = "C00000"
# Axis number formats: whole money amounts and whole percentages (no decimals on an axis).
AXIS_FORMATS: dict[str, str] = {"money": "#,##0", "count": "#,##0", "share": "0%"}

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
# Score tiers: 潜力客户 (Potential), never 潜在客户, which is the Prospect lifecycle stage.
SCORE_TIER_NAMES_ZH = dict(zip(col.SCORE_TIERS, ("重要客户", "普通客户", "潜力客户")))
LIFECYCLE_NAMES_ZH = dict(zip(col.LIFECYCLE_STAGES, (
    "潜在客户", "新客户", "单次购买", "持续购买", "忠诚客户", "流失预警", "已流失")))
# The 8 RFM classes: the core keys them by their 中文 name; English names for every class,
# so a class nobody falls into still has its name on the Summary sheet.
RFM_CLASS_NAMES_EN = {zh: en for zh, en in RFM_CLASSES.values()}
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
    "pareto_title_top": ("Top {top} of {total:,} customers · {reach:,} customers ({reach_share:.0%}) "
                         "make {cut:.0%} of {measure}",
                         "前 {top} 名客户（共 {total:,} 个）· {reach:,} 个客户（{reach_share:.0%}）"
                         "贡献 {cut:.0%} 的{measure}"),
    "pareto_title_all": ("All {total:,} customers · {reach:,} customers ({reach_share:.0%}) "
                         "make {cut:.0%} of {measure}",
                         "全部 {total:,} 个客户 · {reach:,} 个客户（{reach_share:.0%}）"
                         "贡献 {cut:.0%} 的{measure}"),
    "measure_profit": ("profit", "利润贡献"),
    "measure_revenue": ("revenue", "销售额"),
    "abc_curve_title": ("ABC curve · customers with positive {measure}: A {a:.0%}, B {b:.0%}, C {c:.0%}",
                        "ABC曲线 · {measure}为正的客户中 A类 {a:.0%}、B类 {b:.0%}、C类 {c:.0%}"),
    "abc_curve_x": ("Cumulative share of customers", "客户累计占比"),
    "abc_curve_y": ("Cumulative share of {measure}", "{measure}累计占比"),
    "abc_curve_data": ("ABC curve data", "ABC曲线数据"),
    "band": ("{tier} customers", "{tier}类客户"),
    "cut_offs": ("A / B cut-offs", "A / B 分界点"),
    "pareto_x": ("Customers (sorted by {measure})", "客户（按{measure}降序）"),
    "pareto_y": ("{measure}", "{measure}"),
    "pareto_y2": ("Cumulative share", "累计占比"),
    "reference": ("{cut:.0%} line", "{cut:.0%} 参考线"),
    "blank": (BLANK, "(空白)"),
    "dashboard_title": ("Customer tiers at a glance", "客户分级概览"),
    "kpi_customers": ("Customers (with prospects)", "客户数（含潜在客户）"),
    "kpi_revenue": ("Revenue", "销售额"),
    "kpi_profit": ("Profit", "利润贡献"),
    "kpi_a_profit_share": ("Share of profit from A", "A类客户利润占比"),
    "kpi_over_limits": ("Customers over holding limits", "超出保有量的客户数"),
    "kpi_rows_left_out": ("Rows left out", "未纳入分析的行数"),
    "dash_tiers_title": ("Customers and profit by ABC tier", "各ABC分类的客户与利润占比"),
    "dash_segments_title": ("Customers by RFM segment", "各RFM细分的客户数"),
    "dash_lifecycle_title": ("Customers by lifecycle stage", "各生命周期阶段的客户数"),
    "dash_holdings_title": ("Customers held vs limit per salesperson (red: over)",
                            "各销售保有客户数与上限（红色：超出）"),
    "holdings_title": ("Holdings per salesperson", "各销售保有量"),
    "no_changes": ("No previous tiers in this workbook: nothing to compare yet.",
                   "工作簿中没有上次的分级结果，暂无可比较的变化。"),
}


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
