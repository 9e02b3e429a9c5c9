"""Finite-difference checks of the whole objective: every activation x noise model.

The noise models come from tests/_registry.py; the gradient of each noise model alone
is checked by the contract checks (test_noise_contract.py).
"""

import numpy as np
import pytest
from _gradcheck import assert_gradient_matches
from _registry import N_TARGETS, NOISE_MODELS, noise_id

from skae._activations import ACTIVATIONS
from skae._network import Network
from skae._objective import Objective
from skae._training import Data
from skae.noise import Bernoulli, Categorical, Gaussian, Poisson

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
    assert_gradient_matches(Objective(net, noise, alpha=0.3), Data(X, Y, weights))


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
    assert_gradient_matches(Objective(net, Gaussian(), alpha=0.3), Data(X, y, None))


@pytest.mark.parametrize("noise", [Gaussian(), Gaussian(scale="learned"), Bernoulli(),
                                   Categorical(), Poisson()], ids=repr)
def test_masked_objective_gradient_matches_finite_differences(noise):
    # missing targets (NaN where masked) drop out of the loss and of its gradient
    rng = np.random.RandomState(2)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = _targets(noise, rng)
    mask = rng.uniform(size=Y.shape) > 0.3
    Y[~mask] = np.nan
    net = Network([N_FEATURES, 5, noise.n_raw(N_TARGETS)], ["tanh"], np.float64)
    net.initialize(rng)
    weights = rng.uniform(0.5, 2.0, N_SAMPLES)
    assert_gradient_matches(Objective(net, noise, alpha=0.1), Data(X, Y, weights, mask))


def _numeric_gradient(f, x, eps=1e-6):
    numeric = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        up = f()
        x[idx] = saved - eps
        down = f()
        x[idx] = saved
        numeric[idx] = (up - down) / (2 * eps)
    return numeric


@pytest.mark.parametrize("activation", ["tanh", "relu", "softplus"])
def test_input_gradient_and_inner_gradients(activation):
    # loss = sum(C * out) + sum(D * a_2): a gradient C enters at the outputs and D at
    # the second hidden layer's output; backward must return dloss/dX as well
    rng = np.random.RandomState(3)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    net = Network([N_FEATURES, 5, 4, 2], [activation] * 2, np.float64)
    net.initialize(rng)
    net.theta += rng.normal(scale=0.1, size=net.theta.size)
    C = rng.normal(size=(N_SAMPLES, 2))
    D = rng.normal(size=(N_SAMPLES, 4))

    def loss():
        activations = net.forward(X)
        return np.sum(C * activations[-1]) + np.sum(D * activations[2])

    activations = net.forward(X)
    input_grad = net.backward(activations, C.copy(), inner_gradients={2: D},
                              input_gradient=True)
    np.testing.assert_allclose(net.grad, _numeric_gradient(loss, net.theta),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(input_grad, _numeric_gradient(loss, X), rtol=1e-5, atol=1e-7)


def test_networks_sharing_one_vector_chain_their_gradients():
    # an encoder and a decoder as two networks over one flat vector: the decoder's input
    # gradient, fed back into the encoder, gives the gradient of the whole chain
    rng = np.random.RandomState(4)
    sizes_enc, sizes_dec = [N_FEATURES, 5, 2], [2, 5, N_FEATURES]
    n_enc = Network.count_params(sizes_enc)
    theta = np.zeros(n_enc + Network.count_params(sizes_dec))
    grad = np.zeros_like(theta)
    encoder = Network(sizes_enc, ["tanh"], np.float64, theta, grad)
    decoder = Network(sizes_dec, ["tanh"], np.float64, theta, grad, offset=n_enc)
    encoder.initialize(rng)
    decoder.initialize(rng)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    noise = Gaussian()

    def loss():
        return noise.nll(X, decoder.forward(encoder.forward(X)[-1])[-1]).sum()

    enc_acts = encoder.forward(X)
    dec_acts = decoder.forward(enc_acts[-1])
    _, delta = noise.nll_and_grad(X, dec_acts[-1])
    code_grad = decoder.backward(dec_acts, delta, input_gradient=True)
    encoder.backward(enc_acts, code_grad)
    np.testing.assert_allclose(grad, _numeric_gradient(loss, theta), rtol=1e-5, atol=1e-7)
    # the views really are views: both networks write into the one vector
    assert np.shares_memory(encoder.theta, theta) and np.shares_memory(decoder.theta, theta)


def test_shared_vector_survives_pickling():
    import pickle

    theta, grad = np.zeros(40), np.zeros(40)
    first = Network([2, 3], [], np.float64, theta, grad)
    second = Network([3, 2, 1], ["relu"], np.float64, theta, grad, offset=9)
    loaded_first, loaded_second = pickle.loads(pickle.dumps((first, second)))
    loaded_first.theta[:] = 1.0
    loaded_second.theta[:] = 2.0
    assert np.shares_memory(loaded_first._shared_theta, loaded_second._shared_theta)
    np.testing.assert_array_equal(loaded_second._shared_theta[:9], 1.0)
    np.testing.assert_array_equal(loaded_second._shared_theta[9:20], 2.0)
