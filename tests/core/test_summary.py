import numpy as np
import pandas as pd
import pytest

from xl_addin.core.summary import (
    lifecycle_counts,
    rfm_class_counts,
    rfm_segment_counts,
    tier_pivots,
    tier_summary,
)

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["1", "2", "3", "4", "5"],
        "abc_tier": ["A", "A", "B", "D", None],
        "revenue": [600.0, 200.0, 200.0, 0.0, np.nan],
        "profit": [300.0, 50.0, 50.0, -100.0, np.nan],
        "industry": ["Retail", "Retail", None, "Food", "Food"],
        "rfm_segment": ["Champions", "Champions", "Lost", "Hibernating", None],
        "rfm_class": ["Important value", "Important value", "General recovery", "General recovery", None],
        "lifecycle": ["Loyal", "Repeat", "Lost", "Lost", "Prospect"],
    }
)


def test_tier_summary():
    table = tier_summary(CUSTOMERS)
    assert table["tier"].tolist() == ["A", "B", "C", "D", "Total"]
    assert table["customers"].tolist() == [2, 1, 0, 1, 4]  # the prospect has no tier
    assert table["revenue"].tolist() == [800.0, 200.0, 0.0, 0.0, 1000.0]
    assert table["revenue_share"].tolist() == pytest.approx([0.8, 0.2, 0.0, 0.0, 1.0])
    assert table["profit"].tolist() == [350.0, 50.0, 0.0, -100.0, 300.0]
    assert table["customer_share"].tolist() == pytest.approx([0.5, 0.25, 0.0, 0.25, 1.0])


def test_segment_class_and_lifecycle_counts_list_every_key():
    segments = rfm_segment_counts(CUSTOMERS)
    assert len(segments) == 12 and segments["rfm_segment"].iloc[-1] == "Others"
    counts = segments.set_index("rfm_segment")["customers"]
    assert (counts["Champions"], counts["Lost"], counts["Promising"]) == (2, 1, 0)
    classes = rfm_class_counts(CUSTOMERS)
    assert classes["rfm_class"].tolist() == [
        "Important value", "Important development", "Important retention", "Important recovery",
        "General value", "General development", "General retention", "General recovery"]
    assert classes["customers"].tolist() == [2, 0, 0, 0, 0, 0, 0, 2]
    assert classes.iloc[0][["customers", "revenue"]].tolist() == [2, 800.0]
    stages = lifecycle_counts(CUSTOMERS)
    assert stages["lifecycle"].tolist() == ["Prospect", "New", "One-time", "Repeat", "Loyal", "Lapsing", "Lost"]
    assert stages["customers"].tolist() == [1, 0, 0, 1, 1, 0, 2]


def test_pivots_count_customers_per_attribute_and_tier():
    pivots = tier_pivots(CUSTOMERS)
    assert list(pivots) == ["industry"]  # no region / size columns
    table = pivots["industry"]
    assert list(table.columns) == ["industry", "A", "B", "C", "D", "Total"]
    assert table.values.tolist() == [
        ["(blank)", 0, 1, 0, 0, 1],
        ["Food", 0, 0, 0, 1, 1],
        ["Retail", 2, 0, 0, 0, 2],
    ]
