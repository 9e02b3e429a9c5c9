"""Canonical-link noise models: Bernoulli, Categorical and Poisson.

With its canonical link, an exponential family's NLL has the gradient
``mean - y`` with respect to the raw output: no derivative of the link appears, so
saturated outputs still learn.
"""

import numpy as np
from scipy import special, stats
from sklearn.utils import check_random_state

from ._base import NoiseModel
from ._levels import binomial_logit
from ._links import LogisticLink, LogLink
from ._stats import row_dot, weighted_mean


class Bernoulli(NoiseModel):
    """Bernoulli noise: ``y ~ Bernoulli(p)`` with ``p = sigmoid(raw)``.

    .. math:: -\\log p(y) = -[y \\log p + (1 - y) \\log(1 - p)]
              = \\operatorname{softplus}(r) - y r

    the binary cross-entropy, computed from the logit ``r``; its gradient is
    ``p - y``. Targets may be any value in [0, 1] (e.g. grey levels), for which the
    NLL is the cross-entropy between ``y`` and ``p``; it is a normalised likelihood
    only for binary targets.
    """

    param_names = ("p",)
    support = "unit_interval"
    _link = LogisticLink()

    def _params(self, raw, n_targets):
        # the logit too: the scipy distribution is built from it, as p rounds to 0 or 1
        # (about |raw| > 37) where log P(y) is still finite
        return {"p": self._link.forward(raw), "logit": raw}

    def _nll_terms(self, y, raw, grad):
        p = special.expit(raw, out=grad)
        # softplus(r) = max(r, 0) - log(max(p, 1 - p)): the log of a number in [1/2, 1]
        # loses nothing, and reusing the gradient's sigmoid is cheaper than logaddexp
        terms = np.maximum(raw, 0) - np.log(np.maximum(p, 1 - p)) - y * raw
        grad -= y
        return terms

    def _nll_sum_grad(self, y, raw, grad):
        # the same sums without a (n_samples, n_targets) array of terms
        p = special.expit(raw, out=grad)
        nll = (np.maximum(raw, 0).sum(axis=1) - np.log(np.maximum(p, 1 - p)).sum(axis=1)
               - row_dot(y, raw))
        grad -= y
        return nll

    def _mean(self, params):
        return params["p"]

    def _initial_raw(self, y, sample_weight):
        return [self._link.inverse(weighted_mean(y, sample_weight))]

    def _scipy(self, params):
        return binomial_logit(1, params["logit"])  # one trial

    def _crps(self, y, params):
        # F jumps from 1 - p to 1 at 1: y (1 - p)^2 + (1 - y) p^2, the Brier score
        # (y - p)^2 for binary y
        p = params["p"]
        return y * (1 - p) ** 2 + (1 - y) * p**2


class Categorical(NoiseModel):
    """Categorical (multinoulli) noise over the target columns: ``p = softmax(raw)``.

    Each row of ``y`` is one-hot, or a probability vector, over the ``K`` columns, and
    contributes one likelihood term:

    .. math:: -\\log p(y) = \\log \\sum_k e^{r_k} - \\sum_k y_k r_k

    the softmax cross-entropy, computed by log-sum-exp; its gradient is ``p - y``. A
    row with any missing entry is missing as a whole.
    """

    param_names = ("p",)
    support = "simplex"
    ordered_outcomes = False

    def n_raw(self, n_targets):
        return n_targets

    def n_terms(self, n_targets):
        return 1

    def _n_targets(self, raw):
        return raw.shape[1]

    def _check_target_shape(self, y):
        if y.ndim != 2 or y.shape[1] < 2:
            raise ValueError(
                "Categorical noise requires 2-D targets with one column per class "
                f"(one-hot or probability rows); got shape {y.shape}."
            )

    def _outside_support(self, y):
        tol = 1e-4 if y.dtype == np.float32 else 1e-8
        off_simplex = (y < 0).any(axis=1) | ~np.isclose(y.sum(axis=1), 1, rtol=0, atol=tol)
        return np.broadcast_to(off_simplex[:, None], y.shape)

    def _support_message(self, y, outside):
        rows = np.flatnonzero(outside[:, 0])
        return (
            f"Categorical noise requires non-negative rows that sum to 1 (one-hot or "
            f"probabilities); {rows.size} rows are not, e.g. row {rows[0]}: "
            f"{np.array2string(y[rows[0]], precision=17)}."
        )

    def _fill(self, y, where):
        rows = where.any(axis=1)
        if not rows.any():
            return y
        y = y.copy()
        y[rows] = 1.0 / y.shape[1]
        return y

    def _term_all(self, entry_mask):
        return entry_mask.all(axis=1, keepdims=True)

    def _term_any(self, entry_mask):
        return entry_mask.any(axis=1, keepdims=True)

    def _mask_grad(self, grad, observed):
        grad *= observed

    def _params(self, raw, n_targets):
        return {"p": special.softmax(raw, axis=1)}

    def _nll_terms(self, y, raw, grad):
        # log-sum-exp by hand into the gradient buffer: scipy's logsumexp costs more
        # than the rest of a small batch's step
        peak = raw.max(axis=1, keepdims=True)
        np.subtract(raw, peak, out=grad)
        np.exp(grad, out=grad)
        total = grad.sum(axis=1, keepdims=True)
        grad /= total
        lse = (np.log(total) + peak)[:, 0]
        terms = (lse - row_dot(y, raw))[:, None]
        grad -= y
        return terms

    def _mean(self, params):
        return params["p"]

    def _initial_raw(self, y, sample_weight):
        return [np.log(np.maximum(weighted_mean(y, sample_weight), 1e-3))]

    def _scipy(self, params):
        return stats.multinomial(1, params["p"])

    def sample(self, raw, n_samples=1, random_state=None):
        """One-hot draws, shape (n_draws, n_samples, n_classes)."""
        # scipy's multinomial does not draw from a batch of probability vectors.
        p = self.params(raw)["p"]
        u = check_random_state(random_state).random_sample((n_samples, p.shape[0], 1))
        classes = np.minimum((u > np.cumsum(p, axis=1)).sum(axis=2), p.shape[1] - 1)
        return np.eye(p.shape[1], dtype=p.dtype)[classes]


class Poisson(NoiseModel):
    """Poisson noise for counts: ``y ~ Poisson(rate)`` with ``rate = exp(raw)``.

    .. math:: -\\log p(y) = \\lambda - y \\log \\lambda + \\log y!

    half the Poisson deviance plus a constant; its gradient w.r.t. the log-rate is
    ``lambda - y``. Targets must be non-negative (non-integer values are accepted, as by
    scikit-learn's ``PoissonRegressor``).
    """

    param_names = ("rate",)
    support = "nonnegative"
    _link = LogLink(max_raw=80.0)

    def _params(self, raw, n_targets):
        return {"rate": self._link.forward(raw)}

    def _nll_terms(self, y, raw, grad):
        log_rate = np.minimum(raw, self._link.max_raw)
        np.exp(log_rate, out=grad)
        terms = grad - y * log_rate
        grad -= y
        return terms

    def _constant_terms(self, y):
        return special.gammaln(y + 1)

    def _mean(self, params):
        return params["rate"]

    def _initial_raw(self, y, sample_weight):
        return [self._link.inverse(weighted_mean(y, sample_weight))]

    def _scipy(self, params):
        return stats.poisson(params["rate"])

    def _crps(self, y, params):
        # The infinite sum  sum_k (F(k) - 1{k >= y})^2  in closed form (Wei and Held,
        # 2014): E|Y - y| = (y - lam)(2 F(m) - 1) + 2 lam p(m) with m = floor(y), and
        # E|Y - Y'| = 2 lam exp(-2 lam) (I0(2 lam) + I1(2 lam)), the Bessel functions
        # scaled by exp(-2 lam) (``ive``) so that large rates do not overflow.
        rate = params["rate"]
        m = np.floor(y)
        expected_distance = (y - rate) * (2 * special.pdtr(m, rate) - 1) + 2 * rate * np.exp(
            special.xlogy(m, rate) - rate - special.gammaln(m + 1))
        spread = rate * (special.ive(0, 2 * rate) + special.ive(1, 2 * rate))
        return expected_distance - spread
