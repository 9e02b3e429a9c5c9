"""skae on dask: lazy inference on dask arrays, training through dask-ml's Incremental,
and searches on a real distributed LocalCluster (two worker processes).

Skipped when the ``dask`` extra (dask, distributed, dask-ml) is not installed.
"""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae.noise import Gaussian

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
dask_ml_model_selection = pytest.importorskip("dask_ml.model_selection")
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# float32 inference block by block against in-memory inference in other row chunks
TOLERANCE = dict(rtol=1e-5, atol=1e-6)
ROW_CHUNKS = (40, 40, 40, 30)


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each: every task's inputs and the model
    travel between processes by pickle, as on a real cluster."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _data(seed, n_samples=sum(ROW_CHUNKS), n_features=6, dtype=np.float32):
    rng = np.random.RandomState(seed)
    codes = rng.normal(size=(n_samples, 2))
    X = np.tanh(codes @ rng.normal(size=(2, n_features))) / 2 + 0.5
    return (X + 0.05 * rng.normal(size=X.shape)).astype(dtype)


def _autoencoder(**params):
    defaults = dict(hidden_layer_sizes=(16,), batch_size=32, max_iter=20, random_state=0)
    return AutoEncoder(3, **{**defaults, **params})


def _explode(block):
    raise AssertionError("a block of the input was computed")


# ------------------------------------------------------------------- lazy inference
def test_autoencoder_inference_is_lazy_with_right_chunks_and_dtype(client):
    X = _data(0)
    ae = _autoencoder().fit(X)
    # two column chunks: skae joins them, since every row needs all its features
    dX = da.from_array(X, chunks=(ROW_CHUNKS, 4))

    codes = ae.transform(dX)
    scores = ae.score_samples(dX)
    reconstruction = ae.inverse_transform(codes)
    for result, columns in [(codes, (3,)), (reconstruction, (6,)), (scores, ())]:
        assert isinstance(result, da.Array)
        assert result.chunks == (ROW_CHUNKS,) + tuple((c,) for c in columns)
        assert result.dtype == np.float32

    computed = dask.compute(codes, reconstruction, scores)
    assert_allclose(computed[0], ae.transform(X), **TOLERANCE)
    assert_allclose(computed[1], ae.inverse_transform(ae.transform(X)), **TOLERANCE)
    assert_allclose(computed[2], ae.score_samples(X), **TOLERANCE)
    for value in computed:
        assert value.dtype == np.float32
    assert ae.score(dX) == pytest.approx(ae.score(X), rel=1e-5)


def test_building_the_result_computes_nothing(client):
    X = _data(1)
    ae = _autoencoder(max_iter=2).fit(X)
    reg = MLPLikelihoodRegressor((8,), max_iter=2, random_state=0).fit(X, X[:, 0])
    poisoned = da.from_array(X, chunks=(ROW_CHUNKS, 6)).map_blocks(
        _explode, dtype=X.dtype, meta=np.empty((0, 0), X.dtype))
    lazy = [ae.transform(poisoned), ae.score_samples(poisoned),
            ae.inverse_transform(poisoned[:, :3]), reg.predict(poisoned),
            *reg.predict_params(poisoned).values(),
            reg.log_likelihood(poisoned, poisoned[:, 0])]
    assert all(isinstance(result, da.Array) for result in lazy)
    with pytest.raises(AssertionError, match="was computed"):
        lazy[0].compute()


def test_result_is_the_model_at_call_time(client):
    X = _data(2)
    ae = _autoencoder(max_iter=2).fit(X)
    expected = ae.transform(X)
    lazy = ae.transform(da.from_array(X, chunks=(ROW_CHUNKS, 6)))
    ae.partial_fit(X)  # trains on before the lazy codes are computed
    assert_allclose(lazy.compute(), expected, **TOLERANCE)
    assert not np.allclose(ae.transform(X), expected)


def test_float64_model_on_float32_blocks_returns_float64(client):
    X = _data(3)
    ae = _autoencoder(max_iter=5).fit(X.astype(np.float64))
    codes = ae.transform(da.from_array(X, chunks=(ROW_CHUNKS, 6)))
    assert codes.dtype == np.float64
    assert_allclose(codes.compute(), ae.transform(X), rtol=1e-12)


def test_regressor_inference_is_lazy_with_right_chunks_and_dtype(client):
    X = _data(4)
    rng = np.random.RandomState(4)
    y = (X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=len(X))).astype(np.float32)
    reg = MLPLikelihoodRegressor((16,), noise=Gaussian(scale="learned"), max_iter=20,
                                 random_state=0).fit(X, y)
    dX = da.from_array(X, chunks=(ROW_CHUNKS, 6))
    dy = da.from_array(y, chunks=50)  # other row chunks than X: brought to X's

    mean = reg.predict(dX)
    params = reg.predict_params(dX)
    log_likelihood = reg.log_likelihood(dX, dy)
    for result in [mean, log_likelihood, *params.values()]:
        assert result.chunks == (ROW_CHUNKS,) and result.dtype == np.float32
    assert sorted(params) == ["loc", "scale"]

    mean, params, log_likelihood = dask.compute(mean, params, log_likelihood)
    assert_allclose(mean, reg.predict(X), **TOLERANCE)
    for name, value in reg.predict_params(X).items():
        assert_allclose(params[name], value, **TOLERANCE)
    assert_allclose(log_likelihood, reg.log_likelihood(X, y), **TOLERANCE)
    # targets in memory, inputs in dask
    assert_allclose(reg.log_likelihood(dX, y).compute(), reg.log_likelihood(X, y),
                    **TOLERANCE)


def test_multi_output_regressor_keeps_its_output_columns(client):
    X = _data(5)
    Y = np.column_stack([X[:, 0] + X[:, 1], X[:, 2] * X[:, 3]])
    reg = MLPLikelihoodRegressor((8,), max_iter=10, random_state=0).fit(X, Y)
    dX = da.from_array(X, chunks=(ROW_CHUNKS, 6))
    mean = reg.predict(dX)
    assert mean.chunks == (ROW_CHUNKS, (2,))
    assert reg.predict_params(dX)["scale"].chunks == (ROW_CHUNKS, (2,))
    assert_allclose(mean.compute(), reg.predict(X), **TOLERANCE)
    assert_allclose(reg.log_likelihood(dX, da.from_array(Y, chunks=60)).compute(),
                    reg.log_likelihood(X, Y), **TOLERANCE)


def test_errors_are_raised_at_call_time_not_at_compute():
    X = _data(6)
    dX = da.from_array(X, chunks=(ROW_CHUNKS, 6))
    with pytest.raises(NotFittedError):
        _autoencoder().transform(dX)
    ae = _autoencoder(max_iter=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        ae.transform(dX[:, :5])
    with pytest.raises(ValueError, match="n_components"):
        ae.inverse_transform(dX)
    reg = MLPLikelihoodRegressor((8,), max_iter=2, random_state=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="rows"):
        reg.log_likelihood(dX, X[:-1, 0])
    # methods that cannot be lazy refuse rather than load the whole array
    for method in (reg.predict_dist, reg.predict_interval, reg.sample):
        with pytest.raises(TypeError, match="dask"):
            method(dX)


# --------------------------------------------------------- training through dask-ml
def test_incremental_trains_bit_identically_to_a_partial_fit_loop(client):
    X = _data(7, n_samples=400)
    dX = da.from_array(X, chunks=100)
    inc = dask_ml_wrappers.Incremental(_autoencoder(), shuffle_blocks=False).fit(dX)

    loop = _autoencoder()
    for block in np.split(X, 4):
        loop.partial_fit(block)
    assert_array_equal(inc.estimator_._network.theta, loop._network.theta)
    assert inc.estimator_.noise_.scale == loop.noise_.scale
    assert inc.estimator_.t_ == loop.t_ == 400

    # the fitted estimator's own transform is lazy with the right shape (the wrapper's
    # transform would report the input's 6 columns)
    codes = inc.estimator_.transform(dX)
    assert codes.shape == (400, 3)
    assert_allclose(codes.compute(), loop.transform(X), **TOLERANCE)


@pytest.mark.parametrize("estimator", ["autoencoder", "regressor"])
def test_fit_noise_streams_over_the_blocks(client, estimator):
    # streaming training that skips the per-call scale pass, then the exact scale in
    # one pass over the dask blocks on the workers
    X = _data(10, n_samples=400)
    weights = np.random.RandomState(10).uniform(0.5, 2, size=len(X))
    dX = da.from_array(X, chunks=100)
    if estimator == "autoencoder":
        model, y, dy = _autoencoder(partial_fit_noise=False), None, None
        dweights = da.from_array(weights, chunks=50)  # brought to X's row chunks
    else:
        model = MLPLikelihoodRegressor((8,), partial_fit_noise=False, random_state=0)
        y = X[:, 0] - X[:, 1]
        dy, dweights = da.from_array(y, chunks=100), weights  # weights in memory
    fitted = dask_ml_wrappers.Incremental(model, shuffle_blocks=False).fit(dX, dy).estimator_

    in_memory = copy.deepcopy(fitted).fit_noise(X, y, sample_weight=weights)
    streamed = fitted.fit_noise(dX, dy, sample_weight=dweights)
    assert np.all(in_memory.noise_.scale > 0)
    assert_allclose(streamed.noise_.scale, in_memory.noise_.scale, rtol=1e-6)


def test_unaligned_blocks_train_identically():
    # blocks that dask deserializes on a worker can be unaligned in memory; training
    # gathers their batches another way, with the same result
    X = _data(11, n_samples=200)
    raw = np.empty(X.nbytes + 1, dtype=np.uint8)[1:]
    unaligned = raw.view(np.float32).reshape(X.shape)
    unaligned[:] = X
    assert not unaligned.flags.aligned
    aligned_model = _autoencoder(max_iter=3).fit(X)
    unaligned_model = _autoencoder(max_iter=3).fit(unaligned)
    assert_array_equal(unaligned_model._network.theta, aligned_model._network.theta)


def test_grid_search_on_the_dask_joblib_backend_matches_n_jobs_1(client):
    X = _data(8, n_samples=200)
    grid = {"noise": ["gaussian", "laplace"]}
    search = GridSearchCV(_autoencoder(max_iter=10), grid, cv=2)
    serial = clone(search).fit(X)
    with joblib.parallel_backend("dask"):
        on_dask = clone(search).fit(X)
    assert_allclose(on_dask.cv_results_["mean_test_score"],
                    serial.cv_results_["mean_test_score"], rtol=1e-6)
    assert on_dask.best_params_ == serial.best_params_


def test_incremental_search_with_a_placeholder_target(client):
    # dask-ml 2025.1.0's IncrementalSearchCV splits X and y with its train_test_split,
    # which fails on y=None for every estimator (scikit-learn's MiniBatchKMeans too);
    # a placeholder y, which AutoEncoder ignores, is the way through.
    X = _data(9, n_samples=300)
    dX = da.from_array(X, chunks=100)
    placeholder = da.zeros(len(X), chunks=dX.chunks[0], dtype=X.dtype)
    search = dask_ml_model_selection.IncrementalSearchCV(
        _autoencoder(), {"learning_rate_init": [1e-3, 1e-2]}, n_initial_parameters=2,
        max_iter=3, random_state=0, decay_rate=None,
    )
    search.fit(dX, placeholder)
    assert search.best_params_["learning_rate_init"] in (1e-3, 1e-2)
    assert np.isfinite(search.best_score_)
    scores = search.cv_results_["test_score"]
    assert len(scores) == 2 and np.isfinite(scores).all()
    assert search.best_estimator_.transform(dX).compute().shape == (300, 3)


def test_a_dask_dataframe_is_refused_not_computed_whole():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(31)
    X = rng.normal(size=(60, 4))
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(4,), max_iter=3,
                     random_state=0).fit(X)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    for method in (ae.transform, ae.score_samples):
        with pytest.raises(TypeError, match="to_dask_array"):
            method(frame)
    lazy = ae.transform(frame.to_dask_array(lengths=True))
    assert_allclose(lazy.compute(), ae.transform(X))
