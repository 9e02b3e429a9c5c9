"""corruption="hide": observed training inputs hidden as missing, the targets clean."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoEncoder, VariationalAutoEncoder
from skae._base import observed_mask
from skae._corruption import Corruption
from skae._training import Data


def _with_missing(rng, shape, rate, low=0.1, high=0.9):
    X = rng.uniform(low, high, size=shape)
    X[rng.random_sample(shape) < rate] = np.nan
    return X


def _hiding_autoencoder(**params):
    params = {"corruption": "hide", **params}
    return AutoEncoder(n_components=3, hidden_layer_sizes=(8,), corruption_level=0.4,
                       max_iter=3, random_state=0, **params)


def test_hide_sets_a_fraction_of_the_observed_entries_to_nan():
    rng = np.random.RandomState(0)
    X = _with_missing(rng, (2000, 10), 0.1).astype(np.float32)
    before = X.copy()
    hidden = Corruption("hide", 0.3)(X, np.random.RandomState(1))
    assert hidden.dtype == np.float32
    np.testing.assert_array_equal(X, before)  # the input itself is untouched
    missing = np.isnan(X)
    assert np.isnan(hidden[missing]).all()  # a missing entry stays missing
    newly_hidden = np.isnan(hidden) & ~missing
    # about 18,000 observed entries: the rate's standard error is about 0.0034
    assert newly_hidden.sum() / (~missing).sum() == pytest.approx(0.3, abs=0.015)
    seen = ~np.isnan(hidden)
    np.testing.assert_array_equal(hidden[seen], X[seen])


def test_training_inputs_are_hidden_and_every_observed_entry_is_scored():
    rng = np.random.RandomState(0)
    X = _with_missing(rng, (60, 6), 0.2)
    ae = _hiding_autoencoder(noise="bernoulli").fit(X)
    objective = ae._make_objective(ae._network, ae.noise_)
    mask = observed_mask(X)
    objective.random_state = np.random.RandomState(3)
    loss = objective.loss_and_grad(Data(X, mask=mask))

    inputs = Corruption("hide", 0.4)(X, np.random.RandomState(3))
    hidden = np.isnan(inputs) & mask
    assert hidden.any()
    raw = ae._network.forward(ae._input_fill(inputs))[-1]
    clean_nll = -ae.noise_.log_likelihood(X, raw, mask).mean()
    seen_nll = -ae.noise_.log_likelihood(X, raw, mask & ~hidden).mean()
    unhidden_raw = ae._network.forward(ae._input_fill(X))[-1]
    unhidden_nll = -ae.noise_.log_likelihood(X, unhidden_raw, mask).mean()
    penalty = 0.5 * ae.alpha * np.sum(ae._network.theta[: ae._network.n_weights] ** 2) / len(X)
    # Bernoulli has no constant term: the loss is the NLL of every observed entry of
    # the clean rows, hidden or seen, decoded from the inputs with entries hidden
    assert loss == pytest.approx(clean_nll + penalty)
    assert abs(loss - seen_nll - penalty) > 1e-3
    assert abs(loss - unhidden_nll - penalty) > 1e-3


@pytest.mark.parametrize("missing_rate", [0.0, 0.2])
def test_hidden_inputs_are_mean_filled_with_their_indicators_set(missing_rate):
    rng = np.random.RandomState(0)
    X = _with_missing(rng, (80, 5), missing_rate)
    ae = _hiding_autoencoder().fit(X)
    # a model fitted with "hide" has indicators even when X has no NaN
    assert ae._input_fill.indicators
    assert ae._network.layer_sizes[0] == 2 * X.shape[1]
    objective = ae._make_objective(ae._network, ae.noise_)
    objective.random_state = np.random.RandomState(7)
    seen_by_network = objective.network_input(X, training=True)
    hidden = np.isnan(Corruption("hide", 0.4)(X, np.random.RandomState(7)))
    assert (hidden & ~np.isnan(X)).any()
    filled, indicators = seen_by_network[:, :5], seen_by_network[:, 5:]
    np.testing.assert_array_equal(indicators, hidden.astype(float))
    np.testing.assert_array_equal(filled, np.where(hidden, ae._input_fill.means, X))


def test_transform_and_score_samples_do_not_hide_anything():
    rng = np.random.RandomState(0)
    X = _with_missing(rng, (80, 5), 0.2)
    hiding = _hiding_autoencoder().fit(X)
    plain = _hiding_autoencoder(corruption=None).fit(X)
    plain._network.theta[:] = hiding._network.theta
    plain.noise_ = hiding.noise_
    codes = hiding.transform(X)
    np.testing.assert_array_equal(codes, hiding.transform(X))
    np.testing.assert_array_equal(codes, plain.transform(X))
    scores = hiding.score_samples(X)
    np.testing.assert_array_equal(scores, hiding.score_samples(X))
    np.testing.assert_array_equal(scores, plain.score_samples(X))
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("estimator", [
    _hiding_autoencoder(),
    VariationalAutoEncoder(n_components=2, hidden_layer_sizes=(4,), corruption="hide",
                           max_iter=2),
])
def test_hide_refuses_sparse_input_naming_the_parameter(estimator):
    X = sp.csr_matrix(np.random.RandomState(0).uniform(size=(20, 4)))
    with pytest.raises(ValueError, match="corruption='hide'.*sparse"):
        estimator.fit(X)


def test_hide_trains_in_float32_and_through_partial_fit():
    X = _with_missing(np.random.RandomState(0), (60, 5), 0.0).astype(np.float32)
    ae = _hiding_autoencoder()
    for _ in range(3):
        ae.partial_fit(X)
    assert ae._input_fill.indicators and ae._network.dtype == np.float32
    assert ae._input_fill.means.dtype == np.float32
    codes = ae.transform(X)
    assert codes.dtype == np.float32 and np.isfinite(codes).all()
    assert np.isfinite(ae.loss_)


def test_variational_autoencoder_hides_encoder_inputs():
    X = _with_missing(np.random.RandomState(0), (60, 5), 0.1).astype(np.float32)
    vae = VariationalAutoEncoder(n_components=2, hidden_layer_sizes=(6,), corruption="hide",
                                 corruption_level=0.3, max_iter=3, n_importance_samples=10,
                                 random_state=0).fit(X)
    assert vae._input_fill.indicators and vae._network.dtype == np.float32
    objective = vae._make_objective(vae._network, vae.noise_)
    objective.random_state = np.random.RandomState(2)
    seen = objective.network_input(X, training=True)
    hidden = np.isnan(Corruption("hide", 0.3)(X, np.random.RandomState(2)))
    np.testing.assert_array_equal(seen[:, 5:], hidden.astype(np.float32))
    assert np.isfinite(vae.score_samples(X)).all()


def _low_rank_with_missing(rng, n=600, d=10, rank=2, missing_rate=0.2):
    X = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d))
    X += 0.1 * rng.normal(size=(n, d))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X[rng.uniform(size=X.shape) < missing_rate] = np.nan
    return X


def test_hiding_in_training_fills_held_out_entries_better():
    rng = np.random.RandomState(0)
    X = _low_rank_with_missing(rng)
    train, test = X[:400], X[400:]
    # one observed entry of each held-out row hidden, to be filled from the rest
    rows = np.arange(test.shape[0])
    columns = np.array([rng.choice(np.flatnonzero(~np.isnan(row))) for row in test])
    truth = test[rows, columns]
    with_hidden = test.copy()
    with_hidden[rows, columns] = np.nan

    def fill_error(corruption):
        # a code wider than the data's rank: copying what it sees is easy, and only
        # hiding in training teaches it to infer an entry from the others
        ae = AutoEncoder(n_components=8, hidden_layer_sizes=(32,), corruption=corruption,
                         corruption_level=0.2, learning_rate_init=3e-3, max_iter=150,
                         n_iter_no_change=1000, random_state=0).fit(train)
        filled = ae.inverse_transform(ae.transform(with_hidden))[rows, columns]
        return np.sqrt(np.mean((filled - truth) ** 2))

    plain, hiding = fill_error(None), fill_error("hide")
    assert hiding < 0.85 * plain
    assert hiding < 0.5 * np.sqrt(np.mean(truth ** 2))  # far better than the mean (0)


@parametrize_with_checks(
    [AutoEncoder(corruption="hide", corruption_level=0.1, hidden_layer_sizes=(16,),
                 max_iter=50, random_state=0)],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data":
            "repeated rows are hidden by different draws than one weighted row"})
def test_hiding_autoencoder_is_sklearn_compatible(estimator, check):
    # its tags say it takes no sparse input, so the sparse checks expect the refusal
    check(estimator)
