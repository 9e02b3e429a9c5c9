"""AutoEncoderImputer: sklearn.impute conventions, pandas in and out, the edge cases."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LinearRegression

from skae import AutoEncoderImputer

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FAST = dict(max_iter=20, hidden_layer_sizes=(16,), random_state=0)


def _frame(rng, n=120):
    z = rng.normal(size=(n, 2))
    return pd.DataFrame({
        "x": z[:, 0] + 0.1 * rng.normal(size=n),
        "y": z @ [1.0, -1.0],
        "k": rng.poisson(3, n),
        "flag": z[:, 0] > 0,
        "colour": pd.Categorical(np.array(["red", "green", "blue"])[
            np.argmax(z @ rng.normal(size=(2, 3)), axis=1)]),
        "name": np.array(["a", "b"], dtype=object)[(z[:, 1] > 0).astype(int)],
    })


def _holes(frame, rng, rate=0.2):
    return frame.mask(rng.random(frame.shape) < rate)


def test_pandas_in_pandas_out_with_dtypes_and_observed_entries_kept():
    rng = np.random.default_rng(0)
    full = _frame(rng)
    X = _holes(full, rng)
    out = AutoEncoderImputer(**FAST).fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(X.columns)
    assert not out.isna().any().any()
    assert out["flag"].dtype == bool
    assert out["colour"].dtype == X["colour"].dtype  # same categories
    assert set(out["name"]) <= {"a", "b"}
    for column in X.columns:
        seen = X[column].notna()
        assert (out.loc[seen, column] == X.loc[seen, column]).all()


def test_inferred_and_overridden_column_types():
    rng = np.random.default_rng(1)
    X = _holes(_frame(rng), rng)
    imputer = AutoEncoderImputer(column_types={"k": "count"}, **FAST).fit(X)
    assert imputer.column_types_ == {"x": "real", "y": "real", "k": "count",
                                     "flag": "binary", "colour": "categorical",
                                     "name": "categorical"}
    with pytest.raises(ValueError, match="one of"):
        AutoEncoderImputer(column_types={"k": "nominal"}).fit(X)
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        AutoEncoderImputer(column_types={"nope": "real"}).fit(X)


def test_array_in_array_out_bit_identical_observed_entries():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    out = AutoEncoderImputer(**FAST).fit_transform(X)
    seen = ~np.isnan(X)
    assert isinstance(out, np.ndarray) and not np.isnan(out).any()
    np.testing.assert_array_equal(out[seen], X[seen])


def test_edge_cases_leave_no_nan():
    rng = np.random.default_rng(3)
    X = _frame(rng, 80)
    X["const"] = 5.0
    X["empty"] = np.nan
    X["code"] = rng.integers(0, 3, 80)  # integer-coded categories
    X = _holes(X, rng, 0.1)
    X.loc[4, :] = np.nan  # a row with every entry missing
    X.loc[7, "x"] = np.nan
    imputer = AutoEncoderImputer(column_types={"code": "categorical"}, **FAST).fit(X)
    out = imputer.transform(X)
    assert "empty" not in out.columns and not out.isna().any().any()
    assert (out["const"] == 5.0).all()
    assert set(out["code"]) <= {0, 1, 2}
    kept = AutoEncoderImputer(keep_empty_features=True, **FAST).fit_transform(X)
    assert (kept["empty"] == 0).all()
    # a single missing entry in a column
    single = X.fillna({"y": 0.0})
    single.loc[9, "y"] = np.nan
    assert not imputer.transform(single).isna().any().any()
    # a category never seen in fit is an observed entry: kept, not changed
    unseen = X.copy()
    unseen["name"] = unseen["name"].astype(object)
    unseen.loc[2, "name"] = "zebra"
    assert imputer.transform(unseen).loc[2, "name"] == "zebra"


def test_indicators_and_feature_names():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 3))
    X[::7, 1] = np.nan
    imputer = AutoEncoderImputer(add_indicator=True, **FAST).fit(X)
    out = imputer.transform(X)
    assert out.shape == (60, 4)
    np.testing.assert_array_equal(out[:, 3], np.isnan(X[:, 1]))
    np.testing.assert_array_equal(imputer.get_feature_names_out(),
                                  ["x0", "x1", "x2", "missingindicator_x1"])


def test_sample_posterior_draws_reproducibly():
    rng = np.random.default_rng(5)
    X = _holes(_frame(rng), rng)
    draws = [AutoEncoderImputer(sample_posterior=True, **FAST).fit_transform(X)
             for _ in range(2)]
    pd.testing.assert_frame_equal(draws[0], draws[1])
    mean_fill = AutoEncoderImputer(**FAST).fit_transform(X)
    assert not np.allclose(draws[0]["x"], mean_fill["x"])


def test_missing_values_placeholder_pipeline_and_grid_search():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, -1.0]
    X[rng.random(X.shape) < 0.1] = -999.0
    pipe = make_pipeline(AutoEncoderImputer(missing_values=-999.0, **FAST),
                         LinearRegression())
    search = GridSearchCV(pipe, {"autoencoderimputer__mask_rate": [0.0, 0.2]}, cv=2)
    search.fit(X, y)
    assert search.best_score_ > 0.3
    assert not (pipe.fit(X, y)[0].transform(X) == -999.0).any()


def test_skops_round_trip_of_a_fitted_imputer():
    sio = pytest.importorskip("skops.io")
    from skae.utils import SKOPS_TRUSTED_TYPES

    rng = np.random.default_rng(7)
    X = _holes(_frame(rng, 80), rng)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    loaded = sio.loads(sio.dumps(imputer), trusted=SKOPS_TRUSTED_TYPES)
    pd.testing.assert_frame_equal(loaded.transform(X), imputer.transform(X))


def test_fills_low_rank_data_better_than_the_column_means():
    rng = np.random.default_rng(8)
    full = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    hidden = rng.random(full.shape) < 0.2
    X = np.where(hidden, np.nan, full)
    filled = AutoEncoderImputer(max_iter=40, random_state=0).fit_transform(X)
    error = np.sqrt(np.mean(((filled - full) / full.std(axis=0))[hidden] ** 2))
    assert error < 0.5  # the column means score about 1


def test_weights_are_the_average_over_the_last_epochs():
    rng = np.random.default_rng(7)
    X = _holes(_frame(rng), rng)
    # 12 epochs, the scales refitted after the 10th: the runs of 10, 11 and 12 epochs
    # without averaging are the first epochs of the averaged run
    imputer = AutoEncoderImputer(**{**FAST, "max_iter": 12}, average_last=3).fit(X)
    lasts = [AutoEncoderImputer(**{**FAST, "max_iter": k}, average_last=0).fit(X)
             for k in (10, 11, 12)]
    assert imputer.n_iter_ == 12 and [last.n_iter_ for last in lasts] == [10, 11, 12]
    snapshots = [last.autoencoder_._network.theta for last in lasts]
    np.testing.assert_allclose(imputer.autoencoder_._network.theta,
                               np.mean(snapshots, axis=0), rtol=1e-10)
    assert not np.allclose(snapshots[-1], np.mean(snapshots, axis=0))
    # the fixed scales belong to the averaged network
    refitted = imputer.autoencoder_.noise_
    imputer.autoencoder_._fit_noise(imputer._encode(*imputer._table(X, reset=False)[:2]),
                                    None, None)
    for block, again in zip(refitted.blocks, imputer.autoencoder_.noise_.blocks):
        np.testing.assert_allclose(np.asarray(block[1].get_params().get("scale", 0.0),
                                              dtype=float),
                                   np.asarray(again[1].get_params().get("scale", 0.0),
                                              dtype=float))


def test_one_noise_block_per_kind_and_two_levels_as_binary():
    rng = np.random.default_rng(8)
    X = _holes(_frame(rng), rng)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    # "name" has two levels: it stays categorical to the user, Bernoulli to the network
    assert imputer.column_types_["name"] == "categorical"
    blocks = {name: (type(model).__name__, cols)
              for name, model, cols in imputer.autoencoder_.noise_.blocks}
    real = blocks["real"]
    assert real[0] == "Gaussian" and real[1].stop - real[1].start == 3  # x, y, k
    binary = blocks["binary"]
    assert binary[0] == "Bernoulli" and binary[1].stop - binary[1].start == 2  # flag, name
    assert sorted(t for t, _ in blocks.values()) == ["Bernoulli", "Categorical", "Gaussian"]
    # one fitted scale per real column, not one pooled over the block
    scale = dict((n, m) for n, m, _ in imputer.autoencoder_.noise_.blocks)["real"].scale
    assert np.shape(scale) == (3,) and len(set(np.round(scale, 12))) == 3
    out = imputer.transform(X)
    assert set(out["name"]) <= {"a", "b"} and not out.isna().any().any()
    seen = X["name"].notna()
    assert (out.loc[seen, "name"] == X.loc[seen, "name"]).all()


def _training_objective(seed):
    """A small table with holes, an imputer fitted to it, the objective it trains with
    and the table as the network sees it."""
    rng = np.random.default_rng(seed)
    X = _holes(_frame(rng), rng)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    ae = imputer.autoencoder_
    objective = ae._make_objective(ae._network, ae.noise_)
    encoded = imputer._encode(*imputer._table(X, reset=False)[:2])
    return X, imputer, objective, encoded


def test_training_hides_a_categorical_variable_whole():
    from skae._training import Data

    X, imputer, objective, encoded = _training_objective(9)
    hidden = objective._hidden(Data(encoded), np.random.RandomState(0), False)
    newly_hidden = np.isnan(hidden.X) & ~np.isnan(encoded)
    colour = dict(imputer._layout())[list(X.columns).index("colour")]
    assert colour.stop - colour.start == 3
    block = newly_hidden[:, colour]
    partly = block.any(axis=1) & ~block.all(axis=1)
    assert block.any() and not partly.any()  # all of the one-hot columns or none
    assert 0.1 < newly_hidden.mean() < 0.3  # about mask_rate of the entries
    np.testing.assert_array_equal(hidden.Y, encoded)  # the targets stay clean


def test_training_takes_the_likelihood_at_the_refitted_ml_scales():
    from skae import imputer as imputer_module
    from skae._training import Data

    rng = np.random.default_rng(10)
    X = _holes(_frame(rng), rng)
    imputer = AutoEncoderImputer(**FAST).fit(X)
    ae = imputer.autoencoder_
    assert ae._schedule is None  # the training table is not kept
    encoded = imputer._encode(*imputer._table(X, reset=False)[:2])
    data = Data(encoded, mask=~np.isnan(encoded))
    # the scales refitted every 2 epochs
    schedule = imputer_module._EpochSchedule(data, n_epochs=10, n_averaged=0,
                                             refit_every=2)
    objective = ae._make_objective(ae._network, ae._noise_model)
    objective.schedule = schedule
    unit = objective.noise
    batch = Data(encoded[:40], mask=~np.isnan(encoded[:40]))

    def loss_at(noise, seed):
        plain = ae._make_objective(ae._network, noise)
        plain.start_epoch()  # no schedule: ``noise``, its discrete terms weighted
        plain.random_state = np.random.RandomState(seed)
        return plain.loss_and_grad(batch)

    losses = []
    for epoch in range(3):  # one batch an epoch
        objective.start_epoch()
        objective.random_state = np.random.RandomState(epoch)
        losses.append(objective.loss_and_grad(batch))
        assert objective.noise is unit  # the likelihood it scores with is unchanged
    # two epochs at unit scale, then the ML scales of the fills
    fitted = objective.fit_noise(data)
    real = dict((n, m) for n, m, _ in fitted.blocks)["real"].scale
    assert np.shape(real) == (3,) and not np.allclose(real, 1.0)
    assert losses[1] == pytest.approx(loss_at(unit, 1), rel=1e-12)
    assert losses[2] == pytest.approx(loss_at(fitted, 2), rel=1e-12)
    assert losses[2] != pytest.approx(loss_at(unit, 2), rel=1e-3)


@pytest.mark.parametrize("n_rows, epochs", [(150, 150), (512, 150), (1000, 88),
                                            (20000, 50)])
def test_auto_max_iter_makes_about_700_steps_within_50_to_150_epochs(n_rows, epochs):
    from skae.imputer import _equal_batches

    batch = _equal_batches(n_rows)
    auto = AutoEncoderImputer()._max_iter(n_rows, batch)
    assert auto == epochs
    assert auto in (50, 150) or abs(auto * -(-n_rows // batch) - 700) <= 64
    assert AutoEncoderImputer(max_iter=7)._max_iter(n_rows, batch) == 7


def test_discrete_entries_are_scored_only_where_hidden():
    from skae._training import Data

    X, imputer, objective, encoded = _training_objective(11)
    where = dict(imputer._layout())
    discrete = np.zeros(encoded.shape[1], bool)
    for name in ("flag", "colour", "name"):
        discrete[where[list(X.columns).index(name)]] = True
    np.testing.assert_array_equal(objective.fill_only, discrete)
    hidden = objective._hidden(Data(encoded), np.random.RandomState(0), False)
    observed = ~np.isnan(encoded)
    newly_hidden = np.isnan(hidden.X) & observed
    # a real entry is scored hidden or seen; a discrete one only where it is hidden
    np.testing.assert_array_equal(hidden.mask[:, ~discrete], observed[:, ~discrete])
    np.testing.assert_array_equal(hidden.mask[:, discrete], newly_hidden[:, discrete])
    assert (observed[:, discrete] & ~newly_hidden[:, discrete]).any()  # seen, not scored


def test_discrete_terms_weigh_one_over_the_mask_rate():
    from skae._objective import Objective
    from skae._training import Data
    from skae.imputer import _ScaledBlocks
    from _gradcheck import assert_gradient_matches

    rng = np.random.default_rng(12)
    X = _holes(_frame(rng, n=30), rng)
    imputer = AutoEncoderImputer(**{**FAST, "max_iter": 3}, mask_rate=0.25).fit(X)
    ae = imputer.autoencoder_
    objective = ae._make_objective(ae._network, ae.noise_)
    objective.start_epoch()
    scaled = objective.training_noise
    assert isinstance(scaled, _ScaledBlocks) and scaled.factor == 4.0
    encoded = imputer._encode(*imputer._table(X, reset=False)[:2])
    mask = ~np.isnan(encoded)
    raw = ae._forward(encoded)
    nll, grad = scaled.nll_and_grad(encoded, raw, mask=mask)
    discrete = objective.fill_only
    plain, plain_grad = ae.noise_.nll_and_grad(encoded, raw, mask=mask)
    real_part = ae.noise_.nll(encoded, raw, mask & ~discrete)
    np.testing.assert_allclose(nll, real_part + 4.0 * (plain - real_part), rtol=1e-10)
    raw_of = {b.name: b.raw for b in ae.noise_.layout(encoded.shape[1])}
    for name, raw_columns in raw_of.items():
        factor = 1.0 if name == "real" else 4.0
        np.testing.assert_allclose(grad[:, raw_columns], factor * plain_grad[:, raw_columns],
                                   rtol=1e-10)
    # the training loss with the scaled terms: its gradient by finite differences
    check = Objective(ae._network, ae.noise_, alpha=0.1,
                      input_transform=ae._input_transform())
    check.training_noise = scaled
    assert_gradient_matches(check, Data(encoded[:8], mask=mask[:8]))


def _fitted_with_holes(seed):
    rng = np.random.default_rng(seed)
    X = _holes(_frame(rng, n=300), rng, rate=0.3)
    return X, AutoEncoderImputer(max_iter=60, hidden_layer_sizes=(32,),
                                 random_state=0).fit(X)


@pytest.mark.parametrize("column", ["colour", "flag", "name"])
def test_refinement_decodes_a_discrete_variable_from_the_first_fills(column):
    X, imputer = _fitted_with_holes(11)
    first = imputer.set_params(refine=False).transform(X)
    refined = imputer.set_params(refine=True).transform(X)
    real = ["x", "y", "k"]
    pd.testing.assert_frame_equal(refined[real], first[real])
    # the reference: the table with the real columns' first fills written in as if
    # observed, decoded without refinement; on the rows where ``column`` is the only
    # missing discrete entry, that is what refinement decodes
    discrete = ["flag", "colour", "name"]
    others = [c for c in discrete if c != column]
    rows = X[column].isna() & X[others].notna().all(axis=1) & X[real].isna().any(axis=1)
    assert rows.sum() >= 5
    written_in = X.copy()
    written_in[real] = first[real]
    reference = imputer.set_params(refine=False).transform(written_in)
    assert (refined.loc[rows, column] == reference.loc[rows, column]).all()
    # where every other entry of the row is observed there is nothing to refine
    alone = X[column].isna() & X.drop(columns=column).notna().all(axis=1)
    assert (refined.loc[alone, column] == first.loc[alone, column]).all()


def test_refinement_changes_fills_and_draws_of_discrete_columns_only():
    X, imputer = _fitted_with_holes(12)
    fills = {r: imputer.set_params(refine=r).transform(X) for r in (True, False)}
    changed = [c for c in X.columns if not fills[True][c].equals(fills[False][c])]
    assert changed and set(changed) <= {"flag", "colour", "name"}
    draws = {r: imputer.set_params(refine=r, sample_posterior=True).transform(X)
             for r in (True, False)}
    real = ["x", "y", "k"]
    pd.testing.assert_frame_equal(draws[True][real], draws[False][real])


def test_early_stopping_batches_fit_the_rows_left_for_training():
    # 120 rows make one batch of 120; early stopping holds out 12 of them, and a batch
    # of 120 would be clipped to the 108 left, with scikit-learn's warning
    rng = np.random.default_rng(13)
    X = rng.normal(size=(120, 3))
    X[rng.random(X.shape) < 0.2] = np.nan
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*batch_size.*")
        imputer = AutoEncoderImputer(early_stopping=True, max_iter=5, random_state=0).fit(X)
    assert imputer.autoencoder_.batch_size == 108
