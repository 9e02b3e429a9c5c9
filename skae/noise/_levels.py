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


def _float64(x):
    # float32 logits too: the scipy distribution's results are float64 anyway, and a
    # float32 sigmoid or softplus underflows in the tails far sooner
    return np.asarray(x, dtype=np.float64)


def _smallest_level(reaches, n):
    """The smallest ``k`` in ``0..n`` with ``reaches(k)``, by bisection, for a
    predicate that is monotone in ``k`` and true at ``n``."""
    n = np.asarray(n, dtype=np.float64)
    below = np.full(n.shape, -1.0)  # reaches(below) is false, reaches(above) true
    above = n.copy()
    for _ in range(int(np.ceil(np.log2(np.max(n, initial=0) + 1)))):
        open_ = above - below > 1
        middle = np.floor((below + above) / 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            hit = reaches(np.where(open_, middle, 0.0))
        above = np.where(open_ & hit, middle, above)
        below = np.where(open_ & ~hit, middle, below)
    return above


class _BinomialLogitGen(stats.rv_discrete):
    """The binomial distribution of ``0..n`` parametrised by the logit ``r`` of its
    success probability:

    .. math:: \\log P(y = k) = \\log \\binom{n}{k} - k \\operatorname{softplus}(-r)
              - (n - k) \\operatorname{softplus}(r).

    Not by ``p``: ``expit(r)`` rounds to exactly 1 once ``r`` exceeds about 37 (17 in
    float32), where ``log P(y = k < n)`` is still finite. The failure probability is
    taken as ``expit(-r)``, never ``1 - expit(r)``, so each tail of the cdf is a
    regularised incomplete beta function of a probability that did not round:
    ``P(y <= k) = I_q(n - k, k + 1)`` and ``P(y > k) = I_p(k + 1, n - k)``.
    """

    def _argcheck(self, n, logit):
        return (n >= 0) & (n == np.floor(n)) & np.isfinite(logit)

    def _get_support(self, n, logit):
        return self.a, n

    def _logpmf(self, k, n, logit):
        r = _float64(logit)
        log_combinations = (special.gammaln(n + 1) - special.gammaln(k + 1)
                            - special.gammaln(n - k + 1))
        return log_combinations - k * np.logaddexp(0, -r) - (n - k) * np.logaddexp(0, r)

    def _pmf(self, k, n, logit):
        return np.exp(self._logpmf(k, n, logit))

    def _cdf(self, k, n, logit):
        k = np.floor(k)
        return special.betainc(n - k, k + 1, special.expit(-_float64(logit)))

    def _sf(self, k, n, logit):
        k = np.floor(k)
        return special.betainc(k + 1, n - k, special.expit(_float64(logit)))

    def _ppf(self, q, n, logit):
        # the smallest count whose cdf reaches q (the cdf of n is 1)
        q, n, logit = np.broadcast_arrays(q, n, logit)
        return _smallest_level(lambda k: self._cdf(k, n, logit) >= q, n)

    def _isf(self, q, n, logit):
        # the smallest count whose sf is at most q (the sf of n is 0)
        q, n, logit = np.broadcast_arrays(q, n, logit)
        return _smallest_level(lambda k: self._sf(k, n, logit) <= q, n)

    def _rvs(self, n, logit, size=None, random_state=None):
        return random_state.binomial(n, special.expit(_float64(logit)), size)

    def _stats(self, n, logit):
        r = _float64(logit)
        p, q = special.expit(r), special.expit(-r)
        variance = n * p * q  # not n p (1 - p), which is 0 once p rounds to 1
        # once the variance underflows to 0, the shape moments are inf
        with np.errstate(divide="ignore", invalid="ignore"):
            return n * p, variance, (q - p) / np.sqrt(variance), (1 - 6 * p * q) / variance


binomial_logit = _BinomialLogitGen(a=0, shapes="n, logit", name="binomial_logit")


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
    cross-entropy of ``k / n``. :meth:`params` gives ``p`` and the logit; :meth:`dist`
    is parametrised by the logit, since ``p`` rounds to exactly 0 or 1 for ``|r|`` above
    about 37 while the counts below n (or above 0) keep a finite log-probability.

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
        # the logit too: the scipy distribution is built from it, as p rounds
        return {"p": self._link.forward(raw), "logit": raw}

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
        return binomial_logit(self._top(), params["logit"])


class _LevelsGen(stats.rv_discrete):
    """Levels 0, ..., L-1 with probabilities ``softmax(r_0, ..., r_(L-1))``, given by
    their logits (L shape parameters).

    Not by the probabilities: a softmax of logits that differ by more than about 745
    (100 in float32) rounds the least likely levels' probabilities to 0, whose
    log-probability ``r_k - logsumexp(r)`` is still finite. The log-mass is the
    log-softmax; the cdf and sf are sums of the probabilities below and above a level
    taken in logs (``logaddexp``), so neither is ``1 -`` the other.
    """

    def _argcheck(self, *logits):
        ok = np.ones(np.shape(logits[0]), dtype=bool)
        for logit in logits:
            ok = ok & np.isfinite(logit)
        return ok

    @staticmethod
    def _log_probabilities(logits):
        """``log P(y = k)``, shape (L, ...)."""
        return special.log_softmax(_float64(np.stack(np.broadcast_arrays(*logits))), axis=0)

    @staticmethod
    def _at_level(k, by_level):
        """``by_level[k]`` element by element, for levels ``k`` inside ``0..L-1``."""
        k, *columns = np.broadcast_arrays(k, *by_level)
        level = np.clip(k, 0, len(columns) - 1).astype(np.intp)
        return np.take_along_axis(np.stack(columns), level[None], axis=0)[0]

    def _logpmf(self, k, *logits):
        return self._at_level(k, self._log_probabilities(logits))

    def _pmf(self, k, *logits):
        return np.exp(self._logpmf(k, *logits))

    def _log_cdf_by_level(self, logits):
        return np.logaddexp.accumulate(self._log_probabilities(logits), axis=0)

    def _log_sf_by_level(self, logits):
        """``log P(y > k)`` for k = 0..L-1 (``-inf`` at the top level)."""
        log_p = self._log_probabilities(logits)
        above = np.flip(np.logaddexp.accumulate(np.flip(log_p[1:], axis=0), axis=0), axis=0)
        return np.concatenate([above, np.full_like(log_p[:1], -np.inf)])

    def _logcdf(self, k, *logits):
        return self._at_level(np.floor(k), self._log_cdf_by_level(logits))

    def _logsf(self, k, *logits):
        return self._at_level(np.floor(k), self._log_sf_by_level(logits))

    def _cdf(self, k, *logits):
        return np.exp(self._logcdf(k, *logits))

    def _sf(self, k, *logits):
        return np.exp(self._logsf(k, *logits))

    def _ppf(self, q, *logits):
        # the smallest level whose cdf reaches q
        q, *logits = np.broadcast_arrays(q, *logits)
        below = np.exp(self._log_cdf_by_level(logits)[:-1])
        return (below < q).sum(axis=0).astype(float)

    def _isf(self, q, *logits):
        # the smallest level whose sf is at most q
        q, *logits = np.broadcast_arrays(q, *logits)
        above = np.exp(self._log_sf_by_level(logits)[:-1])
        return (above > q).sum(axis=0).astype(float)

    def _stats(self, *logits):
        p = np.exp(self._log_probabilities(logits))
        levels = np.arange(len(logits)).reshape((-1,) + (1,) * (p.ndim - 1))
        mean = (levels * p).sum(axis=0)
        return mean, ((levels - mean) ** 2 * p).sum(axis=0), None, None


_GENERATORS = {}


def _generator(n_levels):
    if n_levels not in _GENERATORS:
        shapes = ", ".join(f"logit{k}" for k in range(n_levels))
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
    one per column, without one-hot encoding. :meth:`params` gives the probabilities
    ``p<k>`` and the logits ``logit<k>``; :meth:`dist` is built from the logits, since a
    softmax rounds the least likely levels' probabilities to 0 while their
    log-probabilities stay finite.

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
        logits = self._logits(raw, n_targets)
        p = special.softmax(logits, axis=1)
        # the logits too: the scipy distribution is built from them, as a softmax
        # rounds the least likely levels' probabilities to 0
        return {**{f"p{k}": p[:, k] for k in range(p.shape[1])},
                **{f"logit{k}": logits[:, k] for k in range(p.shape[1])}}

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
        return _generator(self._k())(*[params[f"logit{k}"] for k in range(self._k())])

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
