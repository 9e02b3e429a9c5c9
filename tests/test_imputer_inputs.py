"""AutoEncoderImputer on the inputs a table arrives in: column labels and order, object
arrays, pandas' nullable dtypes, placeholders, infinities and empty columns."""

import warnings

import numpy as np
import pytest

from skae import AutoEncoderImputer

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FAST = dict(max_iter=3, hidden_layer_sizes=(8,), random_state=0)
N = 40


def _numbers(seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=N), "b": rng.normal(size=N)})


def test_reordered_columns_without_string_labels_are_an_error():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({0: rng.normal(size=N) * 100 + 1000, 1: rng.integers(0, 5, N)})
    X.loc[:3, 0] = np.nan
    imputer = AutoEncoderImputer(**FAST).fit(X)
    with pytest.raises(ValueError, match=r"columns of X, \[1, 0\], are not those seen"):
        imputer.transform(X[[1, 0]])
    assert not imputer.transform(X).isna().any().any()


def test_a_frame_after_an_array_is_read_by_position():
    X = _numbers()
    X.loc[:4, "a"] = np.nan
    imputer = AutoEncoderImputer(add_indicator=True, **FAST).fit(X.to_numpy())
    with pytest.warns(UserWarning, match="feature names"):
        out = imputer.transform(X)
    assert list(out.columns) == ["a", "b", "missingindicator_a"]
    np.testing.assert_array_equal(out["b"], X["b"])
    assert not out["a"].isna().any()


def test_numbers_in_an_object_array_are_real():
    rng = np.random.default_rng(1)
    X = np.empty((N, 2), dtype=object)
    X[:, 0] = rng.normal(size=N)
    X[:, 1] = rng.choice(["u", "v"], N)
    X[:5, 0] = np.nan
    imputer = AutoEncoderImputer(**FAST).fit(X)
    assert imputer.column_types_ == {0: "real", 1: "categorical"}
    assert imputer.autoencoder_.n_features_in_ == 2  # one real, one binary column
    out = imputer.transform(X)
    filled = out[:5, 0].astype(float)
    assert np.isfinite(filled).all() and len(set(filled)) > 1  # predictions, not a level


def test_integer_categories_of_a_category_dtype_stay_categories():
    rng = np.random.default_rng(5)
    X = _numbers()
    X["c"] = pd.Categorical(rng.integers(1, 4, N))
    X.loc[:3, "c"] = np.nan
    imputer = AutoEncoderImputer(**FAST).fit(X)
    assert imputer.column_types_["c"] == "categorical"
    out = imputer.transform(X)
    assert out["c"].dtype == X["c"].dtype and set(out["c"]) <= {1, 2, 3}


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_not_a_values_in_an_object_array_are_missing(missing):
    rng = np.random.default_rng(2)
    X = np.empty((N, 2), dtype=object)
    X[:, 0] = rng.normal(size=N)
    X[:, 1] = rng.choice(["u", "v", "w"], N)
    X[:4, 1] = missing
    out = AutoEncoderImputer(**FAST).fit_transform(X)
    assert set(out[:4, 1]) <= {"u", "v", "w"}


def test_infinity_is_an_error_naming_the_column():
    X = _numbers().to_numpy(copy=True)
    X[:3, 0] = np.nan
    X[5, 1] = np.inf
    with pytest.raises(ValueError, match="infinity in column 1"):
        AutoEncoderImputer(**FAST).fit(X)
    frame = _numbers()
    frame.loc[2, "b"] = -np.inf
    with pytest.raises(ValueError, match="infinity in column 'b'"):
        AutoEncoderImputer(**FAST).fit(frame)


def test_nan_beside_another_placeholder_is_an_error():
    X = _numbers().to_numpy(copy=True)
    X[:3, 0] = -999.0
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN in column 1, and missing_values is -999.0"):
        AutoEncoderImputer(missing_values=-999.0, **FAST).fit(X)


def test_placeholders_in_a_frame_and_string_placeholders():
    X = _numbers()
    X.loc[:2, "a"] = -999.0
    X.loc[5, "b"] = np.nan  # NA in a DataFrame is always missing
    out = AutoEncoderImputer(missing_values=-999.0, **FAST).fit_transform(X)
    assert (out["a"] != -999.0).all() and not out.isna().any().any()
    np.testing.assert_array_equal(out.loc[3:, "a"], X.loc[3:, "a"])
    words = pd.DataFrame({"w": np.array(["x", "y", "?"] * 14)[:N], "v": X["a"]})
    out = AutoEncoderImputer(missing_values="?", **FAST).fit_transform(words)
    assert set(out["w"]) <= {"x", "y"}


def test_integer_fills_are_rounded():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 100, size=(N, 3))
    X[:5, 0] = -1
    out = AutoEncoderImputer(missing_values=-1, **FAST).fit_transform(X)
    assert out.dtype == X.dtype
    floats = AutoEncoderImputer(missing_values=-1, **FAST).fit_transform(X.astype(float))
    np.testing.assert_array_equal(out[:5, 0], np.rint(floats[:5, 0]))
    frame = _numbers()
    frame["i"] = pd.array(rng.integers(0, 10, N), dtype="Int64")
    frame.loc[[1, 2, 3], "i"] = pd.NA
    out = AutoEncoderImputer(**FAST).fit_transform(frame)
    assert out["i"].dtype == "Int64" and not out["i"].isna().any()
    np.testing.assert_array_equal(out["i"].drop([1, 2, 3]), frame["i"].drop([1, 2, 3]))


@pytest.mark.parametrize("dtype, fill", [("Float64", 0.0), ("Int64", 0), ("boolean", False)])
def test_empty_nullable_numeric_columns_are_kept_as_numbers(dtype, fill):
    X = _numbers()
    X["e"] = pd.array([pd.NA] * N, dtype=dtype)
    out = AutoEncoderImputer(keep_empty_features=True, **FAST).fit_transform(X)
    assert out["e"].dtype == dtype and (out["e"] == fill).all()


def test_categories_missing_from_the_column_dtype_are_added_not_lost():
    X = _numbers()
    X["c"] = pd.Categorical([None] * N, categories=["u", "v"])
    out = AutoEncoderImputer(keep_empty_features=True, **FAST).fit_transform(X)
    assert (out["c"] == "missing").all()
    assert list(out["c"].cat.categories) == ["u", "v", "missing"]
    # a level seen in fit, filled into a table whose dtype no longer lists it
    rng = np.random.default_rng(4)
    Y = _numbers()
    Y["c"] = pd.Categorical(rng.choice(["u", "v"], N))
    imputer = AutoEncoderImputer(**FAST).fit(Y)
    Z = Y.copy()
    Z["c"] = pd.Categorical([None] * N, categories=["zz"])
    out = imputer.transform(Z)
    assert not out["c"].isna().any() and set(out["c"]) <= {"u", "v"}


def test_string_ordinal_levels_in_sorted_order_warn():
    X = _numbers()
    X["size"] = np.array(["lo", "mid", "hi"] * 14)[:N]
    with pytest.warns(UserWarning, match=r"sorted order \['hi', 'lo', 'mid'\]"):
        AutoEncoderImputer(column_types={"size": "ordinal"}, **FAST).fit(X)
    X["size"] = pd.Categorical(X["size"], categories=["lo", "mid", "hi"], ordered=True)
    imputer = AutoEncoderImputer(column_types={"size": "ordinal"}, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        imputer.fit(X)
    assert imputer.columns_[2].levels.tolist() == ["lo", "mid", "hi"]
