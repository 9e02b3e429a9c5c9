"""The training loop and the objective, tested without any estimator."""

import ast
import pathlib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skae import _objective
from skae._network import Network
from skae._objective import Objective
from skae._training import (Data, TrainingConfig, TrainingState, fit_lbfgs,
                            fit_stochastic, train)
from skae.noise import Bernoulli, Gaussian

ADAM = dict(learning_rate_init=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


class Quadratic:
    """``loss = mean_i |theta - x_i|^2 / 2`` over a batch: a loop-sized objective whose
    optimum (the mean of the rows) and validation score are known."""

    def __init__(self, dim=3, scores=None, interrupt_at=None):
        self.theta = np.zeros(dim)
        self.grad = np.zeros(dim)
        self.scores = list(scores or [])
        self.interrupt_at = interrupt_at
        self.epochs_scored = 0
        self.thetas_scored = []
        self.epochs_started = 0

    def start_epoch(self):
        self.epochs_started += 1

    def next_stage(self, plateau):
        return False

    def loss_and_grad(self, batch):
        residual = self.theta - batch.X
        self.grad[...] = residual.mean(axis=0)
        return float(0.5 * (residual**2).sum(axis=1).mean())

    def validation_score(self, validation, training):
        self.epochs_scored += 1
        self.thetas_scored.append(self.theta.copy())
        if self.epochs_scored == self.interrupt_at:
            raise KeyboardInterrupt
        return self.scores.pop(0)


def _config(**kwargs):
    return TrainingConfig(**{"solver": "adam", "optimizer_params": ADAM, **kwargs})


def _data(seed=0, n=50):
    return Data(np.random.RandomState(seed).normal(loc=2.0, size=(n, 3)))


def test_loop_minimises_without_an_estimator():
    objective, data = Quadratic(), _data()
    config = _config(max_iter=300, tol=0.0, n_iter_no_change=np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        state = train(objective, data, config, TrainingState.start(config, np.random.RandomState(0)))
    np.testing.assert_allclose(objective.theta, data.X.mean(axis=0), atol=1e-2)
    assert state.n_iter == 300 and state.t == 300 * 50
    assert len(state.loss_curve) == 300 and state.loss == state.loss_curve[-1]
    assert state.loss_curve[-1] < state.loss_curve[0]


def test_n_iter_counts_the_latest_call_and_t_all_calls():
    objective, data = Quadratic(), _data()
    config = _config(max_iter=3)
    state = TrainingState.start(config, np.random.RandomState(0))
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        state = fit_stochastic(objective, data, config, state)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        state = fit_stochastic(objective, data, config, state)
    assert state.n_iter == 3 and state.t == 6 * 50 and len(state.loss_curve) == 6
    state = fit_stochastic(objective, data, config, state, incremental=True)
    assert state.n_iter == 1 and state.t == 7 * 50


def test_early_stopping_restores_the_best_parameters():
    # validation scores peak at the third epoch; the loop stops two epochs later and
    # must hand back the parameters of that epoch, not the last ones
    objective = Quadratic(scores=[1.0, 2.0, 3.0, 2.5, 2.4, 2.3, 2.2])
    config = _config(max_iter=50, early_stopping=True, n_iter_no_change=1, tol=0.0)
    state = fit_stochastic(objective, _data(), config,
                           TrainingState.start(config, np.random.RandomState(0)))
    assert state.validation_scores == [1.0, 2.0, 3.0, 2.5, 2.4]
    assert state.best_validation_score == 3.0
    np.testing.assert_array_equal(objective.theta, objective.thetas_scored[2])
    assert not np.array_equal(objective.thetas_scored[2], objective.thetas_scored[-1])


class TwoStages(Quadratic):
    """Goes on to a second stage at the first plateau of its validation score."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stage_started_after = None  # epochs scored when the second stage began

    def next_stage(self, plateau):
        if plateau and self.stage_started_after is None:
            self.stage_started_after = self.epochs_scored
            return True
        return False


def test_a_next_stage_starts_from_the_best_epoch_with_a_fresh_optimizer():
    # the first stage peaks at its second epoch and plateaus two epochs later; the
    # second stage starts from that epoch with a new optimizer, counts its patience
    # afresh, and stops on its own plateau, handing back its own best epoch
    objective = TwoStages(scores=[1.0, 2.0, 1.5, 1.4, 2.5, 2.4, 2.3, 2.2])
    config = _config(max_iter=50, early_stopping=True, n_iter_no_change=1, tol=0.0)
    state = TrainingState.start(config, np.random.RandomState(0))
    started, optimizers = [], []

    class Spy(TwoStages):
        def start_epoch(self):
            super().start_epoch()
            started.append(self.theta.copy())
            optimizers.append(state.optimizer)

    objective.__class__ = Spy
    state = fit_stochastic(objective, _data(), config, state)
    assert objective.stage_started_after == 4
    assert state.validation_scores == [1.0, 2.0, 1.5, 1.4, 2.5, 2.4, 2.3]
    np.testing.assert_array_equal(started[4], objective.thetas_scored[1])
    assert optimizers[4] is not optimizers[3] and optimizers[3] is optimizers[0]
    np.testing.assert_array_equal(objective.theta, objective.thetas_scored[4])


def test_one_stage_objective_stops_at_its_plateau():
    objective = Quadratic(scores=[1.0, 2.0, 1.5, 1.4, 2.5])
    config = _config(max_iter=50, early_stopping=True, n_iter_no_change=1, tol=0.0)
    state = fit_stochastic(objective, _data(), config,
                           TrainingState.start(config, np.random.RandomState(0)))
    assert state.validation_scores == [1.0, 2.0, 1.5, 1.4]


def _moving_average(thetas, decay):
    average, out = thetas[0].copy(), [thetas[0].copy()]
    for theta in thetas[1:]:
        average = decay * average + (1 - decay) * theta
        out.append(average)
    return out


def test_fit_ends_on_the_moving_average_of_the_epochs():
    # the raw iterates, one incremental epoch at a time, against one averaged fit
    objective, data = Quadratic(), _data()
    config = _config(max_iter=4, n_iter_no_change=np.inf)
    state = TrainingState.start(config, np.random.RandomState(0))
    raw = []
    for _ in range(4):
        state = fit_stochastic(objective, data, config, state, incremental=True)
        raw.append(objective.theta.copy())

    averaged = Quadratic()
    config = _config(max_iter=4, n_iter_no_change=np.inf, weight_averaging=0.5)
    with pytest.warns(ConvergenceWarning):
        fit_stochastic(averaged, data, config, TrainingState.start(config, np.random.RandomState(0)))
    np.testing.assert_allclose(averaged.theta, _moving_average(raw, 0.5)[-1], rtol=1e-12)
    assert not np.allclose(averaged.theta, raw[-1])


def test_early_stopping_scores_and_restores_the_average():
    # averaging leaves the trained weights alone: the raw run's scored iterates,
    # averaged, are what the averaged run scores, and it ends on the best average
    scores = [1.0, 2.0, 3.0, 2.5, 2.4, 2.3]
    config = dict(max_iter=50, early_stopping=True, n_iter_no_change=1, tol=0.0)
    raw, averaged = Quadratic(scores=scores), Quadratic(scores=scores)
    for objective, decay in ((raw, 0.0), (averaged, 0.7)):
        cfg = _config(weight_averaging=decay, **config)
        fit_stochastic(objective, _data(), cfg, TrainingState.start(cfg, np.random.RandomState(0)))
    expected = _moving_average(raw.thetas_scored, 0.7)
    np.testing.assert_allclose(averaged.thetas_scored, expected, rtol=1e-12)
    np.testing.assert_allclose(averaged.theta, expected[2], rtol=1e-12)


def test_keyboard_interrupt_warns_and_keeps_the_best_parameters():
    objective = Quadratic(scores=[1.0, 3.0, 2.0], interrupt_at=4)
    config = _config(max_iter=50, early_stopping=True)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        state = fit_stochastic(objective, _data(), config,
                               TrainingState.start(config, np.random.RandomState(0)))
    assert state.n_iter == 4
    np.testing.assert_array_equal(objective.theta, objective.thetas_scored[1])


def test_incremental_early_stopping_is_an_error():
    config = _config(early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        fit_stochastic(Quadratic(), _data(), config,
                       TrainingState.start(config, np.random.RandomState(0)),
                       incremental=True)


def test_divergence_restores_the_best_epoch_and_warns():
    class Diverging(Quadratic):
        calls = 0

        def loss_and_grad(self, batch):
            self.calls += 1
            loss = super().loss_and_grad(batch)
            return np.inf if self.calls > 6 else loss  # 2 batches an epoch: epoch 4

    objective = Diverging()
    config = _config(max_iter=20, batch_size=25)
    with pytest.warns(ConvergenceWarning, match="diverged .* in epoch 4"):
        state = fit_stochastic(objective, _data(), config,
                               TrainingState.start(config, np.random.RandomState(0)))
    assert state.n_iter == 3 and state.optimizer is None
    np.testing.assert_array_equal(objective.theta, state.best_theta)


def test_lbfgs_reaches_the_optimum_and_records_its_loss():
    objective, data = Quadratic(), _data()
    config = _config(solver="lbfgs", tol=1e-10)
    state = fit_lbfgs(objective, data, config, TrainingState.start(config, None))
    np.testing.assert_allclose(objective.theta, data.X.mean(axis=0), atol=1e-6)
    assert state.best_loss == state.loss == pytest.approx(state.loss_curve[-1])
    assert np.isfinite(state.best_loss) and state.n_iter >= 1


def test_training_module_imports_no_estimator():
    # the loop takes an objective, data, a config and a state; of skae it needs only
    # the optimizers
    source = pathlib.Path(_objective.__file__).with_name("_training.py").read_text()
    skae_imports = {node.module for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.ImportFrom) and node.level > 0}
    assert skae_imports == {"_optim"}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("autoencoder", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_log_likelihood_in_chunks_equals_whole(monkeypatch, weighted, autoencoder, sparse):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(53, 6))
    Y = None if autoencoder else rng.uniform(size=(53, 2))
    weights = rng.uniform(0.5, 2, size=53) if weighted else None
    noise = Bernoulli() if autoencoder else Gaussian(scale=0.5)
    net = Network([6, 7, 6 if autoencoder else 2], ["tanh"], np.float64)
    net.initialize(rng)
    targets = X if autoencoder else Y
    expected = -noise.nll(targets, net.forward(X)[-1])

    # chunks of 2 rows (7-unit layers): 27 chunks, the last one short
    monkeypatch.setattr(_objective, "CHUNK_VALUES", 14)
    X_in = sp.csr_matrix(X) if sparse else X
    objective = Objective(net, noise, alpha=0.0)
    np.testing.assert_allclose(objective.log_likelihood(Data(X_in, Y)), expected)
    validation = Data(X_in, Y, weights)
    assert objective.validation_score(validation, validation) == pytest.approx(
        np.average(expected, weights=weights))


def test_validation_score_is_at_the_ml_scale_of_the_training_rows():
    # with scale="mle" the score must be the held-out likelihood at the scale fitted on
    # the training rows, not at the unit scale used while training
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    Y = 50.0 * rng.normal(size=(200, 1))
    net = Network([3, 1], [], np.float64)
    net.initialize(rng)
    objective = Objective(net, Gaussian(), alpha=0.0)
    train_rows, val_rows = Data(X[:150], Y[:150]), Data(X[150:], Y[150:])
    residual = Y[:150] - net.forward(X[:150])[-1]
    scale = np.sqrt(np.mean(residual**2))
    expected = Gaussian(scale=scale).log_likelihood(Y[150:], net.forward(X[150:])[-1])
    assert objective.validation_score(val_rows, train_rows) == pytest.approx(expected.mean())
    assert expected.mean() > -6  # at unit scale it would be about -1250


def test_validation_score_with_zero_weights_raises():
    net = Network([2, 1], [], np.float64)
    data = Data(np.ones((3, 2)), np.ones((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="sum to zero"):
        Objective(net, Gaussian(), alpha=0.0).validation_score(data, Data(np.ones((3, 2)), np.ones((3, 1))))


def test_corruption_reaches_the_inputs_of_training_batches_only():
    # a denoising objective: the network sees corrupted inputs while training, clean
    # inputs in inference, and the likelihood is always that of the clean targets
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20, 4))
    net = Network([4, 4], [], np.float64)
    net.initialize(rng)
    seen = []

    def zero_first_column(X, random_state):
        seen.append(random_state)
        corrupted = X.copy()
        corrupted[:, 0] = 0.0
        return corrupted

    marker = np.random.RandomState(1)
    objective = Objective(net, Gaussian(), alpha=0.0, corruption=zero_first_column,
                          random_state=marker)
    loss = objective.loss_and_grad(Data(X))
    corrupted = X.copy()
    corrupted[:, 0] = 0.0
    expected = 0.5 * np.mean(((net.forward(corrupted)[-1] - X) ** 2).sum(axis=1))
    assert loss == pytest.approx(expected) and seen == [marker]
    np.testing.assert_allclose(objective.log_likelihood(Data(X)),
                               Gaussian().log_likelihood(X, net.forward(X)[-1]))
    assert len(seen) == 1


def test_input_transform_applies_in_training_and_inference():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20, 3))
    net = Network([6, 3], [], np.float64)
    net.initialize(rng)
    doubled = Objective(net, Gaussian(), alpha=0.0, input_transform=lambda X: np.hstack([X, X]))
    expected_raw = net.forward(np.hstack([X, X]))[-1]
    np.testing.assert_allclose(doubled.forward(X), expected_raw)
    np.testing.assert_allclose(doubled.log_likelihood(Data(X)),
                               Gaussian().log_likelihood(X, expected_raw))
    assert doubled.loss_and_grad(Data(X)) == pytest.approx(
        0.5 * np.mean(((expected_raw - X) ** 2).sum(axis=1)))


def test_start_epoch_is_called_once_before_each_epoch():
    objective = Quadratic()
    config = _config(max_iter=4, n_iter_no_change=np.inf, batch_size=10)
    with pytest.warns(ConvergenceWarning):
        state = fit_stochastic(objective, _data(), config,
                               TrainingState.start(config, np.random.RandomState(0)))
    assert objective.epochs_started == state.n_iter == 4
    fit_stochastic(objective, _data(), config, state, incremental=True)
    assert objective.epochs_started == 5
