"""CRPS, the probability integral transform and predict_proba of the regressor."""

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import MLPLikelihoodRegressor, crps_scorer
from skae.noise import (Bernoulli, Categorical, Gaussian, Laplace, LogNormal, Poisson,
                        StudentT)

WITH_CRPS = [Gaussian(scale="learned"), Gaussian(scale=0.7), Laplace(scale="learned"),
             StudentT(), StudentT(df="learned"), LogNormal(scale="learned"), Poisson(),
             Bernoulli()]
DISCRETE = (Poisson, Bernoulli)


def _numeric_crps(dist, y, noise):
    """The integral of (F(t) - 1{t >= y})^2, by quadrature (continuous) or by a sum
    over the support until the remaining mass is below 1e-16 (discrete)."""
    if isinstance(noise, DISCRETE):
        k = np.arange(0, max(y, dist.ppf(1 - 1e-16)) + 20)
        return np.sum((dist.cdf(k) - (k >= y)) ** 2)
    if isinstance(noise, LogNormal):
        # over log t, where the heavy right tail is a light one: dt = e^s ds
        # (ends where what is left is below 1e-30 of the mass, as exp(s) overflows)
        low, high = np.log(dist.ppf(1e-30)), np.log(dist.isf(1e-30))
        below = integrate.quad(lambda s: float(dist.cdf(np.exp(s))) ** 2 * np.exp(s),
                               min(low, np.log(y)), np.log(y), limit=200)[0]
        above = integrate.quad(lambda s: float(dist.sf(np.exp(s))) ** 2 * np.exp(s),
                               np.log(y), max(high, np.log(y)), limit=200)[0]
        return below + above
    below = integrate.quad(lambda t: float(dist.cdf(t)) ** 2, -np.inf, y, limit=200)[0]
    above = integrate.quad(lambda t: float(dist.sf(t)) ** 2, y, np.inf, limit=200)[0]
    return below + above


def _raw_and_targets(noise, rng, n=5):
    raw = rng.normal(size=(n, noise.n_raw(1)))
    if isinstance(noise, Poisson):
        raw *= 2  # rates from 0.02 to 50
    y = noise.dist(raw).rvs(random_state=rng).astype(float)
    return raw, y.reshape(n, 1)


@pytest.mark.parametrize("rescale", [False, True])
@pytest.mark.parametrize("noise", WITH_CRPS, ids=repr)
def test_crps_closed_form_matches_numeric_integration(noise, rescale):
    rng = np.random.RandomState(0)
    if rescale and not getattr(noise, "can_rescale", False):
        pytest.skip("no affine family")
    model = noise.rescaled(np.array([2.0]), np.array([3.0])) if rescale else noise
    raw, y = _raw_and_targets(model, rng)
    closed = model.crps(y, raw)[:, 0]
    params = model.params(raw)
    for i in range(len(y)):
        dist = model._scipy({name: value[i, 0] for name, value in params.items()})
        assert closed[i] == pytest.approx(_numeric_crps(dist, y[i, 0], model), rel=1e-7)


def _monte_carlo_crps(draws, y):
    """E|Y - y| - E|Y - Y'| / 2 from draws: the second term over all pairs, from the
    sorted draws, for a small Monte Carlo error."""
    n = draws.shape[-1]
    ordered = np.sort(draws, axis=-1)
    weights = (2 * np.arange(1, n + 1) - n - 1) / (n * (n - 1))
    return np.abs(draws - y[:, None]).mean(axis=-1) - ordered @ weights


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("noise", WITH_CRPS, ids=repr)
def test_crps_matches_monte_carlo_from_sample(noise):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    latent = X[:, 0] + 0.5 * rng.normal(size=200)
    if isinstance(noise, Poisson):
        y = rng.poisson(np.exp(latent)).astype(float)
    elif isinstance(noise, Bernoulli):
        y = (latent > 0).astype(float)
    elif isinstance(noise, LogNormal):
        y = np.exp(latent)
    else:
        y = 10 + 5 * latent
    # trained enough that no predicted log-normal is so skewed that Monte Carlo fails
    reg = MLPLikelihoodRegressor(noise=noise, hidden_layer_sizes=(8,), max_iter=60,
                                 random_state=0).fit(X, y)
    draws = reg.sample(X[:4], n_samples=400_000, random_state=1)
    np.testing.assert_allclose(reg.crps(X[:4], y[:4]), _monte_carlo_crps(draws, y[:4]),
                               rtol=0.01)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_crps_scorer_in_grid_search_and_pipelines():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = 50 + 10 * X[:, 0] + rng.normal(size=120)
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    for estimator, grid in [(reg, {"alpha": [1e-4, 1.0]}),
                            (make_pipeline(StandardScaler(), reg),
                             {"mlplikelihoodregressor__alpha": [1e-4, 1.0]})]:
        search = GridSearchCV(estimator, grid, scoring=crps_scorer, cv=2).fit(X, y)
        scores = search.cv_results_["mean_test_score"]
        assert np.all(np.isfinite(scores)) and np.all(scores < 0)  # higher is better
        # the pipeline's score is its regressor's on the scaled inputs
    pipeline = make_pipeline(StandardScaler(), reg).fit(X, y)
    assert crps_scorer(pipeline, X, y) == pytest.approx(
        -np.mean(pipeline[-1].crps(pipeline[0].transform(X), y)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_crps_of_missing_entries_is_zero_and_no_closed_form_is_an_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    Y = np.column_stack([X[:, 0], X[:, 1]]) + 0.1 * rng.normal(size=(60, 2))
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    reg.fit(X, Y)
    partly = Y.copy()
    partly[0, 1] = np.nan
    full = reg.noise_.crps(Y, reg._raw(X))
    assert reg.crps(X, partly)[0] == pytest.approx(full[0, 0])
    one_hot = np.eye(3)[rng.randint(0, 3, size=60)]
    categorical = MLPLikelihoodRegressor(noise=Categorical(), hidden_layer_sizes=(4,),
                                         max_iter=5, random_state=0).fit(X, one_hot)
    with pytest.raises(ValueError, match="CRPS"):
        categorical.crps(X, one_hot)
    with pytest.raises(ValueError, match="ordered"):
        categorical.pit(X, one_hot)
    # finite for df > 1/2, but the closed form needs df > 1
    with pytest.raises(ValueError, match="no closed form for df <= 1"):
        StudentT(df=0.8, scale=1.0).crps(np.zeros((1, 1)), np.zeros((1, 1)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pit_is_uniform_for_a_calibrated_model():
    # targets drawn from the model's own predictive distributions: calibrated exactly
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 2))
    reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), hidden_layer_sizes=(4,),
                                 max_iter=3, random_state=0).fit(X, 3 + 2 * X[:, 0])
    y = reg.sample(X, random_state=1)[:, 0]
    pit = reg.pit(X, y)
    np.testing.assert_allclose(pit, reg.predict_dist(X).cdf(y), rtol=1e-12)
    assert stats.kstest(pit, "uniform").pvalue > 0.01
    # intervals too narrow: the values pile up near 0 and 1
    too_far = reg.predict(X) + 2 * (y - reg.predict(X))
    assert stats.kstest(reg.pit(X, too_far), "uniform").pvalue < 1e-6


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_randomised_pit_of_counts_is_uniform_and_seeded():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 2))
    reg = MLPLikelihoodRegressor(noise=Poisson(), hidden_layer_sizes=(4,), max_iter=3,
                                 random_state=0).fit(X, rng.poisson(3.0, size=3000))
    y = reg.sample(X, random_state=1)[:, 0]
    pit = reg.pit(X, y, random_state=0)
    np.testing.assert_array_equal(pit, reg.pit(X, y, random_state=0))
    dist = reg.predict_dist(X)
    assert np.all((dist.cdf(y - 1) <= pit) & (pit <= dist.cdf(y)))
    assert stats.kstest(pit, "uniform").pvalue > 0.01
    assert stats.kstest(dist.cdf(y), "uniform").pvalue < 1e-6  # not randomised: skewed


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_proba_of_a_categorical_regressor():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 2))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 0] > 1)
    one_hot = np.eye(3)[labels]
    reg = MLPLikelihoodRegressor(noise="categorical", hidden_layer_sizes=(8,),
                                 learning_rate_init=0.03, max_iter=100,
                                 random_state=0).fit(X, one_hot)
    proba = reg.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(proba, reg.predict(X))
    assert np.mean(proba.argmax(axis=1) == labels) > 0.8
    assert not hasattr(MLPLikelihoodRegressor(), "predict_proba")


@pytest.mark.parametrize("sigma", [8.0, 13.3])
def test_lognormal_crps_of_a_wide_distribution(sigma):
    # exp(mu + sigma^2 / 2) times a difference of two probabilities near 1/2 and 1
    # cancels; in log space it does not. Quadrature over u = log t, y = 1, mu = 0:
    # int_{u<0} Phi(u / sigma)^2 e^u du + int_{u>0} Phi(-u / sigma)^2 e^u du
    noise = LogNormal(scale="learned")
    raw = np.array([[0.0, np.log(np.expm1(sigma))]])
    scale = noise.params(raw)["scale"][0, 0]
    below = integrate.quad(lambda u: stats.norm.cdf(u / scale) ** 2 * np.exp(u),
                           -np.inf, 0, limit=500)[0]
    above = integrate.quad(lambda u: np.exp(2 * stats.norm.logcdf(-u / scale) + u),
                           0, 20 * scale**2, limit=2000, points=[scale**2 / 2])[0]
    for dtype, rtol in [(np.float64, 1e-7), (np.float32, 1e-4)]:
        crps = noise.crps(np.array([[1.0]], dtype), raw.astype(dtype))[0, 0]
        assert crps == pytest.approx(below + above, rel=rtol), dtype


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_outcomes_outside_the_support_are_named_by_crps_and_pit():
    with pytest.raises(ValueError, match="-1"):
        LogNormal().crps(np.array([[-1.0]]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="2.0"):
        Bernoulli().crps(np.array([[2.0]]), np.zeros((1, 1)))
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    reg = MLPLikelihoodRegressor(noise=LogNormal(), hidden_layer_sizes=(4,), max_iter=5,
                                 random_state=0).fit(X, np.exp(X[:, 0]))
    for score in (reg.crps, reg.pit):
        with pytest.raises(ValueError, match="-3"):
            score(X[:2], [1.0, -3.0])
    # a value a rounding error above 1 is scored as 1
    brier = MLPLikelihoodRegressor(noise=Bernoulli(), hidden_layer_sizes=(4,), max_iter=5,
                                   random_state=0).fit(X, X[:, 0] > 0)
    np.testing.assert_array_equal(brier.crps(X[:1], [np.nextafter(1.0, 2.0)]),
                                  brier.crps(X[:1], [1.0]))
