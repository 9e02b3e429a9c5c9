"""The continuous Bernoulli: a normalised density for values in [0, 1]."""

import numpy as np
from scipy import special, stats

from ._base import NoiseModel
from ._links import LogisticLink
from ._stats import weighted_mean

# Below this |logit|, the log-normaliser and the mean are evaluated by their Taylor
# series: the closed forms cancel catastrophically near 0.
_SERIES_BELOW = 1e-2


def _log_normaliser(r):
    """``A(r) = log int_0^1 e^(r x) dx = log(expm1(r) / r)``, stable for every r."""
    small = np.abs(r) < _SERIES_BELOW
    safe = np.where(small, 1.0, r)  # no log(0) on the series' entries
    closed = np.maximum(safe, 0) + np.log(-np.expm1(-np.abs(safe))) - np.log(np.abs(safe))
    r2 = r * r
    return np.where(small, r / 2 + r2 / 24 - r2 * r2 / 2880, closed)


def _variance(r):
    """``A''(r) = 1 / r^2 - 1 / (4 sinh(r / 2)^2)``, the variance."""
    small = np.abs(r) < _SERIES_BELOW
    safe = np.where(small, 1.0, r)
    closed = 1 / safe**2 - 1 / (4 * np.sinh(safe / 2) ** 2)
    return np.where(small, 1 / 12 - r * r / 240, closed)


def _mean(r):
    """``A'(r) = 1 / (1 - e^-r) - 1 / r``, the mean of the density ``e^(r x - A(r))``."""
    small = np.abs(r) < _SERIES_BELOW
    safe = np.where(small, 1.0, r)
    closed = -1 / np.expm1(-safe) - 1 / safe
    return np.where(small, 0.5 + r / 12 - r * r * r / 720, closed)


class _ContinuousBernoulliGen(stats.rv_continuous):
    """The continuous Bernoulli of Loaiza-Ganem & Cunningham (2019) in their
    parametrisation: ``p(x | lam) = C(lam) lam^x (1 - lam)^(1 - x)`` on [0, 1] with
    ``C(lam) = 2 atanh(1 - 2 lam) / (1 - 2 lam)`` (and 2 at ``lam = 1/2``)."""

    def _argcheck(self, lam):
        return (lam > 0) & (lam < 1)

    def _log_c(self, lam):
        t = 1 - 2 * lam
        near_half = np.abs(t) < 1e-4
        safe = np.where(near_half, 0.5, t)
        return np.where(near_half, np.log(2) + t * t / 3,
                        np.log(2 * np.arctanh(safe) / safe))

    def _logpdf(self, x, lam):
        return self._log_c(lam) + special.xlogy(x, lam) + special.xlog1py(1 - x, -lam)

    def _pdf(self, x, lam):
        return np.exp(self._logpdf(x, lam))

    def _cdf(self, x, lam):
        r = special.logit(lam)
        uniform = np.abs(r) < 1e-8
        safe = np.where(uniform, 1.0, r)
        return np.where(uniform, x, np.expm1(safe * x) / np.expm1(safe))

    def _ppf(self, q, lam):
        r = special.logit(lam)
        uniform = np.abs(r) < 1e-8
        safe = np.where(uniform, 1.0, r)
        return np.where(uniform, q, np.log1p(q * np.expm1(safe)) / safe)

    def _stats(self, lam):
        r = special.logit(lam)
        return _mean(r), _variance(r), None, None


continuous_bernoulli = _ContinuousBernoulliGen(a=0.0, b=1.0, name="continuous_bernoulli")


class ContinuousBernoulli(NoiseModel):
    """Continuous Bernoulli noise for values in [0, 1] such as grey levels.

    Loaiza-Ganem & Cunningham (NeurIPS 2019): the binary cross-entropy of a value
    ``x`` in [0, 1] is not the log of a normalised density on [0, 1]. Normalised, it is

    .. math:: p(x \\mid \\lambda) = C(\\lambda)\\, \\lambda^x (1 - \\lambda)^{1 - x}
              = e^{r x - A(r)}, \\qquad A(r) = \\log \\frac{e^r - 1}{r}

    with the logit ``r = logit(lambda)`` as raw output: an exponential family whose
    natural parameter is ``r``, so the NLL is ``A(r) - x r``, the gradient is
    ``E[x] - x`` and ``E[x] = 1 / (1 - e^{-r}) - 1 / r`` (not ``lambda``).
    :meth:`mean` returns that mean, the best reconstruction in squared error.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import ContinuousBernoulli
    >>> ContinuousBernoulli().nll(np.array([[0.3]]), np.zeros((1, 1)))  # uniform
    array([0.])
    """

    param_names = ("lam",)
    support = "unit_interval"
    _link = LogisticLink()

    def _params(self, raw, n_targets):
        return {"lam": self._link.forward(raw)}

    def _nll_terms(self, y, raw, grad):
        np.subtract(_mean(raw), y, out=grad)
        return _log_normaliser(raw) - y * raw

    def _mean(self, params):
        lam = params["lam"]
        return _mean(special.logit(lam)).astype(lam.dtype, copy=False)

    def mean(self, raw):
        # from the logit itself: lam rounds to 0 or 1 long before the mean does
        return _mean(np.asarray(raw))

    def _initial_raw(self, y, sample_weight):
        # the logit whose mean is the marginal mean, by Newton's method on A'(r) = m
        target = np.clip(weighted_mean(y, sample_weight), 0.01, 0.99)
        r = np.zeros_like(target, dtype=float)
        for _ in range(50):
            r -= (_mean(r) - target) / np.maximum(_variance(r), 1e-6)
        return [r]

    def _scipy(self, params):
        return continuous_bernoulli(params["lam"])

