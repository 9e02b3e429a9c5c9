"""Identities specific to each noise model, and the wording of target errors.

The identities are those of docs/theory.md, sections "The noise models and their negative
log-likelihoods", "Output links and the canonical-link gradient" and "Fixed scale,
estimated after training". What every noise model must honour (shapes, gradients,
scipy.stats equivalence, masks, float32, ...) is checked on all of them by
test_noise_contract.py.
"""

import numpy as np
import pytest
from scipy import special

from skae.noise import (Bernoulli, Categorical, Gaussian, Laplace, LogNormal, Poisson,
                        StudentT, resolve_noise)

rng = np.random.RandomState(0)
RAW = rng.normal(size=(50, 3))
Y_REAL = rng.normal(size=(50, 3))


def test_gaussian_unit_scale_is_half_squared_error_plus_constant():
    nll = Gaussian().nll(Y_REAL, RAW)
    half_sse = 0.5 * ((Y_REAL - RAW) ** 2).sum(axis=1)
    np.testing.assert_allclose(nll, half_sse + 3 * 0.5 * np.log(2 * np.pi))


def test_laplace_unit_scale_is_absolute_error_plus_constant():
    nll = Laplace().nll(Y_REAL, RAW)
    np.testing.assert_allclose(nll, np.abs(Y_REAL - RAW).sum(axis=1) + 3 * np.log(2))


def test_bernoulli_is_binary_cross_entropy():
    y = rng.uniform(size=RAW.shape)
    p = special.expit(RAW)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(Bernoulli().nll(y, RAW), bce)


def test_categorical_is_softmax_cross_entropy():
    y = np.eye(3)[rng.randint(3, size=50)]
    log_softmax = RAW - special.logsumexp(RAW, axis=1, keepdims=True)
    np.testing.assert_allclose(Categorical().nll(y, RAW), -(y * log_softmax).sum(axis=1))


def test_fused_gradients_have_no_link_derivative():
    # p - y for the canonical links: no sigma'(z) factor (docs/theory.md, "Output links
    # and the canonical-link gradient")
    y = rng.uniform(size=RAW.shape)
    np.testing.assert_allclose(Bernoulli().grad(y, RAW), special.expit(RAW) - y)
    onehot = np.eye(3)[rng.randint(3, size=50)]
    np.testing.assert_allclose(Categorical().grad(onehot, RAW),
                               special.softmax(RAW, axis=1) - onehot)
    counts = rng.poisson(2, RAW.shape).astype(float)
    np.testing.assert_allclose(Poisson().grad(counts, RAW), np.exp(RAW) - counts)
    np.testing.assert_allclose(Gaussian().grad(Y_REAL, RAW), RAW - Y_REAL)


def test_student_t_learned_df_keeps_the_mean():
    # df = 1 + softplus(raw) > 1, so that the mean exists
    df = StudentT(df="learned").params(rng.normal(size=(30, 3)))["df"]
    assert np.all(df > 1)


def test_stable_at_extreme_logits():
    raw = np.array([[-1000.0, 1000.0, 0.0]])
    y = np.array([[1.0, 0.0, 0.5]])
    nll, grad = Bernoulli().nll_and_grad(y, raw)
    assert np.isfinite(nll).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(nll, [1000 + 1000 + np.log(2)])
    nll, grad = Categorical().nll_and_grad(np.array([[0.0, 1.0, 0.0]]), raw)
    np.testing.assert_allclose(nll, [0.0], atol=1e-12)
    assert np.isfinite(Poisson().nll_and_grad(np.array([[3.0]]), np.array([[500.0]]))[0]).all()


def test_learned_scale_safe_on_outliers():
    raw = np.array([[0.0, -50.0]])  # scale at its floor
    nll, grad = Gaussian(scale="learned").nll_and_grad(np.array([[1e6]]), raw)
    assert np.isfinite(nll).all() and np.isfinite(grad).all()


def test_fit_fixed_gives_ml_scale():
    y = rng.normal(size=(200, 3))
    raw = rng.normal(size=(200, 3))
    w = rng.uniform(0.5, 2, 200)
    stats_ = Gaussian().fixed_statistics(y, raw, w)
    per_column = Gaussian().fit_fixed(stats_).scale
    expected = np.sqrt(np.average((y - raw) ** 2, axis=0, weights=w))
    np.testing.assert_allclose(per_column, expected)
    pooled = Gaussian().fit_fixed(stats_, pooled=True).scale
    np.testing.assert_allclose(pooled, np.sqrt(np.average((y - raw) ** 2, axis=0,
                                                          weights=w).mean()))
    laplace = Laplace().fit_fixed(Laplace().fixed_statistics(y, raw, w)).scale
    np.testing.assert_allclose(laplace, np.average(np.abs(y - raw), axis=0, weights=w))


@pytest.mark.parametrize("noise, y, match", [
    (Bernoulli(), [[0.5, 1.5], [-0.2, 0.0]], r"Bernoulli.*\[0, 1\].*-0\.2, 1\.5"),
    (Poisson(), [[1.0, -3.0]], r"Negative values.*Poisson.*-3"),
    (LogNormal(), [[1.0, 0.0]], r"LogNormal.*positive.*0"),
    (Categorical(), [[0.5, 0.2]], r"Categorical.*sum to 1"),
    (Categorical(), [[1.0, -1.0]], r"Categorical.*non-negative"),
    (Gaussian(), [[np.nan, 1.0]], r"Gaussian.*NaN"),
])
def test_validate_target_names_the_problem(noise, y, match):
    with pytest.raises(ValueError, match=match):
        noise.validate_target(np.array(y))


def test_invalid_fixed_parameters_raise():
    with pytest.raises(ValueError, match="scale must be"):
        Gaussian(scale=-1.0).nll(Y_REAL, RAW)
    with pytest.raises(ValueError, match="scale must be"):
        Gaussian(scale="typo").nll(Y_REAL, RAW)
    with pytest.raises(ValueError, match="link must be"):
        Gaussian(link="tanh").nll(Y_REAL, RAW)
    with pytest.raises(ValueError, match="df must be"):
        StudentT(df=-2.0).nll(Y_REAL[:, :1], RAW[:, :2])


def test_resolve_noise_and_n_raw():
    g = Gaussian(scale="learned")
    assert resolve_noise(g) is not g
    assert resolve_noise(g).get_params() == {"scale": "learned", "link": "identity"}
    assert isinstance(resolve_noise("poisson"), Poisson)
    assert Gaussian(scale="learned").n_raw(5) == 10 and Categorical().n_raw(5) == 5


def test_sampling_matches_mean():
    raw = np.array([[0.3, -0.5]])
    draws = Gaussian(scale="learned").sample(raw, n_samples=20000, random_state=0)
    assert draws.shape == (20000, 1, 1)
    assert abs(draws.mean() - 0.3) < 4 * np.log1p(np.exp(-0.5)) / np.sqrt(20000)
    onehot = Categorical().sample(np.log([[0.2, 0.8]]), n_samples=20000, random_state=0)
    assert onehot.shape == (20000, 1, 2)
    assert abs(onehot[:, 0, 1].mean() - 0.8) < 0.02


def test_weighted_median_equals_median_of_repeated_rows():
    from skae.noise._stats import weighted_median as _weighted_median

    values = rng.normal(size=(15, 3))
    for seed in range(5):
        weights = np.random.RandomState(seed).randint(0, 4, size=15)
        np.testing.assert_allclose(_weighted_median(values, weights),
                                   np.median(np.repeat(values, weights, axis=0), axis=0))


@pytest.mark.parametrize("noise", [Laplace(scale="learned"), StudentT()], ids=repr)
def test_robust_models_start_at_median(noise):
    y = np.array([[0.0], [1.0], [2.0], [3.0], [1e8]])
    loc, raw_scale = noise.initial_raw(y)[:2]
    assert loc == 2.0
    assert np.log1p(np.exp(raw_scale)) < 10  # MAD-based, not inflated by the outlier
