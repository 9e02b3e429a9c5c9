"""Ordinal and ContinuousBernoulli: their own identities. The generic contract
(gradients, scipy, float32, masks, supports) runs on them from tests/_registry.py."""

import numpy as np
import pytest
from scipy import integrate, special

from skae import AutoEncoder
from skae.noise import Bernoulli, ContinuousBernoulli, Ordinal
from skae.noise import _unit_interval
from skae.noise._unit_interval import continuous_bernoulli


def test_ordinal_probabilities_are_differences_of_cumulative_logits():
    rng = np.random.default_rng(0)
    noise = Ordinal(n_levels=4)
    raw = rng.normal(size=(6, 3 * 2))  # 2 columns, 3 cutpoints each
    probabilities = noise.level_probabilities(raw)
    np.testing.assert_allclose(probabilities.sum(axis=2), 1)
    assert np.all(probabilities > 0)
    # cutpoints by hand for column 1: raw columns 1, 3, 5
    r = raw[:, [1, 3, 5]]
    cuts = np.cumsum(np.column_stack([r[:, 0], np.log1p(np.exp(r[:, 1:])) + 1e-6]), axis=1)
    cumulative = np.column_stack([np.zeros(6), special.expit(cuts), np.ones(6)])
    np.testing.assert_allclose(probabilities[:, 1], np.diff(cumulative, axis=1), rtol=1e-12)
    y = np.column_stack([rng.integers(0, 4, 6), rng.integers(0, 4, 6)]).astype(float)
    expected = -np.log(np.take_along_axis(probabilities, y.astype(int)[..., None], 2))[..., 0]
    np.testing.assert_allclose(noise.nll_terms(y, raw), expected, rtol=1e-10)
    np.testing.assert_allclose(noise.mean(raw), (probabilities * np.arange(4)).sum(axis=2))
    np.testing.assert_array_equal(noise.mode(raw), probabilities.argmax(axis=2))


def test_ordinal_extreme_cutpoints_stay_finite():
    noise = Ordinal(n_levels=3)
    raw = np.array([[40.0, -40.0], [-40.0, 20.0]])  # cutpoints (40, 40), (-40, -20)
    y = np.array([[0.0], [2.0]])
    nll, grad = noise.nll_and_grad(y, raw)
    assert np.all(np.isfinite(nll)) and np.all(np.isfinite(grad))
    assert nll[0] < 1e-6 and nll[1] < 1e-6


def test_ordinal_rejects_levels_it_does_not_have():
    with pytest.raises(ValueError, match=r"levels 0, \.\.\., 2 \(n_levels=3\).*3\.0"):
        Ordinal(n_levels=3).validate_target(np.array([[0.0], [3.0]]))
    with pytest.raises(ValueError, match="n_levels must be an int >= 2"):
        Ordinal(n_levels=1).n_raw(1)


@pytest.mark.parametrize("lam", [1e-4, 0.2, 0.5, 0.7, 1 - 1e-4])
def test_continuous_bernoulli_is_a_normalised_density(lam):
    total, _ = integrate.quad(lambda x: continuous_bernoulli.pdf(x, special.logit(lam)), 0, 1)
    assert total == pytest.approx(1, abs=1e-9)
    raw = np.full((1, 1), special.logit(lam))
    noise = ContinuousBernoulli()
    density = lambda x: np.exp(-noise.nll(np.array([[x]]), raw)[0])  # noqa: E731
    assert integrate.quad(density, 0, 1)[0] == pytest.approx(1, abs=1e-9)
    mean, _ = integrate.quad(lambda x: x * density(x), 0, 1)
    assert noise.mean(raw)[0, 0] == pytest.approx(mean, abs=1e-9)


# Logits from uniform to far beyond where expit rounds to 0 or 1 (|r| > 37), each side
# of the series' thresholds near 0.
EXTREME_LOGITS = [-700.0, -40.0, -37.0, -5.0, -0.005, 0.0, 1e-9, 0.005, 5.0, 37.0, 40.0,
                  700.0]


@pytest.mark.filterwarnings("error")
def test_continuous_bernoulli_dist_log_density_is_the_models_at_any_logit():
    noise = ContinuousBernoulli()
    raw = np.array([EXTREME_LOGITS])
    y = np.array([0.0, 0.3, 1.0])[:, None]
    log_density = noise.dist(np.broadcast_to(raw, (3, raw.size))).logpdf(y)
    expected = -noise.nll_terms(np.broadcast_to(y, (3, raw.size)),
                                np.broadcast_to(raw, (3, raw.size)))
    assert np.all(np.isfinite(log_density))
    # the model's terms A(r) - y r round at the scale of |r|
    np.testing.assert_allclose(log_density, expected, rtol=1e-12,
                               atol=1e-15 * max(EXTREME_LOGITS))


@pytest.mark.filterwarnings("error")
def test_continuous_bernoulli_dist_cdf_quantiles_and_moments_at_any_logit():
    noise = ContinuousBernoulli()
    raw = np.array([EXTREME_LOGITS])
    dist = noise.dist(raw)
    x = np.broadcast_to(np.linspace(0, 1, 201)[:, None], (201, raw.size))
    cdf, sf = dist.cdf(x), dist.sf(x)
    assert np.all(np.diff(cdf, axis=0) >= 0) and np.all((cdf >= 0) & (cdf <= 1))
    np.testing.assert_array_equal(cdf[0], 0)
    np.testing.assert_array_equal(cdf[-1], 1)
    np.testing.assert_allclose(cdf + sf, 1, rtol=0, atol=1e-15)
    # quantiles invert the cdf wherever it has not rounded to 0 or 1; the upper tail
    # of a distribution massed near 0 is resolved by sf and isf
    lower_resolved = (cdf > 1e-9) & (cdf < 1 - 1e-9)
    np.testing.assert_allclose(np.where(lower_resolved, dist.ppf(cdf), x), x, atol=1e-12)
    upper_resolved = (sf > 1e-9) & (sf < 1 - 1e-9)
    np.testing.assert_allclose(np.where(upper_resolved, dist.isf(sf), x), x, atol=1e-12)
    # the central 90% of a distribution massed within 1e-3 of 0 or 1
    lower, upper = dist.ppf(0.05)[0], dist.ppf(0.95)[0]
    assert np.all((0 <= lower) & (lower < upper) & (upper <= 1))
    assert upper[0] < 1e-2 and lower[-1] > 1 - 1e-2
    np.testing.assert_allclose(dist.mean()[0], _unit_interval._mean(raw[0]), rtol=1e-15)
    np.testing.assert_allclose(dist.var()[0], _unit_interval._variance(raw[0]), rtol=1e-15)
    assert np.all((dist.mean() > 0) & (dist.mean() < 1) & (dist.var() > 0))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("logit", [-700.0, -40.0, 40.0, 700.0])
def test_continuous_bernoulli_dist_draws_at_extreme_logits(logit):
    dist = ContinuousBernoulli().dist(np.array([[logit]]))
    draws = dist.rvs(size=(4000, 1, 1), random_state=np.random.RandomState(0)).ravel()
    assert np.all((draws >= 0) & (draws <= 1))
    mean, var = _unit_interval._mean(logit), _unit_interval._variance(logit)
    assert abs(draws.mean() - mean) < 4 * np.sqrt(var / draws.size)
    assert draws.var() == pytest.approx(var, rel=0.15)


@pytest.mark.parametrize("logit", [-40.0, -37.0, -5.0, -0.005, 0.0, 1e-9, 0.005, 5.0, 37.0,
                                   40.0])
def test_continuous_bernoulli_dist_against_quadrature(logit):
    """The density, integrated numerically: total mass 1, the cdf, mean and variance."""
    dist = ContinuousBernoulli().dist(np.array([[logit]]))
    density = lambda x: float(dist.pdf(x)[0, 0])  # noqa: E731
    # the mass sits within a few 1 / |logit| of 0 or 1: split the range there
    width = 10 / abs(logit) if logit else 1.0
    splits = [s for s in (width, 1 - width) if 0 < s < 1]

    def integral(function, upper=1.0):
        inside = [s for s in splits if s < upper] or None
        return integrate.quad(function, 0, upper, points=inside, epsabs=1e-13,
                              epsrel=1e-12, limit=200)[0]

    assert integral(density) == pytest.approx(1, abs=1e-10)
    mean = integral(lambda x: x * density(x))
    assert float(dist.mean()[0, 0]) == pytest.approx(mean, rel=1e-9, abs=1e-12)
    var = integral(lambda x: (x - mean) ** 2 * density(x))
    assert float(dist.var()[0, 0]) == pytest.approx(var, rel=1e-8, abs=1e-13)
    for y in (0.01, 0.3, 0.97):
        assert float(dist.cdf(y)[0, 0]) == pytest.approx(integral(density, y), rel=1e-8,
                                                          abs=1e-13)


def test_bernoulli_on_grey_levels_is_not_normalised_but_continuous_bernoulli_is():
    raw = np.full((1, 1), 1.5)
    for noise, expected in ((Bernoulli(), False), (ContinuousBernoulli(), True)):
        mass, _ = integrate.quad(lambda x: np.exp(-noise.nll(np.array([[x]]), raw)[0]), 0, 1)
        assert bool(np.isclose(mass, 1)) == expected


def test_autoencoder_trains_on_grey_levels_and_levels():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 1))
    grey = special.expit(z @ rng.normal(size=(1, 4)) + 0.2 * rng.normal(size=(300, 4)))
    ae = AutoEncoder(n_components=1, hidden_layer_sizes=(8,), noise="continuous_bernoulli",
                     max_iter=50, random_state=0).fit(grey)
    assert np.isfinite(ae.score(grey))
    levels = np.clip(np.round(1.5 + z @ np.ones((1, 3)) + 0.3 * rng.normal(size=(300, 3))),
                     0, 3)
    ae = AutoEncoder(n_components=1, hidden_layer_sizes=(8,), noise=Ordinal(n_levels=4),
                     max_iter=50, learning_rate_init=0.01, random_state=0).fit(levels)
    decoded = ae.noise_.mode(ae._forward(levels))
    # the most frequent level alone is right about 36% of the time
    assert np.mean(decoded == levels) > 0.7
