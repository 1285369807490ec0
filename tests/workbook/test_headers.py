"""Header matching: aliases in English and 中文, width/case/space/punctuation-insensitive,
explicit column_map lines first, CRM exports readable."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xl_addin.errors import SettingsError
from xl_addin.workbook.headers import (
    ALIASES,
    FALLBACK_ALIASES,
    FIELDS,
    field_for_header,
    match_headers,
    normalize_header,
    snake_case,
)


@pytest.mark.parametrize(
    "header, field",
    [
        ("Customer ID", "customer_id"),
        ("customer_id", "customer_id"),
        ("CUSTOMER-ID", "customer_id"),
        ("ＣＵＳＴＯＭＥＲ　ＩＤ", "customer_id"),  # full-width letters and space
        ("  Customer   Id  ", "customer_id"),
        ("客户编号", "customer_id"),
        ("客户ＩＤ", "customer_id"),
        ("Customer", "customer_name"),
        ("客户名称", "customer_name"),
        ("Account Name", "customer_name"),
        ("Order Date", "date"),
        ("下单日期", "date"),
        ("成交日期", "date"),
        ("Amount (USD)", "amount"),
        ("订单金额（元）", "amount"),
        ("销售额", "amount"),
        ("Grand Total", "amount"),
        ("Cost to Serve", "cost"),
        ("客户维护费用", "cost"),
        ("Order #", "order_id"),
        ("订单号", "order_id"),
        ("Sales Rep", "salesperson"),
        ("负责人", "salesperson"),
        ("Territory", "region"),
        ("区域", "region"),
        ("企业规模", "size"),
        ("品类总支出", "wallet"),
        ("行业", "industry"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_alias_names_its_field(header, field):
    assert field_for_header(header) == field
    assert match_headers([header]) == {field: 0}


def test_unknown_headers_match_nothing():
    assert field_for_header("Discount") is None
    assert match_headers(["Discount", None, "", "Comment"]) == {}


def test_no_alias_names_two_fields():
    seen = {}
    for table in (ALIASES, FALLBACK_ALIASES):
        for field, names in table.items():
            for name in names:
                key = normalize_header(name)
                assert seen.setdefault(key, field) == field, name
    assert set(ALIASES) == set(FIELDS)


def test_a_typical_english_sheet():
    headers = ["Order", "Date", "Customer ID", "Customer", "Amount", "Cost", "Salesperson",
               "Industry", "Region", "Size", "Notes"]
    assert match_headers(headers) == {
        "order_id": 0, "date": 1, "customer_id": 2, "customer_name": 3, "amount": 4,
        "cost": 5, "salesperson": 6, "industry": 7, "region": 8, "size": 9,
    }


def test_a_typical_chinese_sheet():
    headers = ["订单编号", "成交日期", "客户代码", "客户", "成交金额", "成本", "业务员", "行业", "地区", "规模"]
    assert match_headers(headers) == {
        "order_id": 0, "date": 1, "customer_id": 2, "customer_name": 3, "amount": 4,
        "cost": 5, "salesperson": 6, "industry": 7, "region": 8, "size": 9,
    }


def test_two_columns_for_one_field_take_the_first_with_a_note():
    match = match_headers(["Customer", "Revenue", "Amount", "Date"])
    assert match == {"customer_name": 0, "amount": 1, "date": 3}
    assert len(match.notes) == 1
    assert "'Revenue', 'Amount'" in match.notes[0] and "amount" in match.notes[0]


def test_explicit_mapping_wins_over_aliases():
    headers = ["Customer ID", "Amount", "Net Value", "Date"]
    match = match_headers(headers, (("amount", "Net Value"),))
    assert match == {"customer_id": 0, "amount": 2, "date": 3}
    assert match.notes == ()


def test_mapping_accepts_an_alias_as_field_and_odd_spacing_in_the_header():
    match = match_headers(["ERP Code", "Posting Day", "Value €"],
                          (("客户编号", " erp  code "), ("Date", "posting_day"), ("amount", "value")))
    assert match == {"customer_id": 0, "date": 1, "amount": 2}


def test_a_mapped_column_is_not_taken_again_by_an_alias():
    match = match_headers(["Customer", "Account Name"], (("customer_id", "Customer"),))
    assert match == {"customer_id": 0, "customer_name": 1}


def test_mapping_to_a_header_absent_here_is_noted_not_fatal():
    match = match_headers(["Customer ID", "Date", "Amount"], (("cost", "Freight"),))
    assert match == {"customer_id": 0, "date": 1, "amount": 2}
    assert match.notes == ("column_map line 'cost | Freight': no such header here.",)


def test_mapping_to_an_unknown_field_is_a_settings_error():
    with pytest.raises(SettingsError) as caught:
        match_headers(["A"], (("colour", "A"),))
    assert str(caught.value) == (
        "The column_map line 'colour | A' in the Settings sheet names an unknown field 'colour'. "
        "Use one of these fields in column B: customer_id, customer_name, date, amount, cost, "
        "order_id, salesperson, industry, region, size, wallet; or delete the line.")


def test_zoho_sales_orders_export_needs_no_mapping():
    headers = ["Sales Order Owner", "SO Number", "Subject", "Deal Name", "Customer No",
               "Account Name", "Contact Name", "Status", "Due Date", "Created Time",
               "Sub Total", "Discount", "Tax", "Adjustment", "Grand Total"]
    match = match_headers(headers)
    assert match["salesperson"] == 0
    assert match["order_id"] == 1  # SO Number; Deal Name second -> note
    assert match["customer_id"] == 4
    assert match["customer_name"] == 5
    assert match["date"] == 8  # fallback: Due Date comes before Created Time
    assert match["amount"] == 14  # Grand Total beats the fallback Sub Total


def test_zoho_invoices_and_deals_exports():
    invoices = match_headers(["Invoice Owner", "Invoice Number", "Subject", "Account Name",
                              "Invoice Date", "Grand Total", "Status"])
    assert invoices == {"salesperson": 0, "order_id": 1, "customer_name": 3, "date": 4,
                        "amount": 5}
    deals = match_headers(["Deal Owner", "Deal Name", "Account Name", "Amount", "Stage",
                           "Closing Date"])
    assert deals == {"salesperson": 0, "order_id": 1, "customer_name": 2, "amount": 3,
                     "date": 5}


def test_fxiaoke_sales_order_export_needs_no_mapping():
    headers = ["销售订单编号", "客户名称", "下单日期", "销售订单金额(元)", "负责人", "生命状态", "创建时间"]
    assert match_headers(headers) == {"order_id": 0, "customer_name": 1, "date": 2,
                                      "amount": 3, "salesperson": 4}


@given(st.sampled_from([a for names in ALIASES.values() for a in names]),
       st.sampled_from(["", " ", "　", "_", "  "]), st.booleans())
def test_matching_ignores_case_width_and_padding(alias, pad, upper):
    text = alias.upper() if upper else alias.lower()
    assert field_for_header(pad + text + pad) == field_for_header(alias)


@pytest.mark.parametrize("header, name", [
    ("Receivable Days", "receivable_days"),
    ("Credit  Limit (USD)", "credit_limit_usd"),
    ("应收账款天数", "应收账款天数"),
    ("ＮＰＳ Score", "nps_score"),
])
def test_snake_case_names_extra_columns(header, name):
    assert snake_case(header) == name
