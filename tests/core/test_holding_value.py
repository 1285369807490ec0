"""The release-to-pool list with P(alive) and predicted CLV: keep quiet-but-likely-active."""

import numpy as np
import pandas as pd

from xl_addin.core.holding import RELEASE_COLUMNS, RELEASE_VALUE_COLUMNS, release_candidates
from xl_addin.settings import Settings

AS_OF = pd.Timestamp("2025-06-30")


def customers():
    return pd.DataFrame(
        {
            "customer_id": ["seasonal", "gone", "single", "recent", "cheap"],
            "customer_name": ["S", "G", "O", "R", "C"],
            "salesperson": ["Ann", "Ann", "Bob", "Bob", "Bob"],
            "last_purchase": pd.to_datetime(["2024-10-01", "2024-09-01", "2024-08-01", "2025-06-01", "2024-07-01"]),
            "p_alive": [0.85, 0.20, 1.0, 0.99, 0.40],
            "predicted_clv": [5000.0, 800.0, np.nan, 9000.0, 10.0],
            "single_purchase": [False, False, True, False, False],
        }
    )


def test_quiet_but_likely_active_is_kept_and_the_list_is_ordered_by_value():
    table = release_candidates(customers(), AS_OF, Settings(release_days=180, keep_p_alive=0.7))
    assert tuple(table.columns) == RELEASE_COLUMNS + RELEASE_VALUE_COLUMNS
    # "recent" is not quiet; the rest by predicted CLV, blank last
    assert table["customer_id"].tolist() == ["seasonal", "gone", "cheap", "single"]
    decisions = dict(zip(table["customer_id"], zip(table["decision"], table["decision_reason"])))
    assert decisions["seasonal"] == ("keep", "likely_active")
    assert decisions["gone"] == ("release", "quiet")
    # P(alive) = 1 without a repeat purchase is the model's construction: never a reason to keep
    assert decisions["single"] == ("release", "quiet")


def test_threshold_follows_the_setting():
    table = release_candidates(customers(), AS_OF, Settings(release_days=180, keep_p_alive=0.9))
    assert set(table.loc[table["decision"] == "keep", "customer_id"]) == set()


def test_without_model_columns_the_list_is_as_before():
    table = release_candidates(customers().drop(columns=["p_alive", "predicted_clv", "single_purchase"]),
                               AS_OF, Settings(release_days=180))
    assert tuple(table.columns) == RELEASE_COLUMNS
    assert table["customer_id"].tolist() == ["cheap", "single", "gone", "seasonal"]
