"""The one training loop: minibatch SGD / Adam epochs and full-batch L-BFGS.

The loop knows nothing of estimators. It takes

- an objective (see :class:`skae._objective.Objective`): ``theta`` and ``grad``, the
  flat parameter and gradient vectors; ``start_epoch()``, called before each epoch;
  ``next_stage(plateau)``, after each, True when training goes on in a next stage;
  ``loss_and_grad(batch)``, the batch loss with its gradient left in ``grad``;
  ``validation_score(validation, training)``;
- the data, a :class:`Data`;
- a :class:`TrainingConfig` of plain settings;
- a :class:`TrainingState`, which it updates and returns: optimizer, counters,
  curves and the best parameters seen.

An estimator builds the config from its hyperparameters, keeps the state between
calls (``warm_start``, ``partial_fit``) and copies its fitted attributes out of it.
"""

import contextlib
import dataclasses
import warnings
from typing import Optional

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._optim import SGD, Adam, minimize_lbfgs


class Data:
    """Rows to train or score on, possibly a subset of larger arrays.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_rows, n_features)
    Y : ndarray of shape (n_rows, n_targets), default=None
        The targets; None means the targets are ``X`` itself.
    sample_weight : ndarray of shape (n_rows,), default=None
    mask : ndarray of bool of the targets' shape, default=None
        True where a target entry is observed.
    index : ndarray of int, default=None
        The rows of the arrays that make up this data; None means all of them. A
        subset (the early-stopping split) is an index, not a copy of the arrays.
    """

    def __init__(self, X, Y=None, sample_weight=None, mask=None, index=None):
        self.X, self.Y, self.mask, self.index = X, Y, mask, index
        self._sample_weight = sample_weight

    @property
    def n_samples(self):
        return self.X.shape[0] if self.index is None else len(self.index)

    @property
    def sample_weight(self):
        weights = self._sample_weight
        return weights if weights is None or self.index is None else weights[self.index]

    def rows(self, rows):
        """The subset ``rows`` (positions within this data), without copying."""
        index = np.arange(self.X.shape[0]) if self.index is None else self.index
        return Data(self.X, self.Y, self._sample_weight, self.mask, index[rows])

    def take(self, rows, out=None):
        """The rows ``rows`` (positions within this data) as dense arrays of their own.

        ``out`` may receive X's rows (a buffer reused across training batches).
        """
        if self.index is not None:
            rows = self.index[rows]
        return Data(_gather(self.X, rows, out),
                    *(None if a is None else _dense(a[rows])
                      for a in (self.Y, self._sample_weight, self.mask)))

    def chunks(self, chunk_rows):
        """``(rows, dense chunk)`` pairs covering this data, ``chunk_rows`` at a time."""
        for rows in gen_batches(self.n_samples, chunk_rows):
            yield rows, self.take(rows)


def _gather(X, rows, out=None):
    if sp.issparse(X):
        return X[rows].toarray()
    if isinstance(rows, slice):
        return X[rows]
    if out is None or not X.flags.aligned:
        # np.take into ``out`` goes element by element on an unaligned array, far slower
        # than indexing; blocks that dask deserializes on a worker can be unaligned
        return X[rows]
    # mode="clip" (the rows are valid by construction): the default "raise" first
    # gathers into a temporary and then copies it into ``out``
    return np.take(X, rows, axis=0, out=out, mode="clip")


@dataclasses.dataclass
class TrainingConfig:
    """What the loop needs of an estimator's hyperparameters, as plain values."""

    solver: str = "adam"
    max_iter: int = 200
    batch_size: object = "auto"
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: float = 10
    early_stopping: bool = False
    validation_fraction: float = 0.1
    verbose: bool = False
    max_fun: int = 15000
    # decay of the epoch-wise exponential moving average of the weights (0: none)
    weight_averaging: float = 0.0
    # keyword arguments of the optimizer (learning_rate_init, momentum, beta_1, ...)
    optimizer_params: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TrainingState:
    """Everything a training run carries from epoch to epoch and from call to call."""

    random_state: np.random.RandomState
    early_stopping: bool = False
    optimizer: object = None
    n_iter: int = 0  # epochs (or L-BFGS iterations) of the latest call
    t: int = 0  # samples seen by the stochastic solver, over all calls
    loss: Optional[float] = None
    loss_curve: list = dataclasses.field(default_factory=list)
    validation_scores: Optional[list] = None
    best_validation_score: Optional[float] = None
    best_loss: Optional[float] = np.inf
    best_theta: Optional[np.ndarray] = None
    no_improvement_count: int = 0

    def __getstate__(self):
        # the best parameters are a copy of theta kept for restoring within a run; a
        # saved model resumes without them (a later divergence returns to the start of
        # its epoch instead)
        state = self.__dict__.copy()
        state["best_theta"] = None
        return state

    @classmethod
    def start(cls, config, random_state):
        """The state of a fresh training run."""
        return cls(random_state=random_state).monitor(config)

    def monitor(self, config):
        """Set up what the loop tracks, validation scores or the training loss, for
        ``config``; a warm start that switches early stopping on or off starts afresh."""
        early_stopping = config.early_stopping and config.solver != "lbfgs"
        if early_stopping and self.validation_scores is None:
            self.validation_scores, self.best_validation_score = [], -np.inf
            self.best_loss, self.no_improvement_count = None, 0
        elif not early_stopping and self.best_loss is None:
            self.validation_scores, self.best_validation_score = None, None
            self.best_loss, self.no_improvement_count = np.inf, 0
        self.early_stopping = early_stopping
        return self


def train(objective, data, config, state, incremental=False):
    """Run the configured solver; return the updated state.

    ``incremental`` (partial_fit) runs one epoch and keeps the optimizer. A
    KeyboardInterrupt stops training with a warning and keeps the best parameters
    seen so far, as scikit-learn's MLP does.
    """
    if config.solver == "lbfgs":
        return fit_lbfgs(objective, data, config, state)
    return fit_stochastic(objective, data, config, state, incremental)


# ------------------------------------------------------------------------ L-BFGS
def fit_lbfgs(objective, data, config, state):
    """Full-batch L-BFGS-B on the flat parameter vector."""
    data = data.take(slice(None))  # dense, whole
    start = objective.theta.copy()
    accepted = [start]

    def loss_and_grad(theta):
        return objective.loss_and_grad(data), objective.grad

    def record(intermediate_result):
        accepted[0] = intermediate_result.x
        state.loss_curve.append(float(intermediate_result.fun))
        if config.verbose:
            print(f"Iteration {len(state.loss_curve)}, loss = {intermediate_result.fun:.8f}")

    try:
        result = minimize_lbfgs(loss_and_grad, objective.theta, config.max_iter,
                                config.max_fun, config.tol, callback=record)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
        objective.theta[...] = accepted[0]
        state.n_iter = len(state.loss_curve)
        return state
    if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
        objective.theta[...] = start
        _warn_diverged("during L-BFGS", "lbfgs", "their initial values")
    else:
        objective.theta[...] = result.x
    state.n_iter = result.nit
    state.loss = state.best_loss = float(result.fun)
    if result.status == 1:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations (max_iter="
            f"{config.max_iter}, max_fun={config.max_fun}): {result.message}. Increase "
            "max_iter or scale the data.",
            ConvergenceWarning,
        )
    return state


# --------------------------------------------------------------- SGD and Adam
def make_optimizer(config, n_params, dtype):
    params = config.optimizer_params
    if config.solver == "sgd":
        return SGD(n_params, dtype, params["learning_rate_init"], params["learning_rate"],
                   params["momentum"], params["nesterovs_momentum"], params["power_t"])
    return Adam(n_params, dtype, params["learning_rate_init"], params["beta_1"],
                params["beta_2"], params["epsilon"])


def fit_stochastic(objective, data, config, state, incremental=False):
    """Minibatch SGD / Adam epochs, with early stopping on the validation likelihood."""
    if incremental and config.early_stopping:
        raise ValueError("partial_fit does not support early_stopping=True; fit with "
                         "early_stopping=False, or use fit.")
    state.monitor(config)
    if not incremental or state.optimizer is None:
        state.optimizer = make_optimizer(config, objective.theta.size, objective.theta.dtype)
    state.n_iter = 0
    # A diverging run overflows on its way to a non-finite loss, which the loop detects
    # and reports itself; NumPy's warnings about it would only bury that report.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            _run_epochs(objective, data, config, state, incremental)
            interrupted = False
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            interrupted = True
    # an interrupted epoch is unfinished: return to the best complete one
    if (state.early_stopping or interrupted) and state.best_theta is not None:
        objective.theta[...] = state.best_theta
    return state


def _run_epochs(objective, data, config, state, incremental):
    validation = None
    if config.early_stopping:
        data, validation = _split_validation(data, config.validation_fraction,
                                             state.random_state)
    n_samples = data.n_samples
    batch_size = _batch_size(config.batch_size, n_samples)
    weights = data.sample_weight
    total_weight = n_samples if weights is None else float(weights.sum())
    batches = _Batches(data)
    # partial_fit steps the weights it is given: an average would have to live beside
    # them from call to call
    average = None if incremental else _WeightAverage.start(config.weight_averaging)

    for _ in range(config.max_iter):
        order = (state.random_state.permutation(n_samples) if config.shuffle
                 else np.arange(n_samples))
        objective.start_epoch()
        epoch_start = objective.theta.copy()
        accumulated_loss = 0.0
        for batch_slice in gen_batches(n_samples, batch_size):
            batch = batches.take(order[batch_slice])
            if batch.sample_weight is not None and not batch.sample_weight.any():
                continue
            loss = objective.loss_and_grad(batch)
            if not np.isfinite(loss):
                # the best epoch so far, else the start of this one (the first)
                best = state.best_theta if state.best_theta is not None else epoch_start
                objective.theta[...] = best
                state.optimizer = None  # its moments hold the non-finite gradient
                _warn_diverged(f"in epoch {state.n_iter + 1}", config.solver,
                               "those of the best epoch so far")
                return
            state.optimizer.step(objective.theta, objective.grad)
            accumulated_loss += loss * (batch.n_samples if batch.sample_weight is None
                                        else batch.sample_weight.sum())

        state.n_iter += 1
        state.t += n_samples
        state.loss = accumulated_loss / total_weight
        state.loss_curve.append(state.loss)
        if config.verbose:
            print(f"Iteration {state.n_iter}, loss = {state.loss:.8f}")

        if average is not None:
            average.update(objective.theta)
        if validation is not None:
            with _averaged(objective.theta, average):
                score = objective.validation_score(validation, data)
                _record_validation(state, score, objective.theta, config.tol)
            if config.verbose:
                print(f"Validation score: {score:f}")
        else:
            _record_loss(state, objective.theta, config.tol)

        state.optimizer.iteration_ends(state.t)
        plateau = state.no_improvement_count > config.n_iter_no_change
        if objective.next_stage(plateau):
            _start_next_stage(objective, config, state, average)
        elif plateau:
            what = "Validation score" if validation is not None else "Training loss"
            message = (f"{what} did not improve more than tol={config.tol:f} for "
                       f"{config.n_iter_no_change} consecutive epochs.")
            if state.optimizer.trigger_stopping(message, config.verbose):
                break
            state.no_improvement_count = 0

        if incremental:
            break
        if state.n_iter == config.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
    if average is not None and average.theta is not None:
        # the fit ends on the average (early stopping then restores the best average)
        objective.theta[...] = average.theta


def _start_next_stage(objective, config, state, average):
    """The next stage of training starts from the best epoch of this one, with the
    patience counted afresh and a fresh optimizer: Adam's moment estimates, still
    empty for the parameters the last stage held fixed, would make their first steps
    far larger than the others'."""
    if state.best_theta is not None:
        objective.theta[...] = state.best_theta
        if average is not None:
            average.theta = state.best_theta.copy()
    state.optimizer = make_optimizer(config, objective.theta.size, objective.theta.dtype)
    state.no_improvement_count = 0


class _WeightAverage:
    """Exponential moving average of the weights over epochs.

    After epoch ``t`` the average is :math:`\\bar\\theta_t = \\rho\\,\\bar\\theta_{t-1}
    + (1 - \\rho)\\,\\theta_t`, starting from the first epoch's weights. Averaging
    the iterates cancels much of the noise of the minibatch steps around the optimum
    (Polyak and Juditsky 1992), so a larger step can be taken and the validation
    score of the average is a smoother guide for early stopping.
    """

    def __init__(self, decay):
        self.decay, self.theta = decay, None

    @classmethod
    def start(cls, decay):
        return cls(decay) if decay > 0 else None

    def update(self, theta):
        if self.theta is None:
            self.theta = theta.copy()
        else:
            self.theta *= self.decay
            self.theta += (1 - self.decay) * theta


@contextlib.contextmanager
def _averaged(theta, average):
    """Within the block, ``theta`` holds the average (if any); the weights being
    trained are put back on exit."""
    if average is None:
        yield
        return
    trained = theta.copy()
    theta[...] = average.theta
    try:
        yield
    finally:
        theta[...] = trained


class _Batches:
    """Gathers minibatches of rows, dense, into buffers reused across batches."""

    def __init__(self, data):
        self.data = data
        self._buffers = {}

    def take(self, rows):
        X = self.data.X
        out = None
        if not sp.issparse(X):
            out = self._buffers.get(len(rows))
            if out is None:
                out = self._buffers[len(rows)] = np.empty((len(rows), X.shape[1]), X.dtype)
        return self.data.take(rows, out)


def batch_rows(batch_size, n_samples):
    """Rows of a training batch: ``"auto"`` is ``min(200, n_samples)``, as in
    scikit-learn's MLP, and a larger ``batch_size`` than the data is clipped."""
    if batch_size == "auto":
        return min(200, n_samples)
    return int(np.clip(batch_size, 1, n_samples))


def _batch_size(batch_size, n_samples):
    if batch_size != "auto" and batch_size > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                      "It is going to be clipped")
    return batch_rows(batch_size, n_samples)


def _split_validation(data, validation_fraction, random_state):
    """Hold out ``validation_fraction`` of the rows: (training data, validation data)."""
    n_samples = data.n_samples
    train_rows, val_rows = train_test_split(np.arange(n_samples), test_size=validation_fraction,
                                            random_state=random_state)
    if len(val_rows) < 2:
        raise ValueError(
            f"The validation set is too small: validation_fraction={validation_fraction}"
            f" of {n_samples} samples leaves {len(val_rows)}. Increase validation_fraction "
            "or set early_stopping=False."
        )
    return data.rows(train_rows), data.rows(val_rows)


def _record_validation(state, score, theta, tol):
    state.validation_scores.append(score)
    if score < state.best_validation_score + tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if score > state.best_validation_score:
        state.best_validation_score = score
        state.best_theta = theta.copy()


def _record_loss(state, theta, tol):
    if state.loss > state.best_loss - tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if state.loss < state.best_loss:
        state.best_loss = state.loss
        state.best_theta = theta.copy()  # where a later divergence returns to


def _warn_diverged(where, solver, restored):
    warnings.warn(
        f"Training diverged (the loss became non-finite) {where}; the parameters were "
        f"restored to {restored} and training stopped. Lower "
        f"learning_rate_init, scale the inputs, or use another solver than {solver!r}.",
        ConvergenceWarning,
    )


def _dense(X):
    return X.toarray() if sp.issparse(X) else X
