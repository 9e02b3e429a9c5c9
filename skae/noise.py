"""Noise models: the distribution of the targets given the network's raw outputs.

A noise model turns a loss into a likelihood. The network outputs ``raw``, one or
more unconstrained numbers per target column; the noise model maps them through its
link to the parameters ``omega`` of a distribution ``p(y | omega)`` and training
minimises the exact negative log-likelihood

.. math:: L(\\theta) = -\\sum_i \\log p(y_i \\mid \\omega = f_\\theta(x_i)).

========================  ================  ===============================  ============
noise model               link              negative log-likelihood          targets
========================  ================  ===============================  ============
``Gaussian()``            identity          squared error / 2 (+ const)      real
``Gaussian("learned")``   identity, softplus  Gaussian NLL with scale         real
``Laplace()``             identity          absolute error (+ const)         real
``StudentT()``            identity, softplus  Student-t NLL                   real
``LogNormal()``           identity          Gaussian NLL of ``log y``        > 0
``Bernoulli()``           sigmoid           binary cross-entropy             [0, 1]
``Categorical()``         softmax           softmax cross-entropy            rows on the simplex
``Poisson()``             exp               Poisson deviance / 2 (+ const)   >= 0
========================  ================  ===============================  ============

Raw outputs are laid out parameter by parameter: for ``d`` target columns and a model
with parameters ``(loc, scale)``, ``raw[:, :d]`` holds the locations and
``raw[:, d:2 * d]`` the raw scales. A model therefore only ever sees the column slice
of the network's outputs that belongs to its own targets.

Every model returns the gradient of its NLL with respect to ``raw`` in fused form
(for Bernoulli and Categorical simply ``p - y``), so no ``sigma'(z)`` factor of the
link ever appears and saturated outputs still learn.
"""

import math

import numpy as np
from scipy import special, stats
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

__all__ = [
    "NoiseModel",
    "Gaussian",
    "Laplace",
    "StudentT",
    "LogNormal",
    "Bernoulli",
    "Categorical",
    "Poisson",
    "resolve_noise",
]

_LOG_2PI = np.log(2 * np.pi)
# Floor under every learned scale: keeps 1 / scale finite on a perfectly fitted point.
_MIN_SCALE = 1e-6
# Cap on a Poisson log-rate: exp of it stays finite in float32.
_MAX_LOG_RATE = 80.0


def _row_dot(a, b):
    """``sum_j a_ij b_ij`` for every row i."""
    return np.einsum("ij,ij->i", a, b)


if hasattr(np, "vecdot"):  # NumPy >= 2.0: a SIMD loop, twice as fast as einsum here
    _row_dot = np.vecdot  # noqa: F811


def _softplus(x):
    return np.logaddexp(0, x)


def _inverse_softplus(y):
    y = np.asarray(y, dtype=float)
    return y + np.log(-np.expm1(-y))


def _weighted_mean(values, sample_weight):
    return np.average(values, axis=0, weights=sample_weight)


def _weighted_median(values, sample_weight):
    """Column-wise weighted median that equals ``np.median`` of rows repeated by weight.

    The mean of the first sorted value whose cumulative weight reaches half the total
    and the first that passes it: for integer weights, the two middle rows (or the
    middle row twice) of the repeated data, so weights act exactly as repetitions.
    """
    if sample_weight is None:
        return np.median(values, axis=0)
    order = np.argsort(values, axis=0)
    cumulative = np.cumsum(np.asarray(sample_weight, dtype=float)[order], axis=0)
    half = 0.5 * cumulative[-1]
    lower = (cumulative < half).sum(axis=0)
    upper = (cumulative <= half).sum(axis=0)
    ordered = np.take_along_axis(values, order, axis=0)
    columns = np.arange(values.shape[1])
    return (ordered[lower, columns] + ordered[upper, columns]) / 2


def _robust_spread(deviations, sample_weight):
    """Median absolute deviation, or the mean one where more than half the deviations
    are zero (discrete targets), so that a scale never starts at its floor."""
    mad = _weighted_median(deviations, sample_weight)
    return np.where(mad > 0, mad, _weighted_mean(deviations, sample_weight))


def _describe_offending(y, bad):
    values = np.unique(y[bad])
    shown = ", ".join(f"{v:g}" for v in values[:5])
    more = f" and {values.size - 5} more" if values.size > 5 else ""
    return f"{shown}{more}"


class NoiseModel(BaseEstimator):
    """Base class of noise models.

    A subclass describes one family of distributions ``p(y | omega)`` whose parameters
    ``omega`` are computed from unconstrained raw network outputs. It implements:

    - ``param_names``: the names of the distribution's parameters per target column;
    - ``n_params``: how many raw outputs each target column needs;
    - ``_params(raw, n_targets)``: the link, raw outputs to parameters (a dict of
      arrays of shape ``(n_samples, n_targets)``);
    - ``_nll_grad(y, raw, grad)``: the per-sample NLL, writing its gradient with
      respect to ``raw`` into ``grad``;
    - ``_scipy(params)``: the equivalent frozen ``scipy.stats`` distribution;
    - ``_mean(params)``, ``_initial_raw(y, sample_weight)`` and
      ``_check_support(y)``.

    Subclasses are scikit-learn estimators in the sense of ``get_params``: their
    ``__init__`` only stores its arguments, so ``clone`` and ``GridSearchCV`` (e.g.
    ``{"noise__scale": [...]}``) work on them.
    """

    param_names = ()
    support = "real"

    @property
    def n_params(self):
        """Raw network outputs per target column."""
        return len(self.param_names)

    def n_raw(self, n_targets):
        """Number of raw network outputs for ``n_targets`` target columns."""
        return self.n_params * n_targets

    def _n_targets(self, raw):
        return raw.shape[1] // self.n_params

    # ----------------------------------------------------------------- public API
    def validate_target(self, y):
        """Raise ``ValueError`` naming the offending values if ``y`` is outside the support."""
        y = np.asarray(y)
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"{type(self).__name__} noise: targets contain NaN or infinity "
                f"({bad.sum()} of {y.size} values: {_describe_offending(y, bad)})."
            )
        self._check_support(y)

    def nll(self, y, raw):
        """Per-sample negative log-likelihood, summed over target columns.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))

        Returns
        -------
        nll : ndarray of shape (n_samples,)
        """
        return self.nll_and_grad(y, raw)[0]

    def grad(self, y, raw):
        """Gradient of ``nll(y, raw).sum()`` with respect to ``raw``, same shape as ``raw``."""
        return self.nll_and_grad(y, raw)[1]

    def nll_and_grad(self, y, raw, out=None):
        """Per-sample NLL and its gradient w.r.t. ``raw``, computed together.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))
        out : ndarray of the shape of ``raw``, default=None
            Receives the gradient; training passes a buffer reused across batches.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
        grad : ndarray of the shape of ``raw``
        """
        y, raw = np.asarray(y), np.asarray(raw)
        if out is None:
            out = np.empty_like(raw)
        nll = self._nll_grad(y, raw, out)
        return nll, out

    def params(self, raw):
        """The distribution's parameters by name, each of shape (n_samples, n_targets)."""
        raw = np.asarray(raw)
        return self._params(raw, self._n_targets(raw))

    def mean(self, raw):
        """The distribution's mean, shape (n_samples, n_targets)."""
        return self._mean(self.params(raw))

    def dist(self, raw):
        """The equivalent vectorised frozen ``scipy.stats`` distribution."""
        return self._scipy(self.params(raw))

    def sample(self, raw, n_samples=1, random_state=None):
        """Draws of ``y``, shape (n_draws, n_samples, n_targets)."""
        frozen = self.dist(raw)
        size = (n_samples,) + np.shape(frozen.mean())
        return frozen.rvs(size=size, random_state=random_state)

    def log_likelihood(self, y, raw):
        """Per-sample log-likelihood, ``-nll(y, raw)``."""
        return -self.nll(y, raw)

    def initial_raw(self, y, sample_weight=None):
        """Raw outputs of the targets' marginal distribution, shape (n_raw,).

        Used as the output layer's initial bias, so training starts from the best
        constant model rather than from an arbitrary one.
        """
        return np.concatenate(self._initial_raw(np.asarray(y), sample_weight)).ravel()

    def fixed_statistics(self, y, raw, sample_weight=None):
        """Sufficient statistics for :meth:`fit_fixed`, or None if nothing is estimated.

        They add up over chunks of samples, so an estimator can accumulate them over
        data too large to hold the raw outputs of all at once.
        """
        return None

    def fit_fixed(self, statistics, pooled=False):
        """Return the model with its fixed parameters set to their ML values.

        ``statistics`` is the sum of :meth:`fixed_statistics` over the training data,
        computed with the trained network's raw outputs. The default has nothing to
        estimate and returns ``self``.
        """
        return self

    # ------------------------------------------------------- subclass interface
    def _check_support(self, y):
        pass

    def _mean(self, params):
        return self._scipy(params).mean()

    def _initial_raw(self, y, sample_weight):
        raise NotImplementedError

    def _params(self, raw, n_targets):
        raise NotImplementedError

    def _nll_grad(self, y, raw, grad):
        raise NotImplementedError

    def _scipy(self, params):
        raise NotImplementedError


def _check_nonnegative(model, y):
    bad = y < 0
    if bad.any():
        raise ValueError(
            f"Negative values in data: {type(model).__name__} noise requires non-negative "
            f"targets; got {_describe_offending(y, bad)}."
        )


def _check_positive(model, y):
    bad = y <= 0
    if bad.any():
        raise ValueError(
            f"{type(model).__name__} noise requires strictly positive targets; got "
            f"values: {_describe_offending(y, bad)}."
        )


class _LocationScale(NoiseModel):
    """A location-scale family ``p(y) = f(z) / scale`` with ``z = (y - loc) / scale``.

    ``scale`` is one of

    - ``"mle"``: fixed during training at 1, so the loss is exactly the family's
      standard loss (MSE / 2 for Gaussian, L1 for Laplace); after fitting, the
      estimator sets it to its maximum-likelihood value on the training residuals;
    - a positive float (or array, one per target): known and kept fixed;
    - ``"learned"``: a second network output per target, ``scale = softplus(raw) + 1e-6``.

    Subclasses give the standard NLL ``g(z) = -log f(z)`` and its derivative ``g'(z)``.
    With them, ``dNLL/dloc = -g'(z) / scale`` and
    ``dNLL/dscale = (1 - z g'(z)) / scale``.
    """

    def __init__(self, scale="mle"):
        self.scale = scale

    @property
    def _learned(self):
        return isinstance(self.scale, str) and self.scale == "learned"

    @property
    def param_names(self):
        return ("loc", "scale") if self._learned else ("loc",)

    def _fixed_scale(self):
        if isinstance(self.scale, str):
            if self.scale != "mle":
                raise ValueError(
                    f"{type(self).__name__}: scale must be 'mle', 'learned' or a positive "
                    f"number; got {self.scale!r}."
                )
            return 1.0
        scale = np.asarray(self.scale, dtype=float)
        if not np.all(scale > 0) or not np.all(np.isfinite(scale)):
            raise ValueError(
                f"{type(self).__name__}: scale must be positive and finite; got {self.scale!r}."
            )
        return float(scale) if scale.ndim == 0 else scale

    # Hooks for families defined on a transform of y (LogNormal).
    def _latent(self, y):
        return y

    def _log_jacobian(self, y):
        return 0.0

    # The location's link; Gaussian offers a logistic one besides the identity.
    def _loc(self, raw_loc):
        return raw_loc

    def _dloc_draw(self, loc):
        return 1.0

    def _raw_loc(self, loc):
        return loc

    def _params(self, raw, n_targets):
        loc = self._loc(raw[:, :n_targets])
        if self._learned:
            scale = _softplus(raw[:, n_targets : 2 * n_targets]) + _MIN_SCALE
        else:
            scale = np.broadcast_to(
                np.asarray(self._fixed_scale(), dtype=raw.dtype), loc.shape
            )
        return {"loc": loc, "scale": scale}

    def _nll_grad(self, y, raw, grad):
        d = y.shape[1]
        params = self._params(raw, d)
        loc, scale = params["loc"], params["scale"]
        z = (self._latent(y) - loc) / scale
        g_prime = self._standard_score(z)
        nll_terms = self._standard_nll(z) + np.log(scale) + self._log_jacobian(y)
        if self._learned:
            # chain rule through softplus: d scale / d raw = sigmoid(raw)
            grad[:, d : 2 * d] = (1 - z * g_prime) / scale * special.expit(raw[:, d : 2 * d])
        grad[:, :d] = -g_prime / scale * self._dloc_draw(loc)
        return nll_terms.sum(axis=1)

    def _initial_raw(self, y, sample_weight):
        latent = self._latent(y)
        loc = self._marginal_loc(latent, sample_weight)
        if not self._learned:
            return [self._raw_loc(loc)]
        scale = self._marginal_scale(np.abs(latent - loc), sample_weight)
        return [self._raw_loc(loc), _inverse_softplus(np.maximum(scale, 1e-3))]

    # Location and scale of the best constant model, the scale from the absolute
    # deviations: mean and root mean square by default.
    def _marginal_loc(self, latent, sample_weight):
        return _weighted_mean(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return np.sqrt(_weighted_mean(deviations**2, sample_weight))

    def fixed_statistics(self, y, raw, sample_weight=None):
        if not (isinstance(self.scale, str) and self.scale == "mle"):
            return None
        residuals = self._latent(y) - self._loc(raw[:, : y.shape[1]])
        weights = (np.ones(y.shape[0]) if sample_weight is None
                   else np.asarray(sample_weight, dtype=float))
        # float64 sums: a float32 sum over millions of squared residuals loses digits
        sums = np.einsum("i,ij->j", weights, self._scale_statistic(residuals),
                         dtype=np.float64)
        return np.stack([sums, np.full_like(sums, weights.sum())])

    def fit_fixed(self, statistics, pooled=False):
        """Return a copy whose ``scale`` is the ML estimate given the fitted locations.

        ``pooled=True`` estimates one scale shared by all target columns (as PCA's
        ``noise_variance_``); otherwise one per column.
        """
        if statistics is None:
            return self
        sums, weights = statistics
        mean = sums.sum() / weights.sum() if pooled else sums / weights
        scale = np.maximum(self._scale_from_statistic(mean), _MIN_SCALE)
        return clone(self).set_params(scale=float(scale) if pooled else scale)

    def _mean(self, params):
        return params["loc"]


class Gaussian(_LocationScale):
    """Gaussian noise: ``y ~ N(loc, scale^2)``.

    .. math:: -\\log p(y) = \\frac{(y - \\mu)^2}{2 \\sigma^2} + \\log \\sigma
              + \\tfrac12 \\log 2\\pi

    With the default ``scale="mle"`` training minimises exactly the squared error / 2;
    the fitted estimator then sets ``sigma^2`` to the mean squared residual.

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        See :class:`skae.noise._LocationScale`: ``"mle"`` (MSE training, ML scale after
        fitting), a known positive value, or ``"learned"`` (heteroscedastic: the network
        outputs a scale per sample through softplus).
    link : {"identity", "logistic"}, default="identity"
        Link of the mean. ``"logistic"`` gives ``mu = sigmoid(raw)``: squared error on a
        sigmoid output, whose gradient carries the factor ``sigma'(raw)`` that makes
        saturated units learn slowly (contrast :class:`Bernoulli`, whose gradient is
        ``p - y``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import Gaussian
    >>> Gaussian().nll(np.array([[1.0]]), np.array([[0.0]]))  # 1/2 + log(2 pi)/2
    array([1.41893853])
    """

    def __init__(self, scale="mle", link="identity"):
        self.scale = scale
        self.link = link

    def _loc(self, raw_loc):
        if self.link == "identity":
            return raw_loc
        if self.link == "logistic":
            return special.expit(raw_loc)
        raise ValueError(f"Gaussian: link must be 'identity' or 'logistic'; got {self.link!r}.")

    def _dloc_draw(self, loc):
        return 1.0 if self.link == "identity" else loc * (1 - loc)

    def _raw_loc(self, loc):
        return loc if self.link == "identity" else special.logit(np.clip(loc, 1e-3, 1 - 1e-3))

    def _nll_grad(self, y, raw, grad):
        if self._learned or self.link != "identity":
            return super()._nll_grad(y, raw, grad)
        # Fixed scale, identity link: training's hot path. The residual is formed in
        # ``grad`` itself, with no temporary of the batch's size.
        d = y.shape[1]
        scale = self._fixed_scale()  # 1.0 while training with scale="mle"
        latent = self._latent(y)
        residual = np.subtract(raw[:, :d], latent, out=grad)
        if isinstance(scale, float):  # one scale for all columns
            nll = 0.5 / scale**2 * _row_dot(residual, residual)
            nll += d * (math.log(scale) + 0.5 * _LOG_2PI)
            if scale != 1.0:
                residual /= scale**2
        else:
            scale = scale.astype(raw.dtype, copy=False)
            residual /= scale  # -z
            nll = 0.5 * _row_dot(residual, residual)
            nll += np.log(scale).sum() + d * 0.5 * _LOG_2PI
            residual /= scale
        if latent is not y:
            nll += self._log_jacobian(y).sum(axis=1)
        return nll  # grad = residual = (loc - y) / scale^2

    def _standard_nll(self, z):
        return 0.5 * z * z + 0.5 * _LOG_2PI

    def _standard_score(self, z):
        return z

    # ML scale given the locations: sqrt(mean r^2)
    def _scale_statistic(self, residuals):
        return residuals * residuals

    def _scale_from_statistic(self, mean):
        return np.sqrt(mean)

    def _scipy(self, params):
        return stats.norm(loc=params["loc"], scale=params["scale"])


class Laplace(_LocationScale):
    """Laplace noise: ``y ~ Laplace(loc, scale)``.

    .. math:: -\\log p(y) = \\frac{|y - \\mu|}{b} + \\log 2b

    With the default ``scale="mle"`` training minimises exactly the absolute error; the
    fitted estimator then sets ``b`` to the mean absolute residual.

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        As for :class:`Gaussian`.
    """

    def _standard_nll(self, z):
        return np.abs(z) + np.log(2.0)

    def _standard_score(self, z):
        return np.sign(z)

    # ML scale given the locations: mean |r|
    def _scale_statistic(self, residuals):
        return np.abs(residuals)

    def _scale_from_statistic(self, mean):
        return mean

    # Median and MAD / ln 2 (the MAD of a Laplace is b ln 2): the mean and spread of data
    # with gross outliers would start the output further away than Adam's steps undo.
    def _marginal_loc(self, latent, sample_weight):
        return _weighted_median(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return _robust_spread(deviations, sample_weight) / np.log(2)

    def _scipy(self, params):
        return stats.laplace(loc=params["loc"], scale=params["scale"])


class LogNormal(Gaussian):
    """Log-normal noise for positive, right-skewed targets: ``log y ~ N(loc, scale^2)``.

    .. math:: -\\log p(y) = \\frac{(\\log y - \\mu)^2}{2 \\sigma^2} + \\log \\sigma
              + \\log y + \\tfrac12 \\log 2\\pi

    The mean is ``exp(mu + sigma^2 / 2)``.

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        Scale of ``log y``, as for :class:`Gaussian`.
    """

    support = "positive"

    def _check_support(self, y):
        _check_positive(self, y)

    def _latent(self, y):
        return np.log(y)

    def _log_jacobian(self, y):
        return np.log(y)

    def _mean(self, params):
        return np.exp(params["loc"] + 0.5 * params["scale"] ** 2)

    def _scipy(self, params):
        return stats.lognorm(s=params["scale"], scale=np.exp(params["loc"]))


class StudentT(_LocationScale):
    """Student-t noise for heavy-tailed targets: ``(y - loc) / scale ~ t(df)``.

    .. math:: -\\log p(y) = \\tfrac{\\nu + 1}{2} \\log\\left(1 + \\tfrac{z^2}{\\nu}\\right)
              + \\log \\sigma + \\log \\Gamma(\\tfrac{\\nu}{2})
              - \\log \\Gamma(\\tfrac{\\nu + 1}{2}) + \\tfrac12 \\log \\nu\\pi

    Parameters
    ----------
    df : float or "learned", default=4.0
        Degrees of freedom. ``"learned"`` adds a third network output per target with
        ``df = 1 + softplus(raw)``, so the mean always exists.
    scale : "learned" or float, default="learned"
        A learned (heteroscedastic) scale, or a known positive value.
    """

    def __init__(self, df=4.0, scale="learned"):
        self.df = df
        self.scale = scale

    @property
    def _learned_df(self):
        return isinstance(self.df, str) and self.df == "learned"

    @property
    def param_names(self):
        names = super().param_names
        return names + ("df",) if self._learned_df else names

    def _df(self, raw, n_targets, dtype):
        if self._learned_df:
            return 1.0 + _softplus(raw[:, -n_targets:])
        if isinstance(self.df, str) or not self.df > 0:
            raise ValueError(f"StudentT: df must be positive or 'learned'; got {self.df!r}.")
        return np.asarray(self.df, dtype=dtype)

    def _params(self, raw, n_targets):
        params = super()._params(raw, n_targets)
        params["df"] = np.broadcast_to(self._df(raw, n_targets, raw.dtype), params["loc"].shape)
        return params

    def _fixed_scale(self):
        if isinstance(self.scale, str) and self.scale == "mle":
            raise ValueError("StudentT: scale must be 'learned' or a positive number.")
        return super()._fixed_scale()

    def _standard_nll(self, z, df):
        return (
            0.5 * (df + 1) * np.log1p(z * z / df)
            + special.gammaln(0.5 * df)
            - special.gammaln(0.5 * (df + 1))
            + 0.5 * np.log(df * np.pi)
        )

    def _standard_score(self, z, df):
        return (df + 1) * z / (df + z * z)

    def _nll_grad(self, y, raw, grad):
        d = y.shape[1]
        params = self._params(raw, d)
        loc, scale, df = params["loc"], params["scale"], params["df"]
        z = (y - loc) / scale
        g_prime = self._standard_score(z, df)
        nll_terms = self._standard_nll(z, df) + np.log(scale)
        grad[:, :d] = -g_prime / scale
        if self._learned:
            grad[:, d : 2 * d] = (1 - z * g_prime) / scale * special.expit(raw[:, d : 2 * d])
        if self._learned_df:
            z2_over_df = z * z / df
            d_df = (
                0.5 * special.digamma(0.5 * df)
                - 0.5 * special.digamma(0.5 * (df + 1))
                + 0.5 / df
                + 0.5 * np.log1p(z2_over_df)
                - 0.5 * (df + 1) * z2_over_df / (df + z * z)
            )
            grad[:, -d:] = d_df * special.expit(raw[:, -d:])
        return nll_terms.sum(axis=1)

    # Median and 1.4826 MAD (the Gaussian-consistent scale, a fair start for any df),
    # robust to the outliers a heavy-tailed model is chosen for.
    def _marginal_loc(self, latent, sample_weight):
        return _weighted_median(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return 1.4826 * _robust_spread(deviations, sample_weight)

    def _initial_raw(self, y, sample_weight):
        init = super()._initial_raw(y, sample_weight)
        if self._learned_df:
            init.append(np.full(y.shape[1], _inverse_softplus(4.0)))
        return init

    def _mean(self, params):
        return params["loc"]

    def _scipy(self, params):
        return stats.t(df=params["df"], loc=params["loc"], scale=params["scale"])


class Bernoulli(NoiseModel):
    """Bernoulli noise: ``y ~ Bernoulli(p)`` with ``p = sigmoid(raw)``.

    .. math:: -\\log p(y) = -[y \\log p + (1 - y) \\log(1 - p)]
              = \\operatorname{softplus}(r) - y r

    the binary cross-entropy, computed from the logit ``r``; its gradient is
    ``p - y``. Targets may be any value in [0, 1] (e.g. grey levels), for which the NLL
    is the cross-entropy between ``y`` and ``p``.
    """

    param_names = ("p",)
    support = "unit_interval"

    def _check_support(self, y):
        bad = (y < 0) | (y > 1)
        if bad.any():
            raise ValueError(
                "Bernoulli noise requires targets in [0, 1]; got values outside it: "
                f"{_describe_offending(y, bad)}."
            )

    def _params(self, raw, n_targets):
        return {"p": special.expit(raw)}

    def _nll_grad(self, y, raw, grad):
        p = special.expit(raw, out=grad)
        # softplus(r) = max(r, 0) - log(max(p, 1 - p)): the log of a number in [1/2, 1]
        # loses nothing, and reusing the gradient's sigmoid is cheaper than logaddexp
        nll = (np.maximum(raw, 0).sum(axis=1) - np.log(np.maximum(p, 1 - p)).sum(axis=1)
               - _row_dot(y, raw))
        grad -= y
        return nll

    def _mean(self, params):
        return params["p"]

    def _initial_raw(self, y, sample_weight):
        p = np.clip(_weighted_mean(y, sample_weight), 1e-3, 1 - 1e-3)
        return [special.logit(p)]

    def _scipy(self, params):
        return stats.bernoulli(params["p"])


class Categorical(NoiseModel):
    """Categorical (multinoulli) noise over the target columns: ``p = softmax(raw)``.

    Each row of ``y`` is one-hot, or a probability vector, over the ``K`` columns.

    .. math:: -\\log p(y) = \\log \\sum_k e^{r_k} - \\sum_k y_k r_k

    the softmax cross-entropy, computed by log-sum-exp; its gradient is ``p - y``.
    """

    param_names = ("p",)
    support = "simplex"

    def n_raw(self, n_targets):
        return n_targets

    def _n_targets(self, raw):
        return raw.shape[1]

    def _check_support(self, y):
        if y.ndim != 2 or y.shape[1] < 2:
            raise ValueError(
                "Categorical noise requires 2-D targets with one column per class "
                f"(one-hot or probability rows); got shape {y.shape}."
            )
        if (y < 0).any():
            raise ValueError(
                "Categorical noise requires non-negative targets; got negative values: "
                f"{_describe_offending(y, y < 0)}."
            )
        sums = y.sum(axis=1)
        bad = ~np.isclose(sums, 1, rtol=0, atol=1e-4 if y.dtype == np.float32 else 1e-8)
        if bad.any():
            raise ValueError(
                "Categorical noise requires each row of the targets to sum to 1 (one-hot "
                f"or probabilities); {bad.sum()} rows do not, e.g. row {np.flatnonzero(bad)[0]} "
                f"sums to {sums[bad][0]:g}."
            )

    def _params(self, raw, n_targets):
        return {"p": special.softmax(raw, axis=1)}

    def _nll_grad(self, y, raw, grad):
        lse = special.logsumexp(raw, axis=1)
        nll = lse - _row_dot(y, raw)
        np.subtract(raw, lse[:, None], out=grad)
        np.exp(grad, out=grad)
        grad -= y
        return nll

    def _mean(self, params):
        return params["p"]

    def _initial_raw(self, y, sample_weight):
        return [np.log(np.maximum(_weighted_mean(y, sample_weight), 1e-3))]

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

    def _check_support(self, y):
        _check_nonnegative(self, y)

    def _params(self, raw, n_targets):
        return {"rate": np.exp(np.minimum(raw, _MAX_LOG_RATE))}

    def _nll_grad(self, y, raw, grad):
        log_rate = np.minimum(raw, _MAX_LOG_RATE)
        np.exp(log_rate, out=grad)
        nll = grad.sum(axis=1) - _row_dot(y, log_rate)
        nll += special.gammaln(y + 1).sum(axis=1)
        grad -= y
        return nll

    def _mean(self, params):
        return params["rate"]

    def _initial_raw(self, y, sample_weight):
        return [np.log(np.maximum(_weighted_mean(y, sample_weight), 1e-3))]

    def _scipy(self, params):
        return stats.poisson(params["rate"])


NOISE_MODELS = {
    "gaussian": Gaussian,
    "laplace": Laplace,
    "student_t": StudentT,
    "lognormal": LogNormal,
    "bernoulli": Bernoulli,
    "categorical": Categorical,
    "poisson": Poisson,
}


def resolve_noise(noise):
    """A fresh noise model from a name in ``NOISE_MODELS`` or a ``NoiseModel`` instance."""
    if isinstance(noise, NoiseModel):
        return clone(noise)
    return NOISE_MODELS[noise]()
