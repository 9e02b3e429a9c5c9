"""MLPLikelihoodRegressor: gradients, calibrated intervals, ML scales, shapes and errors."""

import pickle

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance, r2_score
from sklearn.model_selection import GridSearchCV

from skae import MLPLikelihoodRegressor, log_likelihood_scorer
from skae.noise import (Bernoulli, ContinuousBernoulli, Gaussian, Laplace, LogNormal, Poisson,
                        StudentT)

# Short fits stop at max_iter by design; the warning says nothing about the behaviour tested.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_SMALL = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)


def _heteroscedastic(n_samples, seed):
    """y = sin(x) + noise whose std, 0.1 + 0.5 |x|, grows with |x|; x ~ U(-3, 3)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n_samples, 1))
    std = 0.1 + 0.5 * np.abs(X[:, 0])
    return X, np.sin(X[:, 0]) + std * rng.normal(size=n_samples), std


def _counts(n_samples, seed):
    """Poisson counts with the nonlinear log-rate sin(2 x_1) + x_2^2 / 2 - 1/2."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n_samples, 2))
    rate = np.exp(np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 - 0.5)
    return X, rng.poisson(rate).astype(float), rate


def _targets(noise, rng, shape):
    """Targets in the support of ``noise``."""
    name = noise if isinstance(noise, str) else type(noise).__name__.lower()
    if name == "poisson":
        return rng.poisson(3.0, shape).astype(float)
    if name == "bernoulli":
        return (rng.uniform(size=shape) < 0.4).astype(float)
    if name == "lognormal":
        return rng.lognormal(size=shape)
    if name == "continuousbernoulli":
        return rng.uniform(size=shape)
    return rng.normal(size=shape)


@pytest.fixture(scope="module")
def heteroscedastic_fits():
    """Learned- and fixed-scale Gaussian regressors on 2000 points, with 4000 held out."""
    X, y, _ = _heteroscedastic(2000, seed=0)
    X_test, y_test, std_test = _heteroscedastic(4000, seed=1)
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.003, max_iter=300,
                  random_state=0)
    learned = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), **params).fit(X, y)
    fixed = MLPLikelihoodRegressor(noise="gaussian", **params).fit(X, y)
    return learned, fixed, X_test, y_test, std_test


# --------------------------------------------------------------------- gradients
GRADIENT_NOISE = [
    Gaussian(scale="learned"),
    Laplace(scale="learned"),
    StudentT(),
    StudentT(df=2.5, scale=0.7),
    StudentT(df="learned"),
    StudentT(df="learned", scale=0.7),
    LogNormal(),
    LogNormal(scale=0.3),
    LogNormal(scale="learned"),
]


def _central_differences(noise, y, raw, eps=1e-6):
    """Numeric gradient, and a bound on its floating-point error, entry by entry.

    A raw output only affects its own sample's NLL, so each difference is taken on that
    sample alone; the bound is the rounding error of the difference quotient,
    ``u |nll_i| / eps`` (u = 2^-52), times a safety factor of 50.
    """
    numeric, rounding = np.empty_like(raw), np.empty_like(raw)
    for i, j in np.ndindex(raw.shape):
        up, down = raw[i : i + 1].copy(), raw[i : i + 1].copy()
        up[0, j] += eps
        down[0, j] -= eps
        f_up, f_down = noise.nll(y[i : i + 1], up)[0], noise.nll(y[i : i + 1], down)[0]
        numeric[i, j] = (f_up - f_down) / (2 * eps)
        rounding[i, j] = 50 * np.finfo(float).eps * max(abs(f_up), abs(f_down)) / eps
    return numeric, rounding


@pytest.mark.parametrize("noise", GRADIENT_NOISE, ids=repr)
@pytest.mark.parametrize("raw_spread", [0.5, 2.5], ids=["moderate", "wide"])
def test_nll_gradient_matches_central_differences(noise, raw_spread):
    # "wide" raw outputs reach scales near softplus(-7) ~ 1e-3 and df near 1, where
    # the targets lie hundreds of scales away: the tails, not only the bulk.
    rng = np.random.RandomState(0)
    n_samples, n_targets = 5, 3
    y = _targets(noise, rng, (n_samples, n_targets))
    raw = rng.normal(scale=raw_spread, size=(n_samples, noise.n_raw(n_targets)))
    nll, grad = noise.nll_and_grad(y, raw)
    assert nll.shape == (n_samples,)
    assert grad.shape == raw.shape
    numeric, rounding = _central_differences(noise, y, raw)
    assert np.all(np.abs(grad - numeric) <= 1e-6 * np.abs(numeric) + 1e-7 + rounding)


# ------------------------------------------------- heteroscedastic regression
def test_learned_scale_intervals_cover_nominal_rate(heteroscedastic_fits):
    learned, fixed, X_test, y_test, _ = heteroscedastic_fits
    # 4000 held-out points: the standard error of a 90% coverage is 0.005, well inside 0.03
    abs_x = np.abs(X_test[:, 0])
    regions = {"all": np.ones_like(abs_x, bool), "inner": abs_x < 1, "outer": abs_x > 2}

    def coverage(model):
        lower, upper = model.predict_interval(X_test, coverage=0.9)
        inside = (lower <= y_test) & (y_test <= upper)
        return {name: inside[rows].mean() for name, rows in regions.items()}

    learned_coverage, fixed_coverage = coverage(learned), coverage(fixed)
    assert abs(learned_coverage["all"] - 0.9) < 0.03, learned_coverage
    # ... and conditionally: where the noise is small and where it is large
    assert abs(learned_coverage["inner"] - 0.9) < 0.05, learned_coverage
    assert abs(learned_coverage["outer"] - 0.9) < 0.05, learned_coverage
    # One fixed scale covers 90% on average only: too wide inside, too narrow outside.
    assert fixed_coverage["inner"] > 0.95 and fixed_coverage["outer"] < 0.85, fixed_coverage


def test_learned_scale_beats_fixed_on_held_out_log_likelihood(heteroscedastic_fits):
    learned, fixed, X_test, y_test, std_test = heteroscedastic_fits
    learned_ll = learned.log_likelihood(X_test, y_test).mean()
    fixed_ll = fixed.log_likelihood(X_test, y_test).mean()
    oracle_ll = stats.norm(np.sin(X_test[:, 0]), std_test).logpdf(y_test).mean()
    assert learned_ll > fixed_ll + 0.1
    assert learned_ll > oracle_ll - 0.06
    # the learned scale follows the true one
    scale = learned.predict_params(X_test)["scale"]
    assert np.corrcoef(scale, std_test)[0, 1] > 0.95
    # score stays R^2 of the predictive mean, whatever the noise model
    assert learned.score(X_test, y_test) == pytest.approx(
        r2_score(y_test, learned.predict(X_test)))


def test_log_likelihood_scorer_selects_learned_scale_in_grid_search():
    X, y, _ = _heteroscedastic(600, seed=2)
    search = GridSearchCV(
        MLPLikelihoodRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                               max_iter=200, random_state=0),
        {"noise": [Gaussian(), Gaussian(scale="learned")]},
        scoring=log_likelihood_scorer, cv=3,
    ).fit(X, y)
    assert search.best_params_["noise"].scale == "learned"
    fixed_score, learned_score = search.cv_results_["mean_test_score"]
    assert learned_score > fixed_score + 0.1
    best = search.best_estimator_
    assert log_likelihood_scorer(best, X, y) == pytest.approx(best.log_likelihood(X, y).mean())


# ------------------------------------------------- distributions and sampling
DIST_NOISE = ["gaussian", Gaussian(scale="learned"), "laplace", Laplace(scale="learned"),
              StudentT(), StudentT(df="learned"), "lognormal", LogNormal(scale="learned"),
              Poisson(), "bernoulli", ContinuousBernoulli()]


@pytest.mark.parametrize("noise", DIST_NOISE, ids=repr)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_predict_dist_log_density_equals_log_likelihood(noise, n_outputs):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    shape = (40,) if n_outputs == 1 else (40, n_outputs)
    y = _targets(noise, rng, shape)
    reg = MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, y)
    X_new, y_new = rng.normal(size=(30, 2)), _targets(noise, rng, (30,) + shape[1:])
    dist = reg.predict_dist(X_new)
    log_density = dist.logpmf(y_new) if hasattr(dist, "logpmf") else dist.logpdf(y_new)
    if n_outputs > 1:
        log_density = log_density.sum(axis=1)
    np.testing.assert_allclose(reg.log_likelihood(X_new, y_new), log_density, rtol=1e-10)


def test_predict_interval_is_central_quantile_interval():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 2))
    Y = np.c_[X[:, 0] + 0.1 * rng.normal(size=50), rng.normal(size=50)]
    reg = MLPLikelihoodRegressor(**_SMALL).fit(X, Y)
    lower, upper = reg.predict_interval(X, coverage=0.8)
    half_width = stats.norm.ppf(0.9) * reg.noise_.scale  # one ML scale per output
    np.testing.assert_allclose(lower, reg.predict(X) - half_width)
    np.testing.assert_allclose(upper, reg.predict(X) + half_width)


def test_samples_have_predicted_mean_and_scale(heteroscedastic_fits):
    learned, _, X_test, _, _ = heteroscedastic_fits
    X = X_test[:4]
    n_draws = 20_000
    draws = learned.sample(X, n_samples=n_draws, random_state=0)
    assert draws.shape == (4, n_draws)
    params = learned.predict_params(X)
    loc, scale = params["loc"], params["scale"]
    # standard errors of the sample mean and of the sample std of a Gaussian
    assert np.all(np.abs(draws.mean(axis=1) - loc) < 5 * scale / np.sqrt(n_draws))
    assert np.all(np.abs(draws.std(axis=1) - scale) < 5 * scale / np.sqrt(2 * n_draws))
    np.testing.assert_array_equal(draws, learned.sample(X, n_draws, random_state=0))
    assert not np.array_equal(draws, learned.sample(X, n_draws, random_state=1))


def test_poisson_samples_have_predicted_rate():
    X, y, _ = _counts(300, seed=0)
    reg = MLPLikelihoodRegressor(noise="poisson", hidden_layer_sizes=(16,), max_iter=50,
                                 learning_rate_init=0.01, random_state=0).fit(X, y)
    n_draws = 20_000
    draws = reg.sample(X[:5], n_samples=n_draws, random_state=0)
    rate = reg.predict(X[:5])
    assert np.all(np.abs(draws.mean(axis=1) - rate) < 5 * np.sqrt(rate / n_draws))
    assert np.all(np.abs(draws.var(axis=1) / rate - 1) < 5 * np.sqrt(2 / n_draws) + 0.02)


# ------------------------------------------------------------------- Poisson
def test_poisson_beats_linear_poisson_glm_on_nonlinear_log_rate():
    X, y, _ = _counts(2000, seed=0)
    X_test, y_test, rate_test = _counts(4000, seed=1)
    reg = MLPLikelihoodRegressor(noise="poisson", hidden_layer_sizes=(32,), max_iter=300,
                                 learning_rate_init=0.01, random_state=0).fit(X, y)
    ours = mean_poisson_deviance(y_test, reg.predict(X_test))
    glm = mean_poisson_deviance(y_test, PoissonRegressor().fit(X, y).predict(X_test))
    oracle = mean_poisson_deviance(y_test, rate_test)
    assert ours <= glm
    # and most of the way from the GLM to the true rate (measured: ~2% of the gap left)
    assert ours - oracle < 0.1 * (glm - oracle), (ours, glm, oracle)


# ------------------------------------------------------------- ML fixed scale
def test_mle_scale_is_rms_training_residual_per_output():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    Y = np.c_[X[:, 0] + 0.1 * rng.normal(size=300), X[:, 1] ** 2 + rng.normal(size=300)]
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(16,), max_iter=200,
                                 learning_rate_init=0.01, random_state=0).fit(X, Y)
    residuals = Y - reg.predict(X)
    scale = np.sqrt(np.mean(residuals**2, axis=0))
    np.testing.assert_allclose(reg.noise_.scale, scale, rtol=1e-10)
    assert scale[0] < 0.3 < 0.7 < scale[1]
    # with the ML scale, the mean training log-likelihood has its closed form
    expected = -np.sum(0.5 * np.log(2 * np.pi * scale**2) + 0.5)
    assert reg.log_likelihood(X, Y).mean() == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(reg.predict_params(X)["scale"], np.broadcast_to(scale, Y.shape))


def test_mle_scale_with_sample_weight_is_weighted_rms():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 1))
    y = X[:, 0] + rng.normal(scale=np.where(X[:, 0] > 0, 2.0, 0.2))
    weight = np.where(X[:, 0] > 0, 5.0, 1.0)
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    weighted = reg.fit(X, y, sample_weight=weight).noise_.scale
    residuals = y - reg.predict(X)
    expected = np.sqrt(np.average(residuals**2, weights=weight))
    np.testing.assert_allclose(weighted, [expected], rtol=1e-10)
    unweighted = np.sqrt(np.mean(residuals**2))
    assert abs(expected - unweighted) > 0.1  # the weights matter here


@pytest.mark.parametrize("noise, statistic", [
    ("laplace", lambda y, p: np.mean(np.abs(y - p["loc"]), axis=0)),
    ("lognormal", lambda y, p: np.sqrt(np.mean((np.log(y) - p["loc"]) ** 2, axis=0))),
])
def test_mle_scale_of_laplace_and_lognormal(noise, statistic):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    Y = np.exp(X @ [[0.5, -0.3], [0.2, 0.4]] + 0.3 * rng.normal(size=(100, 2)))
    reg = MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, Y)
    np.testing.assert_allclose(reg.noise_.scale, statistic(Y, reg.predict_params(X)),
                               rtol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_mle_gaussian_trains_exactly_as_unit_scale(solver):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = np.sin(X[:, 0]) + 0.3 * rng.normal(size=80)
    # in the targets' own units: a known scale of 1 is the training scale of "mle"
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0,
                  target_scaling=False)
    mle = MLPLikelihoodRegressor(noise="gaussian", **params).fit(X, y)
    unit = MLPLikelihoodRegressor(noise=Gaussian(scale=1.0), **params).fit(X, y)
    np.testing.assert_array_equal(mle.predict(X), unit.predict(X))
    assert mle.loss_curve_ == unit.loss_curve_
    assert unit.noise_.scale == 1.0  # a known scale stays as given
    assert mle.noise_.scale[0] < 0.9  # the ML scale replaces the training one


# -------------------------------------------------------- numerical safety
@pytest.mark.parametrize("noise", [Gaussian(scale="learned"), Laplace(scale="learned"),
                                   StudentT(df="learned")], ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_learned_scale_survives_gross_outliers(noise, dtype):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2)).astype(dtype)
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    y[:3] = [1e8, -1e6, 3e5]
    reg = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(8,), max_iter=20,
                                 random_state=0).fit(X, y)
    assert np.all(np.isfinite(reg.loss_curve_))
    for value in reg.predict_params(X).values():
        assert np.all(np.isfinite(value))
    assert np.all(reg.predict_params(X)["scale"] > 0)
    assert np.all(np.isfinite(reg.log_likelihood(X, y)))


@pytest.mark.parametrize("noise", [Laplace(scale="learned"), StudentT()], ids=repr)
def test_robust_noise_fits_the_bulk_despite_gross_outliers(noise):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=500)
    y[:2] = [1e8, -1e6]
    reg = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(16,), max_iter=200,
                                 random_state=0).fit(X, y)
    assert reg.score(X[2:], y[2:]) > 0.9


@pytest.mark.parametrize("target_scale", [1.0, 1000.0])
def test_learned_scale_starts_at_marginal_spread(target_scale):
    # a learning rate of 1e-12 leaves the initial network in place
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 2))
    y = target_scale * (2 + rng.normal(size=500))
    reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), hidden_layer_sizes=(16,),
                                 max_iter=1, learning_rate_init=1e-12, random_state=0)
    scale = reg.fit(X, y).predict_params(X)["scale"]
    assert 0.5 < np.median(scale) / y.std() < 2


# --------------------------------------------------------------------- shapes
SHAPE_NOISE = ["gaussian", Gaussian(scale="learned"), Laplace(scale="learned"),
               StudentT(df="learned"), "lognormal", "poisson", Bernoulli()]


@pytest.mark.parametrize("noise", SHAPE_NOISE, ids=repr)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_output_shapes(noise, n_outputs):
    rng = np.random.RandomState(0)
    n = 30
    X = rng.normal(size=(n, 3))
    shape = (n,) if n_outputs == 1 else (n, n_outputs)
    y = _targets(noise, rng, shape)
    reg = MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, y)
    assert reg.n_outputs_ == n_outputs
    mean = reg.predict(X)
    assert mean.shape == shape
    for name, value in reg.predict_params(X).items():
        assert value.shape == shape, name
    lower, upper = reg.predict_interval(X)
    assert lower.shape == upper.shape == shape
    assert reg.log_likelihood(X, y).shape == (n,)
    assert reg.sample(X, random_state=0).shape == shape + (1,)
    assert reg.sample(X, n_samples=4, random_state=0).shape == shape + (4,)
    assert reg.predict_dist(X).mean().shape == shape
    dist = reg.predict_dist(X)
    np.testing.assert_allclose(lower, dist.ppf(0.05), rtol=1e-12)
    np.testing.assert_allclose(upper, dist.ppf(0.95), rtol=1e-12)
    # a discrete interval may exclude the mean (Bernoulli with p < 0.05 gives [0, 0])
    if not hasattr(dist, "pmf"):
        assert np.all((lower < mean) & (mean < upper))


def test_partial_fit_runs_one_epoch_per_call():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    Y = np.c_[X[:, 0], X[:, 1]] + 0.1 * rng.normal(size=(100, 2))
    reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), hidden_layer_sizes=(8,),
                                 learning_rate_init=0.01, random_state=0)
    for _ in range(20):
        reg.partial_fit(X, Y)
    # n_iter_ counts the epochs of the last call, as scikit-learn's MLP
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 20 and reg.t_ == 20 * 100
    assert reg.loss_curve_[-1] < reg.loss_curve_[0] - 0.5
    assert reg.predict(X).shape == (100, 2)
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, Y[:, 0])


# --------------------------------------------------------------------- errors
BAD_TARGETS = [
    ("poisson", [-3.0, -1.0], r"Poisson.*non-negative.*-3.0, -1.0"),
    ("bernoulli", [-0.2, 1.5], r"Bernoulli.*\[0, 1\].*-0\.2, 1\.5"),
    ("lognormal", [-1.0, 0.0], r"LogNormal.*positive.*-1.0, 0.0"),
    (StudentT(), [np.inf, 0.0], r"StudentT.*infinity"),
]


@pytest.mark.parametrize("noise, bad, match", BAD_TARGETS)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_bad_targets_raise_naming_noise_and_values(noise, bad, match, n_outputs):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    shape = (20,) if n_outputs == 1 else (20, n_outputs)
    y = _targets(noise, rng, shape)
    y_bad = y.copy()
    y_bad.reshape(20, -1)[[3, 7], -1] = bad
    with pytest.raises(ValueError, match=match):
        MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, y_bad)
    reg = MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, y)
    if not np.isfinite(bad).all():
        with pytest.raises(ValueError, match="y contains infinity"):
            reg.log_likelihood(X, y_bad)
        return
    # an observation outside the support has likelihood zero: -inf, not an error or NaN
    log_likelihood = reg.log_likelihood(X, y_bad)
    assert np.all(log_likelihood[[3, 7]] == -np.inf)
    assert np.isfinite(np.delete(log_likelihood, [3, 7])).all()


@pytest.mark.parametrize("coverage", [0, 1, -0.1, 1.5, np.nan])
def test_predict_interval_rejects_coverage_outside_unit_interval(coverage):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    reg = MLPLikelihoodRegressor(**_SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"coverage must be in \(0, 1\)"):
        reg.predict_interval(X, coverage=coverage)


def test_log_likelihood_rejects_targets_of_wrong_shape():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    two = MLPLikelihoodRegressor(**_SMALL).fit(X, rng.normal(size=(20, 2)))
    with pytest.raises(ValueError, match="2 output"):
        two.log_likelihood(X, rng.normal(size=20))
    one = MLPLikelihoodRegressor(**_SMALL).fit(X, rng.normal(size=20))
    with pytest.raises(ValueError, match="1 output"):
        one.log_likelihood(X, rng.normal(size=(20, 3)))
    with pytest.raises(ValueError, match="20 rows"):
        one.log_likelihood(X, rng.normal(size=19))


def test_partial_fit_unavailable_with_lbfgs():
    reg = MLPLikelihoodRegressor(solver="lbfgs")
    assert not hasattr(reg, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as raised:
        reg.partial_fit(np.zeros((3, 1)), np.zeros(3))
    assert "lbfgs is not stochastic" in str(raised.value.__cause__)


# ---------------------------------------------------- dtype, determinism, pickle
@pytest.mark.parametrize("noise", ["gaussian", StudentT(df="learned"), "poisson"], ids=repr)
def test_float32_in_float32_out(noise):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = _targets(noise, rng, (40,))
    reg = MLPLikelihoodRegressor(noise=noise, **_SMALL).fit(X, y)
    assert reg.predict(X).dtype == np.float32
    assert all(v.dtype == np.float32 for v in reg.predict_params(X).values())
    assert all(bound.dtype == np.float32 for bound in reg.predict_interval(X))
    assert reg.log_likelihood(X, y).dtype == np.float32
    assert all(coef.dtype == np.float32 for coef in reg.coefs_)


@pytest.mark.parametrize("noise", [Gaussian(scale="learned"), "lognormal"], ids=repr)
def test_same_random_state_and_pickling_give_identical_predictions(noise):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    Y = _targets(noise, rng, (60, 2))
    reg = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(8,), max_iter=10,
                                 random_state=3).fit(X, Y)
    again = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(8,), max_iter=10,
                                   random_state=3).fit(X, Y)
    other = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(8,), max_iter=10,
                                   random_state=4).fit(X, Y)
    restored = pickle.loads(pickle.dumps(reg))
    for model in (again, restored):
        np.testing.assert_array_equal(model.predict(X), reg.predict(X))
        for name, value in model.predict_params(X).items():
            np.testing.assert_array_equal(value, reg.predict_params(X)[name])
        np.testing.assert_array_equal(model.log_likelihood(X, Y), reg.log_likelihood(X, Y))
    assert not np.array_equal(other.predict(X), reg.predict(X))
    # the restored model keeps training from where it was
    restored.partial_fit(X, Y)
    assert not np.array_equal(restored.predict(X), reg.predict(X))


@pytest.mark.parametrize("noise", [StudentT(), StudentT(df="learned"), Laplace(scale="learned"),
                                   Gaussian(scale="learned")], ids=repr)
def test_sample_weight_equals_repetition(noise):
    # integer weights act as repeated rows: initialisation (weighted medians included),
    # loss, penalty and ML scales; only summation order differs. Early stopping is off:
    # its validation split holds out rows, not weight.
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    weights = rng.randint(0, 5, size=15)
    params = dict(hidden_layer_sizes=(32,), max_iter=200, random_state=0,
                  early_stopping=False)
    weighted = MLPLikelihoodRegressor(noise=noise, **params).fit(X, y, sample_weight=weights)
    repeated = MLPLikelihoodRegressor(noise=noise, **params).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-5)


def test_a_target_column_never_observed_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    Y = np.column_stack([X[:, 0], np.full(50, np.nan), X[:, 1]])
    with pytest.warns(UserWarning, match=r"Target column\(s\) \[1\] have no observed entry"):
        MLPLikelihoodRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, Y)
