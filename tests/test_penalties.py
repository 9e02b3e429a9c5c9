"""Sparsity and contractive penalties: finite-difference gradients, the Jacobian, the
estimator's parameters."""

import numpy as np
import pytest
import scipy.sparse as sp
from _gradcheck import assert_gradient_matches
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoEncoder
from skae._activations import ACTIVATIONS, activation_slopes
from skae._network import Network
from skae._objective import Objective
from skae._penalties import ContractivePenalty, SparsityPenalty
from skae._training import Data
from skae.noise import Gaussian

N_SAMPLES, N_FEATURES = 6, 4


class _FixedDraws:
    """Draws the same directions at every call: the penalty is then a fixed function
    of the parameters, whose gradient finite differences can check."""

    def __init__(self, seed):
        self.seed = seed

    def standard_normal(self, size):
        return np.random.RandomState(self.seed).standard_normal(size)


def _network(rng, sizes, activation, code_activation):
    n_code = len(sizes) // 2
    activations = [activation] * (n_code - 1) + [code_activation] + (
        [activation] * (len(sizes) - 2 - n_code))
    net = Network(sizes, activations, np.float64)
    net.initialize(rng)
    net.theta += rng.normal(scale=0.3, size=net.theta.size)
    return net


def _data(rng, weighted):
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    return Data(X, None, rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None)


# relu is left out where a kink would sit within the finite-difference step of a
# unit; leaky_relu checks the same piecewise-linear code path
SMOOTH = sorted(set(ACTIVATIONS) - {"relu"})


@pytest.mark.parametrize("code_activation", SMOOTH)
@pytest.mark.parametrize("weighted", [False, True])
def test_sparsity_gradient_matches_finite_differences(code_activation, weighted):
    rng = np.random.RandomState(0)
    net = _network(rng, [N_FEATURES, 5, 3, 5, N_FEATURES], "tanh", code_activation)
    penalty = SparsityPenalty(0.7, 0.1, layer=2, activation=code_activation)
    objective = Objective(net, Gaussian(), alpha=0.1, penalties=[penalty])
    assert_gradient_matches(objective, _data(rng, weighted))


@pytest.mark.parametrize("code_activation", SMOOTH)
@pytest.mark.parametrize("weighted", [False, True])
def test_contraction_gradient_one_layer_encoder(code_activation, weighted):
    rng = np.random.RandomState(1)
    net = _network(rng, [N_FEATURES, 3, N_FEATURES], "tanh", code_activation)
    penalty = ContractivePenalty(0.9, 1, net.activations[:1], N_FEATURES)
    objective = Objective(net, Gaussian(), alpha=0.1, penalties=[penalty])
    assert_gradient_matches(objective, _data(rng, weighted))


@pytest.mark.parametrize("activation", SMOOTH)
@pytest.mark.parametrize("n_directions", [None, 2])
def test_contraction_gradient_deep_encoder(activation, n_directions):
    # exact (unit directions) and stochastic (a fixed draw of random directions)
    rng = np.random.RandomState(2)
    net = _network(rng, [N_FEATURES, 5, 4, 3, 4, 5, N_FEATURES], activation, "logistic")
    penalty = ContractivePenalty(0.9, 3, net.activations[:3], N_FEATURES,
                                 n_directions=n_directions, random_state=_FixedDraws(0))
    objective = Objective(net, Gaussian(), alpha=0.0, penalties=[penalty])
    assert_gradient_matches(objective, _data(rng, weighted=True))


def test_both_penalties_on_one_layer_add_up():
    rng = np.random.RandomState(3)
    net = _network(rng, [N_FEATURES, 5, 3, 5, N_FEATURES], "softplus", "logistic")
    penalties = [SparsityPenalty(0.5, 0.05, 2, "logistic"),
                 ContractivePenalty(0.4, 2, net.activations[:2], N_FEATURES, None)]
    data = _data(rng, weighted=False)
    objective = Objective(net, Gaussian(), alpha=0.0, penalties=penalties)
    plain = Objective(net, Gaussian(), alpha=0.0)
    values = [p.value_and_gradients(net, net.forward(data.X), np.full(N_SAMPLES, 1 / N_SAMPLES))[0]
              for p in penalties]
    assert objective.loss_and_grad(data) == pytest.approx(plain.loss_and_grad(data) + sum(values))
    assert_gradient_matches(objective, data)


def _numerical_jacobian_norms(net, X, layer, eps=1e-6):
    """||d code / d x||_F^2 per row, by central differences."""
    norms = np.zeros(X.shape[0])
    for k in range(X.shape[1]):
        step = np.zeros(X.shape[1])
        step[k] = eps
        up = net.forward(X + step, stop=layer)[-1]
        down = net.forward(X - step, stop=layer)[-1]
        norms += np.sum(((up - down) / (2 * eps)) ** 2, axis=1)
    return norms


@pytest.mark.parametrize("activation", ["logistic", "tanh", "softplus"])
def test_contraction_is_the_squared_jacobian_norm(activation):
    rng = np.random.RandomState(4)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    rows = rng.uniform(size=N_SAMPLES)
    rows /= rows.sum()
    one_layer = _network(rng, [N_FEATURES, 3, N_FEATURES], activation, activation)
    penalty = ContractivePenalty(1.0, 1, one_layer.activations[:1], N_FEATURES)
    acts = one_layer.forward(X)
    closed_form = penalty.value_and_gradients(one_layer, acts, rows)[0]
    exact = rows @ _numerical_jacobian_norms(one_layer, X, 1)
    assert closed_form == pytest.approx(exact, rel=1e-6)
    unit = np.eye(N_FEATURES)[None]
    assert penalty.tangent_value_and_gradients(one_layer, acts, rows, unit)[0] == (
        pytest.approx(exact, rel=1e-6))

    deep = _network(rng, [N_FEATURES, 5, 3, 5, N_FEATURES], activation, activation)
    penalty = ContractivePenalty(1.0, 2, deep.activations[:2], N_FEATURES, None)
    acts = deep.forward(X)
    exact = rows @ _numerical_jacobian_norms(deep, X, 2)
    assert penalty.value_and_gradients(deep, acts, rows)[0] == pytest.approx(exact, rel=1e-6)
    # random directions: unbiased, so their mean over many draws approaches it
    stochastic = ContractivePenalty(1.0, 2, deep.activations[:2], N_FEATURES, 2000,
                                    random_state=np.random.RandomState(0))
    assert stochastic.value_and_gradients(deep, acts, rows)[0] == pytest.approx(exact, rel=0.05)


def test_contraction_ignores_missingness_indicators():
    # the Jacobian is taken with respect to the features only
    rng = np.random.RandomState(5)
    net = _network(rng, [2 * N_FEATURES, 3, N_FEATURES], "tanh", "logistic")
    X = np.hstack([rng.normal(size=(N_SAMPLES, N_FEATURES)), np.zeros((N_SAMPLES, N_FEATURES))])
    rows = np.full(N_SAMPLES, 1 / N_SAMPLES)
    penalty = ContractivePenalty(1.0, 1, net.activations[:1], N_FEATURES)
    value, _, weight_grads = penalty.value_and_gradients(net, net.forward(X), rows)
    features_only = _network(np.random.RandomState(0), [N_FEATURES, 3, N_FEATURES], "tanh",
                             "logistic")
    features_only.weights[0][...] = net.weights[0][:N_FEATURES]
    features_only.biases[0][...] = net.biases[0]
    expected = penalty.value_and_gradients(features_only, features_only.forward(X[:, :N_FEATURES]),
                                           rows)[0]
    assert value == pytest.approx(expected)
    assert not weight_grads[0][N_FEATURES:].any()


def _digits_like(rng, n=120):
    return rng.uniform(size=(n, 10)) ** 3


def test_sparsity_lowers_the_mean_activation_of_a_logistic_code():
    X = _digits_like(np.random.RandomState(0))
    params = dict(n_components=20, hidden_layer_sizes=(), code_activation="logistic",
                  noise="bernoulli", max_iter=150, learning_rate_init=1e-2, random_state=0)
    plain = AutoEncoder(**params).fit(X)
    sparse = AutoEncoder(sparsity=1.0, sparsity_target=0.05, **params).fit(X)
    assert sparse.transform(X).mean() < 0.1 < plain.transform(X).mean()


@pytest.mark.parametrize("hidden_layer_sizes", [(), (16,)])
def test_contraction_lowers_the_code_sensitivity(hidden_layer_sizes):
    # exact (one layer) and stochastic (deeper) penalties; the sensitivity is the
    # squared code change under small input noise over that between two digits
    X = load_digits().data[:300] / 16
    rng = np.random.RandomState(0)
    delta = rng.normal(scale=0.05, size=X.shape)

    def sensitivity(model):
        codes = model.transform(X)
        return (np.mean(np.sum((model.transform(X + delta) - codes) ** 2, axis=1))
                / np.mean(np.sum((codes - codes[::-1]) ** 2, axis=1)))

    params = dict(n_components=8, hidden_layer_sizes=hidden_layer_sizes, activation="tanh",
                  code_activation="logistic", noise="bernoulli", max_iter=40,
                  learning_rate_init=1e-2, batch_size=50, random_state=0)
    plain = AutoEncoder(**params).fit(X)
    contractive = AutoEncoder(contraction=0.3, **params).fit(X)
    assert sensitivity(contractive) < 0.7 * sensitivity(plain)


def test_penalties_stay_out_of_the_likelihood():
    X = _digits_like(np.random.RandomState(1), 40)
    ae = AutoEncoder(n_components=3, hidden_layer_sizes=(), code_activation="logistic",
                     sparsity=5.0, contraction=5.0, max_iter=5, random_state=0).fit(X)
    plain = ae._make_objective(ae._network, ae.noise_)
    plain.penalties = ()
    with_penalties = ae._make_objective(ae._network, ae.noise_)
    assert with_penalties.loss_and_grad(Data(X)) > plain.loss_and_grad(Data(X)) + 1e-3
    np.testing.assert_allclose(ae.score_samples(X),
                               ae.noise_.log_likelihood(X, ae._network.forward(X)[-1]))


def test_penalised_autoencoder_trains_on_sparse_float32_input():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 6)).astype(np.float32)
    X[X < 0.5] = 0
    ae = AutoEncoder(n_components=3, hidden_layer_sizes=(5,), code_activation="logistic",
                     sparsity=0.5, contraction=0.5, max_iter=3, random_state=0)
    codes = ae.fit(sp.csr_matrix(X)).transform(sp.csr_matrix(X))
    assert codes.dtype == np.float32 and np.isfinite(codes).all()
    assert np.isfinite(ae.loss_)


@pytest.mark.parametrize("params, name", [
    (dict(sparsity=-1.0), "sparsity"),
    (dict(sparsity_target=1.0), "sparsity_target"),
    (dict(sparsity_target=0.0), "sparsity_target"),
    (dict(contraction=-0.5), "contraction"),
    (dict(code_activation="sigmoid"), "code_activation"),
])
def test_invalid_penalty_parameters_are_rejected(params, name):
    X = np.random.RandomState(0).uniform(size=(10, 3))
    with pytest.raises(InvalidParameterError, match=name):
        AutoEncoder(max_iter=1, **params).fit(X)


def _random_directions_differ(estimator):
    # a deeper encoder's contraction is estimated from random directions drawn per
    # row: repeated rows and one weighted row see different draws. The one-layer
    # penalty is exact, and weights then act as repeated rows.
    if estimator.hidden_layer_sizes == ():
        return {}
    return {name: "repeated rows draw different random directions than one weighted row"
            for name in ("check_sample_weight_equivalence_on_dense_data",
                         "check_sample_weight_equivalence_on_sparse_data")}


@parametrize_with_checks(
    [AutoEncoder(code_activation="logistic", sparsity=0.1, contraction=0.1,
                 hidden_layer_sizes=hidden, max_iter=50, random_state=0)
     for hidden in [(), (16,)]],
    expected_failed_checks=_random_directions_differ)
def test_penalised_autoencoder_is_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("penalty", [
    SparsityPenalty(0.5, 0.05, 2, "logistic"),
    SparsityPenalty(0.5, 0.05, 2, "tanh"),
    ContractivePenalty(0.5, 2, ["tanh", "logistic"], N_FEATURES, None),
    ContractivePenalty(0.5, 2, ["tanh", "logistic"], N_FEATURES, 1, np.random.RandomState(0)),
    ContractivePenalty(0.5, 1, ["logistic"], N_FEATURES),
], ids=lambda p: f"{type(p).__name__}-{getattr(p, 'activation', p.layer)}")
def test_penalty_gradients_keep_float32(penalty):
    rng = np.random.RandomState(0)
    if penalty.layer == 1:
        net = Network([N_FEATURES, 3, N_FEATURES], ["logistic"], np.float32)
    else:
        net = Network([N_FEATURES, 5, 3, 5, N_FEATURES], ["tanh", "logistic", "tanh"],
                      np.float32)
    net.initialize(rng)
    activations = net.forward(rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(np.float32))
    rows = np.full(N_SAMPLES, 1 / N_SAMPLES, np.float32)
    value, inner, direct = penalty.value_and_gradients(net, activations, rows)
    assert np.isfinite(value)
    assert all(g.dtype == np.float32 for g in [*inner.values(), *direct.values()])


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_slopes_agree_with_backward_and_finite_differences(activation):
    rng = np.random.RandomState(4)
    z = rng.uniform(-2, 2, size=(3, 5))
    forward, backward = ACTIVATIONS[activation]
    a = forward(z.copy())
    slope, slope_derivative = activation_slopes(activation, a)
    np.testing.assert_allclose(slope, backward(a, np.ones_like(a), np.empty_like(a)))
    eps = 1e-6
    numeric = (activation_slopes(activation, a + eps)[0]
               - activation_slopes(activation, a - eps)[0]) / (2 * eps)
    away_from_kinks = np.abs(a) > 1e-3  # relu and leaky_relu bend at a = 0
    np.testing.assert_allclose(slope_derivative[away_from_kinks], numeric[away_from_kinks],
                               rtol=1e-6, atol=1e-8)


def test_activation_slopes_refuse_an_unknown_name():
    with pytest.raises(KeyError, match="softsign"):
        activation_slopes("softsign", np.zeros((2, 2)))
