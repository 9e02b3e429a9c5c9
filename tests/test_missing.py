"""Missing values: NaN entries masked out of the likelihood in training, validation,
fitted scales and scores; inputs filled with indicators; missing regression targets."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae._missing import FillMissing
from skae.noise import Bernoulli, ColumnNoise, Gaussian

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _low_rank(rng, n=300, d=6):
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, d)) + 0.1 * rng.normal(size=(n, d))


def _with_holes(X, rng, rate=0.2):
    return np.where(rng.random(X.shape) < rate, np.nan, X)


def test_autoencoder_fits_transforms_and_scores_rows_with_nan():
    rng = np.random.default_rng(0)
    X = _with_holes(_low_rank(rng), rng)
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(16,), max_iter=60,
                     random_state=0).fit(X)
    assert ae.coefs_[0].shape[0] == 2 * X.shape[1]  # filled values and indicators
    codes = ae.transform(X)
    assert codes.shape == (300, 2) and np.isfinite(codes).all()
    # score = exact log-likelihood of the observed entries under the decoded Gaussian
    observed = ~np.isnan(X)
    inputs = np.hstack([np.where(observed, X, ae._input_fill.means), (~observed) * 1.0])
    # layers 12-16-2-16-6: relu, linear code, relu, identity output
    loc = inputs
    for W, b, relu in zip(ae.coefs_, ae.intercepts_, [True, False, True, False]):
        loc = loc @ W + b
        loc = np.maximum(loc, 0) if relu else loc
    scale = ae.noise_.scale
    expected = np.where(observed, stats.norm(loc, scale).logpdf(np.nan_to_num(X)), 0).sum(1)
    np.testing.assert_allclose(ae.score_samples(X), expected, rtol=1e-8)
    # the ML scale is fitted on the observed residuals only
    assert scale == pytest.approx(np.sqrt(np.mean((X - loc)[observed] ** 2)))


def test_missing_entries_contribute_nothing_whatever_fills_them():
    # Fitted on the same holes, the model cannot depend on what "was" in them: the
    # targets are masked and the inputs filled with the observed means.
    rng = np.random.default_rng(1)
    X = _low_rank(rng)
    holes = rng.random(X.shape) < 0.2
    fits = []
    for fill in (0.0, 1e3):
        X_nan = np.where(holes, np.nan, np.where(holes, fill, X))
        fits.append(AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=10,
                                random_state=0).fit(X_nan))
    np.testing.assert_array_equal(fits[0]._network.theta, fits[1]._network.theta)


def test_early_stopping_scores_are_finite_with_missing_entries():
    rng = np.random.default_rng(2)
    X = _with_holes(_low_rank(rng), rng, 0.3)
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=15,
                     early_stopping=True, random_state=0).fit(X)
    assert np.isfinite(ae.validation_scores_).all()


def test_rows_with_every_entry_missing():
    rng = np.random.default_rng(3)
    X = _with_holes(_low_rank(rng), rng)
    X[5] = np.nan
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=5,
                     random_state=0).fit(X)
    assert np.isfinite(ae.transform(X[5:6])).all()
    assert ae.score_samples(X[5:6])[0] == 0.0  # no observed entry, log 1


def test_model_fitted_without_nan_fills_nan_at_transform():
    rng = np.random.default_rng(4)
    X = _low_rank(rng)
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=5,
                     random_state=0).fit(X)
    X_nan = X[:3].copy()
    X_nan[0, 1] = np.nan
    filled = X[:3].copy()
    filled[0, 1] = ae._input_fill.means[1]
    # filled as if observed, which the encoder cannot tell: said, not silent
    with pytest.warns(UserWarning, match="no missingness indicators"):
        codes = ae.transform(X_nan)
    np.testing.assert_allclose(codes, ae.transform(filled))
    # a later partial_fit chunk with NaN meets the same encoder
    with pytest.warns(UserWarning, match="first fitted on data without any"):
        ae.partial_fit(X_nan)


def test_nan_in_sparse_input_is_rejected():
    X = sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="Sparse input contains NaN"):
        AutoEncoder(max_iter=2).fit(X)


def test_column_noise_with_missing_entries_masks_per_block():
    rng = np.random.default_rng(5)
    real = _low_rank(rng, 300, 3)
    flags = (real[:, :2] + 0.3 * rng.normal(size=(300, 2)) > 0).astype(float)
    X = _with_holes(np.hstack([real, flags]), rng)
    noise = ColumnNoise([("real", Gaussian(), [0, 1, 2]), ("flag", Bernoulli(), [3, 4])])
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(16,), noise=noise, max_iter=40,
                     random_state=0).fit(X)
    score = ae.score_samples(X)
    assert np.isfinite(score).all()
    raw = ae._forward(X)
    np.testing.assert_allclose(score, ae.noise_.log_likelihood(X, raw, ~np.isnan(X)),
                               rtol=1e-10)


def test_regressor_masks_missing_targets():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 2))
    Y = np.column_stack([X[:, 0] + 0.1 * rng.normal(size=200),
                         X[:, 1] + 0.5 * rng.normal(size=200)])
    Y_missing = Y.copy()
    Y_missing[:50, 1] = np.nan
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    reg.fit(X, Y_missing)
    mean = reg.predict(X)
    observed = ~np.isnan(Y_missing)
    scale = np.sqrt([np.mean((Y_missing - mean)[observed[:, j], j] ** 2) for j in (0, 1)])
    np.testing.assert_allclose(reg.noise_.scale, scale, rtol=1e-5)
    expected = np.where(observed, stats.norm(mean, scale).logpdf(np.nan_to_num(Y_missing)),
                        0).sum(axis=1)
    np.testing.assert_allclose(reg.log_likelihood(X, Y_missing), expected, rtol=1e-5)


def test_fill_missing():
    X = np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, np.nan]])
    fill = FillMissing.fit(X)
    np.testing.assert_array_equal(fill.means, [2.0, 4.0])
    np.testing.assert_array_equal(fill(X), [[1, 4, 0, 1], [3, 4, 0, 0], [2, 4, 1, 1]])
