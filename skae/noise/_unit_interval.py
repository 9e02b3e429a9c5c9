"""The continuous Bernoulli: a normalised density for values in [0, 1]."""

import numpy as np
from scipy import stats

from ._base import NoiseModel
from ._links import LogisticLink
from ._stats import weighted_mean

# Below this |logit|, the log-normaliser and the mean are evaluated by their Taylor
# series: the closed forms cancel catastrophically near 0.
_SERIES_BELOW = 1e-2
# Below this |logit|, the cdf and ppf are the uniform's corrected to first order in the
# logit (an error below 1e-16); their closed forms are 0 / 0 at 0.
_UNIFORM_BELOW = 1e-8


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
    """The continuous Bernoulli of Loaiza-Ganem & Cunningham (2019), parametrised by
    its natural parameter, the logit ``r = logit(lam)``:

    .. math:: p(x \\mid r) = e^{r x - A(r)}, \\qquad
              F(x \\mid r) = \\frac{e^{r x} - 1}{e^r - 1} \\quad \\text{on } [0, 1].

    Not by ``lam``: ``expit(r)`` rounds to exactly 0 or 1 once ``|r|`` exceeds about
    37, where the density is still a proper one concentrated near 0 or 1. Every
    formula below is arranged so that no exponential overflows for any finite ``r``;
    the distribution with logit ``r`` is that with ``-r`` mirrored, ``x -> 1 - x``.
    """

    def _argcheck(self, logit):
        return np.isfinite(logit)

    def _logpdf(self, x, logit):
        small = np.abs(logit) < _SERIES_BELOW
        r = np.where(small, 1.0, logit)
        # r x - max(r, 0), as r (x - 1) for r > 0: x - 1 is exact near x = 1, whereas
        # r x - r would lose all digits of a difference that is small beside r
        shifted = np.where(r > 0, -r * (1 - x), r * x)
        closed = shifted + np.log(np.abs(r)) - np.log(-np.expm1(-np.abs(r)))
        near_zero = np.where(small, logit, 0.0)  # no overflow in the unused series
        return np.where(small, near_zero * x - _log_normaliser(near_zero), closed)

    def _pdf(self, x, logit):
        return np.exp(self._logpdf(x, logit))

    def _cdf(self, x, logit):
        small = np.abs(logit) < _UNIFORM_BELOW
        r = np.where(small, -1.0, logit)
        a = np.abs(r)
        # for r > 0, (e^{rx} - 1) / (e^r - 1) with e^r divided out of both
        closed = np.where(r > 0, np.exp(-a * (1 - x)), 1.0) * np.expm1(-a * x) / np.expm1(-a)
        return np.where(small, x + logit * x * (x - 1) / 2, closed)

    def _sf(self, x, logit):
        return self._cdf(1 - x, -logit)

    def _ppf(self, q, logit):
        small = np.abs(logit) < _UNIFORM_BELOW
        large = logit > 1
        r = np.where(small | large, -1.0, logit)
        # x = log(1 + q (e^r - 1)) / r as written up to r = 1; above, where e^r may
        # overflow, in log space: 1 + q (e^r - 1) = e^(r + log q) + (1 - q), a sum that
        # would cancel for r near 0
        direct = np.log1p(q * np.expm1(r)) / r
        r_large = np.where(large, logit, 2.0)
        in_logs = np.logaddexp(r_large + np.log(q), np.log1p(-q)) / r_large
        closed = np.where(large, in_logs, direct)
        return np.where(small, q - logit * q * (q - 1) / 2, closed)

    def _isf(self, q, logit):
        return 1 - self._ppf(q, -logit)

    def _stats(self, logit):
        # beyond |logit| ~ 709 an intermediate e^|logit| overflows to inf, whose
        # reciprocal 0 is then the exact limit
        with np.errstate(over="ignore"):
            return _mean(logit), _variance(logit), None, None


continuous_bernoulli = _ContinuousBernoulliGen(a=0.0, b=1.0, shapes="logit",
                                              name="continuous_bernoulli")


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
    :meth:`params` gives ``lam`` and the logit; :meth:`dist` is parametrised by the
    logit, since ``lam`` rounds to exactly 0 or 1 for ``|r|`` above about 37 while the
    density, concentrated near 0 or 1, is still a proper one.

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
        # the logit too: lam rounds to 0 or 1 long before the distribution degenerates,
        # so the mean and the scipy distribution are computed from the logit
        return {"lam": self._link.forward(raw), "logit": raw}

    def _nll_terms(self, y, raw, grad):
        np.subtract(_mean(raw), y, out=grad)
        return _log_normaliser(raw) - y * raw

    def _mean(self, params):
        return _mean(params["logit"])

    def _initial_raw(self, y, sample_weight):
        # the logit whose mean is the marginal mean, by Newton's method on A'(r) = m
        target = np.clip(weighted_mean(y, sample_weight), 0.01, 0.99)
        r = np.zeros_like(target, dtype=float)
        for _ in range(50):
            r -= (_mean(r) - target) / np.maximum(_variance(r), 1e-6)
        return [r]

    def _scipy(self, params):
        return continuous_bernoulli(params["logit"])

