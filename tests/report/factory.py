"""Hand-made TierResult objects with the contract's columns (the core is built in parallel)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from xl_addin.core.columns import CUSTOMER_COLUMNS, DATA_QUALITY_COLUMNS
from xl_addin.core.result import TierResult
from xl_addin.settings import Settings


@dataclasses.dataclass(frozen=True)
class ResultWithChanges(TierResult):
    """TierResult plus the two fields the core may add."""

    tier_changes: pd.DataFrame | None = None
    tier_change_matrix: pd.DataFrame | None = None


def make_customers(n: int, seed: int = 7, names: list[str] | None = None) -> pd.DataFrame:
    """``n`` customers sorted by profit descending, every CUSTOMER_COLUMNS column filled."""
    rng = np.random.default_rng(seed)
    revenue = np.sort(rng.pareto(1.2, n) * 1000 + 100)[::-1].round(2)
    cost = (revenue * rng.uniform(0.3, 0.9, n)).round(2)
    profit = revenue - cost
    order = np.argsort(-profit, kind="stable")
    revenue, cost, profit = revenue[order], cost[order], profit[order]
    positive = profit.clip(min=0)
    cum = np.cumsum(positive) / positive.sum()
    tier = np.where(cum - positive / positive.sum() < 0.8, "A",
                    np.where(cum - positive / positive.sum() < 0.95, "B", "C"))
    last = pd.Timestamp("2025-06-30") - pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    ids = [f"C{i:05d}" for i in range(1, n + 1)]
    frame = pd.DataFrame({
        "customer_id": ids,
        "customer_name": names if names is not None else [f"Customer {i}" for i in range(1, n + 1)],
        "salesperson": rng.choice(["Ann", "Bo", "李娜"], n),
        "industry": rng.choice(["Retail", "Energy", "制造"], n),
        "region": rng.choice(["North", "South"], n),
        "size": rng.choice(["S", "M", "L"], n),
        "revenue": revenue, "cost": cost, "profit": profit,
        "sob": revenue / revenue.sum(), "segment_sob": revenue / revenue.sum(),
        "share_of_wallet": np.nan, "cum_share": cum, "abc_tier": tier,
        "orders": rng.integers(1, 30, n), "first_purchase": last - pd.Timedelta(days=400),
        "last_purchase": last, "recency_days": (pd.Timestamp("2025-06-30") - last).days,
        "monetary": revenue,
        "r_score": rng.integers(1, 6, n), "f_score": rng.integers(1, 6, n),
        "m_score": rng.integers(1, 6, n),
    })
    frame["rfm_code"] = (frame["r_score"].astype(str) + frame["f_score"].astype(str)
                         + frame["m_score"].astype(str))
    frame["rfm_segment"] = rng.choice(["Champions", "At Risk", "Lost", "Can't Lose Them"], n)
    frame["rfm_class"] = "重要价值客户"
    frame["rfm_class_en"] = "Important value"
    frame["score"] = rng.uniform(0, 100, n).round(1)
    frame["score_tier"] = np.where(frame["score"] >= 80, "VIP",
                                   np.where(frame["score"] >= 50, "Regular", "Potential"))
    frame["lifecycle"] = rng.choice(["New", "Loyal", "Lapsing", "Lost"], n)
    frame["clv_hist"] = profit
    frame["clv_proj"] = profit * 2.5
    frame["release_to_pool"] = frame["recency_days"] > 180
    frame["flags"] = np.where(frame["release_to_pool"], "release to pool", None)
    if n > 1:
        frame.loc[1, "flags"] = "promote; release to pool"
    assert tuple(frame.columns) == CUSTOMER_COLUMNS
    return frame


def make_result(n: int = 8, *, names: list[str] | None = None, language: str = "en",
                changes: bool = True, seed: int = 7) -> TierResult:
    customers = make_customers(n, seed=seed, names=names)
    measure = customers["profit"]
    total = measure.clip(lower=0).sum()
    pareto = pd.DataFrame({
        "rank": np.arange(1, n + 1), "customer_id": customers["customer_id"],
        "customer_name": customers["customer_name"], "measure": measure,
        "share": measure / total, "cum_share": customers["cum_share"],
        "abc_tier": customers["abc_tier"],
    })
    tier_summary = customers.groupby("abc_tier").agg(
        customers=("customer_id", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"),
    ).reset_index().rename(columns={"abc_tier": "tier"})
    tier_summary.insert(2, "customer_share", tier_summary["customers"] / n)
    tier_summary.insert(4, "revenue_share", tier_summary["revenue"] / customers["revenue"].sum())
    tier_summary["profit_share"] = tier_summary["profit"] / customers["profit"].sum()
    seg = customers.groupby("rfm_segment").agg(customers=("customer_id", "size"),
                                               revenue=("revenue", "sum")).reset_index()
    classes = customers.groupby(["rfm_class", "rfm_class_en"]).agg(
        customers=("customer_id", "size"), revenue=("revenue", "sum")).reset_index()
    life = customers.groupby("lifecycle").agg(customers=("customer_id", "size"),
                                              revenue=("revenue", "sum")).reset_index()
    pivots = {key: pd.crosstab(customers[key], customers["abc_tier"])
              for key in ("industry", "region", "size")}
    coverage = pd.DataFrame({"salesperson": ["Ann", "Bo"], "tier": ["A", "All"],
                             "held": [3, 5], "limit": [2, 10], "headroom": [-1, 5],
                             "status": ["over", "ok"]})
    releases = customers.loc[customers["release_to_pool"],
                             ["customer_id", "customer_name", "salesperson", "last_purchase",
                              "recency_days"]].reset_index(drop=True)
    data_quality = pd.DataFrame(
        [["Sales", 7, "Amount", "abc", "not a number"], ["Sales", 9, "Date", None, "no date"]],
        columns=list(DATA_QUALITY_COLUMNS))
    extra = {}
    if changes:
        extra = dict(
            tier_changes=pd.DataFrame({
                "customer_id": ["C00001", "C00002"], "customer_name": ["Customer 1", "Customer 2"],
                "kind": ["abc", "score"], "from": ["B", "Regular"], "to": ["A", "VIP"]}),
            tier_change_matrix=pd.DataFrame([[0, 1], [0, 0]], index=pd.Index(["A", "B"]),
                                            columns=["A", "B"]),
        )
    return ResultWithChanges(
        customers=customers, pareto=pareto, tier_summary=tier_summary, rfm_segments=seg,
        rfm_classes=classes, lifecycle_counts=life, pivots=pivots,
        sob_by_period=pd.DataFrame(columns=["customer_id", "period", "revenue", "sob"]),
        coverage=coverage, releases=releases, data_quality=data_quality,
        as_of=pd.Timestamp("2025-06-30"), measure="profit", settings=Settings(language=language),
        notes=("ABC ranks profit.",), **extra,
    )
