"""partial_fit's fixed noise parameters: accumulated across calls, exact with fit_noise."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import AutoEncoder, MLPLikelihoodRegressor


def _drifting_chunks(seed, noise_levels, n_per_chunk=300):
    rng = np.random.RandomState(seed)
    chunks = []
    for level in noise_levels:
        X = rng.uniform(-1, 1, size=(n_per_chunk, 2))
        y = X[:, 0] - 0.5 * X[:, 1] + level * rng.normal(size=n_per_chunk)
        chunks.append((X, y))
    return chunks


def _rms_residual(reg, X, y):
    return float(np.sqrt(np.mean((y - reg.predict(X)) ** 2)))


def test_partial_fit_accumulates_the_scale_over_calls():
    (X1, y1), (X2, y2) = _drifting_chunks(0, [0.05, 0.4])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(), learning_rate_init=0.05, random_state=0)
    reg.partial_fit(X1, y1)
    after_first = _rms_residual(reg, X1, y1)
    assert float(reg.noise_.scale[0]) == pytest.approx(after_first, rel=1e-6)
    reg.partial_fit(X2, y2)
    # the second call's residuals are added to the first's, not put in their place
    expected = np.sqrt((after_first**2 * 300 + _rms_residual(reg, X2, y2) ** 2 * 300) / 600)
    assert float(reg.noise_.scale[0]) == pytest.approx(expected, rel=1e-6)


def test_fit_noise_is_the_exact_ml_scale_for_the_final_network():
    chunks = _drifting_chunks(1, [0.05, 0.1, 0.2, 0.3])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(8,), partial_fit_noise=False,
                                 random_state=0)
    for X, y in chunks:
        reg.partial_fit(X, y)
    assert reg.noise_.scale == "mle"  # untouched until fit_noise
    X_all = np.vstack([X for X, _ in chunks])
    y_all = np.concatenate([y for _, y in chunks])
    reg.fit_noise(X_all, y_all)
    assert float(reg.noise_.scale[0]) == pytest.approx(_rms_residual(reg, X_all, y_all),
                                                        rel=1e-6)


def test_autoencoder_fit_noise_pools_the_scale_over_features():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=3,
                         random_state=0).fit(X)
    ae.partial_fit(X[:50])
    ae.fit_noise(X)
    reconstruction = ae.inverse_transform(ae.transform(X))
    assert ae.noise_.scale == pytest.approx(np.sqrt(np.mean((X - reconstruction) ** 2)))


def test_fit_noise_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().fit_noise(np.ones((3, 2)))
