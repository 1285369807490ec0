"""BG/NBD: who is still buying and how often (Fader, Hardie & Lee 2005, "Counting your customers
the easy way").

Per customer the model reads three numbers from the customer summary, with time in days:
``x`` = repeat purchase days (``repeat_purchases``), ``t_x`` = days from the first to the last
purchase (``model_recency_days`` -- not the RFM recency) and ``T`` = days from the first
purchase to the analysis date (``age_days``). While "alive", a customer buys at a Poisson rate
that varies across customers as Gamma(r, alpha); after any purchase they drop out with a
probability p that varies across customers as Beta(a, b). Parameters r, alpha (days), a, b are
fitted by maximum likelihood.

By construction a customer with no repeat purchase has P(alive) = 1: the model has seen no
purchase after which they could have dropped out. ``p_alive`` returns 1 for them and the
pipeline flags them (``single_purchase``) so nobody reads it as "certainly active".
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .clv_fits import BgNbdFit

MIN_REPEAT_CUSTOMERS = 10  # fewer customers with a repeat purchase: the fit is not attempted
REASON_TOO_FEW_REPEAT = "too_few_repeat_customers"
REASON_NO_CONVERGENCE = "no_convergence"
REASON_NO_DATA = "no_customers"
LOG_PARAMETER_LIMIT = 12.0  # |ln parameter| beyond this: the optimum is at 0 or infinity
GRADIENT_TOLERANCE = 1e-6  # on the mean log-likelihood per customer, log-parameters


def fit_bgnbd(x, t_x, T, weights=None) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit on per-customer ``x`` (repeat purchases), ``t_x`` and ``T``
    (same time unit; the fitted ``alpha`` is in that unit). Rows with a missing value are left
    out. Identical (x, t_x, T) rows are aggregated with weights, so the cost grows with the
    number of distinct rows, not customers."""
    x, t_x, T, w = _clean(x, t_x, T, weights)
    customers = int(w.sum())
    repeat = int(w[x > 0].sum())
    if customers == 0:
        return _failed(customers, repeat, REASON_NO_DATA)
    if repeat < MIN_REPEAT_CUSTOMERS:
        return _failed(customers, repeat, REASON_TOO_FEW_REPEAT)
    x, t_x, T, w = _unique_rows(x, t_x, T, w)
    # scale time so that alpha starts near 1: the optimiser sees well-conditioned numbers
    scale = float(np.average(T, weights=w)) or 1.0
    ts, Ts = t_x / scale, T / scale
    total = w.sum()
    groups = x_groups(x, w)
    times = _distinct_times(ts), _distinct_times(Ts)

    def objective(log_params):
        value, gradient = _log_likelihood_and_gradient(np.exp(log_params), x, ts, Ts, w, groups=groups,
                                                       times=times)
        # minimise the mean negative log-likelihood; gradient with respect to log-parameters
        return -value / total, -gradient * np.exp(log_params) / total

    start = np.zeros(4)
    from scipy import optimize  # a fit only: a kept fit predicts without it (0.4 s to import)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(objective, start, jac=True, method="BFGS",
                                   options={"maxiter": 500, "gtol": 1e-8})
    r, alpha, a, b = np.exp(result.x)
    alpha *= scale
    log_likelihood = bgnbd_log_likelihood((r, alpha, a, b), x, t_x, T, w)
    at_bound = not np.all(np.abs(result.x) < LOG_PARAMETER_LIMIT)  # ran off to 0 or infinity
    if not (optimum_found(result) and np.isfinite(log_likelihood)) or at_bound:
        return _failed(customers, repeat, REASON_NO_CONVERGENCE)
    return BgNbdFit(float(r), float(alpha), float(a), float(b), float(log_likelihood),
                    customers, repeat, True)


def optimum_found(result) -> bool:
    """The optimiser stopped at an optimum: it says so, or the gradient of the mean
    log-likelihood is ~0 (BFGS can report a failed line search at a flat optimum).
    BFGS rather than L-BFGS-B: with 4 parameters it needs no bounds (log-parameters) and
    its small matrix work stays out of a threaded BLAS, which stalls on a busy machine."""
    gradient = np.asarray(getattr(result, "jac", np.nan), dtype="float64")
    return bool(result.success) or bool(np.all(np.isfinite(gradient)) and np.max(np.abs(gradient)) < GRADIENT_TOLERANCE)


def bgnbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
    """Sum of the BG/NBD log-likelihood over customers (weighted), params (r, alpha, a, b)."""
    x, t_x, T, w = (np.asarray(v, dtype="float64") for v in (x, t_x, T, np.ones(len(x)) if weights is None else weights))
    return float(_log_likelihood_and_gradient(np.asarray(params, dtype="float64"), x, t_x, T, w,
                                              gradient=False)[0])


def _dot(a, b) -> float:
    """Sum of products without BLAS: on a busy machine a threaded BLAS dot product waits for
    its threads longer than it computes."""
    return float(np.add.reduce(np.multiply(a, b)))


def x_groups(x, w):
    """(distinct x, row -> distinct index, weight per distinct x): for terms in x alone."""
    ux, inverse = np.unique(x, return_inverse=True)
    inverse = inverse.ravel()
    return ux, inverse, np.bincount(inverse, weights=w, minlength=len(ux))


def _distinct_times(values):
    """(distinct values, row -> distinct index): for terms in one time alone."""
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, inverse.ravel()


def _log_likelihood_and_gradient(params, x, t_x, T, w, gradient=True, groups=None, times=None):
    """log L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
    + ln[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)], the last term by log-add-exp.
    Terms that depend on x alone are computed once per distinct x (few) and weighted;
    with ``times`` (``_distinct_times`` of t_x and of T: whole days, a few hundred each), alpha + t
    and its log once per distinct time (the same numbers, gathered)."""
    r, alpha, a, b = params
    ux, inverse, wx = groups if groups is not None else x_groups(x, w)
    # per distinct x
    x_terms = (special.gammaln(r + ux) - special.gammaln(r) + r * np.log(alpha)
               + special.gammaln(a + b) + special.gammaln(b + ux) - special.gammaln(b)
               - special.gammaln(a + b + ux))
    repeat_u = ux > 0
    bx1_u = np.where(repeat_u, b + ux - 1, 1.0)
    log_a_bx1 = np.where(repeat_u, np.log(a) - np.log(bx1_u), -np.inf)
    # per row
    rx = r + x
    if times is None:
        alpha_t, alpha_T = alpha + t_x, alpha + T
        log_t, log_T = np.log(alpha_t), np.log(alpha_T)
    else:
        (ut, t_inverse), (uT, T_inverse) = times
        alpha_t, alpha_T = (alpha + ut)[t_inverse], (alpha + uT)[T_inverse]
        log_t, log_T = np.log(alpha + ut)[t_inverse], np.log(alpha + uT)[T_inverse]
    a3 = -rx * log_T
    gap = log_a_bx1[inverse] + rx * (log_T - log_t)  # a4 - a3; -inf without a repeat purchase
    mix = a3 + np.logaddexp(0.0, gap)
    value = _dot(wx, x_terms) + _dot(w, mix)
    if not gradient:
        return value, None
    w4 = special.expit(gap)  # the share of the second term; 0 without a repeat purchase
    w3 = 1.0 - w4
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + ux)
    d_r = _dot(wx, special.digamma(r + ux) - special.digamma(r) + np.log(alpha)) \
        - _dot(w, w3 * log_T + w4 * log_t)
    d_alpha = r / alpha * wx.sum() - _dot(w, rx * (w3 / alpha_T + w4 / alpha_t))
    w4_by_x = np.bincount(inverse, weights=w * w4, minlength=len(ux))
    d_a = _dot(wx, psi_ab - psi_abx) + w4_by_x.sum() / a
    d_b = _dot(wx, psi_ab + special.digamma(b + ux) - special.digamma(b) - psi_abx) \
        - _dot(w4_by_x, 1 / bx1_u)
    return value, np.array([d_r, d_alpha, d_a, d_b])


def p_alive(fit: BgNbdFit, x, t_x, T) -> np.ndarray:
    """P(alive) 0..1 at T: 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
    1 for a customer without a repeat purchase (by the model's construction); NaN when the fit
    did not converge or an input is missing."""
    x, t_x, T = (np.asarray(v, dtype="float64") for v in (x, t_x, T))
    if not fit.converged:
        return np.full(x.shape, np.nan)
    r, alpha, a, b = fit.parameters
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        alive = np.where(x > 0, special.expit(-log_odds), 1.0)
    return np.where(np.isnan(x + t_x + T), np.nan, alive)


def expected_purchases(fit: BgNbdFit, t, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next ``t`` days of a customer with history (x, t_x, T):

    E[Y(t)] = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
              / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

    (Fader, Hardie & Lee 2005, eq. 10). NaN when the fit did not converge or an input is missing.
    """
    x, t_x, T = (np.asarray(v, dtype="float64") for v in (x, t_x, T))
    t = np.asarray(t, dtype="float64")
    if not fit.converged:
        return np.full(np.broadcast(x, t).shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        expected = _purchases_if_alive(fit, t, x, T) / _alive_odds(fit, x, t_x, T)
    return np.where(np.isfinite(expected), np.maximum(expected, 0.0), np.nan)


def expected_purchases_by_horizon(fit: BgNbdFit, horizons, x, t_x, T) -> np.ndarray:
    """``expected_purchases`` for several horizons at once: row k is ``horizons[k]`` days.

    The same formula, computed where it is cheap: the bracket with the hypergeometric function
    depends on (x, T, t) only, so it is evaluated once per distinct (x, T) pair (far fewer
    than customers: T and x are whole days) for all horizons in one call; the P(alive)
    denominator depends on (x, t_x, T) only and is computed once per row."""
    x, t_x, T = (np.asarray(v, dtype="float64").ravel() for v in (x, t_x, T))
    t = np.asarray(horizons, dtype="float64").reshape(-1, 1)
    if not fit.converged:
        return np.full((len(t), len(x)), np.nan)
    px, pT, pair = _pairs(x, T)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        expected = _purchases_if_alive(fit, t, px, pT)[:, pair] / _alive_odds(fit, x, t_x, T)
    return np.where(np.isfinite(expected), np.maximum(expected, 0.0), np.nan)


def _purchases_if_alive(fit: BgNbdFit, t, x, T) -> np.ndarray:
    """The numerator of ``expected_purchases``: (a+b+x-1)/(a-1) [1 - (...)^(r+x) 2F1(...)]."""
    r, alpha, a, b = fit.parameters
    if abs(a - 1) < 1e-8:
        a = 1 + 1e-8  # the formula has a removable singularity at a = 1
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    inner = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
    return (a + b + x - 1) / (a - 1) * inner


def _alive_odds(fit: BgNbdFit, x, t_x, T) -> np.ndarray:
    """1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x): 1 / P(alive)."""
    r, alpha, a, b = fit.parameters
    log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return 1 + np.where(x > 0, np.exp(log_odds), 0.0)


def _pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, T) pairs and each row's index among them (NaN rows included)."""
    finite = np.isfinite(x) & np.isfinite(T)
    if finite.all() and len(x) and np.array_equal(x, np.floor(x)) and np.array_equal(T, np.floor(T)) \
            and 0 <= x.min() and x.max() < 2**20 and 0 <= T.min() and T.max() < 2**20:
        span = np.int64(T.max()) + 1  # whole days: one packed int64 key per row
        keys, pair = np.unique(x.astype(np.int64) * span + T.astype(np.int64), return_inverse=True)
        px, pT = np.divmod(keys, span)
        return px.astype("float64"), pT.astype("float64"), pair.ravel()
    rows, pair = np.unique(np.column_stack([x, T]), axis=0, return_inverse=True)
    return rows[:, 0], rows[:, 1], pair.ravel()


def _clean(x, t_x, T, weights):
    x, t_x, T = (np.asarray(v, dtype="float64").ravel() for v in (x, t_x, T))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    keep = np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T) & (x >= 0) & (t_x >= 0) & (T >= t_x) & (w > 0)
    return x[keep], t_x[keep], T[keep], w[keep]


def unique_histories(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, t_x, T) rows and each input row's index among them (x, t_x, T finite)."""
    x, t_x, T = (np.asarray(v, dtype="float64") for v in (x, t_x, T))
    ux, ut, uT, _, inverse = _distinct(x, t_x, T, np.ones(len(x)))
    return ux, ut, uT, inverse


def _unique_rows(x, t_x, T, w):
    ux, ut, uT, weights, _ = _distinct(x, t_x, T, w)
    return ux, ut, uT, weights


def _distinct(x, t_x, T, w):
    whole = all(np.array_equal(v, np.floor(v)) for v in (x, t_x, T)) and len(x) and T.max() < 2**20 and x.max() < 2**20
    if whole:
        # whole days: one packed int64 key per row, far quicker than a unique over rows
        span_t = np.int64(T.max()) + 1
        key = (x.astype(np.int64) * span_t + t_x.astype(np.int64)) * span_t + T.astype(np.int64)
        keys, inverse = np.unique(key, return_inverse=True)
        weights = np.bincount(inverse.ravel(), weights=w, minlength=len(keys))
        ux, rest = np.divmod(keys, span_t * span_t)
        ut, uT = np.divmod(rest, span_t)
        return ux.astype("float64"), ut.astype("float64"), uT.astype("float64"), weights, inverse.ravel()
    rows, inverse = np.unique(np.column_stack([x, t_x, T]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    weights = np.bincount(inverse, weights=w, minlength=len(rows))
    return rows[:, 0], rows[:, 1], rows[:, 2], weights, inverse


def _failed(customers: int, repeat: int, reason: str) -> BgNbdFit:
    nan = float("nan")
    return BgNbdFit(nan, nan, nan, nan, nan, customers, repeat, False, reason)
