"""The shared training loop's helpers."""

import numpy as np
import pytest
import scipy.sparse as sp

from skae import _training
from skae._network import Network
from skae._training import mean_log_likelihood
from skae.noise import Bernoulli, Gaussian


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("autoencoder", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_validation_score_in_chunks_equals_whole(monkeypatch, weighted, autoencoder, sparse):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(53, 6))
    Y = X if autoencoder else rng.uniform(size=(53, 2))
    weights = rng.uniform(0.5, 2, size=53) if weighted else None
    noise = Bernoulli() if autoencoder else Gaussian(scale=0.5)
    net = Network([6, 7, Y.shape[1]], ["tanh"], np.float64)
    net.initialize(rng)
    expected = np.average(-noise.nll(Y, net.forward(X)[-1]), weights=weights)

    # chunks of 2 rows (7-unit layers): 27 chunks, the last one short
    monkeypatch.setattr(_training, "CHUNK_VALUES", 14)
    X_in = sp.csr_matrix(X) if sparse else X
    Y_in = X_in if autoencoder else Y
    assert mean_log_likelihood(net, noise, X_in, Y_in, weights) == pytest.approx(expected)


def test_validation_score_with_zero_weights_raises():
    net = Network([2, 1], [], np.float64)
    with pytest.raises(ValueError, match="sum to zero"):
        mean_log_likelihood(net, Gaussian(), np.ones((3, 2)), np.ones((3, 1)), np.zeros(3))
