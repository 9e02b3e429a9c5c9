"""Noise models: the distribution of the targets given the network's raw outputs.

A noise model turns a loss into a likelihood. The network outputs ``raw``, one or
more unconstrained numbers per target column; the noise model maps them through its
links to the parameters ``omega`` of a distribution ``p(y | omega)`` and training
minimises the exact negative log-likelihood

.. math:: L(\\theta) = -\\sum_i \\log p(y_i \\mid \\omega = f_\\theta(x_i)).

========================  ==================  ===============================  =============
noise model               link                negative log-likelihood          targets
========================  ==================  ===============================  =============
``Gaussian()``            identity            squared error / 2 (+ const)      real
``Gaussian("learned")``   identity, softplus  Gaussian NLL with scale          real
``Laplace()``             identity            absolute error (+ const)         real
``StudentT()``            identity, softplus  Student-t NLL                    real
``LogNormal()``           identity            Gaussian NLL of ``log y``        > 0
``Bernoulli()``           sigmoid             binary cross-entropy             [0, 1]
``Categorical()``         softmax             softmax cross-entropy            simplex rows
``Poisson()``             exp                 Poisson deviance / 2 (+ const)   >= 0
``ContinuousBernoulli``   logit (natural)     normalised cross-entropy         [0, 1]
``Ordinal(n_levels)``     cumulative logit    -log P(level)                    0..K-1
``Binomial(n_trials)``    sigmoid             binomial NLL (+ log C(n, k))     0..n
``CategoricalLevels(L)``  softmax per column  -log P(level)                    0..L-1
``ColumnNoise(blocks)``   each block's own    sum of the blocks' NLLs          mixed
========================  ==================  ===============================  =============

The modules split them by role: :mod:`._base` (the contract and the target checks),
:mod:`._links`, :mod:`._location_scale`, :mod:`._canonical` and :mod:`._composite`
(one model per group of columns).
"""

from sklearn.base import clone

from ._base import NoiseModel
from ._canonical import Bernoulli, Categorical, Poisson
from ._composite import ColumnNoise
from ._levels import Binomial, CategoricalLevels
from ._ordinal import Ordinal
from ._unit_interval import ContinuousBernoulli
from ._location_scale import Gaussian, Laplace, LocationScale, LogNormal, StudentT

__all__ = [
    "NoiseModel",
    "LocationScale",
    "Gaussian",
    "Laplace",
    "StudentT",
    "LogNormal",
    "Bernoulli",
    "Categorical",
    "Poisson",
    "ContinuousBernoulli",
    "Ordinal",
    "Binomial",
    "CategoricalLevels",
    "ColumnNoise",
    "NOISE_MODELS",
    "resolve_noise",
]

NOISE_MODELS = {
    "gaussian": Gaussian,
    "laplace": Laplace,
    "student_t": StudentT,
    "lognormal": LogNormal,
    "bernoulli": Bernoulli,
    "categorical": Categorical,
    "poisson": Poisson,
    "continuous_bernoulli": ContinuousBernoulli,
}


def resolve_noise(noise):
    """A fresh noise model from a name in ``NOISE_MODELS`` or a ``NoiseModel`` instance.

    Raises
    ------
    ValueError
        If ``noise`` is neither, naming the valid names.
    """
    if isinstance(noise, NoiseModel):
        return clone(noise)
    if isinstance(noise, str) and noise in NOISE_MODELS:
        return NOISE_MODELS[noise]()
    raise ValueError(
        f"noise must be a NoiseModel instance or one of {sorted(NOISE_MODELS)}; "
        f"got {noise!r}."
    )
