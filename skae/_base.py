"""What skae's estimators share: parameters, validation, the fit driver, chunked inference."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._activations import ACTIVATIONS
from ._network import Network
from ._training import (Objective, fit_lbfgs, fit_stochastic, reset_training_state,
                        row_chunks)
from .noise import NOISE_MODELS, NoiseModel, resolve_noise


class BaseLikelihoodNetwork(BaseEstimator):
    """Base class: a network trained by maximum likelihood under a noise model.

    Subclasses provide ``_layers(n_features, n_raw)`` (layer sizes and hidden
    activations) and ``_validate_fit_data(X, y, reset)`` (returning ``X`` and 2-D
    targets, or ``None`` when the targets are ``X`` itself).
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "noise": [StrOptions(set(NOISE_MODELS)), NoiseModel],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    # One ML scale shared by all target columns (autoencoder, like PCA) or one per column.
    _pooled_scale = False

    def __init__(self, hidden_layer_sizes, activation, noise, solver, alpha, batch_size,
                 learning_rate, learning_rate_init, power_t, max_iter, shuffle,
                 random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
                 early_stopping, validation_fraction, beta_1, beta_2, epsilon,
                 n_iter_no_change, max_fun):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.noise = noise
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ------------------------------------------------------------------ fitting
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must contain only positive integers; got {sizes}."
            )
        return [int(s) for s in sizes]

    def _fit(self, X, y, sample_weight, incremental):
        warm = hasattr(self, "_network") and (incremental or self.warm_start)
        X, Y = self._validate_fit_data(X, y, reset=not warm)
        noise = resolve_noise(self.noise)
        targets = X if Y is None else Y
        for rows, chunk in self._chunks(targets):
            noise.validate_target(chunk)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        n_raw = noise.n_raw(targets.shape[1])
        if not warm:
            # one generator for the whole run, so successive partial_fit calls (and
            # warm starts) shuffle differently rather than replaying the first epoch
            self._random_state = check_random_state(self.random_state)
            sizes, activations = self._layers(X.shape[1], n_raw)
            self._network = Network(sizes, activations, X.dtype)
            self._network.initialize(self._random_state,
                                     noise.initial_raw(_head(targets), _head(sample_weight)))
            reset_training_state(self)
        elif self._network.layer_sizes[-1] != n_raw:
            raise ValueError(
                f"The noise model {noise!r} needs {n_raw} network outputs, but the fitted "
                f"network has {self._network.layer_sizes[-1]}; fit from scratch "
                "(warm_start=False) after changing noise or the number of targets."
            )

        objective = Objective(self._network, noise, self.alpha)
        try:
            if self.solver == "lbfgs":
                fit_lbfgs(self, objective, X, Y, sample_weight)
            else:
                fit_stochastic(self, objective, X, Y, sample_weight, self._random_state,
                               incremental)
        finally:
            self._network.clear_buffers()
        self.noise_ = self._fit_fixed(noise, X, Y, sample_weight)
        return self

    def _fit_fixed(self, noise, X, Y, sample_weight):
        """Set the noise model's fixed parameters (e.g. scale) to their ML values."""
        statistics = None
        for rows, Xc in self._chunks(X):
            Yc = Xc if Y is None else Y[rows]
            wc = None if sample_weight is None else sample_weight[rows]
            chunk_stats = noise.fixed_statistics(Yc, self._network.forward(Xc)[-1], wc)
            if chunk_stats is None:
                return noise
            statistics = chunk_stats if statistics is None else statistics + chunk_stats
        return noise.fit_fixed(statistics, pooled=self._pooled_scale)

    # ---------------------------------------------------------------- inference
    def _validate_X(self, X):
        """X for prediction: fitted model, same features, the network's dtype."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr",
                             dtype=self._network.dtype)

    def _chunks(self, X):
        """``(rows, dense chunk)`` pairs covering the rows of X (see ``row_chunks``)."""
        width = max(self._network.layer_sizes) if hasattr(self, "_network") else X.shape[1]
        return row_chunks(X, width)

    def _forward(self, X, start=0, stop=None):
        """Output of layers ``start`` to ``stop - 1`` on X, computed chunk by chunk."""
        net = self._network
        stop = net.n_layers if stop is None else stop
        out = np.empty((X.shape[0], net.layer_sizes[stop]), dtype=net.dtype)
        for rows, chunk in self._chunks(X):
            out[rows] = net.forward(chunk, start=start, stop=stop)[-1]
        return out

    def _nll(self, X, Y):
        """Per-sample NLL of Y (X itself if None) under the fitted noise model."""
        nll = np.empty(X.shape[0], dtype=self._network.dtype)
        for rows, chunk in self._chunks(X):
            targets = chunk if Y is None else Y[rows]
            nll[rows] = self.noise_.nll(targets, self._network.forward(chunk)[-1])
        return nll

    @property
    def coefs_(self):
        """Weight matrices, one per layer (views into the flat parameter vector)."""
        return self._network.weights

    @property
    def intercepts_(self):
        """Bias vectors, one per layer (views into the flat parameter vector)."""
        return self._network.biases

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _noise_support(self):
        try:
            return resolve_noise(self.noise).support
        except (KeyError, TypeError):
            return "real"


def _is_stochastic(est):
    """``available_if`` condition of partial_fit."""
    if est.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. lbfgs is not stochastic."
        )
    return True


def _head(a, n=10_000):
    """The first rows of a, dense: enough to initialise output biases from."""
    if a is None:
        return None
    head = a[:n]
    return head.toarray() if sp.issparse(head) else head
