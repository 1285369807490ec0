"""The fitted CLV models' parameters (``bgnbd.fit_bgnbd``, ``gamma_gamma.fit_gamma_gamma``).

Kept apart from the models' arithmetic so that fits kept with the prepared lines
(``pipeline.PreparedLines.fitted``) can be unpickled without importing scipy: a refresh whose
predictions are kept too never needs it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BgNbdFit:
    """A BG/NBD fit. ``alpha`` is in days (multiply a fit on weeks by 7). ``converged`` False:
    the parameters are NaN and ``reason`` says why (``bgnbd.REASON_*``)."""

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


@dataclass(frozen=True)
class GammaGammaFit:
    """A Gamma-Gamma fit; v in the currency of the values. ``converged`` False: parameters NaN,
    ``reason`` says why (``gamma_gamma.REASON_*``)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int  # customers used in the fit
    excluded: int  # repeat customers left out because their average value is <= 0
    frequency_value_correlation: float
    converged: bool
    reason: str = ""
