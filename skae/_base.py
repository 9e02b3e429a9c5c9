"""What skae's estimators share: parameters, validation, the fit driver, chunked inference."""

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._activations import ACTIVATIONS
from ._dask import is_dask_array, reject_dask, sum_over_row_blocks
from ._network import Network
from ._objective import Objective, row_chunks
from ._threads import blas_threads, largest_product
from ._training import Data, TrainingConfig, TrainingState, batch_rows, train
from .noise import NOISE_MODELS, ColumnNoise, NoiseModel, resolve_noise


class BaseLikelihoodNetwork(BaseEstimator):
    """Base class: a network trained by maximum likelihood under a noise model.

    Subclasses provide ``_layers(n_features, n_raw)`` (layer sizes and hidden
    activations) and ``_validate_fit_data(X, y, reset)`` (returning ``X`` and 2-D
    targets, or ``None`` when the targets are ``X`` itself), and may override
    ``_make_objective(network, noise)`` to train something other than one network
    under one noise model.
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
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "partial_fit_noise": ["boolean"],
    }

    # One ML scale shared by all target columns (autoencoder, like PCA) or one per column.
    _pooled_scale = False
    # Whether X may hold NaN (missing entries) at fit and inference.
    _allow_nan_input = False

    def __init__(self, hidden_layer_sizes, activation, noise, solver, alpha, batch_size,
                 learning_rate, learning_rate_init, power_t, max_iter, shuffle,
                 random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
                 early_stopping, validation_fraction, beta_1, beta_2, epsilon,
                 n_iter_no_change, max_fun, n_threads, partial_fit_noise):
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
        self.n_threads = n_threads
        self.partial_fit_noise = partial_fit_noise

    # ------------------------------------------------------------------ fitting
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must contain only positive integers; got {sizes}."
            )
        return [int(s) for s in sizes]

    def _early_stopping(self, noise, n_samples, incremental):
        """Whether this fit stops early: ``early_stopping`` resolved for ``noise``."""
        return self.early_stopping

    def _learning_rate_init(self, early_stopping):
        """The first step size of this fit: ``learning_rate_init`` resolved."""
        return self.learning_rate_init

    def _max_iter(self, early_stopping):
        """The epochs of this fit at most: ``max_iter`` resolved."""
        return self.max_iter

    def _n_iter_no_change(self, early_stopping):
        """The patience of this fit: ``n_iter_no_change`` resolved."""
        return self.n_iter_no_change

    def _weight_averaging(self):
        """Decay of the moving average of the weights that ``fit`` ends on; 0: none."""
        return 0.0

    def _noise_for_training(self, noise, targets, sample_weight, mask, warm):
        """The noise model that training uses; a subclass may rescale it to the targets."""
        return noise

    def _training_config(self, early_stopping):
        return TrainingConfig(
            solver=self.solver, max_iter=self._max_iter(early_stopping),
            batch_size=self.batch_size, shuffle=self.shuffle, tol=self.tol,
            n_iter_no_change=self._n_iter_no_change(early_stopping),
            early_stopping=early_stopping, validation_fraction=self.validation_fraction,
            verbose=self.verbose, max_fun=self.max_fun,
            weight_averaging=self._weight_averaging(),
            optimizer_params=dict(
                learning_rate_init=self._learning_rate_init(early_stopping),
                learning_rate=self.learning_rate,
                momentum=self.momentum, nesterovs_momentum=self.nesterovs_momentum,
                power_t=self.power_t, beta_1=self.beta_1, beta_2=self.beta_2,
                epsilon=self.epsilon,
            ),
        )

    def _new_network(self, layers, dtype):
        """The untrained network of ``layers`` (sizes, hidden activations); a subclass
        may build several networks over one parameter vector instead."""
        return Network(*layers, dtype)

    def _make_objective(self, network, noise):
        return Objective(network, noise, self.alpha, pooled_scale=self._pooled_scale,
                         input_transform=self._input_transform(),
                         **self._training_terms(network))

    def _make_training_objective(self, network, noise, config, fresh):
        """The objective that trains: ``_make_objective``'s unless a subclass stages
        training (``fresh``: a fit from scratch, not a warm start or ``partial_fit``)."""
        return self._make_objective(network, noise)

    def _training_terms(self, network):
        """``Objective`` keyword arguments that act in training only (``corruption``,
        ``random_state``, ``penalties``); none by default."""
        return {}

    def _input_transform(self):
        """What the network sees of X (``Objective``'s ``input_transform``); None: X."""
        return None

    def _fit(self, X, y, sample_weight, incremental):
        if incremental and self.early_stopping is True:
            raise ValueError("partial_fit does not support early_stopping=True; fit with "
                             "early_stopping=False, or use fit.")
        warm = hasattr(self, "_network") and (incremental or self.warm_start)
        # a refit refused by validation leaves the fitted model as it was, not
        # half reset (n_features_in_ new, the network old)
        with _restored_on_error(self, not warm and hasattr(self, "_network")):
            target_names = self._target_names(X, y)
            X, Y = self._validate_fit_data(X, y, reset=not warm)
            noise = self._positional(resolve_noise(self.noise), target_names)
            X, Y = self._validate_targets(noise, X, Y)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            targets = X if Y is None else Y
            mask = observed_mask(targets)
            if mask is not None and not mask.any():
                raise ValueError("Every target entry is missing (NaN): there is nothing to fit.")
            if mask is not None and not incremental:
                _warn_of_unobserved_columns(mask)
            noise = self._noise_for_training(noise, targets, sample_weight, mask, warm)
            self._noise_model = noise  # unfitted and positional: what fit_noise starts from
            layers = self._layers(X.shape[1], noise.n_raw(targets.shape[1]))
            config = self._training_config(
                self._early_stopping(noise, X.shape[0], incremental))
            if warm:
                self._check_unchanged_structure(layers, noise)
            else:
                # one generator for the whole run, so successive partial_fit calls (and
                # warm starts) shuffle differently rather than replaying the first epoch
                random_state = check_random_state(self.random_state)
                self._network = self._new_network(layers, X.dtype)
                # only the head is filled: a copy of the whole X would cost its size
                head = (_head(targets) if mask is None
                        else _filled(noise, _head(targets), _head(mask)))
                self._network.initialize(random_state,
                                         noise.initial_raw(head, _head(sample_weight)))
                self._training_state = TrainingState.start(config, random_state)

        objective = self._make_training_objective(self._network, noise, config,
                                                  fresh=not (warm or incremental))
        data = Data(X, Y, sample_weight, mask)
        # the rows of a training batch set the thread count of every later pass too
        self._batch_rows = (X.shape[0] if self.solver == "lbfgs"
                            else batch_rows(self.batch_size, X.shape[0]))
        try:
            with self._blas_threads():
                self._training_state = train(objective, data, config,
                                             self._training_state, incremental)
        finally:
            self._network.clear_buffers()
        with self._blas_threads():
            self.noise_ = self._updated_noise(objective, data, incremental)
        self._check_finite_fit()
        self._set_fitted_attributes(targets.shape[1])
        return self

    def _updated_noise(self, objective, data, incremental):
        """The noise model with its fixed parameters (e.g. ``scale="mle"``) at their ML
        values: on the training data after ``fit``; after ``partial_fit``, on every
        call's data so far, each row's residual taken after the epoch that trained on
        it (the statistics add up across calls)."""
        same_noise = (_statistics_kind(getattr(self, "noise_", None))
                      == _statistics_kind(objective.noise))
        if not incremental:
            self._noise_statistics = objective.fixed_statistics(data)
        elif self.partial_fit_noise:
            statistics = objective.fixed_statistics(data)
            previous = getattr(self, "_noise_statistics", None) if same_noise else None
            if previous is not None and statistics is not None:
                statistics = statistics + previous
            self._noise_statistics = statistics
        else:
            # left as they were (at first, the unfitted model's) until fit_noise
            return self.noise_ if same_noise else objective.noise
        return objective.noise_from_statistics(self._noise_statistics)

    def _fit_noise(self, X, y, sample_weight):
        check_is_fitted(self)
        if any(is_dask_array(a) for a in (X, y, sample_weight)):
            # one pass over the row blocks on the dask workers; the statistics add up
            statistics = sum_over_row_blocks(self._fixed_statistics, [X, y, sample_weight])
        else:
            statistics = self._fixed_statistics(X, y, sample_weight)
        self._noise_statistics = statistics
        self.noise_ = self._make_objective(
            self._network, self._noise_model).noise_from_statistics(statistics)
        self._check_finite_fit()
        return self

    def _fixed_statistics(self, X, y, sample_weight):
        """The noise model's summed sufficient statistics on (X, y) at the network as it
        stands (None if it has no fixed parameter)."""
        X, Y = self._validate_fit_data(X, y, reset=False)
        X, Y = self._validate_targets(self.noise_, X, Y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        objective = self._make_objective(self._network, self._noise_model)
        mask = observed_mask(X if Y is None else Y)
        with self._blas_threads():
            return objective.fixed_statistics(Data(X, Y, sample_weight, mask))

    def _target_names(self, X, y):
        """Names of the target columns (a DataFrame's), or None."""
        return None

    @staticmethod
    def _positional(noise, target_names):
        """The noise model with columns given by name resolved to positions, so that
        the fitted ``noise_`` works on arrays."""
        if isinstance(noise, ColumnNoise) and target_names is not None:
            return noise.with_feature_names(target_names)
        return noise

    def _validate_targets(self, noise, X, Y):
        """Check the targets against the noise model's support, chunk by chunk; values a
        few ulps outside a closed bound are clipped onto it (in a copy). NaN marks a
        missing entry, masked out of the likelihood."""
        targets = X if Y is None else Y
        for rows, chunk in row_chunks(targets, targets.shape[1]):
            if noise.validate_target(chunk, allow_missing=True) is not chunk:
                clipped = noise.validate_target(_dense(targets), allow_missing=True)
                return (clipped, None) if Y is None else (X, clipped)
        return X, Y

    def _check_unchanged_structure(self, layers, noise):
        sizes, activations = layers
        net = self._network
        if tuple(sizes[:-1]) == net.layer_sizes[:-1] and tuple(activations) == net.activations[:-1]:
            if sizes[-1] == net.layer_sizes[-1]:
                return
            raise ValueError(
                f"The noise model {noise!r} needs {sizes[-1]} network outputs, but the "
                f"fitted network has {net.layer_sizes[-1]}; fit from scratch "
                "(warm_start=False) after changing noise or the number of targets."
            )
        raise ValueError(
            f"The network's structure changed since it was fitted (layers "
            f"{list(net.layer_sizes)} with {list(net.activations[:-1])} activations, now "
            f"{list(sizes)} with {list(activations)}); warm_start and partial_fit "
            "continue the fitted network. Fit from scratch (warm_start=False) after "
            "changing hidden_layer_sizes, activation or n_components."
        )

    def _check_finite_fit(self):
        # Like scikit-learn's MLP, fit raises rather than leave a model that cannot
        # predict; a non-finite fitted scale is as fatal as a non-finite weight.
        if not (np.isfinite(self._network.theta).all()
                and self.noise_.has_finite_parameters()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed. (Fitted noise model: "
                f"{self.noise_!r}.)"
            )

    def discard_optimizer_state(self):
        """Forget the optimizer's state, so that a saved model is little more than its
        parameters.

        Adam keeps two vectors the size of the parameters (its moment estimates) and
        SGD one (its velocity); a pickle, joblib or skops file holds them so that
        ``partial_fit`` resumes exactly. After this call a later ``partial_fit`` begins
        with a fresh optimizer instead (as every ``fit`` does, warm-started or not). The fitted
        model predicts, transforms and scores exactly as before.

        Returns
        -------
        self : object
            The estimator.
        """
        check_is_fitted(self)
        self._training_state.optimizer = None
        return self

    # scikit-learn's MLP keeps these on the estimator; its tests (and users' code)
    # read them there
    @property
    def _optimizer(self):
        return getattr(self._training_state, "optimizer", None)

    @property
    def _no_improvement_count(self):
        return self._training_state.no_improvement_count

    def _set_fitted_attributes(self, n_outputs):
        state = self._training_state
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        self.loss_ = state.loss
        self.loss_curve_ = state.loss_curve
        self.best_loss_ = state.best_loss
        self.validation_scores_ = state.validation_scores
        self.best_validation_score_ = state.best_validation_score
        self.n_layers_ = len(self._network.layer_sizes)
        self.n_outputs_ = n_outputs

    # ---------------------------------------------------------------- inference
    def _validate_X(self, X):
        """X for prediction: fitted model, same features, floating point. X of the other
        float dtype than the network's is converted chunk by chunk in inference, never
        as a whole."""
        check_is_fitted(self)
        reject_dask(X)
        dtype = self._network.dtype
        other = np.float32 if dtype == np.float64 else np.float64
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=[dtype, other],
                             ensure_all_finite="allow-nan" if self._allow_nan_input else True)

    def _fitted_objective(self):
        return self._make_objective(self._network, self.noise_)

    def _blas_threads(self):
        """The BLAS thread limit of a training or inference pass: ``n_threads``, or
        chosen from the size of the products of a training batch."""
        work = largest_product(self._network.layer_sizes, self._batch_rows)
        return blas_threads(self.n_threads, work)

    def _forward(self, X, start=0, stop=None):
        """Output of layers ``start`` to ``stop - 1`` on X, computed chunk by chunk."""
        with self._blas_threads():
            return self._fitted_objective().forward(X, start, stop)

    def _log_likelihood(self, data):
        """Exact per-sample log-likelihood of ``data`` under the fitted model."""
        with self._blas_threads():
            return self._fitted_objective().log_likelihood(data)

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
        except ValueError:
            return "real"


def check_columns_as_in_fit(columns, expected, what):
    """Columns read by position (``what``: "X", "y") are those seen in fit, the same
    labels in the same order; None on either side (an array) is not checked.
    scikit-learn checks string labels of X only."""
    if columns is not None and expected is not None and columns != expected:
        raise ValueError(f"The columns of {what}, {columns}, are not those seen in fit, "
                         f"{expected} (the same labels in the same order).")


def _warn_of_unobserved_columns(mask):
    empty = np.flatnonzero(~mask.any(axis=0)).tolist()
    if empty:
        warnings.warn(f"Target column(s) {empty} have no observed entry: nothing is "
                      "learned of them, and a fixed scale there stays at 1.", UserWarning)


def _statistics_kind(noise):
    """What a noise model's fixed statistics are statistics of: its type, and for a
    :class:`~skae.noise.ColumnNoise` each block's name, type and columns (statistics
    of a Gaussian block's squared residuals must not add to a Laplace block's absolute
    ones)."""
    if isinstance(noise, ColumnNoise):
        return tuple((name, type(model), repr(columns)) for name, model, columns in noise.blocks)
    return type(noise)


def _is_stochastic(est):
    """``available_if`` condition of partial_fit."""
    if est.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. lbfgs is not stochastic."
        )
    return True


def _dense(a):
    return a.toarray() if sp.issparse(a) else a


def observed_mask(targets):
    """True where a target entry is observed (not NaN); None when all are.

    Raises
    ------
    ValueError
        For NaN in a sparse matrix, whose missing entries would be ambiguous with
        its implicit zeros.
    """
    if sp.issparse(targets):
        if np.isnan(targets.data).any():
            raise ValueError("Sparse input contains NaN; missing values are supported in "
                             "dense arrays only. Convert with .toarray().")
        return None
    if not np.issubdtype(targets.dtype, np.floating):
        return None
    # one pass with no mask for data without missing entries: NaN propagates through a
    # sum (the data are checked finite otherwise)
    if not np.isnan(np.sum(targets)):
        return None
    return ~np.isnan(targets)


@contextlib.contextmanager
def _restored_on_error(estimator, restore):
    """Run a block; if it raises and ``restore``, put back the estimator's attributes
    as they were before it."""
    saved = dict(estimator.__dict__) if restore else None
    try:
        yield
    except BaseException:
        if saved is not None:
            estimator.__dict__.clear()
            estimator.__dict__.update(saved)
        raise


def _filled(noise, targets, mask):
    """Targets with missing entries at their column's observed mean (or, in a column
    with none observed, at a value inside the noise model's support): enough to start
    the output biases from."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.nansum(np.where(mask, targets, 0), axis=0) / mask.sum(axis=0)
    filled = np.where(mask, targets, means.astype(targets.dtype))
    return noise._fill(filled, np.isnan(filled))


def _head(a, n=10_000):
    """The first rows of a, dense: enough to initialise output biases from."""
    if a is None:
        return None
    head = a[:n]
    return head.toarray() if sp.issparse(head) else head
