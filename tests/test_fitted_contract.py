"""What a scikit-learn user expects of fitted skae estimators, defect by defect.

Each test pins down a behaviour that ``MLPRegressor`` or ``PCA`` users rely on and that
skae once got wrong: errors that name the parameter, fitted attributes, the fitted
structure surviving ``set_params``, interrupted fits, and scores that are exact
log-likelihoods (``-inf`` outside the support, never NaN).
"""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skae import AutoEncoder, MLPLikelihoodRegressor, log_likelihood_scorer
from skae._objective import Objective
from skae.noise import Categorical, Gaussian, LogNormal, resolve_noise


def _digits(n=400):
    return load_digits().data[:n] / 16


def _quiet():
    warnings.simplefilter("ignore", ConvergenceWarning)


# ------------------------------------------------------------------ partial_fit
@pytest.mark.parametrize("after_fit", [False, True])
@pytest.mark.parametrize("Estimator", [AutoEncoder, MLPLikelihoodRegressor])
def test_partial_fit_with_early_stopping_raises_naming_it(Estimator, after_fit):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    est = Estimator(hidden_layer_sizes=(4,), max_iter=5, early_stopping=True, random_state=0)
    if after_fit:
        with warnings.catch_warnings():
            _quiet()
            est.fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        est.partial_fit(X, y)


# ------------------------------------------------------------ fitted attributes
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_fitted_attributes_of_mlp_regressor_are_all_there(solver):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(80, 3)), rng.normal(size=(80, 2))
    with warnings.catch_warnings():
        _quiet()
        reg = MLPLikelihoodRegressor(hidden_layer_sizes=(5, 4), solver=solver, max_iter=7,
                                     random_state=0).fit(X, y)
    assert reg.n_layers_ == 4 and reg.n_outputs_ == 2
    assert np.isfinite(reg.loss_) and reg.loss_ == pytest.approx(reg.loss_curve_[-1])
    assert np.isfinite(reg.best_loss_) and reg.best_loss_ <= reg.loss_curve_[0]


def test_autoencoder_counts_layers_and_outputs():
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        _quiet()
        ae.fit(_digits())
    assert ae.n_layers_ == 5 and ae.n_outputs_ == 64 and np.isfinite(ae.loss_)


def test_loss_is_half_squared_error_without_constants():
    # the training loss leaves out log(2 pi) / 2: for the default Gaussian it is the
    # squared error / 2 (plus the penalty), as scikit-learn's MLP reports it (in the
    # targets' own units without target scaling)
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(100, 3)), 3 + 2 * rng.normal(size=100)
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(), solver="lbfgs", alpha=0.0,
                                 target_scaling=False).fit(X, y)
    assert reg.loss_ == pytest.approx(0.5 * np.mean((reg.predict(X) - y) ** 2), rel=1e-6)


# ------------------------------------------------------- the fitted structure
def test_inference_uses_the_fitted_structure_after_set_params():
    X = _digits()
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=3, hidden_layer_sizes=(16,), max_iter=3,
                         random_state=0).fit(X)
    codes = ae.transform(X)
    ae.set_params(hidden_layer_sizes=(16, 8, 4), n_components=5)
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert len(ae.get_feature_names_out()) == 3
    assert ae.inverse_transform(codes).shape == X.shape


@pytest.mark.parametrize("change", [dict(n_components=4), dict(hidden_layer_sizes=(7,)),
                                    dict(activation="tanh")])
def test_warm_start_refuses_a_changed_structure(change):
    X = _digits()
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=8, hidden_layer_sizes=(16,), max_iter=2,
                         warm_start=True, random_state=0).fit(X)
        with pytest.raises(ValueError, match="structure changed.*warm_start=False"):
            ae.set_params(**change).fit(X)
        # a fresh fit with the new structure works, and agrees with its feature names
        ae.set_params(warm_start=False).fit(X)
    assert ae.transform(X).shape[1] == len(ae.get_feature_names_out())


# ------------------------------------------------------------ non-finite fits
def test_non_finite_autoencoder_fit_raises_like_scikit_learn():
    X = 1e308 * np.random.RandomState(0).uniform(size=(50, 4))
    with warnings.catch_warnings():
        _quiet()
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
            AutoEncoder(max_iter=3, random_state=0).fit(X)


# ------------------------------------------------------------ interruptions
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_keyboard_interrupt_leaves_a_usable_model(monkeypatch, solver):
    X = _digits()
    calls = {"n": 0}
    original = Objective.loss_and_grad

    def interrupted(self, batch):
        calls["n"] += 1
        if calls["n"] > 12:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(Objective, "loss_and_grad", interrupted)
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), solver=solver, random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        ae.fit(X)
    assert np.isfinite(ae.score_samples(X)).all()
    assert np.isfinite(ae.noise_.scale) and ae.transform(X).shape == (400, 2)


# -------------------------------------------------------------- memory
def test_no_training_buffer_outlives_its_model():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2000, 100))
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        with warnings.catch_warnings():
            _quiet()
            ae = AutoEncoder(n_components=2, hidden_layer_sizes=(200,), batch_size=2000,
                             max_iter=2, random_state=0).fit(X)
        del ae
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    # a batch's relu zeros alone are 2000 x 200 x 8 bytes = 3.2 MB
    assert left < 200_000


# ------------------------------------------------------ targets and supports
def test_bernoulli_negative_data_uses_scikit_learns_wording():
    X = _digits()
    X[3, 5] = -0.25
    with pytest.raises(ValueError, match="Negative values in data.*-0.25"):
        AutoEncoder(noise="bernoulli", max_iter=1).fit(X)


def test_bernoulli_accepts_min_max_scaler_rounding():
    X = MinMaxScaler().fit_transform(load_digits().data[:300])
    X[0, 10] = np.nextafter(1.0, 2.0)  # 1.0000000000000002, as MinMaxScaler can give
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(noise="bernoulli", max_iter=2, random_state=0).fit(X)
    assert np.isfinite(ae.score_samples(X)).all()
    X[0, 10] = 1.001
    with pytest.raises(ValueError, match=r"\[0, 1\].*1\.001"):
        ae.fit(X)


def test_score_outside_the_support_is_minus_infinity():
    X = _digits()
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(noise="bernoulli", max_iter=3, random_state=0).fit(X)
    rows = X[:5].copy()
    rows[1, 7] = 50.0
    rows[3, 0] = -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = ae.score_samples(rows)
    assert scores[1] == -np.inf and scores[3] == -np.inf
    assert np.isfinite(scores[[0, 2, 4]]).all()


def test_lognormal_scores_zero_targets_minus_infinity():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    y = np.exp(X[:, 0] + 0.1 * rng.normal(size=100))
    with warnings.catch_warnings():
        _quiet()
        reg = MLPLikelihoodRegressor(noise="lognormal", max_iter=20, random_state=0).fit(X, y)
    y_test = y[:4].copy()
    y_test[2] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_likelihood = reg.log_likelihood(X[:4], y_test)
    assert log_likelihood[2] == -np.inf and np.isfinite(log_likelihood[[0, 1, 3]]).all()
    assert LogNormal().log_likelihood(np.zeros((1, 1)), np.zeros((1, 1)))[0] == -np.inf


# --------------------------------------------------- validation scores, scoring
def test_validation_scores_are_log_likelihoods_at_the_ml_scale():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        _quiet()
        reg = MLPLikelihoodRegressor(early_stopping=True, learning_rate_init=0.05,
                                     random_state=0).fit(X, y)
    held_out = reg.log_likelihood(X, y).mean()
    # at unit scale this was about -1600 per sample; y's spread puts it near -5.5
    assert -7 < reg.best_validation_score_ < -4.5
    assert abs(reg.best_validation_score_ - held_out) < 1.0


def test_log_likelihood_scorer_works_on_a_pipeline():
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    pipe = make_pipeline(StandardScaler(), MLPLikelihoodRegressor(hidden_layer_sizes=(8,),
                                                                  max_iter=30, random_state=0))
    with warnings.catch_warnings():
        _quiet()
        scores = cross_val_score(pipe, X, y, scoring=log_likelihood_scorer,
                                 cv=KFold(3, shuffle=True, random_state=0))
    assert np.isfinite(scores).all() and (scores < 0).all()


def test_categorical_predict_interval_says_what_to_use_instead():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    Y = np.eye(3)[rng.randint(3, size=60)]
    with warnings.catch_warnings():
        _quiet()
        reg = MLPLikelihoodRegressor(noise=Categorical(), max_iter=5, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="no central interval.*predict_params"):
        reg.predict_interval(X)


def test_unknown_noise_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="one of .*'bernoulli'.*'gaussian'.*got 'gausian'"):
        resolve_noise("gausian")
    assert isinstance(resolve_noise("gaussian"), Gaussian)


def test_inference_converts_the_other_float_dtype_chunk_by_chunk():
    # a float64 model given float32 data converts one chunk at a time, never the
    # whole array: peak memory stays well under the size of a float64 copy
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(100_000, 64))
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=1,
                         random_state=0).fit(X[:500])
    X32 = X.astype(np.float32)
    tracemalloc.start()
    try:
        codes = ae.transform(X32)
        scores = ae.score_samples(X32)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * X.nbytes
    assert codes.dtype == np.float64 and scores.dtype == np.float64
    np.testing.assert_allclose(codes, ae.transform(X32.astype(np.float64)))


def test_early_stopping_holds_out_rows_by_index_without_copying_them():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(100_000, 64))
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=1, early_stopping=True,
                     random_state=0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            _quiet()
            ae.fit(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * X.nbytes  # a copy of the training rows alone would be 0.9 of it
    assert len(ae.validation_scores_) == 1 and np.isfinite(ae.validation_scores_[0])


@pytest.mark.parametrize("first, second", [(False, True), (True, False)])
def test_warm_start_may_switch_early_stopping(first, second):
    X = _digits()
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=3, warm_start=True,
                         early_stopping=first, random_state=0).fit(X)
        ae.set_params(early_stopping=second).fit(X)
    assert (ae.validation_scores_ is not None) == second
    assert (ae.best_loss_ is None) == second
