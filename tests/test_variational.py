"""VariationalAutoEncoder: the ELBO's gradient, the density estimates, sampling, the API."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from _gradcheck import assert_gradient_matches
from _registry import N_TARGETS, NOISE_MODELS, noise_id
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from skae import VariationalAutoEncoder
from skae._training import Data
from skae._variational import EncoderDecoder, VariationalObjective
from skae.noise import (Bernoulli, Binomial, Categorical, CategoricalLevels, ColumnNoise,
                        ContinuousBernoulli, Gaussian, Poisson)

N_SAMPLES = 7


def _targets(noise, rng):
    raw = 0.5 * rng.normal(size=(N_SAMPLES, noise.n_raw(N_TARGETS)))
    return noise.sample(raw, random_state=rng)[0].astype(float)


def _objective(noise, rng, activation="tanh", alpha=0.3, beta=0.7, n_inputs=N_TARGETS):
    net = EncoderDecoder([n_inputs, 5, 2, 5, noise.n_raw(N_TARGETS)],
                         [activation, "identity", activation], np.float64)
    net.initialize(rng)
    net.theta += rng.normal(scale=0.1, size=net.theta.size)  # non-zero biases too
    return VariationalObjective(net, noise, alpha=alpha, beta=beta)


class _FixedDraw:
    """The objective with the same reparameterisation draw at every evaluation, so that
    its loss is a deterministic function of the parameters."""

    def __init__(self, objective, seed):
        self.objective, self.network, self.seed = objective, objective.network, seed

    def loss_and_grad(self, batch):
        self.objective.random_state = np.random.RandomState(self.seed)
        return self.objective.loss_and_grad(batch)


def _assert_gradient_matches(objective, batch, seed=0):
    """Central differences of the loss, each evaluation with the same noise draw."""
    assert_gradient_matches(_FixedDraw(objective, seed), batch)


@pytest.mark.parametrize("noise", NOISE_MODELS, ids=noise_id)
@pytest.mark.parametrize("weighted", [False, True])
def test_elbo_gradient_matches_finite_differences(noise, weighted):
    rng = np.random.RandomState(0)
    X = _targets(noise, rng)
    weights = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    _assert_gradient_matches(_objective(noise, rng), Data(X, None, weights))


@pytest.mark.parametrize("activation", ["relu", "softplus", "logistic"])
def test_elbo_gradient_with_a_mask_and_deeper_networks(activation):
    rng = np.random.RandomState(1)
    noise = Gaussian(scale="learned")
    X = rng.normal(size=(N_SAMPLES, N_TARGETS))
    mask = rng.uniform(size=X.shape) > 0.3
    objective = _objective(noise, rng, activation=activation, alpha=0.0, beta=1.0)
    # the encoder sees the masked entries as zeros, the likelihood drops them
    objective.input_transform = lambda X: np.where(np.isnan(X), 0.0, X)
    _assert_gradient_matches(objective, Data(np.where(mask, X, np.nan), None, None, mask))


def test_the_loss_is_the_negative_elbo():
    # beta=1, no penalty: the loss with constants is minus the ELBO of one draw, whose
    # mean over many draws is the ELBO that elbo() estimates
    rng = np.random.RandomState(2)
    noise = Gaussian(scale=0.5)
    X = rng.normal(size=(N_SAMPLES, N_TARGETS))
    objective = _objective(noise, rng, alpha=0.0, beta=1.0)
    objective.random_state = np.random.RandomState(0)
    losses = [objective.loss_and_grad(Data(X)) for _ in range(4000)]
    constants = N_TARGETS * (0.5 * np.log(2 * np.pi) + np.log(0.5))
    _, elbo = objective.estimates(Data(X), noise, 4000)
    assert np.mean(losses) + constants == pytest.approx(-elbo.mean(), rel=0.01)


# ------------------------------------------------------------------ the estimator
def _fitted(X, **params):
    settings = dict(n_components=2, hidden_layer_sizes=(16,),
                    noise=Gaussian(scale="learned"), max_iter=30, random_state=0,
                    n_importance_samples=200)
    settings.update(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VariationalAutoEncoder(**settings).fit(X)


def _curve(n=300, seed=0):
    """Points near a noisy 1-D curve in 3-D."""
    rng = np.random.RandomState(seed)
    t = rng.uniform(-2, 2, n)
    return np.c_[t, np.sin(t), 0.5 * t**2] + 0.1 * rng.normal(size=(n, 3))


def test_linear_vae_with_a_profiled_scale_reaches_probabilistic_pca():
    # one true component and isotropic noise of scale 0.1: the linear VAE's ELBO optimum
    # is PPCA's. A unit training scale would weigh the KL term 100 times too much and
    # collapse the code onto the prior, which scores as PCA with no component.
    rng = np.random.RandomState(0)

    def draw(n):
        return 0.1 * (rng.normal(size=(n, 3)) + rng.normal(size=(n, 1)) * [3, 4, 5])

    train, test = draw(200), draw(200)
    vae = VariationalAutoEncoder(1, hidden_layer_sizes=(), noise=Gaussian(), batch_size=200,
                                 n_importance_samples=100, random_state=0,
                                 n_iter_no_change=10**9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for learning_rate, epochs in ((3e-2, 1000), (3e-3, 300)):
            vae.set_params(learning_rate_init=learning_rate, max_iter=epochs,
                           warm_start=True).fit(train)
    ppca = PCA(1).fit(train)
    assert vae.score(test) == pytest.approx(ppca.score(test), abs=0.02)
    assert vae.noise_.scale == pytest.approx(np.sqrt(ppca.noise_variance_), rel=0.1)


def test_elbo_is_below_the_iwae_estimate_which_is_reproducible():
    X = _curve()
    vae = _fitted(X)
    iwae, elbo = vae.score_samples(X), vae.elbo(X)
    assert np.all(elbo <= iwae)
    np.testing.assert_array_equal(vae.score_samples(X), iwae)
    # a row's estimate does not depend on the rows scored with it
    np.testing.assert_allclose(vae.score_samples(X[5:9]), iwae[5:9], rtol=1e-10)


def test_iwae_grows_with_the_number_of_draws():
    X = _curve()
    vae = _fitted(X)
    scores = [vae.set_params(n_importance_samples=k).score(X) for k in (1, 10, 100, 1000)]
    assert np.all(np.diff(scores) > -0.02), scores
    assert scores[-1] > scores[0]


def test_density_integrates_to_one_on_a_2d_toy():
    rng = np.random.RandomState(0)
    angle = rng.uniform(0, 2 * np.pi, 400)
    X = np.c_[np.cos(angle), np.sin(angle)] + 0.15 * rng.normal(size=(400, 2))
    vae = _fitted(X, n_components=1, max_iter=60)
    grid = np.linspace(-3, 3, 121)
    xx, yy = np.meshgrid(grid, grid)
    density = np.exp(vae.score_samples(np.c_[xx.ravel(), yy.ravel()]))
    integral = density.sum() * (grid[1] - grid[0]) ** 2
    assert integral == pytest.approx(1.0, abs=0.05)


def test_scaling_the_data_by_two_shifts_the_score_by_the_log_jacobian():
    X = _curve()
    score = _fitted(X).score(X)
    score_doubled = _fitted(2 * X).score(2 * X)
    assert score_doubled - score == pytest.approx(-3 * np.log(2), abs=0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_shapes_and_dtype(dtype):
    X = _curve().astype(dtype)
    vae = _fitted(X, max_iter=3)
    draws = vae.sample(11, random_state=0)
    assert draws.shape == (11, 3) and draws.dtype == dtype
    np.testing.assert_array_equal(draws, vae.sample(11, random_state=0))
    assert vae.transform(X).dtype == dtype and vae.score_samples(X).dtype == dtype
    assert vae.inverse_transform(vae.transform(X[:4])).shape == (4, 3)


def test_samples_follow_the_data():
    X = _curve()
    draws = _fitted(X, max_iter=100).sample(2000, random_state=0)
    np.testing.assert_allclose(draws.mean(axis=0), X.mean(axis=0), atol=0.15)
    np.testing.assert_allclose(draws.std(axis=0), X.std(axis=0), rtol=0.15)


def test_early_stopping_restores_the_best_validation_elbo():
    X = _curve(400)
    vae = _fitted(X, early_stopping=True, max_iter=60, n_iter_no_change=3)
    assert vae.best_validation_score_ == max(vae.validation_scores_)
    assert len(vae.validation_scores_) == vae.n_iter_


def test_pickle_round_trip_keeps_one_shared_vector():
    X = _curve()
    vae = _fitted(X, max_iter=3)
    loaded = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(loaded.score_samples(X), vae.score_samples(X))
    net = loaded._network
    assert np.shares_memory(net.encoder.theta, net.theta)
    assert np.shares_memory(net.decoder.theta, net.theta)


def test_bernoulli_noise_refuses_to_score_grey_levels():
    rng = np.random.RandomState(0)
    binary = (rng.uniform(size=(100, 4)) > 0.5).astype(float)
    vae = _fitted(binary, noise="bernoulli", max_iter=3)
    assert np.all(np.isfinite(vae.score_samples(binary)))
    with pytest.raises(ValueError, match="Bernoulli noise is a normalised distribution of "
                                         "binary data only.*0.3"):
        vae.score_samples(np.full((2, 4), 0.3))
    grey = rng.uniform(size=(100, 4))
    assert np.all(np.isfinite(_fitted(grey, noise=ContinuousBernoulli(),
                                      max_iter=3).score_samples(grey)))


def test_categorical_and_poisson_noise_refuse_to_score_what_they_do_not_normalise():
    rng = np.random.RandomState(1)
    one_hot = np.eye(3)[rng.randint(0, 3, 60)]
    vae = _fitted(one_hot, noise="categorical", max_iter=3)
    assert np.all(np.isfinite(vae.score_samples(one_hot)))
    with pytest.raises(ValueError, match="one-hot rows only.*1 other rows"):
        vae.score_samples(np.vstack([one_hot[:2], [1 / 3, 1 / 3, 1 / 3]]))
    counts = rng.poisson(3.0, size=(60, 2)).astype(float)
    vae = _fitted(counts, noise="poisson", max_iter=3)
    assert np.all(np.isfinite(vae.score_samples(counts)))
    with pytest.raises(ValueError, match="non-integer.*0.5"):
        vae.score_samples(np.array([[1.0, 0.5]]))
    # block by block in a composite, and a missing categorical row is not a row
    noise = ColumnNoise([("n", Poisson(), [0]), ("c", Categorical(), [1, 2, 3])])
    mixed = np.column_stack([counts[:, 0], one_hot])
    vae = _fitted(mixed, noise=noise, max_iter=3)
    holes = mixed[:3].copy()
    holes[0, 1:] = np.nan
    assert np.all(np.isfinite(vae.score_samples(holes)))
    with pytest.raises(ValueError, match="one-hot"):
        vae.score_samples(np.array([[1.0, 0.5, 0.5, 0.0]]))


def test_errors_name_the_parameter():
    X = _curve()
    with pytest.raises(ValueError, match="solver"):
        VariationalAutoEncoder(solver="lbfgs").fit(X)
    with pytest.raises(ValueError, match="n_importance_samples"):
        VariationalAutoEncoder(n_importance_samples=0).fit(X)
    with pytest.raises(ValueError, match="beta"):
        VariationalAutoEncoder(beta=-1.0).fit(X)
    vae = _fitted(X, max_iter=2)
    for n_samples in (0, True, 1.5):
        with pytest.raises(ValueError, match="n_samples"):
            vae.sample(n_samples)
    with pytest.raises(ValueError, match="n_components=2"):
        vae.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="outside|Negative"):
        _fitted(np.abs(X), noise=Bernoulli(), max_iter=2)


def test_outside_the_support_scores_minus_infinity():
    rng = np.random.RandomState(0)
    grey = rng.uniform(size=(100, 4))
    vae = _fitted(grey, noise=ContinuousBernoulli(), max_iter=3)
    bad = grey[:3].copy()
    bad[1, 2] = 1.5
    scores = vae.score_samples(bad)
    assert scores[1] == -np.inf and np.all(np.isfinite(scores[[0, 2]]))


# ------------------------------------------------------- discrete levels as data
def test_binomial_of_one_trial_is_bernoulli_and_levels_of_two_are_categorical():
    rng = np.random.RandomState(0)
    y = (rng.uniform(size=(6, 3)) > 0.5).astype(float)
    raw = rng.normal(size=(6, 3))
    np.testing.assert_allclose(Binomial(1).nll(y, raw), Bernoulli().nll(y, raw), rtol=1e-12)
    # two levels with logits (0, r) are a Bernoulli of logit r
    two_levels = np.hstack([np.zeros_like(raw), raw])
    np.testing.assert_allclose(CategoricalLevels(2).nll(y, two_levels),
                               Bernoulli().nll(y, raw), rtol=1e-12)


@pytest.mark.parametrize("noise", [Binomial(4), CategoricalLevels(5)], ids=repr)
def test_discrete_decoder_samples_levels_and_scores_a_distribution(noise):
    rng = np.random.RandomState(0)
    X = rng.binomial(4, rng.uniform(0.2, 0.8, size=4), size=(200, 4)).astype(float)
    vae = _fitted(X, noise=noise, max_iter=20)
    draws = vae.sample(50, random_state=0)
    assert set(np.unique(draws)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    # probabilities of integer vectors: every log-probability is at most 0
    assert np.all(vae.score_samples(X) <= 0)
    assert np.all(vae.score_samples(X + 0.5) == -np.inf)


def test_denoising_vae_corrupts_training_inputs_only():
    rng = np.random.default_rng(0)
    X = (rng.random((120, 6)) < 0.5).astype(float)
    params = dict(n_components=2, hidden_layer_sizes=(8,), noise="bernoulli", max_iter=5,
                  random_state=0, n_importance_samples=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = VariationalAutoEncoder(**params).fit(X)
        denoising = VariationalAutoEncoder(corruption="mask", corruption_level=0.5,
                                           **params).fit(X)
    # the VAE has the denoising parameters, not the deterministic code's
    assert {"corruption", "corruption_level"} <= set(denoising.get_params())
    assert not {"contraction", "sparsity", "code_activation"} & set(denoising.get_params())
    assert not np.allclose(plain._network.theta, denoising._network.theta)
    objective = denoising._fitted_objective()
    objective.random_state = np.random.RandomState(0)
    corrupted = objective.network_input(X, training=True)
    assert 0.3 < np.mean(corrupted[X == 1] == 0) < 0.7  # half the ones masked
    assert_array_equal(objective.network_input(X), X)  # inference sees X as given
    assert_array_equal(denoising.transform(X), denoising.transform(X))
    assert np.isfinite(denoising.score(X))
