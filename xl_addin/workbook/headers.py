"""Match a sheet's header row to the core's canonical fields (English / 中文 aliases).

Headers are compared after ``normalize_header``: Unicode NFKC (full-width -> half-width),
case folded, and every space, underscore, punctuation mark, symbol and bracket removed, so
"Customer ID", "customer_id", "ＣＵＳＴＯＭＥＲ　ＩＤ" and "Customer-Id" are one header. A header
with a bracketed part also matches without it: "Amount (USD)", "订单金额（元）" match "Amount",
"订单金额".

Which header wins, per field:

1. an explicit ``(field, header)`` line of ``Settings.column_map``;
2. a primary alias (``ALIASES``); when two columns match, the first (leftmost), with a note;
3. a fallback alias (``FALLBACK_ALIASES``: generic CRM columns such as "Created Time"), only
   when no primary alias matched.

A column serves one field at most.

CRM exports (checked against the vendors' field lists):

* Zoho CRM Sales Orders: "Sales Order Owner", "SO Number", "Subject", "Account Name",
  "Customer No", "Created Time", "Grand Total" / "Sub Total" -> no mapping line needed (the
  date falls back to "Created Time"; add ``date | Due Date`` to use another column).
* Zoho CRM Invoices: "Invoice Owner", "Invoice Number", "Invoice Date", "Account Name",
  "Sales Order", "Grand Total" -> no mapping line needed.
* Zoho CRM Deals: "Deal Owner", "Deal Name", "Account Name", "Amount", "Closing Date", "Stage"
  -> no mapping line; filter to won deals first (the reader does not look at "Stage").
* 纷享销客 (FxiaoKe) 销售订单: "销售订单编号", "客户名称", "下单日期", "销售订单金额(元)" /
  "订单金额", "负责人", "创建时间" -> no mapping line needed.
* Exports without a customer id column ("Account Name", "客户名称" only): the reader uses the
  customer name as the id (the note says so). A custom field needs one line, e.g.
  ``customer_id | ERP Code`` or ``amount | 回款金额``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from ..core.columns import (
    AMOUNT,
    COST,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DATE,
    INDUSTRY,
    ORDER_ID,
    REGION,
    SALESPERSON,
    SIZE,
    WALLET,
)
from ..errors import SettingsError

FIELDS = (CUSTOMER_ID, CUSTOMER_NAME, DATE, AMOUNT, COST, ORDER_ID, SALESPERSON, INDUSTRY,
          REGION, SIZE, WALLET)

ALIASES: dict[str, tuple[str, ...]] = {
    CUSTOMER_ID: (
        "Customer ID", "Customer No", "Customer Number", "Customer Code", "Customer Key",
        "Cust ID", "Cust No", "Account ID", "Account Number", "Account No", "Client ID",
        "Client No", "Client Code",
        "客户编号", "客户代码", "客户编码", "客户ID", "客户号", "客户代号", "客户识别码",
    ),
    CUSTOMER_NAME: (
        "Customer", "Customer Name", "Account Name", "Account", "Client", "Client Name",
        "Company", "Company Name", "Sold To", "Sold To Party",
        "客户", "客户名称", "客户名", "客户全称", "客户简称", "公司名称", "单位名称", "购买方",
        "购货单位",
    ),
    DATE: (
        "Date", "Order Date", "Invoice Date", "Closing Date", "Close Date", "Sale Date",
        "Sales Date", "Transaction Date", "Posting Date", "Document Date", "Ship Date",
        "日期", "订单日期", "下单日期", "成交日期", "销售日期", "开票日期", "单据日期",
        "业务日期", "交易日期", "签约日期", "发货日期",
    ),
    AMOUNT: (
        "Amount", "Revenue", "Sales", "Net Sales", "Sales Amount", "Grand Total",
        "Net Amount", "Order Amount", "Invoice Amount", "Line Total", "Total Amount",
        "Order Total", "Invoice Total",
        "金额", "销售额", "销售金额", "订单金额", "成交金额", "销售订单金额", "含税金额",
        "价税合计", "收入", "营业收入", "合计金额", "订单总额", "总金额",
    ),
    COST: (
        "Cost", "COGS", "Cost to Serve", "Cost of Goods Sold", "Cost of Sales", "Total Cost",
        "Service Cost", "Costs",
        "成本", "服务成本", "客户维护费用", "维护费用", "销售成本", "成本金额", "总成本",
    ),
    ORDER_ID: (
        "Order", "Order ID", "Order No", "Order Number", "Invoice", "Invoice No",
        "Invoice Number", "Invoice ID", "Sales Order", "Sales Order No", "Sales Order Number",
        "SO Number", "SO No", "Document No", "Document Number", "Deal Name",
        "订单号", "订单编号", "销售订单编号", "销售订单号", "单号", "单据编号", "单据号",
        "发票号", "发票号码", "合同编号",
    ),
    SALESPERSON: (
        "Salesperson", "Sales Person", "Owner", "Sales Rep", "Sales Representative", "Rep",
        "Account Owner", "Deal Owner", "Sales Order Owner", "Invoice Owner", "Owner Name",
        "Account Manager", "Sales Owner",
        "销售", "负责人", "销售员", "业务员", "销售人员", "销售代表", "客户经理", "所属销售",
        "销售负责人", "跟进人", "归属销售",
    ),
    INDUSTRY: ("Industry", "Sector", "Industry Sector", "行业", "所属行业", "行业类别"),
    REGION: (
        "Region", "Territory", "Sales Region", "Area", "Sales Territory",
        "地区", "区域", "大区", "所属区域", "销售区域", "所属地区",
    ),
    SIZE: (
        "Size", "Company Size", "Employees", "No of Employees", "Number of Employees",
        "Headcount",
        "规模", "企业规模", "公司规模", "人员规模", "员工人数",
    ),
    WALLET: (
        "Wallet", "Wallet Estimate", "Wallet Size", "Category Spend", "Total Category Spend",
        "钱包", "品类总支出", "钱包规模", "采购总额", "品类采购额",
    ),
}

# Generic columns of CRM exports, used only when no primary alias of the field matched.
FALLBACK_ALIASES: dict[str, tuple[str, ...]] = {
    DATE: ("Created Time", "Created Date", "Created On", "Due Date", "创建时间", "创建日期"),
    AMOUNT: ("Sub Total", "Subtotal", "Total", "Value", "小计", "合计"),
    ORDER_ID: ("Subject", "主题", "订单名称"),
    CUSTOMER_NAME: ("Name", "名称"),
}

_BRACKETED = re.compile(r"[(\[{（【［｛〔<《].*?[)\]}）】］｝〕>》]")


def normalize_header(header: object) -> str:
    """The comparison key of a header: NFKC, case folded, without spaces, underscores,
    punctuation, symbols and brackets. ``None`` -> ""."""
    if header is None:
        return ""
    text = unicodedata.normalize("NFKC", str(header)).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _keys(header: object) -> tuple[str, ...]:
    """The header's key, plus its key without bracketed parts when it has any."""
    if header is None:
        return ()
    text = unicodedata.normalize("NFKC", str(header))
    full = normalize_header(text)
    short = normalize_header(_BRACKETED.sub("", text))
    return tuple(k for k in dict.fromkeys((full, short)) if k)


def _index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for field, names in aliases.items():
        for name in names:
            key = normalize_header(name)
            if index.setdefault(key, field) != field:
                raise ValueError(f"alias {name!r} names two fields")  # a bug in the tables
    return index


_PRIMARY = _index(ALIASES)
_FALLBACK = _index(FALLBACK_ALIASES)
_FIELD_KEYS = {normalize_header(f): f for f in FIELDS}


def field_for_header(header: object) -> str | None:
    """The canonical field a header names by a primary alias (or its own name), else None."""
    for key in _keys(header):
        if key in _PRIMARY:
            return _PRIMARY[key]
        if key in _FIELD_KEYS:
            return _FIELD_KEYS[key]
    return None


def column_label(column: int, header: object = None) -> str:
    """A column as the user sees it: its letter and header, "C (Amount)" (0-based column)."""
    letter, n = "", column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letter = chr(65 + rest) + letter
    return f"{letter} ({header})" if header not in (None, "") else letter


def snake_case(header: object) -> str:
    """A column name for an extra header: NFKC, case folded, runs of anything but letters
    and digits -> "_" ("Receivable Days" -> "receivable_days", "账期（天）" -> "账期_天")."""
    text = unicodedata.normalize("NFKC", str(header)).casefold()
    return re.sub(r"[^\w]+|_+", "_", text).strip("_")


class HeaderMatch(dict):
    """``field -> 0-based column index`` (a dict), plus ``notes``: sentences for the user
    about choices made (ambiguous headers, mapping lines that found no column)."""

    def __init__(self, columns: dict[str, int], notes: Iterable[str] = (),
                 duplicates: dict[str, tuple[int, ...]] | None = None,
                 unmatched: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(columns)
        self.notes: tuple[str, ...] = tuple(notes)
        # field -> every column that fits it (the used one first); column_map lines not found
        self.duplicates: dict[str, tuple[int, ...]] = dict(duplicates or {})
        self.unmatched: tuple[tuple[str, str], ...] = tuple(unmatched)


def match_headers(
    headers: Sequence[object], column_map: Sequence[tuple[str, str]] = ()
) -> HeaderMatch:
    """Map canonical fields to 0-based column indices of ``headers`` (a header row).

    ``column_map`` lines ``(field, header)`` win over aliases; a field may be written as its
    canonical name or any alias ("customer_id", "Customer ID", "客户编号"). A mapping line whose
    header is not in this row is skipped with a note (it may be meant for another sheet).
    Raises SettingsError for a field that does not exist.
    """
    keys = [_keys(h) for h in headers]
    found: dict[str, int] = {}
    notes: list[str] = []
    taken: set[int] = set()
    duplicates: dict[str, tuple[int, ...]] = {}
    unmatched: list[tuple[str, str]] = []

    for field_text, header in column_map:
        field = _FIELD_KEYS.get(normalize_header(field_text)) or field_for_header(field_text)
        if field is None:
            raise SettingsError(
                f"The column_map line '{field_text} | {header}' in the Settings sheet names an "
                f"unknown field '{field_text}'",
                hint=f"Use one of these fields in column B: {', '.join(FIELDS)}; or delete "
                     "the line.",
            )
        wanted = set(_keys(header))
        hits = [i for i, k in enumerate(keys) if i not in taken and wanted & set(k)]
        if not hits:
            notes.append(f"column_map line '{field_text} | {header}': no such header here.")
            unmatched.append((field_text, header))
            continue
        found[field] = hits[0]
        taken.add(hits[0])

    for table in (_PRIMARY, _FALLBACK):
        candidates: dict[str, list[int]] = {}
        for i, row_keys in enumerate(keys):
            if i in taken:
                continue
            field = next((table[k] for k in row_keys if k in table), None)
            if field is None and table is _PRIMARY:
                field = next((_FIELD_KEYS[k] for k in row_keys if k in _FIELD_KEYS), None)
            if field is not None and field not in found:
                candidates.setdefault(field, []).append(i)
        for field, hits in candidates.items():
            found[field] = hits[0]
            taken.add(hits[0])
            if len(hits) > 1:
                duplicates[field] = tuple(hits)
                names = ", ".join(f"'{headers[i]}'" for i in hits)
                notes.append(f"{names} all look like {field}; used '{headers[hits[0]]}' "
                             f"(add a column_map line to choose another).")
    return HeaderMatch(dict(sorted(found.items(), key=lambda kv: kv[1])), notes, duplicates,
                       unmatched)
