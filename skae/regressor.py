"""MLPLikelihoodRegressor: a neural regressor that returns whole predictive distributions."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, validate_data

from ._base import (BaseLikelihoodNetwork, _is_stochastic, check_columns_as_in_fit,
                    observed_mask)
from ._dask import lazy_on_dask
from ._objective import Objective
from ._training import Data
from .noise import Categorical, ColumnNoise, LocationScale


class MLPLikelihoodRegressor(RegressorMixin, BaseLikelihoodNetwork):
    """Multilayer perceptron whose outputs are the parameters of ``p(y | x)``.

    The network maps ``x`` to raw outputs ``f_theta(x)``; the noise model's link turns
    them into the parameters ``omega`` of the target's distribution, and training
    minimises the negative log-likelihood

    .. math:: \\min_\\theta \\; -\\sum_i w_i \\log p\\big(y_i \\mid \\omega = f_\\theta(x_i)\\big)
              + \\tfrac{\\alpha}{2}\\lVert W\\rVert^2 .

    With the default ``noise="gaussian"`` (fixed scale) this is the squared error of
    :class:`sklearn.neural_network.MLPRegressor` on standardised targets (exactly
    MLPRegressor's with ``target_scaling=False``; the fit ends on an average of the
    weights unless ``weight_averaging=0``); the scale is then set to its
    maximum-likelihood value on the training residuals, one per output, so that
    :meth:`predict_dist` and :meth:`log_likelihood` are honest. With
    ``Gaussian(scale="learned")`` the network also outputs a per-sample scale
    (heteroscedastic regression), and by default training stops early on the
    held-out log-likelihood (``early_stopping="auto"``): a learned scale otherwise
    shrinks on the training points and the intervals come out overconfident. Such a
    fit first trains the location with one constant scale, then both
    (``location_first``). Outputs of multi-output ``y`` are independent given ``x``.

    **Target scaling.** For a location-scale noise model (Gaussian, Laplace, StudentT,
    and LogNormal on ``log y``) the network works in standardised units: with ``m``
    and ``s`` the location and scale of the noise model's best constant fit to each
    target column (of ``log y`` for LogNormal), sample-weighted: the mean and
    standard deviation for Gaussian and LogNormal, the median and a median absolute
    deviation for the robust Laplace and StudentT,

    .. math:: \\mu = m + s\\,\\mu', \\qquad \\sigma = s\\,\\sigma',

    where ``mu'`` and ``sigma'`` are what the network outputs through the noise
    model's links. Training therefore proceeds as on ``(y - m) / s`` whatever the
    units of ``y``, while every prediction, interval, draw and likelihood is in the
    units of ``y``: each log-likelihood includes the Jacobian ``-log s`` per target
    column. Fitting on ``1000 * y`` shifts every log-likelihood by ``-log 1000`` and
    leaves the predictions' :math:`R^2` unchanged. Models with no location-scale
    family (Poisson, Bernoulli, Categorical, a Gaussian with a logistic link) are not
    rescaled; a :class:`~skae.noise.ColumnNoise` rescales its location-scale blocks
    only (an amount in thousands beside a count and a flag: on
    ``benchmarks/bench_mixed_targets.py`` the unscaled amount's large gradients also
    cost the flag's likelihood).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Sizes of the hidden layers.
    activation : {"relu", "identity", "logistic", "tanh", "leaky_relu", "softplus"}, \
            default="relu"
        Activation of the hidden layers.
    noise : str or NoiseModel, default="gaussian"
        ``"gaussian"``, ``"laplace"``, ``"student_t"``, ``"lognormal"``, ``"poisson"``,
        ``"bernoulli"`` (targets in [0, 1]) or an instance from :mod:`skae.noise`,
        e.g. ``Gaussian(scale="learned")``.
    solver, alpha, batch_size, learning_rate, power_t, shuffle, random_state, tol, \
verbose, warm_start, momentum, nesterovs_momentum, validation_fraction, beta_1, \
beta_2, epsilon, max_fun
        Optimisation parameters, with the names, defaults and meaning of
        :class:`sklearn.neural_network.MLPRegressor` (see :class:`skae.AutoEncoder`).
    max_iter : int or "auto", default="auto"
        The most epochs a fit runs (L-BFGS iterations with "lbfgs"). ``"auto"`` is
        500 when the fit stops early (see ``early_stopping``), 200 (MLPRegressor's
        default) otherwise.
    n_iter_no_change : int, np.inf or "auto", default="auto"
        Epochs without an improvement of more than ``tol`` (of the validation
        log-likelihood with early stopping, else of the training loss) after which
        training stops, or moves on to its next stage (see ``location_first``).
        ``"auto"`` is 50 when the fit stops early, 10 (MLPRegressor's default)
        otherwise: early stopping returns to the best epoch, so a long patience
        costs time only, while a short one stopped learned scales on the noise of
        the validation score of a hundred rows, long before their best.
    learning_rate_init : float or "auto", default="auto"
        The initial step size, as in MLPRegressor. ``"auto"`` is 0.02 when the fit
        stops early (see ``early_stopping``) with the "adam" solver, 0.001 otherwise
        (MLPRegressor's default): held-out early stopping of the averaged weights
        (see ``weight_averaging``) lets the larger step fit more in fewer epochs
        without overfitting, while a run of ``max_iter`` epochs with no held-out
        check overfits a fixed scale at that step.
    early_stopping : bool or "auto", default="auto"
        Whether to hold out ``validation_fraction`` of the training rows and stop when
        their log-likelihood stops improving, keeping the best parameters (with the
        stochastic solvers, "sgd" and "adam"; "lbfgs" ignores it). ``"auto"``
        applies to the stochastic solvers only: it stops early when the noise model
        learns a scale (a ``"scale"`` among its parameters, e.g.
        ``Gaussian(scale="learned")``) and the held-out rows number at least 2, never
        with "lbfgs" and never in :meth:`partial_fit`. A fixed scale is fitted by
        maximum likelihood after training; early stopping helped it on some data sets
        and hurt it on others (``benchmarks/bench_regressor_defaults.py``), so "auto"
        leaves it off.
    target_scaling : bool, default=True
        Whether a location-scale noise model works in standardised units (see
        above). The units are taken on the first ``fit`` (or ``partial_fit``) and
        kept by ``warm_start`` fits and by every later :meth:`partial_fit` call, as is
        the choice to scale at all: the first call's data fix them, so that call
        should be representative. Continuing with a noise model of another
        transform of the targets (``Gaussian`` after ``LogNormal``, which models
        ``log y``) raises a ValueError.
    n_threads : int, default=None
        Number of BLAS threads; None chooses per pass (see :class:`skae.AutoEncoder`).
    partial_fit_noise : bool, default=True
        Whether each :meth:`partial_fit` call also updates the fixed noise parameters;
        see :class:`skae.AutoEncoder`.
        Early stopping monitors the validation log-likelihood.
    weight_averaging : float in [0, 1), default=0.9
        Decay ``rho`` of an exponential moving average of the weights over the
        epochs of a ``fit``: after epoch ``t``,
        :math:`\\bar\\theta_t = \\rho\\,\\bar\\theta_{t-1} + (1 - \\rho)\\,\\theta_t`.
        The fit ends on the average (with early stopping, on the average with the
        best validation log-likelihood, which is also what early stopping
        monitors), cancelling much of the noise of the minibatch steps. 0 keeps the
        last weights, as MLPRegressor does; :meth:`partial_fit` always steps and
        keeps the raw weights.
    location_first : bool, default=True
        Whether a fit that learns the scale of a location-scale noise model (e.g.
        ``Gaussian(scale="learned")``) and stops early fits the location first:
        the scale is one constant per target (its weights held at zero, its bias
        learned) until the validation log-likelihood stops improving; training
        then goes on from the best epoch with the full likelihood, the scale free
        to vary with X. Learned together from the start, the scale grows where the
        location still fits badly, which shrinks the location's gradient there (by
        ``1 / scale^2`` for a Gaussian): the location then lags most where the
        noise is largest. Fits from scratch only; ``warm_start`` and
        :meth:`partial_fit` continue in one stage.

    Attributes
    ----------
    noise_ : NoiseModel
        The fitted noise model; a fixed scale holds its ML value per output.
    n_outputs_ : int
        Number of outputs.
    coefs_, intercepts_ : list of ndarray
        Weights and biases, views into one flat parameter vector.
    loss_, loss_curve_, validation_scores_, best_validation_score_, best_loss_, \
n_iter_, t_, n_layers_
        As for :class:`skae.AutoEncoder`. With target scaling, the training losses
        (``loss_``, ``loss_curve_``, ``best_loss_``) are in the network's
        standardised units, the scale of the optimisation; the validation scores
        are log-likelihoods in ``y``'s own units, as is every score.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of the features seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import MLPLikelihoodRegressor
    >>> from skae.noise import Gaussian
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(500, 1))
    >>> y = np.sin(X[:, 0]) + rng.normal(scale=0.1 + 0.2 * np.abs(X[:, 0]))
    >>> reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), max_iter=50,
    ...                              random_state=0).fit(X, y)
    >>> lower, upper = reg.predict_interval(X[:3], coverage=0.9)
    >>> lower.shape, sorted(reg.predict_params(X[:3]))
    ((3,), ['loc', 'scale'])
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, noise="gaussian",
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init="auto", power_t=0.5, max_iter="auto", shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping="auto",
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change="auto", max_fun=15000, n_threads=None,
                 partial_fit_noise=True, target_scaling=True, weight_averaging=0.9,
                 location_first=True):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, noise=noise,
            solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, n_threads=n_threads,
            partial_fit_noise=partial_fit_noise,
        )
        self.target_scaling = target_scaling
        self.weight_averaging = weight_averaging
        self.location_first = location_first

    _parameter_constraints = {
        **BaseLikelihoodNetwork._parameter_constraints,
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "target_scaling": ["boolean"],
        "weight_averaging": [Interval(Real, 0, 1, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither"),
                               StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_iter_no_change": [*BaseLikelihoodNetwork._parameter_constraints["n_iter_no_change"],
                             StrOptions({"auto"})],
        "location_first": ["boolean"],
    }

    def _stops_early(self, early_stopping):
        # lbfgs ignores early_stopping: it never holds rows out
        return early_stopping and self.solver != "lbfgs"

    def _learning_rate_init(self, early_stopping):
        # early stopping on the averaged weights keeps a twentyfold larger Adam step
        # from overfitting (benchmarks/bench_regressor_defaults.py); without it, 200
        # epochs at that step overfit a fixed scale badly
        larger = early_stopping and self.solver == "adam"
        return _resolve_auto(self.learning_rate_init, 0.02 if larger else 0.001)

    # With early stopping, a fit can afford a long patience (it returns to the best
    # epoch) and needs it: 10 epochs of a few minibatches each stopped learned scales
    # on the noise of the validation score, long before their best
    # (benchmarks/bench_regressor_defaults.py).
    def _max_iter(self, early_stopping):
        return _resolve_auto(self.max_iter, 500 if self._stops_early(early_stopping) else 200)

    def _n_iter_no_change(self, early_stopping):
        return _resolve_auto(self.n_iter_no_change,
                             50 if self._stops_early(early_stopping) else 10)

    def _weight_averaging(self):
        return self.weight_averaging

    def _early_stopping(self, noise, n_samples, incremental):
        if not _is_auto(self.early_stopping):
            return self.early_stopping
        learns_scale = "scale" in getattr(noise, "param_names", ())
        # the validation split needs two rows (and HistGradientBoosting's "auto"
        # likewise never asks for a split it cannot make)
        held_out = math.ceil(n_samples * self.validation_fraction)
        stochastic = self.solver != "lbfgs"  # lbfgs never holds rows out
        return learns_scale and stochastic and not incremental and held_out >= 2

    def _stages_location_first(self, noise, config):
        """Whether a fresh fit trains the location first (see ``location_first``)."""
        return (self.location_first and self._stops_early(config.early_stopping)
                and isinstance(noise, LocationScale) and noise._learned)

    def _make_training_objective(self, network, noise, config, fresh):
        if not (fresh and self._stages_location_first(noise, config)):
            return super()._make_training_objective(network, noise, config, fresh)
        return _LocationFirstObjective(
            network, noise, self.alpha, input_transform=self._input_transform(),
            **self._training_terms(network), location_epochs=max(1, config.max_iter // 2))

    def _noise_for_training(self, noise, targets, sample_weight, mask, warm):
        """The noise model in the targets' units, the network's being standardised
        (see ``target_scaling``); the units are fixed by the first call."""
        rescalable = getattr(noise, "can_rescale", False)
        if not warm:
            self._target_units = (noise.marginal_units(targets, sample_weight, mask)
                                  if self.target_scaling and rescalable else None)
            self._target_units_transform = (noise.latent_transform
                                            if self._target_units is not None else None)
        if self._target_units is None or not rescalable:
            return noise
        if noise.latent_transform != self._target_units_transform:
            # units of y are no units of log y: reusing them would predict nonsense
            raise ValueError(
                f"The target units were taken for a noise model of "
                f"{_modelled(self._target_units_transform)}, but noise={noise!r} models "
                f"{_modelled(noise.latent_transform)}; fit from scratch (warm_start=False) "
                "after changing noise to a different transform of the targets."
            )
        return noise.rescaled(*self._target_units)

    def _layers(self, n_features, n_raw):
        hidden = self._hidden_sizes()
        return [n_features, *hidden, n_raw], [self.activation] * len(hidden)

    def _target_names(self, X, y):
        columns = getattr(y, "columns", None)  # a DataFrame of targets
        return None if columns is None else [str(c) for c in columns]

    def _validate_fit_data(self, X, y, reset):
        self._check_target_columns(X, y, reset)
        dtype = [np.float64, np.float32] if reset else self._network.dtype
        # y is not checked for NaN or infinity here: the noise model rejects them with
        # a message that names itself, as it does for values outside its support.
        X, y = validate_data(self, X, y, reset=reset, validate_separately=(
            {"accept_sparse": "csr", "dtype": dtype},
            {"ensure_2d": False, "dtype": "numeric", "ensure_all_finite": False},
        ))
        check_consistent_length(X, y)
        Y = self._targets_2d(y, X.dtype)
        if reset:
            self.n_outputs_ = Y.shape[1]
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but the model was fitted with {self.n_outputs_}."
            )
        return X, Y

    def _check_target_columns(self, X, y, reset):
        """A DataFrame of targets has the columns seen in fit, in the same order: the
        targets are read by position, and a noise model's blocks were resolved from
        fit's column names."""
        names = self._target_names(X, y)
        if reset:
            self._target_columns = names
            return
        check_columns_as_in_fit(names, getattr(self, "_target_columns", None), "y")

    @staticmethod
    def _targets_2d(y, dtype):
        y = np.asarray(y, dtype=dtype)
        return y.reshape(len(y), -1)

    def _squeeze(self, a):
        """(n, 1) -> (n,) for single-output models, as sklearn regressors return."""
        return a[:, 0] if self.n_outputs_ == 1 else a

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to (X, y) by maximum likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, in the noise model's support. NaN marks a missing target entry:
            it has no likelihood term in training, validation or the fitted scales.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; integer weights act as repeated rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over (X, y), initialising the network on the first call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The estimator.

        Notes
        -----
        A fixed noise parameter (``scale="mle"``) is estimated from the residuals of
        every call's data so far, each taken with the network as it stood after the
        epoch that trained on it: its sufficient statistics add up across calls. That
        costs one forward pass over each call's data; ``partial_fit_noise=False`` skips
        it, and :meth:`fit_noise` then estimates the parameter exactly for the final
        network in one streaming pass. ``early_stopping=True`` is not supported.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def fit_noise(self, X, y, sample_weight=None):
        """Re-estimate the fixed noise parameters (e.g. ``scale="mle"``) on (X, y).

        The maximum-likelihood values for the network as it stands, from sufficient
        statistics summed over row chunks in one pass: the exact estimate, over data
        of any size, after streaming training with :meth:`partial_fit`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
            The estimator, with ``noise_`` updated.
        """
        return self._fit_noise(X, y, sample_weight)

    def _raw(self, X):
        return self._forward(self._validate_X(X))

    @lazy_on_dask
    def predict(self, X):
        """Predictive mean.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        raw = self._raw(X)
        return self._squeeze(self.noise_.mean(raw))

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination :math:`R^2` of :meth:`predict`, over the
        observed entries of y.

        As :class:`~sklearn.base.RegressorMixin`'s score (the outputs' :math:`R^2`
        averaged uniformly, the same figure where y has no NaN), but an entry of y that
        is NaN is missing, as in ``fit``:
        each output's :math:`R^2` is taken over the rows where it is observed, and an
        output observed nowhere is left out. :func:`log_likelihood_scorer` scores the
        whole predictive distribution instead.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        X, Y = self._validate_scored(X, y)
        observed = ~np.isnan(Y)
        predicted = self.noise_.mean(self._forward(X))  # X is validated already
        weights = None if sample_weight is None else np.asarray(sample_weight)
        scores = [r2_score(Y[rows, k], predicted[rows, k],
                           sample_weight=None if weights is None else weights[rows])
                  for k, rows in enumerate(observed.T) if rows.any()]
        if not scores:
            raise ValueError("Every entry of y is missing (NaN): there is nothing to score.")
        return float(np.mean(scores))

    @lazy_on_dask
    def predict_params(self, X):
        """Parameters of the predictive distribution, by name.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        params : dict of str to ndarray of shape (n_samples,) or (n_samples, n_outputs)
            E.g. ``{"loc": ..., "scale": ...}`` for Gaussian noise.
        """
        raw = self._raw(X)
        params = self.noise_.params(raw)
        return {name: self._squeeze(np.array(value)) for name, value in params.items()}

    def predict_dist(self, X):
        """The predictive distribution as a vectorised frozen ``scipy.stats`` distribution.

        Its methods (``mean``, ``std``, ``ppf``, ``cdf``, ``interval``, ``logpdf`` or
        ``logpmf``, ``rvs``) act elementwise, with shape (n_samples,) for one output.
        With a :class:`~skae.noise.ColumnNoise`, one such distribution per block, in a
        dict by block name; block ``b``'s covers the outputs
        ``noise_.layout(n_outputs_)[b].columns``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        dist : scipy.stats frozen distribution, or dict of them
        """
        raw = self._raw(X)
        if isinstance(self.noise_, ColumnNoise):
            return self.noise_.dist(raw)
        params = self.noise_.params(raw)
        return self.noise_._scipy({k: self._squeeze(np.array(v)) for k, v in params.items()})

    def predict_interval(self, X, coverage=0.9):
        """Central predictive interval holding ``coverage`` of the probability.

        With a :class:`~skae.noise.ColumnNoise`, the outputs of blocks whose outcomes
        are not ordered (categorical) get NaN bounds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1); got {coverage!r}.")
        if isinstance(self.noise_, ColumnNoise):
            lower, upper = self.noise_.interval(self._raw(X), coverage)
            if np.isnan(lower).all():
                raise ValueError(self._no_interval_message())
        else:
            if not self.noise_.ordered_outcomes:
                raise ValueError(self._no_interval_message())
            dist = self.predict_dist(X)
            lower, upper = dist.interval(coverage)
        # scipy computes in float64; return the dtype of the other predictions
        dtype = self._network.dtype
        return (self._squeeze_any(lower).astype(dtype, copy=False),
                self._squeeze_any(upper).astype(dtype, copy=False))

    def _squeeze_any(self, a):
        a = np.asarray(a)
        return self._squeeze(a) if a.ndim == 2 else a

    def _no_interval_message(self):
        return (f"{type(self.noise_).__name__} noise has no central interval: its "
                "outcomes are not ordered. Use predict (the class probabilities), "
                "predict_params or sample instead.")

    def sample(self, X, n_samples=1, random_state=None):
        """Draw targets from the predictive distribution.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        n_samples : int, default=1
            Draws per row of X.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_outputs, n_samples)
            As :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`.
        """
        raw = self._raw(X)
        draws = self.noise_.sample(raw, n_samples, check_random_state(random_state))
        draws = np.moveaxis(draws, 0, -1)
        return draws[:, 0] if self.n_outputs_ == 1 else draws

    @lazy_on_dask
    def log_likelihood(self, X, y):
        """Log-likelihood of each sample, summed over outputs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Exact, with normalising constants, of the observed (non-NaN) targets;
            ``-inf`` for a sample whose target lies outside the noise model's support
            (it has likelihood zero).
        """
        X, Y = self._validate_scored(X, y)
        return self._log_likelihood(Data(X, Y, mask=observed_mask(Y)))

    def _validate_scored(self, X, y):
        """X and 2-D y (NaN marking a missing entry) for scoring the fitted model."""
        self._check_target_columns(X, y, reset=False)
        X = self._validate_X(X)
        dtype = self._network.dtype
        y = check_array(y, ensure_2d=False, dtype=dtype, input_name="y",
                        ensure_all_finite="allow-nan")
        Y = self._targets_2d(y, dtype)
        if Y.shape != (X.shape[0], self.n_outputs_):
            raise ValueError(
                f"y has shape {np.shape(y)}; expected {X.shape[0]} rows and "
                f"{self.n_outputs_} output(s)."
            )
        return X, Y

    @lazy_on_dask
    def crps(self, X, y):
        """Continuous ranked probability score of each sample, summed over outputs.

        .. math:: \\mathrm{CRPS}(F, y) = \\int \\big(F(t) - \\mathbf{1}\\{t \\ge y\\}\\big)^2
                  \\, dt = \\mathbb{E}|Y - y| - \\tfrac12 \\mathbb{E}|Y - Y'|

        for the predictive CDF ``F`` of each output: a proper scoring rule like the
        log-likelihood, but in the units of ``y`` and forgiving of a tail that the
        log score punishes without bound. Lower is better; :func:`crps_scorer` is its
        negated mean for ``GridSearchCV``. Closed forms (see each noise model's
        docstring): Gaussian, Laplace, LogNormal, StudentT with ``df > 1``, Poisson
        (the infinite sum over counts in closed form, with Bessel functions),
        Bernoulli (the Brier score for binary targets), and a
        :class:`~skae.noise.ColumnNoise` whose blocks all have one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            NaN marks a missing entry, which adds nothing.

        Returns
        -------
        crps : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            For a noise model with no closed form, or targets outside its support.
        """
        X, Y = self._validate_scored(X, y)
        mask = observed_mask(Y)
        Y = self.noise_.validate_target(Y, allow_missing=True)  # perhaps clipped
        if mask is not None:
            Y = self.noise_._fill(Y, ~mask)
        scores = self.noise_.crps(Y, self._raw(X))
        if mask is not None:
            scores = np.where(mask, scores, 0)
        return scores.sum(axis=1).astype(self._network.dtype, copy=False)

    def pit(self, X, y, random_state=None):
        """Probability integral transform ``F(y)`` of each target under its prediction.

        For a calibrated model the values are uniform on [0, 1]: a histogram that is
        U-shaped shows intervals that are too narrow, a hump too wide ones, a slope a
        biased location. For a discrete model (Poisson, Bernoulli, Ordinal) ``F``
        jumps at the observed value and the transform is randomised,

        .. math:: u = F(y - 1) + v\\,\\big(F(y) - F(y - 1)\\big), \\qquad v \\sim U(0, 1),

        which is exactly uniform for a calibrated model (Czado, Gneiting and Held,
        2009); ``random_state`` seeds ``v``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        random_state : int, RandomState instance or None, default=None
            Draws ``v`` for a discrete model.

        Returns
        -------
        pit : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            NaN where ``y`` is missing.

        Raises
        ------
        ValueError
            For outcomes that are not ordered (Categorical) or a ColumnNoise, or
            targets outside the noise model's support.
        """
        if isinstance(self.noise_, (Categorical, ColumnNoise)):
            raise ValueError(f"pit needs one ordered outcome per output; "
                             f"{type(self.noise_).__name__} noise has none.")
        X, Y = self._validate_scored(X, y)
        Y = self.noise_.validate_target(Y, allow_missing=True)  # perhaps clipped
        y = self._squeeze(Y)
        dist = self.predict_dist(X)
        with np.errstate(invalid="ignore"):
            upper = dist.cdf(y)
            if hasattr(dist, "pmf"):
                lower = dist.cdf(y - 1)
                v = check_random_state(random_state).uniform(size=np.shape(y))
                upper = lower + v * (upper - lower)
        return np.where(np.isnan(y), np.nan, upper).astype(self._network.dtype, copy=False)

    @available_if(lambda est: _has_categorical_noise(est))
    def predict_proba(self, X):
        """Class probabilities of a Categorical regressor fitted on one-hot targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            One column per target column, each row summing to 1.
        """
        return self.noise_.params(self._raw(X))["p"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self._noise_support() != "real"
        return tags


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def _resolve_auto(value, auto):
    """``value``, or ``auto`` in its place when it is "auto"."""
    return auto if _is_auto(value) else value


class _LocationFirstObjective(Objective):
    """Early-stopped training in two stages: the location with one constant scale,
    then location and scale together.

    Made for a freshly initialised network, it sets the scale outputs' weights to zero
    (their biases are at the targets' marginal scale), and in the first stage those
    weights get no gradient: the scale
    is one number per target, fitted with the location by maximum likelihood (least
    squares for a Gaussian, then), and the network is exactly that model, so the
    validation score is its exact held-out likelihood. When the score stops
    improving (or after ``location_epochs`` epochs), the loop returns to the first
    stage's best epoch and starts a fresh optimizer, and the scale's weights are set
    free: both stages score the network as it stands, so early stopping compares
    their held-out likelihoods directly.

    Why: learned together from the start, the scale grows where the location still
    fits badly, and a large scale shrinks the location's gradient there (by
    ``1 / scale^2`` for a Gaussian), so that the location lags most where the noise
    is largest (Nix and Weigend, 1994, fitted the mean first for this reason).
    """

    def __init__(self, network, noise, alpha, *, location_epochs, **kwargs):
        super().__init__(network, noise, alpha, **kwargs)
        n_location = network.layer_sizes[-1] // len(noise.param_names)
        # made for a freshly initialised network: the scale outputs start constant, at
        # their biases (the targets' marginal scale)
        network.weights[-1][:, n_location:] = 0
        self._scale_weight_grad = network._grad_weights[-1][:, n_location:]
        self.location_epochs, self.epoch = location_epochs, 0
        self.in_first_stage = True

    def loss_and_grad(self, batch):
        loss = super().loss_and_grad(batch)
        if self.in_first_stage:
            self._scale_weight_grad[...] = 0
        return loss

    def next_stage(self, plateau):
        self.epoch += 1
        if not (self.in_first_stage and (plateau or self.epoch == self.location_epochs)):
            return False
        self.in_first_stage = False
        return True


def log_likelihood_scorer(estimator, X, y):
    """Mean held-out log-likelihood: a scorer for ``GridSearchCV(scoring=...)``.

    Higher is better, as every scikit-learn score. Works with any estimator that has a
    ``log_likelihood(X, y)`` method, and with a pipeline ending in one: its other steps
    transform ``X`` first.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae import MLPLikelihoodRegressor, log_likelihood_scorer
    >>> search = GridSearchCV(MLPLikelihoodRegressor(), {"noise": ["gaussian", "laplace"]},
    ...                       scoring=log_likelihood_scorer)
    """
    estimator, X = _final_step(estimator, X)
    return float(np.mean(estimator.log_likelihood(X, y)))


def crps_scorer(estimator, X, y):
    """Negative mean CRPS: a scorer for ``GridSearchCV(scoring=...)``.

    Higher is better, as every scikit-learn score (the CRPS itself is a loss). Works
    with any estimator that has a ``crps(X, y)`` method, such as
    :meth:`MLPLikelihoodRegressor.crps`, and with a pipeline ending in one.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae import MLPLikelihoodRegressor, crps_scorer
    >>> search = GridSearchCV(MLPLikelihoodRegressor(), {"alpha": [1e-4, 1e-2]},
    ...                       scoring=crps_scorer)
    """
    estimator, X = _final_step(estimator, X)
    return -float(np.mean(estimator.crps(X, y)))


def _modelled(transform):
    """The variable a noise model of the targets with this latent transform models (a
    composite's: per block)."""
    if isinstance(transform, tuple):
        return ", ".join(f"{name}: {'as it is' if t is None else _modelled(t)}"
                         for name, t in transform)
    return "y" if transform == "identity" else f"{transform} y"


def _final_step(estimator, X):
    """The last step of a (nested) pipeline, and X transformed by the steps before."""
    while isinstance(estimator, Pipeline):
        X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    return estimator, X


def _has_categorical_noise(estimator):
    """``available_if`` condition of predict_proba."""
    noise = getattr(estimator, "noise_", estimator.noise)
    if not (isinstance(noise, Categorical) or noise == "categorical"):
        raise AttributeError("predict_proba is only available with Categorical noise.")
    return True
