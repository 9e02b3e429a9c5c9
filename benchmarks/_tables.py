"""Tables for the imputation and mixed-likelihood benchmarks.

Real tables from scikit-learn's bundled data sets, each with a categorical column (the
class where the data set has one), and synthetic mixed tables drawn from a
low-dimensional latent through known per-column likelihoods.
"""

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn import datasets


def _with_category(bunch, name, labels=None):
    frame = pd.DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])
    names = labels if labels is not None else bunch.target_names
    frame[name] = pd.Categorical(np.asarray(names)[bunch.target])
    return frame


def diabetes():
    """442 x 10: nine measurements and sex (two levels, its own categorical column)."""
    bunch = datasets.load_diabetes(scaled=False)
    frame = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    frame["sex"] = pd.Categorical(np.where(frame["sex"] == 1, "one", "two"))
    return frame


def breast_cancer():
    """569 x 31: thirty measurements and the diagnosis (malignant / benign)."""
    return _with_category(datasets.load_breast_cancer(), "diagnosis")


def wine():
    """178 x 14: thirteen measurements and the cultivar (three levels)."""
    return _with_category(datasets.load_wine(), "cultivar")


def iris():
    """150 x 5: four measurements and the species (three levels)."""
    return _with_category(datasets.load_iris(), "species")


def latent_mixed(n, seed, n_latent=3):
    """A mixed table drawn from a ``n_latent``-dimensional latent.

    ``z ~ N(0, I)``, ``h = tanh(z A)`` (8 units), then per column a known likelihood
    whose parameter is an affine map of ``h``:

    - ``g0..g3``: Gaussian, mean ``h w``, sd 0.3;
    - ``p0, p1``: Poisson counts, rate ``exp(0.4 + h w / 2)``;
    - ``b0, b1``: Bernoulli flags, logit ``3 h w``;
    - ``c0, c1``: categorical with 4 levels, logits ``3 h W``;
    - ``o0``: ordered levels 0..4, cumulative logit: ``P(y <= k) = sigmoid(c_k - 3 h w)``
      with cutpoints ``c = (-2, -0.7, 0.7, 2)``.

    Returns the table (floats, integer counts and levels, bool flags, pandas
    categories) and ``params``: ``{column: (kind, parameters)}`` of the generating
    distribution of every entry, for the likelihood benchmark.
    """
    structure = np.random.default_rng(12345)  # the same map for every seed and size
    A = structure.normal(size=(n_latent, 8))
    W = structure.normal(size=(8, 13)) / np.sqrt(8)
    W_cat = structure.normal(size=(2, 8, 4)) / np.sqrt(8)
    rng = np.random.default_rng(seed)
    h = np.tanh(rng.normal(size=(n, n_latent)) @ A)
    linear = h @ W
    frame, params = {}, {}
    for j in range(4):
        loc = linear[:, j]
        frame[f"g{j}"] = loc + 0.3 * rng.normal(size=n)
        params[f"g{j}"] = ("gaussian", (loc, 0.3))
    for j in range(2):
        rate = np.exp(0.4 + linear[:, 4 + j] / 2)
        frame[f"p{j}"] = rng.poisson(rate)
        params[f"p{j}"] = ("poisson", rate)
    for j in range(2):
        p = expit(3 * linear[:, 6 + j])
        frame[f"b{j}"] = rng.random(n) < p
        params[f"b{j}"] = ("bernoulli", p)
    levels = np.array(["w", "x", "y", "z"])
    for j in range(2):
        p = softmax(3 * h @ W_cat[j], axis=1)
        codes = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
        frame[f"c{j}"] = pd.Categorical(levels[np.minimum(codes, 3)], categories=levels)
        params[f"c{j}"] = ("categorical", p)
    cut = np.array([-2.0, -0.7, 0.7, 2.0])
    cumulative = expit(cut[None, :] - 3 * linear[:, [8]])
    p = np.diff(np.hstack([np.zeros((n, 1)), cumulative, np.ones((n, 1))]), axis=1)
    frame["o0"] = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 4)
    params["o0"] = ("ordinal", p)
    return pd.DataFrame(frame), params


def latent_categorical(n, n_columns, n_levels, seed, n_latent=3):
    """A table of ``n_columns`` categorical columns of ``n_levels`` levels each, drawn
    from a ``n_latent``-dimensional latent: column j's level is the argmax of
    ``z W_j + Gumbel noise`` (a softmax of ``z W_j``), ``z ~ N(0, I)``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n_latent))
    letters = np.array([chr(ord("a") + k) for k in range(n_levels)])
    frame = {}
    for j in range(n_columns):
        logits = z @ rng.normal(size=(n_latent, n_levels))
        codes = (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)
        frame[f"c{j}"] = pd.Categorical(letters[codes], categories=letters)
    return pd.DataFrame(frame)
