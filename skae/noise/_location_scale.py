"""Location-scale noise models: Gaussian, Laplace, Student-t and log-normal."""

import copy
import math

import numpy as np
from scipy import special, stats

from ._base import NoiseModel
from ._links import LOCATION_LINKS, AffineLink, IdentityLink, SoftplusLink
from ._stats import entry_weights, robust_spread, row_dot, weighted_mean, weighted_median

_LOG_2PI = math.log(2 * math.pi)


def _std_normal_pdf(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
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

    :meth:`rescaled` gives the same model for targets in other units, so that a network
    trained on standardised targets predicts, and is scored, in the targets' own units.
    """

    _base_loc_link = IdentityLink()
    _base_scale_link = SoftplusLink(floor=MIN_SCALE)
    _standard_constant = 0.0
    # The affine map from the network's units to the targets' (see ``rescaled``); the
    # identity unless rescaled.
    _target_shift = None
    _target_unit = None

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

    @property
    def _loc_link(self):
        if self._target_unit is None:
            return self._base_loc_link
        return AffineLink(self._base_loc_link, self._target_shift, self._target_unit)

    @property
    def _scale_link(self):
        if self._target_unit is None:
            return self._base_scale_link
        return AffineLink(self._base_scale_link, 0.0, self._target_unit)

    @property
    def _unit(self):
        """The targets' unit per column (1 unless rescaled): a floor given in the
        network's units is this times the floor."""
        return 1.0 if self._target_unit is None else self._target_unit

    @property
    def can_rescale(self):
        """Whether :meth:`rescaled` applies: the location's link is the identity."""
        return self._base_loc_link.name == "identity"

    def marginal_units(self, y, sample_weight=None, mask=None):
        """Per target column, the location and scale of the best constant model.

        The units in which :meth:`rescaled` standardises the targets: of the latent
        targets (``log y`` for LogNormal), the (weighted) mean and standard deviation
        for Gaussian and LogNormal, the median and a median absolute deviation for the
        robust Laplace and StudentT, so that a few gross outliers do not squeeze the
        bulk of the targets into a tiny range. The same marginal fit starts the output
        biases (``initial_raw``).

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        sample_weight : ndarray of shape (n_samples,), default=None
        mask : ndarray of bool of the shape of ``y``, default=None
            True where an entry is observed; the others are left out.

        Returns
        -------
        shift, unit : ndarray of shape (n_targets,)
            In the dtype of ``y``. A column with no spread (or no observed entry) gets
            shift 0 and unit 1.
        """
        shift, unit = np.zeros(y.shape[1]), np.ones(y.shape[1])
        for j in range(y.shape[1]):
            rows = slice(None) if mask is None else mask[:, j]
            latent = self._latent(y[rows, j : j + 1].astype(np.float64))
            weights = None if sample_weight is None else sample_weight[rows]
            if latent.shape[0] == 0 or (weights is not None and not weights.sum() > 0):
                continue
            loc = self._marginal_loc(latent, weights)
            scale = self._marginal_scale(np.abs(latent - loc), weights)
            shift[j] = loc[0]
            if np.isfinite(scale[0]) and scale[0] > 0:
                unit[j] = scale[0]
        return shift.astype(y.dtype), unit.astype(y.dtype)

    def rescaled(self, shift, unit):
        """The same model for targets in other units: ``u(y) = shift + unit * u(y')``.

        ``u`` is the identity, or ``log`` for :class:`LogNormal`. If this model
        describes ``y'`` given the raw outputs, the returned one describes ``y``:

        .. math:: \\mu = \\mathrm{shift} + \\mathrm{unit}\\,\\mu', \\qquad
                  \\sigma = \\mathrm{unit}\\,\\sigma',

        for a learned scale and for the training scale of ``scale="mle"`` (1 in the
        units of ``y'``). A known numeric scale, and the ML scale that
        :meth:`fit_fixed` sets, are in the units of ``y``. The density then carries the
        Jacobian of the map, ``-log(unit)`` per target column in every log-likelihood,
        with no separate term: it is the ``log sigma`` of the family itself. The
        gradient with respect to the raw outputs is that of the standardised model, so
        a network trains on targets of any units as on standardised ones.

        Parameters
        ----------
        shift, unit : ndarray of shape (n_targets,)
            Per target column, in the dtype of the raw outputs; ``unit > 0``.

        Returns
        -------
        model : LocationScale
            A copy; applying ``rescaled`` twice composes the maps.
        """
        if not self.can_rescale:
            raise ValueError(f"{self!r} cannot be rescaled: its location link is not the "
                             "identity.")
        model = copy.copy(self)
        if self._target_unit is None:
            model._target_shift, model._target_unit = shift, unit
        else:
            model._target_shift = self._target_shift + self._target_unit * shift
            model._target_unit = self._target_unit * unit
        return model

    # The units of ``rescaled`` are part of the distribution, though not a parameter a
    # user sets: clone keeps them and the repr shows them.
    def __sklearn_clone__(self):
        cloned = super().__sklearn_clone__()
        cloned._target_shift, cloned._target_unit = self._target_shift, self._target_unit
        return cloned

    def __repr__(self, N_CHAR_MAX=700):
        text = super().__repr__(N_CHAR_MAX)
        if self._target_unit is None:
            return text
        return f"{text}.rescaled({self._target_shift!r}, {self._target_unit!r})"

    def _fixed_scale(self):
        if isinstance(self.scale, str):
            if self.scale != "mle":
                raise ValueError(
                    f"{type(self).__name__}: scale must be 'mle', 'learned' or a positive "
                    f"number; got {self.scale!r}."
                )
            # the training scale: 1 in the network's units
            return 1.0 if self._target_unit is None else self._target_unit
        scale = np.asarray(self.scale, dtype=float)
        if not np.all(scale > 0) or not np.all(np.isfinite(scale)):
            raise ValueError(
                f"{type(self).__name__}: scale must be positive and finite; got {self.scale!r}."
            )
        return float(scale) if scale.ndim == 0 else scale

    # A family defined on a transform u(y) of the targets (LogNormal) overrides these;
    # ``latent_transform`` names u, the variable whose units ``marginal_units`` gives.
    latent_transform = "identity"

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
        return [raw_loc, self._scale_link.inverse(np.maximum(scale, 1e-3 * self._unit))]

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
        # the floor in the network's units, as the learned scale's, so that it does
        # not bind on targets of small spread that a rescaled model was made for
        floor = MIN_SCALE * self._unit
        scale = np.maximum(self._scale_from_statistic(mean),
                           np.max(floor) if pooled else floor)
        # a copy rather than a clone, which would drop the units of ``rescaled``
        return copy.copy(self).set_params(scale=float(scale) if pooled else scale)

    def _mean(self, params):
        return params["loc"]

    def _crps(self, y, params):
        # CRPS is equivariant under y -> loc + scale z: scale times the standard CRPS
        return params["scale"] * self._standard_crps((y - params["loc"]) / params["scale"])


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
        if self._learned or self._base_loc_link.name != "identity":
            return super()._nll_sum_grad(y, raw, grad)
        # Fixed scale, identity link: training's hot path. The residual is formed in
        # ``grad`` itself, with no temporary of the batch's size.
        d = y.shape[1]
        scale = self._fixed_scale()  # 1.0 (or the unit) while training with scale="mle"
        unit = self._target_unit
        if unit is None:
            residual = np.subtract(raw[:, :d], self._latent(y), out=grad)
        else:
            residual = np.multiply(raw[:, :d], unit, out=grad)
            residual += self._target_shift
            residual -= self._latent(y)
        if isinstance(scale, float):  # one scale for all columns
            nll = (0.5 / scale**2) * row_dot(residual, residual)
            if scale != 1.0:
                residual /= scale**2
        else:
            residual /= scale.astype(raw.dtype, copy=False)  # -z
            nll = 0.5 * row_dot(residual, residual)
            residual /= scale.astype(raw.dtype, copy=False)
        if unit is not None:
            residual *= unit  # d loc / d raw
        return nll  # grad = residual = (loc - y) / scale^2 * d loc / d raw


class Gaussian(_GaussianShape, LocationScale):
    """Gaussian noise: ``y ~ N(loc, scale^2)``.

    .. math:: -\\log p(y) = \\frac{(y - \\mu)^2}{2 \\sigma^2} + \\log \\sigma
              + \\tfrac12 \\log 2\\pi

    Its CRPS (see :meth:`crps`), with ``z = (y - mu) / sigma``, is

    .. math:: \\sigma \\Big[z\\,\\big(2\\Phi(z) - 1\\big) + 2\\varphi(z)
              - \\tfrac{1}{\\sqrt\\pi}\\Big].

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
    def _base_loc_link(self):
        try:
            return LOCATION_LINKS[self.link]
        except (KeyError, TypeError):
            raise ValueError(
                f"Gaussian: link must be one of {sorted(LOCATION_LINKS)}; got {self.link!r}."
            ) from None

    def _scipy(self, params):
        return stats.norm(loc=params["loc"], scale=params["scale"])

    @staticmethod
    def _standard_crps(z):
        return z * (2 * special.ndtr(z) - 1) + 2 * _std_normal_pdf(z) - 1 / math.sqrt(math.pi)


class LogNormal(_GaussianShape, LocationScale):
    """Log-normal noise for positive, right-skewed targets: ``log y ~ N(loc, scale^2)``.

    .. math:: -\\log p(y) = \\frac{(\\log y - \\mu)^2}{2 \\sigma^2} + \\log \\sigma
              + \\log y + \\tfrac12 \\log 2\\pi

    The mean is ``exp(mu + sigma^2 / 2)``. Its CRPS (Baran and Lerch, 2015), with
    ``z = (log y - mu) / sigma``, is

    .. math:: y\\,\\big(2\\Phi(z) - 1\\big) - 2 e^{\\mu + \\sigma^2/2}
              \\Big[\\Phi(z - \\sigma) + \\Phi\\big(\\sigma/\\sqrt2\\big) - 1\\Big].

    Parameters
    ----------
    scale : {"mle", "learned"} or float, default="mle"
        Scale of ``log y``, as for :class:`Gaussian`.
    """

    support = "positive"
    _fill_value = 1.0
    latent_transform = "log"

    def _latent(self, y):
        return np.log(y)

    def _log_jacobian(self, y):
        return np.log(y)

    def _mean(self, params):
        return np.exp(params["loc"] + 0.5 * params["scale"] ** 2)

    def _scipy(self, params):
        return stats.lognorm(s=params["scale"], scale=np.exp(params["loc"]))

    def _crps(self, y, params):
        loc, scale = params["loc"], params["scale"]
        z = (np.log(y) - loc) / scale
        # Phi(s / sqrt 2) - 1 = -Phi(-s / sqrt 2); each product with exp(mu + s^2 / 2)
        # taken in log space, where a large scale neither overflows nor cancels
        log_mean = loc + 0.5 * scale**2
        return (y * (2 * special.ndtr(z) - 1)
                - 2 * (np.exp(log_mean + special.log_ndtr(z - scale))
                       - np.exp(log_mean + special.log_ndtr(-scale / math.sqrt(2)))))


class Laplace(LocationScale):
    """Laplace noise: ``y ~ Laplace(loc, scale)``.

    .. math:: -\\log p(y) = \\frac{|y - \\mu|}{b} + \\log 2b

    With the default ``scale="mle"`` training minimises exactly the absolute error; the
    fitted estimator then sets ``b`` to the mean absolute residual. Its CRPS, with
    ``z = (y - mu) / b``, is

    .. math:: b\\,\\big(|z| + e^{-|z|} - \\tfrac34\\big).

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

    @staticmethod
    def _standard_crps(z):
        a = np.abs(z)
        return a + np.exp(-a) - 0.75


class StudentT(LocationScale):
    """Student-t noise for heavy-tailed targets: ``(y - loc) / scale ~ t(df)``.

    .. math:: -\\log p(y) = \\tfrac{\\nu + 1}{2} \\log\\left(1 + \\tfrac{z^2}{\\nu}\\right)
              + \\log \\sigma + \\log \\Gamma(\\tfrac{\\nu}{2})
              - \\log \\Gamma(\\tfrac{\\nu + 1}{2}) + \\tfrac12 \\log \\nu\\pi

    Its CRPS is finite for ``nu > 1/2``; for ``nu > 1``, with ``z = (y - mu) / sigma``
    and ``F_nu``, ``f_nu`` the standard t CDF and density (Jordan, Krueger and Lerch,
    2019), it has the closed form

    .. math:: \\sigma \\Big[z\\,\\big(2F_\\nu(z) - 1\\big)
              + 2 f_\\nu(z)\\,\\frac{\\nu + z^2}{\\nu - 1}
              - \\frac{2\\sqrt\\nu\\,B(\\tfrac12, \\nu - \\tfrac12)}
                     {(\\nu - 1)\\,B(\\tfrac12, \\tfrac\\nu2)^2}\\Big].

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
        grad[:, :d] = -g_prime / scale * self._loc_link.derivative(raw[:, :d], loc)
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

    def _crps(self, y, params):
        df = params["df"]
        if np.any(df <= 1):
            raise ValueError("StudentT: the CRPS has no closed form for df <= 1 (it is "
                             "finite for df > 1/2, infinite below).")
        z = (y - params["loc"]) / params["scale"]
        density = np.exp(-self._log_normaliser(df) - 0.5 * (df + 1) * np.log1p(z * z / df))
        standard = (z * (2 * special.stdtr(df, z) - 1)
                    + 2 * density * (df + z * z) / (df - 1)
                    - 2 * np.sqrt(df) * np.exp(special.betaln(0.5, df - 0.5)
                                               - 2 * special.betaln(0.5, 0.5 * df)) / (df - 1))
        # stdtr and betaln compute in float64 only
        return (params["scale"] * standard).astype(params["loc"].dtype, copy=False)

    def _scipy(self, params):
        # float64 df: scipy's t raises on float32 df in mean, var and rvs (scipy 1.17)
        df = np.asarray(params["df"], dtype=np.float64)
        return stats.t(df=df, loc=params["loc"], scale=params["scale"])
