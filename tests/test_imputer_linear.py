"""AutoEncoderImputer's linear conditionals (``linear_weight``): each discrete variable's
logistic regression on the first-filled rows, checked against scikit-learn's
``StandardScaler`` and ``LogisticRegression``, and its pool with the network's logits."""

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoEncoderImputer

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FAST = dict(max_iter=30, hidden_layer_sizes=(16,), random_state=0)
REALS = ["x", "y", "w"]


def _table(kind, seed, n=240):
    """Three real columns of a 2-d latent and one discrete ``target`` drawn from a
    logistic model of the latent, an entry in five of each column missing."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    frame = pd.DataFrame({"x": z[:, 0] + 0.3 * rng.normal(size=n),
                          "y": z[:, 1] + 0.3 * rng.normal(size=n),
                          "w": z.sum(axis=1) + 0.3 * rng.normal(size=n)})
    if kind == "binary":
        codes = (rng.random(n) < expit(2 * z[:, 0] - z[:, 1])).astype(int)
    else:
        p = softmax(2 * z @ rng.normal(size=(2, 3)), axis=1)
        codes = (rng.random((n, 1)) > p.cumsum(axis=1)).sum(axis=1)
    frame["target"] = pd.Categorical(np.array(["a", "b", "c"])[codes],
                                     categories=["a", "b", "c"][:codes.max() + 1])
    return frame.mask(rng.random(frame.shape) < 0.2)


def _first_filled_reals(X, imputer):
    """The real columns with the network's own fills (``linear_weight=0``) decoded with
    ``target`` hidden on every row, standardised as the imputer encodes them: the linear
    models' inputs, in training (where the target is observed, but hidden from the
    network's fills) and where the target is filled."""
    hidden = X.copy()
    hidden["target"] = hidden["target"].where(np.zeros(len(X), bool))  # NA, the same dtype
    filled = imputer.set_params(linear_weight=0).transform(hidden)
    return ((filled[REALS] - X[REALS].mean()) / X[REALS].std(ddof=0)).to_numpy()


@pytest.mark.parametrize("kind", ["binary", "categorical"])
def test_linear_model_is_scikit_learns_logistic_regression_on_the_first_fills(kind):
    X = _table(kind, seed=0)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    inputs = _first_filled_reals(X, imputer)
    seen = X["target"].notna().to_numpy()
    reference = make_pipeline(StandardScaler(), LogisticRegression(
        C=1.0, tol=1e-10, max_iter=10_000)).fit(inputs[seen], X["target"][seen].astype(str))
    model = imputer.linear_models_["target"]
    assert model[-1].hidden_layer_sizes == () and len(model[-1].coefs_) == 1
    expected = reference.predict_proba(inputs)
    if kind == "binary":  # a Bernoulli of the second level
        np.testing.assert_allclose(model.predict(inputs), expected[:, 1], atol=1e-4)
    else:
        np.testing.assert_allclose(model.predict_proba(inputs), expected, atol=1e-4)
    # linear_weight=1 fills with the linear model's mode
    linear = imputer.set_params(linear_weight=1).transform(X)
    missing = ~seen
    clear = missing & (np.sort(expected, axis=1)[:, -1] - np.sort(expected, axis=1)[:, -2]
                       > 1e-3)
    assert clear.sum() >= 20
    np.testing.assert_array_equal(linear["target"][clear].astype(str),
                                  reference.predict(inputs[clear]))
    pd.testing.assert_frame_equal(linear[REALS], imputer.set_params(
        linear_weight=0).transform(X)[REALS])


@pytest.mark.parametrize("kind", ["binary", "categorical"])
def test_the_pool_moves_each_fill_from_the_networks_to_the_linear_models_once(kind):
    X = _table(kind, seed=1)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    missing = X["target"].isna()
    weights = np.linspace(0, 1, 11)
    fills = np.array([imputer.set_params(linear_weight=w).transform(X)["target"][missing]
                      .astype(str) for w in weights])
    network, linear = fills[0], fills[-1]
    assert (network != linear).any()  # else there is nothing to pool
    # the logits move on a line from the network's to the linear model's: a fill
    # both agree on stays, and a row's fill changes at most once (binary: from one to
    # the other; a categorical may pass a third level on the way)
    agree = network == linear
    assert (fills[:, agree] == network[agree]).all()
    if kind == "binary":
        changes = (fills[1:] != fills[:-1]).sum(axis=0)
        assert changes.max() == 1 and (changes[~agree] == 1).all()
    observed = X.notna()
    pooled = imputer.set_params(linear_weight=0.5).transform(X)
    for column in X.columns:
        assert (pooled[column][observed[column]] == X[column][observed[column]]).all()


def test_ordinal_linear_model_fills_its_mode():
    rng = np.random.default_rng(2)
    n = 240
    z = rng.normal(size=n)
    X = pd.DataFrame({"x": z + 0.3 * rng.normal(size=n), "y": -z + 0.3 * rng.normal(size=n),
                      "w": rng.normal(size=n)})
    X["target"] = np.digitize(z + 0.5 * rng.logistic(size=n), [-1.0, 0.0, 1.0])
    X = X.mask(rng.random(X.shape) < 0.2)
    imputer = AutoEncoderImputer(column_types={"target": "ordinal"}, **FAST).fit(X)
    model = imputer.linear_models_["target"]
    assert type(model[-1].noise_).__name__ == "Ordinal" and len(model[-1].coefs_) == 1
    inputs = _first_filled_reals(X, imputer)
    missing = X["target"].isna().to_numpy()
    dist = model[-1].predict_dist(model[0].transform(inputs[missing]))
    pmf = np.column_stack([dist.pmf(k) for k in range(4)])
    filled = imputer.set_params(linear_weight=1).transform(X)["target"][missing]
    np.testing.assert_array_equal(filled.astype(int), pmf.argmax(axis=1))


def test_draws_of_the_pooled_distribution_change_discrete_columns_only():
    X = _table("categorical", seed=3)
    imputer = AutoEncoderImputer(**FAST, sample_posterior=True).fit(X)
    draws = {w: imputer.set_params(linear_weight=w).transform(X) for w in (0.0, 1.0)}
    pd.testing.assert_frame_equal(draws[0.0][REALS], draws[1.0][REALS])
    assert not draws[0.0]["target"].equals(draws[1.0]["target"])


def test_training_inputs_are_decoded_with_the_variable_hidden():
    # a column that copies the target where both are seen: fills decoded with the
    # target in view would predict it perfectly on the training rows
    X = _table("binary", seed=5)
    X["copy"] = (X["target"] == "b").astype(float).where(X["target"].notna())
    X.loc[X.index[::3], "copy"] = np.nan
    imputer = AutoEncoderImputer(**FAST).fit(X)
    hidden = X.copy()
    hidden["target"] = hidden["target"].where(np.zeros(len(X), bool))
    filled = imputer.set_params(linear_weight=0).transform(hidden)
    columns = REALS + ["copy"]
    inputs = ((filled[columns] - X[columns].mean()) / X[columns].std(ddof=0)).to_numpy()
    seen = X["target"].notna().to_numpy()
    scaler = imputer.linear_models_["target"][0]
    np.testing.assert_allclose(scaler.mean_, inputs[seen].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler.scale_, inputs[seen].std(axis=0), rtol=1e-6)


def test_no_linear_model_without_other_columns_or_weight():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"c": pd.Categorical(rng.choice(["a", "b", "c"], 60))})
    X.loc[::6, "c"] = np.nan
    imputer = AutoEncoderImputer(**FAST).fit(X)
    assert imputer.linear_models_ == {}
    assert not imputer.transform(X).isna().any().any()
    with pytest.raises(ValueError, match="linear_weight"):
        AutoEncoderImputer(linear_weight=1.5).fit(X)
    # changed after fit: checked where it is read
    with pytest.raises(ValueError, match="linear_weight"):
        imputer.set_params(linear_weight=float("nan")).transform(X)
    # fitted without the linear models, which a weight then needs
    Y = _table("binary", seed=6)
    imputer = AutoEncoderImputer(**FAST, linear_weight=0).fit(Y)
    assert imputer.linear_models_ is None
    with pytest.raises(ValueError, match="fit again with linear_weight > 0"):
        imputer.set_params(linear_weight=0.5).transform(Y)
