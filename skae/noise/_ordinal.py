"""Ordinal noise: ordered levels under a cumulative-logit likelihood."""

from numbers import Integral

import numpy as np
from scipy import special, stats
from sklearn.utils import check_random_state

from ._base import NoiseModel, describe_values
from ._stats import weighted_mean

# Smallest gap between consecutive cutpoints: keeps every level's probability
# positive when a softplus underflows.
_MIN_GAP = 1e-6
# Generators of the scipy distributions, one per number of levels.
_GENERATORS = {}


def _softplus(x):
    return np.logaddexp(0, x)


def _log_level_probability(lower, upper, width=None):
    """``log P(y = k) = log(sigmoid(c_(k+1)) - sigmoid(c_k))`` from the cutpoints
    below and above the level (``-inf`` / ``+inf`` at the end levels).

    As ``-softplus(-c_(k+1)) - softplus(c_k) + log(1 - e^(-w))`` with the level's
    width ``w = c_(k+1) - c_k``: no difference of two probabilities, which rounds to
    0 once both are near 0 or 1. ``width``, when the caller has it exactly (the
    noise model's gap), replaces ``upper - lower``, which in float32 loses a gap
    below the cutpoints' rounding (a level of probability 0, its NLL infinite).
    """
    if width is None:
        width = upper - lower
    with np.errstate(divide="ignore"):  # equal cutpoints: a level of probability 0
        return -_softplus(-upper) - _softplus(lower) + np.log(-np.expm1(-width))


def _level_widths(gaps):
    """Each level's width from the gaps between consecutive cutpoints (last axis):
    ``+inf`` for the end levels, ``gaps[k - 1]`` for level k between them."""
    inf = np.full(gaps.shape[:-1] + (1,), np.inf, dtype=gaps.dtype)
    return np.concatenate([inf, gaps, inf], axis=-1)


def _padded(cuts):
    """The cutpoints (last axis) between -inf and +inf: level k lies between entries
    k and k + 1."""
    inf = np.full(cuts.shape[:-1] + (1,), np.inf, dtype=cuts.dtype)
    return np.concatenate([-inf, cuts, inf], axis=-1)


def _bounds(padded, k):
    """The cutpoints below and above levels ``k`` (of ``padded``'s shape but its last
    axis)."""
    level = np.asarray(k).astype(np.intp)[..., None]
    return (np.take_along_axis(padded, level, axis=-1)[..., 0],
            np.take_along_axis(padded, level + 1, axis=-1)[..., 0])


def _level_bounds(k, cuts):
    """The cutpoints below and above level ``k`` for cutpoints given one array each
    (scipy's shape parameters), the infinities at the end levels."""
    k, *cuts = np.broadcast_arrays(k, *cuts)
    dtype = np.result_type(cuts[0], np.float32)
    return _bounds(_padded(np.stack(cuts, axis=-1).astype(dtype, copy=False)), k)


class _OrdinalGen(stats.rv_discrete):
    """Levels 0, ..., K-1 with ``P(y <= k) = sigmoid(c_(k+1))`` for non-decreasing
    cutpoints ``c_1 <= ... <= c_(K-1)`` on the logit scale, given as K-1 shape
    parameters.

    Every probability is computed from the cutpoints, not as a difference of
    cumulative probabilities, which round to exactly 0 or 1 far in the tails where
    the level's probability is still positive; the upper tail is taken as
    ``sigmoid(-c)`` rather than ``1 - sigmoid(c)``. Equal cutpoints (a gap that
    rounded away) leave the level between them a probability of 0.
    """

    def _argcheck(self, *cuts):
        ok = np.isfinite(cuts[0])
        for lower, upper in zip(cuts[:-1], cuts[1:]):
            ok = ok & np.isfinite(upper) & (upper >= lower)
        return ok

    def _logpmf(self, k, *cuts):
        return _log_level_probability(*_level_bounds(k, cuts))

    def _pmf(self, k, *cuts):
        return np.exp(self._logpmf(k, *cuts))

    def _cdf(self, k, *cuts):
        return special.expit(_level_bounds(k, cuts)[1])

    def _sf(self, k, *cuts):
        return special.expit(-_level_bounds(k, cuts)[1])

    def _logcdf(self, k, *cuts):
        return -_softplus(-_level_bounds(k, cuts)[1])

    def _logsf(self, k, *cuts):
        return -_softplus(_level_bounds(k, cuts)[1])

    def _ppf(self, q, *cuts):
        # the smallest level whose cdf reaches q
        return sum((special.expit(c) < q).astype(float) for c in cuts)

    def _isf(self, q, *cuts):
        # the smallest level whose sf is at most q
        return sum((special.expit(-c) > q).astype(float) for c in cuts)

    def _stats(self, *cuts):
        cuts = np.broadcast_arrays(*cuts)
        mean = sum(special.expit(-c) for c in cuts)  # sum_k P(y >= k)
        # the variance as sum_k P(y = k) (k - mean)^2, never negative: E[y^2] - mean^2
        # cancels to rounding noise when the mass sits on one level
        variance = sum(self._pmf(np.full(mean.shape, k), *cuts) * (k - mean) ** 2
                       for k in range(len(cuts) + 1))
        return mean, variance, None, None


def _generator(n_levels):
    if n_levels not in _GENERATORS:
        shapes = ", ".join(f"c{k}" for k in range(1, n_levels))
        _GENERATORS[n_levels] = _OrdinalGen(a=0, b=n_levels - 1, shapes=shapes,
                                            name=f"ordinal{n_levels}")
    return _GENERATORS[n_levels]


class Ordinal(NoiseModel):
    """Ordinal noise for ordered levels ``0, 1, ..., n_levels - 1`` (cumulative logit).

    Each target column holds level codes. The network outputs ``n_levels - 1`` raw
    values per column, mapped to increasing cutpoints on the logit scale,

    .. math:: c_1 = r_1, \\qquad c_k = c_{k-1} + \\operatorname{softplus}(r_k) + 10^{-6},

    and the levels' probabilities are differences of the cumulative logits

    .. math:: P(y \\le k) = \\sigma(c_{k+1}), \\qquad
              -\\log P(y = k) = \\operatorname{softplus}(-c_{k+1})
              + \\operatorname{softplus}(c_k) - \\log\\big(1 - e^{c_k - c_{k+1}}\\big)

    with ``c_0 = -inf`` and ``c_K = +inf``: computed from logits, with no difference
    of two probabilities that could cancel. This is the cumulative-logit model of
    McCullagh (1980); its proportional-odds special case has cutpoints that differ
    from sample to sample only by a common shift, which the network may learn but is
    not constrained to. :meth:`mean` is the expected level; the mode is
    ``argmax`` of :meth:`level_probabilities`.

    Parameters
    ----------
    n_levels : int, default=3
        Number of ordered levels K (at least 2).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import Ordinal
    >>> noise = Ordinal(n_levels=3)
    >>> noise.n_raw(1)
    2
    >>> raw = np.array([[0.0, np.log(np.e - 1)]])  # cutpoints 0 and 1
    >>> np.round(noise.level_probabilities(raw), 3)
    array([[[0.5  , 0.231, 0.269]]])
    """

    support = "ordinal"

    def __init__(self, n_levels=3):
        self.n_levels = n_levels

    def _k(self):
        if not isinstance(self.n_levels, Integral) or isinstance(self.n_levels, bool) or \
                self.n_levels < 2:
            raise ValueError(f"Ordinal: n_levels must be an int >= 2; got {self.n_levels!r}.")
        return int(self.n_levels)

    @property
    def param_names(self):
        return tuple(f"cut{k}" for k in range(1, self._k()))

    # ------------------------------------------------------------- targets
    def _outside_support(self, y):
        return (y < 0) | (y > self._k() - 1) | (y != np.round(y))

    def _support_message(self, y, outside):
        return (f"Ordinal noise requires integer levels 0, ..., {self._k() - 1} "
                f"(n_levels={self._k()}); got {outside.sum()} values outside them: "
                f"{describe_values(y[outside])}.")

    # --------------------------------------------------------- the likelihood
    def _cutpoints(self, raw, n_targets):
        """Cutpoints of shape (n_samples, n_targets, K - 1), the gaps between them
        ``c_k - c_(k-1)`` for k >= 2 as computed (not as differences of the rounded
        cutpoints), and the softplus derivatives ``d c_k / d r_k`` for k >= 2."""
        raw = raw.reshape(raw.shape[0], self._k() - 1, n_targets).transpose(0, 2, 1)
        gaps = _softplus(raw[..., 1:]) + _MIN_GAP
        cuts = np.concatenate([raw[..., :1], gaps], axis=2).cumsum(axis=2)
        return cuts, gaps, special.expit(raw[..., 1:])

    def _params(self, raw, n_targets):
        cuts = self._cutpoints(raw, n_targets)[0]
        return {f"cut{k + 1}": cuts[..., k] for k in range(cuts.shape[2])}

    def _nll_terms(self, y, raw, grad):
        n, d = y.shape
        cuts, gaps, gap_slope = self._cutpoints(raw, d)
        level = y.astype(np.intp)
        lower, upper = _bounds(_padded(cuts), y)
        width = np.take_along_axis(_level_widths(gaps), level[..., None], axis=-1)[..., 0]
        terms = -_log_level_probability(lower, upper, width)
        # d NLL / d c_j at fixed width: c_j is the upper cutpoint of level j - 1 and
        # the lower one of level j (0-based cutpoint index j - 1 against the level)
        index = np.arange(cuts.shape[2])
        d_cuts = (np.where(index == level[..., None] - 1, special.expit(lower)[..., None], 0)
                  - np.where(index == level[..., None], special.expit(-upper)[..., None], 0))
        # c_j depends on r_1 and on r_k (k <= j) through softplus: reverse cumulative sums
        d_raw = np.flip(np.flip(d_cuts, axis=2).cumsum(axis=2), axis=2).astype(cuts.dtype,
                                                                                 copy=False)
        # the width term, d(-log(1 - e^-w))/dw = -1 / (e^w - 1), acts on the level's own
        # gap only: added there, not as +/- the same large number on both cutpoints
        # (which cancelled to NaN or to rounding noise in float32 on a tiny gap)
        with np.errstate(over="ignore"):
            inverse = 1 / np.expm1(width)  # 0 at the end levels
        np.subtract(d_raw, inverse[..., None], out=d_raw, where=index == level[..., None])
        d_raw[..., 1:] *= gap_slope
        grad[...] = d_raw.transpose(0, 2, 1).reshape(n, -1)
        return terms

    # ------------------------------------------------------ the distribution
    def level_probabilities(self, raw):
        """``P(y = k)`` of every level, shape (n_samples, n_targets, n_levels)."""
        raw = np.asarray(raw)
        cuts, gaps, _ = self._cutpoints(raw, self._n_targets(raw))
        padded = _padded(cuts)
        return np.exp(_log_level_probability(padded[..., :-1], padded[..., 1:],
                                             _level_widths(gaps)))

    def mode(self, raw):
        """The most probable level, shape (n_samples, n_targets)."""
        return self.level_probabilities(raw).argmax(axis=2).astype(np.asarray(raw).dtype)

    def mean(self, raw):
        """The expected level ``sum_k P(y >= k) = sum_k sigmoid(-c_k)``."""
        raw = np.asarray(raw)
        cuts = self._cutpoints(raw, self._n_targets(raw))[0]
        return special.expit(-cuts).sum(axis=2)

    def _scipy(self, params):
        cuts = [params[name] for name in self.param_names]
        return _generator(self._k())(*cuts)

    def sample(self, raw, n_samples=1, random_state=None):
        """Draws of the levels, shape (n_draws, n_samples, n_targets)."""
        raw = np.asarray(raw)
        cuts = self._cutpoints(raw, self._n_targets(raw))[0]
        u = check_random_state(random_state).random_sample((n_samples,) + cuts.shape[:2])
        levels = (special.expit(cuts)[None] < u[..., None]).sum(axis=3)
        return levels.astype(raw.dtype)

    def _initial_raw(self, y, sample_weight):
        # cutpoints at the logits of the marginal cumulative frequencies
        k = self._k()
        levels = np.clip(np.round(y), 0, k - 1)
        frequencies = np.stack([weighted_mean(levels == j, sample_weight)
                                for j in range(k)])  # (K, n_targets)
        frequencies = (frequencies + 1e-3) / (1 + k * 1e-3)
        cuts = special.logit(np.clip(np.cumsum(frequencies, axis=0)[:-1], 1e-6, 1 - 1e-6))
        gaps = np.maximum(np.diff(cuts, axis=0) - _MIN_GAP, 1e-3)
        raw_gaps = gaps + np.log(-np.expm1(-gaps))  # inverse softplus
        return [cuts[0], *raw_gaps]
