"""The noise models that the generic tests run on: every built-in model and option.

A new noise model, or a new option of one, is added here once; the contract checks
(``test_noise_contract.py``) and the finite-difference checks of the whole objective
(``test_gradients.py``) then cover it.
"""

import numpy as np

from skae.noise import (Bernoulli, Binomial, Categorical, CategoricalLevels, ColumnNoise,
                        ContinuousBernoulli, Gaussian, Laplace, LogNormal, Ordinal, Poisson,
                        StudentT)

# Target columns of the generic tests' data; a scale given per target has this length.
N_TARGETS = 4

NOISE_MODELS = [
    Gaussian(),
    Gaussian(scale="learned"),
    Gaussian(scale=0.7),
    Gaussian(scale=np.array([0.5, 1.0, 2.0, 0.7])),
    Gaussian(link="logistic"),
    Gaussian(scale="learned", link="logistic"),
    Laplace(),
    Laplace(scale="learned"),
    Laplace(scale=0.3),
    StudentT(),
    StudentT(df="learned"),
    StudentT(scale=2.0),
    StudentT(df="learned", scale=2.0),
    # target scaling: models in the units of the targets, float64 units as the
    # regressor stores them for a float64 fit
    Gaussian(scale="learned").rescaled(np.array([2.0, -1.0, 0.0, 5.0]),
                                       np.array([3.0, 0.5, 1.0, 10.0])),
    StudentT(df="learned").rescaled(np.array([2.0, -1.0, 0.0, 5.0]),
                                    np.array([3.0, 0.5, 1.0, 10.0])),
    LogNormal(),
    LogNormal(scale="learned"),
    LogNormal(scale=0.4),
    Bernoulli(),
    Categorical(),
    Poisson(),
    ContinuousBernoulli(),
    Ordinal(n_levels=2),
    Ordinal(n_levels=5),
    Binomial(n_trials=1),
    Binomial(n_trials=16),
    CategoricalLevels(n_levels=2),
    CategoricalLevels(n_levels=17),
    # a mixed table: an amount, a flag and one categorical variable over two columns
    ColumnNoise([("num", Gaussian(), [0]), ("flag", Bernoulli(), [1]),
                 ("cat", Categorical(), [2, 3])]),
    # blocks out of column order, a slice, learned and fixed scales side by side
    ColumnNoise([("counts", Poisson(), slice(0, 2)),
                 ("amount", LogNormal(scale="learned"), [3]),
                 ("spread", Laplace(), np.array([False, False, True, False]))]),
    ColumnNoise([("pair", Gaussian(scale=np.array([0.5, 2.0])), [3, 0]),
                 ("rest", Gaussian(), [1, 2])]),
    ColumnNoise([("levels", Ordinal(n_levels=4), [0, 2]),
                 ("grey", ContinuousBernoulli(), [1, 3])]),
    ColumnNoise([("counts", Binomial(n_trials=5), [1, 2]),
                 ("levels", CategoricalLevels(n_levels=3), [0, 3])]),
]


def noise_id(model):
    """A test id: the repr, without the spaces NumPy puts in arrays."""
    return "".join(repr(model).split())
