"""Words on the generated sheets, in English and 中文 (terms from the project glossary).

The core emits fixed English column names and categorical keys (``columns.py``); this module
says how each is shown. Pure Python: used by the file writer and the live-Excel writer alike.
"""

from __future__ import annotations

from typing import Iterable

from ..core import columns as col
from ..core import clean, pipeline, values
from ..core.changes import ABC_CHANGE, GONE_LABEL, NEW_LABEL, NO_TIER_LABEL, SCORE_CHANGE
from ..core.holding import REASON_LIKELY_ACTIVE, REASON_QUIET, STATUS_NO_LIMIT, STATUS_OK, STATUS_OVER
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
    "clv_model": ("CLV model", "CLV 模型"),  # issue 10
    "retention": ("Retention", "留存"),  # issue 10
    "settings": ("Settings", "设置"),
}

# Every name a generated sheet can have, in either language. Which sheets are ours is decided
# by their mark (workbook.ownership), not by these names; a user's sheet of such a name is
# never replaced, and it is not auto-detected as a sales sheet either.
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
# The 3-colour scale of the cohort triangle (a conditional format, Excel's own red-yellow-green):
# lowest value, 50th percentile, highest value.
COLOUR_SCALE: tuple[str, str, str] = ("F8696B", "FFEB84", "63BE7B")
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
    # predictive CLV (issue 10): after Flags, so the columns above keep their letters
    "p_alive", "single_purchase", "expected_purchases_short", "expected_purchases_long", "predicted_clv",
)

# Categorical keys the core emits (core.columns) -> 中文. English shows the key itself.
# Score tiers: 潜力客户 (Potential), never 潜在客户, which is the Prospect lifecycle stage.
SCORE_TIER_NAMES_ZH = dict(zip(col.SCORE_TIERS, ("重要客户", "普通客户", "潜力客户")))
LIFECYCLE_NAMES_ZH = dict(zip(col.LIFECYCLE_STAGES, (
    "潜在客户", "新客户", "单次购买", "持续购买", "忠诚客户", "流失预警", "已流失")))
# The 11 RFM segments and "Others" (core.rfm.RFM_SEGMENT_RULES).
RFM_SEGMENT_NAMES_ZH = dict(zip(col.RFM_SEGMENTS, (
    "冠军客户", "忠实客户", "潜在忠实客户", "新近客户", "有潜力的新客户", "需要关注的客户",
    "即将沉睡的客户", "有流失风险的客户", "不能失去的客户", "休眠客户", "已流失客户", "其他")))
# The RFM 8 classes (RFM八类客户, high / low R, F, M against the mean; core.rfm.RFM_CLASSES).
RFM_CLASS_NAMES_ZH = dict(zip(col.RFM_CLASSES, (
    "重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
    "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户")))
TIER_WORDS_ZH = {ALL_TIERS: "全部", TOTAL: "合计"}
MATRIX_LABELS_ZH = {NO_TIER_LABEL: "(无分级)", NEW_LABEL: "(新增)", GONE_LABEL: "(已移除)"}
VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "score_tier": dict(SCORE_TIER_NAMES_ZH),
    "lifecycle": dict(LIFECYCLE_NAMES_ZH),
    "rfm_segment": dict(RFM_SEGMENT_NAMES_ZH),
    "rfm_class": dict(RFM_CLASS_NAMES_ZH),
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
    "refresh_notes": ("Notes of this refresh", "本次刷新说明"),
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


# -- Predictive CLV, retention and cohorts (issue 10) ---------------------------------------
COLUMN_LABELS.update({
    "p_alive": ("P(alive)", "存活概率", "percent"),
    # P(alive) = 1 for these by the model's construction, not because they are surely active
    "single_purchase": ("No repeat purchase yet", "尚无复购", "text"),
    "expected_purchases_short": ("Expected purchases", "预期购买次数", "number"),  # header: see PHRASES
    "expected_purchases_long": ("Expected purchases", "预期购买次数", "number"),
    "expected_value": ("Expected profit per purchase", "单次购买预期利润", "currency"),
    "predicted_clv": ("CLV (predicted by model)", "客户终身价值 (模型预测)", "currency"),
    "decision": ("Decision", "处理", "text"),
    "decision_reason": ("Why", "原因说明", "text"),
    "next_period": ("Next period", "下一期间", "text"),
    "active": ("Active customers", "活跃客户数", "integer"),
    "retained": ("Still buying next period", "下期仍购买", "integer"),
    "retention": ("Retention", "留存率", "percent"),
    "churn": ("Churn", "流失率", "percent"),
    "active_year_before": ("Bought in the year before last", "前年购买客户数", "integer"),
    "cohort": ("Cohort (first purchase)", "同期群（首购期间）", "text"),
    "model": ("Model", "模型", "text"),
    "parameter": ("Parameter", "参数", "text"),
    "detail": ("Detail", "详情", "text"),
})
VALUE_LABELS_ZH.update({
    "single_purchase": {"Yes": "是"},
    "decision": {"keep": "保留", "release": "释放"},
    "decision_reason": {REASON_QUIET: "超过释放天数未购买",
                        REASON_LIKELY_ACTIVE: "沉默但很可能仍活跃 — 保留"},
    "model": {"BG/NBD": "BG/NBD（购买与流失）", "Gamma-Gamma": "Gamma-Gamma（单次价值）", "both": "两者"},
})
# Why a row was left out (the Data quality sheet's reason column): the core's reasons -> 中文.
VALUE_LABELS_ZH["reason"] = {
    clean.REASON_BLANK_ID: "客户编号为空",
    clean.REASON_BLANK_DATE: "日期为空",
    clean.REASON_BAD_DATE: "无法识别的日期",
    clean.REASON_BLANK_AMOUNT: "金额为空",
    clean.REASON_BAD_AMOUNT: "金额不是数字",
    clean.REASON_BAD_COST: "成本不是数字",
    clean.REASON_BOOLEAN_ID: "TRUE/FALSE 不是客户编号",
    clean.REASON_AFTER_AS_OF: "日期晚于分析日期（as_of）",
    clean.REASON_FUTURE: "日期在未来",
    pipeline.REASON_DUPLICATE_MASTER: "客户主数据中客户编号重复（保留第一行）",
    pipeline.REASON_BLANK_MASTER_ID: "客户主数据中客户编号为空",
    values.DATE_NOT_RECOGNISED: "无法识别的日期",
    values.DATE_OUT_OF_RANGE: "日期超出范围（早于 1900-01-01 或晚于 9999-12-31）",
    values.DATE_AMBIGUOUS: "日期有歧义：日和月可能颠倒（请在设置中指定 date_order）",
    values.DATE_AGAINST_ORDER: "日期与本列的日/月顺序不一致",
    values.NOT_A_NUMBER: "不是数字",
    values.BOOLEAN_NOT_A_NUMBER: "TRUE/FALSE 不是数字",
    values.BOOLEAN_NOT_A_DATE: "TRUE/FALSE 不是日期",
    values.ERROR_VALUE: "单元格为错误值",
    values.NUMBER_TOO_LARGE: "数字过大（超过 1e15）或不是有限数",
    values.NUMBER_AMBIGUOUS: "数字有歧义：两种小数点都可解读（请在设置中指定 decimal_separator）",
    values.NUMBER_AGAINST_SEPARATOR: "数字未使用本列的小数点",
}
# Keys the core emits that are not words themselves -> English (中文 in VALUE_LABELS_ZH).
VALUE_LABELS_EN: dict[str, dict[str, str]] = {
    "decision_reason": {REASON_QUIET: "quiet longer than release_days",
                        REASON_LIKELY_ACTIVE: "quiet but likely active - keep"},
}
PHRASES.update({
    "expected_purchases": ("Expected purchases (next {days} days)", "预期购买次数（未来 {days} 天）"),
    "predicted_clv": ("CLV (predicted, {months} months)", "客户终身价值（模型预测，{months} 个月）"),
    "clv_parameters": ("CLV model: fitted parameters", "CLV 模型：拟合参数"),
    "model_notes": ("Notes on the models", "模型说明"),
    "clv_about": ("About these figures", "指标说明"),
    "retention_by_period": ("Retention by ABC tier: share of a period's buyers who buy again in the next period",
                            "按 ABC 分类的留存率：本期购买的客户中下期再次购买的比例"),
    "retention_chart_title": ("Retention by ABC tier and period", "各 ABC 分类按期间的留存率"),
    "retention_chart_x": ("Period (buyers of this period buying again in the next)",
                          "期间（本期客户下期再次购买）"),
    "churn_by_period": ("Churn by ABC tier (1 - retention)", "按 ABC 分类的流失率（1 − 留存率）"),
    "yearly_retention": ("Yearly retention by ABC tier (used by the projected CLV)",
                         "按 ABC 分类的年留存率（用于预测 CLV）"),
    "cohort_share": ("Cohorts: share still buying k periods after the first purchase",
                     "同期群：首购后第 k 期仍在购买的比例"),
    "cohort_revenue": ("Cohorts: revenue per period", "同期群：各期销售额"),
    "no_retention": ("Not enough complete periods to measure retention yet.", "完整期间不足，暂无法计算留存率。"),
    "yes": ("Yes", "是"),
    "retained_last_year": ("Bought again in the last year", "去年再次购买"),
})
# Fitted parameter keys (core.clv_model) -> shown name.
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "r": ("r (purchase rate shape)", "r（购买率形状）"),
    "alpha_days": ("alpha (purchase rate scale, days)", "alpha（购买率尺度，天）"),
    "a": ("a (dropout shape)", "a（流失形状）"),
    "b": ("b (dropout shape)", "b（流失形状）"),
    "p": ("p (value shape)", "p（价值形状）"),
    "q": ("q (heterogeneity shape)", "q（异质性形状）"),
    "v": ("v (heterogeneity scale, currency)", "v（异质性尺度，货币）"),
    "log_likelihood": ("Log-likelihood", "对数似然"),
    "customers": ("Customers used", "使用的客户数"),
    "repeat_customers": ("Customers with a repeat purchase", "有复购的客户数"),
    "excluded": ("Left out (average profit <= 0)", "排除（平均利润 ≤ 0）"),
    "frequency_value_correlation": ("Correlation of frequency and value", "频次与价值的相关系数"),
    "converged": ("Converged (1 = yes)", "已收敛（1 = 是）"),
    "calibration_date": ("Calibration date (analysis date)", "校准日期（分析日期）"),
}
# Model note keys (core.clv_model NOTE_*) -> sentence with {detail}.
MODEL_NOTE_TEXT: dict[str, tuple[str, str]] = {
    "clv_models_off": ("The CLV models are switched off (setting clv_models).", "CLV 模型已关闭（设置 clv_models）。"),
    "bgnbd_not_fitted": ("BG/NBD could not be fitted ({detail}): P(alive), expected purchases and predicted CLV "
                         "are blank.", "BG/NBD 模型无法拟合（{detail}）：存活概率、预期购买次数与预测 CLV 留空。"),
    "gamma_gamma_not_fitted": ("Gamma-Gamma could not be fitted ({detail}): predicted CLV is blank.",
                               "Gamma-Gamma 模型无法拟合（{detail}）：预测 CLV 留空。"),
    "gamma_gamma_excluded": ("{detail} customers with an average repeat profit <= 0 (returns, losses) are left out "
                             "of the value model; their predicted CLV is 0.",
                             "{detail} 个平均复购利润 ≤ 0 的客户（退货、亏损）未纳入价值模型，其预测 CLV 为 0。"),
    "frequency_value_correlation": ("Correlation of purchase frequency and value per purchase: {detail} (near 0: "
                                    "the Gamma-Gamma assumption holds).",
                                    "购买频次与单次价值的相关系数：{detail}（接近 0：Gamma-Gamma 假设成立）。"),
    "frequency_value_correlation_high": ("Correlation of purchase frequency and value per purchase: {detail}. The "
                                         "Gamma-Gamma model assumes none: treat predicted CLV with care.",
                                         "购买频次与单次价值的相关系数：{detail}。Gamma-Gamma 模型假设两者无关：预测 CLV "
                                         "仅供参考。"),
    "p_alive_one_without_repeat": ("{detail} customers have no repeat purchase: the model gives them P(alive) = 1 by "
                                   "construction, not because they are surely active (column 'No repeat purchase yet').",
                                   "{detail} 个客户尚无复购：模型按构造给出存活概率 1，并不代表确定活跃（见“尚无复购”列）。"),
    "retention_not_measured": ("Retention could not be measured (no purchase in the year before last): the projected "
                               "CLV uses r = {detail}.", "无法实测留存率（前年无购买）：预测 CLV 使用 r = {detail}。"),
    "retention_measured": ("Projected CLV uses the measured yearly retention of each ABC tier: {detail}.",
                           "预测 CLV 使用各 ABC 分类实测的年留存率：{detail}。"),
}
# One sentence per figure, for the CLV model sheet.
CLV_EXPLANATIONS: tuple[tuple[str, str], ...] = (
    ("P(alive): the chance the customer still buys from us, judged from how regularly they bought and how long "
     "they have been quiet.", "存活概率：根据客户以往购买的规律和沉默时长，估计其仍会向我们购买的可能性。"),
    ("Expected purchases: how many purchase days to expect from the customer in the coming period.",
     "预期购买次数：未来一段时间内预计该客户会有多少个购买日。"),
    ("Predicted CLV: the profit those purchases are expected to bring, discounted to today.",
     "模型预测 CLV：这些购买预计带来的利润，折现到今天。"),
    ("Recency here is the time from first to last purchase; the RFM recency on the Tiers sheet is the days since "
     "the last purchase.", "此处“最近度”指首购到末次购买的时间；客户分级表中 RFM 的最近度是距末次购买的天数。"),
    ("Do not trust these figures for customers who buy on contract schedules, for fewer than a few hundred "
     "customers, or right after a big change in the business.",
     "对于按合同周期采购的客户、客户数少于几百个或业务刚发生重大变化时，请谨慎使用这些数字。"),
)


# Why a model was not fitted (core.bgnbd / core.gamma_gamma REASON_*) -> words.
MODEL_REASON_TEXT: dict[str, tuple[str, str]] = {
    "too_few_repeat_customers": ("fewer than 10 customers with a repeat purchase", "有复购的客户少于 10 个"),
    "no_convergence": ("no optimum: for example nobody ever stops buying, or every value is alike",
                       "找不到最优解：例如没有客户停止购买，或每次价值几乎相同"),
    "no_customers": ("no customer with a purchase", "没有有购买记录的客户"),
    "q_not_above_one": ("q <= 1: the average value would be infinite", "q ≤ 1：平均价值将为无穷大"),
}


def model_note_text(key: str, detail: str, language: str) -> str:
    """A model note (core.clv_model NOTE_*) as a sentence in ``language``."""
    pair = MODEL_NOTE_TEXT.get(key)
    if pair is None:
        return f"{key}: {detail}"
    reason = MODEL_REASON_TEXT.get(detail)
    return pair[_index(language)].format(detail=reason[_index(language)] if reason else detail)
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
    translated piece by piece; anything without a translation is returned unchanged (in
    English most keys are their own words: VALUE_LABELS_EN lists the others)."""
    if not isinstance(value, str):
        return value
    table = (VALUE_LABELS_EN if language == "en" else VALUE_LABELS_ZH).get(column)
    if not table:
        return value
    if column == "flags":
        return col.FLAG_SEPARATOR.join(table.get(p, p) for p in value.split(col.FLAG_SEPARATOR))
    return table.get(value, value)


def translatable_columns(columns: Iterable[str]) -> list[str]:
    """The columns among ``columns`` whose values have 中文 labels."""
    return [c for c in columns if c in VALUE_LABELS_ZH]


# Notes of a refresh (``workbook.ownership.Note``): printed by the CLI and listed on the Data
# quality sheet. Placeholders are filled by ``note_text``.
REFRESH_NOTE_TEXTS: dict[str, tuple[str, str]] = {
    "name_taken": ("Sheet '{taken}' is not one we made, so it was left alone; the generated "
                   "sheet is '{name}'.",
                   "工作表“{taken}”不是本工具生成的，未作改动；生成的工作表为“{name}”。"),
    "sheet_skipped": ("Sheet '{sheet}' was not read as sales data: {reason}",
                      "工作表“{sheet}”未作为销售数据读取：{reason}"),
    "settings_ignored": ("Sheet '{sheet}' holds no settings, so it was not read as Settings; "
                         "the defaults were used.",
                         "工作表“{sheet}”不含设置项，未作为设置表读取；已使用默认设置。"),
    "objects_removed": ("Sheet '{sheet}': removed {objects} (--force).",
                        "工作表“{sheet}”：已删除 {objects}（--force）。"),
    "csv_read": ("File '{file}' was read as text in {encoding}, columns separated by "
                 "'{delimiter}'; every value went through the rules for text cells.",
                 "文件“{file}”按文本读取：编码 {encoding}，分隔符“{delimiter}”；所有值均按文本单元格的规则读取。"),
    "report_sales_ignored": ("Sheet '{sheet}' of '{report}' looks like sales data but was not "
                             "read: the sales come from '{file}'.",
                             "“{report}”的工作表“{sheet}”看似销售数据，但未读取：销售数据来自“{file}”。"),
}


def refresh_note_text(kind: str, language: str, **values: object) -> str:
    """A refresh note (``workbook.ownership.Note``) in ``language`` with its placeholders filled."""
    return REFRESH_NOTE_TEXTS[kind][_index(language)].format(**values)
