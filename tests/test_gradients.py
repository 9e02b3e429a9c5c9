"""Finite-difference checks of the whole objective: every activation x noise model.

The noise models come from tests/_registry.py; the gradient of each noise model alone
is checked by the contract checks (test_noise_contract.py).
"""

import numpy as np
import pytest
from _registry import N_TARGETS, NOISE_MODELS, noise_id

from skae._activations import ACTIVATIONS
from skae._network import Network
from skae._training import Objective
from skae.noise import Gaussian

N_SAMPLES, N_FEATURES = 7, 3


def _targets(noise, rng):
    # drawn from the model itself, so that every model's targets lie in its support
    raw = 0.5 * rng.normal(size=(N_SAMPLES, noise.n_raw(N_TARGETS)))
    return noise.sample(raw, random_state=rng)[0].astype(float)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("noise", NOISE_MODELS, ids=noise_id)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(activation, noise, weighted):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = _targets(noise, rng)
    weights = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    net = Network([N_FEATURES, 5, 4, noise.n_raw(N_TARGETS)], [activation] * 2, np.float64)
    net.initialize(rng)
    net.theta += rng.normal(scale=0.1, size=net.theta.size)  # non-zero biases too
    _assert_gradient_matches(Objective(net, noise, alpha=0.3), X, Y, weights)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_through_one_unit_layers(activation):
    # a single output and a one-unit hidden layer: the input gradients of those layers
    # are outer products, which the network computes without BLAS
    rng = np.random.RandomState(1)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    y = rng.normal(size=(N_SAMPLES, 1))
    net = Network([N_FEATURES, 4, 1, 3, 1], [activation] * 3, np.float64)
    net.initialize(rng)
    net.theta += rng.normal(scale=0.1, size=net.theta.size)
    net.biases[1][...] = 0.5  # keep the one relu unit alive
    _assert_gradient_matches(Objective(net, Gaussian(), alpha=0.3), X, y, None)


def _assert_gradient_matches(objective, X, Y, weights):
    net = objective.network
    objective(X, Y, weights)
    analytic = net.grad.copy()
    numeric = np.empty_like(analytic)
    eps = 1e-6
    for k in range(net.theta.size):
        saved = net.theta[k]
        net.theta[k] = saved + eps
        up = objective(X, Y, weights)
        net.theta[k] = saved - eps
        down = objective(X, Y, weights)
        net.theta[k] = saved
        numeric[k] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
