"""Denoising: corruption of training inputs only, each corruption's statistics."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoEncoder
from skae._corruption import Corruption, check_corruption
from skae._training import Data


def _unit_data(rng, shape=(400, 50)):
    return rng.uniform(0.1, 0.9, size=shape)


def test_masking_zeroes_the_given_fraction_of_entries():
    rng = np.random.RandomState(0)
    X = _unit_data(rng)
    corrupted = Corruption("mask", 0.3)(X, np.random.RandomState(1))
    zeroed = corrupted == 0
    assert zeroed.mean() == pytest.approx(0.3, abs=0.01)
    np.testing.assert_array_equal(corrupted[~zeroed], X[~zeroed])


def test_gaussian_corruption_adds_noise_of_the_given_sd():
    rng = np.random.RandomState(0)
    X = _unit_data(rng)
    difference = Corruption("gaussian", 0.2)(X, np.random.RandomState(1)) - X
    assert difference.mean() == pytest.approx(0.0, abs=0.005)
    assert difference.std() == pytest.approx(0.2, rel=0.02)


def test_salt_and_pepper_uses_the_training_range():
    rng = np.random.RandomState(0)
    X = _unit_data(rng)
    corruption = Corruption.fit("salt_and_pepper", 0.2, X)
    assert (corruption.low, corruption.high) == (X.min(), X.max())
    corrupted = corruption(X, np.random.RandomState(1))
    changed = corrupted != X
    assert changed.mean() == pytest.approx(0.2, abs=0.01)
    assert set(np.unique(corrupted[changed])) == {X.min(), X.max()}
    high = corrupted[changed] == X.max()
    assert high.mean() == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("kind", ["mask", "hide", "gaussian", "salt_and_pepper"])
def test_corruption_keeps_float32_reads_sparse_and_is_seeded(kind):
    rng = np.random.RandomState(0)
    X = _unit_data(rng, (30, 8)).astype(np.float32)
    X[X < 0.3] = 0
    corruption = Corruption.fit(kind, 0.3, sp.csr_matrix(X))
    dense = corruption(X, np.random.RandomState(5))
    from_sparse = corruption(sp.csr_matrix(X), np.random.RandomState(5))
    assert dense.dtype == np.float32 and from_sparse.dtype == np.float32
    np.testing.assert_array_equal(dense, from_sparse)
    assert not np.array_equal(dense, corruption(X, np.random.RandomState(6)))


@pytest.mark.parametrize("kind", ["mask", "gaussian", "salt_and_pepper"])
def test_missing_entries_stay_missing(kind):
    X = np.full((50, 4), 0.5)
    X[::3, 1] = np.nan
    corrupted = Corruption(kind, 0.5)(X, np.random.RandomState(0))
    np.testing.assert_array_equal(np.isnan(corrupted), np.isnan(X))


@pytest.mark.parametrize("kind, level, match", [
    ("mask", 1.0, "fraction of entries"),
    ("hide", 1.0, "fraction of entries"),
    ("salt_and_pepper", 1.5, "fraction of entries"),
    ("gaussian", -0.1, "corruption_level"),
    ("blur", 0.1, "corruption must be"),
])
def test_check_corruption_names_the_parameter(kind, level, match):
    with pytest.raises(ValueError, match=match):
        check_corruption(kind, level)


def test_estimator_rejects_bad_corruption_parameters():
    X = np.random.RandomState(0).uniform(size=(20, 3))
    with pytest.raises(ValueError, match="corruption_level.*fraction of entries"):
        AutoEncoder(corruption="mask", corruption_level=1.0, max_iter=1).fit(X)
    with pytest.raises(InvalidParameterError, match="corruption"):
        AutoEncoder(corruption="blur", max_iter=1).fit(X)
    with pytest.raises(InvalidParameterError, match="corruption_level"):
        AutoEncoder(corruption="gaussian", corruption_level=-1.0, max_iter=1).fit(X)


@pytest.mark.parametrize("params, match", [
    (dict(corruption="mask"), "corruption='mask'"),
    (dict(contraction=0.1, hidden_layer_sizes=(4,)), "contraction"),
])
def test_lbfgs_refuses_random_training_terms(params, match):
    X = np.random.RandomState(0).uniform(size=(20, 3))
    with pytest.raises(ValueError, match=match):
        AutoEncoder(solver="lbfgs", max_iter=2, **params).fit(X)
    exact = AutoEncoder(solver="lbfgs", hidden_layer_sizes=(), contraction=0.1, max_iter=5)
    assert np.isfinite(exact.fit(X).loss_)


def _fitted(**params):
    X = np.random.RandomState(0).uniform(size=(60, 6))
    ae = AutoEncoder(n_components=3, hidden_layer_sizes=(8,), noise="bernoulli",
                     max_iter=3, random_state=0, **params)
    return ae.fit(X), X


def test_training_loss_is_the_clean_rows_likelihood_given_corrupted_inputs():
    ae, X = _fitted(corruption="mask", corruption_level=0.5)
    objective = ae._make_objective(ae._network, ae.noise_)
    objective.random_state = np.random.RandomState(3)
    loss = objective.loss_and_grad(Data(X))
    corrupted = objective.corruption(X, np.random.RandomState(3))
    raw = ae._network.forward(corrupted)[-1]
    clean_nll = -ae.noise_.log_likelihood(X, raw).mean()
    corrupted_nll = -ae.noise_.log_likelihood(corrupted, raw).mean()
    penalty = 0.5 * ae.alpha * np.sum(ae._network.theta[: ae._network.n_weights] ** 2) / len(X)
    # the Bernoulli NLL has no constant term, so the loss is the clean rows' NLL exactly
    assert loss == pytest.approx(clean_nll + penalty)
    assert abs(loss - corrupted_nll - penalty) > 1e-3


def test_inference_sees_clean_inputs_and_is_deterministic():
    ae, X = _fitted(corruption="salt_and_pepper", corruption_level=0.4)
    codes = ae.transform(X)
    np.testing.assert_array_equal(codes, ae.transform(X))
    np.testing.assert_allclose(codes, ae._network.forward(X, stop=ae._code_layer)[-1])
    np.testing.assert_array_equal(ae.score_samples(X), ae.score_samples(X))


def test_changed_corruption_parameters_leave_a_fitted_model_usable():
    ae, X = _fitted(corruption="mask", corruption_level=0.3)
    codes = ae.transform(X)
    ae.set_params(corruption_level=5.0)
    np.testing.assert_array_equal(ae.transform(X), codes)
    ae.set_params(corruption_level=None)
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert np.isfinite(ae.score(X))
    with pytest.raises(ValueError, match="corruption_level"):
        ae.fit(X)


def test_salt_and_pepper_values_come_from_the_data_fit_started_on():
    X = np.random.RandomState(0).uniform(0.2, 0.7, size=(30, 4))
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(), corruption="salt_and_pepper",
                     max_iter=2, warm_start=True, random_state=0).fit(X)
    assert ae._corruption_range == (X.min(), X.max())
    ae.fit(X * 2)
    assert ae._corruption_range == (X.min(), X.max())
    assert ae._make_objective(ae._network, ae.noise_).corruption.high == X.max()
    # a fresh fit without it forgets that range: a warm start on another corruption
    # later starts from the data of the fit it warms
    Y = X + 1.0
    ae.set_params(warm_start=False, corruption=None).fit(Y)
    ae.set_params(warm_start=True, corruption="salt_and_pepper").fit(Y)
    assert ae._corruption_range == (Y.min(), Y.max())


def test_fit_noise_does_not_check_what_only_training_uses():
    ae, X = _fitted(corruption="mask", corruption_level=0.3)
    ae.set_params(solver="lbfgs", corruption_level=5.0)
    ae.fit_noise(X)
    assert np.isfinite(ae.score(X))
    with pytest.raises(ValueError, match="lbfgs|corruption_level"):
        ae.fit(X)
    plain, X = _fitted()
    plain.set_params(corruption="salt_and_pepper").fit_noise(X[::2])
    assert not hasattr(plain, "_corruption_range")  # the range is fit's to take


def test_corruption_changes_training():
    plain, X = _fitted()
    denoising, _ = _fitted(corruption="gaussian", corruption_level=0.3)
    assert not np.allclose(plain.transform(X), denoising.transform(X))


@pytest.mark.parametrize("kind", ["mask", "gaussian", "salt_and_pepper"])
def test_denoising_trains_on_sparse_float32_input(kind):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 6)).astype(np.float32)
    X[X < 0.5] = 0
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(5,), corruption=kind,
                     corruption_level=0.2, max_iter=3, random_state=0)
    codes = ae.fit(sp.csr_matrix(X)).transform(sp.csr_matrix(X))
    assert codes.dtype == np.float32 and np.isfinite(codes).all()
    assert ae._network.dtype == np.float32


def _sample_weight_varies_with_draws(estimator):
    # weighted rows and repeated rows see different corruption draws
    reason = "repeated rows are corrupted by different draws than one weighted row"
    return {"check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason}


@parametrize_with_checks(
    [AutoEncoder(corruption="gaussian", corruption_level=0.1, hidden_layer_sizes=(16,),
                 max_iter=50, random_state=0)],
    expected_failed_checks=_sample_weight_varies_with_draws)
def test_denoising_autoencoder_is_sklearn_compatible(estimator, check):
    check(estimator)
