"""Ordinal and ContinuousBernoulli: their own identities. The generic contract
(gradients, scipy, float32, masks, supports) runs on them from tests/_registry.py."""

import numpy as np
import pytest
from scipy import integrate, special

from skae import AutoEncoder
from skae.noise import Bernoulli, ContinuousBernoulli, Ordinal
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
    total, _ = integrate.quad(lambda x: continuous_bernoulli.pdf(x, lam), 0, 1)
    assert total == pytest.approx(1, abs=1e-9)
    raw = np.full((1, 1), special.logit(lam))
    noise = ContinuousBernoulli()
    density = lambda x: np.exp(-noise.nll(np.array([[x]]), raw)[0])  # noqa: E731
    assert integrate.quad(density, 0, 1)[0] == pytest.approx(1, abs=1e-9)
    mean, _ = integrate.quad(lambda x: x * density(x), 0, 1)
    assert noise.mean(raw)[0, 0] == pytest.approx(mean, abs=1e-9)


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
