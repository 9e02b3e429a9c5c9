"""Utilities: the contract check of noise models, and the types a skops file holds.

:func:`check_noise_model` is to a :class:`~skae.noise.NoiseModel` what scikit-learn's
:func:`~sklearn.utils.estimator_checks.check_estimator` is to an estimator: one call
that checks the whole contract, to run in the tests of a new noise model.

:data:`SKOPS_TRUSTED_TYPES` lists the skae types that a fitted skae estimator saved
with ``skops.io.dump`` contains, for ``skops.io.load(path, trusted=...)``. skops
refuses to load a type it was not told to trust; pass this list only for files from a
source you trust, as for any model file.
"""

import inspect

from . import noise as _noise
from ._missing import FillMissing
from ._network import Network
from ._optim import SGD, Adam
from ._training import TrainingState
from .autoencoder import AutoEncoder
from .imputer import AutoEncoderImputer, _Column, _MaskingAutoEncoder
from .noise._check import check_noise_model
from .regressor import MLPLikelihoodRegressor

__all__ = ["check_noise_model", "SKOPS_TRUSTED_TYPES"]


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _noise_model_types():
    return [cls for cls in vars(_noise).values()
            if inspect.isclass(cls) and issubclass(cls, _noise.NoiseModel)
            and cls is not _noise.NoiseModel]


SKOPS_TRUSTED_TYPES = sorted(
    _type_name(cls) for cls in [AutoEncoder, MLPLikelihoodRegressor, Network,
                                TrainingState, Adam, SGD, FillMissing, AutoEncoderImputer,
                                _MaskingAutoEncoder, _Column, *_noise_model_types()]
)
