"""Target scaling of location-scale noise models, early_stopping="auto" and
learning_rate_init="auto"."""

import numpy as np
import pytest
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import InvalidParameterError

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae.noise import Gaussian, Laplace, LogNormal, Poisson, StudentT

RESCALABLE = [Gaussian(), Gaussian(scale="learned"), Laplace(), Laplace(scale="learned"),
              StudentT(), StudentT(df="learned"), LogNormal(), LogNormal(scale="learned")]


def _data(n=300, seed=0, positive=False):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = np.sin(X[:, 0]) + X[:, 1] + (0.2 + 0.2 * np.abs(X[:, 2])) * rng.normal(size=n)
    return X, np.exp(y) if positive else y


def _fit(noise, X, y, **params):
    params = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0, **params)
    return MLPLikelihoodRegressor(noise=noise, **params).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("noise", RESCALABLE, ids=repr)
def test_units_of_y_shift_every_log_likelihood_by_the_jacobian(noise):
    X, y = _data(positive=isinstance(noise, LogNormal))
    plain = _fit(noise, X, y)
    scaled = _fit(noise, X, 1000 * y)
    shift = scaled.log_likelihood(X, 1000 * y) - plain.log_likelihood(X, y)
    np.testing.assert_allclose(shift, -np.log(1000), rtol=0, atol=1e-9)
    assert scaled.score(X, 1000 * y) == pytest.approx(plain.score(X, y), rel=1e-9)
    np.testing.assert_allclose(scaled.predict(X), 1000 * plain.predict(X), rtol=1e-9)
    for bound, plain_bound in zip(scaled.predict_interval(X), plain.predict_interval(X)):
        np.testing.assert_allclose(bound, 1000 * plain_bound, rtol=1e-9)
    # the validation scores, when there are any, are log-likelihoods in y's units too
    if plain.validation_scores_ is not None:
        np.testing.assert_allclose(np.subtract(scaled.validation_scores_,
                                               plain.validation_scores_),
                                   -np.log(1000), atol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_log_likelihood_matches_scipy_in_the_targets_units():
    X, y = _data()
    y = 5e4 + 300 * y
    reg = _fit(Gaussian(scale="learned"), X, y)
    dist = reg.predict_dist(X)
    np.testing.assert_allclose(reg.log_likelihood(X, y), dist.logpdf(y), rtol=1e-10)
    draws = reg.sample(X[:1], n_samples=4000, random_state=0)
    assert abs(draws.mean() - dist.mean()[0]) < 4 * dist.std()[0] / np.sqrt(4000)


def test_targets_far_from_unit_scale_fit_with_default_settings():
    # without scaling Adam at its default step barely moves from the marginal mean
    X, y = _data(n=400, seed=1)
    y = 1e4 + 1000 * y
    scaled = MLPLikelihoodRegressor(random_state=0, max_iter=100).fit(X, y)
    unscaled = MLPLikelihoodRegressor(random_state=0, max_iter=100,
                                      target_scaling=False).fit(X, y)
    assert r2_score(y, scaled.predict(X)) > 0.8
    assert r2_score(y, unscaled.predict(X)) < 0.5


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("noise", [Gaussian(), Gaussian(scale="learned"), LogNormal()], ids=repr)
def test_float32_stays_float32(noise):
    X, y = _data(positive=isinstance(noise, LogNormal))
    reg = _fit(noise, X.astype(np.float32), 100 * y.astype(np.float32))
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    for value in reg.predict_params(X.astype(np.float32)).values():
        assert value.dtype == np.float32
    assert reg.log_likelihood(X.astype(np.float32), 100 * y.astype(np.float32)).dtype \
        == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_models_without_an_affine_family_are_not_rescaled():
    X, y = _data()
    counts = np.random.RandomState(0).poisson(np.exp(y / 2))
    reg = _fit(Poisson(), X, counts)
    assert reg._target_units is None
    logistic = _fit(Gaussian(link="logistic"), X, (y > 0).astype(float))
    assert logistic._target_units is None
    assert _fit(Gaussian(), X, y, target_scaling=False)._target_units is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_keeps_the_units_of_its_first_call():
    X, y = _data(n=400)
    reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), hidden_layer_sizes=(8,),
                                 random_state=0)
    reg.partial_fit(X[:200], y[:200])  # early_stopping="auto" is off in partial_fit
    shift, unit = reg._target_units
    reg.partial_fit(X[200:], 10 + 5 * y[200:])
    assert reg._target_units[0] == shift and reg._target_units[1] == unit
    assert reg.validation_scores_ is None
    with pytest.raises(ValueError, match="early_stopping"):
        MLPLikelihoodRegressor(early_stopping=True).partial_fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_auto_is_on_for_learned_scales_only():
    X, y = _data()
    assert _fit(Gaussian(scale="learned"), X, y).validation_scores_ is not None
    assert _fit(StudentT(), X, y).validation_scores_ is not None
    assert _fit(Gaussian(), X, y).validation_scores_ is None
    assert _fit(Gaussian(scale="learned"), X, y,
                early_stopping=False).validation_scores_ is None
    assert _fit(Gaussian(), X, y, early_stopping=True).validation_scores_ is not None
    # too few rows to hold out two of them: no early stopping rather than an error
    assert _fit(Gaussian(scale="learned"), X[:10], y[:10]).validation_scores_ is None


def test_only_the_regressor_accepts_early_stopping_auto():
    X, _ = _data(n=50)
    with pytest.raises(InvalidParameterError, match="early_stopping"):
        AutoEncoder(early_stopping="auto", max_iter=1).fit(X)
    with pytest.raises(InvalidParameterError, match="early_stopping"):
        MLPLikelihoodRegressor(early_stopping="yes").fit(X, X[:, 0])


@pytest.mark.parametrize("noise", RESCALABLE, ids=repr)
def test_rescaled_gradient_matches_finite_differences(noise):
    rng = np.random.RandomState(0)
    shift, unit = np.array([3.0, -1.0]), np.array([10.0, 0.1])
    model = noise.rescaled(shift, unit)
    raw = rng.normal(size=(6, model.n_raw(2)))
    latent = shift + unit * rng.normal(size=(6, 2))
    y = np.exp(latent) if isinstance(noise, LogNormal) else latent
    _, grad = model.nll_and_grad(y, raw)
    numeric = np.empty_like(raw)
    eps = 1e-6
    for index in np.ndindex(raw.shape):
        step = np.zeros_like(raw)
        step[index] = eps
        numeric[index] = (model.nll(y, raw + step).sum()
                          - model.nll(y, raw - step).sum()) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(-model.nll(y, raw), model.dist(raw).logpdf(y).sum(axis=1),
                               rtol=1e-10)
    # the rescaled model is the standardised one, read in other units
    standard_latent = (latent - shift) / unit
    standard_y = np.exp(standard_latent) if isinstance(noise, LogNormal) else standard_latent
    jacobian = np.log(unit).sum() + (np.log(y / standard_y).sum(axis=1)
                                     if isinstance(noise, LogNormal) else 0.0)
    np.testing.assert_allclose(model.nll(y, raw), noise.nll(standard_y, raw) + jacobian,
                               rtol=1e-9)


def test_marginal_units_are_the_best_constant_fit():
    rng = np.random.RandomState(0)
    y = (5 + 2 * rng.normal(size=(400, 2)))
    y[:4, 0] = 1e7  # gross outliers in the first column
    shift, unit = Gaussian().marginal_units(y)
    np.testing.assert_allclose(shift, y.mean(axis=0))
    np.testing.assert_allclose(unit, y.std(axis=0))
    robust_shift, robust_unit = Laplace().marginal_units(y)
    assert abs(robust_shift[0] - 5) < 0.5 and 1 < robust_unit[0] < 4  # the bulk's
    # weights act as repetitions; masked entries are left out
    weights = rng.randint(0, 3, size=400)
    np.testing.assert_allclose(Gaussian().marginal_units(y, weights),
                               Gaussian().marginal_units(np.repeat(y, weights, axis=0)))
    mask = np.ones_like(y, dtype=bool)
    mask[:4, 0] = False
    masked_shift, _ = Gaussian().marginal_units(y, mask=mask)
    assert masked_shift[0] == pytest.approx(y[4:, 0].mean())
    log_shift, log_unit = LogNormal().marginal_units(np.exp(y[4:]))
    np.testing.assert_allclose(log_shift, y[4:].mean(axis=0))
    assert Gaussian().marginal_units(np.ones((5, 1)))[1][0] == 1.0  # no spread


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_missing_targets_are_left_out_of_the_units():
    X, y = _data()
    Y = np.column_stack([y, 100 * y])
    Y[:10, 1] = np.nan
    reg = _fit(Gaussian(), X, Y)
    _, unit = reg._target_units
    assert unit[1] == pytest.approx(100 * np.std(y[10:]))
    assert np.all(np.isfinite(reg.log_likelihood(X, Y)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_refuses_units_taken_for_another_transform_of_y():
    X, y = _data(n=100, positive=True)
    reg = _fit(Gaussian(), X, y, warm_start=True)
    with pytest.raises(ValueError, match=r"(?s)noise=.*warm_start=False"):
        reg.set_params(noise=LogNormal()).fit(X, y)
    streamed = MLPLikelihoodRegressor(noise=LogNormal(), hidden_layer_sizes=(8,),
                                      random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="noise model of log y"):
        streamed.set_params(noise=Gaussian()).partial_fit(X, y)
    # the same transform keeps the units and continues
    reg.set_params(noise=Laplace()).fit(X, y)
    assert np.all(np.isfinite(reg.predict(X)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("noise", RESCALABLE, ids=repr)
def test_targets_of_small_spread_fit_as_standardised_ones(noise):
    # the scale floors act in the network's units, not in y's
    X, y = _data(n=200, positive=isinstance(noise, LogNormal))
    y = y + 3  # spread small against the level once multiplied by c
    factors = [1e-4, 1e-8] if noise.scale == "mle" else [1e-4]
    plain = _fit(noise, X, y).log_likelihood(X, y).mean()
    for c in factors:
        small = _fit(noise, X, c * y).log_likelihood(X, c * y).mean() + np.log(c)
        assert small == pytest.approx(plain, abs=1e-6), c


def test_early_stopping_auto_resolves_off_for_lbfgs():
    # lbfgs holds no rows out, so "auto" must not say that it stops early
    learned = Gaussian(scale="learned")
    adam = MLPLikelihoodRegressor()
    lbfgs = MLPLikelihoodRegressor(solver="lbfgs")
    assert adam._early_stopping(learned, 100, incremental=False)
    assert not lbfgs._early_stopping(learned, 100, incremental=False)
    X, y = _data(n=60)
    reg = _fit(learned, X, y, solver="lbfgs")
    assert reg.validation_scores_ is None and not reg._training_state.early_stopping


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("noise, params, step", [
    (Gaussian(scale="learned"), {}, 0.02),  # adam, stopping early
    (Gaussian(), {}, 0.001),  # no early stopping
    (Gaussian(), {"early_stopping": True}, 0.02),
    (Gaussian(scale="learned"), {"solver": "sgd"}, 0.001),
    (Gaussian(scale="learned"), {"learning_rate_init": 0.05}, 0.05),
], ids=["learned", "fixed", "fixed-early-stopping", "sgd", "given"])
def test_learning_rate_auto_is_larger_when_stopping_early(noise, params, step):
    X, y = _data()
    assert _fit(noise, X, y, **params)._optimizer.learning_rate_init == step


def test_learning_rate_init_and_weight_averaging_are_validated():
    X, y = _data(n=50)
    for params in ({"learning_rate_init": "fast"}, {"learning_rate_init": 0.0}):
        with pytest.raises(InvalidParameterError, match="learning_rate_init"):
            MLPLikelihoodRegressor(**params).fit(X, y)
    for decay in (1.0, -0.1):
        with pytest.raises(InvalidParameterError, match="weight_averaging"):
            MLPLikelihoodRegressor(weight_averaging=decay).fit(X, y)
