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

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

MIN_REPEAT_CUSTOMERS = 10  # fewer customers with a repeat purchase: the fit is not attempted
REASON_TOO_FEW_REPEAT = "too_few_repeat_customers"
REASON_NO_CONVERGENCE = "no_convergence"
REASON_NO_DATA = "no_customers"
GRADIENT_TOLERANCE = 1e-6  # on the mean log-likelihood per customer, log-parameters


@dataclass(frozen=True)
class BgNbdFit:
    """A BG/NBD fit. ``alpha`` is in days (multiply a fit on weeks by 7). ``converged`` False:
    the parameters are NaN and ``reason`` says why (``REASON_*``)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    repeat_customers: int
    converged: bool
    reason: str = ""

    @property
    def parameters(self) -> tuple[float, float, float, float]:
        return self.r, self.alpha, self.a, self.b


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

    def objective(log_params):
        value, gradient = _log_likelihood_and_gradient(np.exp(log_params), x, ts, Ts, w)
        # minimise the mean negative log-likelihood; gradient with respect to log-parameters
        return -value / total, -gradient * np.exp(log_params) / total

    start = np.zeros(4)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                   bounds=[(-12.0, 12.0)] * 4,
                                   options={"maxiter": 500, "ftol": 1e-14, "gtol": 1e-9})
    r, alpha, a, b = np.exp(result.x)
    alpha *= scale
    log_likelihood = bgnbd_log_likelihood((r, alpha, a, b), x, t_x, T, w)
    at_bound = np.any(np.abs(result.x) >= 12.0 - 1e-6)
    if not (optimum_found(result) and np.isfinite(log_likelihood)) or at_bound:
        return _failed(customers, repeat, REASON_NO_CONVERGENCE)
    return BgNbdFit(float(r), float(alpha), float(a), float(b), float(log_likelihood),
                    customers, repeat, True)


def optimum_found(result: optimize.OptimizeResult) -> bool:
    """The optimiser stopped at an optimum: it says so, or the gradient of the mean
    log-likelihood is ~0 (L-BFGS-B can report a failed line search at a flat optimum)."""
    gradient = np.asarray(getattr(result, "jac", np.nan), dtype="float64")
    return bool(result.success) or bool(np.all(np.isfinite(gradient)) and np.max(np.abs(gradient)) < GRADIENT_TOLERANCE)


def bgnbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
    """Sum of the BG/NBD log-likelihood over customers (weighted), params (r, alpha, a, b)."""
    x, t_x, T, w = (np.asarray(v, dtype="float64") for v in (x, t_x, T, np.ones(len(x)) if weights is None else weights))
    return float(_log_likelihood_and_gradient(np.asarray(params, dtype="float64"), x, t_x, T, w,
                                              gradient=False)[0])


def _log_likelihood_and_gradient(params, x, t_x, T, w, gradient=True):
    """log L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
    + ln[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)], the last term by log-add-exp."""
    r, alpha, a, b = params
    repeat = x > 0
    rx = r + x
    a1 = special.gammaln(rx) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -rx * np.log(alpha + T)
    bx1 = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - rx * np.log(alpha + t_x), -np.inf)
    mix = np.logaddexp(a3, a4)
    value = np.sum(w * (a1 + a2 + mix))
    if not gradient:
        return value, None
    w3 = np.exp(a3 - mix)
    w4 = np.exp(a4 - mix)  # 0 without a repeat purchase
    d_r = special.digamma(rx) - special.digamma(r) + np.log(alpha) \
        - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x)
    d_alpha = r / alpha - w3 * rx / (alpha + T) - w4 * rx / (alpha + t_x)
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + x)
    d_a = psi_ab - psi_abx + w4 / a
    d_b = psi_ab + special.digamma(b + x) - special.digamma(b) - psi_abx - w4 / bx1
    return value, np.array([np.sum(w * d) for d in (d_r, d_alpha, d_a, d_b)])


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
    r, alpha, a, b = fit.parameters
    if abs(a - 1) < 1e-8:
        a = 1 + 1e-8  # the formula has a removable singularity at a = 1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        inner = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
        numerator = (a + b + x - 1) / (a - 1) * inner
        log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        denominator = 1 + np.where(x > 0, np.exp(log_odds), 0.0)
        expected = numerator / denominator
    return np.where(np.isfinite(expected), np.maximum(expected, 0.0), np.nan)


def _clean(x, t_x, T, weights):
    x, t_x, T = (np.asarray(v, dtype="float64").ravel() for v in (x, t_x, T))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").ravel()
    keep = np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T) & (x >= 0) & (t_x >= 0) & (T >= t_x) & (w > 0)
    return x[keep], t_x[keep], T[keep], w[keep]


def _unique_rows(x, t_x, T, w):
    rows, inverse = np.unique(np.column_stack([x, t_x, T]), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w, minlength=len(rows))
    return rows[:, 0], rows[:, 1], rows[:, 2], weights


def _failed(customers: int, repeat: int, reason: str) -> BgNbdFit:
    nan = float("nan")
    return BgNbdFit(nan, nan, nan, nan, nan, customers, repeat, False, reason)
