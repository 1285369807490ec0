"""Words on the generated sheets, in English and 中文 (terms from the project glossary).

The core emits fixed English column names and categorical keys (``columns.py``); this module
says how each is shown. Pure Python: used by the file writer and the live-Excel writer alike.
"""

from __future__ import annotations

from typing import Iterable

from ..core import columns as col

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

# Number formats a column can have. The writer maps each to an Excel format code.
NUMBER_FORMATS = ("text", "integer", "number", "currency", "percent", "date", "score")

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
    "share_of_customers": ("Share of customers", "客户占比", "percent"),
    "share_of_revenue": ("Share of revenue", "销售额占比", "percent"),
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
    "kind": ("Change", "变化类型", "text"),
    "change": ("Change", "变化类型", "text"),
    "from": ("From", "原分级", "text"),
    "to": ("To", "新分级", "text"),
    "from_tier": ("From", "原分级", "text"),
    "to_tier": ("To", "新分级", "text"),
    "previous_abc_tier": ("Previous ABC tier", "原 ABC分类", "text"),
    "previous_score_tier": ("Previous score tier", "原评分等级", "text"),
    "note": ("Note", "说明", "text"),
    "reference": ("80% line", "80% 参考线", "percent"),
}

# The Tiers sheet: one row per customer, these core columns in this order.
TIERS_COLUMNS = (
    "customer_id", "customer_name", "salesperson", "industry", "region", "size",
    "revenue", "cost", "profit", "sob", "cum_share", "abc_tier",
    "orders", "last_purchase", "recency_days", "r_score", "f_score", "m_score", "rfm_code",
    "rfm_segment", "score", "score_tier", "lifecycle", "clv_hist", "clv_proj", "flags",
)

# Categorical keys the core emits -> 中文. English shows the key itself.
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "score_tier": {"VIP": "重要客户 (VIP)", "Regular": "普通客户", "Potential": "潜在客户"},
    "lifecycle": {
        "Prospect": "潜在客户", "New": "新客户", "One-time": "单次购买", "Repeat": "持续购买",
        "Loyal": "忠诚客户", "Lapsing": "流失预警", "Lost": "已流失",
    },
    "rfm_segment": {
        "Champions": "冠军客户", "Loyal Customers": "忠诚客户", "Potential Loyalist": "潜在忠诚客户",
        "New Customers": "新客户", "Promising": "有潜力客户", "Need Attention": "需要关注",
        "About To Sleep": "即将沉睡", "At Risk": "流失风险", "Can't Lose Them": "不能失去",
        "Hibernating": "休眠客户", "Lost": "已流失", "Others": "其他",
    },
    "flags": {col.FLAG_PROMOTE: "提升", col.FLAG_REVIEW: "复核", col.FLAG_RELEASE: "释放到公海"},
    "status": {"ok": "正常", "OK": "正常", "over": "超出上限", "at limit": "已满", "full": "已满"},
    "tier": {"All": "全部", "Total": "合计"},
}
# Every column that holds tier-like keys shares one translation.
for _name in ("from", "to", "from_tier", "to_tier", "previous_score_tier"):
    VALUE_LABELS_ZH[_name] = {**VALUE_LABELS_ZH["score_tier"], **VALUE_LABELS_ZH["tier"]}
VALUE_LABELS_ZH["kind"] = VALUE_LABELS_ZH["change"] = {"abc": "ABC分类", "score": "评分等级",
                                                       "ABC tier": "ABC分类", "Score tier": "评分等级"}
del _name

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
    "from_to": ("From \\ To", "原 \\ 新"),
    "data_quality": ("Rows left out and why", "未纳入分析的行及原因"),
    "pareto_data": ("Pareto chart data", "帕累托图数据"),
    "pareto_title": ("Pareto: {measure} by customer", "帕累托图：各客户{measure}"),
    "pareto_x": ("Customers (sorted by {measure})", "客户（按{measure}降序）"),
    "pareto_y": ("{measure}", "{measure}"),
    "pareto_y2": ("Cumulative share", "累计占比"),
    "others": ("Others ({n} customers)", "其他（{n} 个客户）"),
    "reference": ("{cut:.0%} line", "{cut:.0%} 参考线"),
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
