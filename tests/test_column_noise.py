"""ColumnNoise: routing of columns, raw outputs, masks and fixed scales to the blocks,
its errors, nested parameters, and its use in both estimators. The generic contract
(gradients, scipy, float32, masks) runs on it from tests/_registry.py."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import softmax
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae.noise import (Bernoulli, Categorical, CategoricalLevels, ColumnNoise, Gaussian,
                        Laplace, LogNormal, Poisson)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _mixed_noise():
    return ColumnNoise([("num", Gaussian(), [0, 3]), ("flag", Bernoulli(), [1]),
                        ("cat", Categorical(), slice(4, 7)), ("count", Poisson(), [2])])


def _mixed_table(rng, n=200):
    """Columns: real, flag, count, real, one-hot over 3 classes."""
    z = rng.normal(size=(n, 2))
    real = z @ rng.normal(size=(2, 2)) + 0.3 * rng.normal(size=(n, 2))
    flag = (rng.random(n) < 1 / (1 + np.exp(-2 * z[:, 0]))).astype(float)
    count = rng.poisson(np.exp(0.5 + 0.5 * z[:, 1])).astype(float)
    classes = np.argmax(z @ rng.normal(size=(2, 3)) + rng.gumbel(size=(n, 3)), axis=1)
    return np.column_stack([real[:, 0], flag, count, real[:, 1], np.eye(3)[classes]])


def test_nll_is_the_sum_of_the_blocks_against_scipy():
    rng = np.random.default_rng(0)
    Y = _mixed_table(rng, 20)
    noise = _mixed_noise().set_params(num__scale=0.8)
    raw = rng.normal(size=(20, noise.n_raw(7)))
    # raw layout block by block: num (2), flag (1), cat (3), count (1)
    expected = (-stats.norm(raw[:, 0:2], 0.8).logpdf(Y[:, [0, 3]]).sum(axis=1)
                - stats.bernoulli(1 / (1 + np.exp(-raw[:, 2]))).logpmf(Y[:, 1])
                - (raw[:, 3:6] * Y[:, 4:7]).sum(axis=1)
                + np.log(np.exp(raw[:, 3:6]).sum(axis=1))
                - stats.poisson(np.exp(raw[:, 6])).logpmf(Y[:, 2]))
    np.testing.assert_allclose(noise.nll(Y, raw), expected, rtol=1e-10)
    np.testing.assert_allclose(noise.mean(raw)[:, 2], np.exp(raw[:, 6]))
    assert list(noise.dist(raw)) == ["num", "flag", "cat", "count"]


@pytest.mark.parametrize("blocks, message", [
    ([("a", Gaussian(), [0, 1]), ("b", Bernoulli(), [1, 2])],
     r"columns \[1\] belong to both block 'a' and block 'b'"),
    ([("a", Gaussian(), [0]), ("b", Bernoulli(), [2])],
     r"columns \[1\] of the 3 target columns belong to no block"),
    ([("a", Gaussian(), [0, 5]), ("b", Bernoulli(), [1, 2])],
     r"block 'a' has columns \[5\] outside the 3 target columns"),
    ([("a", Gaussian(), ["x"]), ("b", Bernoulli(), [1, 2])],
     "names its columns"),
    ([("a", Gaussian(), [0]), ("a", Bernoulli(), [1, 2])], r"\['a'\] repeat"),
    ([("a", "gaussian", [0, 1, 2])], "needs a NoiseModel instance"),
])
def test_errors_name_the_offending_columns(blocks, message):
    with pytest.raises(ValueError, match=message):
        ColumnNoise(blocks).n_raw(3)


def test_nested_params_clone_and_grid_search_names():
    noise = _mixed_noise()
    params = noise.get_params()
    assert params["num__scale"] == "mle" and params["flag"] is noise.blocks[1][1]
    noise.set_params(num__scale=2.0)
    assert noise.blocks[0][1].scale == 2.0
    copy = clone(noise)
    assert copy.blocks[0][1] is not noise.blocks[0][1]
    assert copy.get_params()["num__scale"] == 2.0
    # a block replaced by name keeps its columns
    noise.set_params(count=Gaussian())
    assert isinstance(noise.blocks[3][1], Gaussian) and noise.blocks[3][2] == [2]


def test_fixed_scales_are_fitted_per_block_and_masks_routed():
    rng = np.random.default_rng(1)
    n = 400
    Y = np.column_stack([rng.normal(0, 0.5, n), rng.normal(0, 3.0, n), rng.normal(0, 1, n)])
    noise = ColumnNoise([("small", Gaussian(), [0]), ("rest", Gaussian(), [1, 2])])
    raw = np.zeros((n, 3))
    mask = rng.random((n, 3)) > 0.3
    Y_missing = np.where(mask, Y, np.nan)
    fitted = noise.fit_fixed(noise.fixed_statistics(Y_missing, raw, mask=mask), pooled=True)
    small = np.sqrt(np.mean(Y[mask[:, 0], 0] ** 2))
    rest = np.sqrt(np.sum((Y[:, 1:] ** 2)[mask[:, 1:]]) / mask[:, 1:].sum())
    assert fitted.get_params()["small__scale"] == pytest.approx(small)
    assert fitted.get_params()["rest__scale"] == pytest.approx(rest)  # pooled in the block
    np.testing.assert_allclose(
        fitted.nll(Y_missing, raw, mask=mask),
        -np.where(mask, stats.norm(0, [small, rest, rest]).logpdf(Y), 0).sum(axis=1))


def test_from_categories_builds_one_block_per_variable():
    blocks = ColumnNoise.from_categories([["a", "b"], [1, 2, 3]], start=1)
    noise = ColumnNoise([("num", Gaussian(), [0]), *blocks])
    layout = noise.layout(6)
    assert [b.name for b in layout] == ["num", "cat0", "cat1"]
    assert [b.columns for b in layout[1:]] == [slice(1, 3), slice(3, 6)]
    assert noise.n_terms(6) == 3


def test_validate_target_names_the_block():
    noise = _mixed_noise()
    Y = _mixed_table(np.random.default_rng(2), 5)
    Y[3, 1] = 1.5  # in the Bernoulli column
    with pytest.raises(ValueError, match=r"block 'flag' \(columns \[1\]\).*1\.5"):
        noise.validate_target(Y)


def test_autoencoder_with_column_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    Y = _mixed_table(rng)
    names = ["a", "flag", "n", "b", "c0", "c1", "c2"]
    frame = pd.DataFrame(Y, columns=names)
    noise = ColumnNoise([("num", Gaussian(), ["a", "b"]), ("flag", Bernoulli(), "flag"),
                         ("cat", Categorical(), ["c0", "c1", "c2"]),
                         ("count", Poisson(), ["n"])])
    ae = AutoEncoder(n_components=2, hidden_layer_sizes=(16,), noise=noise, max_iter=30,
                     random_state=0).fit(frame)
    # the fitted noise model is positional, its scale fitted on the real block
    assert ae.noise_.blocks[0][2] == [0, 3]
    assert np.all(np.asarray(ae.noise_.get_params()["num__scale"]) > 0)
    decoded = ae.inverse_transform(ae.transform(frame))
    np.testing.assert_allclose(decoded[:, 4:].sum(axis=1), 1, rtol=1e-6)
    assert np.all((decoded[:, 1] > 0) & (decoded[:, 1] < 1)) and np.all(decoded[:, 2] > 0)
    score = ae.score_samples(frame)
    raw = ae._forward(Y)
    np.testing.assert_allclose(score, ae.noise_.log_likelihood(Y, raw), rtol=1e-6)


def test_regressor_predicts_mixed_outputs_jointly():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    count = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    flag = (X[:, 1] + 0.5 * rng.normal(size=300) > 0).astype(float)
    amount = X[:, 2] + 0.2 * rng.normal(size=300)
    Y = np.column_stack([count, flag, amount])
    noise = ColumnNoise([("count", Poisson(), [0]), ("flag", Bernoulli(), [1]),
                         ("amount", Gaussian(), [2])])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(16,), noise=noise, max_iter=100,
                                 random_state=0).fit(X, Y)
    dist = reg.predict_dist(X[:5])
    assert set(dist) == {"count", "flag", "amount"}
    np.testing.assert_allclose(dist["amount"].mean()[:, 0], reg.predict(X[:5])[:, 2],
                               rtol=1e-5)
    lower, upper = reg.predict_interval(X[:5], coverage=0.8)
    assert lower.shape == (5, 3) and np.all(lower <= upper)
    draws = reg.sample(X[:5], n_samples=4, random_state=0)
    assert draws.shape == (5, 3, 4)
    assert set(np.unique(draws[:, 1])) <= {0.0, 1.0}
    assert np.all(draws[:, 0] == np.round(draws[:, 0]))
    # the exact log-likelihood is the sum of the blocks' with the fitted scale; the
    # amount's block works in standardised units (target_scaling), the others do not
    scale = reg.noise_.get_params()["amount__scale"]
    raw = reg._raw(X[:5])
    shift, unit = reg._target_units
    assert shift[0] == shift[1] == 0 and unit[0] == unit[1] == 1
    np.testing.assert_allclose([shift[2], unit[2]], [Y[:, 2].mean(), Y[:, 2].std()],
                               rtol=1e-6)
    loc = shift[2] + unit[2] * raw[:, 2]
    expected = (stats.poisson(np.exp(raw[:, 0])).logpmf(Y[:5, 0])
                + stats.bernoulli(1 / (1 + np.exp(-raw[:, 1]))).logpmf(Y[:5, 1])
                + stats.norm(loc, scale).logpdf(Y[:5, 2]))
    np.testing.assert_allclose(reg.log_likelihood(X[:5], Y[:5]), expected, rtol=1e-5)


def test_categorical_only_has_no_interval():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 2))
    Y = np.eye(3)[rng.integers(0, 3, 50)]
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                                 noise=ColumnNoise([("c", Categorical(), [0, 1, 2])]))
    reg.fit(X, Y)
    with pytest.raises(ValueError, match="no central interval"):
        reg.predict_interval(X[:2])


def test_grid_search_over_a_nested_noise_parameter():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 2))
    Y = np.column_stack([X[:, 0] + 0.1 * rng.normal(size=60), (X[:, 1] > 0).astype(float)])
    noise = ColumnNoise([("num", Gaussian(), [0]), ("flag", Bernoulli(), [1])])
    search = GridSearchCV(
        MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=noise, max_iter=20,
                               random_state=0),
        {"noise__num__scale": ["mle", "learned"]}, cv=2,
        scoring=lambda est, X, y: float(np.mean(est.log_likelihood(X, y))))
    search.fit(X, Y)
    assert search.best_params_["noise__num__scale"] in ("mle", "learned")
    learned = search.cv_results_["params"][1]["noise__num__scale"]
    assert learned == "learned" and noise.blocks[0][1].scale == "mle"  # not mutated


def test_levels_without_order_have_no_interval():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 2))
    Y = np.column_stack([X[:, 0], rng.integers(0, 4, 60)])
    noise = ColumnNoise([("num", Gaussian(), [0]), ("level", CategoricalLevels(4), [1])])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=noise, max_iter=5,
                                 random_state=0).fit(X, Y)
    lower, upper = reg.predict_interval(X[:3])
    assert np.isfinite(lower[:, 0]).all() and np.isnan(lower[:, 1]).all()
    assert np.isnan(upper[:, 1]).all()
    alone = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=CategoricalLevels(4),
                                   max_iter=5, random_state=0).fit(X, Y[:, 1])
    with pytest.raises(ValueError, match="no central interval"):
        alone.predict_interval(X[:2])


def test_a_block_replaced_in_place_gets_a_new_layout():
    noise = ColumnNoise([("a", Gaussian(scale=3.0), [0]), ("b", Bernoulli(), [1])])
    assert noise.layout(2)[0].model.scale == 3.0
    noise.blocks[0] = ("a", Laplace(), [0])
    assert isinstance(noise.layout(2)[0].model, Laplace)
    assert noise.layout(2) is noise.layout(2)  # cached while the blocks stay


def test_the_layout_of_raw_outputs_alone_follows_a_block_replaced_in_place():
    # mean(raw) infers the number of targets from the raw outputs; that answer is
    # cached, and a block replaced in place must not be read with the old one's
    noise = ColumnNoise([("a", Gaussian(), [0]), ("c", Categorical(), slice(1, None))])
    raw = np.array([[0.5, 1.0, 2.0, 3.0]])
    np.testing.assert_allclose(noise.mean(raw)[0, 1:], softmax([1.0, 2.0, 3.0]))
    noise.blocks[1] = ("c", Poisson(), slice(1, None))
    np.testing.assert_allclose(noise.mean(raw), [[0.5, np.e, np.e ** 2, np.e ** 3]])


def test_partial_fit_restarts_the_scale_statistics_of_a_changed_composite():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 2))
    Y = np.column_stack([X[:, 0], X[:, 1]]) + rng.laplace(scale=2.0, size=(200, 2))
    first = ColumnNoise([("u", Gaussian(), [0]), ("v", Laplace(), [1])])
    swapped = ColumnNoise([("u", Laplace(), [0]), ("v", Gaussian(), [1])])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=first, random_state=0)
    reg.partial_fit(X, Y)
    reg.set_params(noise=swapped).partial_fit(X, Y)
    scale = reg.noise_.get_params()["u__scale"]
    # the statistics of this call only: those of the network as it now is, on Y
    refitted = reg.fit_noise(X, Y).noise_.get_params()["u__scale"]
    np.testing.assert_allclose(scale, refitted, rtol=1e-6)


def test_regressor_score_is_r2_over_the_observed_targets():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(120, 3))
    Y = np.column_stack([X @ [1.0, 2.0, 0.0], X @ [0.0, 1.0, 1.0]])
    Y += 0.1 * rng.normal(size=Y.shape)
    holes = Y.copy()
    holes[:30, 0] = np.nan
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(8,), max_iter=30,
                                 random_state=0).fit(X, holes)
    predicted = reg.predict(X)
    expected = np.mean([r2_score(Y[30:, 0], predicted[30:, 0]), r2_score(Y[:, 1], predicted[:, 1])])
    assert reg.score(X, holes) == pytest.approx(expected)
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, predicted))
    with pytest.raises(ValueError, match="Every entry of y is missing"):
        reg.score(X, np.full_like(Y, np.nan))


def test_target_columns_are_those_seen_in_fit():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(10)
    X = rng.normal(size=(80, 2))
    y = pd.DataFrame({"count": rng.poisson(2.0, 80).astype(float),
                      "amount": X[:, 0] + 0.1 * rng.normal(size=80)})
    noise = ColumnNoise([("count", Poisson(), "count"), ("amount", Gaussian(), "amount")])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=noise, max_iter=5,
                                 random_state=0).fit(X, y)
    assert np.isfinite(reg.log_likelihood(X, y)).all()
    with pytest.raises(ValueError, match=r"columns of y, \['amount', 'count'\]"):
        reg.log_likelihood(X, y[["amount", "count"]])
    with pytest.raises(ValueError, match="columns of y"):
        reg.partial_fit(X, y[["amount", "count"]])


def test_crps_block_by_block():
    rng = np.random.default_rng(11)
    n = 20
    y = np.column_stack([rng.normal(size=n), rng.poisson(2.0, n), rng.integers(0, 2, n),
                         rng.normal(size=n)]).astype(float)
    raw = rng.normal(size=(n, 4))
    noise = ColumnNoise([("num", Gaussian(scale=1.5), [0, 3]), ("count", Poisson(), [1]),
                         ("flag", Bernoulli(), [2])])
    scores = noise.crps(y, raw)
    # the raw outputs come block by block: num's two, then count's, then flag's
    np.testing.assert_allclose(scores[:, [0, 3]],
                               Gaussian(scale=1.5).crps(y[:, [0, 3]], raw[:, 0:2]))
    np.testing.assert_allclose(scores[:, 1], Poisson().crps(y[:, [1]], raw[:, [2]])[:, 0])
    np.testing.assert_allclose(scores[:, 2], Bernoulli().crps(y[:, [2]], raw[:, [3]])[:, 0])
    # the regressor sums them over the observed outputs
    X = rng.normal(size=(n, 2))
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=noise, max_iter=3,
                                 random_state=0).fit(X, y)
    holes = y.copy()
    holes[0, 1] = np.nan
    expected = reg.noise_.crps(y, reg._raw(X))
    expected[0, 1] = 0
    np.testing.assert_allclose(reg.crps(X, holes), expected.sum(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match="block 'cat' .*no closed-form CRPS"):
        ColumnNoise([("cat", Categorical(), [0, 1])]).crps(np.eye(2)[[0, 1, 1]],
                                                           np.zeros((3, 2)))


def _count_flag_amount(rng, n=200):
    X = rng.normal(size=(n, 3))
    count = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    flag = (X[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(float)
    amount = np.exp(0.5 * X[:, 2] + 0.2 * rng.normal(size=n))
    return X, np.column_stack([count, flag, amount])


def test_target_scaling_works_block_by_block():
    rng = np.random.default_rng(12)
    X, Y = _count_flag_amount(rng)
    noise = ColumnNoise([("count", Poisson(), [0]), ("flag", Bernoulli(), [1]),
                         ("amount", Gaussian(), [2])])
    params = dict(hidden_layer_sizes=(8,), noise=noise, max_iter=20, random_state=0)
    small = MLPLikelihoodRegressor(**params).fit(X, Y)
    # the same table with the amounts in other units: the network sees the same
    # standardised amounts, so it trains and predicts the same, in the new units
    moved = Y.copy()
    moved[:, 2] = 5000 + 1000 * Y[:, 2]
    large = MLPLikelihoodRegressor(**params).fit(X, moved)
    np.testing.assert_allclose(large.predict(X)[:, :2], small.predict(X)[:, :2], rtol=1e-6)
    np.testing.assert_allclose(large.predict(X)[:, 2], 5000 + 1000 * small.predict(X)[:, 2],
                               rtol=1e-6)
    # its density carries the Jacobian of the map, -log(1000) per row
    np.testing.assert_allclose(large.log_likelihood(X, moved),
                               small.log_likelihood(X, Y) - np.log(1000), rtol=1e-6)
    unscaled = MLPLikelihoodRegressor(target_scaling=False, **params).fit(X, moved)
    assert not np.allclose(unscaled.predict(X)[:, 2], large.predict(X)[:, 2], rtol=1e-3)


def test_changing_a_blocks_transform_on_a_warm_start_is_an_error():
    rng = np.random.default_rng(13)
    X, Y = _count_flag_amount(rng)
    gaussian = ColumnNoise([("count", Poisson(), [0]), ("amount", Gaussian(), [1, 2])])
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(4,), noise=gaussian, max_iter=3,
                                 warm_start=True, random_state=0).fit(X, Y)
    lognormal = ColumnNoise([("count", Poisson(), [0]), ("amount", LogNormal(), [1, 2])])
    with pytest.raises(ValueError, match="amount: y.*amount: log y"):
        reg.set_params(noise=lognormal).fit(X, Y + 0.5)
