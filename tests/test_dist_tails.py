"""Bernoulli.dist and Ordinal.dist in the tails: the frozen scipy distribution is the
model's own, its log-mass ``-nll_terms``, at any finite raw output, in float64 and
float32, and agrees with independent references where nothing rounds."""

import numpy as np
import pytest
from scipy import special, stats

from skae.noise import Bernoulli, Ordinal

from _tails import EXTREME_RAW, MODERATE_RAW, assert_log_mass_is_the_models



def _ordinal_raw(n_levels, values, rng, n_rows=40):
    """Rows of raw outputs for one target: a first cutpoint and the raw gaps, each
    drawn from ``values``, with every value in the first place at least once."""
    first = np.resize(values, n_rows)
    gaps = rng.choice(values, size=(n_rows, n_levels - 2))
    return np.column_stack([first, gaps])


def _ordinal_width_rounding(raw):
    """How far ``Ordinal.dist``'s log-mass may stray from the model's, per row and
    level. The model takes a level's width from its gap, exactly; the distribution,
    parametrised by the cutpoints, as their difference, each cutpoint rounded to
    eps |c|, which moves ``log(1 - e^-w)`` by up to ``2 eps |c| / w``. Where the
    rounded cutpoints are equal the distribution gives the level no mass (inf)."""
    eps = np.finfo(raw.dtype).eps
    cuts = Ordinal(raw.shape[1] + 1)._cutpoints(raw, 1)[0][:, 0, :].astype(np.float64)
    hand = _hand_cutpoints(raw.astype(np.float64))
    inf = np.full((len(raw), 1), np.inf)
    lower, upper = np.hstack([-inf, cuts]), np.hstack([cuts, inf])
    width = np.hstack([inf, np.diff(hand, axis=1), inf])
    with np.errstate(invalid="ignore"):
        size = np.where(np.isfinite(lower), np.abs(lower), 0) + np.where(
            np.isfinite(upper), np.abs(upper), 0)
        allowance = np.where(np.isfinite(width), 4 * eps * size / width, 0.0)
    allowance[lower == upper] = np.inf
    return allowance


def _hand_cutpoints(raw):
    """The cutpoints ``c_1 = r_1, c_k = c_(k-1) + softplus(r_k) + 1e-6`` in float64."""
    return np.cumsum(np.column_stack([raw[:, 0], np.logaddexp(0, raw[:, 1:]) + 1e-6]), axis=1)


# ---------------------------------------------------------------- Bernoulli
@pytest.mark.filterwarnings("error")
def test_bernoulli_dist_log_mass_is_the_models_at_any_raw():
    raw = np.array(EXTREME_RAW)[:, None]
    assert_log_mass_is_the_models(Bernoulli(), raw, [0.0, 1.0], rtol=1e-14)
    assert_log_mass_is_the_models(Bernoulli(), raw.astype(np.float32), [0.0, 1.0],
                                   rtol=1e-6)
    # the tail that expit(40) = 1.0 lost: log P(y = 0) = -softplus(40)
    assert Bernoulli().dist(np.array([[40.0]])).logpmf(0)[0, 0] == pytest.approx(-40)
    assert Bernoulli().dist(np.array([[-40.0]])).logpmf(1)[0, 0] == pytest.approx(-40)


@pytest.mark.filterwarnings("error")
def test_bernoulli_dist_is_finite_and_consistent_at_any_raw():
    raw = np.array(EXTREME_RAW)[:, None]
    frozen = Bernoulli().dist(raw)
    p = special.expit(raw)
    np.testing.assert_allclose(frozen.pmf(0) + frozen.pmf(1), 1, rtol=1e-15)
    np.testing.assert_array_equal(frozen.cdf(0), special.expit(-raw))
    np.testing.assert_array_equal(frozen.sf(0), p)  # not 1 - cdf(0), which rounds to 0
    np.testing.assert_array_equal(frozen.cdf(1), 1)
    mean, var, skew, kurtosis = frozen.stats(moments="mvsk")
    np.testing.assert_array_equal(mean, p)
    np.testing.assert_allclose(var, p * special.expit(-raw), rtol=1e-15)
    assert np.all(var > 0) and np.all(np.isfinite(skew)) and np.all(np.isfinite(kurtosis))
    for q in [0.01, 0.3, 0.5, 0.7, 0.99]:
        k = frozen.ppf(q)
        assert np.all(frozen.cdf(k) >= q) and np.all((k == 0) | (frozen.cdf(k - 1) < q))
        np.testing.assert_array_equal(frozen.isf(q), frozen.ppf(1 - q))
    lower, upper = frozen.interval(0.9)
    np.testing.assert_array_equal(lower, (raw > -np.log(0.05 / 0.95)).astype(float))
    np.testing.assert_array_equal(upper, (raw > np.log(0.05 / 0.95)).astype(float))
    draws = frozen.rvs(size=(50, raw.size, 1), random_state=0)
    assert set(np.unique(draws)) <= {0, 1}
    # far in the tails the draws are the point mass
    np.testing.assert_array_equal(draws[:, :3], 0)
    np.testing.assert_array_equal(draws[:, -3:], 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bernoulli_dist_is_scipys_bernoulli_on_moderate_raw(dtype):
    raw = np.array(MODERATE_RAW, dtype=dtype)[:, None]
    ours = Bernoulli().dist(raw)
    reference = stats.bernoulli(special.expit(raw.astype(np.float64)))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for k in [-1, 0, 1, 2, 0.5]:
        np.testing.assert_allclose(ours.pmf(k), reference.pmf(k), rtol=rtol, atol=1e-300)
        np.testing.assert_allclose(ours.logpmf(k), reference.logpmf(k), rtol=rtol)
        np.testing.assert_allclose(ours.cdf(k), reference.cdf(k), rtol=rtol)
        np.testing.assert_allclose(ours.sf(k), reference.sf(k), rtol=rtol, atol=1e-300)
    for q in [0.05, 0.2, 0.5, 0.8, 0.95]:
        np.testing.assert_array_equal(ours.ppf(q), reference.ppf(q))
        np.testing.assert_array_equal(ours.isf(q), reference.isf(q))
    for mine, theirs in zip(ours.stats(moments="mvsk"), reference.stats(moments="mvsk")):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(ours.entropy(), reference.entropy(), rtol=rtol)


def test_bernoulli_samples_have_the_dists_frequencies():
    raw = np.array([[-2.0, 0.0, 1.0, 3.0]])
    n_draws = 20_000
    draws = Bernoulli().sample(raw, n_samples=n_draws, random_state=0)
    p = special.expit(raw)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    standard_error = np.sqrt(p * (1 - p) / n_draws)
    assert np.all(np.abs(draws.mean(axis=0) - p) < 5 * standard_error)


# ------------------------------------------------------------------ Ordinal
@pytest.mark.parametrize("n_levels", [2, 3, 5])
@pytest.mark.filterwarnings("error")
def test_ordinal_dist_log_mass_is_the_models_at_any_raw(n_levels):
    noise = Ordinal(n_levels=n_levels)
    raw = _ordinal_raw(n_levels, EXTREME_RAW, np.random.default_rng(n_levels))
    levels = [float(k) for k in range(n_levels)]
    assert_log_mass_is_the_models(noise, raw, levels, rtol=1e-14,
                                  level_rounding=_ordinal_width_rounding(raw))
    # float32: where a gap of 1e-6 is lost beside a cutpoint of 100, the distribution
    # gives the level between no mass; the model keeps its gap, as the next test shows
    single = raw.astype(np.float32)
    assert_log_mass_is_the_models(noise, single, levels, rtol=1e-6,
                                  level_rounding=_ordinal_width_rounding(single))


@pytest.mark.parametrize("n_levels", [3, 5])
@pytest.mark.filterwarnings("error")
def test_ordinal_nll_and_gradient_in_float32_keep_a_gap_below_the_cutpoints_rounding(n_levels):
    # a gap of 1e-6 beside cutpoints of 40 or more is below float32's rounding there:
    # taken as the difference of the cutpoints, the level had probability 0, an
    # infinite NLL and a NaN gradient; taken from the gap itself, as float64 has it
    noise = Ordinal(n_levels=n_levels)
    raw = _ordinal_raw(n_levels, EXTREME_RAW, np.random.default_rng(20 + n_levels))
    for level in range(n_levels):
        y = np.full((len(raw), 1), float(level))
        nll, grad = noise.nll_and_grad(y, raw)
        nll32, grad32 = noise.nll_and_grad(y.astype(np.float32), raw.astype(np.float32))
        assert np.all(np.isfinite(nll32)) and np.all(np.isfinite(grad32))
        largest = np.abs(raw).max(axis=1)
        np.testing.assert_allclose(nll32, nll, rtol=1e-6,
                                   atol=8 * np.finfo(np.float32).eps * largest.max())
        np.testing.assert_allclose(grad32, grad, atol=1e-4)


@pytest.mark.filterwarnings("error")
def test_ordinal_dist_keeps_the_tail_that_rounded_cumulative_probabilities_lost():
    noise = Ordinal(n_levels=3)
    # cutpoints (50, 50 + softplus(3)) and (-100, -100 + softplus(-40)): each row's
    # level 1 is far in a tail, where both cumulative probabilities round alike
    raw = np.array([[50.0, 3.0], [-100.0, -40.0]])
    cuts = _hand_cutpoints(raw)
    expected = np.log(special.expit(-cuts[:, 0])) + np.log(-np.expm1(cuts[:, 0] - cuts[:, 1])) \
        + np.log(special.expit(cuts[:, 1]))
    assert np.all(np.isfinite(expected)) and np.all(expected < -45)
    log_mass = noise.dist(raw).logpmf(np.ones((2, 1)))[:, 0]
    np.testing.assert_allclose(log_mass, expected, rtol=1e-12)
    # the model's level probabilities take the width from the gap itself
    gap = np.logaddexp(0, raw[:, 1]) + 1e-6
    exact = np.log(special.expit(-cuts[:, 0])) + np.log(-np.expm1(-gap)) \
        + np.log(special.expit(cuts[:, 1]))
    np.testing.assert_allclose(noise.level_probabilities(raw)[:, 0, 1], np.exp(exact),
                               rtol=1e-12)


@pytest.mark.parametrize("n_levels", [2, 5])
@pytest.mark.filterwarnings("error")
def test_ordinal_dist_is_finite_and_consistent_at_any_raw(n_levels):
    noise = Ordinal(n_levels=n_levels)
    raw = _ordinal_raw(n_levels, EXTREME_RAW, np.random.default_rng(10 + n_levels))
    frozen = noise.dist(raw)
    cuts = _hand_cutpoints(raw)
    mass = np.stack([frozen.pmf(k)[:, 0] for k in range(n_levels)], axis=1)
    np.testing.assert_allclose(mass.sum(axis=1), 1, rtol=1e-14)
    for k in range(n_levels - 1):
        np.testing.assert_allclose(frozen.cdf(k)[:, 0], special.expit(cuts[:, k]), rtol=1e-14)
        # the upper tail from the cutpoint, not 1 - cdf, which rounds to 0
        np.testing.assert_allclose(frozen.sf(k)[:, 0], special.expit(-cuts[:, k]),
                                   rtol=1e-14)
        np.testing.assert_allclose(frozen.logsf(k)[:, 0], -np.logaddexp(0, cuts[:, k]),
                                   rtol=1e-14)
    np.testing.assert_array_equal(frozen.cdf(n_levels - 1), 1)
    for q in [0.01, 0.3, 0.5, 0.7, 0.99]:
        k = frozen.ppf(q)
        assert np.all(frozen.cdf(k) >= q) and np.all((k == 0) | (frozen.cdf(k - 1) < q))
        k = frozen.isf(q)
        assert np.all(frozen.sf(k) <= q) and np.all((k == 0) | (frozen.sf(k - 1) > q))
    levels = np.arange(n_levels)
    mean = (mass * levels).sum(axis=1)
    np.testing.assert_allclose(frozen.mean()[:, 0], mean, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(frozen.mean()[:, 0], noise.mean(raw)[:, 0], rtol=1e-15)
    variance = frozen.var()[:, 0]
    assert np.all(variance >= 0)
    np.testing.assert_allclose(variance, (mass * (levels - mean[:, None]) ** 2).sum(axis=1),
                               rtol=1e-12, atol=1e-300)
    lower, upper = frozen.interval(0.9)
    assert np.all((0 <= lower) & (lower <= upper) & (upper <= n_levels - 1))
    # where one level holds all but a negligible mass the interval is that level
    point_mass = mass.max(axis=1) > 1 - 1e-12
    assert point_mass.any()
    np.testing.assert_array_equal(lower[point_mass, 0], mass[point_mass].argmax(axis=1))
    np.testing.assert_array_equal(upper[point_mass, 0], mass[point_mass].argmax(axis=1))
    draws = frozen.rvs(size=(20,) + raw[:, :1].shape, random_state=0)
    assert np.all(np.isin(draws, levels))
    np.testing.assert_array_equal(draws[:, point_mass, 0],
                                  np.broadcast_to(mass[point_mass].argmax(axis=1),
                                                  (20, point_mass.sum())))


@pytest.mark.parametrize("n_levels", [2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ordinal_dist_against_differences_of_sigmoids_on_moderate_raw(n_levels, dtype):
    noise = Ordinal(n_levels=n_levels)
    raw = _ordinal_raw(n_levels, MODERATE_RAW, np.random.default_rng(20 + n_levels))
    raw = raw.astype(dtype)
    cuts = _hand_cutpoints(raw.astype(np.float64))
    if dtype == np.float32:
        # the cutpoints as the model rounds them: a narrow level's width is only as
        # exact as they are; its probability from them is then float32-exact
        params = noise.params(raw)
        np.testing.assert_allclose(np.column_stack(list(params.values())), cuts, rtol=1e-6)
        cuts = np.column_stack(list(params.values())).astype(np.float64)
    ones = np.ones((raw.shape[0], 1))
    # in float64, exact where these differences lose nothing: to epsilon, absolutely
    reference = np.diff(np.column_stack([0 * ones, special.expit(cuts), ones]), axis=1)
    frozen = noise.dist(raw)
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (2e-6, 1e-7)
    for k in range(n_levels):
        np.testing.assert_allclose(frozen.pmf(k)[:, 0], reference[:, k], rtol=rtol,
                                   atol=atol)
        np.testing.assert_allclose(frozen.cdf(k)[:, 0], reference[:, : k + 1].sum(axis=1),
                                   rtol=rtol, atol=atol)
    np.testing.assert_allclose(noise.level_probabilities(raw)[:, 0], reference, rtol=rtol,
                               atol=atol)
    levels = np.arange(n_levels)
    mean = reference @ levels
    np.testing.assert_allclose(frozen.mean()[:, 0], mean, rtol=rtol, atol=atol)
    np.testing.assert_allclose(frozen.var()[:, 0], reference @ levels**2 - mean**2,
                               rtol=10 * rtol, atol=10 * atol)


def test_ordinal_draws_have_the_dists_frequencies():
    noise = Ordinal(n_levels=4)
    raw = np.array([[-1.0, 0.5, -0.5], [0.3, -2.0, 1.0]])
    frozen = noise.dist(raw)
    n_draws = 20_000
    by_scipy = frozen.rvs(size=(n_draws, 2, 1), random_state=0)
    by_model = noise.sample(raw, n_samples=n_draws, random_state=1)
    for draws in (by_scipy, by_model):
        assert np.all(np.isin(draws, np.arange(4)))
        for k in range(4):
            p = frozen.pmf(k)[:, 0]
            standard_error = np.sqrt(p * (1 - p) / n_draws)
            assert np.all(np.abs((draws[..., 0] == k).mean(axis=0) - p) < 5 * standard_error)
