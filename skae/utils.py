"""Utilities for people who write their own noise models.

:func:`check_noise_model` is to a :class:`~skae.noise.NoiseModel` what scikit-learn's
:func:`~sklearn.utils.estimator_checks.check_estimator` is to an estimator: one call
that checks the whole contract, to run in the tests of a new noise model.
"""

from .noise._check import check_noise_model

__all__ = ["check_noise_model"]
