"""The base class of noise models, and the checks of targets against a support."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator

# The supports a noise model can declare, as they are named in error messages.
_SUPPORT_NAMES = {
    "real": "real targets",
    "unit_interval": "targets in [0, 1]",
    "nonnegative": "non-negative targets",
    "positive": "strictly positive targets",
    "simplex": "rows of probabilities that sum to 1 (one-hot or soft labels)",
    "ordinal": "integer levels 0, 1, ..., n_levels - 1",
}


def describe_values(values, limit=5):
    """The distinct offending values, each printed with all the digits that tell it apart
    from a bound (``1.0000000000000002``, not ``1``)."""
    distinct = np.unique(values)
    shown = ", ".join(str(v) for v in distinct[:limit])
    return shown + (f" and {distinct.size - limit} more" if distinct.size > limit else "")


def _rounding_tolerance(dtype):
    # MinMaxScaler and friends land a few ulps beyond 0 or 1 (1.0000000000000002)
    return 4 * np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0


def model_blocks(model, n_targets):
    """``(model, columns, raw columns, terms)`` of each block of a composite model
    (one that has ``layout``, as :class:`~skae.noise.ColumnNoise`), or the model
    itself as one block over everything: for what runs block by block, each block
    under its own model's conventions."""
    layout = getattr(model, "layout", None)
    if layout is None:
        return [(model, np.arange(n_targets), np.arange(model.n_raw(n_targets)),
                 np.arange(model.n_terms(n_targets)))]
    return [(b.model, np.arange(n_targets)[b.columns],
             np.arange(model.n_raw(n_targets))[b.raw],
             np.arange(model.n_terms(n_targets))[b.terms])
            for b in layout(n_targets)]


class NoiseModel(BaseEstimator):
    """Base class of noise models: the distribution of targets given raw network outputs.

    A noise model describes a family ``p(y | omega)`` whose parameters ``omega`` are
    computed from unconstrained raw network outputs by links. For targets ``y`` of
    shape ``(n_samples, n_targets)`` the network provides ``raw`` of shape
    ``(n_samples, n_raw(n_targets))``, laid out parameter by parameter: with parameters
    ``(loc, scale)``, ``raw[:, :d]`` holds the locations and ``raw[:, d:2 * d]`` the raw
    scales.

    The negative log-likelihood is a sum of **terms**, one per target entry (or one per
    group of entries, such as the one-hot columns of one categorical variable):

    .. math:: -\\log p(y \\mid \\omega) = \\sum_j t_j(y, \\omega) + c_j(y)

    where ``c_j`` collects what does not depend on the network (``log(2 pi) / 2``,
    ``log y!``, a fixed scale's ``log sigma``). Training minimises the ``t_j`` only, so
    that tolerances are relative to the part that can change; everything reported as
    a likelihood includes the ``c_j``. A boolean ``mask`` of observed entries drops the
    terms of the missing ones: their likelihood, their gradient and their share of a
    fixed scale's estimate are exactly zero, whatever value stands in them.

    A subclass implements

    - ``param_names``, ``support`` and the links in ``_params(raw, n_targets)``, which
      returns the parameters by name, each of shape ``(n_samples, n_targets)``;
    - ``_nll_terms(y, raw, grad)``: the terms ``t`` of shape
      ``(n_samples, n_terms(n_targets))``, writing ``d sum(t) / d raw`` into ``grad``;
    - ``_constant_terms(y)``: the ``c``, broadcastable to the terms (default 0);
    - ``_scipy(params)``: the equivalent frozen ``scipy.stats`` distribution;
    - ``_initial_raw(y, sample_weight)``, and optionally ``_mean(params)``,
      ``_nll_sum_grad`` (a faster per-sample sum of the terms), ``fixed_statistics``
      and ``fit_fixed`` (parameters fitted by maximum likelihood after training),
      ``_crps(y, params)`` (the CRPS in closed form, see :meth:`crps`).

    :func:`skae.utils.check_noise_model` checks all of this for a subclass in one
    call. Noise models are scikit-learn estimators in the sense of ``get_params``:
    ``__init__`` only stores its arguments, so ``clone`` and ``GridSearchCV`` (e.g.
    ``{"noise__scale": [...]}``) work on them.
    """

    param_names = ()
    support = "real"
    # Whether the outcomes are ordered, so that a central predictive interval means
    # something (not for a categorical variable's levels).
    ordered_outcomes = True
    # A value inside the support that stands in for masked or impossible entries while
    # the terms are computed; their terms are discarded afterwards.
    _fill_value = 0.0

    @property
    def n_params(self):
        """Raw network outputs per target column."""
        return len(self.param_names)

    def n_raw(self, n_targets):
        """Number of raw network outputs for ``n_targets`` target columns."""
        return self.n_params * n_targets

    def n_terms(self, n_targets):
        """Number of likelihood terms per sample for ``n_targets`` target columns."""
        return n_targets

    def _n_targets(self, raw):
        return raw.shape[1] // self.n_params

    # ------------------------------------------------------------------ targets
    def validate_target(self, y, allow_missing=False):
        """Check targets against the support, naming any offending values.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        allow_missing : bool, default=False
            Accept NaN, marking a missing entry (only where the caller masks them out
            of the likelihood).

        Returns
        -------
        y : ndarray
            ``y`` itself, or a copy in which values a few ulps outside a closed bound
            (``1.0000000000000002`` from ``MinMaxScaler``) are clipped onto it.

        Raises
        ------
        ValueError
            For infinite values, NaN (unless ``allow_missing``) or values outside the
            support.
        """
        y = np.asarray(y)
        self._check_target_shape(y)
        missing = np.isnan(y) if np.issubdtype(y.dtype, np.floating) else None
        bad = ~np.isfinite(y)
        if allow_missing and missing is not None:
            bad &= ~missing
        if bad.any():
            what = "infinity" if allow_missing else "NaN or infinity"
            raise ValueError(
                f"{type(self).__name__} noise: targets contain {what} ({bad.sum()} of "
                f"{y.size} values: {describe_values(y[bad])})."
            )
        y = self._clip_rounding(y)
        filled = y if missing is None or not missing.any() else self._fill(y, missing)
        outside = self._outside_support(filled)
        if outside is not None and outside.any():
            raise ValueError(self._support_message(filled, outside))
        return y

    def _check_target_shape(self, y):
        pass

    def _outside_support(self, y):
        """Boolean array of the entries outside the support (None: every value is in it)."""
        if self.support == "unit_interval":
            return (y < 0) | (y > 1)
        if self.support == "nonnegative":
            return y < 0
        if self.support == "positive":
            return y <= 0
        return None

    def _clip_rounding(self, y):
        closed = {"unit_interval": (0, 1), "nonnegative": (0, None)}.get(self.support)
        if closed is None or y.size == 0:
            return y
        low, high = closed
        tol = _rounding_tolerance(y.dtype)
        y_min, y_max = np.nanmin(y), np.nanmax(y)
        near_low = low - tol <= y_min < low
        near_high = high is not None and high < y_max <= high + tol
        return np.clip(y, low, high) if near_low or near_high else y

    def _support_message(self, y, outside):
        name = type(self).__name__
        values = describe_values(y[outside])
        needs = _SUPPORT_NAMES[self.support]
        if self.support in ("unit_interval", "nonnegative") and (y[outside] < 0).any():
            # scikit-learn's positive_only checks look for this wording
            return f"Negative values in data: {name} noise requires {needs}; got {values}."
        return (f"{name} noise requires {needs}; got {outside.sum()} values "
                f"outside it: {values}.")

    def _fill(self, y, where):
        """``y`` with the entries ``where`` replaced by a value inside the support."""
        return np.where(where, y.dtype.type(self._fill_value), y)

    # ---------------------------------------------------------- the likelihood
    def nll_terms(self, y, raw):
        """The exact negative log-likelihood of every entry (or group of entries).

        An entry outside the support has likelihood zero: its term is ``+inf``. Values a
        few ulps outside a closed bound count as on it, as in :meth:`validate_target`.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))

        Returns
        -------
        terms : ndarray of shape (n_samples, n_terms(n_targets))
        """
        y, raw = np.asarray(y), np.asarray(raw)
        self._check_target_shape(y)
        y = self._clip_rounding(y)
        outside = self._outside_support(y)
        impossible = outside is not None and outside.any()
        if impossible:
            y = self._fill(y, outside)
        with np.errstate(divide="ignore", over="ignore"):
            terms = self._nll_terms(y, raw, np.empty_like(raw))
        terms += self._constant_terms(y)
        if impossible:
            terms[self._term_any(outside)] = np.inf
        return terms

    def nll(self, y, raw, mask=None):
        """Per-sample exact negative log-likelihood of the observed entries.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))
        mask : ndarray of bool of the shape of ``y``, default=None
            True where an entry is observed; masked entries (which may hold NaN)
            contribute nothing. None means all are observed.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            ``+inf`` for a sample with an observed entry outside the support.
        """
        if mask is None:
            return self.nll_terms(y, raw).sum(axis=1)
        mask = np.asarray(mask, dtype=bool)
        terms = self.nll_terms(self._fill(np.asarray(y), ~mask), raw)
        return np.where(self._term_all(mask), terms, 0).sum(axis=1)

    def log_likelihood(self, y, raw, mask=None):
        """Per-sample log-likelihood, ``-nll(y, raw, mask)``; ``-inf`` outside the support."""
        return -self.nll(y, raw, mask)

    def nll_and_grad(self, y, raw, out=None, mask=None, include_constants=True):
        """Per-sample NLL and its gradient with respect to ``raw``, computed together.

        This is training's path: ``y`` must lie in the support (see
        :meth:`validate_target`).

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))
        out : ndarray of the shape of ``raw``, default=None
            Receives the gradient; training passes a buffer reused across batches.
        mask : ndarray of bool of the shape of ``y``, default=None
            True where an entry is observed. The gradient of a masked entry is zero.
        include_constants : bool, default=True
            Whether to add the terms that do not depend on ``raw``; training leaves
            them out.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
        grad : ndarray of the shape of ``raw``
        """
        y, raw = np.asarray(y), np.asarray(raw)
        if out is None:
            out = np.empty_like(raw)
        if mask is None:
            # the allocation-free path: no per-entry terms are formed
            nll = self._nll_sum_grad(y, raw, out)
            if include_constants:
                nll += self._constant_sum(y)
            return nll, out
        mask = np.asarray(mask, dtype=bool)
        y = self._fill(y, ~mask)
        terms = self._nll_terms(y, raw, out)
        if include_constants:
            terms += self._constant_terms(y)
        observed = self._term_all(mask)
        self._mask_grad(out, observed)
        return np.where(observed, terms, 0).sum(axis=1), out

    def grad(self, y, raw, mask=None):
        """Gradient of ``nll(y, raw, mask).sum()`` with respect to ``raw``."""
        return self.nll_and_grad(y, raw, mask=mask)[1]

    def _constant_sum(self, y):
        constants = self._constant_terms(y)
        if np.ndim(constants) == 0:
            return constants * self.n_terms(y.shape[1])
        if np.ndim(constants) == 1:
            return constants.sum()
        return constants.sum(axis=1)

    # Entries map to terms one to one; a model whose term covers a group of columns
    # (Categorical) overrides these three.
    def _term_all(self, entry_mask):
        return entry_mask

    def _term_any(self, entry_mask):
        return entry_mask

    def _mask_grad(self, grad, observed):
        d = observed.shape[1]
        for k in range(self.n_params):
            grad[:, k * d : (k + 1) * d] *= observed

    # ------------------------------------------------------ the distribution
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

    def initial_raw(self, y, sample_weight=None):
        """Raw outputs of the targets' marginal distribution, shape (n_raw,).

        Used as the output layer's initial bias, so training starts from the best
        constant model rather than from an arbitrary one.
        """
        return np.concatenate(self._initial_raw(np.asarray(y), sample_weight)).ravel()

    # ------------------------------------------------ fixed (ML) parameters
    def fixed_statistics(self, y, raw, sample_weight=None, mask=None):
        """Sufficient statistics for :meth:`fit_fixed`, or None if nothing is estimated.

        They add up over chunks of samples, so an estimator can accumulate them over
        data too large to hold the raw outputs of all at once; masked entries add
        nothing.
        """
        return None

    def fit_fixed(self, statistics, pooled=False):
        """Return the model with its fixed parameters set to their ML values.

        ``statistics`` is the sum of :meth:`fixed_statistics` over the training data,
        computed with the trained network's raw outputs. The default has nothing to
        estimate and returns ``self``.
        """
        return self

    def has_fixed_parameters(self):
        """Whether :meth:`fixed_statistics` estimates anything (e.g. ``scale="mle"``).

        Estimators skip the pass over the data that would collect nothing. The default
        is true exactly when a subclass overrides :meth:`fixed_statistics`.
        """
        return type(self).fixed_statistics is not NoiseModel.fixed_statistics

    def crps(self, y, raw):
        """Continuous ranked probability score of every entry: lower is better.

        .. math:: \\mathrm{CRPS}(F, y) = \\int_{-\\infty}^{\\infty}
                  \\big(F(t) - \\mathbf{1}\\{t \\ge y\\}\\big)^2 \\, dt
                  = \\mathbb{E}|Y - y| - \\tfrac12 \\mathbb{E}|Y - Y'|

        with ``F`` the predictive CDF and ``Y, Y'`` independent draws from it: a proper
        scoring rule in the units of ``y``, in closed form for the models that define
        ``_crps(y, params)``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
        raw : ndarray of shape (n_samples, n_raw(n_targets))

        Returns
        -------
        crps : ndarray of shape (n_samples, n_targets)

        Raises
        ------
        ValueError
            If the model has no closed form, or for targets outside its support
            (named), which no closed form scores.
        """
        y = self.validate_target(y)
        return self._crps(y, self.params(np.asarray(raw)))

    def _crps(self, y, params):
        raise ValueError(f"{type(self).__name__} noise has no closed-form CRPS.")

    def has_finite_parameters(self):
        """Whether every numeric parameter (e.g. a fitted scale) is finite."""
        return all(np.isfinite(value).all() for value in self.get_params().values()
                   if isinstance(value, (Real, np.ndarray)) and not isinstance(value, bool))

    # ------------------------------------------------------- subclass interface
    def _nll_sum_grad(self, y, raw, grad):
        return self._nll_terms(y, raw, grad).sum(axis=1)

    def _constant_terms(self, y):
        return 0.0

    def _mean(self, params):
        return self._scipy(params).mean()

    def _initial_raw(self, y, sample_weight):
        raise NotImplementedError

    def _params(self, raw, n_targets):
        raise NotImplementedError

    def _nll_terms(self, y, raw, grad):
        raise NotImplementedError

    def _scipy(self, params):
        raise NotImplementedError
