"""Finite-difference checks of the whole objective: every activation x noise model."""

import numpy as np
import pytest

from skae._activations import ACTIVATIONS
from skae._network import Network
from skae._training import Objective
from skae.noise import (Bernoulli, Categorical, Gaussian, Laplace, LogNormal, Poisson,
                        StudentT)

N_SAMPLES, N_FEATURES, N_TARGETS = 7, 3, 4


def _targets(noise, rng):
    shape = (N_SAMPLES, N_TARGETS)
    if isinstance(noise, Bernoulli):
        return rng.uniform(0, 1, shape)
    if isinstance(noise, Categorical):
        return np.eye(N_TARGETS)[rng.randint(N_TARGETS, size=N_SAMPLES)]
    if isinstance(noise, Poisson):
        return rng.poisson(2.0, shape).astype(float)
    if isinstance(noise, LogNormal):
        return rng.lognormal(size=shape)
    return rng.normal(size=shape)


NOISE_MODELS = [
    Gaussian(), Gaussian(scale=0.7), Gaussian(scale="learned"), Gaussian(link="logistic"),
    Laplace(), Laplace(scale="learned"), StudentT(), StudentT(df="learned"),
    LogNormal(scale="learned"), Bernoulli(), Categorical(), Poisson(),
]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("noise", NOISE_MODELS, ids=repr)
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


@pytest.mark.parametrize("noise", NOISE_MODELS, ids=repr)
def test_noise_gradient_matches_finite_differences(noise):
    rng = np.random.RandomState(1)
    Y = _targets(noise, rng)
    raw = rng.normal(size=(N_SAMPLES, noise.n_raw(N_TARGETS)))
    _, grad = noise.nll_and_grad(Y, raw)
    eps = 1e-6
    numeric = np.empty_like(raw)
    for idx in np.ndindex(raw.shape):
        up, down = raw.copy(), raw.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (noise.nll(Y, up).sum() - noise.nll(Y, down).sum()) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
