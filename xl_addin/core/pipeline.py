"""``tier_customers``: transactions + settings (+ customer master) -> one ``TierResult``.

Every way into the product (UDFs, the ribbon, the CLI) calls this one function or the
metric functions it is built from, so they all give the same numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..settings import DEFAULT_SETTINGS, Settings
from .abc import abc_flags, abc_measure, abc_tiers, pareto_table, rank_order
from . import background
from .background import BackgroundCall
from .changes import tier_changes as compare_tiers
from .clean import (
    clean_transactions,
    empty_data_quality,
    normalise_ids,
    normalise_text,
    parse_numbers,
    text_positions,
    text_present,
    value_kind,
)
from .clv import clv_values
from .clv_model import (
    NOTE_RETENTION_MEASURED,
    NOTE_RETENTION_NOT_MEASURED,
    ClvPredictions,
    clv_predictions,
    model_fits,
    model_notes,
    no_predictions,
    prediction_settings,
)
from .values import DATE_DTYPE
from .columns import (
    ATTRIBUTE_COLUMNS,
    COST,
    CUSTOMER_COLUMNS,
    CUSTOMER_ID,
    DATA_QUALITY_COLUMNS,
    DATE,
    FLAG_PROMOTE,
    FLAG_RELEASE,
    FLAG_REVIEW,
    FLAG_SEPARATOR,
    NOTE_COLUMNS,
    NOTE_NO_COST,
    NOTE_SHEET_WITHOUT_COST,
    SOURCE_ROW,
    SOURCE_SHEET,
    WALLET,
)
from .holding import holding_coverage, release_candidates
from .lifecycle import lifecycle_stages
from .customer_summary import summary_from_codes
from .retention import (
    ALL,
    active_pairs,
    cohort_table,
    line_periods,
    retention_table,
    tier_retention_rates,
    yearly_activity,
    yearly_retention_from_activity,
)
from .result import TierResult, notes_frame
from .rfm import rfm_from_totals
from .score import customer_score
from .sob import customer_codes, segment_sob, sob_from_codes
from .summary import lifecycle_counts, rfm_class_counts, rfm_segment_counts, tier_pivots, tier_summary

RFM_TAKEN = ("recency_days", "monetary", "r_score", "f_score", "m_score", "rfm_code",
             "rfm_segment", "rfm_class")
PREDICTION_TAKEN = ("p_alive", "expected_purchases_short", "expected_purchases_long", "expected_value",
                    "predicted_clv")
# After CUSTOMER_COLUMNS in TierResult.customers: the predictive CLV columns (core.clv_model).
MODEL_CUSTOMER_COLUMNS = (*PREDICTION_TAKEN, "single_purchase")
# what release_candidates reads (filtering only these rows copies less)
RELEASE_INPUT = [CUSTOMER_ID, "customer_name", "salesperson", "last_purchase", "p_alive", "predicted_clv",
                 "single_purchase"]
WHOLE_NUMBER_COLUMNS = ("orders", "recency_days", "r_score", "f_score", "m_score")
REASON_DUPLICATE_MASTER = "duplicate customer id in the customer master (first row kept)"
REASON_BLANK_MASTER_ID = "blank customer id in the customer master"


def tier_customers(
    transactions: pd.DataFrame,
    settings: Settings | None = None,
    customers: pd.DataFrame | None = None,
    as_of: dt.date | pd.Timestamp | str | None = None,
    previous_tiers: pd.DataFrame | None = None,
    today: dt.date | pd.Timestamp | None = None,
) -> TierResult:
    """Tier every customer: SOB, ABC, RFM, score, lifecycle, CLV, holding limits, summaries.

    ``transactions``: sale lines with canonical column names (``core.columns``); cleaned with
    ``clean_transactions`` (rows left out are in ``data_quality``). ``customers``: optional
    customer master (``customer_id``, attributes, numeric factor columns): its customers with
    no sale line become prospects (no tier, lifecycle "Prospect"), and its non-blank attributes
    win over the sales data; otherwise an attribute is the value on the customer's latest-dated
    sale line that has one (ties: the later line). ``as_of``: this argument, else
    ``settings.as_of``, else the latest sale date not after ``today`` (default: the computer's
    date); sale lines dated after the given ``as_of`` (or after ``today``) are left out and
    listed in ``data_quality``. ``settings.date_order`` / ``decimal_separator`` govern text
    dates and numbers (``core.values``). ``previous_tiers`` (customer_id, abc_tier, score_tier from the last
    refresh) fills ``tier_changes`` and ``tier_change_matrix``.

    ``TierResult.customers`` has ``CUSTOMER_COLUMNS`` first, then ``MODEL_CUSTOMER_COLUMNS``
    (P(alive), expected purchases, expected value, predicted CLV, single_purchase; blank when
    the models are off or could not be fitted, see ``model_notes``) (then any master factor column used
    by the score), one row per customer, sorted by the ABC measure descending, ties by id,
    prospects last (by id). Whole-number columns that can be missing use the Int64 dtype.
    A missing score factor value counts as that factor's worst value.

    The same as ``tier_prepared(prepare_lines(transactions, settings, as_of, today), settings,
    customers, previous_tiers)``: the passes over the sale lines, then the per-customer work.
    """
    settings = settings or DEFAULT_SETTINGS
    prepared = prepare_lines(transactions, settings, as_of=as_of, today=today)
    return tier_prepared(prepared, settings, customers=customers, previous_tiers=previous_tiers)


@dataclass(frozen=True)
class LineSettings:
    """The Settings fields that change what the sale lines give (``prepare_lines`` reads these
    and nothing else): how text dates and numbers read, the analysis date, the cost rate of
    lines without a cost (it enters the per-customer repeat value line by line), the SOB and
    retention periods. Everything else (cut-offs, bins, weights, models, limits) is applied
    per customer by ``tier_prepared``. Also what a cache of ``PreparedLines`` is keyed by."""

    date_order: str
    decimal_separator: str
    as_of: dt.date | None
    cost_rate: float
    sob_period: str
    retention_period: str


def line_settings(settings: Settings | None) -> LineSettings:
    """The ``LineSettings`` projection of ``settings`` (None = the defaults)."""
    settings = settings or DEFAULT_SETTINGS
    return LineSettings(
        date_order=settings.date_order,
        decimal_separator=settings.decimal_separator,
        as_of=settings.as_of,
        cost_rate=settings.cost_rate,
        sob_period=settings.sob_period,
        retention_period=settings.retention_period,
    )


@dataclass(frozen=True)
class PreparedLines:
    """Everything ``tier_prepared`` needs from the sale lines, per customer or per customer and
    period (no per-line array): picklable, a few MB for 50,000 customers. Row/position i of
    every per-customer field is customer code i (``ids`` order, ``sob.customer_codes``)."""

    line_settings: LineSettings
    lines: int  # sale lines given (before cleaning)
    ids: pd.Index  # customer ids, text order
    totals: pd.DataFrame  # customer_summary.summary_from_codes, RangeIndex = code
    has_cost: bool  # the cleaned lines have a cost column
    sheets_without_cost: tuple[str, ...]  # see _sheets_without_cost
    notes: tuple[tuple, ...]  # the reader's and the cleaning's notes (NOTE_COLUMNS rows)
    data_quality: pd.DataFrame  # lines left out (DATA_QUALITY_COLUMNS)
    as_of: pd.Timestamp  # the analysis date
    attributes: pd.DataFrame  # per code: each attribute column of the lines, its latest value ("str")
    returns_only_last_line: pd.Series  # per code: see _returns_only_last_line
    bought_year_before: np.ndarray  # per code: retention.yearly_activity
    bought_last_year: np.ndarray
    active_customers: np.ndarray  # retention.active_pairs: distinct (code, period) with a purchase
    active_periods: np.ndarray
    cohorts: pd.DataFrame  # retention.cohort_table (no tier in it)
    sob_by_period: pd.DataFrame  # sob.sob_from_codes(period=sob_period)
    # the CLV models' fits on ``totals`` (clv_model.model_fits: no setting changes them), made
    # by the first tier_prepared that runs the models and kept with the lines from then on
    # ("models"), and the last predictions with the settings they were made for
    # ("predictions": see _kept_predictions)
    fitted: dict = field(default_factory=dict, compare=False, repr=False)


def _start_predictions(prepared: PreparedLines, settings: Settings) -> BackgroundCall | None:
    """The CLV predictions of ``prepared``'s customers under ``settings``, started in a worker
    thread (``background``): they read only the customer totals, the analysis date, the
    settings and the fits, and ``tier_prepared`` joins them in late. None when the models are
    off or the last predictions kept with the lines were made for these settings."""
    if not settings.clv_models:
        return None
    kept = prepared.fitted.get("predictions")
    if kept is not None and kept[0] == prediction_settings(settings):
        return None
    # a shallow copy of its own: whatever pandas does inside a frame while reading it
    # (consolidating blocks) stays out of the caller's
    return BackgroundCall(_fits_and_predictions, prepared.totals.copy(deep=False), prepared.as_of, settings,
                          prepared.fitted.get("models"))


def _fits_and_predictions(summary: pd.DataFrame, as_of: pd.Timestamp, settings: Settings,
                          fits: tuple | None) -> tuple[tuple, ClvPredictions]:
    """(the models' fits, ``clv_predictions`` from them): ``fits`` when given, else made."""
    fits = fits if fits is not None else model_fits(summary)
    return fits, clv_predictions(summary, as_of, settings, fits=fits)


def _kept_predictions(prepared: PreparedLines, settings: Settings,
                      predicting: BackgroundCall | None) -> ClvPredictions:
    """``clv_predictions`` of ``prepared``'s customers, made once per prediction settings: the
    fits and the last predictions are kept in ``prepared.fitted`` (with the lines in the
    prepared-lines cache), so a Settings change that moves no prediction (a cut, a weight)
    neither fits nor predicts again, and needs no scipy. ``predicting``: what
    ``_start_predictions`` started (None: the kept ones serve). Copies: the kept frames stay
    as made."""
    if predicting is not None:
        fits, made = predicting.result()
        prepared.fitted["models"] = fits
        prepared.fitted["predictions"] = (prediction_settings(settings), made)
    made = prepared.fitted["predictions"][1]
    return ClvPredictions(made.customers.copy(), made.parameters.copy(), made.notes.copy())


def prepare_lines(
    transactions: pd.DataFrame,
    settings: Settings | LineSettings | None = None,
    as_of: dt.date | pd.Timestamp | str | None = None,
    today: dt.date | pd.Timestamp | None = None,
) -> PreparedLines:
    """Every pass over the sale lines of ``tier_customers``, reduced to per-customer (and per
    customer-period) data. Reads only ``line_settings(settings)``, and ``clv_models`` of a
    whole ``Settings``: when it is on and a second CPU is there, the CLV models are fitted on
    the customer totals in a worker thread while the rest of the lines are gone through, and
    the fits kept in ``fitted`` (they depend on no setting: ``model_fits``). Raises
    ``InputError`` when no line is usable."""
    lines = settings if isinstance(settings, LineSettings) else line_settings(settings)
    given_date = _given_date(as_of if as_of is not None else lines.as_of)
    # order ids are only counted (distinct per customer): their text order does not matter;
    # attributes are read on each customer's latest line only: not categorised per line
    clean, data_quality = clean_transactions(
        transactions, sort_order_ids=False, categorise_attributes=False, date_order=lines.date_order,
        decimal_separator=lines.decimal_separator, as_of=given_date,
        today=pd.Timestamp(today if today is not None else dt.date.today()),
    )
    if clean.empty:
        raise InputError(
            f"none of the {len(transactions)} sale lines is usable",
            hint=_first_problem(data_quality),
        )
    notes = [tuple(n) for n in transactions.attrs.get("notes", ()) if _is_note(n)]
    notes.extend(clean.attrs.get("notes", ()))
    analysis_date = given_date if given_date is not None else pd.Timestamp(clean[DATE].max())
    codes, ids = customer_codes(clean)
    # the customer summary: every per-customer aggregate once (row i = customer code i);
    # of the settings it reads only cost_rate
    totals = summary_from_codes(clean, codes, ids, analysis_date, _CostRate(lines.cost_rate))
    # on one CPU the fits wait for tier_prepared, as they always did
    fitting = isinstance(settings, Settings) and settings.clv_models and background.usable_cpus() > 1
    with BackgroundCall(model_fits, totals.copy(deep=False)) if fitting else nullcontext() as fits:
        prepared = _prepare_per_customer(transactions, lines, clean, data_quality, notes, analysis_date,
                                         codes, ids, totals)
        if fitting:
            prepared.fitted["models"] = fits.result()
    return prepared


def _prepare_per_customer(transactions: pd.DataFrame, lines: LineSettings, clean: pd.DataFrame,
                          data_quality: pd.DataFrame, notes: list, analysis_date: pd.Timestamp,
                          codes: np.ndarray, ids: pd.Index, totals: pd.DataFrame) -> PreparedLines:
    """The rest of ``prepare_lines`` once the customer totals are made."""
    has_cost = COST in clean.columns
    attributes, line_key, known = pd.DataFrame(index=pd.RangeIndex(len(ids))), _line_key(clean), {}
    for name in ATTRIBUTE_COLUMNS:
        if name in clean.columns:
            attributes[name] = _latest_attribute(clean, codes, len(ids), name, line_key, known)
    before, last_year = yearly_activity(clean, codes, analysis_date)
    periods = line_periods(clean, lines.retention_period)  # shared by retention and cohorts
    pairs = active_pairs(clean, codes, periods)
    return PreparedLines(
        line_settings=lines,
        lines=len(transactions),
        ids=ids,
        totals=totals,
        has_cost=has_cost,
        sheets_without_cost=tuple(_sheets_without_cost(transactions)),
        notes=tuple(notes),
        data_quality=data_quality,
        as_of=analysis_date,
        attributes=attributes,
        returns_only_last_line=_returns_only_last_line(clean, codes, totals),
        bought_year_before=before,
        bought_last_year=last_year,
        active_customers=pairs[0],
        active_periods=pairs[1],
        cohorts=cohort_table(clean, codes, lines.retention_period, analysis_date, periods, pairs),
        sob_by_period=sob_from_codes(clean, codes, ids, period=lines.sob_period),
    )


@dataclass(frozen=True)
class _CostRate:
    """The one Settings field ``summary_from_codes`` reads, so that ``prepare_lines`` cannot
    pass it anything but its ``LineSettings``."""

    cost_rate: float


def tier_prepared(
    prepared: PreparedLines,
    settings: Settings | None = None,
    customers: pd.DataFrame | None = None,
    previous_tiers: pd.DataFrame | None = None,
) -> TierResult:
    """``tier_customers`` from ``prepare_lines``: per customer only (no pass over sale lines).
    ``settings`` must give the ``line_settings`` the lines were prepared with."""
    settings = settings or DEFAULT_SETTINGS
    if line_settings(settings) != prepared.line_settings:
        raise ValueError("the sale lines were prepared with other line settings: "
                         f"{prepared.line_settings} != {line_settings(settings)}")
    # the CLV models run beside the rest (a second CPU) and are joined in near the end
    predicting = _start_predictions(prepared, settings)
    with predicting if predicting is not None else nullcontext():
        return _tier_prepared(prepared, settings, customers, previous_tiers, predicting)


def _tier_prepared(prepared: PreparedLines, settings: Settings, customers: pd.DataFrame | None,
                   previous_tiers: pd.DataFrame | None, predicting: BackgroundCall | None) -> TierResult:
    """``tier_prepared`` once the line settings are checked and the predictions started."""
    analysis_date, ids, totals = prepared.as_of, prepared.ids, prepared.totals
    notes = list(prepared.notes)
    if not prepared.has_cost:
        notes.append(("", COST, NOTE_NO_COST, f"{settings.cost_rate:g}"))
    master, master_quality = clean_customer_master(customers)
    data_quality = _concat_quality(prepared.data_quality, master_quality)

    measure, measure_name = abc_measure(totals, settings, prepared.has_cost)
    if measure_name == "profit":
        notes.extend(("" if s is None else s, COST, NOTE_SHEET_WITHOUT_COST, "")
                     for s in prepared.sheets_without_cost)
    abc = abc_tiers(measure, settings)
    table, totals_row = _customer_table(prepared.attributes, totals, ids, measure, abc, master, settings)
    rfm = rfm_from_totals(totals, analysis_date, settings)  # indexed by totals row
    rfm_row = rfm.index.get_indexer(totals_row)  # one lookup for every RFM column
    for name in RFM_TAKEN:
        table[name] = _take(rfm[name], rfm_row)

    bought = table["abc_tier"].notna().to_numpy()
    factors = [f.column for f in settings.score_factors]
    missing = [f for f in factors if f not in table.columns]
    if missing:
        raise InputError(
            f"score factor '{missing[0]}' is not a customer column",
            column=missing[0],
            hint="Add it to the customer master, or remove it from score_factors in Settings.",
        )
    scored = table.loc[bought, list(dict.fromkeys([CUSTOMER_ID, *factors]))]  # copy these only
    scores = customer_score(_score_input(scored, settings), settings)
    _put_rows(table, bought, scores, ("score", "score_tier"))
    stage_input = table[[CUSTOMER_ID, "orders", "last_purchase"]].assign(
        last_line=_take(prepared.returns_only_last_line, totals_row)
    )
    table["lifecycle"] = lifecycle_stages(stage_input, analysis_date, settings)
    # measured retention: the ABC tier of each customer code, joined back by code
    in_sales = totals_row >= 0
    tier_of_code = np.full(len(ids), None, dtype=object)
    tier_of_code[totals_row[in_sales]] = table.loc[in_sales, "abc_tier"].astype(object).to_numpy()
    yearly = yearly_retention_from_activity(prepared.bought_year_before, prepared.bought_last_year, tier_of_code)
    rates = tier_retention_rates(yearly)
    model_rows = _retention_notes(yearly, rates, settings)
    # each customer's tier's rate (NaN without one), by one lookup of the tiers' texts: a
    # map of the text column called Python per row (5.6 ms for 50,000 customers)
    tier_rate = np.append(np.array(list(rates.values()), dtype="float64"), np.nan)  # last: none
    measured = tier_rate[text_positions(list(rates), table.loc[bought, "abc_tier"])]  # -1: none
    clv = clv_values(
        table.loc[bought, [CUSTOMER_ID, "profit", "first_purchase", "last_purchase"]], analysis_date, settings,
        measured_retention=measured,
    )
    _put_rows(table, bought, clv, ("clv_hist", "clv_proj"))
    if settings.clv_models:
        predictions = _kept_predictions(prepared, settings, predicting)
    else:
        predictions = no_predictions(totals)
    # joined by customer id: prospects and customers without a purchase get blanks
    predicted_row = text_positions(predictions.customers[CUSTOMER_ID], table[CUSTOMER_ID])  # -1: none
    for name in PREDICTION_TAKEN:
        table[name] = _take(predictions.customers[name], predicted_row).to_numpy()
    single = predictions.customers["single_purchase"].astype("boolean")  # bools: no object per row
    table["single_purchase"] = _take(single, predicted_row).to_numpy()
    quiet = (table["recency_days"] > settings.release_days).fillna(False).to_numpy(dtype=bool)
    table["release_to_pool"] = quiet & ~keep_quiet_customers(table, settings)
    flags = abc_flags(abc, settings)  # abc order = the first len(abc) rows of the table
    promote = np.zeros(len(table), dtype=bool)
    review = np.zeros(len(table), dtype=bool)
    promote[: len(abc)] = flags["promote"].to_numpy(dtype=bool)
    review[: len(abc)] = flags["review"].to_numpy(dtype=bool)
    table["flags"] = join_flags(
        {
            FLAG_PROMOTE: promote,
            FLAG_REVIEW: review,
            FLAG_RELEASE: table["release_to_pool"].to_numpy(dtype=bool),
        }
    )
    table = _finish(table, factors)

    changes, matrix = pd.DataFrame(), pd.DataFrame()
    if previous_tiers is not None:
        previous = previous_tiers.copy()
        previous[CUSTOMER_ID] = normalise_ids(previous[CUSTOMER_ID])
        changes, matrix = compare_tiers(
            previous, table[[CUSTOMER_ID, "customer_name", "abc_tier", "score_tier"]]
        )

    pairs = (prepared.active_customers, prepared.active_periods)
    return TierResult(
        customers=table,
        pareto=_pareto(abc, table),
        tier_summary=tier_summary(table),
        rfm_segments=rfm_segment_counts(table),
        rfm_classes=rfm_class_counts(table),
        lifecycle_counts=lifecycle_counts(table),
        pivots=tier_pivots(table),
        sob_by_period=prepared.sob_by_period.copy(),
        coverage=holding_coverage(table, settings),
        releases=release_candidates(table.loc[table["abc_tier"].notna(), RELEASE_INPUT], analysis_date, settings),
        clv_parameters=predictions.parameters,
        model_notes=pd.concat([model_notes(model_rows), predictions.notes], ignore_index=True),
        retention=retention_table(None, None, tier_of_code, settings.retention_period, analysis_date, pairs=pairs),
        yearly_retention=yearly,
        cohorts=prepared.cohorts.copy(),
        data_quality=data_quality,
        as_of=analysis_date,
        measure=measure_name,
        settings=settings,
        notes=notes_frame(notes),
        tier_changes=changes,
        tier_change_matrix=matrix,
    )


def keep_quiet_customers(table: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Customers whose P(alive) is at least ``settings.keep_p_alive``: "quiet but likely active
    - keep" with their salesperson even when silent longer than ``release_days``. A customer
    without a repeat purchase is never kept this way: their P(alive) = 1 is the model's
    construction, not evidence."""
    alive = pd.to_numeric(table["p_alive"], errors="coerce").to_numpy(dtype="float64")
    single = table["single_purchase"].fillna(True).to_numpy(dtype=bool)
    return (alive >= settings.keep_p_alive) & ~single


def _retention_notes(yearly: pd.DataFrame, rates: dict[str, float], settings: Settings) -> list[tuple]:
    """Which yearly retention the m*r/(1+i-r) projection used, as note rows."""
    if settings.retention_rate is not None:
        return []
    overall = float(yearly.set_index("tier").loc[ALL, "retention"])
    if not np.isfinite(overall):
        from .clv import RETENTION_NOT_MEASURED

        return [("tiers", "clv_proj", NOTE_RETENTION_NOT_MEASURED, f"{RETENTION_NOT_MEASURED}")]
    detail = "; ".join(f"{tier}={rate:.3f}" for tier, rate in rates.items() if np.isfinite(rate))
    return [("tiers", "clv_proj", NOTE_RETENTION_MEASURED, detail)]


def clean_customer_master(master: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customer master with ids and attributes as text and number-like columns as floats,
    one row per id (the first; later duplicates and blank ids go to the data-quality table)."""
    if master is None:
        return pd.DataFrame({CUSTOMER_ID: pd.Series(dtype="str")}), empty_data_quality()
    if CUSTOMER_ID not in master.columns:
        found = ", ".join(map(str, master.columns)) or "none"
        raise InputError(
            f"the customer master has no '{CUSTOMER_ID}' column (columns found: {found})",
            column=CUSTOMER_ID,
        )
    ids = normalise_ids(master[CUSTOMER_ID])
    blank = ids.isna().to_numpy()
    duplicate = ids.duplicated(keep="first").to_numpy() & ~blank
    listed = blank | duplicate  # only these rows are described (a clean master lists none)
    listed_ids = master[CUSTOMER_ID][listed]
    quality = pd.DataFrame(
        {
            "sheet": _master_sheets(master)[listed],
            "row": _master_rows(master)[listed],
            "column": CUSTOMER_ID,
            "value": listed_ids.astype(object).where(listed_ids.notna(), "").astype(str).to_numpy(),
            "reason": np.where(blank[listed], REASON_BLANK_MASTER_ID, REASON_DUPLICATE_MASTER),
        }
    )
    quality["row"] = quality["row"].astype("Int64")
    columns: dict[str, pd.Series] = {CUSTOMER_ID: ids}
    for name in master.columns:
        if name in (CUSTOMER_ID, SOURCE_SHEET, SOURCE_ROW):
            continue
        if name in ATTRIBUTE_COLUMNS:
            columns[name] = normalise_text(master[name])
        elif value_kind(master[name]) == "number":
            columns[name] = parse_numbers(master[name])
        else:
            columns[name] = master[name]
    cleaned = pd.DataFrame(columns).loc[~(blank | duplicate)].reset_index(drop=True)
    return cleaned, quality[list(DATA_QUALITY_COLUMNS)].reset_index(drop=True)


def _master_rows(master: pd.DataFrame) -> np.ndarray:
    if SOURCE_ROW in master.columns:
        return pd.to_numeric(master[SOURCE_ROW], errors="coerce").to_numpy()
    return np.arange(1, len(master) + 1)


def _master_sheets(master: pd.DataFrame) -> np.ndarray:
    if SOURCE_SHEET in master.columns:
        return master[SOURCE_SHEET].astype(object).where(master[SOURCE_SHEET].notna(), "").astype(str).to_numpy()
    return np.full(len(master), "", dtype=object)


def _is_note(note) -> bool:
    return isinstance(note, tuple) and len(note) == len(NOTE_COLUMNS)


def _sheets_without_cost(transactions: pd.DataFrame) -> list[str]:
    """The source sheets whose cost cells are all blank while another sheet has costs (their
    lines count cost 0 in a profit ranking)."""
    if COST not in transactions.columns or SOURCE_SHEET not in transactions.columns:
        return []
    # by the sheets' codes (a Categorical from the reader: no text per row is made)
    codes, sheets = pd.factorize(transactions[SOURCE_SHEET], use_na_sentinel=False)
    lines = np.bincount(codes, minlength=len(sheets))
    costed = np.bincount(codes[transactions[COST].notna().to_numpy()], minlength=len(sheets))
    has: dict[str, bool] = {}  # sheet text -> any cost, in order of first line
    for sheet, count, with_cost in zip(sheets, lines, costed):
        if count:
            has[str(sheet)] = has.get(str(sheet), False) or bool(with_cost)
    return [s for s, any_cost in has.items() if not any_cost] if any(has.values()) else []


def _given_date(as_of) -> pd.Timestamp | None:
    """The analysis date the caller or Settings gave (midnight), else None."""
    if as_of is None:
        return None
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"as_of must be a date, got {as_of!r}", column="as_of",
                         hint="Give a date from 1900-01-01 to 9999-12-31.") from None
    if stamp is pd.NaT or not dt.date(1900, 1, 1) <= stamp.date() <= dt.date(9999, 12, 31):
        raise InputError(f"as_of must be a date from 1900-01-01 to 9999-12-31, got {as_of!r}",
                         column="as_of")
    return stamp.normalize()


def _customer_table(
    attributes: pd.DataFrame,
    totals: pd.DataFrame,
    ids: pd.Index,
    measure: pd.Series,
    abc: pd.DataFrame,
    master: pd.DataFrame,
    settings: Settings,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers in ABC rank order, then prospects by id: totals, attributes, abc columns;
    and each table row's row in ``totals`` (-1 for a prospect)."""
    ranked = abc[CUSTOMER_ID]
    # one hash lookup: the master row of each customer in ``ids`` (-1 = not in the master)
    master_of_id = text_positions(master[CUSTOMER_ID], ids)
    in_sales = np.zeros(len(master), dtype=bool)
    in_sales[master_of_id[master_of_id >= 0]] = True
    prospects = master[CUSTOMER_ID].reset_index(drop=True)[~in_sales].sort_values(kind="stable")
    table = pd.DataFrame({CUSTOMER_ID: pd.concat([ranked, prospects], ignore_index=True).astype("str")})
    # totals rows are in ``ids`` order, as is ``measure`` which abc ranked; -1 = a prospect
    row = np.full(len(table), -1, dtype=np.int64)
    row[: len(ranked)] = rank_order(measure)
    master_row = np.concatenate([master_of_id[row[: len(ranked)]], prospects.index.to_numpy()])  # -1 = none
    # attributes stay "str" arrays (taken, never made Python objects): the master's value
    # where it has one, else the latest line's
    missing = None  # all-missing "str" array, made once if a column needs it
    for name in ATTRIBUTE_COLUMNS:
        if name in attributes.columns:  # per customer code: the latest line's value
            values = pd.Series(attributes[name].array.take(row, allow_fill=True))
        else:
            if missing is None:
                missing = pd.array(np.full(len(table), None, dtype=object), dtype="str")
            values = pd.Series(missing)
        if name in master.columns:
            from_master = pd.Series(master[name].array.take(master_row, allow_fill=True))
            values = from_master.where(from_master.notna(), values)
        table[name] = values.array
    for name in ("revenue", "cost", "profit", "sob"):
        table[name] = _take(totals[name], row)
    segment = settings.sob_segment
    if segment in table.columns and table[segment].notna().any():
        table["segment_sob"] = segment_sob(table["revenue"], table[segment]).where(table["revenue"].notna())
    else:
        table["segment_sob"] = np.nan
    wallet = _take(totals["wallet"], row) if "wallet" in totals.columns else pd.Series(np.nan, index=table.index)
    if WALLET in master.columns:
        wallet = _take(master[WALLET], master_row).astype("float64").fillna(wallet)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share_of_wallet"] = (table["revenue"] / wallet).where(wallet > 0)
    ranked_part = np.arange(len(table)) < len(ranked)
    abc_row = np.where(ranked_part, np.arange(len(table)), -1)
    table["cum_share"] = _take(abc["cum_share"], abc_row)
    table["abc_tier"] = _take(abc["abc_tier"], abc_row).astype("str")
    for name in ("orders", "first_purchase", "last_purchase"):
        table[name] = _take(totals[name], row)
    for name in master.columns:
        if name not in table.columns and name not in ATTRIBUTE_COLUMNS and name != WALLET:
            table[name] = _take(master[name], master_row)
    return table, row


def _take(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """``values`` at positions ``rows`` (-1 = missing), as a new Series with a fresh index."""
    complete = not len(rows) or rows.min() >= 0  # every row there: nothing to mark missing
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fM" and len(values):
        # float64 / datetime64: one numpy take, as reindex gives (missing = NaN / NaT)
        taken = values.to_numpy()[np.maximum(rows, 0)]
        taken[rows < 0] = np.nan if values.dtype.kind == "f" else np.datetime64("NaT")
        return pd.Series(taken, name=values.name)
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub" and len(values):
        if complete:
            return pd.Series(values.to_numpy()[rows], name=values.name)  # as reindex: same dtype
        # as reindex: integers become float64 and bools objects, missing = NaN
        taken = values.to_numpy().astype("float64" if values.dtype.kind in "iu" else object)
        taken = taken[np.maximum(rows, 0)]
        taken[rows < 0] = np.nan
        return pd.Series(taken, name=values.name)
    if isinstance(values.array, pd.api.extensions.ExtensionArray) and not isinstance(
            values.array, pd.arrays.NumpyExtensionArray):
        # "str", Int64, boolean ...: the array's own take (missing = its NA), no index alignment
        return pd.Series(values.array.take(rows, allow_fill=not complete), name=values.name)
    taken = values.reset_index(drop=True).reindex(rows)
    return taken.reset_index(drop=True)


def _put_rows(table: pd.DataFrame, mask: np.ndarray, part: pd.DataFrame, names: tuple[str, ...]) -> None:
    """Copy ``names`` from ``part`` (one row per True of ``mask``, in table order) into ``table``;
    the other rows get missing values."""
    rows = np.full(len(table), -1, dtype=np.int64)
    rows[mask] = np.arange(int(mask.sum()))
    for name in names:
        table[name] = _take(part[name], rows).array  # "str" stays "str": no object round trip


def _pareto(abc: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    names = table["customer_name"].iloc[: len(abc)].reset_index(drop=True)  # same order as abc
    return pareto_table(abc.assign(customer_name=pd.Series(names.array, dtype="str").array))


def latest_attributes(clean: pd.DataFrame, codes: np.ndarray | None = None, ids: pd.Index | None = None) -> pd.DataFrame:
    """Per customer id, each attribute's value on the latest-dated line that has one (ties: the
    later line). Vectorised: a max per customer of one int64 key (day, then line position)."""
    if codes is None or ids is None:
        codes, ids = customer_codes(clean)
    present = [c for c in ATTRIBUTE_COLUMNS if c in clean.columns]
    result = pd.DataFrame(index=pd.RangeIndex(len(ids)))
    key, known = _line_key(clean), {}
    for name in present:
        result[name] = _latest_attribute(clean, codes, len(ids), name, key, known)
    result.index = ids
    return result


def _line_key(clean: pd.DataFrame) -> np.ndarray:
    """(day, position) of each line packed in one int64, so that a larger key is a later line."""
    n = len(clean)
    days = clean[DATE].to_numpy(dtype="datetime64[D]").astype(np.int64)
    return (days - days.min(initial=0)) * n + np.arange(n) if n else np.zeros(0, dtype=np.int64)


def _latest_attribute(clean: pd.DataFrame, codes: np.ndarray, customers: int, name: str,
                      key: np.ndarray, known: dict) -> pd.api.extensions.ExtensionArray:
    """Per customer code, the text of attribute ``name`` on its latest-dated line that has one
    (ties: the later line; missing = none), as a "str" array. ``key``: ``_line_key(clean)``;
    ``known``: a dict kept between the attributes of one table (each customer's latest line,
    computed once)."""
    if "every line" not in known:  # each customer's latest line, whatever it holds
        known["every line"] = _latest_of(codes, customers, key, len(clean))
    latest = known["every line"]
    # a customer whose latest line has a text has it as its latest line with one: the whole
    # column is looked at only when some customer's latest line has none (else a million
    # texts per column); a missing taken text is a line without one (_attribute_present)
    taken = _attribute_at(clean[name], latest)
    if not pd.isna(taken)[latest >= 0].any():
        return taken
    has = _attribute_present(clean[name])
    return _attribute_at(clean[name], _latest_of(codes[has], customers, key[has], len(clean)))


def _latest_of(codes: np.ndarray, customers: int, key: np.ndarray, lines: int) -> np.ndarray:
    """Per customer code, the position of its line with the largest ``_line_key`` (-1 = none)."""
    best = np.full(customers, -1, dtype=np.int64)
    np.maximum.at(best, codes, key)
    return np.where(best >= 0, best % max(lines, 1), -1)


def _take_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` with -1 for ``rows`` that are -1."""
    return np.where(rows >= 0, values[np.maximum(rows, 0)], -1) if len(values) else np.full(len(rows), -1)


def _attribute_present(values: pd.Series) -> np.ndarray:
    """The lines with a value of a cleaned attribute column: a Categorical's non-missing
    codes, or text left as it came (``clean_transactions(categorise_attributes=False)``)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.notna().to_numpy()
    return text_present(values)


def _attribute_at(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A cleaned attribute column at positions ``rows`` (-1 = missing), as a "str" array.
    Text left as it came is normalised on the taken lines only (as the Categorical would
    have it: stripped, blank = missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = pd.array(values.cat.categories, dtype="str")
        codes = _take_rows(values.cat.codes.to_numpy().astype(np.int64), rows)
        return categories.take(codes, allow_fill=True)
    taken = pd.Series(values.array.take(rows, allow_fill=True))
    return normalise_text(taken).array


def _returns_only_last_line(clean: pd.DataFrame, codes: np.ndarray, totals: pd.DataFrame) -> pd.Series:
    """Per totals row, the date of the latest line of a customer who only returned goods (NaT
    for everyone else): lifecycle dates those customers by it."""
    no_purchase = totals["last_purchase"].isna().to_numpy()
    latest = np.full(len(totals), np.iinfo(np.int64).min, dtype=np.int64)  # = NaT
    if no_purchase.any():
        lines = no_purchase[codes]
        stamps = clean[DATE].to_numpy(dtype=DATE_DTYPE).view(np.int64)
        np.maximum.at(latest, codes[lines], stamps[lines])
    return pd.Series(latest.view(DATE_DTYPE))


def _score_input(customers: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The factor columns, with a missing value replaced by the factor's worst value (the
    lowest when higher is better, else the highest), so it ranks last among the customers."""
    frame = pd.DataFrame({CUSTOMER_ID: customers[CUSTOMER_ID].array})  # no text round trip
    for factor in settings.score_factors:
        values = pd.to_numeric(customers[factor.column], errors="coerce").astype("float64").to_numpy()
        values = np.where(np.isfinite(values), values, np.nan)
        missing = np.isnan(values)
        if missing.all():
            values = np.zeros(len(values))  # nobody has it: everyone ties
        elif missing.any():
            worst = np.nanmin(values) if factor.higher_is_better else np.nanmax(values)
            values = np.where(missing, worst, values)
        frame[factor.column] = values
    return frame


def join_flags(flags: dict[str, np.ndarray]) -> np.ndarray:
    """One text per row: the names whose mask is True, joined with FLAG_SEPARATOR ("" if none)."""
    n = len(next(iter(flags.values()))) if flags else 0
    names = list(flags)
    # each row's set of flags as bits of one integer; the text is built once per set used
    combination = np.zeros(n, dtype=np.int64)
    for bit, mask in enumerate(flags.values()):
        combination |= np.asarray(mask, dtype=bool).astype(np.int64) << bit
    used, row_set = np.unique(combination, return_inverse=True)
    texts = np.array([FLAG_SEPARATOR.join(name for bit, name in enumerate(names) if int(k) >> bit & 1)
                      for k in used] + [""], dtype=object)[:-1]  # [""]: an object array even if empty
    return texts[row_set.ravel()]


def _finish(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    for name in WHOLE_NUMBER_COLUMNS:
        table[name] = table[name].astype("Int64")
    for name in ("first_purchase", "last_purchase"):
        table[name] = table[name].astype(DATE_DTYPE)
    for name in ("rfm_code", "rfm_segment", "rfm_class", "score_tier", "lifecycle", "flags"):
        table[name] = table[name].astype("str")
    extra = [f for f in factors if f not in CUSTOMER_COLUMNS and f not in MODEL_CUSTOMER_COLUMNS]
    return table[[*CUSTOMER_COLUMNS, *MODEL_CUSTOMER_COLUMNS, *extra]].reset_index(drop=True)


def _concat_quality(*tables: pd.DataFrame) -> pd.DataFrame:
    tables = [t for t in tables if len(t)]
    if not tables:
        return empty_data_quality()
    return pd.concat(tables, ignore_index=True)[list(DATA_QUALITY_COLUMNS)]


def _first_problem(data_quality: pd.DataFrame) -> str | None:
    if data_quality.empty:
        return None
    first = data_quality.iloc[0]
    # the reader labels columns "B (Date)": say the cell as Excel does, "Sales!B7 (Date)"
    found = re.match(r"^([A-Z]{1,3})(?: \((.*)\))?$", str(first["column"]))
    if found and first["sheet"]:
        where = f"{first['sheet']}!{found[1]}{first['row']}" + (f" ({found[2]})" if found[2] else "")
    else:
        where = f"row {first['row']}, column '{first['column']}'"
    return (f"First problem: {where}: {first['reason']}. Correct the cells listed by "
            "'customer-tiers check' (or the Data quality sheet), then try again.")
