"""Saving and loading fitted estimators: pickle, joblib and skops."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae.noise import Gaussian
from skae.utils import SKOPS_TRUSTED_TYPES


def _pickle(est):
    return pickle.loads(pickle.dumps(est))


def _joblib(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops(est):
    sio = pytest.importorskip("skops.io")
    return sio.loads(sio.dumps(est), trusted=SKOPS_TRUSTED_TYPES)


ROUND_TRIPS = [_pickle, _joblib, _skops]


def _fitted(Estimator, dtype, solver="adam"):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(120, 6)).astype(dtype)
    y = (X[:, 0] + 0.1 * rng.normal(size=120)).astype(dtype)
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=5, solver=solver, random_state=0)
    if Estimator is MLPLikelihoodRegressor:
        kwargs["noise"] = Gaussian(scale="learned")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(**kwargs).fit(X, y), X, y


def _outputs(est, X, y):
    if isinstance(est, AutoEncoder):
        return [est.transform(X), est.inverse_transform(est.transform(X)), est.score_samples(X)]
    return [est.predict(X), est.predict_params(X)["scale"], est.log_likelihood(X, y)]


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("Estimator", [AutoEncoder, MLPLikelihoodRegressor])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_round_trip_gives_identical_outputs_and_resumes_exactly(round_trip, Estimator, dtype,
                                                               solver):
    est, X, y = _fitted(Estimator, dtype, solver)
    loaded = round_trip(est)
    for before, after in zip(_outputs(est, X, y), _outputs(loaded, X, y)):
        assert after.dtype == dtype
        np.testing.assert_array_equal(after, before)
    # partial_fit continues the same optimizer and random stream
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded._network.theta, est._network.theta)


def test_a_save_holds_no_scratch_and_discarding_the_optimizer_leaves_the_parameters():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(500, 64)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = AutoEncoder(n_components=8, hidden_layer_sizes=(128,), max_iter=2,
                         random_state=0).fit(X)
    parameters = ae._network.theta.nbytes
    # parameters + Adam's two moment vectors, and no gradient, scratch or best copy
    assert len(pickle.dumps(ae)) < 3.3 * parameters
    ae.discard_optimizer_state()
    assert len(pickle.dumps(ae)) < 1.3 * parameters
    loaded = _pickle(ae)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
    loaded.partial_fit(X)  # a fresh optimizer
    assert loaded._optimizer is not None and loaded._optimizer.t == 3


def test_skops_refuses_untrusted_types_and_the_list_is_complete():
    sio = pytest.importorskip("skops.io")
    est, _, _ = _fitted(AutoEncoder, np.float64)
    data = sio.dumps(est)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(data)
