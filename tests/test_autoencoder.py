"""AutoEncoder: the acceptance figures on digits, the sklearn contract, and input checks."""

import functools
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skae import AutoEncoder, VariationalAutoEncoder
from skae.noise import Gaussian, Laplace


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=360,
                                                        random_state=0)
    return X_train, X_test, y_train, y_test


def _reconstruction_mse(model, X):
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


def _quiet():
    warnings.simplefilter("ignore", ConvergenceWarning)


# The contract tests below run on every transformer built on the autoencoder's layers
# (the VAE's scores with few importance draws: the tests check the contract, not the
# estimate).
ESTIMATORS = pytest.mark.parametrize("Estimator", [
    AutoEncoder,
    pytest.param(functools.partial(VariationalAutoEncoder, n_importance_samples=20),
                 id="VariationalAutoEncoder"),
])


# ---------------------------------------------------------------- acceptance figures
def test_linear_autoencoder_reaches_pca(digits):
    X_train, X_test, *_ = digits
    pca = PCA(n_components=8).fit(X_train)
    ae = AutoEncoder(n_components=8, hidden_layer_sizes=(), activation="identity",
                     max_iter=500, random_state=0).fit(X_train)
    ratio = _reconstruction_mse(ae, X_test) / _reconstruction_mse(pca, X_test)
    assert ratio <= 1.02, ratio


@pytest.mark.parametrize("random_state", range(5))
def test_relu_autoencoder_beats_pca_for_every_seed(digits, random_state):
    X_train, X_test, *_ = digits
    pca_mse = _reconstruction_mse(PCA(n_components=2).fit(X_train), X_test)
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=2, hidden_layer_sizes=(128,), max_iter=500,
                         random_state=random_state).fit(X_train)
    # at least 25% lower held-out MSE: no collapse to the mean image
    assert _reconstruction_mse(ae, X_test) <= 0.75 * pca_mse


def test_pipeline_grid_search_over_code_size_and_noise(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = Pipeline([
        ("ae", AutoEncoder(hidden_layer_sizes=(32,), max_iter=30, random_state=0)),
        ("clf", LogisticRegression(max_iter=500)),
    ])
    grid = {"ae__n_components": [2, 8], "ae__noise": ["gaussian", "bernoulli"]}
    with warnings.catch_warnings():
        _quiet()
        search = GridSearchCV(pipe, grid, cv=2).fit(X_train[:600], y_train[:600])
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.best_params_["ae__n_components"] == 8
    assert search.score(X_test, y_test) > 0.8


# ---------------------------------------------------------- likelihood and scores
def test_gaussian_scale_is_ml_estimate_shared_by_features(digits):
    X_train, *_ = digits
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=4, hidden_layer_sizes=(16,), max_iter=20,
                         random_state=0).fit(X_train)
    residual = ae.inverse_transform(ae.transform(X_train)) - X_train
    assert np.isclose(ae.noise_.scale, np.sqrt(np.mean(residual**2)))
    assert ae.noise == "gaussian"  # the parameter is untouched
    # score_samples is the exact Gaussian log-density at that scale
    from scipy.stats import norm
    expected = norm(ae.inverse_transform(ae.transform(X_train[:5])),
                    ae.noise_.scale).logpdf(X_train[:5]).sum(axis=1)
    np.testing.assert_allclose(ae.score_samples(X_train[:5]), expected, rtol=1e-10)
    assert ae.score(X_train) == pytest.approx(ae.score_samples(X_train).mean())


def test_learned_scale_gives_higher_likelihood_than_unit_variance(digits):
    X_train, X_test, *_ = digits
    with warnings.catch_warnings():
        _quiet()
        fixed = AutoEncoder(n_components=4, hidden_layer_sizes=(32,), max_iter=40,
                            random_state=0).fit(X_train)
    unit = Gaussian(scale=1.0).log_likelihood(
        X_test, fixed._forward(fixed._validate_X(X_test))).mean()
    assert fixed.score(X_test) > unit  # the ML scale is honest, not unit variance


def test_bernoulli_inverse_transform_is_probabilities(digits):
    X_train, X_test, *_ = digits
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=4, noise="bernoulli", max_iter=10,
                         random_state=0).fit(X_train)
    probabilities = ae.inverse_transform(ae.transform(X_test))
    assert probabilities.min() >= 0 and probabilities.max() <= 1
    assert np.all(ae.score_samples(X_test) < 0)


def test_categorical_autoencoder_on_one_hot_rows():
    rng = np.random.RandomState(0)
    X = np.eye(5)[rng.randint(5, size=200)]
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=2, noise="categorical", hidden_layer_sizes=(16,),
                         learning_rate_init=0.01, max_iter=300, random_state=0).fit(X)
    reconstruction = ae.inverse_transform(ae.transform(X))
    np.testing.assert_allclose(reconstruction.sum(axis=1), 1, rtol=1e-6)
    assert np.mean(reconstruction.argmax(axis=1) == X.argmax(axis=1)) > 0.9


# -------------------------------------------------------------- sklearn contract
@ESTIMATORS
def test_float32_in_float32_out_without_float64_parameters(Estimator, digits):
    X32 = digits[0].astype(np.float32)
    with warnings.catch_warnings():
        _quiet()
        ae = Estimator(n_components=3, max_iter=3, random_state=0).fit(X32)
    assert ae.coefs_[0].dtype == np.float32
    assert ae.transform(X32).dtype == np.float32
    assert ae.inverse_transform(ae.transform(X32)).dtype == np.float32
    assert ae.score_samples(X32).dtype == np.float32


@ESTIMATORS
def test_same_random_state_same_result(Estimator, digits):
    X_train, X_test, *_ = digits
    with warnings.catch_warnings():
        _quiet()
        a = Estimator(max_iter=5, random_state=3).fit(X_train).transform(X_test)
        b = Estimator(max_iter=5, random_state=3).fit(X_train).transform(X_test)
        c = Estimator(max_iter=5, random_state=4).fit(X_train).transform(X_test)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@ESTIMATORS
def test_sparse_input_matches_dense(Estimator, digits):
    X = digits[0][:300]
    with warnings.catch_warnings():
        _quiet()
        dense = Estimator(max_iter=5, random_state=0).fit(X)
        sparse = Estimator(max_iter=5, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(X)), dense.transform(X),
                               rtol=1e-10)
    np.testing.assert_allclose(sparse.score_samples(sp.csr_matrix(X)),
                               dense.score_samples(X), rtol=1e-10)


def test_dataframe_in_and_pandas_output(digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(digits[0][:200], columns=[f"px{i}" for i in range(64)])
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(n_components=3, max_iter=3, random_state=0).set_output(
            transform="pandas").fit(X)
    codes = ae.transform(X)
    assert list(codes.columns) == ["autoencoder0", "autoencoder1", "autoencoder2"]
    assert list(ae.feature_names_in_) == list(X.columns)
    assert list(ae.get_feature_names_out()) == list(codes.columns)


@ESTIMATORS
def test_pickle_round_trip_keeps_flat_parameter_views(Estimator, digits):
    X = digits[0][:200]
    with warnings.catch_warnings():
        _quiet()
        ae = Estimator(max_iter=3, random_state=0).fit(X)
    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))
    assert all(np.shares_memory(W, restored._network.theta) for W in restored.coefs_)


@ESTIMATORS
def test_partial_fit_runs_one_epoch_each_call(Estimator, digits):
    X = digits[0][:300]
    ae = Estimator(max_iter=50, random_state=0)
    for _ in range(3):
        ae.partial_fit(X)
    assert ae.n_iter_ == 1 and len(ae.loss_curve_) == 3 and ae.t_ == 3 * 300
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    with pytest.raises(AttributeError, match="partial_fit"):
        Estimator(solver="lbfgs").partial_fit(X)


@ESTIMATORS
def test_warm_start_continues_training(Estimator, digits):
    X = digits[0][:300]
    with warnings.catch_warnings():
        _quiet()
        ae = Estimator(max_iter=5, warm_start=True, random_state=0).fit(X)
        first = ae.loss_curve_[-1]
        ae.fit(X)
    # n_iter_ counts the epochs of the last fit, as scikit-learn's MLP; the curve goes on
    assert ae.n_iter_ == 5 and len(ae.loss_curve_) == 10 and ae.loss_curve_[-1] < first


def test_early_stopping_uses_validation_likelihood(digits):
    X = digits[0]
    ae = AutoEncoder(n_components=2, early_stopping=True, max_iter=300,
                     n_iter_no_change=3, tol=1e-2, random_state=0).fit(X)
    assert ae.n_iter_ < 300
    assert len(ae.validation_scores_) == ae.n_iter_
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    assert ae.best_loss_ is None


def test_sample_weight_acts_as_repeated_rows():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20, 6))
    weights = rng.randint(0, 4, size=20)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0)
    with warnings.catch_warnings():
        _quiet()
        weighted = AutoEncoder(**params).fit(X, sample_weight=weights)
        repeated = AutoEncoder(**params).fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(weighted.transform(X), repeated.transform(X), rtol=1e-6)
    np.testing.assert_allclose(weighted.noise_.scale, repeated.noise_.scale, rtol=1e-6)


@ESTIMATORS
def test_divergence_stops_with_finite_parameters(Estimator):
    X = np.random.RandomState(0).normal(size=(100, 5)) * 1e3
    ae = Estimator(solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        ae.fit(X)
    assert all(np.isfinite(W).all() for W in ae.coefs_)
    assert np.isfinite(ae.transform(X)).all()
    assert np.isfinite(ae.noise_.scale) and np.isfinite(ae.score(X))


# ------------------------------------------------------------------- bad input
def test_infinite_input_is_rejected():
    # NaN is a missing entry (tests/test_missing.py); infinity is an error
    X = np.ones((10, 3))
    X[2, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        AutoEncoder().fit(X)


@ESTIMATORS
def test_wrong_number_of_features_at_transform(Estimator, digits):
    with warnings.catch_warnings():
        _quiet()
        ae = Estimator(max_iter=2, random_state=0).fit(digits[0])
    with pytest.raises(ValueError, match="64 features"):
        ae.transform(digits[0][:, :10])
    with pytest.raises(ValueError, match="n_components=2"):
        ae.inverse_transform(np.zeros((3, 5)))


def test_bernoulli_rejects_data_outside_unit_interval(digits):
    with pytest.raises(ValueError, match=r"Bernoulli.*\[0, 1\].*: 2.0, 3.0, 4.0, 5.0, 6.0 and"):
        AutoEncoder(noise="bernoulli").fit(digits[0] * 16)


def test_poisson_rejects_negative_data():
    with pytest.raises(ValueError, match="Negative values.*Poisson.*-1"):
        AutoEncoder(noise="poisson").fit(np.array([[1.0, 2.0], [-1.0, 0.0]]))


@pytest.mark.parametrize("params", [
    {"n_components": 0}, {"noise": "gauss"}, {"activation": "sigmoid"},
    {"solver": "rmsprop"}, {"alpha": -1.0}, {"batch_size": 0}, {"max_iter": 0},
    {"learning_rate_init": 0.0}, {"validation_fraction": 1.0},
])
def test_invalid_hyperparameters_raise_invalid_parameter_error(params):
    with pytest.raises(InvalidParameterError):
        AutoEncoder(**params).fit(np.ones((10, 3)))


def test_bad_hidden_layer_sizes():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        AutoEncoder(hidden_layer_sizes=(8, 0)).fit(np.ones((10, 3)))


def test_noise_instances_are_not_modified():
    noise = Laplace()
    with warnings.catch_warnings():
        _quiet()
        ae = AutoEncoder(noise=noise, max_iter=2, random_state=0).fit(np.random.rand(30, 4))
    assert noise.scale == "mle" and ae.noise_ is not noise
    assert isinstance(ae.noise_.scale, float)


# ------------------------------------------------------------------- main job
def test_main_job_runs_and_compares_with_pca():
    result = subprocess.run(
        [sys.executable, "-m", "skae", "--epochs", "3", "--n-components", "4"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert "AutoEncoder (bernoulli)" in result.stdout
    assert "PCA (4)" in result.stdout
    assert "epoch    3/3" in result.stdout


def test_main_job_help():
    result = subprocess.run([sys.executable, "-m", "skae", "--help"], capture_output=True,
                            text=True, timeout=60, check=True)
    assert "--noise" in result.stdout and "--n-components" in result.stdout
    assert "--learning-rate" in result.stdout


def test_main_job_refuses_a_nonpositive_learning_rate():
    result = subprocess.run([sys.executable, "-m", "skae", "--learning-rate", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--learning-rate" in result.stderr


def test_a_refit_refused_by_validation_leaves_the_fitted_model_as_it_was():
    rng = np.random.default_rng(21)
    X5, X3 = rng.uniform(size=(40, 5)), rng.uniform(size=(40, 3))
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(4,), max_iter=3,
                     random_state=0).fit(X5)
    codes = ae.transform(X5)
    ae.set_params(corruption="mask", corruption_level=1.5)
    with pytest.raises(ValueError, match="corruption_level"):
        ae.fit(X3)
    assert ae.n_features_in_ == 5
    np.testing.assert_array_equal(ae.transform(X5), codes)
    ae.set_params(corruption=None, noise="bernoulli")
    with pytest.raises(ValueError, match="Bernoulli"):
        ae.fit(X3 + 1.0)  # outside Bernoulli's support
    np.testing.assert_array_equal(ae.transform(X5), codes)
