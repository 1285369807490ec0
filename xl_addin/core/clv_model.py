"""The predictive CLV models on the customer summary: BG/NBD + Gamma-Gamma per customer.

``clv_predictions`` fits both models on the customer summary (``customer_summary.py``; time in
days) and returns, per customer id, P(alive), expected purchases over two horizons, the
expected value of a purchase and the predicted CLV; plus the fitted parameters as a table and
structured notes (keys and values, no display words) for what could not be computed and why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..settings import DEFAULT_SETTINGS, Settings
from .columns import CUSTOMER_ID

PREDICTION_COLUMNS = (
    "customer_id", "p_alive", "single_purchase", "expected_purchases_short",
    "expected_purchases_long", "expected_value", "predicted_clv",
)
PARAMETER_COLUMNS = ("model", "parameter", "value")  # model: "BG/NBD", "Gamma-Gamma" or "both"
# The shape of issue 8's TierResult.notes: where a note applies, a key, and its detail.
MODEL_NOTE_COLUMNS = ("sheet", "column", "note_key", "detail")

# note_key values (the report translates them)
NOTE_MODELS_OFF = "clv_models_off"
NOTE_BGNBD_NOT_FITTED = "bgnbd_not_fitted"  # detail: bgnbd.REASON_*
NOTE_GAMMA_GAMMA_NOT_FITTED = "gamma_gamma_not_fitted"  # detail: gamma_gamma.REASON_*
NOTE_GAMMA_GAMMA_EXCLUDED = "gamma_gamma_excluded"  # detail: customers with average value <= 0
NOTE_CORRELATION = "frequency_value_correlation"  # detail: Pearson r of frequency and value
NOTE_CORRELATION_HIGH = "frequency_value_correlation_high"  # |r| > CORRELATION_WARNING
NOTE_SINGLE_PURCHASE = "p_alive_one_without_repeat"  # detail: customers flagged single_purchase
NOTE_RETENTION_NOT_MEASURED = "retention_not_measured"  # detail: the rate used instead
NOTE_RETENTION_MEASURED = "retention_measured"  # detail: "A=0.81; B=0.74; ..." yearly rates


@dataclass(frozen=True)
class ClvPredictions:
    """Per-customer predictions (``PREDICTION_COLUMNS``, indexed by customer id), the fitted
    parameters (``PARAMETER_COLUMNS``) and notes (``MODEL_NOTE_COLUMNS``)."""

    customers: pd.DataFrame
    parameters: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=lambda: empty_model_notes())


def empty_model_notes() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="str") for name in MODEL_NOTE_COLUMNS})


def model_notes(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    if not rows:
        return empty_model_notes()
    return pd.DataFrame(rows, columns=list(MODEL_NOTE_COLUMNS)).astype("str")


def prediction_settings(settings: Settings) -> tuple:
    """The Settings ``clv_predictions`` reads. For one summary, analysis date and fits, equal
    tuples give equal predictions (``pipeline.tier_prepared`` keeps the last ones by it)."""
    return (settings.expected_days_short, settings.expected_days_long, settings.clv_months,
            settings.discount_rate)


def import_models_meanwhile() -> None:
    """Start importing the models and their fitting (scipy.special and scipy.optimize: ~0.6 s
    CPU) in a background thread and return.

    For a caller that is about to do something long that releases the GIL (the file reader
    parses with it released): on a second core the import then costs no wall time. The
    models' own ``import`` waits for it (Python's import lock); a failure here is left for
    that import to raise. A caller whose fits are kept (``PreparedLines.fitted``) has no use
    for it: predicting from a fit needs scipy.special only."""

    def run() -> None:
        try:
            import scipy.optimize  # noqa: F401  (the fits import it when they run)

            from . import bgnbd, gamma_gamma  # noqa: F401
        except Exception:  # raised again, to the caller, by clv_predictions' own import
            pass

    threading.Thread(target=run, name="customer-tiers-import-models", daemon=True).start()


def model_fits(summary: pd.DataFrame) -> tuple:
    """(BG/NBD fit, Gamma-Gamma fit) on the customers of ``summary`` with a purchase: what
    ``clv_predictions`` fits. They depend on the summary only (no setting), so the lines
    prepared once (``pipeline.PreparedLines``) keep them for every later Settings change."""
    from . import bgnbd, gamma_gamma  # scipy is imported only when the models run

    x, t_x, T, value = _model_inputs(summary)[1:]
    return bgnbd.fit_bgnbd(x, t_x, T), gamma_gamma.fit_gamma_gamma(x, value)


def _model_inputs(summary: pd.DataFrame) -> tuple:
    """(ids, x, t_x, T, repeat value) of the customers of ``summary`` with a purchase."""
    bought = summary["first_purchase"].notna().to_numpy() if len(summary) else np.zeros(0, dtype=bool)
    # these columns' rows only: the summary has some twenty
    part = summary.loc[bought, [CUSTOMER_ID, "repeat_purchases", "model_recency_days", "age_days", "repeat_value"]]
    # ids stay a "str" array (no Python object per customer)
    return (part[CUSTOMER_ID].astype("str").array, part["repeat_purchases"].to_numpy(dtype="float64"),
            part["model_recency_days"].to_numpy(dtype="float64"), part["age_days"].to_numpy(dtype="float64"),
            part["repeat_value"].to_numpy(dtype="float64"))


def clv_predictions(summary: pd.DataFrame, as_of: pd.Timestamp, settings: Settings = DEFAULT_SETTINGS,
                    fits: tuple | None = None) -> ClvPredictions:
    """Fit BG/NBD on (``repeat_purchases``, ``model_recency_days``, ``age_days``) and
    Gamma-Gamma on (``repeat_purchases``, ``repeat_value``) of every customer with a purchase,
    then predict per customer:

    * ``p_alive``: probability 0..1 that the customer is still buying (1 without a repeat
      purchase, by the model's construction: ``single_purchase`` True flags those);
    * ``expected_purchases_short`` / ``_long``: purchase days expected in the next
      ``settings.expected_days_short`` / ``expected_days_long`` days;
    * ``expected_value``: expected profit of one future purchase (Gamma-Gamma);
    * ``predicted_clv``: profit expected over ``settings.clv_months`` months of 30 days,
      discounted monthly at the rate equivalent to the yearly ``discount_rate`` (0 for a
      customer whose average repeat profit is <= 0: left out of the Gamma-Gamma fit).

    A model that cannot be fitted leaves its columns blank (NaN) and adds a note. ``fits``:
    ``model_fits(summary)`` already made.
    """
    from . import bgnbd, gamma_gamma  # scipy is imported only when the models run
    from .clv import DAYS_PER_MONTH, discounted_purchases

    ids, x, t_x, T, value = _model_inputs(summary)
    notes: list[tuple[str, str, str, str]] = []

    fit, spend = fits if fits is not None else model_fits(summary)
    if not fit.converged:
        notes.append(("tiers", "p_alive", NOTE_BGNBD_NOT_FITTED, fit.reason))
    if not spend.converged:
        notes.append(("tiers", "predicted_clv", NOTE_GAMMA_GAMMA_NOT_FITTED, spend.reason))
    if spend.excluded:
        notes.append(("tiers", "predicted_clv", NOTE_GAMMA_GAMMA_EXCLUDED, str(spend.excluded)))
    if np.isfinite(spend.frequency_value_correlation):
        key = (NOTE_CORRELATION_HIGH if abs(spend.frequency_value_correlation) > gamma_gamma.CORRELATION_WARNING
               else NOTE_CORRELATION)
        notes.append(("clv_model", "expected_value", key, f"{spend.frequency_value_correlation:.3f}"))
    single = x == 0
    if fit.converged and single.any():
        notes.append(("tiers", "p_alive", NOTE_SINGLE_PURCHASE, str(int(single.sum()))))

    # every prediction depends on (x, t_x, T) only: compute once per distinct row
    ux, ut, uT, inverse = bgnbd.unique_histories(x, t_x, T)
    alive = bgnbd.p_alive(fit, ux, ut, uT)[inverse]
    months = [month * DAYS_PER_MONTH for month in range(1, settings.clv_months + 1)]
    horizons = [settings.expected_days_short, settings.expected_days_long, *months]
    by_horizon = bgnbd.expected_purchases_by_horizon(fit, horizons, ux, ut, uT)
    short, long_ = by_horizon[0][inverse], by_horizon[1][inverse]
    discounted = discounted_purchases(by_horizon[2:], settings.discount_rate)
    expected = gamma_gamma.expected_value(spend, x, value)
    predicted = discounted[inverse] * expected
    losing = (x > 0) & ~(value > 0)
    if fit.converged and spend.converged:
        predicted = np.where(losing, 0.0, predicted)  # never a negative or NaN CLV for them
    predicted = np.where(np.isfinite(predicted), np.maximum(predicted, 0.0), np.nan)
    customers = pd.DataFrame(
        {
            CUSTOMER_ID: ids,
            "p_alive": alive,
            "single_purchase": single,
            "expected_purchases_short": short,
            "expected_purchases_long": long_,
            "expected_value": expected,
            "predicted_clv": predicted,
        },
        index=pd.Index(ids, name=None),
    )
    return ClvPredictions(customers, _parameters(fit, spend, as_of), model_notes(notes))


def no_predictions(summary: pd.DataFrame) -> ClvPredictions:
    """The models switched off (``clv_models`` False): blank columns and a note."""
    ids = summary.loc[summary["first_purchase"].notna(), CUSTOMER_ID].astype("str").to_numpy()
    customers = pd.DataFrame({CUSTOMER_ID: ids}, index=pd.Index(ids))
    for name in PREDICTION_COLUMNS[1:]:
        customers[name] = np.nan
    customers["single_purchase"] = summary.loc[summary["first_purchase"].notna(), "repeat_purchases"].to_numpy() == 0
    return ClvPredictions(customers, pd.DataFrame(columns=list(PARAMETER_COLUMNS)),
                          model_notes([("clv_model", "", NOTE_MODELS_OFF, "")]))


def _parameters(fit, spend, as_of: pd.Timestamp) -> pd.DataFrame:
    """The fitted parameters, one row each: BG/NBD r, alpha (days), a, b, log-likelihood,
    customers, repeat customers, converged (1/0); Gamma-Gamma p, q, v, log-likelihood,
    customers, excluded, frequency-value correlation, converged; the calibration date."""
    rows = [
        ("BG/NBD", "r", fit.r), ("BG/NBD", "alpha_days", fit.alpha), ("BG/NBD", "a", fit.a),
        ("BG/NBD", "b", fit.b), ("BG/NBD", "log_likelihood", fit.log_likelihood),
        ("BG/NBD", "customers", fit.customers), ("BG/NBD", "repeat_customers", fit.repeat_customers),
        ("BG/NBD", "converged", int(fit.converged)),
        ("Gamma-Gamma", "p", spend.p), ("Gamma-Gamma", "q", spend.q), ("Gamma-Gamma", "v", spend.v),
        ("Gamma-Gamma", "log_likelihood", spend.log_likelihood),
        ("Gamma-Gamma", "customers", spend.customers), ("Gamma-Gamma", "excluded", spend.excluded),
        ("Gamma-Gamma", "frequency_value_correlation", spend.frequency_value_correlation),
        ("Gamma-Gamma", "converged", int(spend.converged)),
        ("both", "calibration_date", pd.Timestamp(as_of).normalize()),
    ]
    return pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
