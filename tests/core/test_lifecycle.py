"""lifecycle_stages: first matching rule wins; boundary days and order counts."""

import numpy as np
import pandas as pd
import pytest

from xl_addin.core.columns import LIFECYCLE_STAGES
from xl_addin.core.lifecycle import lifecycle_stages
from xl_addin.settings import Settings

AS_OF = pd.Timestamp("2024-12-31")


def stage(orders, days_ago, settings=None):
    last = pd.NaT if days_ago is None else AS_OF - pd.Timedelta(days=days_ago)
    customers = pd.DataFrame({"customer_id": ["x"], "orders": [orders], "last_purchase": [last]})
    return lifecycle_stages(customers, AS_OF, settings or Settings()).iloc[0]


@pytest.mark.parametrize(
    ("orders", "days_ago", "expected"),
    [
        (0, None, "Prospect"),
        (np.nan, None, "Prospect"),  # a master-only customer: orders blank
        (9, 366, "Lost"),  # > 365, even with many orders: Lost comes before Loyal
        (9, 365, "Lapsing"),  # exactly 365 is not Lost
        (9, 181, "Lapsing"),
        (5, 180, "Loyal"),  # exactly 180 is not Lapsing; exactly 5 orders is Loyal
        (4, 10, "Repeat"),  # 4 < 5
        (2, 10, "Repeat"),  # exactly 2 orders is Repeat
        (1, 90, "New"),  # exactly 90 days is still New
        (1, 0, "New"),
        (1, 91, "One-time"),
        (1, 180, "One-time"),
    ],
)
def test_stage_rules_and_boundaries(orders, days_ago, expected):
    assert stage(orders, days_ago) == expected


def test_thresholds_follow_settings():
    settings = Settings(lost_days=60, lapsing_days=30, loyal_orders=3, repeat_orders=2, new_days=7)
    assert stage(1, 61, settings) == "Lost"
    assert stage(1, 31, settings) == "Lapsing"
    assert stage(3, 1, settings) == "Loyal"
    assert stage(1, 8, settings) == "One-time"
    assert stage(1, 7, settings) == "New"


def test_result_is_aligned_with_the_input_index():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "orders": [0, 3, 1],
            "last_purchase": [pd.NaT, AS_OF - pd.Timedelta(days=400), AS_OF],
        },
        index=[10, 5, 7],
    )
    stages = lifecycle_stages(customers, AS_OF, Settings())
    assert stages.to_dict() == {10: "Prospect", 5: "Lost", 7: "New"}
    assert stages.name == "lifecycle"


def test_empty_input_gives_an_empty_series():
    customers = pd.DataFrame({"customer_id": [], "orders": [], "last_purchase": pd.Series([], dtype="datetime64[ns]")})
    assert lifecycle_stages(customers, AS_OF, Settings()).empty


def returns_only(days_ago, settings=None):
    customers = pd.DataFrame(
        {"customer_id": ["r"], "orders": [0], "last_purchase": [pd.NaT],
         "last_line": [AS_OF - pd.Timedelta(days=days_ago)]}
    )
    return lifecycle_stages(customers, AS_OF, settings or Settings()).iloc[0]


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (366, "Lost"),  # dated by the latest line (a return), as if it were the last purchase
        (365, "Lapsing"),
        (181, "Lapsing"),
        (180, "One-time"),  # a customer, not a prospect; not New: nothing bought in the period
        (0, "One-time"),
    ],
)
def test_a_customer_with_returns_only_is_not_a_prospect(days_ago, expected):
    assert returns_only(days_ago) == expected


def test_last_line_is_ignored_when_there_is_a_purchase():
    customers = pd.DataFrame(
        {"customer_id": ["a", "p"], "orders": [1, 0], "last_purchase": [AS_OF - pd.Timedelta(days=400), pd.NaT],
         "last_line": [AS_OF, pd.NaT]}
    )
    assert lifecycle_stages(customers, AS_OF, Settings()).tolist() == ["Lost", "Prospect"]
