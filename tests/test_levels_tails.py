"""Binomial.dist and CategoricalLevels.dist in the tails: the frozen scipy distribution is
the model's own, its log-mass ``-nll_terms``, at any finite raw output, in float64 and
float32, and agrees with independent references where nothing rounds."""

import numpy as np
import pytest
from scipy import special, stats

from skae.noise import Binomial, CategoricalLevels

from _tails import EXTREME_RAW, MODERATE_RAW, assert_log_mass_is_the_models

QUANTILES = [1e-9, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-9]


def _levels_raw(n_levels, values, rng, n_rows=40):
    """Rows of one target's logits, each drawn from ``values``, with every value in the
    first place at least once and the row ``(700, 0, -700, ...)`` among them."""
    raw = rng.choice(values, size=(n_rows, n_levels))
    raw[:, 0] = np.resize(values, n_rows)
    raw[-1, :3] = [700.0, 0.0, -700.0][:n_levels]
    return raw


def _assert_quantiles_are_the_smallest_levels(frozen, n_rows):
    """ppf(q) is the smallest level whose cdf reaches q, isf(q) the smallest whose sf
    is at most q."""
    for q in QUANTILES:
        k = frozen.ppf(np.full((n_rows, 1), q))
        assert np.all(frozen.cdf(k) >= q) and np.all((k == 0) | (frozen.cdf(k - 1) < q)), q
        k = frozen.isf(np.full((n_rows, 1), q))
        assert np.all(frozen.sf(k) <= q) and np.all((k == 0) | (frozen.sf(k - 1) > q)), q


def _assert_tails_are_sums_of_the_mass(frozen, mass):
    """cdf and sf are the sums of the pmf below and above each level, each to its own
    relative precision (so sf is not ``1 - cdf``, which rounds to 0)."""
    top = mass.shape[1] - 1
    below = np.cumsum(mass, axis=1)
    above = np.cumsum(mass[:, ::-1], axis=1)[:, ::-1]
    for k in range(top):
        np.testing.assert_allclose(frozen.cdf(k)[:, 0], below[:, k], rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(frozen.sf(k)[:, 0], above[:, k + 1], rtol=1e-10,
                                   atol=1e-300)
        np.testing.assert_allclose(frozen.cdf(k) + frozen.sf(k), 1, rtol=1e-14)
    np.testing.assert_array_equal(frozen.cdf(top), 1)
    np.testing.assert_array_equal(frozen.sf(top), 0)


def _assert_moments_are_sums_over_the_levels(frozen, mass):
    levels = np.arange(mass.shape[1])
    mean = mass @ levels
    np.testing.assert_allclose(frozen.mean()[:, 0], mean, rtol=1e-12, atol=1e-300)
    variance = frozen.var()[:, 0]
    assert np.all(variance >= 0)
    np.testing.assert_allclose(variance, (mass * (levels - mean[:, None]) ** 2).sum(axis=1),
                               rtol=1e-10, atol=1e-300)


def _assert_point_masses_draw_their_level(frozen, mass, n_rows):
    """Draws lie on the levels; where one level holds all but a negligible mass, the
    interval and every draw are that level."""
    levels = np.arange(mass.shape[1])
    lower, upper = frozen.interval(0.9)
    assert np.all((0 <= lower) & (lower <= upper) & (upper <= levels[-1]))
    point_mass = mass.max(axis=1) > 1 - 1e-12
    assert point_mass.any()
    mode = mass[point_mass].argmax(axis=1)
    np.testing.assert_array_equal(lower[point_mass, 0], mode)
    np.testing.assert_array_equal(upper[point_mass, 0], mode)
    draws = frozen.rvs(size=(20, n_rows, 1), random_state=0)
    assert np.all(np.isin(draws, levels))
    np.testing.assert_array_equal(draws[:, point_mass, 0],
                                  np.broadcast_to(mode, (20, point_mass.sum())))


def _assert_frequencies_are_the_mass(draws, mass):
    n_draws = draws.shape[0]
    assert np.all(np.isin(draws, np.arange(mass.shape[1])))
    for k in range(mass.shape[1]):
        p = mass[:, k]
        standard_error = np.sqrt(p * (1 - p) / n_draws)
        assert np.all(np.abs((draws[..., 0] == k).mean(axis=0) - p) < 5 * standard_error + 1e-12)


# ----------------------------------------------------------------- Binomial
@pytest.mark.parametrize("n_trials", [1, 4, 16])
@pytest.mark.filterwarnings("error")
def test_binomial_dist_log_mass_is_the_models_at_any_raw(n_trials):
    noise = Binomial(n_trials=n_trials)
    raw = np.array(EXTREME_RAW)[:, None]
    levels = [float(k) for k in range(n_trials + 1)]
    assert_log_mass_is_the_models(noise, raw, levels, rtol=1e-14, scale=n_trials)
    assert_log_mass_is_the_models(noise, raw.astype(np.float32), levels, rtol=1e-6,
                                   scale=n_trials)


@pytest.mark.filterwarnings("error")
def test_binomial_dist_keeps_the_tail_that_a_rounded_p_lost():
    # expit(40) = 1.0, yet P(y = 3) = 4 p^3 (1 - p) with log(1 - p) = -softplus(40)
    frozen = Binomial(n_trials=4).dist(np.array([[40.0], [-40.0]]))
    log_mass = frozen.logpmf(np.array([[3.0], [1.0]]))[:, 0]
    expected = np.log(4) - 3 * np.logaddexp(0, -40.0) - np.logaddexp(0, 40.0)
    np.testing.assert_allclose(log_mass, expected, rtol=1e-14)
    np.testing.assert_allclose(frozen.sf(3)[1, 0], np.exp(-160.0), rtol=1e-12)
    np.testing.assert_allclose(frozen.cdf(0)[0, 0], np.exp(-160.0), rtol=1e-12)


@pytest.mark.parametrize("n_trials", [1, 16])
@pytest.mark.filterwarnings("error")
def test_binomial_dist_is_finite_and_consistent_at_any_raw(n_trials):
    noise = Binomial(n_trials=n_trials)
    raw = np.array(EXTREME_RAW)[:, None]
    frozen = noise.dist(raw)
    mass = np.stack([frozen.pmf(k)[:, 0] for k in range(n_trials + 1)], axis=1)
    np.testing.assert_allclose(mass.sum(axis=1), 1, rtol=1e-14)
    _assert_tails_are_sums_of_the_mass(frozen, mass)
    _assert_quantiles_are_the_smallest_levels(frozen, raw.shape[0])
    _assert_moments_are_sums_over_the_levels(frozen, mass)
    np.testing.assert_allclose(frozen.mean(), noise.mean(raw), rtol=1e-15)
    _, variance, skew, kurtosis = frozen.stats(moments="mvsk")
    assert np.all(variance > 0) and np.all(np.isfinite(skew)) and np.all(np.isfinite(kurtosis))
    _assert_point_masses_draw_their_level(frozen, mass, raw.shape[0])


@pytest.mark.parametrize("n_trials", [1, 5, 16])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binomial_dist_is_scipys_binom_on_moderate_raw(n_trials, dtype):
    raw = np.array(MODERATE_RAW, dtype=dtype)[:, None]
    ours = Binomial(n_trials=n_trials).dist(raw)
    reference = stats.binom(n_trials, special.expit(raw.astype(np.float64)))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for k in [-1, 0, 1, n_trials // 2, n_trials - 1, n_trials, n_trials + 1, 0.5]:
        np.testing.assert_allclose(ours.pmf(k), reference.pmf(k), rtol=rtol, atol=1e-300)
        np.testing.assert_allclose(ours.logpmf(k), reference.logpmf(k), rtol=rtol)
        np.testing.assert_allclose(ours.cdf(k), reference.cdf(k), rtol=rtol, atol=1e-300)
        np.testing.assert_allclose(ours.sf(k), reference.sf(k), rtol=rtol, atol=1e-300)
    for q in [0.0, 0.05, 0.2, 0.5, 0.8, 0.95, 1.0]:
        np.testing.assert_array_equal(ours.ppf(q), reference.ppf(q))
        np.testing.assert_array_equal(ours.isf(q), reference.isf(q))
    for mine, theirs in zip(ours.stats(moments="mvsk"), reference.stats(moments="mvsk")):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-12)
    np.testing.assert_array_equal(ours.interval(0.9), reference.interval(0.9))


def test_binomial_draws_have_the_dists_frequencies():
    noise = Binomial(n_trials=4)
    raw = np.array([[-2.0], [0.0], [1.0], [3.0]])
    mass = stats.binom(4, special.expit(raw[:, 0, None])).pmf(np.arange(5))
    n_draws = 20_000
    by_scipy = noise.dist(raw).rvs(size=(n_draws, 4, 1), random_state=0)
    by_model = noise.sample(raw, n_samples=n_draws, random_state=1)
    for draws in (by_scipy, by_model):
        _assert_frequencies_are_the_mass(draws, mass)


# -------------------------------------------------------- CategoricalLevels
@pytest.mark.parametrize("n_levels", [2, 3, 5])
@pytest.mark.filterwarnings("error")
def test_levels_dist_log_mass_is_the_models_at_any_raw(n_levels):
    noise = CategoricalLevels(n_levels=n_levels)
    raw = _levels_raw(n_levels, EXTREME_RAW, np.random.default_rng(n_levels))
    levels = [float(k) for k in range(n_levels)]
    assert_log_mass_is_the_models(noise, raw, levels, rtol=1e-14)
    assert_log_mass_is_the_models(noise, raw.astype(np.float32), levels, rtol=1e-6)


@pytest.mark.filterwarnings("error")
def test_levels_dist_keeps_the_levels_that_a_softmax_rounded_to_zero():
    frozen = CategoricalLevels(n_levels=3).dist(np.array([[700.0, 0.0, -700.0]]))
    log_mass = [frozen.logpmf(k)[0, 0] for k in range(3)]
    np.testing.assert_allclose(log_mass, [0.0, -700.0, -1400.0], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(frozen.logsf(0)[0, 0], -700.0, rtol=1e-15)
    np.testing.assert_allclose(frozen.logsf(1)[0, 0], -1400.0, rtol=1e-15)


@pytest.mark.parametrize("n_levels", [2, 5])
@pytest.mark.filterwarnings("error")
def test_levels_dist_is_finite_and_consistent_at_any_raw(n_levels):
    noise = CategoricalLevels(n_levels=n_levels)
    raw = _levels_raw(n_levels, EXTREME_RAW, np.random.default_rng(10 + n_levels))
    frozen = noise.dist(raw)
    mass = np.stack([frozen.pmf(k)[:, 0] for k in range(n_levels)], axis=1)
    np.testing.assert_allclose(mass.sum(axis=1), 1, rtol=1e-14)
    _assert_tails_are_sums_of_the_mass(frozen, mass)
    # the logs of the tails, from the log-softmax summed by hand; both are exact to
    # the rounding of logits as large as the row's
    log_p = raw - special.logsumexp(raw, axis=1, keepdims=True)
    rounding = 4 * np.finfo(raw.dtype).eps * (1 + np.abs(raw).max(axis=1))
    for k in range(n_levels - 1):
        for got, expected in [(frozen.logcdf(k)[:, 0],
                               special.logsumexp(log_p[:, : k + 1], axis=1)),
                              (frozen.logsf(k)[:, 0],
                               special.logsumexp(log_p[:, k + 1 :], axis=1))]:
            assert np.all(np.abs(got - expected) <= 1e-13 * np.abs(expected) + rounding), k
    _assert_quantiles_are_the_smallest_levels(frozen, raw.shape[0])
    _assert_moments_are_sums_over_the_levels(frozen, mass)
    np.testing.assert_allclose(frozen.mean(), noise.mean(raw), rtol=1e-12, atol=1e-300)
    _assert_point_masses_draw_their_level(frozen, mass, raw.shape[0])


@pytest.mark.parametrize("n_levels", [2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_levels_dist_against_softmax_probabilities_on_moderate_raw(n_levels, dtype):
    noise = CategoricalLevels(n_levels=n_levels)
    raw = _levels_raw(n_levels, MODERATE_RAW, np.random.default_rng(20 + n_levels))[:-1]
    raw = raw.astype(dtype)
    exp = np.exp(raw.astype(np.float64))
    reference = exp / exp.sum(axis=1, keepdims=True)
    frozen = noise.dist(raw)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for k in range(n_levels):
        np.testing.assert_allclose(frozen.pmf(k)[:, 0], reference[:, k], rtol=rtol)
        np.testing.assert_allclose(frozen.logpmf(k)[:, 0], np.log(reference[:, k]), rtol=rtol)
        np.testing.assert_allclose(frozen.cdf(k)[:, 0], reference[:, : k + 1].sum(axis=1),
                                   rtol=rtol)
    np.testing.assert_allclose(noise.level_probabilities(raw)[:, 0], reference, rtol=rtol)
    levels = np.arange(n_levels)
    mean = reference @ levels
    np.testing.assert_allclose(frozen.mean()[:, 0], mean, rtol=rtol)
    np.testing.assert_allclose(frozen.var()[:, 0], reference @ levels**2 - mean**2,
                               rtol=10 * rtol)
    for q in [0.05, 0.5, 0.95]:
        np.testing.assert_array_equal(frozen.ppf(q)[:, 0],
                                      (np.cumsum(reference, axis=1)[:, :-1] < q).sum(axis=1))


def test_levels_draws_have_the_dists_frequencies():
    noise = CategoricalLevels(n_levels=4)
    raw = np.array([[-1.0, 0.5, -0.5, 2.0], [0.3, -2.0, 1.0, 0.0]])
    exp = np.exp(raw)
    mass = exp / exp.sum(axis=1, keepdims=True)
    n_draws = 20_000
    by_scipy = noise.dist(raw).rvs(size=(n_draws, 2, 1), random_state=0)
    by_model = noise.sample(raw, n_samples=n_draws, random_state=1)
    for draws in (by_scipy, by_model):
        _assert_frequencies_are_the_mass(draws, mass)
