"""Noise models for bounded integer levels: Binomial counts and one categorical
distribution over the levels of each column."""

from numbers import Integral

import numpy as np
from scipy import special, stats
from sklearn.utils import check_random_state

from ._base import NoiseModel, describe_values
from ._links import LogisticLink
from ._stats import weighted_mean


def _positive_int(value, name, owner, minimum):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


class _IntegerLevels(NoiseModel):
    """Targets that are integers ``0, 1, ..., top``."""

    support = "ordinal"

    def _top(self):
        raise NotImplementedError

    def _outside_support(self, y):
        return (y < 0) | (y > self._top()) | (y != np.round(y))

    def _support_message(self, y, outside):
        return (f"{type(self).__name__} noise requires integer levels 0, ..., "
                f"{self._top()}; got {outside.sum()} values outside them: "
                f"{describe_values(y[outside])}.")


class Binomial(_IntegerLevels):
    """Binomial noise for bounded counts ``0..n_trials``: ``p = sigmoid(raw)``.

    .. math:: -\\log P(y = k) = n \\operatorname{softplus}(r) - k r
              - \\log \\binom{n}{k}

    with ``r`` the logit of ``p``; its gradient is ``n p - k`` (the canonical link).
    The binomial coefficient is the exact constant, so the likelihood is a normalised
    distribution of the counts (e.g. grey levels 0..16), unlike Bernoulli's
    cross-entropy of ``k / n``.

    Parameters
    ----------
    n_trials : int, default=1
        The largest count n (1 is the Bernoulli distribution of binary data).
    """

    param_names = ("p",)
    _link = LogisticLink()

    def __init__(self, n_trials=1):
        self.n_trials = n_trials

    def _top(self):
        return _positive_int(self.n_trials, "n_trials", "Binomial", 1)

    def _params(self, raw, n_targets):
        return {"p": self._link.forward(raw)}

    def _nll_terms(self, y, raw, grad):
        n = raw.dtype.type(self._top())
        special.expit(raw, out=grad)
        terms = n * np.logaddexp(0, raw) - y * raw
        grad *= n
        grad -= y
        return terms

    def _constant_terms(self, y):
        n = self._top()
        return (special.gammaln(y + 1) + special.gammaln(n - y + 1)
                - special.gammaln(n + 1)).astype(y.dtype, copy=False)

    def _mean(self, params):
        return self._top() * params["p"]

    def _initial_raw(self, y, sample_weight):
        return [self._link.inverse(weighted_mean(y, sample_weight) / self._top())]

    def _scipy(self, params):
        return stats.binom(self._top(), params["p"])


class _LevelsGen(stats.rv_discrete):
    """Levels 0, ..., L-1 with probabilities ``p_0, ..., p_(L-1)`` (L shape
    parameters)."""

    def _argcheck(self, *p):
        ok = np.ones(np.shape(p[0]), dtype=bool)
        for p_k in p:
            ok = ok & (np.asarray(p_k) >= 0)
        return ok

    def _pmf(self, k, *p):
        k = np.asarray(k).astype(int)
        return np.choose(np.clip(k, 0, len(p) - 1), p) * ((k >= 0) & (k < len(p)))

    def _cdf(self, k, *p):
        k = np.floor(k).astype(int)
        cumulative = np.cumsum(np.stack(np.broadcast_arrays(*p)), axis=0)
        return np.choose(np.clip(k, 0, len(p) - 1), cumulative) * (k >= 0)

    def _stats(self, *p):
        levels = np.arange(len(p)).reshape((-1,) + (1,) * np.ndim(p[0]))
        p = np.stack(np.broadcast_arrays(*p))
        mean = (levels * p).sum(axis=0)
        return mean, ((levels - mean) ** 2 * p).sum(axis=0), None, None


_GENERATORS = {}


def _generator(n_levels):
    if n_levels not in _GENERATORS:
        shapes = ", ".join(f"p{k}" for k in range(n_levels))
        _GENERATORS[n_levels] = _LevelsGen(a=0, b=n_levels - 1, shapes=shapes,
                                           name=f"levels{n_levels}")
    return _GENERATORS[n_levels]


class CategoricalLevels(_IntegerLevels):
    """A categorical distribution over the integer levels ``0..n_levels-1`` of each
    column.

    Each target column holds a level code; the network outputs ``n_levels`` logits per
    column (``raw[:, k * d + j]`` is the logit of level k in column j), turned into
    probabilities by a softmax within the column:

    .. math:: -\\log P(y_j = k) = \\log \\sum_l e^{r_{lj}} - r_{kj}

    with gradient ``P(y_j = l) - 1{l = k}``. Unlike :class:`Ordinal` it knows no order
    of the levels, so it can put mass on two distant levels at once (a pixel that is
    either black or white); unlike :class:`Categorical` it models several variables,
    one per column, without one-hot encoding.

    Parameters
    ----------
    n_levels : int, default=2
        Number of levels L (at least 2).
    """

    ordered_outcomes = False

    def __init__(self, n_levels=2):
        self.n_levels = n_levels

    def _top(self):
        return self._k() - 1

    def _k(self):
        return _positive_int(self.n_levels, "n_levels", "CategoricalLevels", 2)

    @property
    def param_names(self):
        return tuple(f"p{k}" for k in range(self._k()))

    def _logits(self, raw, n_targets):
        """The logits as (n_samples, n_levels, n_targets): a view of ``raw``."""
        return raw.reshape(raw.shape[0], self._k(), n_targets)

    def level_probabilities(self, raw):
        """``P(y = k)`` of every level, shape (n_samples, n_targets, n_levels)."""
        raw = np.asarray(raw)
        logits = self._logits(raw, self._n_targets(raw))
        return special.softmax(logits, axis=1).transpose(0, 2, 1)

    def _params(self, raw, n_targets):
        p = special.softmax(self._logits(raw, n_targets), axis=1)
        return {f"p{k}": p[:, k] for k in range(p.shape[1])}

    def _nll_terms(self, y, raw, grad):
        n, d = y.shape
        logits = self._logits(raw, d)
        top = logits.max(axis=1, keepdims=True)
        shifted = self._logits(grad, d)
        np.subtract(logits, top, out=shifted)
        np.exp(shifted, out=shifted)
        total = shifted.sum(axis=1, keepdims=True)
        shifted /= total  # the probabilities, in grad
        level = y.astype(np.intp)[:, None, :]
        chosen = np.take_along_axis(logits, level, axis=1)[:, 0]
        terms = (top[:, 0] + np.log(total[:, 0])) - chosen
        np.put_along_axis(shifted, level, np.take_along_axis(shifted, level, axis=1) - 1,
                          axis=1)
        return terms

    def _mean(self, params):
        return sum(k * params[f"p{k}"] for k in range(1, self._k()))

    def mean(self, raw):
        """The expected level, shape (n_samples, n_targets)."""
        raw = np.asarray(raw)
        p = special.softmax(self._logits(raw, self._n_targets(raw)), axis=1)
        levels = np.arange(self._k(), dtype=raw.dtype)
        return np.einsum("nkd,k->nd", p, levels)

    def mode(self, raw):
        """The most probable level, shape (n_samples, n_targets)."""
        raw = np.asarray(raw)
        return self._logits(raw, self._n_targets(raw)).argmax(axis=1).astype(raw.dtype)

    def _scipy(self, params):
        return _generator(self._k())(*[params[name] for name in self.param_names])

    def sample(self, raw, n_samples=1, random_state=None):
        """Draws of the levels, shape (n_draws, n_samples, n_targets)."""
        raw = np.asarray(raw)
        p = special.softmax(self._logits(raw, self._n_targets(raw)), axis=1)
        cumulative = np.cumsum(p, axis=1)  # (n, L, d)
        u = check_random_state(random_state).random_sample(
            (n_samples, p.shape[0], 1, p.shape[2]))
        levels = np.minimum((u > cumulative[None]).sum(axis=2), self._k() - 1)
        return levels.astype(raw.dtype)

    def _initial_raw(self, y, sample_weight):
        # the logits of the marginal frequencies, kept off zero
        k = self._k()
        levels = np.clip(np.round(y), 0, k - 1)
        frequencies = np.stack([weighted_mean(levels == j, sample_weight)
                                for j in range(k)])  # (L, n_targets)
        return list(np.log((frequencies + 1e-3) / (1 + k * 1e-3)))
