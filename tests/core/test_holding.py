import pandas as pd

from xl_addin import HoldingRule, Settings
from xl_addin.core.holding import holding_coverage, release_candidates

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["1", "2", "3", "4", "5", "6", "7"],
        "customer_name": ["A1", "A2", "B1", "C1", "D1", "P1", "X1"],
        "salesperson": ["Wang", "Wang", "Wang", "Li", "Li", "Li", None],
        "abc_tier": ["A", "A", "B", "C", "D", None, "A"],  # 6 is a prospect; 7 has no owner
        "last_purchase": pd.to_datetime(
            ["2025-06-30", "2024-12-01", "2025-01-01", "2025-01-02", "2025-06-01", None, "2024-01-01"]
        ),
    }
)


def test_lowest_applicable_limit_wins_and_status():
    rules = (
        HoldingRule("*", "A", 5),
        HoldingRule("Wang", "A", 1),  # lower than the "*" rule: wins for Wang
        HoldingRule("*", "All", 2),
    )
    table = holding_coverage(CUSTOMERS, Settings(holding_rules=rules))
    assert list(table.columns) == ["salesperson", "tier", "held", "limit", "headroom", "status"]
    rows = {(r.salesperson, r.tier): (r.held, r.limit, r.headroom, r.status) for r in table.itertuples()}
    assert rows[("Wang", "A")] == (2, 1.0, -1.0, "Over")
    assert rows[("Li", "A")] == (0, 5.0, 5.0, "OK")
    # All counts every tiered customer: Wang 3 (over 2), Li 2 (prospect 6 not counted)
    assert rows[("Wang", "All")] == (3, 2.0, -1.0, "Over")
    assert rows[("Li", "All")] == (2, 2.0, 0.0, "OK")
    held, limit, headroom, status = rows[("Wang", "B")]
    assert (held, status) == (1, "No limit") and pd.isna(limit) and pd.isna(headroom)
    assert ("Wang", "C") not in rows  # no customers and no rule: no row
    # Li first (sorted by name): A (rule only), C, D, All; tiers in the order A..D, All
    assert table[table["salesperson"] == "Li"]["tier"].tolist() == ["A", "C", "D", "All"]
    assert table["salesperson"].iloc[0] == "Li"


def test_a_salesperson_named_only_in_a_rule_gets_rows():
    table = holding_coverage(CUSTOMERS, Settings(holding_rules=(HoldingRule("Zhao", "B", 3),)))
    zhao = table[table["salesperson"] == "Zhao"]
    assert zhao[["tier", "held", "status"]].values.tolist() == [["B", 0, "OK"]]


def test_release_candidates_after_release_days():
    table = release_candidates(CUSTOMERS, pd.Timestamp("2025-06-30"), Settings(release_days=180))
    # days since last purchase: 1: 0, 2: 211, 3: 180 (not > 180), 4: 179, 5: 29, 7: 546
    assert table["customer_id"].tolist() == ["7", "2"]
    assert table["recency_days"].tolist() == [546, 211]
    assert table["salesperson"].iloc[1] == "Wang"
    assert list(table.columns) == ["customer_id", "customer_name", "salesperson", "last_purchase", "recency_days"]
