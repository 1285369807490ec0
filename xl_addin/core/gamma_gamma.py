"""Gamma-Gamma: what a customer's future purchases are worth (Fader, Hardie & Lee 2005, "RFM and
CLV: using iso-value curves"; Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

Per customer with ``x`` >= 1 repeat purchases of average value ``m`` (here: the average
*profit* per repeat purchase day, ``repeat_value`` in the customer summary, so the predicted
CLV is comparable with the profit to date), a purchase's value is Gamma(p, nu) and nu varies
across customers as Gamma(q, v). Parameters p, q, v are fitted by maximum likelihood.

The model needs positive values: customers whose average repeat value is <= 0 (returns,
loss-making) are left out of the fit (``excluded`` counts them) and get no model value. It
also assumes that how often a customer buys says nothing about how much they spend per
purchase: ``frequency_value_correlation`` (Pearson, over the customers fitted) checks it.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .bgnbd import LOG_PARAMETER_LIMIT, optimum_found, x_groups
from .clv_fits import GammaGammaFit

MIN_CUSTOMERS = 10
REASON_TOO_FEW = "too_few_repeat_customers"
REASON_NO_CONVERGENCE = "no_convergence"
REASON_Q_NOT_ABOVE_ONE = "q_not_above_one"  # the mean value p v / (q - 1) would be infinite
CORRELATION_WARNING = 0.3  # |correlation| above this: the independence assumption is doubtful


def fit_gamma_gamma(x, m, weights=None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on repeat customers: ``x`` repeat purchases (>= 1),
    ``m`` their average value. Customers with x = 0 or a missing value are ignored; x >= 1 with
    m <= 0 are counted in ``excluded``."""
    x = np.asarray(x, dtype="float64").ravel()
    m = np.asarray(m, dtype="float64").ravel()
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    repeat = np.isfinite(x) & (x > 0) & np.isfinite(m) & (w > 0)
    excluded = int(w[repeat & (m <= 0)].sum())
    use = repeat & (m > 0)
    x, m, w = x[use], m[use], w[use]
    customers = int(w.sum())
    correlation = _correlation(x, m, w)
    if customers < MIN_CUSTOMERS:
        return _failed(customers, excluded, correlation, REASON_TOO_FEW)
    scale = float(np.average(m, weights=w))  # values near 1 for the optimiser
    ms = m / scale
    total = w.sum()
    groups = x_groups(x, w)
    logs = np.log(ms), np.log(x)  # constants of the fit: computed once, not per evaluation

    def objective(log_params):
        value, gradient = _log_likelihood_and_gradient(np.exp(log_params), x, ms, w, groups=groups,
                                                       logs=logs)
        return -value / total, -gradient * np.exp(log_params) / total

    from scipy import optimize  # a fit only: a kept fit predicts without it (0.4 s to import)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(objective, np.zeros(3), jac=True, method="BFGS",
                                   options={"maxiter": 500, "gtol": 1e-8})
    p, q, v = np.exp(result.x)
    v *= scale
    log_likelihood = gamma_gamma_log_likelihood((p, q, v), x, m, w)
    at_bound = not np.all(np.abs(result.x) < LOG_PARAMETER_LIMIT)  # ran off to 0 or infinity
    if not (optimum_found(result) and np.isfinite(log_likelihood)) or at_bound:
        return _failed(customers, excluded, correlation, REASON_NO_CONVERGENCE)
    if not q > 1:
        return _failed(customers, excluded, correlation, REASON_Q_NOT_ABOVE_ONE)
    return GammaGammaFit(float(p), float(q), float(v), float(log_likelihood), customers, excluded,
                         correlation, True)


def gamma_gamma_log_likelihood(params, x, m, weights=None) -> float:
    """Sum of the Gamma-Gamma log-likelihood of the average values ``m`` over customers."""
    x, m = np.asarray(x, dtype="float64"), np.asarray(m, dtype="float64")
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64")
    return float(_log_likelihood_and_gradient(np.asarray(params, dtype="float64"), x, m, w, gradient=False)[0])


def _dot(a, b) -> float:
    """Sum of products without BLAS: on a busy machine a threaded BLAS dot product waits for
    its threads longer than it computes."""
    return float(np.add.reduce(np.multiply(a, b)))


def _log_likelihood_and_gradient(params, x, m, w, gradient=True, groups=None, logs=None):
    """log L = ln G(px+q) - ln G(px) - ln G(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v).
    The gamma-function terms depend on x alone: computed once per distinct x and weighted.
    ``logs``: (ln m, ln x) when the caller has them."""
    p, q, v = params
    ux, inverse, wx = groups if groups is not None else x_groups(x, w)
    pu = p * ux
    log_m, log_x = logs if logs is not None else (np.log(m), np.log(x))
    log_xm_v = np.log(x * m + v)
    px = p * x
    value = (_dot(wx, special.gammaln(pu + q) - special.gammaln(pu) - special.gammaln(q) + q * np.log(v))
             + _dot(w, (px - 1) * log_m + px * log_x - (px + q) * log_xm_v))
    if not gradient:
        return value, None
    psi_u = special.digamma(pu + q)
    d_p = _dot(wx, ux * (psi_u - special.digamma(pu))) + _dot(w, x * (log_m + log_x - log_xm_v))
    d_q = _dot(wx, psi_u - special.digamma(q) + np.log(v)) - _dot(w, log_xm_v)
    d_v = q / v * wx.sum() - _dot(w, (px + q) / (x * m + v))
    return value, np.array([d_p, d_q, d_v])


def expected_value(fit: GammaGammaFit, x, m) -> np.ndarray:
    """Expected value of a customer's future purchase: p (v + x m) / (p x + q - 1), a weighted
    mix of the population mean p v / (q - 1) and the customer's own average m. A customer
    without a repeat purchase (x = 0, m ignored) gets the population mean. NaN when the fit did
    not converge, or when m <= 0 for a repeat customer (left out of the fit)."""
    x = np.asarray(x, dtype="float64")
    m = np.asarray(m, dtype="float64")
    if not fit.converged:
        return np.full(np.broadcast(x, m).shape, np.nan)
    p, q, v = fit.p, fit.q, fit.v
    repeat = x > 0
    own = np.where(repeat, m, 0.0)
    value = p * (v + np.where(repeat, x, 0.0) * own) / (p * np.where(repeat, x, 0.0) + q - 1)
    return np.where((repeat & ~(m > 0)) | np.isnan(x), np.nan, value)


def _correlation(x, m, w) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(m) == 0:
        return float("nan")
    mx, mm = np.average(x, weights=w), np.average(m, weights=w)
    cov = np.average((x - mx) * (m - mm), weights=w)
    return float(cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((m - mm) ** 2, weights=w)))


def _failed(customers: int, excluded: int, correlation: float, reason: str) -> GammaGammaFit:
    nan = float("nan")
    return GammaGammaFit(nan, nan, nan, nan, customers, excluded, correlation, False, reason)
