"""Settings: every threshold and weight, with its default, validated on construction.

One ``Settings`` object serves every way in (formulas, ribbon, headless). The Settings sheet
holds the same fields by name; ``Settings.from_values`` builds one from text or numbers read
there and names the offending cell when a value is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

from .errors import SettingsError

ABC_MEASURES = ("auto", "profit", "revenue")
ABC_METHODS = ("value", "count")
RFM_MONETARY = ("sum", "mean")
SOB_PERIODS = ("M", "Q", "Y")
LANGUAGES = ("en", "zh")
DATE_ORDERS = ("YMD", "MDY", "DMY")  # = core.values.DATE_ORDERS (settings must not import the core)
DECIMAL_SEPARATORS = ("auto", ".", ",")
TIERS = ("A", "B", "C", "D")
ALL_TIERS = "All"
ANY_SALESPERSON = "*"
OPTIONAL_SHARES = ("retention_rate",)  # blank = measured from the data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ScoreFactor:
    """One factor of the weighted customer score.

    ``column`` names a column of the per-customer table (``profit``, ``revenue``, ``orders``,
    ``recency_days``, ...) or a numeric column of the customer master. ``weight`` >= 0; weights
    are normalised to sum to 1. ``higher_is_better`` False for recency days, receivable days...
    """

    column: str
    weight: float
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if not str(self.column).strip():
            raise SettingsError("a score factor needs a column name", column="score_factors")
        if not _is_number(self.weight) or self.weight < 0:
            raise SettingsError(
                f"weight of factor '{self.column}' must be a number >= 0, got {self.weight!r}",
                column="score_factors",
            )


@dataclass(frozen=True)
class HoldingRule:
    """A holding limit (客户保有量): ``salesperson`` ("*" = everyone) may hold at most
    ``max_customers`` customers of ``tier`` ("A".."D", or "All" = every tier).
    When several rules apply to one salesperson and tier, the lowest limit wins."""

    salesperson: str
    tier: str
    max_customers: int

    def __post_init__(self) -> None:
        if not str(self.salesperson).strip():
            raise SettingsError("a holding rule needs a salesperson or '*'", column="holding_rules")
        if self.tier not in (*TIERS, ALL_TIERS):
            raise SettingsError(
                f"holding rule tier must be one of A, B, C, D or All, got {self.tier!r}",
                column="holding_rules",
            )
        if not isinstance(self.max_customers, int) or self.max_customers < 0:
            raise SettingsError(
                f"holding rule limit must be a whole number >= 0, got {self.max_customers!r}",
                column="holding_rules",
            )


DEFAULT_SCORE_FACTORS = (
    ScoreFactor("profit", 0.4),
    ScoreFactor("revenue", 0.2),
    ScoreFactor("orders", 0.2),
    ScoreFactor("recency_days", 0.2, higher_is_better=False),
)


@dataclass(frozen=True)
class Settings:
    """Every threshold and weight. Shares are 0..1, days are calendar days, money is in the
    sales data's own currency."""

    # ABC / Pareto
    abc_measure: str = "auto"  # auto: profit when a cost column exists, else revenue
    abc_method: str = "value"  # value: cumulative share cut-offs; count: share of customers
    a_cut: float = 0.80  # cumulative share of the positive total that closes class A
    b_cut: float = 0.95  # ... and class B
    a_count_share: float = 0.20  # count method: first ceil(0.20 n) customers are A
    b_count_share: float = 0.50  # ... up to ceil(0.50 n) are B
    promote_share: float = 0.20  # top share of B flagged "promote"
    review_share: float = 0.20  # largest-loss share of D flagged "review"
    cost_rate: float = 0.0  # cost = revenue x rate when there is no cost column
    pareto_top: int = 30  # customers drawn as bars on the Pareto chart (the line covers all)
    # Share of business
    sob_period: str = "Q"  # M, Q or Y for the per-period SOB table
    sob_segment: str = "industry"  # customer column for SOB within a segment
    # RFM
    rfm_bins: int = 5
    rfm_monetary: str = "sum"  # sum: net revenue; mean: net revenue per order
    # Weighted customer score (0..100)
    score_factors: tuple[ScoreFactor, ...] = DEFAULT_SCORE_FACTORS
    vip_score: float = 80.0  # score >= 80: VIP
    regular_score: float = 50.0  # score >= 50: Regular; else Potential
    # Lifecycle (first matching rule wins)
    lost_days: int = 365  # no purchase for more than this: Lost
    lapsing_days: int = 180  # ... Lapsing
    loyal_orders: int = 5  # at least this many orders: Loyal
    repeat_orders: int = 2  # ... Repeat
    new_days: int = 90  # one order within this many days: New, else One-time
    # Customer lifetime value
    retention_rate: float | None = None  # yearly r; None (blank) = measured per ABC tier
    discount_rate: float = 0.1  # yearly; the predicted CLV uses the equivalent monthly rate
    # Predictive CLV models (BG/NBD + Gamma-Gamma), retention and cohorts (issue 10)
    clv_models: bool = True  # False: no P(alive), expected purchases or predicted CLV
    expected_days_short: int = 90  # expected purchases in the next N days (first column)
    expected_days_long: int = 365  # ... second column
    clv_months: int = 12  # horizon of the predicted CLV, months of 30 days
    retention_period: str = "Q"  # M, Q or Y for the Retention sheet and the cohorts
    keep_p_alive: float = 0.7  # quiet customers with P(alive) at or above this stay with their salesperson
    # Holding limits (客户保有量)
    holding_rules: tuple[HoldingRule, ...] = ()
    release_days: int = 180  # no purchase for more than this: release to the public pool
    # Analysis date; None = the latest transaction date
    as_of: dt.date | None = None
    # Workbook
    language: str = "en"
    sales_sheets: tuple[str, ...] = ()  # empty: detect by name or header
    customers_sheet: str = ""  # empty: "Customers" / "客户" when present
    column_map: tuple[tuple[str, str], ...] = ()  # (field, header in the sales sheet)
    # Reading text values (core.values): slashed dates a/b/yyyy and the decimal mark
    date_order: str = "YMD"  # YMD: decide per column from unambiguous dates; MDY or DMY: always
    decimal_separator: str = "auto"  # auto: per column from unambiguous numbers; "." or ","

    def __post_init__(self) -> None:
        _choice(self, "abc_measure", ABC_MEASURES)
        _choice(self, "abc_method", ABC_METHODS)
        _choice(self, "rfm_monetary", RFM_MONETARY)
        _choice(self, "sob_period", SOB_PERIODS)
        _choice(self, "language", LANGUAGES)
        _choice(self, "date_order", DATE_ORDERS)
        _choice(self, "decimal_separator", DECIMAL_SEPARATORS)
        for name in ("a_cut", "b_cut", "a_count_share", "b_count_share"):
            _share(self, name, allow_zero=False)
        for name in ("promote_share", "review_share", "cost_rate"):
            _share(self, name, allow_zero=True)
        if self.retention_rate is not None:
            _share(self, "retention_rate", allow_zero=True)
        if not self.a_cut < self.b_cut:
            raise SettingsError(
                f"a_cut ({self.a_cut}) must be below b_cut ({self.b_cut})", column="a_cut"
            )
        if not self.a_count_share < self.b_count_share:
            raise SettingsError(
                f"a_count_share ({self.a_count_share}) must be below b_count_share "
                f"({self.b_count_share})",
                column="a_count_share",
            )
        if not isinstance(self.pareto_top, int) or isinstance(self.pareto_top, bool) \
                or not 1 <= self.pareto_top <= 1000:
            raise SettingsError(f"must be a whole number 1..1000, got {self.pareto_top!r}",
                                column="pareto_top")
        if not isinstance(self.rfm_bins, int) or not 2 <= self.rfm_bins <= 10:
            raise SettingsError(f"must be a whole number 2..10, got {self.rfm_bins!r}", column="rfm_bins")
        if not _is_number(self.discount_rate) or not 0 <= self.discount_rate <= 1:
            raise SettingsError(
                f"must be a number 0..1, got {self.discount_rate!r}", column="discount_rate"
            )
        if self.retention_rate is not None and not self.retention_rate < 1 + self.discount_rate:
            raise SettingsError(
                f"retention_rate ({self.retention_rate}) must be below 1 + discount_rate "
                f"({1 + self.discount_rate}) for a finite lifetime value",
                column="retention_rate",
            )
        if not self.score_factors:
            raise SettingsError("at least one score factor is needed", column="score_factors")
        if sum(f.weight for f in self.score_factors) <= 0:
            raise SettingsError("score weights must not all be 0", column="score_factors")
        for name in ("vip_score", "regular_score"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 100:
                raise SettingsError(f"must be a number 0..100, got {value!r}", column=name)
        if not self.regular_score < self.vip_score:
            raise SettingsError(
                f"regular_score ({self.regular_score}) must be below vip_score ({self.vip_score})",
                column="regular_score",
            )
        for name in ("lost_days", "lapsing_days", "new_days", "release_days"):
            _whole(self, name, minimum=0)
        for name in ("loyal_orders", "repeat_orders"):
            _whole(self, name, minimum=1)
        if not self.lapsing_days < self.lost_days:
            raise SettingsError(
                f"lapsing_days ({self.lapsing_days}) must be below lost_days ({self.lost_days})",
                column="lapsing_days",
            )
        if not self.repeat_orders < self.loyal_orders:
            raise SettingsError(
                f"repeat_orders ({self.repeat_orders}) must be below loyal_orders "
                f"({self.loyal_orders})",
                column="repeat_orders",
            )
        _choice(self, "retention_period", SOB_PERIODS)
        if not isinstance(self.clv_models, bool):
            raise SettingsError(f"must be TRUE or FALSE, got {self.clv_models!r}", column="clv_models")
        for name in ("expected_days_short", "expected_days_long", "clv_months"):
            _whole(self, name, minimum=1)
        if self.clv_months > 1200:
            raise SettingsError(f"must be at most 1200 months, got {self.clv_months!r}", column="clv_months")
        _share(self, "keep_p_alive", allow_zero=False)
        if self.as_of is not None and not isinstance(self.as_of, dt.date):
            raise SettingsError(f"must be a date, got {self.as_of!r}", column="as_of")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], cells: Mapping[str, str] | None = None
    ) -> Settings:
        """Build from scalar values read from a sheet (text or numbers); blanks keep defaults.

        ``cells`` maps a field name to where it came from ("Settings!B7"); errors name it.
        Table-like fields (score_factors, holding_rules, column_map, sales_sheets) are passed
        already built. Unknown names raise a SettingsError.
        """
        cells = cells or {}
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise SettingsError(
                    f"unknown setting '{name}'",
                    column=cells.get(name),
                    hint=f"Known settings: {', '.join(known)}.",
                )
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                kwargs[name] = _coerce(known[name], raw)
            except (TypeError, ValueError) as exc:
                raise _in_cell(str(exc), name, cells) from None
        try:
            return cls(**kwargs)
        except SettingsError as exc:
            raise _in_cell(exc.message, exc.column or "", cells) from None


def _in_cell(message: str, name: str, cells: Mapping[str, str]) -> SettingsError:
    """A bad value of setting ``name``: at its cell ("Settings!B3 (a_cut): ...") when known."""
    if name in cells:
        return SettingsError(message, column=f"{cells[name]} ({name})",
                             hint="Correct the value in the Settings sheet, or clear the cell to "
                                  "use the default.")
    return SettingsError(f"setting '{name}': {message}", column=name)


def _choice(obj: Settings, name: str, allowed: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value not in allowed:
        raise SettingsError(f"must be one of {', '.join(allowed)}, got {value!r}", column=name)


def _share(obj: Settings, name: str, *, allow_zero: bool) -> None:
    value = getattr(obj, name)
    low_ok = value >= 0 if allow_zero else value > 0
    if not _is_number(value) or not (low_ok and value <= 1):
        bound = "[0, 1]" if allow_zero else "(0, 1]"
        raise SettingsError(f"must be a share in {bound}, got {value!r}", column=name)


def _whole(obj: Settings, name: str, *, minimum: int) -> None:
    value = getattr(obj, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SettingsError(f"must be a whole number >= {minimum}, got {value!r}", column=name)


def _coerce(spec: dataclasses.Field, raw: Any) -> Any:
    default = spec.default
    if isinstance(default, tuple) or spec.name in {"score_factors", "holding_rules", "column_map"}:
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.replace("；", ";").split(";") if part.strip())
        return tuple(raw)
    if spec.name == "as_of":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return (dt.datetime(1899, 12, 30) + dt.timedelta(days=float(raw))).date()
        return dt.date.fromisoformat(str(raw).strip()[:10])
    if spec.name in OPTIONAL_SHARES:
        text = str(raw).strip()
        if isinstance(raw, str) and text.endswith("%"):
            return _number(text[:-1]) / 100
        return _number(raw)
    if isinstance(default, bool):
        text = str(raw).strip().lower()
        if text in {"true", "yes", "1", "是"}:
            return True
        if text in {"false", "no", "0", "否"}:
            return False
        raise ValueError(f"expected TRUE or FALSE, got {raw!r}")
    if isinstance(default, int):
        number = _number(raw)
        if not number.is_integer():
            raise ValueError(f"expected a whole number, got {raw!r}")
        return int(number)
    if isinstance(default, float):
        text = str(raw).strip()
        if isinstance(raw, str) and text.endswith("%"):
            return _number(text[:-1]) / 100
        return _number(raw)
    return str(raw).strip()


def _number(raw: Any) -> float:
    """A number from a cell; our own words when it is not one (never Python's "could not
    convert string to float")."""
    try:
        number = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return number


DEFAULT_SETTINGS = Settings()
