"""The one training loop every skae estimator uses.

Objective for a batch B with sample weights w (all ones by default):

.. math:: L_B(\\theta) = \\frac{\\sum_{i \\in B} w_i \\,\\mathrm{NLL}(y_i \\mid f_\\theta(x_i))
          + \\tfrac{\\alpha}{2} \\lVert W \\rVert^2}{\\sum_{i \\in B} w_i}

Normalising by the weight sum makes integer weights act exactly like repeated rows,
penalty included.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._optim import SGD, Adam, minimize_lbfgs


class Objective:
    """Loss and flat gradient of a batch for one network and one noise model."""

    def __init__(self, network, noise, alpha):
        self.network = network
        self.noise = noise
        self.alpha = alpha
        # the penalty's gradient is formed here, not in a fresh temporary every batch
        self._penalty_grad = np.empty(network.n_weights if alpha else 0, network.dtype)

    def __call__(self, X, Y, sample_weight=None):
        """Return the batch loss; the gradient is left in ``network.grad``."""
        net = self.network
        activations = net.forward(X, reuse_buffers=True)
        nll, delta = self.noise.nll_and_grad(Y, activations[-1], out=net.output_delta(X.shape[0]))
        if sample_weight is None:
            total_weight = X.shape[0]
            data_loss = nll.sum()
            delta *= 1.0 / total_weight
        else:
            total_weight = sample_weight.sum()
            data_loss = sample_weight @ nll
            delta *= (sample_weight / total_weight)[:, None]
        grad = net.backward(activations, delta)
        if not self.alpha:  # skip three passes over the weights
            return float(data_loss) / total_weight
        weights = net.theta[: net.n_weights]
        grad[: net.n_weights] += np.multiply(weights, self.alpha / total_weight,
                                             out=self._penalty_grad)
        return float(data_loss + 0.5 * self.alpha * (weights @ weights)) / total_weight


# Inference runs over row chunks of about this many values per layer, so that scoring
# or predicting on large data never holds more than one chunk's activations.
CHUNK_VALUES = 2**18


def row_chunks(X, width):
    """``(rows, dense chunk)`` pairs covering the rows of X, for layers ``width`` wide."""
    chunk_rows = max(1, CHUNK_VALUES // max(width, 1))
    for rows in gen_batches(X.shape[0], chunk_rows):
        yield rows, _dense(X[rows])


def mean_log_likelihood(network, noise, X, Y, sample_weight=None):
    """Weighted mean log-likelihood of ``Y`` given ``X`` (the validation score).

    ``Y is X`` means the targets are the inputs (an autoencoder).
    """
    total, total_weight = 0.0, 0.0
    for rows, Xc in row_chunks(X, max(network.layer_sizes)):
        Yc = Xc if Y is X else _dense(Y[rows])
        log_likelihood = -noise.nll(Yc, network.forward(Xc)[-1])
        if sample_weight is None:
            total += log_likelihood.sum()
            total_weight += log_likelihood.size
        else:
            total += sample_weight[rows] @ log_likelihood
            total_weight += sample_weight[rows].sum()
    if total_weight == 0:
        raise ValueError("The validation rows' sample weights sum to zero; the validation "
                         "score is undefined. Set early_stopping=False or reweight.")
    return float(total / total_weight)


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


def _take_rows(X, rows, buffers):
    """Rows of X as a dense array, gathered into a buffer reused across batches."""
    if sp.issparse(X):
        return X[rows].toarray()
    out = buffers.get(len(rows))
    if out is None:
        out = buffers[len(rows)] = np.empty((len(rows), X.shape[1]), dtype=X.dtype)
    # mode="clip" (the rows are valid by construction): the default "raise" first
    # gathers into a temporary and then copies it into ``out``
    return np.take(X, rows, axis=0, out=out, mode="clip")


def _warn_diverged(where, solver, restored):
    warnings.warn(
        f"Training diverged (the loss became non-finite) {where}; the parameters were "
        f"restored to {restored} and training stopped. Lower "
        f"learning_rate_init, scale the inputs, or use another solver than {solver!r}.",
        ConvergenceWarning,
    )


def _make_optimizer(est, network):
    n, dtype = network.theta.size, network.dtype
    if est.solver == "sgd":
        return SGD(n, dtype, est.learning_rate_init, est.learning_rate, est.momentum,
                   est.nesterovs_momentum, est.power_t)
    return Adam(n, dtype, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon)


def reset_training_state(est):
    """Fitted attributes of a fresh training run."""
    est.n_iter_ = 0
    est.t_ = 0
    est.loss_curve_ = []
    est._no_improvement_count = 0
    if est.early_stopping and est.solver != "lbfgs":
        est.validation_scores_ = []
        est.best_validation_score_ = -np.inf
        est.best_loss_ = None
    else:
        est.validation_scores_ = None
        est.best_validation_score_ = None
        est.best_loss_ = np.inf
    for name in ("_optimizer", "_best_theta"):
        est.__dict__.pop(name, None)


def fit_lbfgs(est, objective, X, Y, sample_weight):
    """Full-batch L-BFGS-B on the flat parameter vector."""
    network = objective.network
    X = _dense(X)
    Y = X if Y is None else _dense(Y)
    start = network.theta.copy()

    def loss_and_grad(theta):
        return objective(X, Y, sample_weight), network.grad

    def record(intermediate_result):
        est.loss_curve_.append(float(intermediate_result.fun))
        if est.verbose:
            print(f"Iteration {len(est.loss_curve_)}, loss = {intermediate_result.fun:.8f}")

    result = minimize_lbfgs(loss_and_grad, network.theta, est.max_iter, est.max_fun,
                            est.tol, callback=record)
    if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
        network.theta[...] = start
        _warn_diverged("during L-BFGS", "lbfgs", "their initial values")
    else:
        network.theta[...] = result.x
    est.n_iter_ = result.nit
    est.loss_ = float(result.fun)
    if result.status == 1:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations (max_iter="
            f"{est.max_iter}, max_fun={est.max_fun}): {result.message}. Increase "
            "max_iter or scale the data.",
            ConvergenceWarning,
        )


def fit_stochastic(est, objective, X, Y, sample_weight, rng, incremental):
    """Minibatch SGD / Adam epochs, with early stopping on the validation likelihood.

    ``Y=None`` means the targets are the inputs (an autoencoder): each batch is then
    gathered once and serves as both. ``incremental`` (partial_fit) runs one epoch.
    """
    # A diverging run overflows on its way to a non-finite loss, which the loop detects
    # and reports itself; NumPy's warnings about it would only bury that report.
    with np.errstate(over="ignore", invalid="ignore"):
        _fit_stochastic(est, objective, X, Y, sample_weight, rng, incremental)


def _fit_stochastic(est, objective, X, Y, sample_weight, rng, incremental):
    network = objective.network
    if not hasattr(est, "_optimizer"):
        est._optimizer = _make_optimizer(est, network)
    optimizer = est._optimizer

    early_stopping = est.early_stopping and not incremental
    if early_stopping:
        X, Y, sample_weight, validation = _split_validation(est, X, Y, sample_weight, rng)

    n_samples = X.shape[0]
    batch_size = _batch_size(est, n_samples)
    total_weight = n_samples if sample_weight is None else float(sample_weight.sum())
    gather_buffers = {}

    for _ in range(est.max_iter):
        order = rng.permutation(n_samples) if est.shuffle else np.arange(n_samples)
        epoch_start = network.theta.copy()
        accumulated_loss = 0.0
        for batch in gen_batches(n_samples, batch_size):
            rows = order[batch]
            Xb = _take_rows(X, rows, gather_buffers)
            Yb = Xb if Y is None else Y[rows]
            wb = None if sample_weight is None else sample_weight[rows]
            if wb is not None and not wb.any():
                continue
            loss = objective(Xb, Yb, wb)
            if not np.isfinite(loss):
                # the best epoch so far, else the start of this one (the first)
                network.theta[...] = getattr(est, "_best_theta", epoch_start)
                del est._optimizer  # its moments hold the non-finite gradient
                _warn_diverged(f"in epoch {est.n_iter_ + 1}", est.solver,
                               "those of the best epoch so far")
                return
            optimizer.step(network.theta, network.grad)
            accumulated_loss += loss * (len(rows) if wb is None else wb.sum())

        est.n_iter_ += 1
        est.t_ += n_samples
        est.loss_curve_.append(accumulated_loss / total_weight)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_curve_[-1]:.8f}")

        if early_stopping:
            score = mean_log_likelihood(network, objective.noise, *validation)
            _record_validation(est, score, network)
            if est.verbose:
                print(f"Validation score: {score:f}")
        else:
            _record_loss(est, network)

        optimizer.iteration_ends(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if early_stopping else "Training loss"
            message = (f"{what} did not improve more than tol={est.tol:f} for "
                       f"{est.n_iter_no_change} consecutive epochs.")
            if optimizer.trigger_stopping(message, est.verbose):
                break
            est._no_improvement_count = 0

        if incremental:
            break
        if est.n_iter_ == est.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    if early_stopping:
        network.theta[...] = est._best_theta


def _batch_size(est, n_samples):
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                      "It is going to be clipped")
    return int(np.clip(est.batch_size, 1, n_samples))


def _split_validation(est, X, Y, sample_weight, rng):
    """Hold out ``validation_fraction`` of the rows; returns train parts and (X, Y, w) val."""
    n_samples = X.shape[0]
    train, val = train_test_split(np.arange(n_samples), test_size=est.validation_fraction,
                                  random_state=rng)
    if len(val) < 2:
        raise ValueError(
            f"The validation set is too small: validation_fraction={est.validation_fraction}"
            f" of {n_samples} samples leaves {len(val)}. Increase validation_fraction or "
            "set early_stopping=False."
        )
    X_val = X[val]
    Y_val = X_val if Y is None else Y[val]
    w_val = None if sample_weight is None else sample_weight[val]
    if sample_weight is not None:
        sample_weight = sample_weight[train]
    return X[train], (None if Y is None else Y[train]), sample_weight, (X_val, Y_val, w_val)


def _record_validation(est, score, network):
    est.validation_scores_.append(score)
    est._no_improvement_count = (
        est._no_improvement_count + 1 if score < est.best_validation_score_ + est.tol else 0
    )
    if score > est.best_validation_score_:
        est.best_validation_score_ = score
        est._best_theta = network.theta.copy()


def _record_loss(est, network):
    loss = est.loss_curve_[-1]
    est._no_improvement_count = (
        est._no_improvement_count + 1 if loss > est.best_loss_ - est.tol else 0
    )
    if loss < est.best_loss_:
        est.best_loss_ = loss
        est._best_theta = network.theta.copy()  # where a later divergence returns to
