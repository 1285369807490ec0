"""RFM: recency, frequency and monetary value per customer, their scores, segments and classes.

Transactions in (``customer_id, date, amount`` and optionally ``order_id``), one row per customer
who has bought at least once out, with the columns of ``RFM_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..settings import Settings
from . import columns as col
from .values import DATE_DTYPE
from .ranking import percentile_inc_scores
from .sob import customer_codes, money, totals_from_codes

RFM_COLUMNS = (
    "customer_id", "orders", "last_purchase", "recency_days", "monetary",
    "r_score", "f_score", "m_score", "rfm_code", "rfm_segment", "rfm_class",
)

SEGMENT_LEVELS = 5  # the segment rules are written for scores 1..5
OTHERS = "Others"


@dataclass(frozen=True)
class SegmentRule:
    """One row of the segment map: a customer whose R, F and M levels (1..5) all fall within the
    inclusive ranges belongs to ``segment`` (a key of ``columns.RFM_SEGMENTS``; its 中文 name is
    in ``report.labels``), unless an earlier rule matched."""

    segment: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]

    def describe(self) -> str:
        """"R4–5 F1 M1" style text for the docs and the Settings sheet note."""
        return " ".join(
            f"{letter}{low}" if low == high else f"{letter}{low}–{high}"
            for letter, (low, high) in zip("RFM", (self.r, self.f, self.m))
        )


# The widely used 11-segment map, in the order it is applied: first matching rule wins, then
# "Others". The map as usually published overlaps, so its listed order would make four segments
# unreachable (Potential Loyalist swallows New Customers and Promising, At Risk swallows Can't Lose
# Them, Hibernating and Lost are the same box). Here the narrower rule of each overlapping pair
# comes first, and Lost is "lowest on all three" (R1 F1 M1, the usual description of Lost) so
# that Hibernating and Lost differ. Every segment is reachable (tests/core/test_rfm.py).
RFM_SEGMENT_RULES = (
    SegmentRule("Champions", (4, 5), (4, 5), (4, 5)),
    SegmentRule("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    SegmentRule("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    SegmentRule("New Customers", (4, 5), (1, 1), (1, 1)),
    SegmentRule("Promising", (3, 4), (1, 1), (1, 1)),
    SegmentRule("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    SegmentRule("Need Attention", (2, 3), (2, 3), (2, 3)),
    SegmentRule("About To Sleep", (2, 3), (1, 2), (1, 2)),
    SegmentRule("At Risk", (1, 2), (2, 5), (2, 5)),
    SegmentRule("Lost", (1, 1), (1, 1), (1, 1)),
    SegmentRule("Hibernating", (1, 2), (1, 2), (1, 2)),
)

# The 8-class model (the 中文 RFM八类客户): (R high, F high, M high) -> class key of
# columns.RFM_CLASSES. The names shown, English and 中文, are in report.labels.
RFM_CLASSES = {
    (True, True, True): "Important value",
    (True, False, True): "Important development",
    (False, True, True): "Important retention",
    (False, False, True): "Important recovery",
    (True, True, False): "General value",
    (True, False, False): "General development",
    (False, True, False): "General retention",
    (False, False, False): "General recovery",
}


def rfm_segment_table() -> pd.DataFrame:
    """The segment map as a table for docs and UDFs: priority (1 = tried first), segment (key),
    rule ("R4–5 F4–5 M4–5") and the inclusive level bounds."""
    rows = [
        {
            "priority": i,
            "segment": rule.segment,
            "rule": rule.describe(),
            "r_min": rule.r[0], "r_max": rule.r[1],
            "f_min": rule.f[0], "f_max": rule.f[1],
            "m_min": rule.m[0], "m_max": rule.m[1],
        }
        for i, rule in enumerate(RFM_SEGMENT_RULES, start=1)
    ]
    return pd.DataFrame(rows)


def segment_levels(scores: np.ndarray, bins: int) -> np.ndarray:
    """Map scores 1..``bins`` onto the segment map's levels 1..5.

    ``level = 1 + round_half_up((score - 1) * 4 / (bins - 1))``: the lowest score stays 1, the
    highest becomes 5, the rest are spread evenly (bins 5: unchanged; bins 3: 1, 3, 5; bins 10:
    1,1,2,2,3,3,4,4,5,5). Integer arithmetic, so no half is ever rounded the wrong way.
    """
    scores = np.asarray(scores, dtype=np.int64)
    span = bins - 1
    return 1 + (2 * (scores - 1) * (SEGMENT_LEVELS - 1) + span) // (2 * span)


def rfm_segments(r_score, f_score, m_score, bins: int = SEGMENT_LEVELS) -> np.ndarray:
    """Segment name for each (R, F, M) score triple: the first rule of ``RFM_SEGMENT_RULES``
    whose ranges hold all three levels (scores mapped by ``segment_levels``), else "Others"."""
    return np.array(SEGMENT_NAMES, dtype=object)[_segment_numbers(r_score, f_score, m_score, bins)]


SEGMENT_NAMES = (*(rule.segment for rule in RFM_SEGMENT_RULES), OTHERS)  # by _segment_numbers


def _segment_numbers(r_score, f_score, m_score, bins: int) -> np.ndarray:
    """``rfm_segments`` as positions in ``SEGMENT_NAMES`` (the last = "Others"). The rules are
    tested once per distinct level triple (at most 125), not once per customer."""
    r, f, m = (segment_levels(s, bins) for s in (r_score, f_score, m_score))
    if not r.size:
        return np.zeros(0, dtype=np.int64)
    # each (r, f, m) packed in one integer (levels are 1..5 from scores 1..bins; any others
    # are packed all the same)
    low = min(int(r.min()), int(f.min()), int(m.min()))
    base = max(int(r.max()), int(f.max()), int(m.max())) - low + 1
    triples, row_triple = np.unique(((r - low) * base + (f - low)) * base + (m - low), return_inverse=True)
    r, f, m = triples // (base * base) + low, triples // base % base + low, triples % base + low
    number = np.full(len(triples), len(RFM_SEGMENT_RULES), dtype=np.int64)
    for position, rule in reversed(list(enumerate(RFM_SEGMENT_RULES))):  # the first rule wins
        holds = ((r >= rule.r[0]) & (r <= rule.r[1]) & (f >= rule.f[0]) & (f <= rule.f[1])
                 & (m >= rule.m[0]) & (m <= rule.m[1]))
        number[holds] = position
    return number[row_triple.ravel()]


def rfm_classes(recency_days, orders, monetary) -> np.ndarray:
    """The 8-class model: each of R, F, M is high when strictly better than the population
    mean of its raw value (fewer recency days than the mean; more orders or money than the mean)
    and low otherwise, so a value equal to the mean is low. Returns the class keys
    (``columns.RFM_CLASSES``, e.g. "Important value" = R, F and M high)."""
    recency_days, orders, monetary = (
        np.asarray(v, dtype=float) for v in (recency_days, orders, monetary)
    )
    if recency_days.size == 0:
        return np.empty(0, dtype=object)
    return np.array(CLASS_NAMES, dtype=object)[_class_numbers(recency_days, orders, monetary)]


# by _class_numbers: bit 4 = R high, 2 = F high, 1 = M high
CLASS_NAMES = tuple(RFM_CLASSES[(bool(i & 4), bool(i & 2), bool(i & 1))] for i in range(8))


def _class_numbers(recency_days: np.ndarray, orders: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """``rfm_classes`` as positions in ``CLASS_NAMES`` (float arrays, at least one value)."""
    r_high = recency_days < recency_days.mean()
    f_high = orders > orders.mean()
    m_high = monetary > monetary.mean()
    return 4 * r_high + 2 * f_high + m_high


def rfm_codes(r_score, f_score, m_score, bins: int) -> np.ndarray:
    """The scores as text: "545". With 10 bins a score may be 10, so each score is written with
    two digits ("100510" = R10 F5 M10) to keep codes unambiguous and sortable."""
    return _code_texts(r_score, f_score, m_score, bins).to_numpy(dtype=object)


def _code_texts(r_score, f_score, m_score, bins: int) -> pd.api.extensions.ExtensionArray:
    """``rfm_codes`` as a "str" array: each distinct code is written once (at most bins^3)."""
    r, f, m = (np.asarray(s, dtype=np.int64) for s in (r_score, f_score, m_score))
    number = r * 100 + f * 10 + m if bins <= 9 else r * 10_000 + f * 100 + m
    distinct, row_code = np.unique(number, return_inverse=True)
    texts = pd.Series(distinct).astype(str)
    if bins > 9:
        texts = texts.str.zfill(6)
    return pd.array(texts, dtype="str").take(row_code.ravel())


def rfm_scores(transactions: pd.DataFrame, as_of: pd.Timestamp, settings: Settings) -> pd.DataFrame:
    """RFM per customer: one row per customer with at least one purchase, sorted by customer_id.

    * ``last_purchase``: latest date of a row with amount > 0; ``recency_days`` = calendar days
      from it to ``as_of`` (0 = bought on the analysis date).
    * ``orders`` (F): distinct order ids among rows with amount > 0 when ``order_id`` exists
      (blank ids count by date), else distinct purchase dates. Returns are not orders.
    * ``monetary`` (M): net revenue, every row summed including returns; with
      ``settings.rfm_monetary == "mean"`` net revenue per order.
    * ``r_score``, ``f_score``, ``m_score``: ``percentile_inc_scores`` over these customers with
      ``settings.rfm_bins`` bins, recency scored on ``-recency_days``: 1..bins, higher = better,
      ties share a score, a value equal to a cut point takes the lower score, the lowest scores 1.
      In a sheet: ``=1+COUNTIF(cuts, "<"&value)`` with cuts ``=PERCENTILE.INC(range, k/bins)``.
    * ``rfm_code``: the three scores as text ("545"); ``rfm_segment``: see ``rfm_segments`` and
      ``RFM_SEGMENT_RULES``; ``rfm_class``: see ``rfm_classes``.

    ``transactions`` is the clean frame (no blank id, amount or date). Customers who only
    returned goods have no purchase and no row. Rows dated after ``as_of`` are not removed here
    (the caller passes the period it analyses). A categorical ``customer_id`` or ``order_id``
    is used as is (no re-hashing of text). Same as ``rfm_from_totals(customer_totals(...))``.
    """
    codes, ids = customer_codes(transactions)
    if (codes < 0).any():  # a blank id: the clean frame has none, so this is a caller's bug
        raise InputError("rfm_scores needs a customer_id on every row", column=col.CUSTOMER_ID)
    totals = totals_from_codes(transactions[[col.CUSTOMER_ID, col.DATE, col.AMOUNT, *(
        [col.ORDER_ID] if col.ORDER_ID in transactions.columns else [])]], codes, ids)
    rfm = rfm_from_totals(totals, as_of, settings).reset_index(drop=True)
    rfm["customer_id"] = rfm["customer_id"].to_numpy(dtype=object)
    return rfm


def rfm_from_totals(totals: pd.DataFrame, as_of: pd.Timestamp, settings: Settings) -> pd.DataFrame:
    """``rfm_scores`` from per-customer totals, without going back to the sale lines.

    ``totals``: one row per customer with ``customer_id``, ``orders``, ``last_purchase`` (NaT
    = no purchase) and ``revenue`` (net of returns), as ``customer_totals`` gives them. Output:
    ``RFM_COLUMNS`` for the customers with a last purchase, in the order of ``totals`` and
    keeping its index, so the result aligns with ``totals``.
    """
    as_of_day = np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64)
    bins = settings.rfm_bins
    last = totals["last_purchase"]
    scored = last.notna().to_numpy()
    if not scored.any():
        return _empty_rfm()
    last = last[scored]
    last_day = last.to_numpy(dtype=DATE_DTYPE).astype("datetime64[D]").astype(np.int64)
    orders = totals["orders"].to_numpy()[scored].astype(np.int64)
    net_revenue = totals["revenue"].to_numpy(dtype="float64")[scored]
    monetary = money(net_revenue / orders) if settings.rfm_monetary == "mean" else net_revenue
    recency_days = as_of_day - last_day

    r_score = percentile_inc_scores(-recency_days, bins)
    f_score = percentile_inc_scores(orders, bins)
    m_score = percentile_inc_scores(monetary, bins)
    # the text columns are "str" arrays taken from their few distinct texts
    classes = pd.array(CLASS_NAMES, dtype="str").take(_class_numbers(
        recency_days.astype(float), orders.astype(float), np.asarray(monetary, dtype=float)))
    return pd.DataFrame(
        {
            "customer_id": totals[col.CUSTOMER_ID][scored],
            "orders": orders,
            "last_purchase": last.astype(DATE_DTYPE),
            "recency_days": recency_days,
            "monetary": monetary,
            "r_score": r_score,
            "f_score": f_score,
            "m_score": m_score,
            "rfm_code": _code_texts(r_score, f_score, m_score, bins),
            "rfm_segment": pd.array(SEGMENT_NAMES, dtype="str").take(
                _segment_numbers(r_score, f_score, m_score, bins)),
            "rfm_class": classes,
        },
        index=totals.index[scored],
        columns=list(RFM_COLUMNS),
    )


def _empty_rfm() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype=object),
            "orders": pd.Series(dtype=np.int64),
            "last_purchase": pd.Series(dtype=DATE_DTYPE),
            "recency_days": pd.Series(dtype=np.int64),
            "monetary": pd.Series(dtype=float),
            "r_score": pd.Series(dtype=np.int64),
            "f_score": pd.Series(dtype=np.int64),
            "m_score": pd.Series(dtype=np.int64),
            "rfm_code": pd.Series(dtype=object),
            "rfm_segment": pd.Series(dtype=object),
            "rfm_class": pd.Series(dtype=object),
        }
    )
