"""Real TierResult objects: seeded transactions run through the real ``tier_customers``.

``make_transactions`` writes sale lines for customers C00001..Cnnnnn (customer i buys a
Pareto-like amount, so the ABC tiers are spread), with two deliberately bad lines (a text amount
and a blank date, rows 2 and 3 of sheet "Sales") for the data-quality sheet. ``make_result``
adds a customer master with one prospect (C99998: no sale, so its whole-number columns are
<NA>), holding rules that put every salesperson "Over" on tier A, and, with ``changes=True``,
previous tiers that differ for C00001..C00003 and name a customer who is gone (C99999).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xl_addin.core import tier_customers
from xl_addin.core.result import TierResult
from xl_addin.settings import HoldingRule, Settings

AS_OF = pd.Timestamp("2025-06-30")
SALESPEOPLE = ("Ann", "Bo", "李娜")
PROSPECT_ID = "C99998"
GONE_ID = "C99999"


def customer_ids(n: int) -> list[str]:
    return [f"C{i:05d}" for i in range(1, n + 1)]


def make_transactions(n: int, *, seed: int = 7, names: list[str] | None = None,
                      lines_per_customer: int = 4) -> pd.DataFrame:
    """``n * lines_per_customer`` sale lines plus two bad ones (first), canonical columns."""
    rng = np.random.default_rng(seed)
    ids = np.array(customer_ids(n), dtype=object)
    size = rng.pareto(1.2, n) * 1000 + 50
    who = np.repeat(np.arange(n), lines_per_customer)
    lines = len(who)
    amount = (size[who] * rng.uniform(0.5, 1.5, lines)).round(2)
    cost = (amount * rng.uniform(0.3, 0.95, lines)).round(2)
    days = rng.integers(0, 600, lines)
    names = names if names is not None else [f"Customer {i}" for i in range(1, n + 1)]
    frame = pd.DataFrame({
        "customer_id": ids[who],
        "customer_name": np.array(names, dtype=object)[who],
        "date": AS_OF - pd.to_timedelta(days, unit="D"),
        "amount": amount.astype(object),
        "cost": cost,
        "order_id": [f"O{k:07d}" for k in range(lines)],
        "salesperson": np.array(SALESPEOPLE, dtype=object)[np.arange(n) % 3][who],
        "industry": np.array(["Retail", "Energy", "制造"], dtype=object)[rng.integers(0, 3, n)][who],
        "region": np.array(["North", "South"], dtype=object)[rng.integers(0, 2, n)][who],
    })
    bad = pd.DataFrame({
        "customer_id": [ids[0], ids[0]], "customer_name": [names[0], names[0]],
        "date": [AS_OF, pd.NaT], "amount": ["abc", 10.0], "cost": [1.0, 1.0],
        "order_id": ["bad1", "bad2"], "salesperson": ["Ann", "Ann"],
        "industry": ["Retail", "Retail"], "region": ["North", "North"],
    })
    frame = pd.concat([bad, frame], ignore_index=True)
    frame.insert(0, "source_sheet", "Sales")
    frame.insert(1, "source_row", np.arange(2, len(frame) + 2))
    return frame


def previous_tiers(n: int) -> pd.DataFrame:
    """Tiers "from the last refresh": C00001 was C / Potential, C00002 B / VIP, C00003 A /
    Regular, the rest unknown to it; GONE_ID was A / VIP and is gone now."""
    ids = customer_ids(min(n, 3))
    return pd.DataFrame({
        "customer_id": [*ids, GONE_ID],
        "abc_tier": ["C", "B", "A"][: len(ids)] + ["A"],
        "score_tier": ["Potential", "VIP", "Regular"][: len(ids)] + ["VIP"],
    })


def make_result(n: int = 8, *, names: list[str] | None = None, language: str = "en",
                changes: bool = True, seed: int = 7, lines_per_customer: int = 4) -> TierResult:
    """``tier_customers`` on ``make_transactions(n)`` with a one-prospect customer master."""
    transactions = make_transactions(n, seed=seed, names=names,
                                     lines_per_customer=lines_per_customer)
    master = pd.DataFrame({"customer_id": [PROSPECT_ID], "customer_name": ["Prospect Ltd"],
                           "salesperson": ["Bo"], "size": ["S"]})
    settings = Settings(language=language, as_of=AS_OF.date(),
                        holding_rules=(HoldingRule("*", "A", 1), HoldingRule("*", "All", 1000)))
    return tier_customers(transactions, settings, customers=master,
                          previous_tiers=previous_tiers(n) if changes else None)
