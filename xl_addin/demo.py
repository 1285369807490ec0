"""A seeded generator of realistic B2B sales data, shaped like a user's sheets.

Pure pandas/numpy, no I/O. The frames carry the display headers a user's Sales and Customers
tabs would show (English or 中文), not the core's canonical names; the workbook reader maps
them like any other sheet.

What the data holds, so every generated sheet has content:

* customers across industries, regions and sizes, owned by 7 salespeople (unevenly);
* Pareto-like revenue: customer sizes are lognormal, big customers order more and larger;
* sale dates over two years ending on ``DEMO_END`` (a fixed date, so output is reproducible),
  with customers that started late (New) or stopped buying (Lapsing, Lost);
* a cost per line (cost to serve + goods), with a few customers whose cost exceeds revenue;
* about 1% returns (negative amount and cost);
* a few prospects in the customer master without any sale;
* a few deliberately bad rows: blank customer id, amount "n/a", an unparseable date.

Same arguments, same frames: every random draw comes from ``numpy.random.default_rng`` seeded
with ``seed`` (customer attributes from their own stream, so ``demo_customers`` and
``demo_transactions`` agree for any ``rows``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .settings import HoldingRule

DEMO_END = pd.Timestamp("2025-12-31")
DEMO_DAYS = 730  # dates span DEMO_END - 730 days .. DEMO_END

# Display headers of the demo sheets, by language. Every one is a known alias (headers.py).
SALES_HEADERS = {
    "en": ("Customer ID", "Customer", "Date", "Order", "Amount", "Cost", "Salesperson",
           "Industry", "Region", "Size"),
    "zh": ("客户编号", "客户名称", "日期", "订单号", "金额", "成本", "销售", "行业", "地区", "规模"),
}
CUSTOMER_HEADERS = {
    "en": ("Customer ID", "Customer", "Salesperson", "Industry", "Region", "Size",
           "Wallet Estimate", "Receivable Days"),
    "zh": ("客户编号", "客户名称", "销售", "行业", "地区", "规模", "品类总支出", "应收账款天数"),
}

INDUSTRIES = {
    "en": ("Manufacturing", "Retail", "Wholesale", "Healthcare", "Construction", "Logistics",
           "IT Services", "Food & Beverage"),
    "zh": ("制造业", "零售", "批发", "医疗", "建筑", "物流", "信息技术", "食品饮料"),
}
REGIONS = {
    "en": ("North", "East", "South", "Central", "West"),
    "zh": ("华北", "华东", "华南", "华中", "西部"),
}
SIZES = {"en": ("Small", "Medium", "Large", "Enterprise"), "zh": ("小型", "中型", "大型", "集团")}
SALESPEOPLE = {
    "en": ("Alice Chen", "Ben Carter", "Chloe Martin", "David Kim", "Emma Novak", "Felix Wong",
           "Grace Liu"),
    "zh": ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊"),
}
# Share of customers each salesperson owns: uneven, so holding limits bite for some.
_SALESPERSON_WEIGHTS = np.array([0.22, 0.18, 0.16, 0.14, 0.12, 0.10, 0.08])
_SIZE_WEIGHTS = np.array([0.45, 0.30, 0.18, 0.07])
_SIZE_SCALE = np.array([0.4, 1.0, 2.5, 6.0])  # revenue multiplier by size

_NAME_PARTS = {
    "en": (
        ("Apex", "Blue", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Iron",
         "Juniper", "Keystone", "Lumen", "Maple", "Northstar", "Orchid", "Pioneer", "Quarry",
         "Redwood", "Summit", "Titan", "Union", "Vertex", "Willow", "Zenith"),
        ("Industries", "Supply", "Systems", "Trading", "Works", "Partners", "Labs", "Group",
         "Foods", "Logistics", "Medical", "Builders", "Retail", "Tech"),
        ("Ltd", "Inc", "LLC", "Co", "GmbH", "PLC"),
    ),
    "zh": (
        ("上海", "北京", "深圳", "杭州", "苏州", "成都", "武汉", "南京", "天津", "重庆", "广州",
         "宁波", "青岛", "西安", "厦门", "长沙", "郑州", "合肥", "佛山", "无锡"),
        ("华信", "恒达", "宏远", "金泰", "瑞丰", "鼎盛", "博远", "中科", "新源", "汇通", "嘉禾",
         "永安", "联创", "天成"),
        ("机械有限公司", "贸易有限公司", "科技有限公司", "实业有限公司", "商贸有限公司",
         "医疗器械有限公司"),
    ),
}


def demo_customers(customers: int = 400, seed: int = 7, language: str = "en") -> pd.DataFrame:
    """The customer master: ``customers`` buying customers plus ~3% prospects (no sales).

    Columns: ``CUSTOMER_HEADERS[language]``; one row per customer, ids ``C0001``... .
    "Wallet Estimate" is the customer's yearly spend in the category (currency);
    "Receivable Days" is an extra numeric column, usable as a score factor.
    """
    table = _customer_table(customers, seed, language)
    headers = CUSTOMER_HEADERS[language]
    return pd.DataFrame({
        headers[0]: table["id"],
        headers[1]: table["name"],
        headers[2]: table["salesperson"],
        headers[3]: table["industry"],
        headers[4]: table["region"],
        headers[5]: table["size"],
        headers[6]: table["wallet"],
        headers[7]: table["receivable_days"],
    })


def demo_transactions(
    customers: int = 400, rows: int = 20_000, seed: int = 7, language: str = "en"
) -> pd.DataFrame:
    """``rows`` sale lines of the first ``customers`` customers of ``demo_customers``.

    Columns: ``SALES_HEADERS[language]``. Amount and Cost in currency (2 decimals), Date a
    timestamp (midnight). Sorted by date; each line its own order ("SO-000001"; returns
    "RT-..."). A few bad rows (about 1 in 1,000, at least 3) hold a blank customer id, the
    text "n/a" as amount, or an unparseable date, so the Amount and Date columns are of
    object dtype.
    """
    _check_language(language)
    if customers < 1 or rows < 1:
        raise ValueError("customers and rows must be >= 1")
    table = _customer_table(customers, seed, language)
    rng = np.random.default_rng([seed, 2])
    n = customers  # buying customers come first in the table; prospects follow

    value = table["value"][:n]
    # Big customers order more often (frequency ~ value^0.6) and larger (the rest).
    frequency = value ** 0.6
    who = rng.choice(n, size=rows, p=frequency / frequency.sum())
    who[: min(rows, n)] = np.arange(min(rows, n))  # every customer buys at least once when rows allow
    mean_order = value / frequency
    amount = np.round(mean_order[who] * rng.lognormal(0.0, 0.5, rows) * 100, 2)

    # Active window per customer: most span the whole period; some start late, some stop.
    start = table["active_from"][:n][who]
    stop = table["active_to"][:n][who]
    day = np.floor(start + rng.random(rows) * (stop - start)).astype(np.int64)
    dates = DEMO_END - pd.to_timedelta(DEMO_DAYS - day, unit="D")

    cost_ratio = table["cost_ratio"][:n][who] * rng.normal(1.0, 0.05, rows)
    cost = np.round(amount * cost_ratio, 2)

    returns = rng.random(rows) < 0.01
    amount = np.where(returns, -amount, amount)
    cost = np.where(returns, -cost, cost)

    order = np.argsort(day, kind="stable")
    who, amount, cost, returns = who[order], amount[order], cost[order], returns[order]
    dates = dates[order]
    number = pd.Series(np.arange(1, rows + 1)).astype(str).str.zfill(6).to_numpy()
    order_id = np.where(returns, "RT-", "SO-").astype(object) + number.astype(object)

    headers = SALES_HEADERS[language]
    frame = pd.DataFrame({
        headers[0]: table["id"][who],
        headers[1]: table["name"][who],
        headers[2]: dates,
        headers[3]: order_id,
        headers[4]: amount,
        headers[5]: cost,
        headers[6]: table["salesperson"][who],
        headers[7]: table["industry"][who],
        headers[8]: table["region"][who],
        headers[9]: table["size"][who],
    })
    return _spoil_rows(frame, headers, rng)


def demo_holding_rules(
    customers: int = 400, seed: int = 7, language: str = "en"
) -> tuple[HoldingRule, ...]:
    """Holding limits suited to the demo, so the Coverage sheet shows some "Over".

    * everyone may hold at most the 75th percentile of the per-salesperson customer count,
      so the one or two busiest salespeople are over;
    * everyone may hold at most as many A customers as the median salesperson holds of the
      customers likely to be A (largest expected profit, 80% of the total).
    """
    table = _customer_table(customers, seed, language)
    people = table["salesperson"][:customers]
    held = pd.Series(people).value_counts()
    limit_all = int(np.percentile(held.to_numpy(), 75))
    profit = table["value"][:customers] * (1 - table["cost_ratio"][:customers])
    ranked = np.argsort(-profit, kind="stable")
    positive = np.clip(profit[ranked], 0, None)
    cum = np.cumsum(positive) / positive.sum()
    likely_a = ranked[: int(np.searchsorted(cum, 0.80)) + 1]
    held_a = pd.Series(people[likely_a]).value_counts()
    limit_a = max(1, int(np.median(held_a.to_numpy())))
    return (
        HoldingRule("*", "All", max(1, limit_all)),
        HoldingRule("*", "A", limit_a),
    )


def _check_language(language: str) -> None:
    if language not in SALES_HEADERS:
        raise ValueError(f"language must be en or zh, got {language!r}")


def _customer_table(customers: int, seed: int, language: str) -> dict[str, np.ndarray]:
    """Attributes of every customer (buying customers first, then prospects) as arrays."""
    _check_language(language)
    if customers < 1:
        raise ValueError("customers must be >= 1")
    rng = np.random.default_rng([seed, 1])
    prospects = max(2, round(customers * 0.03))
    total = customers + prospects
    width = max(4, len(str(total)))
    ids = np.array([f"C{i:0{width}d}" for i in range(1, total + 1)], dtype=object)

    first, second, suffix = _NAME_PARTS[language]
    combos = len(first) * len(second) * len(suffix)
    joiner = " " if language == "en" else ""
    names = np.array([
        joiner.join((first[k % len(first)], second[(k // len(first)) % len(second)],
                     suffix[(k // (len(first) * len(second))) % len(suffix)]))
        + (f" {k // combos + 1}" if k >= combos else "")  # unique beyond the combinations
        for k in rng.permutation(max(combos, total))[:total]
    ], dtype=object)

    size_index = rng.choice(len(SIZES["en"]), size=total, p=_SIZE_WEIGHTS)
    value = rng.lognormal(mean=9.0, sigma=1.3, size=total) * _SIZE_SCALE[size_index]
    # Most customers earn a margin; about 6% cost more to serve than they bring in.
    cost_ratio = np.clip(rng.beta(7, 3, size=total), 0.3, 0.95)
    losers = rng.random(total) < 0.06
    cost_ratio[losers] = rng.uniform(1.05, 1.4, size=int(losers.sum()))

    # Active window in days from the start of the period: 70% buy throughout, 15% started
    # late (new), 15% stopped (lapsing or lost).
    kind = rng.random(total)
    active_from = np.where((kind >= 0.70) & (kind < 0.85), rng.uniform(450, 700, total), 0.0)
    active_to = np.where(kind >= 0.85, rng.uniform(150, 600, total), float(DEMO_DAYS + 1))

    share_of_wallet = rng.uniform(0.15, 0.9, size=total)
    wallet = np.round(value * 100 / 2 / share_of_wallet, -2)  # yearly category spend

    return {
        "id": ids,
        "name": names,
        "salesperson": np.array(SALESPEOPLE[language], dtype=object)[
            rng.choice(len(_SALESPERSON_WEIGHTS), size=total, p=_SALESPERSON_WEIGHTS)],
        "industry": np.array(INDUSTRIES[language], dtype=object)[
            rng.integers(0, len(INDUSTRIES[language]), total)],
        "region": np.array(REGIONS[language], dtype=object)[
            rng.integers(0, len(REGIONS[language]), total)],
        "size": np.array(SIZES[language], dtype=object)[size_index],
        "value": value,
        "cost_ratio": cost_ratio,
        "active_from": active_from,
        "active_to": active_to,
        "wallet": wallet,
        "receivable_days": rng.choice([15, 30, 45, 60, 90], size=total),
    }


def _spoil_rows(frame: pd.DataFrame, headers: tuple[str, ...], rng: np.random.Generator) -> pd.DataFrame:
    """Put a blank customer id, "n/a" amounts and unparseable dates into a few rows."""
    rows = len(frame)
    bad = max(3, rows // 1000) if rows >= 10 else 0
    if not bad:
        return frame
    where = rng.choice(rows, size=bad, replace=False)
    kinds = np.arange(bad) % 3  # 0: blank id, 1: amount "n/a", 2: bad date
    customer_id, date, amount = headers[0], headers[2], headers[4]
    ids = frame[customer_id].to_numpy(dtype=object, copy=True)
    ids[where[kinds == 0]] = None
    amounts = frame[amount].to_numpy(dtype=object, copy=True)
    amounts[where[kinds == 1]] = "n/a"
    # numpy's datetime64 -> datetime.datetime is far faster than pandas' -> Timestamp.
    dates = frame[date].to_numpy().astype("datetime64[us]").astype(object)
    dates[where[kinds == 2]] = "2025-13-45"
    return frame.assign(**{customer_id: ids, amount: amounts, date: dates})
