"""Location-scale noise models: Gaussian, Laplace, Student-t and log-normal."""

import math

import numpy as np
from scipy import special, stats
from sklearn.base import clone

from ._base import NoiseModel
from ._links import LOCATION_LINKS, IdentityLink, SoftplusLink
from ._stats import entry_weights, robust_spread, row_dot, weighted_mean, weighted_median

_LOG_2PI = math.log(2 * math.pi)
# Floor under every learned or fitted scale: keeps 1 / scale finite on a perfectly
# fitted point.
MIN_SCALE = 1e-6


class LocationScale(NoiseModel):
    """A location-scale family: ``p(y) = f(z) / scale`` with ``z = (u(y) - loc) / scale``.

    ``u`` is the identity, or a fixed transform of ``y`` (``log y`` for
    :class:`LogNormal`, whose log-Jacobian then joins the constant terms). Subclasses
    give the standard negative log-density ``g(z) = -log f(z)`` split into its part that
    varies with ``z`` and a constant, and its derivative ``g'(z)``. With them,

    .. math:: \\frac{\\partial\\,\\mathrm{NLL}}{\\partial\\,\\mathrm{loc}} =
              -\\frac{g'(z)}{\\mathrm{scale}}, \\qquad
              \\frac{\\partial\\,\\mathrm{NLL}}{\\partial\\,\\mathrm{scale}} =
              \\frac{1 - z\\,g'(z)}{\\mathrm{scale}},

    each times the derivative of its link.

    ``scale`` is one of

    - ``"mle"``: fixed at 1 during training, so the loss is exactly the family's
      standard loss (MSE / 2 for Gaussian, L1 for Laplace); after fitting, the
      estimator sets it to its maximum-likelihood value on the training residuals;
    - a positive float (or array, one per target): known and kept fixed;
    - ``"learned"``: a second network output per target, ``scale = softplus(raw) + 1e-6``.
    """

    _loc_link = IdentityLink()
    _scale_link = SoftplusLink(floor=MIN_SCALE)
    _standard_constant = 0.0

    def __init__(self, scale="mle"):
        self.scale = scale

    @property
    def _learned(self):
        return isinstance(self.scale, str) and self.scale == "learned"

    @property
    def _mle(self):
        return isinstance(self.scale, str) and self.scale == "mle"

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

    # A family defined on a transform u(y) of the targets (LogNormal) overrides these.
    def _latent(self, y):
        return y

    def _log_jacobian(self, y):
        return 0.0

    def _params(self, raw, n_targets):
        loc = self._loc_link.forward(raw[:, :n_targets])
        if self._learned:
            scale = self._scale_link.forward(raw[:, n_targets : 2 * n_targets])
        else:
            scale = np.broadcast_to(np.asarray(self._fixed_scale(), dtype=raw.dtype),
                                    loc.shape)
        return {"loc": loc, "scale": scale}

    def _nll_terms(self, y, raw, grad):
        d = y.shape[1]
        params = self._params(raw, d)
        loc, scale = params["loc"], params["scale"]
        z = (self._latent(y) - loc) / scale
        g_prime = self._standard_score(z)
        terms = self._standard_nll(z)
        if self._learned:
            terms += np.log(scale)
            raw_scale = raw[:, d : 2 * d]
            grad[:, d : 2 * d] = ((1 - z * g_prime) / scale
                                  * self._scale_link.derivative(raw_scale, scale))
        grad[:, :d] = -g_prime / scale * self._loc_link.derivative(raw[:, :d], loc)
        return terms

    def _constant_terms(self, y):
        constant = self._standard_constant
        if not self._learned:
            constant = constant + np.log(self._fixed_scale())
        return constant + self._log_jacobian(y)

    def _initial_raw(self, y, sample_weight):
        latent = self._latent(y)
        loc = self._marginal_loc(latent, sample_weight)
        raw_loc = self._loc_link.inverse(loc)
        if not self._learned:
            return [raw_loc]
        scale = self._marginal_scale(np.abs(latent - loc), sample_weight)
        return [raw_loc, self._scale_link.inverse(np.maximum(scale, 1e-3))]

    # Location and scale of the best constant model, the scale from the absolute
    # deviations: mean and root mean square by default.
    def _marginal_loc(self, latent, sample_weight):
        return weighted_mean(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return np.sqrt(weighted_mean(deviations**2, sample_weight))

    def has_fixed_parameters(self):
        return self._mle

    def fixed_statistics(self, y, raw, sample_weight=None, mask=None):
        """Per target column, the weighted sum of the residuals' scale statistic
        (``r^2`` for Gaussian, ``|r|`` for Laplace) and the weight of the observed
        entries; None unless ``scale="mle"``."""
        if not self._mle:
            return None
        if mask is not None:
            y = self._fill(y, ~np.asarray(mask, dtype=bool))
        residuals = self._latent(y) - self._loc_link.forward(raw[:, : y.shape[1]])
        weights = entry_weights(sample_weight, mask, y.shape)
        # float64 sums: a float32 sum over millions of squared residuals loses digits
        sums = np.einsum("ij,ij->j", weights, self._scale_statistic(residuals),
                         dtype=np.float64)
        return np.stack([sums, weights.sum(axis=0)])

    def fit_fixed(self, statistics, pooled=False):
        """Return a copy whose ``scale`` is the ML estimate given the fitted locations.

        ``pooled=True`` estimates one scale shared by all target columns (as PCA's
        ``noise_variance_``); otherwise one per column. A column without a single
        observed entry gets the pooled value.
        """
        if statistics is None:
            return self
        sums, weights = statistics
        pooled_mean = sums.sum() / weights.sum() if weights.sum() > 0 else 1.0
        if pooled:
            mean = pooled_mean
        else:
            mean = np.divide(sums, weights, out=np.full_like(sums, pooled_mean),
                             where=weights > 0)
        scale = np.maximum(self._scale_from_statistic(mean), MIN_SCALE)
        return clone(self).set_params(scale=float(scale) if pooled else scale)

    def _mean(self, params):
        return params["loc"]


class _GaussianShape:
    """The standard Gaussian density, shared by :class:`Gaussian` and :class:`LogNormal`."""

    _standard_constant = 0.5 * _LOG_2PI

    def _standard_nll(self, z):
        return 0.5 * z * z

    def _standard_score(self, z):
        return z

    # ML scale given the locations: sqrt(mean r^2)
    def _scale_statistic(self, residuals):
        return residuals * residuals

    def _scale_from_statistic(self, mean):
        return np.sqrt(mean)

    def _nll_sum_grad(self, y, raw, grad):
        if self._learned or self._loc_link.name != "identity":
            return super()._nll_sum_grad(y, raw, grad)
        # Fixed scale, identity link: training's hot path. The residual is formed in
        # ``grad`` itself, with no temporary of the batch's size.
        d = y.shape[1]
        scale = self._fixed_scale()  # 1.0 while training with scale="mle"
        residual = np.subtract(raw[:, :d], self._latent(y), out=grad)
        if isinstance(scale, float):  # one scale for all columns
            nll = (0.5 / scale**2) * row_dot(residual, residual)
            if scale != 1.0:
                residual /= scale**2
        else:
            residual /= scale.astype(raw.dtype, copy=False)  # -z
            nll = 0.5 * row_dot(residual, residual)
            residual /= scale.astype(raw.dtype, copy=False)
        return nll  # grad = residual = (loc - y) / scale^2


class Gaussian(_GaussianShape, LocationScale):
    """Gaussian noise: ``y ~ N(loc, scale^2)``.

    .. math:: -\\log p(y) = \\frac{(y - \\mu)^2}{2 \\sigma^2} + \\log \\sigma
              + \\tfrac12 \\log 2\\pi

    With the default ``scale="mle"`` training minimises exactly the squared error / 2;
    the fitted estimator then sets ``sigma^2`` to the mean squared residual.

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        ``"mle"`` (MSE training, ML scale after fitting), a known positive value (or
        one per target), or ``"learned"`` (heteroscedastic: the network outputs a
        scale per sample through softplus).
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

    @property
    def _loc_link(self):
        try:
            return LOCATION_LINKS[self.link]
        except (KeyError, TypeError):
            raise ValueError(
                f"Gaussian: link must be one of {sorted(LOCATION_LINKS)}; got {self.link!r}."
            ) from None

    def _scipy(self, params):
        return stats.norm(loc=params["loc"], scale=params["scale"])


class LogNormal(_GaussianShape, LocationScale):
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
    _fill_value = 1.0

    def _latent(self, y):
        return np.log(y)

    def _log_jacobian(self, y):
        return np.log(y)

    def _mean(self, params):
        return np.exp(params["loc"] + 0.5 * params["scale"] ** 2)

    def _scipy(self, params):
        return stats.lognorm(s=params["scale"], scale=np.exp(params["loc"]))


class Laplace(LocationScale):
    """Laplace noise: ``y ~ Laplace(loc, scale)``.

    .. math:: -\\log p(y) = \\frac{|y - \\mu|}{b} + \\log 2b

    With the default ``scale="mle"`` training minimises exactly the absolute error; the
    fitted estimator then sets ``b`` to the mean absolute residual.

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        As for :class:`Gaussian`.
    """

    _standard_constant = math.log(2.0)

    def _standard_nll(self, z):
        return np.abs(z)

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
        return weighted_median(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return robust_spread(deviations, sample_weight) / np.log(2)

    def _scipy(self, params):
        return stats.laplace(loc=params["loc"], scale=params["scale"])


class StudentT(LocationScale):
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

    _df_link = SoftplusLink(floor=1.0)

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

    def _fixed_df(self):
        if isinstance(self.df, str) or not self.df > 0:
            raise ValueError(f"StudentT: df must be positive or 'learned'; got {self.df!r}.")
        return float(self.df)

    def _fixed_scale(self):
        if self._mle:
            raise ValueError("StudentT: scale must be 'learned' or a positive number.")
        return super()._fixed_scale()

    def _params(self, raw, n_targets):
        params = super()._params(raw, n_targets)
        if self._learned_df:
            df = self._df_link.forward(raw[:, -n_targets:])
        else:
            df = np.broadcast_to(np.asarray(self._fixed_df(), dtype=raw.dtype),
                                 params["loc"].shape)
        params["df"] = df
        return params

    @staticmethod
    def _log_normaliser(df):
        """``log Gamma(df/2) - log Gamma((df+1)/2) + log(df pi) / 2``."""
        return (special.gammaln(0.5 * df) - special.gammaln(0.5 * (df + 1))
                + 0.5 * np.log(df * np.pi))

    def _nll_terms(self, y, raw, grad):
        d = y.shape[1]
        params = self._params(raw, d)
        loc, scale, df = params["loc"], params["scale"], params["df"]
        z = (y - loc) / scale
        g_prime = (df + 1) * z / (df + z * z)
        terms = 0.5 * (df + 1) * np.log1p(z * z / df)
        grad[:, :d] = -g_prime / scale
        if self._learned:
            terms += np.log(scale)
            grad[:, d : 2 * d] = ((1 - z * g_prime) / scale
                                  * self._scale_link.derivative(raw[:, d : 2 * d], scale))
        if self._learned_df:
            terms += self._log_normaliser(df)
            z2_over_df = z * z / df
            d_df = (
                0.5 * special.digamma(0.5 * df)
                - 0.5 * special.digamma(0.5 * (df + 1))
                + 0.5 / df
                + 0.5 * np.log1p(z2_over_df)
                - 0.5 * (df + 1) * z2_over_df / (df + z * z)
            )
            grad[:, -d:] = d_df * self._df_link.derivative(raw[:, -d:], df)
        return terms

    def _constant_terms(self, y):
        constant = 0.0 if self._learned else np.log(self._fixed_scale())
        if not self._learned_df:
            constant = constant + self._log_normaliser(self._fixed_df())
        return constant

    # Median and 1.4826 MAD (the Gaussian-consistent scale, a fair start for any df),
    # robust to the outliers a heavy-tailed model is chosen for.
    def _marginal_loc(self, latent, sample_weight):
        return weighted_median(latent, sample_weight)

    def _marginal_scale(self, deviations, sample_weight):
        return 1.4826 * robust_spread(deviations, sample_weight)

    def _initial_raw(self, y, sample_weight):
        init = super()._initial_raw(y, sample_weight)
        if self._learned_df:
            init.append(np.full(y.shape[1], self._df_link.inverse(4.0)))
        return init

    def _scipy(self, params):
        # float64 df: scipy's t raises on float32 df in mean, var and rvs (scipy 1.17)
        df = np.asarray(params["df"], dtype=np.float64)
        return stats.t(df=df, loc=params["loc"], scale=params["scale"])
