"""The Settings sheet: its layout as rows of cell values, and parsing it back into Settings.

Layout (column A holds stable keys, the same in English and 中文 workbooks):

    Setting        | Value | Description            <- header row (设置项 | 值 | 说明)
    abc_method     | value | How ABC classes are cut ...
    ...                                             <- one row per scalar setting
    (blank row)
    score_factors  | Column | Weight | Higher is better   <- section row: key + column headers
                   | profit | 0.4    | TRUE               <- entries: column A blank
    (blank row)
    holding_rules  | Salesperson | Tier | Max customers
    column_map     | Field | Header in sales sheet
    sales_sheets   | Sheet

Pure Python: the workbook reader and the live-Excel writer both use it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import pandas as pd

from ..core.values import DATE_NOT_RECOGNISED, DATE_ORDERS, parse_date_column
from ..errors import SettingsError
from ..settings import HoldingRule, ScoreFactor, Settings

DAYS_1900_TO_1904 = 1462  # 1904-01-01 is serial 0 in the 1904 system, 1462 in the 1900 one
SECTIONS = ("score_factors", "holding_rules", "column_map", "sales_sheets")

HEADER = {
    "en": ("Setting", "Value", "Description"),
    "zh": ("设置项", "值", "说明"),
}

SECTION_HEADERS = {
    "en": {
        "score_factors": ("Column", "Weight", "Higher is better"),
        "holding_rules": ("Salesperson", "Tier", "Max customers"),
        "column_map": ("Field", "Header in sales sheet"),
        "sales_sheets": ("Sheet",),
    },
    "zh": {
        "score_factors": ("字段", "权重", "越高越好"),
        "holding_rules": ("销售", "分级", "客户上限"),
        "column_map": ("字段", "销售表中的列名"),
        "sales_sheets": ("工作表",),
    },
}

# (key, English description, 中文 description). Order = order on the sheet.
DESCRIPTIONS: tuple[tuple[str, str, str], ...] = (
    ("language", "Output language: en or zh.", "输出语言：en 或 zh。"),
    ("as_of", "Analysis date (blank = latest sale date).", "分析日期（留空 = 最近一笔销售日期）。"),
    ("abc_measure", "What ABC ranks: auto (profit when costs exist, else revenue), profit or revenue.",
     "ABC 分类依据：auto（有成本时用利润贡献，否则用销售额）、profit 或 revenue。"),
    ("abc_method", "value: cumulative share cut-offs; count: share of customers.",
     "value：按累计占比切分；count：按客户数比例切分。"),
    ("a_cut", "Cumulative share that closes class A. The customer whose addition crosses it is A.",
     "A 类累计占比上限；跨过该线的客户仍归入 A 类。"),
    ("b_cut", "Cumulative share that closes class B (same boundary rule).", "B 类累计占比上限（同样的边界规则）。"),
    ("a_count_share", "count method: first ceil(share x n) customers are A.", "count 方法：前 ceil(比例 × 客户数) 名为 A 类。"),
    ("b_count_share", "count method: up to ceil(share x n) customers are B.", "count 方法：至 ceil(比例 × 客户数) 名为 B 类。"),
    ("promote_share", "Top share of B customers flagged 'promote'.", "B 类中排名靠前、标记为“提升”的比例。"),
    ("review_share", "Share of D customers with the largest losses flagged 'review'.", "D 类中亏损最大、标记为“复核”的比例。"),
    ("pareto_top", "Customers drawn as bars on the Pareto chart (the cumulative line covers all).",
     "帕累托图中以柱形显示的客户数（累计占比线覆盖全部客户）。"),
    ("cost_rate", "Cost as a share of revenue when the data has no cost column.", "无成本列时，成本占销售额的比例。"),
    ("sob_period", "Period of the per-period share of business: M, Q or Y.", "分期业务份额的期间：M（月）、Q（季）或 Y（年）。"),
    ("sob_segment", "Customer column for share of business within a segment.", "计算细分内业务份额所用的客户字段。"),
    ("rfm_bins", "Number of RFM score levels (2..10). Cut points are PERCENTILE.INC(k/bins).",
     "RFM 评分级数（2..10），切分点为 PERCENTILE.INC(k/级数)。"),
    ("rfm_monetary", "M = sum of net revenue, or mean per order.", "M = 净销售额合计（sum）或每单平均（mean）。"),
    ("vip_score", "Score at or above which a customer is VIP.", "评分不低于该值为重要客户 (VIP)。"),
    ("regular_score", "Score at or above which a customer is Regular (else Potential).", "评分不低于该值为普通客户，否则为潜力客户。"),
    ("lost_days", "No purchase for more than this many days: Lost.", "超过该天数未购买：已流失。"),
    ("lapsing_days", "No purchase for more than this many days: Lapsing.", "超过该天数未购买：流失预警。"),
    ("loyal_orders", "At least this many orders: Loyal.", "订单数不少于该值：忠诚客户。"),
    ("repeat_orders", "At least this many orders: Repeat.", "订单数不少于该值：持续购买。"),
    ("new_days", "One order within this many days: New (else One-time).", "该天数内仅一笔订单：新客户（否则为单次购买）。"),
    ("retention_rate", "Yearly retention rate r for projected CLV (blank = measured per ABC tier: share of "
     "last-but-one year's buyers who bought in the last year).",
     "预测 CLV 所用的年留存率 r（留空 = 按 ABC 类实测：前年购买的客户中去年再次购买的比例）。"),
    ("discount_rate", "Yearly discount rate i for projected CLV; the predicted CLV uses the equivalent monthly rate.",
     "预测 CLV 所用的年折现率 i；模型预测 CLV 使用等效月折现率。"),
    ("clv_models", "TRUE: fit BG/NBD and Gamma-Gamma for P(alive), expected purchases and predicted CLV.",
     "TRUE：拟合 BG/NBD 与 Gamma-Gamma 模型，计算存活概率、预期购买次数与预测 CLV。"),
    ("expected_days_short", "Expected purchases in the next this many days (first column).",
     "预期购买次数的天数（第一列）。"),
    ("expected_days_long", "Expected purchases in the next this many days (second column).",
     "预期购买次数的天数（第二列）。"),
    ("clv_months", "Horizon of the predicted CLV in months (of 30 days).", "预测 CLV 的期限（月，每月 30 天）。"),
    ("retention_period", "Period of the Retention sheet and the cohorts: M, Q or Y.",
     "留存表与同期群的期间：M（月）、Q（季）或 Y（年）。"),
    ("keep_p_alive", "Quiet customers with P(alive) at or above this stay with their salesperson.",
     "存活概率不低于该值的沉默客户保留给原销售，不释放到公海。"),
    ("release_days", "No purchase for more than this many days: release to the public pool.",
     "超过该天数未购买：释放到公海。"),
    ("customers_sheet", "Customer master sheet (blank = Customers / 客户 when present).",
     "客户主数据表（留空 = 存在时使用 Customers / 客户）。"),
    ("date_order", "Text dates like 03/04/2025: YMD = per column from dates such as 13/04/2025 "
     "(undecided: Data quality row); MDY = month first; DMY = day first. 01.03.2025 is always "
     "day first.",
     "形如 03/04/2025 的文本日期：YMD = 按列根据 13/04/2025 这类无歧义日期判断（无法判断时列入数据质量）；"
     "MDY = 月在前；DMY = 日在前。01.03.2025 始终为日在前。"),
    ("decimal_separator", "Decimal mark of numbers typed as text: auto (per column from values "
     "such as 1.234,50 or 12.5), '.' or ','.",
     "文本数字的小数点：auto（按列根据 1.234,50 或 12.5 这类数值判断）、'.' 或 ','。"),
)
SCALAR_KEYS = tuple(key for key, _, _ in DESCRIPTIONS)


def settings_rows(settings: Settings, language: str = "en") -> list[list[Any]]:
    """The Settings sheet as a list of rows (cell values; None = empty), header row first."""
    if language not in HEADER:
        raise SettingsError(f"language must be en or zh, got {language!r}", column="language")
    rows: list[list[Any]] = [list(HEADER[language])]
    for key, english, chinese in DESCRIPTIONS:
        value = getattr(settings, key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        rows.append([key, value if value != "" else None, english if language == "en" else chinese])
    headers = SECTION_HEADERS[language]
    sections: dict[str, list[list[Any]]] = {
        "score_factors": [[f.column, f.weight, f.higher_is_better] for f in settings.score_factors],
        "holding_rules": [[r.salesperson, r.tier, r.max_customers] for r in settings.holding_rules],
        "column_map": [[field, header] for field, header in settings.column_map],
        "sales_sheets": [[name] for name in settings.sales_sheets],
    }
    for name in SECTIONS:
        rows.append([None])
        rows.append([name, *headers[name]])
        rows.extend([None, *entry] for entry in sections[name])
    return rows


def parse_settings_rows(rows: Sequence[Sequence[Any]], sheet: str = "Settings",
                        date1904: bool = False) -> Settings:
    """Settings from the rows of a Settings sheet laid out as ``settings_rows`` writes it.

    Rows are lists of cell values, the first being the header row (row 1). Unknown keys,
    bad values and malformed section entries raise a SettingsError naming the cell.
    ``date1904``: the workbook uses the 1904 date system, so a serial number in ``as_of``
    counts days from 1904-01-01 (0 = 1904-01-01), as Excel shows it there.
    """
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    entries: dict[str, list[tuple[int, list[Any]]]] = {name: [] for name in SECTIONS}
    section: str | None = None
    for index, row in enumerate(rows[1:], start=2):
        _refuse_error_values(row, sheet, index)
        cells_in_row = [_blank_to_none(v) for v in row]
        key = cells_in_row[0] if cells_in_row else None
        rest = cells_in_row[1:]
        if key is None and all(v is None for v in rest):
            section = None
            continue
        if key is None:
            if section is None:
                raise SettingsError(
                    "a value without a setting name in column A", sheet=sheet, row=index,
                    column="A", hint="Put the setting's name in column A or clear the row.",
                )
            entries[section].append((index, rest))
            continue
        key = str(key).strip()
        if key in SECTIONS:
            section = key
            continue
        section = None
        if key not in SCALAR_KEYS:
            raise SettingsError(
                f"unknown setting '{key}'", sheet=sheet, row=index, column="A",
                hint=f"Correct the name in column A (known settings: "
                     f"{', '.join(SCALAR_KEYS + SECTIONS)}), or clear the row.",
            )
        values[key] = rest[0] if rest else None
        cells[key] = f"{sheet}!B{index}"
    values.update(
        score_factors=_score_factors(entries["score_factors"], sheet) or None,
        holding_rules=_holding_rules(entries["holding_rules"], sheet),
        column_map=tuple(
            (str(_need(r, 0, sheet, i, "B")).strip(), str(_need(r, 1, sheet, i, "C")).strip())
            for i, r in entries["column_map"]
        ),
        sales_sheets=tuple(str(_need(r, 0, sheet, i, "B")).strip() for i, r in entries["sales_sheets"]),
    )
    if values["score_factors"] is None:
        del values["score_factors"]
    if values.get("as_of") is not None:
        values["as_of"] = _as_of(values["as_of"], cells["as_of"], values.get("date_order"), date1904)
    return Settings.from_values(values, cells)


def _as_of(value: Any, cell: str, date_order: Any, date1904: bool) -> dt.date:
    """The ``as_of`` cell as a date, by the core's date rules (``core.values``): a date cell,
    a serial number in the workbook's date system, or a text date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    serial = _serial(value)
    if serial is not None and date1904:
        serial = serial + DAYS_1900_TO_1904 if serial >= 0 else -1.0  # no date before 1904
    order = str(date_order).strip().upper() if date_order is not None else "YMD"
    cells = pd.Series([serial if serial is not None else value],
                      dtype="float64" if serial is not None else object)
    dates, problems, _ = parse_date_column(cells, order if order in DATE_ORDERS else "YMD")
    if problems[0] or pd.isna(dates.iloc[0]):
        reason = problems[0] or DATE_NOT_RECOGNISED
        raise SettingsError(
            f"{cell} (as_of) holds {value!r}, which is not a date: {reason}",
            hint="Type the analysis date as yyyy-mm-dd, for example 2025-06-30, or clear the "
                 "cell to use the latest sale date.")
    return dates.iloc[0].date()


def _serial(value: Any) -> float | None:
    """A cell holding a number (or a number as text, as the file reader gives every Settings
    cell) as that number; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


EXCEL_ERROR_VALUES = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!",
                                "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!",
                                "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})


def _refuse_error_values(row: Sequence[Any], sheet: str, index: int) -> None:
    """A cell holding an error value (#DIV/0!, #REF!) is an error naming the cell: read as
    blank it would silently become the default."""
    for position, value in enumerate(row):
        if isinstance(value, str) and value.strip().upper() in EXCEL_ERROR_VALUES:
            raise SettingsError(f"{sheet}!{_letters(position)}{index} holds the error value "
                                f"{value.strip()}",
                                hint="Fix the formula or type the value, then try again.")


def _letters(position: int) -> str:
    """0 -> "A", 26 -> "AA"."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _need(row: list[Any], pos: int, sheet: str, index: int, column: str) -> Any:
    value = row[pos] if pos < len(row) else None
    if value is None:
        raise SettingsError("this entry is incomplete", sheet=sheet, row=index, column=column,
                            hint="Fill the cell or clear the whole row.")
    return value


def _number(value: Any, sheet: str, index: int, column: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"expected a number, got {value!r}", sheet=sheet, row=index,
                            column=column, hint="Type a number in the cell.") from None


def _flag(value: Any, sheet: str, index: int, column: str) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "是", "1.0"}:
        return True
    if text in {"false", "no", "0", "否", "0.0"}:
        return False
    raise SettingsError(f"expected TRUE or FALSE, got {value!r}", sheet=sheet, row=index,
                        column=column, hint="Type TRUE or FALSE (blank means TRUE).")


def _score_factors(entries: list[tuple[int, list[Any]]], sheet: str) -> tuple[ScoreFactor, ...]:
    factors = []
    for index, row in entries:
        column = str(_need(row, 0, sheet, index, "B")).strip()
        weight = _number(_need(row, 1, sheet, index, "C"), sheet, index, "C")
        higher = _flag(row[2] if len(row) > 2 else None, sheet, index, "D")
        try:
            factors.append(ScoreFactor(column, weight, higher))
        except SettingsError as exc:
            raise SettingsError(exc.message, sheet=sheet, row=index, column="C",
                                hint="Correct the entry, or clear the row.") from None
    return tuple(factors)


def _holding_rules(entries: list[tuple[int, list[Any]]], sheet: str) -> tuple[HoldingRule, ...]:
    rules = []
    for index, row in entries:
        person = str(_need(row, 0, sheet, index, "B")).strip()
        tier = str(_need(row, 1, sheet, index, "C")).strip()
        tier = "All" if tier.lower() in {"all", "全部"} else tier.upper()
        limit = _number(_need(row, 2, sheet, index, "D"), sheet, index, "D")
        if not float(limit).is_integer():
            raise SettingsError(f"expected a whole number, got {limit!r}", sheet=sheet,
                                row=index, column="D", hint="Type a whole number of customers.")
        try:
            rules.append(HoldingRule(person, tier, int(limit)))
        except SettingsError as exc:
            raise SettingsError(exc.message, sheet=sheet, row=index, column="C",
                                hint="Correct the entry, or clear the row.") from None
    return tuple(rules)
