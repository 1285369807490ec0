"""Customer Tiers worksheet functions (xlwings UDFs): =SOB, =ABC_TIER, =RFM_SCORE, ...

Excel imports this module by name ("udfs.customer_tiers" in the template's xlwings.conf sheet).
Each function converts its arguments (``xl_addin.excel.convert``), asks the population cache
for the core's result on those arguments (computing it once), and converts back.

* ``customer`` may be one cell (a scalar comes back) or a range / array (the results spill in
  the same shape). A blank customer cell gives an empty cell; a customer not in the data gives
  the text "#N/A: customer 'X' not in data" (open-source xlwings cannot return a true #N/A).
* Data arguments are one column or one row of equal length; blank and unusable rows are left
  out exactly as in the headless refresh.
* A wrong argument gives "#VALUE! <argument>: <what is wrong>" in the cell.
* Results equal the headless refresh on the same data: SOB, ABC_TIER and PARETO_SHARE call
  ``customer_totals -> abc_measure -> abc_tiers``; the functions that need dates call
  ``tier_customers`` itself and read its customer table.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from typing import Any, Callable, NamedTuple

import pandas as pd
import xlwings as xw

from xl_addin.core import columns as col
from xl_addin.core.abc import abc_measure, abc_tiers
from xl_addin.core.clean import clean_transactions
from xl_addin.core.result import TierResult
from xl_addin.core.sob import customer_totals, sob
from xl_addin.errors import CustomerTiersError, InputError, SettingsError
from xl_addin.excel import convert
from xl_addin.excel.cache import Answers, PopulationCache
from xl_addin.report.labels import translate_value
from xl_addin.report.layout import tiers_sheet
from xl_addin.settings import DEFAULT_SETTINGS, OPTIONAL_SHARES, Settings

CATEGORY = "Customer Tiers"
# At most 8 populations and ~256 MiB (their input ranges and results, estimated): see cache.py
POPULATIONS = PopulationCache(maxsize=8)

RFM_PARTS = {
    "code": "rfm_code", "r": "r_score", "f": "f_score", "m": "m_score",
    "segment": "rfm_segment", "segment_zh": "rfm_segment_zh",
    "class": "rfm_class_zh", "class_en": "rfm_class",
}
# Columns the UDFs show in 中文: the core's key column translated at this edge (report.labels).
CHINESE_COLUMNS = {"rfm_segment_zh": "rfm_segment", "rfm_class_zh": "rfm_class"}
CLV_KINDS = {"projected": "clv_proj", "historical": "clv_hist"}

# Argument docs shared by several functions (Excel shows them in the function wizard).
CUSTOMER = "Customer id: one cell, or a range / array of ids (results spill in its shape)."
CUSTOMERS = "Customer id of every sale line: one column or row."
AMOUNTS = "Revenue of every sale line (negative = return), same size as customers."
DATES = "Date of every sale line (dates or Excel serial numbers), same size as customers."
COSTS = "Optional. Cost of every sale line; with costs ABC ranks profit, else revenue."
ORDERS = "Optional. Order id of every sale line; else each purchase date counts as one order."
AS_OF = "Optional. Analysis date; blank = the latest sale date."


SHARED_ARGS: dict[str, dict[str, Any]] = {
    "customer": {"ndim": 2, "doc": CUSTOMER},
    "customers": {"doc": CUSTOMERS},
    "amounts": {"doc": AMOUNTS},
    "dates": {"doc": DATES},
    "costs": {"doc": COSTS},
    "orders": {"doc": ORDERS},
    "as_of": {"doc": AS_OF},
}


def documented(**docs: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@xw.arg`` for every argument of the function, in signature order: the shared ones
    from ``SHARED_ARGS``, the others with the doc given here by name (a missing doc is an
    error at import). Goes between ``@xw.func`` (on top) and ``@udf``."""

    def apply(function: Callable[..., Any]) -> Callable[..., Any]:
        names = list(inspect.signature(function).parameters)
        for name in reversed(names):  # as a stack written top to bottom would apply them
            options = SHARED_ARGS.get(name) or {"doc": docs[name]}
            function = xw.arg(name, **options)(function)
        unused = set(docs) - set(names)
        if unused:
            raise TypeError(f"documented(): no argument named {sorted(unused)}")
        return function

    return apply


def udf(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``function`` an xlwings UDF whose help text is the first docstring line, and whose
    CustomerTiersError becomes a short message in the cell. The one place where UDF errors are
    translated; any other exception propagates (xlwings shows it in the cell), never hidden.

    Apply it first (lowest); ``@xw.func(category=...)`` goes on top, because every ``@xw.arg``
    resets the category xlwings recorded before it."""

    @functools.wraps(function)
    def in_cell(*args: Any) -> Any:
        try:
            return function(*args)
        except CustomerTiersError as error:
            return convert.cell(cell_message(error))

    in_cell = xw.func(in_cell)
    if hasattr(in_cell, "__xlfunc__"):  # xlwings' decorators only record metadata on Windows
        in_cell.__xlfunc__["ret"]["doc"] = help_text(function)
    return in_cell


def cell_message(error: CustomerTiersError) -> str:
    """'#VALUE! a_cut: must be a share in (0, 1], got 1.5' (the argument first when known)."""
    if isinstance(error, InputError) and error.column and error.sheet is None and error.row is None:
        text = f"{error.column}: {error.message}"
        if error.hint:
            text = f"{text} {error.hint}"
    else:
        text = str(error)
    return f"#VALUE! {text}"


def help_text(function: Callable[..., Any]) -> str:
    """The first line of the docstring: what Excel's function wizard shows."""
    return (function.__doc__ or function.__name__).strip().splitlines()[0]


# -- arguments -> Settings -----------------------------------------------------------------

SETTINGS_KEPT = 256  # distinct option combinations remembered by settings_for
_settings_seen: dict[tuple[Any, ...], Settings] = {}


def settings_for(**arguments: tuple[str, Any]) -> Settings:
    """DEFAULT_SETTINGS with ``field=(argument, value)`` overrides; blank values keep the
    default. A rejected value raises a SettingsError naming the argument, not the field.

    Every cell of a filled-down formula passes the same options, so the Settings built for
    them are remembered (by value and type: TRUE and 1 are different options)."""
    try:
        seen_key = tuple((field, argument, exactly(value))
                         for field, (argument, value) in arguments.items())
        settings = _settings_seen.get(seen_key)
    except TypeError:  # an option given as a range: not remembered
        return _settings_for(arguments)
    if settings is None:
        settings = _settings_for(arguments)
        if len(_settings_seen) >= SETTINGS_KEPT:
            _settings_seen.clear()
        _settings_seen[seen_key] = settings
    return settings


REMEMBERED_TYPES = (str, int, bool, type(None), dt.datetime, dt.date)


def exactly(value: Any) -> tuple[Any, ...]:
    """A dict key equal only for the same value of the same type: 1, 1.0 and TRUE differ,
    and so do 0.0 and -0.0 (floats by their hex form). Raises TypeError for anything but a
    single cell's value (str, number, bool, blank, date)."""
    if type(value) is float:
        return (float, value.hex())
    if type(value) not in REMEMBERED_TYPES:
        raise TypeError(f"not a cell value: {type(value).__name__}")
    return (type(value), value)


def _settings_for(arguments: dict[str, tuple[str, Any]]) -> Settings:
    changes = {}
    for field, (argument, value) in arguments.items():
        value = convert.option(value, None)
        if value is None:
            continue
        default = getattr(DEFAULT_SETTINGS, field)
        if default is None and field in OPTIONAL_SHARES:
            default = 0.0  # blank by default (= measured), a number when given
        changes[field] = _typed(value, default, argument)
    try:
        return DEFAULT_SETTINGS.replace(**changes)
    except SettingsError as error:
        argument = {f: a for f, (a, _) in arguments.items()}.get(error.column or "", error.column)
        raise SettingsError(error.message, column=argument) from None


def _typed(value: Any, default: Any, argument: str) -> Any:
    if isinstance(default, str):
        return str(value).strip().lower()
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise SettingsError(f"{value!r} is not a number", column=argument) from None
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- populations (cached) ------------------------------------------------------------------

class AbcPopulation(NamedTuple):
    """A cached ``abc_tiers`` result indexed by customer id, and the one-cell answers already
    looked up in it (``answer``)."""

    by_id: pd.DataFrame
    answers: Answers


def abc_population(customers: Any, amounts: Any, costs: Any, settings: Settings) -> AbcPopulation:
    """``abc_tiers`` of the data, indexed by customer id, plus its ``sob`` column: the same
    ``customer_totals -> abc_measure -> abc_tiers`` calls as the headless refresh."""

    def compute() -> AbcPopulation:
        raw = convert.transactions(customers, amounts, costs=costs)
        clean, quality = clean_transactions(raw, require_date=False)
        totals = customer_totals(clean, settings)
        measure, _ = abc_measure(totals, settings, has_cost=col.COST in clean.columns)
        abc = abc_tiers(measure, settings).set_index(col.CUSTOMER_ID)
        abc["sob"] = totals.set_index(col.CUSTOMER_ID)["sob"]
        abc.attrs["rejected"] = convert.rejected_customers(raw, quality)
        return AbcPopulation(abc, Answers())

    return POPULATIONS.get(("abc", settings), compute, (customers, amounts, costs))


class TierPopulation(NamedTuple):
    """A cached ``tier_customers`` result, its customer table indexed by customer id, and the
    one-cell answers already looked up in it (``answer``)."""

    result: TierResult
    by_id: pd.DataFrame
    answers: Answers


def tier_population(customers: Any, dates: Any, amounts: Any, costs: Any, orders: Any,
                    as_of: Any, settings: Settings) -> TierPopulation:
    """``tier_customers`` on the data: the headless refresh itself."""

    def compute() -> TierPopulation:
        # imported on first use: the pipeline loads every metric module, =SOB needs none of them
        from xl_addin.core.pipeline import tier_customers

        raw = convert.transactions(customers, amounts, dates=dates, costs=costs, orders=orders)
        result = tier_customers(raw, settings, as_of=convert.analysis_date(as_of))
        by_id = result.customers.set_index(col.CUSTOMER_ID)
        for chinese, key in CHINESE_COLUMNS.items():
            by_id[chinese] = by_id[key].map(lambda v, key=key: translate_value(key, v, "zh"))
        by_id.attrs["rejected"] = convert.rejected_customers(raw, result.data_quality)
        return TierPopulation(result, by_id, Answers())

    return POPULATIONS.get(("tiers", settings), compute,
                           (customers, dates, amounts, costs, orders, as_of))


def customer_column(population: TierPopulation, column: str) -> pd.Series:
    """One column of the customer table indexed by customer id; ``rfm_segment_zh`` and
    ``rfm_class_zh`` are the 中文 names of the segment and class keys."""
    return population.by_id[column]


def answer(customer: Any, population: AbcPopulation | TierPopulation, column: str) -> Any:
    """``convert.lookup`` of ``customer`` in one column of a cached population. The answer
    for one cell is remembered with the population: its data never changes (changed inputs
    make a new population), and a filled-down formula asks for the same customers again."""
    if type(customer) is list and len(customer) == 1 and type(customer[0]) is list \
            and len(customer[0]) == 1:
        try:
            asked = (column, exactly(customer[0][0]))
        except TypeError:
            asked = None
        if asked is not None:
            found = population.answers.get(asked, Answers.MISSING)
            if found is Answers.MISSING:
                found = convert.lookup(customer, result_column(population, column))
                population.answers.remember(asked, found)
            return found
    return convert.lookup(customer, result_column(population, column))


def result_column(population: AbcPopulation | TierPopulation, column: str) -> pd.Series:
    """One column of the population's table by customer id, taken from the frame once."""
    values = population.answers.columns.get(column)
    if values is None:
        values = population.answers.columns[column] = population.by_id[column]
    return values


def choice(value: Any, choices: dict[str, str], default: str, argument: str) -> str:
    """The column for an option argument such as ``part``; unknown text names the argument."""
    key = str(convert.option(value, default)).strip().lower()
    if key not in choices:
        raise InputError(f"must be one of {', '.join(choices)}, got {value!r}", column=argument)
    return choices[key]


# -- the functions -------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@documented(
    periods="Optional. Date of every sale line, to take the share within one period.",
    period='Optional. The period: "2025" (year), "2025Q1" (quarter) or "2025-03" (month).',
)
@udf
def SOB(customer, customers, amounts, periods=None, period=None):
    """Share of business: the customer's net revenue / everyone's net revenue (0..1).

    Without a period, the SOB column of the Tiers sheet; with one, the share within that
    calendar period (the per-period SOB table). A total <= 0 gives an empty cell.
    """
    if periods is None and convert.option(period, None) is None:
        abc = abc_population(customers, amounts, None, DEFAULT_SETTINGS)
        return answer(customer, abc, "sob")
    return convert.lookup(customer, period_population(customers, amounts, periods, period))


def period_population(customers: Any, amounts: Any, periods: Any, period: Any) -> pd.Series:
    """SOB within one calendar period, indexed by customer id (core ``sob(period=...)``)."""
    label = str(convert.option(period, "")).strip()
    if periods is None or not label:
        raise InputError("give both periods (the sale dates) and period (e.g. 2025Q1)", column="period")
    granularity = "Q" if "Q" in label.upper() else "M" if "-" in label else "Y"

    def compute() -> pd.Series:
        raw = convert.transactions(customers, amounts, dates=periods)
        clean, _ = clean_transactions(raw)
        table = sob(clean, period=granularity)
        return table.set_index(["period", col.CUSTOMER_ID])["sob"]

    shares = POPULATIONS.get(("sob", granularity), compute, (customers, amounts, periods))
    label = label.upper() if granularity == "Q" else label
    if label not in shares.index.get_level_values("period"):
        raise InputError(f"no sale line in period {label!r}", column="period")
    return shares.xs(label, level="period")


@xw.func(category=CATEGORY)
@documented(
    method='Optional. "value" (cumulative share cut-offs, default) or "count" (share of customers).',
    a_cut="Optional. Cumulative share closing class A (default 0.8); the customer crossing it is A.",
    b_cut="Optional. Cumulative share closing class B (default 0.95).",
)
@udf
def ABC_TIER(customer, customers, amounts, costs=None, method=None, a_cut=None, b_cut=None):
    """ABC class of the customer: "A", "B", "C", or "D" (no positive contribution).

    Ranks profit when costs are given, else revenue; largest first, ties by customer id.
    """
    settings = settings_for(abc_method=("method", method), a_cut=("a_cut", a_cut), b_cut=("b_cut", b_cut))
    abc = abc_population(customers, amounts, costs, settings)
    return answer(customer, abc, "abc_tier")


@xw.func(category=CATEGORY)
@documented()
@udf
def PARETO_SHARE(customer, customers, amounts, costs=None):
    """Cumulative share (0..1) of the positive total up to and including the customer.

    The Pareto curve: customers ranked by profit (with costs) or revenue, largest first.
    A customer with no positive contribution gives an empty cell.
    """
    abc = abc_population(customers, amounts, costs, DEFAULT_SETTINGS)
    return answer(customer, abc, "cum_share")


@xw.func(category=CATEGORY)
@documented(
    bins="Optional. Score levels 2..10 (default 5); cut points are PERCENTILE.INC(k/bins).",
    part='Optional. "code" (default, e.g. "545"), "R", "F", "M", "segment", "segment_zh", "class" or "class_en".',
)
@udf
def RFM_SCORE(customer, customers, dates, amounts, orders=None, as_of=None, bins=None, part=None):
    """RFM code of the customer ("545": recency, frequency, monetary scores), or one part.

    Scores 1..bins, higher = better; ties share a score; a value equal to a cut point takes
    the lower score.
    """
    column = choice(part, RFM_PARTS, "code", "part")
    settings = settings_for(rfm_bins=("bins", bins))
    population = tier_population(customers, dates, amounts, None, orders, as_of, settings)
    return answer(customer, population, column)


@xw.func(category=CATEGORY)
@documented(
    language='Optional. "en" (default) or "zh" for the 中文 segment name.',
)
@udf
def RFM_SEGMENT(customer, customers, dates, amounts, orders=None, as_of=None, language=None):
    """RFM segment of the customer ("Champions", "At Risk", ...; 中文 with language "zh")."""
    column = choice(language, {"en": "rfm_segment", "zh": "rfm_segment_zh"}, "en", "language")
    population = tier_population(customers, dates, amounts, None, orders, as_of, DEFAULT_SETTINGS)
    return answer(customer, population, column)


@xw.func(category=CATEGORY)
@documented()
@udf
def CUSTOMER_SCORE(customer, customers, dates, amounts, costs=None, orders=None, as_of=None):
    """Weighted customer score 0..100 (default factors: profit, revenue, orders, recency)."""
    population = tier_population(customers, dates, amounts, costs, orders, as_of, DEFAULT_SETTINGS)
    return answer(customer, population, "score")


@xw.func(category=CATEGORY)
@documented()
@udf
def LIFECYCLE_STAGE(customer, customers, dates, amounts, orders=None, as_of=None):
    """Lifecycle stage: New, One-time, Repeat, Loyal, Lapsing or Lost (first matching rule)."""
    population = tier_population(customers, dates, amounts, None, orders, as_of, DEFAULT_SETTINGS)
    return answer(customer, population, "lifecycle")


@xw.func(category=CATEGORY)
@documented(
    kind='Optional. "projected" (default) or "historical".',
    retention_rate="Optional. Yearly retention rate r (default: measured per ABC tier).",
    discount_rate="Optional. Yearly discount rate i (default 0.1).",
)
@udf
def CLV(customer, customers, dates, amounts, costs=None, as_of=None, kind=None,
        retention_rate=None, discount_rate=None):
    """Customer lifetime value in the data's currency: projected (default) or historical."""
    column = choice(kind, CLV_KINDS, "projected", "kind")
    settings = settings_for(retention_rate=("retention_rate", retention_rate),
                            discount_rate=("discount_rate", discount_rate))
    population = tier_population(customers, dates, amounts, costs, None, as_of, settings)
    return answer(customer, population, column)


@xw.func(category=CATEGORY)
@documented(
    language='Optional. Header language: "en" (default) or "zh".',
)
@udf
def TIER_TABLE(customers, dates, amounts, costs=None, orders=None, as_of=None, language=None):
    """The whole tier table with headers, as on the Tiers sheet (spills)."""
    language = choice(language, {"en": "en", "zh": "zh"}, "en", "language")
    population = tier_population(customers, dates, amounts, costs, orders, as_of, DEFAULT_SETTINGS)
    block = tiers_sheet(population.result, language).blocks[0]
    return convert.table(block.values, block.header)


# -- predictive CLV and retention (issue 10) ------------------------------------------------

@xw.func(category=CATEGORY)
@documented()
@udf
def P_ALIVE(customer, customers, dates, amounts, as_of=None):
    """Probability 0..1 that the customer still buys (BG/NBD); 1 without a repeat purchase."""
    population = tier_population(customers, dates, amounts, None, None, as_of, DEFAULT_SETTINGS)
    return answer(customer, population, "p_alive")


@xw.func(category=CATEGORY)
@documented(days="Optional. Days ahead (default 90).")
@udf
def EXPECTED_PURCHASES(customer, customers, dates, amounts, days=None, as_of=None):
    """Purchase days expected from the customer in the next days (BG/NBD)."""
    settings = settings_for(expected_days_short=("days", days))
    population = tier_population(customers, dates, amounts, None, None, as_of, settings)
    return answer(customer, population, "expected_purchases_short")


@xw.func(category=CATEGORY)
@documented(
    months="Optional. Horizon in months of 30 days (default 12).",
    discount_rate="Optional. Yearly discount rate (default 0.1); applied monthly.",
)
@udf
def PREDICTED_CLV(customer, customers, dates, amounts, costs=None, months=None, discount_rate=None,
                  as_of=None):
    """Profit expected from the customer over the horizon, discounted (BG/NBD + Gamma-Gamma)."""
    settings = settings_for(clv_months=("months", months), discount_rate=("discount_rate", discount_rate))
    population = tier_population(customers, dates, amounts, costs, None, as_of, settings)
    return answer(customer, population, "predicted_clv")


@xw.func(category=CATEGORY)
@documented(
    period='Optional. "M", "Q" (default) or "Y".',
    tier='Optional. ABC tier "A".."D"; blank = all customers.',
)
@udf
def RETENTION_RATE(customers, dates, amounts, period=None, tier=None):
    """Share of a period's buyers who buy again in the next period, over all complete periods."""
    from xl_addin.core.retention import ALL, pooled_retention

    period = choice(period, {"m": "M", "q": "Q", "y": "Y"}, "q", "period")
    tier = choice(tier, {"a": "A", "b": "B", "c": "C", "d": "D", "all": ALL}, "all", "tier")
    settings = DEFAULT_SETTINGS.replace(retention_period=period)
    population = tier_population(customers, dates, amounts, None, None, None, settings)
    rate = pooled_retention(population.result.retention, tier)
    return None if rate != rate else rate  # NaN: no complete period -> an empty cell
