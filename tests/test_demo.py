"""The demo generator: deterministic, and holding what the generated sheets need."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xl_addin.demo import (
    CUSTOMER_HEADERS,
    DEMO_END,
    SALES_HEADERS,
    SALESPEOPLE,
    demo_customers,
    demo_holding_rules,
    demo_transactions,
)
from xl_addin.settings import HoldingRule
from xl_addin.workbook.headers import match_headers


@pytest.fixture(scope="module")
def sales():
    return demo_transactions(customers=300, rows=12_000, seed=11)


@pytest.fixture(scope="module")
def master():
    return demo_customers(customers=300, seed=11)


def test_same_seed_same_frames():
    pd.testing.assert_frame_equal(demo_transactions(50, 500, seed=3), demo_transactions(50, 500, seed=3))
    pd.testing.assert_frame_equal(demo_customers(50, seed=3), demo_customers(50, seed=3))
    assert demo_holding_rules(50, seed=3) == demo_holding_rules(50, seed=3)


def test_another_seed_other_data():
    a, b = demo_transactions(50, 500, seed=3), demo_transactions(50, 500, seed=4)
    assert not a["Amount"].equals(b["Amount"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_headers_are_display_headers_the_reader_knows(language):
    sales = demo_transactions(20, 100, language=language)
    master = demo_customers(20, language=language)
    assert tuple(sales.columns) == SALES_HEADERS[language]
    assert tuple(master.columns) == CUSTOMER_HEADERS[language]
    assert set(match_headers(list(sales.columns))) == {
        "customer_id", "customer_name", "date", "order_id", "amount", "cost", "salesperson",
        "industry", "region", "size"}
    assert set(match_headers(list(master.columns))) == {
        "customer_id", "customer_name", "salesperson", "industry", "region", "size", "wallet"}


def test_chinese_demo_uses_chinese_names():
    sales = demo_transactions(30, 300, language="zh")
    assert set(sales["销售"].dropna()) <= set(SALESPEOPLE["zh"])
    assert sales["客户名称"].str.endswith("有限公司").all()
    assert "制造业" in set(demo_customers(200, language="zh")["行业"])


def test_shape_and_date_range(sales):
    assert len(sales) == 12_000
    dates = pd.to_datetime(sales["Date"], errors="coerce")
    assert dates.max() <= DEMO_END
    assert dates.min() >= DEMO_END - pd.Timedelta(days=731)
    assert (dates.max() - dates.min()).days > 600
    assert 6 <= sales["Salesperson"].nunique() <= 8


def test_a_few_bad_rows_of_each_kind(sales):
    blank_ids = sales["Customer ID"].isna().sum()
    bad_amounts = (sales["Amount"] == "n/a").sum()
    bad_dates = sales["Date"].map(lambda v: isinstance(v, str)).sum()
    assert blank_ids >= 1 and bad_amounts >= 1 and bad_dates >= 1
    assert blank_ids + bad_amounts + bad_dates <= len(sales) * 0.002
    good_dates = sales["Date"].map(lambda v: isinstance(v, dt.datetime))
    assert good_dates.sum() == len(sales) - bad_dates


def test_about_one_percent_returns(sales):
    amounts = pd.to_numeric(sales["Amount"], errors="coerce")
    returns = amounts < 0
    assert 0.005 < returns.mean() < 0.02
    assert sales.loc[returns, "Order"].str.startswith("RT-").all()
    assert (sales.loc[returns, "Cost"] < 0).all()


def test_pareto_like_revenue(sales):
    amounts = pd.to_numeric(sales["Amount"], errors="coerce")
    revenue = amounts.groupby(sales["Customer ID"]).sum().sort_values(ascending=False)
    top_fifth = revenue.iloc[: len(revenue) // 5].sum() / revenue.sum()
    assert 0.6 < top_fifth < 0.95


def test_some_customers_lose_money(sales):
    amounts = pd.to_numeric(sales["Amount"], errors="coerce")
    profit = (amounts - sales["Cost"]).groupby(sales["Customer ID"]).sum()
    assert (profit < 0).sum() >= 3
    assert (profit > 0).mean() > 0.8


def test_prospects_in_the_master_have_no_sales(sales, master):
    bought = set(sales["Customer ID"].dropna())
    prospects = set(master["Customer ID"]) - bought
    assert 3 <= len(prospects) <= 0.05 * len(master)
    assert bought <= set(master["Customer ID"])
    assert master["Customer ID"].is_unique and master["Customer"].is_unique


def test_master_agrees_with_sales_attributes(sales, master):
    joined = sales.dropna(subset=["Customer ID"]).merge(master, on="Customer ID", suffixes=("", "_m"))
    for column in ("Customer", "Salesperson", "Industry", "Region", "Size"):
        assert (joined[column] == joined[column + "_m"]).all(), column


def test_holding_rules_put_some_salespeople_over(sales):
    rules = demo_holding_rules(customers=300, seed=11)
    assert all(isinstance(r, HoldingRule) for r in rules)
    limit_all = next(r.max_customers for r in rules if r.tier == "All")
    owners = sales.dropna(subset=["Customer ID"]).drop_duplicates("Customer ID")["Salesperson"]
    held = owners.value_counts()
    assert 1 <= (held > limit_all).sum() < len(held)
    # A tiers as the core cuts them: profit ranked, the customer crossing 80% included.
    amounts = pd.to_numeric(sales["Amount"], errors="coerce")
    profit = (amounts - sales["Cost"]).groupby(sales["Customer ID"]).sum().sort_values(ascending=False)
    positive = profit.clip(lower=0)
    cum = positive.cumsum() / positive.sum()
    a_ids = cum.index[: int(np.searchsorted(cum.to_numpy(), 0.80)) + 1]
    owner = sales.drop_duplicates("Customer ID").set_index("Customer ID")["Salesperson"]
    held_a = owner.loc[a_ids].value_counts()
    limit_a = next(r.max_customers for r in rules if r.tier == "A")
    assert (held_a > limit_a).sum() >= 1


def test_every_customer_buys_when_rows_allow():
    sales = demo_transactions(customers=40, rows=400)
    assert sales["Customer ID"].nunique() >= 39  # one row may have lost its id on purpose


def test_bad_arguments():
    with pytest.raises(ValueError, match="language"):
        demo_transactions(language="fr")
    with pytest.raises(ValueError):
        demo_transactions(customers=0)
