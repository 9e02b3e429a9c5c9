"""The regressor's two-stage fit of a learned scale (``location_first``) and the
"auto" patience and epoch budget of a fit that stops early."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skae import MLPLikelihoodRegressor
from skae.noise import Gaussian, Laplace, LogNormal, StudentT

LEARNED = [Gaussian(scale="learned"), Laplace(scale="learned"), StudentT(),
           StudentT(df="learned"), LogNormal(scale="learned")]


def _data(n=300, seed=0, positive=False):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(2 * X[:, 0]) + (0.1 + 0.5 * np.abs(X[:, 0])) * rng.normal(size=n)
    return X, np.exp(y) if positive else y


def _fit(noise, X, y, **params):
    params = dict(hidden_layer_sizes=(16,), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPLikelihoodRegressor(noise=noise, **params).fit(X, y)


def _scale_spread(reg, X):
    scale = reg.predict_params(X)["scale"]
    return np.ptp(scale) / scale.mean()


@pytest.mark.parametrize("noise", LEARNED, ids=repr)
def test_the_first_stage_fits_one_constant_scale(noise):
    # max_iter=1: one epoch of the first stage, whose best epoch the fit returns
    X, y = _data(positive=isinstance(noise, LogNormal))
    first_stage = _fit(noise, X, y, max_iter=1)
    assert first_stage._training_state.early_stopping
    assert _scale_spread(first_stage, X) == 0
    np.testing.assert_array_equal(first_stage.coefs_[-1][:, 1:], 0)
    # the location did train, and a one-stage fit's scale varies from the first epoch
    assert np.ptp(first_stage.predict(X)) > 0
    one_stage = _fit(noise, X, y, max_iter=1, location_first=False)
    assert _scale_spread(one_stage, X) > 1e-3


def test_the_second_stage_lets_the_scale_vary_with_x():
    X, y = _data()
    reg = _fit(Gaussian(scale="learned"), X, y, max_iter=60, n_iter_no_change=np.inf)
    assert reg.n_iter_ == 60
    assert _scale_spread(reg, X) > 0.5  # the true sd spreads 0.1 .. 1.1
    scale = reg.predict_params(X)["scale"]
    assert np.corrcoef(scale, np.abs(X[:, 0]))[0, 1] > 0.8


@pytest.mark.parametrize("params", [
    {"early_stopping": False},  # no validation score to tell the plateau
    {"solver": "lbfgs"},
    {"location_first": False},
], ids=["no-early-stopping", "lbfgs", "off"])
def test_fits_in_one_stage_otherwise(params):
    X, y = _data()
    reg = _fit(Gaussian(scale="learned"), X, y, max_iter=1, **params)
    assert _scale_spread(reg, X) > 1e-3


def test_partial_fit_and_warm_start_continue_in_one_stage():
    X, y = _data()
    reg = MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), hidden_layer_sizes=(16,),
                                 random_state=0).partial_fit(X, y)
    assert _scale_spread(reg, X) > 1e-3
    warm = _fit(Gaussian(scale="learned"), X, y, max_iter=1)
    assert _scale_spread(warm, X) == 0
    # (without early stopping, which would go on from the first fit's best epoch)
    warm.set_params(warm_start=True, max_iter=3, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    assert _scale_spread(warm, X) > 1e-3


def test_fixed_scale_models_are_not_staged():
    X, y = _data()
    reg = _fit(Gaussian(), X, y, max_iter=3, early_stopping=True)
    assert not np.any(reg.coefs_[-1] == 0)


@pytest.mark.parametrize("early_stopping, max_iter, patience", [
    (True, 500, 50), (False, 200, 10),
])
def test_auto_budget_and_patience_are_longer_when_stopping_early(early_stopping, max_iter,
                                                                  patience):
    reg = MLPLikelihoodRegressor()
    assert reg._max_iter(early_stopping) == max_iter
    assert reg._n_iter_no_change(early_stopping) == patience
    given = MLPLikelihoodRegressor(max_iter=7, n_iter_no_change=3)
    assert (given._max_iter(early_stopping), given._n_iter_no_change(early_stopping)) == (7, 3)
    lbfgs = MLPLikelihoodRegressor(solver="lbfgs")
    assert (lbfgs._max_iter(early_stopping), lbfgs._n_iter_no_change(early_stopping)) == (
        200, 10)


def test_a_learned_scale_stops_early_with_the_long_patience():
    X, y = _data()
    reg = _fit(Gaussian(scale="learned"), X, y)
    assert reg.n_iter_ < 500
    # stopped by the patience of the second stage: 50 epochs past its best
    scores = np.asarray(reg.validation_scores_)
    assert len(scores) - 1 - np.argmax(scores) == 51


def test_auto_budget_and_location_first_are_validated():
    X, y = _data(n=50)
    for params in ({"max_iter": "long"}, {"n_iter_no_change": "auto-ish"},
                   {"n_iter_no_change": 0}, {"location_first": "yes"}):
        name = next(iter(params))
        with pytest.raises(InvalidParameterError, match=name):
            MLPLikelihoodRegressor(**params).fit(X, y)
